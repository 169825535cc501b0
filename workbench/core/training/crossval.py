"""K-fold / iterated K-fold cross-validation and hyperparameter search, both through Trainer.fit.

Data come either as arrays ``(X, y)`` (already preprocessed; rows picked by index) or as a function
``data(train_idx, eval_idx) -> ((X_train, y_train), (X_eval, y_eval))`` that fits preprocessing on
``train_idx`` only and applies it to both, so nothing leaks from the held-out rows.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import random
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from workbench.core.errors import TrainingError
from workbench.core.training.callbacks import Callback
from workbench.core.training.config import FitResult, TrainConfig
from workbench.core.training.metrics import higher_is_better, is_better


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


@dataclass
class SearchResult:
    trials: list[dict[str, Any]] = field(default_factory=list)  # params, score, details
    best_params: dict[str, Any] | None = None
    best_score: float | None = None
    metric: str = "loss"
    higher_is_better: bool = False

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _grid(space: dict[str, Sequence]) -> list[dict[str, Any]]:
    keys = list(space)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(list(space[k]) for k in keys))]


def _sample(space: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    out = {}
    for k, v in space.items():
        if callable(v):
            out[k] = v(rng)
        elif isinstance(v, tuple) and len(v) == 3 and v[0] in ("log", "uniform", "int"):
            kind, lo, hi = v
            if kind == "log":
                out[k] = float(math.exp(rng.uniform(math.log(lo), math.log(hi))))
            elif kind == "int":
                out[k] = rng.randint(int(lo), int(hi))
            else:
                out[k] = rng.uniform(lo, hi)
        else:
            out[k] = rng.choice(list(v))
    return out


def search(
    make_model: Callable[[dict[str, Any]], Any],
    head,
    data,
    space: dict[str, Any],
    config: TrainConfig,
    *,
    folds: Sequence,
    mode: str = "grid",
    n_iter: int = 10,
    metric: str | None = None,
    seed: int = 0,
    trainer=None,
    device: str = "auto",
    on_trial: Callable[[int, int, dict], None] | None = None,
) -> SearchResult:
    """Grid or random search scored on validation folds only (one fold: hold-out; several: CV).

    ``space`` maps names to lists (grid, or choices when random), to ("log"|"uniform"|"int", lo, hi)
    ranges or to callables rng -> value (random). Names that are TrainConfig fields (lr,
    batch_size, epochs, optimizer, ...) change the config; every parameter also goes to
    ``make_model(params)``. There is deliberately no test argument: the test set stays untouched.
    ``metric`` defaults to "loss" (lower is better); "accuracy" etc. rank higher first.
    """
    from workbench.core.training.trainer import Trainer

    if mode not in ("grid", "random"):
        raise TrainingError(f"Unknown search mode {mode!r}; use 'grid' or 'random'.")
    trials = _grid(space) if mode == "grid" else [_sample(space, random.Random(seed + i)) for i in range(n_iter)]
    metric = metric or "loss"
    higher = higher_is_better(metric)
    cfg_fields = {f.name for f in dataclasses.fields(TrainConfig)}
    trainer = trainer or Trainer(device=device)
    res = SearchResult(metric=metric, higher_is_better=higher)
    for i, params in enumerate(trials):
        cfg = dataclasses.replace(config, **{k: v for k, v in params.items() if k in cfg_fields})
        cv = cross_validate(lambda: make_model(params), head, data, folds, cfg, retrain=False, trainer=trainer)
        score = cv.mean.get(metric)
        trial = {"params": params, "score": score, "std": cv.std.get(metric), "mean": cv.mean,
                 "best_epochs": [r["best_epoch"] for r in cv.folds]}
        res.trials.append(trial)
        if on_trial:
            on_trial(i, len(trials), trial)
        if cv.stopped:
            break
        if score is not None and is_better(score, res.best_score, metric):
            res.best_score, res.best_params = score, params
    return res


def parse_search_space(text: str) -> dict[str, list]:
    """'lr=0.01,0.001; batch_size=32,64' -> {"lr": [0.01, 0.001], "batch_size": [32, 64]}."""
    space: dict[str, list] = {}
    for part in [p.strip() for p in str(text).split(";") if p.strip()]:
        key, eq, vals = part.partition("=")
        if not eq or not key.strip():
            raise TrainingError(f"Cannot read {part!r}; write name=value,value; e.g. lr=0.01,0.001; batch_size=32,64")
        out: list = []
        for v in [v.strip() for v in vals.split(",") if v.strip()]:
            try:
                out.append(int(v) if v.lstrip("-").isdigit() else float(v))
            except ValueError:
                out.append(v)
        if not out:
            raise TrainingError(f"{key.strip()} has no values to try.")
        space[key.strip()] = out
    if not space:
        raise TrainingError("Enter at least one setting to search, e.g. lr=0.01,0.001")
    return space
