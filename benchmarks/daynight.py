"""Day'n'Night benchmarks on CPU, each beside the plainest loop doing the same work.

    python benchmarks/daynight.py                  # throughput: generate, import, classify, live 640x480
    python benchmarks/daynight.py --accuracy       # + train at 64 px on 10,000 images (target >= 98%)
    python benchmarks/daynight.py --sweep          # + resolution sweep 32/64/128
    python benchmarks/daynight.py --bias           # + a model trained without hard cases, on a shifted set

Ratios are ours / plain loop (images or frames per second; > 1 means faster than the plain loop).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def timed(fn, *a, **kw):
    t = time.perf_counter()
    out = fn(*a, **kw)
    return out, time.perf_counter() - t


def bench_generate(n: int, size: int) -> dict:
    from workbench.core.studies.daynight.data import generate_dataset, plan_groups
    from workbench.core.studies.daynight.scenes import render_scene

    ds, t_ours = timed(generate_dataset, n, size, seed=0)

    def plain():
        groups = plan_groups(n, seed=0)
        return np.stack([render_scene(g, np.random.default_rng((0, i)), size, size) for i, g in enumerate(groups)])

    X, t_plain = timed(plain)
    assert np.array_equal(X, ds.X)  # the same work, the same pixels
    return {"what": f"generate {n} images at {size}px", "ours_per_s": n / t_ours, "plain_per_s": n / t_plain,
            "ratio": t_plain / t_ours}


def bench_import(folder: Path, n: int, size: int) -> dict:
    import cv2

    from workbench.core.data import load_image_folder

    ds, t_ours = timed(load_image_folder, folder, (size, size))

    def plain():
        out = []
        for cls in sorted(p for p in folder.iterdir() if p.is_dir()):
            for f in sorted(cls.iterdir()):
                img = cv2.imread(str(f))
                if img is None:
                    continue
                out.append(cv2.cvtColor(cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
        return np.stack(out)

    X, t_plain = timed(plain)
    assert len(X) == len(ds) == n
    return {"what": f"import {n} png files at {size}px", "ours_per_s": n / t_ours, "plain_per_s": n / t_plain,
            "ratio": t_plain / t_ours}


def bench_classify(model, X: np.ndarray) -> dict:
    import torch

    model.p_day(X[:8])  # warm-up
    p, t_ours = timed(model.p_day, X)

    def plain():
        out = []
        model.module.eval()
        with torch.no_grad():
            for img in X:
                x = torch.from_numpy(img.astype(np.float32) / 255.0).permute(2, 0, 1)[None]
                out.append(1.0 - torch.sigmoid(model.module(x))[0, 0].item())
        return np.array(out)

    q, t_plain = timed(plain)
    assert np.allclose(p, q, atol=1e-4)
    n = len(X)
    return {"what": f"classify {n} images at {X.shape[1]}px (batched vs one by one)", "ours_per_s": n / t_ours,
            "plain_per_s": n / t_plain, "ratio": t_plain / t_ours}


def write_video(path: Path, n_frames: int, w: int = 640, h: int = 480) -> Path:
    import cv2

    from workbench.core.studies.daynight.scenes import render_scene

    scenes = [render_scene(g, np.random.default_rng(i), w, h) for i, g in
              enumerate(["clear_day", "night", "dusk", "overcast_day", "city_night", "dawn"])]
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (w, h))
    for i in range(n_frames):
        vw.write(np.ascontiguousarray(scenes[(i // 15) % len(scenes)][:, :, ::-1]))
    vw.release()
    return path


def bench_live(model, video: Path, n_frames: int) -> dict:
    import cv2
    import torch

    from workbench.core.capture.camera import VideoFileSource
    from workbench.core.studies.daynight.live import LiveClassifier

    # ours: the grabber thread decodes while the model classifies; newest frame wins
    live = LiveClassifier(model, VideoFileSource(video), keep_frames=False)
    readings, t_ours = timed(live.run)
    read_fps = live.grabber.frames_read / t_ours

    def plain():
        cap = cv2.VideoCapture(str(video))
        k = 0
        with torch.no_grad():
            while True:
                ok, frame = cap.read()
                if not ok:
                    break
                rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
                small = cv2.resize(rgb, (model.size, model.size), interpolation=cv2.INTER_AREA)
                x = torch.from_numpy(small.astype(np.float32) / 255.0).permute(2, 0, 1)[None]
                model.module(x)
                k += 1
        cap.release()
        return k

    k, t_plain = timed(plain)
    assert k == n_frames
    return {"what": f"live 640x480 video, {n_frames} frames", "ours_per_s": read_fps,
            "classified_per_s": len(readings) / t_ours, "dropped": live.grabber.dropped,
            "plain_per_s": k / t_plain, "ratio": read_fps / (k / t_plain),
            "note": "ours: frames taken from the source per second (the newest is classified, older ones dropped); "
                    "plain: read + classify every frame in one loop"}


def bench_accuracy(n: int, size: int, epochs: int) -> dict:
    from workbench.core.studies.daynight.data import format_report, generate_dataset, generate_shifted
    from workbench.core.studies.daynight.model import evaluate_on, train_daynight

    ds, t_gen = timed(generate_dataset, n, size, seed=0)
    out = train_daynight(ds, size, epochs=epochs, batch_size=64, lr=2e-3, early_stopping=3, device="cpu")
    print(format_report(out.subgroups), flush=True)
    shifted = {s: evaluate_on(out.model, generate_shifted(s, n=1000, size=size))["accuracy"]
               for s in ("dusk", "warm_tint")}
    return {"what": f"train shallow-cnn at {size}px on {n} generated images", **out.summary(),
            "generate_s": t_gen, "per_epoch_s": [h.get("time") for h in out.fit.history], "shifted": shifted}


def bench_sweep(n: int, sizes, epochs: int) -> list[dict]:
    from workbench.core.studies.daynight.data import generate_dataset
    from workbench.core.studies.daynight.model import resolution_sweep

    ds = generate_dataset(n, min(sizes), seed=0)
    return resolution_sweep(ds, sizes, epochs=epochs, batch_size=64, lr=2e-3, early_stopping=3, device="cpu",
                            on_result=lambda r: print(f"  {r['size']} px: {r['test_accuracy']:.2%} in "
                                                      f"{r['train_time']:.0f} s", flush=True))


def bench_bias(n: int, size: int, epochs: int) -> dict:
    """Train without hard cases: near-perfect on its own split, worse on dusk / a tinted camera."""
    from workbench.core.studies.daynight.data import generate_dataset, generate_shifted
    from workbench.core.studies.daynight.model import evaluate_on, train_daynight

    ds = generate_dataset(n, size, hard_share=0.0, seed=0)
    out = train_daynight(ds, size, epochs=epochs, batch_size=64, lr=2e-3, early_stopping=3, device="cpu")
    res = {"own_test": out.test_accuracy}
    for s in ("dusk", "hard", "warm_tint", "cool_tint"):
        r = evaluate_on(out.model, generate_shifted(s, n=1000, size=size))
        res[s] = r["accuracy"]
        res[s + "_groups"] = {row["group"]: round(row["accuracy"], 4) for row in r["subgroups"]}
    return {"what": f"trained with hard_share=0 ({n} images, {size}px)", **res}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=2000, help="images for the throughput runs")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--frames", type=int, default=300, help="frames in the 640x480 test video")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    ap.add_argument("--accuracy", action="store_true")
    ap.add_argument("--sweep", action="store_true")
    ap.add_argument("--bias", action="store_true")
    ap.add_argument("--train-n", type=int, default=10_000)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--json", default=None, help="also write the results to this file")
    args = ap.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from workbench.core.studies.daynight.data import generate_dataset, write_folder
    from workbench.core.studies.daynight.model import DayNightModel

    print(f"CPU threads: torch {torch.get_num_threads()}, os {os.cpu_count()}", flush=True)
    results = []

    def show(r):
        results.append(r)
        if "ratio" in r:
            print(f"{r['what']:<58} ours {r['ours_per_s']:9.1f}/s  plain {r['plain_per_s']:9.1f}/s  "
                  f"ratio {r['ratio']:.2f}", flush=True)
            if "classified_per_s" in r:
                print(f"{'':<58} classified {r['classified_per_s']:.1f}/s, dropped {r['dropped']}", flush=True)
        else:
            print(json.dumps(r, indent=1, default=float), flush=True)

    show(bench_generate(args.n, args.size))
    with tempfile.TemporaryDirectory() as tmp:
        write_folder(Path(tmp) / "dn", n=args.n, size=args.size, seed=0)
        show(bench_import(Path(tmp) / "dn", args.n, args.size))
        model = DayNightModel.create(args.size)  # throughput does not depend on the weights
        X = generate_dataset(args.n, args.size, seed=1).X
        show(bench_classify(model, X))
        video = write_video(Path(tmp) / "live.avi", args.frames)
        show(bench_live(model, video, args.frames))
    if args.accuracy:
        show(bench_accuracy(args.train_n, args.size, args.epochs))
    if args.sweep:
        rows = bench_sweep(args.train_n, (32, 64, 128), args.epochs)
        results.append({"what": "resolution sweep", "rows": rows})
        for r in rows:
            print(f"sweep {r['size']:>4} px  accuracy {r['test_accuracy']:.2%}  train {r['train_time']:.1f} s  "
                  f"{r['time_per_epoch']:.1f} s/epoch  {r['epochs']} epochs  params {r['params']:,}", flush=True)
    if args.bias:
        show(bench_bias(args.train_n, args.size, args.epochs))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
