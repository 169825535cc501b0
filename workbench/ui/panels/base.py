"""Base class of every panel in the main window."""
from __future__ import annotations

from PySide6.QtWidgets import QWidget

from workbench.ui.context import AppContext


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
      ``load_state``.
    - ``on_shown()`` runs each time the panel becomes the visible page.
    """

    title: str = "Panel"
    icon_name: str = ""
    state_section: str | None = None

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

    def save_state(self, sections) -> None:
        """Write what the widgets show into the project state (a ``ProjectState``) before a save."""
        if self.state_section:
            sections.section(self.state_section).update(self.state())

    def load_state(self, sections) -> None:
        """Show the project state's values (after a project was opened)."""
        if self.state_section:
            self.restore(sections.section(self.state_section).to_dict())

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
