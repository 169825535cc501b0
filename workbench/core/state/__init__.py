"""The typed, evented project state (no Qt).

- ``ProjectState`` (``project_state.py``): every section of a project; project.json stores exactly
  its ``to_dict()`` (``workbench.core.project``), read back all-or-nothing by ``from_dict``.
- Sections (``sections.py`` general, ``studies.py`` one per case study): psygnal evented
  dataclasses whose annotations and declared bounds (``bounds.py``) are checked on every read and
  update; a wrong value is a ``StateError`` naming the field in one sentence.
- ``WorkbenchState`` (``runtime.py``): the sections plus what is made from them (data set, splits,
  input shape, ModelSpec, Head, runs), with the change events the app's ``AppContext`` relays.

A new case study's section: one class with ``@study_section("key")`` in ``studies.py`` (see its
docstring) and ``state_section = "key"`` on its panel.
"""
from workbench.core.state.base import Section, StateError, section
from workbench.core.state.project_state import ProjectState, section_classes
from workbench.core.state.runtime import DEFAULT_PREPROCESSING, DEFAULT_SPLIT, WorkbenchState
from workbench.core.state.studies import STUDY_SECTIONS, study_section

__all__ = ["DEFAULT_PREPROCESSING", "DEFAULT_SPLIT", "STUDY_SECTIONS", "ProjectState", "Section", "StateError",
           "WorkbenchState", "section", "section_classes", "study_section"]
