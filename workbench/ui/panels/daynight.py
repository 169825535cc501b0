"""Case study "Day'n'Night": the course's questions, each answered by trying it.

Data? Split? Bias? Input? Output? Architecture? Loss? -- then Train, Results, Use (files and the
live camera with a P(day) gauge) and Export. The logic lives in
``workbench.core.studies.daynight``; this panel only builds widgets, starts jobs through
``TaskController`` and shows what they return. Workers never touch widgets: generation and
training report through the task handle and the training bridge, the live camera worker emits
owned ``QImage`` copies and plain floats.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFontDatabase, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.jobs import SingleJobMixin
from workbench.ui.panels.base import Panel
from workbench.ui.widgets import Banner, BarChart, ImageGridWidget, array_to_qimage, color
from workbench.ui.workers import TaskController

GROUP_NAMES = ["clear_day", "overcast_day", "dawn", "night", "dusk", "city_night"]
SHIFT_NAMES = ["dusk", "hard", "warm_tint", "cool_tint", "dusk_warm"]
TINT_NAMES = ["none", "warm", "cool", "green", "dark"]

QUESTIONS = [
    ("data", "1. Data?", "10K images. How many do we need, and what do they show?"),
    ("split", "2. Split?", "Train / validation / test: the test set is used once, at the end."),
    ("bias", "3. Bias?", "Class balance, hard cases, a camera the model never saw."),
    ("input", "4. Input?", "Resolution (64, 64, 3). Would 32 px do? Does 128 px pay?"),
    ("output", "5. Output?", "y = 0 or 1 with a sigmoid: one probability."),
    ("architecture", "6. Architecture?", "A shallow CNN."),
    ("loss", "7. Loss? Train", "Binary cross-entropy. Train it and watch the curves."),
    ("results", "8. Results", "Per subgroup, and the mistakes it was most sure about."),
    ("use", "9. Use it", "Classify files, folders, or the live camera."),
    ("export", "10. Export", "TorchScript (+ ONNX) with a metadata file."),
]


def _explain(text: str) -> QLabel:
    lab = QLabel(text)
    lab.setWordWrap(True)
    lab.setTextFormat(Qt.TextFormat.RichText)
    return lab


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    t.horizontalHeader().setStretchLastSection(True)
    return t


def _fill(table: QTableWidget, rows: list[list]) -> None:
    table.setRowCount(len(rows))
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if isinstance(v, float):
                v = f"{v:.1%}" if 0 <= v <= 1 else f"{v:.2f}"
            table.setItem(i, j, QTableWidgetItem(str(v)))
    table.resizeColumnsToContents()


class LiveWorker(QObject):
    """Runs a LiveClassifier in a worker thread (newest frame wins).

    Signals:
        reading(object)  dict: p_day (float), label (str), fps (float), dropped (int),
                         latency_ms (float), frame_no (int), image (owned QImage)
        error(str)       user-facing message (e.g. no camera)
        finished()       always last
    """

    reading = Signal(object)
    error = Signal(str)
    finished = Signal()

    def __init__(self, model, spec: str, max_hz: float = 30.0):
        super().__init__()
        self._model = model
        self._spec = spec
        self._stop = threading.Event()
        self._min_dt = 1.0 / max_hz

    def cancel(self) -> None:
        self._stop.set()

    @Slot()
    def run(self) -> None:
        from workbench.core.errors import WorkbenchError

        live = None
        try:
            from workbench.core.capture.camera import open_camera
            from workbench.core.studies.daynight.live import LiveClassifier

            spec = self._spec
            kwargs = {"loop": True} if not spec.startswith(("camera", "synthetic")) else {}
            if spec.startswith("synthetic"):
                kwargs = {"n_frames": None, "size": (320, 240)}
            src = open_camera(spec, **kwargs)
            # files and synthetic sources are played at their frame rate, like a camera
            live = LiveClassifier(self._model, src, pace=not spec.startswith("camera"), smoothing=0.3)
            live.start()
            last = 0.0
            while not self._stop.is_set():
                r = live.step(timeout=0.25)
                if r is None:
                    if live.grabber.finished:
                        break
                    continue
                now = time.perf_counter()
                if now - last < self._min_dt:
                    continue
                last = now
                frame = r.frame
                if frame is not None and frame.shape[1] > 480:  # keep the payload small
                    step = int(np.ceil(frame.shape[1] / 480))
                    frame = frame[::step, ::step]
                self.reading.emit({"p_day": float(r.p_day), "label": r.label, "fps": float(r.fps),
                                   "dropped": int(r.dropped), "latency_ms": float(r.latency_ms),
                                   "frame_no": int(r.frame_no),
                                   "image": array_to_qimage(frame) if frame is not None else None})
        except WorkbenchError as e:
            self.error.emit(str(e))
        except Exception as e:  # shown in the panel, never raised in the thread
            self.error.emit(f"{type(e).__name__}: {e}")
        finally:
            if live is not None:
                live.stop()
            self.finished.emit()


def _train_at(ds, size: int, *, trainer, epochs, batch_size, lr, seed, split, early_stopping, run_store):
    """Worker job: the data at ``size`` (generated sets are redrawn sharp), then train. Explicit
    keywords: the worker passes progress/should_cancel to functions that take ``**kwargs``."""
    from workbench.core.studies.daynight.model import dataset_at, train_daynight

    return train_daynight(dataset_at(ds, size), size, trainer=trainer, epochs=epochs, batch_size=batch_size, lr=lr,
                          seed=seed, split=split, early_stopping=early_stopping, run_store=run_store)


class _Same:
    """trainer_factory for the sweep: one Trainer (and its GUI bridge) for every size."""

    def __init__(self, trainer):
        self.trainer = trainer

    def __call__(self):
        return self.trainer


class _UserStopped:
    def __init__(self, trainer):
        self.trainer = trainer

    def __call__(self) -> bool:
        return bool(self.trainer.stop_requested_by_user)


class DayNightPanel(SingleJobMixin, Panel):
    """Case study 1: day or night, from 10,000 generated images to a live camera."""

    title = "Day & Night"
    icon_name = "SP_DesktopIcon"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.setAcceptDrops(True)
        self.tasks = TaskController(self)
        self.dataset = None  # Dataset (generated or imported)
        self.outcome = None  # TrainOutcome of the last training
        self.model = None  # DayNightModel in use
        self.runs: list[dict] = []
        self.sweep_rows: list[dict] = []
        self._trainer = None
        self._job = None
        self._live_handle = None
        self._live_worker = None
        self._bridge = None
        self._buffer = None
        self._drawn_version = -1
        self.last_reading: dict | None = None
        self._build()
        self._chart_timer = QTimer(self)
        self._chart_timer.setInterval(100)  # <= 10 Hz redraws; the buffer only stores
        self._chart_timer.timeout.connect(self._redraw_training)

    # ------------------------------------------------------------------------------------ build
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.banner = Banner()
        outer.addWidget(self.banner)
        split = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(split, 1)
        self.nav = QListWidget()
        self.nav.setMaximumWidth(190)
        for _, label, tip in QUESTIONS:
            self.nav.addItem(label)
            self.nav.item(self.nav.count() - 1).setToolTip(tip)
        split.addWidget(self.nav)
        self.pages = QStackedWidget()
        split.addWidget(self.pages)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setCollapsible(0, False)
        split.setSizes([self.nav.maximumWidth(), 4 * self.nav.maximumWidth()])  # no gap beside the list
        builders = {"data": self._page_data, "split": self._page_split, "bias": self._page_bias,
                    "input": self._page_input, "output": self._page_output,
                    "architecture": self._page_architecture, "loss": self._page_train,
                    "results": self._page_results, "use": self._page_use, "export": self._page_export}
        self.page_index = {}
        for key, label, tip in QUESTIONS:
            page = QWidget()
            lay = QVBoxLayout(page)
            lay.addWidget(_explain(f"<h3>{label}</h3><p>{tip}</p>"))
            builders[key](lay)
            self.page_index[key] = self.pages.count()
            self.pages.addWidget(page)
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.size_combo.currentTextChanged.connect(self._show_architecture)
        self.nav.setCurrentRow(0)
        bottom = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel_job)
        self.status = QLabel("Generate or drop a folder of day/ and night/ images to start.")
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.cancel_btn)
        outer.addLayout(bottom)

    def _page_data(self, lay) -> None:
        lay.addWidget(_explain(
            "No day/night photo set ships offline, so the scenes are generated: sky gradient, sun or moon "
            "and stars, clouds, buildings with lit or dark windows, camera exposure and noise. You can also "
            "drop your own folder (one subfolder per class, e.g. <i>day/</i> and <i>night/</i>)."))
        form = QFormLayout()
        self.n_spin = QSpinBox()
        self.n_spin.setRange(20, 200_000)
        self.n_spin.setSingleStep(1000)
        self.n_spin.setValue(10_000)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 1_000_000)
        form.addRow("Images", self.n_spin)
        form.addRow("Seed", self.seed_spin)
        lay.addLayout(form)
        row = QHBoxLayout()
        self.generate_btn = QPushButton("Generate in memory")
        self.generate_btn.clicked.connect(self.generate)
        self.write_btn = QPushButton("Write as folder…")
        self.write_btn.clicked.connect(self._ask_write_folder)
        self.import_btn = QPushButton("Import folder…")
        self.import_btn.clicked.connect(self._ask_import_folder)
        for b in (self.generate_btn, self.write_btn, self.import_btn):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.data_info = QLabel("")
        self.data_info.setWordWrap(True)
        lay.addWidget(self.data_info)
        self.samples = ImageGridWidget(thumb=72)
        lay.addWidget(self.samples, 1)

    def _page_split(self, lay) -> None:
        lay.addWidget(_explain(
            "Hold-out: the model learns on <b>train</b>, we pick epochs on <b>validation</b>, and score "
            "<b>test</b> once. With 10,000 images, 10% each for validation and test is plenty."))
        form = QFormLayout()
        self.val_spin = QDoubleSpinBox()
        self.val_spin.setRange(0.0, 0.5)
        self.val_spin.setSingleStep(0.05)
        self.val_spin.setValue(0.1)
        self.test_spin = QDoubleSpinBox()
        self.test_spin.setRange(0.05, 0.5)
        self.test_spin.setSingleStep(0.05)
        self.test_spin.setValue(0.1)
        form.addRow("Validation share", self.val_spin)
        form.addRow("Test share", self.test_spin)
        lay.addLayout(form)
        self.split_info = QLabel("")
        for s in (self.val_spin, self.test_spin, self.n_spin):
            s.valueChanged.connect(self._update_split_info)
        lay.addWidget(self.split_info)
        lay.addStretch(1)
        self._update_split_info()

    def _page_bias(self, lay) -> None:
        lay.addWidget(_explain(
            "A model is only as fair as its data. Change the share of day images and of the hard scenes "
            "(dusk, dawn, overcast days, bright city nights), or the camera's colour, then regenerate. "
            "A <b>shifted test set</b> shows how a model that scores well on its own split does on data "
            "it never saw."))
        form = QFormLayout()
        self.balance_spin = QDoubleSpinBox()
        self.balance_spin.setRange(0.05, 0.95)
        self.balance_spin.setSingleStep(0.05)
        self.balance_spin.setValue(0.5)
        self.hard_spin = QDoubleSpinBox()
        self.hard_spin.setRange(0.0, 1.0)
        self.hard_spin.setSingleStep(0.05)
        self.hard_spin.setValue(0.2)
        self.tint_combo = QComboBox()
        self.tint_combo.addItems(TINT_NAMES)
        form.addRow("Share of day images", self.balance_spin)
        form.addRow("Share of hard scenes", self.hard_spin)
        form.addRow("Camera tint", self.tint_combo)
        lay.addLayout(form)
        self.group_checks = {}
        box = QGroupBox("Scenes to include")
        bl = QHBoxLayout(box)
        for g in GROUP_NAMES:
            cb = QCheckBox(g)
            cb.setChecked(True)
            self.group_checks[g] = cb
            bl.addWidget(cb)
        lay.addWidget(box)
        regen = QPushButton("Regenerate with these settings")
        regen.clicked.connect(self.generate)
        lay.addWidget(regen)
        row = QHBoxLayout()
        self.shift_combo = QComboBox()
        self.shift_combo.addItems(SHIFT_NAMES)
        self.shift_btn = QPushButton("Score the model on a shifted test set")
        self.shift_btn.clicked.connect(self.evaluate_shift)
        row.addWidget(QLabel("Shift"))
        row.addWidget(self.shift_combo)
        row.addWidget(self.shift_btn)
        row.addStretch(1)
        lay.addLayout(row)
        self.shift_table = _table(["group", "class", "n", "accuracy", "errors", "mean P(day)"])
        lay.addWidget(self.shift_table, 1)

    def _page_input(self, lay) -> None:
        lay.addWidget(_explain(
            "The input is an RGB image resized to size x size, pixels scaled to [0, 1]. Smaller is "
            "faster; does it cost accuracy? The sweep trains the same CNN on the same images at each "
            "resolution."))
        row = QHBoxLayout()
        self.size_combo = QComboBox()
        self.size_combo.addItems(["32", "64", "128"])
        self.size_combo.setCurrentText("64")
        row.addWidget(QLabel("Resolution"))
        row.addWidget(self.size_combo)
        self.sweep_checks = {}
        for s in ("32", "64", "128"):
            cb = QCheckBox(f"{s} px")
            cb.setChecked(True)
            self.sweep_checks[s] = cb
            row.addWidget(cb)
        self.sweep_btn = QPushButton("Run resolution sweep")
        self.sweep_btn.clicked.connect(self.run_sweep)
        row.addWidget(self.sweep_btn)
        row.addStretch(1)
        lay.addLayout(row)
        charts = QHBoxLayout()
        self.sweep_acc = pg.PlotWidget(title="Test accuracy vs resolution")
        self.sweep_acc.setLabel("bottom", "pixels")
        self.sweep_time = pg.PlotWidget(title="Training time (s) vs resolution")
        self.sweep_time.setLabel("bottom", "pixels")
        self._sweep_acc_curve = self.sweep_acc.plot([], [], pen=pg.mkPen(color(0), width=2), symbol="o")
        self._sweep_time_curve = self.sweep_time.plot([], [], pen=pg.mkPen(color(1), width=2), symbol="o")
        charts.addWidget(self.sweep_acc)
        charts.addWidget(self.sweep_time)
        lay.addLayout(charts, 1)
        self.sweep_table = _table(["size", "accuracy", "train s", "s / epoch", "params", "epochs"])
        self.sweep_table.setMaximumHeight(140)
        lay.addWidget(self.sweep_table)

    def _page_output(self, lay) -> None:
        lay.addWidget(_explain(
            "One output unit with a <b>sigmoid</b>: the model gives one number in [0, 1]. Classes are "
            "<i>day</i> = 0 and <i>night</i> = 1 (alphabetical, as a folder import gives), so the sigmoid "
            "is P(night) and the gauge shows P(day) = 1 - P(night). Above the threshold a frame is day."))
        form = QFormLayout()
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.05, 0.95)
        self.threshold_spin.setSingleStep(0.05)
        self.threshold_spin.setValue(0.5)
        self.threshold_spin.valueChanged.connect(self._show_results)
        form.addRow("P(day) threshold", self.threshold_spin)
        lay.addLayout(form)
        self.output_info = QLabel("Train a model to see how the threshold moves errors between classes.")
        self.output_info.setWordWrap(True)
        lay.addWidget(self.output_info)
        lay.addStretch(1)

    def _page_architecture(self, lay) -> None:
        lay.addWidget(_explain(
            "The <b>shallow-cnn</b> preset: three 3x3 convolution blocks, a global average pool and a "
            "small dense layer, then one sigmoid unit. The same spec as the Model panel's preset."))
        self.arch_text = QPlainTextEdit()
        self.arch_text.setReadOnly(True)
        self.arch_text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        lay.addWidget(self.arch_text, 1)
        row = QHBoxLayout()
        show = QPushButton("Show layers at this resolution")
        show.clicked.connect(self._show_architecture)
        to_model = QPushButton("Open in the Model panel")
        to_model.clicked.connect(self._send_to_model_panel)
        row.addWidget(show)
        row.addWidget(to_model)
        row.addStretch(1)
        lay.addLayout(row)

    def _page_train(self, lay) -> None:
        lay.addWidget(_explain(
            "Binary cross-entropy on the sigmoid output (computed stably from the raw output). Training "
            "runs through the same engine as the Train panel; each run joins the project's run history."))
        form = QHBoxLayout()
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 200)
        self.epochs_spin.setValue(8)
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 4096)
        self.batch_spin.setValue(64)
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(5)
        self.lr_spin.setRange(1e-5, 1.0)
        self.lr_spin.setSingleStep(0.0005)
        self.lr_spin.setValue(0.002)
        self.patience_spin = QSpinBox()
        self.patience_spin.setRange(0, 50)
        self.patience_spin.setValue(3)
        for lab, w in (("Epochs", self.epochs_spin), ("Batch", self.batch_spin), ("Learning rate", self.lr_spin),
                       ("Early stop (0 off)", self.patience_spin)):
            form.addWidget(QLabel(lab))
            form.addWidget(w)
        self.train_btn = QPushButton("Train")
        self.train_btn.clicked.connect(self.train)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setEnabled(False)
        self.stop_btn.clicked.connect(self.stop_training)
        form.addWidget(self.train_btn)
        form.addWidget(self.stop_btn)
        form.addStretch(1)
        lay.addLayout(form)
        charts = QHBoxLayout()
        self.loss_plot = pg.PlotWidget(title="Loss")
        self.loss_plot.addLegend()
        self.loss_plot.setLabel("bottom", "epoch")
        self._batch_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#bbbbbb"), name="batch (smoothed)")
        self._loss_curve = self.loss_plot.plot([], [], pen=pg.mkPen(color(0), width=2), symbol="o", name="train")
        self._val_curve = self.loss_plot.plot([], [], pen=pg.mkPen(color(1), width=2), symbol="o", name="validation")
        self.acc_plot = pg.PlotWidget(title="Accuracy")
        self.acc_plot.addLegend()
        self.acc_plot.setLabel("bottom", "epoch")
        self._acc_curve = self.acc_plot.plot([], [], pen=pg.mkPen(color(0), width=2), symbol="o", name="train")
        self._vacc_curve = self.acc_plot.plot([], [], pen=pg.mkPen(color(1), width=2), symbol="o", name="validation")
        charts.addWidget(self.loss_plot)
        charts.addWidget(self.acc_plot)
        lay.addLayout(charts, 2)
        lay.addWidget(QLabel("Runs in this session (also in the Train panel's run history):"))
        self.runs_table = _table(["run", "size", "n", "test acc", "baseline", "epochs", "train s", "stop"])
        self.runs_table.setMaximumHeight(150)
        lay.addWidget(self.runs_table)

    def _page_results(self, lay) -> None:
        self.results_info = QLabel("Train a model first.")
        self.results_info.setWordWrap(True)
        lay.addWidget(self.results_info)
        row = QHBoxLayout()
        self.groups_table = _table(["group", "class", "n", "accuracy", "errors", "mean P(day)"])
        self.groups_chart = BarChart("Test accuracy per subgroup")
        row.addWidget(self.groups_table, 2)
        row.addWidget(self.groups_chart, 3)  # room for the group names under the bars
        lay.addLayout(row, 1)
        lay.addWidget(QLabel("Misclassified test images, most confident mistakes first:"))
        self.wrong_grid = ImageGridWidget(thumb=84)  # captions like "night→day 100%" fit
        lay.addWidget(self.wrong_grid, 1)

    def _page_use(self, lay) -> None:
        lay.addWidget(_explain("Drop image files or folders here to classify them, or run the live camera."))
        row = QHBoxLayout()
        self.classify_btn = QPushButton("Classify files…")
        self.classify_btn.clicked.connect(self._ask_classify)
        row.addWidget(self.classify_btn)
        row.addStretch(1)
        lay.addLayout(row)
        self.classify_table = _table(["file", "label", "P(day)"])
        self.classify_table.setMaximumHeight(180)
        lay.addWidget(self.classify_table)
        live = QGroupBox("Live")
        ll = QVBoxLayout(live)
        src_row = QHBoxLayout()
        self.source_combo = QComboBox()
        self.source_combo.setEditable(True)
        self.source_combo.addItems(["camera:0", "camera:1", "synthetic:cycle", "synthetic:day", "synthetic:night"])
        self.source_file_btn = QPushButton("Video or image folder…")
        self.source_file_btn.clicked.connect(self._ask_source_file)
        self.live_btn = QPushButton("Start live")
        self.live_btn.clicked.connect(self.toggle_live)
        src_row.addWidget(QLabel("Source"))
        src_row.addWidget(self.source_combo, 1)
        src_row.addWidget(self.source_file_btn)
        src_row.addWidget(self.live_btn)
        ll.addLayout(src_row)
        view = QHBoxLayout()
        self.frame_view = QLabel("no frames yet")
        self.frame_view.setMinimumSize(320, 240)
        self.frame_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.frame_view.setStyleSheet("background:#222;color:#ccc;")
        view.addWidget(self.frame_view, 2)
        gauge_box = QVBoxLayout()
        self.gauge = QProgressBar()
        self.gauge.setOrientation(Qt.Orientation.Vertical)
        self.gauge.setRange(0, 1000)
        self.gauge.setTextVisible(False)
        self.gauge.setMinimumHeight(200)
        self.gauge_label = QLabel("P(day) —")
        self.live_info = QLabel("")
        gauge_box.addWidget(QLabel("P(day)"))
        gauge_box.addWidget(self.gauge, 1)
        gauge_box.addWidget(self.gauge_label)
        gauge_box.addWidget(self.live_info)
        view.addLayout(gauge_box)
        ll.addLayout(view, 1)
        lay.addWidget(live, 1)

    def _page_export(self, lay) -> None:
        lay.addWidget(_explain(
            "Writes <i>daynight.torchscript.pt</i> (runs without Workbench: <code>torch.jit.load</code>), "
            "<i>daynight.onnx</i> when the ONNX exporter is installed, and <i>daynight.json</i> with the input "
            "size, scaling and class names."))
        row = QHBoxLayout()
        self.export_btn = QPushButton("Export…")
        self.export_btn.clicked.connect(self._ask_export)
        self.save_btn = QPushButton("Save model…")
        self.save_btn.clicked.connect(self._ask_save_model)
        self.load_btn = QPushButton("Load model…")
        self.load_btn.clicked.connect(self._ask_load_model)
        for b in (self.export_btn, self.save_btn, self.load_btn):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.export_info = QPlainTextEdit()
        self.export_info.setReadOnly(True)
        lay.addWidget(self.export_info, 1)

    # ------------------------------------------------------------------------------- helpers
    def go(self, key: str) -> None:
        self.nav.setCurrentRow(self.page_index[key])

    def _after_job(self) -> None:
        self.stop_btn.setEnabled(False)
        self.train_btn.setEnabled(True)
        self._chart_timer.stop()
        self._redraw_training()

    def _only_groups(self):
        chosen = [g for g, cb in self.group_checks.items() if cb.isChecked()]
        if not chosen:
            return None
        return None if len(chosen) == len(GROUP_NAMES) else chosen

    def _size(self) -> int:
        return int(self.size_combo.currentText())

    def _split_text(self) -> str:
        return f"holdout:{self.val_spin.value():.3f},{self.test_spin.value():.3f}"

    def _update_split_info(self) -> None:
        n = len(self.dataset) if self.dataset is not None else self.n_spin.value()
        va, te = self.val_spin.value(), self.test_spin.value()
        n_te, n_va = int(round(n * te)), int(round(n * va))
        self.split_info.setText(f"With {n:,} images: {n - n_te - n_va:,} train, {n_va:,} validation, {n_te:,} test "
                                "(stratified by class).")

    # ---------------------------------------------------------------------------------- data
    def generation_kwargs(self) -> dict:
        tint = self.tint_combo.currentText()
        return dict(n=self.n_spin.value(), size=self._size(),
                    balance=self.balance_spin.value(), hard_share=self.hard_spin.value(),
                    seed=self.seed_spin.value(), tint=None if tint == "none" else tint,
                    only_groups=self._only_groups())

    def generate(self) -> None:
        from workbench.core.studies.daynight.data import generate_dataset

        kw = self.generation_kwargs()
        self._start_job(generate_dataset, on_result=self._on_dataset, label=f"Generating {kw['n']:,} scenes…", **kw)

    @Slot(object)
    def _on_dataset(self, ds) -> None:
        self.set_dataset(ds)

    def set_dataset(self, ds) -> None:
        from workbench.core.studies.daynight.data import groups_from_paths

        if ds.groups is None and ds.paths is not None:
            ds.groups = groups_from_paths(ds.paths)
        self.dataset = ds
        counts = np.bincount(ds.y, minlength=len(ds.class_names or [])) if len(ds) else []
        parts = [f"{c}: {int(k):,}" for c, k in zip(ds.class_names or [], counts)]
        info = f"{ds.description or ds.name}. Classes: {', '.join(parts)}."
        if ds.groups is not None:
            g, k = np.unique(ds.groups, return_counts=True)
            info += " Groups: " + ", ".join(f"{a} {int(b):,}" for a, b in zip(g, k)) + "."
        if ds.skipped:
            info += f" Skipped {len(ds.skipped)} file(s), e.g. {Path(ds.skipped[0][0]).name}: {ds.skipped[0][1]}."
        self.data_info.setText(info)
        rng = np.random.default_rng(0)
        idx = rng.choice(len(ds), size=min(48, len(ds)), replace=False) if len(ds) else []
        caps = [(str(ds.groups[i]) if ds.groups is not None else ds.class_names[int(ds.y[i])]) for i in idx]
        self.samples.set_images([ds.X[i] for i in idx], caps)
        self._update_split_info()
        self.status.setText(f"{len(ds):,} images ready.")
        self.progress.setValue(100)
        self.ctx.status(f"Day & Night: {len(ds):,} images")

    def _ask_write_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Write the generated images to…")
        if d:
            self.write_folder(d)

    def write_folder(self, folder: str) -> None:
        from workbench.core.studies.daynight.data import write_folder

        kw = self.generation_kwargs()
        kw["size"] = self._size()
        self._start_job(write_folder, folder, on_result=self._on_written, label=f"Writing {kw['n']:,} images…", **kw)

    @Slot(object)
    def _on_written(self, summary) -> None:
        self.banner.show_message(f"Wrote {summary['n']:,} images to {summary['path']} "
                                 f"({summary['classes']['day']:,} day, {summary['classes']['night']:,} night).", "ok")

    def _ask_import_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Folder with one subfolder per class (day/, night/)")
        if d:
            self.import_folder(d)

    def import_folder(self, folder: str) -> None:
        from workbench.core.data import load_image_folder

        size = self._size()
        self._start_job(load_image_folder, folder, (size, size), on_result=self._on_dataset,
                        label=f"Importing {folder}…")

    # ------------------------------------------------------------------------------ training
    def _train_kwargs(self) -> dict:
        return dict(epochs=self.epochs_spin.value(), batch_size=self.batch_spin.value(), lr=self.lr_spin.value(),
                    seed=self.seed_spin.value(), split=self._split_text(),
                    early_stopping=self.patience_spin.value() or None, run_store=self._run_store())

    def _run_store(self):
        if self.ctx.project_dir is None:
            return None
        from workbench.core.runs import RunStore

        return RunStore(self.ctx.project_dir)

    def _need_data(self) -> bool:
        if self.dataset is None:
            self.banner.show_message("No images yet: generate a data set (1. Data?) or drop a folder first.", "warning")
            self.go("data")
            return False
        return True

    def _make_trainer(self):
        from workbench.core.training import Trainer
        from workbench.ui.training_bridge import TrainingBridge, TrainingBuffer

        if self._bridge is None:
            self._bridge = TrainingBridge(self)
            self._buffer = TrainingBuffer(self)
            # connected before the buffer: each fit (each size of a sweep) starts a fresh chart
            self._bridge.fit_started.connect(self._on_fit_started)
            self._buffer.connect_bridge(self._bridge)
        self._buffer.clear()
        self._drawn_version = -1
        return Trainer(callbacks=[self._bridge.callback()])

    @Slot(dict)
    def _on_fit_started(self, info: dict) -> None:
        self._buffer.clear()
        self._drawn_version = -1

    def train(self) -> None:
        if not self._need_data() or self._busy():
            if self._busy():
                self.banner.show_message("Another job is still running; wait for it or cancel it.", "warning")
            return
        trainer = self._make_trainer()
        job = self._start_training(trainer, _train_at, self.dataset, self._size(), trainer=trainer,
                                   on_result=self._on_trained, label=f"Training at {self._size()} px…",
                                   **self._train_kwargs())
        if job is not None:
            self.go("loss")

    @Slot()
    def _redraw_training(self) -> None:
        b = self._buffer
        if b is None or b.version == self._drawn_version:
            return
        self._drawn_version = b.version
        self._batch_curve.setData(b.batch_x[-2000:], b.batch_smooth[-2000:])
        for curve, key in ((self._loss_curve, "loss"), (self._val_curve, "val_loss"),
                           (self._acc_curve, "accuracy"), (self._vacc_curve, "val_accuracy")):
            xs, ys = b.series(key)
            curve.setData(xs, ys)
        p = b.progress()
        if p["total_epochs"] and self._trainer is not None:
            self.progress.setValue(int(100 * p["fraction"]))
            eta = f", ETA {p['eta_s']:.0f} s" if p.get("eta_s") else ""
            self.status.setText(f"Epoch {p['epochs_done']:.1f}/{p['total_epochs']}, "
                                f"{p['samples_per_s']:.0f} samples/s{eta}")

    @Slot(object)
    def _on_trained(self, outcome) -> None:
        self.outcome = outcome
        self.model = outcome.model
        rec = outcome.record.to_dict()
        self.runs.append({"name": rec.get("name"), **outcome.summary(), "run_id": outcome.run_id})
        _fill(self.runs_table, [[r.get("run_id") or r["name"], r["size"], r["n_train"], r["test_accuracy"],
                                 r["baseline"], r["epochs"], f"{r['train_time']:.1f}", r["stop_reason"]]
                                for r in self.runs])
        self.ctx.add_run(rec)
        self._show_results()
        self.status.setText(f"Test accuracy {outcome.test_accuracy:.1%} at {outcome.model.size} px, "
                            f"{outcome.train_time:.1f} s of training.")
        self.banner.show_message(outcome.fit.message or "Training finished.",
                                 "ok" if outcome.fit.stop_reason != "nan" else "warning")

    def _show_results(self) -> None:
        o = self.outcome
        if o is None:
            return
        from workbench.core.studies.daynight.model import misclassified
        from workbench.core.studies.daynight.data import subgroup_report

        thr = self.threshold_spin.value()
        pred = np.where(o.p_day_test >= thr, o.model.day_index, 1 - o.model.day_index)
        groups = self.dataset.groups[o.test_idx] if self.dataset is not None and self.dataset.groups is not None \
            and len(self.dataset) > int(o.test_idx.max(initial=0)) else None
        rows = subgroup_report(o.y_test, pred, groups, o.model.class_names, o.p_day_test)
        acc = rows[-1]["accuracy"]
        _fill(self.groups_table, [[r["group"], r["label"], r["n"], r["accuracy"], r["errors"],
                                   f"{r.get('mean_p_day', float('nan')):.3f}"] for r in rows])
        t = self.groups_table
        t.resizeColumnsToContents()  # the chart beside it takes the rest, the table is never cut
        t.setMinimumWidth(t.horizontalHeader().length() + 2 * t.frameWidth() + t.verticalScrollBar().sizeHint().width())
        names = [r["group"] for r in rows]
        self.groups_chart.set_bars(names, [r["accuracy"] for r in rows])
        wrong = misclassified(o.test_idx, o.y_test, pred, o.p_day_test, o.model.class_names, groups, limit=60)
        if self.dataset is not None:
            imgs = [self.dataset.X[w["index"]] for w in wrong]
            caps = [f"{w['true']}→{w['pred']} {w['confidence']:.0%}" for w in wrong]
            tips = [f"{w['group'] or ''} P(day)={w['p_day']:.3f}" for w in wrong]
            self.wrong_grid.set_images(imgs, caps, tips)
        n_fp = int(((pred == o.model.day_index) & (o.y_test != o.model.day_index)).sum())
        n_fn = int(((pred != o.model.day_index) & (o.y_test == o.model.day_index)).sum())
        self.results_info.setText(
            f"Test accuracy {acc:.2%} on {len(o.y_test):,} images (baseline {o.baseline:.1%}); "
            f"{len(wrong)} mistakes shown. Threshold {thr:.2f}.")
        self.output_info.setText(f"At threshold {thr:.2f}: {n_fp} night images called day, {n_fn} day images "
                                 f"called night, accuracy {acc:.2%}.")

    # --------------------------------------------------------------------------------- sweep
    def run_sweep(self) -> None:
        if not self._need_data():
            return
        sizes = [int(s) for s, cb in self.sweep_checks.items() if cb.isChecked()]
        if not sizes:
            self.banner.show_message("Tick at least one resolution for the sweep.", "warning")
            return
        from workbench.core.studies.daynight.model import resolution_sweep

        self.sweep_rows = []
        self._update_sweep_chart()
        trainer = self._make_trainer()
        self._start_training(trainer, resolution_sweep, self.dataset, sizes, trainer_factory=_Same(trainer),
                             should_stop=_UserStopped(trainer), on_result=self._on_sweep,
                             label=f"Resolution sweep {sizes}…", **self._train_kwargs())

    @Slot(object)
    def _on_sweep(self, rows) -> None:
        self.sweep_rows = list(rows)
        self._update_sweep_chart()
        self.status.setText("Sweep done: " + ", ".join(f"{r['size']} px {r['test_accuracy']:.1%} in "
                                                       f"{r['train_time']:.0f} s" for r in rows))

    def _update_sweep_chart(self) -> None:
        rows = self.sweep_rows
        xs = [r["size"] for r in rows]
        self._sweep_acc_curve.setData(xs, [r["test_accuracy"] for r in rows])
        self._sweep_time_curve.setData(xs, [r["train_time"] for r in rows])
        _fill(self.sweep_table, [[r["size"], r["test_accuracy"], f"{r['train_time']:.1f}",
                                  f"{r.get('time_per_epoch', 0):.2f}", r["params"], r["epochs"]] for r in rows])

    # ---------------------------------------------------------------------------- shift/eval
    def evaluate_shift(self) -> None:
        if self.model is None:
            self.banner.show_message("Train a model first (7. Loss? Train).", "warning")
            return
        from workbench.core.studies.daynight.model import evaluate_on
        from workbench.core.studies.daynight.data import generate_shifted

        shift = self.shift_combo.currentText()
        model = self.model

        def job(shift, size, n):
            return evaluate_on(model, generate_shifted(shift, n=n, size=size))

        self._start_job(job, shift, model.size, 1000, on_result=self._on_shift, label=f"Scoring on '{shift}'…")

    @Slot(object)
    def _on_shift(self, res) -> None:
        rows = res["subgroups"]
        _fill(self.shift_table, [[r["group"], r["label"], r["n"], r["accuracy"], r["errors"],
                                  f"{r.get('mean_p_day', float('nan')):.3f}"] for r in rows])
        own = self.outcome.test_accuracy if self.outcome is not None else float("nan")
        self.banner.show_message(f"Shifted test set: accuracy {res['accuracy']:.1%} (own test split {own:.1%}).",
                                 "info")

    # --------------------------------------------------------------------------- architecture
    def _show_architecture(self) -> None:
        try:
            from workbench.core.models import get_preset, summarize_model
            from workbench.core.studies.daynight.model import make_head

            s = self._size()
            summ = summarize_model(get_preset("shallow-cnn"), (3, s, s), (1,), make_head())
            self.arch_text.setPlainText(summ.to_text() if hasattr(summ, "to_text") else str(summ))
        except Exception as e:  # a missing preset is shown, not raised
            self.arch_text.setPlainText(f"{type(e).__name__}: {e}")

    def _send_to_model_panel(self) -> None:
        from workbench.core.models import get_preset
        from workbench.core.studies.daynight.model import make_head

        self.ctx.set_model_spec(get_preset("shallow-cnn"))
        self.ctx.set_head(make_head())
        if self.dataset is not None:
            self.ctx.set_dataset(self.dataset)
        self.ctx.status("Shallow CNN and the Day & Night data sent to the Data/Model/Train panels.")

    # ---------------------------------------------------------------------------- classify
    def _ask_classify(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Images to classify", "",
                                                "Images (*.png *.jpg *.jpeg *.bmp *.webp)")
        if files:
            self.classify(files)

    def classify(self, paths: list[str]) -> None:
        if self.model is None:
            self.banner.show_message("Train or load a model first, then drop images to classify.", "warning")
            return
        from workbench.core.studies.daynight.model import classify_paths

        self.go("use")
        self._start_job(classify_paths, self.model, list(paths), on_result=self._on_classified,
                        label=f"Classifying {len(paths)} path(s)…")

    @Slot(object)
    def _on_classified(self, result) -> None:
        rows, skipped = result
        _fill(self.classify_table, [[Path(r["path"]).name, r["label"], f"{r['p_day']:.3f}"] for r in rows])
        if skipped:
            self.banner.show_message(f"Skipped {len(skipped)}: " + "; ".join(
                f"{Path(f).name} ({why})" for f, why in skipped[:5]), "warning")
        self.status.setText(f"Classified {len(rows)} image(s).")

    # ---------------------------------------------------------------------------------- live
    def _ask_source_file(self) -> None:
        f, _ = QFileDialog.getOpenFileName(self, "Video file", "", "Videos (*.mp4 *.avi *.mov *.mkv *.webm);;All (*)")
        if not f:
            f = QFileDialog.getExistingDirectory(self, "…or a folder of images")
        if f:
            self.source_combo.setEditText(f)

    def toggle_live(self) -> None:
        if self._live_handle is not None:
            self.stop_live()
        else:
            self.start_live(self.source_combo.currentText().strip())

    def start_live(self, spec: str) -> None:
        if self.model is None:
            self.banner.show_message("Train or load a model first: the gauge shows its P(day).", "warning")
            return
        if self._live_handle is not None:
            return
        self.banner.clear_message()
        worker = LiveWorker(self.model, spec)
        worker.reading.connect(self._on_reading)
        self._live_worker = worker
        handle = self.tasks.start_worker(worker)
        handle.error.connect(self._on_live_error)
        handle.finished.connect(self._on_live_finished)
        self._live_handle = handle
        self.live_btn.setText("Stop live")
        self.frame_view.setText(f"opening {spec}…")

    def stop_live(self) -> None:
        if self._live_handle is not None:
            self._live_handle.cancel()

    @Slot(object)
    def _on_reading(self, r: dict) -> None:
        p = r["p_day"]
        self.gauge.setValue(int(round(p * 1000)))
        day = p >= self.threshold_spin.value()
        if day != getattr(self, "_gauge_day", None):  # restyle only when the answer flips
            self._gauge_day = day
            self.gauge.setStyleSheet("QProgressBar::chunk{background:%s;}" % ("#f2b705" if day else "#2b3a67"))
        self.gauge_label.setText(f"P(day) {p:.2f}: {'day' if day else 'night'}")
        self.live_info.setText(f"{r['fps']:.1f} fps, {r['latency_ms']:.0f} ms/frame\ndropped {r['dropped']}")
        img = r.get("image")
        if img is not None:
            pm = QPixmap.fromImage(img)
            self.frame_view.setPixmap(pm.scaled(self.frame_view.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                                Qt.TransformationMode.FastTransformation))
        self.last_reading = r

    @Slot(str)
    def _on_live_error(self, msg: str) -> None:
        if "camera" in msg.lower():
            msg += " Choose a video file or a folder of images with the button next to the source."
            self.source_file_btn.setFocus()
        self.banner.show_message(msg, "warning")
        self.frame_view.setText("no camera" if "camera" in msg.lower() else "no frames")

    @Slot()
    def _on_live_finished(self) -> None:
        self._live_handle = None
        self._live_worker = None
        self.live_btn.setText("Start live")

    # -------------------------------------------------------------------------------- export
    def _ask_export(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Export the model to…")
        if d:
            self.export(d)

    def export(self, folder: str) -> None:
        if self.model is None:
            self.banner.show_message("Train or load a model first.", "warning")
            return
        from workbench.core.studies.daynight.export import export_model
        from workbench.core.studies.daynight.model import DayNightModel

        if not isinstance(self.model, DayNightModel):
            self.banner.show_message("This model was loaded from an export; it is already exported.", "info")
            return
        self._start_job(export_model, self.model, folder, on_result=self._on_exported, label="Exporting…")

    @Slot(object)
    def _on_exported(self, res) -> None:
        lines = [f"TorchScript: {res['torchscript']}",
                 f"ONNX: {res['onnx']}" if res.get("onnx") else (res.get("onnx_skipped") or ""),
                 f"Metadata: {res['metadata']}"]
        self.export_info.setPlainText("\n".join(lines))
        self.banner.show_message("Exported.", "ok")

    def _ask_save_model(self) -> None:
        if self.model is None:
            self.banner.show_message("Train a model first.", "warning")
            return
        d = QFileDialog.getExistingDirectory(self, "Save the model to…")
        if d:
            self.model.save(d)
            self.export_info.setPlainText(f"Saved to {d} (model.json + weights.pt).")

    def _ask_load_model(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "A saved model or export folder")
        if d:
            self.load_model(d)

    def load_model(self, folder: str) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.daynight.export import META_FILE, load_exported
        from workbench.core.studies.daynight.model import DayNightModel

        try:
            self.model = load_exported(folder) if (Path(folder) / META_FILE).exists() else DayNightModel.load(folder)
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return
        self.banner.show_message(f"Loaded the model from {folder} ({self.model.size} px).", "ok")

    # ---------------------------------------------------------------------------- drag/drop
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.handle_drop(paths)
            event.acceptProposedAction()

    def handle_drop(self, paths: list[str]) -> None:
        """Data page (or no model yet) + a folder: import it; otherwise classify the files."""
        from workbench.core.capture.camera import VIDEO_EXTENSIONS

        on_data = self.pages.currentIndex() in (self.page_index["data"], self.page_index["bias"])
        if len(paths) == 1 and Path(paths[0]).suffix.lower() in VIDEO_EXTENSIONS:
            self.source_combo.setEditText(paths[0])  # a video is a camera stand-in: play it live
            self.go("use")
            if self.model is not None:
                self.stop_live()
                if self._live_handle is None:
                    self.start_live(paths[0])
            else:
                self.banner.show_message("Train or load a model first, then press Start live.", "info")
        elif len(paths) == 1 and Path(paths[0]).is_dir() and (on_data or self.model is None):
            self.import_folder(paths[0])
        elif self.model is not None:
            self.classify(paths)
        else:
            self.banner.show_message("Drop a folder with day/ and night/ subfolders to train on it, or train a "
                                     "model first to classify single images.", "info")

    # -------------------------------------------------------------------------- lifecycle
    def on_shown(self) -> None:
        if not self.arch_text.toPlainText():
            self._show_architecture()

    def shutdown(self) -> None:
        self._chart_timer.stop()
        if self._trainer is not None:
            self._trainer.request_stop()
        self.tasks.stop_and_wait()
        self._job = None
        self._live_handle = None

    def state(self) -> dict:
        return {"n": self.n_spin.value(), "seed": self.seed_spin.value(), "size": self._size(),
                "balance": self.balance_spin.value(), "hard_share": self.hard_spin.value(),
                "tint": self.tint_combo.currentText(), "groups": [g for g, c in self.group_checks.items() if c.isChecked()],
                "val": self.val_spin.value(), "test": self.test_spin.value(), "epochs": self.epochs_spin.value(),
                "batch_size": self.batch_spin.value(), "lr": self.lr_spin.value(),
                "patience": self.patience_spin.value(), "threshold": self.threshold_spin.value(),
                "source": self.source_combo.currentText(), "page": self.nav.currentRow(),
                "sweep": self.sweep_rows}

    def restore(self, state: dict) -> None:
        s = dict(state or {})

        def setv(widget, key, cast):
            if key in s:
                try:
                    widget.setValue(cast(s[key]))
                except (TypeError, ValueError):
                    pass

        setv(self.n_spin, "n", int)
        setv(self.seed_spin, "seed", int)
        setv(self.balance_spin, "balance", float)
        setv(self.hard_spin, "hard_share", float)
        setv(self.val_spin, "val", float)
        setv(self.test_spin, "test", float)
        setv(self.epochs_spin, "epochs", int)
        setv(self.batch_spin, "batch_size", int)
        setv(self.lr_spin, "lr", float)
        setv(self.patience_spin, "patience", int)
        setv(self.threshold_spin, "threshold", float)
        if str(s.get("size")) in ("32", "64", "128"):
            self.size_combo.setCurrentText(str(s["size"]))
        if s.get("tint") in TINT_NAMES:
            self.tint_combo.setCurrentText(s["tint"])
        if isinstance(s.get("groups"), list):
            for g, cb in self.group_checks.items():
                cb.setChecked(g in s["groups"])
        if isinstance(s.get("source"), str):
            self.source_combo.setEditText(s["source"])
        if isinstance(s.get("sweep"), list):
            try:
                self.sweep_rows = [dict(r) for r in s["sweep"]]
                self._update_sweep_chart()
            except (TypeError, KeyError, ValueError):
                self.sweep_rows = []
        if isinstance(s.get("page"), int) and 0 <= s["page"] < self.nav.count():
            self.nav.setCurrentRow(s["page"])


def _demo(ctx, panel) -> None:
    panel.n_spin.setValue(2000)


if __name__ == "__main__":
    from workbench.ui.panels.base import run_panel_standalone

    raise SystemExit(run_panel_standalone(DayNightPanel, setup=_demo))
