"""The Experiments panel's page for one lesson: its explanation, Run / Stop / Export, progress,
the conclusion computed from the runs, and three tabs (result charts, the live training, figures)."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from workbench.ui.panels.experiments.charts import draw_chart
from workbench.ui.widgets import color

CONTRADICTS_STYLE = "background:#fff3ee; border-left:4px solid #d62728; padding:6px;"
# a lesson's outcome -> the conclusion's heading and colours
OUTCOMES = {
    "agrees": ("Conclusion from these runs:", "background:#eef6ff; border-left:4px solid #1f77b4; padding:6px;"),
    "contradicts": ("These runs contradict the lesson:", CONTRADICTS_STYLE),
    "inconclusive": ("Inconclusive: the effect is within the runs' noise:",
                     "background:#f6f6f6; border-left:4px solid #999999; padding:6px;"),
}


def two_lines(label: str, longest: int = 12) -> str:
    """A long column name on two lines of about the same length."""
    words = label.split(" ")
    if len(label) <= longest or len(words) < 2:
        return label
    cut = min(range(1, len(words)), key=lambda k: abs(len(" ".join(words[:k])) - len(" ".join(words[k:]))))
    return " ".join(words[:cut]) + "\n" + " ".join(words[cut:])


def _selectable(text: str = "") -> QLabel:
    lab = QLabel(text)
    lab.setWordWrap(True)
    lab.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return lab


class RunControls:
    """The Run fast / Run full / Stop buttons, the progress bar and the status line of a view that
    runs a lesson or a worksheet question (the view makes the widgets of those names)."""

    def set_running(self, running: bool, this_one: bool) -> None:
        self.run_fast.setEnabled(not running)
        self.run_full.setEnabled(not running)
        self.stop.setEnabled(running and this_one)

    def show_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)
        self.status.setText(text)


class ExperimentView(RunControls, QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 16px; font-weight: bold;")
        self.explanation = _selectable()
        lay.addWidget(self.title)
        lay.addWidget(self.explanation)
        row = QHBoxLayout()
        self.run_fast = QPushButton("Run (fast)")
        self.run_fast.setToolTip("Small data, 2 seeds: seconds to a few minutes on a CPU; the verdict weighs the "
                                 "seeds' spread.")
        self.run_full = QPushButton("Run (full)")
        self.run_full.setToolTip("Larger data, 3 seeds, closer to the published set-ups: minutes to tens of "
                                 "minutes on a CPU.")
        self.stop = QPushButton("Stop")
        self.export = QPushButton("Export report…")
        self.stop.setEnabled(False)
        self.export.setEnabled(False)
        for b in (self.run_fast, self.run_full, self.stop, self.export):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        prow = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.status = QLabel("")
        prow.addWidget(self.progress, 2)
        prow.addWidget(self.status, 3)
        lay.addLayout(prow)
        self.conclusion = _selectable()
        lay.addWidget(self.conclusion)
        self.tabs = QTabWidget()
        charts = QWidget()
        cl = QVBoxLayout(charts)
        top = QHBoxLayout()
        top.addWidget(QLabel("Chart:"))
        self.chart_choice = QComboBox()
        top.addWidget(self.chart_choice, 1)
        cl.addLayout(top)
        self.result_plot = pg.PlotWidget()
        self.result_plot.showGrid(x=True, y=True, alpha=0.3)
        cl.addWidget(self.result_plot, 1)
        self.tabs.addTab(charts, "Results")
        self.live_plot = pg.PlotWidget(title="Current training run (loss per epoch)")
        self.live_plot.showGrid(x=True, y=True, alpha=0.3)
        self.live_plot.addLegend(offset=(-10, 10))
        self.live_train = self.live_plot.plot([], [], pen=pg.mkPen(color(0), width=2), name="training loss")
        self.live_val = self.live_plot.plot([], [], pen=pg.mkPen(color(1), width=2), name="validation loss")
        self.live_batch = self.live_plot.plot([], [], pen=pg.mkPen("#aaaaaa", width=1), name="batch loss (smoothed)")
        self.tabs.addTab(self.live_plot, "Live training")
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)  # row numbers say nothing here
        self.tabs.addTab(self.table, "Figures")
        lay.addWidget(self.tabs, 1)
        self.chart_choice.currentIndexChanged.connect(self._show_chart)
        self._charts: list[dict] = []

    def show_experiment(self, exp, result: dict | None) -> None:
        self.title.setText(f"{exp.number}. {exp.title}")
        self.explanation.setText(exp.explanation.replace("\n", " "))
        self.set_result(result)

    def show_live(self, buffer) -> None:
        """The training run in progress (a TrainingBuffer)."""
        self.live_train.setData(*buffer.series("loss"))
        self.live_val.setData(*buffer.series("val_loss"))
        xs, ys = buffer.batch_x, buffer.batch_smooth
        step = max(1, len(xs) // 2000)  # downsample long batch traces
        self.live_batch.setData(xs[::step], ys[::step])

    def set_charts(self, charts: list[dict]) -> None:
        self._charts = list(charts)
        self.chart_choice.blockSignals(True)
        self.chart_choice.clear()
        self.chart_choice.addItems([c.get("title", "chart") for c in self._charts])
        self.chart_choice.blockSignals(False)
        if self._charts:
            self.chart_choice.setCurrentIndex(len(self._charts) - 1)
            self._show_chart(len(self._charts) - 1)
        else:
            self.result_plot.clear()

    @Slot(int)
    def _show_chart(self, i: int) -> None:
        if 0 <= i < len(self._charts):
            draw_chart(self.result_plot, self._charts[i])

    def show_failure(self, msg: str) -> None:
        self.status.setText("failed")
        self.conclusion.setText(f"<b>The experiment failed:</b> {msg}")
        self.conclusion.setStyleSheet(CONTRADICTS_STYLE)

    def set_result(self, result: dict | None) -> None:
        self.export.setEnabled(result is not None)
        if result is None:
            self.conclusion.setText("No result yet. Press Run: the networks train here, live, and the conclusion "
                                    "is computed from what they actually did.")
            self.conclusion.setStyleSheet("color:#555; padding:6px;")
            self.set_charts([])
            self._fill_table([])
            return
        outcome = result.get("outcome", "agrees" if result.get("agrees", True) else "contradicts")
        head, style = OUTCOMES.get(outcome, OUTCOMES["agrees"])
        self.conclusion.setText(f"<b>{head}</b> " + result.get("conclusion", ""))
        self.conclusion.setStyleSheet(style)
        self.set_charts(result.get("charts", []))
        self._fill_table(result.get("table", []))

    def _fill_table(self, rows: list[dict]) -> None:
        cols: list[str] = []
        for r in rows:
            cols += [c for c in r if c not in cols]
        self.table.clear()
        self.table.setColumnCount(len(cols))
        self.table.setRowCount(len(rows))
        # long column names on two lines: the columns fit the numbers, not the words
        self.table.setHorizontalHeaderLabels([two_lines(c) for c in cols])
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                v = r.get(c)
                text = f"{v:.4g}" if isinstance(v, float) else ("—" if v is None else str(v))
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
