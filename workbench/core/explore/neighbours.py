"""Finding points: the k nearest neighbours of a sample in the original space (cosine or
Euclidean), the point under the mouse in a 2-D scatter, the points inside a lasso, label search."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.errors import WorkbenchError

METRICS = ("euclidean", "cosine")


@dataclass
class Neighbours:
    query: int  # point index
    indices: list[int]  # nearest first, the query itself left out
    distances: list[float]
    metric: str


def nearest_neighbours(X, query: int, k: int = 8, metric: str = "euclidean") -> Neighbours:
    """The ``k`` points nearest point ``query`` in X (n, d), nearest first (the query excluded)."""
    from sklearn.neighbors import NearestNeighbors

    metric = str(metric).lower()
    if metric not in METRICS:
        raise WorkbenchError(f"Unknown distance {metric!r}; choose euclidean or cosine.")
    X = np.asarray(X, dtype=np.float32)
    if not 0 <= int(query) < len(X):
        raise WorkbenchError(f"There is no point {query}; the embedding has {len(X)} points.")
    k = int(max(1, min(k, len(X) - 1)))
    nn = NearestNeighbors(n_neighbors=k + 1, metric=metric, algorithm="brute").fit(X)
    d, idx = nn.kneighbors(X[int(query)][None])
    pairs = [(int(i), float(v)) for i, v in zip(idx[0], d[0]) if int(i) != int(query)][:k]
    return Neighbours(int(query), [i for i, _ in pairs], [v for _, v in pairs], metric)


class PointIndex:
    """Nearest point of a 2-D scatter to a position (hover): a k-d tree built once per projection."""

    def __init__(self, coords):
        from scipy.spatial import cKDTree

        self.coords = np.asarray(coords, dtype=np.float64)[:, :2]
        self._tree = cKDTree(self.coords) if len(self.coords) else None

    def nearest(self, x: float, y: float, max_distance: float | None = None,
                scale: tuple[float, float] = (1.0, 1.0)) -> int | None:
        """Index of the point nearest (x, y), or None when none lies within ``max_distance``.
        ``scale`` (data units per pixel on each axis) makes the distance a screen distance."""
        if self._tree is None:
            return None
        sx, sy = (float(scale[0]) or 1.0), (float(scale[1]) or 1.0)
        if sx == sy:
            d, i = self._tree.query([x, y])
            d /= sx
        else:  # anisotropic axes: search a few candidates, rank them in pixels
            k = min(16, len(self.coords))
            ds, ii = self._tree.query([x, y], k=k)
            ii = np.atleast_1d(ii)
            pix = np.hypot((self.coords[ii, 0] - x) / sx, (self.coords[ii, 1] - y) / sy)
            j = int(np.argmin(pix))
            d, i = float(pix[j]), int(ii[j])
        if max_distance is not None and d > max_distance:
            return None
        return int(i)


def points_in_polygon(coords, polygon) -> np.ndarray:
    """Indices of the points (n, 2) inside a closed polygon [(x, y), ...] (a lasso), by ray casting."""
    pts = np.asarray(coords, dtype=np.float64)[:, :2]
    poly = np.asarray(polygon, dtype=np.float64)
    if poly.ndim != 2 or len(poly) < 3 or not len(pts):
        return np.zeros(0, dtype=np.int64)
    x, y = pts[:, 0], pts[:, 1]
    lo, hi = poly.min(axis=0), poly.max(axis=0)
    cand = np.flatnonzero((x >= lo[0]) & (x <= hi[0]) & (y >= lo[1]) & (y <= hi[1]))
    x, y = x[cand], y[cand]
    inside = np.zeros(len(cand), dtype=bool)
    x1, y1 = poly[:, 0], poly[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    for a, b, c, d in zip(x1, y1, x2, y2):
        crosses = (b > y) != (d > y)
        if not crosses.any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            xi = a + (y - b) * (c - a) / (d - b)
        inside ^= crosses & (x < xi)
    return cand[inside]


def search_labels(query: str, names: list[str], texts=None) -> np.ndarray:
    """Indices of the points whose label (``names``, one per point) contains ``query``
    (case-insensitive), or, for text data, whose text does."""
    q = str(query).strip().lower()
    if not q:
        return np.zeros(0, dtype=np.int64)
    hits = [i for i, n in enumerate(names) if q in str(n).lower()]
    if texts is not None:
        hit_set = set(hits)
        hits += [i for i, t in enumerate(texts) if i not in hit_set and q in str(t).lower()]
    return np.asarray(sorted(hits), dtype=np.int64)
