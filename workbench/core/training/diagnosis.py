"""Overfitting / underfitting / baseline diagnosis computed from the per-epoch numbers."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from workbench.core.training.metrics import primary_metric

OVERFIT_REMEDIES = [
    "Get more training data.",
    "Use a smaller network (fewer layers or fewer units per layer).",
    "Add L2 weight regularisation (e.g. 0.001 on the dense layers).",
    "Add dropout (e.g. 0.5 after the hidden layers).",
]
UNDERFIT_REMEDIES = [
    "Train for more epochs.",
    "Use a bigger network (more units or layers).",
    "Try a higher learning rate or a different optimizer.",
]
DIVERGING_REMEDIES = [
    "Lower the learning rate (for example by a factor of 10).",
    "Scale the inputs (standardize) and check the learning rate.",
]
# learning rates above which training is rarely stable; never advise going higher from there
HIGH_LR = {"sgd": 1.0, "adam": 0.05, "adamw": 0.05, "rmsprop": 0.05}
BASELINE_REMEDIES = [
    "Check that the inputs carry information about the target (features, labels, preprocessing).",
    "Scale the inputs (standardize) and check the learning rate.",
]


@dataclass
class Diagnosis:
    overfit_epoch: int | None = None
    text: str = ""
    remedies: list[str] = field(default_factory=list)
    underfitting: bool = False
    beats_baseline: bool | None = None
    findings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _series(history, key) -> list[float] | None:
    vals = [h.get(key) for h in history]
    if not vals or any(v is None or not math.isfinite(float(v)) for v in vals):
        return None
    return [float(v) for v in vals]


def diagnose(
    history: list[dict[str, Any]],
    baseline: dict[str, Any] | None = None,
    *,
    task: str | None = None,
    scores: dict[str, Any] | None = None,
    rise: float = 0.05,
    min_rising_epochs: int = 2,
    lr: float | None = None,
    optimizer: str | None = None,
) -> Diagnosis:
    """Read a training history like a teacher would.

    Overfitting: after the epoch where validation loss is lowest, it stays at least ``rise``
    (relative) above that minimum for ``min_rising_epochs`` or more epochs while training loss keeps
    falling; that epoch is reported as "overfitting starts at epoch N".
    Underfitting: no overfitting and training loss still clearly falling over the last epochs, or
    the training score is no better than the baseline's.
    Baseline: ``scores`` (e.g. test metrics; by default the best epoch's validation metrics) are
    compared with ``baseline`` on the primary metric (accuracy, or MAE for regression).
    Not learning: a training loss that never went down is a learning rate too high (or unscaled
    inputs), never "try a higher learning rate"; ``lr`` (the run's learning rate) sharpens that advice.
    """
    d = Diagnosis()
    if not history:
        d.text = "No epoch finished, so there is nothing to diagnose."
        return d
    if task is None:
        task = "regression" if any("mae" in h for h in history) else "multiclass"
    metric, higher = primary_metric(task)
    train = _series(history, "loss")
    val = _series(history, "val_loss")
    n = len(history)
    sentences: list[str] = []

    if val is not None and train is not None:
        m = min(range(n), key=lambda i: val[i])
        vmin = val[m]
        thr = vmin + max(rise * abs(vmin), 1e-6)
        after = val[m + 1 :]
        rising = sum(1 for v in after if v > thr)
        train_falling = m + 1 < n and train[-1] < train[m] * (1 - 0.02)
        if rising >= min_rising_epochs and train_falling:
            d.overfit_epoch = m + 1
            worst = max(range(m + 1, n), key=lambda i: val[i])
            sentences.append(
                f"Overfitting starts at epoch {m + 1}: validation loss bottomed out at {vmin:.4f} there and "
                f"rose to {val[worst]:.4f} by epoch {worst + 1} (+{(val[worst] / vmin - 1) * 100 if vmin > 0 else 0:.0f}%), "
                f"while training loss kept falling from {train[m]:.4f} to {train[-1]:.4f}."
            )
            d.remedies = list(OVERFIT_REMEDIES)
            d.findings.append("overfitting")
        else:
            sentences.append(
                f"No overfitting seen: validation loss was lowest at epoch {m + 1} ({vmin:.4f})"
                + (" and did not rise clearly afterwards." if m + 1 < n else ", the last epoch.")
            )
    elif val is None:
        sentences.append("Without validation data overfitting cannot be judged.")

    if train is not None and d.overfit_epoch is None and n >= 3:
        k = min(3, n - 1)
        drop = (train[-1 - k] - train[-1]) / max(abs(train[-1 - k]), 1e-12)
        # a loss already down to a tenth of where it began, or near-perfect training scores, is
        # converging, not underfitting, even if it still halves every few epochs
        far_from_start = train[-1] > 0.1 * max(train[0], 1e-12)
        fit_acc = history[-1].get("accuracy")
        if drop > 0.02 * k and far_from_start and not (fit_acc is not None and fit_acc >= 0.99):
            d.underfitting = True
            sentences.append(
                f"Underfitting: training loss was still falling at the end ({train[-1 - k]:.4f} -> "
                f"{train[-1]:.4f} over the last {k} epochs); the model has not converged."
            )

    best_i = (d.overfit_epoch or (min(range(n), key=lambda i: val[i]) + 1 if val else n)) - 1
    best = history[best_i]
    if baseline and baseline.get(metric) is not None:
        b = float(baseline[metric])
        tr = best.get(metric)
        if tr is not None and (tr <= b + 0.01 if higher else tr >= b * 0.98):
            if not d.underfitting:
                d.underfitting = True
            sentences.append(
                f"Underfitting: even on the training data the {metric} ({tr:.4f}) is no better than the "
                f"baseline's ({b:.4f})."
            )
        if scores is not None:
            s, where = scores.get(metric), "test"
        else:
            s, where = best.get(f"val_{metric}"), f"validation (epoch {best_i + 1})"
        if s is not None:
            s = float(s)
            beats = s > b + 0.005 if higher else s < b * 0.99
            d.beats_baseline = beats
            if beats:
                sentences.append(f"The model beats the baseline: {where} {metric} {s:.4f} vs {b:.4f}.")
            else:
                sentences.append(
                    f"The model does not beat the baseline: {where} {metric} {s:.4f} vs the baseline's {b:.4f}."
                )
                d.findings.append("no better than baseline")
    lr_high = lr is not None and lr >= HIGH_LR.get(str(optimizer or "adam").lower(), 0.05)
    not_learning = train is not None and n >= 2 and min(train[1:]) >= train[0] * 0.99
    if d.overfit_epoch is None and (not_learning or (lr_high and (d.underfitting or d.beats_baseline is False))):
        what = (f"The training loss never went down (from {train[0]:.4g} to {train[-1]:.4g}): the model is not learning"
                if not_learning else "The model learned little")
        sentences.append(what + (f"; a learning rate of {lr:g} is far too high for {optimizer or 'this optimizer'}, "
                                 "so the steps overshoot." if lr_high else "."))
        d.findings.append("not learning")
        d.remedies = list(DIVERGING_REMEDIES)
    if d.underfitting:
        d.findings.append("underfitting")
        if not d.remedies:
            d.remedies = [r for r in UNDERFIT_REMEDIES if not (lr_high and "higher learning" in r)]
    if d.beats_baseline is False:
        d.remedies = d.remedies + [r for r in BASELINE_REMEDIES if r not in d.remedies]
    d.text = " ".join(sentences)
    return d
