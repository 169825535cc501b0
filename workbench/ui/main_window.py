"""The main window: navigation list + stacked panels, menus, status bar, settings, projects."""
from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QStackedWidget, QStyle

from workbench.ui.context import AppContext
from workbench.ui.navigation import BusySign, NavigationList, PanelSlot
from workbench.ui.panels import panel_specs
from workbench.ui.panels.base import Panel
from workbench.ui.settings import Settings, b64, unb64

HOME = "Home"


def library_versions() -> dict[str, str]:
    """Versions for the About box, read from package metadata (no heavy imports)."""
    out = {"Python": platform.python_version()}
    try:
        from PySide6 import QtCore

        out["Qt"] = QtCore.qVersion()
    except Exception:
        pass
    for label, dist in [("PySide6", "PySide6-Essentials"), ("pyqtgraph", "pyqtgraph"), ("torch", "torch"),
                        ("numpy", "numpy"), ("scikit-learn", "scikit-learn"),
                        ("OpenCV", "opencv-python-headless")]:
        try:
            out[label] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            alt = {"PySide6-Essentials": "PySide6", "opencv-python-headless": "opencv-python"}.get(dist)
            try:
                out[label] = metadata.version(alt) if alt else "not installed"
            except metadata.PackageNotFoundError:
                out[label] = "not installed"
    try:
        import workbench

        out["Workbench"] = workbench.__version__
    except Exception:
        pass
    return out


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, ctx: AppContext | None = None,
                 ask_before_close: bool = False, specs: list[tuple[str, str]] | None = None):
        super().__init__()
        self.settings = settings if settings is not None else Settings().load()
        self.ctx = ctx or AppContext(self)
        self.ask_before_close = ask_before_close
        self.last_message_box: QMessageBox | None = None
        self._closed = False
        self._started = False
        self.setWindowTitle("Workbench")
        self.setMinimumSize(QSize(800, 560))
        self.resize(self._fit_screen(1280, 820))

        specs = panel_specs(specs)
        self.nav = NavigationList(specs)
        self.stack = QStackedWidget()
        self.slots: list[PanelSlot] = []
        for spec in specs:
            slot = PanelSlot(spec, self.ctx, title_row=spec.title != HOME)
            slot.help_requested.connect(self.show_panel_help)
            self.slots.append(slot)
            self.stack.addWidget(slot)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("main")
        self.splitter.addWidget(self.nav)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setCollapsible(0, False)
        self.splitter.setSizes([self.nav.minimumWidth(), 1280 - self.nav.minimumWidth()])
        self.setCentralWidget(self.splitter)
        # Connected after the items exist: adding the first item makes it current, and building a
        # panel before the window is shown would delay the first paint.
        self.nav.slot_selected.connect(self._on_nav_changed)

        self.busy_sign = BusySign()
        self.statusBar().addPermanentWidget(self.busy_sign)
        self.device_label = QLabel("Compute device: probing…")
        self.statusBar().addPermanentWidget(self.device_label)
        self.ctx.status_message.connect(self._show_status)
        self.ctx.panel_requested.connect(self._on_panel_requested)
        self.ctx.project_requested.connect(self._on_project_requested)
        self.ctx.help_requested.connect(self.show_user_guide)
        self.ctx.device_changed.connect(self._on_device)
        self.ctx.dirty_changed.connect(self._update_title)
        self.ctx.project_changed.connect(self._update_title)
        self.ctx.run_finished.connect(self._autosave_after_run)

        self._build_menus()
        self._restore_settings()
        if self.settings.problem:
            QTimer.singleShot(0, lambda: self._show_status(self.settings.problem))
        self._update_title()

    # -- menus ---------------------------------------------------------------------------------
    def _action(self, text, slot, shortcut=None, icon=None) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            act.setIcon(self.style().standardIcon(icon))
        act.triggered.connect(slot)
        return act

    def _build_menus(self) -> None:
        mb = self.menuBar()
        fm = mb.addMenu("&File")
        SP = QStyle.StandardPixmap
        self.act_new = self._action("&New project", self.new_project, QKeySequence.StandardKey.New, SP.SP_FileIcon)
        self.act_open = self._action("&Open project…", self.open_project_dialog, QKeySequence.StandardKey.Open,
                                     SP.SP_DirOpenIcon)
        self.act_save = self._action("&Save project", self.save_project, QKeySequence.StandardKey.Save,
                                     SP.SP_DialogSaveButton)
        self.act_save_as = self._action("Save project &as…", self.save_project_as, "Ctrl+Shift+S")
        self.act_quit = self._action("&Quit", self.close, "Ctrl+Q")
        for a in (self.act_new, self.act_open):
            fm.addAction(a)
        self.recent_menu = fm.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        fm.addSeparator()
        fm.addAction(self.act_save)
        fm.addAction(self.act_save_as)
        fm.addSeparator()
        fm.addAction(self.act_quit)

        vm = mb.addMenu("&View")
        self.panel_actions: list[QAction] = []
        for i, slot in enumerate(self.slots):
            sc = f"Ctrl+{i + 1}" if i < 9 else None
            act = QAction(slot.title, self)
            if sc:
                act.setShortcut(QKeySequence(sc))
            act.setData(i)
            act.triggered.connect(self._on_panel_action)
            vm.addAction(act)
            self.panel_actions.append(act)

        hm = mb.addMenu("&Help")
        self.act_guide = self._action("&User guide", self.show_user_guide, QKeySequence.StandardKey.HelpContents)
        self.act_panel_help = self._action("Help on this &panel", self.show_current_panel_help, "Shift+F1")
        self.act_workflow = self._action("&Workflow guide (7 steps)", self.show_workflow_guide)
        for a in (self.act_guide, self.act_panel_help, self.act_workflow):
            hm.addAction(a)
        hm.addSeparator()
        hm.addAction(self._action("&About Workbench", self.show_about))
        self._fill_recent_menu()

    @Slot()
    def _on_panel_action(self) -> None:
        act = self.sender()
        if isinstance(act, QAction):
            self.show_panel(int(act.data()))

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.get("recent_projects", []) or []
        for p in recent:
            act = QAction(p, self)
            act.setData(p)
            act.triggered.connect(self._on_recent)
            self.recent_menu.addAction(act)
        if not recent:
            a = self.recent_menu.addAction("(none)")
            a.setEnabled(False)

    @Slot()
    def _on_recent(self) -> None:
        act = self.sender()
        if isinstance(act, QAction):
            self.open_project(act.data())

    # -- panels --------------------------------------------------------------------------------
    def panel_titles(self) -> list[str]:
        return [s.title for s in self.slots]

    def index_of(self, title: str) -> int:
        for i, s in enumerate(self.slots):
            if s.title == title:
                return i
        raise KeyError(title)

    def panel(self, title: str) -> Panel:
        """The panel with this title (built now if it was not yet)."""
        return self.slots[self.index_of(title)].ensure()

    def show_panel(self, index_or_title) -> Panel:
        i = index_or_title if isinstance(index_or_title, int) else self.index_of(index_or_title)
        self._started = True
        if self.nav.current_slot() == i:
            self._on_nav_changed(i)
        else:
            self.nav.set_current_slot(i)
        return self.slots[i].ensure()

    @Slot(str)
    def _on_project_requested(self, path: str) -> None:
        if path == "new":
            self.new_project()
        elif path:
            self.open_project(path)
        else:
            self.open_project_dialog()

    @Slot(str)
    def _on_panel_requested(self, title: str) -> None:
        title, _, part = title.partition("/")  # "Experiments/guide": a part of the panel
        if title in self.panel_titles():
            panel = self.show_panel(title)
            if part and hasattr(panel, "show_part"):
                panel.show_part(part)
        else:
            self._show_status(f"There is no {title} panel in this window.")

    @Slot(int)
    def _on_nav_changed(self, row: int) -> None:
        if row < 0 or not self._started:  # focus-in makes a row current before start(): not yet
            return
        slot = self.slots[row]
        panel = slot.ensure()
        self.stack.setCurrentIndex(row)
        try:
            panel.on_shown()
        except Exception as e:
            self._show_status(f"{slot.title}: {type(e).__name__}: {e}")

    # -- status / messages -----------------------------------------------------------------------
    @Slot(str)
    def _show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, 8000)

    @Slot(object)
    def _on_device(self, info) -> None:
        label = info.label() if hasattr(info, "label") else str(info)
        self.device_label.setText(f"Compute device: {label}")
        self.device_label.setToolTip(label)

    def message(self, title: str, text: str, icon=QMessageBox.Icon.Warning) -> QMessageBox:
        """Show a message box without blocking (tests read ``last_message_box``)."""
        box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.last_message_box = box
        box.open()
        return box

    def show_about(self) -> QMessageBox:
        vers = library_versions()
        rows = "".join(f"<tr><td>{k}</td><td>&nbsp;{v}</td></tr>" for k, v in vers.items())
        text = ("<h3>Workbench</h3><p>Train, check and demo deep-learning models offline.</p>"
                f"<table>{rows}</table><p>{platform.platform()}</p>")
        return self.message("About Workbench", text, QMessageBox.Icon.Information)

    # -- help ----------------------------------------------------------------------------------
    def help_window(self):
        from workbench.ui.help import HelpWindow

        if getattr(self, "_help", None) is None:
            self._help = HelpWindow(self)
        return self._help

    def show_user_guide(self, page: str = ""):
        """Open the user guide (built from docs/ on first use if set-up did not build it)."""
        win = self.help_window()
        win.open_page(page or "index.md")
        return win

    def show_panel_help(self, title: str):
        from workbench.ui.help import page_for_panel

        return self.show_user_guide(page_for_panel(title))

    def show_current_panel_help(self):
        return self.show_panel_help(self.current_title() or HOME)

    def show_workflow_guide(self) -> None:
        self.ctx.panel_requested.emit("Experiments/guide")

    def _update_title(self, *_):
        name = self.ctx.project_dir.name if self.ctx.project_dir else "untitled"
        self.setWindowTitle(f"Workbench — {name}{' *' if self.ctx.dirty else ''}")

    # -- projects --------------------------------------------------------------------------------
    def sync_state(self) -> None:
        """Every built panel writes what it shows into the project state (before a save)."""
        self.ctx.state.sections.view.current_panel = self.current_title()
        for s in self.slots:
            try:
                s.save_state()
            except Exception as e:
                self._show_status(f"{s.title}: could not save its state ({e})")

    def new_project(self) -> None:
        if any(getattr(s.panel, "busy", False) for s in self.slots if s.panel):
            self.message("Busy", "Stop the running job before starting a new project.")
            return
        for s in self.slots:
            if s.panel is not None:
                s.panel.shutdown()
                s.panel.unbind_state()
                s.layout().removeWidget(s.panel)
                s.panel.deleteLater()
                s.panel = None
            s.pending_load = False
        self.ctx.project = None
        self.ctx.project_dir = None
        self.ctx.state.clear()
        self.ctx.mark_dirty(False)
        self.ctx.project_changed.emit()
        self._on_nav_changed(self.nav.current_slot())
        self._show_status("New project")

    def save_project(self) -> bool:
        if self.ctx.project_dir is None:
            return self.save_project_as()
        return self.save_project_to(self.ctx.project_dir)

    def save_project_as(self) -> bool:
        start = self.settings.get("last_dir") or str(Path.home())
        d = QFileDialog.getExistingDirectory(self, "Save project in folder", start)
        if not d:
            return False
        return self.save_project_to(d)

    def save_project_to(self, path: str | Path) -> bool:
        from workbench.core.errors import WorkbenchError
        from workbench.ui import project_io

        path = Path(path)
        try:
            self.ctx.project_saving.emit(str(path))  # the case studies write their files first
            self.sync_state()
            self.ctx.project = project_io.save_project(path, self.ctx)
        except (WorkbenchError, OSError) as e:
            self.message("Could not save the project", str(e))
            return False
        self.ctx.project_dir = path
        self.settings.add_recent(path)
        self.settings["last_dir"] = str(path.parent)
        self._save_settings_quietly()
        self.ctx.mark_dirty(False)
        self.ctx.project_changed.emit()
        self._show_status(f"Project saved to {path}")
        return True

    def open_project_dialog(self) -> None:
        start = self.settings.get("last_dir") or str(Path.home())
        d = QFileDialog.getExistingDirectory(self, "Open project folder", start)
        if d:
            self.open_project(d)

    def reopen_last_project(self) -> bool:
        """At start: open the most recent project (setting "reopen_last_project", on by default).
        A missing or damaged one leaves the window empty and says why on the status line."""
        recent = self.settings.get("recent_projects") or []
        if not self.settings.get("reopen_last_project", True) or not recent or self.ctx.project_dir is not None:
            return False
        return self.open_project(recent[0], quiet=True)

    def open_project(self, path: str | Path, quiet: bool = False) -> bool:
        from workbench.core.errors import WorkbenchError
        from workbench.ui import project_io

        path = Path(path)
        def failed(text: str) -> bool:
            if quiet:
                self._show_status(f"The last project was not reopened: {text} Starting with an empty project.")
            else:
                self.message("Could not open the project", text)
            return False

        try:  # the whole file is read and checked before anything of the open project changes
            project = project_io.open_project(path)
        except (WorkbenchError, OSError) as e:
            if not Path(path).exists():
                self.settings.remove_recent(path)
            return failed(str(e))
        except Exception as e:  # anything else in a damaged file: say so, keep running
            return failed(f"{path} could not be read ({type(e).__name__}: {e}).")
        for s in self.slots:  # stop what runs before replacing the state under it
            if s.panel is not None:
                s.panel.shutdown()
        # Data, Model, Train are built first (building one puts its defaults into the state) and
        # restored first: later panels read what they put into the context.
        for s in self.slots:
            if s.panel is None and s.title in ("Data", "Model", "Train"):
                s.ensure()
        self.ctx.project = project
        self.ctx.project_dir = path
        self.ctx.state.load_sections(project.state)
        damaged = self.ctx.state.load_runs(path)
        for s in self.slots:  # from the file's state: restoring one panel may change the live one
            s.load_state(project.state)
        self.settings.add_recent(path)
        self.settings["last_dir"] = str(path.parent)
        self._save_settings_quietly()
        self.ctx.mark_dirty(False)
        self.ctx.project_changed.emit()
        cur = project.state.view.current_panel
        if cur in self.panel_titles() and not (quiet and HOME in self.panel_titles()):
            self.show_panel(cur)  # (reopened at start: the start page stays, showing where the project stands)
        self._show_status(f"Opened project {path}" + (
            f"; {len(damaged)} damaged run(s) left out: " + " ".join(d["error"] for d in damaged) if damaged else ""))
        return True

    @Slot(dict)
    def _autosave_after_run(self, run: dict) -> None:
        if self.ctx.project_dir is not None:
            self.save_project_to(self.ctx.project_dir)

    # -- settings --------------------------------------------------------------------------------
    def current_title(self) -> str:
        row = self.nav.current_slot()
        return self.slots[row].title if 0 <= row < len(self.slots) else ""

    def _restore_settings(self) -> None:
        geo = unb64(self.settings.get("geometry"))
        if geo is not None:
            self.restoreGeometry(geo)
            self.resize(self._fit_screen(self.width(), self.height()))  # remembered from a bigger screen
        st = unb64(self.settings.get("window_state"))
        if st is not None:
            self.restoreState(st)
        sp = unb64((self.settings.get("splitters") or {}).get("main"))
        if sp is not None:
            self.splitter.restoreState(sp)
        for s in self.slots:
            s.splitter_states = dict(self.settings.get("splitters") or {})
        # The start page is the first screen; a window without one opens the panel used last.
        self._initial_panel = HOME if HOME in self.panel_titles() else (self.settings.get("current_panel") or "Data")

    @staticmethod
    def _fit_screen(width: int, height: int) -> QSize:
        """The size, made no bigger than the screen's free area (a 1024x700 screen gets the whole
        window on it, status bar included, instead of a 1280x820 window cut at its edges)."""
        from PySide6.QtGui import QGuiApplication

        screen = QGuiApplication.primaryScreen()
        if screen is None:
            return QSize(width, height)
        free = screen.availableGeometry()
        return QSize(max(800, min(width, free.width())), max(560, min(height, free.height())))

    def start(self) -> None:
        """Call after show(): select the remembered panel and probe the device in the background."""
        title = getattr(self, "_initial_panel", "Data")
        idx = self.index_of(title) if title in self.panel_titles() else 0
        self._started = True
        if self.nav.current_slot() == idx:
            self._on_nav_changed(idx)
        else:
            self.nav.set_current_slot(idx)
        self.ctx.probe_device_async()

    def start_later(self) -> None:
        """Like ``start`` but after the first paint (used by the app for a fast first window).

        A zero timer can fire before the window's first paint under load; 50 ms lets the paint
        (a few ms) go first, and nobody notices 50 ms before the device probe starts."""
        QTimer.singleShot(50, self.start)

    def save_settings(self) -> None:
        self.settings["geometry"] = b64(self.saveGeometry())
        self.settings["window_state"] = b64(self.saveState())
        sp = dict(self.settings.get("splitters") or {})
        sp["main"] = b64(self.splitter.saveState())
        for s in self.slots:  # the splitters panels asked the window to remember
            for k, splitter in (getattr(s.panel, "remembered_splitters", None) or {}).items():
                try:
                    sp[f"{s.title}/{k}"] = b64(splitter.saveState())
                except RuntimeError:  # deleted with its panel
                    pass
        self.settings["splitters"] = sp
        if self.current_title():
            self.settings["current_panel"] = self.current_title()
        self.settings.save()

    def _save_settings_quietly(self) -> None:
        try:
            self.save_settings()
        except OSError as e:
            self._show_status(f"Could not save settings: {e}")

    # -- closing -------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop every panel's background work (idempotent)."""
        for s in self.slots:
            if s.panel is not None:
                try:
                    s.panel.shutdown()
                except Exception as e:  # keep closing the others
                    print(f"workbench: {s.title}.shutdown failed: {e}", file=sys.stderr)
        if getattr(self, "_help", None) is not None:
            self._help.shutdown()
        self.ctx.wait_device_probe(5.0)

    def closeEvent(self, event) -> None:
        if self.ask_before_close and self.ctx.dirty and not self._closed:
            ans = QMessageBox.question(
                self, "Unsaved changes", "Save the project before quitting?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel)
            if ans == QMessageBox.StandardButton.Cancel:
                event.ignore()
                return
            if ans == QMessageBox.StandardButton.Save and not self.save_project():
                event.ignore()
                return
        self._closed = True
        self._save_settings_quietly()
        self.shutdown()
        event.accept()
        super().closeEvent(event)
