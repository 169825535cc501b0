"""``workbench faces``: detect, enroll, train an encoder, evaluate, verify, identify, cluster.

    workbench faces detect IMAGE... [--detector hog|haar|cnn]
    workbench faces enroll NAME --project DIR (--folder PHOTOS | --source camera:0 [--shots 8])
    workbench faces enroll --people ROOT --project DIR          (one subfolder per person)
    workbench faces train-encoder --project DIR [--data lfw|gallery+lfw|gallery|ROOT|generated]
                                  [--backbone scratch|mobilenet_v2 --epochs 20 --mining semi-hard ...]
    workbench faces evaluate --project DIR [--data lfw|gallery|ROOT|generated] [--encoder dlib|own]
    workbench faces verify NAME IMAGE --project DIR [--encoder dlib|own] [--threshold T]
    workbench faces identify PATH... --project DIR [--encoder dlib|own] [--threshold T] [--source SRC --frames N]
    workbench faces cluster FOLDER [--k K] --project DIR [--encoder dlib|own] [--out DIR]
    workbench faces generate OUT [--people 20 --shots 8 --kind drawn|photo]

The encoder is dlib's pretrained ResNet where dlib is installed, else the own one; the detector
dlib's HOG (else the Haar cascade). Training and evaluation split people three ways: the epoch and
the threshold are chosen on validation people, the figures are measured on test people. Every
command takes ``--json`` and then prints one JSON object last, with at least "command",
"decision", "distance", "threshold", "encoder" and "boxes" (null / [] where they do not apply).
Errors a user can cause print ``error: ...`` and exit with status 2; a rejected ``verify`` exits 1.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from workbench.core.errors import DataError
from workbench.core import params as P

NAME = "faces"
COMMANDS = ("detect", "enroll", "train-encoder", "evaluate", "verify", "identify", "cluster", "generate")


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="Case study Faces: detect, enroll, train an encoder, verify, identify, cluster.",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="faces_cmd", metavar="{" + ",".join(COMMANDS) + "}")
    sub.required = True

    def common(q, project=True, detector=True):
        if project:
            q.add_argument("--project", default=".", help="project folder holding the gallery and encoder (default .)")
        if detector:
            q.add_argument("--detector", default=None, choices=["hog", "haar", "cnn"],
                           help="face detector (default: hog where dlib is installed, else haar)")
        q.add_argument("--json", action="store_true", help="print one JSON object last")

    def encoder(q, threshold=True):
        q.add_argument("--encoder", default=None, choices=["dlib", "own"],
                       help="dlib (pretrained; the default where installed) or own (trained in this project)")
        if threshold:
            q.add_argument("--threshold", type=P.param(P.DISTANCE, label="threshold").arg_type, default=None, help="distance threshold (default: the encoder's)")

    def data(q, default):
        q.add_argument("--data", default=default,
                       help="lfw (real offline faces), gallery, gallery+lfw, generated, or a folder with one "
                            f"subfolder per person (default {default})")
        q.add_argument("--people", type=P.param(P.PEOPLE, label="people").arg_type, default=40, help="generated people (with --data generated)")
        q.add_argument("--shots", type=P.param(P.SHOTS, label="shots").arg_type, default=6, help="shots per person for lfw / generated")
        q.add_argument("--seed", type=P.SEED.arg_type, default=0)

    d = sub.add_parser("detect", help="find the faces in photos")
    d.add_argument("images", nargs="+")
    common(d, project=False)

    e = sub.add_parser("enroll", help="add a person (folder of photos or a camera burst) or a folder of people")
    e.add_argument("name", nargs="?", default=None)
    e.add_argument("--folder", default=None, help="photos of this person")
    e.add_argument("--people", default=None, help="a folder with one subfolder per person")
    e.add_argument("--source", default=None, help="camera:0, a video file or an image folder")
    e.add_argument("--shots", type=P.param(P.SHOTS, label="shots").arg_type, default=8, help="frames to take from --source")
    e.add_argument("--min-sharpness", type=P.param(P.NONNEG_REAL, label="min sharpness").arg_type, default=30.0, help="reject crops blurrier than this")
    e.add_argument("--no-embed", action="store_true", help="store the photos only")
    common(e)
    encoder(e, threshold=False)

    t = sub.add_parser("train-encoder", help="train the own CNN encoder with the triplet loss")
    common(t)
    data(t, "gallery+lfw")
    t.add_argument("--backbone", default="scratch", choices=["scratch", "mobilenet_v2"],
                   help="start from scratch or from the ImageNet MobileNetV2")
    t.add_argument("--epochs", type=P.EPOCHS.arg_type, default=20)
    t.add_argument("--batch-size", type=P.BATCH_SIZE.arg_type, default=64)
    t.add_argument("--lr", type=P.LR.arg_type, default=2e-3)
    t.add_argument("--mining", default="semi-hard", choices=["random", "semi-hard", "hard"])
    t.add_argument("--margin", type=P.param(P.WEIGHT, label="margin").arg_type, default=0.2)
    t.add_argument("--dim", type=P.EMBEDDING_DIM.arg_type, default=64, help="embedding size")
    t.add_argument("--image-size", type=P.param(P.IMAGE_SIDE, 'image_size', high=512).arg_type, default=64)

    v = sub.add_parser("evaluate", help="ROC, EER, accuracy on test people at a threshold chosen on validation people")
    common(v)
    data(v, "lfw")
    encoder(v, threshold=False)

    vf = sub.add_parser("verify", help="is the face in IMAGE the person NAME?")
    vf.add_argument("name")
    vf.add_argument("image")
    common(vf)
    encoder(vf)

    i = sub.add_parser("identify", help="name the faces in images (or frames of --source)")
    i.add_argument("paths", nargs="*")
    i.add_argument("--source", default=None, help="camera:0, a video file or an image folder")
    i.add_argument("--frames", type=P.param(P.FRAMES, label="frames").arg_type, default=50)
    common(i)
    encoder(i)

    c = sub.add_parser("cluster", help="group the faces in a folder of photos with K-Means")
    c.add_argument("folder")
    c.add_argument("--k", type=P.param(P.CLUSTERS, label="k").arg_type, default=None, help="number of groups (default: best silhouette)")
    c.add_argument("--k-max", type=P.param(P.CLUSTERS, label="k max").arg_type, default=10)
    c.add_argument("--out", default=None, help="write each group's chips to OUT/group_N/")
    common(c)
    encoder(c, threshold=False)

    g = sub.add_parser("generate", help="write generated people, one folder each (demos, tests)")
    g.add_argument("out")
    g.add_argument("--people", type=P.param(P.PEOPLE, label="people").arg_type, default=20)
    g.add_argument("--shots", type=P.param(P.SHOTS, label="shots").arg_type, default=8)
    g.add_argument("--size", type=P.param(P.IMAGE_SIDE, high=1024).arg_type, default=128, help="face size in pixels")
    g.add_argument("--crops", action="store_true", help="write bare face crops instead of 320x240+ scenes")
    g.add_argument("--kind", default="drawn", choices=["drawn", "photo"])
    g.add_argument("--seed", type=P.SEED.arg_type, default=0)
    common(g, project=False, detector=False)
    p.set_defaults(func=run)  # errors are reported by workbench.cli.main
    return p


# ---- helpers -----------------------------------------------------------------------------------

def _result(command: str, **kw) -> dict:
    """The JSON object every command prints last (the common keys first)."""
    out = {"command": command, "decision": None, "distance": None, "threshold": None, "encoder": None, "boxes": []}
    out.update(kw)
    return out


def _finish(args, obj: dict, lines: list[str] = (), code: int = 0) -> int:
    if getattr(args, "json", False):
        from workbench.core.jsonio import to_json

        print(to_json(obj))
    else:
        for line in lines:
            print(line)
    return code


def _say(args, text: str) -> None:
    """Progress and notes: stderr, so stdout stays one JSON object with --json."""
    print(text, file=sys.stderr)


def _progress(label):
    last = [0.0]

    def cb(done, total, *_):
        now = time.monotonic()
        if done == total or now - last[0] > 0.5:
            last[0] = now
            print(f"\r{label} {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)

    return cb


def _finder(args, purpose="photo"):
    from workbench.core.studies.faces.align import make_finder

    return make_finder(getattr(args, "detector", None), purpose=purpose)


def _load_encoder(kind, project: str):
    from workbench.core.studies.faces.encoder import encoder_factory
    from workbench.core.studies.faces.workflow import encoder_dir

    return encoder_factory(kind, encoder_dir(project))()


def _boxes(boxes) -> list[list[int]]:
    return [list(b.to_tuple()) for b in boxes]


def run(args) -> int:
    from workbench.core.errors import WorkbenchError

    try:
        return _COMMANDS[args.faces_cmd](args)
    except WorkbenchError as e:
        if getattr(args, "json", False):  # the one JSON object still comes last; the CLI adds "error:" on stderr
            _finish(args, _result(args.faces_cmd, error=str(e)))
        raise


def _commands():
    return {"detect": _detect, "enroll": _enroll, "train-encoder": _train, "evaluate": _evaluate,
            "verify": _verify, "identify": _identify, "cluster": _cluster, "generate": _generate}


# ---- commands ------------------------------------------------------------------------------------

def _detect(args) -> int:
    from workbench.core.studies.faces.detect import make_detector, read_image

    det = make_detector(args.detector, purpose="photo")
    rows, lines = [], []
    for f in args.images:
        t = time.perf_counter()
        boxes = det.detect(read_image(f))
        rows.append({"file": str(f), "boxes": _boxes(boxes), "seconds": time.perf_counter() - t})
        lines.append(f"{f}: {len(boxes)} face(s) " + " ".join(f"[{x},{y},{w},{h}]" for x, y, w, h in _boxes(boxes)))
    allb = [b for r in rows for b in r["boxes"]]
    return _finish(args, _result("detect", detector=det.kind, boxes=allb, faces=len(allb), files=rows), lines)


def _enroll(args) -> int:
    from workbench.core.studies.faces.gallery import Gallery

    g = Gallery(args.project)
    finder = _finder(args)
    enc = None if args.no_embed else _load_encoder(args.encoder, args.project)
    if enc is not None and len(g) and g.needs_embedding(enc.key):
        _say(args, f"embedding the gallery with the {enc.name} encoder ...")
        g.reembed(enc)
    if args.people:
        reps = g.import_people(args.people, finder, enc, args.min_sharpness, progress=_progress("people"))
    elif not args.name:
        raise DataError("Give the person's NAME (or --people ROOT for a folder of people).")
    elif args.folder:
        reps = [g.enroll_folder(args.name, args.folder, finder, enc, args.min_sharpness)]
    elif args.source:
        from workbench.core.capture.camera import open_camera

        frames = []
        with open_camera(args.source) as src:
            while len(frames) < args.shots:
                f = src.read()
                if f is None:
                    break
                frames.append(f)
        reps = [g.enroll_frames(args.name, frames, finder, enc, args.min_sharpness)]
    else:
        raise DataError("Say where the photos come from: --folder PHOTOS or --source camera:0.")
    obj = _result("enroll", encoder=enc.name if enc else None, detector=finder.detector.kind, aligned=finder.aligned,
                  people=[{"name": r.name, "accepted": r.accepted, "rejected": [[str(a), b] for a, b in r.rejected]}
                          for r in reps], gallery_people=len(g))
    return _finish(args, obj, [r.sentence() for r in reps])


def _config(args):
    from workbench.core.studies.faces.encoder import EncoderConfig

    return EncoderConfig(embedding_dim=args.dim, image_size=args.image_size, margin=args.margin, mining=args.mining,
                         epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                         backbone=args.backbone)


def _source(args) -> tuple[str, str | None]:
    from workbench.core.studies.faces.workflow import DATA_SOURCES

    return (args.data, None) if args.data in DATA_SOURCES else ("folder", args.data)


def _report_lines(rep) -> list[str]:
    s = rep.summary()
    lines = [rep.sentence()]
    for n in rep.split.notes:
        lines.append("note: " + n)
    lines.append(f"pairs: {s['pairs_same']} same / {s['pairs_different']} different; mean distance same "
                 f"{s['mean_distance_same']:.3f}, different {s['mean_distance_different']:.3f}")
    return lines


def _report_obj(command: str, rep, **kw) -> dict:
    s = rep.summary()
    return _result(command, encoder=rep.encoder, threshold=rep.threshold, evaluation=s, **kw)


def _train(args) -> int:
    from workbench.core.studies.faces.workflow import encoder_dir, train_encoder_on
    from workbench.core.training.callbacks import Callback

    class Printer(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            extra = "".join(f"  {k} {logs[k]:.3f}" for k in ("val_loss", "val_auc", "val_eer") if logs.get(k) is not None)
            print(f"epoch {epoch:3d}  loss {logs['loss']:.4f}{extra}  ({logs['time']:.1f} s)", file=sys.stderr)

    source, folder = _source(args)
    cfg = _config(args)
    _say(args, f"training the own encoder ({cfg.backbone}, {args.mining} mining, margin {args.margin}) on {source}")
    res = train_encoder_on(source, args.project, cfg, folder=folder, shots=args.shots, people=args.people,
                           callbacks=[Printer()])
    fit = {"epochs_run": res.fit.epochs_run, "best_epoch": res.fit.best_epoch, "stop_reason": res.fit.stop_reason,
           "time": res.fit.time}
    if res.report is None:
        return _finish(args, _result("train-encoder", encoder="own", fit=fit, evaluation=None),
                       [res.fit.message, "nothing was saved"])
    obj = _report_obj("train-encoder", res.report, fit=fit, saved_to=str(encoder_dir(args.project)))
    return _finish(args, obj, [res.fit.message, *_report_lines(res.report), f"encoder saved to {encoder_dir(args.project)}"])


def _evaluate(args) -> int:
    from workbench.core.studies.faces.workflow import evaluate_encoder_on

    enc = _load_encoder(args.encoder, args.project)
    source, folder = _source(args)
    rep = evaluate_encoder_on(enc, source, args.project, folder, shots=args.shots, people=args.people, seed=args.seed)
    return _finish(args, _report_obj("evaluate", rep), _report_lines(rep))


def _pipeline(args, gallery):
    from workbench.core.studies.faces.pipeline import FacePipeline

    enc = _load_encoder(args.encoder, args.project)
    if len(gallery) and gallery.needs_embedding(enc.key):
        _say(args, f"embedding the gallery with the {enc.name} encoder ...")
        gallery.reembed(enc)
    return FacePipeline.from_gallery(enc, gallery, args.threshold, detector=_finder(args), refresh_every=1)


def _verify(args) -> int:
    from workbench.core.studies.faces.gallery import Gallery
    from workbench.core.studies.faces.workflow import verify_photo

    g = Gallery(args.project)
    g.person(args.name)  # a clear error before any model loads
    pipe = _pipeline(args, g)
    out = verify_photo(args.image, args.name, g, pipe.encoder, pipe.finder, pipe.threshold)
    r = out["result"]
    if r is None:
        raise DataError(f"No face found in {args.image}; use a photo where the face is clearly visible.")
    obj = _result("verify", decision="accepted" if r.accepted else "rejected", distance=r.distance,
                  threshold=r.threshold, encoder=pipe.encoder.name, boxes=[list(b) for b in out["boxes"]],
                  claimed=args.name, detector=pipe.detector.kind, aligned=pipe.finder.aligned)
    return _finish(args, obj, [r.sentence()], 0 if r.accepted else 1)


def _identify(args) -> int:
    from workbench.core.studies.faces.detect import IMAGE_SUFFIXES, read_image
    from workbench.core.studies.faces.gallery import Gallery

    g = Gallery(args.project)
    if not len(g):
        raise DataError("The gallery is empty; enroll people first (workbench faces enroll).")
    pipe = _pipeline(args, g)
    rows = []
    if args.source:
        from workbench.core.capture.camera import open_camera

        with open_camera(args.source) as src:
            for n in range(args.frames):
                f = src.read()
                if f is None:
                    break
                rows.append({"frame": n, "faces": [_face(x) for x in pipe.process(f).faces]})
    files = []
    for p in map(Path, args.paths):
        files += sorted(q for q in p.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES) if p.is_dir() else [p]
    for f in files:
        pipe.reset()
        rows.append({"file": str(f), "faces": [_face(x) for x in pipe.process(read_image(f)).faces]})
    if not rows:
        raise DataError("Nothing to identify: give image files or folders, or --source.")
    lines = []
    for row in rows:
        where = row.get("file", f"frame {row.get('frame')}")
        lines.append(f"{where}: " + (", ".join(f"{x['name']} ({x['distance']:.2f})" for x in row["faces"]) or "no face"))
    faces = [x for r in rows for x in r["faces"]]
    first = faces[0] if faces else None
    obj = _result("identify", decision=first["name"] if first else None, distance=first["distance"] if first else None,
                  threshold=pipe.threshold, encoder=pipe.encoder.name, boxes=[x["box"] for x in faces],
                  detector=pipe.detector.kind, results=rows)
    return _finish(args, obj, lines)


def _face(x) -> dict:
    import math

    return {"name": x.name, "distance": None if not math.isfinite(x.distance) else x.distance,
            "box": list(x.box.to_tuple())}


def _cluster(args) -> int:
    from workbench.core.jsonio import atomic_write_bytes
    from workbench.core.safety import safe_child
    from workbench.core.studies.faces.detect import write_png
    from workbench.core.studies.faces.workflow import cluster_folder

    enc = _load_encoder(args.encoder, args.project)
    finder = _finder(args)
    crops, origin, res, skipped = cluster_folder(args.folder, enc, k=args.k, k_max=args.k_max, finder=finder,
                                                 progress=_progress("detecting"))
    groups = res.groups()
    if args.out:
        for n, grp in enumerate(groups):
            for i in grp:
                atomic_write_bytes(safe_child(args.out, f"group_{n + 1}", f"{i:05d}.png"), write_png("", crops[i]))
    lines = []
    if res.suggested_k:
        lines.append("silhouette: " + ", ".join(f"k={k} {s:.3f}" for k, s in res.silhouette.items()))
    lines.append(f"{len(crops)} faces in {res.k} groups")
    for n, grp in enumerate(groups):
        lines.append(f"group {n + 1} ({len(grp)}): " + ", ".join(Path(origin[i]).name for i in grp[:8])
                     + (" ..." if len(grp) > 8 else ""))
    for f, why in skipped:
        _say(args, f"skipped {f}: {why}")
    obj = _result("cluster", decision=f"{res.k} groups", encoder=enc.name, detector=finder.detector.kind, k=res.k,
                  suggested_k=res.suggested_k, silhouette=res.silhouette,
                  groups=[[origin[i] for i in grp] for grp in groups], skipped=skipped, faces=len(crops))
    return _finish(args, obj, lines)


def _generate(args) -> int:
    import numpy as np

    from workbench.core.jsonio import atomic_write_bytes
    from workbench.core.studies.faces.detect import write_png
    from workbench.core.studies.faces.synth import drawn_people, photo_people, scene_with_face

    make = drawn_people if args.kind == "drawn" else photo_people
    X, y, names = make(args.people, args.shots, seed=args.seed, size=args.size)
    out = Path(args.out)
    rng = np.random.default_rng(args.seed)
    side = max(2 * args.size, 240)
    for k, (img, lab) in enumerate(zip(X, y)):
        if not args.crops:  # a photo with room around the face, as a camera would take it
            c = (int(side * 4 / 6 + rng.integers(-side // 8, side // 8)),
                 side // 2 + int(rng.integers(-side // 10, side // 10)))
            img = scene_with_face(img, (side * 4 // 3, side), face_px=args.size, center=c, rng=rng)
        atomic_write_bytes(out / names[lab] / f"{k:05d}.png", write_png("", img))
    obj = _result("generate", photos=len(X), people=len(names), kind=args.kind, out=str(out))
    return _finish(args, obj, [f"wrote {len(X)} photos of {len(names)} {args.kind} people to {out}"])


_COMMANDS = _commands()


def main(argv=None) -> int:
    """Run this subcommand on its own: ``python -m workbench.studies_cli.faces ...``."""
    from workbench.cli import main as cli_main

    return cli_main([NAME, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
