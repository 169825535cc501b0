"""The samples behind a confusion-matrix cell, to look at, relabel (move to another class folder)
or delete: the "fix my data" loop. A plain widget the Train panel's Evaluation tab opens; the
file operations are core functions (``core.capture.dataset.move_samples`` / ``delete_sample_files``)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.ui.widgets import Banner, ImageGridWidget

MAX_SHOWN = 200


class CellSamplesView(QWidget):
    """Signals:
        data_changed(int)   files were moved or deleted (how many): reload the data and retrain
    """

    data_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Samples behind the cell")
        lay = QVBoxLayout(self)
        self.title = QLabel("")
        self.title.setWordWrap(True)
        lay.addWidget(self.title)
        self.banner = Banner()
        lay.addWidget(self.banner)
        self.grid = ImageGridWidget(80)
        self.grid.setSelectionMode(ImageGridWidget.SelectionMode.ExtendedSelection)
        lay.addWidget(self.grid, 1)
        row = QHBoxLayout()
        self.move_combo = QComboBox()
        self.move_btn = QPushButton("Move selected to class")
        self.move_btn.clicked.connect(self.move_selected)
        self.delete_btn = QPushButton("Delete selected files")
        self.delete_btn.clicked.connect(self.delete_selected)
        row.addWidget(self.move_btn)
        row.addWidget(self.move_combo)
        row.addStretch(1)
        row.addWidget(self.delete_btn)
        lay.addLayout(row)
        self.root: Path | None = None
        self.resize(720, 520)

    def show_cell(self, ds, evaluation: dict, true_class: int, pred_class: int) -> int:
        """Fill the view with the samples of one cell; returns how many there are."""
        from workbench.core.capture.dataset import samples_in_cell

        names = (evaluation or {}).get("class_names") or ds.class_names or []
        idx = [i for i in samples_in_cell(evaluation, true_class, pred_class) if 0 <= i < len(ds)]
        self.ds, self.idx = ds, idx
        t, p = names[true_class], names[pred_class]
        where = "the test set" if (evaluation or {}).get("on") != "validation" else "the validation set"
        self.title.setText(f"<b>{len(idx)}</b> samples of class <b>{t}</b> predicted as <b>{p}</b> on {where}."
                           + (" Select some to move them to their right class or delete them; then reload the "
                              "data and train again." if ds.paths is not None else ""))
        src = ds.source or {}
        self.root = Path(src["path"]) if src.get("type") in ("image_folder", "audio_folder") else None
        editable = self.root is not None and ds.paths is not None
        for w in (self.move_btn, self.move_combo, self.delete_btn):
            w.setEnabled(editable)
        self.move_combo.clear()
        self.move_combo.addItems(list(names))
        if editable:
            self.move_combo.setCurrentIndex(true_class)
        shown = idx[:MAX_SHOWN]
        if ds.kind == "audio":
            from workbench.core.data.audio import spectrogram_image

            pics = [spectrogram_image(ds.X[i]) for i in shown]
        elif ds.kind == "image":
            pics = [ds.X[i] for i in shown]
        else:
            pics = []
            self.banner.show_message("; ".join(str(ds.X[i])[:80] for i in shown[:10]), "info")
        tips = [str(ds.paths[i]) if ds.paths is not None else f"sample {i + 1}" for i in shown]
        self.grid.set_images(pics, [f"#{i + 1}" for i in shown], tips)
        return len(idx)

    def _selected_files(self) -> list[str]:
        return [it.toolTip() for it in self.grid.selectedItems()]

    def move_selected(self) -> None:
        from workbench.core.capture.dataset import move_samples

        to = self.move_combo.currentText()
        self._apply(lambda files: len(move_samples(self.root, files, to)), f"moved to {to!r}")

    def delete_selected(self) -> None:
        from workbench.core.capture.dataset import delete_sample_files

        self._apply(lambda files: delete_sample_files(self.root, files), "deleted")

    def _apply(self, fn, what: str) -> None:
        from workbench.core.errors import WorkbenchError

        files = self._selected_files()
        if not files or self.root is None:
            return
        try:
            n = fn(files)
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return
        for it in self.grid.selectedItems():
            self.grid.takeItem(self.grid.row(it))
        self.banner.show_message(f"{n} file(s) {what}. Reload the data in the Data panel and train again.", "ok")
        self.data_changed.emit(n)
