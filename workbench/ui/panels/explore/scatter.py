"""The projector's scatter: tens of thousands of points that stay smooth to pan and zoom.

Points are painted by ``RasterScatterItem`` as one image per frame (numpy stamps a dot per
point; see its docstring), coloured by group (a class, a cluster, or one of 12 bins of a numeric
column), which keeps 50,000 points smooth to pan and zoom. Highlights
(search hits, neighbours, the hovered point, the selection) are small extra items on top.

Hover finds the nearest point through ``core.explore.PointIndex`` (a k-d tree) in screen pixels
and shows its thumbnail and label in a small overlay; with Lasso on, a drag draws a polygon and
the points inside it become the selection (``core.explore.points_in_polygon``).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainterPath, QPen, QTransform
from PySide6.QtWidgets import QGraphicsPathItem, QLabel, QVBoxLayout, QWidget

from workbench.core.explore import PointIndex, points_in_polygon
from workbench.core.explore.raster import PointRaster, group_ids
from workbench.ui.widgets import PALETTE

NOISE_COLOR = "#b0b0b0"


def _ramp(i: int, n: int) -> QColor:
    """A blue -> yellow ramp (viridis-like) for numeric columns."""
    stops = [(0.0, (68, 1, 84)), (0.33, (49, 104, 142)), (0.66, (53, 183, 121)), (1.0, (253, 231, 37))]
    t = i / max(n - 1, 1)
    for (t0, c0), (t1, c1) in zip(stops, stops[1:]):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            return QColor(*[int(a + f * (b - a)) for a, b in zip(c0, c1)])
    return QColor(*stops[-1][1])


class RasterScatterItem(pg.GraphicsObject):
    """All points of the scatter painted as one image: numpy maps every point to its pixel (the
    painter's transform) and stamps a small round dot of its colour into an ARGB buffer, in group
    order (later groups on top). The image covers the view and a margin around it and is reused
    while panning and gentle zooming (``paint``), so most frames are one ``drawImage`` whatever the
    number of points; one symbol per point (pyqtgraph's ScatterPlotItem, or ``drawPoints`` with a
    round pen) took 90-170 ms a frame at 50,000 points here."""

    def __init__(self, size: int = 5):
        super().__init__()
        self._cache = None
        self.raster = PointRaster(size)
        self._rect = QRectF()

    def set_data(self, x, y, groups, colors: list[int]) -> None:
        """x, y (n,); groups (n,) ids; colors the ARGB32 value of each id present, in sorted order."""
        self.raster.set_points(x, y, groups, colors)
        self._cache = None
        self.prepareGeometryChange()
        b = self.raster.bounds()
        self._rect = QRectF(*b) if b is not None else QRectF()
        self.update()

    def boundingRect(self):
        return self._rect

    def dataBounds(self, ax, frac=1.0, orthoRange=None):
        if not len(self.raster):
            return (None, None)
        r = self._rect
        return (r.left(), r.right()) if ax == 0 else (r.top(), r.bottom())

    def pixelPadding(self):
        return self.raster.pad

    def render_buffer(self, t, width: int, height: int):
        """The (height, width) ARGB32 buffer of the points under transform t (item -> device)."""
        return self.raster.render(t.m11(), t.m12(), t.m21(), t.m22(), t.dx(), t.dy(), width, height)

    def paint(self, painter, *args):
        """Blit the cached image while the zoom stays within 0.8-1.25x of the one it was rendered at
        and the view stays inside it (panning costs one drawImage); otherwise render the view and a
        half-view margin on each side again."""
        if not len(self.raster):
            return
        dev = painter.device()
        w, h = int(dev.width()), int(dev.height())
        if w <= 0 or h <= 0:
            return
        t = painter.transform()
        view = t.inverted()[0].mapRect(QRectF(0, 0, w, h))
        c = self._cache
        fresh = c is not None and c["size"] == (w, h)
        if fresh:
            rx, ry = t.m11() / c["m11"], t.m22() / c["m22"]
            fresh = 0.8 <= rx <= 1.25 and 0.8 <= ry <= 1.25 and c["rect"].contains(view)
        if not fresh:
            shifted = QTransform(t.m11(), t.m12(), t.m21(), t.m22(), t.dx() + w / 2, t.dy() + h / 2)
            buf = self.render_buffer(shifted, 2 * w, 2 * h)
            img = QImage(buf.data, 2 * w, 2 * h, buf.strides[0], QImage.Format.Format_ARGB32_Premultiplied).copy()
            rect = shifted.inverted()[0].mapRect(QRectF(0, 0, 2 * w, 2 * h))
            c = self._cache = {"img": img, "rect": rect, "m11": t.m11(), "m22": t.m22(), "size": (w, h)}
        target = t.mapRect(c["rect"])
        painter.save()
        painter.resetTransform()
        if abs(t.m11() / c["m11"] - 1) < 1e-9 and abs(t.m22() / c["m22"] - 1) < 1e-9:  # a pan: a plain blit
            ox, oy = round(target.left()), round(target.top())
            painter.drawImage(QPointF(0, 0), c["img"], QRectF(-ox, -oy, w, h))
        else:
            painter.drawImage(target, c["img"])
        painter.restore()


def argb32(color: QColor, alpha: int = 255) -> int:
    """A colour as one premultiplied ARGB32 value (what RasterScatterItem stamps)."""
    a = alpha / 255.0
    return (alpha << 24) | (int(color.red() * a) << 16) | (int(color.green() * a) << 8) | int(color.blue() * a)


class LassoViewBox(pg.ViewBox):
    """A ViewBox whose left-drag draws a lasso while ``lasso`` is on (pans otherwise)."""

    def __init__(self, on_lasso, **kw):
        super().__init__(**kw)
        self.lasso = False
        self._on_lasso = on_lasso
        self._points: list[QPointF] = []
        self._path_item = QGraphicsPathItem()
        self._path_item.setPen(QPen(QColor("#d62728"), 0))
        self._path_item.setZValue(1000)
        self.addItem(self._path_item, ignoreBounds=True)

    def mouseDragEvent(self, ev, axis=None):
        if not self.lasso or ev.button() != Qt.MouseButton.LeftButton:
            return super().mouseDragEvent(ev, axis)
        ev.accept()
        p = self.mapSceneToView(ev.scenePos())
        if ev.isStart():
            self._points = [p]
        else:
            self._points.append(p)
        path = QPainterPath(self._points[0])
        for q in self._points[1:]:
            path.lineTo(q)
        path.closeSubpath()
        self._path_item.setPath(path)
        if ev.isFinish():
            poly = [(q.x(), q.y()) for q in self._points]
            self._path_item.setPath(QPainterPath())
            self._points = []
            self._on_lasso(poly)


class ScatterWidget(QWidget):
    """Signals:
        point_hovered(int)      index of the point under the mouse (-1 when none)
        point_clicked(int)      index of a clicked point (not in lasso mode)
        selection_made(object)  numpy array of point indices inside a lasso
    """

    point_hovered = Signal(int)
    point_clicked = Signal(int)
    selection_made = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.view = LassoViewBox(self._lasso_done)
        self.plot = pg.PlotWidget(viewBox=self.view)
        self.plot.setMenuEnabled(False)
        self.plot.setAntialiasing(False)  # antialiased axes and grid cost more than the 50,000 points
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextSize="8pt")
        lay.addWidget(self.plot)
        self.coords = np.zeros((0, 2), np.float32)
        self.index: PointIndex | None = None
        self.points = RasterScatterItem(5)
        self.points.setZValue(1)
        self.plot.addItem(self.points)
        self._hover = pg.ScatterPlotItem(size=12, pen=pg.mkPen("#000", width=1.5), brush=pg.mkBrush(None))
        self._marks = pg.ScatterPlotItem(size=11, pen=pg.mkPen("#d62728", width=2), brush=pg.mkBrush(None),
                                         symbol="o")
        self._query = pg.ScatterPlotItem(size=16, pen=pg.mkPen("#000", width=2), brush=pg.mkBrush("#ffdd00"),
                                         symbol="star")
        for it, z in ((self._marks, 10), (self._query, 11), (self._hover, 12)):
            it.setZValue(z)
            self.plot.addItem(it)
        self.overlay = QLabel(self.plot)
        self.overlay.setStyleSheet("background: rgba(255,255,255,235); border: 1px solid #888; padding: 3px;")
        self.overlay.hide()
        self.preview_fn = None  # index -> (QPixmap | None, text): set by the projector
        self._hovered = -1
        self.plot.scene().sigMouseMoved.connect(self._on_move)
        self.plot.scene().sigMouseClicked.connect(self._on_click)

    # -- data ----------------------------------------------------------------------------------
    def set_points(self, coords, groups, names: list[str], colors: list[QColor | str] | None = None) -> None:
        """coords (n, 2); groups (n,) small ints (-1 = noise/none); names[g] the legend text of group g."""
        self.legend.clear()
        self.coords = np.ascontiguousarray(np.asarray(coords, dtype=np.float64)[:, :2])
        self.index = PointIndex(self.coords)
        table = []
        for j, g in enumerate(group_ids(groups)):
            col = QColor(NOISE_COLOR) if g < 0 else QColor(colors[g] if colors else PALETTE[g % len(PALETTE)])
            table.append(argb32(col))
            if j < 24:  # a legend of at most 24 rows
                label = "noise" if g < 0 else names[g] if g < len(names) else str(g)
                self.legend.addItem(pg.ScatterPlotItem(size=8, pen=pg.mkPen(None), brush=pg.mkBrush(col)), label)
        self.points.set_data(self.coords[:, 0], self.coords[:, 1], groups, table)
        self.clear_marks()
        self.plot.enableAutoRange()
        self.plot.autoRange()

    def set_axis_labels(self, x: str, y: str) -> None:
        self.plot.setLabel("bottom", x)
        self.plot.setLabel("left", y)

    @staticmethod
    def _show(item: pg.ScatterPlotItem, xs=(), ys=()) -> None:
        """Highlights are hidden when empty: an empty ScatterPlotItem still costs a few ms a frame."""
        if len(xs):
            item.setData(xs, ys)
        else:
            item.clear()
        item.setVisible(bool(len(xs)))

    def mark(self, indices, query: int | None = None) -> None:
        idx = np.asarray(list(indices) if indices is not None else [], dtype=np.int64)
        self._show(self._marks, self.coords[idx, 0], self.coords[idx, 1])
        if query is not None and 0 <= query < len(self.coords):
            self._show(self._query, [self.coords[query, 0]], [self.coords[query, 1]])
        else:
            self._show(self._query)

    def clear_marks(self) -> None:
        for item in (self._marks, self._query, self._hover):
            self._show(item)

    def set_lasso(self, on: bool) -> None:
        self.view.lasso = bool(on)

    # -- mouse ---------------------------------------------------------------------------------
    def _pixel_scale(self) -> tuple[float, float]:
        px = self.view.viewPixelSize()
        return (px[0] or 1.0, px[1] or 1.0)

    def nearest(self, scene_pos) -> int:
        if self.index is None or not len(self.coords) or not self.view.sceneBoundingRect().contains(scene_pos):
            return -1
        p = self.view.mapSceneToView(scene_pos)
        i = self.index.nearest(p.x(), p.y(), max_distance=8.0, scale=self._pixel_scale())
        return -1 if i is None else i

    def _on_move(self, scene_pos) -> None:
        i = self.nearest(scene_pos)
        if i != self._hovered:
            self._hovered = i
            self.show_hover(i, self.plot.mapFromScene(scene_pos))
            self.point_hovered.emit(i)

    def show_hover(self, i: int, at=None) -> None:
        if i < 0:
            self._show(self._hover)
            self.overlay.hide()
            return
        self._show(self._hover, [self.coords[i, 0]], [self.coords[i, 1]])
        if self.preview_fn is None:
            return
        pix, text = self.preview_fn(i)
        if pix is not None:
            self.overlay.setPixmap(pix)
            self.overlay.setToolTip(text)
        else:
            self.overlay.setText(text)
        self.overlay.adjustSize()
        if at is not None:
            x = min(at.x() + 14, self.plot.width() - self.overlay.width() - 4)
            y = min(at.y() + 14, self.plot.height() - self.overlay.height() - 4)
            self.overlay.move(max(0, int(x)), max(0, int(y)))
        self.overlay.show()
        self.overlay.raise_()

    def _on_click(self, ev) -> None:
        if self.view.lasso or ev.button() != Qt.MouseButton.LeftButton:
            return
        i = self.nearest(ev.scenePos())
        if i >= 0:
            self.point_clicked.emit(i)

    def _lasso_done(self, polygon) -> None:
        if len(polygon) >= 3:
            self.selection_made.emit(points_in_polygon(self.coords, polygon))


def group_colors(n: int, numeric: bool) -> list[QColor]:
    return [_ramp(i, n) for i in range(n)] if numeric else [QColor(PALETTE[i % len(PALETTE)]) for i in range(n)]
