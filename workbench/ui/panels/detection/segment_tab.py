"""Segment tab: the small U-Net on the same scenes' masks; IoU and Dice per class; masks overlaid."""
from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget

from workbench.ui.panels.detection.common import explain, fill, table
from workbench.ui.widgets import ImageGridWidget


class SegmentTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.outcome = None
        lay = QVBoxLayout(self)
        lay.addWidget(explain(
            "A pixel-level mask instead of a box: a small U-Net (encoder, decoder, skip connections) gives each "
            "pixel a softmax over background and the object classes, trained with per-pixel cross-entropy "
            "(add the Dice loss to weigh small objects more). Scored with IoU and Dice per class on the test scenes."))
        row = QHBoxLayout()
        form = QFormLayout()
        self.size_spin = QSpinBox()
        self.size_spin.setRange(32, 256)
        self.size_spin.setSingleStep(8)
        self.size_spin.setValue(48)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 200)
        self.epochs_spin.setValue(8)
        self.dice_spin = QDoubleSpinBox()
        self.dice_spin.setRange(0.0, 5.0)
        self.dice_spin.setSingleStep(0.25)
        self.dice_spin.setValue(1.0)  # with cross-entropy alone the small U-Net first learns "all background"
        for lab, w in (("Input size", self.size_spin), ("Epochs", self.epochs_spin), ("Dice loss weight", self.dice_spin)):
            form.addRow(lab, w)
        row.addLayout(form)
        self.train_btn = QPushButton("Train U-Net")
        self.train_btn.clicked.connect(self.train)
        row.addWidget(self.train_btn)
        self.table = table(["class", "IoU", "Dice", "pixels"])
        row.addWidget(self.table, 1)
        lay.addLayout(row)
        self.summary = QLabel("Generate scenes (they carry masks), then train.")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.grid = ImageGridWidget(thumb=170)
        lay.addWidget(self.grid, 1)

    def train(self) -> None:
        ds = self.panel.dataset
        if ds is None or ds.masks is None:
            self.panel.banner.show_message("Segmentation needs masks: generate scenes in the Data tab first.", "warning")
            return
        from workbench.core.studies.detection.segment import train_segmenter
        from workbench.core.training import Trainer

        trainer = Trainer()
        self.panel.jobs.start(partial(train_segmenter, trainer=trainer), ds, trainer=trainer, size=self.size_spin.value(),
                              epochs=self.epochs_spin.value(), dice_weight=self.dice_spin.value(),
                              run_store=self.panel.run_store(), on_result=self._trained, label="Training the U-Net…")

    def _trained(self, out) -> None:
        from workbench.core.studies.detection.segment import overlay_examples

        self.outcome = out
        fill(self.table, [[r["class"], r["iou"], r["dice"], r["pixels"]] for r in out.per_class])
        self.summary.setText(f"Mean IoU {out.mean_iou:.3f}, mean Dice {out.mean_dice:.3f} over the object classes "
                             f"(all-background baseline: IoU 0 for every object class). Left: truth, right: prediction.")
        self.grid.set_images(*overlay_examples(self.panel.dataset, out))
        if out.record is not None:
            self.panel.ctx.add_run(out.record.to_dict())

    def shutdown(self) -> None:
        pass

    def state(self) -> dict:
        return {"size": self.size_spin.value(), "epochs": self.epochs_spin.value(), "dice": self.dice_spin.value()}

    def restore(self, s: dict) -> None:
        for key, w, cast in (("size", self.size_spin, int), ("epochs", self.epochs_spin, int), ("dice", self.dice_spin, float)):
            if key in s:
                try:
                    w.setValue(cast(s[key]))
                except (TypeError, ValueError):
                    pass
