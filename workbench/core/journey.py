"""Where a project stands on the five steps of the workflow (the start page's step row).

    from workbench.core.journey import journey_steps
    for step in journey_steps(state):      # a WorkbenchState, the app's context, or anything with
        print(step.title, step.done, step.detail)   # dataset / model_spec / runs attributes

Data -> Model -> Train -> Evaluate -> Use & export. Each step is read from the state only (nothing is
computed or loaded): data loaded, a model chosen, runs of the generic workflow made, a run tested
on its held-out test set, a model exported. The first step that is not done is the one to do next.
Case-study runs (a ``study`` on the run) are left out: they have panels of their own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# (key, title, panel that does it, what to do when it is not done)
STEPS = (
    ("data", "Data", "Data", "Load a built-in set, an image folder or a CSV file."),
    ("model", "Model", "Model", "Choose a preset or build the layers."),
    ("train", "Train", "Train", "Train the model and watch the curves."),
    ("evaluate", "Evaluate", "Train", "Test the best run once on the held-out test set."),
    ("use", "Use & export", "Use", "Try the model on new files and export it."),
)


@dataclass(frozen=True)
class JourneyStep:
    key: str
    title: str
    panel: str       # the panel's title in the navigation
    done: bool
    detail: str      # one line: what was done, or what to do
    current: bool = False  # the first step not done yet

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def workflow_runs(runs) -> list[dict]:
    """The runs of the generic workflow (case-study and other kinds left out)."""
    from workbench.core.runs.summary import run_kind  # the one rule Train and Use list runs by

    out = []
    for r in runs or []:
        r = r if isinstance(r, dict) else getattr(r, "to_dict", lambda: {})()
        if run_kind(r) == "generic":  # "train" and its search trials; not a case study's kind
            out.append(r)
    return out


def _exported(runs: list[dict]) -> str:
    for r in reversed(runs):
        exports = r.get("exports") or (r.get("details") or {}).get("exports")
        if exports:
            last = exports[-1] if isinstance(exports, list) else exports
            where = last.get("path", "") if isinstance(last, dict) else str(last)
            return where or "exported"
    return ""


def _data_line(ds: Any, source: dict) -> str:
    name = getattr(ds, "name", "") or str((source or {}).get("source", "") or "data")
    kind = getattr(ds, "kind", "")
    try:
        n = len(ds)
    except TypeError:
        n = 0
    return f"{name}: {n:,} {kind} samples".replace("  ", " ") if n else str(name)


def _model_line(spec: Any) -> str:
    name = getattr(spec, "name", "") or (spec.get("name", "") if isinstance(spec, dict) else "")
    layers = getattr(spec, "layers", None)
    if layers is None and isinstance(spec, dict):
        layers = spec.get("layers")
    n = len(layers) if layers else 0
    return f"{name or 'custom'}" + (f", {n} layers" if n else "")


def journey_steps(state: Any, exported: str | None = None) -> list[JourneyStep]:
    """The five steps with done/detail read from ``state`` (duck-typed: ``dataset``,
    ``dataset_source``, ``model_spec``, ``runs``). ``exported`` overrides what the runs say about
    an export (the place of the last export, "" = none)."""
    ds = getattr(state, "dataset", None)
    spec = getattr(state, "model_spec", None)
    runs = workflow_runs(getattr(state, "runs", None))
    tested = [r for r in runs if r.get("test_metrics")]
    exported = _exported(runs) if exported is None else exported
    done = {
        "data": (ds is not None, _data_line(ds, getattr(state, "dataset_source", {})) if ds is not None else ""),
        "model": (spec is not None, _model_line(spec) if spec is not None else ""),
        "train": (bool(runs), f"{len(runs)} run{'s' if len(runs) != 1 else ''}" if runs else ""),
        "evaluate": (bool(tested), _tested_line(tested[-1]) if tested else ""),
        "use": (bool(exported), f"exported to {exported}" if exported and exported != "exported" else "exported"),
    }
    steps, current_seen = [], False
    for key, title, panel, todo in STEPS:
        ok, line = done[key]
        current = not ok and not current_seen
        current_seen = current_seen or current
        steps.append(JourneyStep(key, title, panel, ok, line if ok else todo, current))
    return steps


def _tested_line(run: dict) -> str:
    metrics = run.get("test_metrics") or {}
    for key in ("accuracy", "r2", "mae", "f1", "map50"):
        v = metrics.get(key)
        if isinstance(v, (int, float)):
            shown = f"{v:.1%}" if key == "accuracy" else f"{v:.3g}"
            return f"test {key.upper() if key in ('r2', 'mae') else key} {shown}".replace("R2", "R²")
    return "tested"
