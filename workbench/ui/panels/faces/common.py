"""Small view helpers shared by the Faces tabs (GUI thread only)."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget

THUMB = 64


def rgb_to_qimage(img: np.ndarray) -> QImage:
    """An RGB (or grey) uint8 array as an owned QImage (RGB888, so boxes can be drawn in colour)."""
    if img.ndim == 2:
        g = np.ascontiguousarray(img)
        h, w = g.shape
        return QImage(g.data, w, h, w, QImage.Format.Format_Grayscale8).convertToFormat(QImage.Format.Format_RGB888)
    img = np.ascontiguousarray(img[..., :3])
    h, w = img.shape[:2]
    return QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def thumb_icon(img: np.ndarray, size: int = THUMB) -> QIcon:
    pm = QPixmap.fromImage(rgb_to_qimage(img)).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                                      Qt.TransformationMode.SmoothTransformation)
    return QIcon(pm)


def thumb_list(height: int = THUMB + 16) -> QListWidget:
    lst = QListWidget()
    lst.setViewMode(QListWidget.ViewMode.IconMode)
    lst.setFlow(QListWidget.Flow.LeftToRight)
    lst.setWrapping(False)
    lst.setIconSize(QSize(THUMB, THUMB))
    lst.setFixedHeight(height + 8)
    lst.setMovement(QListWidget.Movement.Static)
    lst.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    return lst


def make_plot(title: str, xlabel: str, ylabel: str):
    import pyqtgraph as pg

    w = pg.PlotWidget()
    w.setBackground("w")
    w.setTitle(title, color="k")
    w.setLabel("bottom", xlabel)
    w.setLabel("left", ylabel)
    for side in ("left", "bottom"):
        w.getAxis(side).enableAutoSIPrefix(False)  # "loss (x0.001)" over 100..190 reads worse than 0.1..0.19
    w.showGrid(x=True, y=True, alpha=0.3)
    w.addLegend(offset=(-10, 10))
    w.setMinimumHeight(170)
    w.setMaximumHeight(300)  # in a scrolling column: a chart the height of the window hides the next one
    return w


GREEN, RED, YELLOW = QColor(40, 220, 40), QColor(230, 40, 40), QColor(255, 200, 0)


def draw_boxes(img: QImage, items) -> QImage:
    """Draw (x, y, w, h, label, colour) boxes on ``img`` (in place) and return it."""
    p = QPainter(img)
    f = p.font()
    f.setPointSize(max(10, img.height() // 32))
    f.setBold(True)
    p.setFont(f)
    for x, y, w, h, label, color in items:
        p.setPen(QPen(color, max(2, img.width() // 240)))
        p.drawRect(x, y, w, h)
        if label:
            p.drawText(x, max(14, y - 6), label)
    p.end()
    return img


def show_scaled(label, img: QImage, smooth: bool = False) -> None:
    mode = Qt.TransformationMode.SmoothTransformation if smooth else Qt.TransformationMode.FastTransformation
    label.setPixmap(QPixmap.fromImage(img).scaled(label.size(), Qt.AspectRatioMode.KeepAspectRatio, mode))
