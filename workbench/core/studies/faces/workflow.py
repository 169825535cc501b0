"""Study-level steps shared by the CLI and the panel: face data from folders, people splits,
training + evaluation in one call, clustering a folder, the encoder store of a project."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from workbench.core.errors import DataError
from workbench.core.studies.faces.detect import IMAGE_SUFFIXES, FaceDetector, check_shot, read_image
from workbench.core.studies.faces.evaluate import ClusterResult, VerificationReport, cluster_embeddings, evaluate_encoder

ENCODER_DIR = Path("faces") / "encoder"


def encoder_dir(project_dir: str | Path) -> Path:
    return Path(project_dir) / ENCODER_DIR


def load_people_folder(root: str | Path, detector: FaceDetector | None = None, size: int = 128,
                       detect: bool = True, min_sharpness: float = 0.0,
                       progress: Callable[[int, int], None] | None = None,
                       ) -> tuple[list[np.ndarray], np.ndarray, list[str]]:
    """Face crops from a folder with one subfolder per person: (crops, person index, names).

    With ``detect`` each photo contributes its largest face (photos without one are skipped);
    without, photos are taken as already-cropped faces (e.g. a gallery export).
    """
    import cv2

    root = Path(root)
    subs = sorted(d for d in root.iterdir() if d.is_dir()) if root.is_dir() else []
    if not subs:
        raise DataError(f"{root} has no subfolders; put each person's photos in a folder named after them.")
    det = detector or (FaceDetector() if detect else None)
    files = [(i, f) for i, d in enumerate(subs) for f in sorted(d.iterdir()) if f.suffix.lower() in IMAGE_SUFFIXES]
    X, y = [], []
    for n, (i, f) in enumerate(files):
        try:
            img = read_image(f)
        except DataError:
            continue
        if det is not None:
            chk = check_shot(img, det, size=size, min_sharpness=min_sharpness)
            if chk.ok:
                X.append(chk.crop)
                y.append(i)
        else:
            X.append(cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA))
            y.append(i)
        if progress:
            progress(n + 1, len(files))
    if not X:
        raise DataError(f"No face was found in the photos under {root}.")
    y = np.asarray(y, np.int64)
    used = np.unique(y)
    remap = {int(o): k for k, o in enumerate(used)}
    return X, np.array([remap[int(v)] for v in y], np.int64), [subs[int(o)].name for o in used]


def split_people(y: np.ndarray, held_out: float = 0.3, seed: int = 0, min_held_out: int = 2
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, held-out) such that no person is on both sides (GroupShuffleSplit)."""
    from sklearn.model_selection import GroupShuffleSplit

    y = np.asarray(y)
    people = np.unique(y)
    if len(people) < 2 + min_held_out:
        raise DataError(f"Only {len(people)} people: training and a held-out evaluation need at least "
                        f"{2 + min_held_out} people.")
    n_test = min(len(people) - 2, max(min_held_out, int(round(held_out * len(people)))))
    gss = GroupShuffleSplit(n_splits=1, test_size=n_test, random_state=seed)
    tr, te = next(gss.split(np.zeros(len(y)), y, groups=y))
    return tr, te


@dataclass
class TrainedEncoderReport:
    encoder: object
    fit: object              # FitResult
    report: VerificationReport | None


def train_and_evaluate(X: Sequence[np.ndarray], y: np.ndarray, config=None, held_out: float = 0.3,
                       callbacks: Sequence = (), trainer=None, save_to: str | Path | None = None
                       ) -> TrainedEncoderReport:
    """Train the own encoder on some people and evaluate it on the others; the evaluated EER
    threshold becomes the encoder's verification threshold. Saved to ``save_to`` when given."""
    from workbench.core.studies.faces.encoder import EncoderConfig, train_encoder

    cfg = config or EncoderConfig()
    X = list(X) if not isinstance(X, np.ndarray) else X
    tr, te = split_people(y, held_out, cfg.seed)
    Xa = np.stack([np.asarray(X[i]) for i in tr]) if not isinstance(X, np.ndarray) else X[tr]
    Xb = np.stack([np.asarray(X[i]) for i in te]) if not isinstance(X, np.ndarray) else X[te]
    enc, fit = train_encoder(Xa, y[tr], cfg, val=(Xb, y[te]), callbacks=callbacks, trainer=trainer)
    report = None
    if fit.epochs_run:
        report = evaluate_encoder(enc, Xb, y[te])
        enc.set_threshold(report.threshold)
        enc.info["evaluation"] = report.summary()
    if save_to is not None and fit.epochs_run:
        enc.save(save_to)
    return TrainedEncoderReport(enc, fit, report)


def cluster_folder(folder: str | Path, encoder, k: int | None = None, k_max: int = 10,
                   detector: FaceDetector | None = None, progress=None, should_cancel=None
                   ) -> tuple[list[np.ndarray], list[str], ClusterResult, list[tuple[str, str]]]:
    """Detect the faces in a folder of photos, embed them and group them with K-Means.

    Returns (crops, the photo each crop came from, the clustering, skipped photos with a reason).
    """
    from workbench.core.studies.faces.pipeline import FaceCropper

    folder = Path(folder)
    files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
    if not files:
        raise DataError(f"{folder} holds no photos (png, jpg, bmp, webp).")
    crops, origin, skipped = FaceCropper(detector or FaceDetector()).crops_from_files(files, progress, should_cancel)
    if len(crops) < 3:
        raise DataError(f"Only {len(crops)} face(s) found in {folder}; clustering needs at least 3.")
    emb = encoder.embed(crops)
    return crops, origin, cluster_embeddings(emb, k=k, k_max=min(k_max, len(crops) - 1)), skipped


def available_encoders(project_dir: str | Path | None) -> dict[str, str]:
    """{"own": message, "dlib": message} with "" for the ones that can be used now."""
    from workbench.core.studies.faces.dlib_encoder import dlib_status

    out = {}
    if project_dir is not None and (encoder_dir(project_dir) / "encoder.json").exists():
        out["own"] = ""
    else:
        out["own"] = "No encoder trained in this project yet: train one (Train tab)."
    ok, msg = dlib_status()
    out["dlib"] = "" if ok else msg
    return out
