"""Augment tab: switch on random changes of the training batches (images: flip, crop, rotation,
colour; sounds: time shift, gain, noise) and see them before / after on a few samples.

The settings travel with the preprocessing (``ctx.preprocessing["augment"]``) into the run's
``RunConfig.augment``; the core applies them to training batches only (``core/data/augment.py``).
"""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.core.data.augment import preview_draw
from workbench.ui.job_runner import JobRunner
from workbench.ui.widgets import Banner, ImageGridWidget

FIELDS = {
    "image": [("flip", "flip left-right", None), ("crop", "crop up to", (0, 0.5, 0.05)),
              ("rotate", "rotate up to (°)", (0, 45, 1)), ("color", "colour jitter", (0, 0.9, 0.05))],
    "audio": [("shift", "time shift up to", (0, 0.5, 0.05)), ("gain_db", "gain ± (dB)", (0, 24, 1)),
              ("noise_snr_db", "noise SNR from (dB, 0 = off)", (0, 60, 1))],
}


class AugmentTab(QWidget):
    """Signals:
        settings_edited()   the switch or a setting changed
        preview_shown(int)  before/after pairs were drawn (how many)
    """

    settings_edited = Signal()
    preview_shown = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.enable = QCheckBox("Augment the training batches (validation, test and predictions stay untouched)")
        self.enable.toggled.connect(self._edited)
        lay.addWidget(self.enable)
        self.row = QHBoxLayout()
        lay.addLayout(self.row)
        self.banner = Banner()
        lay.addWidget(self.banner)
        top = QHBoxLayout()
        self.preview_btn = QPushButton("Show another random draw")
        self.preview_btn.clicked.connect(self.refresh)
        top.addWidget(QLabel("Before / after on the first samples:"))
        top.addStretch(1)
        top.addWidget(self.preview_btn)
        lay.addLayout(top)
        self.grid = ImageGridWidget(96)
        lay.addWidget(self.grid, 1)
        self.jobs = JobRunner(self, banner=self.banner)
        self.kind = None
        self.widgets: dict = {}
        self._ds = self._train_idx = None
        self._preprocessing: dict = {}
        self.set_kind(None)

    def set_kind(self, kind: str | None) -> None:
        while self.row.count():
            w = self.row.takeAt(0).widget()
            if w is not None:
                w.deleteLater()
        self.widgets = {}
        self.kind = kind if kind in FIELDS else None
        self.enable.setEnabled(self.kind is not None)
        if self.kind is None:
            self.enable.setChecked(False)
            self.row.addWidget(QLabel("Augmentation works on image and sound data."))
            return
        from workbench.core.data.augment import defaults_for

        base = defaults_for(self.kind)
        for key, label, rng in FIELDS[self.kind]:
            if rng is None:
                w = QCheckBox(label)
                w.setChecked(bool(base[key]))
                w.toggled.connect(self._edited)
            else:
                self.row.addWidget(QLabel(label))
                w = QDoubleSpinBox()
                w.setRange(rng[0], rng[1])
                w.setSingleStep(rng[2])
                w.setValue(float(base[key]))
                w.valueChanged.connect(self._edited)
            self.row.addWidget(w)
            self.widgets[key] = w
        self.row.addStretch(1)

    def settings(self) -> dict | None:
        if not self.enable.isChecked() or self.kind is None:
            return None
        return {k: (w.isChecked() if isinstance(w, QCheckBox) else float(w.value())) for k, w in self.widgets.items()}

    def set_settings(self, d: dict | None) -> None:
        self.blockSignals(True)
        self.enable.setChecked(bool(d))
        for k, v in (d or {}).items():
            w = self.widgets.get(k)
            if isinstance(w, QCheckBox):
                w.setChecked(bool(v))
            elif w is not None:
                w.setValue(float(v))
        self.blockSignals(False)

    def _edited(self, *_a) -> None:
        self.settings_edited.emit()
        self.refresh()

    def set_data(self, ds, preprocessing: dict, train_idx) -> None:
        if ds is None or ds.kind != self.kind:
            self.set_kind(ds.kind if ds is not None else None)
        self._ds, self._preprocessing, self._train_idx = ds, dict(preprocessing), train_idx

    def refresh(self) -> None:
        s = self.settings()
        if self._ds is None or not s:
            self.grid.clear()
            return
        self.jobs.start(preview_draw, self._ds, self._preprocessing, s, self._train_idx, on_result=self._show,
                        quiet_if_busy=True)

    def _show(self, pairs: list) -> None:
        imgs, caps = [], []
        for i, (before, after) in enumerate(pairs):
            imgs += [before, after]
            caps += [f"#{i + 1} before", f"#{i + 1} augmented"]
        self.grid.set_images(imgs, caps)
        self.preview_shown.emit(len(pairs))

    def shutdown(self) -> None:
        self.jobs.shutdown()
