"""Small reusable widgets: image grid, bar charts, folds diagram, message banner, numpy -> QImage."""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QListView, QListWidget, QListWidgetItem, QSizePolicy, QWidget

from workbench.ui.plot_style import no_si_prefixes

pg.setConfigOptions(antialias=True, background="w", foreground="#222")
no_si_prefixes()  # "epoch (x0.001)" nowhere

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
           "#bcbd22", "#17becf"]
PART_COLORS = {"train": "#4c78a8", "val": "#f58518", "test": "#54a24b", "unused": "#dddddd", "dropped": "#b0b0b0"}


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def array_to_qimage(img) -> QImage:
    """An owned QImage from an (H, W), (H, W, 1|3|4) or (C, H, W) array (uint8 or float in [0, 1]).

    Safe to call in a worker thread (QImage is not a widget); convert to QPixmap on the GUI thread.
    """
    a = np.asarray(img)
    if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[-1] not in (1, 3, 4):
        a = np.transpose(a, (1, 2, 0))
    if a.dtype != np.uint8:
        a = a.astype(np.float32)
        lo, hi = float(np.nanmin(a)) if a.size else 0.0, float(np.nanmax(a)) if a.size else 1.0
        if lo < 0 or hi > 1.0:  # standardized or raw 0..255 floats: stretch for display
            a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
        a = np.clip(np.nan_to_num(a) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    a = np.ascontiguousarray(a)
    h, w = a.shape[:2]
    if a.ndim == 2:
        q = QImage(a.data, w, h, a.strides[0], QImage.Format.Format_Grayscale8)
    elif a.shape[2] == 3:
        q = QImage(a.data, w, h, a.strides[0], QImage.Format.Format_RGB888)
    else:
        q = QImage(a.data, w, h, a.strides[0], QImage.Format.Format_RGBA8888)
    return q.copy()  # the QImage above borrows numpy's buffer


def pixmap_from_array(img, size: int = 64) -> QPixmap:
    q = array_to_qimage(img)
    mode = Qt.TransformationMode.FastTransformation if q.width() < size // 2 else Qt.TransformationMode.SmoothTransformation
    return QPixmap.fromImage(q).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, mode)


class ImageGridWidget(QListWidget):
    """A grid of thumbnails with captions (labels, predictions)."""

    def __init__(self, thumb: int = 72, parent=None):
        super().__init__(parent)
        self.thumb = thumb
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setIconSize(QSize(thumb, thumb))
        self.setGridSize(QSize(thumb + 28, thumb + 34))
        self.setSpacing(4)
        self.setWordWrap(True)
        self.setSelectionMode(QListWidget.SelectionMode.SingleSelection)

    def set_images(self, images, captions, tooltips=None) -> None:
        self.clear()
        for i, (img, cap) in enumerate(zip(images, captions)):
            from PySide6.QtGui import QIcon

            it = QListWidgetItem(QIcon(pixmap_from_array(img, self.thumb)), str(cap))
            if tooltips is not None:
                it.setToolTip(str(tooltips[i]))
            self.addItem(it)


class BarChart(pg.PlotWidget):
    """Bars per category; ``set_groups`` draws several series side by side (e.g. train/val/test)."""

    def __init__(self, title: str = "", parent=None):
        super().__init__(parent=parent)
        self.setMinimumHeight(160)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.showGrid(x=False, y=True, alpha=0.3)
        if title:
            self.setTitle(title)
        self._items = []
        self._legend = None

    def set_bars(self, names: list[str], values: list[float], colors=None) -> None:
        self.set_groups(names, {"": values}, colors={"": colors or PALETTE[0]})

    def set_groups(self, names: list[str], series: dict[str, list[float]], colors: dict | None = None) -> None:
        for it in self._items:
            self.removeItem(it)
        self._items = []
        if self._legend is not None:
            self._legend.clear()  # one legend for the chart's life; its entries are redone
        n = max(len(series), 1)
        width = 0.8 / n
        if any(k for k in series) and self._legend is None:
            self._legend = self.addLegend(offset=(-10, 10))
        for j, (label, vals) in enumerate(series.items()):
            xs = np.arange(len(vals)) - 0.4 + width * (j + 0.5)
            c = (colors or {}).get(label) or PART_COLORS.get(label) or color(j)
            brushes = c if isinstance(c, (list, tuple)) else None
            item = pg.BarGraphItem(x=xs, height=np.asarray(vals, dtype=float), width=width * 0.9,
                                   brushes=[pg.mkBrush(b) for b in brushes] if brushes else None,
                                   brush=None if brushes else pg.mkBrush(c), pen=pg.mkPen(None), name=label or None)
            self.addItem(item)
            self._items.append(item)
        ax = self.getAxis("bottom")
        step = max(1, math.ceil(len(names) / 25))
        ax.setTicks([[(i, _short(str(nm))) for i, nm in enumerate(names) if i % step == 0]])
        self.setXRange(-0.6, max(len(names) - 0.4, 0.4), padding=0)
        top = max((max(v) for v in series.values() if len(v)), default=1)
        self.setYRange(0, top * 1.12 if top > 0 else 1, padding=0)


def _short(s: str, n: int = 10) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


class FoldsDiagram(QWidget):
    """One row per fold (and a test row): which share of the data each part takes.

    ``set_rows([(label, [(part, fraction), ...]), ...])`` where parts are train/val/test/unused.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[tuple[str, list[tuple[str, float]]]] = []
        self.setMinimumHeight(80)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_rows(self, rows) -> None:
        self.rows = list(rows)
        self.setMinimumHeight(30 + 22 * max(len(self.rows), 1))
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(500, 30 + 22 * max(len(self.rows), 1))

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        label_w = 110
        w = max(self.width() - label_w - 10, 10)
        f = QFont(p.font())
        f.setPointSizeF(max(f.pointSizeF() - 1, 7))
        p.setFont(f)
        y = 6
        for label, parts in self.rows:
            p.setPen(QColor("#222"))
            p.drawText(QRectF(4, y, label_w - 8, 18), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)
            x = float(label_w)
            for part, frac in parts:
                ww = w * max(float(frac), 0.0)
                p.fillRect(QRectF(x, y, ww, 18), QColor(PART_COLORS.get(part, "#999")))
                if ww > 34:
                    p.setPen(QColor("white"))
                    p.drawText(QRectF(x, y, ww, 18), Qt.AlignmentFlag.AlignCenter, part)
                x += ww
            y += 22
        # legend
        x = float(label_w)
        for part in ("train", "val", "test"):
            p.fillRect(QRectF(x, y + 4, 12, 12), QColor(PART_COLORS[part]))
            p.setPen(QColor("#222"))
            p.drawText(QRectF(x + 16, y, 60, 20), Qt.AlignmentFlag.AlignVCenter, part)
            x += 80
        p.end()


class Banner(QLabel):
    """A coloured message line for errors / warnings / info inside a panel."""

    STYLES = {
        "error": "background:#fdecea;color:#8a1c12;border:1px solid #f5c2bd;",
        "warning": "background:#fff6e0;color:#6b4a00;border:1px solid #f2d79b;",
        "info": "background:#e8f1fb;color:#17385c;border:1px solid #bcd5f0;",
        "ok": "background:#e9f6ec;color:#1d5a2c;border:1px solid #b7e0c1;",
    }

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.level = ""
        self.hide()

    def show_message(self, text: str, level: str = "info") -> None:
        if not text:
            self.clear_message()
            return
        self.level = level
        self.setStyleSheet(f"QLabel{{{self.STYLES.get(level, '')}padding:6px;border-radius:4px;}}")
        self.setText(text)
        self.show()

    def clear_message(self) -> None:
        self.level = ""
        self.setText("")
        self.hide()


def records_table(columns: list[tuple[str, str]] | None = None, *, resize: str = "contents",
                  checkable: bool = False):
    """(RecordsTableModel, QTableView) for a read-only table of dict rows: no row numbers, whole
    rows selected, columns sized to their contents ("contents"), stretched ("stretch") or with the
    last one stretched ("last")."""
    from PySide6.QtWidgets import QHeaderView, QTableView

    from workbench.ui.models import RecordsTableModel

    model = RecordsTableModel(columns)
    model.checkable = checkable
    view = QTableView()
    view.setModel(model)
    view.verticalHeader().hide()
    view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    header = view.horizontalHeader()
    if resize == "last":
        header.setStretchLastSection(True)
    else:
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch if resize == "stretch"
                                    else QHeaderView.ResizeMode.ResizeToContents)
    return model, view


def explanation(text: str, rich: bool = False) -> QLabel:
    """A wrapped label of explanatory text (rich text with ``rich``)."""
    lab = QLabel(text)
    lab.setWordWrap(True)
    if rich:
        lab.setTextFormat(Qt.TextFormat.RichText)
    return lab


def epoch_plot(title: str, ylabel: str = "", legend_at_bottom: bool = False) -> pg.PlotWidget:
    """A plot with an epoch axis and a legend (top right; bottom right for rising metrics)."""
    p = pg.PlotWidget(title=title)
    for side in ("left", "bottom"):
        p.getAxis(side).enableAutoSIPrefix(False)  # an MAE of 68,000 reads better than "(x1000)" 68
    p.setLabel("bottom", "epoch")
    if ylabel:
        p.setLabel("left", ylabel)
    p.addLegend(offset=(-10, -10) if legend_at_bottom else (-10, 10))
    p.setMenuEnabled(False)
    return p


def table_widget(headers: list[str], max_height: int | None = None):
    """A read-only QTableWidget with these column headers, no row numbers, the last column stretched."""
    from PySide6.QtWidgets import QTableWidget

    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().setVisible(False)
    t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    t.horizontalHeader().setStretchLastSection(True)
    if max_height:
        t.setMaximumHeight(max_height)
    return t


def fill_table(table, rows: list[list]) -> None:
    """Rows of values into a QTableWidget; floats in [0, 1] read as percentages, others to 2 decimals."""
    from PySide6.QtWidgets import QTableWidgetItem

    table.setRowCount(len(rows))
    for i, row in enumerate(rows):
        for j, v in enumerate(row):
            if isinstance(v, float):
                v = f"{v:.1%}" if 0 <= v <= 1 else f"{v:.2f}"
            table.setItem(i, j, QTableWidgetItem(str(v)))
    table.resizeColumnsToContents()


def hbox(*items, stretch: bool = True, margins: int | None = None):
    """A row: widgets, layouts, and strings (as labels), then a stretch (``stretch``)."""
    from PySide6.QtWidgets import QHBoxLayout, QLayout

    row = QHBoxLayout()
    if margins is not None:
        row.setContentsMargins(margins, margins, margins, margins)
    for it in items:
        if isinstance(it, str):
            row.addWidget(QLabel(it))
        elif isinstance(it, QLayout):
            row.addLayout(it)
        else:
            row.addWidget(it)
    if stretch:
        row.addStretch(1)
    return row


def spin_box(lo: int, hi: int, value: int, *, step: int = 1, prefix: str = "", suffix: str = ""):
    from PySide6.QtWidgets import QSpinBox

    s = QSpinBox()
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setPrefix(prefix)
    s.setSuffix(suffix)
    s.setValue(value)
    return s


def double_spin(lo: float, hi: float, value: float, *, step: float = 0.05, decimals: int = 2):
    from PySide6.QtWidgets import QDoubleSpinBox

    s = QDoubleSpinBox()
    s.setDecimals(decimals)
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setValue(value)
    return s


def param_spin(param, value, *, step=None, decimals: int = 5, high=None, **kw):
    """A spin box whose range is the declared bounds of ``param`` (workbench.core.params), so the
    GUI, the command line and the settings check accept the same values. ``high`` narrows the
    top for a friendlier spin range (never widens it)."""
    from numbers import Integral

    lo, hi = param.spin_range()
    if high is not None:
        hi = min(hi, high)
    if param.numeric.type is Integral:
        return spin_box(int(lo), int(hi), int(value), step=int(step or 1), **kw)
    return double_spin(float(lo), float(hi), float(value), step=float(step or 0.05), decimals=decimals)


def job_bar(hint: str):
    """The bottom row of a panel that runs long jobs: (layout, status label, progress bar 0-100, Cancel
    button), to hand to a ``JobRunner``."""
    from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton

    row = QHBoxLayout()
    status = QLabel(hint)
    status.setWordWrap(True)  # a long line takes two rows instead of being cut on a small screen
    progress = QProgressBar()
    progress.setRange(0, 100)
    cancel = QPushButton("Cancel")
    row.addWidget(status, 1)
    row.addWidget(progress)
    row.addWidget(cancel)
    return row, status, progress, cancel


def button(text: str, slot=None, tip: str = ""):
    """A push button, its clicked signal connected to ``slot`` (when given)."""
    from PySide6.QtWidgets import QPushButton

    b = QPushButton(text)
    if slot is not None:
        b.clicked.connect(slot)
    if tip:
        b.setToolTip(tip)
    return b


class FileDrops:
    """Mix into a QWidget (before the Qt class) that accepts dropped files and folders: their local
    paths go to ``files_dropped(paths)``. Call ``setAcceptDrops(True)`` in ``__init__``."""

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.files_dropped(paths)
            event.acceptProposedAction()

    def files_dropped(self, paths: list[str]) -> None:
        raise NotImplementedError
