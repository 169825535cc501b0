"""Per-epoch metrics and the dumb baseline, computed with scikit-learn from numpy arrays.

``compute_metrics`` takes *activated* outputs (probabilities or values), never raw logits, so the
same function scores a model, a baseline and a saved prediction file.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

CLASSIFICATION_TASKS = ("binary", "multiclass", "multilabel", "sequence_binary")
REGRESSION_TASKS = ("regression", "regression01", "regression_01", "bounded_regression")


@dataclass(frozen=True)
class Metric:
    """One entry of the metric registry: what a number in a history, a fold row, a search trial or
    a chart means. ``tasks`` are the task families it is computed for ("classification",
    "regression", "multilabel", "any")."""

    name: str
    higher_is_better: bool
    label: str
    tasks: tuple[str, ...]
    definition: str


# The one list of metric names and directions. Early stopping, checkpoints, the best-epoch choice,
# cross-validation, search, the diagnosis, the guide and the charts all read it.
METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("loss", False, "loss", ("any",), "data loss + regularisation penalty"),
    Metric("data_loss", False, "data loss", ("any",), "the loss of the head alone, without penalties"),
    Metric("penalty", False, "penalty", ("any",), "L1/L2 regularisation penalty"),
    Metric("accuracy", True, "accuracy", ("classification", "multilabel"),
           "share of right predictions; for multilabel the share of right (sample, label) pairs "
           "(Keras' binary accuracy)"),
    Metric("exact_match", True, "exact match", ("multilabel",),
           "multilabel only: share of samples whose every label is right (subset accuracy)"),
    Metric("precision", True, "precision", ("classification", "multilabel"), "macro average over classes"),
    Metric("recall", True, "recall", ("classification", "multilabel"), "macro average over classes"),
    Metric("f1", True, "F1", ("classification", "multilabel"), "macro average over classes"),
    Metric("auc", True, "ROC AUC", ("classification", "multilabel"), "one-vs-rest macro average"),
    Metric("mae", False, "MAE", ("regression",), "mean absolute error"),
    Metric("rmse", False, "RMSE", ("regression",), "root mean squared error, in the target's units"),
    Metric("r2", True, "R²", ("regression",),
           "coefficient of determination: 1 - squared error / variance of the targets (1 is perfect, 0 is "
           "no better than predicting the mean)"),
    Metric("mse", False, "MSE", ("regression",), "mean squared error"),
    # object detection and segmentation (the detection case study)
    Metric("map50", True, "mAP@0.5", ("detection",),
           "mean over classes of the average precision at IoU 0.5 (COCO's 101-point interpolation, pycocotools)"),
    Metric("map", True, "mAP@[0.5:0.95]", ("detection",),
           "COCO mAP: the average precision averaged over IoU thresholds 0.5, 0.55, ..., 0.95 and over classes"),
    Metric("loss_xy", False, "YOLO loss: x, y", ("detection",), "lambda_coord * squared error of the box centres"),
    Metric("loss_wh", False, "YOLO loss: w, h", ("detection",),
           "lambda_coord * squared error of the square roots of the box sizes (or of the sizes)"),
    Metric("loss_obj", False, "YOLO loss: object confidence", ("detection",),
           "squared error of the responsible boxes' confidence against their IoU"),
    Metric("loss_noobj", False, "YOLO loss: no-object confidence", ("detection",),
           "lambda_noobj * squared confidence of every box not responsible for an object"),
    Metric("loss_class", False, "YOLO loss: class", ("detection",),
           "squared error of the class probabilities in the cells that hold an object"),
    Metric("mean_iou", True, "mean IoU", ("segmentation",), "per-pixel intersection over union, mean over classes"),
    Metric("mean_dice", True, "mean Dice", ("segmentation",), "per-pixel Dice coefficient (F1), mean over classes"),
    Metric("loss_ce", False, "cross-entropy", ("segmentation",), "per-pixel cross-entropy"),
    Metric("loss_dice", False, "Dice loss", ("segmentation",), "1 - soft Dice, mean over classes"),
    # reinforcement learning (the RL case study)
    Metric("return", True, "return", ("reinforcement",),
           "sum of the rewards of an episode, averaged over the evaluation episodes"),
)}
SPLIT_PREFIXES = ("val_", "test_", "train_")


def metric_info(name: str) -> Metric | None:
    """The registry entry of ``name``; prefixes such as "val_" / "test_" are ignored."""
    base = str(name)
    for p in SPLIT_PREFIXES:
        if base.startswith(p):
            base = base[len(p):]
            break
    return METRICS.get(base)


def higher_is_better(name: str) -> bool:
    """Direction of a metric or monitored log key ("val_accuracy" -> True, "val_loss" -> False).
    Unknown names are treated as losses (lower is better)."""
    m = metric_info(name)
    return bool(m and m.higher_is_better)


def is_better(a: float, b: float | None, name: str) -> bool:
    """True when value ``a`` of metric ``name`` is strictly better than ``b`` (or ``b`` is None)."""
    if b is None:
        return True
    return a > b if higher_is_better(name) else a < b


def metrics_for(task: str) -> list[str]:
    """Metric names reported for a task, in display order (the loss first)."""
    family = "regression" if is_regression(task) else (
        task if task in ("multilabel", "detection", "segmentation") else "classification")
    return [m.name for m in METRICS.values()
            if family in m.tasks or "any" in m.tasks and m.name == "loss"]


def is_classification(task: str) -> bool:
    return task in CLASSIFICATION_TASKS


def is_regression(task: str) -> bool:
    return task in REGRESSION_TASKS or str(task).startswith("regression")


def _finite_or_none(v) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None


def compute_metrics(task: str, y_true, y_prob, *, full: bool = True) -> dict[str, Any]:
    """Metrics for one set of predictions.

    task      "binary" | "multiclass" | "multilabel" | "regression*" (others give {}).
    y_true    class indices (binary/multiclass), 0/1 matrix (multilabel), values (regression);
              per-time-step targets (N, T) are flattened with their predictions.
    y_prob    probabilities from head.activate: (N,) or (N, 1) for binary, (N, K) for multiclass
              (or (N, T, K) per time step), (N, K) for multilabel, values for regression.
    full      False computes only accuracy / MAE (cheap enough for every training epoch).

    Returns keys accuracy, precision, recall, f1, auc (classification; macro averages for more than
    two classes, AUC one-vs-rest when every class is present, else None) or mae, and with ``full``
    mse, rmse and r2 (regression, in the target's units).
    """
    y_true = np.asarray(y_true)
    y_prob = np.asarray(y_prob, dtype=np.float64)
    if is_regression(task):
        yt = y_true.astype(np.float64).reshape(len(y_true), -1)
        yp = y_prob.reshape(len(y_prob), -1)
        if yt.shape != yp.shape:
            yp = yp.reshape(yt.shape)
        out = {"mae": _finite_or_none(np.mean(np.abs(yt - yp)))}
        if full and len(yt):
            mse = float(np.mean((yt - yp) ** 2))
            var = float(np.mean((yt - yt.mean(axis=0)) ** 2))
            out.update(mse=_finite_or_none(mse), rmse=_finite_or_none(np.sqrt(mse)),
                       r2=_finite_or_none(1.0 - mse / var) if var > 0 else None)
        return out
    if not is_classification(task):
        return {}
    skm = _sklearn_metrics()

    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        # undefined precision for a class never predicted is a fact of early epochs, not an error
        warnings.simplefilter("ignore")
        if task in ("binary", "sequence_binary"):
            yt = y_true.reshape(-1).astype(np.int64)
            if y_prob.ndim >= 2 and y_prob.shape[-1] == 2 and y_prob.size == 2 * yt.size:
                y_prob = y_prob[..., 1]  # softmax over two outputs: the second is P(class 1)
            p = y_prob.reshape(-1)
            pred = (p >= 0.5).astype(np.int64)
            out["accuracy"] = float(np.mean(pred == yt))
            if not full:
                return out
            tp, fp, fn = _counts(yt, pred, 2)
            pr, rc, f1 = _prf(tp[1:], fp[1:], fn[1:])
            out.update(precision=pr, recall=rc, f1=f1)
            out["auc"] = _finite_or_none(_auc(yt == 1, p)) if len(np.unique(yt)) == 2 else None
            return out
        if task == "multiclass":
            k = y_prob.shape[-1]
            P = y_prob.reshape(-1, k)
            yt = y_true.reshape(-1).astype(np.int64)
            pred = P.argmax(axis=1)
            out["accuracy"] = float(np.mean(pred == yt))
            if not full:
                return out
            pr, rc, f1 = _prf(*_counts(yt, pred, k))
            out.update(precision=pr, recall=rc, f1=f1)
            out["auc"] = None
            present = np.unique(yt)
            if len(present) == k and k > 1 and np.isfinite(P).all():
                # scikit-learn's one-vs-rest macro AUC
                cols = [1] if k == 2 else range(k)
                out["auc"] = _finite_or_none(np.mean([_auc(yt == c, P[:, c]) for c in cols]))
            return out
        # multilabel: accuracy is the per-label hit rate (Keras' binary accuracy), the rest macro
        Y = y_true.reshape(len(y_true), -1).astype(np.int64)
        P = y_prob.reshape(Y.shape)
        pred = (P >= 0.5).astype(np.int64)
        out["accuracy"] = float(np.mean(pred == Y))
        out["exact_match"] = float(np.mean(np.all(pred == Y, axis=1))) if len(Y) else None
        if not full:
            return out
        pr, rc, f1, _ = skm.precision_recall_fscore_support(Y, pred, average="macro", zero_division=0)
        out.update(precision=float(pr), recall=float(rc), f1=float(f1))
        out["auc"] = _safe(lambda: skm.roc_auc_score(Y, P, average="macro"))
        return out


def _counts(yt: np.ndarray, pred: np.ndarray, k: int):
    """Per-class true positives, false positives and false negatives."""
    tp = np.bincount(yt[pred == yt], minlength=k)[:k].astype(np.float64)
    fp = np.bincount(pred, minlength=k)[:k] - tp
    fn = np.bincount(yt, minlength=k)[:k] - tp
    return tp, fp, fn


def _prf(tp, fp, fn) -> tuple[float, float, float]:
    """Macro precision, recall and F1 with 0 where a class is never predicted / never true
    (scikit-learn's ``precision_recall_fscore_support(average="macro", zero_division=0)``; for one
    class, its ``average="binary"``). Counting is all it takes: an epoch's metrics stay cheap."""
    with np.errstate(divide="ignore", invalid="ignore"):
        pr = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        rc = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / (2 * tp + fp + fn), 0.0)
    return float(pr.mean()), float(rc.mean()), float(f1.mean())


def _auc(positive: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve as the Mann-Whitney statistic (ties count half), equal to
    scikit-learn's ``roc_auc_score`` for one class against the rest."""
    from scipy.stats import rankdata

    positive = np.asarray(positive, bool)
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


_SKM = None


def _sklearn_metrics():
    # `from sklearn import metrics` goes through sklearn's lazy module __getattr__ (~7 ms a call)
    global _SKM
    if _SKM is None:
        import sklearn.metrics

        _SKM = sklearn.metrics
    return _SKM


def _safe(fn) -> float | None:
    try:
        return _finite_or_none(fn())
    except ValueError:  # a class missing from this split
        return None


def primary_metric(task: str) -> tuple[str, bool]:
    """(name, higher_is_better) of the number we rank models and folds by."""
    if task == "reinforcement":
        return "return", True
    name = "mae" if is_regression(task) else "accuracy"
    return name, higher_is_better(name)


def baseline_scores(task: str, y_train, y_eval, *, strategy: str | None = None) -> dict[str, Any]:
    """Score the dumb baseline on ``y_eval``, fitted on ``y_train`` only.

    Classification: always predict the training majority class, with the training class
    frequencies as probabilities (so AUC is 0.5). Multilabel: each label's training rate.
    Regression: the training mean ("mean", default) or median ("median").
    Returns the same metric keys as ``compute_metrics`` plus "strategy" and "prediction".
    """
    y_train = np.asarray(y_train)
    y_eval = np.asarray(y_eval)
    n = len(y_eval)
    if is_regression(task):
        strategy = strategy or "mean"
        yt = y_train.astype(np.float64).reshape(len(y_train), -1)
        c = np.median(yt, axis=0) if strategy == "median" else yt.mean(axis=0)
        pred = np.broadcast_to(c, (n, yt.shape[1])).reshape((n,) + y_eval.shape[1:])
        m = compute_metrics(task, y_eval, pred)
        m.update(strategy=strategy, prediction=[float(v) for v in np.ravel(c)])
        return m
    if task == "multilabel":
        rate = y_train.reshape(len(y_train), -1).astype(np.float64).mean(axis=0)
        # predicting each label's majority value; the rates are the probabilities
        P = np.broadcast_to(rate, (n, rate.shape[0]))
        P = np.where(P >= 0.5, np.maximum(P, 0.5), np.minimum(P, 0.4999))
        m = compute_metrics(task, y_eval, P)
        m.update(strategy="majority per label", prediction=[int(r >= 0.5) for r in rate])
        return m
    yt = y_train.reshape(-1).astype(np.int64)
    ye = y_eval.reshape(-1).astype(np.int64)
    k = int(max(yt.max(initial=0), ye.max(initial=0))) + 1
    if task in ("binary", "sequence_binary"):
        k = 2
    counts = np.bincount(yt, minlength=k).astype(np.float64)
    majority = int(counts.argmax())
    freq = counts / max(counts.sum(), 1.0)
    # the majority class gets the top probability, so thresholds and argmax both pick it
    if task in ("binary", "sequence_binary"):
        p1 = freq[1]
        p = np.full(len(ye), p1 if majority == 1 else min(p1, 0.4999))
        if majority == 1:
            p = np.maximum(p, 0.5)
        m = compute_metrics("binary", ye, p)
    else:
        P = np.broadcast_to(freq, (len(ye), k)).copy()
        m = compute_metrics("multiclass", ye, P)
    m.update(strategy="majority class", prediction=majority)
    return m
