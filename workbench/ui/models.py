"""Qt item models over core data (tables read on demand, never copied into items)."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt


def readable(f: float) -> str:
    """A number as people read it: 23,990 rather than 2.399e+04, 151.3, 0.8333; exponents only for
    the very large or very small."""
    f = float(f)
    a = abs(f)
    if not math.isfinite(f):
        return "—"
    if a == 0:
        return "0"
    if a >= 1e12 or a < 1e-4:
        return f"{f:.3g}"
    if a >= 1000:
        return f"{f:,.0f}"
    if a >= 100:
        return f"{f:.1f}".rstrip("0").rstrip(".")
    return f"{f:.4g}"


def _fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (float, np.floating)):
        if not math.isfinite(float(v)):
            return "—"  # missing
        return readable(v)
    return str(v)


class DatasetTableModel(QAbstractTableModel):
    """Rows of a table or text Dataset: the features (categories by name) and the target."""

    def __init__(self, ds=None, parent=None):
        super().__init__(parent)
        self.ds = None
        self.columns: list[str] = []
        if ds is not None:
            self.set_dataset(ds)

    def set_dataset(self, ds) -> None:
        self.beginResetModel()
        self.ds = ds
        if ds is None:
            self.columns = []
        elif ds.kind == "text":
            self.columns = ["text", ds.target_name or "label"]
        elif ds.kind == "table":
            names = ds.feature_names or [f"x{i}" for i in range(np.asarray(ds.X).shape[1])]
            self.columns = list(names) + [ds.target_name or "target"]
        else:
            shape = "x".join(map(str, ds.input_shape))
            self.columns = [f"input ({shape})", ds.target_name or "target"]
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() or self.ds is None else len(self.ds)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.columns[section] if section < len(self.columns) else None
        return str(section + 1)

    def _target(self, row: int) -> str:
        y = self.ds.y[row]
        names = self.ds.class_names
        if names is not None and np.ndim(y) == 0:
            try:
                return names[int(y)]
            except (IndexError, ValueError):
                return str(y)
        if np.ndim(y) > 0:
            arr = np.asarray(y)
            if names is not None and arr.ndim == 1 and len(arr) == len(names):
                return ", ".join(n for n, v in zip(names, arr) if v) or "(none)"
            return np.array2string(arr, precision=3, threshold=8)
        return _fmt(y)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or self.ds is None:
            return None
        r, c = index.row(), index.column()
        last = c == len(self.columns) - 1
        if role == Qt.ItemDataRole.TextAlignmentRole and self.ds.kind == "table" and not last:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and self.ds.kind == "table" and not last:
            v = self.ds.X[r, c]
            if isinstance(v, (float, np.floating)) and not math.isfinite(float(v)):
                from PySide6.QtGui import QColor

                return QColor("#b00020")
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        if last:
            return self._target(r)
        if self.ds.kind == "text":
            t = str(self.ds.X[r])
            return t if role == Qt.ItemDataRole.ToolTipRole or len(t) < 300 else t[:300] + "…"
        if self.ds.kind == "table":
            v = self.ds.X[r, c]
            if self.ds.column_kind(c) in ("datetime", "text"):  # a date, or a text cut for the cell
                t = self.ds.cell_text(r, c)
                return t if role == Qt.ItemDataRole.ToolTipRole or len(t) < 120 else t[:120] + "…"
            cats = self.ds.categories.get(c) if self.ds.categories else None
            if cats is not None and isinstance(v, (float, np.floating, int, np.integer)) and math.isfinite(float(v)):
                i = int(v)
                return cats[i] if 0 <= i < len(cats) else str(i)
            return _fmt(v) if role == Qt.ItemDataRole.DisplayRole or math.isfinite(float(v)) else "missing"
        a = np.asarray(self.ds.X[r])
        return np.array2string(a.ravel()[:12], precision=3, separator=" ") + (" …" if a.size > 12 else "")


class RecordsTableModel(QAbstractTableModel):
    """A read-only table of dict rows with fixed columns (run lists, metric tables, summaries)."""

    def __init__(self, columns: list[tuple[str, str]] | None = None, parent=None):
        super().__init__(parent)
        self.columns = list(columns or [])  # (key, header)
        self.rows: list[dict] = []
        self.checkable = False
        self.checked: set[int] = set()

    def set_rows(self, rows: list[dict], columns: list[tuple[str, str]] | None = None) -> None:
        self.beginResetModel()
        if columns is not None:
            self.columns = list(columns)
        self.rows = list(rows)
        self.checked = {i for i in self.checked if i < len(self.rows)}
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][1] if section < len(self.columns) else None
        return None

    def flags(self, index):
        f = super().flags(index)
        if self.checkable and index.column() == 0:
            f |= Qt.ItemFlag.ItemIsUserCheckable
        return f

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        key = self.columns[index.column()][0]
        if role == Qt.ItemDataRole.CheckStateRole and self.checkable and index.column() == 0:
            return Qt.CheckState.Checked if index.row() in self.checked else Qt.CheckState.Unchecked
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return _fmt(row.get(key))
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(row.get(key), (int, float, np.number)):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def setData(self, index, value, role=Qt.ItemDataRole.EditRole):
        if role == Qt.ItemDataRole.CheckStateRole and self.checkable and index.column() == 0:
            checked = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
            if checked:
                self.checked.add(index.row())
            else:
                self.checked.discard(index.row())
            self.dataChanged.emit(index, index, [role])
            return True
        return False

    def set_checked(self, rows: set[int]) -> None:
        self.checked = {r for r in rows if 0 <= r < len(self.rows)}
        if self.rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self.rows) - 1, 0))
