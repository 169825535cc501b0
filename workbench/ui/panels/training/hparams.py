"""The HParams view of a search (the Train panel's Search tab shows it), as TensorBoard's HParams:

- a sortable table of the trials (brushing filters it),
- a parallel-coordinates plot: one axis per parameter and one for the score; drag the band on an
  axis to keep only the trials inside it (double-click the plot to clear every band),
- the score against any one parameter,
- Optuna's parameter importances,
- the curves of the trial clicked in any of them (``trial_activated`` tells the panel, which can
  open the trial's run).

It draws what ``workbench.core.tuning.events.SearchView`` computes (rows, axes, brushing); while
a search runs it reads the search's ``EventLog`` from a GUI timer at 5 Hz.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import pyqtgraph as pg
from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QHBoxLayout, QLabel, QPushButton, QSplitter, QTableView, QTabWidget,
    QVBoxLayout, QWidget,
)

from workbench.core.tuning.events import SearchView
from workbench.ui.models import RecordsTableModel
from workbench.ui.widgets import PALETTE

STATE_COLORS = {"complete": "#2ca02c", "pruned": "#ff7f0e", "failed": "#d62728", "stopped": "#7f7f7f",
                "running": "#1f77b4"}
_CMAP = pg.colormap.get("viridis")


def _score_color(t: float | None, alpha: int = 200) -> QColor:
    if t is None or not math.isfinite(t):
        return QColor(150, 150, 150, alpha)
    c = _CMAP.map(min(1.0, max(0.0, 0.15 + 0.8 * t)), mode="qcolor")
    c.setAlpha(alpha)
    return c


class TrialsTableModel(RecordsTableModel):
    """The trials table: the state column is colored by state."""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if index.isValid() and role == Qt.ItemDataRole.ForegroundRole:
            if self.columns[index.column()][0] == "state":
                return QColor(STATE_COLORS.get(self.rows[index.row()].get("state"), "#222"))
        return super().data(index, role)

    def raw(self, row: int, column: int):
        return self.rows[row].get(self.columns[column][0])


class TrialsProxy(QSortFilterProxyModel):
    """Sorts by the raw values (numbers as numbers, empty cells last) and hides brushed-out trials."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.allowed: set[int] | None = None

    def set_allowed(self, allowed: set[int] | None) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt >= 6.9 (invalidateFilter is deprecated there)
            self.beginFilterChange()
            self.allowed = allowed
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.allowed = allowed
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, source_row: int, parent: QModelIndex) -> bool:
        if self.allowed is None:
            return True
        return self.sourceModel().rows[source_row].get("trial") in self.allowed

    def lessThan(self, left: QModelIndex, right: QModelIndex) -> bool:
        m = self.sourceModel()
        a, b = m.raw(left.row(), left.column()), m.raw(right.row(), right.column())
        if a is None or b is None:
            return a is not None  # empty cells after the filled ones
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return a < b
        return str(a) < str(b)


class ParallelCoordinatesPlot(pg.PlotWidget):
    """One vertical axis per parameter and one for the score; each trial a line colored by score.

    Signals:
        brushes_changed(object)  {axis name: (lo, hi)} of the bands narrower than their axis
        trial_clicked(int)       the trial whose line was clicked
    """

    brushes_changed = Signal(object)
    trial_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.hideAxis("left")
        self.setMinimumHeight(220)
        self._names: list[str] = []
        self._regions: list[pg.LinearRegionItem] = []
        self._items: list[Any] = []
        self.lines: dict[int, pg.PlotDataItem] = {}

    def set_view(self, view: SearchView, passing: set[int] | None, selected: int | None) -> None:
        axes = view.axes()
        names = [a.name for a in axes]
        n = len(axes)
        self.setXRange(-0.5, n - 0.5, padding=0)
        self.setYRange(-0.08, 1.08, padding=0)
        if names != self._names:
            self._make_regions(names)
        for it in self._items:
            self.removeItem(it)
        self._items, self.lines = [], {}
        for i, ax in enumerate(axes):
            line = pg.InfiniteLine(pos=i, angle=90, pen=pg.mkPen("#888", width=1))
            self.addItem(line)
            self._items.append(line)
            for pos, label in ax.ticks():
                if pos is None:
                    continue
                t = pg.TextItem(label, color="#444", anchor=(0, 0.5))
                t.setPos(i + 0.03, pos)
                self.addItem(t)
                self._items.append(t)
        self.getAxis("bottom").setTicks([[(i, nm) for i, nm in enumerate(names)]])
        for number, ys in view.lines(axes):
            score = ys[-1]
            keep = passing is None or number in passing
            width = 3.5 if number == selected else 1.6
            color = _score_color(score, 220) if keep else QColor(200, 200, 200, 90)
            xs = [float(i) for i in range(n)]
            yv = [float("nan") if y is None else float(y) for y in ys]
            item = pg.PlotDataItem(xs, yv, pen=pg.mkPen(color, width=width), connect="finite")
            item.setCurveClickable(True, width=8)
            item.sigClicked.connect(self._clicked)
            item.trial_number = number
            self.addItem(item)
            self._items.append(item)
            self.lines[number] = item

    def _make_regions(self, names: list[str]) -> None:
        for r in self._regions:
            self.removeItem(r)
        self._names, self._regions = list(names), []
        n = max(1, len(names))
        for i, _ in enumerate(names):
            mid = (i + 0.5) / n
            r = pg.LinearRegionItem(values=(0.0, 1.0), orientation="horizontal", bounds=(0.0, 1.0),
                                    span=(mid - 0.18 / n, mid + 0.18 / n), brush=pg.mkBrush(31, 119, 180, 30))
            r.setZValue(10)
            r.sigRegionChangeFinished.connect(self._region_changed)
            self.addItem(r)
            self._regions.append(r)

    def brushes(self) -> dict[str, tuple[float, float]]:
        out = {}
        for name, r in zip(self._names, self._regions):
            lo, hi = r.getRegion()
            if lo > 1e-3 or hi < 1 - 1e-3:
                out[name] = (float(lo), float(hi))
        return out

    def set_brush(self, name: str, lo: float, hi: float) -> None:
        """Brush one axis (what a drag does; tests and keyboard users call it)."""
        i = self._names.index(name)
        self._regions[i].setRegion((lo, hi))
        self._region_changed()

    def clear_brushes(self) -> None:
        for r in self._regions:
            r.blockSignals(True)
            r.setRegion((0.0, 1.0))
            r.blockSignals(False)
        self.brushes_changed.emit({})

    @Slot()
    def _region_changed(self, *_):
        self.brushes_changed.emit(self.brushes())

    def _clicked(self, item, *_):
        self.trial_clicked.emit(int(item.trial_number))

    def mouseDoubleClickEvent(self, ev):
        self.clear_brushes()
        super().mouseDoubleClickEvent(ev)


class ParamScatter(QWidget):
    """The score against one parameter (chosen in the box); click a point to pick its trial."""

    trial_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.param_box = QComboBox()
        self.plot = pg.PlotWidget()
        self.plot.setMenuEnabled(False)
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.points = pg.ScatterPlotItem(size=9, pen=pg.mkPen("#333"))
        self.points.sigClicked.connect(self._clicked)
        self.plot.addItem(self.points)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Parameter:"))
        row.addWidget(self.param_box, 1)
        lay.addLayout(row)
        lay.addWidget(self.plot, 1)
        self._view: SearchView | None = None
        self.param_box.currentTextChanged.connect(lambda _t: self._draw())
        self._passing, self._selected = None, None

    def set_view(self, view: SearchView, passing: set[int] | None, selected: int | None) -> None:
        self._view, self._passing, self._selected = view, passing, selected
        if [self.param_box.itemText(i) for i in range(self.param_box.count())] != view.params:
            cur = self.param_box.currentText()
            self.param_box.blockSignals(True)
            self.param_box.clear()
            self.param_box.addItems(view.params)
            if cur in view.params:
                self.param_box.setCurrentText(cur)
            self.param_box.blockSignals(False)
        self._draw()

    def _draw(self) -> None:
        v = self._view
        param = self.param_box.currentText()
        if v is None or not param:
            self.points.setData([], [])
            return
        xs, ys, ns, labels = v.scatter(param)
        log = v.is_log(param) and all(x > 0 for x in xs)
        self.plot.setLogMode(x=log, y=False)
        lo, hi = (min(ys), max(ys)) if ys else (0.0, 1.0)
        spots = []
        for x, y, n in zip(xs, ys, ns):
            keep = self._passing is None or n in self._passing
            t = (y - lo) / (hi - lo) if hi > lo else 0.5
            spots.append({"pos": (math.log10(x) if log else x, y), "data": n,
                          "brush": pg.mkBrush(_score_color(t) if keep else QColor(200, 200, 200, 120)),
                          "size": 14 if n == self._selected else 9})
        self.points.setData(spots)
        ax = self.plot.getAxis("bottom")
        ax.setTicks([[(float(i), lab) for i, lab in enumerate(labels)]] if labels else None)
        self.plot.setLabel("bottom", param)
        self.plot.setLabel("left", v.metric)

    def _clicked(self, _item, points, *_):
        if len(points):
            self.trial_clicked.emit(int(points[0].data()))


class ImportancesPlot(pg.PlotWidget):
    """Optuna's parameter importances as horizontal bars with the full parameter names."""

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        self.bars: pg.BarGraphItem | None = None
        self.note = pg.TextItem("", color="#666")
        self.addItem(self.note)

    def set_importances(self, imp: dict[str, float]) -> None:
        if self.bars is not None:
            self.removeItem(self.bars)
            self.bars = None
        items = sorted(imp.items(), key=lambda kv: kv[1])
        self.note.setText("" if items else "Importances need at least two complete trials.")
        if not items:
            return
        ys = list(range(len(items)))
        self.bars = pg.BarGraphItem(x0=[0] * len(items), y=ys, height=0.6, width=[v for _, v in items],
                                    brush=pg.mkBrush(PALETTE[0]))
        self.addItem(self.bars)
        self.getAxis("left").setTicks([[(y, name) for y, (name, _) in zip(ys, items)]])
        self.setXRange(0, max(v for _, v in items) * 1.1 or 1.0)
        self.setYRange(-0.6, len(items) - 0.4)
        self.setLabel("bottom", "importance (fANOVA)")


class TrialCurves(pg.PlotWidget):
    """The per-epoch curves of one trial."""

    def __init__(self, parent=None):
        super().__init__(parent=parent)
        self.setMenuEnabled(False)
        self.showGrid(x=True, y=True, alpha=0.3)
        self.legend = self.addLegend(offset=(-10, 10))
        self.curves: dict[str, pg.PlotDataItem] = {}

    def show_series(self, title: str, series: dict[str, tuple[list[float], list[float]]]) -> None:
        self.clear()
        self.legend.clear()
        self.curves = {}
        for i, (name, (xs, ys)) in enumerate(series.items()):
            self.curves[name] = self.plot(xs, ys, pen=pg.mkPen(PALETTE[i % len(PALETTE)], width=2), symbol="o",
                                          symbolSize=5, name=name)
        self.setTitle(title)
        self.setLabel("bottom", "epoch")


class HParamsView(QWidget):
    """The whole view. ``attach(log)`` follows a running search; ``show_search(dict)`` shows a
    finished one (``RunRecord.search``). ``set_run_loader(fn)``: run id -> RunRecord, for the
    stored curves of finished trials.

    Signals:
        trial_activated(object)  {"trial", "run_id", "state", "params"} of the clicked trial
    """

    trial_activated = Signal(object)
    REFRESH_MS = 200

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = SearchView()
        self.passing: set[int] | None = None
        self.selected: int | None = None
        self._log = None
        self._pos = 0
        self._dirty = False
        self._run_loader: Callable[[str], Any] | None = None
        self.summary = QLabel("No search yet: choose what to search and press Start.")
        self.summary.setWordWrap(True)
        self.table_model = TrialsTableModel()
        self.proxy = TrialsProxy(self)
        self.proxy.setSourceModel(self.table_model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.clicked.connect(self._table_clicked)
        self.parallel = ParallelCoordinatesPlot()
        self.scatter = ParamScatter()
        self.importances = ImportancesPlot()
        self.curves = TrialCurves()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.parallel, "Parallel coordinates")
        self.tabs.addTab(self.scatter, "Score vs parameter")
        self.tabs.addTab(self.importances, "Importances")
        self.tabs.addTab(self.curves, "Trial curves")
        self.clear_btn = QPushButton("Clear brushes")
        self.clear_btn.setToolTip("Show every trial again (or double-click the plot)")
        self.clear_btn.clicked.connect(self.parallel.clear_brushes)
        self.brush_label = QLabel("")
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(self.tabs)
        split.setSizes([420, 560])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.summary)
        row = QHBoxLayout()
        row.addWidget(self.brush_label, 1)
        row.addWidget(self.clear_btn)
        lay.addLayout(row)
        lay.addWidget(split, 1)
        self.parallel.brushes_changed.connect(self._brushed)
        self.parallel.trial_clicked.connect(self.select_trial)
        self.scatter.trial_clicked.connect(self.select_trial)
        self.timer = QTimer(self)
        self.timer.setInterval(self.REFRESH_MS)
        self.timer.timeout.connect(self._drain)

    # ---- input ---------------------------------------------------------------------------------
    def set_run_loader(self, fn: Callable[[str], Any] | None) -> None:
        self._run_loader = fn

    def attach(self, log, space=None) -> None:
        """Follow a running search's EventLog (``space``: its SearchSpace, for log axes)."""
        self.view, self._log, self._pos = SearchView(), log, 0
        self.view.set_space(space)
        self.passing, self.selected = None, None
        self.parallel.clear_brushes()
        self.timer.start()
        self._drain()

    def detach(self) -> None:
        """Stop following (the search ended): read what is left and stop the timer."""
        self._drain()
        self.timer.stop()
        self._log = None

    def show_search(self, search: dict) -> None:
        self.detach()
        self.view = SearchView.from_search(search)
        self.passing, self.selected = None, None
        self.parallel.clear_brushes()
        self.refresh()

    @Slot()
    def _drain(self) -> None:
        if self._log is not None:
            events, self._pos = self._log.since(self._pos)
            for e in events:
                self.view.apply(e)
            self._dirty = self._dirty or bool(events)
        if self._dirty:
            self._dirty = False
            self.refresh()

    # ---- output --------------------------------------------------------------------------------
    def refresh(self) -> None:
        v = self.view
        rows = v.table()
        cols = [("trial", "trial"), ("state", "state"), (v.metric, f"val {v.metric}")]
        cols += [(p, p) for p in v.params] + [("epochs", "epochs"), ("worker", "worker"), ("time", "time (s)")]
        self.table_model.set_rows(rows, cols)
        if self.passing is not None:
            self.passing = v.passing(self.parallel.brushes())
        self.proxy.set_allowed(self.passing)
        self.parallel.set_view(v, self.passing, self.selected)
        self.scatter.set_view(v, self.passing, self.selected)
        self.importances.set_importances(v.importances)
        c = v.counts()
        best = v.best()
        parts = [f"<b>{v.study or 'search'}</b>: {c['complete']} complete, {c['pruned']} pruned, {c['failed']} failed"
                 + (f", {c['running']} running" if c["running"] else "")
                 + (f" of {v.n_trials}" if v.n_trials else "")]
        if best:
            parts.append(f"best: trial {best['number']}, {v.metric} {best['value']:.4f}")
        if v.executor:
            parts.append(f"on {v.executor}")
        if v.done:
            parts.append("stopped (resume it with the same study name)" if v.stopped else "finished")
        self.summary.setText("; ".join(parts))
        if self.selected is not None and self.tabs.currentWidget() is self.curves:
            self._show_curves(self.selected)

    @Slot(object)
    def _brushed(self, brushes: dict) -> None:
        self.passing = self.view.passing(brushes) if brushes else None
        n = len(self.passing) if self.passing is not None else len(self.view.rows)
        self.brush_label.setText(f"{n} of {len(self.view.rows)} trials inside the bands: "
                                 + ", ".join(f"{k}" for k in brushes) if brushes else "")
        self.refresh()

    @Slot(QModelIndex)
    def _table_clicked(self, index: QModelIndex) -> None:
        src = self.proxy.mapToSource(index)
        self.select_trial(int(self.table_model.rows[src.row()]["trial"]))

    @Slot(int)
    def select_trial(self, number: int) -> None:
        """Pick a trial: highlight it everywhere, show its curves, tell the panel."""
        self.selected = number
        row = self.view.rows.get(number, {})
        self.refresh()
        self._show_curves(number)
        self.tabs.setCurrentWidget(self.curves)
        self.trial_activated.emit({"trial": number, "run_id": row.get("run_id"), "state": row.get("state"),
                                   "params": dict(row.get("params") or {})})

    def _show_curves(self, number: int) -> None:
        row = self.view.rows.get(number, {})
        series: dict[str, tuple[list[float], list[float]]] = {}
        rec = None
        if row.get("run_id") and self._run_loader is not None:
            try:
                rec = self._run_loader(row["run_id"])
            except Exception:  # noqa: BLE001 - a run deleted or damaged: fall back to the search's own curve
                rec = None
        hist = getattr(rec, "history", None) or []
        if hist:
            for key in ("loss", "val_loss", f"val_{self.view.metric}"):
                pts = [(float(h["epoch"]), float(h[key])) for h in hist if isinstance(h.get(key), (int, float))]
                if pts:
                    series[key] = ([p[0] for p in pts], [p[1] for p in pts])
        else:
            live = self.view.curve(number)
            for key, ys in live.items():
                if key != "epoch" and ys:
                    series[key] = (live["epoch"], ys)
            if not series and row.get("curve"):
                series[f"val_{self.view.metric}"] = ([float(s) for s, _ in row["curve"]],
                                                     [float(v) for _, v in row["curve"]])
        params = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                           for k, v in (row.get("params") or {}).items())
        self.curves.show_series(f"trial {number} ({row.get('state', '?')}): {params}", series)

    def shutdown(self) -> None:
        self.timer.stop()
