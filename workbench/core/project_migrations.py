"""project.json migrations: ``MIGRATIONS[n]`` turns a format-n dict into format n+1.

- 0 -> 1: early previews kept the training settings under "config" and had no "ui".
- 1 -> 2: format 1 kept the CLI-readable fields (data, split, model, head, train) beside a free
  "ui" dict of per-panel states that the window restored from; format 2 stores the typed project
  state (one key per section, ``workbench.core.state``). The panels' states win (the window
  restored from them); the top-level fields fill what no panel saved (a project the CLI wrote).
  Values the old panels would have skipped (a wrong type) are left out, as they were then.
- 2 -> 3: the sections name more of the project's files (Detection's segmentation model,
  ``detection.segment.model_dir``) and the Use panel has its section ("use": the model in use and
  its last inputs); a format-2 project has none of them, so they start empty.
"""
from __future__ import annotations

from typing import Any, Callable

SCHEMA_VERSION = 3


def _v0_to_v1(d: dict) -> dict:
    d = dict(d)
    if "config" in d and "train" not in d:
        d["train"] = d.pop("config")
    d.setdefault("ui", {})
    d.setdefault("recent_runs", [])
    return d


def _dict(v) -> dict:
    return dict(v) if isinstance(v, dict) else {}


def _split_from(v) -> dict:
    from workbench.core.errors import WorkbenchError

    if isinstance(v, dict):
        return dict(v)
    if isinstance(v, str) and v.strip():
        from workbench.core.data import SplitPlan

        try:
            return SplitPlan.parse(v).to_dict()
        except WorkbenchError:
            return {}
    return {}


def _spec_from(v) -> dict | None:
    """A spec dict from format 1's "model" (a spec dict or a preset name)."""
    if isinstance(v, dict):
        return dict(v)
    if isinstance(v, str) and v:
        from workbench.core.errors import WorkbenchError
        from workbench.core.models import get_preset

        try:
            return get_preset(v).to_dict()
        except WorkbenchError:
            return None
    return None


# format 1's fields and their types (a damaged format-1 file is refused as it was then)
_V1_TYPES = {"name": str, "data": (dict, type(None)), "preprocessing": (dict, type(None)),
             "split": (str, dict, type(None)), "model": (dict, str, type(None)), "head": (dict, type(None)),
             "train": (dict, type(None)), "ui": (dict, type(None)), "recent_runs": (list, type(None))}


def _v1_to_v2(d: dict) -> dict:
    from workbench.core.safety import check_fields
    from workbench.core.state.base import keep_valid
    from workbench.core.state.project_state import section_classes

    check_fields(d, _V1_TYPES, kind="project file")

    ui = _dict(d.get("ui"))
    panels = {k: _dict(v) for k, v in _dict(ui.get("panels")).items()}
    raw: dict[str, dict[str, Any]] = {}

    # data source, split, preprocessing: the Data panel's, else what the CLI wrote
    data_p = panels.get("Data", {})
    raw["data"] = dict(_dict(data_p.get("request")) or _dict(d.get("data")))
    if "tab" in data_p:
        raw["data"]["tab"] = data_p["tab"]
    if "image_size" in _dict(data_p.get("options")):
        raw["data"]["folder_image_size"] = data_p["options"]["image_size"]
    raw["split"] = _split_from(data_p.get("split")) or _split_from(d.get("split"))
    raw["preprocessing"] = _dict(data_p.get("preprocessing")) or _dict(d.get("preprocessing"))

    # model, head choices and training settings: the Model panel's, else the top-level fields
    model_p = panels.get("Model", {})
    head = _dict(d.get("head"))
    raw["model"] = {"spec": _spec_from(model_p.get("spec")) or _spec_from(d.get("model")),
                    "task": model_p.get("task", head.get("task", "auto")),
                    "activation": model_p.get("activation", head.get("activation")),
                    "loss": model_p.get("loss", head.get("loss", head.get("loss_name"))),
                    **_dict(model_p.get("defaults"))}
    if "selected" in model_p:
        raw["model"]["selected"] = model_p["selected"]
    raw["training"] = _dict(model_p.get("train")) or _dict(d.get("train"))

    train_p = panels.get("Train", {})
    search = _dict(train_p.get("search"))
    if "iter" in search and "trials" not in search:
        search["trials"] = search.pop("iter")
    raw["run"] = {**{k: train_p[k] for k in ("mode", "metric", "name", "overlay", "tab") if k in train_p},
                  "search": search}

    exp_p = panels.get("Experiments", {})
    raw["guide"] = _dict(exp_p.get("guide"))
    raw["experiments"] = {k: exp_p[k] for k in ("selected", "results") if k in exp_p}
    raw["view"] = {"current_panel": ui.get("current_panel")}

    # case studies: the panel's state is the section (Detection's tabs had their class names)
    raw["daynight"] = panels.get("Day & Night", {})
    raw["faces"] = panels.get("Faces", {})
    raw["trigger_word"] = panels.get("Trigger word", {})
    raw["style_transfer"] = panels.get("Style transfer", {})
    det = panels.get("Detection", {})
    raw["detection"] = {"tab": det.get("tab"), "data": _dict(det.get("DataTab")), "train": _dict(det.get("TrainTab")),
                        "segment": _dict(det.get("SegmentTab")),
                        "evaluate_conf": _dict(det.get("EvaluateTab")).get("conf"),
                        "live_source": _dict(det.get("LiveTab")).get("source"),
                        "live_conf": _dict(det.get("LiveTab")).get("conf"),
                        "editor_folder": _dict(det.get("EditorTab")).get("folder")}
    raw["explore"] = panels.get("Explore", {})

    out = {"schema_version": 2, "name": d.get("name") if isinstance(d.get("name"), str) else "",
           "recent_runs": d.get("recent_runs") if isinstance(d.get("recent_runs"), list) else []}
    for key, cls in section_classes().items():
        if key in raw:
            out[key] = keep_valid(cls, {k: v for k, v in raw[key].items() if v is not None or k in _NULLABLE})
    return out


_NULLABLE = {"spec", "activation", "loss", "early_stopping", "metric", "selected", "editor_folder"}

def _v2_to_v3(d: dict) -> dict:
    d = dict(d)
    det = d.get("detection")
    if isinstance(det, dict) and isinstance(det.get("segment"), dict):
        d["detection"] = {**det, "segment": {**det["segment"], "model_dir": ""}}
    d["schema_version"] = 3
    return d


MIGRATIONS: dict[int, Callable[[dict], dict]] = {0: _v0_to_v1, 1: _v1_to_v2, 2: _v2_to_v3}
