"""One way to run a task: every training (the generic workflow, each case study, each explore
trainer) is a ``Task`` that one runner, ``run_task``, carries out.

A task declares its ``kind`` (the RunRecord's, see ``runs.KINDS``) and the ``section`` of the
project state its settings live in, and it knows its own domain:

    prepare(say)          -> Fitting: the model, its head, the (X, y) arrays and the TrainConfig
                             (``say(line)`` reports; ``say()`` between long steps lets Stop end
                             the task there with ``TrainingStopped``)
    finish(fitting, fit)  -> the record's fields (test scores, baseline, details, ...) or a RunRecord
    fit(trainer, fitting) -> FitResult        (optional: the generic workflow cross-validates here)
    weights(fitting)      -> the state dict to keep (optional: the model's by default)

The runner does the rest the same way for all of them: the project-writable check before any
work, the fit through ``training.Trainer`` with the task's and the caller's callbacks (taken off
the caller's trainer again afterwards, so a GUI trainer does not collect them run after run),
the record through ``runs.build_record``, and the save through ``RunStore``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Protocol, runtime_checkable

from workbench.core.errors import Cancelled

Status = Callable[[str], None]


class TrainingStopped(Cancelled):
    """Stop was pressed before the first epoch ended: nothing was trained or saved."""


@dataclass
class Fitting:
    """What a task hands the runner to fit. ``train``/``val`` are (X, y) pairs (``val`` may be
    None); ``callbacks`` are the task's own (previews, extra validation scores), run before the
    caller's so the caller's live chart sees what they add to the logs."""

    model: Any
    head: Any
    train: tuple | None
    val: tuple | None
    config: Any  # training.TrainConfig
    callbacks: list = field(default_factory=list)


@runtime_checkable
class Task(Protocol):
    kind: str     # the RunRecord's kind ("daynight", "autoencoder", ...)
    section: str  # the project state's section holding the task's settings

    def prepare(self, say: Status) -> Fitting: ...

    def finish(self, fitting: Fitting, fit: Any) -> Any: ...


@dataclass
class TaskRun:
    """What ``run_task`` returns: the record (with ``run_id`` once saved), the fit and what was fitted."""

    record: Any  # RunRecord
    fit: Any     # FitResult
    fitting: Fitting

    @property
    def run_id(self) -> str | None:
        return self.record.run_id


def threads_for(threads: int | None, keep_one_core_free: bool = False) -> int | None:
    """CPU threads for a fit: ``threads`` when given, else what the machine can spare (the
    desktop app keeps one core free for the window)."""
    if threads is not None:
        return threads
    from workbench.core.device import training_threads

    return training_threads(keep_one_free=keep_one_core_free)


def train_config_of(settings: Any, **extra: Any):
    """The TrainConfig of a task's settings: their epochs, batch size, learning rate, seed (and
    optimizer / early stopping when they have them) plus ``extra``. Every task's settings name
    these fields the same way, so this is the one place they turn into a fit's configuration."""
    from workbench.core.training import TrainConfig

    d: dict[str, Any] = {"epochs": int(settings.epochs), "batch_size": int(settings.batch_size),
                         "lr": float(settings.lr), "seed": int(settings.seed), "amp": False}
    for key in ("optimizer", "early_stopping"):
        if getattr(settings, key, None) is not None:
            d[key] = getattr(settings, key)
    d.update(extra)
    return TrainConfig(**d)


def _say(on_status: Status | None, trainer) -> Status:
    """The status callback a task's ``prepare`` gets: it passes lines on and, between the steps
    of a long preparation (``say("")`` only checks), ends the task at once when Stop was pressed,
    so a stop acts within a step instead of after the whole preparation and an empty fit."""

    def say(msg: str = "") -> None:
        if trainer is not None and trainer.stop_requested_by_user:
            trainer.reset_stop()  # consumed here: the trainer's next run starts clean
            raise TrainingStopped("Stopped before the first epoch: nothing was trained or saved.")
        if msg and on_status is not None:
            on_status(msg)

    return say


def store_for(project=None, store=None):
    """The RunStore runs go to: ``store`` itself, or the project folder's (None: nothing is saved)."""
    if store is not None:
        return store
    if project:
        from workbench.core.runs import RunStore

        return RunStore(project)
    return None


def fit_with(trainer, fitting: Fitting, callbacks: Iterable = (), device: str = "auto", fit=None):
    """Fit ``fitting`` on ``trainer`` (a new Trainer when None) with the task's callbacks first and
    ``callbacks`` after the trainer's own; both are removed again when the fit ends."""
    from workbench.core.training import Trainer

    if trainer is None:
        trainer = Trainer(device=device)
    before = list(trainer.callbacks)
    extra = [c for c in callbacks if c not in before]
    trainer.callbacks = [c for c in fitting.callbacks if c not in before] + before + extra
    try:
        if fit is not None:
            return fit(trainer, fitting)
        return trainer.fit(fitting.model, fitting.head, train=fitting.train, val=fitting.val, config=fitting.config)
    finally:
        trainer.callbacks = before


def run_task(task: Task, *, project=None, store=None, trainer=None, callbacks: Iterable = (), device: str = "auto",
             save: bool = True, on_status: Status | None = None, save_empty: bool = False) -> TaskRun:
    """Run ``task``: check the project can take the run, prepare, fit, build the record, save it.

    ``project`` (a folder) or ``store`` (a RunStore) is where the run goes; ``trainer`` is the
    caller's (the GUI's: Stop and Pause reach it); ``callbacks`` are added for this fit only.
    A run is saved when it trained at least one epoch (``save_empty``: also without)."""
    from workbench.core.runs import RunRecord, build_record

    started = time.perf_counter()
    say = _say(on_status, trainer)
    runs = store_for(project, store) if save else None
    if runs is not None:
        runs.check_writable()  # a full or read-only disk is found before the work, not after
    fitting = task.prepare(say)
    say()  # a Stop pressed while preparing ends here, not after an empty fit and a scoring of nothing
    fit = fit_with(trainer, fitting, callbacks, device, getattr(task, "fit", None))
    if fit is not None and fit.stopped_by_user and not fit.history:
        # stopped within the first epoch: there is nothing to score or keep, and saying
        # "0 epochs" after scoring an untrained model would only cost the user time
        raise TrainingStopped("Stopped during the first epoch: nothing was trained or saved.")
    fields = task.finish(fitting, fit)
    if isinstance(fields, RunRecord):
        record = fields
    else:
        fields = dict(fields)
        fields.setdefault("time", time.perf_counter() - started)
        record = build_record(task.kind, fit=fit, train_config=fitting.config, module=fitting.model, **fields)
    if record.time is None:
        record.time = time.perf_counter() - started
    if runs is not None and (record.history or record.cross_validation or save_empty):
        say(f"Saving the run in {runs.root} ...")
        weights = task.weights(fitting) if hasattr(task, "weights") else fitting.model.state_dict()
        runs.save(record, weights=weights)
        after = getattr(task, "saved", None)
        if after is not None:
            after(record)
    return TaskRun(record=record, fit=fit, fitting=fitting)
