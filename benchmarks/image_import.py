"""Image-folder import speed and memory: ``load_image_folder`` against a plain OpenCV loop.

Generates N (default 10,000) 64x64 PNGs in two class folders in a temporary directory, then
alternates, in one process, (a) a plain single-threaded loop ``cv2.imread`` + ``cv2.resize`` +
BGR->RGB into a list and ``np.stack``, and (b) ``load_image_folder``. Both must give identical
arrays. Prints images/s, the median time ratio (ours / plain; < 1 means faster) and the peak
Python-heap memory of each (tracemalloc, in a separate pass; numpy reports its buffers to it).

    .venv/bin/python benchmarks/image_import.py [--n 10000] [--rounds 3] [--size 64]
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from workbench.core.data import load_image_folder  # noqa: E402


def generate(root: Path, n: int, side: int = 64) -> list[Path]:
    import cv2

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side
    files = []
    for i in range(n):
        cls = "day" if i % 2 == 0 else "night"
        base = 200 if cls == "day" else 40
        gx, gy, phase = rng.uniform(-60, 60, 3)
        img = base + gx * xx[..., None] + gy * yy[..., None] + 20 * np.sin(6 * xx + phase)[..., None]
        img = img + rng.normal(0, 12, (side, side, 3))
        p = root / cls / f"img_{i:05d}.png"
        p.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(p), np.clip(img, 0, 255).astype(np.uint8))
        files.append(p)
    return files


def plain_loop(root: Path, size: tuple[int, int]) -> np.ndarray:
    import cv2

    out = []
    for cls in sorted(d for d in os.listdir(root) if (root / d).is_dir()):
        for fn in sorted(os.listdir(root / cls)):
            img = cv2.imread(str(root / cls / fn), cv2.IMREAD_COLOR)
            img = cv2.resize(img, (size[1], size[0]), interpolation=cv2.INTER_AREA)
            out.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    return np.stack(out)


def measure(fn):
    tracemalloc.start()
    t = time.perf_counter()
    result = fn()
    dt = time.perf_counter() - t
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, dt, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--size", type=int, default=64, help="target side in pixels (files are 64x64)")
    args = ap.parse_args()
    size = (args.size, args.size)
    with tempfile.TemporaryDirectory(prefix="wb-image-bench-") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        generate(root, args.n)
        print(f"generated {args.n:,} 64x64 PNGs in {time.perf_counter() - t:.1f} s; cores: {os.cpu_count()}, "
              f"load average {os.getloadavg()[0]:.1f}")
        plain_t, ours_t = [], []
        plain_fn = lambda: plain_loop(root, size)  # noqa: E731
        ours_fn = lambda: load_image_folder(root, size)  # noqa: E731
        for r in range(args.rounds):
            # timing without tracemalloc: its hooks slow every allocation, threads more so
            order = [("plain", plain_fn), ("ours", ours_fn)]
            if r % 2:
                order.reverse()
            results = {}
            for name, fn in order:
                t = time.perf_counter()
                results[name] = fn()
                (plain_t if name == "plain" else ours_t).append(time.perf_counter() - t)
            ds = results["ours"]
            assert len(ds.skipped) == 0 and np.array_equal(ds.X, results["plain"]), "outputs differ"
            print(f"round {r + 1}: plain {plain_t[-1]:.2f} s, load_image_folder {ours_t[-1]:.2f} s")
            del results, ds
        plain_peak = measure(plain_fn)[2]
        ours_peak = measure(ours_fn)[2]
        p, o = statistics.median(plain_t), statistics.median(ours_t)
        mb = 1024 * 1024
        print(f"target size {size[0]}x{size[1]}, {args.n:,} images, median of {args.rounds} rounds")
        print(f"plain loop:        {args.n / p:8.0f} images/s  peak heap {plain_peak / mb:7.1f} MB")
        print(f"load_image_folder: {args.n / o:8.0f} images/s  peak heap {ours_peak / mb:7.1f} MB")
        print(f"time ratio load_image_folder / plain = {o / p:.2f}  (speed-up {p / o:.2f}x)")
        print(f"result array: {args.n * size[0] * size[1] * 3 / mb:.1f} MB; process max RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
