"""``ProjectState``: every section of a project, the one thing project.json stores.

``to_dict()`` is project.json's content (besides its schema version, name and recent runs) and
``from_dict()`` reads it back, checking every section before it returns: a wrong value anywhere
raises ``StateError`` with one sentence and nothing is half-read. ``replace_with`` then moves a
checked state into the live one, section by section (each changed field fires its event).
"""
from __future__ import annotations

from psygnal import Signal

from workbench.core.state.base import Section, StateError
from workbench.core.state.sections import (
    CORE_SECTIONS, DataSection, ExperimentsSection, GuideSection, ModelSection, PreprocessingSection,
    RunSection, SplitSection, TrainingSection, UseSection, ViewSection,
)
from workbench.core.state.studies import (
    STUDY_SECTIONS, DayNightSection, DetectionSection, ExploreSection, FacesSection, StyleTransferSection,
    TriggerWordSection,
)


def section_classes() -> dict[str, type[Section]]:
    """Every section class by its project.json key (core sections first, then the studies)."""
    return {**{c.key: c for c in CORE_SECTIONS}, **STUDY_SECTIONS}


class ProjectState:
    """Signals: ``changed(str)`` the key of a section after one of its fields changed.

    Sections are attributes (``state.data``, ``state.split``, ``state.daynight`` ...) and by key
    (``state.section("rl")``) for sections registered later."""

    changed = Signal(str)

    data: DataSection
    split: SplitSection
    preprocessing: PreprocessingSection
    model: ModelSection
    training: TrainingSection
    run: RunSection
    guide: GuideSection
    experiments: ExperimentsSection
    use: UseSection
    view: ViewSection
    daynight: DayNightSection
    faces: FacesSection
    trigger_word: TriggerWordSection
    style_transfer: StyleTransferSection
    detection: DetectionSection
    explore: ExploreSection

    def __init__(self, sections: dict[str, Section] | None = None):
        self._sections: dict[str, Section] = {}
        for key, cls in section_classes().items():
            sec = (sections or {}).get(key) or cls()
            self._sections[key] = sec
            setattr(self, key, sec)
            sec.events.all.connect(self._relay(key))

    def _relay(self, key: str):
        def emit(*_):
            self.changed.emit(key)

        return emit

    def section(self, key: str) -> Section:
        try:
            return self._sections[key]
        except KeyError:
            raise StateError(f"There is no {key!r} section in the project state.") from None

    def keys(self) -> list[str]:
        return list(self._sections)

    def to_dict(self) -> dict:
        return {key: sec.to_dict() for key, sec in self._sections.items()}

    @classmethod
    def from_dict(cls, d: dict, *, where: str = "") -> "ProjectState":
        """A new state from project.json's sections; every section is checked first (StateError)."""
        if not isinstance(d, dict):
            raise StateError(f"The project file{' ' + where if where else ''} is damaged: it is not a JSON object.")
        built = {}
        for key, scls in section_classes().items():
            if key in d:
                loc = f"In the project file {where}, the {scls.title} setting" if where else ""
                built[key] = scls.from_dict(d[key], where=loc)
        return cls(built)

    def replace_with(self, other: "ProjectState") -> None:
        for key, sec in self._sections.items():
            sec.replace_with(other.section(key))

    def reset(self) -> None:
        for sec in self._sections.values():
            sec.reset()

    def copy(self) -> "ProjectState":
        return ProjectState.from_dict(self.to_dict())
