"""The start page: the five workflow steps with where the project stands on each
(``workbench.core.journey``), built-in data sets one click away, recent projects, and the case
studies and lessons as cards. Everything here is cheap to build: it is the first screen."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QFrame, QGridLayout, QHBoxLayout, QLabel, QPushButton, QScrollArea, QSizePolicy,
                               QToolButton, QVBoxLayout, QWidget)

from workbench.ui.job_runner import JobRunner
from workbench.ui.navigation import icon
from workbench.ui.panels.base import Panel
from workbench.ui.panels.home.cards import Card, FlowLayout, StepCard

# One line per case study (panels of the "Case studies" group); a panel not listed shows its title.
CASE_LINES = {
    "Day & Night": "Tell day from night in photos; check it on your camera or your own folders.",
    "Faces": "Detect, enrol and recognise faces; verify, identify and cluster.",
    "Trigger word": "Hear one word in a stream of speech, from clips a neural voice makes.",
    "Style transfer": "Paint a photo in the style of another picture with a pretrained network.",
    "Detection": "Find and box objects with the YOLO loss; segment them pixel by pixel.",
    "Reinforcement learning": "An agent learns from rewards while you watch it play.",
    "Sequences & Shots": "Captions, syntax trees, and classes seen zero times or once.",
}
KIND_ICONS = {"image": "mdi6.image-multiple-outline", "text": "mdi6.text-box-outline", "table": "mdi6.table-large",
              "audio": "mdi6.waveform", "sound": "mdi6.waveform"}
LESSON_ICONS = ["mdi6.tune-variant", "mdi6.help-rhombus-outline", "mdi6.alphabetical-variant", "mdi6.clock-outline",
                "mdi6.shuffle-variant", "mdi6.eye-check-outline", "mdi6.timeline-clock-outline",
                "mdi6.content-duplicate", "mdi6.resize", "mdi6.weight", "mdi6.dots-hexagon", "mdi6.function-variant",
                "mdi6.vector-point", "mdi6.arrow-collapse-horizontal", "mdi6.select-group"]
MAX_RECENT_SHOWN = 6


def read_catalogue() -> dict:
    """The built-in data sets and the lessons, as plain data (run on a worker thread)."""
    from workbench.core.data.builtins import list_builtins
    from workbench.core.experiments import list_experiments
    from workbench.core.worksheets import list_worksheets

    return {"builtins": [dict(b) for b in list_builtins()],
            "lessons": [{"name": e.name, "number": e.number, "title": e.title, "claim": e.claim}
                        for e in list_experiments()],
            "worksheets": [{"id": w.id, "title": w.title, "topics": [q.topic for q in w.questions]}
                           for w in list_worksheets()]}


def card_picture(key: str) -> QPixmap | None:
    """The card's picture from the bundled resources (made by ``scripts/make_cards.py``)."""
    from workbench.resources import resource_path

    path = resource_path("cards", f"{key}.png")
    return QPixmap(str(path)) if path.is_file() else None


def _section(title: str) -> QLabel:
    lab = QLabel(title)
    lab.setStyleSheet("font-size: 12pt; font-weight: 600; margin-top: 6px;")
    return lab


class HomePanel(Panel):
    title = "Home"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(scroll)
        page = QWidget()
        scroll.setWidget(page)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(16, 12, 16, 16)
        lay.setSpacing(8)

        head = QHBoxLayout()
        title = QLabel("<span style='font-size:18pt; font-weight:600'>Workbench</span><br>"
                       "Train, check and use deep-learning models on your own data, offline.")
        title.setWordWrap(True)
        head.addWidget(title, 1)
        self.new_btn = self._tool("New project", "mdi6.file-outline", lambda: self.ctx.project_requested.emit("new"))
        self.open_btn = self._tool("Open project…", "mdi6.folder-open-outline",
                                   lambda: self.ctx.project_requested.emit(""))
        self.guide_btn = self._tool("User guide", "mdi6.book-open-page-variant-outline",
                                    lambda: self.ctx.help_requested.emit(""))
        self.workflow_btn = self._tool("Workflow guide", "mdi6.format-list-checks",
                                       lambda: self.ctx.panel_requested.emit("Experiments/guide"))
        self.workflow_btn.setToolTip("The seven steps of a deep-learning project, each checked against your project")
        for b in (self.new_btn, self.open_btn, self.guide_btn, self.workflow_btn):
            head.addWidget(b)
        lay.addLayout(head)

        lay.addWidget(_section("Your project"))
        steps_row = QHBoxLayout()
        steps_row.setSpacing(6)
        self.step_cards: list[StepCard] = []
        for i in range(5):
            if i:
                arrow = QLabel("→")
                arrow.setStyleSheet("color: palette(mid); font-size: 14pt;")
                steps_row.addWidget(arrow)
            card = StepCard()
            card.clicked.connect(self._go)
            self.step_cards.append(card)
            steps_row.addWidget(card, 1)
        lay.addLayout(steps_row)

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.addWidget(_section("Start with a built-in data set"), 0, 0)
        grid.addWidget(_section("Recent projects"), 0, 1)
        builtins = QWidget()
        self.builtin_flow = FlowLayout(builtins, spacing=6)
        self.builtin_buttons: dict[str, QToolButton] = {}
        grid.addWidget(builtins, 1, 0, Qt.AlignmentFlag.AlignTop)
        self.recent_box = QVBoxLayout()
        self.recent_box.setSpacing(2)
        recent = QWidget()
        recent.setLayout(self.recent_box)
        recent.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # wraps to its column
        grid.addWidget(recent, 1, 1, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(1, 2)
        lay.addLayout(grid)

        lay.addWidget(_section("Case studies"))
        self.case_cards = self._cards(self._case_studies())
        lay.addWidget(self.case_cards)
        lay.addWidget(_section("Worksheets: the course's design questions, answered by experiment"))
        self.worksheet_cards = self._cards([], picture_h=52)
        lay.addWidget(self.worksheet_cards)
        lay.addWidget(_section("Lessons: one question, one experiment, a computed answer"))
        self.lesson_cards = self._cards([], picture_h=52)
        lay.addWidget(self.lesson_cards)
        lay.addStretch(1)
        # The built-in sets and the lessons come from core modules that import numpy and more:
        # read on a worker thread, so the page shows (and works) at once and they appear after.
        self.jobs = JobRunner(self)
        self.jobs.start(read_catalogue, on_result=self._fill_catalogue, label="Reading the built-in sets and lessons")

        for sig in (ctx.dataset_changed, ctx.model_changed, ctx.runs_reset, ctx.run_finished):
            sig.connect(self.refresh)
        ctx.project_changed.connect(self.refresh)
        self.refresh()

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.refresh()  # what happened elsewhere since (an export) shows when the user comes back

    # -- building ----------------------------------------------------------------------------------
    def _tool(self, text: str, icon_name: str, slot) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        b.setIcon(icon(icon_name))
        b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        b.setAutoRaise(True)
        b.clicked.connect(slot)
        return b

    def _fill_catalogue(self, catalogue: dict) -> None:
        self._fill_builtins(catalogue["builtins"])
        for item in self._lessons(catalogue["lessons"]):
            self._add_card(self.lesson_cards, item, picture_h=52)
        for w in catalogue.get("worksheets", []):
            n = len(w["topics"])
            line = f"{n} question{'s' if n != 1 else ''}: " + ", ".join(t + "?" for t in dict.fromkeys(w["topics"]))
            self._add_card(self.worksheet_cards, (f"worksheet:{w['id']}", w["title"], line, None,
                                                  icon("mdi6.clipboard-check-outline", "#607d8b"),
                                                  "Pick an answer, run every candidate, see which one works"),
                           picture_h=52)

    def _fill_builtins(self, builtins: list[dict]) -> None:
        for b in builtins:
            btn = QToolButton()
            btn.setText(b["name"])
            btn.setIcon(icon(KIND_ICONS.get(b["kind"], "mdi6.database-outline")))
            btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            btn.setToolTip(f"{b['description']}\nClick to load it in the Data panel.")
            btn.setObjectName(f"builtin-{b['name']}")
            btn.setMinimumWidth(96)
            btn.clicked.connect(lambda _=False, name=b["name"]: self.load_builtin(name))
            self.builtin_flow.addWidget(btn)
            self.builtin_buttons[b["name"]] = btn

    def _case_studies(self) -> list[tuple]:
        from workbench.ui.panels import panel_slug, panel_specs

        return [(f"panel:{s.title}", s.title, CASE_LINES.get(s.title, f"The {s.title} case study."),
                 card_picture(panel_slug(s.title)), icon(s.icon, "#607d8b"), "")
                for s in panel_specs() if s.group == "Case studies"]

    def _lessons(self, lessons: list[dict]) -> list[tuple]:
        out = []
        for i, e in enumerate(lessons):
            claim = (e["claim"][:1].upper() + e["claim"][1:]).rstrip(".") + "?"
            line = claim if len(claim) <= 90 else claim[:87].rsplit(" ", 1)[0] + "…?"
            out.append((f"lesson:{e['name']}", f"{e['number']}. {e['title']}", line, card_picture(f"lesson-{e['name']}"),
                        icon(LESSON_ICONS[i % len(LESSON_ICONS)], "#607d8b"), f"Does it hold? {claim}"))
        return out

    def _cards(self, items: list[tuple], picture_h: int = 110) -> QWidget:
        box = QWidget()
        box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        FlowLayout(box)
        box.cards = []
        for item in items:
            self._add_card(box, item, picture_h)
        return box

    def _add_card(self, box: QWidget, item: tuple, picture_h: int) -> None:
        key, title, line, picture, ic, tip = item
        card = Card(key, title, line, picture, ic, tip, picture_h=picture_h)
        card.clicked.connect(self._open_card)
        box.layout().addWidget(card)
        box.cards.append(card)

    # -- state -------------------------------------------------------------------------------------
    @Slot()
    def refresh(self, *_) -> None:
        from workbench.core.journey import journey_steps

        for i, (card, step) in enumerate(zip(self.step_cards, journey_steps(self.ctx.state))):
            card.show_step(step, i + 1)
        self._fill_recent()

    def _recent_projects(self) -> list[str]:
        win = self.window()
        settings = getattr(win, "settings", None)
        return list((settings.get("recent_projects", []) if settings is not None else []) or [])

    def _fill_recent(self) -> None:
        while self.recent_box.count():
            w = self.recent_box.takeAt(0).widget()
            if w is not None:
                w.setParent(None)  # gone now, not at the next event loop turn (a grab would show both)
                w.deleteLater()
        recent = self._recent_projects()[:MAX_RECENT_SHOWN]
        if not recent:
            lab = QLabel("None yet: your saved projects will be listed here.")
            lab.setWordWrap(True)
            self.recent_box.addWidget(lab)
        for path in recent:
            b = QPushButton(icon("mdi6.folder-outline"), Path(path).name or path)
            b.setFlat(True)
            b.setStyleSheet("text-align: left; padding: 2px 4px;")
            b.setToolTip(path)
            b.clicked.connect(lambda _=False, p=path: self.ctx.project_requested.emit(p))
            self.recent_box.addWidget(b)

    def on_shown(self) -> None:
        self.refresh()

    def shutdown(self) -> None:
        self.jobs.shutdown()

    # -- actions -----------------------------------------------------------------------------------
    @Slot(str)
    def _go(self, panel: str) -> None:
        if panel:
            self.ctx.panel_requested.emit(panel)

    def load_builtin(self, name: str) -> None:
        """Go to the Data panel and load this built-in set there."""
        self.ctx.panel_requested.emit("Data")
        self.ctx.data_requested.emit({"source": f"builtin:{name}"})

    @Slot(str)
    def _open_card(self, key: str) -> None:
        what, _, name = key.partition(":")
        if what == "panel":
            self.ctx.panel_requested.emit(name)
        elif what == "lesson":
            self.ctx.panel_requested.emit(f"Experiments/{name}")
        elif what == "worksheet":
            self.ctx.panel_requested.emit(f"Worksheets/{name}")
