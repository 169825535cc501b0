"""``workbench detect``: generate scenes, convert label formats, train and score the YOLO detector,
detect in files, segment, run live.

    workbench detect generate OUT [--n 2000 --size 96 --format yolo|coco|voc --overlap 0.2 --clutter 2]
    workbench detect convert IN OUT --to yolo|coco|voc            (IN: any of the three formats)
    workbench detect summary DATA                                 (class counts, box sizes)
    workbench detect train [--data DIR] [--n 2000] [--backbone small-cnn|mobilenet_v2] [--grid 6 --boxes 2]
                           [--lambda-coord 5 --lambda-noobj 0.5 --no-sqrt] [--epochs 20] [--out MODEL] [--project DIR]
    workbench detect predict MODEL PATH... [--conf 0.3]
    workbench detect segment [--n 2000 --input-size 48 --width 16 --epochs 12 --lr 0.002 --dice 1 --unweighted]
                             [--project DIR]
    workbench detect live MODEL [--source camera:0 | video.mp4 | folder | synthetic:scenes] [--frames 100]

Every command takes --json and then prints one JSON object last.
"""
from __future__ import annotations

import argparse
import json
import sys
from workbench import cli_args
from workbench.core import params as P

NAME = "detect"


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="Case study: object detection with the YOLO loss, and segmentation.",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="detect_cmd", metavar="{generate,convert,summary,train,predict,segment,live}")
    sub.required = True

    def scenes(q, n=2000):
        q.add_argument("--n", type=P.param(P.SAMPLES, label="number of samples").arg_type, default=n, help=f"number of scenes (default {n})")
        q.add_argument("--size", type=P.SCENE_SIDE.arg_type, default=96, help="scene side in pixels (default 96)")
        q.add_argument("--max-objects", type=P.param(P.SMALL_COUNT, label="max objects").arg_type, default=4)
        q.add_argument("--overlap", type=P.param(P.PROBABILITY, label="overlap").arg_type, default=0.2, help="share of objects placed over another one")
        q.add_argument("--clutter", type=P.param(P.SMALL_COUNT, label="clutter").arg_type, default=2, help="up to this many unlabelled distractors per scene")
        q.add_argument("--seed", type=P.SEED.arg_type, default=0)

    def js(q):
        q.add_argument("--json", action="store_true", help="print the result as one JSON object")

    g = sub.add_parser("generate", help="write generated scenes with their labels")
    g.add_argument("out")
    scenes(g)
    g.add_argument("--format", default="yolo", choices=["yolo", "coco", "voc"])
    js(g)

    c = sub.add_parser("convert", help="read a labelled set in one format and write it in another")
    c.add_argument("src")
    c.add_argument("out")
    c.add_argument("--to", required=True, choices=["yolo", "coco", "voc"])
    js(c)

    s = sub.add_parser("summary", help="images, boxes per class, box sizes of a labelled set")
    s.add_argument("data")
    js(s)

    t = sub.add_parser("train", help="train the YOLO detector (generated scenes or --data DIR)")
    t.add_argument("--data", default=None, help="a YOLO / COCO / VOC folder (default: generate scenes)")
    scenes(t)
    t.add_argument("--backbone", default="small-cnn", choices=["small-cnn", "mobilenet_v2"])
    t.add_argument("--output", default="conv", choices=["conv", "dense"], help="grid output layer (conv) or YOLO v1's Dense")
    t.add_argument("--input-size", type=P.INPUT_SIDE.arg_type, default=96, help="network input side (16 pixels per cell)")
    t.add_argument("--grid", type=P.param(P.GRID, label="grid").arg_type, default=6, help="S: cells per side")
    t.add_argument("--boxes", type=P.param(P.BOXES, label="boxes").arg_type, default=2, help="B: boxes per cell")
    t.add_argument("--lambda-coord", type=P.param(P.WEIGHT, label="lambda coord").arg_type, default=5.0)
    t.add_argument("--lambda-noobj", type=P.param(P.WEIGHT, label="lambda noobj").arg_type, default=0.5)
    t.add_argument("--no-sqrt", action="store_true", help="squared error of w and h instead of their square roots")
    t.add_argument("--epochs", type=P.EPOCHS.arg_type, default=20)
    t.add_argument("--batch-size", type=P.BATCH_SIZE.arg_type, default=32)
    t.add_argument("--lr", type=P.LR.arg_type, default=2e-3)
    t.add_argument("--threads", type=P.THREADS.arg_type, default=None)
    t.add_argument("--out", default=None, help="save the detector to this folder")
    t.add_argument("--project", default=None, help="store the run in this project's run history")
    js(t)

    pr = sub.add_parser("predict", help="detect objects in image files and folders")
    pr.add_argument("model")
    pr.add_argument("paths", nargs="+")
    pr.add_argument("--conf", type=P.param(P.PROBABILITY, label="conf").arg_type, default=0.3)
    js(pr)

    sg = sub.add_parser("segment", help="train the small U-Net on the scenes' masks; IoU and Dice per class")
    scenes(sg, 2000)
    from workbench.core.studies.detection import SEGMENT_DEFAULTS as SEG

    sg.add_argument("--input-size", type=P.INPUT_SIDE.arg_type, default=SEG["size"], help=f"U-Net input side (default {SEG['size']})")
    sg.add_argument("--width", type=P.param(P.WIDTH, label="width").arg_type, default=SEG["width"], help=f"channels of the first U-Net level (default {SEG['width']})")
    sg.add_argument("--epochs", type=P.EPOCHS.arg_type, default=SEG["epochs"])
    sg.add_argument("--lr", type=P.LR.arg_type, default=SEG["lr"])
    sg.add_argument("--dice", type=P.param(P.WEIGHT, label="dice").arg_type, default=SEG["dice_weight"],
                    help=f"weight of the Dice loss term (default {SEG['dice_weight']:g}; 0: cross-entropy only)")
    sg.add_argument("--unweighted", action="store_true",
                    help="plain cross-entropy (default: each class weighted by 1 / sqrt(its pixel share))")
    sg.add_argument("--threads", type=P.THREADS.arg_type, default=None)
    sg.add_argument("--project", default=None)
    js(sg)

    lv = sub.add_parser("live", help="detect in frames from a camera, a video file, an image folder or synthetic frames")
    lv.add_argument("model")
    lv.add_argument("--source", default="camera:0")
    lv.add_argument("--frames", type=P.param(P.FRAMES, label="frames").arg_type, default=100, help="stop after this many frames (0: until the end)")
    lv.add_argument("--conf", type=P.param(P.PROBABILITY, label="conf").arg_type, default=0.3)
    js(lv)
    p.set_defaults(func=run)
    return p


_emit = cli_args.emit


def _scenes(args):
    from workbench.core.studies.detection.scenes import generate_scenes

    return generate_scenes(args.n, args.size, seed=args.seed, max_objects=args.max_objects, overlap=args.overlap,
                           clutter=args.clutter)


def run(args) -> int:
    cmd = args.detect_cmd
    if cmd == "generate":
        from workbench.core.studies.detection.formats import save_detection

        ds = _scenes(args)
        out = save_detection(ds, args.out, args.format)
        s = ds.summary()
        return _emit(args, {"path": str(out), "format": args.format, **s},
                     f"wrote {s['images']:,} scenes with {s['boxes']:,} boxes ({args.format}) to {out}")
    if cmd == "convert":
        from workbench.core.studies.detection.formats import load_detection, save_detection

        ds = load_detection(args.src)
        out = save_detection(ds, args.out, args.to)
        return _emit(args, {"path": str(out), "format": args.to, "images": len(ds), "skipped": ds.skipped},
                     f"converted {len(ds):,} images to {args.to} in {out}"
                     + (f" ({len(ds.skipped)} skipped, e.g. {ds.skipped[0][0]}: {ds.skipped[0][1]})" if ds.skipped else ""))
    if cmd == "summary":
        from workbench.core.studies.detection.formats import load_detection

        ds = load_detection(args.data)
        s = ds.summary()
        s["box_size_histogram"] = ds.box_size_histogram()
        lines = [f"{s['images']:,} images, {s['boxes']:,} boxes"] + [f"  {c:<12} {k:>6} boxes" for c, k in
                                                                      s["boxes_per_class"].items()]
        return _emit(args, s, "\n".join(lines))
    if cmd == "train":
        return _train(args)
    if cmd == "predict":
        from workbench.core.studies.detection.live import detect_paths
        from workbench.core.studies.detection.model import Detector

        det = Detector.load(args.model)
        rows, skipped = detect_paths(det, args.paths, args.conf)
        text = "\n".join(f"{r['path']}: " + (", ".join(f"{d['class']} {d['score']:.2f}" for d in r["detections"]) or "nothing")
                         for r in rows)
        _emit(args, {"results": rows, "skipped": skipped}, text)
        return 0 if rows else 2
    if cmd == "segment":
        from workbench.core.studies.detection.segment import train_segmenter

        store = _store(args.project)
        out = train_segmenter(_scenes(args), size=args.input_size, width=args.width, epochs=args.epochs, lr=args.lr,
                              dice_weight=args.dice, balanced=not args.unweighted, threads=args.threads, run_store=store)
        s = out.summary()
        text = (f"held-out test scenes ({len(out.test_idx)}): mean IoU {out.mean_iou:.3f}, mean Dice {out.mean_dice:.3f} "
                f"over the object classes (all-background baseline: mean IoU {out.baseline['mean_iou']:.3f}); "
                f"{len(out.fit.history)} epochs, best validation epoch {out.fit.best_epoch}, {out.train_time:.0f} s\n"
                + "\n".join(f"  {r['class']:<12} IoU {r['iou'] or 0:.3f}  Dice {r['dice'] or 0:.3f}" for r in out.per_class))
        return _emit(args, s, text)
    if cmd == "live":
        from workbench.core.capture.camera import open_camera
        from workbench.core.studies.detection.live import LiveDetector
        from workbench.core.studies.detection.model import Detector

        det = Detector.load(args.model)
        if args.source == "synthetic:scenes":
            from workbench.core.studies.detection.live import scene_source

            # endless while --frames counts the readings (a frame dropped under load must not end the
            # run early); with --frames 0, 300 frames are "the end"
            src = scene_source(n_frames=None if args.frames else 300)
        else:
            src = open_camera(args.source)
        live = LiveDetector(det, src, conf_threshold=args.conf, pace=not args.source.startswith("camera"), draw=False)
        readings = live.run(max_frames=args.frames or None)
        if not args.json:
            for r in readings:
                print(f"frame {r.frame_no:>5}: {len(r.detections['boxes'])} objects, {r.fps:5.1f} fps, "
                      f"dropped {r.dropped}")
        fps = readings[-1].fps if readings else 0.0
        return _emit(args, {"frames": len(readings), "fps": fps,
                            "objects": [int(len(r.detections["boxes"])) for r in readings]},
                     f"{len(readings)} frames at {fps:.1f} fps")
    raise SystemExit(f"unknown detect command {cmd!r}")


def _store(project):
    if not project:
        return None
    from workbench.core.runs import RunStore

    return RunStore(project)


def _train(args) -> int:
    from workbench.core.studies.detection.model import train_detector
    from workbench.core.training import ProgressBar

    if args.data:
        from workbench.core.studies.detection.formats import load_detection

        ds = load_detection(args.data)
        if ds.skipped:
            print(f"skipped {len(ds.skipped)} file(s), e.g. {ds.skipped[0][0]}: {ds.skipped[0][1]}", file=sys.stderr)
    else:
        ds = _scenes(args)
    out = train_detector(ds, backbone=args.backbone, output=args.output, size=args.input_size, S=args.grid,
                         B=args.boxes, lambda_coord=args.lambda_coord, lambda_noobj=args.lambda_noobj,
                         sqrt_wh=not args.no_sqrt, epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                         seed=args.seed, threads=args.threads, run_store=_store(args.project),
                         callbacks=[] if args.json else [ProgressBar()])
    if args.out:
        out.detector.save(args.out)
    s = out.summary()
    s["saved"] = args.out
    s["history"] = [{k: v for k, v in h.items() if k.startswith(("loss_", "val_loss_", "val_map"))} for h in out.fit.history]
    text = [f"test mAP@0.5 {out.test['map50']:.3f}, mAP@[0.5:0.95] {out.test['map']:.3f} on {len(out.test_idx)} held-out "
            f"images (baseline {out.baseline['map50']:.3f} / {out.baseline['map']:.3f}); {len(out.fit.history)} epochs "
            f"in {out.train_time:.0f} s"]
    text += [f"  {r['class']:<12} AP@0.5 {r['ap50']:.3f}  AP {r['ap']:.3f}  ({r['n_true']} boxes)" for r in out.test["per_class"]]
    last = out.fit.history[-1] if out.fit.history else {}
    text.append("  last epoch loss terms: " + ", ".join(f"{k[5:]} {last[k]:.3f}" for k in last if k.startswith("loss_")))
    if out.run_id:
        text.append(f"run {out.run_id} stored in {args.project}")
    return _emit(args, json.loads(json.dumps(s, default=float)), "\n".join(text))


def main(argv=None) -> int:
    from workbench.cli import main as cli_main

    return cli_main([NAME, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
