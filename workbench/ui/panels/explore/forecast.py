"""The Forecast tab: next-value forecasting on a time-ordered table column. Sliding windows, a
horizon, a split that is always time-ordered; the forecast is drawn over the real series with the
"repeat the last value" baseline beside it, and both are scored on the later periods."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from workbench.ui.panels.explore.common import side_column
from workbench.ui.training_bridge import LiveTraining
from workbench.ui.widgets import spin_box


def forecast_job(ds, settings: dict, project, trainer) -> dict:
    from workbench.core.explore.forecast import ForecastSettings, forecast

    from workbench.core.explore.forecast import forecast_view

    res = forecast(ds, ForecastSettings(**settings), trainer=trainer, project=project, keep_one_core_free=True)
    view = forecast_view(res.record.to_dict())
    return {**view, "curve": view["curve"] or res.curve()}  # a long series is drawn now, not kept


def demo_series_job():
    from workbench.core.explore.forecast import synthetic_series

    return synthetic_series(600)


class ForecastTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.result = None
        self.live = LiveTraining(self, lambda _buffer: None)  # a Trainer that Stop reaches; no chart
        self._build()
        panel.dataset_ready.connect(self._on_dataset)
        panel.jobs.job_finished.connect(self.live.stop)

    def _build(self) -> None:
        lay = QHBoxLayout(self)
        box = QGroupBox("Forecast")
        f = QFormLayout(box)
        self.column_combo = QComboBox()
        self.window_spin = spin_box(1, 1000, 24)
        self.horizon_spin = spin_box(1, 500, 1)
        self.units_spin = spin_box(1, 512, 32)
        self.cell_combo = QComboBox()
        self.cell_combo.addItems(["GRU", "LSTM"])
        self.epochs_spin = spin_box(1, 1000, 30)
        self.val_spin = QDoubleSpinBox()
        self.val_spin.setRange(0.0, 0.45)
        self.val_spin.setSingleStep(0.05)
        self.val_spin.setValue(0.15)
        self.test_spin = QDoubleSpinBox()
        self.test_spin.setRange(0.0, 0.45)
        self.test_spin.setSingleStep(0.05)
        self.test_spin.setValue(0.15)
        for label, w in (("column", self.column_combo), ("window (steps)", self.window_spin),
                         ("horizon (steps ahead)", self.horizon_spin), ("units", self.units_spin),
                         ("cell", self.cell_combo), ("epochs", self.epochs_spin), ("validation (latest but test)",
                                                                                  self.val_spin),
                         ("test (the latest)", self.test_spin)):
            f.addRow(label, w)
        self.demo_btn = QPushButton("Use a demo series")
        self.demo_btn.clicked.connect(lambda: self.panel.start(demo_series_job, on_result=self.panel.set_dataset,
                                                               label="Making a seasonal series ..."))
        self.train_btn = QPushButton("Train and forecast")
        self.train_btn.clicked.connect(self.train)
        f.addRow(self.demo_btn)
        f.addRow(self.train_btn)
        note = QLabel("The split is always in time order: the model trains on the earliest windows and is scored on "
                      "the later ones it never saw, against repeating the last value.")
        note.setWordWrap(True)
        f.addRow(note)
        lay.addWidget(side_column(box))
        right = QVBoxLayout()
        self.plot = pg.PlotWidget(title="the series, the forecast and the baseline")
        self.plot.addLegend()
        self.plot.setLabel("bottom", "time step")
        self.series_curve = self.plot.plot([], [], pen=pg.mkPen("#888", width=1), name="series")
        self.model_curve = self.plot.plot([], [], pen=pg.mkPen("#1f77b4", width=2), name="forecast")
        self.base_curve = self.plot.plot([], [], pen=pg.mkPen("#d62728", width=1, style=pg.QtCore.Qt.PenStyle.DashLine),
                                         name="repeat the last value")
        self.lines = []
        right.addWidget(self.plot, 1)
        self.summary = QLabel("Load a table with a time column (or use the demo series), pick a column, train.")
        self.summary.setWordWrap(True)
        right.addWidget(self.summary)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["period", "model MAE", "repeat-last MAE"])
        self.table.setMaximumHeight(130)
        right.addWidget(self.table)
        lay.addLayout(right, 1)

    def _on_dataset(self, ds) -> None:
        self.column_combo.clear()
        if ds is None or ds.kind != "table":
            return
        names = list(ds.feature_names or [])
        for j, n in enumerate(names):
            if j not in (ds.categories or {}):
                self.column_combo.addItem(str(n), str(n))
        y = np.asarray(ds.y)
        if ds.class_names is None and y.ndim == 1:
            self.column_combo.addItem(f"{ds.target_name or 'target'} (the target)", None)

    def settings(self) -> dict:
        return {"column": self.column_combo.currentData(), "window": self.window_spin.value(),
                "horizon": self.horizon_spin.value(), "units": self.units_spin.value(),
                "cell": self.cell_combo.currentText(), "epochs": self.epochs_spin.value(),
                "val": self.val_spin.value(), "test": self.test_spin.value()}

    @Slot()
    def train(self) -> None:
        ds = self.panel.dataset
        if ds is None or ds.kind != "table" or self.column_combo.count() == 0:
            self.panel.say("Forecasting needs a table with a numeric column; load one or use the demo series.",
                           "warning")
            return
        trainer = self.live.trainer()
        self.panel.start(forecast_job, ds, self.settings(), self.panel.project_dir(), trainer,
                         on_result=self._on_result, label="Training the forecaster ...", trainer=trainer)

    def _on_result(self, view: dict) -> None:
        self.show_run(view)
        self.panel.runs_changed.emit()

    def show_run(self, view: dict) -> None:
        """A forecast run's chart, summary and scores (``core.explore.forecast.forecast_view``)."""
        self.result = view
        c = view.get("curve") or {}
        self.series_curve.setData(list(range(len(c.get("series", [])))), c.get("series", []))
        self.model_curve.setData(c.get("positions", []), c.get("predictions", []))
        self.base_curve.setData(c.get("positions", []), c.get("baseline", []))
        for ln in self.lines:
            self.plot.removeItem(ln)
        self.lines = []
        for part, x in (c.get("starts") or {}).items():
            ln = pg.InfiniteLine(float(x), angle=90, pen=pg.mkPen("#2ca02c", style=pg.QtCore.Qt.PenStyle.DotLine),
                                 label="validation" if part == "val" else "test",
                                 labelOpts={"position": 0.95, "color": "#2ca02c"})
            self.plot.addItem(ln)
            self.lines.append(ln)
        self.summary.setText(view["summary"])
        self.table.setRowCount(len(view["scores"]))
        for i, (part, s) in enumerate(view["scores"].items()):
            for c, val in enumerate((part, f"{s['model_mae']:.4g}", f"{s['baseline_mae']:.4g}")):
                self.table.setItem(i, c, QTableWidgetItem(val))

    def shutdown(self) -> None:
        self.live.timer.stop()
