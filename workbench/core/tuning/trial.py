"""What runs on a worker: one fold of one trial (``run_fold``) and the final retrain (``final_fit``).

Both are plain functions of picklable arguments, so they run the same in this process (the inline
executor) and in a Dask worker process on this or another machine. ``SearchData`` is what travels
to each worker once (``executors.DaskExecutor.share``); it holds the non-test rows only, so a trial cannot score on the
test set: it never has it. A worker keeps the preprocessed fold arrays of the last few
preprocessing settings, so a search that does not change the preprocessing prepares each fold
once per worker.

A fold talks to the search through a ``channel`` (see ``channel.py``): ``start`` before training
(a Dask re-run of a fold whose worker died is told to abort: the search has already retried it as
a new trial), ``report`` after every epoch (the pruner's answer: go on, prune or stop) and
``stop_requested`` between batches (Stop in the app, Ctrl+C in the command line).
"""
from __future__ import annotations

import os
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.training.callbacks import Callback

# how many preprocessed (train, val) pairs a worker keeps (fold x preprocessing setting)
CACHE_ENTRIES = 8
# steps reported to the pruner: fold k, epoch e -> k * stride + e, with stride the most epochs any
# trial of the search can train (the search passes it), so trials compare like with like
STEP_STRIDE = 1000
# seconds between two checks of the stop flag while a fold trains (a round trip to the scheduler)
STOP_CHECK_S = 0.5

_CACHE: "OrderedDict[tuple, tuple]" = OrderedDict()
_ARRIVALS: dict[str, int] = {}  # token -> how many times a SearchData was unpickled in this process
_DATA: dict[str, "SearchData"] = {}  # token -> the search data installed in this worker process


class TrialAborted(RuntimeError):
    """A fold that the search no longer wants (a re-run after its worker died, or the search ended)."""


@dataclass
class SearchData:
    """The non-test part of a search's data, as it travels to the workers (once per worker).

    dataset       a Dataset of the non-test rows only (test rows are dropped before it is shared)
    folds         [(train_idx, val_idx)] in ``dataset`` row numbers; one pair for a hold-out split
    space         the SearchSpace (to apply a trial's parameters on the worker)
    spec          the base ModelSpec as a dict; ``train`` the base TrainConfig dict; ``prep`` the
                  Preprocessor settings; ``head`` the Head as a dict
    output_shape  the model's output shape; ``metric`` the scored metric (no "val_" prefix)
    """

    token: str
    dataset: Any
    folds: list
    space: Any
    spec: dict
    train: dict
    prep: dict
    head: dict
    output_shape: tuple
    metric: str
    extra: dict = field(default_factory=dict)

    @property
    def output_units(self) -> int:
        return int(self.output_shape[-1]) if self.output_shape else 1

    def __setstate__(self, state):
        self.__dict__.update(state)
        _ARRIVALS[self.token] = _ARRIVALS.get(self.token, 0) + 1


def arrivals(token: str | None = None) -> dict[str, int] | int:
    """How many copies of a search's data arrived in this process (the benchmark and tests ask workers)."""
    return dict(_ARRIVALS) if token is None else _ARRIVALS.get(token, 0)


@dataclass(frozen=True)
class DataRef:
    """What a Dask task gets instead of the data: the data are installed on the worker once."""

    token: str


def install(data: SearchData) -> None:
    _DATA[data.token] = data


def uninstall(token: str) -> None:
    _DATA.pop(token, None)
    clear_cache(token)


def resolve(handle) -> SearchData:
    if isinstance(handle, DataRef):
        data = _DATA.get(handle.token)
        if data is None:
            raise RuntimeError(f"The search data {handle.token} are not on this worker (it joined after the search "
                               "ended).")
        return data
    return handle


def clear_cache(token: str | None = None) -> int:
    """Forget the prepared arrays of one search (or all); returns how many entries were dropped."""
    keys = [k for k in _CACHE if token is None or k[0] == token]
    for k in keys:
        del _CACHE[k]
    return len(keys)


def _prep_key(prep: dict) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in prep.items()))


def fold_arrays(data: SearchData, fold: int, prep: dict):
    """((X_train, y_train), (X_val, y_val)) of one fold, preprocessing fitted on its training rows
    (``fold`` -1: all rows for training, no validation). Cached per worker."""
    from workbench.core.data import Preprocessor

    key = (data.token, fold, _prep_key(prep))
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    ds = data.dataset
    y = np.asarray(ds.y)
    if fold < 0:
        tr, va = np.arange(len(ds)), None
    else:
        tr, va = (np.asarray(i) for i in data.folds[fold])
    pre = Preprocessor(**prep).fit(ds, tr)
    train = (pre.transform(ds, tr), y[tr])
    val = (pre.transform(ds, va), y[va]) if va is not None else None
    out = (train, val, pre)
    _CACHE[key] = out
    while len(_CACHE) > CACHE_ENTRIES:
        _CACHE.popitem(last=False)
    return out


class TrialReporter(Callback):
    """Reports each epoch's validation metric to the search and obeys its answer (prune / stop);
    checks the stop flag between batches at most every STOP_CHECK_S seconds."""

    def __init__(self, channel, key: dict, metric: str, stride_base: int):
        self.channel, self.key, self.metric, self.base = channel, key, metric, stride_base
        self._next_check = 0.0

    def on_batch_end(self, trainer, info):
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + STOP_CHECK_S
        if self.channel.stop_requested():
            trainer.request_stop("stopped", "The search was stopped.")

    def on_epoch_end(self, trainer, epoch, logs):
        v = logs.get(f"val_{self.metric}", logs.get(self.metric))
        brief = {k: logs[k] for k in ("loss", "val_loss", f"val_{self.metric}", self.metric) if
                 isinstance(logs.get(k), (int, float))}
        answer = self.channel.report(self.key, self.base + epoch, None if v is None else float(v), brief)
        if answer == "prune":
            trainer.stop("pruned", f"Pruned after epoch {epoch}: its validation {self.metric} was worse than "
                                   "the other trials' at the same epoch.")
        elif answer == "stop":
            trainer.request_stop("stopped", "The search was stopped.")


def worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return "this process"


def _device(requested: str) -> str:
    """On a GPU worker pick its own GPU: worker i of a local cluster trains on GPU i."""
    if requested not in ("auto", "cuda"):
        return requested
    import torch

    n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if n > 1:
        try:
            from distributed import get_worker

            name = get_worker().name
            if isinstance(name, int) or str(name).isdigit():
                torch.cuda.set_device(int(name) % n)
        except (ImportError, ValueError):
            pass
    return requested


def _build(spec, input_shape, output_shape, head, seed: int):
    from workbench.core.models import build_model
    from workbench.core.training import seed_everything

    seed_everything(seed)
    return build_model(spec, input_shape, output_shape, head)


def run_fold(data: SearchData, task: dict, channel) -> dict:
    """Train one fold of one trial and score it on that fold's validation rows.

    ``task``: trial, fold, attempt, params, seed, threads, device, keep_weights. Returns a plain
    dict: state ("complete" | "pruned" | "stopped" | "failed"), score, scores, history,
    best_epoch, stop_reason, message, fit_time, worker (and weights with ``keep_weights``)."""
    from workbench.core.models import Head, ModelSpec
    from workbench.core.training import TrainConfig, Trainer, evaluate

    data = resolve(data)
    where = worker_name()
    key = {"trial": task["trial"], "fold": task["fold"], "attempt": task["attempt"], "nonce": uuid.uuid4().hex,
           "worker": where, "pid": os.getpid()}
    if channel.start(key) == "abort":
        raise TrialAborted(f"trial {task['trial']} fold {task['fold']} is no longer wanted")
    out: dict[str, Any] = {"trial": task["trial"], "fold": task["fold"], "attempt": task["attempt"],
                           "worker": where, "history": [], "state": "failed", "score": None, "scores": {}}
    t0, c0 = time.perf_counter(), time.thread_time()
    try:
        spec, train, prep = data.space.apply(task["params"], ModelSpec.from_dict(data.spec), data.train, data.prep,
                                             data.output_units)
        tr, va, _ = fold_arrays(data, task["fold"], prep)
        head = Head.from_dict(data.head)
        seed = int(task["seed"])
        model = _build(spec, tuple(tr[0].shape[1:]), data.output_shape, head, seed)
        # the executor's share of the cores, else the run's own thread policy (never torch's default:
        # its spin-waiting threads make a small model 10x slower on a busy machine)
        threads = task.get("threads") or train.get("threads")
        cfg = TrainConfig.from_dict({**train, "seed": seed, "threads": threads, "checkpoint_path": None})
        reporter = TrialReporter(channel, key, data.metric, task["fold"] * int(task.get("stride", STEP_STRIDE)))
        trainer = Trainer([reporter], device=_device(task.get("device", "auto")))
        fit = trainer.fit(model, head, train=tr, val=va, config=cfg)
    except WorkbenchError as e:
        out.update(message=str(e), stop_reason="failed", fit_time=time.perf_counter() - t0)
        return out
    out.update(history=fit.history, best_epoch=fit.best_epoch, epochs_run=fit.epochs_run,
               stop_reason=fit.stop_reason, message=fit.message, fit_time=fit.time, device=fit.device,
               cpu_time=time.thread_time() - c0,
               spec=spec.to_dict(), train_config=cfg.to_dict(), n_train=len(tr[0]), n_val=len(va[0]))
    if fit.stop_reason == "nan" or not fit.history:
        out["state"] = "stopped" if fit.stopped_by_user else "failed"
        return out
    scores = {k: v for k, v in evaluate(model, head, va).items() if k != "n"}
    score = scores.get(data.metric)
    out.update(scores=scores, score=score)
    if fit.stop_reason == "pruned":
        out["state"] = "pruned"
        out["score"] = _last(fit.history, f"val_{data.metric}")
    elif fit.stopped_by_user:
        out["state"] = "stopped"
    else:
        out["state"] = "complete" if score is not None and np.isfinite(score) else "failed"
    if task.get("keep_weights"):
        out["weights"] = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
    return out


def _last(history: list[dict], key: str) -> float | None:
    for h in reversed(history):
        v = h.get(key)
        if isinstance(v, (int, float)) and np.isfinite(v):
            return float(v)
    return None


def final_fit(data: SearchData, task: dict, channel=None) -> dict:
    """Retrain the chosen parameters on all rows of ``data`` (all non-test rows) for
    ``task["epochs"]`` epochs without validation. Returns weights, the fit and the preprocessor."""
    from workbench.core.models import Head, ModelSpec
    from workbench.core.training import TrainConfig, Trainer

    data = resolve(data)
    spec, train, prep = data.space.apply(task["params"], ModelSpec.from_dict(data.spec), data.train, data.prep,
                                         data.output_units)
    tr, _, pre = fold_arrays(data, -1, prep)
    head = Head.from_dict(data.head)
    seed = int(task["seed"])
    model = _build(spec, tuple(tr[0].shape[1:]), data.output_shape, head, seed)
    threads = task.get("threads") or train.get("threads")
    cfg = TrainConfig.from_dict({**train, "seed": seed, "threads": threads, "checkpoint_path": None,
                                 "epochs": int(task["epochs"]), "early_stopping": None})
    callbacks = [TrialReporter(channel, {"trial": -1, "fold": -1}, data.metric, 0)] if channel is not None else []
    trainer = Trainer(callbacks, device=_device(task.get("device", "auto")))
    fit = trainer.fit(model, head, train=tr, val=None, config=cfg)
    # the fit restored its best epoch's weights into the model when that was not the last epoch
    weights = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
    return {"weights": weights, "fit": fit.to_dict(), "spec": spec.to_dict(),
            "train_config": cfg.to_dict(), "preprocessor": pre, "prep": prep, "worker": worker_name(),
            "input_shape": tuple(tr[0].shape[1:])}


def ping() -> dict:
    """A tiny task: where it ran (the self-test and the cluster check use it)."""
    return {"worker": worker_name(), "pid": os.getpid()}
