"""Day & Night, questions 4-6: the input resolution (with the resolution sweep), the output (one
sigmoid unit and its P(day) threshold), and the architecture (the shallow CNN preset)."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLabel, QPlainTextEdit, QPushButton

from workbench.ui.panels.daynight.page import Page, share_spin
from workbench.ui.widgets import color, fill_table, hbox, table_widget

SIZES = ("32", "64", "128")


class InputPage(Page):
    INTRO = ("The input is an RGB image resized to size x size, pixels scaled to [0, 1]. Smaller is faster; does it "
             "cost accuracy? The sweep trains the same CNN on the same images at each resolution.")

    def build(self, lay) -> None:
        self.size_combo = QComboBox()
        self.size_combo.addItems(list(SIZES))
        self.size_combo.setCurrentText("64")
        self.sweep_checks = {s: QCheckBox(f"{s} px") for s in SIZES}
        for cb in self.sweep_checks.values():
            cb.setChecked(True)
        self.sweep_btn = QPushButton("Run resolution sweep")
        lay.addLayout(hbox("Resolution", self.size_combo, *self.sweep_checks.values(), self.sweep_btn))
        self.acc_plot = pg.PlotWidget(title="Test accuracy vs resolution")
        self.time_plot = pg.PlotWidget(title="Training time (s) vs resolution")
        for p in (self.acc_plot, self.time_plot):
            p.setLabel("bottom", "pixels")
        self.acc_curve = self.acc_plot.plot([], [], pen=pg.mkPen(color(0), width=2), symbol="o")
        self.time_curve = self.time_plot.plot([], [], pen=pg.mkPen(color(1), width=2), symbol="o")
        lay.addLayout(hbox(self.acc_plot, self.time_plot, stretch=False), 1)
        self.table = table_widget(["size", "accuracy", "train s", "s / epoch", "params", "epochs"], max_height=140)
        lay.addWidget(self.table)

    def size(self) -> int:
        return int(self.size_combo.currentText())

    def sweep_sizes(self) -> list[int]:
        return [int(s) for s, cb in self.sweep_checks.items() if cb.isChecked()]

    def show_sweep(self, rows: list[dict]) -> None:
        xs = [r["size"] for r in rows]
        self.acc_curve.setData(xs, [r["test_accuracy"] for r in rows])
        self.time_curve.setData(xs, [r["train_time"] for r in rows])
        fill_table(self.table, [[r["size"], r["test_accuracy"], f"{r['train_time']:.1f}",
                                 f"{r.get('time_per_epoch', 0):.2f}", r["params"], r["epochs"]] for r in rows])


class OutputPage(Page):
    INTRO = ("One output unit with a <b>sigmoid</b>: the model gives one number in [0, 1]. Classes are <i>day</i> = 0 "
             "and <i>night</i> = 1 (alphabetical, as a folder import gives), so the sigmoid is P(night) and the gauge "
             "shows P(day) = 1 - P(night). Above the threshold a frame is day.")

    def build(self, lay) -> None:
        form = QFormLayout()
        self.threshold_spin = share_spin(0.05, 0.95, 0.5)
        form.addRow("P(day) threshold", self.threshold_spin)
        lay.addLayout(form)
        self.info = QLabel("Train a model to see how the threshold moves errors between classes.")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        lay.addStretch(1)

    def show_report(self, rep: dict) -> None:
        self.info.setText(f"At threshold {rep['threshold']:.2f}: {rep['night_called_day']} night images called day, "
                          f"{rep['day_called_night']} day images called night, accuracy {rep['accuracy']:.2%}.")


class ArchitecturePage(Page):
    INTRO = ("The <b>shallow-cnn</b> preset: three 3x3 convolution blocks, a global average pool and a small dense "
             "layer, then one sigmoid unit. The same spec as the Model panel's preset.")

    def build(self, lay) -> None:
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        lay.addWidget(self.text, 1)
        self.show_btn = QPushButton("Show layers at this resolution")
        self.to_model_btn = QPushButton("Open in the Model panel")
        lay.addLayout(hbox(self.show_btn, self.to_model_btn))

    def show_layers(self, size: int) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.daynight.model import architecture_text

        try:
            self.text.setPlainText(architecture_text(size))
        except WorkbenchError as e:
            self.text.setPlainText(str(e))
