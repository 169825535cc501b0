"""The universal workflow of a deep-learning project as seven checked steps.

Each step is checked against the project's actual state (data, split, preprocessing, runs), not
against the user's say-so, and says what to do next and which panel does it.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

STEPS = [
    (1, "Define the problem and assemble a data set", "Data"),
    (2, "Choose a measure of success", "Model"),
    (3, "Decide on an evaluation protocol", "Data"),
    (4, "Prepare the data", "Data"),
    (5, "Develop a model that beats a dumb baseline", "Train"),
    (6, "Scale up: develop a model that overfits", "Model"),
    (7, "Regularize and tune the model", "Train"),
]


@dataclass
class GuideStep:
    number: int
    title: str
    done: bool
    message: str
    panel: str = ""
    answer: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def _history(run: dict) -> list[dict]:
    return run.get("history") or (run.get("fit") or {}).get("history") or []


def _diag(run: dict) -> dict:
    d = run.get("diagnosis") or {}
    return d if isinstance(d, dict) else {}


def _beats_baseline(run: dict) -> bool | None:
    d = _diag(run)
    if "beats_baseline" in d and d["beats_baseline"] is not None:
        return bool(d["beats_baseline"])
    base = run.get("baseline") or {}
    hist = _history(run)
    if not hist or not base:
        return None
    last = hist[-1]
    for key, higher in (("val_accuracy", True), ("val_mae", False), ("val_loss", False)):
        b = base.get(key) if key in base else base.get(key[4:])
        v = min((h.get(key) for h in hist if h.get(key) is not None), default=None) if not higher else \
            max((h.get(key) for h in hist if h.get(key) is not None), default=None)
        if v is not None and b is not None:
            return v > b if higher else v < b
    return None


def _overfit_epoch(run: dict) -> int | None:
    return _diag(run).get("overfit_epoch")


def _min_val_loss(run: dict) -> float | None:
    vals = [h.get("val_loss") for h in _history(run) if isinstance(h.get("val_loss"), (int, float))]
    return min(vals) if vals else None


def _regularized(run: dict) -> bool:
    spec = run.get("spec") or run.get("model_spec") or {}
    for layer in (spec.get("layers") or []) if isinstance(spec, dict) else []:
        if (layer.get("type") or "").lower() == "dropout" or float(layer.get("l1") or 0) or float(layer.get("l2") or 0):
            return True
    return False


def check_steps(state: dict[str, Any]) -> list[GuideStep]:
    """``state`` keys: dataset_summary (dict|None), task, split (dict|str), has_time_column, n_samples,
    preprocessing (dict), runs (list of run dicts), answers ({step number: text}), metric."""
    answers = {int(k): v for k, v in (state.get("answers") or {}).items()}
    summary = state.get("dataset_summary") or {}
    runs = state.get("runs") or []
    split = state.get("split") or ""
    split_kind = split.get("kind") if isinstance(split, dict) else str(split).split(":")[0]
    n = int(state.get("n_samples") or summary.get("n_samples") or 0)
    warnings = [w for w in (summary.get("warnings") or [])]
    out = []

    # 1. problem and data
    if not n:
        out.append(GuideStep(1, STEPS[0][1], False, "No data loaded yet: load a built-in set, a folder or a CSV.", "Data"))
    else:
        msg = f"{n} samples loaded ({state.get('task') or 'task not chosen yet'})."
        small = [w for w in warnings if "little data" in w.lower() or "too few" in w.lower()]
        if small:
            msg += " " + small[0]
        out.append(GuideStep(1, STEPS[0][1], True, msg, "Data", answers.get(1, "")))

    # 2. measure of success
    metric = state.get("metric") or answers.get(2)
    imbalanced = [w for w in warnings if "imbalanc" in w.lower()]
    if metric:
        msg = f"You measure success with {metric}."
        if imbalanced and str(metric).lower() == "accuracy":
            msg += " Your classes are imbalanced: accuracy can look good for a model that always answers the majority class; prefer ROC AUC or F1."
        out.append(GuideStep(2, STEPS[1][1], True, msg, "Model", str(metric)))
    else:
        hint = "ROC AUC or F1 (classes are imbalanced)" if imbalanced else "accuracy for balanced classes, MAE for regression"
        out.append(GuideStep(2, STEPS[1][1], False, f"Choose the metric you will judge models by: {hint}.", "Model"))

    # 3. evaluation protocol
    if not split_kind:
        out.append(GuideStep(3, STEPS[2][1], False, "No split yet: make a hold-out, K-fold or time-ordered split.", "Data"))
    else:
        ok, msg = True, f"Protocol: {split if isinstance(split, str) else split_kind}."
        if state.get("has_time_column") and split_kind != "time":
            ok, msg = False, "Your data has a time column but the split shuffles it: use a time-ordered split so validation is the future."
        elif n and n < 1000 and split_kind == "holdout":
            ok, msg = False, f"Only {n} samples: a single hold-out score will be noisy; use K-fold or iterated K-fold."
        leaks = state.get("leaks") or 0
        if leaks:
            ok, msg = False, f"{leaks} duplicate samples appear in more than one split: drop them so the test set is honest."
        out.append(GuideStep(3, STEPS[2][1], ok, msg, "Data", answers.get(3, "")))

    # 4. prepare the data
    pre = state.get("preprocessing") or {}
    ranges = [w for w in warnings if "range" in w.lower()]
    missing = [w for w in warnings if "missing" in w.lower()]
    if not n:
        out.append(GuideStep(4, STEPS[3][1], False, "Load data first.", "Data"))
    elif ranges and (pre.get("scale") in (None, "none")):
        out.append(GuideStep(4, STEPS[3][1], False, ranges[0] + " Choose scaling to [0, 1] or standardization.", "Data"))
    elif missing and pre.get("missing") in (None, ""):
        out.append(GuideStep(4, STEPS[3][1], False, missing[0], "Data"))
    else:
        out.append(GuideStep(4, STEPS[3][1], True,
                             f"Inputs vectorized; scaling: {pre.get('scale', 'none')}; missing values: {pre.get('missing', 'zero')}.",
                             "Data"))

    # 5. beat the baseline
    beats = [r for r in runs if _beats_baseline(r)]
    if not runs:
        out.append(GuideStep(5, STEPS[4][1], False, "No run yet: train a first small model; Workbench scores a dumb baseline beside it.", "Train"))
    elif beats:
        out.append(GuideStep(5, STEPS[4][1], True, f"{len(beats)} of {len(runs)} runs beat the dumb baseline.", "Train"))
    else:
        out.append(GuideStep(5, STEPS[4][1], False,
                             "Your model does not beat the baseline yet: check the data, the labels and the last-layer activation/loss.",
                             "Train"))

    # 6. overfit
    overfit = [r for r in runs if _overfit_epoch(r)]
    if overfit:
        e = _overfit_epoch(overfit[-1])
        out.append(GuideStep(6, STEPS[5][1], True, f"A run has overfit (from epoch {e}): you know how big is big enough.", "Train"))
    else:
        out.append(GuideStep(6, STEPS[5][1], False,
                             "No run has overfit yet: make it bigger or train longer (or use 'Scale up until it overfits').",
                             "Model"))

    # 7. regularize and tune
    if overfit:
        ref = _min_val_loss(overfit[-1])
        better = [r for r in runs if _regularized(r) and ref is not None and (_min_val_loss(r) or 1e9) < ref]
        if better:
            out.append(GuideStep(7, STEPS[6][1], True,
                                 f"A regularized run reached a lower validation loss ({_min_val_loss(better[-1]):.4f} vs {ref:.4f}). "
                                 "Retrain on train+validation and score the test set once.", "Train"))
        else:
            out.append(GuideStep(7, STEPS[6][1], False,
                                 "Now fight the overfitting: add dropout, L2, or make the network smaller, and compare validation curves.",
                                 "Model"))
    else:
        out.append(GuideStep(7, STEPS[6][1], False, "First get a model that overfits (step 6).", "Model"))
    return out


def state_from_context(ctx) -> dict[str, Any]:
    """Guide state from the GUI's AppContext (duck-typed: no Qt needed here)."""
    ds = getattr(ctx, "dataset", None)
    summary = {}
    if ds is not None:
        try:
            from workbench.core.data import summarize

            summary = summarize(ds).to_dict()
        except Exception:
            summary = {}
    splits = getattr(ctx, "splits", None)
    head = getattr(ctx, "head", None)
    extra = getattr(ctx, "extra", {}) or {}
    return {"dataset_summary": summary, "n_samples": len(ds) if ds is not None else 0,
            "task": getattr(head, "task", None), "split": getattr(ctx, "split_plan", "") if ds is not None else "",
            "has_time_column": bool(ds is not None and getattr(ds, "time", None) is not None),
            "leaks": len(getattr(splits, "leaks", []) or []) if splits is not None else 0,
            "preprocessing": getattr(ctx, "preprocessing", {}), "runs": list(getattr(ctx, "runs", []) or []),
            "answers": extra.get("guide_answers", {}), "metric": extra.get("guide_metric")}


def state_from_project(project_dir) -> dict[str, Any]:
    """Guide state from a project folder (for the CLI): its settings and stored runs."""
    from workbench.core.training import RunStore

    runs = RunStore(project_dir).list()
    full = []
    store = RunStore(project_dir)
    for r in runs:
        rid = r.get("run_id") or r.get("id")
        try:
            full.append(store.load(rid))
        except Exception:
            continue
    last = full[-1] if full else {}
    return {"dataset_summary": last.get("data_summary") or {}, "n_samples": (last.get("data_summary") or {}).get("n_samples", 0),
            "task": (last.get("head") or {}).get("task"), "split": last.get("split") or "",
            "preprocessing": last.get("preprocessing") or {}, "runs": full, "answers": {}, "metric": None}
