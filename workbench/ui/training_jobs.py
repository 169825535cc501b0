"""The work the Train panel runs in its worker thread (no Qt here).

Every step is a ``workbench.core.workflow`` step (the same the CLI runs): prepare_data ->
build_model_for -> compute_baseline -> train_model -> finish_run. This module only adds what the
GUI shows beyond the CLI (confusion matrix, per-class scores, misclassified samples), the
hyperparameter search, and stores the run (also a stopped one: its curves are worth keeping).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_MISCLASSIFIED = 32


@dataclass
class TrainRequest:
    """Everything a run needs, captured on the GUI thread when Start is pressed."""

    dataset: Any
    source: dict            # the Data panel's load request: {"source", "target", "text_column", ...}
    split_plan: dict        # SplitPlan.to_dict()
    preprocessing: dict     # Preprocessor kwargs
    spec: Any               # ModelSpec
    head: Any               # Head
    train: dict             # TrainConfig fields
    mode: str = "train"     # train (hold-out or CV, from the split) | search
    project_dir: str | None = None
    name: str = ""
    search_space: dict = field(default_factory=dict)
    search_mode: str = "grid"
    search_iter: int = 6

    def run_config(self):
        from workbench.core.workflow import RunConfig

        src = self.source or {}
        size = src.get("image_size") or (64, 64)
        head = {"activation": self.head.activation, "loss": self.head.loss_name}
        return RunConfig(
            data=str(src.get("source") or ""), target=src.get("target"), time_column=src.get("time_column"),
            text_column=src.get("text_column"), image_size=tuple(size), split=dict(self.split_plan),
            drop_duplicates=bool(self.split_plan.get("drop_duplicates", False)),
            scale=self.preprocessing.get("scale", "none"), missing=self.preprocessing.get("missing", "zero"),
            vocab_size=int(self.preprocessing.get("vocab_size", 10000)), task=self.head.task,
            model=self.spec.to_dict(), head=head, train=dict(self.train),
            seed=int(self.train.get("seed", 0) or 0), project=self.project_dir)


def training_threads() -> int:
    """Intra-op threads for training in the app: all cores but one, which stays free for the GUI
    (with every core busy, OpenMP workers that lose their core stall each batch; on a loaded
    2-core machine that made training 10x slower). ``WORKBENCH_TORCH_THREADS`` overrides."""
    env = os.environ.get("WORKBENCH_TORCH_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return max(1, (os.cpu_count() or 2) - 1)


def evaluation_details(ds, head, probs: np.ndarray, y_true: np.ndarray, idx: np.ndarray) -> dict:
    """Confusion matrix, per-class P/R/F1 and the misclassified samples (single-label classes)."""
    task = head.task
    if task not in ("binary", "multiclass") or ds.class_names is None:
        return {}
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    p = np.asarray(probs).reshape(len(probs), -1)
    if p.shape[1] == 1:
        pred = (p[:, 0] >= 0.5).astype(np.int64)
        conf = np.where(pred == 1, p[:, 0], 1 - p[:, 0])
    else:
        pred = p.argmax(1)
        conf = p.max(1)
    y = np.asarray(y_true).reshape(-1).astype(np.int64)
    labels = list(range(len(ds.class_names)))
    cm = confusion_matrix(y, pred, labels=labels)
    pr, rc, f1, sup = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    wrong = np.flatnonzero(pred != y)
    order = wrong[np.argsort(-conf[wrong], kind="stable")][:MAX_MISCLASSIFIED]  # most confident mistakes first
    return {
        "class_names": list(ds.class_names),
        "confusion": cm.tolist(),
        "per_class": [{"class": ds.class_names[i], "precision": float(pr[i]), "recall": float(rc[i]),
                       "f1": float(f1[i]), "support": int(sup[i])} for i in labels],
        "misclassified": [{"index": int(idx[j]), "true": ds.class_names[y[j]], "pred": ds.class_names[pred[j]],
                           "confidence": float(conf[j])} for j in order],
        "n_wrong": int(len(wrong)),
    }


def run_training(req: TrainRequest, trainer, progress=None, should_cancel=None) -> dict:
    """One Start press: training (hold-out or K-fold, as the split says) or a search.
    Returns {"record": run record (plain JSON-able), "weights": state dict or None}."""
    import torch

    from workbench.core import workflow as wf

    torch.set_num_threads(training_threads())
    cfg = req.run_config()
    say = (lambda msg: progress(0, 0, msg)) if progress else None
    prep = wf.prepare_data(cfg, req.dataset, on_status=say)
    built = wf.build_model_for(cfg, prep, on_status=say)
    if req.mode == "search":
        return _search(req, cfg, prep, built, trainer, progress)

    def on_fold(i, n, row):
        if progress:
            progress(i + 1, n, "folds")

    baseline = wf.compute_baseline(prep)
    outcome = wf.train_model(cfg, prep, built, trainer=trainer, on_status=say, on_fold=on_fold)
    result = wf.finish_run(cfg, prep, built, baseline, outcome, save=False, on_status=say)
    rec = dict(result.record)
    rec.update(name=req.name, mode="cv" if prep.cross_validation else "holdout",
               evaluation=_evaluation(prep, outcome, result.test_metrics is not None))
    fit = outcome.fit
    rec["fit_time"] = float(fit.time) if fit is not None else None
    weights = None
    if fit is not None and fit.best_state is not None and fit.restored_best:
        weights = fit.best_state
    elif outcome.model is not None:
        weights = {k: v.detach().cpu().clone() for k, v in outcome.model.state_dict().items()}
    return _finish(req, rec, weights)


def _evaluation(prep, outcome, on_test: bool) -> dict:
    """Confusion matrix etc. on the test set when it was scored, else on the validation set."""
    from workbench.core.training import predict

    model = outcome.model
    if model is None or (outcome.fit is not None and not outcome.fit.history):
        return {}
    s, ds = prep.splits, prep.dataset
    if on_test and len(s.test_idx):
        idx = np.asarray(s.test_idx)
        X = prep.test[0] if prep.test is not None else prep.preprocessor.transform(ds, idx)
        where = "test"
    elif prep.val is not None and len(s.val_idx):
        idx, X, where = np.asarray(s.val_idx), prep.val[0], "validation"
    else:
        return {}
    d = evaluation_details(ds, prep.head, predict(model, prep.head, X), np.asarray(ds.y)[idx], idx)
    if d:
        d["on"] = where
    return d


def _search(req, cfg, prep, built, trainer, progress) -> dict:
    from workbench.core.training import search
    from workbench.core.workflow import resolve_train_config

    tc = resolve_train_config(cfg, built.name)
    if prep.cross_validation:
        folds, data = prep.splits.folds, prep.fold_data(cfg)
    else:  # hold-out: one "fold" of the prepared arrays; the test rows are never touched
        X = np.concatenate([prep.train[0], prep.val[0]]) if prep.val is not None else prep.train[0]
        y = np.concatenate([prep.train[1], prep.val[1]]) if prep.val is not None else prep.train[1]
        n_tr = len(prep.train[0])
        folds = [(np.arange(n_tr), np.arange(n_tr, len(X)))]
        data = (X, y)

    def on_trial(i, n, trial):
        if progress:
            progress(i + 1, n, "trials")

    metric = "mae" if prep.task.startswith("regression") else "accuracy"
    counter = iter(range(10**9))
    res = search(lambda params: built.make(cfg.seed + next(counter)), prep.head, data, req.search_space, tc,
                 folds=folds, mode=req.search_mode, n_iter=req.search_iter, metric=metric, trainer=trainer,
                 on_trial=on_trial)
    rec = {
        "name": req.name, "mode": "search", "task": prep.task, "history": [], "best_epoch": None,
        "stop_reason": "completed", "model": {"name": built.name, "spec": built.spec.to_dict()},
        "train_config": tc.to_dict(), "data": {"spec": cfg.data, "name": prep.dataset.name},
        "search": {"trials": [{"params": t["params"], "score": t["score"], "std": t["std"],
                               "best_epochs": t["best_epochs"]} for t in res.trials],
                   "best_params": res.best_params, "best_score": res.best_score, "metric": res.metric,
                   "higher_is_better": res.higher_is_better},
    }
    return _finish(req, rec, None, store=False)


def _finish(req: TrainRequest, rec: dict, weights, store: bool = True) -> dict:
    from datetime import datetime

    # milliseconds: runs made within one second still list in the order they were made
    rec.setdefault("created", datetime.now().astimezone().isoformat(timespec="milliseconds"))
    rec = _clean(rec)
    if req.project_dir and store and rec.get("history"):
        from workbench.core.training import RunStore

        rec["run_id"] = RunStore(req.project_dir).save(rec, weights)
        if weights is not None:
            rec["weights"] = "weights.pt"
    return {"record": rec, "weights": weights}


def _clean(o):
    """Plain JSON-able Python values (numpy scalars and arrays become floats / lists)."""
    if isinstance(o, dict):
        return {str(k): _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    if isinstance(o, np.ndarray):
        return _clean(o.tolist())
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.bool_):
        return bool(o)
    if isinstance(o, float) and not math.isfinite(o):
        return None
    return o
