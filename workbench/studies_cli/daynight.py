"""``workbench daynight``: generate data, train, classify, export, live.

    workbench daynight generate OUT [--n 10000 --size 64 --balance 0.5 --hard-share 0.2 --tint warm --only dusk,dawn]
    workbench daynight train [--data FOLDER] [--n 10000 --size 64 --epochs 8] [--out MODEL] [--project DIR]
                             [--shift dusk] [--sweep 32,64,128]
    workbench daynight classify MODEL PATH...        (MODEL: a saved model folder or an export folder)
    workbench daynight export MODEL OUT
    workbench daynight live MODEL [--source camera:0 | video.mp4 | folder | synthetic:cycle] [--frames 100]

``register(subparsers)`` adds the subcommand to the main CLI; ``run(args)`` returns the exit status
(2 with the message on a user error).
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from workbench import cli_args
from workbench.studies_cli import study_parser
from workbench.core import params as P

NAME = "daynight"


def register(subparsers) -> argparse.ArgumentParser:
    p, sub = study_parser(subparsers, NAME, "Case study Day'n'Night: generate scenes, train, classify, export, live.",
                          __doc__, ["generate", "train", "classify", "export", "live"])

    def bias(q):
        q.add_argument("--n", type=P.param(P.SAMPLES, label="number of samples").arg_type, default=10_000, help="number of images (default 10000)")
        q.add_argument("--size", type=P.param(P.IMAGE_SIDE, high=1024).arg_type, default=64, help="resolution in pixels (default 64)")
        q.add_argument("--balance", type=P.param(P.PROBABILITY, label="balance").arg_type, default=0.5, help="share of day images (default 0.5)")
        q.add_argument("--hard-share", type=P.param(P.PROBABILITY, label="hard share").arg_type, default=0.2, help="share of hard scenes (default 0.2)")
        q.add_argument("--tint", default=None, help="camera colour cast: warm, cool, green, dark or R,G,B gains")
        q.add_argument("--only", default=None, help="only these scene groups, comma-separated (e.g. dusk,dawn)")
        q.add_argument("--seed", type=P.SEED.arg_type, default=0)

    g = sub.add_parser("generate", help="write a class-per-folder data set (day/, night/)")
    g.add_argument("out", help="output folder")
    bias(g)
    g.add_argument("--format", default="png", choices=["png", "jpg", "bmp", "webp"])

    t = sub.add_parser("train", help="train the shallow CNN (generated data or --data FOLDER)")
    t.add_argument("--data", default=None, help="a folder with day/ and night/ subfolders (default: generate)")
    bias(t)
    t.add_argument("--epochs", type=P.EPOCHS.arg_type, default=8)
    t.add_argument("--batch-size", type=P.BATCH_SIZE.arg_type, default=64)
    t.add_argument("--lr", type=P.LR.arg_type, default=2e-3)
    t.add_argument("--split", default="holdout:0.1,0.1", type=cli_args.split_plan)
    t.add_argument("--early-stopping", type=P.PATIENCE_OR_OFF.arg_type, default=3, help="patience in epochs (0: off)")
    t.add_argument("--out", default=None, help="save the trained model to this folder")
    t.add_argument("--project", default=None, help="store the run in this project folder's run history")
    t.add_argument("--shift", default=None, help="also score on a shifted test set: dusk, hard, warm_tint, ...")
    t.add_argument("--sweep", default=None, help="train at each resolution instead, e.g. 32,64,128")
    t.add_argument("--device", default="auto")
    t.add_argument("--threads", type=P.THREADS.arg_type, default=None, help="torch CPU threads")
    t.add_argument("--json", action="store_true", help="print the result as JSON")

    c = sub.add_parser("classify", help="P(day) for image files and folders")
    c.add_argument("model", help="a saved model folder (train --out) or an export folder")
    c.add_argument("paths", nargs="+")
    c.add_argument("--json", action="store_true")

    e = sub.add_parser("export", help="TorchScript (+ ONNX when available) + metadata JSON")
    e.add_argument("model")
    e.add_argument("out")

    lv = sub.add_parser("live", help="classify frames from a camera, video file, image folder or synthetic source")
    lv.add_argument("model")
    lv.add_argument("--source", default="camera:0")
    lv.add_argument("--frames", type=P.param(P.FRAMES, label="frames").arg_type, default=100, help="stop after this many readings (0: until the end)")
    p.set_defaults(func=run)  # errors are reported by workbench.cli.main
    return p


def _only(text):
    return [s.strip() for s in text.split(",") if s.strip()] if text else None


def _tint(text):
    if text and "," in text:
        return [float(v) for v in text.split(",")]
    return text


def _progress(label):
    last = [0.0]

    def cb(done, total):
        now = time.monotonic()
        if done == total or now - last[0] > 0.5:
            last[0] = now
            print(f"\r{label} {done:,}/{total:,}", end="\n" if done == total else "", file=sys.stderr, flush=True)

    return cb


def _load_any(path):
    from pathlib import Path

    from workbench.core.studies.daynight.export import META_FILE, load_exported
    from workbench.core.studies.daynight.model import DayNightModel

    p = Path(path)
    if (p / META_FILE).exists() or p.name == META_FILE or p.suffix == ".pt" and (p.parent / META_FILE).exists():
        return load_exported(p)
    return DayNightModel.load(p)



def run(args) -> int:
    cmd = args.daynight_cmd
    if cmd == "generate":
        from workbench.core.studies.daynight.data import write_folder

        t = time.perf_counter()
        s = write_folder(args.out, n=args.n, size=args.size, balance=args.balance, hard_share=args.hard_share,
                         seed=args.seed, tint=_tint(args.tint), only_groups=_only(args.only), fmt=args.format,
                         progress=_progress("generating"))
        dt = time.perf_counter() - t
        print(f"wrote {s['n']:,} images ({s['classes']['day']:,} day, {s['classes']['night']:,} night) "
              f"to {s['path']} in {dt:.1f} s")
        print("groups: " + ", ".join(f"{g} {k}" for g, k in s["groups"].items()))
        return 0
    if cmd == "train":
        return _train(args)
    if cmd == "classify":
        from workbench.core.studies.daynight.model import classify_paths

        model = _load_any(args.model)
        rows, skipped = classify_paths(model, args.paths)
        if args.json:
            print(json.dumps({"results": rows, "skipped": skipped}, indent=2))
        else:
            for r in rows:
                print(f"{r['label']:<6} P(day)={r['p_day']:.3f}  {r['path']}")
            for f, why in skipped:
                print(f"skipped {f}: {why}", file=sys.stderr)
        return 0 if rows else 2
    if cmd == "export":
        from workbench.core.studies.daynight.export import export_model
        from workbench.core.studies.daynight.model import DayNightModel

        res = export_model(DayNightModel.load(args.model), args.out)
        print(f"TorchScript: {res['torchscript']}")
        print(f"ONNX: {res['onnx']}" if res["onnx"] else res["onnx_skipped"])
        print(f"metadata: {res['metadata']}")
        return 0
    if cmd == "live":
        from workbench.core.studies.daynight.live import LiveClassifier, open_camera_or_scene

        model = _load_any(args.model)
        src = open_camera_or_scene(args.source)
        live = LiveClassifier(model, src, pace=not args.source.startswith("camera"), smoothing=0.3)
        n = [0]

        def show(r):
            n[0] += 1
            bar = "#" * int(round(r.p_day * 30))
            print(f"frame {r.frame_no:>5}  P(day)={r.p_day:.3f} [{bar:<30}] {r.label:<5} "
                  f"{r.fps:5.1f} fps  dropped {r.dropped}", flush=True)

        live.run(show, max_frames=args.frames or None)
        return 0
    raise SystemExit(f"unknown daynight command {cmd!r}")


def _train(args) -> int:
    import numpy as np

    from workbench.core.studies.daynight.data import format_report, generate_dataset, generate_shifted, groups_from_paths
    from workbench.core.studies.daynight.model import evaluate_on, resolution_sweep, train_daynight
    from workbench.core.training import ProgressBar

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    sizes = [int(s) for s in args.sweep.split(",")] if args.sweep else [args.size]
    gen_size = max(sizes)
    if args.data:
        from workbench.core.data import load_data

        ds = load_data(args.data, image_size=(gen_size, gen_size), progress=_progress("importing"))
        if ds.groups is None:
            ds.groups = groups_from_paths(ds.paths) if ds.paths is not None else None
        if ds.skipped:
            print(f"skipped {len(ds.skipped)} file(s), e.g. {ds.skipped[0][0]}: {ds.skipped[0][1]}", file=sys.stderr)
    else:
        ds = generate_dataset(args.n, gen_size, balance=args.balance, hard_share=args.hard_share, seed=args.seed,
                              tint=_tint(args.tint), only_groups=_only(args.only), progress=_progress("generating"))
    store = None
    if args.project:
        from workbench.core.runs import RunStore

        store = RunStore(args.project)
    kw = dict(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed, split=args.split,
              early_stopping=args.early_stopping or None, device=args.device, run_store=store)
    if args.sweep:
        rows = resolution_sweep(ds, sizes, callbacks=[ProgressBar()], **kw)
        if args.json:
            print(json.dumps(rows, indent=2))
        else:
            print(f"{'size':>6}{'accuracy':>10}{'train s':>10}{'s/epoch':>10}{'params':>9}")
            for r in rows:
                print(f"{r['size']:>6}{r['test_accuracy']:>10.2%}{r['train_time']:>10.1f}"
                      f"{r['time_per_epoch']:>10.2f}{r['params']:>9,}")
        return 0
    out = train_daynight(ds, sizes[0], callbacks=[ProgressBar()], **kw)
    result = out.summary()
    result["subgroups"] = out.subgroups
    if args.shift:
        sh = evaluate_on(out.model, generate_shifted(args.shift, n=max(200, args.n // 10), size=sizes[0]))
        result["shift"] = {"name": args.shift, "accuracy": sh["accuracy"], "subgroups": sh["subgroups"]}
    if args.out:
        out.model.save(args.out)
        result["saved"] = args.out
    if args.json:
        print(json.dumps(result, indent=2, default=lambda o: o.item() if isinstance(o, np.generic) else str(o)))
        return 0
    print(f"test accuracy {out.test_accuracy:.2%} (baseline {out.baseline:.2%}) on {len(out.test_idx):,} images; "
          f"training {out.train_time:.1f} s, {len(out.fit.history)} epochs, best epoch {out.fit.best_epoch}")
    if out.run_id:
        print(f"run {out.run_id} stored in {args.project}")
    print(format_report(out.subgroups))
    if args.shift:
        print(f"\nshifted test set '{args.shift}': accuracy {result['shift']['accuracy']:.2%}")
        print(format_report(result["shift"]["subgroups"]))
    if args.out:
        print(f"model saved to {args.out}")
    return 0


def main(argv=None) -> int:
    """Run this subcommand on its own: ``python -m workbench.studies_cli.daynight train ...``."""
    from workbench.cli import main as cli_main

    return cli_main([NAME, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
