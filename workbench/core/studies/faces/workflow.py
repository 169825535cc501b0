"""Study-level steps shared by the CLI and the panel: where training and evaluation photos come
from, face data from folders, clustering a folder, the encoder store of a project, and which
encoders and detectors can be used here."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np

from workbench.core.errors import DataError
from workbench.core.studies.faces.align import FaceFinder, make_finder
from workbench.core.studies.faces.detect import IMAGE_SUFFIXES, check_shot, read_image
from workbench.core.studies.faces.evaluate import ClusterResult, cluster_embeddings
from workbench.core.studies.faces.protocol import (HonestReport, PeopleSplit, TrainedEncoderReport, evaluate_split,
                                                   split_people, train_and_evaluate)
from workbench.core.studies.faces.realfaces import FaceData, real_identities

ENCODER_DIR = Path("faces") / "encoder"
# where training / evaluation photos can come from (the panel's choices, the CLI's --data)
DATA_SOURCES = {
    "lfw": "Real faces that ship offline (LFW subset + astronaut, augmented)",
    "gallery+lfw": "The gallery + the offline real faces",
    "gallery": "The gallery only",
    "folder": "A folder (one subfolder per person)",
    "generated": "Generated drawn people (not real faces)",
}

__all__ = ["DATA_SOURCES", "ENCODER_DIR", "HonestReport", "PeopleSplit", "TrainedEncoderReport", "available_encoders",
           "cluster_folder", "encoder_dir", "evaluate_split", "face_data", "load_people_folder", "split_people",
           "train_and_evaluate", "evaluate_encoder_on", "train_encoder_on", "use_encoder", "gallery_action",
           "faces_in_image", "verify_photo", "identify_photo"]


def encoder_dir(project_dir: str | Path) -> Path:
    return Path(project_dir) / ENCODER_DIR


def load_people_folder(root: str | Path, finder: FaceFinder | None = None, detect: bool = True,
                       min_sharpness: float = 0.0, progress: Callable[[int, int], None] | None = None,
                       ) -> FaceData:
    """Face chips from a folder with one subfolder per person (origin "folder").

    With ``detect`` each photo contributes its largest face, aligned (photos without one are
    skipped); without, photos are taken as face crops already (e.g. a gallery export).
    """
    from workbench.core.studies.faces.align import chip_from_crop

    root = Path(root)
    subs = sorted(d for d in root.iterdir() if d.is_dir()) if root.is_dir() else []
    if not subs:
        raise DataError(f"{root} has no subfolders; put each person's photos in a folder named after them.")
    finder = finder or make_finder(purpose="photo")
    files = [(i, f) for i, d in enumerate(subs) for f in sorted(d.iterdir()) if f.suffix.lower() in IMAGE_SUFFIXES]
    X, y = [], []
    for n, (i, f) in enumerate(files):
        try:
            img = read_image(f)
        except DataError:
            continue
        if detect:
            chk = check_shot(img, finder, min_sharpness=min_sharpness)
            if chk.ok:
                X.append(chk.crop)
                y.append(i)
        else:
            X.append(chip_from_crop(img, finder))
            y.append(i)
        if progress:
            progress(n + 1, len(files))
    if not X:
        raise DataError(f"No face was found in the photos under {root}.")
    y = np.asarray(y, np.int64)
    used = np.unique(y)
    remap = {int(o): k for k, o in enumerate(used)}
    names = [subs[int(o)].name for o in used]
    return FaceData(X, np.array([remap[int(v)] for v in y], np.int64), names, ["folder"] * len(names),
                    f"{len(names)} people of {root} ({len(X)} photos)")


def face_data(source: str = "lfw", project_dir: str | Path | None = None, folder: str | Path | None = None,
              shots: int = 6, seed: int = 0, people: int = 40, finder: FaceFinder | None = None,
              progress=None) -> FaceData:
    """The photos a training or an evaluation uses, by ``source`` (see ``DATA_SOURCES``)."""
    if source not in DATA_SOURCES:
        raise DataError(f"Unknown face data {source!r}; choose one of {', '.join(DATA_SOURCES)}.")
    if source == "lfw":
        return real_identities(shots=shots, seed=seed)
    if source in ("gallery", "gallery+lfw"):
        from workbench.core.studies.faces.gallery import Gallery

        if project_dir is None:
            raise DataError("The gallery needs a project folder.")
        g = Gallery(project_dir).face_data()
        if source == "gallery":
            if not len(g):
                raise DataError("The gallery is empty; enroll people first, or use the offline real faces.")
            return g
        lfw = real_identities(shots=shots, seed=seed)
        return lfw.merged(g) if len(g) else lfw
    if source == "folder":
        if not folder:
            raise DataError("Choose a folder with one subfolder per person.")
        return load_people_folder(folder, finder, progress=progress)
    from workbench.core.studies.faces.synth import drawn_people

    X, y, names = drawn_people(people, shots, seed=seed, size=150)
    return FaceData(list(X), y, names, ["generated"] * len(names),
                    f"{len(names)} generated drawn people, {shots} shots each (not real faces)")


def train_encoder_on(source: str, project_dir: str | Path, config=None, folder=None, shots: int = 6,
                     people: int = 40, callbacks=(), trainer=None, progress=None, should_cancel=None
                     ) -> TrainedEncoderReport:
    """Train the own encoder on ``source``'s train people, save it in the project, report it
    honestly (the panel's and the CLI's one call)."""
    from workbench.core.studies.faces.encoder import EncoderConfig

    cfg = config or EncoderConfig()
    data = face_data(source, project_dir, folder, shots=shots, seed=cfg.seed, people=people)
    return train_and_evaluate(data, cfg, callbacks=callbacks, trainer=trainer, save_to=encoder_dir(project_dir))


def evaluate_encoder_on(encoder, source: str, project_dir: str | Path | None = None, folder=None,
                        shots: int = 6, people: int = 40, seed: int = 0, progress=None,
                        should_cancel=None) -> HonestReport:
    """Report ``encoder`` on ``source``: threshold on validation people, figures on test people.
    Generated people are drawn with another seed than the training ones."""
    if source == "generated":
        seed += 10_000
    data = face_data(source, project_dir, folder, shots=shots, seed=seed, people=people)
    return evaluate_split(encoder, data, seed=0)


def cluster_folder(folder: str | Path, encoder, k: int | None = None, k_max: int = 10,
                   finder: FaceFinder | None = None, progress=None, should_cancel=None
                   ) -> tuple[list[np.ndarray], list[str], ClusterResult, list[tuple[str, str]]]:
    """Detect the faces in a folder of photos, align and embed them and group them with K-Means.

    Returns (chips, the photo each chip came from, the clustering, skipped photos with a reason).
    """
    from workbench.core.studies.faces.pipeline import FaceCropper

    folder = Path(folder)
    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
    if not files:
        raise DataError(f"{folder} holds no photos (png, jpg, bmp, webp).")
    crops, origin, skipped = FaceCropper(finder or make_finder(purpose="photo")).crops_from_files(
        files, progress, should_cancel)
    if len(crops) < 3:
        raise DataError(f"Only {len(crops)} face(s) found in {folder}; clustering needs at least 3.")
    emb = encoder.embed(crops)
    return crops, origin, cluster_embeddings(emb, k=k, k_max=min(k_max, len(crops) - 1)), skipped


def available_encoders(project_dir: str | Path | None) -> dict[str, str]:
    """{"dlib": message, "own": message} with "" for the ones that can be used now."""
    from workbench.core.studies.faces.dlib_encoder import dlib_status

    ok, msg = dlib_status()
    out = {"dlib": "" if ok else msg}
    if project_dir is not None and (encoder_dir(project_dir) / "encoder.json").exists():
        out["own"] = ""
    else:
        out["own"] = "No own encoder trained in this project yet: train one (Encoder tab)."
    return out


# ---- the steps the panel runs on its worker thread (no Qt; the CLI composes the same pieces) --------

def use_encoder(kind: str | None, project_dir: str | Path, progress=None, should_cancel=None) -> dict:
    """Load the encoder ``kind`` (None: the default) and make the gallery's embeddings its own."""
    from workbench.core.studies.faces.encoder import encoder_factory
    from workbench.core.studies.faces.gallery import Gallery

    enc = encoder_factory(kind, encoder_dir(project_dir))()
    g = Gallery(project_dir)
    msg = f"Using the {'pretrained dlib' if enc.name == 'dlib' else 'own'} encoder."
    if len(g) and g.needs_embedding(enc.key):
        g.reembed(enc, progress=progress, should_cancel=should_cancel)
        msg += f" The gallery ({len(g)} people) was embedded with it."
    return {"encoder": enc, "gallery": g, "message": msg}


def gallery_action(op: str, project_dir: str | Path, finder: FaceFinder, encoder, *args, progress=None,
                   should_cancel=None) -> dict:
    """One change to the gallery: "frames" (name, frames[, face box in the first frame]), "folder"
    (name, folder), "people" (root), "crops" (name, chips), "reembed" (). Returns the gallery and a
    sentence."""
    from workbench.core.studies.faces.gallery import Gallery

    g = Gallery(project_dir)
    if encoder is not None and len(g) and g.needs_embedding(encoder.key) and op != "reembed":
        encoder = None  # the gallery holds another encoder's embeddings: keep photos only, re-embed later
    if op == "frames":
        name, frames, *face = args
        msg = g.enroll_frames(name, frames, finder, encoder, face=face[0] if face else None).sentence()
    elif op == "folder":
        name, folder = args
        msg = g.enroll_folder(name, folder, finder, encoder).sentence()
    elif op == "people":
        (root,) = args
        msg = " ".join(r.sentence() for r in g.import_people(root, finder, encoder, progress=progress))
    elif op == "crops":
        name, crops = args
        msg = f"{name}: {g.add_faces(name, crops, encoder)} photo(s) added."
    elif op == "reembed":
        if encoder is None:
            raise DataError("Choose an encoder first.")
        g.reembed(encoder, progress=progress, should_cancel=should_cancel)
        msg = f"The gallery was embedded with the {encoder.name} encoder."
    else:
        raise DataError(f"Unknown gallery action {op!r}.")
    return {"gallery": g, "message": msg}


def faces_in_image(image, finder: FaceFinder, encoder=None, largest_only: bool = False) -> dict:
    """Detect, align and embed the faces of a photo (a path or an RGB array).

    Returns {"image", "boxes" [(x, y, w, h)] of every face found, largest first, "embeddings"
    (N, D) or None; with ``largest_only`` only the largest face is embedded}."""
    img = read_image(image) if isinstance(image, (str, Path)) else np.asarray(image)
    found = finder.find(img)
    chips = [f.chip for f in (found[:1] if largest_only else found)]
    emb = encoder.embed(chips) if (encoder is not None and chips) else None
    return {"image": img, "boxes": [f.box.to_tuple() for f in found], "embeddings": emb}


def verify_photo(image, claimed: str, gallery, encoder, finder: FaceFinder, threshold: float) -> dict:
    """Is the largest face of ``image`` (a path or an RGB array) the gallery person ``claimed``?

    Returns {"image", "boxes" (every face found), "result": VerifyResult, or None when no face}."""
    from workbench.core.studies.faces.evaluate import Verifier

    reference = gallery.embeddings(claimed)  # a clear error for an unknown name, before any work
    out = faces_in_image(image, finder, encoder, largest_only=True)
    emb = out["embeddings"]
    out["result"] = None if emb is None or not len(emb) else Verifier(threshold).verify(emb[0], reference, claimed)
    return out


def identify_photo(image, gallery, encoder, finder: FaceFinder, threshold: float, k: int = 1) -> dict:
    """Name every face of ``image`` by k-NN over the gallery ("unknown" beyond ``threshold``).

    Returns {"image", "boxes", "matches": [Match per box]}."""
    from workbench.core.studies.faces.evaluate import Identifier

    out = faces_in_image(image, finder, encoder)
    emb = out["embeddings"]
    ident = Identifier(threshold, k).fit(*gallery.all_embeddings())
    out["matches"] = ident.identify(emb) if emb is not None and len(emb) else []
    return out
