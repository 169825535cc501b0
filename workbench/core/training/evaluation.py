"""What a user reads after training: confusion matrix, per-class scores, the misclassified samples
(classification); predicted against actual values and the residuals (regression)."""
from __future__ import annotations

import numpy as np

MAX_MISCLASSIFIED = 32
MAX_SCATTER_POINTS = 2000  # predicted-vs-actual points kept in a run record
RESIDUAL_BINS = 30


def predicted_classes(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(predicted class, confidence of that prediction) from activated single-label outputs:
    one sigmoid unit (P(class 1)) or one probability per class."""
    p = np.asarray(probs).reshape(len(probs), -1)
    if p.shape[1] == 1:
        pred = (p[:, 0] >= 0.5).astype(np.int64)
        return pred, np.where(pred == 1, p[:, 0], 1 - p[:, 0])
    return p.argmax(1), p.max(1)


def evaluation_details(class_names, task: str, probs: np.ndarray, y_true: np.ndarray, idx: np.ndarray,
                       *, limit: int = MAX_MISCLASSIFIED) -> dict:
    """Confusion matrix, per-class precision/recall/F1 and the most confident mistakes (single-label
    classification; {} for other tasks). ``idx`` are the samples' indices in the data set."""
    from workbench.core.training.metrics import is_regression

    if is_regression(task):
        return regression_details(probs, y_true, idx)
    if task not in ("binary", "multiclass") or not class_names:
        return {}
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    pred, conf = predicted_classes(probs)
    y = np.asarray(y_true).reshape(-1).astype(np.int64)
    idx = np.asarray(idx)
    labels = list(range(len(class_names)))
    cm = confusion_matrix(y, pred, labels=labels)
    pr, rc, f1, sup = precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    wrong = np.flatnonzero(pred != y)
    order = wrong[np.argsort(-conf[wrong], kind="stable")][:limit]  # most confident mistakes first
    # every cell's samples, so the confusion matrix can open what lies behind a cell
    cells = {f"{t},{p}": [int(i) for i in idx[(y == t) & (pred == p)]] for t in labels for p in labels
             if cm[t, p]}
    return {
        "class_names": list(class_names),
        "confusion": cm.tolist(),
        "cells": cells,
        "per_class": [{"class": class_names[i], "precision": float(pr[i]), "recall": float(rc[i]),
                       "f1": float(f1[i]), "support": int(sup[i])} for i in labels],
        "misclassified": [{"index": int(idx[j]), "true": class_names[y[j]], "pred": class_names[pred[j]],
                           "confidence": float(conf[j])} for j in order],
        "n_wrong": int(len(wrong)),
    }


def regression_details(pred: np.ndarray, y_true: np.ndarray, idx: np.ndarray,
                       *, limit: int = MAX_SCATTER_POINTS) -> dict:
    """Predicted against actual values (the first target column; at most ``limit`` points, drawn
    evenly), the residual histogram (actual - predicted) and the largest errors, in the target's units."""
    y = np.asarray(y_true, dtype=np.float64).reshape(len(y_true), -1)[:, 0]
    p = np.asarray(pred, dtype=np.float64).reshape(len(pred), -1)[:, 0]
    idx = np.asarray(idx)
    if not len(y):
        return {}
    keep = np.arange(len(y)) if len(y) <= limit else np.linspace(0, len(y) - 1, limit).round().astype(np.int64)
    resid = y - p
    finite = resid[np.isfinite(resid)]
    counts, edges = np.histogram(finite, bins=RESIDUAL_BINS) if len(finite) else (np.zeros(0), np.zeros(0))
    worst = np.argsort(-np.abs(np.nan_to_num(resid, nan=np.inf)), kind="stable")[:10]
    return {
        "regression": True,
        "actual": [float(v) for v in y[keep]],
        "predicted": [float(v) for v in p[keep]],
        "index": [int(i) for i in idx[keep]],
        "residual_hist": {"counts": [int(c) for c in counts], "edges": [float(e) for e in edges]},
        "largest_errors": [{"index": int(idx[j]), "actual": float(y[j]), "predicted": float(p[j])} for j in worst],
    }
