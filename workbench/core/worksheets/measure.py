"""Small pieces the case-study worksheets share: a per-seed cache of prepared data (every answer of
a question runs on the same data, made once), the Trainer callbacks of a context, and pictures
drawn from numbers (a scatter of an embedding, a bar chart of a trace) as uint8 images."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

_CACHE: dict[str, tuple[Any, Any]] = {}


def cached(slot: str, key: Any, make: Callable[[], Any]) -> Any:
    """``make()`` once per (slot, key): the answers of a question share the data of their seed.
    One entry per slot is kept (the next seed or setting replaces it), so memory stays bounded."""
    hit = _CACHE.get(slot)
    if hit is not None and hit[0] == key:
        return hit[1]
    _CACHE.pop(slot, None)  # free the old data before making the new
    value = make()
    _CACHE[slot] = (key, value)
    return value


def clear_cache() -> None:
    _CACHE.clear()


def callbacks(ctx) -> list:
    """The context's trainer callbacks plus one that stops a fit when the user cancels."""
    from workbench.core.experiments.common import _CancelCallback

    return list(ctx.trainer_callbacks) + [_CancelCallback(ctx)]


PALETTE = np.array([(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
                    (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212), (0, 128, 128), (170, 110, 40)],
                   np.uint8)


def scatter_picture(points: np.ndarray, groups: np.ndarray, size: int = 200, radius: int = 3,
                    extent: float | None = None) -> np.ndarray:
    """A white square with one coloured dot per 2-D point (colour = group); ``extent`` fixes the
    half-width of the view (so several pictures share a scale), else it fits the points."""
    import cv2

    pts = np.asarray(points, np.float64).reshape(-1, 2)
    img = np.full((size, size, 3), 255, np.uint8)
    cv2.line(img, (size // 2, 0), (size // 2, size - 1), (225, 225, 225), 1)
    cv2.line(img, (0, size // 2), (size - 1, size // 2), (225, 225, 225), 1)
    if len(pts) == 0:
        return img
    ext = float(extent) if extent else max(float(np.abs(pts).max()), 1e-6) * 1.1
    pix = np.clip((pts / ext * 0.5 + 0.5) * (size - 1), 0, size - 1)
    for (x, y), g in zip(pix, np.asarray(groups).reshape(-1)):
        col = tuple(int(c) for c in PALETTE[int(g) % len(PALETTE)])
        cv2.circle(img, (int(round(x)), int(round(size - 1 - y))), radius, col, -1, cv2.LINE_AA)
    return img


def pca2(x: np.ndarray) -> np.ndarray:
    """The first two principal components of ``x`` (N, D) (zeros where there are fewer)."""
    x = np.asarray(x, np.float64)
    x = x - x.mean(0, keepdims=True)
    if x.shape[1] >= 2 and len(x) >= 2:
        from sklearn.decomposition import PCA

        return PCA(n_components=2, random_state=0).fit_transform(x)
    out = np.zeros((len(x), 2))
    out[:, : x.shape[1]] = x[:, :2]
    return out


def trace_picture(values: np.ndarray, marks: np.ndarray | None = None, width: int = 400, height: int = 90,
                  threshold: float | None = 0.5) -> np.ndarray:
    """A trace in [0, 1] drawn as a line over time, the true intervals (``marks`` > 0) shaded green
    and the decision threshold dashed red."""
    import cv2

    v = np.clip(np.asarray(values, np.float64).reshape(-1), 0.0, 1.0)
    img = np.full((height, width, 3), 255, np.uint8)
    n = len(v)
    if n == 0:
        return img
    xs = np.linspace(0, width - 1, n)
    if marks is not None:
        m = np.asarray(marks).reshape(-1) > 0
        edges = np.linspace(0, width, len(m) + 1).round().astype(int)
        for k in np.flatnonzero(m):
            img[:, edges[k]:max(edges[k + 1], edges[k] + 1)] = (200, 240, 200)
    if threshold is not None:
        y = int(round((1 - threshold) * (height - 1)))
        for x in range(0, width, 8):
            cv2.line(img, (x, y), (min(x + 4, width - 1), y), (220, 60, 60), 1)
    pts = np.stack([xs, (1 - v) * (height - 1)], 1).round().astype(np.int32)
    cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, (20, 60, 160), 1, cv2.LINE_AA)
    return img
