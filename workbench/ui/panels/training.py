"""Train panel: start / pause / stop, live charts, diagnosis, run history, cross-validation, evaluation."""
from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QProgressBar,
    QPushButton, QSpinBox, QSplitter, QStyle, QTableView, QTableWidget, QTableWidgetItem, QTabWidget, QTextBrowser,
    QVBoxLayout, QWidget,
)

from workbench.ui.models import RecordsTableModel
from workbench.ui.panels.base import Panel
from workbench.ui.training_bridge import TrainingBridge, TrainingBuffer
from workbench.ui.widgets import Banner, ImageGridWidget, color
from workbench.ui.workers import TaskController

REDRAW_MS = 33  # <= 30 Hz
DIAGNOSIS_REFRESH_S = 5.0
EPOCH_REDRAW_S = 0.5
BATCH_REDRAW_S = 1.0  # the per-batch curve and the progress text: 1 Hz
METRICS = ["accuracy", "f1", "precision", "recall", "auc", "mae"]
MODES = [("train", "Train (hold-out, or K-fold CV when the split has folds)"),
         ("search", "Hyperparameter search (validation / CV only)")]
TRAIN_PEN = pg.mkPen("#1f77b4", width=2)
VAL_PEN = pg.mkPen("#ff7f0e", width=2)
BATCH_PEN = pg.mkPen(QColor(31, 119, 180, 90), width=1)


def _fmt(v, digits: int = 4) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "nan"
        return f"{v:.{digits}f}"
    return str(v)


def _eta(s) -> str:
    if s is None or not math.isfinite(s):
        return "—"
    s = int(round(s))
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


def _baseline_of(rec: dict, part: str) -> dict:
    """The baseline scores of a run record ({"val": ..., "test": ...} or one flat dict)."""
    b = rec.get("baseline") or {}
    if "val" in b or "test" in b:
        return b.get(part) or b.get("val") or b.get("test") or {}
    return b


class TrainingPanel(Panel):
    """Signals:
        run_started()        a run (or CV / search) started
        run_done(dict)       the finished run record (also stored in ``runs``)
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
        self.tasks = TaskController(self)
        self.bridge = TrainingBridge(self)
        self.buffer = TrainingBuffer(self)
        self.buffer.connect_bridge(self.bridge)
        self.buffer.epoch_added.connect(self._on_epoch_added)
        self.bridge.fit_started.connect(self._on_fit_started)
        self.bridge.fit_ended.connect(self._on_fit_ended)
        self.trainer = None
        self._job = None
        self._mode = "holdout"
        self._drawn_version = -1
        self._drawn_epoch_version = -1
        self._last_batch_draw = 0.0
        self._last_epoch_draw = 0.0
        self._last_progress = 0.0
        self._paused = False
        self._t_start = 0.0
        self.runs: list[dict] = []
        self._weights: dict[int, dict] = {}  # id(record) -> weights for runs not stored yet
        self.cv_histories: list[list[dict]] = []
        self.last_diagnosis = None
        self._diag_key = None
        self._diag_time = 0.0
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self._build()
        ctx.project_saving.connect(self._store_unsaved_runs)
        ctx.dataset_changed.connect(self._on_dataset_changed)
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
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("run name (optional)")
        self.metric_combo = QComboBox()
        for m in METRICS:
            self.metric_combo.addItem(m, m)
        self.metric_combo.currentIndexChanged.connect(self._metric_changed)
        for w in (self.start_btn, self.pause_btn, self.stop_btn):
            bar.addWidget(w)
        bar.addWidget(QLabel("Mode:"))
        bar.addWidget(self.mode_combo)
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

        self.tabs = QTabWidget()
        lay.addWidget(self.tabs, 1)

        # Live
        live = QWidget()
        lv = QVBoxLayout(live)
        self.live_splitter = QSplitter(Qt.Orientation.Vertical)
        charts = QSplitter(Qt.Orientation.Horizontal)
        self.loss_plot = pg.PlotWidget(title="Loss per epoch")
        self.metric_plot = pg.PlotWidget(title="accuracy per epoch")
        for p, ylab in ((self.loss_plot, "loss"), (self.metric_plot, "metric")):
            # No grid: pyqtgraph paints grid lines with the axes, and repainting them at every
            # update was most of the GUI thread's work while training.
            p.setLabel("bottom", "epoch")
            p.setLabel("left", ylab)
            # loss falls (legend top right), metrics rise (legend bottom right)
            p.addLegend(offset=(-10, 10) if ylab == "loss" else (-10, -10))
            p.setMenuEnabled(False)
        # Curves are created once; the timer only calls setData.
        self.overfit_region = pg.LinearRegionItem(values=(0, 0), movable=False,
                                                  brush=pg.mkBrush(214, 39, 40, 40), pen=pg.mkPen(None))
        self.overfit_region.setZValue(-10)
        self.overfit_region.hide()
        self.loss_plot.addItem(self.overfit_region)
        self.batch_curve = self.loss_plot.plot([], [], pen=BATCH_PEN, name="batch loss (smoothed)",
                                               antialias=False)  # many points: keep painting cheap
        self.train_curve = self.loss_plot.plot([], [], pen=TRAIN_PEN, symbol="o", symbolSize=6,
                                               symbolBrush="#1f77b4", name="training loss")
        self.val_curve = self.loss_plot.plot([], [], pen=VAL_PEN, symbol="o", symbolSize=6,
                                             symbolBrush="#ff7f0e", name="validation loss")
        self.best_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#2ca02c", width=1.5,
                                                                               style=Qt.PenStyle.DashLine))
        self.best_line.hide()
        self.loss_plot.addItem(self.best_line)
        self.best_marker = pg.ScatterPlotItem(size=16, symbol="star", brush=pg.mkBrush("#2ca02c"),
                                              pen=pg.mkPen("#1d6b1d"))
        self.loss_plot.addItem(self.best_marker)
        self.train_metric_curve = self.metric_plot.plot([], [], pen=TRAIN_PEN, symbol="o", symbolSize=6,
                                                        symbolBrush="#1f77b4", name="training")
        self.val_metric_curve = self.metric_plot.plot([], [], pen=VAL_PEN, symbol="o", symbolSize=6,
                                                      symbolBrush="#ff7f0e", name="validation")
        self.best_line_m = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#2ca02c", width=1.5,
                                                                                 style=Qt.PenStyle.DashLine))
        self.best_line_m.hide()
        self.metric_plot.addItem(self.best_line_m)
        charts.addWidget(self.loss_plot)
        charts.addWidget(self.metric_plot)
        self.live_splitter.addWidget(charts)
        self.diagnosis = QTextBrowser()
        self.diagnosis.setOpenLinks(False)
        self.diagnosis.setPlaceholderText("The diagnosis appears here as epochs finish.")
        self.live_splitter.addWidget(self.diagnosis)
        self.live_splitter.setSizes([520, 160])
        lv.addWidget(self.live_splitter)
        self.tabs.addTab(live, "Live")

        # Runs
        runs = QWidget()
        rv = QVBoxLayout(runs)
        rv.addWidget(QLabel("Every run of this project. Tick runs to overlay their validation curves."))
        self.runs_splitter = QSplitter(Qt.Orientation.Vertical)
        self.runs_model = RecordsTableModel([
            ("name", "run"), ("model", "model"), ("mode", "mode"), ("optimizer", "optimizer"), ("lr", "lr"),
            ("batch_size", "batch"), ("reg", "L1/L2/dropout"), ("params", "params"), ("epochs", "epochs"),
            ("best_epoch", "best"), ("val_loss", "val loss"), ("val_metric", "val acc/MAE"),
            ("test_metric", "test acc/MAE"), ("baseline", "baseline"), ("stop", "ended")])
        self.runs_model.checkable = True
        self.runs_model.dataChanged.connect(self._overlay_changed)
        self.runs_view = QTableView()
        self.runs_view.setModel(self.runs_model)
        self.runs_view.verticalHeader().hide()
        self.runs_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.runs_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.runs_view.doubleClicked.connect(self._on_run_double_clicked)
        self.runs_splitter.addWidget(self.runs_view)
        self.overlay_plot = pg.PlotWidget(title="Validation loss of the ticked runs")
        self.overlay_plot.showGrid(x=True, y=True, alpha=0.25)
        self.overlay_plot.setLabel("bottom", "epoch")
        self.overlay_plot.setLabel("left", "validation loss")
        self.overlay_plot.addLegend(offset=(-10, 10))
        self.runs_splitter.addWidget(self.overlay_plot)
        rv.addWidget(self.runs_splitter, 1)
        self.tabs.addTab(runs, "Runs")

        # Cross-validation + search
        cv = QWidget()
        cvl = QVBoxLayout(cv)
        self.cv_label = QLabel("Choose a K-fold split in the Data panel and the mode “Cross-validate”.")
        self.cv_label.setWordWrap(True)
        cvl.addWidget(self.cv_label)
        self.cv_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.cv_plot = pg.PlotWidget(title="Validation loss per fold")
        self.cv_plot.showGrid(x=True, y=True, alpha=0.25)
        self.cv_plot.setLabel("bottom", "epoch")
        self.cv_plot.addLegend(offset=(-10, 10))
        self.cv_splitter.addWidget(self.cv_plot)
        self.cv_model = RecordsTableModel()
        self.cv_view = QTableView()
        self.cv_view.setModel(self.cv_model)
        self.cv_view.verticalHeader().hide()
        self.cv_splitter.addWidget(self.cv_view)
        cvl.addWidget(self.cv_splitter, 1)
        sg = QGroupBox("Hyperparameter search (scored on validation / CV folds only, never on test)")
        sf = QFormLayout(sg)
        self.space_edit = QLineEdit("lr=0.01,0.001; batch_size=32,64")
        self.search_mode = QComboBox()
        self.search_mode.addItems(["grid", "random"])
        self.search_iter = QSpinBox()
        self.search_iter.setRange(1, 200)
        self.search_iter.setValue(6)
        srow = QHBoxLayout()
        srow.addWidget(self.search_mode)
        srow.addWidget(QLabel("random trials:"))
        srow.addWidget(self.search_iter)
        srow.addStretch(1)
        sf.addRow("Settings to try:", self.space_edit)
        sf.addRow("Search:", srow)
        self.search_model = RecordsTableModel()
        self.search_view = QTableView()
        self.search_view.setModel(self.search_model)
        self.search_view.verticalHeader().hide()
        self.search_view.horizontalHeader().setStretchLastSection(True)
        sf.addRow(self.search_view)
        cvl.addWidget(sg, 1)
        self.tabs.addTab(cv, "Cross-validation")

        # Evaluation
        ev = QWidget()
        evl = QVBoxLayout(ev)
        self.eval_label = QLabel("After training: test metrics (the test set is used once), the baseline beside "
                                 "them, the confusion matrix and the mistakes.")
        self.eval_label.setWordWrap(True)
        evl.addWidget(self.eval_label)
        top = QSplitter(Qt.Orientation.Horizontal)
        self.metrics_model = RecordsTableModel([("metric", "metric"), ("model", "model"), ("baseline", "baseline")])
        self.metrics_view = QTableView()
        self.metrics_view.setModel(self.metrics_model)
        self.metrics_view.verticalHeader().hide()
        self.metrics_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        top.addWidget(self.metrics_view)
        self.confusion = QTableWidget()
        self.confusion.setToolTip("Rows: true class, columns: predicted class; click a cell to see its samples")
        self.confusion.cellClicked.connect(self.open_cell)
        self._evaluation: dict = {}
        top.addWidget(self.confusion)
        self.per_class_model = RecordsTableModel([("class", "class"), ("precision", "precision"),
                                                  ("recall", "recall"), ("f1", "F1"), ("support", "support")])
        self.per_class_view = QTableView()
        self.per_class_view.setModel(self.per_class_model)
        self.per_class_view.verticalHeader().hide()
        self.per_class_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        top.addWidget(self.per_class_view)
        top.setSizes([260, 420, 320])
        self.eval_splitter = QSplitter(Qt.Orientation.Vertical)
        self.eval_splitter.addWidget(top)
        gbox = QWidget()
        gl = QVBoxLayout(gbox)
        gl.setContentsMargins(0, 0, 0, 0)
        self.gallery_label = QLabel("Misclassified samples (most confident mistakes first):")
        gl.addWidget(self.gallery_label)
        self.gallery = ImageGridWidget(64)
        gl.addWidget(self.gallery)
        self.eval_splitter.addWidget(gbox)
        self.eval_splitter.setSizes([440, 200])
        evl.addWidget(self.eval_splitter, 1)
        self.tabs.addTab(ev, "Evaluation")
        self.remember_splitter("live", self.live_splitter)
        self.remember_splitter("runs", self.runs_splitter)
        self.remember_splitter("cv", self.cv_splitter)
        self.remember_splitter("evaluation", self.eval_splitter)

    # -- starting ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._job is not None

    def _fail(self, msg: str) -> None:
        self.banner.show_message(msg, "error")
        self.run_failed.emit(msg)

    def _request(self):
        """Gather what a run needs from the context; raises WorkbenchError with what is missing."""
        from workbench.core.errors import SpecError, TrainingError
        from workbench.core.models import default_head, infer_task, summarize_model
        from workbench.ui.training_jobs import TrainRequest

        ctx = self.ctx
        ds = ctx.dataset
        if ds is None:
            raise TrainingError("Load a data set in the Data panel first.")
        if ctx.splits is None:
            raise TrainingError("Make a split in the Data panel first (the Split tab).")
        spec = ctx.model_spec
        if spec is None or not getattr(spec, "layers", None):
            raise SpecError("Choose a model in the Model panel first (a preset or your own layers).")
        head = ctx.head or default_head(infer_task(ds.y, ds.class_names))
        mode = self.mode_combo.currentData()
        # Shapes are checked now so an impossible model is reported before any thread starts.
        shape = ctx.input_shape
        if shape:
            n = len(ds.class_names) if ds.class_names else None
            summarize_model(spec, tuple(shape), head.output_shape(ds.y, n), head)
        settings = {"epochs": 10, "batch_size": 32, "lr": 1e-3, "optimizer": "adam", "seed": 0}
        settings.update({k: v for k, v in (ctx.train_settings or {}).items()})
        space, smode = {}, "grid"
        if mode == "search":
            from workbench.core.training.crossval import parse_search_space

            space = parse_search_space(self.space_edit.text())
            smode = self.search_mode.currentText()
        name = self.name_edit.text().strip() or f"{spec.name or 'model'} #{len(self.runs) + 1}"
        plan = dict(ctx.split_options or {}) or ctx.splits.plan.to_dict()
        return TrainRequest(dataset=ds, source=dict(ctx.dataset_source or {}), split_plan=plan,
                            preprocessing=dict(ctx.preprocessing), spec=spec.copy(), head=head, train=settings,
                            mode=mode, project_dir=str(ctx.project_dir) if ctx.project_dir else None, name=name,
                            search_space=space, search_mode=smode, search_iter=self.search_iter.value())

    @Slot()
    def start(self) -> bool:
        from workbench.core.errors import WorkbenchError

        if self.busy:
            return False
        try:
            req = self._request()
            from workbench.core.training import Trainer

            self.trainer = Trainer(callbacks=[self.bridge.callback()], device="auto")
        except WorkbenchError as e:
            self._fail(str(e))
            return False
        except Exception as e:  # e.g. a missing core module: say so, do not crash
            self._fail(f"{type(e).__name__}: {e}")
            return False
        from workbench.ui.training_jobs import run_job

        self.banner.clear_message()
        self._mode = "cv" if req.mode == "train" and len(self.ctx.splits.folds) > 1 else req.mode
        self.buffer.clear()
        self.buffer.total_epochs = int(req.train.get("epochs", 10))
        self._fix_epoch_axis(self.buffer.total_epochs)
        self.cv_histories = []
        self._redraw_cv()
        self.last_diagnosis = None
        self.diagnosis.clear()
        self.overfit_region.hide()
        self._paused = False
        self._t_start = time.perf_counter()
        self._drawn_version = -1
        job = self.tasks.start(run_job, req, self.trainer)
        self._job = job
        job.result.connect(self._on_result)
        job.error.connect(self._on_error)
        job.progress.connect(self._on_job_progress)
        job.finished.connect(self._on_finished)
        self.timer.start()
        self._update_buttons()
        self.ctx.busy_changed.emit(True)
        self.ctx.status(f"Training {req.name}…")
        if req.mode == "cv":
            self.cv_label.setText(f"Cross-validating over {len(req.splits.folds)} folds…")
        self.run_started.emit()
        return True

    @Slot()
    def toggle_pause(self) -> None:
        if self.trainer is None or not self.busy:
            return
        if self._paused:
            self.trainer.resume()
            self._paused = False
        else:
            self.trainer.pause()
            self._paused = True
        self._update_buttons()

    @Slot()
    def stop(self) -> None:
        if self.trainer is not None and self.busy:
            self.trainer.request_stop()
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
            self.cv_histories.append(list(self.buffer.epochs))
            self._redraw_cv()
        self.buffer.epochs = []
        self.buffer.batch_x, self.buffer.batch_loss, self.buffer.batch_smooth = [], [], []
        self.buffer.last_batch = None

    @Slot(dict)
    def _on_fit_ended(self, info: dict) -> None:
        self.redraw(force=True)

    @Slot(dict)
    def _on_epoch_added(self, logs: dict) -> None:
        self._update_diagnosis(self.buffer.epochs)

    @Slot(int, int, str)
    def _on_job_progress(self, done: int, total: int, text: str) -> None:
        if text in ("folds", "trials") and total:
            self.cv_label.setText(f"{done} of {total} {text} done…")

    def _update_diagnosis(self, history: list[dict], final: dict | None = None) -> None:
        if final is not None:
            d = final
        else:
            try:
                from workbench.core.training import diagnose

                d = diagnose(history).to_dict() if history else None
            except Exception:
                d = None
        self.last_diagnosis = d
        if not d:
            return
        # While training, rewrite the text only when the verdict changes (or every few seconds):
        # re-laying out rich text each epoch was the largest GUI cost during training.
        key = (tuple(d.get("findings") or ()), d.get("overfit_epoch"), tuple(d.get("remedies") or ()))
        now = time.perf_counter()
        if (final is None and self.busy and key == self._diag_key
                and now - self._diag_time < DIAGNOSIS_REFRESH_S):
            return
        self._diag_key, self._diag_time = key, now
        parts = [f"<p>{d.get('text', '')}</p>"]
        if d.get("remedies"):
            parts.append("<p><b>What to try, in order:</b></p><ol>" +
                         "".join(f"<li>{r}</li>" for r in d["remedies"]) + "</ol>")
        self.diagnosis.setHtml("".join(parts))

    def _metric_key(self) -> str:
        return self.metric_combo.currentData() or "accuracy"

    @Slot()
    def _metric_changed(self) -> None:
        self.metric_plot.setTitle(f"{self._metric_key()} per epoch")
        self.redraw(force=True)

    @Slot()
    def redraw(self, force: bool = False) -> None:
        """Copy the buffer into the existing curves (timer-driven, <= 30 Hz).

        Epoch points at most every EPOCH_REDRAW_S (short epochs), the per-batch curve and the
        progress text at most every BATCH_REDRAW_S; nothing is drawn while the panel is hidden
        (another panel is shown), so training costs the GUI thread almost nothing then."""
        b = self.buffer
        now = time.perf_counter()
        if not force and not self.isVisible():
            return
        if self.busy and (force or now - self._last_progress >= BATCH_REDRAW_S):
            self._last_progress = now
            self._update_progress()
        if b.version == self._drawn_version and not force:
            return
        epochs_new = force or b.epoch_version != self._drawn_epoch_version
        if epochs_new and not force and now - self._last_epoch_draw < EPOCH_REDRAW_S:
            epochs_new = False  # very short epochs: at most 2 chart updates a second
        if not epochs_new and now - self._last_batch_draw < BATCH_REDRAW_S:
            return
        self._drawn_version = b.version
        self._last_batch_draw = now
        # Thin the per-batch curve: thousands of points per epoch are noise on screen.
        n = len(b.batch_x)
        step = max(1, n // 1000)
        self.batch_curve.setData(np.asarray(b.batch_x[::step]), np.asarray(b.batch_smooth[::step]))
        if not epochs_new:
            self._drawn_version = -1 if b.epoch_version != self._drawn_epoch_version else b.version
            return
        self._drawn_epoch_version = b.epoch_version
        self._last_epoch_draw = now
        loss, vloss = b.series("loss"), b.series("val_loss")
        self.train_curve.setData(*loss)
        self.val_curve.setData(*vloss)
        mk = self._metric_key()
        m, vm = b.series(mk), b.series(f"val_{mk}")
        self.train_metric_curve.setData(*m)
        self.val_metric_curve.setData(*vm)
        if self.busy:
            self._fit_y(self.loss_plot, loss[1] + vloss[1] + list(b.batch_smooth[-200:]))
            self._fit_y(self.metric_plot, m[1] + vm[1])
        xs, vs = b.series("val_loss")
        if xs:
            i = int(np.argmin(vs))
            self.best_line.setValue(xs[i])
            self.best_line_m.setValue(xs[i])
            self.best_line.show()
            self.best_line_m.show()
            self.best_marker.setData([xs[i]], [vs[i]])
        else:
            self.best_line.hide()
            self.best_line_m.hide()
            self.best_marker.setData([], [])
        d = self.last_diagnosis or {}
        if d.get("overfit_epoch") and b.epochs:
            last = float(b.epochs[-1].get("epoch", len(b.epochs)))
            self.overfit_region.setRegion((float(d["overfit_epoch"]), last))
            self.overfit_region.show()
        else:
            self.overfit_region.hide()
        self.epoch_shown.emit(len(b.epochs))

    def on_shown(self) -> None:
        self.redraw(force=True)

    @staticmethod
    def _fit_y(plot, values) -> None:
        """Set the y range only when the data leave it or shrink to a small part of it: every range
        change regenerates the axes, which was most of the cost of an epoch's repaint."""
        vals = [v for v in values if v is not None and math.isfinite(v)]
        if not vals:
            return
        lo, hi = min(vals), max(vals)
        span = max(hi - lo, 1e-6)
        (cur_lo, cur_hi) = plot.getViewBox().viewRange()[1]
        inside = cur_lo <= lo and hi <= cur_hi
        if inside and span >= 0.4 * (cur_hi - cur_lo) and plot.getViewBox().state["autoRange"][1] is False:
            return
        pad = 0.08 * span
        plot.setYRange(lo - pad, hi + pad, padding=0)

    def _fix_epoch_axis(self, epochs: int | None) -> None:
        """A fixed epoch axis while training (the axes repaint only when their range changes);
        automatic again for a finished run."""
        for p in (self.loss_plot, self.metric_plot):
            if epochs:
                p.setXRange(0, max(int(epochs), 1) + 0.3, padding=0)
            else:
                p.enableAutoRange(axis="x")
                p.enableAutoRange(axis="y")

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
        rec = out["record"]
        if out.get("weights") is not None and not rec.get("run_id"):
            self._weights[id(rec)] = out["weights"]
        if self._mode == "cv" and self.buffer.epochs:
            self.cv_histories.append(list(self.buffer.epochs))
        self.runs.append(rec)
        self._refresh_runs_table()
        self.show_run(rec, keep_live=True)
        msg = rec.get("message") or ("Run finished." if rec.get("stop_reason") != "stopped" else "Run stopped.")
        self.banner.show_message(msg, "info" if rec.get("stop_reason") != "nan" else "warning")
        self.ctx.status(f"{rec.get('name')}: {rec.get('stop_reason')}")
        self.ctx.add_run(rec)
        self.run_done.emit(rec)

    @Slot(str)
    def _on_error(self, msg: str) -> None:
        self._fail(msg)
        self.ctx.status("Training failed")

    @Slot()
    def _on_finished(self) -> None:
        self._job = None
        self.timer.stop()
        self._paused = False
        self.redraw(force=True)
        self.progress.setValue(1000 if self.buffer.epochs else 0)
        self.progress.setFormat(f"Done: {len(self.buffer.epochs)} epochs in "
                                f"{_eta(time.perf_counter() - self._t_start)}")
        self._update_buttons()
        self.ctx.busy_changed.emit(False)

    def show_run(self, rec: dict, keep_live: bool = False) -> None:
        """Show a run's curves, diagnosis, CV and evaluation (after training or for an old run)."""
        self._fix_epoch_axis(None)
        if not keep_live:
            self.buffer.clear()
            for h in rec.get("history") or []:
                self.buffer.on_epoch(dict(h))
        self._update_diagnosis(rec.get("history") or [], final=rec.get("diagnosis"))
        self.redraw(force=True)
        cv = rec.get("cross_validation")
        if cv:
            self.cv_histories = [f.get("history") or [] for f in cv.get("folds", [])]
            self._redraw_cv(cv)
        if rec.get("search"):
            self._show_search(rec["search"])
        self._show_evaluation(rec)

    def _redraw_cv(self, cv: dict | None = None) -> None:
        self.cv_plot.clear()
        hs = self.cv_histories
        curves = []
        for i, h in enumerate(hs):
            xs = [float(e.get("epoch", j + 1)) for j, e in enumerate(h) if e.get("val_loss") is not None]
            ys = [float(e["val_loss"]) for e in h if e.get("val_loss") is not None]
            if xs:
                self.cv_plot.plot(xs, ys, pen=pg.mkPen(color(i), width=1.5), name=f"fold {i + 1}")
                curves.append(ys)
        if curves:
            n = min(len(c) for c in curves)
            if n:
                mean = np.mean([c[:n] for c in curves], axis=0)
                std = np.std([c[:n] for c in curves], axis=0)
                x = np.arange(1, n + 1, dtype=float)
                self.cv_plot.plot(x, mean, pen=pg.mkPen("k", width=3), name="mean")
                lo = self.cv_plot.plot(x, mean - std, pen=pg.mkPen(None))
                hi = self.cv_plot.plot(x, mean + std, pen=pg.mkPen(None))
                self.cv_plot.addItem(pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(0, 0, 0, 30)))
        if cv:
            rows = []
            for f in cv.get("folds", []):
                r = {"fold": f"{f.get('fold', 0) + 1}" + (f" (rep {f.get('repeat', 0) + 1})" if f.get("repeat") else ""),
                     "best_epoch": f.get("best_epoch")}
                r.update({k: v for k, v in (f.get("scores") or {}).items() if isinstance(v, (int, float))})
                rows.append(r)
            keys = [k for k in ("loss", "accuracy", "f1", "auc", "mae") if any(k in r for r in rows)]
            mean, std = cv.get("mean") or {}, cv.get("std") or {}
            rows.append({"fold": "mean ± std", "best_epoch": cv.get("final_epochs"),
                         **{k: f"{_fmt(mean.get(k))} ± {_fmt(std.get(k))}" for k in keys}})
            self.cv_model.set_rows(rows, [("fold", "fold"), ("best_epoch", "best epoch")] + [(k, k) for k in keys])
            main = "mae" if "mae" in keys else "accuracy"
            if mean.get(main) is not None:
                self.cv_label.setText(f"<b>{main} {mean[main]:.4f} ± {std.get(main) or 0:.4f}</b> over "
                                      f"{len(cv.get('folds', []))} folds; final model retrained for "
                                      f"{cv.get('final_epochs')} epochs on all non-test data.")

    def _show_search(self, s: dict) -> None:
        rows = []
        for i, t in enumerate(sorted(s.get("trials", []), key=lambda t: (t.get("score") is None, -(t.get("score") or 0)
                                                                         if s.get("higher_is_better") else (t.get("score") or 0)))):
            rows.append({"rank": i + 1, "params": ", ".join(f"{k}={v}" for k, v in t["params"].items()),
                         "score": t.get("score"), "std": t.get("std"),
                         "best_epochs": ", ".join(str(b) for b in t.get("best_epochs") or [])})
        self.search_model.set_rows(rows, [("rank", "#"), ("params", "settings"), ("score", s.get("metric", "score")),
                                          ("std", "± std"), ("best_epochs", "best epochs per fold")])

    def open_cell(self, true_class: int, pred_class: int):
        """Show the samples behind a confusion-matrix cell (to relabel or delete them)."""
        from workbench.ui.sample_cell_view import CellSamplesView

        if self.ctx.dataset is None or not self._evaluation.get("cells"):
            return None
        self.cell_view = getattr(self, "cell_view", None) or CellSamplesView()
        self.cell_view.show_cell(self.ctx.dataset, self._evaluation, true_class, pred_class)
        self.cell_view.show()
        return self.cell_view

    def _show_evaluation(self, rec: dict) -> None:
        test = rec.get("test_metrics") or {}
        details = rec.get("evaluation") or {}
        self._evaluation = details
        base = _baseline_of(rec, "test" if test else "val")
        keys = [k for k in ("accuracy", "precision", "recall", "f1", "auc", "mae", "loss") if k in test or k in base]
        self.metrics_model.set_rows([{"metric": k, "model": test.get(k), "baseline": base.get(k)} for k in keys])
        on = "validation set" if details.get("on") == "validation" else "test set (used once)"
        if test:
            self.eval_label.setText(f"Scores on the {on}; baseline: {base.get('strategy', 'dumb baseline')}.")
        elif details:
            self.eval_label.setText("No test set in this split: the confusion matrix and mistakes are on the "
                                    "validation set.")
        cm = details.get("confusion")
        names = details.get("class_names") or []
        self.confusion.clear()
        if cm:
            k = len(cm)
            self.confusion.setRowCount(k)
            self.confusion.setColumnCount(k)
            self.confusion.setHorizontalHeaderLabels([f"→{n}" for n in names])
            self.confusion.setVerticalHeaderLabels(names)
            mx = max(max(r) for r in cm) or 1
            for i in range(k):
                tot = sum(cm[i]) or 1
                for j in range(k):
                    it = QTableWidgetItem(str(cm[i][j]))
                    it.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                    a = cm[i][j] / mx
                    base_c = (44, 160, 44) if i == j else (214, 39, 40)
                    it.setBackground(QBrush(QColor(*base_c, int(25 + 200 * a) if cm[i][j] else 0)))
                    it.setToolTip(f"true {names[i]}, predicted {names[j]}: {cm[i][j]} ({100 * cm[i][j] / tot:.1f}% of row)")
                    self.confusion.setItem(i, j, it)
            self.confusion.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            self.confusion.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        else:
            self.confusion.setRowCount(0)
            self.confusion.setColumnCount(0)
        self.per_class_model.set_rows(details.get("per_class") or [])
        self._show_gallery(details)

    def _show_gallery(self, details: dict) -> None:
        ds = self.ctx.dataset
        mis = details.get("misclassified") or []
        if ds is None or ds.kind != "image" or not mis:
            self.gallery.clear()
            self.gallery_label.setText("Misclassified samples: " + ("none." if details and not mis else
                                                                    "shown for image data after a run."))
            return
        ok = [m for m in mis if 0 <= m["index"] < len(ds)]
        self.gallery.set_images([ds.X[m["index"]] for m in ok],
                                [f"{m['true']}→{m['pred']}" for m in ok],
                                [f"sample {m['index'] + 1}: true {m['true']}, predicted {m['pred']} "
                                 f"({100 * m['confidence']:.0f}% sure)" for m in ok])
        self.gallery_label.setText(f"Misclassified samples ({details.get('n_wrong', len(ok))} in all; the most "
                                   "confident mistakes first; caption: true→predicted):")

    # -- run history ---------------------------------------------------------------------------
    def _row(self, rec: dict) -> dict:
        hist = rec.get("history") or []
        best = rec.get("best_epoch") or 0
        bl = hist[best - 1] if best and best <= len(hist) else {}
        task = rec.get("task") or ""
        mk = "mae" if task.startswith("regression") else "accuracy"
        s = rec.get("train_config") or rec.get("settings") or {}
        layers = ((rec.get("model") or {}).get("spec") or {}).get("layers") or []
        l1 = max([float(l.get("l1") or 0) for l in layers] or [0])
        l2 = max([float(l.get("l2") or 0) for l in layers] or [0])
        drop = max([float((l.get("params") or {}).get("rate") or 0) for l in layers
                    if str(l.get("type", "")).lower() == "dropout"] or [0])
        cv = rec.get("cross_validation") or {}
        val_metric = bl.get(f"val_{mk}")
        if val_metric is None and cv.get("mean"):
            val_metric = cv["mean"].get(mk)
        return {"name": rec.get("name") or rec.get("run_id"), "model": (rec.get("model") or {}).get("name"),
                "mode": rec.get("mode", "holdout"), "optimizer": s.get("optimizer"), "lr": s.get("lr"),
                "batch_size": s.get("batch_size"), "reg": f"{l1:g}/{l2:g}/{drop:g}",
                "params": (rec.get("model") or {}).get("parameters") or rec.get("n_params"),
                "epochs": len(hist), "best_epoch": best or None, "val_loss": bl.get("val_loss"),
                "val_metric": val_metric, "test_metric": (rec.get("test_metrics") or {}).get(mk),
                "baseline": _baseline_of(rec, "test" if rec.get("test_metrics") else "val").get(mk),
                "stop": rec.get("stop_reason")}

    def _refresh_runs_table(self) -> None:
        checked = set(self.runs_model.checked)
        self.runs_model.set_rows([self._row(r) for r in self.runs])
        self.runs_model.set_checked(checked)
        self._overlay_changed()

    @Slot()
    def _overlay_changed(self, *_):
        self.overlay_plot.clear()
        for j, i in enumerate(sorted(self.runs_model.checked)):
            if i >= len(self.runs):
                continue
            rec = self.runs[i]
            h = rec.get("history") or []
            xs = [float(e.get("epoch", k + 1)) for k, e in enumerate(h) if e.get("val_loss") is not None]
            ys = [float(e["val_loss"]) for e in h if e.get("val_loss") is not None]
            if xs:
                self.overlay_plot.plot(xs, ys, pen=pg.mkPen(color(j), width=2), symbol="o", symbolSize=5,
                                       symbolBrush=color(j), name=str(rec.get("name") or rec.get("run_id")))

    def set_overlay(self, rows: list[int]) -> None:
        self.runs_model.set_checked(set(rows))
        self._overlay_changed()

    @Slot()
    def _on_run_double_clicked(self, index) -> None:
        if 0 <= index.row() < len(self.runs):
            self.show_run(self.runs[index.row()])
            self.tabs.setCurrentIndex(0)

    def _load_stored_runs(self) -> None:
        """Read the project's runs (damaged run files are listed as messages, not crashes)."""
        if self.ctx.project_dir is None:
            return
        from workbench.core.runs import RunStore

        good, damaged = RunStore(self.ctx.project_dir).records()
        runs = [r.to_dict() for r in good]
        bad = [d["error"] for d in damaged]
        self.runs = runs
        self._weights.clear()
        self._refresh_runs_table()
        if bad:
            self.banner.show_message("Some runs could not be read: " + " ".join(bad), "warning")

    @Slot(str)
    def _store_unsaved_runs(self, folder: str) -> None:
        """On Save: store runs made before the project had a folder (or in another folder)."""
        from workbench.core.runs import RunStore

        from pathlib import Path

        store = RunStore(folder)
        old = self.ctx.project_dir
        moved = old is not None and Path(old).resolve() != Path(folder).resolve()
        for rec in self.runs:
            try:
                if not rec.get("run_id"):
                    rec["run_id"] = store.save(rec, self._weights.pop(id(rec), None))
                elif moved and not store.exists(rec["run_id"]):
                    store.copy_from(RunStore(old), rec["run_id"])  # Save As: the runs go with the project
            except Exception as e:
                self.banner.show_message(f"Could not store run {rec.get('name')}: {e}", "error")

    @Slot(object)
    def _on_dataset_changed(self, ds) -> None:
        if self.runs and not self.busy:
            self._show_gallery((self.runs[-1].get("evaluation") or {}))

    # -- panel contract --------------------------------------------------------------------------
    def state(self) -> dict:
        return {"mode": self.mode_combo.currentData(), "metric": self._metric_key(), "name": self.name_edit.text(),
                "search": {"space": self.space_edit.text(), "mode": self.search_mode.currentText(),
                           "iter": self.search_iter.value()},
                "overlay": sorted(self.runs_model.checked), "tab": self.tabs.currentIndex(),
                # Runs not in a project folder yet travel inside the state (weights are not kept).
                "unsaved_runs": [r for r in self.runs if not r.get("run_id")]}

    def restore(self, state: dict) -> None:
        state = state or {}
        self.mode_combo.setCurrentIndex(max(self.mode_combo.findData(state.get("mode", "train")), 0))
        self.metric_combo.setCurrentIndex(max(self.metric_combo.findData(state.get("metric", "accuracy")), 0))
        self.name_edit.setText(str(state.get("name", "")))
        s = state.get("search") or {}
        self.space_edit.setText(str(s.get("space", self.space_edit.text())))
        self.search_mode.setCurrentText(str(s.get("mode", "grid")))
        self.search_iter.setValue(int(s.get("iter", 6)))
        self._load_stored_runs()
        self.runs += [r for r in state.get("unsaved_runs") or [] if isinstance(r, dict)]
        self._refresh_runs_table()
        self.set_overlay(list(state.get("overlay") or []))
        if self.runs:
            self.show_run(self.runs[-1])
        self.tabs.setCurrentIndex(int(state.get("tab", 0) or 0))


    def shutdown(self) -> None:
        """Stop a running fit (cooperatively, between batches) and wait for its thread."""
        if getattr(self, "cell_view", None) is not None:
            self.cell_view.close()
        if self.trainer is not None:
            self.trainer.request_stop()
        self.tasks.stop_and_wait()
        self.timer.stop()


def _demo(ctx, panel) -> None:
    """Digits, hold-out split, the digits CNN, 5 epochs: press Start."""
    from workbench.core.data import Preprocessor, SplitPlan, load_data
    from workbench.core.models import default_head, get_preset, infer_task

    ds = load_data("builtin:digits")
    ctx.set_dataset(ds, {"source": "builtin:digits"})
    plan = SplitPlan.parse("holdout:0.2,0.2")
    ctx.set_splits(plan.make(ds), plan.to_text(), plan.to_dict())
    ctx.set_input_shape(Preprocessor().fit(ds, range(10)).output_shape)
    ctx.set_model_spec(get_preset("digits-cnn"))
    ctx.set_head(default_head(infer_task(ds.y, ds.class_names)))
    ctx.set_train_settings({"epochs": 5, "batch_size": 64, "lr": 0.002, "optimizer": "adam", "seed": 0})


if __name__ == "__main__":
    from workbench.ui.panels.base import run_panel_standalone

    raise SystemExit(run_panel_standalone(TrainingPanel, setup=_demo))
