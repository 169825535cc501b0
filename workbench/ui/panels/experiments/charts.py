"""Drawing a lesson's ``Chart`` (as ``Chart.to_dict`` gives it) on a pyqtgraph plot."""
from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import Qt

from workbench.ui.widgets import color


def _points(series: dict, log_y: bool) -> tuple[list[float], list[float]]:
    """The series' finite points (positive ones on a log axis)."""
    xs, ys = [], []
    for x, y in zip(series["x"], series["y"]):
        if not isinstance(y, (int, float)) or not math.isfinite(y) or (log_y and y <= 0):
            continue
        xs.append(float(x))
        ys.append(float(y))
    return xs, ys


def draw_chart(plot: pg.PlotWidget, chart: dict) -> None:
    """Lines, dashed lines and points of a Chart dict, with its titles and legend."""
    plot.clear()
    plot.setTitle(chart.get("title", ""))
    plot.setLabel("bottom", chart.get("xlabel", ""))
    plot.setLabel("left", chart.get("ylabel", ""))
    log_y = bool(chart.get("log_y"))
    plot.setLogMode(False, log_y)
    legend = plot.plotItem.legend or plot.addLegend(offset=(-10, 10))
    legend.clear()
    for i, s in enumerate(chart.get("series", [])):
        xs, ys = _points(s, log_y)
        c = color(i)
        if s.get("style") == "points" or len(xs) == 1:
            plot.plot(xs, ys, pen=None, symbol="o", symbolSize=10, symbolBrush=c, name=s["label"])
        else:
            style = Qt.PenStyle.DashLine if s.get("style") == "dash" else Qt.PenStyle.SolidLine
            plot.plot(xs, ys, pen=pg.mkPen(c, width=2, style=style), symbol="o", symbolSize=5, symbolBrush=c,
                      name=s["label"])
