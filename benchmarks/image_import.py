"""Image-folder import speed and memory: ``load_image_folder`` against what a competent user writes.

Generates N (default 10,000) 64x64 PNGs in two class folders in a temporary directory, then
alternates, in one process, three references and ours:
  (a) a plain single-threaded loop ``cv2.imread`` + ``cv2.resize`` + BGR->RGB into a list, ``np.stack``;
  (b) the same decode in a ``ThreadPoolExecutor`` (as many threads as ours) into a list, ``np.stack``;
  (c) a torch ``DataLoader`` with worker processes (``--loader-workers``, default the cores) over a
      Dataset doing the same decode, batches concatenated;
  (d) ``load_image_folder``.
All must give identical arrays. Prints images/s, the median time ratio of ours against each
reference (< 1 means ours is faster) and the peak Python-heap memory of each (tracemalloc, in a
separate pass; numpy reports its buffers to it; DataLoader workers are other processes, so only
the main process's heap is counted for it).

    .venv/bin/python benchmarks/image_import.py [--n 10000] [--rounds 3] [--size 64] [--loader-workers K]
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


def _decode(path: str, size: tuple[int, int]) -> np.ndarray:
    import cv2

    img = cv2.imread(path, cv2.IMREAD_COLOR)
    img = cv2.resize(img, (size[1], size[0]), interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def _files(root: Path) -> list[str]:
    return [str(root / cls / fn) for cls in sorted(d for d in os.listdir(root) if (root / d).is_dir())
            for fn in sorted(os.listdir(root / cls))]


def thread_pool(root: Path, size: tuple[int, int], workers: int) -> np.ndarray:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return np.stack(list(pool.map(lambda f: _decode(f, size), _files(root), chunksize=32)))


class _FolderDataset:
    """A map-style dataset (torch.utils.data.Dataset protocol) decoding one file per item."""

    def __init__(self, files: list[str], size: tuple[int, int]):
        self.files, self.size = files, size

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> np.ndarray:
        return _decode(self.files[i], self.size)


def data_loader(root: Path, size: tuple[int, int], workers: int) -> np.ndarray:
    import torch
    from torch.utils.data import DataLoader

    loader = DataLoader(_FolderDataset(_files(root), size), batch_size=256, num_workers=workers,
                        collate_fn=lambda items: torch.from_numpy(np.stack(items)))
    return torch.cat(list(loader)).numpy()


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
    ap.add_argument("--loader-workers", type=int, default=os.cpu_count() or 1,
                    help="DataLoader worker processes (default: the cores)")
    args = ap.parse_args()
    size = (args.size, args.size)
    with tempfile.TemporaryDirectory(prefix="wb-image-bench-") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        generate(root, args.n)
        print(f"generated {args.n:,} 64x64 PNGs in {time.perf_counter() - t:.1f} s; cores: {os.cpu_count()}, "
              f"load average {os.getloadavg()[0]:.1f}")
        threads = min(8, os.cpu_count() or 1)  # what load_image_folder uses
        refs = {"plain loop": lambda: plain_loop(root, size),
                "thread pool": lambda: thread_pool(root, size, threads),
                "DataLoader": lambda: data_loader(root, size, args.loader_workers),
                "load_image_folder": lambda: load_image_folder(root, size)}
        times: dict[str, list[float]] = {k: [] for k in refs}
        for r in range(args.rounds):
            # timing without tracemalloc: its hooks slow every allocation, threads more so
            order = list(refs.items())
            if r % 2:
                order.reverse()
            results = {}
            for name, fn in order:
                t = time.perf_counter()
                results[name] = fn()
                times[name].append(time.perf_counter() - t)
            ds = results.pop("load_image_folder")
            assert len(ds.skipped) == 0, ds.skipped[:3]
            for name, arr in results.items():
                assert np.array_equal(ds.X, arr), f"{name} gives a different array"
            print(f"round {r + 1}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()))
            del results, ds
        peaks = {k: measure(fn)[2] for k, fn in refs.items()}
        med = {k: statistics.median(v) for k, v in times.items()}
        mb = 1024 * 1024
        print(f"target size {size[0]}x{size[1]}, {args.n:,} images, median of {args.rounds} rounds; "
              f"{threads} threads, DataLoader with {args.loader_workers} worker processes")
        for k in refs:
            print(f"{k:<18} {args.n / med[k]:8.0f} images/s  peak heap {peaks[k] / mb:7.1f} MB")
        ours = med["load_image_folder"]
        for k in ("plain loop", "thread pool", "DataLoader"):
            print(f"time ratio load_image_folder / {k:<11} = {ours / med[k]:.2f}  (speed-up {med[k] / ours:.2f}x)")
        print(f"result array: {args.n * size[0] * size[1] * 3 / mb:.1f} MB; process max RSS "
              f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
