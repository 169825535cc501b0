"""The work the Train panel runs in its worker thread (no Qt here).

Every step is a core call (preprocessing, build, Trainer.fit, cross_validate, search, metrics,
diagnosis, RunStore); this module only strings them together for one "Start" press and returns
plain, owned data for the GUI.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_MISCLASSIFIED = 32


@dataclass
class TrainRequest:
    """Everything a run needs, captured on the GUI thread when Start is pressed."""

    dataset: Any
    splits: Any
    preprocessing: dict
    spec: Any
    head: Any
    config: dict
    mode: str = "holdout"  # holdout | cv | search
    project_dir: str | None = None
    source: dict = field(default_factory=dict)
    split_plan: dict = field(default_factory=dict)
    name: str = ""
    search_space: dict = field(default_factory=dict)
    search_mode: str = "grid"
    search_iter: int = 6


def _prepare(req: TrainRequest, train_idx, eval_idx):
    from workbench.core.data import Preprocessor

    pre = Preprocessor(**req.preprocessing).fit(req.dataset, train_idx)
    Xtr = pre.transform(req.dataset, train_idx)
    Xev = pre.transform(req.dataset, eval_idx) if eval_idx is not None and len(eval_idx) else None
    return pre, Xtr, Xev


def _targets(ds, idx):
    return np.asarray(ds.y)[np.asarray(idx, dtype=np.int64)]


def _n_classes(ds):
    return len(ds.class_names) if ds.class_names else None


def evaluation_details(ds, head, probs: np.ndarray, y_true: np.ndarray, idx: np.ndarray) -> dict:
    """Confusion matrix, per-class P/R/F1 and the misclassified samples (single-label classes)."""
    task = head.task
    if task not in ("binary", "multiclass") or ds.class_names is None:
        return {}
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    p = np.asarray(probs)
    if task == "binary":
        p1 = p.reshape(len(p), -1)
        pred = (p1[:, -1] >= 0.5).astype(np.int64) if p1.shape[1] == 1 else p1.argmax(1)
    else:
        pred = p.reshape(len(p), -1).argmax(1)
    y = np.asarray(y_true).reshape(-1).astype(np.int64)
    labels = list(range(len(ds.class_names)))
    cm = confusion_matrix(y, pred, labels=labels)
    pr, rc, f1, sup = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    wrong = np.flatnonzero(pred != y)
    conf = p.reshape(len(p), -1).max(1) if p.ndim > 1 and p.reshape(len(p), -1).shape[1] > 1 else np.abs(p.reshape(-1) - 0.5) + 0.5
    order = wrong[np.argsort(-conf[wrong])][:MAX_MISCLASSIFIED]  # most confident mistakes first
    return {
        "class_names": list(ds.class_names),
        "confusion": cm.tolist(),
        "per_class": [{"class": ds.class_names[i], "precision": float(pr[i]), "recall": float(rc[i]),
                       "f1": float(f1[i]), "support": int(sup[i])} for i in labels],
        "misclassified": [{"index": int(idx[j]), "true": ds.class_names[y[j]], "pred": ds.class_names[pred[j]],
                           "confidence": float(conf[j])} for j in order],
        "n_wrong": int(len(wrong)),
    }


def _baseline(task, y_train, y_eval):
    from workbench.core.training import baseline_scores

    try:
        b = baseline_scores(task, y_train, y_eval)
    except Exception:  # a task without a baseline (custom heads)
        return {}
    return {k: v for k, v in b.items() if isinstance(v, (int, float, str)) or v is None}


def _record(req: TrainRequest, pre, cfg, extra: dict) -> dict:
    from workbench.core.training import library_versions

    from datetime import datetime

    rec = {
        # milliseconds: runs made within one second still list in the order they were made
        "created": datetime.now().astimezone().isoformat(timespec="milliseconds"),
        "name": req.name,
        "mode": req.mode,
        "data": {"spec": req.source.get("source") if isinstance(req.source, dict) else str(req.source),
                 "name": req.dataset.name, "source": req.dataset.source, "request": req.source},
        "preprocessing": pre.to_dict() if pre is not None else req.preprocessing,
        "preprocessing_settings": dict(req.preprocessing),
        "split": dict(req.split_plan),
        "model": {"name": req.spec.name or "custom", "spec": req.spec.to_dict()},
        "head": req.head.to_dict(),
        "task": req.head.task,
        "config": cfg.to_dict(),
        "settings": {"optimizer": cfg.optimizer, "lr": cfg.lr, "batch_size": cfg.batch_size,
                     "epochs": cfg.epochs, "early_stopping": cfg.early_stopping, "seed": cfg.seed},
        "versions": library_versions(),
    }
    rec.update(extra)
    return rec


def training_threads() -> int:
    """Intra-op threads for training in the app: all cores but one, which stays free for the GUI
    (with every core busy, OpenMP workers that lose their core stall each batch; on a loaded
    2-core machine that made training 10x slower). ``WORKBENCH_TORCH_THREADS`` overrides."""
    import os

    env = os.environ.get("WORKBENCH_TORCH_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, (os.cpu_count() or 2) - 1)


def run_training(req: TrainRequest, trainer, progress=None, should_cancel=None) -> dict:
    """Hold-out training, cross-validation or a hyperparameter search, then evaluation and the
    run record (stored in the project when there is one). Returns {"record", "weights", ...}."""
    import torch

    torch.set_num_threads(training_threads())
    if req.mode == "cv":
        return _run_cv(req, trainer, progress)
    if req.mode == "search":
        return _run_search(req, trainer, progress)
    return _run_holdout(req, trainer, progress)


def _config(req: TrainRequest):
    from workbench.core.training import TrainConfig

    return TrainConfig.from_dict(dict(req.config))


def _run_holdout(req: TrainRequest, trainer, progress=None) -> dict:
    from workbench.core.models import build_model, summarize_model
    from workbench.core.training import diagnose, evaluate, predict

    ds, sp, head = req.dataset, req.splits, req.head
    fold = sp.folds[0]
    tr, va, te = np.asarray(fold.train_idx), np.asarray(fold.val_idx), np.asarray(sp.test_idx)
    if progress:
        progress(0, 0, "preparing data")
    pre, Xtr, Xva = _prepare(req, tr, va)
    ytr, yva = _targets(ds, tr), _targets(ds, va)
    out_shape = head.output_shape(ds.y, _n_classes(ds))
    model = build_model(req.spec, pre.output_shape, out_shape, head)
    n_params = summarize_model(req.spec, pre.output_shape, out_shape, head).total_params
    cfg = _config(req)
    if progress:
        progress(0, 0, "training")
    t0 = time.perf_counter()
    fit = trainer.fit(model, head, (Xtr, ytr), (Xva, yva) if len(va) else None, cfg)
    elapsed = time.perf_counter() - t0
    baseline = _baseline(head.task, ytr, _targets(ds, te) if len(te) else yva)
    test_metrics, details = None, {}
    if len(te) and fit.history and fit.stop_reason != "stopped":
        # The test set is scored once, after training, never used to choose anything.
        Xte = pre.transform(ds, te)
        yte = _targets(ds, te)
        test_metrics = {k: v for k, v in evaluate(model, head, (Xte, yte)).items()
                        if isinstance(v, (int, float)) or v is None}
        probs = predict(model, head, Xte)
        details = evaluation_details(ds, head, probs, yte, te)
    elif fit.history and len(va):
        probs = predict(model, head, Xva)
        details = evaluation_details(ds, head, probs, yva, va)
        details["on"] = "validation"
    diag = diagnose(fit.history, baseline or None, task=head.task, scores=test_metrics)
    rec = _record(req, pre, cfg, {
        "history": fit.history, "best_epoch": fit.best_epoch, "stop_reason": fit.stop_reason,
        "message": fit.message, "baseline": baseline, "test_metrics": test_metrics,
        "diagnosis": diag.to_dict(), "evaluation": details, "n_params": n_params,
        "time_s": elapsed, "device": fit.device,
    })
    return _finish(req, rec, fit.best_state or _state(model))


def _state(model) -> dict:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def _data_fn(req: TrainRequest):
    ds = req.dataset

    def data(train_idx, eval_idx):
        _, Xtr, Xev = _prepare(req, train_idx, eval_idx)
        ev = (Xev, _targets(ds, eval_idx)) if Xev is not None else (Xtr[:0], _targets(ds, train_idx)[:0])
        return (Xtr, _targets(ds, train_idx)), ev

    return data


def _run_cv(req: TrainRequest, trainer, progress=None) -> dict:
    from workbench.core.models import build_model
    from workbench.core.training import cross_validate, diagnose

    ds, sp, head = req.dataset, req.splits, req.head
    cfg = _config(req)
    pre = _prepare(req, sp.rest_idx, None)[0]
    in_shape = pre.output_shape
    out_shape = head.output_shape(ds.y, _n_classes(ds))

    def make_model():
        return build_model(req.spec, in_shape, out_shape, head)

    def on_fold(i, n, row):
        if progress:
            progress(i + 1, n, "folds")

    cv = cross_validate(make_model, head, _data_fn(req), sp.folds, cfg, test_idx=sp.test_idx,
                        trainer=trainer, on_fold=on_fold)
    baseline = _baseline(head.task, _targets(ds, sp.rest_idx),
                         _targets(ds, sp.test_idx) if len(sp.test_idx) else _targets(ds, sp.rest_idx))
    folds = [{k: v for k, v in f.items()} for f in cv.folds]
    hist = cv.folds[0]["history"] if cv.folds else []
    diag = diagnose(hist, baseline or None, task=head.task, scores=cv.test_metrics)
    details = {}
    if cv.final_model is not None and len(sp.test_idx) and not cv.stopped:
        from workbench.core.training import predict

        Xte = pre.transform(ds, sp.test_idx)  # fitted on the non-test rows, like the final model
        details = evaluation_details(ds, head, predict(cv.final_model, head, Xte), _targets(ds, sp.test_idx),
                                     np.asarray(sp.test_idx))
    rec = _record(req, pre, cfg, {
        "history": hist, "best_epoch": cv.folds[0]["best_epoch"] if cv.folds else 0,
        "stop_reason": "stopped" if cv.stopped else "completed",
        "cross_validation": {"folds": folds, "mean": cv.mean, "std": cv.std, "final_epochs": cv.final_epochs},
        "baseline": baseline, "test_metrics": cv.test_metrics, "diagnosis": diag.to_dict(),
        "evaluation": details,
    })
    weights = _state(cv.final_model) if cv.final_model is not None else None
    return _finish(req, rec, weights)


def _run_search(req: TrainRequest, trainer, progress=None) -> dict:
    from workbench.core.models import build_model
    from workbench.core.training import search

    ds, sp, head = req.dataset, req.splits, req.head
    cfg = _config(req)
    pre = _prepare(req, sp.rest_idx, None)[0]
    in_shape = pre.output_shape
    out_shape = head.output_shape(ds.y, _n_classes(ds))

    def make_model(params):
        return build_model(req.spec, in_shape, out_shape, head)

    def on_trial(i, n, trial):
        if progress:
            progress(i + 1, n, "trials")

    metric = "mae" if head.task.startswith("regression") else "accuracy"
    res = search(make_model, head, _data_fn(req), req.search_space, cfg, folds=sp.folds, mode=req.search_mode,
                 n_iter=req.search_iter, metric=metric, trainer=trainer, on_trial=on_trial)
    rec = _record(req, pre, cfg, {
        "history": [], "best_epoch": 0, "stop_reason": "completed",
        "search": {"trials": [{"params": t["params"], "score": t["score"], "std": t["std"],
                               "best_epochs": t["best_epochs"]} for t in res.trials],
                   "best_params": res.best_params, "best_score": res.best_score, "metric": res.metric,
                   "higher_is_better": res.higher_is_better},
    })
    return _finish(req, rec, None, store=False)


def _finish(req: TrainRequest, rec: dict, weights, store: bool = True) -> dict:
    rec = _clean(rec)
    if req.project_dir and store:
        from workbench.core.training import RunStore

        rec["run_id"] = RunStore(req.project_dir).save(rec, weights)
    return {"record": rec, "weights": weights}


def _clean(o):
    """Plain JSON-able Python values (numpy scalars -> float, NaN kept as float)."""
    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, np.ndarray):
        return _clean(o.tolist())
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, float) and not math.isfinite(o):
        return o
    return o
