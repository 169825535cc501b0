"""What the Data panel shows about a split, computed here so the panel only draws it:
the parts diagram (one row per fold), the per-class chart and the leak check sentence."""
from __future__ import annotations

from workbench.core.data.splits import Splits

MAX_DIAGRAM_ROWS = 15


def split_diagram(sp: Splits, n_samples: int, max_rows: int = MAX_DIAGRAM_ROWS) -> list[tuple[str, list[tuple[str, float]]]]:
    """[(row label, [(part, fraction of all samples), ...])] in drawing order, one row per fold.

    Parts are "train", "val", "test", "unused" (time K-fold blocks after the fold) and "dropped"."""
    n = max(int(n_samples), 1)
    rows = []
    test_frac = len(sp.test_idx) / n
    dropped = len(sp.dropped) / n
    for f in sp.folds:
        label = f"fold {f.fold + 1}" + (f" (rep {f.repeat + 1})" if sp.plan.kind == "iterated-kfold" else "")
        if len(sp.folds) == 1:
            label = "hold-out"
        tr, va = len(f.train_idx) / n, len(f.val_idx) / n
        if sp.plan.kind in ("kfold", "iterated-kfold"):
            # the validation block where it sits among the K slices of the non-test data
            rest = 1.0 - test_frac - dropped
            k = max(sp.plan.k, 1)
            pos = f.fold / k * rest
            parts = [("train", pos), ("val", va), ("train", max(rest - pos - va, 0)), ("test", test_frac)]
        elif sp.plan.kind == "time-kfold":
            used = tr + va
            parts = [("train", tr), ("val", va), ("unused", max(1 - test_frac - dropped - used, 0)),
                     ("test", test_frac)]
        else:
            parts = [("train", tr), ("val", va), ("test", test_frac)]
        if dropped:
            parts.append(("dropped", dropped))
        rows.append((label, parts))
    return rows[:max_rows]


def split_chart(sp: Splits, class_names: list[str] | None) -> dict:
    """The chart of the split: per class and part (classification) or the part sizes.

    {"title", "groups": [class], "series": {part: [count per class]}} or
    {"title", "bars": ["train", "val", "test"], "values": [n, n, n]}."""
    cc = sp.class_counts
    if class_names is not None and isinstance(cc.get("all"), dict):
        keys = list(cc["all"].keys())
        first = cc["folds"][0] if cc.get("folds") else {}
        parts = {"train": first.get("train", {}), "val": first.get("val", {}), "test": cc.get("test", {})}
        series = {part: [float(counts.get(k, 0)) for k in keys] for part, counts in parts.items() if counts}
        title = "Samples per class in each part" + (f" (fold 1 of {len(sp.folds)})" if len(sp.folds) > 1 else "")
        return {"title": title, "groups": [str(k) for k in keys], "series": series}
    sizes = sp.sizes
    f0 = sizes.get("folds", [{}])[0] if sizes.get("folds") else {}
    return {"title": "Samples in each part", "bars": ["train", "val", "test"],
            "values": [float(f0.get("train", 0)), float(f0.get("val", 0)), float(sizes.get("test", 0))]}


def split_check(sp: Splits) -> tuple[str, str]:
    """(level "ok" | "warning", one paragraph): the leak check, dropped copies, the split's warnings."""
    msgs = []
    level = "ok"
    if sp.leaks:
        level = "warning"
        n_idx = sum(len(lk.indices) for lk in sp.leaks)
        where = sorted({"/".join(lk.splits) for lk in sp.leaks})
        msgs.append(f"Leak check: {len(sp.leaks)} groups of identical samples ({n_idx} samples) appear in more "
                    f"than one part ({', '.join(where[:4])}). Tick “drop duplicates” to remove them "
                    "from the non-test side.")
    else:
        msgs.append("Leak check: no sample appears in more than one part.")
    if len(sp.dropped):
        msgs.append(f"{len(sp.dropped)} duplicate samples were dropped.")
    for w in sp.warnings:
        level = "warning"
        msgs.append(w)
    return level, " ".join(msgs)


def make_split(ds, plan: dict | str) -> dict:
    """{"plan": SplitPlan, "splits": Splits} for a plan dict (SplitPlan.to_dict) or text ("kfold:5")."""
    from workbench.core.data.splits import SplitPlan

    p = SplitPlan.parse(plan) if isinstance(plan, str) else SplitPlan.from_dict(plan)
    return {"plan": p, "splits": p.make(ds)}
