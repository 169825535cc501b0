"""Case study "Trigger word": teach the app a wake word in minutes and watch it fire live.

1. Material: record (live level meter), import folders, text-to-speech, the demo set; play and
   remove recordings. 2. Clips: generate thousands of 10 s clips off the GUI thread, view any
   clip's waveform, spectrogram and label track, play it. 3. Train: the common Trainer with the
   live chart. 4. Detect: microphone / WAV file / demo stream -> scrolling probability trace, a
   visible and audible signal per trigger. 5. Evaluate: FRR and false accepts per hour over the
   threshold.

Logic lives in ``workbench.core.studies.trigger_word`` and ``workbench.core.capture.audio``;
workers never touch widgets (they emit copies of small arrays and floats).
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.jobs import SingleJobMixin
from workbench.ui.panels.base import Panel
from workbench.ui.widgets import Banner
from workbench.ui.workers import TaskController

KIND_LABELS = {"positives": "Trigger word (positives)", "negatives": "Other words (negatives)",
               "backgrounds": "Background noise"}
SOURCES = ("demo stream", "WAV file…", "microphone")
TRACE_SECONDS = 12.0


def _spin(lo, hi, val, step=1, decimals=None):
    if decimals is None:
        s = QSpinBox()
    else:
        s = QDoubleSpinBox()
        s.setDecimals(decimals)
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setValue(val)
    return s


# ------------------------------------------------------------------------------------ workers
class RecordWorker(QObject):
    """Records from the microphone until stopped or ``seconds`` pass.

    Signals:
        level(float rms_db, float peak_db)   at most ~20 Hz
        result(object)                       the recording (float32 array, owned)
        error(str)                           e.g. no microphone
        finished()                           always last
    """

    level = Signal(float, float)
    result = Signal(object)
    error = Signal(str)
    finished = Signal()

    def __init__(self, sample_rate: int, seconds: float):
        super().__init__()
        self._sr, self._seconds = int(sample_rate), float(seconds)
        self._stop = threading.Event()
        self._recorder = None

    def cancel(self) -> None:
        self._stop.set()
        if self._recorder is not None:
            self._recorder.stop()

    @Slot()
    def run(self) -> None:
        from workbench.core.capture.audio import Recorder, open_microphone
        from workbench.core.errors import WorkbenchError

        try:
            mic = open_microphone(sample_rate=self._sr, start=False)
            self._recorder = Recorder(mic, self._seconds)
            if self._stop.is_set():
                self._recorder.stop()

            def progress(done, total, text=""):
                lv = self._recorder.level
                self.level.emit(float(lv.rms_db), float(lv.peak_db))

            self.result.emit(self._recorder.run(progress=progress).copy())
        except WorkbenchError as e:
            self.error.emit(str(e))
        except Exception as e:  # shown in the panel, never raised in the thread
            self.error.emit(f"{type(e).__name__}: {e}")
        finally:
            self.finished.emit()


class DetectWorker(QObject):
    """Streams an audio source through a StreamingDetector.

    Signals:
        trace(object)       dict: times, probs (owned float arrays of the new steps), rtf (float)
        triggered(float, float)   event time (s) and probability
        error(str)
        finished()
    """

    trace = Signal(object)
    triggered = Signal(float, float)
    error = Signal(str)
    finished = Signal()

    def __init__(self, detector, make_source):
        super().__init__()
        self._det = detector
        self._make_source = make_source
        self._stop = threading.Event()

    def cancel(self) -> None:
        self._stop.set()

    @Slot()
    def run(self) -> None:
        from workbench.core.errors import WorkbenchError

        det = self._det
        state = {"sent": 0, "last": 0.0}

        def emit(force=False):
            now = time.perf_counter()
            if not force and now - state["last"] < 0.08:  # <= ~12 Hz to the GUI
                return
            n = len(det.times)
            if n > state["sent"]:
                self.trace.emit({"times": np.array(det.times[state["sent"]:n], np.float64),
                                 "probs": np.array(det.probs[state["sent"]:n], np.float32),
                                 "rtf": det.compute_seconds / max(det.total / det.config.sample_rate, 1e-9)})
                state["sent"] = n
            state["last"] = now

        def on_block(d, new):
            for ev in new:
                emit(force=True)
                self.triggered.emit(float(ev.time), float(ev.probability))
            emit()

        try:
            det.reset()
            det.run(self._make_source(), on_block=on_block, should_stop=self._stop.is_set)
            emit(force=True)
        except WorkbenchError as e:
            self.error.emit(str(e))
        except Exception as e:
            self.error.emit(f"{type(e).__name__}: {e}")
        finally:
            self.finished.emit()


def _generate_sets(material, n_train, n_val, config, seed, progress=None, should_cancel=None):
    from workbench.core.studies.trigger_word import generate_clips

    total = n_train + n_val

    def p_train(d, t, s=""):
        if progress:
            progress(d, total, f"Generating clips {d}/{total}")

    def p_val(d, t, s=""):
        if progress:
            progress(n_train + d, total, f"Generating clips {n_train + d}/{total}")

    train = generate_clips(material, n_train, config, seed=seed, progress=p_train, should_cancel=should_cancel)
    if train is None:
        return None
    val = generate_clips(material, n_val, config, seed=seed + 1, progress=p_val, should_cancel=should_cancel)
    if val is None:
        return None
    return {"train": train, "val": val}


def _train_job(train, val, spec, epochs, batch_size, lr, seed, trainer, project_dir=None):
    from workbench.core.studies.trigger_word import train_model
    from workbench.core.runs import RunStore

    model, fit = train_model(train, val_clips=val, spec=spec, epochs=epochs, batch_size=batch_size, lr=lr,
                             seed=seed, trainer=trainer,
                             run_store=RunStore(project_dir) if project_dir is not None else None)
    model.module.to("cpu")
    return {"model": model, "message": fit.message or fit.stop_reason, "best_epoch": fit.best_epoch}


# -------------------------------------------------------------------------------------- panel
def _wrapped(html: str) -> QLabel:
    label = QLabel(html)
    label.setWordWrap(True)  # long explanations wrap instead of running off the window
    return label


def _label_axes(plot, bottom: str, left: str) -> None:
    for side in ("bottom", "left"):
        plot.getAxis(side).enableAutoSIPrefix(False)  # "time (s) (x0.001)" over 0..600 reads badly
    if bottom:
        plot.setLabel("bottom", bottom)
    if left:
        plot.setLabel("left", left)


class TriggerWordPanel(SingleJobMixin, Panel):
    """Case study 4: a wake word of your own, from recordings to live detection."""

    title = "Trigger word"
    icon_name = "SP_MediaVolume"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        from workbench.core.studies.trigger_word.config import TriggerConfig
        from workbench.core.studies.trigger_word.material import Material

        self.tasks = TaskController(self)
        self.material = Material()
        self.clips = None  # {"train": ClipSet, "val": ClipSet}
        self.model = None  # TriggerModel
        self.report = None  # EvaluationReport
        self.config = TriggerConfig()
        self._job = None
        self._trainer = None
        self._rec_worker = None
        self._rec_handle = None
        self._rec_kind = "positives"
        self._det_worker = None
        self._det_handle = None
        self._detector = None
        self._bridge = None
        self._buffer = None
        self._drawn_version = -1
        self._trace_t: list[np.ndarray] = []
        self._trace_p: list[np.ndarray] = []
        self.events: list[tuple[float, float]] = []
        self._trace_dirty = False
        self._beep_ok = True
        self._build()
        self._chart_timer = QTimer(self)
        self._chart_timer.setInterval(100)
        self._chart_timer.timeout.connect(self._redraw_training)
        self._trace_timer = QTimer(self)
        self._trace_timer.setInterval(50)  # <= 20 Hz redraws of the live trace
        self._trace_timer.timeout.connect(self._redraw_trace)
        self._flash_timer = QTimer(self)
        self._flash_timer.setSingleShot(True)
        self._flash_timer.timeout.connect(self._end_flash)

    # ------------------------------------------------------------------------------------ build
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.banner = Banner()
        outer.addWidget(self.banner)
        self.tabs = QTabWidget()
        outer.addWidget(self.tabs, 1)
        for name, builder in (("1. Material", self._page_material), ("2. Clips", self._page_clips),
                              ("3. Train", self._page_train), ("4. Detect", self._page_detect),
                              ("5. Evaluate", self._page_evaluate)):
            page = QWidget()
            builder(QVBoxLayout(page))
            self.tabs.addTab(page, name)
        bottom = QHBoxLayout()
        self.status = QLabel("Load the demo set or record your own trigger word to start.")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(self.cancel_job)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.progress)
        bottom.addWidget(self.cancel_btn)
        outer.addLayout(bottom)

    def _page_material(self, lay) -> None:
        lay.addWidget(_wrapped("<b>Data?</b> Positive words, negative words, background noise. Say the trigger "
                               "word 10+ times (with pauses: the recording is cut into words), a few other words, "
                               "and at least 10 s of your room's background."))
        row = QHBoxLayout()
        row.addWidget(QLabel("Trigger word:"))
        self.word_edit = QLineEdit("activate")
        row.addWidget(self.word_edit)
        b = QPushButton("Load demo set")
        b.clicked.connect(self.load_demo)
        row.addWidget(b)
        b = QPushButton("Synthetic (chirps)")
        b.setToolTip("No speech at all: rising chirps are the trigger, falling chirps and tones the other words.")
        b.clicked.connect(self.load_synthetic)
        row.addWidget(b)
        b = QPushButton("Clear")
        b.clicked.connect(self.clear_material)
        row.addWidget(b)
        lay.addLayout(row)
        lists = QHBoxLayout()
        self.kind_lists: dict[str, QListWidget] = {}
        self.kind_boxes: dict[str, QGroupBox] = {}
        for kind, label in KIND_LABELS.items():
            box = QGroupBox(label)
            v = QVBoxLayout(box)
            lw = QListWidget()
            lw.currentRowChanged.connect(self._show_material_item)
            v.addWidget(lw)
            h = QHBoxLayout()
            # four buttons share a third of the window: short texts, the details in tooltips
            for text, tip, slot in (("Record", "Record from the microphone", self._record_clicked),
                                    ("Import…", "Import a folder of WAV files", self._import_clicked),
                                    ("Play", "Play the selected recording", self._play_item),
                                    ("Remove", "Remove the selected recording", self._remove_item)):
                btn = QPushButton(text)
                btn.setToolTip(tip)
                btn.setProperty("kind", kind)
                btn.clicked.connect(slot)
                h.addWidget(btn)
            v.addLayout(h)
            if kind != "backgrounds":
                t = QPushButton("Text to speech")
                t.setProperty("kind", kind)
                t.clicked.connect(self._tts_clicked)
                v.addWidget(t)
            self.kind_lists[kind] = lw
            self.kind_boxes[kind] = box
            lists.addWidget(box)
        lay.addLayout(lists, 1)
        rec = QHBoxLayout()
        rec.addWidget(QLabel("Recording length (s):"))
        self.rec_seconds = _spin(1, 120, 10)
        rec.addWidget(self.rec_seconds)
        rec.addWidget(QLabel("Level:"))
        self.level_bar = QProgressBar()
        self.level_bar.setRange(-60, 0)
        self.level_bar.setValue(-60)
        self.level_bar.setFormat("%v dBFS")
        rec.addWidget(self.level_bar, 1)
        self.stop_rec_btn = QPushButton("Stop recording")
        self.stop_rec_btn.setEnabled(False)
        self.stop_rec_btn.clicked.connect(self.stop_recording)
        rec.addWidget(self.stop_rec_btn)
        rec.addWidget(QLabel("TTS words:"))
        self.tts_text = QLineEdit("banana, computer, weather")
        self.tts_text.setToolTip("Negatives: comma-separated words. Positives use the trigger word.")
        self.tts_text.setMinimumWidth(200)
        rec.addWidget(self.tts_text)
        self.tts_count = _spin(1, 50, 8)
        rec.addWidget(self.tts_count)
        lay.addLayout(rec)
        self.material_plot = pg.PlotWidget(title="Selected recording")
        self.material_plot.setMaximumHeight(160)
        _label_axes(self.material_plot, "time (s)", "amplitude")
        self.material_plot.setXRange(0, 1)  # until a recording is selected: seconds, not a bare 0..1
        self.material_plot.setYRange(-1, 1)
        self.material_curve = self.material_plot.plot(pen=pg.mkPen("#1f77b4"))
        lay.addWidget(self.material_plot)

    def _page_clips(self, lay) -> None:
        lay.addWidget(_wrapped("<b>Generate!</b> 10 s clips: a background segment, 0-4 trigger words and 0-2 "
                               "other words at random non-overlapping times and gains. <b>Output:</b> y = 1 for the "
                               "50 output steps right after each trigger word ends (y = 000000011111000…)."))
        form = QFormLayout()
        self.n_clips = _spin(10, 20000, 1000, 100)
        self.n_val = _spin(4, 5000, 200, 50)
        self.clip_seed = _spin(0, 10 ** 6, 0)
        self.clip_seconds = _spin(2.0, 30.0, 10.0, 1.0, 1)
        self.n_fft = _spin(64, 2048, 400, 16)
        self.hop = _spin(16, 1024, 160, 16)
        self.n_mels = _spin(8, 128, 40, 8)
        for label, w in (("Training clips", self.n_clips), ("Validation clips", self.n_val),
                         ("Seed", self.clip_seed), ("Clip length (s)", self.clip_seconds),
                         ("Window (n_fft samples)", self.n_fft), ("Hop (samples)", self.hop),
                         ("Mel bands", self.n_mels)):
            form.addRow(label, w)
        top = QHBoxLayout()
        top.addLayout(form)
        side = QVBoxLayout()
        self.gen_btn = QPushButton("Generate clips")
        self.gen_btn.clicked.connect(self.generate)
        side.addWidget(self.gen_btn)
        self.clips_info = QLabel("No clips yet.")
        self.clips_info.setWordWrap(True)
        side.addWidget(self.clips_info)
        view = QHBoxLayout()
        view.addWidget(QLabel("Show clip #"))
        self.clip_index = _spin(0, 0, 0)
        self.clip_index.valueChanged.connect(self.show_clip)
        self.clip_index.setMinimumWidth(90)
        view.addWidget(self.clip_index)
        b = QPushButton("Play clip")
        b.clicked.connect(self.play_clip)
        view.addWidget(b)
        view.addStretch(1)
        side.addLayout(view)
        side.addStretch(1)
        top.addLayout(side, 1)
        lay.addLayout(top)
        self.wave_plot = pg.PlotWidget(title="Waveform (green: trigger word, red: other word)")
        self.wave_curve = self.wave_plot.plot(pen=pg.mkPen("#555"))
        self.spec_plot = pg.PlotWidget(title="Log-mel spectrogram")
        self.spec_img = pg.ImageItem()
        self.spec_img.setColorMap(pg.colormap.get("viridis"))
        self.spec_plot.addItem(self.spec_img)
        self.label_plot = pg.PlotWidget(title="Labels per output step (and the model's probability)")
        self.label_curve = self.label_plot.plot(pen=pg.mkPen("#2ca02c", width=2), stepMode=None)
        self.pred_curve = self.label_plot.plot(pen=pg.mkPen("#d62728"))
        self.label_plot.setYRange(-0.05, 1.05)
        _label_axes(self.label_plot, "time (s)", "")
        self.wave_plot.setXRange(0, self.clip_seconds.value())  # before any clip: the clip's seconds
        self.spec_plot.getAxis("left").setLabel("mel band")
        for p in (self.spec_plot, self.label_plot):
            p.setXLink(self.wave_plot)
        self._segment_items: list = []
        for p in (self.wave_plot, self.spec_plot, self.label_plot):
            lay.addWidget(p, 1)

    def _page_train(self, lay) -> None:
        lay.addWidget(_wrapped("<b>Architecture:</b> Conv1D (stride 4) + BatchNorm + ReLU + Dropout, 2 × (GRU + Dropout + "
                               "BatchNorm), per-step Dense + sigmoid. <b>Loss:</b> binary cross-entropy per time step."))
        form = QFormLayout()
        self.preset_combo = QComboBox()
        self.preset_combo.addItems(["trigger-word", "trigger-word-course", "tiny"])
        self.epochs = _spin(1, 500, 10)
        self.batch = _spin(1, 512, 32)
        self.lr = _spin(1e-5, 1.0, 3e-3, 1e-3, 5)
        self.train_seed = _spin(0, 10 ** 6, 0)
        for label, w in (("Model", self.preset_combo), ("Epochs", self.epochs), ("Batch size", self.batch),
                         ("Learning rate", self.lr), ("Seed", self.train_seed)):
            form.addRow(label, w)
        lay.addLayout(form)
        row = QHBoxLayout()
        self.train_btn = QPushButton("Train")
        self.train_btn.clicked.connect(self.train)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setEnabled(False)
        self.stop_btn.clicked.connect(self.stop_training)
        save = QPushButton("Save model…")
        save.clicked.connect(self._ask_save_model)
        load = QPushButton("Load model…")
        load.clicked.connect(self._ask_load_model)
        demo = QPushButton("Load demo model")
        demo.setToolTip("The preset trained for a few minutes on the demo set (trigger word \"activate\").")
        demo.clicked.connect(self.load_demo_model)
        for w in (self.train_btn, self.stop_btn, save, load, demo):
            row.addWidget(w)
        lay.addLayout(row)
        self.model_info = QLabel("No model yet.")
        lay.addWidget(self.model_info)
        self.loss_plot = pg.PlotWidget(title="Loss (per-step binary cross-entropy)")
        self.loss_plot.addLegend()
        _label_axes(self.loss_plot, "epoch", "loss")
        self.loss_plot.setXRange(0, self.epochs.value())  # until the first epoch: the epochs to come
        self._batch_curve = self.loss_plot.plot(pen=pg.mkPen("#bbbbbb"), name="batch (smoothed)")
        self._loss_curve = self.loss_plot.plot(pen=pg.mkPen("#1f77b4", width=2), symbol="o", name="training")
        self._val_curve = self.loss_plot.plot(pen=pg.mkPen("#ff7f0e", width=2), symbol="o", name="validation")
        lay.addWidget(self.loss_plot, 1)

    def _page_detect(self, lay) -> None:
        form = QHBoxLayout()
        self.threshold = _spin(0.01, 0.99, 0.5, 0.05, 2)
        self.min_duration = _spin(0.0, 2.0, 0.08, 0.02, 2)
        self.refractory = _spin(0.0, 10.0, 2.0, 0.25, 2)
        self.source_combo = QComboBox()
        self.source_combo.addItems(SOURCES)
        for label, w in (("Threshold", self.threshold), ("Min. duration (s)", self.min_duration),
                         ("Refractory (s)", self.refractory), ("Source", self.source_combo)):
            form.addWidget(QLabel(label))
            form.addWidget(w)
        for w in (self.threshold, self.min_duration, self.refractory):
            w.valueChanged.connect(self._rule_changed)
        self.detect_btn = QPushButton("Start")
        self.detect_btn.clicked.connect(self.toggle_detection)
        form.addWidget(self.detect_btn)
        lay.addLayout(form)
        self.trigger_label = QLabel("—")
        self.trigger_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.trigger_label.setMinimumHeight(48)
        self._end_flash()
        lay.addWidget(self.trigger_label)
        self.trace_plot = pg.PlotWidget(title="P(trigger word just ended), live")
        self.trace_plot.setYRange(0, 1.02)
        self.trace_plot.setLabel("bottom", "time (s)")
        self.trace_plot.setLabel("left", "P(trigger)")
        self.trace_plot.setXRange(0, TRACE_SECONDS, padding=0)  # the window the live trace scrolls through
        self.trace_curve = self.trace_plot.plot(pen=pg.mkPen("#1f77b4", width=2))
        self.event_scatter = pg.ScatterPlotItem(size=12, brush=pg.mkBrush("#d62728"), symbol="t")
        self.trace_plot.addItem(self.event_scatter)
        self.threshold_line = pg.InfiniteLine(pos=0.5, angle=0, pen=pg.mkPen("#d62728", style=Qt.PenStyle.DashLine))
        self.trace_plot.addItem(self.threshold_line)
        lay.addWidget(self.trace_plot, 1)
        self.detect_info = QLabel("")
        lay.addWidget(self.detect_info)

    def _page_evaluate(self, lay) -> None:
        row = QHBoxLayout()
        self.eval_clips = _spin(10, 5000, 200, 50)
        self.eval_hours = _spin(0.01, 24.0, 1.0, 0.25, 2)
        for label, w in (("Held-out clips", self.eval_clips), ("Negative stream (hours)", self.eval_hours)):
            row.addWidget(QLabel(label))
            row.addWidget(w)
        self.eval_btn = QPushButton("Evaluate")
        self.eval_btn.clicked.connect(self.evaluate)
        row.addWidget(self.eval_btn)
        use = QPushButton("Use recommended threshold")
        use.clicked.connect(self.use_recommended_threshold)
        row.addWidget(use)
        lay.addLayout(row)
        self.curve_plot = pg.PlotWidget(title="False rejects (%) and false accepts per hour over the threshold")
        self.curve_plot.addLegend()
        self.curve_plot.setLabel("bottom", "threshold")
        self.frr_curve = self.curve_plot.plot(pen=pg.mkPen("#d62728", width=2), symbol="o", name="false rejects %")
        self.fa_curve = self.curve_plot.plot(pen=pg.mkPen("#1f77b4", width=2), symbol="s", name="false accepts / h")
        lay.addWidget(self.curve_plot, 1)
        self.eval_text = QPlainTextEdit()
        self.eval_text.setReadOnly(True)
        self.eval_text.setMaximumHeight(180)
        lay.addWidget(self.eval_text)

    # ---------------------------------------------------------------------------------- jobs
    def _after_job(self) -> None:
        self.train_btn.setEnabled(True)
        self.stop_btn.setEnabled(False)
        self._chart_timer.stop()
        self._redraw_training()

    # ------------------------------------------------------------------------------ material
    def _set_material(self, m) -> None:
        self.material = m
        if m.trigger_word:
            self.word_edit.setText(m.trigger_word)
        self._refresh_material()
        if m.source == "demo set" and self.model is None:
            from workbench.core.studies.trigger_word.material import demo_dir

            if (demo_dir() / "demo_model" / "weights.pt").exists():
                # so "4. Detect" works at once on the demo stream; training replaces it
                self.load_demo_model()

    def _refresh_material(self) -> None:
        sr = self.material.sample_rate
        for kind, lw in self.kind_lists.items():
            lw.clear()
            for i, x in enumerate(getattr(self.material, kind)):
                lw.addItem(f"{kind[:-1]} {i + 1}: {x.size / sr:.2f} s")
            self.kind_boxes[kind].setTitle(f"{KIND_LABELS[kind]}: {lw.count()}")
        self.status.setText(self.material.summary())

    def load_demo(self) -> None:
        from workbench.core.studies.trigger_word.material import load_demo

        self._start_job(load_demo, self.config.sample_rate, on_result=self._set_material, label="Loading the demo set…")

    def load_synthetic(self) -> None:
        from workbench.core.studies.trigger_word.material import synthetic_material

        self._start_job(synthetic_material, self.config.sample_rate, on_result=self._set_material,
                        label="Making synthetic material…")

    def clear_material(self) -> None:
        from workbench.core.studies.trigger_word.material import Material

        self._set_material(Material(sample_rate=self.config.sample_rate))

    def _kind_of_sender(self) -> str:
        return str(self.sender().property("kind") or "positives")

    def _selected(self, kind: str):
        row = self.kind_lists[kind].currentRow()
        items = getattr(self.material, kind)
        return (row, items[row]) if 0 <= row < len(items) else (None, None)

    @Slot(int)
    def _show_material_item(self, row: int) -> None:
        lw = self.sender()
        kind = next((k for k, w in self.kind_lists.items() if w is lw), None)
        items = getattr(self.material, kind) if kind else []
        if 0 <= row < len(items):
            x = items[row]
            step = max(1, x.size // 4000)
            self.material_curve.setData(np.arange(0, x.size, step) / self.material.sample_rate, x[::step])
            self.material_plot.enableAutoRange()  # the placeholder range was fixed

    def _play_item(self) -> None:
        _, x = self._selected(self._kind_of_sender())
        if x is not None:
            self.play(x, self.material.sample_rate)

    def _remove_item(self) -> None:
        kind = self._kind_of_sender()
        row, x = self._selected(kind)
        if x is not None:
            del getattr(self.material, kind)[row]
            self._refresh_material()

    def play(self, x, sample_rate: int) -> bool:
        """Play through the default output; a missing device is a message, not a crash."""
        from workbench.core.capture.audio import play
        from workbench.core.errors import WorkbenchError

        try:
            play(x, sample_rate)
            return True
        except WorkbenchError as e:
            self.banner.show_message(str(e), "warning")
            return False

    def _import_clicked(self) -> None:
        kind = self._kind_of_sender()
        d = QFileDialog.getExistingDirectory(self, f"Folder of WAV files: {KIND_LABELS[kind]}")
        if d:
            self.import_folder(kind, d)

    def import_folder(self, kind: str, folder: str) -> None:
        from workbench.core.studies.trigger_word.material import load_wav_folder

        self._import_kind = kind
        self._start_job(load_wav_folder, folder, self.material.sample_rate, trim=kind != "backgrounds",
                        on_result=self._on_imported, label=f"Importing {folder}…")

    @Slot(object)
    def _on_imported(self, clips) -> None:
        n = self.material.add(self._import_kind, clips)
        self._refresh_material()
        self.banner.show_message(f"Imported {n} recording(s) as {KIND_LABELS[self._import_kind].lower()}.", "ok")

    def _tts_clicked(self) -> None:
        kind = self._kind_of_sender()
        words = [self.word_edit.text().strip()] if kind == "positives" else \
            [w.strip() for w in self.tts_text.text().split(",") if w.strip()]
        self.text_to_speech(kind, words, self.tts_count.value())

    def text_to_speech(self, kind: str, words: list[str], count: int) -> None:
        from workbench.core.studies.trigger_word.material import tts_engine, tts_missing_message

        if tts_engine() is None:
            self.banner.show_message(tts_missing_message(), "warning")
            return
        if not words or not words[0]:
            self.banner.show_message("Type the word(s) to speak first.", "warning")
            return
        self._import_kind = kind
        self._start_job(_speak_words, words, count, self.material.sample_rate, on_result=self._on_imported,
                        label=f"Speaking {', '.join(words)}…")

    def _record_clicked(self) -> None:
        self.start_recording(self._kind_of_sender(), float(self.rec_seconds.value()))

    def start_recording(self, kind: str, seconds: float) -> None:
        if self._rec_handle is not None:
            return
        self._rec_kind = kind
        w = RecordWorker(self.material.sample_rate, seconds)
        w.level.connect(self._on_level)
        w.result.connect(self._on_recorded)
        w.error.connect(self._on_error)
        self._rec_worker = w
        self._rec_handle = self.tasks.start_worker(w)
        self._rec_handle.finished.connect(self._on_recording_finished)
        self.stop_rec_btn.setEnabled(True)
        self.status.setText(f"Recording {KIND_LABELS[kind].lower()}… say it now.")

    def stop_recording(self) -> None:
        if self._rec_handle is not None:
            self._rec_handle.cancel()

    @Slot(float, float)
    def _on_level(self, rms_db: float, peak_db: float) -> None:
        self.level_bar.setValue(int(max(-60, min(0, peak_db))))
        self.level_bar.setFormat(f"RMS {rms_db:.0f} / peak {peak_db:.0f} dBFS" + (" CLIPPING" if peak_db > -0.5 else ""))

    @Slot(object)
    def _on_recorded(self, x) -> None:
        from workbench.core.audio.dsp import split_on_silence

        sr = self.material.sample_rate
        if self._rec_kind == "backgrounds":
            n = self.material.add("backgrounds", [x])
            if x.size < 10 * sr:
                self.banner.show_message("Background recordings of at least 10 s work best (a clip is 10 s).",
                                         "warning")
        else:
            n = self.material.add(self._rec_kind, split_on_silence(x, sr))
        self._refresh_material()
        self.status.setText(f"Recorded {x.size / sr:.1f} s: {n} new {self._rec_kind}.")

    @Slot()
    def _on_recording_finished(self) -> None:
        self._rec_handle = None
        self._rec_worker = None
        self.stop_rec_btn.setEnabled(False)
        self.level_bar.setValue(-60)

    # --------------------------------------------------------------------------------- clips
    def current_config(self):
        from workbench.core.studies.trigger_word.config import TriggerConfig

        return TriggerConfig(sample_rate=self.material.sample_rate, clip_seconds=self.clip_seconds.value(),
                             n_fft=self.n_fft.value(), hop=self.hop.value(), n_mels=self.n_mels.value())

    def generate(self) -> None:
        from workbench.core.errors import WorkbenchError

        try:
            cfg = self.current_config()
            self.material.check()
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return
        self.config = cfg
        self._start_job(_generate_sets, self.material, self.n_clips.value(), self.n_val.value(), cfg,
                        self.clip_seed.value(), on_result=self._on_clips, label="Generating clips…")

    @Slot(object)
    def _on_clips(self, sets) -> None:
        self.clips = sets
        tr, va = sets["train"], sets["val"]
        self.clip_index.setRange(0, len(tr) - 1)
        c = tr.config
        self.clips_info.setText(
            f"{len(tr):,} training + {len(va):,} validation clips, {tr.stats.get('positives', 0):,} trigger words; "
            f"{tr.stats.get('clips_per_s', 0):.0f} clips/s. Input {c.input_steps} × {c.n_mels} "
            f"→ output {c.output_steps} steps of {1000 * c.step_seconds:.0f} ms; label = {c.label_steps} steps "
            f"({c.label_steps * c.step_seconds:.1f} s). {100 * tr.stats.get('positive_fraction', 0):.1f}% of the "
            "labels are 1.")
        self.show_clip(self.clip_index.value())
        self.status.setText(f"{len(tr):,} clips ready.")
        self.progress.setValue(100)

    def show_clip(self, i: int = 0):
        if not self.clips:
            return None
        cs = self.clips["train"]
        if not 0 <= i < len(cs):
            return None
        clip = cs.remake(self.material, i)
        c = cs.config
        sr = c.sample_rate
        step = max(1, clip.audio.size // 8000)
        self.wave_curve.setData(np.arange(0, clip.audio.size, step) / sr, clip.audio[::step])
        self.spec_img.setImage(cs.features[i].astype(np.float32), autoLevels=True)
        self.spec_img.setRect(QRectF(c.n_fft / sr / 2, 0, c.input_steps * c.hop / sr, c.n_mels))
        from workbench.core.studies.trigger_word.evaluation import step_times

        t = step_times(c, c.output_steps)
        self.label_curve.setData(t, clip.labels)
        if self.model is not None and self.model.config.same_features(c):
            self.pred_curve.setData(t, self.model.predict(cs.features[i]))
        else:
            self.pred_curve.setData([], [])
        for item in self._segment_items:
            self.wave_plot.removeItem(item)
        self._segment_items = []
        for s in clip.segments:
            reg = pg.LinearRegionItem((s.start / sr, s.end / sr), movable=False,
                                      brush=pg.mkBrush(44, 160, 44, 60) if s.kind == "positive"
                                      else pg.mkBrush(214, 39, 40, 50))
            self.wave_plot.addItem(reg)
            self._segment_items.append(reg)
        self.wave_plot.setXRange(0, c.clip_seconds, padding=0.01)
        self.wave_plot.enableAutoRange(axis="y")
        self.spec_plot.setYRange(0, c.n_mels, padding=0)
        self._shown_clip = clip
        return clip

    def play_clip(self) -> None:
        clip = self.show_clip(self.clip_index.value())
        if clip is not None:
            self.play(clip.audio, self.clips["train"].config.sample_rate)

    # ------------------------------------------------------------------------------ training
    def _spec(self):
        from workbench.core.studies.trigger_word.model import default_spec, tiny_spec

        name = self.preset_combo.currentText()
        return tiny_spec() if name == "tiny" else default_spec(name)

    def train(self) -> None:
        if self._busy():
            self.banner.show_message("Another job is still running; wait for it or cancel it.", "warning")
            return
        if not self.clips:
            self.banner.show_message("Generate clips first (2. Clips).", "warning")
            self.tabs.setCurrentIndex(1)
            return
        from workbench.core.training import Trainer
        from workbench.ui.training_bridge import TrainingBridge, TrainingBuffer

        if self._bridge is None:
            self._bridge = TrainingBridge(self)
            self._buffer = TrainingBuffer(self)
            self._buffer.connect_bridge(self._bridge)
        self._buffer.clear()
        self._drawn_version = -1
        trainer = Trainer(callbacks=[self._bridge.callback()])
        self._start_training(trainer, _train_job, self.clips["train"], self.clips["val"], self._spec(),
                             self.epochs.value(), self.batch.value(), self.lr.value(), self.train_seed.value(), trainer,
                             getattr(self.ctx, "project_dir", None), on_result=self._on_trained, label="Training…")

    @Slot()
    def _redraw_training(self) -> None:
        b = self._buffer
        if b is None or b.version == self._drawn_version:
            return
        self._drawn_version = b.version
        self._batch_curve.setData(b.batch_x[-2000:], b.batch_smooth[-2000:])
        self.loss_plot.enableAutoRange()
        for curve, key in ((self._loss_curve, "loss"), (self._val_curve, "val_loss")):
            xs, ys = b.series(key)
            curve.setData(xs, ys)
        p = b.progress()
        if p.get("total_epochs") and self._trainer is not None:
            self.progress.setValue(int(100 * p["fraction"]))
            self.status.setText(f"Epoch {p['epochs_done']:.1f}/{p['total_epochs']}, "
                                f"{p['samples_per_s']:.0f} clips/s")

    @Slot(object)
    def _on_trained(self, out) -> None:
        self.set_model(out["model"])
        self.banner.show_message(f"{out['message']} Best epoch {out['best_epoch']}.", "ok")
        run = out["model"].metrics.get("run")
        if run is not None:
            self.ctx.add_run(run)
        self.ctx.status("Trigger word: model trained")

    def set_model(self, model) -> None:
        self.model = model
        c = model.config
        self.model_info.setText(f"Model: {model.spec.name or 'custom'}, {c.sample_rate} Hz, window {c.n_fft}, "
                                f"hop {c.hop}, {c.n_mels} mel bands, {c.output_steps} output steps per "
                                f"{c.clip_seconds:g} s.")
        if self.clips:
            self.show_clip(self.clip_index.value())

    def _ask_save_model(self) -> None:
        if self.model is None:
            self.banner.show_message("Train or load a model first.", "warning")
            return
        d = QFileDialog.getExistingDirectory(self, "Save the trigger-word model into…")
        if d:
            self.model.save(d)
            self.banner.show_message(f"Model saved to {d}.", "ok")

    def _ask_load_model(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Folder of a saved trigger-word model")
        if d:
            self.load_model(d)

    def load_demo_model(self) -> bool:
        from workbench.core.studies.trigger_word.material import demo_dir

        folder = demo_dir() / "demo_model"
        if not (folder / "weights.pt").exists():
            self.banner.show_message("The demo model is not installed; make it with "
                                     "'python scripts/make_trigger_demo.py --demo-model' or train one here.", "warning")
            return False
        return self.load_model(str(folder))

    def load_model(self, folder: str) -> bool:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.trigger_word.model import TriggerModel

        try:
            self.set_model(TriggerModel.load(folder))
            return True
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return False

    # ----------------------------------------------------------------------------- detection
    def _rule_changed(self) -> None:
        self.threshold_line.setValue(self.threshold.value())
        det = self._detector
        if det is not None and self._det_handle is not None:
            # swaps one attribute of the detector; the worker picks the new rule up at its next step
            det.set_rule(self.threshold.value(), self.min_duration.value(), self.refractory.value())

    def toggle_detection(self) -> None:
        if self._det_handle is not None:
            self.stop_detection()
        else:
            src = self.source_combo.currentText()
            if src.startswith("WAV"):
                path, _ = QFileDialog.getOpenFileName(self, "WAV file to listen to", "", "WAV files (*.wav)")
                if not path:
                    return
                src = path
            self.start_detection(src)

    def start_detection(self, source: str, realtime: bool = True) -> bool:
        """``source``: "microphone", "demo stream" or a WAV path; files are paced like a live device
        unless ``realtime`` is False."""
        if self.model is None:
            self.banner.show_message("Train or load a model first (3. Train).", "warning")
            return False
        if self._det_handle is not None:
            return False
        from workbench.core.capture.audio import ArrayAudioSource, WavFileSource, open_microphone
        from workbench.core.studies.trigger_word.detector import StreamingDetector

        sr = self.model.config.sample_rate
        if source == "microphone":
            def make():
                return open_microphone(sample_rate=sr, start=False)
        elif source == "demo stream":
            if not self.material.positives:
                self.banner.show_message("The demo stream needs material: load the demo set first (1. Material).",
                                         "warning")
                return False
            from workbench.core.studies.trigger_word.synthesis import demo_stream

            audio, ends, _ = demo_stream(self.material, self.model.config, 30.0, seed=int(time.time()) % 1000)
            self._demo_ends = ends

            def make():
                return ArrayAudioSource(audio, sr, realtime=realtime, block_size=800, name="demo stream")
        else:
            def make():
                return WavFileSource(source, sample_rate=sr, realtime=realtime, block=800)
        self.banner.clear_message()
        det = StreamingDetector(self.model, threshold=self.threshold.value(), min_duration=self.min_duration.value(),
                                refractory=self.refractory.value())
        self._trace_t, self._trace_p, self.events = [], [], []
        self.event_scatter.setData([], [])
        self._detector = det
        w = DetectWorker(det, make)
        w.trace.connect(self._on_trace)
        w.triggered.connect(self._on_triggered)
        w.error.connect(self._on_error)
        self._det_worker = w
        self._det_handle = self.tasks.start_worker(w)
        self._det_handle.finished.connect(self._on_detection_finished)
        self.detect_btn.setText("Stop")
        self._trace_timer.start()
        self.detect_info.setText(f"Listening to {Path(source).name if source not in SOURCES else source}…")
        return True

    def stop_detection(self) -> None:
        if self._det_handle is not None:
            self._det_handle.cancel()

    @Slot(object)
    def _on_trace(self, d: dict) -> None:
        self._trace_t.append(d["times"])
        self._trace_p.append(d["probs"])
        self._rtf = d["rtf"]
        self._trace_dirty = True

    @Slot(float, float)
    def _on_triggered(self, t: float, p: float) -> None:
        self.events.append((t, p))
        self._trace_dirty = True
        self.trigger_label.setText(f"TRIGGER — “{self.word_edit.text()}” at {t:.1f} s (p = {p:.2f})")
        self.trigger_label.setStyleSheet("QLabel{background:#2ca02c;color:white;font-size:20px;font-weight:bold;"
                                         "border-radius:6px;}")
        self._flash_timer.start(800)
        self._beep()

    def _beep(self) -> None:
        if not self._beep_ok:
            return
        from workbench.core.capture.audio import play
        from workbench.core.errors import WorkbenchError

        sr = 16000
        t = np.arange(int(0.15 * sr)) / sr
        tone = (0.3 * np.sin(2 * np.pi * 880 * t) * np.hanning(t.size)).astype(np.float32)
        try:
            play(tone, sr)
        except WorkbenchError:
            self._beep_ok = False  # no output device: the visible signal has to do
            QApplication.beep()

    @Slot()
    def _end_flash(self) -> None:
        self.trigger_label.setStyleSheet("QLabel{background:#eeeeee;color:#777;font-size:20px;border-radius:6px;}")

    @Slot()
    def _redraw_trace(self) -> None:
        if not self._trace_dirty:
            return
        self._trace_dirty = False
        if len(self._trace_t) > 50:  # keep the lists short; the chart shows the last seconds only
            self._trace_t = [np.concatenate(self._trace_t)]
            self._trace_p = [np.concatenate(self._trace_p)]
        t = np.concatenate(self._trace_t) if self._trace_t else np.zeros(0)
        p = np.concatenate(self._trace_p) if self._trace_p else np.zeros(0)
        if t.size:
            lo = t[-1] - TRACE_SECONDS
            keep = t >= lo
            self.trace_curve.setData(t[keep], p[keep])
            self.trace_plot.setXRange(max(0.0, lo), max(TRACE_SECONDS, t[-1]), padding=0)
            ev = [(a, b) for a, b in self.events if a >= lo]
            self.event_scatter.setData([a for a, _ in ev], [min(1.0, b) for _, b in ev])
            self.detect_info.setText(f"{len(self.events)} trigger(s) in {t[-1]:.1f} s; real-time factor "
                                     f"{getattr(self, '_rtf', float('nan')):.3f}")

    @Slot()
    def _on_detection_finished(self) -> None:
        self._det_handle = None
        self._det_worker = None
        self.detect_btn.setText("Start")
        self._trace_dirty = True
        self._redraw_trace()
        self._trace_timer.stop()

    def trace(self) -> tuple[np.ndarray, np.ndarray]:
        t = np.concatenate(self._trace_t) if self._trace_t else np.zeros(0)
        p = np.concatenate(self._trace_p) if self._trace_p else np.zeros(0)
        return t, p

    # ---------------------------------------------------------------------------- evaluation
    def evaluate(self) -> None:
        if self.model is None:
            self.banner.show_message("Train or load a model first (3. Train).", "warning")
            return
        if not self.material.positives:
            self.banner.show_message("Evaluation generates clips from the material: load or record it first.",
                                     "warning")
            return
        self._start_job(_evaluate_job, self.model, self.material, self.eval_clips.value(), self.eval_hours.value(),
                        self.min_duration.value(), self.refractory.value(), on_result=self._on_evaluated,
                        label="Evaluating…")

    @Slot(object)
    def _on_evaluated(self, rep) -> None:
        self.report = rep
        self.frr_curve.setData(rep.thresholds, 100 * rep.frr)
        self.fa_curve.setData(rep.thresholds, rep.fa_per_hour)
        self.eval_text.setPlainText(rep.to_text())
        self.status.setText(f"Evaluated: recommended threshold {rep.recommended_threshold():.2f}")

    def use_recommended_threshold(self) -> None:
        if self.report is not None:
            self.threshold.setValue(self.report.recommended_threshold())

    # --------------------------------------------------------------------------------- panel
    def shutdown(self) -> None:
        for t in ("_chart_timer", "_trace_timer", "_flash_timer"):
            timer = getattr(self, t, None)
            if timer is not None:
                timer.stop()
        if self._trainer is not None:
            self._trainer.request_stop()
        self.tasks.stop_and_wait()
        from workbench.core.capture.audio import stop_playback

        stop_playback()

    def state(self) -> dict:
        return {"trigger_word": self.word_edit.text(), "n_clips": self.n_clips.value(), "n_val": self.n_val.value(),
                "seed": self.clip_seed.value(), "clip_seconds": self.clip_seconds.value(), "n_fft": self.n_fft.value(),
                "hop": self.hop.value(), "n_mels": self.n_mels.value(), "preset": self.preset_combo.currentText(),
                "epochs": self.epochs.value(), "batch_size": self.batch.value(), "lr": self.lr.value(),
                "threshold": self.threshold.value(), "min_duration": self.min_duration.value(),
                "refractory": self.refractory.value(), "source": self.source_combo.currentText()}

    def restore(self, state: dict) -> None:
        s = state or {}
        if isinstance(s.get("trigger_word"), str):
            self.word_edit.setText(s["trigger_word"])
        for key, w in (("n_clips", self.n_clips), ("n_val", self.n_val), ("seed", self.clip_seed),
                       ("clip_seconds", self.clip_seconds), ("n_fft", self.n_fft), ("hop", self.hop),
                       ("n_mels", self.n_mels), ("epochs", self.epochs), ("batch_size", self.batch),
                       ("lr", self.lr), ("threshold", self.threshold), ("min_duration", self.min_duration),
                       ("refractory", self.refractory)):
            v = s.get(key)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                w.setValue(type(w.value())(v))
        for key, combo in (("preset", self.preset_combo), ("source", self.source_combo)):
            i = combo.findText(str(s.get(key, "")))
            if i >= 0:
                combo.setCurrentIndex(i)


def _speak_words(words, count, sample_rate, progress=None, should_cancel=None):
    from workbench.core.studies.trigger_word.material import speak_variants

    out = []
    for k, w in enumerate(words):
        out += speak_variants(w, count=count, sample_rate=sample_rate, seed=k, should_cancel=should_cancel)
        if progress:
            progress(k + 1, len(words), f"spoke {w!r}")
    return out


def _evaluate_job(model, material, n_clips, hours, min_duration, refractory, progress=None, should_cancel=None):
    from workbench.core.studies.trigger_word import evaluate, generate_clips

    held = generate_clips(material, n_clips, model.config, seed=10_000, should_cancel=should_cancel)
    if held is None:
        return None
    return evaluate(model, held, material, hours=hours, min_duration=min_duration, refractory=refractory,
                    progress=progress, should_cancel=should_cancel)


def _demo_setup(ctx, panel) -> None:
    panel.load_demo()


if __name__ == "__main__":
    from workbench.ui.panels.base import run_panel_standalone

    raise SystemExit(run_panel_standalone(TriggerWordPanel, setup=_demo_setup))
