"""K-fold / iterated K-fold cross-validation through Trainer.fit (searches: ``workbench.core.tuning``).

Data come either as arrays ``(X, y)`` (already preprocessed; rows picked by index) or as a function
``data(train_idx, eval_idx) -> ((X_train, y_train), (X_eval, y_eval))`` that fits preprocessing on
``train_idx`` only and applies it to both, so nothing leaks from the held-out rows.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from workbench.core.errors import TrainingError
from workbench.core.training.callbacks import Callback
from workbench.core.training.config import FitResult, TrainConfig


def _fold_parts(f) -> tuple[np.ndarray, np.ndarray, int, int]:
    if hasattr(f, "train_idx"):
        return np.asarray(f.train_idx), np.asarray(f.val_idx), int(getattr(f, "repeat", 0)), int(getattr(f, "fold", 0))
    tr, va = f[0], f[1]
    return np.asarray(tr), np.asarray(va), 0, 0


def _data_fn(data) -> Callable:
    if callable(data):
        return data
    X, y = data

    def pick(train_idx, eval_idx):
        return (X[train_idx], y[train_idx]), (X[eval_idx], y[eval_idx])

    return pick


def _stats(values: list[float]) -> tuple[float | None, float | None]:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return None, None
    return float(np.mean(vals)), float(np.std(vals))


@dataclass
class CVResult:
    folds: list[dict[str, Any]] = field(default_factory=list)  # repeat, fold, best_epoch, scores
    mean: dict[str, float | None] = field(default_factory=dict)
    std: dict[str, float | None] = field(default_factory=dict)
    final_epochs: int | None = None
    final_fit: FitResult | None = None
    test_metrics: dict[str, Any] | None = None
    final_model: Any = field(default=None, repr=False)
    stopped: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "folds": self.folds,
            "mean": self.mean,
            "std": self.std,
            "final_epochs": self.final_epochs,
            "final_fit": self.final_fit.to_dict() if self.final_fit else None,
            "test_metrics": self.test_metrics,
            "stopped": self.stopped,
        }

    def summary(self, metric: str) -> str:
        m, s = self.mean.get(metric), self.std.get(metric)
        if m is None:
            return f"{metric}: n/a"
        return f"{metric} {m:.4f} ± {s:.4f} over {len(self.folds)} folds"


def cross_validate(
    make_model: Callable[[], Any],
    head,
    data,
    folds: Sequence,
    config: TrainConfig,
    *,
    test_idx=None,
    retrain: bool = True,
    trainer=None,
    callbacks: Iterable[Callback] = (),
    device: str = "auto",
    on_fold: Callable[[int, int, dict], None] | None = None,
) -> CVResult:
    """Train a fresh model per fold (``make_model()``), score it on that fold's validation rows.

    Reports per-fold and mean ± std of every validation metric (keys without "val_"). With
    ``retrain`` a final model is trained on all rows of all folds (all non-test data) for the mean
    best epoch, and scored once on ``test_idx`` if given. One trainer serves all folds, so a stop
    request ends the whole cross-validation.
    """
    from workbench.core.training.trainer import Trainer, evaluate

    if not folds:
        raise TrainingError("Cross-validation needs at least one fold.")
    get = _data_fn(data)
    trainer = trainer or Trainer(list(callbacks), device=device)
    res = CVResult()
    for i, f in enumerate(folds):
        tr, va, rep, k = _fold_parts(f)
        train, val = get(tr, va)
        model = make_model()
        cfg = dataclasses.replace(config, seed=config.seed + i, checkpoint_path=None)
        fit = trainer.fit(model, head, train=train, val=val, config=cfg)
        if fit.stopped_by_user or not fit.history:
            res.stopped = True
            break
        scores = evaluate(model, head, val)
        row = {
            "index": i,
            "repeat": rep,
            "fold": k,
            "n_train": int(len(tr)),
            "n_val": int(len(va)),
            "best_epoch": fit.best_epoch,
            "epochs_run": fit.epochs_run,
            "stop_reason": fit.stop_reason,
            "scores": {k2: v for k2, v in scores.items() if k2 != "n"},
            "history": fit.history,
        }
        res.folds.append(row)
        if on_fold:
            on_fold(i, len(folds), row)
    keys = sorted({k for r in res.folds for k, v in r["scores"].items() if isinstance(v, (int, float)) or v is None})
    for key in keys:
        res.mean[key], res.std[key] = _stats([r["scores"].get(key) for r in res.folds])
    if res.stopped or not retrain or not res.folds:
        return res
    best_epochs = [r["best_epoch"] for r in res.folds if r["best_epoch"]]
    res.final_epochs = max(1, int(round(float(np.mean(best_epochs))))) if best_epochs else config.epochs
    all_idx = np.unique(np.concatenate([np.concatenate(_fold_parts(f)[:2]) for f in folds]))
    test_idx = None if test_idx is None else np.asarray(test_idx)
    train, test = get(all_idx, test_idx if test_idx is not None and len(test_idx) else all_idx[:0])
    model = make_model()
    cfg = dataclasses.replace(config, epochs=res.final_epochs, early_stopping=None)
    res.final_fit = trainer.fit(model, head, train=train, val=None, config=cfg)
    res.final_model = model
    if res.final_fit.stopped_by_user:
        res.stopped = True
        return res
    if test_idx is not None and len(test_idx):
        res.test_metrics = {k: v for k, v in evaluate(model, head, test).items()}
    return res
