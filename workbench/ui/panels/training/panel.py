"""Train panel: Start / Pause / Stop over one tab per view of a run (Live, Runs, Cross-validation,
Search, Evaluation).

What a run is and does lives in the core: the Start button turns the app's state into a
``RunConfig`` with ``workflow.config_from_state`` (the config ``workbench train`` would build)
and runs it through the workflow on a ``JobRunner`` thread; the finished run is a RunRecord's
dict added to ``ctx`` (``ctx.add_run``), so every panel sees it and the project stores it. The
run history is ``ctx.runs``, shown with ``core.runs.summarize``.
"""
from __future__ import annotations

import math
import time

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QProgressBar, QPushButton, QStyle, QTabWidget, QVBoxLayout,
)

from workbench.ui.job_runner import JobRunner
from workbench.ui.panels.base import Panel
from workbench.ui.panels.training.after_run import AfterRunBar
from workbench.ui.panels.training.crossval import CrossValTab
from workbench.ui.panels.training.evaluation import EvaluationTab
from workbench.ui.panels.training.live import BATCH_REDRAW_S, LiveTab
from workbench.ui.panels.training.runs import RunsTab
from workbench.ui.panels.training.search import SearchTab
from workbench.ui.training_bridge import LiveTraining
from workbench.ui.widgets import Banner

REDRAW_MS = 33  # <= 30 Hz
MODES = [("train", "Train (hold-out, or K-fold CV when the split has folds)"),
         ("search", "Hyperparameter search (validation / CV only)")]
LOSS_KEYS = ("loss", "data_loss", "penalty")  # drawn on the loss chart, not offered as "the" metric


def _eta(s) -> str:
    if s is None or not math.isfinite(s):
        return "—"
    s = int(round(s))
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


class TrainingPanel(Panel):
    """Signals:
        run_started()        a run (or CV / search) started
        run_done(dict)       the finished run (a RunRecord's dict; also in ``ctx.runs``)
        run_failed(str)      the message shown when a run could not start or failed
        epoch_shown(int)     the live chart now shows this many epochs (after a redraw)
    """

    title = "Train"
    icon_name = "SP_MediaPlay"
    run_started = Signal()
    run_done = Signal(dict)
    run_failed = Signal(str)
    epoch_shown = Signal(int)

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        # the one live chart mechanism: the bridge, its buffer and the GUI timer (<= 30 Hz)
        self.live_training = LiveTraining(self, self._draw_live, interval_ms=REDRAW_MS)
        self.bridge, self.buffer = self.live_training.bridge, self.live_training.buffer
        self.buffer.epoch_added.connect(self._on_epoch_added)
        self.bridge.fit_started.connect(self._on_fit_started)
        self.bridge.fit_ended.connect(self._on_fit_ended)
        self.trainer = None
        self._mode = "holdout"
        self._paused = False
        self._last_progress = 0.0
        self._build()
        self.jobs = JobRunner(self, banner=self.banner)
        self.jobs.job_failed.connect(self._on_error)
        self.jobs.job_finished.connect(self._on_finished)
        ctx.run_finished.connect(self._refresh_runs)
        ctx.runs_reset.connect(self._on_runs_reset)
        ctx.dataset_changed.connect(self._on_dataset_changed)
        ctx.head_changed.connect(self._follow_task)
        self._follow_task()
        self._refresh_runs()
        self._update_buttons()

    # -- UI ------------------------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        SP = QStyle.StandardPixmap
        self.start_btn = QPushButton(self.style().standardIcon(SP.SP_MediaPlay), "Start")
        self.pause_btn = QPushButton(self.style().standardIcon(SP.SP_MediaPause), "Pause")
        self.stop_btn = QPushButton(self.style().standardIcon(SP.SP_MediaStop), "Stop")
        self.start_btn.clicked.connect(self.start)
        self.pause_btn.clicked.connect(self.toggle_pause)
        self.stop_btn.clicked.connect(self.stop)
        self.mode_combo = QComboBox()
        for k, t in MODES:
            self.mode_combo.addItem(t, k)
        # the long mode names are elided in the closed box (the list shows them whole), so the run
        # name keeps room for what it says on a small screen
        self.mode_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode_combo.setMinimumContentsLength(18)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("run name (optional)")
        self.name_edit.setMinimumWidth(self.name_edit.fontMetrics().horizontalAdvance("run name (optional)") + 24)
        self.metric_combo = QComboBox()
        self.metric_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.metric_combo.setMinimumContentsLength(10)
        self.metric_combo.setToolTip("The metric drawn on the right-hand chart (those this task computes)")
        self._metric_task = None
        self.set_metric_task("multiclass")
        self.metric_combo.currentIndexChanged.connect(self._metric_changed)
        for w in (self.start_btn, self.pause_btn, self.stop_btn, QLabel("Mode:"), self.mode_combo):
            bar.addWidget(w)
        bar.addWidget(self.name_edit, 1)
        bar.addWidget(QLabel("Metric:"))
        bar.addWidget(self.metric_combo)
        lay.addLayout(bar)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setFormat("Idle")
        self.progress.setTextVisible(True)
        lay.addWidget(self.progress)
        self.banner = Banner()
        lay.addWidget(self.banner)
        self.after = AfterRunBar(self.ctx, banner=self.banner)
        lay.addWidget(self.after)
        self.tabs = QTabWidget()
        self.live = LiveTab()
        self.live.set_metric(self.chart_metric())
        self.live.epoch_shown.connect(self.epoch_shown)
        self.runs_tab = RunsTab()
        self.runs_tab.run_opened.connect(self._open_run)
        self.cv = CrossValTab()
        self.search = SearchTab()
        self.search.set_run_loader(self._load_run)
        self.search.trial_activated.connect(self._trial_activated)
        self.evaluation = EvaluationTab()
        for tab, text in ((self.live, "Live"), (self.runs_tab, "Runs"), (self.cv, "Cross-validation"),
                          (self.search, "Search"), (self.evaluation, "Evaluation")):
            self.tabs.addTab(tab, text)
        lay.addWidget(self.tabs, 1)
        self.remember_splitter("live", self.live.splitter)
        self.remember_splitter("runs", self.runs_tab.splitter)
        self.remember_splitter("cv", self.cv.splitter)
        self.remember_splitter("evaluation", self.evaluation.splitter)

    # -- starting ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.jobs.busy

    @property
    def runs(self) -> list:
        """The project's runs, as RunRecords (oldest first), in the order of the Runs table."""
        return self.runs_tab.records

    def _fail(self, msg: str) -> None:
        self.banner.show_message(msg, "error")
        self.run_failed.emit(msg)

    def request(self):
        """The run the Start button would make now (a TrainRequest); raises WorkbenchError with
        what is missing."""
        from workbench.core.workflow import config_from_state
        from workbench.ui.training_jobs import TrainRequest

        mode = self.mode_combo.currentData()
        cfg = config_from_state(self.ctx.state, name=self.name_edit.text().strip(), project=self.ctx.project_dir)
        if mode != "search":
            state = self.ctx.state  # the Data panel's split and fitted preprocessing, not made again
            return TrainRequest(cfg, self.ctx.dataset, mode, splits=state.current_splits(),
                                preprocessor=state.current_preprocessor())
        from workbench.core.tuning import EventLog

        return TrainRequest(cfg, self.ctx.dataset, mode, self.search.space(), self.search.settings(), EventLog())

    @Slot()
    def start(self) -> bool:
        from workbench.core.errors import WorkbenchError
        from workbench.core.training import Trainer
        from workbench.ui.training_jobs import run_job

        if self.busy:
            return False
        try:
            req = self.request()
        except WorkbenchError as e:
            self._fail(str(e))
            return False
        self.trainer = Trainer(callbacks=[self.live_training.callback()], device="auto")
        self._mode = "cv" if req.mode == "train" and len(self.ctx.splits.folds) > 1 else req.mode
        self.live_training.start()  # the epochs arrive with the fit (resolved once, by the run itself)
        self.live.reset(None)
        self.cv.reset()
        if self._mode == "cv":
            self.cv.say(f"Cross-validating over {len(self.ctx.splits.folds)} folds…")
        if req.mode == "search":
            self.search.follow(req.events, req.search_space)
            self.tabs.setCurrentWidget(self.search)
        self._paused = False
        if self.jobs.start(run_job, req, self.trainer, trainer=self.trainer, on_result=self._on_result,
                           on_progress=self._on_job_progress, label=f"Training {req.config.name or 'a model'}…") is None:
            self.live_training.stop()
            return False
        self._update_buttons()
        self.ctx.status(f"Training {req.config.name}…" if req.config.name else "Training…")
        self.run_started.emit()
        return True

    @Slot()
    def toggle_pause(self) -> None:
        if not self.busy:
            return
        self._paused = not self._paused
        (self.jobs.pause if self._paused else self.jobs.resume)()
        self._update_buttons()

    @Slot()
    def stop(self) -> None:
        if self.busy:
            self.jobs.stop_training()
            self.progress.setFormat("Stopping…")

    def _update_buttons(self) -> None:
        busy = self.busy
        self.start_btn.setEnabled(not busy)
        self.pause_btn.setEnabled(busy)
        self.stop_btn.setEnabled(busy)
        self.mode_combo.setEnabled(not busy)
        self.pause_btn.setText("Resume" if self._paused else "Pause")
        self.pause_btn.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPlay if self._paused else QStyle.StandardPixmap.SP_MediaPause))

    # -- live updates --------------------------------------------------------------------------
    @Slot(dict)
    def _on_fit_started(self, info: dict) -> None:
        if self._mode == "cv" and self.buffer.epochs:
            self.cv.add_fold(self.buffer.epochs)
        self.buffer.epochs = []
        self.buffer.batch_x, self.buffer.batch_loss, self.buffer.batch_smooth = [], [], []
        self.buffer.last_batch = None
        self.live.reset(info.get("epochs"))  # a fixed epoch axis for this fit, from the fit's own settings

    def _draw_live(self, _buffer) -> None:
        self.redraw()

    @Slot(dict)
    def _on_fit_ended(self, info: dict) -> None:
        self.redraw(force=True)

    @Slot(dict)
    def _on_epoch_added(self, logs: dict) -> None:
        from workbench.core.training import diagnose

        self.live.show_diagnosis(diagnose(self.buffer.epochs).to_dict(), live=self.busy)

    @Slot(int, int, str)
    def _on_job_progress(self, done: int, total: int, text: str) -> None:
        if text in ("folds", "trials") and total:
            self.cv.say(f"{done} of {total} {text} done…")

    def chart_metric(self) -> str:
        return self.metric_combo.currentData() or "accuracy"

    def set_metric_task(self, task: str | None, keep: str | None = None) -> None:
        """Offer the metrics this task computes (no YOLO losses for a table regression); the task's
        main metric is chosen unless ``keep`` (or the current choice) is among them."""
        from workbench.core.training.metrics import METRICS, metrics_for, primary_metric

        task = task or "multiclass"
        names = [k for k in metrics_for(task) if k not in LOSS_KEYS]
        current = keep or self.metric_combo.currentData()
        if task == self._metric_task and current in names:
            return
        self._metric_task = task
        self.metric_combo.blockSignals(True)
        self.metric_combo.clear()
        for k in names:
            self.metric_combo.addItem(METRICS[k].label, k)
        i = self.metric_combo.findData(current if current in names else primary_metric(task)[0])
        self.metric_combo.setCurrentIndex(max(i, 0))
        self.metric_combo.blockSignals(False)
        if getattr(self, "live", None) is not None:  # None while the panel is being built
            self.live.set_metric(self.chart_metric())

    def _data_task(self) -> str | None:
        """The task of the chosen head, else the one the loaded data suggest."""
        head = self.ctx.head
        if head is not None and getattr(head, "task", None):
            return head.task
        ds = self.ctx.dataset
        if ds is None:
            return None
        from workbench.core.models import infer_task

        return infer_task(ds.y, ds.class_names)

    @Slot()
    def _follow_task(self, *_):
        if not self.busy:
            self.set_metric_task(self._data_task())

    @Slot()
    def _metric_changed(self) -> None:
        self.live.set_metric(self.chart_metric())
        self.redraw(force=True)

    @Slot()
    def redraw(self, force: bool = False) -> None:
        """Timer-driven (<= 30 Hz). Nothing is drawn while the panel is hidden (another panel is
        shown), so training costs the GUI thread almost nothing then."""
        if not force and not self.isVisible():
            return
        now = time.perf_counter()
        if self.busy and (force or now - self._last_progress >= BATCH_REDRAW_S):
            self._last_progress = now
            self._update_progress()
        self.live.redraw(self.buffer, busy=self.busy, force=force)

    def on_shown(self) -> None:
        self.redraw(force=True)

    def _update_progress(self) -> None:
        p = self.buffer.progress()
        if self._paused:
            self.progress.setFormat("Paused")
            return
        total = p["total_epochs"] or 0
        if self._mode in ("cv", "search"):  # the bar tracks the current fold's fit
            total = self.buffer.total_epochs or total
        if total:
            self.progress.setValue(int(1000 * p["fraction"]))
        self.progress.setFormat(f"Epoch {p['epochs_done']:.1f} / {total} · ETA {_eta(p['eta_s'])} · "
                                f"{p['samples_per_s']:,.0f} samples/s")

    # -- results -------------------------------------------------------------------------------
    @Slot(object)
    def _on_result(self, out: dict) -> None:
        from workbench.core.runs import RunRecord

        rec = out["record"]
        if self._mode == "cv" and self.buffer.epochs:
            self.cv.add_fold(self.buffer.epochs)
        if self._mode == "search" and rec.get("run_id") and self.ctx.project_dir:
            self.ctx.load_runs(self.ctx.project_dir)  # the search stored its trials and its own run there
        else:
            self.ctx.add_run(rec, out.get("weights"))  # the project stores it (with its weights)
        self.show_run(RunRecord.from_dict(rec), keep_live=True)
        self.after.set_run(self._newest_run() or rec)
        stop = rec.get("stop_reason")
        self.banner.show_message(rec.get("message") or ("Run stopped." if stop == "stopped" else "Run finished."),
                                 "warning" if stop == "nan" else "info")
        self.ctx.status(f"{rec.get('name') or (rec.get('model') or {}).get('name')}: {stop}")
        self.run_done.emit(rec)

    @Slot(str)
    def _on_error(self, msg: str) -> None:
        self.run_failed.emit(msg)
        self.ctx.status("Training failed")

    @Slot()
    def _on_finished(self) -> None:
        self.live_training.stop()
        self.search.finished()
        self._paused = False
        self.redraw(force=True)
        self.progress.setValue(1000 if self.buffer.epochs else 0)
        self.progress.setFormat(self.live_training.done_text())
        self._update_buttons()

    def show_run(self, rec, keep_live: bool = False) -> None:
        """Show a run's curves, diagnosis, CV, search and evaluation (after training or for an
        old run). ``rec`` is a RunRecord or its dict."""
        from workbench.core.runs import RunRecord

        if isinstance(rec, dict):
            rec = RunRecord.from_dict(rec)
        if rec.task:
            self.set_metric_task(rec.task)
        self.live.reset(None)
        if not keep_live:
            self.buffer.clear()
            for h in rec.history:
                self.buffer.on_epoch(dict(h))
        self.live.show_diagnosis(rec.diagnosis)
        self.redraw(force=True)
        if rec.cross_validation:
            self.cv.show_result(rec.cross_validation, rec.metric)
        if rec.search:
            self.search.show_result(rec.search)
        self.evaluation.show_run(rec, self.ctx.dataset)

    # -- run history ---------------------------------------------------------------------------
    @Slot()
    def _refresh_runs(self, *_):
        """The generic workflow's runs (a case study's runs stay in its own panel)."""
        from workbench.core.runs.summary import generic_runs

        pairs = generic_runs(self.ctx.runs)
        self._run_dicts = [self.ctx.runs[i] for i, _ in pairs]
        self.runs_tab.set_runs([rec for _, rec in pairs])

    def _newest_run(self) -> dict | None:
        return self._run_dicts[-1] if getattr(self, "_run_dicts", None) else None

    @Slot(list)
    def _on_runs_reset(self, runs: list) -> None:
        self._refresh_runs()
        self.after.set_run(self._newest_run())
        if self.runs and not self.busy:
            self.show_run(self.runs[-1])

    def set_overlay(self, rows: list[int]) -> None:
        self.runs_tab.set_overlay(rows)

    def _load_run(self, run_id: str):
        """The stored run of a trial (the HParams view draws its curves); None when it is not stored."""
        for r in self.runs:
            if r.run_id == run_id:
                return r
        if self.ctx.project_dir:
            from workbench.core.runs import RunStore

            return RunStore(self.ctx.project_dir).load(run_id)
        return None

    @Slot(object)
    def _trial_activated(self, info: dict) -> None:
        self.ctx.status(f"Trial {info['trial']} ({info.get('state')}): "
                        + ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                                    for k, v in info.get("params", {}).items()))

    @Slot(int)
    def _open_run(self, row: int) -> None:
        self.show_run(self.runs[row])
        if 0 <= row < len(self._run_dicts):
            self.after.set_run(self._run_dicts[row])
        self.tabs.setCurrentIndex(0)

    @Slot(object)
    def _on_dataset_changed(self, ds) -> None:
        self._follow_task()
        if self.runs and not self.busy:
            self.evaluation.show_gallery(self.runs[-1], ds)

    # -- panel contract --------------------------------------------------------------------------
    state_section = "run"

    def state(self) -> dict:
        return {"mode": self.mode_combo.currentData(), "metric": self.chart_metric(), "name": self.name_edit.text(),
                "search": self.search.state(), "overlay": sorted(self.runs_tab.model.checked),
                "tab": self.tabs.currentIndex()}

    def restore(self, state: dict) -> None:
        state = state or {}
        self.mode_combo.setCurrentIndex(max(self.mode_combo.findData(state.get("mode", "train")), 0))
        self._follow_task()
        i = self.metric_combo.findData(state.get("metric"))
        if i >= 0:
            self.metric_combo.setCurrentIndex(i)
        self.name_edit.setText(str(state.get("name", "")))
        self.search.restore(state.get("search") or {})
        self._refresh_runs()
        self.set_overlay(list(state.get("overlay") or []))
        if self.runs:
            self.show_run(self.runs[-1])
        self.tabs.setCurrentIndex(int(state.get("tab", 0) or 0))

    def shutdown(self) -> None:
        """Stop a running fit (cooperatively, between batches) and wait for its thread."""
        self.evaluation.close_cell_view()
        self.after.shutdown()
        self.jobs.shutdown()
        self.live_training.timer.stop()
        self.search.shutdown()


def demo(ctx, panel) -> None:
    """Digits, hold-out split, the digits CNN, 5 epochs: press Start."""
    from workbench.core.data import SplitPlan, load_data
    from workbench.core.models import default_head, get_preset, infer_task
    from workbench.core.workflow import input_shape_for

    ds = load_data("builtin:digits")
    ctx.set_dataset(ds, {"source": "builtin:digits"})
    plan = SplitPlan.parse("holdout:0.2,0.2")
    ctx.set_splits(plan.make(ds), plan.to_text(), plan.to_dict())
    ctx.set_input_shape(input_shape_for(ds, ctx.preprocessing, ctx.splits))
    ctx.set_model_spec(get_preset("digits-cnn"))
    ctx.set_head(default_head(infer_task(ds.y, ds.class_names)))
    ctx.set_train_settings({"epochs": 5, "batch_size": 64, "lr": 0.002, "optimizer": "adam", "seed": 0})
