"""Detection benchmarks on CPU, each beside the plainest loop doing the same work.

    python benchmarks/detection.py                 # live detection at 640x480 (target >= 10 fps on 2 cores)
    python benchmarks/detection.py --train         # + time to a validation mAP@0.5 target on generated scenes,
                                                   #   test mAP beside the baseline, real photos
    python benchmarks/detection.py --train --save DIR   # keep the trained detector (README screenshots)
    python benchmarks/detection.py --segment       # the U-Net with the Segment tab's defaults: held-out mean
                                                   #   IoU per class beside the all-background / per-pixel
                                                   #   majority baselines, validation IoU per epoch

Ratios are ours / plain loop (frames or samples per second; > 1 means faster than the plain loop).
The load average is printed with the figures: other work on the machine slows everything.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def bench_live(det, frames: int = 150, threads: int = 1) -> dict:
    """LiveDetector (grabber thread at the camera's 30 fps, newest frame wins, boxes drawn) on a
    640x480 synthetic camera, against a plain loop: read a frame, detect, draw, as fast as it goes.
    One torch thread: the second core reads the camera (two torch threads fighting the grabber
    for two cores were twice as slow per frame)."""
    import torch

    from workbench.core.studies.detection.draw import draw_detections
    from workbench.core.studies.detection.live import LiveDetector, scene_source

    scene_source((640, 480), n_frames=1).open().read()  # warm the caches (digit glyphs, photos)
    det.predict([np.zeros((480, 640, 3), np.uint8)])
    live = LiveDetector(det, scene_source((640, 480), n_frames=None), conf_threshold=0.3, torch_threads=threads,
                        pace=True)
    t = time.perf_counter()
    res = live.run(max_frames=frames)
    t_paced = time.perf_counter() - t
    lat = float(np.median([r.latency_ms for r in res]))
    live = LiveDetector(det, scene_source((640, 480), n_frames=None), conf_threshold=0.3, torch_threads=threads)
    t = time.perf_counter()
    fast = live.run(max_frames=frames)
    t_ours = time.perf_counter() - t
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    src = scene_source((640, 480), n_frames=None).open()
    t = time.perf_counter()
    n = 0
    for _ in range(frames):
        frame = src.read()
        draw_detections(frame, det.predict([frame], 0.3)[0], det.class_names)
        n += 1
    t_plain = time.perf_counter() - t
    torch.set_num_threads(before)
    return {"what": f"live detection at 640x480 (camera paced at 30 fps), {det.backbone_name}, {threads} torch "
                    f"thread(s)", "frames": len(res),
            "fps_with_30fps_camera": len(res) / t_paced, "median_latency_ms": lat,
            "dropped_with_30fps_camera": res[-1].dropped if res else 0,
            "fps_unpaced": len(fast) / t_ours, "plain_fps": n / t_plain, "ratio": (len(fast) / t_ours) / (n / t_plain)}


def bench_train(n: int, epochs: int, target: float, backbone: str, threads: int) -> tuple[dict, object, object]:
    """Train on generated scenes; seconds until the validation mAP@0.5 first reaches ``target``;
    test mAP (held out, used once) beside the mean-box baseline."""
    from workbench.core.studies.detection.model import train_detector
    from workbench.core.studies.detection.scenes import generate_scenes
    from workbench.core.training.callbacks import Callback

    class Clock(Callback):
        def __init__(self):
            self.rows, self.t0 = [], None

        def on_fit_start(self, trainer):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, trainer, epoch, logs):
            self.rows.append((epoch, time.perf_counter() - self.t0, logs.get("val_map50")))
            print(f"  epoch {epoch:>3}  {self.rows[-1][1]:7.1f} s  val mAP@0.5 {logs.get('val_map50', 0):.3f}  "
                  + "  ".join(f"{k[5:]} {v:.3f}" for k, v in logs.items() if k.startswith("loss_")), flush=True)

    ds = generate_scenes(n, 96, seed=0)
    clock = Clock()
    out = train_detector(ds, backbone=backbone, epochs=epochs, callbacks=[clock], threads=threads, seed=0)
    reached = next(((e, s) for e, s, m in clock.rows if m is not None and m >= target), None)
    return ({"what": f"train {backbone} on {n} generated scenes ({len(out.train_idx)} train x2 flipped, "
                     f"{len(out.val_idx)} val, {len(out.test_idx)} test)", "epochs": len(clock.rows),
             "target_val_map50": target, "epochs_to_target": reached[0] if reached else None,
             "seconds_to_target": reached[1] if reached else None, "train_seconds": out.train_time,
             "best_epoch": out.fit.best_epoch, "test_map50": out.test["map50"], "test_map": out.test["map"],
             "baseline_map50": out.baseline["map50"], "baseline_map": out.baseline["map"],
             "per_class_ap50": {r["class"]: r["ap50"] for r in out.test["per_class"]}}, out, ds)


def bench_plain_epoch(out, threads: int) -> dict:
    """Samples per second of our Trainer (with the five terms logged) against a bare PyTorch loop
    doing one epoch of the same network, loss and batch size."""
    import torch

    from workbench.core.studies.detection.loss import encode_targets
    from workbench.core.studies.detection.model import Detector
    from workbench.core.training import TrainConfig, Trainer

    torch.set_num_threads(threads)
    det = Detector.create(out.detector.class_names, size=out.detector.size, S=out.detector.config.S)
    rng = np.random.default_rng(0)
    X = rng.random((1024, 3, det.size, det.size), dtype=np.float32)
    T, _ = encode_targets([[[10, 10, 40, 40]]] * 1024, [[0]] * 1024, [(det.size, det.size)] * 1024, det.config)
    torch.optim.Adam(torch.nn.Linear(1, 1).parameters())  # the first optimizer imports torch._dynamo: not training
    t = time.perf_counter()
    Trainer().fit(det.net, det.head, train=(X, T), config=TrainConfig(epochs=1, batch_size=32, seed=0))
    t_ours = time.perf_counter() - t
    det = Detector.create(out.detector.class_names, size=out.detector.size, S=out.detector.config.S)
    opt = torch.optim.Adam(det.net.parameters(), lr=2e-3)
    Xt, Tt = torch.from_numpy(X), torch.from_numpy(T)
    det.net.train()
    t = time.perf_counter()
    for i in range(0, 1024, 32):
        loss = det.head.loss(det.net(Xt[i:i + 32]), Tt[i:i + 32])
        opt.zero_grad()
        loss.backward()
        opt.step()
    t_plain = time.perf_counter() - t
    return {"what": "one training epoch, 1024 samples", "ours_per_s": 1024 / t_ours, "plain_per_s": 1024 / t_plain,
            "ratio": t_plain / t_ours}


def bench_real(det, ds_test_sizes=96) -> dict:
    """Real photos: (a) the six offline photos with generated objects pasted in (mAP@0.5 on them),
    (b) the photos as they are, which hold none of the four classes (detections per photo)."""
    from workbench.core.studies.detection.evaluate import coco_evaluate
    from workbench.core.studies.detection.scenes import PHOTOS, _photo, paste_objects

    rng = np.random.default_rng(123)
    gt_b, gt_l, images = [], [], []
    photos = [(p, _photo(p)) for p in PHOTOS if _photo(p) is not None]
    for _, ph in photos:
        for _ in range(10):
            im, b, lab, _m = paste_objects(ph, rng, n=int(rng.integers(1, 4)))
            images.append(im)
            gt_b.append(b)
            gt_l.append(lab)
    preds = det.predict(images, 0.01)
    pasted = coco_evaluate(gt_b, gt_l, preds, det.class_names, [(96, 96)] * len(images))
    import cv2

    plain = [cv2.resize(ph[: min(ph.shape[:2]), : min(ph.shape[:2])], (96, 96), interpolation=cv2.INTER_AREA)
             for _, ph in photos]
    found = det.predict(plain, 0.3)
    return {"pasted_images": len(images), "pasted_map50": pasted["map50"], "pasted_map": pasted["map"],
            "photos_without_objects": {name: [det.class_names[int(c)] + f" {s:.2f}" for c, s in zip(f["labels"], f["scores"])]
                                       for (name, _), f in zip(photos, found)}}


def bench_segment(n: int, epochs: int | None, threads: int) -> dict:
    """The U-Net as the Segment tab and `workbench detect segment` train it (their defaults) on
    ``n`` generated 96 px scenes: validation mean IoU per epoch (what the epoch count was chosen
    on), held-out test IoU / Dice per class at the scenes' own size, and two trivial baselines:
    every pixel background, and each pixel position's most common class in the training masks."""
    from workbench.core.studies.detection import SEGMENT_DEFAULTS
    from workbench.core.studies.detection.data import split_indices
    from workbench.core.studies.detection.scenes import generate_scenes
    from workbench.core.studies.detection.segment import _mean, iou_dice_per_class, train_segmenter
    from workbench.core.training.callbacks import Callback

    class Clock(Callback):
        def __init__(self):
            self.t0 = None

        def on_fit_start(self, trainer):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, trainer, epoch, logs):
            print(f"  epoch {epoch:>3}  {time.perf_counter() - self.t0:7.1f} s  val mean IoU "
                  f"{logs.get('val_mean_iou', 0):.3f}  val loss {logs.get('val_loss', 0):.4f}  load "
                  f"{os.getloadavg()[0]:.1f}", flush=True)

    t = time.perf_counter()
    ds = generate_scenes(n, 96, seed=0)
    t_gen = time.perf_counter() - t
    cpu0 = time.process_time()
    split = split_indices(len(ds), 0.15, 0.15, 0)
    kw = {} if epochs is None else {"epochs": epochs}
    out = train_segmenter(ds, callbacks=[Clock()], threads=threads, split=split, **kw)
    cpu = time.process_time() - cpu0  # CPU seconds of this process: what the machine's other load does not inflate
    tr, _, te = split
    names = out.class_names
    counts = np.zeros((96, 96, len(names)), np.int64)  # per-pixel-position majority of the training masks
    for i in tr:
        counts[np.arange(96)[:, None], np.arange(96)[None, :], ds.masks[i].astype(np.int64)] += 1
    majority = counts.argmax(-1).astype(np.uint8)
    true = [ds.masks[i] for i in te]
    maj_rows = iou_dice_per_class([majority] * len(te), true, names)
    return {"what": f"U-Net on {n} generated 96 px scenes ({len(tr)} train, {len(split[1])} val, {len(te)} test), "
                    f"defaults {SEGMENT_DEFAULTS}, {threads} torch thread(s); scored at 96 px",
            "epochs": len(out.fit.history), "best_epoch_by_val_loss": out.fit.best_epoch,
            "val_mean_iou_per_epoch": [round(h.get("val_mean_iou", float("nan")), 4) for h in out.fit.history],
            "generate_seconds": t_gen, "train_seconds": out.train_time, "train_and_test_cpu_seconds": cpu,
            "test_mean_iou": out.mean_iou, "test_mean_dice": out.mean_dice,
            "test_per_class": {r["class"]: {"iou": r["iou"], "dice": r["dice"], "pixels": r["pixels"]}
                               for r in out.per_class},
            "baseline_all_background_mean_iou": out.baseline["mean_iou"],
            "baseline_all_background_background_iou": out.baseline["background_iou"],
            "baseline_pixel_majority_mean_iou": _mean(maj_rows, "iou"),
            "baseline_pixel_majority_classes": sorted({names[int(c)] for c in np.unique(majority)})}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--epochs", type=int, default=20)
    ap.add_argument("--target", type=float, default=0.5, help="validation mAP@0.5 to reach")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save", default=None)
    ap.add_argument("--overhead-only", action="store_true", help="only the Trainer-vs-plain-loop epoch")
    ap.add_argument("--segment", action="store_true", help="only the U-Net segmentation figures")
    ap.add_argument("--seg-n", type=int, default=2000, help="scenes for --segment (the Data tab's default)")
    ap.add_argument("--seg-epochs", type=int, default=None, help="epochs for --segment (default: the tab's)")
    args = ap.parse_args()
    from workbench.core.studies.detection.model import Detector

    report = {"load_before": os.getloadavg(), "cpu_count": os.cpu_count()}
    if args.segment:
        report["segment"] = bench_segment(args.seg_n, args.seg_epochs, args.threads)
        report["load_after"] = os.getloadavg()
        print(json.dumps(report, indent=2, default=float))
        return 0
    if args.overhead_only:
        report["trainer_overhead"] = bench_plain_epoch(type("O", (), {"detector": Detector.create(
            ["circle", "square", "triangle", "digit"])})(), args.threads)
        report["load_after"] = os.getloadavg()
        print(json.dumps(report, indent=2, default=float))
        return 0
    if args.train:
        r, out, _ = bench_train(args.n, args.epochs, args.target, "small-cnn", args.threads)
        report["train"] = r
        det = out.detector
        if args.save:
            det.save(args.save)
        report["trainer_overhead"] = bench_plain_epoch(out, args.threads)
        report["real_photos"] = bench_real(det)
    else:
        det = Detector.load(args.save) if args.save and Path(args.save, "model.json").exists() else \
            Detector.create(["circle", "square", "triangle", "digit"])
    report["live_small"] = bench_live(det)
    report["live_mobilenet"] = bench_live(Detector.create(det.class_names, backbone="mobilenet_v2"))
    report["load_after"] = os.getloadavg()
    print(json.dumps(report, indent=2, default=float))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
