"""Guided experiments panel: each lesson as a one-click run with live charts and a computed
conclusion (``lesson.py``), plus the workflow guide (``guide.py``). The lessons, the guide's
checks and "scale up until it overfits" live in ``workbench.core.experiments``; this panel shows
and forwards, running every job through one ``JobRunner``."""
from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (QFileDialog, QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QSplitter,
                               QStackedWidget, QVBoxLayout, QWidget)

from workbench.ui.job_runner import JobRunner, Relay
from workbench.ui.panels.base import Panel
from workbench.ui.panels.experiments.guide import GuideView
from workbench.ui.panels.experiments.lesson import ExperimentView
from workbench.ui.training_bridge import LiveTraining

GUIDE_KEY = "__guide__"


def _chart_dict(chart) -> dict:
    return chart.to_dict()


class ExperimentsPanel(Panel):
    title = "Experiments"
    icon_name = "SP_FileDialogDetailedView"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        from workbench.core.experiments import list_experiments

        self.experiments = list_experiments()
        self.results: dict[str, dict] = {}
        self.live_training = LiveTraining(self, self._draw_live)  # the lesson's trainings, redrawn <= 10 Hz
        self.charts = Relay(self, convert=_chart_dict)  # a lesson's charts, as it makes them
        self.charts.item.connect(self._on_chart)
        self._running: str | None = None
        self._live_charts: list[dict] = []

        lay = QHBoxLayout(self)
        split = QSplitter()
        self.list = QListWidget()
        self.list.setWordWrap(True)  # long lesson titles wrap instead of being cut off
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        item = QListWidgetItem("Workflow guide (7 steps)")
        item.setData(Qt.ItemDataRole.UserRole, GUIDE_KEY)
        self.list.addItem(item)
        for e in self.experiments:
            it = QListWidgetItem(f"{e.number}. {e.title}")
            it.setData(Qt.ItemDataRole.UserRole, e.name)
            self.list.addItem(it)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(self.list, 1)
        self.worksheets_btn = QPushButton("Case-study worksheets…")
        self.worksheets_btn.setToolTip("The course's design questions on each case study (Resolution? Which loss?), "
                                       "answered by experiment")
        self.worksheets_btn.clicked.connect(lambda: self.ctx.panel_requested.emit("Worksheets"))
        ll.addWidget(self.worksheets_btn)
        split.addWidget(left)
        self.stack = QStackedWidget()
        self.view = ExperimentView(self)
        self.guide = GuideView(ctx, self)
        self.guide.scale_up_requested.connect(self.scale_up)
        self.stack.addWidget(self.view)
        self.stack.addWidget(self.guide)
        split.addWidget(self.stack)
        split.setStretchFactor(1, 1)
        split.setSizes([260, 900])
        lay.addWidget(split)
        self.jobs = JobRunner(self)
        self.jobs.job_failed.connect(self._on_error)
        self.jobs.job_finished.connect(self._on_finished)
        self.list.currentRowChanged.connect(self._select)
        self.view.run_fast.clicked.connect(self.run_fast)
        self.view.run_full.clicked.connect(self.run_full)
        self.view.stop.clicked.connect(self.stop)
        self.view.export.clicked.connect(self._export_dialog)
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

    def show_part(self, part: str) -> None:
        """Show the workflow guide ("guide") or a lesson by name (the window's "Experiments/<part>")."""
        self.select_experiment(GUIDE_KEY if part == "guide" else part)

    def select_experiment(self, name: str) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.list.setCurrentRow(i)
                return

    # -- running a lesson ------------------------------------------------------------------------
    def run_fast(self) -> None:
        self.start(self.current_name(), full=False)

    def run_full(self) -> None:
        self.start(self.current_name(), full=True)

    def start(self, name: str | None, full: bool = False, seed: int = 0):
        """Run a lesson on the worker thread; returns its TaskHandle (None when nothing started)."""
        from workbench.core.experiments import run_experiment

        if not name or name == GUIDE_KEY or self.jobs.busy:
            return None
        self._running = name
        self._live_charts = []
        self.live_training.start()
        self.view.set_result(None)
        self.view.show_progress(0, 1, "starting…")
        job = self.jobs.start(run_experiment, name, full=full, seed=seed, on_chart=self.charts.send,
                              trainer_callbacks=(self.live_training.callback(),), on_result=self._on_result,
                              on_progress=self._on_progress, on_cancelled=self._on_cancelled)
        self._update_buttons()
        return job

    def stop(self) -> None:
        if self.jobs.busy:
            self.jobs.cancel()
            self.view.status.setText("stopping after the current batch…")

    def _update_buttons(self) -> None:
        self.view.set_running(self._running is not None, self._running == self.current_name())

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        if self._running == self.current_name():
            self.view.show_progress(done, total, text)

    @Slot(object)
    def _on_chart(self, chart: dict) -> None:
        self._live_charts.append(chart)
        if self._running == self.current_name():
            self.view.set_charts(self._live_charts)

    @Slot(object)
    def _on_result(self, result) -> None:
        r = result.to_dict()
        self.results[r["name"]] = r
        self.ctx.mark_dirty()
        if r["name"] == self.current_name():
            self.view.set_result(r)
            self.view.status.setText(f"done in {r.get('seconds', 0):.0f} s")
        self.ctx.status(f"Experiment '{r['title']}' finished.")

    @Slot(str)
    def _on_error(self, msg: str) -> None:
        if self._running == GUIDE_KEY:
            self.guide.scale_status.setText(msg)
        else:
            self.view.show_failure(msg)

    @Slot()
    def _on_cancelled(self) -> None:
        self.view.status.setText("stopped")

    @Slot()
    def _on_finished(self) -> None:
        self._running = None
        self.live_training.stop()
        self.guide.scale_btn.setEnabled(True)
        self._update_buttons()

    def _draw_live(self, buffer) -> None:
        self.view.show_live(buffer)

    # -- workflow guide: one-click "scale up until it overfits" ----------------------------------------
    def scale_up(self):
        """The guide's step 6 on the app's current data, split, model and settings (the run the
        Train panel's Start button would make); returns the TaskHandle or None."""
        from workbench.core.errors import WorkbenchError
        from workbench.core.experiments.guide import scale_up_until_overfit
        from workbench.core.workflow import config_from_state

        if self.jobs.busy:
            return None
        try:
            cfg = config_from_state(self.ctx.state, project=self.ctx.project_dir)
        except WorkbenchError as e:
            self.guide.scale_status.setText(str(e))
            return None
        self._running = GUIDE_KEY
        self.live_training.start()
        self.guide.scale_btn.setEnabled(False)
        self.guide.scale_status.setText("Training round 1 …")
        return self.jobs.start(scale_up_until_overfit, cfg, callbacks=(self.live_training.callback(),),
                               dataset=self.ctx.dataset, keep_one_core_free=True, on_result=self._on_scaled,
                               on_progress=self._on_scale_progress)

    @Slot(int, int, str)
    def _on_scale_progress(self, _done: int, _total: int, text: str) -> None:
        self.guide.scale_status.setText(text)

    @Slot(object)
    def _on_scaled(self, rows: list) -> None:
        for r in rows:
            self.ctx.add_run(r["record"])
        last = rows[-1]
        self.guide.scale_status.setText(
            " → ".join(f"{r['parameters']:,} params: " + (f"overfits from epoch {r['overfit_epoch']}" if r["overfit_epoch"]
                                                          else "no overfitting") for r in rows)
            + (". Found a model that overfits." if last["overfit_epoch"] else ". Still no overfitting: try more epochs."))
        self.guide.refresh()

    # -- reports ---------------------------------------------------------------------------------
    def export_report(self, path: str, names: list[str] | None = None) -> str:
        from workbench.core.experiments import ExperimentResult, get_experiment
        from workbench.core.experiments.report import experiment_report_html, save_report

        names = names or [n for n in (self.current_name(),) if n in self.results]
        results = [ExperimentResult.from_dict(self.results[n]) for n in names]
        save_report(path, experiment_report_html(results, explanations={n: get_experiment(n).explanation
                                                                        for n in names}))
        self.ctx.status(f"Report saved to {path}")
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
        self.live_training.timer.stop()
        self.jobs.shutdown()

    def state(self) -> dict:
        return {"selected": self.current_name(), "results": self.results, "guide": dict(self.ctx.guide)}

    def save_state(self, sections) -> None:
        sections.experiments.update(selected=self.current_name(), results=self.results)

    live_sections = ("experiments",)

    def show_state(self, sections) -> None:
        self.load_state(sections)

    def load_state(self, sections) -> None:
        e = sections.experiments
        self.restore({"selected": e.selected, "results": e.results})  # the guide is in the state already

    def restore(self, state: dict) -> None:
        state = state or {}
        self.results = dict(state.get("results") or {})
        guide = state.get("guide") or {}
        if "guide" in state:
            self.ctx.set_guide({str(k): str(v) for k, v in (guide.get("answers") or {}).items()},
                               str(guide.get("metric") or ""))
        sel = state.get("selected")
        if sel:
            self.select_experiment(sel)
        else:
            self._select(self.list.currentRow())
