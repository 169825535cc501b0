"""Data tab: generate scenes, import / export YOLO, COCO or VOC, samples with their boxes, class
counts, box-size histogram, and a preview of the box-aware augmentation."""
from __future__ import annotations

from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QPushButton,
                               QSpinBox, QVBoxLayout, QWidget)

from workbench.ui.panels.detection.common import explain
from workbench.ui.widgets import BarChart, ImageGridWidget


def _spin(lo, hi, value, step=1):
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setValue(value)
    return s


def _dspin(lo, hi, value, step=0.05):
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setValue(value)
    return s


class DataTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        lay = QVBoxLayout(self)
        lay.addWidget(explain(
            "Scenes are generated with exact boxes and masks: circles, squares, triangles and real handwritten "
            "digits on flat, gradient, textured or real-photo backgrounds, with overlap (occlusion) and "
            "unlabelled clutter. Or import a labelled folder (YOLO, COCO or Pascal VOC) and export to any of them."))
        row = QHBoxLayout()
        form = QFormLayout()
        self.n_spin = _spin(10, 100_000, 2000, 500)
        self.size_spin = _spin(32, 512, 96, 16)
        self.max_obj_spin = _spin(1, 12, 4)
        self.overlap_spin = _dspin(0.0, 1.0, 0.2)
        self.clutter_spin = _spin(0, 20, 2)
        self.seed_spin = _spin(0, 1_000_000, 0)
        for lab, w in (("Scenes", self.n_spin), ("Size (px)", self.size_spin), ("Objects per scene (max)", self.max_obj_spin),
                       ("Overlap share", self.overlap_spin), ("Clutter (max distractors)", self.clutter_spin),
                       ("Seed", self.seed_spin)):
            form.addRow(lab, w)
        row.addLayout(form)
        buttons = QVBoxLayout()
        self.generate_btn = QPushButton("Generate scenes")
        self.generate_btn.clicked.connect(self.generate)
        self.import_btn = QPushButton("Import labelled folder…")
        self.import_btn.clicked.connect(self._ask_import)
        self.format_combo = QComboBox()
        self.format_combo.addItems(["yolo", "coco", "voc"])
        self.export_btn = QPushButton("Export as…")
        self.export_btn.clicked.connect(self._ask_export)
        self.augment_btn = QPushButton("Preview augmentation (flip, zoom out)")
        self.augment_btn.clicked.connect(self.preview_augmentation)
        for w in (self.generate_btn, self.import_btn):
            buttons.addWidget(w)
        fr = QHBoxLayout()
        fr.addWidget(self.format_combo)
        fr.addWidget(self.export_btn)
        buttons.addLayout(fr)
        buttons.addWidget(self.augment_btn)
        buttons.addStretch(1)
        row.addLayout(buttons)
        self.class_chart = BarChart("Boxes per class")
        self.size_chart = BarChart("Box size (sqrt(w*h), px)")
        for c in (self.class_chart, self.size_chart):
            c.setMaximumHeight(230)
        row.addWidget(self.class_chart, 1)
        row.addWidget(self.size_chart, 1)
        lay.addLayout(row)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.samples = ImageGridWidget(thumb=150)
        lay.addWidget(self.samples, 1)

    # ---- actions ------------------------------------------------------------------------------
    def generate(self) -> None:
        self.generate_with(dict(n=self.n_spin.value(), size=self.size_spin.value(), seed=self.seed_spin.value(),
                                max_objects=self.max_obj_spin.value(), overlap=self.overlap_spin.value(),
                                clutter=self.clutter_spin.value()))

    def generate_with(self, kw: dict) -> None:
        """Scenes from generation settings (seeded: the same settings make the same scenes)."""
        from workbench.core.studies.detection.scenes import generate_scenes

        rest = {k: v for k, v in kw.items() if k not in ("n", "size")}
        if self.panel.jobs.start(generate_scenes, kw["n"], kw["size"], **rest, on_result=self.panel.set_dataset,
                                 label=f"Generating {kw['n']:,} scenes…") is not None:
            self.panel.next_source = {"generated": dict(kw)}

    def _ask_import(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "A YOLO, COCO or VOC folder")
        if d:
            self.import_folder(d)

    def import_folder(self, folder: str) -> None:
        from workbench.core.studies.detection.formats import load_detection

        if self.panel.jobs.start(load_detection, folder, on_result=self._imported,
                                 label=f"Importing {folder}…") is not None:
            self.panel.next_source = {"folder": str(folder)}

    def _imported(self, ds) -> None:
        self.panel.set_dataset(ds)
        if ds.skipped:
            self.panel.banner.show_message(f"Skipped {len(ds.skipped)} file(s): " + "; ".join(
                f"{f} ({why})" for f, why in ds.skipped[:3]), "warning")

    def _ask_export(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Export the labelled set to…")
        if d:
            self.export(d, self.format_combo.currentText())

    def export(self, folder: str, fmt: str) -> None:
        if self.panel.dataset is None:
            self.panel.banner.show_message("Generate or import a data set first.", "warning")
            return
        from workbench.core.studies.detection.formats import save_detection

        self.panel.jobs.start(save_detection, self.panel.dataset, folder, fmt,
                              on_result=lambda p: self.panel.banner.show_message(f"Exported ({fmt}) to {p}.", "ok"),
                              label=f"Exporting {fmt}…")

    def preview_augmentation(self) -> None:
        ds = self.panel.dataset
        if ds is None:
            self.panel.banner.show_message("Generate or import a data set first.", "warning")
            return
        from workbench.core.studies.detection.augment import augment_set

        self.panel.jobs.start(augment_set, ds.subset(range(min(8, len(ds)))), 1, seed=self.seed_spin.value(),
                              p_hflip=0.5, p_vflip=0.5, scale=(0.5, 0.9), on_result=self._show_augmented,
                              label="Augmenting…")

    def _show_augmented(self, aug) -> None:
        from workbench.core.studies.detection.draw import draw_boxes

        images = [draw_boxes(im, b, lab, aug.class_names, scale=2) for im, b, lab in zip(aug.images, aug.boxes, aug.labels)]
        caps = ["original" if not n.startswith("aug") else "flipped / zoomed" for n in aug.names]
        self.samples.set_images(images, caps)
        self.info.setText("Top: originals; then the same images augmented. The boxes moved with the pixels.")

    # ---- display ------------------------------------------------------------------------------
    def show_dataset(self, ds) -> None:
        from workbench.core.studies.detection.draw import draw_boxes

        s = ds.summary()
        self.class_chart.set_bars(list(s["boxes_per_class"]), list(s["boxes_per_class"].values()))
        hist = ds.box_size_histogram()
        self.size_chart.set_bars([f"{e:.0f}" for e in hist["edges"][:-1]], hist["counts"])
        side = s["box_side_px"]
        self.info.setText(
            f"{s['images']:,} images, {s['boxes']:,} boxes ({s['boxes_per_image']['mean']:.1f} per image, up to "
            f"{s['boxes_per_image']['max']}; {s['boxes_per_image']['empty_images']} images without objects). Box side "
            f"{side['min'] or 0:.0f}–{side['max'] or 0:.0f} px, median {side['median'] or 0:.0f}."
            + (" Masks: yes." if s["has_masks"] else ""))
        n = min(24, len(ds))
        scale = max(1.0, 150 / max(ds.images[0].shape[:2])) if n else 1.0
        self.samples.set_images([draw_boxes(ds.images[i], ds.boxes[i], ds.labels[i], ds.class_names, scale=scale)
                                 for i in range(n)],
                                [f"{len(ds.boxes[i])} box" + ("" if len(ds.boxes[i]) == 1 else "es") for i in range(n)],
                                [ds.names[i] for i in range(n)])

    def shutdown(self) -> None:
        pass

    def state(self) -> dict:
        return {"n": self.n_spin.value(), "size": self.size_spin.value(), "max_objects": self.max_obj_spin.value(),
                "overlap": self.overlap_spin.value(), "clutter": self.clutter_spin.value(), "seed": self.seed_spin.value(),
                "format": self.format_combo.currentText()}

    def restore(self, s: dict) -> None:
        for key, w, cast in (("n", self.n_spin, int), ("size", self.size_spin, int), ("max_objects", self.max_obj_spin, int),
                             ("overlap", self.overlap_spin, float), ("clutter", self.clutter_spin, int),
                             ("seed", self.seed_spin, int)):
            if key in s:
                try:
                    w.setValue(cast(s[key]))
                except (TypeError, ValueError):
                    pass
        if s.get("format") in ("yolo", "coco", "voc"):
            self.format_combo.setCurrentText(s["format"])
