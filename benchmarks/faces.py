"""Faces benchmarks on CPU: live speed, detection recall on real photos, verification on real faces.

    python benchmarks/faces.py                 # all three parts
    python benchmarks/faces.py --only live     # live, recall, verification (comma list)
    python benchmarks/faces.py --threads 2 --frames 200 --json

live (640x480 MJPG video of three real faces drifting, read like a webcam, every frame processed):
  decode only                 reading frames from the file (the floor)
  detect: D                   + detector D on the downscaled frame (D = haar, hog)
  live: D + E                 the panel's live setting: detector D, 5-point alignment, encoder E,
                              tracks keep names, at most one face embedded per frame, refresh every 15
  reference: hog every frame, embed all faces every frame (what a plain loop would do)
  goal: >= 15 fps with the default detector (hog) and the default encoder (dlib) on 2 cores
recall (true boxes known): the astronaut; all 100 LFW-subset faces pasted into real photos; a
  collage of 12 real faces (40-180 px, half tilted up to 25 degrees) on a real photo; false
  positives on the 100 LFW non-face crops. Detectors on the photo settings the CLI and panel use.
verification (real faces, no labelled identities ship offline): each LFW face and the astronaut
  is one person, its shots the photo and augmentations of it; people split 60/20/20 into train /
  validation / test people; the threshold (and the own encoder's epoch) chosen on validation
  people; AUC, EER and accuracy on the 20 test people. The own encoder is trained on the train
  people only, from scratch and from ImageNet MobileNetV2.
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


def _video(path: Path, n: int):
    from workbench.core.studies.faces.realfaces import lfw_crops
    from workbench.core.studies.faces.synth import face_video_frames, write_video

    faces = lfw_crops()
    people = [faces[30], faces[31], faces[32]]
    write_video(path, face_video_frames(people, n, (640, 480), face_px=150), fps=30)
    return people


def _gallery(encoder, people, root: Path):
    from workbench.core.studies.faces.align import make_finder
    from workbench.core.studies.faces.gallery import Gallery
    from workbench.core.studies.faces.synth import augment_photo, scene_with_face

    rng = np.random.default_rng(0)
    g = Gallery(root)
    finder = make_finder("haar")
    for name, f in zip(("ann", "bob"), people[:2]):
        g.enroll_frames(name, [scene_with_face(augment_photo(f, rng, 64, 0.2), face_px=150) for _ in range(3)],
                        finder, encoder, min_sharpness=0)
    return g


def live(args) -> list[dict]:
    from workbench.core.capture.camera import VideoFileSource
    from workbench.core.studies.faces.align import make_finder
    from workbench.core.studies.faces.detect import LIVE_DETECT_EVERY, detector_status, make_detector
    from workbench.core.studies.faces.dlib_encoder import dlib_available
    from workbench.core.studies.faces.pipeline import FacePipeline

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        video = tmp / "faces.avi"
        people = _video(video, args.frames)

        def loop(label, step):
            n = faces = 0
            t, c = time.perf_counter(), time.process_time()
            with VideoFileSource(video) as src:
                while n < args.frames:
                    f = src.read()
                    if f is None:
                        break
                    faces += step(f)
                    n += 1
            dt, cpu = time.perf_counter() - t, time.process_time() - c
            rows.append({"mode": label, "frames": n, "fps": n / dt, "ms_per_frame": 1000 * dt / n,
                         "cpu_ms_per_frame": 1000 * cpu / n, "faces_per_frame": faces / n})
            print(json.dumps(rows[-1]), file=sys.stderr)

        loop("decode only", lambda f: 0)
        kinds = [k for k in ("haar", "hog") if not detector_status()[k]]
        for k in kinds:
            d = make_detector(k, "live")
            loop(f"detect: {k}", lambda f, d=d: len(d.detect(f)))
        encoders = []
        if dlib_available():
            from workbench.core.studies.faces.dlib_encoder import DlibEncoder

            encoders.append(DlibEncoder())
        from workbench.core.studies.faces.encoder import EncoderConfig, train_encoder
        from workbench.core.studies.faces.synth import photo_people

        X, y, _ = photo_people(12, 3, seed=0, size=64)  # speed does not depend on how well it is trained
        encoders.append(train_encoder(X, y, EncoderConfig(epochs=1))[0])
        for enc in encoders:
            g = _gallery(enc, people, tmp / enc.name)
            for k in kinds:
                pipe = FacePipeline.from_gallery(enc, g, detector=make_finder(k, purpose="live"), refresh_every=15,
                                                 max_embeds=1, detect_every=LIVE_DETECT_EVERY[k])
                loop(f"live: {k} + {enc.name}", lambda f, p=pipe: len(p.process(f).faces))
            if enc.name == "dlib" and "hog" in kinds:
                pipe = FacePipeline.from_gallery(enc, g, detector=make_finder("hog", purpose="live"), refresh_every=1)
                loop("reference: hog + dlib, embed every face every frame", lambda f, p=pipe: len(p.process(f).faces))
    return rows


def recall(args) -> list[dict]:
    from workbench.core.studies.faces.detect import detector_status, make_detector
    from workbench.core.studies.faces.realfaces import astronaut_case, collage, detection_recall, lfw_scenes

    sets = {"astronaut": [astronaut_case()], "LFW subset in real photos (100)": lfw_scenes(),
            "collage of 12 real faces": [collage()]}
    nonfaces = lfw_scenes(faces=False)
    out = []
    for k in ("haar", "hog", "cnn"):
        if detector_status()[k]:
            continue
        det = make_detector(k, "photo")
        for name, cases in sets.items():
            if k == "cnn" and name.startswith("LFW") and not args.full_cnn:
                cases = cases[::5]  # seconds per photo: every 5th of the 100
                name = "LFW subset in real photos (every 5th: 20)"
            r = detection_recall(det, cases, name).to_dict()
            r["detector"] = k
            r["seconds_per_photo"] = r["seconds"] / len(cases)
            out.append(r)
            print(json.dumps(r), file=sys.stderr)
        fp = detection_recall(det, nonfaces if k != "cnn" else nonfaces[::5], "non-face LFW crops")
        out.append({"detector": k, "set": "non-face LFW crops", "false_positives": fp.false_positives,
                    "photos": len(nonfaces) if k != "cnn" else 20})
        print(json.dumps(out[-1]), file=sys.stderr)
    return out


def verification(args) -> list[dict]:
    from workbench.core.studies.faces.dlib_encoder import dlib_available
    from workbench.core.studies.faces.encoder import EncoderConfig
    from workbench.core.studies.faces.protocol import evaluate_split, split_people, train_and_evaluate
    from workbench.core.studies.faces.realfaces import real_identities

    data = real_identities(shots=args.shots, seed=0)
    split = split_people(data, seed=0)  # the same test people for every encoder
    out = []

    def row(label, rep, **kw):
        s = rep.summary()
        out.append({"encoder": label, "auc": s["auc"], "eer": s["eer"], "accuracy": s["accuracy"],
                    "threshold": s["threshold"], "far": s["false_accept_rate"], "frr": s["false_reject_rate"],
                    "measured_on": s["measured_on"], "threshold_chosen_on": s["threshold_chosen_on"],
                    "pairs_same": s["pairs_same"], "pairs_different": s["pairs_different"], **kw})
        print(json.dumps(out[-1]), file=sys.stderr)

    if dlib_available() and "dlib" in args.encoders.split(","):
        from workbench.core.studies.faces.dlib_encoder import DlibEncoder

        t = time.perf_counter()
        row("dlib ResNet (pretrained)", evaluate_split(DlibEncoder(), data, split), seconds=time.perf_counter() - t)
    for backbone in args.encoders.split(","):
        if backbone == "dlib":
            continue
        size, epochs = (64, args.epochs) if backbone == "scratch" else (args.mobilenet_size, args.mobilenet_epochs)
        cfg = EncoderConfig(epochs=epochs, image_size=size, backbone=backbone, seed=0)
        t = time.perf_counter()
        res = train_and_evaluate(data, cfg, split)
        row(f"own ({backbone}, {size} px, {epochs} epochs)", res.report, epochs_run=res.fit.epochs_run,
            best_epoch=res.fit.best_epoch,
            train_seconds=time.perf_counter() - t, trained_on=split.describe("train"))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", default="live,recall,verification")
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    ap.add_argument("--shots", type=int, default=6, help="shots per real face for verification")
    ap.add_argument("--epochs", type=int, default=15)
    ap.add_argument("--encoders", default="dlib,scratch,mobilenet_v2", help="which encoders to verify")
    ap.add_argument("--mobilenet-size", type=int, default=64, help="face size for the MobileNetV2 encoder")
    ap.add_argument("--mobilenet-epochs", type=int, default=8)
    ap.add_argument("--full-cnn", action="store_true", help="run the CNN detector on all 100 LFW photos")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    parts = args.only.split(",")
    result = {"torch_threads": torch.get_num_threads(), "load_before": os.getloadavg()}
    if "live" in parts:
        result["live"] = live(args)
    if "recall" in parts:
        result["recall"] = recall(args)
    if "verification" in parts:
        result["verification"] = verification(args)
    result["load_after"] = os.getloadavg()
    if args.json:
        print(json.dumps(result, indent=2, default=float))
        return 0
    print(f"load average before {result['load_before']}, after {result['load_after']}")
    for r in result.get("live", []):
        print(f"{r['mode']:55s} {r['fps']:7.1f} fps {r['cpu_ms_per_frame']:7.1f} CPU-ms/frame "
              f"{r['faces_per_frame']:5.2f} faces")
    ref = [r for r in result.get("live", []) if r["mode"].startswith("reference")]
    default = [r for r in result.get("live", []) if r["mode"] == "live: hog + dlib"]
    if default:
        ok = "meets" if default[0]["fps"] >= 15 else "MISSES"
        ratio = f", {default[0]['fps'] / ref[0]['fps']:.1f}x the plain loop" if ref else ""
        print(f"live with the defaults (hog + dlib): {default[0]['fps']:.1f} fps, {ok} the 15 fps goal{ratio}")
    for r in result.get("recall", []):
        if "recall" in r:
            print(f"recall {r['detector']:5s} {r['set']:45s} {r['found']:3d}/{r['faces']:3d} = {r['recall']:.2f} "
                  f"({r['false_positives']} false positives, {r['seconds_per_photo']:.2f} s/photo)")
        else:
            print(f"false positives {r['detector']:5s} on {r['photos']} non-face LFW crops: {r['false_positives']}")
    for r in result.get("verification", []):
        print(f"verify {r['encoder']:26s} AUC {r['auc']:.3f} EER {r['eer']:.3f} accuracy {r['accuracy']:.3f} at "
              f"threshold {r['threshold']:.3f} (FAR {r['far']:.3f}, FRR {r['frr']:.3f}); {r['measured_on']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
