"""The Evaluation tab's page for regression runs: predicted against actual values (with the line
where they are equal) and the histogram of the residuals (actual - predicted), both in the target's
units. The points and the histogram come from the run record (``evaluation`` of a regression run,
computed by the core)."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from workbench.ui.models import readable

POINT_BRUSH = pg.mkBrush(31, 119, 180, 140)
IDEAL_PEN = pg.mkPen("#2ca02c", width=1.5, style=Qt.PenStyle.DashLine)


def _plot(title: str, x: str, y: str) -> pg.PlotWidget:
    p = pg.PlotWidget(title=title)
    p.setLabel("bottom", x)
    p.setLabel("left", y)
    p.setMenuEnabled(False)
    for axis in ("left", "bottom"):
        p.getAxis(axis).enableAutoSIPrefix(False)  # "price" in the target's own units, never "x1000"
    return p


class RegressionView(QWidget):
    """Scatter of predicted against actual values and the residual histogram."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.scatter_plot = _plot("Predicted against actual", "actual", "predicted")
        self.scatter = pg.ScatterPlotItem(size=6, brush=POINT_BRUSH, pen=pg.mkPen(None))
        self.scatter_plot.addItem(self.scatter)
        self.ideal = self.scatter_plot.plot([], [], pen=IDEAL_PEN)
        self.residual_plot = _plot("Residuals (actual − predicted)", "residual", "samples")
        self.bars = pg.BarGraphItem(x0=[], x1=[], height=[], brush=pg.mkBrush("#1f77b4"))
        self.residual_plot.addItem(self.bars)
        split.addWidget(self.scatter_plot)
        split.addWidget(self.residual_plot)
        lay.addWidget(split, 1)

    @property
    def n_points(self) -> int:
        return len(self.scatter.data)

    def show_evaluation(self, details: dict, target: str = "") -> None:
        actual = [float(v) for v in details.get("actual") or []]
        predicted = [float(v) for v in details.get("predicted") or []]
        unit = f" {target}" if target else ""
        self.scatter_plot.setLabel("bottom", f"actual{unit}")
        self.scatter_plot.setLabel("left", f"predicted{unit}")
        self.scatter.setData(actual, predicted)
        if actual:
            lo, hi = min(actual + predicted), max(actual + predicted)
            self.ideal.setData([lo, hi], [lo, hi])
        else:
            self.ideal.setData([], [])
        hist = details.get("residual_hist") or {}
        edges, counts = hist.get("edges") or [], hist.get("counts") or []
        self.residual_plot.setLabel("bottom", f"residual{unit}")
        if len(edges) == len(counts) + 1 and counts:
            self.bars.setOpts(x0=edges[:-1], x1=edges[1:], height=counts)
        else:
            self.bars.setOpts(x0=[], x1=[], height=[])
        worst = (details.get("largest_errors") or [])[:3]
        self.note.setText(
            f"{len(actual)} samples; points on the dashed line are exact. Largest errors: " + "; ".join(
                f"sample {w['index'] + 1}: actual {readable(w['actual'])}, predicted {readable(w['predicted'])}"
                for w in worst) + "." if worst else "")

    def clear(self) -> None:
        self.show_evaluation({})
