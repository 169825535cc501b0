"""Image folders at scale: import rate, training speed and peak memory, streamed vs in memory.

For each mode (``stream``: decoded once into the on-disk cache and converted per batch; ``memory``:
the in-memory path, one uint8 array then a float32 copy of each split), in a fresh process so the
peak resident memory (``ru_maxrss``) belongs to that mode alone:
  1. import the folder (``load_image_folder``): images per second; for ``stream`` also a second
     import, which reads the cache instead of decoding;
  2. train one epoch of the default image model for the folder (``run_training``, holdout split
     0.2/0.2, batch size 32, one torch thread unless ``--threads``): training samples per second
     as the Trainer measured it (validation excluded);
  3. peak resident memory of the process.

The folder is generated (N PNG images of two classes, textured noise with a class-dependent
brightness) unless ``--folder`` is given. Note: ``ru_maxrss`` counts the pages of the memory map
that were read; they are clean file pages that the kernel drops under memory pressure, so the
streamed figure is an upper bound of what the process needs, not a floor.

    .venv/bin/python benchmarks/scale.py [--n 2000] [--size 64] [--folder DIR] [--modes stream,memory]
                                         [--threads 1] [--keep]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_folder(root: Path, n: int, size: int) -> Path:
    import cv2
    import numpy as np

    rng = np.random.default_rng(0)
    for c in ("dark", "light"):
        (root / c).mkdir(parents=True, exist_ok=True)
    for i in range(n):
        c = i % 2
        img = np.clip(rng.normal(90 + 70 * c, 40, (size, size, 3)), 0, 255).astype(np.uint8)
        cv2.imwrite(str(root / ("dark", "light")[c] / f"{i:06d}.png"), img)
    return root


def child(args) -> dict:
    import torch

    torch.set_num_threads(args.threads)
    from workbench.core.data.images import load_image_folder
    from workbench.core.workflow import RunConfig, run_training

    stream = args.mode == "stream"
    t0 = time.perf_counter()
    ds = load_image_folder(args.folder, (args.size, args.size), stream=stream)
    t_import = time.perf_counter() - t0
    out = {"mode": args.mode, "n": len(ds), "size": args.size, "import_s": t_import,
           "import_per_s": len(ds) / t_import}
    if stream:
        t0 = time.perf_counter()
        ds = load_image_folder(args.folder, (args.size, args.size), stream=True)
        t_again = time.perf_counter() - t0
        out["reimport_s"], out["reimport_per_s"] = t_again, len(ds) / t_again
    cfg = RunConfig(data=args.folder, image_size=(args.size, args.size), device="cpu",
                    train={"epochs": 1, "batch_size": 32, "threads": args.threads}, seed=0)
    r = run_training(cfg, dataset=ds, save=False)
    h = r.trained.fit.history[0]
    out.update(model=r.record.model_name if hasattr(r.record, "model_name") else None,
               train_rows=len(r.prepared.splits.train_idx), epoch_s=h["time"], train_per_s=h["samples_per_s"],
               val_accuracy=h.get("val_accuracy"),
               peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--folder", default=None, help="an image folder (one subfolder per class) instead of generating")
    ap.add_argument("--modes", default="stream,memory")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the generated folder and the cache")
    ap.add_argument("--mode", help=argparse.SUPPRESS)  # the child process
    args = ap.parse_args(argv)
    if args.mode:
        print(json.dumps(child(args)))
        return 0
    work = Path(tempfile.mkdtemp(prefix="wb-scale-"))
    env = dict(os.environ, WORKBENCH_CACHE=os.environ.get("WORKBENCH_CACHE", str(work / "cache")),
               PYTHONPATH=str(ROOT))
    try:
        folder = args.folder
        if folder is None:
            t0 = time.perf_counter()
            folder = str(make_folder(work / "images", args.n, args.size))
            print(f"generated {args.n:,} images at {args.size} px in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
        rows = []
        for mode in args.modes.split(","):
            cmd = [sys.executable, __file__, "--mode", mode, "--folder", folder, "--size", str(args.size),
                   "--threads", str(args.threads)]
            res = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if res.returncode != 0:
                print(f"{mode} failed:\n{res.stderr[-2000:]}", file=sys.stderr)
                rows.append({"mode": mode, "error": res.stderr.strip().splitlines()[-1:]})
                continue
            rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
        print(f"{'mode':<7} {'images':>8} {'import/s':>9} {'again/s':>9} {'train/s':>8} {'epoch s':>8} "
              f"{'val acc':>7} {'peak RSS':>9}")
        for r in rows:
            if "error" in r:
                print(f"{r['mode']:<7} failed: {r['error']}")
                continue
            again = f"{r['reimport_per_s']:>9,.0f}" if "reimport_per_s" in r else f"{'-':>9}"
            acc = f"{r['val_accuracy']:.3f}" if r.get("val_accuracy") is not None else "-"
            print(f"{r['mode']:<7} {r['n']:>8,} {r['import_per_s']:>9,.0f} {again} {r['train_per_s']:>8,.0f} "
                  f"{r['epoch_s']:>8.1f} {acc:>7} {r['peak_rss_mb']:>7,.0f} MB")
        ok = [r for r in rows if "error" not in r]
        if {"stream", "memory"} <= {r["mode"] for r in ok}:
            s = next(r for r in ok if r["mode"] == "stream")
            m = next(r for r in ok if r["mode"] == "memory")
            print(f"streamed training speed = {s['train_per_s'] / m['train_per_s']:.2f} x in-memory; "
                  f"peak memory {s['peak_rss_mb']:,.0f} MB vs {m['peak_rss_mb']:,.0f} MB")
        print(json.dumps(rows))
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
