"""What the four tasks share: one way to fit a model with the common ``Trainer`` and one way to
write the run, through the shared ``build_record`` (kind and study "sequences"; ``details["task"]``
says which of trees, captions, zeroshot, fewshot)."""
from __future__ import annotations

import time
from typing import Callable, Sequence

import numpy as np

from workbench.core.training.callbacks import Callback

STUDY = "sequences"


class EpochScore(Callback):
    """Adds ``val_<name>`` to each epoch's log from ``score()`` (e.g. exact match of greedy
    decoding on validation sentences), so live charts show the score that matters."""

    def __init__(self, name: str, score: Callable[[], float], every: int = 1):
        self.name, self.score, self.every = name, score, max(1, int(every))

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch % self.every == 0:
            was = trainer.model.training
            logs[f"val_{self.name}"] = float(self.score())
            trainer.model.train(was)


class EpochProgress(Callback):
    """``progress(epoch, epochs, text)`` after each epoch (the GUI's progress bar and status line)."""

    def __init__(self, progress: Callable, label: str, epochs: int):
        self.progress, self.label, self.epochs = progress, label, int(epochs)

    def on_epoch_end(self, trainer, epoch, logs):
        score = logs.get("val_exact", logs.get("val_accuracy"))
        self.progress(epoch, self.epochs, f"{self.label}: epoch {epoch}/{self.epochs}, validation loss "
                      f"{logs.get('val_loss', float('nan')):.3f}" + (f", exact {score:.1%}" if score is not None else ""))


class CosineLR(Callback):
    """Cosine learning-rate decay over the fit (Loshchilov & Hutter, 2017, without restarts): each
    epoch starts at ``lr * (floor + (1 - floor) * (1 + cos(pi * (epoch - 1) / epochs)) / 2)``, so
    late epochs take small steps and the last ones settle instead of wandering."""

    def __init__(self, epochs: int, floor: float = 0.02):
        self.epochs, self.floor = max(1, int(epochs)), float(floor)
        self.base: list[float] | None = None

    def factor(self, epoch: int) -> float:
        import math

        t = (int(epoch) - 1) / self.epochs
        return self.floor + (1.0 - self.floor) * 0.5 * (1.0 + math.cos(math.pi * t))

    def on_epoch_start(self, trainer, epoch):
        groups = trainer.optimizer.param_groups
        if self.base is None:
            self.base = [float(g["lr"]) for g in groups]
        for g, lr in zip(groups, self.base):
            g["lr"] = lr * self.factor(epoch)


def with_progress(callbacks: Sequence, progress, label: str, epochs: int) -> list:
    return list(callbacks) + ([EpochProgress(progress, label, epochs)] if progress is not None else [])


def fit_model(model, head, train, val, *, epochs: int, batch_size: int, lr: float, seed: int, callbacks: Sequence = (),
              trainer=None, device: str = "cpu", threads: int | None = None, monitor: str = "val_loss",
              restore_best: bool = True, weight_decay: float | None = None):
    """One fit through the shared task runner's ``fit_with`` (Adam; ``callbacks`` run first and are
    taken off the caller's trainer afterwards, so Stop in the app reaches this fit and a GUI trainer
    does not collect them run after run). Returns (FitResult, TrainConfig)."""
    from workbench.core.tasks import Fitting, fit_with
    from workbench.core.training import TrainConfig

    cfg = TrainConfig(epochs=int(epochs), batch_size=int(batch_size), lr=float(lr), optimizer="adam", seed=int(seed),
                      restore_best=restore_best, monitor=monitor, threads=threads, amp=False,
                      weight_decay=weight_decay)
    fit = fit_with(trainer, Fitting(model, head, train, val, cfg, list(callbacks)), device=device)
    model.eval()
    return fit, cfg


def make_record(*, task: str, name: str, data: dict, model, model_name: str, head, fit, cfg, test: dict,
                baseline: dict, details: dict, split_sizes: dict, started: float, task_kind: str = "sequence"):
    """The run as the shared RunRecord: ``test_metrics`` and ``baseline["test"]`` hold the held-out
    figures under the same keys; ``details`` what only this task has (curves, examples)."""
    from workbench.core.runs.record import build_record

    return build_record(
        "sequences", fit=fit, train_config=cfg, module=model,
        name=name, mode="holdout", task=task_kind,
        data=data, split={"text": "held-out test (never used for a choice)", "sizes": split_sizes},
        head=head.to_dict() if head is not None else None,
        model={"name": model_name}, test_metrics=_numbers(test), baseline={"test": _numbers(baseline)},
        details={"task": task, **details}, time=time.perf_counter() - started,
        **({} if fit is not None else {"stop_reason": "completed"}))


def _numbers(d: dict) -> dict:
    return {k: (float(v) if isinstance(v, (float, np.floating)) else v) for k, v in d.items()
            if isinstance(v, (int, float, str, np.floating, np.integer))}


def save(record, model, run_store) -> str | None:
    """Store the run (and its weights) when the caller gave a RunStore."""
    if run_store is None or not record.history and record.details.get("task") not in ("fewshot", "zeroshot"):
        return None
    run_id = run_store.save(record, weights=model.state_dict() if model is not None else None)
    record.run_id = run_id
    return run_id
