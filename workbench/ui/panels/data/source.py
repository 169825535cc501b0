"""The source bar of the Data panel: built-in sets, an image folder, a CSV table, a text CSV,
and the options a load needs (target, time and text columns, image size)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

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
        self.csv_btn = QPushButton("CSV table…")
        self.csv_btn.clicked.connect(self._choose_csv)
        self.text_btn = QPushButton("Text CSV…")
        self.text_btn.clicked.connect(self._choose_text_csv)
        sl.addWidget(QLabel("Built-in:"))
        sl.addWidget(self.builtin_combo, 1)
        sl.addWidget(self.load_builtin_btn)
        sl.addSpacing(12)
        sl.addWidget(self.folder_btn)
        sl.addWidget(self.csv_btn)
        sl.addWidget(self.text_btn)
        lay.addWidget(src)

        opts = QHBoxLayout()
        self.target_edit = QLineEdit()
        self.target_edit.setPlaceholderText("target column (CSV; default: last)")
        self.time_edit = QLineEdit()
        self.time_edit.setPlaceholderText("time column (optional)")
        self.text_col_edit = QLineEdit("text")
        self.text_col_edit.setToolTip("Column holding the text (text CSV)")
        self.image_size = QSpinBox()
        self.image_size.setRange(8, 512)
        self.image_size.setValue(64)
        self.image_size.setSuffix(" px")
        self.image_size.setToolTip("Images from a folder are resized to this square size")
        for w, label in ((self.target_edit, "Target:"), (self.time_edit, "Time:"), (self.text_col_edit, "Text:"),
                         (self.image_size, "Image size:")):
            opts.addWidget(QLabel(label))
            opts.addWidget(w)
        lay.addLayout(opts)

    # -- requests ----------------------------------------------------------------------------
    @Slot()
    def load_selected_builtin(self) -> None:
        self.load_requested.emit({"source": self.builtin_combo.currentData()})

    def request_for_path(self, path: str, text: bool = False) -> dict:
        """load_data's arguments for a folder or a file with the options typed in the bar."""
        p = Path(path)
        req: dict = {"source": str(p)}
        if p.is_dir():
            s = self.image_size.value()
            req["image_size"] = [s, s]
        elif text:
            req["text_column"] = self.text_col_edit.text().strip() or "text"
            req["target"] = self.target_edit.text().strip() or None
        else:
            req["target"] = self.target_edit.text().strip() or None
            req["time_column"] = self.time_edit.text().strip() or None
        return req

    def show_source(self, source) -> None:
        i = self.builtin_combo.findData(source)
        if i >= 0:
            self.builtin_combo.setCurrentIndex(i)

    def set_busy(self, busy: bool) -> None:
        for w in (self.load_builtin_btn, self.folder_btn, self.csv_btn, self.text_btn):
            w.setEnabled(not busy)

    def _choose_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Image folder (one subfolder per class)")
        if d:
            self.load_requested.emit(self.request_for_path(d))

    def _choose_csv(self) -> None:
        f, _ = QFileDialog.getOpenFileName(self, "CSV table", "", TABLE_FILTER)
        if f:
            self.load_requested.emit(self.request_for_path(f))

    def _choose_text_csv(self) -> None:
        f, _ = QFileDialog.getOpenFileName(self, "Text CSV", "", TABLE_FILTER)
        if f:
            self.load_requested.emit(self.request_for_path(f, text=True))

    # -- project state -------------------------------------------------------------------------
    def options(self) -> dict:
        return {"target": self.target_edit.text(), "time": self.time_edit.text(),
                "text": self.text_col_edit.text(), "image_size": self.image_size.value()}

    def set_options(self, o: dict) -> None:
        self.target_edit.setText(str(o.get("target", "")))
        self.time_edit.setText(str(o.get("time", "")))
        self.text_col_edit.setText(str(o.get("text", "text")))
        self.image_size.setValue(int(o.get("image_size", 64)))
