"""The samples behind a run's evaluation, taken from a data set only when it is the run's data.

A run stores the indices of its misclassified samples, not the samples. Read against another
data set (a regenerated one, another file), those indices would name the wrong images, so
``mistake_samples`` gives nothing unless the data set is the one the run was trained on.
"""
from __future__ import annotations

from typing import Any


def same_data(rec, dataset) -> bool:
    """True when ``dataset`` is the data ``rec`` (a RunRecord or its dict) was trained on: the same
    source, name, kind and number of samples."""
    data = (rec.data if hasattr(rec, "data") else (rec or {}).get("data")) or {}
    if dataset is None or not data:
        return False
    from workbench.core.runs.record import plain

    src = plain(getattr(dataset, "source", None) or {})
    if data.get("source") and src and plain(data["source"]) != src:
        return False
    return (data.get("name") == getattr(dataset, "name", None) and data.get("kind") == getattr(dataset, "kind", None)
            and data.get("n_samples") == len(dataset))


def mistake_samples(rec, dataset, limit: int | None = None) -> list[tuple[Any, dict]]:
    """(sample, mistake) pairs of a run's misclassified samples, most confident first; [] when the
    run has none or ``dataset`` is not its data. ``mistake`` is the stored row: index, true, pred,
    confidence."""
    ev = (rec.evaluation if hasattr(rec, "evaluation") else (rec or {}).get("evaluation")) or {}
    mistakes = ev.get("misclassified") or []
    if not mistakes or not same_data(rec, dataset):
        return []
    return [(dataset.X[m["index"]], m) for m in mistakes[:limit]]
