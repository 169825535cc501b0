"""The Autoencoder tab: a dense or convolutional autoencoder (optionally denoising) trained by the
common Trainer on the current data set, with the live loss chart and a grid of inputs next to
their reconstructions refreshed after every epoch; its code then feeds the Projector."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout,
    QWidget,
)

from workbench.ui.job_runner import Relay
from workbench.ui.panels.explore.common import side_column
from workbench.ui.training_bridge import LiveTraining
from workbench.ui.widgets import ImageGridWidget, spin_box


def autoencoder_job(ds, settings: dict, project, trainer, relay: Relay) -> dict:
    from workbench.core.explore.autoencoder import AutoencoderSettings, train_autoencoder

    from workbench.core.explore.autoencoder import autoencoder_view

    res = train_autoencoder(ds, AutoencoderSettings.from_dict(settings), trainer=trainer, on_preview=relay.send,
                            project=project, keep_one_core_free=True)
    return autoencoder_view(res.record.to_dict())


class AutoencoderTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.last_run: str | None = None
        self.live = LiveTraining(self, self._redraw)  # the chart redraws at most 10 times a second
        self.buffer = self.live.buffer
        self.relay = Relay(self)  # per-epoch payloads from the training thread
        self.relay.item.connect(self.show_preview)
        self.previews = 0
        self._build()
        panel.jobs.job_finished.connect(self._on_job_finished)

    def _build(self) -> None:
        lay = QHBoxLayout(self)
        box = QGroupBox("Autoencoder")
        f = QFormLayout(box)
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("dense", "dense")
        self.kind_combo.addItem("convolutional (images)", "conv")
        self.code_spin = spin_box(1, 1024, 16)
        self.noise_spin = QDoubleSpinBox()
        self.noise_spin.setRange(0.0, 2.0)
        self.noise_spin.setSingleStep(0.1)
        self.noise_spin.setSpecialValueText("none (plain)")
        self.epochs_spin = spin_box(1, 500, 10)
        self.batch_spin = spin_box(1, 4096, 128)
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(5)
        self.lr_spin.setRange(1e-5, 1.0)
        self.lr_spin.setValue(1e-3)
        self.loss_combo = QComboBox()
        for label, key in (("auto (BCE on [0, 1], else MSE)", "auto"), ("BCE (sigmoid)", "bce"), ("MSE", "mse")):
            self.loss_combo.addItem(label, key)
        self.max_spin = spin_box(100, 200000, 20000)
        for label, w in (("kind", self.kind_combo), ("code size", self.code_spin), ("denoising noise", self.noise_spin),
                         ("epochs", self.epochs_spin), ("batch size", self.batch_spin), ("learning rate", self.lr_spin),
                         ("loss", self.loss_combo), ("at most", self.max_spin)):
            f.addRow(label, w)
        self.train_btn = QPushButton("Train")
        self.train_btn.clicked.connect(self.train)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setEnabled(False)
        self.stop_btn.clicked.connect(self.panel.jobs.stop_training)
        self.project_btn = QPushButton("Project the code")
        self.project_btn.setEnabled(False)
        self.project_btn.clicked.connect(self.project_code)
        f.addRow(self.train_btn)
        f.addRow(self.stop_btn)
        f.addRow(self.project_btn)
        self.head_label = QLabel("")
        self.head_label.setWordWrap(True)
        f.addRow(self.head_label)
        lay.addWidget(side_column(box))
        right = QVBoxLayout()
        self.chart = pg.PlotWidget(title="reconstruction loss")
        self.chart.addLegend()
        self.chart.setLabel("bottom", "epoch")
        self.loss_curve = self.chart.plot([], [], pen=pg.mkPen("#1f77b4", width=2), name="training")
        self.val_curve = self.chart.plot([], [], pen=pg.mkPen("#ff7f0e", width=2), name="validation")
        right.addWidget(self.chart, 1)
        self.inputs_label = QLabel("inputs (validation samples; with noise when denoising)")
        right.addWidget(self.inputs_label)
        self.inputs_grid = ImageGridWidget(56)
        self.inputs_grid.setMaximumHeight(110)
        right.addWidget(self.inputs_grid)
        self.outputs_label = QLabel("reconstructions")
        right.addWidget(self.outputs_label)
        self.outputs_grid = ImageGridWidget(56)
        self.outputs_grid.setMaximumHeight(110)
        right.addWidget(self.outputs_grid)
        self.result_label = QLabel("")
        self.result_label.setWordWrap(True)
        right.addWidget(self.result_label)
        lay.addLayout(right, 1)

    def settings(self) -> dict:
        return {"kind": self.kind_combo.currentData(), "code_size": self.code_spin.value(),
                "noise": self.noise_spin.value(), "epochs": self.epochs_spin.value(),
                "batch_size": self.batch_spin.value(), "lr": self.lr_spin.value(), "loss": self.loss_combo.currentData(),
                "max_samples": self.max_spin.value()}

    @Slot()
    def train(self) -> None:
        if self.panel.dataset is None:
            self.panel.say("Choose a data set first (the Data bar at the top).", "warning")
            return
        self.previews = 0
        trainer = self.live.trainer()
        job = self.panel.start(autoencoder_job, self.panel.dataset, self.settings(), self.panel.project_dir(), trainer,
                               self.relay, on_result=self._on_trained, label="Training the autoencoder ...",
                               trainer=trainer)
        if job is not None:
            self.train_btn.setEnabled(False)
            self.stop_btn.setEnabled(True)
        else:
            self.live.stop()

    @Slot(object)
    def show_preview(self, p: dict) -> None:
        self.previews += 1
        x, out = np.asarray(p["inputs"]), np.asarray(p["outputs"])
        if x.ndim == 4:  # images (N, C, H, W)
            self.inputs_grid.set_images(list(x), [""] * len(x))
            self.outputs_grid.set_images(list(out), [""] * len(out))
            self.outputs_label.setText(f"reconstructions after epoch {p['epoch']} (mean squared error {p['mse']:.4g})")
        else:
            self.outputs_label.setText(f"epoch {p['epoch']}: mean squared error of the preview rows {p['mse']:.4g}")

    def _redraw(self, buffer) -> None:
        self.loss_curve.setData(*buffer.series("loss"))
        self.val_curve.setData(*buffer.series("val_loss"))

    def _on_trained(self, res: dict) -> None:
        self.show_run(res)
        self.panel.runs_changed.emit()

    def show_run(self, res: dict) -> None:
        """An autoencoder run (``core.explore.autoencoder.autoencoder_view``): what it reached, its
        loss curves, and its code ready for the Projector."""
        self.last_run = res["run_id"]
        self.loss_curve.setData(*res["curves"]["loss"])
        self.val_curve.setData(*res["curves"]["val_loss"])
        self.project_btn.setEnabled(bool(res["run_id"]))
        err = res["error"]
        where = "in the project" if self.panel.ctx.project_dir else "in this session's scratch folder (open a project to keep it)"
        self.result_label.setText(f"{res['message']} Mean validation reconstruction error ({err['loss']}): "
                                  f"{err['val_mean']:.4g}. Saved as run {res['run_id']} {where}; its code is layer "
                                  f"{res['code_layer'] + 1}.")

    @Slot()
    def _on_job_finished(self) -> None:
        self.live.stop()
        self.train_btn.setEnabled(True)
        self.stop_btn.setEnabled(False)

    @Slot()
    def project_code(self) -> None:
        if not self.last_run:
            return
        self.panel.projector.select_source(self.last_run, None)
        self.panel.tabs.setCurrentWidget(self.panel.projector)
        self.panel.projector.run_projection()

    def shutdown(self) -> None:
        self.live.timer.stop()

    def state(self) -> dict:
        return self.settings()

    def restore(self, s: dict) -> None:
        i = self.kind_combo.findData(s.get("kind"))
        if i >= 0:
            self.kind_combo.setCurrentIndex(i)
        for key, w in (("code_size", self.code_spin), ("noise", self.noise_spin), ("epochs", self.epochs_spin),
                       ("batch_size", self.batch_spin), ("lr", self.lr_spin)):
            v = s.get(key)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                w.setValue(type(w.value())(v))
