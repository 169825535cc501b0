"""A search over a run: the workflow's data and model, the study, a run per trial, the final model.

``run_search(cfg, space, ...)`` (the GUI's and ``workbench tune``'s) and ``tune(cfg, settings)``:

1. the workflow prepares the data and builds the base model (errors before any trial);
2. ``tuning.search_data`` keeps the non-test rows only and the folds (one for a hold-out split) and
   the study runs on them (``tuning.study.run_study``), each finished trial stored as an ordinary run;
3. the best trial's settings are retrained on all non-test rows for its (mean) best epoch and
   that model is scored on the test rows once: the search's own run (mode "search").

This module sits above ``workflow`` (it uses the workflow's steps); ``tuning`` below it knows
Optuna and Dask but not the workflow.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable

import numpy as np

from workbench.core import workflow as wf
from workbench.core.tuning.search import cv_result, fit_result, run_final, search_data, trial_config
from workbench.core.tuning.study import SearchSettings, StudyResult, TuningError, run_study

Status = Callable[[str], None]


def run_search(cfg: wf.RunConfig, space, *, sampler: str | None = None, n_trials: int | None = None,
               pruner: str | None = None, metric: str | None = None, seed_policy: str = "same",
               study: str | None = None, parallel: int | None = None, cluster=None, retrain: bool = True,
               first: list | None = None,
               dataset=None, on_status: Status | None = None, on_event=None, on_trial=None, should_cancel=None,
               trainer=None, save: bool = True, keep_one_core_free: bool = False) -> wf.RunResult:
    """Hyperparameter search (``workbench.core.tuning``): an Optuna study whose trials are scored
    on validation (hold-out) or on the folds (K-fold plans) only and run on a Dask cluster (a
    local one by default); each trial is a run, the best settings are retrained on all non-test
    data and scored on the test rows once. The search's run (mode "search") is returned.

    ``space`` is text ("lr=log(1e-4,1e-1); dropout=float(0,0.5)"), a SearchSpace or
    {name: [values]}. ``on_trial(i, n, row)`` is called per finished trial; ``trainer`` (the
    app's) makes its Stop button stop the search."""
    settings = SearchSettings(space, n_trials=int(n_trials or 20), sampler=sampler or "tpe",
                              pruner=pruner, metric=metric, seed=cfg.seed, seed_policy=seed_policy, study=study,
                              parallel=parallel, cluster=cluster, first=list(first or []))
    counter = {"done": 0}

    def events(e: dict) -> None:
        if on_trial is not None and e.get("kind") == "trial":
            counter["done"] += 1
            on_trial(counter["done"] - 1, settings.n_trials, e["row"])
        if on_event is not None:
            on_event(e)

    def cancelled() -> bool:
        return bool((should_cancel is not None and should_cancel()) or (trainer is not None and trainer.should_stop))

    try:
        return tune(cfg, settings, dataset=dataset, on_status=on_status, on_event=events, should_cancel=cancelled,
                    save=save, retrain=retrain, keep_one_core_free=keep_one_core_free)
    finally:
        if trainer is not None:
            trainer.reset_stop()  # the app's Stop ended the search; its next training starts clean


def _trial_record(cfg, prep, built, baseline, data, study: str, row: dict, outs: list[dict]):
    """An ordinary RunRecord of one trial: its settings, curves and validation scores; no test."""
    from workbench.core.models import ModelSpec
    from workbench.core.training import TrainConfig, TrainedModel

    cfg_t = trial_config(cfg, data, row["params"])
    ran = [o for o in outs if o.get("history")]
    spec = ModelSpec.from_dict(ran[0]["spec"]) if ran and ran[0].get("spec") else ModelSpec.from_dict(data.spec)
    tc = TrainConfig.from_dict(ran[0]["train_config"]) if ran and ran[0].get("train_config") else \
        TrainConfig.from_dict(data.train)
    built_t = wf.BuiltModel(spec=spec, model=None, summary=None, name=built.name, make=built.make)
    if prep.cross_validation:
        trained = TrainedModel(model=None, head=prep.head, cv=cv_result(ran, prep.splits.folds), train_config=tc)
    else:
        trained = TrainedModel(model=None, head=prep.head, fit=fit_result(ran[0]) if ran else None, train_config=tc)
    no_test = dataclasses.replace(prep, test=None)
    rec, _ = wf.make_record(cfg_t, no_test, built_t, {"val": baseline.get("val")} if baseline.get("val") else {},
                            trained, kind="tuning_trial")
    rec.name = f"{study} trial {row['number']}"
    rec.time = row.get("duration")
    rec.fit_time = float(sum(o.get("fit_time") or 0.0 for o in outs))
    if row["state"] in ("pruned", "failed"):
        rec.stop_reason = row["state"]
        rec.message = row.get("message") or rec.message
    rec.details = {"trial": {"study": study, "number": row["number"], "state": row["state"], "params": row["params"],
                             "value": row.get("value"), "metric": data.metric, "fold_scores": row.get("fold_scores"),
                             "workers": row.get("workers"), "seed": row.get("seed"), "retry_of": row.get("retry_of")}}
    return rec


def _final_record(cfg, prep, built, baseline, data, study_res: StudyResult, final: dict, on_status):
    """The search's run: the retrained best model, scored on the test rows once."""
    from workbench.core.models import Head, ModelSpec, build_model
    from workbench.core.training import FitResult, TrainConfig, TrainedModel

    spec = ModelSpec.from_dict(final["spec"])
    head = Head.from_dict(data.head)
    model = build_model(spec, tuple(final["input_shape"]), tuple(data.output_shape), head)
    model.load_state_dict(final["weights"])
    model.eval()
    pre = final["preprocessor"]
    s, ds = prep.splits, prep.dataset
    test = None
    if len(s.test_idx):
        test = (pre.transform(ds, s.test_idx), np.asarray(ds.y)[s.test_idx])
    fit = FitResult(**{k: v for k, v in final["fit"].items() if k in {f.name for f in dataclasses.fields(FitResult)}})
    trained = TrainedModel(model=model, head=prep.head, fit=fit,
                           train_config=TrainConfig.from_dict(final["train_config"]))
    cfg_b = trial_config(cfg, data, study_res.best["params"])
    prep_b = dataclasses.replace(prep, preprocessor=pre, input_shape=tuple(final["input_shape"]), train=None, val=None,
                                 test=test, cross_validation=False)
    built_b = wf.BuiltModel(spec=spec, model=model, summary=None, name=built.name, make=built.make)
    rec, diag = wf.make_record(cfg_b, prep_b, built_b, baseline, trained, on_status=on_status)
    return rec, diag, trained, built_b


def search_summary(study_res: StudyResult, settings: SearchSettings, final: dict | None) -> dict[str, Any]:
    """RunRecord.search of a search run (also what the CLI prints and the Search tab shows)."""
    best = study_res.best or {}
    trials = [{**t, "score": t.get("value")} for t in study_res.trials]
    return {"study": study_res.study, "storage": study_res.storage, "trials": trials,
            "best_params": best.get("params"), "best_score": best.get("value"), "best_trial": best.get("number"),
            "best_run_id": best.get("run_id"), "metric": study_res.metric,
            "higher_is_better": study_res.higher_is_better, "sampler": settings.sampler,
            "pruner": settings.pruner or "none", "seed_policy": settings.seed_policy, "space": settings.space.to_text(),
            "params": settings.space.names, "n_trials": study_res.n_target, "importances": study_res.importances,
            "executor": study_res.executor, "workers": study_res.workers, "stopped": study_res.stopped,
            "final_epochs": final.get("epochs") if final else None, "time": study_res.time,
            "states": {k: sum(1 for t in trials if t["state"] == k) for k in ("complete", "pruned", "failed")}}


def tune(cfg, settings: SearchSettings, *, dataset=None, on_status: Callable[[str], None] | None = None,
         on_event: Callable[[dict], None] | None = None, should_cancel: Callable[[], bool] | None = None,
         save: bool = True, retrain: bool = True, keep_one_core_free: bool = False, executor=None):
    """Search ``settings.space`` for the run ``cfg`` (see the module docstring). Returns the
    workflow's RunResult of the search run (``record.search`` holds the study's trials)."""
    from workbench.core.runs import RunStore, check_project_writable
    from workbench.core.training.metrics import METRICS, primary_metric
    from workbench.core.tuning.executors import open_executor
    from workbench.core.tuning.study import open_storage, study_lock, study_path, update_study_attrs

    started = time.perf_counter()
    settings.checked()
    project = cfg.project if save else None
    if project:
        check_project_writable(project)
    prep = wf.prepare_data(cfg, dataset, on_status)
    built = wf.build_model_for(cfg, prep, on_status)
    tc = wf.resolve_train_config(cfg, built.name, keep_one_core_free=keep_one_core_free,
                                 n_train=len(prep.splits.train_idx))
    metric = (settings.metric or primary_metric(prep.task)[0]).removeprefix("val_")
    if metric not in METRICS:
        raise TuningError(f"Unknown metric {metric!r}; choose one of {', '.join(METRICS)}.")
    data = search_data(prep, built, tc, settings.space, metric, cfg)
    baseline = wf.compute_baseline(prep)
    store = RunStore(project) if project else None

    def record_trial(row, outs):
        rec = _trial_record(cfg, prep, built, baseline, data, settings.study, row, outs)
        if store is None:
            return None
        return store.save(rec, None, run_id=f"{settings.study}-t{row['number']:03d}")

    own = executor is None
    ex = executor or open_executor(settings.cluster, settings.parallel)
    final = None
    try:
        study_res = run_study(data, settings, project=project, on_event=on_event, should_cancel=should_cancel,
                              record_trial=record_trial, device=cfg.device, executor=ex, on_status=on_status,
                              keep_data=True)
        handle = study_res.data_handle
        if retrain and not study_res.stopped and study_res.best and not (should_cancel and should_cancel()):
            if on_status:
                on_status(f"Retraining trial {study_res.best['number']}'s settings on all non-test data ...")
            final = run_final(ex, handle, data, study_res.best, device=cfg.device, should_cancel=should_cancel,
                               on_event=on_event)
        ex.release(handle)
    finally:
        if own:
            ex.close()
    summary = search_summary(study_res, settings, final)
    if final is not None:
        rec, diag, trained, built_b = _final_record(cfg, prep, built, baseline, data, study_res, final, on_status)
        weights = trained.weights()
    else:
        rec, diag, trained, built_b, weights = _search_only_record(cfg, prep, built, tc, baseline), None, None, \
            built, None
    rec.mode = "search"
    rec.search = summary
    rec.name = cfg.name or f"search {settings.study}"
    rec.time = time.perf_counter() - started
    rec.details = {"tuning": {"study": settings.study, "storage": study_res.storage,
                              "best_trial": summary["best_trial"], "final_epochs": summary["final_epochs"]}}
    if study_res.stopped:
        rec.stop_reason, rec.message = "stopped", (f"The search was stopped after {len(study_res.trials)} trial(s); "
                                                   f"resume it with the study name {settings.study}.")
    elif final is None:
        rec.message = f"Search of {len(study_res.trials)} trial(s) finished; no model was retrained."
    else:
        rec.message = (f"Search of {len(study_res.trials)} trial(s) finished; trial {summary['best_trial']}'s "
                       f"settings were retrained on all non-test data for {summary['final_epochs']} epoch(s).")
    if project and study_res.trials:
        path = study_path(project, settings.study)
        with study_lock(path):
            import optuna

            study = optuna.load_study(study_name=settings.study, storage=open_storage(path))
            old = study.user_attrs.get("workbench", {}).get("search_run_id")
            if old and store.exists(old):
                rec.run_id = old  # a resumed search replaces its earlier run
            rid = wf.save_run(project, rec, weights, on_status)
            update_study_attrs(study, search_run_id=rid)
    return wf.RunResult(record=rec, prepared=prep, built=built_b, trained=trained, diagnosis=diag)


def _search_only_record(cfg, prep, built, tc, baseline):
    """The search's run when no model was retrained (stopped, or every trial failed)."""
    from workbench.core.runs import build_record

    ds = prep.dataset
    return build_record(
        "train", name=cfg.name, mode="search", config=cfg.to_dict(), task=prep.task, head=prep.head.to_dict(),
        data={"spec": cfg.data, "name": ds.name, "kind": ds.kind, "n_samples": len(ds)},
        model={"name": built.name, "spec": built.spec.to_dict(), "input_shape": list(prep.input_shape),
               "output_shape": list(prep.output_shape)},
        train_config=tc, seed=cfg.seed, baseline=baseline, stop_reason="completed",
        warnings=list(prep.warnings))


