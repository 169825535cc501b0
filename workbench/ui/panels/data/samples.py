"""Samples tab: a grid of images with their labels, or the rows of a table / text set."""
from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QTableView, QVBoxLayout, QWidget

from workbench.ui.models import DatasetTableModel
from workbench.ui.widgets import ImageGridWidget

GRID_SAMPLES = 60


class SamplesTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        sv = QVBoxLayout(self)
        self.grid = ImageGridWidget(64)
        self.table_model = DatasetTableModel()
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.verticalHeader().setDefaultSectionSize(22)
        sv.addWidget(self.grid)
        sv.addWidget(self.table)
        self.table.hide()

    def show_dataset(self, ds) -> None:
        if ds.kind in ("image", "audio"):  # sounds: their log-mel spectrograms
            self.table.hide()
            self.grid.show()
            from workbench.core.data.preview import grid_samples

            idx, caps, tips = grid_samples(ds, GRID_SAMPLES)
            if ds.kind == "audio":
                from workbench.core.data.audio import spectrogram_image

                self.grid.set_images([spectrogram_image(ds.X[i]) for i in idx], caps, tips)
            else:
                self.grid.set_images([ds.X[i] for i in idx], caps, tips)
        else:
            self.grid.hide()
            self.table.show()
            self.table_model.set_dataset(ds)
            if ds.kind == "text":
                self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
