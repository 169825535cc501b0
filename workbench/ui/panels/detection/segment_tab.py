"""Segment tab: the small U-Net on the same scenes' masks; IoU and Dice per class; masks overlaid."""
from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QCheckBox, QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.core.studies.detection import SEGMENT_DEFAULTS as SEG
from workbench.ui.panels.detection.common import explain, fill, table
from workbench.ui.training_bridge import LiveTraining
from workbench.ui.widgets import ImageGridWidget, double_spin, spin_box


class SegmentTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.outcome = None
        self.model_dir = ""  # the U-Net's copy in the project (relative path)
        self._written: tuple | None = None
        lay = QVBoxLayout(self)
        lay.addWidget(explain(
            "A pixel-level mask instead of a box: a small U-Net (encoder, decoder, skip connections) gives each "
            "pixel a softmax over background and the object classes, trained with per-pixel cross-entropy (each class "
            "weighted by 1 / sqrt(its share of the pixels), so the background, most of every scene, does not drown the "
            "objects) plus the Dice loss. Scored with IoU and Dice per class on the held-out test scenes, at their own size."))
        row = QHBoxLayout()
        form = QFormLayout()
        self.size_spin = spin_box(32, 256, SEG["size"], step=8)
        self.epochs_spin = spin_box(1, 200, SEG["epochs"])
        # with plain cross-entropy alone the U-Net first learns "all background"
        self.dice_spin = double_spin(0.0, 5.0, SEG["dice_weight"], step=0.25)
        self.balanced_check = QCheckBox("Weigh classes by 1 / sqrt(pixel share)")
        self.balanced_check.setChecked(SEG["balanced"])
        for lab, w in (("Input size", self.size_spin), ("Epochs", self.epochs_spin), ("Dice loss weight", self.dice_spin),
                       ("Cross-entropy", self.balanced_check)):
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
        # no chart here, but the bar and the status line follow the epochs like every training's
        self.live = LiveTraining(self, lambda _buffer: None, progress=panel.progress, status=panel.status)
        panel.jobs.job_finished.connect(self._after_job)

    def train(self) -> None:
        ds = self.panel.dataset
        if ds is None or ds.masks is None:
            self.panel.banner.show_message("Segmentation needs masks: generate scenes in the Data tab first.", "warning")
            return
        from workbench.core.studies.detection.segment import train_segmenter

        trainer = self.live.trainer()
        job = self.panel.jobs.start(partial(train_segmenter, trainer=trainer), ds, trainer=trainer,
                                    size=self.size_spin.value(), epochs=self.epochs_spin.value(),
                                    dice_weight=self.dice_spin.value(), balanced=self.balanced_check.isChecked(),
                                    run_store=self.panel.run_store(), on_result=self._trained,
                                    label="Training the U-Net…")
        if job is None:
            self.live.stop()

    def _after_job(self) -> None:
        if self.live.running:
            self.live.stop()

    def _trained(self, out) -> None:
        self.show_outcome(out)
        if out.record is not None:
            self.panel.ctx.add_run(out.record.to_dict())

    def show_outcome(self, out) -> None:
        """Show a U-Net's scores (trained now or read back from the project) and, when its scenes
        are loaded, its masks."""
        self.outcome, self._drawn = out, False
        fill(self.table, [[r["class"], r["iou"], r["dice"], r["pixels"]] for r in out.per_class])
        self.summary.setText(f"Held-out test scenes ({len(out.test_idx)}): mean IoU {out.mean_iou:.3f}, mean Dice "
                             f"{out.mean_dice:.3f} over the object classes; the all-background baseline scores "
                             f"{out.baseline['mean_iou']:.3f}. Weights of epoch {out.fit.best_epoch} of "
                             f"{len(out.fit.history)} (lowest validation loss); validation mean IoU by epoch: "
                             + ", ".join(f"{h['val_mean_iou']:.2f}" for h in out.fit.history if "val_mean_iou" in h)
                             + ". Left: truth, right: prediction.")
        self.draw_masks()

    def draw_masks(self) -> None:
        """The test scenes' masks, once the scenes the U-Net was scored on are loaded."""
        from workbench.core.studies.detection.segment import overlay_examples

        ds, out = self.panel.dataset, self.outcome
        if out is None or getattr(self, "_drawn", False) or ds is None or ds.masks is None:
            return
        if len(out.test_idx) and int(max(out.test_idx)) >= len(ds):
            return  # other scenes than those it was scored on
        self.grid.set_images(*overlay_examples(ds, out))
        self._drawn = True

    # -- kept with the project ----------------------------------------------------------------
    def write_model(self, project_dir: str) -> None:
        """Saving the project: a copy of the U-Net in use goes into it (reopening shows it again)."""
        from workbench.core.studies.detection.segment import save_segmenter
        from workbench.core.studies.project_files import save_study_folder, study_path

        if self.outcome is None:
            return
        folder, rel = study_path(project_dir, "detection", "segmenter")
        if self._written != (self.outcome, folder):
            save_study_folder(project_dir, "detection", "segmenter", lambda d: save_segmenter(self.outcome, d),
                              "segmentation model")
            self._written = (self.outcome, folder)
        self.model_dir = rel

    def restore_model(self, project_dir, rel: str) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.detection.segment import load_segmenter
        from workbench.core.studies.project_files import project_file

        folder = project_file(project_dir, rel)
        if folder is None:
            return
        try:
            out = load_segmenter(folder)
        except WorkbenchError as e:
            self.panel.banner.show_message(str(e), "error")
            return
        self.show_outcome(out)
        self.model_dir, self._written = rel, (out, folder)

    def shutdown(self) -> None:
        self.live.timer.stop()

    def state(self) -> dict:
        return {"size": self.size_spin.value(), "epochs": self.epochs_spin.value(), "dice": self.dice_spin.value(),
                "balanced": self.balanced_check.isChecked(), "model_dir": self.model_dir}

    def restore(self, s: dict) -> None:
        for key, w, cast in (("size", self.size_spin, int), ("epochs", self.epochs_spin, int), ("dice", self.dice_spin, float)):
            if key in s:
                try:
                    w.setValue(cast(s[key]))
                except (TypeError, ValueError):
                    pass
        if isinstance(s.get("balanced"), bool):
            self.balanced_check.setChecked(s["balanced"])
