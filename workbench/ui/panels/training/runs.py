"""The Train panel's Runs tab: every run of the project (``core.runs.summarize`` rows), with the
validation loss of the ticked runs overlaid."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from workbench.ui.widgets import color, epoch_plot, records_table

# (summarize key, header)
COLUMNS = [("name", "run"), ("study", "study"), ("model", "model"), ("mode", "mode"), ("optimizer", "optimizer"),
           ("lr", "lr"), ("batch_size", "batch"), ("reg", "L1/L2/dropout"), ("params", "params"),
           ("epochs", "epochs"), ("best_epoch", "best"), ("val_loss", "val loss"), ("metric", "metric"),
           ("val", "val"), ("test", "test"), ("baseline", "baseline"), ("stop_reason", "ended")]


class RunsTab(QWidget):
    """Signals:
        run_opened(int)  a run's row was double-clicked (its position in the run list)
    """

    run_opened = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.records: list = []  # the RunRecords behind the rows
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Every run of this project. Tick runs to overlay their validation curves."))
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.model, self.view = records_table(COLUMNS, checkable=True)
        self.model.dataChanged.connect(self._overlay_changed)
        self.view.doubleClicked.connect(self._on_double_clicked)
        self.splitter.addWidget(self.view)
        self.overlay_plot = epoch_plot("Validation loss of the ticked runs", "validation loss")
        self.overlay_plot.showGrid(x=True, y=True, alpha=0.25)
        self.splitter.addWidget(self.overlay_plot)
        lay.addWidget(self.splitter, 1)

    def set_runs(self, records: list) -> None:
        """Show these RunRecords (the ticks stay on the same rows)."""
        from workbench.core.runs import summarize

        checked = set(self.model.checked)
        self.records = list(records)
        self.model.set_rows([summarize(r) for r in self.records])
        self.model.set_checked(checked)
        self._overlay_changed()

    def set_overlay(self, rows: list[int]) -> None:
        self.model.set_checked(set(rows))
        self._overlay_changed()

    @Slot()
    def _overlay_changed(self, *_):
        self.overlay_plot.clear()
        for j, i in enumerate(sorted(self.model.checked)):
            if i >= len(self.records):
                continue
            rec = self.records[i]
            h = rec.history
            xs = [float(e.get("epoch", k + 1)) for k, e in enumerate(h) if e.get("val_loss") is not None]
            ys = [float(e["val_loss"]) for e in h if e.get("val_loss") is not None]
            if xs:
                self.overlay_plot.plot(xs, ys, pen=pg.mkPen(color(j), width=2), symbol="o", symbolSize=5,
                                       symbolBrush=color(j), name=rec.label)

    @Slot()
    def _on_double_clicked(self, index) -> None:
        if 0 <= index.row() < len(self.records):
            self.run_opened.emit(index.row())
