"""Panel registry of the main window.

How to add a panel
------------------
1. Make a package ``workbench/ui/panels/<name>/``: ``panel.py`` with a subclass of
   ``workbench.ui.panels.base.Panel``, one module per tab (each a QWidget the panel adds), and a
   ``__main__.py`` that opens the panel on its own. No module over ~500 lines; no computation
   (``tests/test_panel_imports.py`` says what a panel may import)::

       # panel.py
       from workbench.ui.job_runner import JobRunner
       from workbench.ui.panels.base import Panel

       class MyPanel(Panel):
           title = "My panel"
           def __init__(self, ctx, parent=None):
               super().__init__(ctx, parent)
               ...                         # build widgets (the tabs); call core functions only
               self.jobs = JobRunner(self, banner=self.banner, progress=..., cancel_button=...)
           def shutdown(self): self.jobs.shutdown()   # stop threads, release devices
           state_section = "my_study"      # its section of the project state (see below)
           def state(self): return {...}   # the section's fields as the widgets show them
           def restore(self, state): ...   # show a section's fields (also when it changed elsewhere)
           def restore_files(self, state): ...  # on open: data again from their recipe, models from the project

       # __main__.py                       # python -m workbench.ui.panels.<name>
       from workbench.ui.panels.base import run_panel_standalone
       from workbench.ui.panels.<name>.panel import MyPanel
       raise SystemExit(run_panel_standalone(MyPanel))

2. Add ONE line to ``PANEL_SPECS`` below:
   ``PanelSpec("My panel", "workbench.ui.panels.<name>.panel:MyPanel", "Case studies", "mdi6.<icon>")``
   (group: one of ``GROUPS``; icon: a Material Design icon name for qtawesome), and a page
   ``docs/panels/<name>.md`` for the panel's "?" button (``workbench.ui.help.PANEL_PAGES``).

3. Its settings saved with the project: one class ``@study_section("my_study")`` in
   ``workbench/core/state/studies.py`` (typed fields with defaults; numeric bounds in
   ``workbench/core/state/bounds.py``). project.json then holds that section, checked on open.
   Files it keeps (a trained model): copy them into the project when ``ctx.project_saving`` fires
   (``workbench.core.studies.project_files.save_study_folder``) and name them in the section.
   The window binds the panel to its section live: every input widget's edit writes ``state()``
   into it, a change made elsewhere is shown through ``restore``.

That is all: the window imports the module the first time the panel is shown (so it costs
nothing at start-up), gives it Ctrl+<n> and a navigation entry, calls ``shutdown()`` on close and
saves/restores its section with the project. If the module is missing or raises on import, the
page shows the error instead of crashing the app. Long jobs: ``workbench.ui.job_runner.JobRunner``;
live training charts: ``workbench.ui.training_bridge``; shared data/model state and runs: ``ctx``
(``workbench.ui.context.AppContext`` over ``workbench.core.state.WorkbenchState``). Panels never
call each other.
"""
from __future__ import annotations

import importlib
import traceback
from typing import NamedTuple

class PanelSpec(NamedTuple):
    """One navigation entry: the title, ``"package.module:Class"``, the navigation group (one of
    ``GROUPS``) and a qtawesome icon name (https://pictogrammers.com/library/mdi/ names with the
    ``mdi6.`` prefix)."""

    title: str
    target: str
    group: str = "Tools"
    icon: str = "mdi6.puzzle-outline"


# Navigation groups, in the order they are listed
GROUPS = ("Workflow", "Case studies", "Learn", "Tools")

PANEL_SPECS: list[PanelSpec] = [
    PanelSpec("Home", "workbench.ui.panels.home.panel:HomePanel", "Workflow", "mdi6.home-outline"),
    PanelSpec("Data", "workbench.ui.panels.data.panel:DataPanel", "Workflow", "mdi6.database-outline"),
    PanelSpec("Model", "workbench.ui.panels.model.panel:ModelPanel", "Workflow", "mdi6.layers-triple-outline"),
    PanelSpec("Train", "workbench.ui.panels.training.panel:TrainingPanel", "Workflow", "mdi6.chart-line"),
    PanelSpec("Use", "workbench.ui.panels.use:UsePanel", "Workflow", "mdi6.rocket-launch-outline"),
    PanelSpec("Day & Night", "workbench.ui.panels.daynight.panel:DayNightPanel", "Case studies", "mdi6.theme-light-dark"),
    PanelSpec("Faces", "workbench.ui.panels.faces:FacesPanel", "Case studies", "mdi6.face-recognition"),
    PanelSpec("Trigger word", "workbench.ui.panels.trigger_word:TriggerWordPanel", "Case studies",
              "mdi6.microphone-outline"),
    PanelSpec("Style transfer", "workbench.ui.panels.style_transfer.panel:StyleTransferPanel", "Case studies",
              "mdi6.palette-outline"),
    PanelSpec("Detection", "workbench.ui.panels.detection.panel:DetectionPanel", "Case studies",
              "mdi6.image-search-outline"),
    PanelSpec("Reinforcement learning", "workbench.ui.panels.rl:RLPanel", "Case studies", "mdi6.robot-outline"),
    PanelSpec("Sequences & Shots", "workbench.ui.panels.sequences:SequencesPanel", "Case studies", "mdi6.file-tree-outline"),
    PanelSpec("Experiments", "workbench.ui.panels.experiments.panel:ExperimentsPanel", "Learn", "mdi6.school-outline"),
    PanelSpec("Worksheets", "workbench.ui.panels.worksheets.panel:WorksheetsPanel", "Learn", "mdi6.clipboard-check-outline"),
    PanelSpec("Explore", "workbench.ui.panels.explore:ExplorePanel", "Tools", "mdi6.scatter-plot-outline"),
]


def panel_slug(title: str) -> str:
    """A panel's name in file names: "Day & Night" -> "day-night" (its guide page, its card picture)."""
    slug = "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")
    while "--" in slug:
        slug = slug.replace("--", "-")
    return slug


def panel_specs(specs=None) -> list[PanelSpec]:
    """``specs`` (default ``PANEL_SPECS``) as PanelSpecs; plain ``(title, target)`` pairs get the
    "Tools" group and a generic icon."""
    return [s if isinstance(s, PanelSpec) else PanelSpec(*s) for s in (PANEL_SPECS if specs is None else specs)]


def load_panel_class(target: str):
    """Import ``"package.module:ClassName"`` and return the class (raises on failure)."""
    module_name, _, cls_name = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, cls_name)


def create_panel(title: str, target: str, ctx, parent=None):
    """Build the panel, or a ``PlaceholderPanel`` that shows why it could not be built."""
    try:
        cls = load_panel_class(target)
        no_si_prefixes()  # the panel's charts (if it draws any) show plain numbers on their axes
        panel = cls(ctx, parent)
        if not isinstance(panel, Panel):
            raise TypeError(f"{target} is not a workbench.ui.panels.base.Panel")
        return panel
    except Exception as e:
        return PlaceholderPanel(ctx, title, target, e, traceback.format_exc(), parent)


from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout  # noqa: E402

from workbench.ui.panels.base import Panel  # noqa: E402
from workbench.ui.plot_style import no_si_prefixes  # noqa: E402


class PlaceholderPanel(Panel):
    """Shown instead of a panel whose module is missing or failed to import."""

    def __init__(self, ctx, title, target, error, tb="", parent=None):
        super().__init__(ctx, parent)
        self.title = title
        self.target = target
        self.error = error
        self._saved_state: dict = {}
        lay = QVBoxLayout(self)
        missing = isinstance(error, ModuleNotFoundError) and getattr(error, "name", None) == target.split(":")[0]
        head = QLabel(
            f"<h3>{title}</h3><p>This panel is not available"
            + (" yet (its module is not installed)." if missing else " because it failed to load:")
            + f"</p><p><b>{type(error).__name__}:</b> {error}</p>")
        head.setWordWrap(True)
        head.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(head)
        if tb and not missing:
            details = QPlainTextEdit(tb)
            details.setReadOnly(True)
            lay.addWidget(details, 1)
        else:
            lay.addStretch(1)

    def state(self) -> dict:
        # Keep what the project held for this panel so saving does not lose it.
        return dict(self._saved_state)

    def restore(self, state: dict) -> None:
        self._saved_state = dict(state or {})
