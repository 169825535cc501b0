"""Case study "Neural style transfer canvas": watch Gatys' optimization paint the image live.

The logic lives in ``workbench.core.studies.style_transfer``; this panel picks the images and
settings, runs a ``StyleTransfer`` in a ``StyleWorker`` on a background thread and shows what it
emits. The worker never touches widgets: every few iterations it emits an owned ``QImage`` (built
and ``.copy()``-ed in the worker thread) plus plain floats; the canvas turns the QImage into a
pixmap on the GUI thread, and the charts redraw from a GUI timer. Pause/resume/stop are
cooperative, between iterations.

A mask can be painted on the canvas with the mouse: the style is then applied only inside it.
"""
from __future__ import annotations

import math
import threading
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSlider,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.panels.base import Panel
from workbench.ui.widgets import Banner, array_to_qimage, color
from workbench.ui.workers import TaskController

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff)"
SAMPLES = ["astronaut", "chelsea", "coffee", "rocket", "china", "flower"]
TEXTURES = ["swirls", "mosaic", "brush", "stripes", "dots"]
BACKBONE_NAMES = {"mobilenet_v2": "MobileNetV2 (ships)", "efficientnet_lite0": "EfficientNet-Lite0 (ships)",
                  "vgg19": "VGG-19 (your weights file)"}


# ---------------------------------------------------------------------------- worker
class StyleWorker(QObject):
    """Runs one style transfer in a worker thread.

    Signals:
        frame_ready(dict)  every ``report_every`` iterations and at the end: {"iteration": int,
                           "qimage": owned QImage, "image": owned uint8 array, "content", "style",
                           "tv", "total", "its_per_s": float, "finished": bool}
        result(object)     final uint8 RGB image (owned copy)
        error(str)         user-facing message
        cancelled()        stopped before the last iteration
        finished()         always last
    """

    frame_ready = Signal(dict)
    result = Signal(object)
    error = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, content: np.ndarray, style: np.ndarray, settings_dict: dict, steps: int,
                 mask: np.ndarray | None = None):
        super().__init__()
        self._content, self._style, self._mask = content, style, mask
        self._settings = dict(settings_dict)
        self._steps = int(steps)
        self._lock = threading.Lock()
        self._transfer = None
        self._paused = False
        self._cancel = threading.Event()

    # -- thread-safe controls (called from the GUI thread) --------------------------------------
    def pause(self) -> None:
        with self._lock:
            self._paused = True
            if self._transfer is not None:
                self._transfer.pause()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self._transfer is not None:
                self._transfer.resume()

    def cancel(self) -> None:
        self._cancel.set()
        with self._lock:
            if self._transfer is not None:
                self._transfer.request_stop()

    # -- worker thread ------------------------------------------------------------------------
    def _emit_frame(self, p) -> None:
        self.frame_ready.emit({
            "iteration": int(p.iteration), "qimage": array_to_qimage(p.image), "image": p.image.copy(),
            "content": float(p.content), "style": float(p.style), "tv": float(p.tv), "total": float(p.total),
            "its_per_s": float(p.its_per_s), "finished": bool(p.finished), "thread": threading.get_ident(),
        })

    @Slot()
    def run(self) -> None:
        try:
            from workbench.core.studies.style_transfer import StyleSettings, StyleTransfer

            st = StyleTransfer(self._content, self._style, StyleSettings.from_dict(self._settings), mask=self._mask)
            st.add_callback(self._emit_frame)
            with self._lock:
                self._transfer = st
                if self._paused:
                    st.pause()
                if self._cancel.is_set():
                    st.request_stop()
            img = st.run(self._steps)
            if st.stopped and st.iteration < self._steps:
                self.cancelled.emit()
            else:
                self.result.emit(img.copy())
        except Exception as e:  # reported to the panel, never raised in the thread
            from workbench.core.errors import WorkbenchError

            self.error.emit(str(e) if isinstance(e, WorkbenchError) else f"{type(e).__name__}: {e}")
        finally:
            with self._lock:
                self._transfer = None
            self.finished.emit()


def _snapshot(spec: str = "camera:0") -> np.ndarray:
    """One frame from the webcam (a few frames are skipped: the first ones are often dark)."""
    from workbench.core.capture.camera import open_camera
    from workbench.core.errors import DeviceUnavailable

    src = open_camera(spec)
    with src:
        frame = None
        for _ in range(5):
            f = src.read()
            if f is None:
                break
            frame = f
    if frame is None:
        raise DeviceUnavailable(f"The camera {spec} gave no picture; check it is connected and not in use.")
    return frame


# ---------------------------------------------------------------------------- widgets
class DropLabel(QLabel):
    """A thumbnail that accepts a dropped image file. Signal file_dropped(str): the path."""

    file_dropped = Signal(str)

    def __init__(self, text: str, parent=None):
        super().__init__(text, parent)
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(120, 90)
        self.setStyleSheet("QLabel{border:1px dashed #999;border-radius:4px;color:#666;}")

    def dragEnterEvent(self, e):
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    def dropEvent(self, e):
        for url in e.mimeData().urls():
            if url.isLocalFile():
                self.file_dropped.emit(url.toLocalFile())
                e.acceptProposedAction()
                return

    def show_array(self, img: np.ndarray) -> None:
        pm = QPixmap.fromImage(array_to_qimage(img))
        self.setPixmap(pm.scaled(160, 120, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))


class CanvasWidget(QWidget):
    """Shows the current image (a pixmap made on the GUI thread) with the painted mask over it.

    The mask is a Grayscale8 QImage at the content image's size; with painting on, the left mouse
    button paints (value 255) and the right button erases. Signal mask_changed().
    """

    mask_changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(320, 240)
        self._pixmap: QPixmap | None = None
        self.mask: QImage | None = None
        self.painting_enabled = False
        self.brush = 24
        self._stroke: int | None = None  # 255 paint, 0 erase, None: not painting
        self._last_pt: QPointF | None = None
        self.show_mask = True
        self.paint_thread_ids: list[int] = []  # for tests: the thread each update ran in

    def set_image(self, qimage: QImage) -> None:
        """GUI thread only: converts the worker's QImage to a pixmap."""
        self.paint_thread_ids.append(threading.get_ident())
        self._pixmap = QPixmap.fromImage(qimage)
        self.update()

    def reset_mask(self, width: int, height: int) -> None:
        self.mask = QImage(width, height, QImage.Format.Format_Grayscale8)
        self.mask.fill(0)
        self.update()

    def clear_mask(self) -> None:
        if self.mask is not None:
            self.mask.fill(0)
            self.update()
            self.mask_changed.emit()

    def mask_array(self) -> np.ndarray | None:
        """The mask as float32 (H, W) in [0, 1], or None when nothing is painted."""
        if self.mask is None:
            return None
        m = self.mask
        ptr = m.constBits()
        a = np.frombuffer(ptr, np.uint8, count=m.bytesPerLine() * m.height()).reshape(m.height(), m.bytesPerLine())
        a = a[:, : m.width()].astype(np.float32) / 255.0
        return a if a.max() > 0 else None

    def _target(self) -> QRectF:
        if self._pixmap is None:
            return QRectF()
        pw, ph = self._pixmap.width(), self._pixmap.height()
        s = min(self.width() / pw, self.height() / ph)
        w, h = pw * s, ph * s
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def paintEvent(self, _e):
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#f4f4f4"))
        if self._pixmap is not None:
            r = self._target()
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            p.drawPixmap(r, self._pixmap, QRectF(self._pixmap.rect()))
            if self.mask is not None and self.show_mask:
                m = self.mask_array()
                if m is not None:
                    p.drawImage(r, self._overlay(m))
        else:
            p.setPen(QColor("#888"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Choose a content image")
        p.end()

    @staticmethod
    def _overlay(m: np.ndarray) -> QImage:
        """Red tint where the mask is on (alpha up to 110 so the image stays visible)."""
        rgba = np.zeros((*m.shape, 4), np.uint8)
        rgba[..., 0] = 255
        rgba[..., 1] = rgba[..., 2] = 40
        rgba[..., 3] = (m * 110).astype(np.uint8)
        return array_to_qimage(rgba)

    def _to_mask(self, pos: QPointF) -> QPointF | None:
        r = self._target()
        if self.mask is None or r.isEmpty():
            return None
        x = (pos.x() - r.x()) / r.width() * self.mask.width()
        y = (pos.y() - r.y()) / r.height() * self.mask.height()
        return QPointF(x, y)

    def _dab(self, pos: QPointF) -> None:
        """Paint from the previous mouse position to this one (a stroke, not separate dots)."""
        pt = self._to_mask(pos)
        if pt is None or self._stroke is None:
            return
        r = self._target()
        width = self.brush * self.mask.width() / max(1.0, r.width())  # brush size is in screen pixels
        p = QPainter(self.mask)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        c = QColor(self._stroke, self._stroke, self._stroke)
        p.setPen(QPen(c, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        last = self._last_pt if self._last_pt is not None else pt
        if last == pt:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(c)
            p.drawEllipse(pt, width / 2, width / 2)
        else:
            p.drawLine(last, pt)
        p.end()
        self._last_pt = pt
        self.update()

    def mousePressEvent(self, e):
        if not self.painting_enabled or self.mask is None:
            return super().mousePressEvent(e)
        self._stroke = 0 if e.button() == Qt.MouseButton.RightButton else 255
        self._last_pt = None
        self._dab(e.position())

    def mouseMoveEvent(self, e):
        if self._stroke is not None:
            self._dab(e.position())

    def mouseReleaseEvent(self, e):
        if self._stroke is not None:
            self._stroke = None
            self._last_pt = None
            self.mask_changed.emit()


class LogSlider(QWidget):
    """A slider over powers of ten (value = 10 ** (position / 10)), with 0 at the far left."""

    def __init__(self, lo_exp: int, hi_exp: int, value: float, allow_zero: bool = True, parent=None):
        super().__init__(parent)
        self.lo, self.hi, self.allow_zero = lo_exp, hi_exp, allow_zero
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(lo_exp * 10 - (1 if allow_zero else 0), hi_exp * 10)
        self.label = QLabel()
        self.label.setMinimumWidth(56)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.label)
        self.slider.valueChanged.connect(self._show)
        self.set_value(value)

    def value(self) -> float:
        v = self.slider.value()
        if self.allow_zero and v < self.lo * 10:
            return 0.0
        return float(f"{10 ** (v / 10):.3g}")

    def set_value(self, v: float) -> None:
        if v <= 0 and self.allow_zero:
            self.slider.setValue(self.slider.minimum())
        else:
            self.slider.setValue(int(round(10 * math.log10(max(v, 10.0 ** self.lo)))))
        self._show()

    def _show(self, *_):
        v = self.value()
        self.label.setText("0" if v == 0 else f"{v:.3g}")


# ---------------------------------------------------------------------------- panel
class StyleTransferPanel(Panel):
    """Case study 3: neural style transfer with a live canvas."""

    title = "Style transfer"
    icon_name = "SP_DesktopIcon"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.tasks = TaskController(self)
        self._worker: StyleWorker | None = None
        self._handle = None
        self.content_img: np.ndarray | None = None
        self.style_img: np.ndarray | None = None
        self.content_source = "sample:chelsea"
        self.style_source = "style:swirls"
        self.result_img: np.ndarray | None = None
        self.last_frame: dict = {}
        self.frames_received = 0
        self.frame_thread_ids: list[int] = []
        self._hist = {k: [] for k in ("iteration", "content", "style", "tv", "total", "its_per_s")}
        self._chart_dirty = False
        self._run_settings: dict = {}
        self._build()
        self.chart_timer = QTimer(self)
        self.chart_timer.setInterval(100)  # charts redraw at <= 10 Hz, whatever the worker's pace
        self.chart_timer.timeout.connect(self._redraw_charts)
        self.chart_timer.start()
        self.set_content_source("sample:chelsea")
        self.set_style_source("style:swirls")
        self._update_buttons()

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QHBoxLayout(self)
        split = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(split)

        side = QWidget()
        sl = QVBoxLayout(side)
        self.banner = Banner()
        sl.addWidget(self.banner)

        g = QGroupBox("Content image")
        gl = QVBoxLayout(g)
        self.content_combo = QComboBox()
        self.content_combo.addItems([f"sample:{s}" for s in SAMPLES])
        self.content_combo.activated.connect(self._content_combo_picked)
        row = QHBoxLayout()
        self.content_open = QPushButton("Open…")
        self.content_open.clicked.connect(self._open_content)
        self.snapshot_btn = QPushButton("Webcam snapshot")
        self.snapshot_btn.clicked.connect(self._take_snapshot)
        row.addWidget(self.content_open)
        row.addWidget(self.snapshot_btn)
        self.content_thumb = DropLabel("drop an image here")
        self.content_thumb.file_dropped.connect(self._content_dropped)
        gl.addWidget(self.content_combo)
        gl.addLayout(row)
        gl.addWidget(self.content_thumb)
        sl.addWidget(g)

        g = QGroupBox("Style image")
        gl = QVBoxLayout(g)
        self.style_combo = QComboBox()
        self.style_combo.addItems([f"style:{s}" for s in TEXTURES] + [f"sample:{s}" for s in SAMPLES])
        self.style_combo.activated.connect(self._style_combo_picked)
        row = QHBoxLayout()
        self.style_seed = QSpinBox()
        self.style_seed.setRange(0, 9999)
        self.style_seed.setPrefix("seed ")
        self.style_seed.valueChanged.connect(self._style_seed_changed)
        self.style_open = QPushButton("Open…")
        self.style_open.clicked.connect(self._open_style)
        row.addWidget(self.style_seed)
        row.addWidget(self.style_open)
        self.style_thumb = DropLabel("drop an image here")
        self.style_thumb.file_dropped.connect(self._style_dropped)
        gl.addWidget(self.style_combo)
        gl.addLayout(row)
        gl.addWidget(self.style_thumb)
        sl.addWidget(g)

        g = QGroupBox("Network and losses")
        form = QFormLayout(g)
        self.backbone_combo = QComboBox()
        for key, text in BACKBONE_NAMES.items():
            self.backbone_combo.addItem(text, key)
        self.backbone_combo.currentIndexChanged.connect(self._backbone_changed)
        form.addRow("Backbone", self.backbone_combo)
        row = QHBoxLayout()
        self.weights_label = QLabel("—")
        self.weights_label.setWordWrap(True)
        self.weights_btn = QPushButton("VGG-19 weights…")
        self.weights_btn.clicked.connect(self._pick_weights)
        row.addWidget(self.weights_label, 1)
        row.addWidget(self.weights_btn)
        form.addRow("Weights", row)
        self.weights_path = ""
        self.content_layer_combo = QComboBox()
        form.addRow("Content layer", self.content_layer_combo)
        self.style_layers_list = QListWidget()
        self.style_layers_list.setMaximumHeight(110)
        form.addRow("Style layers", self.style_layers_list)
        self.content_w = LogSlider(-2, 3, 1.0)
        self.style_w = LogSlider(-1, 8, 1e5)
        self.tv_w = LogSlider(-2, 4, 1.0)
        form.addRow("Content weight", self.content_w)
        form.addRow("Style weight", self.style_w)
        form.addRow("TV weight", self.tv_w)
        sl.addWidget(g)

        g = QGroupBox("Optimization")
        form = QFormLayout(g)
        self.init_combo = QComboBox()
        self.init_combo.addItems(["content", "noise", "style"])
        self.opt_combo = QComboBox()
        self.opt_combo.addItems(["lbfgs", "adam"])
        self.size_spin = QSpinBox()
        self.size_spin.setRange(32, 2048)
        self.size_spin.setSingleStep(32)
        self.size_spin.setValue(256)
        self.size_spin.setSuffix(" px")
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, 100000)
        self.steps_spin.setValue(300)
        self.every_spin = QSpinBox()
        self.every_spin.setRange(1, 1000)
        self.every_spin.setValue(5)
        self.keep_colors = QCheckBox("Keep the content image's colours")
        form.addRow("Start from", self.init_combo)
        form.addRow("Optimizer", self.opt_combo)
        form.addRow("Resolution", self.size_spin)
        form.addRow("Iterations", self.steps_spin)
        form.addRow("Redraw every", self.every_spin)
        form.addRow(self.keep_colors)
        sl.addWidget(g)

        g = QGroupBox("Mask (style only inside)")
        gl = QHBoxLayout(g)
        self.paint_check = QCheckBox("Paint")
        self.paint_check.toggled.connect(self._paint_toggled)
        self.brush_spin = QSpinBox()
        self.brush_spin.setRange(2, 200)
        self.brush_spin.setValue(24)
        self.brush_spin.setPrefix("brush ")
        self.brush_spin.valueChanged.connect(self._brush_changed)
        self.clear_mask_btn = QPushButton("Clear")
        gl.addWidget(self.paint_check)
        gl.addWidget(self.brush_spin)
        gl.addWidget(self.clear_mask_btn)
        sl.addWidget(g)
        sl.addStretch(1)

        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(side)
        # wide enough for the controls: no horizontal scroll bar, no squeezed labels
        scroll.setMinimumWidth(max(330, side.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
                                   + 2 * scroll.frameWidth()))
        split.addWidget(scroll)

        right = QWidget()
        rl = QVBoxLayout(right)
        bar = QHBoxLayout()
        self.run_btn = QPushButton("Run")
        self.run_btn.clicked.connect(self.start)
        self.pause_btn = QPushButton("Pause")
        self.pause_btn.clicked.connect(self.toggle_pause)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.clicked.connect(self.stop)
        self.save_btn = QPushButton("Save PNG + settings…")
        self.save_btn.clicked.connect(self._save_dialog)
        self.status = QLabel("Ready.")
        for w in (self.run_btn, self.pause_btn, self.stop_btn, self.save_btn):
            bar.addWidget(w)
        bar.addWidget(self.status, 1)
        rl.addLayout(bar)
        self.canvas = CanvasWidget()
        self.clear_mask_btn.clicked.connect(self.canvas.clear_mask)
        vs = QSplitter(Qt.Orientation.Vertical)
        vs.addWidget(self.canvas)
        charts = QWidget()
        cl = QHBoxLayout(charts)
        cl.setContentsMargins(0, 0, 0, 0)
        self.loss_plot = pg.PlotWidget(title="Loss terms (weighted)")
        self.loss_plot.setLogMode(False, True)
        self.loss_plot.addLegend(offset=(-10, 10))
        self.loss_plot.setLabel("bottom", "iteration")
        self._curves = {k: self.loss_plot.plot([], [], pen=pg.mkPen(color(i), width=2), name=k)
                        for i, k in enumerate(("content", "style", "tv", "total"))}
        self.speed_plot = pg.PlotWidget(title="Iterations / s")
        self.speed_plot.setLabel("bottom", "iteration")
        self._speed_curve = self.speed_plot.plot([], [], pen=pg.mkPen(color(4), width=2))
        # before the first run: the iterations to come and a plausible loss span, not a bare 0..1
        for pl in (self.loss_plot, self.speed_plot):
            pl.setXRange(0, self.steps_spin.value())
        self.loss_plot.setYRange(-2, 2)  # log axis: 0.01 .. 100
        self.speed_plot.setYRange(0, 10)
        cl.addWidget(self.loss_plot, 2)
        cl.addWidget(self.speed_plot, 1)
        vs.addWidget(charts)
        vs.setSizes([520, 220])
        rl.addWidget(vs, 1)
        split.addWidget(right)
        split.setSizes([340, 760])
        self._backbone_changed()

    # -- image choices -------------------------------------------------------------------------
    def _load_spec(self, spec: str) -> np.ndarray:
        from workbench.core.studies.style_transfer import resolve_image

        return resolve_image(spec, size=512, seed=self.style_seed.value())

    def set_content_source(self, spec: str, img: np.ndarray | None = None) -> bool:
        try:
            arr = img if img is not None else self._load_spec(spec)
        except Exception as e:
            self._show_error(e)
            return False
        self.content_img = np.ascontiguousarray(arr[..., :3])
        self.content_source = spec
        if self.content_combo.findText(spec) >= 0:
            self.content_combo.setCurrentText(spec)
        self.content_thumb.show_array(self.content_img)
        self.content_thumb.setToolTip(spec)
        h, w = self.content_img.shape[:2]
        self.canvas.reset_mask(w, h)
        self.canvas.set_image(array_to_qimage(self.content_img))
        self.result_img = None
        self.banner.clear_message()
        return True

    def set_style_source(self, spec: str, img: np.ndarray | None = None) -> bool:
        try:
            arr = img if img is not None else self._load_spec(spec)
        except Exception as e:
            self._show_error(e)
            return False
        self.style_img = np.ascontiguousarray(arr[..., :3])
        self.style_source = spec
        if self.style_combo.findText(spec) >= 0:
            self.style_combo.setCurrentText(spec)
        self.style_thumb.show_array(self.style_img)
        self.style_thumb.setToolTip(spec)
        self.banner.clear_message()
        return True

    @Slot(int)
    def _content_combo_picked(self, _i: int) -> None:
        self.set_content_source(self.content_combo.currentText())

    @Slot(int)
    def _style_combo_picked(self, _i: int) -> None:
        self.set_style_source(self.style_combo.currentText())

    @Slot(int)
    def _style_seed_changed(self, _v: int) -> None:
        if self.style_source.startswith("style:"):
            self.set_style_source(self.style_source)

    @Slot()
    def _open_content(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Content image", "", IMAGE_FILTER)
        if path:
            self.set_content_source(path)

    @Slot()
    def _open_style(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Style image", "", IMAGE_FILTER)
        if path:
            self.set_style_source(path)

    @Slot(str)
    def _content_dropped(self, path: str) -> None:
        self.set_content_source(path)

    @Slot(str)
    def _style_dropped(self, path: str) -> None:
        self.set_style_source(path)

    @Slot()
    def _take_snapshot(self) -> None:
        self.snapshot_btn.setEnabled(False)
        self.status.setText("Opening the camera…")
        h = self.tasks.start(_snapshot, "camera:0")
        h.result.connect(self._snapshot_taken)
        h.error.connect(self._snapshot_failed)
        h.finished.connect(self._snapshot_done)

    @Slot(object)
    def _snapshot_taken(self, frame) -> None:
        self.set_content_source("webcam snapshot", frame)
        self.status.setText("Webcam snapshot taken.")

    @Slot(str)
    def _snapshot_failed(self, msg: str) -> None:
        self.banner.show_message(f"No webcam snapshot: {msg} Use a bundled sample or an image file instead.", "warning")
        self.status.setText("No camera.")

    @Slot()
    def _snapshot_done(self) -> None:
        self.snapshot_btn.setEnabled(True)

    # -- network choices -----------------------------------------------------------------------
    def backbone(self) -> str:
        return self.backbone_combo.currentData()

    @Slot()
    def _backbone_changed(self, *_):
        from workbench.core.models.backbones import backbone_layers

        names, content, style = backbone_layers(self.backbone())
        self.content_layer_combo.clear()
        self.content_layer_combo.addItems(names)
        self.content_layer_combo.setCurrentText(content)
        self.style_layers_list.clear()
        for n in names:
            it = QListWidgetItem(n)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if n in style else Qt.CheckState.Unchecked)
            self.style_layers_list.addItem(it)
        from workbench.core.studies.style_transfer.transfer import DEFAULT_STYLE_WEIGHT

        self.style_w.set_value(DEFAULT_STYLE_WEIGHT.get(self.backbone(), 1e5))
        vgg = self.backbone() == "vgg19"
        self.weights_btn.setEnabled(vgg)
        self.weights_label.setText((Path(self.weights_path).name if self.weights_path else "not chosen") if vgg
                                   else "bundled")

    def style_layers(self) -> list[str]:
        return [self.style_layers_list.item(i).text() for i in range(self.style_layers_list.count())
                if self.style_layers_list.item(i).checkState() == Qt.CheckState.Checked]

    def set_style_layers(self, layers: list[str]) -> None:
        for i in range(self.style_layers_list.count()):
            it = self.style_layers_list.item(i)
            it.setCheckState(Qt.CheckState.Checked if it.text() in layers else Qt.CheckState.Unchecked)

    @Slot()
    def _pick_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "torchvision vgg19 weights", "", "PyTorch weights (*.pth *.pt);;All files (*)")
        if path:
            self.weights_path = path
            self._backbone_changed()

    # -- settings ------------------------------------------------------------------------------
    def settings_dict(self) -> dict:
        return {
            "backbone": self.backbone(), "weights_path": self.weights_path if self.backbone() == "vgg19" else "",
            "content_layer": self.content_layer_combo.currentText(), "style_layers": self.style_layers(),
            "content_weight": self.content_w.value(), "style_weight": self.style_w.value(),
            "tv_weight": self.tv_w.value(), "init": self.init_combo.currentText(),
            "optimizer": self.opt_combo.currentText(), "size": self.size_spin.value(),
            "keep_colors": self.keep_colors.isChecked(), "seed": self.style_seed.value(),
            "report_every": self.every_spin.value(),
        }

    def apply_settings(self, d: dict) -> None:
        if d.get("backbone") in BACKBONE_NAMES:
            self.weights_path = d.get("weights_path", "") or self.weights_path
            self.backbone_combo.setCurrentIndex(list(BACKBONE_NAMES).index(d["backbone"]))
            self._backbone_changed()
        if d.get("content_layer"):
            self.content_layer_combo.setCurrentText(d["content_layer"])
        if d.get("style_layers"):
            self.set_style_layers(list(d["style_layers"]))
        for key, w in (("content_weight", self.content_w), ("style_weight", self.style_w), ("tv_weight", self.tv_w)):
            if isinstance(d.get(key), (int, float)):
                w.set_value(float(d[key]))
        for key, combo in (("init", self.init_combo), ("optimizer", self.opt_combo)):
            if d.get(key):
                combo.setCurrentText(str(d[key]))
        for key, spin in (("size", self.size_spin), ("report_every", self.every_spin), ("steps", self.steps_spin)):
            if isinstance(d.get(key), int):
                spin.setValue(d[key])
        if "keep_colors" in d:
            self.keep_colors.setChecked(bool(d["keep_colors"]))

    # -- running -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._worker is not None

    def start(self) -> None:
        if self._worker is not None:
            return
        if self.content_img is None or self.style_img is None:
            self.banner.show_message("Choose a content image and a style image first.", "warning")
            return
        if not self.style_layers():
            self.banner.show_message("Tick at least one style layer.", "warning")
            return
        self.banner.clear_message()
        for v in self._hist.values():
            v.clear()
        self._chart_dirty = True
        self._run_settings = self.settings_dict()
        self.frames_received = 0
        worker = StyleWorker(self.content_img, self.style_img, self._run_settings, self.steps_spin.value(),
                             mask=self.canvas.mask_array())
        worker.frame_ready.connect(self._on_frame)  # bound method of a GUI object: queued across threads
        self._worker = worker
        self._handle = self.tasks.start_worker(worker)
        self._handle.result.connect(self._on_result)
        self._handle.error.connect(self._on_error)
        self._handle.cancelled.connect(self._on_cancelled)
        self._handle.finished.connect(self._on_finished)
        self.status.setText("Loading the network…")
        self._update_buttons()

    def toggle_pause(self) -> None:
        w = self._worker
        if w is None:
            return
        if self.pause_btn.text() == "Pause":
            w.pause()
            self.pause_btn.setText("Resume")
            self.status.setText("Paused (between iterations).")
        else:
            w.resume()
            self.pause_btn.setText("Pause")
            self.status.setText("Running…")

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            self.status.setText("Stopping after this iteration…")

    @Slot(dict)
    def _on_frame(self, f: dict) -> None:
        """GUI thread: the worker's QImage becomes a pixmap here, the charts get their points."""
        self.frame_thread_ids.append(threading.get_ident())
        self.frames_received += 1
        self.last_frame = f
        self.result_img = f["image"]
        self.canvas.set_image(f["qimage"])
        if not self._hist["iteration"] or f["iteration"] > self._hist["iteration"][-1]:
            for k in self._hist:
                self._hist[k].append(f[k])
            self._chart_dirty = True
        self.status.setText(f"iteration {f['iteration']}  total {f['total']:.4g}  "
                            f"({f['content']:.3g} content, {f['style']:.3g} style, {f['tv']:.3g} TV)  "
                            f"{f['its_per_s']:.2f} it/s")

    @Slot()
    def _redraw_charts(self) -> None:
        if not self._chart_dirty:
            return
        self._chart_dirty = False
        it = np.asarray(self._hist["iteration"], float)
        for k, c in self._curves.items():
            y = np.asarray(self._hist[k], float)
            ok = y > 0  # log axis
            c.setData(it[ok], y[ok])
        self._speed_curve.setData(it, np.asarray(self._hist["its_per_s"], float))
        if it.size:
            self.loss_plot.enableAutoRange()
            self.speed_plot.enableAutoRange()

    @Slot(object)
    def _on_result(self, img) -> None:
        self.result_img = img
        self.status.setText(f"Done: {self.last_frame.get('iteration', 0)} iterations, "
                            f"loss {self.last_frame.get('total', float('nan')):.4g}.")

    @Slot(str)
    def _on_error(self, msg: str) -> None:
        self.banner.show_message(msg, "error")
        self.status.setText("Failed.")

    @Slot()
    def _on_cancelled(self) -> None:
        self.status.setText(f"Stopped at iteration {self.last_frame.get('iteration', 0)}.")

    @Slot()
    def _on_finished(self) -> None:
        self._worker = None
        self._handle = None
        self.pause_btn.setText("Pause")
        self._update_buttons()
        self._redraw_charts()

    def _update_buttons(self) -> None:
        running = self._worker is not None
        self.run_btn.setEnabled(not running)
        self.pause_btn.setEnabled(running)
        self.stop_btn.setEnabled(running)
        for w in (self.content_combo, self.content_open, self.snapshot_btn, self.style_combo, self.style_open,
                  self.backbone_combo, self.size_spin):
            w.setEnabled(not running)

    # -- mask ------------------------------------------------------------------------------------
    @Slot(bool)
    def _paint_toggled(self, on: bool) -> None:
        self.canvas.painting_enabled = on
        self.canvas.setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)
        self.canvas.update()

    @Slot(int)
    def _brush_changed(self, v: int) -> None:
        self.canvas.brush = v

    # -- saving ----------------------------------------------------------------------------------
    @Slot()
    def _save_dialog(self) -> None:
        if self.result_img is None:
            self.banner.show_message("Nothing to save yet: run the style transfer first.", "warning")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save image", "stylized.png", "PNG image (*.png)")
        if path:
            self.save(path)

    def save(self, path: str):
        """Save the latest image as PNG and the run's settings (+ losses) as JSON beside it."""
        from workbench.core.studies.style_transfer import StyleSettings, save_result

        if self.result_img is None:
            raise ValueError("nothing to save")
        settings = StyleSettings.from_dict(self._run_settings or self.settings_dict())
        f = self.last_frame
        extra = {"content_source": self.content_source, "style_source": self.style_source,
                 "masked": self.canvas.mask_array() is not None, "iterations": f.get("iteration", 0),
                 "losses": {k: f.get(k) for k in ("content", "style", "tv", "total")}}
        try:
            png, js = save_result(path, self.result_img, settings, extra)
        except Exception as e:
            self._show_error(e)
            return None
        self.status.setText(f"Saved {png.name} and {js.name}.")
        return png, js

    def _show_error(self, e: Exception) -> None:
        from workbench.core.errors import WorkbenchError

        self.banner.show_message(str(e) if isinstance(e, WorkbenchError) else f"{type(e).__name__}: {e}", "error")

    # -- panel contract --------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.chart_timer.stop()
        if self._worker is not None:
            self._worker.cancel()
        self.tasks.stop_and_wait()

    def current_transfer(self):
        """The running StyleTransfer (or None); for tests and diagnostics, never for widgets."""
        return getattr(self._worker, "_transfer", None) if self._worker is not None else None

    def state(self) -> dict:
        d = self.settings_dict()
        d["steps"] = self.steps_spin.value()
        d["content_source"] = self.content_source if self.content_source != "webcam snapshot" else ""
        d["style_source"] = self.style_source
        return d

    def restore(self, state: dict) -> None:
        state = state or {}
        self.apply_settings(state)
        if "seed" in state and isinstance(state["seed"], int):
            self.style_seed.blockSignals(True)
            self.style_seed.setValue(state["seed"])
            self.style_seed.blockSignals(False)
        if state.get("content_source"):
            self.set_content_source(state["content_source"])
        if state.get("style_source"):
            self.set_style_source(state["style_source"])


def _demo(ctx, panel: StyleTransferPanel) -> None:
    panel.size_spin.setValue(192)


if __name__ == "__main__":
    from workbench.ui.panels.base import run_panel_standalone

    raise SystemExit(run_panel_standalone(StyleTransferPanel, setup=_demo))
