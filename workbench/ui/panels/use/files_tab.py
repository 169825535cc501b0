"""Files tab: files or a folder (dialogs or drag-and-drop onto the panel), one row per file."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableView, QVBoxLayout, QWidget

from workbench.ui.models import RecordsTableModel


class FilesTab(QWidget):
    """Signals:
        paths_chosen(list)   files / folders the user picked
        row_selected(dict)   a result row was clicked (its probabilities, picture)
    """

    paths_chosen = Signal(list)
    row_selected = Signal(dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.files_btn = QPushButton("Files…")
        self.folder_btn = QPushButton("Folder…")
        self.files_btn.clicked.connect(self._choose_files)
        self.folder_btn.clicked.connect(self._choose_folder)
        row.addWidget(self.files_btn)
        row.addWidget(self.folder_btn)
        hint = QLabel("or drop files, folders or a CSV here")
        hint.setToolTip("Table and text models read CSV files: the same CSV comes back with a prediction column")
        row.addWidget(hint, 1)
        lay.addLayout(row)
        self.model = RecordsTableModel([("path", "file or row"), ("label", "prediction"), ("confidence", "confidence")])
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.clicked.connect(self._clicked)
        lay.addWidget(self.table, 1)
        self.rows: list[dict] = []

    def _choose_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Files to classify")
        if files:
            self.paths_chosen.emit(files)

    def _choose_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "A folder to classify")
        if d:
            self.paths_chosen.emit([d])

    def show_rows(self, rows: list[dict]) -> None:
        self.rows = rows
        self.model.set_rows([{"path": r["path"], "label": r["label"],
                              "confidence": "" if r.get("confidence") is None else f"{100 * r['confidence']:.1f}%"}
                             for r in rows])
        if rows:
            self.table.selectRow(0)
            self.row_selected.emit(rows[0])

    def _clicked(self, index) -> None:
        if 0 <= index.row() < len(self.rows):
            self.row_selected.emit(self.rows[index.row()])
