"""Columns tab: every column of a CSV file with its kind (told from the values, with the reason),
missing and distinct counts and a preview; the target and time column, and a kind for any column
(the file is read again with the change)."""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from workbench.ui.models import RecordsTableModel

COLUMNS = [("name", "column"), ("kind", "kind"), ("role", "use"), ("missing", "missing"), ("distinct", "distinct"),
           ("preview", "preview"), ("reason", "why this kind")]
NO_TIME = "(none: row order)"


class ColumnsTab(QWidget):
    """Signals:
        reload_requested(dict)   load_data arguments to read the file again with:
                                 {"target": name, "time_column": name | None, "columns": {name: kind}}
    """

    reload_requested = Signal(dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        from workbench.core.data.columns import OVERRIDE_CHOICES

        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.target_combo = QComboBox()
        self.target_combo.setToolTip("The column to predict (columns of labels, yes/no values or numbers)")
        self.time_combo = QComboBox()
        self.time_combo.setToolTip("Orders the rows in time for time-ordered splits; not used as an input")
        self.kind_combo = QComboBox()
        for k in OVERRIDE_CHOICES:
            self.kind_combo.addItem(k, k)
        self.kind_combo.setToolTip("Read the selected column as this kind ('ignore' leaves it out)")
        self.kind_label = QLabel("Kind of the selected column:")
        for w, label in ((self.target_combo, "Target:"), (self.time_combo, "Time:")):
            top.addWidget(QLabel(label))
            top.addWidget(w, 1)
        top.addSpacing(16)
        top.addWidget(self.kind_label)
        top.addWidget(self.kind_combo)
        lay.addLayout(top)
        self.hint = QLabel("Load a CSV file to see its columns.")
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)
        self.columns_model = RecordsTableModel(COLUMNS)
        self.columns_view = QTableView()
        self.columns_view.setModel(self.columns_model)
        self.columns_view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.columns_view.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.columns_view.verticalHeader().hide()
        h = self.columns_view.horizontalHeader()
        h.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        h.setStretchLastSection(True)
        lay.addWidget(self.columns_view, 1)
        self.columns_view.selectionModel().selectionChanged.connect(self._selected)
        self.target_combo.activated.connect(self._changed)
        self.time_combo.activated.connect(self._changed)
        self.kind_combo.activated.connect(self._kind_chosen)
        self.report: list[dict] = []
        self.overrides: dict[str, str] = {}
        self._set_enabled(False)

    def _set_enabled(self, on: bool) -> None:
        for w in (self.target_combo, self.time_combo, self.kind_combo, self.kind_label):
            w.setEnabled(on)

    def show_dataset(self, ds, request: dict | None) -> None:
        """Show the columns report of a loaded data set (CSV files have one)."""
        from workbench.core.data.columns import target_candidates, time_candidates

        self.report = [dict(c) for c in (ds.columns or [])]
        self.overrides = dict((request or {}).get("columns") or {})
        rows = []
        for c in self.report:
            role = {"target": "TARGET", "time": "time", "dropped": "left out"}.get(c["role"], "input")
            kind = c["kind"] + ("" if c["kind"] == c.get("detected", c["kind"]) else f" (detected {c['detected']})")
            rows.append({**c, "kind": kind, "role": role, "preview": ", ".join(c.get("preview", []))})
        self.columns_model.set_rows(rows)
        self._set_enabled(bool(self.report))
        if not self.report:
            self.hint.setText("Column kinds apply to CSV files; this data set has none.")
            return
        self.hint.setText("Kinds are told from the values (never the names). Identifiers and constants are left out; "
                          "pick a row and another kind to change that — the file is read again.")
        target = next((c["name"] for c in self.report if c["role"] == "target"), None)
        time = next((c["name"] for c in self.report if c["role"] == "time"), None)
        _fill(self.target_combo, target_candidates(self.report), target)
        _fill(self.time_combo, [NO_TIME] + [n for n in time_candidates(self.report) if n != target], time or NO_TIME)
        self._selected()

    def selected_name(self) -> str | None:
        rows = self.columns_view.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self.report):
            return None
        return self.report[rows[0].row()]["name"]

    def select(self, name: str) -> None:
        for i, c in enumerate(self.report):
            if c["name"] == name:
                self.columns_view.selectRow(i)

    @Slot()
    def _selected(self, *_):
        name = self.selected_name()
        self.kind_combo.setEnabled(name is not None)
        if name is None:
            return
        c = next(c for c in self.report if c["name"] == name)
        kind = self.overrides.get(name, c["kind"])
        self.kind_label.setText(f"Kind of {name!r}:")
        self.kind_combo.setCurrentIndex(max(self.kind_combo.findData(kind), 0))

    def set_kind(self, name: str, kind: str) -> None:
        """Read column ``name`` as ``kind`` (also what choosing it in the combo does)."""
        self.overrides[name] = kind
        self._changed()

    @Slot()
    def _kind_chosen(self, *_):
        name = self.selected_name()
        if name is not None:
            self.set_kind(name, self.kind_combo.currentData())

    @Slot()
    def _changed(self, *_):
        time = self.time_combo.currentText()
        self.reload_requested.emit({"target": self.target_combo.currentText() or None,
                                    "time_column": None if time == NO_TIME else time,
                                    "columns": dict(self.overrides)})


def _fill(combo: QComboBox, names: list[str], current) -> None:
    combo.blockSignals(True)
    combo.clear()
    combo.addItems(names)
    if current in names:
        combo.setCurrentIndex(names.index(current))
    combo.blockSignals(False)
