"""Projections of embeddings to 2 or 3 dimensions: PCA, t-SNE (openTSNE) and UMAP (umap-learn).

Every method keeps the number of points and their order (point i of the projection is row i of
the embedding) and is seeded. t-SNE and UMAP are long: they report progress and stop when
``should_cancel()`` turns true (raising ``ProjectionCancelled``). Inputs with more than
``pca_first`` dimensions are reduced by PCA first, as is usual before t-SNE and UMAP: it removes
noise dimensions and makes the neighbour search many times faster.

Why openTSNE and not scikit-learn's TSNE: see ``benchmarks/explore.py --compare-tsne`` and the
README (openTSNE's FFT-accelerated gradients were several times faster on 10,000 points here and
its callbacks give progress and a clean stop).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from workbench.core.errors import Cancelled, WorkbenchError

METHODS = ("pca", "tsne", "umap")
PCA_COMPONENTS = 10  # kept so the axes can show any two or three of them without recomputing


class ProjectionCancelled(Cancelled):
    """The user stopped a projection."""


@dataclass
class Projection:
    """coords (n, dims) float32 in the embedding's point order."""

    coords: np.ndarray
    method: str
    params: dict
    seconds: float = 0.0
    explained_variance: list[float] = field(default_factory=list)  # PCA: ratio per component
    scores: np.ndarray | None = None  # PCA: the first PCA_COMPONENTS components of every point
    components: tuple[int, ...] = (0, 1)  # PCA: which components are on the axes (0-based)

    def __len__(self) -> int:
        return len(self.coords)

    def on_axes(self, components: tuple[int, ...]) -> "Projection":
        """PCA only: the same projection with other components on the axes (no recomputation)."""
        if self.scores is None:
            raise WorkbenchError("Only a PCA projection can change its components; run PCA.")
        comps = tuple(int(c) for c in components)
        if any(c < 0 or c >= self.scores.shape[1] for c in comps):
            raise WorkbenchError(f"This PCA has components 1 to {self.scores.shape[1]}; choose among them.")
        return Projection(np.ascontiguousarray(self.scores[:, comps]), self.method, dict(self.params),
                          self.seconds, self.explained_variance, self.scores, comps)

    def describe(self) -> str:
        if self.method == "pca":
            ev = self.explained_variance
            axes = ", ".join(f"PC{c + 1} {ev[c]:.1%}" for c in self.components if c < len(ev))
            return f"PCA ({axes} of the variance; {sum(ev):.1%} in the first {len(ev)})"
        p = ", ".join(f"{k} {v}" for k, v in self.params.items() if k not in ("seed", "dims"))
        return f"{self.method.upper() if self.method == 'umap' else 't-SNE'} ({p}) in {self.seconds:.1f} s"


def _check(X) -> np.ndarray:
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2 or len(X) < 3:
        raise WorkbenchError(f"A projection needs at least 3 points with one vector each, not an array of shape "
                             f"{X.shape}; load more data.")
    if not np.isfinite(X).all():
        X = np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0)
    return X


def _pca(X: np.ndarray, n: int, seed: int):
    from sklearn.decomposition import PCA

    n = max(1, min(n, X.shape[0], X.shape[1]))
    pca = PCA(n_components=n, random_state=seed, svd_solver="auto")
    return pca.fit_transform(X).astype(np.float32), [float(v) for v in pca.explained_variance_ratio_]


def _reduce(X: np.ndarray, pca_first: int | None, seed: int) -> np.ndarray:
    if pca_first and X.shape[1] > pca_first and X.shape[0] > pca_first:
        return _pca(X, pca_first, seed)[0]
    return X


def project(X, method: str = "pca", *, dims: int = 2, components: tuple[int, ...] | None = None,
            perplexity: float = 30.0, early_exaggeration: float = 12.0, n_iter: int = 750,
            n_neighbors: int = 15, min_dist: float = 0.1, seed: int = 0, pca_first: int | None = 50,
            n_jobs: int | None = None, progress: Callable[[int, int, str], None] | None = None,
            should_cancel: Callable[[], bool] | None = None) -> Projection:
    """Project the rows of X (n, d) to ``dims`` (2 or 3) dimensions with "pca", "tsne" or "umap"."""
    method = str(method).lower().replace("-", "")
    if method not in METHODS:
        raise WorkbenchError(f"Unknown projection {method!r}; choose one of pca, tsne, umap.")
    if dims not in (2, 3):
        raise WorkbenchError(f"Projections have 2 or 3 dimensions, not {dims}.")
    X = _check(X)
    say = progress or (lambda *_: None)
    cancelled = should_cancel or (lambda: False)
    if n_jobs is None:
        from workbench.core.device import training_threads

        n_jobs = training_threads() or os.cpu_count() or 1
    t0 = time.perf_counter()
    if method == "pca":
        scores, ev = _pca(X, PCA_COMPONENTS, seed)
        comps = tuple(components) if components else tuple(range(min(dims, scores.shape[1])))
        if scores.shape[1] < len(comps):  # 1-d data: pad the missing axis with zeros
            scores = np.pad(scores, ((0, 0), (0, len(comps) - scores.shape[1])))
            ev = ev + [0.0] * (len(comps) - len(ev))
        p = Projection(np.zeros((len(X), len(comps)), np.float32), "pca", {"dims": dims, "seed": seed},
                       0.0, ev, scores)
        p = p.on_axes(comps)
        p.seconds = time.perf_counter() - t0
        say(1, 1, "")
        return p
    if len(X) < 5:
        raise WorkbenchError(f"{'t-SNE' if method == 'tsne' else 'UMAP'} needs at least 5 points, not {len(X)}.")
    say(0, 100, "Reducing to 50 dimensions with PCA ..." if X.shape[1] > (pca_first or 10**9) else "")
    Xr = _reduce(X, pca_first, seed)
    if cancelled():
        raise ProjectionCancelled("The projection was stopped.")
    if method == "tsne":
        coords, params = _tsne(Xr, dims, perplexity, early_exaggeration, n_iter, seed, n_jobs, say, cancelled)
    else:
        coords, params = _umap(Xr, dims, n_neighbors, min_dist, seed, n_jobs, say, cancelled)
    params.update(dims=dims, seed=seed)
    return Projection(np.ascontiguousarray(coords, dtype=np.float32), method, params, time.perf_counter() - t0)


def _tsne(X, dims, perplexity, early_exaggeration, n_iter, seed, n_jobs, say, cancelled):
    import openTSNE

    n = len(X)
    perplexity = float(min(perplexity, max(2.0, (n - 1) / 3.0)))  # openTSNE needs 3 * perplexity < n
    exag_iter = 250
    total = exag_iter + int(n_iter)
    done = [0]

    def callback(stage_offset):
        def cb(iteration, error, embedding):
            if cancelled():
                raise ProjectionCancelled("The t-SNE projection was stopped.")
            done[0] = stage_offset + iteration
            say(done[0], total, f"t-SNE iteration {done[0]} of {total} (KL divergence {error:.3f})")
            return False
        return cb

    say(0, total, "t-SNE: finding neighbours ...")
    aff = openTSNE.affinity.PerplexityBasedNN(X, perplexity=perplexity, n_jobs=n_jobs, random_state=seed,
                                              method="annoy" if n > 1000 else "exact", verbose=False)
    if cancelled():
        raise ProjectionCancelled("The t-SNE projection was stopped.")
    init = openTSNE.initialization.pca(X, n_components=dims, random_state=seed)
    emb = openTSNE.TSNEEmbedding(init, aff, n_jobs=n_jobs, random_state=seed, verbose=False,
                                 negative_gradient_method="auto" if dims == 2 else "bh")  # bh below 10,000
    emb = emb.optimize(n_iter=exag_iter, exaggeration=float(early_exaggeration), momentum=0.5,
                       callbacks=callback(0), callbacks_every_iters=25)
    emb = emb.optimize(n_iter=int(n_iter), exaggeration=1.0, momentum=0.8,
                       callbacks=callback(exag_iter), callbacks_every_iters=25)
    params = {"perplexity": round(perplexity, 2), "early_exaggeration": float(early_exaggeration),
              "iterations": int(n_iter)}
    return np.asarray(emb), params


class _UmapProgress:
    """A file for umap-learn's tqdm bar over the layout epochs: each refresh reports progress and
    checks for a stop (raising inside the epoch loop is the only way to interrupt umap-learn)."""

    def __init__(self, say, cancelled, n_epochs):
        self.say, self.cancelled, self.n_epochs = say, cancelled, n_epochs

    def write(self, text: str) -> None:
        if self.cancelled():
            raise ProjectionCancelled("The UMAP projection was stopped.")
        digits = "".join(ch if ch.isdigit() or ch == "/" else " " for ch in text).split()
        for tok in digits:
            if "/" in tok:
                a, _, b = tok.partition("/")
                if a.isdigit() and b.isdigit() and int(b) > 0:
                    self.say(int(a), int(b), f"UMAP epoch {a} of {b}")

    def flush(self) -> None:
        pass


def _umap(X, dims, n_neighbors, min_dist, seed, n_jobs, say, cancelled):
    say(0, 100, "UMAP: loading umap-learn (its first run in a session compiles for a while) ...")
    import warnings

    import umap  # numba compiles on first use: imported here only, never at start-up

    n = len(X)
    n_neighbors = int(max(2, min(n_neighbors, n - 1)))
    n_epochs = 500 if n <= 10000 else 200  # umap-learn's own defaults
    say(0, n_epochs, "UMAP: finding neighbours ...")
    reducer = umap.UMAP(n_components=dims, n_neighbors=n_neighbors, min_dist=float(min_dist), random_state=seed,
                        n_epochs=n_epochs, n_jobs=1, low_memory=True, verbose=False,
                        tqdm_kwds={"disable": False, "file": _UmapProgress(say, cancelled, n_epochs),
                                   "mininterval": 0.2, "bar_format": "{n_fmt}/{total_fmt}"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "n_jobs overridden by random_state": seeded runs are serial
        coords = reducer.fit_transform(X)
    if cancelled():
        raise ProjectionCancelled("The UMAP projection was stopped.")
    return coords, {"n_neighbors": n_neighbors, "min_dist": float(min_dist)}
