"""The source bar of the Data panel: built-in sets, an image folder, a CSV file (tables, texts or
both: the columns' kinds are told from their values; the target, time column and kinds are chosen
in the Columns tab), and the image size for folders."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.ui.widgets import spin_box

TABLE_FILTER = "Tables (*.csv *.tsv *.txt);;All files (*)"


class SourceBar(QWidget):
    """Signals:
        load_requested(dict)   load_data's arguments ({"source": ..., "target": ..., ...})
    """

    load_requested = Signal(dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        src = QGroupBox("Data source")
        sl = QHBoxLayout(src)
        self.builtin_combo = QComboBox()
        self.builtin_combo.setPlaceholderText("choose a set")  # shown while a file or folder is loaded
        try:
            from workbench.core.data import list_builtins

            for b in list_builtins():
                self.builtin_combo.addItem(f"{b['name']} — {b['kind']}", f"builtin:{b['name']}")
                self.builtin_combo.setItemData(self.builtin_combo.count() - 1, b["description"],
                                               Qt.ItemDataRole.ToolTipRole)
        except Exception:  # the core data module is missing: still show the panel
            self.builtin_combo.addItem("digits", "builtin:digits")
        self.load_builtin_btn = QPushButton("Load built-in")
        self.load_builtin_btn.clicked.connect(self.load_selected_builtin)
        self.folder_btn = QPushButton("Image folder…")
        self.folder_btn.clicked.connect(self._choose_folder)
        self.csv_btn = QPushButton("CSV file…")
        self.csv_btn.setToolTip("A table, a file of texts and labels, or both: each column's kind is told from "
                                "its values")
        self.csv_btn.clicked.connect(self._choose_csv)
        sl.addWidget(QLabel("Built-in:"))
        sl.addWidget(self.builtin_combo, 1)
        sl.addWidget(self.load_builtin_btn)
        sl.addSpacing(12)
        sl.addWidget(self.folder_btn)
        sl.addWidget(self.csv_btn)
        self.image_size = spin_box(8, 512, 64)
        self.image_size.setSuffix(" px")
        self.image_size.setToolTip("Images from a folder are resized to this square size")
        sl.addWidget(QLabel("Image size:"))
        sl.addWidget(self.image_size)
        lay.addWidget(src)

    # -- requests ----------------------------------------------------------------------------
    @Slot()
    def load_selected_builtin(self) -> None:
        if self.builtin_combo.currentData():
            self.load_requested.emit({"source": self.builtin_combo.currentData()})

    def request_for_path(self, path: str) -> dict:
        """load_data's arguments for a folder (with the image size) or a file."""
        p = Path(path)
        req: dict = {"source": str(p)}
        if p.is_dir():
            s = self.image_size.value()
            req["image_size"] = [s, s]
        return req

    def show_source(self, source) -> None:
        """The built-in set loaded, else an empty box (a CSV or a folder is loaded: no set is)."""
        self.builtin_combo.setCurrentIndex(self.builtin_combo.findData(source))

    def set_busy(self, busy: bool) -> None:
        for w in (self.load_builtin_btn, self.folder_btn, self.csv_btn):
            w.setEnabled(not busy)

    def _choose_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Image folder (one subfolder per class)")
        if d:
            self.load_requested.emit(self.request_for_path(d))

    def _choose_csv(self) -> None:
        f, _ = QFileDialog.getOpenFileName(self, "CSV file", "", TABLE_FILTER)
        if f:
            self.load_requested.emit(self.request_for_path(f))

    # -- project state -------------------------------------------------------------------------
    def options(self) -> dict:
        return {"image_size": self.image_size.value()}

    def set_options(self, o: dict) -> None:
        self.image_size.setValue(int(o.get("image_size", 64)))
