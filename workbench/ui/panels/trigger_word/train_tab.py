"""Tab 3, Train: the model spec, the common Trainer with the live loss chart, save/load."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.ui.panels.trigger_word.common import label_axes, restore_values, spin, values_of, wrapped

SPECS = ("trigger-word", "small", "trigger-word-course", "tiny")


class TrainTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        lay = QVBoxLayout(self)
        lay.addWidget(wrapped("<b>Architecture:</b> Conv1D (stride 4) + BatchNorm + ReLU + Dropout, 2 × (GRU + Dropout + "
                              "BatchNorm), per-step Dense + sigmoid. <b>Loss:</b> binary cross-entropy per time step."))
        form = QFormLayout()
        self.preset_combo = QComboBox()
        self.preset_combo.addItems(SPECS)
        self.epochs = spin(1, 500, 10)
        self.batch = spin(1, 512, 32)
        self.lr = spin(1e-5, 1.0, 3e-3, 1e-3, 5)
        self.seed = spin(0, 10 ** 6, 0)
        for label, w in (("Model", self.preset_combo), ("Epochs", self.epochs), ("Batch size", self.batch),
                         ("Learning rate", self.lr), ("Seed", self.seed)):
            form.addRow(label, w)
        lay.addLayout(form)
        row = QHBoxLayout()
        self.train_btn = QPushButton("Train")
        self.train_btn.clicked.connect(self.train)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setEnabled(False)
        self.stop_btn.clicked.connect(panel.jobs.stop_training)
        save = QPushButton("Save model…")
        save.clicked.connect(self._ask_save)
        load = QPushButton("Load model…")
        load.clicked.connect(self._ask_load)
        demo = QPushButton("Load demo model")
        demo.setToolTip("The demo model made with the recipe (trigger word \"activate\").")
        demo.clicked.connect(panel.load_demo_model)
        for w in (self.train_btn, self.stop_btn, save, load, demo):
            row.addWidget(w)
        lay.addLayout(row)
        self.model_info = QLabel("No model yet.")
        self.model_info.setWordWrap(True)
        lay.addWidget(self.model_info)
        self.loss_plot = pg.PlotWidget(title="Loss (per-step binary cross-entropy)")
        self.loss_plot.addLegend()
        label_axes(self.loss_plot, "epoch", "loss")
        self.loss_plot.setXRange(0, self.epochs.value())  # until the first epoch: the epochs to come
        self.batch_curve = self.loss_plot.plot(pen=pg.mkPen("#bbbbbb"), name="batch (smoothed)")
        self.loss_curve = self.loss_plot.plot(pen=pg.mkPen("#1f77b4", width=2), symbol="o", name="training")
        self.val_curve = self.loss_plot.plot(pen=pg.mkPen("#ff7f0e", width=2), symbol="o", name="validation")
        lay.addWidget(self.loss_plot, 1)
        from workbench.ui.training_bridge import LiveTraining

        # the one live chart: redrawn on the GUI timer, the bar and the status line follow the epochs
        self.live = LiveTraining(self, self._draw, progress=panel.progress, status=panel.status)
        panel.jobs.job_finished.connect(self._after_job)

    def attach_chart(self):
        """A Trainer callback feeding this tab's live chart (the recipe tab trains with it too)."""
        self.live.start()
        return self.live.callback()

    def train(self) -> None:
        p = self.panel
        if p.jobs.busy:
            p.banner.show_message("Another job is still running; wait for it or cancel it.", "warning")
            return
        if not p.clips:
            p.banner.show_message("Generate clips first (2. Clips).", "warning")
            p.tabs.setCurrentIndex(1)
            return
        from workbench.core.runs import RunStore
        from workbench.core.studies.trigger_word.model import spec_for, train_model
        from workbench.core.training import Trainer

        trainer = Trainer(callbacks=[self.attach_chart()])
        project = getattr(p.ctx, "project_dir", None)
        from functools import partial

        # the runner keeps the Trainer (Stop / Cancel reach it between batches); the fit uses it too
        job = p.jobs.start(partial(train_model, trainer=trainer), p.clips["train"], val_clips=p.clips["val"],
                           spec=spec_for(self.preset_combo.currentText()), epochs=self.epochs.value(),
                           batch_size=self.batch.value(), lr=self.lr.value(), seed=self.seed.value(), device="cpu",
                           run_store=RunStore(project) if project is not None else None,
                           on_result=self._on_trained, label="Training…", trainer=trainer)
        if job is not None:
            self.train_btn.setEnabled(False)
            self.stop_btn.setEnabled(True)

    @Slot()
    def _after_job(self) -> None:
        self.train_btn.setEnabled(True)
        self.stop_btn.setEnabled(False)
        if self.live.running:
            self.live.stop()

    @Slot()
    def redraw(self) -> None:
        self.live.redraw()

    def _draw(self, b) -> None:
        self.batch_curve.setData(b.batch_x[-2000:], b.batch_smooth[-2000:])
        self.loss_plot.enableAutoRange()
        for curve, key in ((self.loss_curve, "loss"), (self.val_curve, "val_loss")):
            xs, ys = b.series(key)
            curve.setData(xs, ys)

    @Slot(object)
    def _on_trained(self, out) -> None:
        p = self.panel
        model, fit = out
        p.set_model(model)
        p.banner.show_message(f"{fit.message or fit.stop_reason} Best epoch {fit.best_epoch}.", "ok")
        run = model.metrics.get("run")
        if run is not None:
            p.ctx.add_run(run)
        p.ctx.status("Trigger word: model trained")

    def show_model(self, model) -> None:
        c = model.config
        op = model.operating_point
        extra = (f" Operating point (chosen on validation): threshold {op.threshold:.3f}, smoothing {op.smoothing}, "
                 f"second stage {'on' if model.verifier is not None else 'off'}.") if op is not None else ""
        self.model_info.setText(f"Model: {model.spec.name or 'custom'}, {c.sample_rate} Hz, window {c.n_fft}, "
                                f"hop {c.hop}, {c.n_mels} mel bands, {c.output_steps} output steps per "
                                f"{c.clip_seconds:g} s.{extra}")

    def _ask_save(self) -> None:
        if self.panel.model is None:
            self.panel.banner.show_message("Train or load a model first.", "warning")
            return
        d = QFileDialog.getExistingDirectory(self, "Save the trigger-word model into…")
        if d:
            self.panel.model.save(d)
            self.panel.banner.show_message(f"Model saved to {d}.", "ok")

    def _ask_load(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Folder of a saved trigger-word model")
        if d:
            self.panel.load_model(d)

    def stop_timers(self) -> None:
        self.live.timer.stop()

    def _widgets(self) -> dict:
        return {"preset": self.preset_combo, "epochs": self.epochs, "batch_size": self.batch, "lr": self.lr,
                "train_seed": self.seed}

    def state(self) -> dict:
        return values_of(self._widgets())

    def restore(self, s: dict) -> None:
        restore_values(self._widgets(), s)

