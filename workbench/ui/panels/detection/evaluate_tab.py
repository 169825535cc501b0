"""Evaluate tab: mAP@0.5 and mAP@[0.5:0.95] (pycocotools) beside the dumb baseline, per-class AP,
the precision-recall curves, and a gallery of misses and false detections."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import (QDoubleSpinBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget)

from workbench.ui.panels.detection.common import explain, fill, table
from workbench.ui.widgets import ImageGridWidget, color


class EvaluateTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        lay = QVBoxLayout(self)
        lay.addWidget(explain(
            "Scored once on the held-out test scenes with <b>pycocotools</b>, the COCO benchmark's own code. "
            "The <b>baseline</b> puts one box per class at that class's mean position and size in the training "
            "set, scored by how often the class occurs: what you get without looking at the image."))
        self.summary = QLabel("Train a detector first (Train tab).")
        self.summary.setWordWrap(True)
        f = self.summary.font()
        f.setPointSizeF(f.pointSizeF() * 1.2)
        self.summary.setFont(f)
        lay.addWidget(self.summary)
        row = QHBoxLayout()
        self.class_table = table(["class", "AP@0.5", "AP@[.5:.95]", "baseline AP@0.5", "true boxes"])
        row.addWidget(self.class_table, 2)
        self.pr_plot = pg.PlotWidget(title="Precision-recall at IoU 0.5")
        self.pr_plot.setLabel("bottom", "recall")
        self.pr_plot.setLabel("left", "precision")
        self.pr_plot.setXRange(0, 1)
        self.pr_plot.setYRange(0, 1.02)
        self.pr_plot.addLegend(offset=(-10, -10))
        row.addWidget(self.pr_plot, 3)
        lay.addLayout(row, 1)
        g = QHBoxLayout()
        g.addWidget(QLabel("Misses (white, dashed) and false detections (red) at score ≥"))
        self.conf_spin = QDoubleSpinBox()
        self.conf_spin.setRange(0.01, 0.99)
        self.conf_spin.setSingleStep(0.05)
        self.conf_spin.setValue(0.3)
        self.conf_spin.valueChanged.connect(self._regallery)
        g.addWidget(self.conf_spin)
        g.addStretch(1)
        self.save_btn = QPushButton("Save detector…")
        self.save_btn.clicked.connect(self._ask_save)
        self.load_btn = QPushButton("Load detector…")
        self.load_btn.clicked.connect(self._ask_load)
        g.addWidget(self.save_btn)
        g.addWidget(self.load_btn)
        lay.addLayout(g)
        self.gallery = ImageGridWidget(thumb=170)
        lay.addWidget(self.gallery, 1)
        self._pr_items = []

    def show_outcome(self, out) -> None:
        t, b = out.test, out.baseline
        self.summary.setText(
            f"<b>mAP@0.5 {t['map50']:.3f}</b> · mAP@[0.5:0.95] {t['map']:.3f} on {len(out.test_idx)} held-out images "
            f"— baseline {b['map50']:.3f} · {b['map']:.3f}. {len(out.fit.history)} epochs, {out.train_time:.0f} s.")
        base = {r["class"]: r["ap50"] for r in b["per_class"]}
        fill(self.class_table, [[r["class"], r["ap50"], r["ap"], base.get(r["class"]), r["n_true"]] for r in t["per_class"]])
        for it in self._pr_items:
            self.pr_plot.removeItem(it)
        self._pr_items = []
        for i, (name, pr) in enumerate(t.get("pr", {}).items()):
            self._pr_items.append(self.pr_plot.plot(pr["recall"], pr["precision"], pen=pg.mkPen(color(i), width=2), name=name))
        self._show_gallery(out.gallery)

    def _regallery(self) -> None:
        out = self.panel.outcome
        if out is None:
            return
        from workbench.core.studies.detection.evaluate import error_gallery

        ds = self.panel.dataset
        te = out.test_idx
        self.panel.jobs.start(error_gallery, [ds.boxes[i] for i in te], [ds.labels[i] for i in te], out.predictions,
                              score_threshold=self.conf_spin.value(), on_result=self._show_gallery, quiet_if_busy=True,
                              label="Finding misses and false detections…")

    def _show_gallery(self, rows) -> None:
        from workbench.core.studies.detection.draw import draw_errors

        out, ds = self.panel.outcome, self.panel.dataset
        if out is None or ds is None:
            return
        images, caps, tips = [], [], []
        for r in rows[:40]:
            i = int(out.test_idx[r["index"]])
            images.append(draw_errors(ds.images[i], r, ds.class_names, scale=2.0))
            caps.append(f"{len(r['misses'])} missed, {len(r['false'])} false")
            tips.append("; ".join(f"false {ds.class_names[f['label']]} {f['score']:.2f} ({f['why']})" for f in r["false"])
                        or ds.names[i])
        self.gallery.set_images(images, caps, tips)

    def _ask_save(self) -> None:
        if self.panel.detector is None:
            self.panel.banner.show_message("Train a detector first.", "warning")
            return
        d = QFileDialog.getExistingDirectory(self, "Save the detector to…")
        if d:
            self.panel.detector.save(d)
            self.panel.banner.show_message(f"Saved the detector to {d} (model.json + weights.pt).", "ok")

    def _ask_load(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "A saved detector folder")
        if d:
            self.load(d)

    def load(self, folder: str) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.detection.model import Detector

        try:
            det = Detector.load(folder)
        except WorkbenchError as e:
            self.panel.banner.show_message(str(e), "error")
            return
        self.panel.set_detector(det)
        self.panel.banner.show_message(f"Loaded a detector for {', '.join(det.class_names)} from {folder}.", "ok")

    def shutdown(self) -> None:
        pass

    def state(self) -> dict:
        return {"conf": self.conf_spin.value()}

    def restore(self, s: dict) -> None:
        if isinstance(s.get("conf"), (int, float)):
            self.conf_spin.setValue(float(s["conf"]))
