"""The project state's general sections: data source, split, preprocessing, model, training, the
Train panel's run settings, the workflow guide, the lessons and the window's view.

Each is an evented dataclass (see ``workbench.core.state.base``); the case studies' sections are
in ``workbench.core.state.studies``.
"""
from __future__ import annotations

from dataclasses import field
from typing import Any, Literal

from workbench.core.params import SPLIT_DEFAULTS as _SPLIT
from workbench.core.params import SPLIT_KINDS as _KINDS
from workbench.core.state.base import Section, section

SPLIT_KINDS = Literal[_KINDS]
# load_data's keyword arguments a data source may set (empty values are left out of a request)
_REQUEST_FIELDS = ("source", "target", "time_column", "text_column", "label_column", "columns", "task",
                   "image_size", "grayscale", "clip_seconds")


@section("data", "data source")
class DataSection(Section):
    """Where the data set comes from (``load_data``'s arguments) and the Data panel's view."""

    source: str | dict = ""
    target: str | int | None = None
    time_column: str | int | None = None
    text_column: str | int | None = None
    label_column: str | int | None = None
    columns: dict[str, str] | list[str] | None = None
    task: str | None = None
    image_size: list[int] | None = None
    grayscale: bool | None = None
    clip_seconds: float | None = None
    folder_image_size: int = 64  # the size a folder chosen next is read at
    tab: int = 0

    def request(self) -> dict:
        """``load_data``'s arguments (what was set); {} when no source is chosen."""
        if not self.source:
            return {}
        return {k: getattr(self, k) for k in _REQUEST_FIELDS if getattr(self, k) not in (None, "", {}, [])}

    @classmethod
    def request_values(cls, request: dict | None) -> dict:
        """The section's request fields from a request dict (every request field, unset ones None)."""
        r = dict(request or {})
        out: dict[str, Any] = {k: None for k in _REQUEST_FIELDS}
        out["source"] = ""
        out.update({k: v for k, v in r.items() if k in _REQUEST_FIELDS})
        if isinstance(out.get("image_size"), tuple):
            out["image_size"] = list(out["image_size"])
        if out["source"] is None:
            out["source"] = ""
        return out


class _SplitMethods(Section):
    def plan(self):
        from workbench.core.data import SplitPlan

        return SplitPlan.from_dict(self.to_dict())


# A ``SplitPlan``'s fields, made from the one declaration of their kinds and defaults (``params``).
SplitSection = section("split")(type("SplitSection", (_SplitMethods,), {
    "__doc__": "A ``SplitPlan``'s fields.", "__module__": __name__,
    "__annotations__": {**{k: type(v) for k, v in _SPLIT.items()}, "kind": SPLIT_KINDS}, **_SPLIT}))


@section("preprocessing")
class PreprocessingSection(Section):
    """``Preprocessor`` settings plus the augmentation (None: off)."""

    scale: str = "auto"
    missing: str = "indicator"
    vocab_size: int = 10000
    text: dict[str, Any] = field(default_factory=lambda: {"mode": "auto"})
    augment: dict[str, Any] | None = None

    def settings(self) -> dict:
        return self.to_dict()


@section("model")
class ModelSection(Section):
    """The model spec (a ModelSpec dict, None: none chosen), the head chosen, the Model panel's
    regularization defaults and its selected layer."""

    spec: dict[str, Any] | None = None
    task: str | None = "auto"
    activation: str | None = None
    loss: str | None = None
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.5
    selected: int | None = None


@section("training")
class TrainingSection(Section):
    """The training settings the user set (None: the preset's or the generic default)."""

    optimizer: str | None = None
    lr: float | None = None
    batch_size: int | None = None
    epochs: int | None = None
    early_stopping: int | None = None
    seed: int | None = None

    def settings(self) -> dict:
        """The settings that are set (RunConfig.train)."""
        return {k: v for k, v in self.to_dict().items() if v is not None}


@section("search", "hyperparameter search")
class SearchSection(Section):
    space: str = ""
    sampler: str = "tpe"
    trials: int = 20
    pruner: str = "none"
    workers: int = 0
    cluster: str = ""
    study: str = ""
    same_seed: bool = True


@section("run", "Train panel")
class RunSection(Section):
    """The Train panel: how the next run is made and named, and which runs its charts show."""

    mode: str = "train"
    metric: str = "accuracy"
    name: str = ""
    search: SearchSection = field(default_factory=SearchSection)
    overlay: list[int] = field(default_factory=list)  # rows of the runs table drawn together
    tab: int = 0


@section("guide", "workflow guide")
class GuideSection(Section):
    answers: dict[str, str] = field(default_factory=dict)
    metric: str | None = None


@section("experiments", "lessons")
class ExperimentsSection(Section):
    selected: str | None = None
    results: dict[str, Any] = field(default_factory=dict)


@section("use", "Use panel")
class UseSection(Section):
    """The Use panel: the model in use (a run of the project, else an exported model's folder),
    whether it follows the newest run, and the inputs last given to it (their predictions are
    made again when the project is reopened)."""

    run_id: str | None = None
    export: str = ""
    follow: bool = True
    explain: bool = False
    tab: int = 0
    inputs: list[str] = field(default_factory=list)  # files or folders
    texts: list[str] = field(default_factory=list)


@section("view", "window")
class ViewSection(Section):
    current_panel: str = ""


CORE_SECTIONS: tuple[type[Section], ...] = (DataSection, SplitSection, PreprocessingSection, ModelSection,
                                            TrainingSection, RunSection, GuideSection, ExperimentsSection,
                                            UseSection, ViewSection)
