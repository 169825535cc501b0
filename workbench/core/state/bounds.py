"""Declared bounds of the state's numeric fields, in one place: "section.field" -> (low, high).

A value outside its bounds is a ``StateError`` naming the field and the range. ``None`` on a side
means no bound there. The same table gives the spin boxes their ranges (``bounds_of``).
"""
from __future__ import annotations

import math

BIG = 2**31 - 1

BOUNDS: dict[str, tuple[float | None, float | None]] = {
    # core sections
    "data.image_size": (8, 1024),
    "data.folder_image_size": (8, 1024),
    "split.val": (0.0, 0.95),
    "split.test": (0.0, 0.95),
    "split.k": (2, 100),
    "split.repeats": (1, 100),
    "split.seed": (0, BIG),
    "preprocessing.vocab_size": (10, 10_000_000),
    "training.epochs": (1, 100_000),
    "training.batch_size": (1, 1_000_000),
    "training.lr": (1e-12, 100.0),
    "training.early_stopping": (1, 100_000),
    "training.seed": (0, BIG),
    "model.l1": (0.0, 10.0),
    "model.l2": (0.0, 10.0),
    "model.dropout": (0.0, 0.99),
    "search.trials": (1, 100_000),
    "search.workers": (0, 1024),
    # case studies
    "daynight.n": (2, 1_000_000),
    "daynight.epochs": (1, 100_000),
    "daynight.batch_size": (1, 100_000),
    "daynight.lr": (1e-12, 100.0),
    "daynight.seed": (0, BIG),
    "faces.threshold": (0.0, 4.0),
    "faces.k": (1, 1000),
    "faces_training.shots": (1, 10_000),
    "faces_training.people": (2, 100_000),
    "faces_training.epochs": (1, 100_000),
    "faces_training.margin": (0.0, 10.0),
    "faces_training.dim": (2, 4096),
    "faces_training.lr": (1e-12, 100.0),
    "style_transfer.steps": (1, 100_000),
    "detection_data.n": (1, 1_000_000),
    "detection_data.size": (16, 4096),
    "detection_data.max_objects": (1, 1000),
    "detection_data.overlap": (0.0, 1.0),
    "detection_data.seed": (0, BIG),
    "detection_training.S": (1, 64),
    "detection_training.B": (1, 16),
    "detection_training.epochs": (1, 100_000),
    "detection_training.batch_size": (1, 100_000),
    "detection_training.lr": (1e-12, 100.0),
    "detection_training.seed": (0, BIG),
    "projector.max_points": (10, 10_000_000),
    "projector.perplexity": (1.0, 1000.0),
    "projector.neighbors": (2, 1000),
    "projector.min_dist": (0.0, 1.0),
    "autoencoder.code_size": (1, 4096),
    "autoencoder.noise": (0.0, 1.0),
    "autoencoder.epochs": (1, 100_000),
    "autoencoder.batch_size": (1, 100_000),
    "autoencoder.lr": (1e-12, 100.0),
}


def bounds_of(section_key: str, field: str) -> tuple[float | None, float | None] | None:
    return BOUNDS.get(f"{section_key}.{field}")


def _fmt(v) -> str:
    return f"{v:,}" if isinstance(v, int) else f"{v:g}"


def check_bounds(section_key: str, field: str, value, where: str) -> None:
    """Raise StateError when a number (or each number of a list) is outside the field's bounds."""
    b = bounds_of(section_key, field)
    if b is None or value is None or isinstance(value, (bool, str, dict)):
        return
    values = value if isinstance(value, list) else [value]
    lo, hi = b
    for v in values:
        if not isinstance(v, (int, float)) or isinstance(v, bool):
            continue
        if (isinstance(v, float) and math.isnan(v)) or (lo is not None and v < lo) or (hi is not None and v > hi):
            from workbench.core.state.base import StateError

            span = (f"from {_fmt(lo)} to {_fmt(hi)}" if lo is not None and hi is not None
                    else f"at least {_fmt(lo)}" if lo is not None else f"at most {_fmt(hi)}")
            raise StateError(f"{where} should be {span}, not {_fmt(v)}.")
