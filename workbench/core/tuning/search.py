"""A search over a run: the workflow's data and model, the study, a run per trial, the final model.

``tune(cfg, settings)`` is what ``workflow.run_search`` (and so the GUI and the CLI) calls:

1. the workflow prepares the data and builds the base model (errors before any trial);
2. ``search_data`` keeps the non-test rows only and the folds (one for a hold-out split) and the
   study runs on them (``study.run_study``), each finished trial stored as an ordinary run;
3. the best trial's settings are retrained on all non-test rows for its (mean) best epoch and
   that model is scored on the test rows once: the search's own run (mode "search").
"""
from __future__ import annotations

import dataclasses
import time
import uuid
from typing import Any, Callable

import numpy as np

from workbench.core.errors import DataError
from workbench.core.tuning.study import SearchSettings, StudyResult, TuningError, run_study


def search_data(prep, built, train_config, space, metric: str, cfg=None):
    """The SearchData of a prepared run: its non-test rows, folds in their numbering, the base
    spec / training config / preprocessing, the head and the scored metric."""
    from workbench.core.tuning.trial import SearchData

    s = prep.splits
    if not prep.cross_validation and not len(s.val_idx):
        raise DataError("A search needs validation data: use a split with a validation share or K folds.")
    rest = np.asarray(s.rest_idx)
    pos = {int(i): k for k, i in enumerate(rest)}

    def local(idx):
        return np.asarray([pos[int(i)] for i in idx], dtype=np.int64)

    folds = [(local(f.train_idx), local(f.val_idx)) for f in s.folds]
    pre = prep.preprocessor
    prep_kw = {"scale": getattr(pre, "scale", "none"), "missing": getattr(pre, "missing", "zero"),
               "vocab_size": getattr(pre, "vocab_size", 10000)}
    train = {k: v for k, v in train_config.to_dict().items() if k not in ("checkpoint_path",)}
    space.targets(built.spec, int(prep.output_shape[-1]) if prep.output_shape else 1)  # SpaceError up front
    extra = {} if cfg is None else {"data": {"data": cfg.data, "split": prep.plan.to_text(), "task": prep.task},
                                    "config": cfg.to_dict()}
    return SearchData(token=uuid.uuid4().hex[:16], dataset=prep.dataset.subset(rest), folds=folds, space=space,
                      spec=built.spec.to_dict(), train=train, prep=prep_kw, head=prep.head.to_dict(),
                      output_shape=tuple(prep.output_shape), metric=metric, extra=extra)


def trial_config(cfg, data, params: dict):
    """The RunConfig that repeats one trial on its own (``workbench train`` with its settings)."""
    from workbench.core.models import ModelSpec

    spec, train, prep = data.space.apply(params, ModelSpec.from_dict(data.spec), data.train, data.prep,
                                         data.output_units)
    user_train = {k: v for k, v in train.items() if k in set(cfg.train or {}) | set(params) | {"seed"}}
    return dataclasses.replace(cfg, model=spec.to_dict(), train=user_train, scale=prep["scale"],
                               missing=prep["missing"], vocab_size=int(prep["vocab_size"]))


def _fit_of(o: dict):
    from workbench.core.training import FitResult

    return FitResult(history=o.get("history") or [], best_epoch=int(o.get("best_epoch") or 0),
                     stop_reason=o.get("stop_reason") or "completed", message=o.get("message") or "",
                     device=o.get("device") or "cpu", time=float(o.get("fit_time") or 0.0))


def _cv_of(outs: list[dict], folds):
    from workbench.core.training import CVResult
    from workbench.core.training.crossval import _stats

    res = CVResult()
    for o in outs:
        f = folds[o["fold"]] if o.get("fold") is not None and o["fold"] < len(folds) else None
        res.folds.append({"index": o.get("fold"), "repeat": int(getattr(f, "repeat", 0)),
                          "fold": int(getattr(f, "fold", 0)),
                          "n_train": o.get("n_train"), "n_val": o.get("n_val"), "best_epoch": o.get("best_epoch"),
                          "epochs_run": o.get("epochs_run"), "stop_reason": o.get("stop_reason"),
                          "scores": o.get("scores") or {}, "history": o.get("history") or []})
    keys = sorted({k for r in res.folds for k in r["scores"]})
    for k in keys:
        res.mean[k], res.std[k] = _stats([r["scores"].get(k) for r in res.folds])
    return res


def _trial_record(cfg, prep, built, baseline, data, study: str, row: dict, outs: list[dict]):
    """An ordinary RunRecord of one trial: its settings, curves and validation scores; no test."""
    from workbench.core import workflow as wf
    from workbench.core.models import ModelSpec
    from workbench.core.training import TrainConfig, TrainedModel

    cfg_t = trial_config(cfg, data, row["params"])
    ran = [o for o in outs if o.get("history")]
    spec = ModelSpec.from_dict(ran[0]["spec"]) if ran and ran[0].get("spec") else ModelSpec.from_dict(data.spec)
    tc = TrainConfig.from_dict(ran[0]["train_config"]) if ran and ran[0].get("train_config") else \
        TrainConfig.from_dict(data.train)
    built_t = wf.BuiltModel(spec=spec, model=None, summary=None, name=built.name, make=built.make)
    if prep.cross_validation:
        trained = TrainedModel(model=None, head=prep.head, cv=_cv_of(ran, prep.splits.folds), train_config=tc)
    else:
        trained = TrainedModel(model=None, head=prep.head, fit=_fit_of(ran[0]) if ran else None, train_config=tc)
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


def _final_epochs(best: dict, data) -> int:
    eps = [int(e) for e in best.get("best_epochs") or [] if e]
    return max(1, int(round(float(np.mean(eps))))) if eps else int(data.train.get("epochs", 1))


def _run_final(ex, handle, data, best: dict, *, device: str, should_cancel, on_event) -> dict | None:
    """The best trial's settings trained on all non-test rows (on the cluster, like the trials)."""
    from workbench.core.tuning.channel import DaskChannel, DaskHub, InlineChannel
    from workbench.core.tuning.trial import final_fit

    task = {"params": best["params"], "epochs": _final_epochs(best, data), "seed": best.get("seed") or 0,
            "threads": ex.threads, "device": device}
    if ex.kind == "inline":
        def handle_msg(m):
            if m.get("kind") == "report" and on_event:
                on_event({"kind": "final_epoch", "epoch": m.get("step"), "logs": m.get("logs", {})})

        fut = ex.submit(final_fit, handle, task, InlineChannel(handle_msg, should_cancel or (lambda: False), False))
    else:
        token = data.token + "-final"
        hub = DaskHub(ex.client, token)
        fut = ex.submit(final_fit, handle, task, DaskChannel(token, False), key=f"workbench-final-{token}")
        while not fut.done():
            for m in hub.poll(0.1):
                if m.get("kind") == "report" and on_event:
                    on_event({"kind": "final_epoch", "epoch": m.get("step"), "logs": m.get("logs", {})})
            if should_cancel is not None and should_cancel():
                hub.set_stop()
        hub.close()
    out = fut.result()
    if out["fit"]["stop_reason"] in ("stopped", "interrupted"):
        return None
    out["epochs"] = task["epochs"]
    return out


def _final_record(cfg, prep, built, baseline, data, study_res: StudyResult, final: dict, on_status):
    """The search's run: the retrained best model, scored on the test rows once."""
    from workbench.core import workflow as wf
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
            "higher_is_better": study_res.higher_is_better, "mode": settings.sampler, "sampler": settings.sampler,
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
    from workbench.core import workflow as wf
    from workbench.core.runs import RunStore, check_project_writable
    from workbench.core.training.metrics import METRICS, primary_metric
    from workbench.core.tuning.executors import open_executor
    from workbench.core.tuning.study import StudyLock, open_storage, study_path, update_study_attrs

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
            final = _run_final(ex, handle, data, study_res.best, device=cfg.device, should_cancel=should_cancel,
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
        with StudyLock(path):
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


def arrays_study(X, y, folds, *, task: str, spec, train: dict, settings: SearchSettings, class_names=None,
                 on_event=None, should_cancel=None, device: str = "cpu") -> StudyResult:
    """A study over arrays that already are model inputs (a lesson's synthetic data): ``folds``
    pairs of row indices, no test rows (a lesson scores its own untouched set afterwards)."""
    from workbench.core.data import Dataset
    from workbench.core.experiments.common import output_shape_for
    from workbench.core.models import default_head
    from workbench.core.training.metrics import primary_metric
    from workbench.core.tuning.space import as_space
    from workbench.core.tuning.trial import SearchData

    settings.space = as_space(settings.space)
    y = np.asarray(y)
    names = class_names or ([str(c) for c in range(int(y.max()) + 1)] if task in ("binary", "multiclass") else None)
    ds = Dataset(name="arrays", kind="table", X=np.asarray(X, dtype=np.float64), y=y, class_names=names)
    head = default_head(task)
    out_shape = tuple(output_shape_for(task, y))
    settings.space.targets(spec, int(out_shape[-1]))
    data = SearchData(token=uuid.uuid4().hex[:16], dataset=ds, folds=[(np.asarray(a), np.asarray(b)) for a, b in folds],
                      space=settings.space, spec=spec.to_dict(), train=dict(train),
                      prep={"scale": "none", "missing": "zero", "vocab_size": 10000}, head=head.to_dict(),
                      output_shape=out_shape, metric=settings.metric or primary_metric(task)[0])
    return run_study(data, settings, on_event=on_event, should_cancel=should_cancel, device=device)


def fold_model(outcome: dict, input_shape, output_shape, head):
    """The TrainedModel of one fold run with ``keep_weights`` (its spec and weights)."""
    from workbench.core.models import ModelSpec, build_model
    from workbench.core.training import TrainedModel

    model = build_model(ModelSpec.from_dict(outcome["spec"]), tuple(input_shape), tuple(output_shape), head)
    model.load_state_dict(outcome["weights"])
    model.eval()
    return TrainedModel(model=model, head=head, fit=_fit_of(outcome))
