"""Day & Night, question 7: the loss and training. Binary cross-entropy, trained through the same
engine as the Train panel; live loss and accuracy curves; the runs of this session."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QLabel, QPushButton

from workbench.ui.panels.daynight.page import Page
from workbench.ui.widgets import color, double_spin, fill_table, hbox, spin_box, table_widget

RUN_HEADERS = ["run", "size", "n", "test acc", "baseline", "epochs", "train s", "stop"]


def _epoch_plot(title: str) -> pg.PlotWidget:
    p = pg.PlotWidget(title=title)
    p.addLegend()
    p.setLabel("bottom", "epoch")
    return p


def _curve(plot, i: int, name: str):
    return plot.plot([], [], pen=pg.mkPen(color(i), width=2), symbol="o", name=name)


class TrainPage(Page):
    INTRO = ("Binary cross-entropy on the sigmoid output (computed stably from the raw output). Training runs through "
             "the same engine as the Train panel; each run joins the project's run history.")

    def build(self, lay) -> None:
        self.epochs_spin = spin_box(1, 200, 8)
        self.batch_spin = spin_box(1, 4096, 64)
        self.lr_spin = double_spin(1e-5, 1.0, 0.002, step=0.0005, decimals=5)
        self.patience_spin = spin_box(0, 50, 3)
        self.train_btn = QPushButton("Train")
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setEnabled(False)
        lay.addLayout(hbox("Epochs", self.epochs_spin, "Batch", self.batch_spin, "Learning rate", self.lr_spin,
                           "Early stop (0 off)", self.patience_spin, self.train_btn, self.stop_btn))
        self.loss_plot = _epoch_plot("Loss")
        self.batch_curve = self.loss_plot.plot([], [], pen=pg.mkPen("#bbbbbb"), name="batch (smoothed)")
        self.loss_curve = _curve(self.loss_plot, 0, "train")
        self.val_curve = _curve(self.loss_plot, 1, "validation")
        self.acc_plot = _epoch_plot("Accuracy")
        self.acc_curve = _curve(self.acc_plot, 0, "train")
        self.vacc_curve = _curve(self.acc_plot, 1, "validation")
        lay.addLayout(hbox(self.loss_plot, self.acc_plot, stretch=False), 2)
        lay.addWidget(QLabel("Runs in this session (also in the Train panel's run history):"))
        self.runs_table = table_widget(RUN_HEADERS, max_height=150)
        lay.addWidget(self.runs_table)

    def settings(self) -> dict:
        """The keyword arguments of ``train_daynight`` set on this page."""
        return dict(epochs=self.epochs_spin.value(), batch_size=self.batch_spin.value(), lr=self.lr_spin.value(),
                    early_stopping=self.patience_spin.value() or None)

    def set_running(self, running: bool) -> None:
        self.train_btn.setEnabled(not running)
        self.stop_btn.setEnabled(running)

    def show_buffer(self, b) -> None:
        """The live curves from a TrainingBuffer."""
        self.batch_curve.setData(b.batch_x[-2000:], b.batch_smooth[-2000:])
        for curve, key in ((self.loss_curve, "loss"), (self.val_curve, "val_loss"),
                           (self.acc_curve, "accuracy"), (self.vacc_curve, "val_accuracy")):
            curve.setData(*b.series(key))

    def show_runs(self, runs: list[dict]) -> None:
        fill_table(self.runs_table, [[r.get("run_id") or r["name"], r["size"], r["n_train"], r["test_accuracy"],
                                      r["baseline"], r["epochs"], f"{r['train_time']:.1f}", r["stop_reason"]]
                                     for r in runs])
