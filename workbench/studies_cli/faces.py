"""``workbench faces``: generate people, enroll, train an encoder, evaluate, verify, identify, cluster.

    workbench faces generate OUT [--people 20 --shots 8 --size 128 --kind drawn|photo]
    workbench faces enroll NAME --project DIR (--folder PHOTOS | --source camera:0 [--shots 8])
    workbench faces enroll --people ROOT --project DIR          (one subfolder per person)
    workbench faces train-encoder --project DIR [--data ROOT|gallery] [--epochs 20 --mining semi-hard
                                  --margin 0.2 --dim 64 --held-out 0.3]
    workbench faces evaluate --project DIR [--data ROOT|gallery] [--encoder own|dlib] [--json]
    workbench faces verify NAME IMAGE --project DIR [--encoder own|dlib] [--threshold T]
    workbench faces identify PATH... --project DIR [--encoder own|dlib] [--threshold T] [--source SRC --frames N]
    workbench faces cluster FOLDER [--k K] --project DIR [--encoder own|dlib] [--out DIR]

Without ``--data`` training and evaluation use generated drawn people (no face data set with
identities ships offline). Errors a user can cause print ``error: ...`` and exit with status 2.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from workbench.core.errors import DataError

NAME = "faces"
COMMANDS = ("generate", "enroll", "train-encoder", "evaluate", "verify", "identify", "cluster")


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="Case study Faces: enroll, train a triplet encoder, verify, identify, cluster.",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="faces_cmd", metavar="{" + ",".join(COMMANDS) + "}")
    sub.required = True

    def project(q):
        q.add_argument("--project", default=".", help="project folder holding the gallery and encoder (default .)")

    def encoder(q):
        q.add_argument("--encoder", default="own", choices=["own", "dlib"],
                       help="own (trained in this project) or dlib (pretrained, optional extra)")
        q.add_argument("--threshold", type=float, default=None, help="distance threshold (default: the encoder's)")

    def data(q):
        q.add_argument("--data", default=None,
                       help="a folder with one subfolder per person, or 'gallery' (default: generated people)")
        q.add_argument("--people", type=int, default=40, help="generated people (without --data)")
        q.add_argument("--shots", type=int, default=10, help="generated shots per person")
        q.add_argument("--cropped", action="store_true",
                       help="the photos under --data are face crops already (no detection)")
        q.add_argument("--seed", type=int, default=0)

    g = sub.add_parser("generate", help="write generated people, one folder each")
    g.add_argument("out")
    g.add_argument("--people", type=int, default=20)
    g.add_argument("--shots", type=int, default=8)
    g.add_argument("--size", type=int, default=128, help="face size in pixels")
    g.add_argument("--crops", action="store_true", help="write bare face crops instead of 320x240+ scenes")
    g.add_argument("--kind", default="drawn", choices=["drawn", "photo"])
    g.add_argument("--seed", type=int, default=0)

    e = sub.add_parser("enroll", help="add a person (folder of photos or a camera burst) or a folder of people")
    e.add_argument("name", nargs="?", default=None)
    e.add_argument("--folder", default=None, help="photos of this person")
    e.add_argument("--people", default=None, help="a folder with one subfolder per person")
    e.add_argument("--source", default=None, help="camera:0, a video file or an image folder")
    e.add_argument("--shots", type=int, default=8, help="frames to take from --source")
    e.add_argument("--min-sharpness", type=float, default=30.0, help="reject crops blurrier than this")
    project(e)
    e.add_argument("--encoder", default=None, choices=["own", "dlib"], help="also embed with this encoder")

    t = sub.add_parser("train-encoder", help="train the own CNN encoder with the triplet loss")
    project(t)
    data(t)
    t.add_argument("--epochs", type=int, default=20)
    t.add_argument("--batch-size", type=int, default=64)
    t.add_argument("--lr", type=float, default=2e-3)
    t.add_argument("--mining", default="semi-hard", choices=["random", "semi-hard", "hard"])
    t.add_argument("--margin", type=float, default=0.2)
    t.add_argument("--dim", type=int, default=64, help="embedding size")
    t.add_argument("--image-size", type=int, default=64)
    t.add_argument("--held-out", type=float, default=0.3, help="share of people kept for evaluation")
    t.add_argument("--json", action="store_true")

    v = sub.add_parser("evaluate", help="ROC, EER and threshold of an encoder on held-out people")
    project(v)
    data(v)
    v.add_argument("--encoder", default="own", choices=["own", "dlib"])
    v.add_argument("--json", action="store_true")

    vf = sub.add_parser("verify", help="is the face in IMAGE the person NAME?")
    vf.add_argument("name")
    vf.add_argument("image")
    project(vf)
    encoder(vf)

    i = sub.add_parser("identify", help="name the faces in images (or frames of --source)")
    i.add_argument("paths", nargs="*")
    i.add_argument("--source", default=None, help="camera:0, a video file or an image folder")
    i.add_argument("--frames", type=int, default=50)
    project(i)
    encoder(i)
    i.add_argument("--json", action="store_true")

    c = sub.add_parser("cluster", help="group the faces in a folder of photos with K-Means")
    c.add_argument("folder")
    c.add_argument("--k", type=int, default=None, help="number of groups (default: best silhouette)")
    c.add_argument("--k-max", type=int, default=10)
    c.add_argument("--out", default=None, help="write each group's crops to OUT/group_N/")
    project(c)
    c.add_argument("--encoder", default="own", choices=["own", "dlib"])
    c.add_argument("--json", action="store_true")
    p.set_defaults(func=run)  # errors are reported by workbench.cli.main
    return p



def _load_encoder(kind: str, project: str):
    from workbench.core.studies.faces.encoder import encoder_factory
    from workbench.core.studies.faces.workflow import encoder_dir

    return encoder_factory(kind, encoder_dir(project))()


def _data(args):
    """(crops, labels, names) from --data or generated drawn people."""
    import numpy as np

    from workbench.core.studies.faces.synth import drawn_people

    if args.data is None:
        X, y, names = drawn_people(args.people, args.shots, seed=args.seed, size=64)
        return list(X), y, names
    if args.data == "gallery":
        from workbench.core.studies.faces.gallery import Gallery

        X, y, names = Gallery(args.project).training_data()
        if not X:
            raise DataError("The gallery is empty; enroll people first.")
        return X, np.asarray(y), names
    from workbench.core.studies.faces.workflow import load_people_folder

    return load_people_folder(args.data, detect=not args.cropped, progress=_progress("reading photos"))


def _progress(label):
    last = [0.0]

    def cb(done, total, *_):
        now = time.monotonic()
        if done == total or now - last[0] > 0.5:
            last[0] = now
            print(f"\r{label} {done}/{total}", end="\n" if done == total else "", file=sys.stderr, flush=True)

    return cb


def run(args) -> int:
    cmd = args.faces_cmd
    if cmd == "generate":
        return _generate(args)
    if cmd == "enroll":
        return _enroll(args)
    if cmd == "train-encoder":
        return _train(args)
    if cmd == "evaluate":
        return _evaluate(args)
    if cmd == "verify":
        return _verify(args)
    if cmd == "identify":
        return _identify(args)
    if cmd == "cluster":
        return _cluster(args)
    raise DataError(f"unknown faces command {cmd!r}")


def _generate(args) -> int:
    from workbench.core.jsonio import atomic_write_bytes
    from workbench.core.studies.faces.detect import write_png
    from workbench.core.studies.faces.synth import drawn_people, photo_people, scene_with_face

    import numpy as np

    make = drawn_people if args.kind == "drawn" else photo_people
    X, y, names = make(args.people, args.shots, seed=args.seed, size=args.size)
    out = Path(args.out)
    rng = np.random.default_rng(args.seed)
    side = max(2 * args.size, 240)
    for k, (img, lab) in enumerate(zip(X, y)):
        if not args.crops:  # a photo with room around the face, as a camera would take it
            c = (int(side * 4 / 6 + rng.integers(-side // 8, side // 8)), side // 2 + int(rng.integers(-side // 10, side // 10)))
            img = scene_with_face(img, (side * 4 // 3, side), face_px=args.size, center=c, rng=rng)
        atomic_write_bytes(out / names[lab] / f"{k:05d}.png", write_png("", img))
    print(f"wrote {len(X)} photos of {len(names)} {args.kind} people to {out}")
    return 0


def _enroll(args) -> int:
    from workbench.core.studies.faces.detect import FaceDetector
    from workbench.core.studies.faces.gallery import Gallery

    g = Gallery(args.project)
    det = FaceDetector()
    enc = _load_encoder(args.encoder, args.project) if args.encoder else None
    if args.people:
        for rep in g.import_people(args.people, det, enc, args.min_sharpness, progress=_progress("people")):
            print(rep.sentence())
        return 0
    if not args.name:
        raise DataError("Give the person's NAME (or --people ROOT for a folder of people).")
    if args.folder:
        rep = g.enroll_folder(args.name, args.folder, det, enc, args.min_sharpness)
    elif args.source:
        from workbench.core.capture.camera import open_camera

        frames = []
        with open_camera(args.source) as src:
            while len(frames) < args.shots:
                f = src.read()
                if f is None:
                    break
                frames.append(f)
        rep = g.enroll_frames(args.name, frames, det, enc, args.min_sharpness)
    else:
        raise DataError("Say where the photos come from: --folder PHOTOS or --source camera:0.")
    print(rep.sentence())
    return 0


def _train(args) -> int:
    from workbench.core.studies.faces.encoder import EncoderConfig
    from workbench.core.studies.faces.workflow import encoder_dir, train_and_evaluate
    from workbench.core.training.callbacks import Callback

    class Printer(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            extra = "".join(f"  {k} {logs[k]:.3f}" for k in ("val_loss", "val_auc", "val_eer") if logs.get(k) is not None)
            print(f"epoch {epoch:3d}  loss {logs['loss']:.4f}{extra}  ({logs['time']:.1f} s)", file=sys.stderr)

    X, y, names = _data(args)
    cfg = EncoderConfig(embedding_dim=args.dim, image_size=args.image_size, margin=args.margin, mining=args.mining,
                        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    print(f"training on {len(X)} photos of {len(names)} people ({args.mining} mining, margin {args.margin})",
          file=sys.stderr)
    res = train_and_evaluate(X, y, cfg, held_out=args.held_out, callbacks=[Printer()],
                             save_to=encoder_dir(args.project))
    out = {"fit": {"epochs_run": res.fit.epochs_run, "best_epoch": res.fit.best_epoch,
                   "stop_reason": res.fit.stop_reason, "time": res.fit.time},
           "evaluation": res.report.summary() if res.report else None, "saved_to": str(encoder_dir(args.project))}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(res.fit.message)
        if res.report:
            _print_report(res.report)
        print(f"encoder saved to {encoder_dir(args.project)}")
    return 0


def _print_report(rep) -> None:
    s = rep.summary()
    print(f"held-out people: ROC AUC {s['auc']:.3f}, equal error rate {s['eer']:.3f}, "
          f"threshold {s['threshold']:.3f} (accuracy {s['accuracy']:.3f} on {s['pairs_same']} same / "
          f"{s['pairs_different']} different pairs; mean distance same {s['mean_distance_same']:.3f}, "
          f"different {s['mean_distance_different']:.3f})")


def _evaluate(args) -> int:
    from workbench.core.studies.faces.evaluate import evaluate_encoder

    enc = _load_encoder(args.encoder, args.project)
    if args.data is None:
        args.seed += 10_000  # other generated people than the default training set
    X, y, names = _data(args)
    rep = evaluate_encoder(enc, X, y)
    if args.json:
        print(json.dumps(rep.summary(), indent=2))
    else:
        _print_report(rep)
    return 0


def _pipeline(args, gallery):
    from workbench.core.studies.faces.pipeline import FacePipeline

    enc = _load_encoder(args.encoder, args.project)
    if len(gallery) and gallery.needs_embedding(enc.key):
        print("embedding the gallery with this encoder ...", file=sys.stderr)
        gallery.reembed(enc)
    return FacePipeline.from_gallery(enc, gallery, args.threshold, refresh_every=1)


def _verify(args) -> int:
    from workbench.core.studies.faces.detect import FaceDetector, crop_face, read_image
    from workbench.core.studies.faces.evaluate import Verifier
    from workbench.core.studies.faces.gallery import Gallery

    g = Gallery(args.project)
    pipe = _pipeline(args, g)
    img = read_image(args.image)
    boxes = FaceDetector().detect(img)
    if not boxes:
        raise DataError(f"No face found in {args.image}.")
    probe = pipe.encoder.embed([crop_face(img, boxes[0], size=128)])[0]
    r = Verifier(pipe.threshold).verify(probe, g.embeddings(args.name), args.name)
    print(r.sentence())
    return 0 if r.accepted else 1


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
                r = pipe.process(f)
                rows.append({"frame": n, "faces": [_face(x) for x in r.faces]})
    files = []
    for p in map(Path, args.paths):
        files += sorted(q for q in p.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES) if p.is_dir() else [p]
    for f in files:
        pipe.reset()
        r = pipe.process(read_image(f))
        rows.append({"file": str(f), "faces": [_face(x) for x in r.faces]})
    if not rows:
        raise DataError("Nothing to identify: give image files or folders, or --source.")
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for row in rows:
            where = row.get("file", f"frame {row.get('frame')}")
            names = ", ".join(f"{x['name']} ({x['distance']:.2f})" for x in row["faces"]) or "no face"
            print(f"{where}: {names}")
    return 0


def _face(x) -> dict:
    return {"name": x.name, "distance": x.distance, "box": list(x.box.to_tuple())}


def _cluster(args) -> int:
    from workbench.core.jsonio import atomic_write_bytes
    from workbench.core.studies.faces.detect import write_png
    from workbench.core.studies.faces.workflow import cluster_folder

    enc = _load_encoder(args.encoder, args.project)
    crops, origin, res, skipped = cluster_folder(args.folder, enc, k=args.k, k_max=args.k_max,
                                                 progress=_progress("detecting"))
    groups = res.groups()
    out = {"k": res.k, "suggested_k": res.suggested_k, "silhouette": res.silhouette,
           "groups": [[origin[i] for i in g] for g in groups], "skipped": skipped}
    if args.out:
        for n, g in enumerate(groups):
            for i in g:
                atomic_write_bytes(Path(args.out) / f"group_{n + 1}" / f"{i:05d}.png", write_png("", crops[i]))
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        if res.suggested_k:
            print("silhouette: " + ", ".join(f"k={k} {s:.3f}" for k, s in res.silhouette.items()))
        print(f"{len(crops)} faces in {res.k} groups")
        for n, g in enumerate(groups):
            print(f"group {n + 1} ({len(g)}): " + ", ".join(Path(origin[i]).name for i in g[:8])
                  + (" ..." if len(g) > 8 else ""))
        for f, why in skipped:
            print(f"skipped {f}: {why}", file=sys.stderr)
    return 0


def main(argv=None) -> int:
    """Run this subcommand on its own: ``python -m workbench.studies_cli.faces ...``."""
    from workbench.cli import main as cli_main

    return cli_main([NAME, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
