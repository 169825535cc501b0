"""``summarize``: the one row that run lists, comparisons and the Train panel's history show;
``as_records`` for readers that hold run dicts; ``ranked_trials`` for a search's table."""
from __future__ import annotations

from typing import Any

SUMMARY_COLUMNS = ("run_id", "name", "kind", "study", "data", "model", "task", "mode", "optimizer", "lr", "batch_size",
                   "reg", "params", "epochs", "best_epoch", "metric", "val_loss", "val", "test", "baseline",
                   "overfit_epoch", "stop_reason", "created")


def regularization(spec: dict | None) -> dict[str, float]:
    """Largest L1, L2 and dropout rate over a spec's layers (what the run history compares)."""
    layers = (spec or {}).get("layers") or []
    l1 = max([float(l.get("l1") or 0) for l in layers] or [0.0])
    l2 = max([float(l.get("l2") or 0) for l in layers] or [0.0])
    drop = max([float((l.get("params") or {}).get("rate") or 0) for l in layers
                if str(l.get("type", "")).lower() == "dropout"] or [0.0])
    return {"l1": l1, "l2": l2, "dropout": drop}


def summarize(rec) -> dict[str, Any]:
    """The row of one RunRecord: validation score at the kept epoch (or the CV mean), the test
    score, and the baseline on the same part (test when the run was tested, else validation)."""
    metric = rec.metric
    best = rec.best_logs
    val = best.get(f"val_{metric}")
    cv = rec.cross_validation or {}
    if val is None and cv.get("mean"):
        val = cv["mean"].get(metric)
    if val is None and rec.search:
        val = rec.search.get("best_score")
    test = (rec.test_metrics or {}).get(metric)
    base = rec.baseline_for("test" if rec.test_metrics else "val").get(metric)
    tc = rec.train_config or {}
    model = rec.model or {}
    reg = regularization(model.get("spec"))
    data = rec.data or {}
    return {
        "run_id": rec.run_id,
        "name": rec.label,
        "kind": rec.kind,
        "study": rec.study,
        "created": rec.created,
        "data": data.get("spec") or data.get("name"),
        "model": model.get("name"),
        "task": rec.task,
        "mode": rec.mode,
        "optimizer": tc.get("optimizer"),
        "lr": tc.get("lr"),
        "batch_size": tc.get("batch_size"),
        "reg": f"{reg['l1']:g}/{reg['l2']:g}/{reg['dropout']:g}",
        "params": model.get("parameters"),
        "epochs": len(rec.history),
        "best_epoch": rec.best_epoch or None,
        "metric": metric,
        "val_loss": best.get("val_loss"),
        "val": val,
        "test": test,
        "baseline": base,
        "overfit_epoch": (rec.diagnosis or {}).get("overfit_epoch"),
        "stop_reason": rec.stop_reason,
    }


GENERIC_KINDS = ("train", "tuning_trial", "generic")


def run_kind(run) -> str:
    """What made a run: "generic" (the Data -> Model -> Train workflow and its searches) or the
    case study or tool that did ("detection", "daynight", "autoencoder", ...), from the record's
    ``study`` and ``kind``."""
    get = run.get if isinstance(run, dict) else (lambda k, d=None: getattr(run, k, d))
    study, kind = get("study", None), get("kind", None)
    if study:
        return str(study)
    if kind and kind not in GENERIC_KINDS:
        return str(kind)
    return "generic"


def generic_runs(runs) -> list:
    """(index in ``runs``, RunRecord) of the generic workflow's runs that can be read, oldest first:
    what the Train panel lists (a case study's runs stay in its own panel)."""
    out = []
    for i, r in enumerate(runs or []):
        if run_kind(r) == "generic":
            out += [(i, rec) for rec in as_records([r])]
    return out


def as_records(runs) -> list:
    """RunRecords of ``runs`` (RunRecords or their dicts, as the app's state holds them); a damaged
    one is left out (``workbench runs list`` names it)."""
    from workbench.core.errors import ProjectError
    from workbench.core.runs.record import RunRecord

    out = []
    for r in runs or []:
        if isinstance(r, RunRecord):
            out.append(r)
            continue
        try:
            out.append(RunRecord.from_dict(r))
        except ProjectError:
            continue
    return out


def ranked_trials(search: dict | None) -> list[dict]:
    """A search's trials best first (by the search's metric and its direction; unscored last)."""
    s = search or {}
    sign = -1.0 if s.get("higher_is_better") else 1.0
    trials = list(s.get("trials") or [])
    return sorted(trials, key=lambda t: (t.get("score") is None, sign * (t.get("score") or 0.0)))
