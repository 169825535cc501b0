"""Guided experiments panel: each lesson as a one-click run with live charts and a computed conclusion,
plus the workflow guide. The logic lives in ``workbench.core.experiments``; this panel shows and forwards."""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QProgressBar, QPushButton, QSplitter, QStackedWidget, QTableWidget,
                               QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget)

from workbench.ui.panels.base import Panel
from workbench.ui.training_bridge import TrainingBridge, TrainingBuffer
from workbench.ui.widgets import color
from workbench.ui.workers import TaskController

GUIDE_KEY = "__guide__"


def _two_lines(label: str, longest: int = 12) -> str:
    words = label.split(" ")
    if len(label) <= longest or len(words) < 2:
        return label
    cut = min(range(1, len(words)), key=lambda k: abs(len(" ".join(words[:k])) - len(" ".join(words[k:]))))
    return " ".join(words[:cut]) + "\n" + " ".join(words[cut:])


class ChartRelay(QObject):
    """Carries chart dicts from the experiment's worker thread to the GUI thread.

    Signals:
        chart_ready(dict)  a Chart.to_dict() built in the worker (owned copy)
    """

    chart_ready = Signal(dict)

    def emit_chart(self, chart) -> None:  # called in the worker thread
        self.chart_ready.emit(chart.to_dict())


def _run_experiment_job(name: str, full: bool, seed: int, trainer_callbacks, relay: ChartRelay,
                        progress=None, should_cancel=None):
    from workbench.core.experiments import run_experiment

    return run_experiment(name, full=full, seed=seed, progress=progress, should_cancel=should_cancel,
                          on_chart=relay.emit_chart, trainer_callbacks=trainer_callbacks).to_dict()


def _scale_up_job(cfg, dataset, callbacks, progress=None, should_cancel=None):
    from workbench.core.experiments.guide import scale_up_until_overfit

    say = (lambda msg: progress(0, 0, msg)) if progress else None
    return scale_up_until_overfit(cfg, callbacks=callbacks, on_status=say, should_cancel=should_cancel, dataset=dataset)


def draw_chart(plot: pg.PlotWidget, chart: dict) -> None:
    """Draw a Chart dict (lines, dashed lines, points) on a pyqtgraph plot."""
    plot.clear()
    plot.setTitle(chart.get("title", ""))
    plot.setLabel("bottom", chart.get("xlabel", ""))
    plot.setLabel("left", chart.get("ylabel", ""))
    plot.setLogMode(False, bool(chart.get("log_y")))
    legend = plot.plotItem.legend or plot.addLegend(offset=(-10, 10))
    legend.clear()
    for i, s in enumerate(chart.get("series", [])):
        xs, ys = [], []
        for x, y in zip(s["x"], s["y"]):
            if y is None or not isinstance(y, (int, float)) or not math.isfinite(y):
                continue
            if chart.get("log_y") and y <= 0:
                continue
            xs.append(float(x))
            ys.append(float(y))
        c = color(i)
        if s.get("style") == "points" or len(xs) == 1:
            plot.plot(xs, ys, pen=None, symbol="o", symbolSize=10, symbolBrush=c, name=s["label"])
        else:
            style = Qt.PenStyle.DashLine if s.get("style") == "dash" else Qt.PenStyle.SolidLine
            plot.plot(xs, ys, pen=pg.mkPen(c, width=2, style=style), symbol="o", symbolSize=5, symbolBrush=c,
                      name=s["label"])


class ExperimentView(QWidget):
    def __init__(self, panel: "ExperimentsPanel"):
        super().__init__(panel)
        self.panel = panel
        lay = QVBoxLayout(self)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 16px; font-weight: bold;")
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.explanation.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.title)
        lay.addWidget(self.explanation)
        row = QHBoxLayout()
        self.run_fast = QPushButton("Run (fast, < 1 min)")
        self.run_full = QPushButton("Run (full)")
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
        self.conclusion = QLabel("")
        self.conclusion.setWordWrap(True)
        self.conclusion.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.conclusion)
        tabs = QTabWidget()
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
        tabs.addTab(charts, "Results")
        self.live_plot = pg.PlotWidget(title="Current training run (loss per epoch)")
        self.live_plot.showGrid(x=True, y=True, alpha=0.3)
        self.live_plot.addLegend(offset=(-10, 10))
        self.live_train = self.live_plot.plot([], [], pen=pg.mkPen(color(0), width=2), name="training loss")
        self.live_val = self.live_plot.plot([], [], pen=pg.mkPen(color(1), width=2), name="validation loss")
        self.live_batch = self.live_plot.plot([], [], pen=pg.mkPen("#aaaaaa", width=1), name="batch loss (smoothed)")
        tabs.addTab(self.live_plot, "Live training")
        self.table = QTableWidget()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)  # row numbers say nothing here
        tabs.addTab(self.table, "Figures")
        self.tabs = tabs
        lay.addWidget(tabs, 1)
        self.chart_choice.currentIndexChanged.connect(self._show_chart)
        self._charts: list[dict] = []

    def show_experiment(self, exp, result: dict | None) -> None:
        self.title.setText(f"{exp.number}. {exp.title}")
        self.explanation.setText(exp.explanation.replace("\n", " "))
        self.set_result(result)

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

    def set_result(self, result: dict | None) -> None:
        self.export.setEnabled(result is not None)
        if result is None:
            self.conclusion.setText("No result yet. Press Run: the networks train here, live, and the conclusion "
                                    "is computed from what they actually did.")
            self.conclusion.setStyleSheet("color:#555; padding:6px;")
            self.set_charts([])
            self.table.clear()
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            return
        outcome = result.get("outcome", "agrees" if result.get("agrees", True) else "contradicts")
        head, style = {
            "agrees": ("Conclusion from these runs:", "background:#eef6ff; border-left:4px solid #1f77b4;"),
            "contradicts": ("These runs contradict the lesson:", "background:#fff3ee; border-left:4px solid #d62728;"),
            "inconclusive": ("Inconclusive: the effect is within the runs' noise:",
                             "background:#f6f6f6; border-left:4px solid #999999;"),
        }.get(outcome, ("Conclusion from these runs:", "background:#eef6ff; border-left:4px solid #1f77b4;"))
        self.conclusion.setText(f"<b>{head}</b> " + result.get("conclusion", ""))
        self.conclusion.setStyleSheet(style + " padding:6px;")
        self.set_charts(result.get("charts", []))
        rows = result.get("table", [])
        cols: list[str] = []
        for r in rows:
            cols += [c for c in r if c not in cols]
        self.table.clear()
        self.table.setColumnCount(len(cols))
        self.table.setRowCount(len(rows))
        # long column names on two lines: the columns fit the numbers, not the words
        self.table.setHorizontalHeaderLabels([_two_lines(c) for c in cols])
        for i, r in enumerate(rows):
            for j, c in enumerate(cols):
                v = r.get(c)
                text = f"{v:.4g}" if isinstance(v, float) else ("—" if v is None else str(v))
                self.table.setItem(i, j, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()


class GuideView(QWidget):
    """The seven steps of the universal workflow, checked against the project's actual state."""

    def __init__(self, panel: "ExperimentsPanel"):
        super().__init__(panel)
        self.panel = panel
        lay = QVBoxLayout(self)
        t = QLabel("Workflow guide")
        t.setStyleSheet("font-size: 16px; font-weight: bold;")
        lay.addWidget(t)
        intro = QLabel("The seven steps of a deep-learning project. Each step is checked against your project: "
                       "the data you loaded, your split, your runs. Click a step's button to go to the panel that does it.")
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
        self.scale_btn.clicked.connect(panel.scale_up)
        self._rows: list[QWidget] = []

    METRICS = ["", "accuracy", "ROC AUC", "F1", "precision", "recall", "MAE", "MSE"]

    def refresh(self) -> None:
        from workbench.core.experiments.guide import check_steps

        for w in self._rows:
            w.setParent(None)
            w.deleteLater()
        self._rows = []
        for st in check_steps(self.panel.guide_state()):
            row = QWidget()
            outer = QVBoxLayout(row)
            outer.setContentsMargins(0, 4, 0, 4)
            h = QHBoxLayout()
            mark = "✔" if st.done else "•"
            lbl = QLabel(f"<b>{mark} {st.number}. {st.title}</b><br>{st.message}")
            lbl.setWordWrap(True)
            lbl.setStyleSheet("color:#1b6e20;" if st.done else "")
            h.addWidget(lbl, 1)
            if st.panel:
                b = QPushButton(f"Go to {st.panel}")
                b.setProperty("panel_title", st.panel)
                b.clicked.connect(self.panel._go_to_panel)
                h.addWidget(b)
            outer.addLayout(h)
            # the user's own answer to the step's question, kept in the project
            a = QHBoxLayout()
            if st.number == 2:
                combo = QComboBox()
                combo.addItems(self.METRICS)
                combo.setCurrentText(self.panel.guide_metric or "")
                combo.setProperty("step", 2)
                combo.currentTextChanged.connect(self.panel._on_metric_chosen)
                a.addWidget(QLabel("My measure of success:"))
                a.addWidget(combo)
            edit = QLineEdit(self.panel.guide_answers.get(str(st.number), ""))
            edit.setPlaceholderText(GUIDE_QUESTIONS.get(st.number, "Your notes for this step"))
            edit.setProperty("step", st.number)
            edit.editingFinished.connect(self.panel._on_answer_edited)
            a.addWidget(edit, 1)
            outer.addLayout(a)
            self.steps_box.addWidget(row)
            self._rows.append(row)


GUIDE_QUESTIONS = {
    1: "What will you predict, from what inputs? What data do you have?",
    2: "Why this measure? (e.g. classes are balanced / rare positives matter)",
    3: "Why this protocol? (amount of data, time order)",
    4: "What did you do to the inputs? (scaling, missing values, vocabulary)",
    5: "What does the dumb baseline score, and what does your model score?",
    6: "Which model overfit, from which epoch?",
    7: "What did you try against overfitting, and what worked?",
}


class ExperimentsPanel(Panel):
    title = "Experiments"
    icon_name = "SP_FileDialogDetailedView"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        from workbench.core.experiments import list_experiments

        self.experiments = list_experiments()
        self.results: dict[str, dict] = {}
        self.guide_answers: dict[str, str] = {}
        self.guide_metric: str = ""
        self.tasks = TaskController(self)
        self.bridge = TrainingBridge(self)
        self.buffer = TrainingBuffer(self)
        self.buffer.connect_bridge(self.bridge)
        self.relay = ChartRelay(self)
        self.relay.chart_ready.connect(self._on_chart)
        self._running: str | None = None
        self._live_charts: list[dict] = []
        self._drawn_version = -1
        self._job = None

        lay = QHBoxLayout(self)
        split = QSplitter()
        self.list = QListWidget()
        item = QListWidgetItem("Workflow guide (7 steps)")
        item.setData(Qt.ItemDataRole.UserRole, GUIDE_KEY)
        self.list.addItem(item)
        for e in self.experiments:
            it = QListWidgetItem(f"{e.number}. {e.title}")
            it.setData(Qt.ItemDataRole.UserRole, e.name)
            self.list.addItem(it)
        split.addWidget(self.list)
        self.stack = QStackedWidget()
        self.view = ExperimentView(self)
        self.guide = GuideView(self)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.guide)
        split.addWidget(self.stack)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 900])
        lay.addWidget(split)
        self.list.currentRowChanged.connect(self._select)
        self.view.run_fast.clicked.connect(self.run_fast)
        self.view.run_full.clicked.connect(self.run_full)
        self.view.stop.clicked.connect(self.stop)
        self.view.export.clicked.connect(self._export_dialog)
        self.timer = QTimer(self)
        self.timer.setInterval(100)  # live chart redraw <= 10 Hz
        self.timer.timeout.connect(self._redraw_live)
        self.list.setCurrentRow(1)

    # -- navigation ------------------------------------------------------------------------------
    def current_name(self) -> str | None:
        it = self.list.currentItem()
        return it.data(Qt.ItemDataRole.UserRole) if it else None

    @Slot(int)
    def _select(self, _row: int) -> None:
        name = self.current_name()
        if name == GUIDE_KEY:
            self.stack.setCurrentWidget(self.guide)
            self.guide.refresh()
            return
        self.stack.setCurrentWidget(self.view)
        exp = next(e for e in self.experiments if e.name == name)
        self.view.show_experiment(exp, self.results.get(name))
        if self._running == name and self._live_charts:
            self.view.set_charts(self._live_charts)
        self._update_buttons()

    def select_experiment(self, name: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentRow(i)
                return

    @Slot()
    def _go_to_panel(self) -> None:
        title = self.sender().property("panel_title")
        win = self.window()
        if hasattr(win, "show_panel"):
            win.show_panel(title)
        else:
            self.ctx.status_message.emit(f"Open the {title} panel to do this step.")

    def guide_state(self) -> dict:
        from workbench.core.experiments.guide import state_from_context

        st = state_from_context(self.ctx)
        st["answers"] = dict(self.guide_answers)
        st["metric"] = self.guide_metric or None
        return st

    @Slot(str)
    def _on_metric_chosen(self, text: str) -> None:
        self.guide_metric = text
        self.ctx.mark_dirty()
        QTimer.singleShot(0, self.guide.refresh)  # not while the combo that sent this is being deleted

    @Slot()
    def _on_answer_edited(self) -> None:
        edit = self.sender()
        step = str(edit.property("step"))
        text = edit.text().strip()
        if self.guide_answers.get(step, "") != text:
            self.guide_answers[step] = text
            self.ctx.mark_dirty()

    # -- running ---------------------------------------------------------------------------------
    def run_fast(self) -> None:
        self.start(self.current_name(), full=False)

    def run_full(self) -> None:
        self.start(self.current_name(), full=True)

    def start(self, name: str | None, full: bool = False, seed: int = 0):
        if not name or name == GUIDE_KEY or self._running:
            return None
        self._running = name
        self._live_charts = []
        self.buffer.clear()
        self._drawn_version = -1
        self.view.set_result(None)
        self.view.progress.setValue(0)
        self.view.status.setText("starting…")
        job = self.tasks.start(_run_experiment_job, name, full, seed, (self.bridge.callback(),), self.relay)
        job.progress.connect(self._on_progress)
        job.result.connect(self._on_result)
        job.error.connect(self._on_error)
        job.cancelled.connect(self._on_cancelled)
        job.finished.connect(self._on_finished)
        self._job = job
        self.timer.start()
        self._update_buttons()
        self.ctx.busy_changed.emit(True)
        return job

    def stop(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self.view.status.setText("stopping after the current batch…")

    def _update_buttons(self) -> None:
        running = self._running is not None
        self.view.run_fast.setEnabled(not running)
        self.view.run_full.setEnabled(not running)
        self.view.stop.setEnabled(running and self._running == self.current_name())

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        if self._running == self.current_name():
            self.view.progress.setMaximum(max(total, 1))
            self.view.progress.setValue(done)
            self.view.status.setText(text)

    @Slot(dict)
    def _on_chart(self, chart: dict) -> None:
        self._live_charts.append(chart)
        if self._running == self.current_name():
            self.view.set_charts(self._live_charts)

    @Slot(object)
    def _on_result(self, result: dict) -> None:
        self.results[result["name"]] = result
        self.ctx.mark_dirty()
        if result["name"] == self.current_name():
            self.view.set_result(result)
            self.view.status.setText(f"done in {result.get('seconds', 0):.0f} s")
        self.ctx.status_message.emit(f"Experiment '{result['title']}' finished.")

    @Slot(str)
    def _on_error(self, msg: str) -> None:
        self.view.status.setText("failed")
        self.view.conclusion.setText(f"<b>The experiment failed:</b> {msg}")
        self.view.conclusion.setStyleSheet("background:#fff3ee; border-left:4px solid #d62728; padding:6px;")

    @Slot()
    def _on_cancelled(self) -> None:
        self.view.status.setText("stopped")

    @Slot()
    def _on_finished(self) -> None:
        self._running = None
        self._job = None
        self.timer.stop()
        self._redraw_live()
        self._update_buttons()
        self.ctx.busy_changed.emit(False)

    @Slot()
    def _redraw_live(self) -> None:
        if self.buffer.version == self._drawn_version:
            return
        self._drawn_version = self.buffer.version
        self.live_train_set(*self.buffer.series("loss"), *self.buffer.series("val_loss"))
        xs, ys = self.buffer.batch_x, self.buffer.batch_smooth
        step = max(1, len(xs) // 2000)  # downsample long batch traces
        self.view.live_batch.setData(xs[::step], ys[::step])

    def live_train_set(self, tx, ty, vx, vy) -> None:
        self.view.live_train.setData(tx, ty)
        self.view.live_val.setData(vx, vy)

    # -- workflow guide: one-click "scale up until it overfits" ----------------------------------------
    def scale_up(self):
        """Runs the guide's step 6 on the current data/model (the Train panel's settings)."""
        from workbench.core.errors import WorkbenchError

        if self._running:
            return None
        win = self.window()
        train = win.panel("Train") if hasattr(win, "panel") else None
        if train is None:
            self.guide.scale_status.setText("Open the main window's Train panel to use this.")
            return None
        try:
            req = train._request()  # the same capture of data/split/model/settings as the Start button
        except WorkbenchError as e:
            self.guide.scale_status.setText(str(e))
            return None
        self._running = GUIDE_KEY
        self.guide.scale_btn.setEnabled(False)
        self.guide.scale_status.setText("Training round 1 …")
        job = self.tasks.start(_scale_up_job, req.run_config(), req.dataset, (self.bridge.callback(),))
        job.progress.connect(self._on_scale_progress)
        job.result.connect(self._on_scaled)
        job.error.connect(self.guide.scale_status.setText)
        job.finished.connect(self._on_scale_finished)
        return job

    @Slot(int, int, str)
    def _on_scale_progress(self, _done: int, _total: int, text: str) -> None:
        self.guide.scale_status.setText(text)

    @Slot(object)
    def _on_scaled(self, rows: list) -> None:
        for r in rows:
            rec = dict(r["record"])
            rec.setdefault("name", f"scale-up round {r['round']} ({r['parameters']:,} parameters)")
            self.ctx.add_run(rec)
        last = rows[-1]
        self.guide.scale_status.setText(
            " → ".join(f"{r['parameters']:,} params: " + (f"overfits from epoch {r['overfit_epoch']}" if r["overfit_epoch"]
                                                          else "no overfitting") for r in rows)
            + (". Found a model that overfits." if last["overfit_epoch"] else ". Still no overfitting: try more epochs."))
        self.guide.refresh()

    @Slot()
    def _on_scale_finished(self) -> None:
        self._running = None
        self.guide.scale_btn.setEnabled(True)
        self._update_buttons()

    # -- reports ---------------------------------------------------------------------------------
    def export_report(self, path: str, names: list[str] | None = None) -> str:
        from workbench.core.experiments import ExperimentResult, get_experiment
        from workbench.core.experiments.report import experiment_report_html, save_report

        names = names or [n for n in (self.current_name(),) if n in self.results]
        results = [ExperimentResult.from_dict(self.results[n]) for n in names]
        html = experiment_report_html(results, explanations={n: get_experiment(n).explanation for n in names})
        save_report(path, html)
        self.ctx.status_message.emit(f"Report saved to {path}")
        return path

    def _export_dialog(self) -> None:
        name = self.current_name()
        if name not in self.results:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export report", f"{name}-report.html", "HTML report (*.html)")
        if path:
            self.export_report(path, [name])

    # -- panel contract --------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.timer.stop()
        self.tasks.stop_and_wait()

    def state(self) -> dict:
        return {"selected": self.current_name(), "results": self.results,
                "guide": {"answers": self.guide_answers, "metric": self.guide_metric}}

    def restore(self, state: dict) -> None:
        self.results = dict((state or {}).get("results") or {})
        guide = (state or {}).get("guide") or {}
        self.guide_answers = {str(k): str(v) for k, v in (guide.get("answers") or {}).items()}
        self.guide_metric = str(guide.get("metric") or "")
        sel = (state or {}).get("selected")
        if sel:
            self.select_experiment(sel)
        else:
            self._select(self.list.currentRow())


if __name__ == "__main__":
    from workbench.ui.panels.base import run_panel_standalone

    raise SystemExit(run_panel_standalone(ExperimentsPanel))
