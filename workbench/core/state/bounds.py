"""Declared bounds of the state's numeric fields, in one place: "section.field" -> a ``Param`` of
``workbench.core.params`` (the declarations the command line and the spin boxes use too).

A value outside its bounds is a ``StateError`` naming the section's field and the allowed range.
"""
from __future__ import annotations

from numbers import Integral, Real

from workbench.core import params as P
from workbench.core.params import Interval, Param, ParamError


def _real(name: str, lo, hi, label: str, closed: str = "both") -> Param:
    return Param(name, Interval(Real, lo, hi, closed=closed), label=label)


def _int(name: str, lo, hi, label: str) -> Param:
    return Param(name, Interval(Integral, lo, hi), label=label)


_SHARE = _real("share", 0, 1, "share")
_FRACTION = P.FRACTION
_WEIGHT = _real("weight", 0, None, "weight")

BOUNDS: dict[str, Param] = {
    # general sections
    "data.image_size": P.IMAGE_SIDE,
    "data.folder_image_size": P.IMAGE_SIDE,
    "split.val": _FRACTION,
    "split.test": _FRACTION,
    "split.k": P.FOLDS,
    "split.repeats": P.REPEATS,
    "split.seed": P.SEED,
    "preprocessing.vocab_size": P.VOCAB_SIZE,
    "training.epochs": P.EPOCHS,
    "training.batch_size": P.BATCH_SIZE,
    "training.lr": P.LR,
    "training.early_stopping": P.PATIENCE,
    "training.seed": P.SEED,
    "model.l1": _real("l1", 0, 10, "L1 weight"),
    "model.l2": _real("l2", 0, 10, "L2 weight"),
    "model.dropout": _real("dropout", 0, 1, "dropout rate", closed="left"),
    "search.trials": P.TRIALS,
    "search.workers": _int("workers", 0, 1024, "number of workers"),
    # case studies
    "daynight.n": P.SAMPLES,
    "daynight.seed": P.SEED,
    "daynight.balance": _SHARE,
    "daynight.hard_share": _SHARE,
    "daynight.val": _FRACTION,
    "daynight.test": _FRACTION,
    "daynight.epochs": P.EPOCHS,
    "daynight.batch_size": P.BATCH_SIZE,
    "daynight.lr": P.LR,
    "daynight.patience": P.PATIENCE_OR_OFF,
    "daynight.threshold": P.THRESHOLD,
    "daynight.size": P.IMAGE_SIDE,
    "faces.threshold": P.DISTANCE,
    "faces.k": _int("k", 1, 1000, "number of neighbours"),
    "faces_training.shots": P.SHOTS,
    "faces_training.people": P.PEOPLE,
    "faces_training.epochs": P.EPOCHS,
    "faces_training.margin": _WEIGHT,
    "faces_training.dim": P.EMBEDDING_DIM,
    "faces_training.lr": P.LR,
    "trigger_word.tts_count": P.SMALL_COUNT,
    "trigger_word.record_seconds": P.SECONDS,
    "trigger_word.n_clips": P.COUNT,
    "trigger_word.n_val": P.COUNT,
    "trigger_word.seed": P.SEED,
    "trigger_word.clip_seconds": P.CLIP_SECONDS,
    "trigger_word.n_fft": _int("n_fft", 16, 65536, "FFT size"),
    "trigger_word.hop": _int("hop", 1, 65536, "hop length"),
    "trigger_word.n_mels": _int("n_mels", 1, 1024, "number of mel bands"),
    "trigger_word.epochs": P.EPOCHS,
    "trigger_word.batch_size": P.BATCH_SIZE,
    "trigger_word.lr": P.LR,
    "trigger_word.train_seed": P.SEED,
    "trigger_word.threshold": P.THRESHOLD,
    "trigger_word.smoothing": P.SMOOTHING,
    "trigger_word.min_duration": P.SECONDS,
    "trigger_word.refractory": P.SECONDS,
    "trigger_word.eval_clips": P.COUNT,
    "trigger_word.eval_hours": P.HOURS,
    "style_transfer.content_weight": _WEIGHT,
    "style_transfer.style_weight": _WEIGHT,
    "style_transfer.tv_weight": _WEIGHT,
    "style_transfer.size": P.IMAGE_SIDE,
    "style_transfer.seed": P.SEED,
    "style_transfer.report_every": P.REPORT_EVERY,
    "style_transfer.steps": P.STEPS,
    "detection.evaluate_conf": P.THRESHOLD,
    "detection.live_conf": P.THRESHOLD,
    "detection_data.n": P.SAMPLES,
    "detection_data.size": P.SCENE_SIDE,
    "detection_data.max_objects": _int("max_objects", 1, 1000, "number of objects"),
    "detection_data.overlap": _SHARE,
    "detection_data.clutter": P.NONNEG_INT,
    "detection_data.seed": P.SEED,
    "detection_training.S": P.GRID,
    "detection_training.B": P.BOXES,
    "detection_training.lambda_coord": _WEIGHT,
    "detection_training.lambda_noobj": _WEIGHT,
    "detection_training.epochs": P.EPOCHS,
    "detection_training.batch_size": P.BATCH_SIZE,
    "detection_training.lr": P.LR,
    "detection_training.seed": P.SEED,
    "detection_segment.size": P.IMAGE_SIDE,
    "detection_segment.epochs": P.EPOCHS,
    "detection_segment.dice": _SHARE,
    "projector.max_points": P.MAX_POINTS,
    "projector.perplexity": P.POSITIVE_REAL,
    "projector.neighbors": P.NEIGHBORS,
    "projector.min_dist": _SHARE,
    "autoencoder.code_size": P.UNITS,
    "autoencoder.noise": _SHARE,
    "autoencoder.epochs": P.EPOCHS,
    "autoencoder.batch_size": P.BATCH_SIZE,
    "autoencoder.lr": P.LR,
    "autoencoder.max_samples": P.COUNT,
    "seq_trees.epochs": P.EPOCHS,
    "seq_captions.epochs": P.EPOCHS,
    "seq_captions.held_out": P.NONNEG_INT,
    "seq_captions.beam": _int("beam", 1, 64, "beam width"),
    "seq_zeroshot.epochs": P.EPOCHS,
    "seq_fewshot.episodes": P.COUNT,
    "rl_settings.seed": P.SEED,
    "rl_settings.steps": _int("steps", 1, 100_000_000, "number of steps"),
    "rl_settings.episodes": P.COUNT,
}


def bounds_of(section_key: str, field: str) -> Param | None:
    """The field's declaration (its ``spin_range()`` gives a spin box's range), or None."""
    return BOUNDS.get(f"{section_key}.{field}")


def check_bounds(section_key: str, field: str, value, where: str) -> None:
    """Raise StateError when a number (or each number of a list) is outside the field's bounds."""
    p = bounds_of(section_key, field)
    if p is None or value is None or isinstance(value, (bool, str, dict)):
        return
    for v in (value if isinstance(value, list) else [value]):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        try:
            p.check(v)
        except ParamError:
            from workbench.core.state.base import StateError

            shown = f"{v:,}" if isinstance(v, int) else f"{v:g}"
            raise StateError(f"{where} should be {p.describe()}, not {shown}.") from None
