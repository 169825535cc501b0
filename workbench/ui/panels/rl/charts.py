"""Live charts of a training: episode returns with their moving average, the evaluation returns and
the random agent's return as a dashed line; episode lengths; the loss terms. The curves are made
once and fed with ``setData`` from a GUI timer (20 Hz) only when new payloads arrived."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from workbench.ui.widgets import color

REDRAW_MS = 50  # 20 Hz


def _plot(title: str, ylabel: str) -> pg.PlotWidget:
    p = pg.PlotWidget(title=title)
    p.setLabel("bottom", "environment steps")
    p.setLabel("left", ylabel)
    p.addLegend(offset=(10, 10))
    p.setMenuEnabled(False)
    p.showGrid(x=True, y=True, alpha=0.2)
    return p


class TrainingCharts(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        from workbench.core.studies.rl.live import LiveCurves

        self.curves = LiveCurves()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        split = QSplitter(Qt.Orientation.Vertical)
        self.ret_plot = _plot("Return per episode", "return")
        self.episodes = self.ret_plot.plot([], [], pen=None, symbol="o", symbolSize=3,
                                           symbolBrush=pg.mkBrush(150, 150, 150, 110), symbolPen=None, name="episode")
        self.moving = self.ret_plot.plot([], [], pen=pg.mkPen(color(0), width=2), name="moving average (100)")
        self.evals = self.ret_plot.plot([], [], pen=pg.mkPen(color(1), width=2), symbol="s", symbolSize=6,
                                        symbolBrush=color(1), name="evaluation")
        self.random = self.ret_plot.plot([], [], pen=pg.mkPen("#b33", width=2, style=Qt.PenStyle.DashLine),
                                         name="random agent")
        self.target = self.ret_plot.plot([], [], pen=pg.mkPen("#393", width=1, style=Qt.PenStyle.DotLine),
                                         name="target")
        self.len_plot = _plot("Episode length", "steps")
        self.lengths = self.len_plot.plot([], [], pen=None, symbol="o", symbolSize=3,
                                          symbolBrush=pg.mkBrush(color(2)), symbolPen=None)
        self.loss_plot = _plot("Loss terms (after each update)", "value")
        self.loss_items: dict = {}
        for w in (self.ret_plot, self.len_plot, self.loss_plot):
            split.addWidget(w)
        split.setSizes([320, 140, 160])
        lay.addWidget(split)
        self._drawn = -1
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self.redraw)
        self.redraws = 0

    def start(self, fresh: bool) -> None:
        if fresh:
            self.curves.clear()
            for item in self.loss_items.values():
                self.loss_plot.removeItem(item)
            self.loss_items = {}
        self._drawn = -1
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.redraw()

    @Slot(object)
    def add(self, payload: dict) -> None:
        self.curves.add(payload)

    @Slot()
    def redraw(self) -> None:
        if self.curves.version == self._drawn:
            return
        self._drawn = self.curves.version
        self.redraws += 1
        s = self.curves.series()
        self.episodes.setData(*s["episodes"])
        self.moving.setData(*s["moving"])
        self.evals.setData(*s["evals"])
        self.lengths.setData(*s["lengths"])
        end = max([self.curves.last_step, 1] + (s["evals"][0][-1:] or [0]))
        for item, y in ((self.random, s["random"]), (self.target, s["target"])):
            item.setData([0, end], [y, y]) if y is not None else item.setData([], [])
        for i, (name, (xs, ys)) in enumerate(sorted(s["losses"].items())):
            if name in ("learning_rate", "clip_range", "n_updates", "clip_fraction", "approx_kl", "explained_variance",
                        "std"):
                continue  # not loss terms (they are in the run record)
            item = self.loss_items.get(name)
            if item is None:
                item = self.loss_plot.plot([], [], pen=pg.mkPen(color(i + 3), width=2), name=name)
                self.loss_items[name] = item
            item.setData(xs, ys)
