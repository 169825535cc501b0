"""The style transfer canvas: the current image (a pixmap made on the GUI thread from the
worker's QImage) with the mask painted over it."""
from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from workbench.ui.widgets import array_to_qimage


def mask_overlay(m: np.ndarray) -> QImage:
    """A red tint where the mask is on (alpha up to 110, so the image stays visible)."""
    rgba = np.zeros((*m.shape, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[..., 1] = rgba[..., 2] = 40
    rgba[..., 3] = (m * 110).astype(np.uint8)
    return array_to_qimage(rgba)


class CanvasWidget(QWidget):
    """Shows the current image with the painted mask over it.

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
        a = np.frombuffer(m.constBits(), np.uint8, count=m.bytesPerLine() * m.height()).reshape(m.height(), m.bytesPerLine())
        a = a[:, : m.width()].astype(np.float32) / 255.0
        return a if a.any() else None

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
            m = self.mask_array() if self.mask is not None and self.show_mask else None
            if m is not None:
                p.drawImage(r, mask_overlay(m))
        else:
            p.setPen(QColor("#888"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Choose a content image")
        p.end()

    def _to_mask(self, pos: QPointF) -> QPointF | None:
        r = self._target()
        if self.mask is None or r.isEmpty():
            return None
        return QPointF((pos.x() - r.x()) / r.width() * self.mask.width(),
                       (pos.y() - r.y()) / r.height() * self.mask.height())

    def _dab(self, pos: QPointF) -> None:
        """Paint from the previous mouse position to this one (a stroke, not separate dots)."""
        pt = self._to_mask(pos)
        if pt is None or self._stroke is None:
            return
        width = self.brush * self.mask.width() / max(1.0, self._target().width())  # brush size is in screen pixels
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
