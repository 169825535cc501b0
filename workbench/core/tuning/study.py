"""The search itself: an Optuna study asked for trials, its trials' folds run by an executor.

``run_study(data, settings, ...)`` is the engine every search goes through (``search.run_search``,
the ``workbench tune`` command, the Train panel's Search tab, the lessons). It knows nothing of
test sets: ``data`` (a ``SearchData``) holds the non-test rows only.

The study is stored in the project (``tuning/<name>.journal``, Optuna's journal storage: an
append-only log, so a crash mid-write costs at most the last line, never the study), so a
stopped search goes on where it was: trials that were running when it stopped (or when the app
was closed) are marked failed and their parameters are tried first when it resumes. One search
at a time may run a study (``tuning/<name>.lock``).

Seeds: every trial's model starts from the run's seed ("same", the default: trials differ only
in what the search changes), or from a seed of its own ("per-trial"). Fold k of a trial uses
seed + k, as cross-validation does.

Faults: a fold whose worker dies makes its trial fail; the search tries the same parameters once
more as a new trial, on another worker. Stop (``should_cancel``) ends running folds at their next
batch and cancels those not started; nothing half-done is told to the study as finished.
"""
from __future__ import annotations

import contextlib
import math
import time
import uuid
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable

from workbench.core.errors import WorkbenchError

SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("none", "median", "halving")
SEED_POLICIES = ("same", "per-trial")
TUNING_DIR = "tuning"
STOP_GRACE_S = 30.0  # how long Stop waits for running folds to end before cancelling them
POLL_S = 0.05


class TuningError(WorkbenchError):
    """A search that cannot start or go on (bad settings, a study in use, every trial failing)."""


@dataclass
class SearchSettings:
    """How to search (plain values; ``to_dict`` for the study's stored definition).

    space        text ("lr=log(1e-4,1e-1); dropout=float(0,0.5)"), a SearchSpace or {name: [values]}
    n_trials     finished trials (complete or pruned) the study should have, counting earlier sessions
    sampler      "tpe" | "random" | "grid";  pruner: None | "median" | "halving"
    metric       the validation metric to optimise (registry name; default the task's primary one)
    seed         the sampler's seed; the models' seed is the run's own (``seed_policy``)
    study        the study's name in the project (None: a new name); an existing one is resumed
    parallel     local worker processes (None: one per core, or per GPU); cluster: see executors
    retries      how often a trial whose worker died is tried again (once by default)
    keep_weights return each fold's trained weights in the result (lessons that score afterwards)
    first        settings to try first ({name: value} each; e.g. the model as it is), queued when
                 the study is made
    """

    space: Any
    n_trials: int = 20
    sampler: str = "tpe"
    pruner: str | None = None
    metric: str | None = None
    seed: int = 0
    seed_policy: str = "same"
    study: str | None = None
    parallel: int | None = None
    cluster: Any = None
    retries: int = 1
    keep_weights: bool = False
    first: list = field(default_factory=list)

    def checked(self) -> "SearchSettings":
        from workbench.core.tuning.space import as_space

        self.space = as_space(self.space)
        self.sampler = str(self.sampler or "tpe").lower()
        self.pruner = None if self.pruner in (None, "", "none") else str(self.pruner).lower()
        if self.pruner in ("sha", "successive-halving", "successive_halving", "asha"):
            self.pruner = "halving"
        if self.sampler not in SAMPLERS:
            raise TuningError(f"Unknown sampler {self.sampler!r}; choose tpe, random or grid.")
        if self.pruner not in (None, "median", "halving"):
            raise TuningError(f"Unknown pruner {self.pruner!r}; choose median, halving or none.")
        if self.seed_policy not in SEED_POLICIES:
            raise TuningError(f"Unknown seed policy {self.seed_policy!r}; choose same or per-trial.")
        if int(self.n_trials) < 1:
            raise TuningError(f"A search needs at least 1 trial (got {self.n_trials}).")
        if self.parallel is not None and int(self.parallel) < 1:
            raise TuningError(f"--parallel needs at least 1 worker (got {self.parallel}).")
        if self.sampler == "grid":
            self.space.grid()  # SpaceError for ranges a grid cannot enumerate
        for params in self.first or []:
            unknown = sorted(set(params) - set(self.space.names))
            if unknown:
                raise TuningError(f"The settings to try first name {', '.join(unknown)}, which the search space "
                                  "does not have; add them to the space or leave them out.")
        self.n_trials = int(self.n_trials)
        return self

    def definition(self) -> dict[str, Any]:
        """What a resumed study must agree on (the number of trials may grow)."""
        return {"space": self.space.to_text(), "sampler": self.sampler, "pruner": self.pruner or "none",
                "seed_policy": self.seed_policy}


@dataclass
class StudyResult:
    """A search's outcome. ``trials``: one row per finished trial of the study (all sessions),
    oldest first; ``best``: the row of the best complete trial; ``outcomes``: the fold results of
    the trials run in this session (with weights when ``keep_weights``)."""

    study: str
    storage: str | None
    metric: str
    direction: str
    trials: list[dict] = field(default_factory=list)
    best: dict | None = None
    stopped: bool = False
    executor: str = ""
    workers: list[str] = field(default_factory=list)
    importances: dict[str, float] = field(default_factory=dict)
    outcomes: dict[int, list[dict]] = field(default_factory=dict)
    n_target: int = 0
    time: float = 0.0
    data_handle: Any = field(default=None, repr=False)

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "maximize"

    def to_dict(self) -> dict[str, Any]:
        skip = ("outcomes", "data_handle")
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in skip}


# ---- storage ------------------------------------------------------------------------------------


def study_path(project, name: str) -> Path:
    from workbench.core.safety import safe_child

    return safe_child(Path(project), TUNING_DIR, f"{_check_study_name(name)}.journal", what="study name")


def _check_study_name(name: str) -> str:
    from workbench.core.safety import UnsafeName, check_name

    try:
        return check_name(str(name), "study name")
    except UnsafeName as e:
        raise TuningError(f"{name!r} cannot be a study name ({e}); use letters, digits, '-' and '_'.") from None


def new_study_name() -> str:
    return time.strftime("search-%Y%m%d-%H%M%S") + "-" + uuid.uuid4().hex[:4]


def open_storage(path: Path | None):
    import optuna
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    if path is None:
        return optuna.storages.InMemoryStorage()
    path.parent.mkdir(parents=True, exist_ok=True)
    check_journal(path)
    return optuna.storages.JournalStorage(JournalFileBackend(str(path), lock_obj=JournalFileOpenLock(str(path))))


def check_journal(path: Path) -> None:
    """TuningError when a study file exists but is not an Optuna journal (random bytes, another
    file renamed): each complete line must be a JSON object with an operation code. A last line
    without its newline is what a full disk or a kill leaves; Optuna ignores it, so do we."""
    import json

    from workbench.core.media import read_regular_bytes

    if not path.exists():
        return
    data = read_regular_bytes(path, "study file", 2 * 1024**3)
    for k, line in enumerate(data.split(b"\n")[:-1], 1):
        if not line.strip():
            continue
        try:
            op = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            op = None
        if not isinstance(op, dict) or "op_code" not in op:
            raise TuningError(f"The study file {path} is damaged (line {k} is not an Optuna journal entry); "
                              "move it away to start the study again.")


def list_studies(project) -> list[dict[str, Any]]:
    """One row per study in the project: name, trials finished, best value, definition."""
    import optuna

    root = Path(project) / TUNING_DIR
    rows = []
    for f in sorted(root.glob("*.journal")) if root.is_dir() else []:
        try:
            storage = open_storage(f)
            for s in optuna.get_all_study_summaries(storage, include_best_trial=True):
                wb = s.user_attrs.get("workbench", {})
                rows.append({"study": s.study_name, "file": str(f), "trials": s.n_trials,
                             "best_value": s.best_trial.value if s.best_trial else None,
                             "best_params": s.best_trial.params if s.best_trial else None,
                             "metric": wb.get("metric"), "space": wb.get("definition", {}).get("space"),
                             "n_trials": wb.get("n_trials"), "search_run_id": wb.get("search_run_id")})
        except Exception as e:  # noqa: BLE001 - a damaged file is a row with its error, like damaged runs
            rows.append({"study": f.stem, "file": str(f), "error": f"cannot be read ({type(e).__name__}: {e})"})
    return rows


@contextlib.contextmanager
def study_lock(path: Path | None):
    """``tuning/<name>.lock`` held while a search runs its study: one search per study at a time.
    The operating system lets go of the lock when the process that held it ends (the app killed,
    a crash), so a lock is never left stale."""
    if path is None:
        yield
        return
    from filelock import FileLock, Timeout

    path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(path.with_suffix(".lock")))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise TuningError(f"The search {path.stem} is running in another window or command; stop it there, "
                          "or wait for it to finish.") from None
    try:
        yield
    finally:
        lock.release()


# ---- samplers and pruners ---------------------------------------------------------------------


def make_sampler(settings: SearchSettings, n_existing: int):
    """The Optuna sampler; its seed moves on with the study's size so a resumed random search
    does not replay the first session's draws."""
    import optuna

    seed = int(settings.seed) + int(n_existing)
    if settings.sampler == "grid":
        class Grid(optuna.samplers.GridSampler):
            def after_trial(self, study, trial, state, values):
                pass  # Optuna's stops an optimize() loop at the last point; the search counts it itself

        return Grid(settings.space.grid(), seed=seed)
    if settings.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    startup = min(10, max(3, settings.n_trials // 4))
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, constant_liar=True)


def make_pruner(settings: SearchSettings):
    import optuna

    if settings.pruner == "median":
        startup = min(5, max(2, settings.n_trials // 5))
        return optuna.pruners.MedianPruner(n_startup_trials=startup, n_warmup_steps=1)
    if settings.pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    return optuna.pruners.NopPruner()


def _direction(metric: str) -> str:
    from workbench.core.training.metrics import higher_is_better

    return "maximize" if higher_is_better(metric) else "minimize"


def load_or_create(settings: SearchSettings, storage, name: str, metric: str, extra: dict | None = None):
    """(study, resumed): create the study, or load it and check it searches the same thing."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    direction = _direction(metric)
    existing = {s.study_name for s in optuna.get_all_study_summaries(storage)}
    definition = {**settings.definition(), **(extra or {})}
    if name in existing:
        study = optuna.load_study(study_name=name, storage=storage, sampler=None)
        old = study.user_attrs.get("workbench", {})
        diff = [k for k, v in definition.items() if old.get("definition", {}).get(k) != v]
        if old.get("metric") not in (None, metric):
            diff.append("metric")
        if diff:
            raise TuningError(f"The study {name} was made with a different {', '.join(diff)}; resume it with its "
                              f"own settings (workbench tune --resume {name}) or choose a new --study name.")
        n_existing = len(study.trials)
        study = optuna.load_study(study_name=name, storage=storage, sampler=make_sampler(settings, n_existing),
                                  pruner=make_pruner(settings))
        return study, True
    study = optuna.create_study(study_name=name, storage=storage, direction=direction,
                                sampler=make_sampler(settings, 0), pruner=make_pruner(settings))
    for params in settings.first or []:
        study.enqueue_trial(dict(params))
    study.set_user_attr("workbench", {"definition": definition, "metric": metric, "n_trials": settings.n_trials,
                                      "created": time.time()})
    return study, False


def update_study_attrs(study, **values) -> None:
    wb = dict(study.user_attrs.get("workbench", {}))
    wb.update(values)
    study.set_user_attr("workbench", wb)


# ---- rows -------------------------------------------------------------------------------------


def _finite(v) -> float | None:
    try:
        v = float(v)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def row_of(ft) -> dict[str, Any]:
    """A finished Optuna trial as a plain row (what tables, plots, the CLI and records show)."""
    wb = ft.user_attrs.get("workbench", {})
    state = {"COMPLETE": "complete", "PRUNED": "pruned", "FAIL": "failed", "RUNNING": "running",
             "WAITING": "waiting"}.get(ft.state.name, ft.state.name.lower())
    if state == "failed" and wb.get("stopped"):
        state = "stopped"
    value = ft.value if ft.state.name == "COMPLETE" else wb.get("value")
    if value is None and ft.intermediate_values:
        value = ft.intermediate_values[max(ft.intermediate_values)]
    dur = ft.duration.total_seconds() if ft.duration is not None else wb.get("duration")
    return {"number": ft.number, "state": state, "params": dict(ft.params), "value": _finite(value),
            "std": wb.get("std"), "fold_scores": wb.get("fold_scores", []), "best_epochs": wb.get("best_epochs", []),
            "epochs_run": wb.get("epochs_run"), "workers": wb.get("workers", []), "duration": dur,
            "cpu_time": wb.get("cpu_time"),
            "message": wb.get("message", ""), "retry_of": ft.user_attrs.get("retry_of"), "run_id": wb.get("run_id"),
            "seed": wb.get("seed"),
            "curve": [[int(s), float(v)] for s, v in sorted(ft.intermediate_values.items()) if _finite(v) is not None]}


def importances(study, metric_direction: str | None = None) -> dict[str, float]:
    """Optuna's parameter importances (fANOVA, seeded) over the complete trials; {} when there
    are too few trials or only one distinct value."""
    import optuna
    from optuna.trial import TrialState

    done = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))]
    if len(done) < 2 or not done[0].params:
        return {}
    try:
        ev = optuna.importance.FanovaImportanceEvaluator(seed=0)
        out = optuna.importance.get_param_importances(study, evaluator=ev)
    except (RuntimeError, ValueError, ZeroDivisionError):
        return {}
    return {k: float(v) for k, v in out.items() if _finite(v) is not None}


# ---- the driver ---------------------------------------------------------------------------------


@dataclass
class _Trial:
    trial: Any
    params: dict
    seed: int
    retry_of: int | None
    avoid: list
    started: float
    futures: dict = field(default_factory=dict)   # fold -> future
    attempts: dict = field(default_factory=dict)  # fold -> attempt id
    outcomes: dict = field(default_factory=dict)  # fold -> outcome dict
    workers: dict = field(default_factory=dict)   # fold -> worker address
    pruned: bool = False
    last_value: float | None = None
    curve: list = field(default_factory=list)     # [step, value] as reported to the pruner
    launching: bool = True                        # folds are still being submitted

    @property
    def number(self) -> int:
        return self.trial.number


class _Driver:
    def __init__(self, study, data, handle, settings: SearchSettings, executor, *, on_event, should_cancel,
                 record_trial, device: str, stride: int):
        from workbench.core.tuning.channel import DaskChannel, DaskHub, InlineChannel

        self.study, self.data, self.handle, self.s, self.ex = study, data, handle, settings, executor
        self.on_event, self.should_cancel, self.record_trial = on_event, should_cancel, record_trial
        self.device, self.stride = device, stride
        self.token = data.token
        self.prune = settings.pruner is not None
        self.dists = settings.space.distributions()
        self.active: dict[int, _Trial] = {}
        self.started: dict[tuple, str] = {}
        self.avoid_next: dict[int, list] = {}
        self.outcomes: dict[int, list[dict]] = {}
        self.stopping = False
        self.stop_deadline = None
        self.session_states: list[str] = []
        self.first_error = ""
        self.owners: dict[int, tuple[int, int]] = {}  # id(future) -> (trial, fold)
        if executor.kind == "dask":
            from distributed import as_completed

            self.finished = as_completed(loop=executor.client.loop)
            self.hub = DaskHub(executor.client, self.token)
            self.channel = DaskChannel(self.token, wait_reports=self.prune)
        else:
            self.finished = None
            self.hub = None
            self.channel = InlineChannel(self._on_message, self._cancelled, wait_reports=self.prune)

    # ---- helpers -------------------------------------------------------------------------
    def emit(self, event: dict) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def _cancelled(self) -> bool:
        if self.stopping:
            return True
        if self.should_cancel is not None and self.should_cancel():
            self._begin_stop()
            return True
        return False

    def _finished_count(self) -> int:
        from optuna.trial import TrialState

        return len(self.study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))

    def _outstanding(self) -> int:
        return sum(1 for t in self.active.values() for f, fut in t.futures.items() if f not in t.outcomes
                   and not fut.done())

    def _seed_for(self, number: int) -> int:
        base = int(self.data.train.get("seed", 0) or 0)
        return base if self.s.seed_policy == "same" else base + 1000 * (number + 1)

    # ---- recovery of an interrupted session -----------------------------------------------
    def recover(self) -> int:
        """Trials left running by a session that ended without telling (app closed, crash):
        failed, and their parameters queued to be tried first."""
        from optuna.trial import TrialState

        stale = self.study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        for ft in stale:
            self.study.tell(ft.number, state=TrialState.FAIL)
            if ft.params:
                self.study.enqueue_trial(ft.params, user_attrs={"resumes": ft.number})
        return len(stale)

    # ---- launching --------------------------------------------------------------------------
    def _launch(self) -> None:
        from workbench.core.tuning.trial import run_fold

        t = self.study.ask(fixed_distributions=self.dists)
        retry_of = t.user_attrs.get("retry_of")
        tr = _Trial(t, dict(t.params), self._seed_for(t.number), retry_of,
                    self.avoid_next.pop(retry_of, []) if retry_of is not None else [], time.perf_counter())
        self.active[t.number] = tr
        self.emit({"kind": "asked", "trial": t.number, "params": dict(t.params), "retry_of": retry_of})
        for fold in range(len(self.data.folds)):
            attempt = uuid.uuid4().hex[:12]
            tr.attempts[fold] = attempt
            task = {"trial": t.number, "fold": fold, "attempt": attempt, "params": tr.params,
                    "seed": tr.seed + fold, "threads": self.ex.threads, "device": self.device,
                    "keep_weights": self.s.keep_weights, "stride": self.stride}
            key = f"workbench-trial-{self.token}-{t.number}-{fold}-{attempt}"
            fut = tr.futures[fold] = self.ex.submit(run_fold, self.handle, task, self.channel, avoid=tr.avoid,
                                                    key=key)
            self.owners[id(fut)] = (t.number, fold)
            if self.finished is not None:
                self.finished.add(fut)
            if self.ex.kind == "inline":  # the fold has run: do not run the next one for a decided trial
                self._collect()
                if t.number not in self.active or tr.pruned or self.stopping:
                    break
        tr.launching = False
        if t.number in self.active:
            self._maybe_finish(tr)

    # ---- messages from folds ------------------------------------------------------------------
    def _on_message(self, m: dict) -> str | None:
        kind = m.get("kind")
        n, fold, attempt = m.get("trial"), m.get("fold"), m.get("attempt")
        if n == -1:  # the final retrain reports epochs for the live chart only
            if kind == "report":
                self.emit({"kind": "final_epoch", "epoch": m.get("step"), "logs": m.get("logs", {})})
            return "stop" if self.stopping else "go"
        tr = self.active.get(n)
        if kind == "start":
            key = (n, fold, attempt)
            if key in self.started:  # Dask ran the same fold again: the worker of the first run died
                if tr is not None and tr.attempts.get(fold) == attempt and fold not in tr.outcomes:
                    self._worker_lost(tr, fold, self.started[key])
                return "abort"
            if tr is None or tr.attempts.get(fold) != attempt or self.stopping:
                return "abort"
            self.started[key] = str(m.get("worker"))
            tr.workers[fold] = str(m.get("worker"))
            self.emit({"kind": "started", "trial": n, "fold": fold, "worker": tr.workers[fold],
                       "params": tr.params, "pid": m.get("pid")})
            return "go"
        if kind == "report":
            if tr is None or tr.attempts.get(fold) != attempt:
                return "stop"
            if self.stopping:
                return "stop"
            if tr.pruned:
                return "prune"
            v, step = _finite(m.get("value")), int(m.get("step", 0))
            if v is not None:
                tr.trial.report(v, step)
                tr.last_value = v
                tr.curve.append([step, v])
            self.emit({"kind": "report", "trial": n, "fold": fold, "step": step,
                       "epoch": step - fold * self.stride, "value": v, "logs": m.get("logs", {})})
            if self.prune and v is not None and tr.trial.should_prune():
                tr.pruned = True
                return "prune"
            return "go"
        return None

    def _pump(self) -> None:
        if self.hub is None:
            return
        for m in self.hub.poll(POLL_S):
            ans = self._on_message(m)
            if m.get("wants_reply") and m.get("nonce"):
                self.hub.reply(m["nonce"], ans or "go")

    # ---- results ------------------------------------------------------------------------------
    def _collect(self) -> None:
        """Settle the folds that ended: Dask's ``as_completed`` hands them over as they finish (a
        fold run inline has finished when ``submit`` returns)."""
        done = self.finished.next_batch(block=False) if self.finished is not None else \
            [f for tr in list(self.active.values()) for f in tr.futures.values() if f.done()]
        for fut in done:
            owner = self.owners.get(id(fut))
            if owner is not None:
                self._settle(fut, *owner)

    def _settle(self, fut, number: int, fold: int) -> None:
        from workbench.core.tuning.executors import is_lost_worker
        from workbench.core.tuning.trial import TrialAborted

        tr = self.active.get(number)
        if tr is None or fold in tr.outcomes or tr.futures.get(fold) is not fut:
            return  # a decided trial's leftover fold
        if _cancelled_future(fut):
            tr.outcomes[fold] = {"state": "stopped", "fold": fold, "history": [], "message": "cancelled"}
        else:
            exc = fut.exception()
            if exc is None:
                tr.outcomes[fold] = fut.result()
            elif isinstance(exc, TrialAborted) or type(exc).__name__ == "TrialAborted":
                tr.outcomes[fold] = {"state": "stopped", "fold": fold, "history": [], "message": str(exc)}
            elif is_lost_worker(exc):
                return self._worker_lost(tr, fold, tr.workers.get(fold, "?"))
            else:
                tr.outcomes[fold] = {"state": "failed", "fold": fold, "history": [],
                                     "message": f"{type(exc).__name__}: {exc}"}
        self._maybe_finish(tr)

    def _maybe_finish(self, tr: _Trial) -> None:
        states = [o.get("state") for o in tr.outcomes.values()]
        if "failed" in states:
            msg = next(o.get("message", "") for o in tr.outcomes.values() if o.get("state") == "failed")
            return self._finish(tr, "failed", message=msg or "The trial failed.")
        if tr.launching:
            return None
        need = len(tr.futures) if (tr.pruned or self.stopping) else len(self.data.folds)
        if len(tr.outcomes) < need:
            return None
        if tr.pruned or "pruned" in states:
            return self._finish(tr, "pruned")
        if "stopped" in states:
            return self._finish(tr, "stopped", message="The search was stopped during this trial.")
        return self._finish(tr, "complete")

    def _worker_lost(self, tr: _Trial, fold: int, worker: str) -> None:
        retry = tr.retry_of is None and self.s.retries > 0 and not self.stopping
        msg = f"The worker {worker} stopped during this trial (fold {fold + 1})"
        if retry:
            self.study.enqueue_trial(tr.params, user_attrs={"retry_of": tr.number})
            self.avoid_next[tr.number] = [worker]
            msg += "; the same settings are tried again on another worker."
        else:
            msg += "; it is not tried again" + (" (it was already a retry)." if tr.retry_of is not None else ".")
        self.emit({"kind": "worker_lost", "trial": tr.number, "fold": fold, "worker": worker, "retry": retry})
        self._finish(tr, "failed", message=msg, lost_worker=worker)

    def _finish(self, tr: _Trial, state: str, *, message: str = "", lost_worker: str | None = None) -> None:
        import numpy as np
        from optuna.trial import TrialState

        self.active.pop(tr.number, None)
        self.ex.cancel([f for fold, f in tr.futures.items() if fold not in tr.outcomes])
        outs = [tr.outcomes[f] for f in sorted(tr.outcomes)]
        scores = [_finite(o.get("score")) for o in outs if o.get("state") == "complete"]
        value = float(np.mean(scores)) if state == "complete" and scores and None not in scores else None
        if state == "complete" and value is None:
            state, message = "failed", message or "The trial gave no finite validation score."
        if state == "pruned":
            value = tr.last_value
        wb = {"seed": tr.seed, "workers": [tr.workers[f] for f in sorted(tr.workers)],
              "fold_scores": [_finite(o.get("score")) for o in outs],
              "std": float(np.std(scores)) if state == "complete" and len(scores) > 1 else None,
              "best_epochs": [o.get("best_epoch") for o in outs], "epochs_run": sum(o.get("epochs_run") or 0
                                                                                  for o in outs),
              "message": message or next((o.get("message", "") for o in outs if o.get("message")), ""),
              "cpu_time": float(sum(o.get("cpu_time") or 0.0 for o in outs)),
              "duration": time.perf_counter() - tr.started, "value": value}
        if lost_worker:
            wb["lost_worker"] = lost_worker
        if state == "stopped":
            wb["stopped"] = True
        row = {"number": tr.number, "state": state, "params": tr.params, "value": _finite(value),
               "retry_of": tr.retry_of, **{k: wb[k] for k in ("std", "fold_scores", "best_epochs", "epochs_run",
                                                               "workers", "duration", "message", "seed",
                                                               "cpu_time")}}
        if state != "stopped" and self.record_trial is not None:
            wb["run_id"] = row["run_id"] = self.record_trial(row, outs)
        tr.trial.set_user_attr("workbench", wb)
        if state == "complete":
            self.study.tell(tr.trial, value)
        elif state == "pruned":
            self.study.tell(tr.trial, state=TrialState.PRUNED)
        else:
            self.study.tell(tr.trial, state=TrialState.FAIL)
            if state == "stopped" and tr.params:
                self.study.enqueue_trial(tr.params, user_attrs={"resumes": tr.number})
        row["curve"] = sorted(tr.curve)
        self.outcomes[tr.number] = outs
        self.session_states.append(state)
        if state == "failed" and not lost_worker and not self.first_error:
            self.first_error = row["message"]
        self.emit({"kind": "trial", "row": row})

    # ---- stop -----------------------------------------------------------------------------------
    def _begin_stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        self.stop_deadline = time.monotonic() + STOP_GRACE_S
        if self.hub is not None:
            self.hub.set_stop()
        for tr in self.active.values():
            not_started = [f for f in tr.futures if (tr.number, f, tr.attempts[f]) not in self.started]
            self.ex.cancel([tr.futures[f] for f in not_started])
        self.emit({"kind": "stopping"})

    # ---- the loop -------------------------------------------------------------------------------
    def run(self, n_target: int) -> bool:
        """Run until the study has ``n_target`` finished trials (or Stop). True when stopped."""
        launched = 0
        limit = 2 * n_target + 10  # failures are retried; never loop for ever on a broken setup
        while True:
            self._cancelled()
            if not self.stopping:
                while (self._outstanding() < self.ex.slots and self._finished_count() + len(self.active) < n_target
                       and launched < limit and not self._hopeless()):
                    self._launch()
                    launched += 1
                    self._collect()
                    if self._cancelled():
                        break
            if not self.active:
                break
            self._pump()
            self._collect()
            if self.stopping and time.monotonic() > (self.stop_deadline or 0):
                for tr in list(self.active.values()):
                    self._finish(tr, "stopped", message="The search was stopped during this trial.")
        if self.hub is not None:
            self.hub.close()
        if self._hopeless() and not self.stopping:
            raise TuningError(f"Every trial failed; the first said: {self.first_error}")
        return self.stopping

    def _hopeless(self) -> bool:
        s = self.session_states
        return len(s) >= 3 and all(x == "failed" for x in s) and bool(self.first_error)


def _cancelled_future(fut) -> bool:
    status = getattr(fut, "status", None)
    if status is not None:
        return status == "cancelled"
    return fut.cancelled()


# ---- entry point ------------------------------------------------------------------------------


def run_study(data, settings: SearchSettings, *, project=None, on_event: Callable[[dict], None] | None = None,
              should_cancel: Callable[[], bool] | None = None, record_trial=None, device: str = "auto",
              executor=None, on_status: Callable[[str], None] | None = None, keep_data: bool = False) -> StudyResult:
    """Run (or resume) a study over ``data`` (a SearchData: non-test rows only) until it has
    ``settings.n_trials`` finished trials, or until ``should_cancel()``.

    ``record_trial(row, fold_outcomes) -> run_id`` stores each finished trial as a run (the
    workflow passes one); ``on_event(dict)`` sees every start, epoch report and finished trial
    (kinds "study", "asked", "started", "report", "trial", "worker_lost", "stopping", "done").

    ``executor`` (an open one) is used and left open; with ``keep_data`` the search's data stay
    on the workers and ``result.data_handle`` refers to them (the final retrain uses them)."""
    from workbench.core.tuning.executors import ClusterError, open_executor

    settings.checked()
    started = time.perf_counter()
    name = _check_study_name(settings.study) if settings.study else new_study_name()
    settings.study = name
    path = study_path(project, name) if project else None
    n_target = settings.n_trials
    if settings.sampler == "grid":
        n_target = min(n_target, settings.space.grid_size())
    with study_lock(path):
        storage = open_storage(path)
        study, resumed = load_or_create(settings, storage, name, data.metric, {"data": data.extra.get("data")})
        update_study_attrs(study, n_trials=settings.n_trials, **({"config": data.extra["config"]}
                                                                 if data.extra.get("config") else {}))
        own = executor is None
        ex = executor or open_executor(settings.cluster, settings.parallel)
        try:
            handle = ex.share(data)
            drv = _Driver(study, data, handle, settings, ex, on_event=on_event, should_cancel=should_cancel,
                          record_trial=record_trial, device=device, stride=_stride(data, settings.space))
            recovered = drv.recover()
            earlier = [row_of(t) for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
            drv.emit({"kind": "study", "study": name, "storage": str(path) if path else None, "resumed": resumed,
                      "recovered": recovered, "trials": earlier, "n_trials": n_target, "metric": data.metric,
                      "direction": _direction(data.metric), "executor": ex.description, "workers": ex.workers(),
                      "params": settings.space.names})
            if on_status:
                on_status(f"Search {name}: {len(earlier)} trial(s) so far, up to {n_target}, on {ex.description}")
            try:
                stopped = drv.run(n_target)
            except WorkbenchError:
                raise
            except Exception as e:  # noqa: BLE001 - the scheduler went away (comm errors, timeouts)
                if ex.kind != "dask" or not _cluster_failure(e):
                    raise
                raise ClusterError(f"The Dask cluster ({ex.description}) went away during the search "
                                   f"({type(e).__name__}); the finished trials are kept: resume with the study "
                                   f"name {name}.") from None
            workers = ex.workers()
            if not keep_data:
                ex.release(handle)
        finally:
            if own:
                ex.close()
    rows = [row_of(t) for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    for r in rows:
        r.setdefault("run_id", None)
    best = None
    try:
        best = row_of(study.best_trial)
    except ValueError:  # no complete trial
        pass
    res = StudyResult(study=name, storage=str(path) if path else None, metric=data.metric,
                      direction=_direction(data.metric), trials=rows, best=best, stopped=stopped,
                      executor=ex.description, workers=workers, importances=importances(study),
                      outcomes=drv.outcomes, n_target=n_target, time=time.perf_counter() - started)
    res.data_handle = handle if keep_data else None
    if on_event:
        on_event({"kind": "done", "stopped": stopped, "best": best, "importances": res.importances})
    return res


def _cluster_failure(e: BaseException) -> bool:
    import asyncio

    return isinstance(e, (OSError, asyncio.TimeoutError, TimeoutError)) or \
        type(e).__module__.split(".")[0] in ("distributed", "tornado")


def _stride(data, space) -> int:
    """Steps per fold for the pruner: the most epochs any trial can train."""
    epochs = int(data.train.get("epochs", 1) or 1)
    for p in space.params:
        if p.name == "epochs":
            vals = list(p.choices) if p.kind == "choice" else [p.high]
            epochs = max([epochs] + [int(v) for v in vals if isinstance(v, (int, float))])
    return max(1, epochs)
