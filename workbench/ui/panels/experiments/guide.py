"""The Experiments panel's workflow guide: the seven steps of a project, each checked against the
project's actual state (``core.experiments.guide.check_steps``), with the user's own answers and
chosen measure of success kept in ``ctx.guide``."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea,
                               QVBoxLayout, QWidget)

INTRO = ("The seven steps of a deep-learning project. Each step is checked against your project: the data you "
         "loaded, your split, your runs. Click a step's button to go to the panel that does it.")


class GuideView(QWidget):
    """Signals:
        scale_up_requested()  the "Scale up until it overfits" button was pressed
    """

    scale_up_requested = Signal()

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        scroll = QScrollArea()  # seven steps with their notes do not fit a small screen: they scroll
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        outer.addWidget(scroll)
        page = QWidget()
        scroll.setWidget(page)
        lay = QVBoxLayout(page)
        t = QLabel("Workflow guide")
        t.setStyleSheet("font-size: 16px; font-weight: bold;")
        lay.addWidget(t)
        intro = QLabel(INTRO)
        intro.setWordWrap(True)
        lay.addWidget(intro)
        brow = QHBoxLayout()
        self.refresh_btn = QPushButton("Check my project again")
        self.scale_btn = QPushButton("Scale up until it overfits")
        self.scale_btn.setToolTip("Train the current model; while no overfitting is seen, double its size and train "
                                  "longer (up to 4 runs). Every run lands in the run history.")
        brow.addWidget(self.refresh_btn)
        brow.addWidget(self.scale_btn)
        brow.addStretch(1)
        lay.addLayout(brow)
        self.scale_status = QLabel("")
        self.scale_status.setWordWrap(True)
        lay.addWidget(self.scale_status)
        self.steps_box = QVBoxLayout()
        lay.addLayout(self.steps_box)
        lay.addStretch(1)
        self.refresh_btn.clicked.connect(self.refresh)
        self.scale_btn.clicked.connect(self.scale_up_requested)
        self._rows: list[QWidget] = []

    def refresh(self) -> None:
        from workbench.core.experiments.guide import QUESTIONS, check_steps, state_from_context, success_measures

        for w in self._rows:
            w.setParent(None)
            w.deleteLater()
        self._rows = []
        answers, metric = self.ctx.guide.get("answers") or {}, self.ctx.guide.get("metric") or ""
        for st in check_steps(state_from_context(self.ctx)):
            row = QWidget()
            outer = QVBoxLayout(row)
            outer.setContentsMargins(0, 4, 0, 4)
            h = QHBoxLayout()
            lbl = QLabel(f"<b>{'✔' if st.done else '•'} {st.number}. {st.title}</b><br>{st.message}")
            lbl.setWordWrap(True)
            lbl.setStyleSheet("color:#1b6e20;" if st.done else "")
            h.addWidget(lbl, 1)
            if st.panel:
                b = QPushButton(f"Go to {st.panel}")
                b.setProperty("panel_title", st.panel)
                b.clicked.connect(self._go_to_panel)
                h.addWidget(b)
            outer.addLayout(h)
            # the user's own answer to the step's question, kept in the project
            a = QHBoxLayout()
            if st.number == 2:
                combo = QComboBox()
                combo.addItems([""] + success_measures())
                combo.setCurrentText(metric)
                combo.currentTextChanged.connect(self._on_metric_chosen)
                a.addWidget(QLabel("My measure of success:"))
                a.addWidget(combo)
            edit = QLineEdit(answers.get(str(st.number), ""))
            edit.setPlaceholderText(QUESTIONS.get(st.number, "Your notes for this step"))
            edit.setProperty("step", st.number)
            edit.editingFinished.connect(self._on_answer_edited)
            a.addWidget(edit, 1)
            outer.addLayout(a)
            self.steps_box.addWidget(row)
            self._rows.append(row)

    @Slot()
    def _go_to_panel(self) -> None:
        self.ctx.panel_requested.emit(self.sender().property("panel_title"))

    @Slot(str)
    def _on_metric_chosen(self, text: str) -> None:
        self.ctx.set_guide(metric=text)
        QTimer.singleShot(0, self.refresh)  # not while the combo that sent this is being deleted

    @Slot()
    def _on_answer_edited(self) -> None:
        edit = self.sender()
        step, text = str(edit.property("step")), edit.text().strip()
        answers = dict(self.ctx.guide.get("answers") or {})
        if answers.get(step, "") != text:
            answers[step] = text
            self.ctx.set_guide(answers=answers)
