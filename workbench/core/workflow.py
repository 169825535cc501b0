"""The whole training workflow, shared by the GUI and the CLI.

``run_training(cfg)`` = load -> summarize -> split -> preprocess (fitted on training rows only) ->
head choice + warnings -> build (SpecError before any training) -> baseline -> fit (or
cross-validate) -> test once -> diagnose -> save the run. The GUI calls the steps one by one:

    ds = load_dataset(cfg)                     # slow for image folders: progress / cancel callbacks
    prep = prepare_data(cfg, ds)               # summary, splits, task, head, arrays
    built = build_model_for(cfg, prep)         # spec, nn.Module, layer summary
    base = compute_baseline(prep)
    outcome = train_model(cfg, prep, built, callbacks=[bridge], trainer=trainer)
    result = finish_run(cfg, prep, built, base, outcome)   # test once, diagnose, save
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from workbench.core.errors import DataError, SpecError

Status = Callable[[str], None]

# Training settings a preset was designed with (the book's, for the IMDB family). Anything the
# user sets explicitly (RunConfig.train) wins over these.
PRESET_TRAIN_DEFAULTS: dict[str, dict[str, Any]] = {
    "imdb": {"epochs": 20, "batch_size": 512, "optimizer": "rmsprop", "lr": 1e-3},
    "digits-cnn": {"epochs": 10, "batch_size": 32, "optimizer": "adam", "lr": 1e-3},
    "shallow-cnn": {"epochs": 15, "batch_size": 32, "optimizer": "adam", "lr": 1e-3},
    "mlp": {"epochs": 30, "batch_size": 32, "optimizer": "adam", "lr": 1e-3},
}
GENERIC_TRAIN_DEFAULTS: dict[str, Any] = {"epochs": 20, "batch_size": 32, "optimizer": "adam", "lr": 1e-3}


@dataclass
class RunConfig:
    """Everything needed to repeat a run (JSON-friendly; ``to_dict``/``from_dict``).

    data        "builtin:NAME", an image folder, a CSV file (``target``/``time_column``) or a text
                CSV (``text_column`` + ``target`` as the label column).
    split       SplitPlan text: holdout:0.2,0.2 | kfold:5 | iterated-kfold:3x5 | time:0.2,0.2
    task        "auto" or a task name (binary, multiclass, multilabel, regression, regression01, ...)
    model       preset name, path of a spec .json, or a spec dict; None picks one for the data kind
    head        optional {"activation": ..., "loss": ...} to override the task's default head
    train       TrainConfig fields the user set; the rest come from the preset's defaults
    """

    data: str
    target: str | None = None
    time_column: str | None = None
    text_column: str | None = None
    image_size: tuple[int, int] = (64, 64)
    split: str = "holdout:0.2,0.2"
    drop_duplicates: bool = False
    scale: str = "none"
    missing: str = "zero"
    vocab_size: int = 10000
    task: str = "auto"
    model: str | dict | None = None
    head: dict | None = None
    train: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    device: str = "auto"
    project: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["image_size"] = list(self.image_size)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunConfig":
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        if "image_size" in kw:
            kw["image_size"] = tuple(kw["image_size"])
        return cls(**kw)


@dataclass
class Prepared:
    """Data after loading, splitting and preprocessing (the arrays are model-ready float32)."""

    dataset: Any
    summary: Any
    plan: Any
    splits: Any
    task: str
    head: Any
    head_warnings: list[str]
    warnings: list[str]
    n_classes: int | None
    output_shape: tuple
    input_shape: tuple = ()
    preprocessor: Any = None  # fitted on the training rows (hold-out / time) or on all non-test rows (CV)
    train: tuple | None = None  # (X, y) hold-out / time plans
    val: tuple | None = None
    test: tuple | None = None
    cross_validation: bool = False

    def fold_data(self, cfg: RunConfig) -> Callable:
        """data(train_idx, eval_idx) for cross_validate: preprocessing fitted per fold on train_idx."""
        ds = self.dataset

        def data(train_idx, eval_idx):
            pre = _preprocessor(cfg).fit(ds, train_idx)
            return ((pre.transform(ds, train_idx), ds.y[train_idx]),
                    (pre.transform(ds, eval_idx), ds.y[eval_idx]))

        return data


@dataclass
class Built:
    spec: Any
    model: Any
    summary: Any
    name: str | None
    make: Callable[[int], Any]  # seed -> a fresh model of the same spec


@dataclass
class Outcome:
    fit: Any = None  # FitResult of the model that is kept (final model for CV)
    cv: Any = None  # CVResult
    model: Any = None
    train_config: Any = None


@dataclass
class RunResult:
    run_id: str | None
    record: dict[str, Any]
    prepared: Prepared
    built: Built
    outcome: Outcome
    baseline: dict[str, Any]
    diagnosis: Any
    test_metrics: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        """The CLI's --json object."""
        r = self.record
        return {
            "run_id": self.run_id,
            "task": r.get("task"),
            "baseline": r.get("baseline"),
            "history": r.get("history"),
            "best_epoch": r.get("best_epoch"),
            "stop_reason": r.get("stop_reason"),
            "message": r.get("message"),
            "diagnosis": r.get("diagnosis"),
            "test_metrics": r.get("test_metrics"),
            "cross_validation": _cv_brief(r.get("cross_validation")),
            "warnings": r.get("warnings"),
            "time": r.get("time"),
        }


def _cv_brief(cv):
    if not cv:
        return None
    return {"mean": cv.get("mean"), "std": cv.get("std"), "final_epochs": cv.get("final_epochs"),
            "folds": [{k: f.get(k) for k in ("repeat", "fold", "best_epoch", "scores")} for f in cv.get("folds", [])]}


def _say(on_status: Status | None, msg: str) -> None:
    if on_status:
        on_status(msg)


def _preprocessor(cfg: RunConfig):
    from workbench.core.data import Preprocessor

    return Preprocessor(scale=cfg.scale, missing=cfg.missing, vocab_size=cfg.vocab_size)


# ------------------------------------------------------------------------------------------------
# steps


def load_dataset(cfg: RunConfig, progress=None, should_cancel=None):
    from workbench.core.data import load_data

    kind = "auto"  # how a CSV reads its target column: as classes or as numbers
    if cfg.task and cfg.task != "auto" and not cfg.text_column:
        kind = "regression" if str(cfg.task).startswith("regression") else "classification"
    return load_data(cfg.data, target=cfg.target, time_column=cfg.time_column, text_column=cfg.text_column,
                     image_size=tuple(cfg.image_size), progress=progress, should_cancel=should_cancel, task=kind)


def choose_head(cfg: RunConfig, ds) -> tuple[str, Any, list[str]]:
    """(task, head, warnings): the task from the targets unless overridden, its default head,
    or the user's activation/loss with the reasons it is a poor match."""
    from workbench.core.models import Head, check_head, default_head, infer_task

    if cfg.task and cfg.task != "auto":
        task = cfg.task
    else:
        task = infer_task(ds.y, ds.class_names)
    if cfg.head:
        head = Head(task, cfg.head.get("activation", default_head(task).activation),
                    cfg.head.get("loss", default_head(task).loss_name), "chosen by the user")
        warns = check_head(task, head.activation, head.loss_name)
    else:
        head = default_head(task)
        warns = []
    return task, head, warns


def prepare_data(cfg: RunConfig, ds=None, on_status: Status | None = None) -> Prepared:
    from workbench.core.data import SplitPlan, summarize

    if ds is None:
        _say(on_status, f"Loading {cfg.data} ...")
        ds = load_dataset(cfg)
    summary = summarize(ds)
    if ds.is_classification and np.asarray(ds.y).ndim == 1 and len(np.unique(ds.y)) < 2:
        name = ds.class_names[int(np.asarray(ds.y)[0])] if len(ds.y) else "?"
        raise DataError(f"The data contain only one class ({name!r}); a classifier needs at least two.")
    plan = SplitPlan.parse(cfg.split) if isinstance(cfg.split, str) else SplitPlan.from_dict(cfg.split)
    if isinstance(cfg.split, str) and "seed=" not in cfg.split:
        plan = dataclasses.replace(plan, seed=cfg.seed)
    if cfg.drop_duplicates:
        plan = dataclasses.replace(plan, drop_duplicates=True)
    _say(on_status, f"Splitting: {plan.describe()}")
    splits = plan.make(ds)
    task, head, head_warnings = choose_head(cfg, ds)
    n_classes = len(ds.class_names) if ds.class_names is not None else None
    output_shape = tuple(head.output_shape(ds.y, n_classes))
    cv = plan.kind in ("kfold", "iterated-kfold", "time-kfold")
    prep = Prepared(dataset=ds, summary=summary, plan=plan, splits=splits, task=task, head=head,
                    head_warnings=head_warnings, warnings=[], n_classes=n_classes,
                    output_shape=output_shape, cross_validation=cv)
    _say(on_status, "Preprocessing (fitted on the training rows only) ...")
    pre = _preprocessor(cfg)
    fit_idx = splits.rest_idx if cv else splits.train_idx
    pre.fit(ds, fit_idx)
    prep.preprocessor = pre
    prep.input_shape = tuple(pre.output_shape)
    if not cv:
        y = np.asarray(ds.y)
        prep.train = (pre.transform(ds, splits.train_idx), y[splits.train_idx])
        if len(splits.val_idx):
            prep.val = (pre.transform(ds, splits.val_idx), y[splits.val_idx])
        if len(splits.test_idx):
            prep.test = (pre.transform(ds, splits.test_idx), y[splits.test_idx])
    prep.warnings = list(summary.warnings) + list(splits.warnings) + list(pre.warnings) + list(head_warnings)
    return prep


def default_model_name(kind: str, input_shape: tuple) -> str:
    if kind == "text":
        return "imdb"
    if kind == "image":
        return "digits-cnn" if max(input_shape[-2:], default=0) <= 32 else "shallow-cnn"
    return "mlp"


def resolve_spec(cfg: RunConfig, prep: Prepared):
    """(spec, name): a preset, a spec file or a spec dict; None picks one for the data kind."""
    from workbench.core.models import ModelSpec, load_spec

    model = cfg.model
    if model is None:
        model = default_model_name(prep.dataset.kind, prep.input_shape)
    if isinstance(model, dict):
        spec = ModelSpec.from_dict(model)
        return spec, getattr(spec, "name", None) or "custom"
    spec = load_spec(model)
    return spec, (Path(model).stem if str(model).lower().endswith(".json") else str(model))


def resolve_train_config(cfg: RunConfig, model_name: str | None):
    from workbench.core.training import TrainConfig

    base = dict(GENERIC_TRAIN_DEFAULTS)
    key = (model_name or "").lower()
    if key.startswith("imdb"):
        key = "imdb"
    base.update(PRESET_TRAIN_DEFAULTS.get(key, {}))
    base.update({k: v for k, v in (cfg.train or {}).items() if v is not None})
    if "seed" not in (cfg.train or {}):
        base["seed"] = cfg.seed
    if base.get("threads") is None:
        base["threads"] = auto_threads()
    return TrainConfig.from_dict(base)


def auto_threads() -> int | None:
    """1 when the machine is already busy, else None (torch's own choice).

    torch's OpenMP threads spin-wait at every operation; when other programs already use every
    core, a small model trained with 2+ threads ran 7-15x slower here than with one thread.
    """
    import os

    try:
        load = os.getloadavg()[0]
    except (OSError, AttributeError):  # Windows has no load average
        return None
    return 1 if load >= (os.cpu_count() or 1) else None


def build_model_for(cfg: RunConfig, prep: Prepared, on_status: Status | None = None) -> Built:
    from workbench.core.models import build_model, summarize_model
    from workbench.core.training import seed_everything

    spec, name = resolve_spec(cfg, prep)
    summary = summarize_model(spec, prep.input_shape, prep.output_shape, prep.head)  # SpecError names the layer

    def make(seed: int):
        seed_everything(seed)
        return build_model(spec, prep.input_shape, prep.output_shape, prep.head)

    model = make(cfg.seed)
    _say(on_status, f"Model {name}: {sum(p.numel() for p in model.parameters()):,} parameters")
    return Built(spec=spec, model=model, summary=summary, name=name, make=make)


def compute_baseline(prep: Prepared) -> dict[str, Any]:
    """The dumb baseline fitted on the training rows, scored on validation and test rows."""
    from workbench.core.training import baseline_scores

    y = np.asarray(prep.dataset.y)
    s = prep.splits
    out: dict[str, Any] = {}
    fit_idx = s.rest_idx if prep.cross_validation else s.train_idx
    if prep.cross_validation:
        folds = [baseline_scores(prep.task, y[f.train_idx], y[f.val_idx]) for f in s.folds]
        out["val"] = {k: float(np.mean([f[k] for f in folds])) for k, v in folds[0].items()
                      if isinstance(v, float) and all(f.get(k) is not None for f in folds)}
        out["val"]["strategy"] = folds[0].get("strategy")
    elif len(s.val_idx):
        out["val"] = baseline_scores(prep.task, y[fit_idx], y[s.val_idx])
    if len(s.test_idx):
        out["test"] = baseline_scores(prep.task, y[fit_idx], y[s.test_idx])
    return out


def train_model(cfg: RunConfig, prep: Prepared, built: Built, *, callbacks: Iterable = (), trainer=None,
                on_status: Status | None = None, on_fold=None) -> Outcome:
    from workbench.core.training import Trainer, cross_validate

    tc = resolve_train_config(cfg, built.name)
    trainer = trainer or Trainer(list(callbacks), device=cfg.device)
    if prep.cross_validation:
        n = len(prep.splits.folds)
        _say(on_status, f"Cross-validation: {n} folds, then a final model on all non-test data")
        counter = iter(range(10**9))
        cv = cross_validate(lambda: built.make(cfg.seed + next(counter)), prep.head, prep.fold_data(cfg),
                            prep.splits.folds, tc, test_idx=prep.splits.test_idx, trainer=trainer, on_fold=on_fold)
        return Outcome(fit=cv.final_fit, cv=cv, model=cv.final_model, train_config=tc)
    _say(on_status, f"Training {tc.epochs} epochs, batch {tc.batch_size}, {tc.optimizer} lr {tc.lr:g}")
    fit = trainer.fit(built.model, prep.head, train=prep.train, val=prep.val, config=tc)
    return Outcome(fit=fit, model=built.model, train_config=tc)


def finish_run(cfg: RunConfig, prep: Prepared, built: Built, baseline: dict, outcome: Outcome, *,
               save: bool = True, on_status: Status | None = None, started: float | None = None) -> RunResult:
    from workbench.core.training import RunStore, diagnose, evaluate

    fit, cv = outcome.fit, outcome.cv
    test_metrics = None
    if cv is not None:
        test_metrics = cv.test_metrics
    elif prep.test is not None and fit is not None and fit.history:
        _say(on_status, "Scoring the test set once ...")
        test_metrics = evaluate(outcome.model, prep.head, prep.test)
    history = []
    if cv is not None and cv.folds:
        # per-epoch averages over the folds (as in the book's K-fold curves); each fold's own
        # history stays in record["cross_validation"]["folds"]
        history = mean_history([f["history"] for f in cv.folds])
    elif fit is not None:
        history = fit.history
    diag = diagnose(history, baseline.get("test") if test_metrics else baseline.get("val"), task=prep.task,
                    scores=test_metrics)
    if cv is not None:
        diag.text = (f"Cross-validation: {cv.summary('mae' if 'mae' in cv.mean else 'accuracy')}. "
                     + diag.text + (f" (Curves averaged over the {len(cv.folds)} folds.)" if history else ""))
    ds = prep.dataset
    record: dict[str, Any] = {
        "config": cfg.to_dict(),
        "data": {"spec": cfg.data, "name": ds.name, "kind": ds.kind, "source": ds.source,
                 "n_samples": len(ds), "input_shape": list(ds.input_shape), "class_names": ds.class_names,
                 "target": ds.target_name},
        "preprocessing": prep.preprocessor.to_dict() if prep.preprocessor is not None else None,
        "split": {"plan": prep.plan.to_dict(), "text": prep.plan.to_text(), "sizes": prep.splits.sizes,
                  "class_counts": prep.splits.class_counts, "leaks": len(prep.splits.leaks),
                  "warnings": list(prep.splits.warnings)},
        "task": prep.task,
        "head": prep.head.to_dict(),
        "head_warnings": prep.head_warnings,
        "model": {"name": built.name, "spec": built.spec.to_dict(), "input_shape": list(prep.input_shape),
                  "output_shape": list(prep.output_shape),
                  "parameters": int(sum(p.numel() for p in outcome.model.parameters())) if outcome.model is not None else None},
        "train_config": outcome.train_config.to_dict() if outcome.train_config else None,
        "seed": cfg.seed,
        "device": fit.device if fit else None,
        "history": history,
        "best_epoch": fit.best_epoch if fit and cv is None else (cv.final_epochs if cv else None),
        "stop_reason": (fit.stop_reason if fit else ("stopped" if cv and cv.stopped else None)),
        "message": fit.message if fit else "",
        "diagnosis": diag.to_dict(),
        "baseline": baseline,
        "test_metrics": test_metrics,
        "cross_validation": cv.to_dict() if cv is not None else None,
        "warnings": prep.warnings,
        "time": (time.perf_counter() - started) if started else None,
    }
    run_id = None
    stopped = (fit is not None and fit.stop_reason == "stopped") or (cv is not None and cv.stopped)
    if save and cfg.project and not stopped:
        _say(on_status, f"Saving the run in {cfg.project} ...")
        weights = fit.best_state if (fit is not None and fit.best_state is not None and fit.restored_best) else None
        if weights is None and outcome.model is not None:
            weights = outcome.model.state_dict()
        run_id = RunStore(cfg.project).save(record, weights=weights)
        record["run_id"] = run_id
        _remember_run(cfg.project, run_id)
    return RunResult(run_id=run_id, record=record, prepared=prep, built=built, outcome=outcome,
                     baseline=baseline, diagnosis=diag, test_metrics=test_metrics)


def mean_history(histories: list[list[dict]]) -> list[dict]:
    """Per-epoch means over several histories, for the epochs they all reached."""
    histories = [h for h in histories if h]
    if not histories:
        return []
    n = min(len(h) for h in histories)
    out = []
    for e in range(n):
        row: dict[str, Any] = {"epoch": e + 1}
        for k in histories[0][e]:
            if k == "epoch":
                continue
            vals = [h[e].get(k) for h in histories]
            if all(isinstance(v, (int, float)) and v == v for v in vals):
                row[k] = float(np.mean(vals))
        out.append(row)
    return out


def _remember_run(project_dir: str, run_id: str) -> None:
    from workbench.core.errors import ProjectError
    from workbench.core.project import PROJECT_FILE, Project

    try:
        p = Project.open(project_dir) if (Path(project_dir) / PROJECT_FILE).exists() else Project(Path(project_dir))
        p.add_run(run_id)
        p.save()
    except ProjectError:
        pass  # the run itself is saved; a damaged project file is reported when it is opened


def run_training(cfg: RunConfig, callbacks: Iterable = (), on_status: Status | None = None, *, trainer=None,
                 dataset=None, save: bool = True) -> RunResult:
    """The whole workflow in one call (see the module docstring). User errors raise WorkbenchError
    subclasses before anything is written; the run is saved only at the end, atomically."""
    started = time.perf_counter()
    prep = prepare_data(cfg, dataset, on_status)
    for w in prep.warnings:
        _say(on_status, f"Warning: {w}")
    built = build_model_for(cfg, prep, on_status)
    baseline = compute_baseline(prep)
    outcome = train_model(cfg, prep, built, callbacks=callbacks, trainer=trainer, on_status=on_status)
    return finish_run(cfg, prep, built, baseline, outcome, save=save, on_status=on_status, started=started)
