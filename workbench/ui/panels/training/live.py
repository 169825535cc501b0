"""The Train panel's Live tab: loss and metric curves per epoch, the smoothed per-batch loss, the
kept epoch and the overfitting region, and the diagnosis text.

The curves are created once; ``redraw`` (called from the panel's GUI timer, <= 30 Hz) only copies
the ``TrainingBuffer`` into them, and at most every ``EPOCH_REDRAW_S`` / ``BATCH_REDRAW_S``.
"""
from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QSplitter, QTextBrowser, QVBoxLayout, QWidget

from workbench.ui.widgets import epoch_plot

DIAGNOSIS_REFRESH_S = 5.0
EPOCH_REDRAW_S = 0.5
BATCH_REDRAW_S = 1.0  # the per-batch curve: 1 Hz
TRAIN_PEN = pg.mkPen("#1f77b4", width=2)
VAL_PEN = pg.mkPen("#ff7f0e", width=2)
BATCH_PEN = pg.mkPen(QColor(31, 119, 180, 90), width=1)
BEST_PEN = pg.mkPen("#2ca02c", width=1.5, style=Qt.PenStyle.DashLine)


def _curve(plot, pen, colour: str, name: str):
    return plot.plot([], [], pen=pen, symbol="o", symbolSize=6, symbolBrush=colour, name=name)


def _best_line(plot) -> pg.InfiniteLine:
    line = pg.InfiniteLine(angle=90, movable=False, pen=BEST_PEN)
    line.hide()
    plot.addItem(line)
    return line


class LiveTab(QWidget):
    """Signals:
        epoch_shown(int)  the charts now show this many epochs (after a redraw)
    """

    epoch_shown = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        charts = QSplitter(Qt.Orientation.Horizontal)
        # No grid: pyqtgraph paints grid lines with the axes, and repainting them at every update
        # was most of the GUI thread's work while training.
        self.loss_plot = epoch_plot("Loss per epoch", "loss")
        self.metric_plot = epoch_plot("accuracy per epoch", "metric", legend_at_bottom=True)
        self.overfit_region = pg.LinearRegionItem(values=(0, 0), movable=False,
                                                  brush=pg.mkBrush(214, 39, 40, 40), pen=pg.mkPen(None))
        self.overfit_region.setZValue(-10)
        self.overfit_region.hide()
        self.loss_plot.addItem(self.overfit_region)
        self.batch_curve = self.loss_plot.plot([], [], pen=BATCH_PEN, name="batch loss (smoothed)",
                                               antialias=False)  # many points: keep painting cheap
        self.train_curve = _curve(self.loss_plot, TRAIN_PEN, "#1f77b4", "training loss")
        self.val_curve = _curve(self.loss_plot, VAL_PEN, "#ff7f0e", "validation loss")
        self.best_line = _best_line(self.loss_plot)
        self.best_marker = pg.ScatterPlotItem(size=16, symbol="star", brush=pg.mkBrush("#2ca02c"),
                                              pen=pg.mkPen("#1d6b1d"))
        self.loss_plot.addItem(self.best_marker)
        self.train_metric_curve = _curve(self.metric_plot, TRAIN_PEN, "#1f77b4", "training")
        self.val_metric_curve = _curve(self.metric_plot, VAL_PEN, "#ff7f0e", "validation")
        self.best_line_m = _best_line(self.metric_plot)
        charts.addWidget(self.loss_plot)
        charts.addWidget(self.metric_plot)
        self.splitter.addWidget(charts)
        self.diagnosis = QTextBrowser()
        self.diagnosis.setOpenLinks(False)
        self.diagnosis.setPlaceholderText("The diagnosis appears here as epochs finish.")
        self.splitter.addWidget(self.diagnosis)
        self.splitter.setSizes([520, 160])
        lay.addWidget(self.splitter)
        self.metric = "accuracy"
        self.last_diagnosis: dict | None = None
        self._diag_key = None
        self._diag_time = 0.0
        self.reset()

    def reset(self, total_epochs: int | None = None) -> None:
        """A new run: empty diagnosis, a fixed epoch axis while it trains (None: automatic)."""
        self.last_diagnosis = None
        self.diagnosis.clear()
        self.overfit_region.hide()
        self._drawn_version = -1
        self._drawn_epoch_version = -1
        self._last_batch_draw = 0.0
        self._last_epoch_draw = 0.0
        # A fixed axis while training: the axes repaint only when their range changes.
        for p in (self.loss_plot, self.metric_plot):
            if total_epochs:
                p.setXRange(0, max(int(total_epochs), 1) + 0.3, padding=0)
            else:
                p.enableAutoRange(axis="x")
                p.enableAutoRange(axis="y")

    def set_metric(self, name: str) -> None:
        from workbench.core.training.metrics import metric_info

        info = metric_info(name)
        label = info.label if info else name
        self.metric = name
        self.metric_plot.setTitle(f"{label} per epoch")
        self.metric_plot.setLabel("left", label)
        legend = self.metric_plot.getPlotItem().legend
        if legend is not None:  # rising curves leave the top free, falling ones (MAE) the bottom
            legend.setOffset((-10, -10) if info is None or info.higher_is_better else (-10, 10))

    def show_diagnosis(self, d: dict | None, live: bool = False) -> None:
        """The diagnosis text. While training (``live``) it is rewritten only when the verdict
        changes or every few seconds: re-laying out rich text each epoch was the largest GUI cost."""
        self.last_diagnosis = d
        if not d:
            return
        key = (tuple(d.get("findings") or ()), d.get("overfit_epoch"), tuple(d.get("remedies") or ()))
        now = time.perf_counter()
        if live and key == self._diag_key and now - self._diag_time < DIAGNOSIS_REFRESH_S:
            return
        self._diag_key, self._diag_time = key, now
        parts = [f"<p>{d.get('text', '')}</p>"]
        if d.get("remedies"):
            parts.append("<p><b>What to try, in order:</b></p><ol>" +
                         "".join(f"<li>{r}</li>" for r in d["remedies"]) + "</ol>")
        self.diagnosis.setHtml("".join(parts))

    def redraw(self, b, *, busy: bool, force: bool = False) -> None:
        """Copy the buffer ``b`` into the existing curves. Epoch points at most every
        EPOCH_REDRAW_S (short epochs), the per-batch curve at most every BATCH_REDRAW_S."""
        now = time.perf_counter()
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
        step = max(1, len(b.batch_x) // 1000)
        self.batch_curve.setData(np.asarray(b.batch_x[::step]), np.asarray(b.batch_smooth[::step]))
        if not epochs_new:
            self._drawn_version = -1 if b.epoch_version != self._drawn_epoch_version else b.version
            return
        self._drawn_epoch_version = b.epoch_version
        self._last_epoch_draw = now
        loss, vloss = b.series("loss"), b.series("val_loss")
        self.train_curve.setData(*loss)
        self.val_curve.setData(*vloss)
        m, vm = b.series(self.metric), b.series(f"val_{self.metric}")
        self.train_metric_curve.setData(*m)
        self.val_metric_curve.setData(*vm)
        if busy:
            _fit_y(self.loss_plot, loss[1] + vloss[1] + list(b.batch_smooth[-200:]))
            _fit_y(self.metric_plot, m[1] + vm[1])
        self._show_best(*vloss)
        d = self.last_diagnosis or {}
        if d.get("overfit_epoch") and b.epochs:
            last = float(b.epochs[-1].get("epoch", len(b.epochs)))
            self.overfit_region.setRegion((float(d["overfit_epoch"]), last))
            self.overfit_region.show()
        else:
            self.overfit_region.hide()
        self.epoch_shown.emit(len(b.epochs))

    def _show_best(self, xs: list[float], vs: list[float]) -> None:
        """Mark the epoch of the lowest validation loss so far."""
        lines = (self.best_line, self.best_line_m)
        if not xs:
            for line in lines:
                line.hide()
            self.best_marker.setData([], [])
            return
        i = min(range(len(vs)), key=vs.__getitem__)
        for line in lines:
            line.setValue(xs[i])
            line.show()
        self.best_marker.setData([xs[i]], [vs[i]])


def _fit_y(plot, values) -> None:
    """Set the y range only when the data leave it or shrink to a small part of it: every range
    change regenerates the axes, which was most of the cost of an epoch's repaint."""
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return
    lo, hi = min(vals), max(vals)
    span = max(hi - lo, 1e-6)
    cur_lo, cur_hi = plot.getViewBox().viewRange()[1]
    inside = cur_lo <= lo and hi <= cur_hi
    if inside and span >= 0.4 * (cur_hi - cur_lo) and plot.getViewBox().state["autoRange"][1] is False:
        return
    pad = 0.08 * span
    plot.setYRange(lo - pad, hi + pad, padding=0)
