"""Train tab: the YOLO settings (grid, boxes, lambda_coord, lambda_noobj, square roots), training
through the common Trainer, and a live chart of the five loss terms and the validation mAP."""
from __future__ import annotations

from functools import partial

import pyqtgraph as pg
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from workbench.ui.panels.detection.common import explain, fill, table
from workbench.ui.training_bridge import LiveTraining, duration_text
from workbench.ui.widgets import color

TERMS = [("xy", "λcoord · (x, y)"), ("wh", "λcoord · (√w, √h)"), ("obj", "confidence, object"),
         ("noobj", "λnoobj · confidence, no object"), ("class", "class probabilities")]


class TrainTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        lay = QVBoxLayout(self)
        lay.addWidget(explain(
            "The YOLO v1 loss, as on the slide: λ<sub>coord</sub> Σ 1<sup>obj</sup>[(x−x̂)² + (y−ŷ)²] + λ<sub>coord</sub> "
            "Σ 1<sup>obj</sup>[(√w−√ŵ)² + (√h−√ĥ)²] + Σ 1<sup>obj</sup>(C−Ĉ)² + λ<sub>noobj</sub> Σ 1<sup>noobj</sup>(C−Ĉ)² "
            "+ Σ 1<sup>obj</sup> Σ<sub>c</sub>(p(c)−p̂(c))². The box of a cell whose prediction overlaps the true box "
            "most (IoU) is responsible for it, and its confidence target is that IoU. Each term is logged apart."))
        top = QHBoxLayout()
        form = QFormLayout()
        self.backbone_combo = QComboBox()
        self.backbone_combo.addItems(["small-cnn", "mobilenet_v2"])
        self.output_combo = QComboBox()
        self.output_combo.addItems(["conv", "dense"])
        self.output_combo.setToolTip("conv: a 1x1 convolution gives each cell its numbers; dense: YOLO v1's fully "
                                     "connected output layer")
        self.grid_spin = QSpinBox()
        self.grid_spin.setRange(2, 16)
        self.grid_spin.setValue(6)
        self.boxes_spin = QSpinBox()
        self.boxes_spin.setRange(1, 4)
        self.boxes_spin.setValue(2)
        self.coord_spin = QDoubleSpinBox()
        self.coord_spin.setRange(0.0, 50.0)
        self.coord_spin.setValue(5.0)
        self.noobj_spin = QDoubleSpinBox()
        self.noobj_spin.setRange(0.0, 10.0)
        self.noobj_spin.setSingleStep(0.1)
        self.noobj_spin.setValue(0.5)
        self.sqrt_check = QCheckBox("square roots of w and h")
        self.sqrt_check.setChecked(True)
        self.noobj_one_check = QCheckBox("λnoobj = 1 (empty boxes weigh as much)")
        self.noobj_one_check.toggled.connect(self._noobj_one)
        for lab, w in (("Backbone", self.backbone_combo), ("Output layer", self.output_combo),
                       ("Grid S (cells per side)", self.grid_spin), ("Boxes per cell B", self.boxes_spin),
                       ("λcoord", self.coord_spin), ("λnoobj", self.noobj_spin)):
            form.addRow(lab, w)
        form.addRow(self.sqrt_check)
        form.addRow(self.noobj_one_check)
        top.addLayout(form)
        form2 = QFormLayout()
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 500)
        self.epochs_spin.setValue(20)
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 1024)
        self.batch_spin.setValue(32)
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(5)
        self.lr_spin.setRange(1e-5, 1.0)
        self.lr_spin.setSingleStep(0.0005)
        self.lr_spin.setValue(0.002)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 1_000_000)
        for lab, w in (("Epochs", self.epochs_spin), ("Batch", self.batch_spin), ("Learning rate", self.lr_spin),
                       ("Seed", self.seed_spin)):
            form2.addRow(lab, w)
        self.train_btn = QPushButton("Train")
        self.train_btn.clicked.connect(self.train)
        self.stop_btn = QPushButton("Stop (keep the best epoch)")
        self.stop_btn.setEnabled(False)
        self.stop_btn.clicked.connect(self.panel.jobs.stop_training)
        form2.addRow(self.train_btn)
        form2.addRow(self.stop_btn)
        top.addLayout(form2)
        self.term_checks = {}
        show = QVBoxLayout()
        show.addWidget(QLabel("Show on the chart:"))
        for k, label in TERMS:
            cb = QCheckBox(label)
            cb.setChecked(True)
            cb.toggled.connect(self._redraw)
            self.term_checks[k] = cb
            show.addWidget(cb)
        show.addStretch(1)
        top.addLayout(show)
        top.addStretch(1)
        lay.addLayout(top)
        charts = QHBoxLayout()
        self.loss_plot = pg.PlotWidget(title="YOLO loss terms per epoch (solid: train, dashed: validation)")
        self.loss_plot.addLegend(offset=(-10, 10))
        self.loss_plot.setLabel("bottom", "epoch")
        self.curves = {}
        for i, (k, label) in enumerate(TERMS):
            self.curves[k] = self.loss_plot.plot([], [], pen=pg.mkPen(color(i), width=2), symbol="o", symbolSize=5,
                                                 name=label)
            self.curves["val_" + k] = self.loss_plot.plot([], [], pen=pg.mkPen(color(i), width=1,
                                                                               style=pg.QtCore.Qt.PenStyle.DashLine))
        self.map_plot = pg.PlotWidget(title="Validation mAP@0.5 per epoch")
        self.map_plot.setLabel("bottom", "epoch")
        self.map_plot.setYRange(0, 1)
        self.map_curve = self.map_plot.plot([], [], pen=pg.mkPen(color(5), width=2), symbol="o")
        charts.addWidget(self.loss_plot, 3)
        charts.addWidget(self.map_plot, 2)
        lay.addLayout(charts, 2)
        self.runs_table = table(["run", "backbone", "λcoord", "λnoobj", "√wh", "test mAP@0.5", "mAP@.5:.95",
                                 "baseline mAP@0.5", "epochs", "train s"])
        self.runs_table.setMaximumHeight(120)
        lay.addWidget(self.runs_table)
        # the chart redraws on the GUI timer; the bar and the status line follow the epochs
        self.live = LiveTraining(self, self._draw, progress=self.panel.progress, status=self.panel.status)
        self.buffer = self.live.buffer
        self.panel.jobs.job_finished.connect(self._after_job)

    def _noobj_one(self, on: bool) -> None:
        self.noobj_spin.setValue(1.0 if on else 0.5)
        self.noobj_spin.setEnabled(not on)

    def settings(self) -> dict:
        return {"backbone": self.backbone_combo.currentText(), "output": self.output_combo.currentText(),
                "S": self.grid_spin.value(), "B": self.boxes_spin.value(), "lambda_coord": self.coord_spin.value(),
                "lambda_noobj": self.noobj_spin.value(), "sqrt_wh": self.sqrt_check.isChecked(),
                "epochs": self.epochs_spin.value(), "batch_size": self.batch_spin.value(), "lr": self.lr_spin.value(),
                "seed": self.seed_spin.value()}

    def train(self) -> None:
        ds = self.panel.dataset
        if ds is None:
            self.panel.banner.show_message("Generate or import a data set first (Data tab).", "warning")
            return
        from workbench.core.studies.detection.model import train_detector
        s = self.settings()
        trainer = self.live.trainer()
        store = self.panel.run_store()
        # JobRunner keeps ``trainer`` for Stop; the partial hands the same one to the core function
        job = self.panel.jobs.start(partial(train_detector, trainer=trainer), ds, trainer=trainer, size=16 * s["S"],
                                    run_store=store,
                                    on_result=self._trained, label="Training the detector…",
                                    **{k: v for k, v in s.items()})
        if job is None:
            self.live.stop()
        else:
            self.train_btn.setEnabled(False)
            self.stop_btn.setEnabled(True)

    def _trained(self, out) -> None:
        self.panel.set_outcome(out)
        s = out.summary()
        self.panel.status.setText(f"Trained: {s['epochs']} epochs in {duration_text(s['train_time'])}, "
                                  f"best epoch {s['best_epoch']}.")
        self.panel.banner.show_message(
            f"Test mAP@0.5 {s['map50']:.3f} (mAP@[0.5:0.95] {s['map']:.3f}) on {s['n_test']} held-out images; the "
            f"mean-box baseline scores {s['baseline_map50']:.3f}. See the Evaluate tab.", "ok")

    @property
    def runs(self) -> list[dict]:
        """The project's detector runs (table rows), oldest first."""
        from workbench.core.studies.detection.model import run_row

        return [run_row(r) for r in self.panel.ctx.runs if r.get("kind") == "detection"]

    def _fill_runs(self, *_) -> None:
        fill(self.runs_table, [[r["run"], r["backbone"], r["lambda_coord"], r["lambda_noobj"], "yes" if r["sqrt_wh"] else "no",
                                r["map50"], r["map"], r["baseline"], r["epochs"], f"{r['train_time']:.1f}"] for r in self.runs])

    def _after_job(self) -> None:
        if self.live.running:
            self.live.stop()
        self.train_btn.setEnabled(True)
        self.stop_btn.setEnabled(False)

    def _redraw(self) -> None:
        self._draw(self.buffer)

    def _draw(self, _buffer) -> None:
        for k, _ in TERMS:
            vis = self.term_checks[k].isChecked()
            for key in (k, "val_" + k):
                xs, ys = self.buffer.series(f"loss_{k}" if key == k else f"val_loss_{k}")
                self.curves[key].setData(xs, ys) if vis else self.curves[key].setData([], [])
        self.map_curve.setData(*self.buffer.series("val_map50"))

    def shutdown(self) -> None:
        self.live.timer.stop()

    def state(self) -> dict:
        return self.settings()

    def restore(self, s: dict) -> None:
        for key, w, cast in (("S", self.grid_spin, int), ("B", self.boxes_spin, int), ("lambda_coord", self.coord_spin, float),
                             ("lambda_noobj", self.noobj_spin, float), ("epochs", self.epochs_spin, int),
                             ("batch_size", self.batch_spin, int), ("lr", self.lr_spin, float), ("seed", self.seed_spin, int)):
            if key in s:
                try:
                    w.setValue(cast(s[key]))
                except (TypeError, ValueError):
                    pass
        if s.get("backbone") in ("small-cnn", "mobilenet_v2"):
            self.backbone_combo.setCurrentText(s["backbone"])
        if s.get("output") in ("conv", "dense"):
            self.output_combo.setCurrentText(s["output"])
        if isinstance(s.get("sqrt_wh"), bool):
            self.sqrt_check.setChecked(s["sqrt_wh"])
