"""Clustering with scikit-learn: K-Means (k suggested by the silhouette score), DBSCAN and
agglomerative clustering; cluster sizes, the samples nearest each centre, and, when the data have
labels, the adjusted Rand index and a cluster-vs-class table.

Cluster ids are 0..k-1; DBSCAN's noise points are -1.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from workbench.core.errors import Cancelled, WorkbenchError

METHODS = ("kmeans", "dbscan", "agglomerative")
SILHOUETTE_SAMPLE = 3000  # silhouette is O(n^2): scored on a seeded sample of this many points


@dataclass
class Clustering:
    labels: np.ndarray  # (n,) cluster id per point, -1 = noise (DBSCAN)
    method: str
    params: dict
    centers: np.ndarray  # (k, d) mean of each cluster's points (K-Means: its centres)
    silhouette: float | None = None

    @property
    def n_clusters(self) -> int:
        return int(len(self.centers))

    @property
    def n_noise(self) -> int:
        return int(np.sum(self.labels < 0))

    def sizes(self) -> dict[int, int]:
        ids, counts = np.unique(self.labels, return_counts=True)
        return {int(i): int(c) for i, c in zip(ids, counts)}

    def names(self) -> list[str]:
        return [f"cluster {i + 1}" for i in range(self.n_clusters)]

    def describe(self) -> str:
        s = f"{self.method}: {self.n_clusters} clusters"
        if self.n_noise:
            s += f", {self.n_noise:,} noise points"
        if self.silhouette is not None:
            s += f", silhouette {self.silhouette:.3f}"
        return s


def _check(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or len(X) < 3:
        raise WorkbenchError(f"Clustering needs at least 3 points with one vector each, not an array of shape "
                             f"{X.shape}.")
    return np.nan_to_num(X)


def silhouette(X, labels, seed: int = 0) -> float | None:
    """Mean silhouette of the clustered points (noise left out), on a seeded sample; None when
    fewer than two clusters."""
    from sklearn.metrics import silhouette_score

    keep = labels >= 0
    if len(np.unique(labels[keep])) < 2 or keep.sum() < 3:
        return None
    Xk, lk = X[keep], labels[keep]
    n = min(SILHOUETTE_SAMPLE, len(Xk))
    if len(np.unique(lk)) >= n:
        return None
    return float(silhouette_score(Xk, lk, sample_size=n if n < len(Xk) else None, random_state=seed))


def _centers(X, labels) -> np.ndarray:
    ids = sorted(int(i) for i in np.unique(labels) if i >= 0)
    if not ids:
        return np.zeros((0, X.shape[1]), np.float32)
    return np.stack([X[labels == i].mean(axis=0) for i in ids]).astype(np.float32)


def _relabel(labels: np.ndarray) -> np.ndarray:
    """Cluster ids by decreasing size (cluster 1 is the largest), noise stays -1."""
    ids, counts = np.unique(labels[labels >= 0], return_counts=True)
    order = ids[np.argsort(-counts, kind="stable")]
    m = {int(old): new for new, old in enumerate(order)}
    return np.array([m.get(int(v), -1) for v in labels], dtype=np.int64)


def cluster(X, method: str = "kmeans", *, k: int = 8, eps: float | None = None, min_samples: int = 5,
            linkage: str = "ward", seed: int = 0) -> Clustering:
    """Cluster the rows of X. ``eps`` None (DBSCAN) takes the 90th percentile of the distance to
    the ``min_samples``-th neighbour, a common rule of thumb."""
    X = _check(X)
    method = str(method).lower()
    if method not in METHODS:
        raise WorkbenchError(f"Unknown clustering {method!r}; choose one of {', '.join(METHODS)}.")
    if method in ("kmeans", "agglomerative"):
        k = int(k)
        if not 2 <= k <= len(X):
            raise WorkbenchError(f"The number of clusters must be between 2 and the number of points ({len(X)}), "
                                 f"not {k}.")
    params: dict = {}
    if method == "kmeans":
        from sklearn.cluster import KMeans

        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(X)
        params = {"k": k}
    elif method == "agglomerative":
        from sklearn.cluster import AgglomerativeClustering

        if len(X) > 20000:
            raise WorkbenchError(f"Agglomerative clustering of {len(X):,} points needs too much memory; use at "
                                 f"most 20,000 points (a smaller subsample) or K-Means.")
        labels = AgglomerativeClustering(n_clusters=k, linkage=linkage).fit_predict(X)
        params = {"k": k, "linkage": linkage}
    else:
        from sklearn.cluster import DBSCAN

        min_samples = max(2, int(min_samples))
        if eps is None:
            eps = suggest_eps(X, min_samples, seed)
        if not eps or eps <= 0:
            raise WorkbenchError("DBSCAN's eps must be a distance > 0.")
        labels = DBSCAN(eps=float(eps), min_samples=min_samples).fit_predict(X)
        params = {"eps": round(float(eps), 4), "min_samples": min_samples}
    labels = _relabel(np.asarray(labels))
    return Clustering(labels, method, params, _centers(X, labels), silhouette(X, labels, seed))


def suggest_eps(X, min_samples: int = 5, seed: int = 0) -> float:
    from sklearn.neighbors import NearestNeighbors

    X = _check(X)
    rng = np.random.default_rng(seed)
    probe = X[rng.choice(len(X), size=min(len(X), 2000), replace=False)]
    nn = NearestNeighbors(n_neighbors=min(min_samples + 1, len(X))).fit(X)
    d = nn.kneighbors(probe)[0][:, -1]
    return float(np.percentile(d, 90))


@dataclass
class KSuggestion:
    ks: list[int]
    silhouettes: list[float | None]
    best_k: int

    def to_dict(self) -> dict:
        return {"ks": self.ks, "silhouettes": self.silhouettes, "best_k": self.best_k}


def suggest_k(X, k_min: int = 2, k_max: int = 12, *, seed: int = 0,
              progress: Callable[[int, int, str], None] | None = None,
              should_cancel: Callable[[], bool] | None = None) -> KSuggestion:
    """K-Means for every k in [k_min, k_max] and its silhouette; the k with the highest one."""
    X = _check(X)
    k_max = int(min(k_max, len(X) - 1))
    k_min = int(max(2, k_min))
    if k_max < k_min:
        raise WorkbenchError(f"There are too few points ({len(X)}) to compare numbers of clusters.")
    ks, scores = list(range(k_min, k_max + 1)), []
    for j, k in enumerate(ks):
        if should_cancel is not None and should_cancel():
            raise Cancelled("The search for the number of clusters was stopped.")
        c = cluster(X, "kmeans", k=k, seed=seed)
        scores.append(c.silhouette)
        if progress:
            progress(j + 1, len(ks), f"k = {k}: silhouette {c.silhouette:.3f}" if c.silhouette is not None else "")
    valid = [(s, k) for s, k in zip(scores, ks) if s is not None]
    best = max(valid)[1] if valid else ks[0]
    return KSuggestion(ks, scores, int(best))


@dataclass
class ClusterReport:
    sizes: dict[int, int]
    examples: dict[int, list[int]]  # cluster -> point indices nearest its centre
    ari: float | None = None
    table: list[dict] = field(default_factory=list)  # one row per cluster: counts per class
    class_names: list[str] | None = None
    majority: dict[int, str] = field(default_factory=dict)  # cluster -> its most common class
    purity: float | None = None

    def to_dict(self) -> dict:
        return {"sizes": self.sizes, "examples": self.examples, "ari": self.ari, "table": self.table,
                "class_names": self.class_names, "majority": self.majority, "purity": self.purity}


def examples_per_cluster(X, clustering: Clustering, n: int = 8) -> dict[int, list[int]]:
    """The ``n`` points nearest each cluster's centre (its most typical samples)."""
    X = _check(X)
    out: dict[int, list[int]] = {}
    for c in range(clustering.n_clusters):
        idx = np.flatnonzero(clustering.labels == c)
        d = np.linalg.norm(X[idx] - clustering.centers[c], axis=1)
        out[c] = [int(i) for i in idx[np.argsort(d, kind="stable")[:n]]]
    return out


def cluster_report(X, clustering: Clustering, labels=None, class_names: list[str] | None = None,
                   n_examples: int = 8) -> ClusterReport:
    """Sizes, examples, and (with true labels) ARI, the cluster-vs-class table and purity."""
    rep = ClusterReport(clustering.sizes(), examples_per_cluster(X, clustering, n_examples))
    if labels is None:
        return rep
    from sklearn.metrics import adjusted_rand_score

    y = np.asarray(labels).astype(np.int64)
    rep.ari = float(adjusted_rand_score(y, clustering.labels))
    k = int(max(y.max(initial=0) + 1, len(class_names or [])))
    names = list(class_names) if class_names else [str(i) for i in range(k)]
    rep.class_names = names
    ids = sorted(set(int(v) for v in clustering.labels))
    correct = 0
    for c in ids:
        counts = np.bincount(y[clustering.labels == c], minlength=k)
        row = {"cluster": "noise" if c < 0 else f"cluster {c + 1}", "size": int(counts.sum())}
        row.update({names[j]: int(counts[j]) for j in range(k)})
        rep.table.append(row)
        if c >= 0:
            rep.majority[c] = names[int(counts.argmax())]
            correct += int(counts.max())
    clustered = int(np.sum(clustering.labels >= 0))
    rep.purity = correct / clustered if clustered else None
    return rep
