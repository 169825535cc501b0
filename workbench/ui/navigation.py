"""The main window's navigation: panels listed by group with an icon each, and the page that holds a
panel (built the first time it is shown) under a title row with the panel's "?" help button."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QToolButton, QVBoxLayout,
                               QWidget)

from workbench.ui.context import AppContext
from workbench.ui.panels import GROUPS, PanelSpec, create_panel
from workbench.ui.panels.base import Panel
from workbench.ui.settings import unb64

SLOT_ROLE = Qt.ItemDataRole.UserRole


def icon(name: str, color: str | None = None):
    """A qtawesome icon by name (an empty icon if the name or the font is missing)."""
    from PySide6.QtGui import QIcon

    try:
        import qtawesome

        return qtawesome.icon(name, color=color) if color else qtawesome.icon(name)
    except Exception:  # an unknown name must not stop the window from opening
        return QIcon()


class NavigationList(QListWidget):
    """Panels under their group's heading (headings cannot be selected).

    Signals:
        slot_selected(int)  the index (in the specs' order) of the panel the user picked
    """

    slot_selected = Signal(int)

    def __init__(self, specs: list[PanelSpec], parent=None):
        super().__init__(parent)
        self.setObjectName("navigation")
        self.setMinimumWidth(160)
        self.setMaximumWidth(240)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setIconSize(QSize(18, 18))
        self.setStyleSheet("QListWidget#navigation { font-size: 11pt; }"
                           "QListWidget#navigation::item { padding: 5px 8px; }")
        self.rows: dict[int, int] = {}  # slot index -> row
        groups = [g for g in list(GROUPS) + sorted({s.group for s in specs} - set(GROUPS))
                  if any(s.group == g for s in specs)]
        bold = QFont(self.font())
        bold.setBold(True)
        bold.setPointSizeF(max(7.0, bold.pointSizeF() * 0.85))
        for group in groups:
            members = [(i, s) for i, s in enumerate(specs) if s.group == group]
            if len(groups) > 1:
                head = QListWidgetItem(group.upper(), self)
                head.setFlags(Qt.ItemFlag.NoItemFlags)
                head.setFont(bold)
                head.setData(SLOT_ROLE, None)
            for i, s in members:
                item = QListWidgetItem(icon(s.icon), s.title, self)
                item.setData(SLOT_ROLE, i)
                item.setToolTip(s.title)
                self.rows[i] = self.row(item)
        self.setCurrentRow(-1)
        self.currentRowChanged.connect(self._on_row)
        # wide enough for the longest title ("Reinforcement learning"), never cut to "Reinforceme…"
        self.setMinimumWidth(min(260, max(160, self.sizeHintForColumn(0) + 2 * self.frameWidth() + 8)))
        self.setMaximumWidth(max(self.maximumWidth(), self.minimumWidth()))

    def slot_at(self, row: int) -> int:
        it = self.item(row) if row >= 0 else None
        v = it.data(SLOT_ROLE) if it is not None else None
        return -1 if v is None else int(v)

    def current_slot(self) -> int:
        return self.slot_at(self.currentRow())

    def set_current_slot(self, index: int) -> None:
        self.setCurrentRow(self.rows.get(index, -1))

    @Slot(int)
    def _on_row(self, row: int) -> None:
        i = self.slot_at(row)
        if i >= 0:
            self.slot_selected.emit(i)


class PanelSlot(QWidget):
    """A page of the stack that builds its panel the first time it is needed, under a title row
    (the panel's icon and title, and a "?" that opens its page of the user guide).

    Signals:
        help_requested(str)  the "?" was pressed: the panel's title
    """

    help_requested = Signal(str)

    def __init__(self, spec: PanelSpec, ctx: AppContext, parent=None, title_row: bool = True):
        super().__init__(parent)
        self.spec = spec
        self.title = spec.title
        self.target = spec.target
        self.ctx = ctx
        self.panel: Panel | None = None
        self.pending_load = False  # a project was opened: show its state when the panel is built
        self.splitter_states: dict = {}  # "<title>/<name>" -> base64 state from the settings
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.help_btn: QToolButton | None = None
        if title_row:
            row = QHBoxLayout()
            row.setContentsMargins(10, 4, 6, 0)
            pic = QLabel()
            pic.setPixmap(icon(spec.icon).pixmap(QSize(20, 20)))
            name = QLabel(spec.title)
            name.setObjectName("panelTitle")
            name.setStyleSheet("QLabel#panelTitle { font-size: 13pt; font-weight: 600; }")
            self.help_btn = QToolButton()
            self.help_btn.setText("?")
            self.help_btn.setIcon(icon("mdi6.help-circle-outline"))
            self.help_btn.setIconSize(QSize(20, 20))
            self.help_btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
            self.help_btn.setToolTip(f"Open the user guide's page on the {spec.title} panel")
            self.help_btn.setAutoRaise(True)
            self.help_btn.clicked.connect(lambda: self.help_requested.emit(self.title))
            row.addWidget(pic)
            row.addWidget(name)
            row.addStretch(1)
            self.questions_btn: QToolButton | None = None
            if spec.group == "Case studies":  # the study's worksheet: the course's questions on it
                study = spec.target.partition(":")[0].split(".")[3] if spec.target.count(".") >= 3 else ""
                self.questions_btn = QToolButton()
                self.questions_btn.setText("Questions for this study")
                self.questions_btn.setIcon(icon("mdi6.clipboard-check-outline"))
                self.questions_btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
                self.questions_btn.setAutoRaise(True)
                self.questions_btn.setObjectName("questions-for-study")
                self.questions_btn.setToolTip("The course's design questions on this case study, answered by experiment "
                                              "(the Worksheets panel)")
                self.questions_btn.clicked.connect(lambda: ctx.panel_requested.emit(f"Worksheets/{study}"))
                row.addWidget(self.questions_btn)
            row.addWidget(self.help_btn)
            lay.addLayout(row)

    def ensure(self) -> Panel:
        if self.panel is None:
            self.panel = create_panel(self.title, self.target, self.ctx, self)
            self.layout().addWidget(self.panel, 1)
            self.panel.bind_state()  # its widgets and its sections of the project state stay the same
            if self.splitter_states:
                # After the first layout pass: restored into an unsized panel the sizes get squeezed.
                QTimer.singleShot(0, self, self._restore_splitters)  # dropped if this page is gone
            if self.pending_load:
                self.load_state()
            else:  # what a new panel shows goes into the state (not an unsaved change)
                dirty = self.ctx.dirty
                self.panel.push_state()
                self.ctx.mark_dirty(dirty)
        return self.panel

    def _restore_splitters(self) -> None:
        if self.panel is None:
            return
        for k, splitter in (getattr(self.panel, "remembered_splitters", None) or {}).items():
            st = unb64(self.splitter_states.get(f"{self.title}/{k}"))
            if st is not None:
                try:
                    splitter.restoreState(st)
                except RuntimeError:  # the panel was replaced (New project) meanwhile
                    pass

    def load_state(self, sections=None) -> None:
        """Show the project state (``sections``, else the live one) in the panel now, or the live
        state when the panel is first built."""
        if self.panel is None:
            self.pending_load = True
            return
        self.pending_load = False
        dirty = self.ctx.dirty
        try:
            with self.panel.applying_state():
                self.panel.load_state(sections if sections is not None else self.ctx.state.sections)
        except Exception as e:  # a panel bug must not stop a project from opening
            self.ctx.status(f"{self.title}: could not restore its state ({type(e).__name__}: {e})")
        self.ctx.mark_dirty(dirty)  # showing what the project holds is not a change

    def save_state(self) -> None:
        """Write what the panel shows into the project state (nothing when it was never built)."""
        if self.panel is not None:
            self.panel.save_state(self.ctx.state.sections)


class BusySign(QWidget):
    """The status bar's busy sign: a moving bar and what runs ("Training", "+2 more"), shown while
    any panel's job runs (``workbench.ui.job_runner.JobActivity``), hidden otherwise."""

    def __init__(self, parent=None):
        from PySide6.QtWidgets import QProgressBar

        from workbench.ui.job_runner import JobActivity

        super().__init__(parent)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 6, 0)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # moving
        self.bar.setTextVisible(False)
        self.bar.setFixedSize(70, 12)
        self.label = QLabel("")
        row.addWidget(self.bar)
        row.addWidget(self.label)
        self.hide()
        JobActivity.instance().changed.connect(self.show_jobs)

    @Slot(int, str)
    def show_jobs(self, count: int, label: str) -> None:
        from workbench.ui.job_runner import JobActivity

        self.label.setText(label + (f" (+{count - 1} more)" if count > 1 else "") + "…")
        self.setToolTip("Running: " + ", ".join(JobActivity.instance().labels))
        self.setVisible(count > 0)
