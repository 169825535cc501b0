"""Widgets the Sequences & Shots tabs share: the tab base, a drawn syntax tree, a curve plot, a path row."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QFileDialog, QLineEdit, QPushButton, QVBoxLayout, QWidget

from workbench.ui.widgets import color, explanation, hbox


class SequenceTab(QWidget):
    """A Sequences & Shots tab: its panel, its last outcome, and a column that opens with what the tab shows."""

    def __init__(self, panel, intro: str):
        super().__init__()
        self.panel, self.outcome = panel, None
        self.lay = QVBoxLayout(self)
        self.lay.addWidget(explanation(intro))


class TreeView(pg.PlotWidget):
    """A syntax tree from ``grammar.draw_tree``'s layout: phrases above, the sentence's words below."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.hideAxis("left")
        self.hideAxis("bottom")
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.invertY(True)
        self.setMinimumHeight(160)

    def show_layout(self, layout: dict | None, title: str = "") -> None:
        self.clear()
        self.setTitle(title)
        if not layout:
            self.addItem(pg.TextItem("(not a well-formed tree)", color="r", anchor=(0.5, 0.5)))
            return
        nodes = layout["nodes"]
        xs, ys = [], []
        for a, b in layout["edges"]:
            xs += [nodes[a]["x"], nodes[b]["x"]]
            ys += [nodes[a]["y"], nodes[b]["y"]]
        self.plot(np.asarray(xs, np.float64), np.asarray(ys, np.float64), connect="pairs",
                  pen=pg.mkPen("#888", width=1))
        for n in nodes:
            t = pg.TextItem(n["label"], color="#1f6fb2" if not n["leaf"] else "#222", anchor=(0.5, 0.5),
                            fill=pg.mkBrush(255, 255, 255, 230))
            t.setPos(n["x"], n["y"])
            self.addItem(t)
        depth = max(n["y"] for n in nodes)
        width = max(n["x"] for n in nodes)
        self.setXRange(-0.8, width + 0.8, padding=0)
        self.setYRange(-0.6, depth + 0.6, padding=0)


def curve_plot(title: str, xlabel: str, ylabel: str = "accuracy") -> pg.PlotWidget:
    p = pg.PlotWidget(title=title)
    p.setLabel("bottom", xlabel)
    p.setLabel("left", ylabel)
    p.addLegend(offset=(-10, -10))
    p.setMenuEnabled(False)
    p.setYRange(0, 1.02, padding=0)
    p.setMinimumHeight(180)
    return p


def draw_curves(plot: pg.PlotWidget, x: list, series: list[tuple[str, list, bool]]) -> None:
    """``series``: (label, y values, dashed)."""
    from PySide6.QtCore import Qt

    plot.clear()
    for i, (label, y, dashed) in enumerate(series):
        pen = pg.mkPen(color(i), width=2, style=Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        plot.plot(np.asarray(x, np.float64), np.asarray(y, np.float64), pen=pen, symbol="o", symbolSize=6,
                  symbolBrush=color(i), name=label)


def path_row(placeholder: str, folder: bool = False, filter: str = "CSV files (*.csv)"):
    """(layout, line edit) with a Browse… button for a file (or a folder)."""
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    browse = QPushButton("Browse…")

    def pick():
        path = (QFileDialog.getExistingDirectory(edit, placeholder) if folder
                else QFileDialog.getOpenFileName(edit, placeholder, "", filter)[0])
        if path:
            edit.setText(path)

    browse.clicked.connect(pick)
    return hbox(edit, browse, stretch=False), edit


def pct(v) -> str:
    return "—" if v is None else f"{100 * v:.1f} %"
