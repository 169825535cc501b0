"""Problem types and output heads: which activation and loss go on top of a network.

The model's forward pass returns RAW outputs (pre-activation). A `Head` knows how to turn them
into probabilities / values (`activate`) and how to compute the data loss (`loss`). For the
matching pairs it uses the numerically stable forms (sigmoid + BCE -> BCE-with-logits, softmax +
categorical cross-entropy -> cross_entropy on logits); every other pair applies the activation,
then the loss on what came out (BCE clamped to [1e-7, 1 - 1e-7], MSE / MAE on probabilities
against one-hot targets, ...), so a mismatched head is allowed and trains, and `check_head` says
why it is a poor choice.

Output layout: (N, K) for one value per sample; (N, T, K) for per-time-step tasks.

Heads with a loss of several named terms (object detection's YOLO loss, segmentation's
cross-entropy + Dice) subclass `TermHead`: ``loss_terms(raw, y)`` returns the terms, ``loss`` is
their sum, and the Trainer logs each term's epoch mean as ``loss_<term>`` / ``val_loss_<term>``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from workbench.core.errors import SpecError, TrainingError
from workbench.core.models.spec import canonical_name

TASKS = ("binary", "multiclass", "multilabel", "regression", "regression01", "sequence_binary",
         "reconstruction", "next_token")
HEAD_ACTIVATIONS = ("sigmoid", "softmax", "none", "tanh", "relu")
LOSSES = ("bce", "cce", "mse", "mae")
_LOSS_ALIASES = {
    "binary_crossentropy": "bce", "binary_cross_entropy": "bce", "binary cross-entropy": "bce",
    "categorical_crossentropy": "cce", "categorical_cross_entropy": "cce", "cross_entropy": "cce",
    "categorical cross-entropy": "cce", "sparse_categorical_crossentropy": "cce",
    "mean_squared_error": "mse", "mean_absolute_error": "mae", "l1": "mae",
}
_EPS = 1e-7
_CLASS_TASKS = ("binary", "multiclass", "multilabel", "sequence_binary")

_DEFAULTS = {
    "binary": ("sigmoid", "bce", "two classes: one sigmoid output is the probability of the second class, "
                                 "trained with binary cross-entropy"),
    "multiclass": ("softmax", "cce", "one label out of several: softmax makes the outputs a probability "
                                     "distribution, trained with categorical cross-entropy"),
    "multilabel": ("sigmoid", "bce", "several independent yes/no labels: one sigmoid per label, each "
                                     "trained with binary cross-entropy"),
    "regression": ("none", "mse", "unbounded numbers: no output activation, mean squared error"),
    "regression01": ("sigmoid", "mse", "numbers in [0, 1]: a sigmoid keeps predictions in range; mean "
                                       "squared error (binary cross-entropy also works)"),
    "sequence_binary": ("sigmoid", "bce", "a 0/1 label at every time step: one sigmoid per step, binary "
                                          "cross-entropy averaged over the steps"),
    # self-supervised: the labels are made from the data
    "reconstruction": ("sigmoid", "bce", "the input itself, pixels in [0, 1]: a sigmoid keeps every output in "
                                         "[0, 1] and binary cross-entropy scores each pixel (MSE also works)"),
    "next_token": ("softmax", "cce", "the next word or character, one of the vocabulary: softmax over the "
                                     "vocabulary at every step, trained with categorical cross-entropy"),
}
_UNBOUNDED_RECONSTRUCTION = ("none", "mse", "the input itself, values not limited to [0, 1] (e.g. standardized): no "
                                            "output activation, mean squared error per value")


def reconstruction_head(x_min: float = 0.0, x_max: float = 1.0) -> "Head":
    """The head for rebuilding inputs whose values lie in [x_min, x_max]: sigmoid + BCE on [0, 1]
    pixels, otherwise no activation + MSE (a sigmoid could never reach values outside [0, 1])."""
    if x_min >= 0.0 and x_max <= 1.0:
        return default_head("reconstruction")
    act, loss, reason = _UNBOUNDED_RECONSTRUCTION
    return Head("reconstruction", act, loss, reason)


def _canon_loss(loss: Any) -> str | None:
    return canonical_name(loss, LOSSES, _LOSS_ALIASES)


def _canon_act(act: Any) -> str | None:
    return canonical_name(act, HEAD_ACTIVATIONS, {"linear": "none", "identity": "none", "": "none"}, none="none")


def _canon_task(task: Any) -> str:
    if task not in TASKS:
        raise SpecError(f"Unknown problem type {task!r}; choose one of {', '.join(TASKS)}.")
    return task


def infer_task(y: Any, class_names: list[str] | None = None, *, per_step: bool | None = None) -> str:
    """Guess the problem type from the targets.

    - (N,) with class names: 2 names -> "binary", more -> "multiclass".
    - (N,) integers / booleans without names: values in {0, 1} -> "binary"; at most 20 distinct codes
      in 0..99 -> "multiclass"; other integers (counts, years) -> regression.
    - (N,) floats: only 0.0 and 1.0 -> "binary"; all in [0, 1] -> "regression01"; else "regression".
    - (N, K) 0/1 with one class name per column -> "multilabel"; (N, T) 0/1 without that (no names,
      or two names like ["background", "trigger"]) -> "sequence_binary"; ``per_step=True`` forces it,
      ``per_step=False`` reads such a matrix as multilabel.
    - (N, T, 1) (or (N, T, K)) 0/1 -> "sequence_binary".
    - other (N, K) floats -> "regression01" if all in [0, 1], else "regression".
    """
    y = np.asarray(y)
    if y.size == 0:
        raise SpecError("There are no targets to infer the problem type from.")
    if y.ndim == 2 and y.shape[1] == 1 and not per_step:
        y = y[:, 0]
    is_num = np.issubdtype(y.dtype, np.number) or y.dtype == bool
    if not is_num:
        if y.ndim == 1:
            return "binary" if len(np.unique(y)) <= 2 else "multiclass"
        raise SpecError(f"Targets of type {y.dtype} and shape {y.shape} are not supported.")
    finite = np.isfinite(y.astype(np.float64))
    if not finite.all():
        raise SpecError("Some targets are missing (NaN) or infinite; drop or fill those samples first.")
    yf = y.astype(np.float64)
    is01 = bool(np.isin(yf, (0.0, 1.0)).all())
    in01 = bool(((yf >= 0) & (yf <= 1)).all())
    if y.ndim == 1:
        if class_names is not None:
            return "binary" if len(class_names) <= 2 else "multiclass"
        if y.dtype == bool or is01:
            return "binary"
        if np.issubdtype(y.dtype, np.integer) and y.min() >= 0 and y.max() < 100 and len(np.unique(y)) <= 20:
            return "multiclass"  # small non-negative codes read as classes; other integers as numbers
        return "regression01" if in01 else "regression"
    if y.ndim == 2:
        if is01:
            if per_step is True:
                return "sequence_binary"
            if per_step is False or (class_names is not None and len(class_names) == y.shape[1]):
                return "multilabel"
            return "sequence_binary"
        return "regression01" if in01 else "regression"
    if y.ndim == 3 and is01:
        return "sequence_binary"
    raise SpecError(f"Targets of shape {y.shape} are not supported: use (N,) labels or values, (N, K) "
                    f"labels / values, or (N, T) / (N, T, 1) per-time-step 0/1 labels.")


def check_head(task: str, activation: str, loss: str, n_outputs: int | None = None) -> list[str]:
    """Warnings (each a sentence with the reason) for a head that does not suit the task.

    An empty list means the pair is a sound choice. ``n_outputs`` (units per sample or per step)
    defaults to what `Head.output_units` would use."""
    task = _canon_task(task)
    act, los = _canon_act(activation), _canon_loss(loss)
    if act is None:
        raise SpecError(f"Unknown output activation {activation!r}; choose one of {', '.join(HEAD_ACTIVATIONS)}.")
    if los is None:
        raise SpecError(f"Unknown loss {loss!r}; choose one of {', '.join(LOSSES)}.")
    if n_outputs is None:
        n_outputs = 2 if (task in ("binary", "sequence_binary") and act == "softmax") else (
            1 if task in ("binary", "sequence_binary", "regression", "regression01") else None)
    w: list[str] = []
    is_class = task in _CLASS_TASKS
    if act == "softmax" and n_outputs == 1:
        w.append("Softmax over a single output is always 1.0, so the model cannot express anything and "
                 "cannot learn; use sigmoid (values in 0..1) or no activation.")
    if act == "softmax" and task in ("multilabel",):
        w.append("Softmax makes the outputs compete (they sum to 1), but the labels are independent and a "
                 "sample can have several; use sigmoid with binary cross-entropy.")
    if act == "softmax" and los == "bce" and task == "multiclass":
        w.append("Binary cross-entropy scores each softmax output as an independent yes/no, although softmax "
                 "outputs are one distribution; categorical cross-entropy is the matching loss for softmax.")
    if los == "cce" and task == "multilabel":
        w.append("Categorical cross-entropy assumes exactly one true class per sample, but multilabel targets "
                 "can have several true labels; use binary cross-entropy with sigmoid.")
    if los == "cce" and act == "sigmoid" and task == "multiclass":
        w.append("Categorical cross-entropy expects outputs that sum to 1; independent sigmoids do not, so the "
                 "scores are not a distribution; use softmax with categorical cross-entropy.")
    if los in ("mse", "mae") and is_class:
        w.append(f"{los.upper()} on class labels gives weak gradients when the model is confidently wrong and "
                 f"trains slowly; cross-entropy is the loss for classification.")
    if is_class and act in ("none", "tanh", "relu"):
        w.append(f"The output activation '{act}' does not give probabilities in 0..1, so the outputs cannot "
                 f"be read as class probabilities; use sigmoid or softmax.")
    if los in ("bce", "cce") and act in ("none", "tanh", "relu"):
        w.append(f"Cross-entropy needs probabilities, but '{act}' outputs can leave 0..1; they are clipped, "
                 f"which stops the gradient there; use sigmoid (or softmax).")
    if task == "regression":
        if act in ("sigmoid", "softmax", "tanh"):
            rng = {"sigmoid": "0..1", "softmax": "0..1 (summing to 1)", "tanh": "-1..1"}[act]
            w.append(f"The targets are unbounded numbers, but '{act}' squeezes predictions into {rng}, so "
                     f"larger or smaller targets can never be predicted; use no activation.")
        if act == "relu":
            w.append("ReLU on the output can never predict negative values and stops learning for samples "
                     "where it outputs 0; use no activation unless the targets are never negative.")
        if los in ("bce", "cce"):
            w.append("Cross-entropy needs targets in 0..1 (probabilities), but these targets are unbounded "
                     "numbers; use mean squared (or absolute) error.")
    if task == "reconstruction":
        if act == "softmax":
            w.append("Softmax makes all the rebuilt values of a sample compete (they sum to 1), but each pixel or "
                     "value is its own number; use sigmoid on [0, 1] inputs, or no activation.")
        if los == "cce":
            w.append("Categorical cross-entropy treats the outputs as one distribution over classes, but a "
                     "reconstruction is one value per input value; use binary cross-entropy on [0, 1] pixels or "
                     "mean squared error.")
    if task == "next_token":
        if act != "softmax":
            w.append(f"The next token is exactly one of the vocabulary, so the outputs should be one probability "
                     f"distribution over it; '{act}' does not give one: use softmax.")
        if los != "cce":
            w.append(f"{los.upper()} does not score the probability given to the true next token; categorical "
                     f"cross-entropy does, and its exponential is the perplexity.")
    if task == "regression01":
        if act in ("none", "relu", "tanh"):
            w.append(f"The targets lie in 0..1, but '{act}' outputs can leave that range; a sigmoid keeps the "
                     f"predictions valid.")
        if los == "cce" and act != "softmax":
            w.append("Categorical cross-entropy treats the outputs as one distribution over classes; for values "
                     "in 0..1 use mean squared error or binary cross-entropy.")
    return w


@dataclass(frozen=True, init=False)
class Head:
    """Output activation + loss for a task. Build one with `default_head(task)` or directly:
    ``Head("binary", "sigmoid", "bce")`` / ``Head(task=..., activation=..., loss=...)``.

    The loss *name* is the attribute ``loss_name`` (``loss`` is the method computing the loss).

    Regression targets may be standardized (``with_target_scaling(y_train)``): the network then
    learns (y - target_offset) / target_scale, the loss is computed in those units, and
    ``activate`` returns values in the targets' own units (so metrics and predictions are too)."""

    task: str
    activation: str
    loss_name: str
    reason: str
    target_offset: float = 0.0
    target_scale: float = 1.0

    def __init__(self, task: str, activation: str, loss: str | None = None, reason: str = "", *,
                 loss_name: str | None = None, target_offset: float = 0.0, target_scale: float = 1.0):
        loss = loss if loss is not None else loss_name  # loss_name: so dataclasses.replace works
        _canon_task(task)
        act, los = _canon_act(activation), _canon_loss(loss)
        if act is None:
            raise SpecError(f"Unknown output activation {activation!r}; "
                            f"choose one of {', '.join(HEAD_ACTIVATIONS)}.")
        if los is None:
            raise SpecError(f"Unknown loss {loss!r}; choose one of {', '.join(LOSSES)}.")
        object.__setattr__(self, "task", task)
        object.__setattr__(self, "activation", act)
        object.__setattr__(self, "loss_name", los)
        object.__setattr__(self, "reason", reason or "")
        scale = float(target_scale)
        if not (np.isfinite(scale) and scale > 0 and np.isfinite(float(target_offset))):
            raise SpecError(f"A target scale must be a positive number, not {target_scale!r}.")
        object.__setattr__(self, "target_offset", float(target_offset))
        object.__setattr__(self, "target_scale", scale)

    @property
    def scaled_targets(self) -> bool:
        return self.target_offset != 0.0 or self.target_scale != 1.0

    def with_target_scaling(self, y) -> "Head":
        """This head learning standardized targets (mean and std of ``y``, the training targets);
        only for regression with no output activation (a sigmoid / relu fixes the output range)."""
        y = np.asarray(y, dtype=np.float64)
        if self.task != "regression" or self.activation != "none" or self.loss_name not in ("mse", "mae") or not y.size:
            return self
        std = float(np.std(y))
        return Head(self.task, self.activation, self.loss_name, self.reason, target_offset=float(np.mean(y)),
                    target_scale=std if std > 1e-12 else 1.0)

    # -- description -------------------------------------------------------------------------
    @property
    def is_sequence(self) -> bool:
        return self.task.startswith("sequence") or self.task == "next_token"

    @property
    def is_classification(self) -> bool:
        return self.task in _CLASS_TASKS

    @property
    def stable(self) -> bool:
        """True when `loss` uses a fused, numerically stable form on the raw outputs."""
        return (self.activation, self.loss_name) in (("sigmoid", "bce"), ("softmax", "cce"))

    @property
    def warnings(self) -> list[str]:
        return check_head(self.task, self.activation, self.loss_name)

    def describe(self) -> str:
        scaled = (f" (targets standardized: mean {self.target_offset:.4g}, std {self.target_scale:.4g})"
                  if self.scaled_targets else "")
        return f"{self.activation} + {self.loss_name}{scaled}"

    def to_dict(self) -> dict:
        d = {"task": self.task, "activation": self.activation, "loss": self.loss_name, "reason": self.reason}
        if self.scaled_targets:
            d.update(target_offset=self.target_offset, target_scale=self.target_scale)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Head":
        if not isinstance(d, dict):
            raise SpecError("A head must be an object with task, activation and loss.")
        return cls(d.get("task"), d.get("activation", "none"), d.get("loss", d.get("loss_name")), d.get("reason", ""),
                   target_offset=d.get("target_offset", 0.0), target_scale=d.get("target_scale", 1.0))

    # -- sizes -------------------------------------------------------------------------------
    def output_units(self, y: Any, n_classes: int | None = None) -> int:
        """Output units per sample (per time step for sequence tasks) for these targets."""
        y = np.asarray(y)
        if self.task in ("binary", "sequence_binary"):
            if self.activation == "softmax":
                return 2  # one output per class: softmax over a single output would be constant
            if self.task == "sequence_binary" and y.ndim == 3:
                return int(y.shape[2])
            return 1
        if self.task == "multiclass":
            if n_classes is not None:
                return int(n_classes)
            if y.ndim == 2 and y.shape[1] > 1:  # one-hot
                return int(y.shape[1])
            return int(np.max(y)) + 1
        if self.task == "multilabel":
            return int(y.shape[1]) if y.ndim == 2 else int(n_classes or 1)
        if self.task == "next_token":  # one output per vocabulary entry, at every step
            return int(n_classes) if n_classes is not None else int(np.max(y)) + 1
        if self.task == "reconstruction":
            return int(np.prod(y.shape[1:])) if y.ndim >= 2 else 1
        return int(y.shape[1]) if y.ndim == 2 else 1

    def output_shape(self, y: Any, n_classes: int | None = None) -> tuple:
        """Per-sample output shape for `build_model`: (K,), or (T, K) for sequence tasks."""
        y = np.asarray(y)
        k = self.output_units(y, n_classes)
        if self.task == "reconstruction" and y.ndim >= 2:
            return tuple(int(d) for d in y.shape[1:])  # the input's own shape: (F,) or (C, H, W)
        if self.is_sequence:
            return (int(y.shape[1]) if y.ndim >= 2 else None, k)
        return (k,)

    # -- tensors -----------------------------------------------------------------------------
    def activate(self, raw):
        """Raw outputs -> probabilities (sigmoid / softmax over the last axis) or values (in the
        targets' own units when they were standardized)."""
        p = self._activation(raw)
        return p * self.target_scale + self.target_offset if self.scaled_targets else p

    def _activation(self, raw):
        import torch

        a = self.activation
        if a == "sigmoid":
            return torch.sigmoid(raw)
        if a == "softmax":
            return torch.softmax(raw, dim=-1)
        if a == "tanh":
            return torch.tanh(raw)
        if a == "relu":
            return torch.relu(raw)
        return raw

    def predict(self, raw, threshold: float = 0.5):
        """Labels (long) for classification tasks, values for regression.

        binary / multilabel / sequence_binary: p >= threshold per output (argmax when the head has a
        softmax over 2 outputs, giving one label per sample / step); multiclass: argmax."""
        import torch

        p = self.activate(raw)
        if self.task == "multiclass" or self.task == "next_token" or (self.task in ("binary", "sequence_binary") and raw.shape[-1] > 1
                                         and self.activation == "softmax"):
            return torch.argmax(p, dim=-1)
        if self.is_classification:
            out = (p >= threshold).long()
            return out[..., 0] if (out.shape[-1] == 1 and self.task in ("binary", "sequence_binary")) else out
        return p

    def _targets(self, out, y):
        """Targets laid out like `out` -> ("index", long tensor of out.shape[:-1]) or ("dense", float out.shape)."""
        import torch

        y = torch.as_tensor(y, device=out.device)
        if y.shape == out.shape:
            return "dense", y.to(out.dtype)
        k = out.shape[-1]
        if y.ndim == out.ndim and y.shape[-1] == 1 and k > 1:
            y = y[..., 0]
        if y.shape == out.shape[:-1] and k > 1:
            if torch.is_floating_point(y) and not torch.equal(y, torch.round(y)):
                raise TrainingError(f"The model has {k} outputs per sample, but the targets are fractional "
                                    f"numbers, not class indices; check the problem type.")
            idx = y.long()
            if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= k):
                raise TrainingError(f"The targets contain class {int(idx.max())} but the model has only {k} "
                                    f"outputs; rebuild the model for these targets.")
            return "index", idx
        if y.numel() == out.numel():
            return "dense", y.reshape(out.shape).to(out.dtype)
        raise TrainingError(f"The model outputs {tuple(out.shape)} but the targets have shape {tuple(y.shape)}; "
                            f"rebuild the model for these targets.")

    def loss(self, raw, y):
        """Mean data loss of raw outputs against targets (class indices, 0/1, one-hot or values)."""
        import torch
        import torch.nn.functional as F

        if raw.dtype in (torch.float16, torch.bfloat16):
            raw = raw.float()  # losses in float32 even under mixed precision
        kind, t = self._targets(raw, y)
        k = raw.shape[-1]
        a, lo = self.activation, self.loss_name
        if a == "sigmoid" and lo == "bce":
            if kind == "index":
                t = F.one_hot(t, k).to(raw.dtype)
            return F.binary_cross_entropy_with_logits(raw, t)
        if a == "softmax" and lo == "cce":
            logits = raw.reshape(-1, k)
            if kind == "index":
                return F.cross_entropy(logits, t.reshape(-1))
            return F.cross_entropy(logits, t.reshape(-1, k))  # one-hot / soft targets
        p = self._activation(raw)
        if kind == "index":
            t = F.one_hot(t, k).to(raw.dtype)
        if self.scaled_targets:  # learn standardized targets: well-conditioned whatever their units
            t = (t - self.target_offset) / self.target_scale
        if lo == "bce" or (lo == "cce" and k == 1):
            # a single output with categorical cross-entropy is the two-class case: BCE on p and 1 - p.
            # Written out rather than F.binary_cross_entropy, which refuses to run under CUDA autocast.
            p, t = p.clamp(_EPS, 1 - _EPS), t.clamp(0, 1)
            return -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean()
        if lo == "cce":
            return -(t * torch.log(p.clamp(_EPS, 1.0))).sum(dim=-1).mean()
        if lo == "mse":
            return F.mse_loss(p, t)
        return F.l1_loss(p, t)


class TermHead:
    """A head whose data loss is a sum of named terms, for tasks the standard heads do not cover
    (the detection and segmentation case study). Subclasses set ``task``, ``term_names`` and
    ``reason`` and implement ``loss_terms(raw, y) -> {name: scalar tensor}``; ``activate`` turns raw
    outputs into what the task reads (probabilities, boxes). The Trainer computes no classification
    metrics for such a task (its evaluation belongs to the study) but logs every term apart."""

    task = "custom"
    activation = "none"
    loss_name = "custom"
    term_names: tuple[str, ...] = ()
    is_sequence = False
    is_classification = False
    stable = True

    @property
    def reason(self) -> str:
        return ""

    @property
    def warnings(self) -> list[str]:
        return []

    def loss_terms(self, raw, y) -> dict:
        raise NotImplementedError

    def loss(self, raw, y):
        return sum(self.loss_terms(raw, y).values())

    def activate(self, raw):
        return raw

    def describe(self) -> str:
        return self.reason or f"{self.activation} + {self.loss_name}"

    def settings(self) -> dict:
        return {}

    def to_dict(self) -> dict:
        return {"task": self.task, "activation": self.activation, "loss": self.loss_name, "reason": self.reason,
                "terms": list(self.term_names), **self.settings()}


def default_head(task: str) -> Head:
    """The standard head for a task (see the table in this module's docstring / `_DEFAULTS`)."""
    act, loss, reason = _DEFAULTS[_canon_task(task)]
    return Head(task, act, loss, reason)
