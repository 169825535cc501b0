"""Base class of every panel in the main window."""
from __future__ import annotations

from contextlib import contextmanager

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from workbench.ui.context import AppContext

# Fields that only say what the panel shows (a tab, a page): changing them is not an unsaved change.
VIEW_FIELDS = frozenset({"tab", "page", "selected", "overlay", "current_panel"})


def _change_signals(w):
    """The signals a user's edit of input widget ``w`` fires (none for other widgets)."""
    from PySide6.QtWidgets import (
        QAbstractButton, QAbstractSlider, QAbstractSpinBox, QComboBox, QLineEdit, QListWidget, QTabWidget,
    )

    if isinstance(w, QAbstractSpinBox) and hasattr(w, "valueChanged"):
        return [w.valueChanged]
    if isinstance(w, QComboBox):
        return [w.currentIndexChanged] + ([w.editTextChanged] if w.isEditable() else [])
    if isinstance(w, QLineEdit):
        parent = w.parentWidget()
        return [] if isinstance(parent, (QAbstractSpinBox, QComboBox)) else [w.textChanged]
    if isinstance(w, QAbstractButton):
        return [w.toggled] if w.isCheckable() else []
    if isinstance(w, QTabWidget):
        return [w.currentChanged]
    if isinstance(w, QListWidget):
        return [w.currentRowChanged]
    if isinstance(w, QAbstractSlider):
        return [w.valueChanged]
    return []


class Panel(QWidget):
    """A page of the main window.

    Subclasses set ``title`` (navigation text) and optionally ``icon_name`` (a Qt standard icon
    name such as "SP_DirOpenIcon", or a theme icon name) and build widgets in ``__init__``. A panel
    computes nothing itself (``tests/test_panel_imports.py``): it calls core functions, importing
    them inside the methods that use them so the window shows fast, and runs long ones through a
    ``workbench.ui.job_runner.JobRunner``.

    Contract with the window:
    - ``shutdown()`` stops threads and releases camera/microphone; called when the window closes
      (and may be called twice: make it idempotent).
    - Project state: ``state_section`` names the panel's section of the typed project state
      (``workbench.core.state``; ``ctx.state.sections.<key>``). ``state()`` returns that section's
      fields as the widgets show them (the window checks them against the section before a save)
      and ``restore(d)`` shows a section's fields (all present and checked: the window restores
      from a complete section). Panels with several sections override ``save_state`` /
      ``show_state`` / ``load_state`` and name them in ``live_sections``. The window binds a built
      panel live (``bind_state``): every input widget's edit writes ``save_state`` at once, a change
      made elsewhere is shown through ``show_state``; ``restore_files`` runs on open only.
    - ``on_shown()`` runs each time the panel becomes the visible page.
    """

    title: str = "Panel"
    icon_name: str = ""
    state_section: str | None = None
    live_sections: tuple[str, ...] = ()  # panels with several sections name them (default: state_section)
    _section_event = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(type(self).__name__)
        self.remembered_splitters: dict = {}  # name -> QSplitter whose sizes the window remembers

    def remember_splitter(self, name: str, splitter) -> None:
        """Have the main window save this splitter's sizes in the settings and restore them."""
        self.remembered_splitters[name] = splitter

    def shutdown(self) -> None:
        """Stop background work and release devices. Safe to call more than once."""

    def state(self) -> dict:
        return {}

    def restore(self, state: dict) -> None:
        """Show a section's fields (a dict as ``state()`` returns it)."""

    def restore_files(self, state: dict) -> None:
        """Bring back what the section names in the project folder (data made again from their
        recipe, a trained model's copy); done when a project is opened, not on every change."""

    def save_state(self, sections) -> None:
        """Write what the widgets show into the project state (a ``ProjectState``)."""
        if self.state_section:
            sections.section(self.state_section).update(self.state())

    def show_state(self, sections) -> None:
        """Show the project state's settings (they changed elsewhere: Python, another panel)."""
        if self.state_section:
            self.restore(sections.section(self.state_section).to_dict())

    def load_state(self, sections) -> None:
        """Show the project state's values and bring back its files (after a project was opened)."""
        with self.applying_state():
            self.show_state(sections)
        if self.state_section:
            self.restore_files(sections.section(self.state_section).to_dict())

    # -- live binding: the widgets and the project state show the same values at every moment ------
    def _live_keys(self) -> tuple[str, ...]:
        return self.live_sections or ((self.state_section,) if self.state_section else ())

    @contextmanager
    def applying_state(self):
        """Widgets set from the state: their change signals do not write back."""
        busy, self._state_busy = getattr(self, "_state_busy", False), True
        try:
            yield
        finally:
            self._state_busy = busy

    def bind_state(self) -> None:
        """Bind the panel to its sections (called once it is built): a user's edit of any input
        widget writes the panel's sections at once; a change of those sections made elsewhere
        (the Python API, the CLI's helpers, another panel) is shown at once."""
        keys = self._live_keys()
        if not keys or getattr(self, "_bound", False):
            return
        self._bound, self._state_busy = True, False
        for w in self.findChildren(QWidget):
            for sig in _change_signals(w):
                sig.connect(self.push_state)
        self._section_event.connect(self._pull_state)  # queued when the state changed on a worker thread
        import weakref

        import shiboken6

        ref, sections = weakref.ref(self), self.ctx.state.sections

        def changed(key: str) -> None:
            p = ref()
            if p is not None and shiboken6.isValid(p) and p._bound and key in keys and not p._state_busy:
                p._section_event.emit()

        sections.changed.connect(changed)
        self.destroyed.connect(lambda *_: sections.changed.disconnect(changed))

    def unbind_state(self) -> None:
        """The panel is being replaced (New project): it no longer follows nor writes the state."""
        self._bound = False

    def _snapshot(self) -> dict:
        sections = self.ctx.state.sections
        return {k: sections.section(k).to_dict() for k in self._live_keys()}

    def push_state(self, *_) -> None:
        """Write what the widgets show into the panel's sections (a value being typed that does not
        check yet is written once it does)."""
        if not getattr(self, "_bound", False) or self._state_busy:
            return
        from workbench.core.errors import WorkbenchError

        before, dirty = self._snapshot(), self.ctx.dirty
        with self.applying_state():
            try:
                self.save_state(self.ctx.state.sections)
            except (WorkbenchError, TypeError, ValueError, KeyError):
                return
        after = self._snapshot()
        changed = {f for k in after for f, v in after[k].items() if before[k].get(f) != v}
        if changed and changed <= VIEW_FIELDS:
            self.ctx.mark_dirty(dirty)

    def _pull_state(self) -> None:
        """The sections changed elsewhere: show them, unless the widgets show them already."""
        state = self.ctx.state
        if not self._bound or self._state_busy or getattr(state, "replacing", False):
            return
        if self.shows_state(state.sections):
            return
        with self.applying_state():
            self.show_state(state.sections)

    def shows_state(self, sections) -> bool:
        """Whether the widgets show ``sections`` already (what ``save_state`` would write is there)."""
        from workbench.core.errors import WorkbenchError

        live = {k: sections.section(k).to_dict() for k in self._live_keys()}
        scratch = sections.copy()
        try:
            self.save_state(scratch)
        except (WorkbenchError, TypeError, ValueError, KeyError):
            return False
        return {k: scratch.section(k).to_dict() for k in live} == live

    def on_shown(self) -> None:
        """Called when the panel becomes the current page."""

    def show_part(self, part: str) -> None:
        """Show a named part (a tab, a page) asked for by ``ctx.panel_requested("<title>/<part>")``."""


def run_panel_standalone(panel_cls, argv: list[str] | None = None, setup=None) -> int:
    """Open one panel in its own window (``python -m workbench.ui.panels.<name>``).

    ``setup(ctx, panel)`` may load demo data before the event loop starts."""
    import sys

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(list(argv if argv is not None else sys.argv))
    from workbench.ui.plot_style import no_si_prefixes

    ctx = AppContext()
    no_si_prefixes()
    panel = panel_cls(ctx)
    panel.setWindowTitle(f"Workbench — {panel.title}")
    panel.resize(1100, 750)
    if setup is not None:
        setup(ctx, panel)
    panel.show()
    panel.on_shown()
    app.aboutToQuit.connect(panel.shutdown)
    import os

    quit_after = os.environ.get("WORKBENCH_QUIT_AFTER_MS", "")
    if quit_after.isdigit():  # smoke tests: open, paint, quit
        from PySide6.QtCore import QTimer

        QTimer.singleShot(int(quit_after), app.quit)
    rc = app.exec()
    panel.shutdown()
    panel.close()
    panel.deleteLater()
    # Delete it now: results a finished job queued to it are dropped with it, not delivered to a
    # panel that has shut down (by the next event loop of a process that opens another panel).
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return rc
