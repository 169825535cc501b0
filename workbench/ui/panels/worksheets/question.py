"""The Worksheets panel's page for one question: the candidate answers as radio buttons (and, for a
question with parts, a name to pick for each term), Run / Stop / Export, progress, and after the
run each answer's score, chart and picture, the verdict and — only then — the right answer and why."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QFormLayout, QFrame, QGridLayout, QGroupBox, QHBoxLayout,
                               QLabel, QProgressBar, QPushButton, QRadioButton, QSizePolicy, QVBoxLayout, QWidget)

from workbench.ui.panels.experiments.charts import draw_chart
from workbench.ui.panels.experiments.lesson import OUTCOMES, RunControls
from workbench.ui.widgets import array_to_qimage

RIGHT_STYLE = "background:#edf7ee; border-left:4px solid #2ca02c; padding:6px;"
WRONG_STYLE = "background:#fff3ee; border-left:4px solid #d62728; padding:6px;"


def _label(text: str = "", selectable: bool = True) -> QLabel:
    lab = QLabel(text)
    lab.setWordWrap(True)
    if selectable:
        lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return lab


class AnswerCard(QFrame):
    """One answer's result: score over seeds, what happened, a chart and a picture. (A frame with a
    wrapping heading rather than a group box: a long answer's title would widen the page.)"""

    def __init__(self, answer: dict, metric: str, parent=None):
        super().__init__(parent)
        self.setObjectName("answerCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.key = answer["key"]
        self.label = answer["label"]
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 6)
        self.heading = _label(f"<b>{self.label}</b>")
        lay.addWidget(self.heading)
        spread = f" ± {answer['spread']:.2g}" if answer.get("spread") is not None else ""
        self.score = _label(f"<b>{metric}: {answer['mean']:.4g}{spread}</b> "
                            f"(per seed: {', '.join(f'{s:.3g}' for s in answer['scores'])}; "
                            f"{answer.get('seconds', 0):.1f} s per seed)")
        self.summary = _label(answer.get("summary", ""))
        lay.addWidget(self.score)
        lay.addWidget(self.summary)
        self.plot = None
        charts = answer.get("charts") or []
        if charts:
            self.plot = pg.PlotWidget()
            self.plot.setMinimumSize(160, 170)
            self.plot.setMaximumHeight(220)
            self.plot.showGrid(x=True, y=True, alpha=0.3)
            draw_chart(self.plot, charts[0])
            lay.addWidget(self.plot)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._images = list(answer.get("images") or [])
        if self._images:
            self.picture.setToolTip(self._images[0][0])
            lay.addWidget(self.picture)
        lay.addStretch(1)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().resizeEvent(event)
        self._show_picture()

    def _show_picture(self) -> None:
        if not self._images:
            return
        from PySide6.QtGui import QPixmap

        q = array_to_qimage(self._images[0][1])
        w = max(120, self.width() - 24)
        pm = QPixmap.fromImage(q)
        if pm.width() > w or pm.width() < w // 2:
            mode = (Qt.TransformationMode.FastTransformation if pm.width() < w // 2
                    else Qt.TransformationMode.SmoothTransformation)
            pm = pm.scaledToWidth(min(w, max(pm.width(), w)), mode)
        self.picture.setPixmap(pm)
        self.picture.setFixedHeight(pm.height())

    def title(self) -> str:
        return self.heading.text()

    def reveal(self, right: bool, chosen: bool) -> None:
        mark = " <span style='color:#2e7d32'>— the right answer</span>" if right else ""
        mine = " (your answer)" if chosen else ""
        self.heading.setText(f"<b>{self.label}</b>{mark}{mine}")
        self.setStyleSheet("QFrame#answerCard { border: 2px solid #2ca02c; }" if right else "")


class QuestionView(RunControls, QWidget):
    """Signals:
        answer_chosen(str)  the key of the answer the user picked
    """

    answer_chosen = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15px; font-weight: bold;")
        self.title.setWordWrap(True)
        lay.addWidget(self.title)
        self.answers_box = QGroupBox("Your answer")
        self.answers_lay = QVBoxLayout(self.answers_box)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        lay.addWidget(self.answers_box)
        self.parts_box = QGroupBox("Name each term of the loss")
        self.parts_form = QFormLayout(self.parts_box)
        self.parts_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        lay.addWidget(self.parts_box)
        row = QHBoxLayout()
        self.run_fast = QPushButton("Run (fast)")
        self.run_fast.setToolTip("Every answer trains on small data over 2 seeds: about a minute on a CPU.")
        self.run_full = QPushButton("Run (full)")
        self.run_full.setToolTip("More data and 3 seeds: several minutes on a CPU.")
        self.stop = QPushButton("Stop")
        self.stop.setEnabled(False)
        self.export = QPushButton("Export report…")
        self.export.setEnabled(False)
        for b in (self.run_fast, self.run_full, self.stop, self.export):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        prow = QHBoxLayout()
        self.progress = QProgressBar()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        prow.addWidget(self.progress, 2)
        prow.addWidget(self.status, 3)
        lay.addLayout(prow)
        self.choice = _label()
        self.verdict = _label()
        lay.addWidget(self.choice)
        lay.addWidget(self.verdict)
        self.why = _label()
        lay.addWidget(self.why)
        self.cards_box = QWidget()
        self.cards = QGridLayout(self.cards_box)
        self.cards.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.cards_box)
        lay.addStretch(1)
        self.part_choices: dict[str, QComboBox] = {}
        self.answer_cards: list[AnswerCard] = []
        self.group.idClicked.connect(lambda i: self.answer_chosen.emit(self._keys[i]))
        self._keys: list[str] = []

    # -- the question ---------------------------------------------------------------------------
    def show_question(self, q: dict) -> None:
        """``q``: {"id", "topic", "text", "answers": [{"key", "label"}], "parts": [{"id", "text", "answers"}]}."""
        self.title.setText(f"{q['topic']}: {q['text']}")
        for b in self.group.buttons():
            self.group.removeButton(b)
            b.setParent(None)
            b.deleteLater()
        self._keys = [a["key"] for a in q["answers"]]
        for i, a in enumerate(q["answers"]):
            rb = QRadioButton(a["label"])
            rb.setObjectName(f"answer-{a['key']}")
            self.group.addButton(rb, i)
            self.answers_lay.addWidget(rb)
        while self.parts_form.rowCount():
            self.parts_form.removeRow(0)
        self.part_choices = {}
        for p in q.get("parts") or []:
            combo = QComboBox()
            combo.setObjectName(f"part-{p['id']}")
            combo.addItem("— name this term —", "")
            for a in p["answers"]:
                combo.addItem(a["label"], a["key"])
            term = _label(f"<tt>{p['text']}</tt>")
            term.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
            self.parts_form.addRow(term, combo)
            self.part_choices[p["id"]] = combo
        self.parts_box.setVisible(bool(q.get("parts")))
        self.set_result(None)

    def chosen(self) -> str | None:
        i = self.group.checkedId()
        return self._keys[i] if 0 <= i < len(self._keys) else None

    def choose(self, key: str) -> None:
        if key in self._keys:
            self.group.button(self._keys.index(key)).setChecked(True)

    def chosen_parts(self) -> dict[str, str]:
        return {pid: c.currentData() for pid, c in self.part_choices.items() if c.currentData()}

    def show_failure(self, msg: str) -> None:
        self.status.setText("failed")
        self.verdict.setText(f"<b>The run failed:</b> {msg}")
        self.verdict.setStyleSheet(WRONG_STYLE)

    # -- the result -------------------------------------------------------------------------------
    def set_result(self, r: dict | None) -> None:
        """``r``: a QuestionResult's dict plus "images": {answer key: [(title, image)]} and "choice_text"."""
        for c in self.answer_cards:
            self.cards.removeWidget(c)
            c.setParent(None)
            c.deleteLater()
        self.answer_cards = []
        self.export.setEnabled(r is not None)
        if r is None:
            self.choice.setText("Pick an answer, then press Run: every answer is tried on the study's own data and "
                                "the runs show which one works. The right answer is revealed after the run.")
            self.choice.setStyleSheet("color:#555; padding:6px;")
            self.verdict.setText("")
            self.verdict.setStyleSheet("")
            self.why.setText("")
            return
        right = r.get("choice_right")
        self.choice.setText(r.get("choice_text", ""))
        self.choice.setStyleSheet(RIGHT_STYLE if right else WRONG_STYLE if right is False else "")
        head, style = OUTCOMES.get(r["outcome"], OUTCOMES["inconclusive"])
        self.verdict.setText(f"<b>{head}</b> {r.get('conclusion', '')}")
        self.verdict.setStyleSheet(style)
        images = r.get("images") or {}
        cols = 2
        for i, a in enumerate(r["answers"]):
            card = AnswerCard({**a, "images": images.get(a["key"], [])}, r["metric"])
            card.reveal(a["correct"], a["key"] == r.get("chosen"))
            self.cards.addWidget(card, i // cols, i % cols)
            self.answer_cards.append(card)
        parts = "".join(f"<li><tt>{p['text']}</tt>: {'right' if p.get('right') else 'not quite' if p.get('right') is False else 'not named'}"
                        f" — it is the <b>{', '.join(p.get('correct_labels') or p['correct'])}</b> term</li>"
                        for p in r.get("parts") or [])
        self.why.setText("<b>Why:</b> " + r.get("explanation", "") + (f"<ul>{parts}</ul>" if parts else ""))
