"""Search spaces: what a search may change, read from one line of text, mapped onto a run.

    lr=log(1e-4,1e-1); layers.1.units=int(4,64); dropout=float(0,0.5); batch_size=16,32,64

One ``name=values`` per ``;``. Values are

    log(lo,hi)          a float between lo and hi, sampled on a log scale (lo > 0)
    float(lo,hi[,step]) a float between lo and hi (on a grid of ``step`` when given)
    int(lo,hi[,step])   a whole number from lo to hi (both included)
    logint(lo,hi)       a whole number on a log scale
    choice(a,b,...)     one of the listed values; a bare list ``a,b,...`` means the same

Names say what they change (``SearchSpace.targets`` checks each against the model before any
trial starts, so a typo is one sentence, not a failed search):

    lr, batch_size, epochs, optimizer, momentum, weight_decay, early_stopping   the training config
    scale, missing, vocab_size                                                  the preprocessing
    layers.N.SETTING     a setting of layer N, counted from 1 as the Model panel and the messages
                         count them: units, filters, rate, kernel, ..., activation, l1 or l2
    dropout              the rate of every Dropout layer
    l1, l2               the penalty of every layer with weights
    units / filters      the units of every hidden Dense layer / the filters of every Conv layer
    n_layers             the number of hidden Dense blocks (a Dense layer and the layers after it
                         up to the next Dense); more than the spec has repeats its last block

The parsed space is plain data (JSON via ``to_dict``); ``distributions()`` gives Optuna's.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import SpecError, TrainingError

KINDS = ("log", "float", "int", "logint", "choice")
TRAIN_FIELDS = ("lr", "batch_size", "epochs", "optimizer", "momentum", "weight_decay", "early_stopping")
PREP_FIELDS = ("scale", "missing", "vocab_size")
SPEC_WIDE = ("dropout", "l1", "l2", "units", "filters", "n_layers")
ALIASES = {"learning_rate": "lr", "batch": "batch_size", "depth": "n_layers", "num_layers": "n_layers",
           "layers": "n_layers", "dropout_rate": "dropout"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[0-9]+\.[A-Za-z_][A-Za-z0-9_]*)?$")
_CALL = re.compile(r"^([A-Za-z]+)\s*\((.*)\)$", re.S)
_WEIGHT_TYPES = ("Dense", "TimeDense", "Conv2D", "Conv1D", "GRU", "LSTM")
_CONV_TYPES = ("Conv2D", "Conv1D")
_HIDDEN_UNIT_TYPES = ("Dense", "TimeDense")
EXAMPLE = "lr=log(1e-4,1e-1); layers.1.units=int(4,64); dropout=float(0,0.5)"


class SpaceError(TrainingError):
    """A search space that cannot be read or does not fit the model."""


def _value(text: str) -> Any:
    t = text.strip()
    low = t.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return int(t)
    except ValueError:
        pass
    try:
        return float(t)
    except ValueError:
        return t


@dataclass(frozen=True)
class Param:
    """One searched setting: ``kind`` in KINDS; low/high/step for ranges, ``choices`` for lists."""

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    step: float | None = None
    choices: tuple = ()

    def to_text(self) -> str:
        if self.kind == "choice":
            return f"{self.name}=" + ",".join(_fmt(c) for c in self.choices)
        args = [_fmt(self.low), _fmt(self.high)] + ([_fmt(self.step)] if self.step is not None else [])
        return f"{self.name}={self.kind}({','.join(args)})"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "low": self.low, "high": self.high, "step": self.step,
                "choices": list(self.choices)}

    @classmethod
    def from_dict(cls, d: dict) -> "Param":
        return cls(str(d["name"]), str(d["kind"]), d.get("low"), d.get("high"), d.get("step"),
                   tuple(d.get("choices") or ()))

    def distribution(self):
        import optuna

        if self.kind == "choice":
            return optuna.distributions.CategoricalDistribution(list(self.choices))
        if self.kind in ("int", "logint"):
            return optuna.distributions.IntDistribution(int(self.low), int(self.high), log=self.kind == "logint",
                                                        step=int(self.step or 1))
        return optuna.distributions.FloatDistribution(float(self.low), float(self.high), log=self.kind == "log",
                                                      step=self.step)

    def grid_values(self) -> list:
        """The values a grid search tries (lists and stepped ranges only)."""
        if self.kind == "choice":
            return list(self.choices)
        if self.kind == "int":
            return list(range(int(self.low), int(self.high) + 1, int(self.step or 1)))
        if self.kind == "float" and self.step:
            n = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
            return [round(self.low + i * self.step, 12) for i in range(n)]
        raise SpaceError(f"A grid search needs a list of values or a stepped range for {self.name} "
                         f"(e.g. {self.name}=0.001,0.01,0.1 or {self.name}=float({_fmt(self.low)},{_fmt(self.high)},"
                         f"STEP)); use --sampler random or tpe for {self.kind} ranges.")


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _parse_param(name: str, text: str) -> Param:
    m = _CALL.match(text.strip())
    if m and m.group(1).lower() in KINDS + ("uniform", "range", "loguniform"):
        kind = {"uniform": "float", "range": "int", "loguniform": "log"}.get(m.group(1).lower(), m.group(1).lower())
        args = [a.strip() for a in m.group(2).split(",") if a.strip()]
        if kind == "choice":
            return _check(Param(name, "choice", choices=tuple(_value(a) for a in args)))
        nums = []
        for a in args:
            v = _value(a)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise SpaceError(f"{name}: {a!r} is not a number; write e.g. {name}={kind}(1,10).")
            nums.append(v)
        if len(nums) not in (2, 3):
            raise SpaceError(f"{name}: {kind}(...) takes a low and a high value (and a step), "
                             f"e.g. {name}={kind}(1,10).")
        lo, hi = nums[0], nums[1]
        step = nums[2] if len(nums) == 3 else None
        if kind in ("int", "logint"):
            if any(float(v) != int(v) for v in nums):
                raise SpaceError(f"{name}: int(...) needs whole numbers, e.g. {name}=int(4,64).")
            lo, hi, step = int(lo), int(hi), (int(step) if step is not None else None)
        return _check(Param(name, kind, float(lo) if kind in ("log", "float") else lo,
                            float(hi) if kind in ("log", "float") else hi, step))
    if m:
        raise SpaceError(f"{name}: unknown range {m.group(1)!r}; use log, float, int, logint or choice.")
    vals = [_value(v) for v in text.split(",") if v.strip()]
    if not vals:
        raise SpaceError(f"{name} has no values to try.")
    return _check(Param(name, "choice", choices=tuple(vals)))


def _check(p: Param) -> Param:
    if p.kind == "choice":
        if not p.choices:
            raise SpaceError(f"{p.name} has no values to try.")
        if len(set(map(repr, p.choices))) != len(p.choices):
            raise SpaceError(f"{p.name} lists a value twice; list each value once.")
        return p
    if not p.low < p.high:
        raise SpaceError(f"{p.name}: the low value must be below the high value "
                         f"(got {_fmt(p.low)} and {_fmt(p.high)}).")
    if p.kind in ("log", "logint") and p.low <= 0:
        raise SpaceError(f"{p.name}: a log range needs a low value above 0 (got {_fmt(p.low)}).")
    if p.step is not None:
        if not p.step > 0:
            raise SpaceError(f"{p.name}: the step must be above 0 (got {_fmt(p.step)}).")
        if p.kind in ("log", "logint"):
            raise SpaceError(f"{p.name}: a log range has no step; use int(...) or float(...) with a step.")
    return p


@dataclass(frozen=True)
class Target:
    """Where a parameter goes: ``part`` "train" | "prep" | "layer" | "spec"; for "layer" the layer
    index and setting, for "spec" the spec-wide setting (dropout, l2, units, n_layers, ...)."""

    part: str
    key: str
    layer: int | None = None


@dataclass(frozen=True)
class SearchSpace:
    params: tuple[Param, ...] = field(default_factory=tuple)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.params]

    def __len__(self) -> int:
        return len(self.params)

    def to_text(self) -> str:
        return "; ".join(p.to_text() for p in self.params)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.to_text(), "params": [p.to_dict() for p in self.params]}

    @classmethod
    def from_dict(cls, d: dict) -> "SearchSpace":
        return cls(tuple(Param.from_dict(p) for p in d.get("params", [])))

    def distributions(self) -> dict[str, Any]:
        return {p.name: p.distribution() for p in self.params}

    def grid(self) -> dict[str, list]:
        return {p.name: p.grid_values() for p in self.params}

    def grid_size(self) -> int:
        return math.prod(len(v) for v in self.grid().values())

    # ---- mapping onto a run -----------------------------------------------------------------
    def targets(self, spec, output_units: int | None = None) -> dict[str, Target]:
        """Where each parameter goes in this model; SpaceError (one sentence) for a name that
        fits nothing. ``output_units`` tells an explicit output layer from a hidden one."""
        return {p.name: _target(p, spec, output_units) for p in self.params}

    def apply(self, params: dict[str, Any], spec, train: dict, prep: dict, output_units: int | None = None):
        """(spec, train, prep) with ``params`` applied: copies, the inputs are left alone.

        Layer settings first, then the spec-wide ones, then ``n_layers`` (so a repeated block has
        the searched units). The new spec is checked (``SpecError`` names the layer)."""
        targets = self.targets(spec, output_units)
        spec = spec.copy()
        train, prep = dict(train), dict(prep)
        order = sorted(params, key=lambda n: {"layer": 0, "spec": 1}.get(targets[n].part, 2) + (
            1 if targets[n].key == "n_layers" else 0))
        for name in order:
            t, v = targets[name], _plain_number(params[name])
            if t.part == "train":
                train[t.key] = v
            elif t.part == "prep":
                prep[t.key] = v
            elif t.part == "layer":
                _set_layer(spec.layers[t.layer], t.key, v)
            elif t.key == "n_layers":
                spec.layers = _with_blocks(spec.layers, int(v), output_units)
            else:
                for i in _spec_wide_layers(spec.layers, t.key, output_units):
                    _set_layer(spec.layers[i], {"dropout": "rate"}.get(t.key, t.key), v)
        spec.validate()
        return spec, train, prep


def _plain_number(v: Any) -> Any:
    tolist = getattr(v, "item", None)  # numpy scalars from a sampler
    return tolist() if callable(tolist) else v


def parse_search_space(text: str) -> SearchSpace:
    """``"lr=log(1e-4,1e-1); layers.1.units=int(4,64)"`` -> SearchSpace (see the module docstring)."""
    params: list[Param] = []
    for part in _split_parts(str(text)):
        key, eq, vals = part.partition("=")
        name = ALIASES.get(key.strip(), key.strip())
        if not eq or not name:
            raise SpaceError(f"Cannot read {part!r}; write name=values, e.g. {EXAMPLE}")
        if not _NAME.match(name):
            raise SpaceError(f"{name!r} is not a setting name; write e.g. lr, dropout or layers.1.units.")
        if name in {p.name for p in params}:
            raise SpaceError(f"{name} appears twice in the search space; give each setting once.")
        params.append(_parse_param(name, vals))
    if not params:
        raise SpaceError(f"Enter at least one setting to search, e.g. {EXAMPLE}")
    return SearchSpace(tuple(params))


def _split_parts(text: str) -> list[str]:
    """Split at ';' outside parentheses (``choice(a;b)`` is not split)."""
    parts, depth, cur = [], 0, []
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == ";" and depth <= 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def as_space(space) -> SearchSpace:
    """A SearchSpace from text, a SearchSpace, or a dict {name: [values]} (each a list of choices)."""
    if isinstance(space, SearchSpace):
        return space
    if isinstance(space, str):
        return parse_search_space(space)
    if isinstance(space, dict):
        if "params" in space:
            return SearchSpace.from_dict(space)
        return SearchSpace(tuple(_check(Param(ALIASES.get(k, k), "choice",
                                              choices=tuple(v if isinstance(v, (list, tuple)) else [v])))
                                 for k, v in space.items()))
    raise SpaceError("A search space is text such as " + EXAMPLE)


# ---- targets ----------------------------------------------------------------------------------


def _layer_types(layers) -> list[str | None]:
    return [layer.canonical_type for layer in layers]


def _is_output(layers, i: int, output_units: int | None) -> bool:
    """The last layer is the output layer when it is a Dense/TimeDense with the output's units."""
    if i != len(layers) - 1 or layers[i].canonical_type not in _HIDDEN_UNIT_TYPES:
        return False
    units = layers[i].params.get("units")
    if output_units is not None:
        return units == output_units
    return layers[i].activation in ("sigmoid", "softmax")


def _spec_wide_layers(layers, key: str, output_units: int | None) -> list[int]:
    types = _layer_types(layers)
    if key == "dropout":
        return [i for i, t in enumerate(types) if t == "Dropout"]
    if key in ("l1", "l2"):
        return [i for i, t in enumerate(types) if t in _WEIGHT_TYPES]
    if key == "units":
        return [i for i, t in enumerate(types) if t in _HIDDEN_UNIT_TYPES + ("GRU", "LSTM")
                and not _is_output(layers, i, output_units)]
    if key == "filters":
        return [i for i, t in enumerate(types) if t in _CONV_TYPES]
    return []


def _blocks(layers, output_units: int | None) -> tuple[list[list], list, list]:
    """(hidden Dense blocks, layers before the first, layers after the last: the output layer)."""
    types = _layer_types(layers)
    dense = [i for i, t in enumerate(types) if t == "Dense" and not _is_output(layers, i, output_units)]
    if not dense:
        return [], list(layers), []
    tail_start = len(layers) - 1 if _is_output(layers, len(layers) - 1, output_units) else len(layers)
    blocks = []
    for j, start in enumerate(dense):
        end = dense[j + 1] if j + 1 < len(dense) else tail_start
        blocks.append(list(layers[start:end]))
    return blocks, list(layers[: dense[0]]), list(layers[tail_start:])


def _with_blocks(layers, n: int, output_units: int | None) -> list:
    from workbench.core.models import LayerSpec

    blocks, head, tail = _blocks(layers, output_units)
    if n < 1:
        raise SpecError(f"n_layers must be at least 1 (got {n}).")
    while len(blocks) < n:
        blocks.append([LayerSpec.from_dict(lay.to_dict()) for lay in blocks[-1]])
    out = list(head)
    for b in blocks[:n]:
        out.extend(b)
    return out + tail


def _target(p: Param, spec, output_units: int | None) -> Target:
    from workbench.core.models import LAYER_TYPES

    name = p.name
    if name in TRAIN_FIELDS:
        _check_field(p)
        return Target("train", name)
    if name in PREP_FIELDS:
        _check_field(p)
        return Target("prep", name)
    layers = spec.layers
    if name in SPEC_WIDE:
        if name == "n_layers":
            if not _blocks(layers, output_units)[0]:
                raise SpaceError("n_layers changes the number of hidden Dense layers, but this model has none; "
                                 "search layers.N.units or filters instead.")
            _check_numbers(p, lo=1, whole=True)
        elif not _spec_wide_layers(layers, name, output_units):
            what = {"dropout": "Dropout", "l1": "Dense, Conv or recurrent", "l2": "Dense, Conv or recurrent",
                    "units": "hidden Dense or recurrent", "filters": "Conv"}[name]
            raise SpaceError(f"{name} changes every {what} layer, but this model has none; add one in the Model "
                             "panel or search another setting.")
        if name == "dropout":
            _check_numbers(p, lo=0, hi_open=1)
        elif name in ("units", "filters"):
            _check_numbers(p, lo=1, whole=True)
        elif name in ("l1", "l2"):
            _check_numbers(p, lo=0)
        return Target("spec", name)
    if name.startswith("layers."):
        _, idx, key = name.split(".")
        i = int(idx) - 1  # layers.1 is the first layer, as the Model panel numbers them
        if not 0 <= i < len(layers):
            raise SpaceError(f"{name}: the model has {len(layers)} layers, layers.1 to layers.{len(layers)}.")
        tname = layers[i].canonical_type
        settings = list(LAYER_TYPES[tname].params) + ["activation", "l1", "l2"] if tname else []
        if key not in settings:
            raise SpaceError(f"{name}: layer {i + 1} ({tname or layers[i].type}) has no setting {key!r}; its "
                             f"settings are {', '.join(settings)}.")
        kind = LAYER_TYPES[tname].params[key].kind if key in LAYER_TYPES[tname].params else key
        if kind == "int":
            _check_numbers(p, lo=1, whole=True)
        elif kind == "rate":
            _check_numbers(p, lo=0, hi_open=1)
        elif kind in ("l1", "l2"):
            _check_numbers(p, lo=0)
        return Target("layer", key, i)
    known = ", ".join(TRAIN_FIELDS + PREP_FIELDS + SPEC_WIDE)
    raise SpaceError(f"{name!r} is not a setting a search can change; use one of {known} or layers.N.SETTING.")


def _check_field(p: Param) -> None:
    """Values a training or preprocessing field accepts, checked before any trial."""
    from workbench.core.data.preprocess import MISSING, SCALES
    from workbench.core.training.config import OPTIMIZERS

    if p.name in ("batch_size", "epochs", "early_stopping", "vocab_size"):
        _check_numbers(p, lo=1, whole=True)
    elif p.name == "lr":
        vals = list(p.choices) if p.kind == "choice" else [p.low, p.high]
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0 for v in vals):
            raise SpaceError(f"lr must be a number above 0, e.g. lr=log(1e-4,1e-1) (got {p.to_text()}).")
    elif p.name in ("momentum", "weight_decay"):
        _check_numbers(p, lo=0)
    options = {"optimizer": OPTIMIZERS, "scale": SCALES, "missing": MISSING}.get(p.name)
    if options is not None:
        bad = [c for c in p.choices if str(c).lower() not in options] if p.kind == "choice" else [p.name]
        if bad:
            raise SpaceError(f"{p.name} can be {', '.join(options)} (got {', '.join(map(str, bad))}).")


def _check_numbers(p: Param, *, lo: float, hi_open: float | None = None, whole: bool = False) -> None:
    vals = list(p.choices) if p.kind == "choice" else [p.low, p.high]
    for v in vals:
        bad = isinstance(v, bool) or not isinstance(v, (int, float)) or v < lo or (hi_open is not None and v >= hi_open)
        if whole and not bad:
            bad = float(v) != int(v)
        if bad:
            rng = f"in [{lo:g}, {hi_open:g})" if hi_open is not None else f">= {lo:g}"
            raise SpaceError(f"{p.name} must be {'a whole number ' if whole else 'a number '}{rng} (got {_fmt(v)}).")


def _set_layer(layer, key: str, value: Any) -> None:
    if key in ("l1", "l2"):
        setattr(layer, key, float(value))
    elif key == "activation":
        layer.activation = str(value)
    else:
        if isinstance(value, float) and value.is_integer() and key in ("units", "filters", "kernel", "stride", "size"):
            value = int(value)
        layer.params[key] = value
