"""Case study "Neural style transfer canvas": watch Gatys' optimization paint the image live.

The logic lives in ``workbench.core.studies.style_transfer``: the panel picks the images and
settings (``controls.py``), runs a core ``StyleJob`` on a ``JobRunner`` (so Pause, Resume and Stop
reach it between iterations) and shows what it reports. Every few iterations the job's report is
turned into an owned ``QImage`` in the worker thread (a ``Relay``); the canvas (``canvas.py``)
makes the pixmap on the GUI thread, and the charts redraw from a GUI timer. A mask painted on the
canvas keeps the style inside it.
"""
from __future__ import annotations

import threading

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QScrollArea, QSplitter, QVBoxLayout, QWidget

from workbench.ui.job_runner import JobRunner, Relay
from workbench.ui.panels.base import Panel
from workbench.ui.panels.style_transfer.canvas import CanvasWidget
from workbench.ui.panels.style_transfer.controls import Controls
from workbench.ui.widgets import array_to_qimage, button, color, hbox
from workbench.ui.training_bridge import LiveTraining

LOSS_TERMS = ("content", "style", "tv", "total")
CHART_KEYS = (*LOSS_TERMS, "its_per_s")


def _frame(p) -> dict:
    """In the worker thread: a StyleProgress as plain values and an owned QImage (never a widget)."""
    return {"iteration": int(p.iteration), "qimage": array_to_qimage(p.image), "image": p.image.copy(),
            **{k: float(getattr(p, k)) for k in (*LOSS_TERMS, "its_per_s")}, "finished": bool(p.finished),
            "thread": threading.get_ident()}


class StyleTransferPanel(Panel):
    """Case study 3: neural style transfer with a live canvas."""

    title = "Style transfer"
    icon_name = "SP_DesktopIcon"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.content_img: np.ndarray | None = None
        self.style_img: np.ndarray | None = None
        self.content_source = "sample:chelsea"
        self.style_source = "style:swirls"
        self.result_img: np.ndarray | None = None
        self.current_job = None  # the core StyleJob while one runs
        self.last_frame: dict = {}
        self.frames_received = 0
        self.frame_thread_ids: list[int] = []
        self._run_settings: dict = {}
        self._paused = False
        self._build()
        self.banner = self.controls.banner
        self.jobs = JobRunner(self, banner=self.banner, status=self.status)
        self.jobs.job_finished.connect(self._on_finished)
        self.snapshots = JobRunner(self, banner=self.banner, status=self.status)
        self.snapshots.job_failed.connect(self._snapshot_failed)
        self.snapshots.job_finished.connect(self._snapshot_done)
        self.frames = Relay(self, convert=_frame)
        self.frames.item.connect(self._on_frame)
        # the one live chart of every training: each reported iteration is a row of its buffer, and
        # the charts redraw on its GUI timer (<= 10 Hz), whatever the worker's pace
        self.live = LiveTraining(self, self._draw_charts)
        self.set_content_source("sample:chelsea")
        self.set_style_source("style:swirls")
        self._update_buttons()

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QHBoxLayout(self)
        split = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(split)
        c = self.controls = Controls()
        c.content_chosen.connect(self.set_content_source)
        c.style_chosen.connect(self.set_style_source)
        c.style_seed_changed.connect(self._style_seed_changed)
        c.snapshot_requested.connect(self.take_snapshot)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(c)
        # wide enough for the controls: no horizontal scroll bar, no squeezed labels
        scroll.setMinimumWidth(max(330, c.minimumSizeHint().width() + scroll.verticalScrollBar().sizeHint().width()
                                   + 2 * scroll.frameWidth()))
        split.addWidget(scroll)
        right = QWidget()
        rl = QVBoxLayout(right)
        self.run_btn = button("Run", self.start)
        self.pause_btn = button("Pause", self.toggle_pause)
        self.stop_btn = button("Stop", self.stop)
        self.save_btn = button("Save PNG + settings…", self._save_dialog)
        self.status = QLabel("Ready.")
        bar = hbox(self.run_btn, self.pause_btn, self.stop_btn, self.save_btn, self.status, stretch=False)
        bar.setStretchFactor(self.status, 1)
        rl.addLayout(bar)
        self.canvas = CanvasWidget()
        c.clear_mask_btn.clicked.connect(self.canvas.clear_mask)
        c.paint_check.toggled.connect(self._paint_toggled)
        c.brush_spin.valueChanged.connect(self._brush_changed)
        vs = QSplitter(Qt.Orientation.Vertical)
        vs.addWidget(self.canvas)
        vs.addWidget(self._charts())
        vs.setSizes([520, 220])
        rl.addWidget(vs, 1)
        split.addWidget(right)
        split.setSizes([340, 760])

    def _charts(self) -> QWidget:
        charts = QWidget()
        cl = QHBoxLayout(charts)
        cl.setContentsMargins(0, 0, 0, 0)
        self.loss_plot = pg.PlotWidget(title="Loss terms (weighted)")
        self.loss_plot.setLogMode(False, True)
        self.loss_plot.addLegend(offset=(-10, 10))
        self.loss_plot.setLabel("bottom", "iteration")
        self.curves = {k: self.loss_plot.plot([], [], pen=pg.mkPen(color(i), width=2), name=k)
                       for i, k in enumerate(LOSS_TERMS)}
        self.speed_plot = pg.PlotWidget(title="Iterations / s")
        self.speed_plot.setLabel("bottom", "iteration")
        self.speed_curve = self.speed_plot.plot([], [], pen=pg.mkPen(color(4), width=2))
        # before the first run: the iterations to come and a plausible loss span, not a bare 0..1
        for pl in (self.loss_plot, self.speed_plot):
            pl.setXRange(0, self.controls.steps_spin.value())
        self.loss_plot.setYRange(-2, 2)  # log axis: 0.01 .. 100
        self.speed_plot.setYRange(0, 10)
        cl.addWidget(self.loss_plot, 2)
        cl.addWidget(self.speed_plot, 1)
        return charts

    # -- image choices -------------------------------------------------------------------------
    def _load(self, spec: str, img: np.ndarray | None) -> np.ndarray | None:
        """The image of a spec (or ``img`` itself) as contiguous RGB, or None after showing why not."""
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.style_transfer import resolve_image

        try:
            arr = img if img is not None else resolve_image(spec, size=512, seed=self.controls.style_seed.value())
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return None
        self.banner.clear_message()
        return np.ascontiguousarray(arr[..., :3])

    @Slot(str)
    def set_content_source(self, spec: str, img: np.ndarray | None = None) -> bool:
        arr = self._load(spec, img)
        if arr is None:
            return False
        self.content_img, self.content_source, self.result_img = arr, spec, None
        self.controls.content.show_image(spec, arr)
        self.canvas.reset_mask(arr.shape[1], arr.shape[0])
        self.canvas.set_image(array_to_qimage(arr))
        return True

    @Slot(str)
    def set_style_source(self, spec: str, img: np.ndarray | None = None) -> bool:
        arr = self._load(spec, img)
        if arr is None:
            return False
        self.style_img, self.style_source = arr, spec
        self.controls.style.show_image(spec, arr)
        return True

    @Slot(int)
    def _style_seed_changed(self, _v: int) -> None:
        if self.style_source.startswith("style:"):
            self.set_style_source(self.style_source)

    @Slot()
    def take_snapshot(self) -> None:
        from workbench.core.studies.style_transfer import camera_snapshot

        if self.snapshots.start(camera_snapshot, "camera:0", on_result=self._snapshot_taken,
                                label="Opening the camera…") is not None:
            self.controls.snapshot_btn.setEnabled(False)

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
        self.controls.snapshot_btn.setEnabled(True)

    # -- running -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.jobs.busy

    def start(self) -> None:
        from workbench.core.studies.style_transfer import StyleJob

        if self.busy:
            return
        if self.content_img is None or self.style_img is None:
            self.banner.show_message("Choose a content image and a style image first.", "warning")
            return
        if not self.controls.style_layers():
            self.banner.show_message("Tick at least one style layer.", "warning")
            return
        self.live.start()
        self._run_settings = self.controls.settings_dict()
        self.frames_received = 0
        job = StyleJob(self.content_img, self.style_img, self._run_settings, self.controls.steps_spin.value(),
                       mask=self.canvas.mask_array())
        if self.jobs.start(job.run, self.frames.send, trainer=job, on_result=self._on_result,
                           on_cancelled=self._on_cancelled, label="Loading the network…") is not None:
            self.current_job = job
            self._update_buttons()
        else:
            self.live.stop()

    def toggle_pause(self) -> None:
        if not self.busy:
            return
        self._paused = not self._paused
        (self.jobs.pause if self._paused else self.jobs.resume)()
        self.pause_btn.setText("Resume" if self._paused else "Pause")
        self.status.setText("Paused (between iterations)." if self._paused else "Running…")

    def stop(self) -> None:
        if self.busy:
            self.jobs.cancel()
            self.status.setText("Stopping after this iteration…")

    def current_transfer(self):
        """The running StyleTransfer (or None); for tests and diagnostics, never for widgets."""
        return self.current_job.transfer if self.current_job is not None else None

    @Slot(object)
    def _on_frame(self, f: dict) -> None:
        """GUI thread: the worker's QImage becomes a pixmap here, the charts get their points."""
        self.frame_thread_ids.append(threading.get_ident())
        self.frames_received += 1
        self.last_frame = f
        self.result_img = f["image"]
        self.canvas.set_image(f["qimage"])
        done = self.live.buffer.epochs
        if not done or f["iteration"] > done[-1]["epoch"]:
            self.live.buffer.on_epoch({"epoch": f["iteration"], **{k: f[k] for k in CHART_KEYS}})
        self.status.setText(f"iteration {f['iteration']}  total {f['total']:.4g}  "
                            f"({f['content']:.3g} content, {f['style']:.3g} style, {f['tv']:.3g} TV)  "
                            f"{f['its_per_s']:.2f} it/s")

    @Slot()
    def _redraw_charts(self) -> None:
        self.live.redraw()

    def _draw_charts(self, b) -> None:
        for k, c in self.curves.items():
            it, y = (np.asarray(v, float) for v in b.series(k))
            ok = y > 0  # log axis
            c.setData(it[ok], y[ok])
        it, speed = b.series("its_per_s")
        self.speed_curve.setData(it, speed)
        if it:
            self.loss_plot.enableAutoRange()
            self.speed_plot.enableAutoRange()

    @Slot(object)
    def _on_result(self, img) -> None:
        self.result_img = img
        self.status.setText(f"Done: {self.last_frame.get('iteration', 0)} iterations, "
                            f"loss {self.last_frame.get('total', float('nan')):.4g}.")

    @Slot()
    def _on_cancelled(self) -> None:
        self.status.setText(f"Stopped at iteration {self.last_frame.get('iteration', 0)}.")

    @Slot()
    def _on_finished(self) -> None:
        self.current_job = None
        self._paused = False
        self.pause_btn.setText("Pause")
        self._update_buttons()
        self.live.stop()

    def _update_buttons(self) -> None:
        running = self.busy
        self.run_btn.setEnabled(not running)
        self.pause_btn.setEnabled(running)
        self.stop_btn.setEnabled(running)
        self.controls.set_running(running)

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
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.style_transfer import StyleSettings, save_result

        if self.result_img is None:
            raise ValueError("nothing to save")
        f = self.last_frame
        extra = {"content_source": self.content_source, "style_source": self.style_source,
                 "masked": self.canvas.mask_array() is not None, "iterations": f.get("iteration", 0),
                 "losses": {k: f.get(k) for k in LOSS_TERMS}}
        try:
            png, js = save_result(path, self.result_img,
                                  StyleSettings.from_dict(self._run_settings or self.controls.settings_dict()), extra)
        except (WorkbenchError, OSError) as e:
            self.banner.show_message(str(e), "error")
            return None
        self.status.setText(f"Saved {png.name} and {js.name}.")
        return png, js

    # -- panel contract --------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.live.timer.stop()
        self.jobs.shutdown()
        self.snapshots.shutdown()

    state_section = "style_transfer"

    def state(self) -> dict:
        d = self.controls.settings_dict()
        d["steps"] = self.controls.steps_spin.value()
        d["content_source"] = self.content_source if self.content_source != "webcam snapshot" else ""
        d["style_source"] = self.style_source
        return d

    def restore(self, state: dict) -> None:
        state = state or {}
        self.controls.apply_settings(state)
        if state.get("content_source"):
            self.set_content_source(state["content_source"])
        if state.get("style_source"):
            self.set_style_source(state["style_source"])


def demo(ctx, panel: StyleTransferPanel) -> None:
    panel.controls.size_spin.setValue(192)
