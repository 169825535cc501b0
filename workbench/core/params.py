"""Declared bounds for every numeric option and settings field, checked before work starts.

As scikit-learn's ``_parameter_constraints``, one declaration says what a value may be::

    EPOCHS = Param("epochs", Interval(Integral, 1, 100_000), label="number of epochs")

and the same declaration drives three things:

- ``validate({"epochs": 10**22}, TRAIN_PARAMS)`` raises ``ParamError`` with one sentence
  ("The number of epochs must be a whole number from 1 to 100,000, not 10000000000000000000000.");
- ``EPOCHS.arg_type`` is an argparse ``type=`` function (a bad value is argparse's one-line error,
  exit status 2, before any work);
- ``EPOCHS.spin_range()`` gives the (minimum, maximum) of a Qt spin box (the Qt side is in
  ``workbench/ui/params_qt.py``; the core imports no Qt).

A constraint is an ``Interval``, an ``Options`` set, or ``None`` (the value None is allowed).
"""
from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Iterable, Mapping

from workbench.core.errors import WorkbenchError

# the largest value a 32-bit Qt spin box holds
QT_INT_MAX = 2**31 - 1


class ParamError(WorkbenchError):
    """An option or settings field outside its declared bounds."""


def _fmt(v) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, Integral):
        return f"{int(v):,}"
    if isinstance(v, float):
        return f"{v:g}"
    return repr(v)


@dataclass(frozen=True)
class Interval:
    """Numbers of ``type`` (``Integral`` or ``Real``) between ``left`` and ``right`` (None: no
    bound). ``closed`` is "both", "left", "right" or "neither". Booleans and NaN never satisfy it."""

    type: type
    left: float | None
    right: float | None
    closed: str = "both"

    def __post_init__(self):
        if self.type not in (Integral, Real):
            raise TypeError("Interval type must be Integral or Real")
        if self.closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"bad closed={self.closed!r}")

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, self.type):
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        lo_closed = self.closed in ("both", "left")
        hi_closed = self.closed in ("both", "right")
        if self.left is not None and (value < self.left or (value == self.left and not lo_closed)):
            return False
        if self.right is not None and (value > self.right or (value == self.right and not hi_closed)):
            return False
        if self.type is Real and self.right is None and isinstance(value, float) and math.isinf(value):
            return False
        return True

    def __str__(self) -> str:
        noun = "a whole number" if self.type is Integral else "a number"
        lo_closed = self.closed in ("both", "left")
        hi_closed = self.closed in ("both", "right")
        if self.left is not None and self.right is not None and lo_closed and hi_closed:
            return f"{noun} from {_fmt(self.left)} to {_fmt(self.right)}"
        parts = []
        if self.left is not None:
            parts.append(f"{'at least' if lo_closed else 'greater than'} {_fmt(self.left)}")
        if self.right is not None:
            parts.append(f"{'at most' if hi_closed else 'less than'} {_fmt(self.right)}")
        return f"{noun} " + " and ".join(parts) if parts else noun


@dataclass(frozen=True)
class Options:
    """One of a fixed set of values (compared after ``type`` conversion, text case-insensitively)."""

    type: type
    options: tuple

    def is_satisfied_by(self, value: Any) -> bool:
        if not isinstance(value, self.type) or isinstance(value, bool) and self.type is not bool:
            return False
        if isinstance(value, str):
            return value.lower() in {str(o).lower() for o in self.options}
        return value in self.options

    def __str__(self) -> str:
        return "one of " + ", ".join(_fmt(o) if not isinstance(o, str) else o for o in self.options)


def _satisfied(constraint, value) -> bool:
    if constraint is None:
        return value is None
    return constraint.is_satisfied_by(value)


class Param:
    """A named value with its constraints (any one satisfied is enough) and the words a message uses."""

    __slots__ = ("name", "constraints", "label", "help")

    def __init__(self, name: str, *constraints, label: str = "", help: str = ""):
        self.name = name
        self.constraints = tuple(constraints)
        self.label = label or name.replace("_", " ")
        self.help = help

    def __repr__(self) -> str:
        return f"Param({self.name!r}, {self.describe()})"

    @property
    def numeric(self) -> Interval | None:
        return next((c for c in self.constraints if isinstance(c, Interval)), None)

    def describe(self) -> str:
        # None (when allowed) means "the default": not worth a word in the sentence
        return " or ".join(str(c) for c in self.constraints if c is not None)

    def check(self, value: Any, where: str = "") -> Any:
        """``value`` if it satisfies a constraint; a float that is a whole number is accepted for
        an integer field (JSON writes 3.0). Raises ParamError with one sentence."""
        if isinstance(value, float) and value.is_integer() and any(
                isinstance(c, Interval) and c.type is Integral for c in self.constraints):
            value = int(value)
        if any(_satisfied(c, value) for c in self.constraints):
            return value
        loc = f" in {where}" if where else ""
        shown = str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        raise ParamError(f"The {self.label}{loc} must be {self.describe()}, not {shown}.")

    def parse(self, text: str) -> Any:
        """Text (a command-line word, a field of a plan string) to a checked value; ParamError."""
        num = self.numeric
        s = str(text).strip()
        if num is not None and (s.lower() in ("none", "") and None in self.constraints):
            return None
        if num is not None:
            try:
                value = int(s) if num.type is Integral else float(s)
            except (TypeError, ValueError):
                shown = s if len(s) <= 40 else s[:37] + "..."
                raise ParamError(f"The {self.label} must be {self.describe()}, not {shown!r}.") from None
            return self.check(value)
        return self.check(s)

    @property
    def arg_type(self):
        """An argparse ``type=`` function: argparse prints "argument --epochs: <sentence>" and exits 2."""
        def parse(text: str):
            try:
                return self.parse(text)
            except ParamError as e:
                raise argparse.ArgumentTypeError(str(e)[0].lower() + str(e)[1:].rstrip(".")) from None

        parse.__name__ = self.label
        return parse

    def spin_range(self) -> tuple[float, float]:
        """(minimum, maximum) for a spin box: open ends move one step (integers) or a hair (reals)
        inside; no bound becomes the largest 32-bit integer (what a QSpinBox holds)."""
        num = self.numeric
        if num is None:
            raise TypeError(f"{self.name} has no numeric range")
        lo, hi = num.left, num.right
        if num.type is Integral:
            lo = -QT_INT_MAX if lo is None else int(lo) + (0 if num.closed in ("both", "left") else 1)
            hi = QT_INT_MAX if hi is None else int(hi) - (0 if num.closed in ("both", "right") else 1)
            return max(lo, -QT_INT_MAX), min(hi, QT_INT_MAX)
        lo = -1e300 if lo is None else float(lo) if num.closed in ("both", "left") else math.nextafter(float(lo), math.inf)
        hi = 1e300 if hi is None else float(hi) if num.closed in ("both", "right") else math.nextafter(float(hi), -math.inf)
        return lo, hi


def validate(values: Mapping[str, Any], params: Mapping[str, Param] | Iterable[Param], *, where: str = "",
             skip_none: bool = True) -> dict:
    """Check every field of ``values`` that has a declaration (others pass through); returns a
    copy with whole-number floats turned into ints. ``skip_none``: a None value means "default"."""
    table = params if isinstance(params, Mapping) else {p.name: p for p in params}
    out = dict(values)
    for key, value in values.items():
        p = table.get(key)
        if p is None or (value is None and skip_none):
            continue
        out[key] = p.check(value, where)
    return out


def table(*params: Param) -> dict[str, Param]:
    return {p.name: p for p in params}


# ---- the declarations (one place; CLI, settings, state fields and spin boxes use these) ----------
MAX_EPOCHS = 100_000
MAX_SEED = 2**32 - 1  # what numpy and scikit-learn accept as a random state

EPOCHS = Param("epochs", Interval(Integral, 1, MAX_EPOCHS), label="number of epochs")
BATCH_SIZE = Param("batch_size", Interval(Integral, 1, 1_000_000), label="batch size")
EVAL_BATCH_SIZE = Param("eval_batch_size", Interval(Integral, 1, 1_000_000), None, label="evaluation batch size")
# a huge rate is a lesson (training diverges and says so), so only infinity is refused
LR = Param("lr", Interval(Real, 0, 1e12, closed="right"), label="learning rate")
MOMENTUM = Param("momentum", Interval(Real, 0, 1), label="momentum")
WEIGHT_DECAY = Param("weight_decay", Interval(Real, 0, 10), None, label="weight decay")
SEED = Param("seed", Interval(Integral, 0, MAX_SEED), label="seed")
PATIENCE = Param("early_stopping", Interval(Integral, 1, MAX_EPOCHS), None, label="early-stopping patience")
PATIENCE_OR_OFF = Param("early_stopping", Interval(Integral, 0, MAX_EPOCHS), label="early-stopping patience")
THREADS = Param("threads", Interval(Integral, 1, 1024), None, label="number of threads")
VOCAB_SIZE = Param("vocab_size", Interval(Integral, 1, 10_000_000), label="vocabulary size")
NGRAMS = Param("ngrams", Interval(Integral, 1, 5), label="n-gram length")
SEQUENCE_LENGTH = Param("sequence_length", Interval(Integral, 1, 100_000), label="sequence length")
PARALLEL = Param("parallel", Interval(Integral, 1, 1024), label="number of worker processes")
TRIALS = Param("trials", Interval(Integral, 1, 100_000), label="number of trials")
FOLDS = Param("k", Interval(Integral, 2, 1_000), label="number of folds")
REPEATS = Param("repeats", Interval(Integral, 1, 1_000), label="number of repeats")
FOLD_PLAN_MAX = 10_000  # folds x repeats: each fold is one training
# A split plan's kinds and defaults, declared once: ``data.SplitPlan`` and the project state's
# split section (``state.sections.SplitSection``) both take them from here.
SPLIT_KINDS = ("holdout", "kfold", "iterated-kfold", "time", "time-kfold")
SPLIT_DEFAULTS = {"kind": "holdout", "val": 0.2, "test": 0.2, "k": 5, "repeats": 1, "stratify": True, "seed": 0,
                  "drop_duplicates": False}
ROUNDS = Param("rounds", Interval(Integral, 1, 100), label="number of rounds")
SEEDS = Param("seeds", Interval(Integral, 1, 1_000), label="number of seeds")
SAMPLES = Param("n", Interval(Integral, 1, 1_000_000), label="number of samples")
IMAGE_SIDE = Param("size", Interval(Integral, 4, 4096), label="image side in pixels")
SCENE_SIDE = Param("size", Interval(Integral, 32, 1024), label="scene side in pixels")
INPUT_SIDE = Param("input_size", Interval(Integral, 16, 1024), label="network input side in pixels")
EMBEDDING_DIM = Param("dim", Interval(Integral, 1, 4096), label="embedding size")
FRACTION = Param("fraction", Interval(Real, 0, 1, closed="left"), label="fraction")
NONNEG_REAL = Param("value", Interval(Real, 0, None), label="value")
STEPS = Param("steps", Interval(Integral, 1, 1_000_000), label="number of steps")

TRAIN_PARAMS = table(EPOCHS, BATCH_SIZE, EVAL_BATCH_SIZE, LR, MOMENTUM, WEIGHT_DECAY, SEED, PATIENCE, THREADS)


def param(base: Param, name: str | None = None, label: str | None = None, *, low=None, high=None) -> Param:
    """A copy of ``base`` under another name or label, optionally with other integer bounds."""
    cons = base.constraints
    if low is not None or high is not None:
        num = base.numeric
        new = Interval(num.type, num.left if low is None else low, num.right if high is None else high, num.closed)
        cons = tuple(new if c is num else c for c in cons)
    return Param(name or base.name, *cons, label=label or base.label, help=base.help)


# ---- options of the case studies and explore commands ---------------------------------------------
def _int(name, lo, hi, label, *more):
    return Param(name, Interval(Integral, lo, hi), *more, label=label)


def _real(name, lo, hi, label, closed="both", *more):
    return Param(name, Interval(Real, lo, hi, closed=closed), *more, label=label)


LR_OR_AUTO = _real("lr", 0, 1e12, "learning rate (0: automatic)")
PROBABILITY = _real("probability", 0, 1, "share")
WEIGHT = _real("weight", 0, 1e6, "loss weight")
WEIGHT_OR_AUTO = _real("weight", 0, 1e12, "loss weight", "both", None)
FRAMES = _int("frames", 0, 10_000_000, "number of frames")
SMALL_COUNT = _int("count", 0, 50, "count")
GRID = _int("grid", 1, 64, "number of cells per side")
BOXES = _int("boxes", 1, 16, "number of boxes per cell")
WIDTH = _int("width", 1, 256, "number of channels")
PEOPLE = _int("people", 2, 10_000, "number of people")
SHOTS = _int("shots", 1, 1_000, "number of shots")
CLUSTERS = _int("k", 2, 1_000, "number of groups", None)
DISTANCE = _real("threshold", 0, 1e6, "distance threshold", "both", None)
THRESHOLD = _real("threshold", 0, 1, "threshold", "both", None)
REPORT_EVERY = _int("report_every", 1, 1_000_000, "report interval")
CLIP_SECONDS = _real("clip_seconds", 1, 600, "clip length in seconds")
MINUTES = _real("minutes", 0, 1e6, "number of minutes", "right", None)
SMOOTHING = _int("smoothing", 1, 1_000, "smoothing window", None)
SECONDS = _real("seconds", 0, 3600, "duration in seconds", "both", None)
STREAM_SECONDS = _real("seconds", 0, 1e7, "number of seconds", "right", None)
HOURS = _real("hours", 0, 1_000, "number of hours", "right")
MAX_POINTS = _int("max_points", 1, 10_000_000, "number of points")
ITERATIONS = _int("iterations", 1, 100_000, "number of iterations")
NEIGHBORS = _int("neighbors", 1, 10_000, "number of neighbours")
POSITIVE_REAL = _real("value", 0, 1e6, "value", "right")
UNITS = _int("units", 1, 100_000, "number of units")
LENGTH = _int("length", 1, 100_000, "length")
COUNT = _int("n", 1, 10_000_000, "count")
OPTIONAL_COUNT = _int("n", 1, 10_000_000, "count", None)
NONNEG_INT = _int("n", 0, 10**12, "number")
