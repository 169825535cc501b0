"""The universal workflow of a deep-learning project as seven checked steps.

Each step is checked against the project's actual state (data, split, preprocessing, runs), not
against the user's say-so, and says what to do next and which panel does it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.core.runs.summary import as_records

STEPS = [
    (1, "Define the problem and assemble a data set", "Data"),
    (2, "Choose a measure of success", "Model"),
    (3, "Decide on an evaluation protocol", "Data"),
    (4, "Prepare the data", "Data"),
    (5, "Develop a model that beats a dumb baseline", "Train"),
    (6, "Scale up: develop a model that overfits", "Model"),
    (7, "Regularize and tune the model", "Train"),
]

# the question each step asks the user (their answers are kept in the project)
QUESTIONS = {
    1: "What will you predict, from what inputs? What data do you have?",
    2: "Why this measure? (e.g. classes are balanced / rare positives matter)",
    3: "Why this protocol? (amount of data, time order)",
    4: "What did you do to the inputs? (scaling, missing values, vocabulary)",
    5: "What does the dumb baseline score, and what does your model score?",
    6: "Which model overfit, from which epoch?",
    7: "What did you try against overfitting, and what worked?",
}


def success_measures() -> list[str]:
    """The measures of success step 2 offers: the metric registry's (losses aside)."""
    from workbench.core.training.metrics import METRICS

    return [m.label for m in METRICS.values() if m.name not in ("loss", "data_loss", "penalty")]


@dataclass
class GuideStep:
    number: int
    title: str
    done: bool
    message: str
    panel: str = ""
    answer: str = ""

    def to_dict(self) -> dict:
        from workbench.core.jsonio import fields_dict

        return fields_dict(self)


def _beats_baseline(run) -> bool | None:
    d = run.diagnosis or {}
    if d.get("beats_baseline") is not None:
        return bool(d["beats_baseline"])
    from workbench.core.training.metrics import is_better

    metric = run.metric
    b = run.baseline_for("val").get(metric)
    v = run.best_logs.get(f"val_{metric}")
    if v is None or b is None:
        return None
    return is_better(v, b, metric)


def _overfit_epoch(run) -> int | None:
    return (run.diagnosis or {}).get("overfit_epoch")


def _min_val_loss(run) -> float | None:
    vals = [h.get("val_loss") for h in run.history if isinstance(h.get("val_loss"), (int, float))]
    return min(vals) if vals else None


def _regularized(run) -> bool:
    from workbench.core.runs import regularization

    return any(regularization((run.model or {}).get("spec")).values())


def check_steps(state: dict[str, Any]) -> list[GuideStep]:
    """``state`` keys: dataset_summary (dict|None), task, split (dict|str), has_time_column, n_samples,
    preprocessing (dict), runs (RunRecords or their dicts), answers ({step number: text}), metric."""
    answers = {int(k): v for k, v in (state.get("answers") or {}).items()}
    summary = state.get("dataset_summary") or {}
    runs = as_records(state.get("runs"))
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
    """Guide state from the app's state (a WorkbenchState or the AppContext over it; duck-typed)."""
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
    guide = getattr(ctx, "guide", None) or {}
    return {"dataset_summary": summary, "n_samples": len(ds) if ds is not None else 0,
            "task": getattr(head, "task", None), "split": getattr(ctx, "split_plan", "") if ds is not None else "",
            "has_time_column": bool(ds is not None and getattr(ds, "time", None) is not None),
            "leaks": len(getattr(splits, "leaks", []) or []) if splits is not None else 0,
            "preprocessing": getattr(ctx, "preprocessing", {}), "runs": list(getattr(ctx, "runs", []) or []),
            "answers": guide.get("answers", {}), "metric": guide.get("metric")}


def state_from_project(project_dir) -> dict[str, Any]:
    """Guide state from a project folder (for the CLI): its stored runs and the latest run's settings."""
    from workbench.core.runs import RunStore

    full = RunStore(project_dir).records()[0]
    if not full:
        return {"dataset_summary": {"n_samples": 0, "warnings": []}, "n_samples": 0, "task": None, "split": "",
                "has_time_column": False, "leaks": 0, "preprocessing": {}, "runs": [], "answers": {}, "metric": None}
    last = full[-1]
    data, split, cfg = last.data or {}, last.split or {}, last.config or {}
    return {"dataset_summary": {"n_samples": data.get("n_samples", 0), "warnings": last.warnings},
            "n_samples": data.get("n_samples", 0), "task": last.task, "split": split.get("text", ""),
            "has_time_column": bool(cfg.get("time_column")), "leaks": split.get("leaks", 0),
            "preprocessing": {"scale": cfg.get("scale", "none"), "missing": cfg.get("missing", "zero")},
            "runs": full, "answers": {}, "metric": None}


def grow_spec(spec_dict: dict, factor: int = 2) -> dict:
    """A bigger version of a spec: hidden Dense units and conv filters times ``factor`` (the output layer,
    when the spec ends with one, keeps its size), and one more hidden Dense layer when there is none."""
    import copy

    spec = copy.deepcopy(spec_dict)
    layers = spec.get("layers") or []
    dense_idx = [i for i, l in enumerate(layers) if str(l.get("type", "")).lower() in ("dense", "timedense")]
    last_out = dense_idx[-1] if dense_idx and int(layers[dense_idx[-1]].get("params", {}).get("units", 0)) <= 1 else None
    for i, l in enumerate(layers):
        t = str(l.get("type", "")).lower()
        p = l.setdefault("params", {})
        if t in ("dense", "timedense") and i != last_out and "units" in p:
            p["units"] = int(p["units"]) * factor
        elif t in ("conv2d", "conv1d") and "filters" in p:
            p["filters"] = int(p["filters"]) * factor
        elif t in ("gru", "lstm") and "units" in p:
            p["units"] = int(p["units"]) * factor
    if not [i for i in dense_idx if i != last_out] and not any(str(l.get("type", "")).lower().startswith("conv") for l in layers):
        layers.insert(0, {"type": "Dense", "params": {"units": 16 * factor}, "activation": "relu", "l1": 0.0, "l2": 0.0})
    spec["layers"] = layers
    spec["name"] = f"{spec.get('name') or 'model'}-x{factor}"
    return spec


def scale_up_until_overfit(cfg, max_rounds: int = 4, callbacks=(), on_status=None, should_cancel=None,
                           dataset=None, progress=None, keep_one_core_free: bool = False) -> list[dict]:
    """Step 6 in one click: train, and while no overfitting is diagnosed, grow the network (x2) and
    train longer (x1.5), up to ``max_rounds`` runs. Each run goes through the common workflow and is
    stored in the project like any other (named "scale-up round N" unless ``cfg`` has a name).
    Status lines go to ``on_status(text)`` (or to ``progress(0, 0, text)``, the GUI worker's form).
    Returns one row per round (its record as a dict under "record")."""
    if progress is not None and on_status is None:
        def on_status(text, _p=progress):
            _p(0, 0, text)
    from dataclasses import replace

    from workbench.core.errors import Cancelled
    from workbench.core.workflow import prepare_data, resolve_spec, resolve_train_config, run_training

    prep = prepare_data(cfg, dataset)
    spec, name = resolve_spec(cfg, prep)
    spec_d = spec.to_dict()
    train = dict(cfg.train or {})
    train.setdefault("epochs", resolve_train_config(cfg, name).epochs)
    rows = []
    for r in range(1, max_rounds + 1):
        if should_cancel is not None and should_cancel():
            raise Cancelled("Scaling up was stopped.")
        this = replace(cfg, model=spec_d, train=dict(train), name=cfg.name or f"scale-up round {r}")
        res = run_training(this, callbacks=callbacks, on_status=on_status, dataset=prep.dataset,
                           keep_one_core_free=keep_one_core_free)
        d = res.diagnosis
        params = res.record.model["parameters"]
        rows.append({"round": r, "model": spec_d.get("name"), "parameters": params, "epochs": train["epochs"],
                     "overfit_epoch": d.overfit_epoch, "run_id": res.run_id,
                     "min_val_loss": _min_val_loss(res.record), "record": res.record.to_dict()})
        if on_status:
            on_status(f"Round {r}: {params:,} parameters, "
                      + (f"overfitting starts at epoch {d.overfit_epoch}." if d.overfit_epoch else "no overfitting yet."))
        if d.overfit_epoch:
            break
        spec_d = grow_spec(spec_d)
        train["epochs"] = int(round(train["epochs"] * 1.5))
    return rows
