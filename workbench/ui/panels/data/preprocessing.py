"""Preprocessing tab: scaling, missing values, text vocabulary, and a before / after preview of
the first samples with every statistic fitted on the training split only."""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QGroupBox, QHBoxLayout, QHeaderView, QLabel, QSpinBox, QTableView, QVBoxLayout, QWidget,
)

from workbench.ui.flow_layout import FlowLayout
from workbench.ui.job_runner import JobRunner
from workbench.ui.models import RecordsTableModel
from workbench.ui.widgets import Banner, ImageGridWidget

SCALES = (("auto", "automatic: standardize tables, images in [0, 1]"), ("none", "none (raw values)"),
          ("minmax", "to [0, 1] (min-max)"), ("standard", "standardize (mean 0, std 1)"))
MISSING = (("indicator", "0 + \"was missing\" column"), ("zero", "replace with 0"))
TEXT_MODES = (("auto", "automatic: token sequences for Embedding models, else bag of words"),
              ("bag", "bag of words (multi-hot)"), ("sequence", "token sequences (ids, for Embedding)"))
PREVIEW_COLUMNS = [("sample", "#"), ("before", "before"), ("before range", "range"), ("after", "after"),
                   ("after range", "range")]


class PreprocessingTab(QWidget):
    """Signals:
        settings_edited(dict)   the user changed a setting (Preprocessor kwargs)
        preview_ready(dict)     a preview of the current data set was shown (preview_preprocessing's dict)
    """

    settings_edited = Signal(dict)
    preview_ready = Signal(dict)

    def __init__(self, parent=None):
        super().__init__(parent)
        pv = QVBoxLayout(self)
        pf = QHBoxLayout()
        self.scale_combo = _combo(SCALES)
        self.scale_combo.setToolTip("The course's default standardizes numeric table columns (statistics from the "
                                    "training rows); 'none' shows what unscaled inputs cost")
        self.missing_combo = _combo(MISSING)
        for w, label in ((self.scale_combo, "Scaling:"), (self.missing_combo, "Missing values:")):
            pf.addWidget(QLabel(label))
            pf.addWidget(w)
        pf.addStretch(1)
        pv.addLayout(pf)
        self.text_box = QGroupBox("Text")
        tl = FlowLayout(self.text_box)
        tl.setContentsMargins(8, 6, 8, 6)
        self.text_mode_combo = _combo(TEXT_MODES)
        self.vocab_spin = _spin(10, 200000, 10000, 1000, "Tokens kept: the most frequent ones of the training rows")
        self.length_spin = _spin(1, 5000, 200, 50, "Tokens per text for sequence models (longer texts are cut)")
        self.level_combo = _combo((("word", "words"), ("char", "characters")))
        self.ngrams_spin = _spin(1, 5, 1, 1, "Bag of words: also count runs of up to N tokens ('not good')")
        self.lower_check = QCheckBox("lowercase")
        self.lower_check.setChecked(True)
        self.punct_check = QCheckBox("keep punctuation")
        for w, label in ((self.text_mode_combo, "As:"), (self.vocab_spin, "vocabulary"), (self.length_spin, "length"),
                         (self.level_combo, "tokens"), (self.ngrams_spin, "n-grams")):
            pair = QWidget()  # a label beside its field, wherever the row wraps on a small screen
            pl = QHBoxLayout(pair)
            pl.setContentsMargins(0, 0, 0, 0)
            pl.addWidget(QLabel(label))
            pl.addWidget(w)
            tl.addWidget(pair)
        tl.addWidget(self.lower_check)
        tl.addWidget(self.punct_check)
        pv.addWidget(self.text_box)
        for w in (self.scale_combo, self.missing_combo, self.text_mode_combo, self.level_combo):
            w.currentIndexChanged.connect(self._edited)
        for w in (self.vocab_spin, self.length_spin, self.ngrams_spin):
            w.valueChanged.connect(self._edited)
        for w in (self.lower_check, self.punct_check):
            w.toggled.connect(self._edited)
        self.pre_banner = Banner()
        pv.addWidget(self.pre_banner)
        self.pre_desc = QLabel("")
        self.pre_desc.setWordWrap(True)
        pv.addWidget(self.pre_desc)
        self.preview_model = RecordsTableModel()
        self.preview_view = QTableView()
        self.preview_view.setModel(self.preview_model)
        self.preview_view.verticalHeader().hide()
        self.preview_view.setWordWrap(False)
        ph = self.preview_view.horizontalHeader()
        ph.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        ph.setStretchLastSection(True)
        self.preview_images = ImageGridWidget(72)
        self.preview_images.setMaximumHeight(130)
        pv.addWidget(QLabel("Before / after on the first samples (statistics fitted on the training split only):"))
        pv.addWidget(self.preview_images)
        pv.addWidget(self.preview_view, 1)
        self.jobs = JobRunner(self, banner=self.pre_banner)
        self.jobs.job_finished.connect(self._run_pending)
        self._dataset = None  # the data set shown in the panel
        self._running_for = None  # the data set of the running preview
        self._pending = None  # (dataset, train_idx) asked for while a preview was running

    # -- settings ----------------------------------------------------------------------------
    def settings(self) -> dict:
        """Preprocessor keyword arguments (JSON)."""
        return {"scale": self.scale_combo.currentData(), "missing": self.missing_combo.currentData(),
                "vocab_size": self.vocab_spin.value(),
                "text": {"mode": self.text_mode_combo.currentData(), "length": self.length_spin.value(),
                         "level": self.level_combo.currentData(), "ngrams": self.ngrams_spin.value(),
                         "lowercase": self.lower_check.isChecked(), "punctuation": self.punct_check.isChecked()}}

    def set_settings(self, d: dict) -> None:
        """Show saved settings without emitting ``settings_edited`` (projects saved before the course
        defaults keep their "none" / "zero")."""
        t = d.get("text") or {}
        widgets = [self.scale_combo, self.missing_combo, self.text_mode_combo, self.level_combo, self.vocab_spin,
                   self.length_spin, self.ngrams_spin, self.lower_check, self.punct_check]
        for w in widgets:
            w.blockSignals(True)
        for combo, value in ((self.scale_combo, d.get("scale", "auto")), (self.missing_combo, d.get("missing", "indicator")),
                             (self.text_mode_combo, t.get("mode", "auto")), (self.level_combo, t.get("level", "word"))):
            combo.setCurrentIndex(max(combo.findData(value), 0))
        self.vocab_spin.setValue(int(d.get("vocab_size", 10000)))
        self.length_spin.setValue(int(t.get("length", 200)))
        self.ngrams_spin.setValue(int(t.get("ngrams", 1)))
        self.lower_check.setChecked(bool(t.get("lowercase", True)))
        self.punct_check.setChecked(bool(t.get("punctuation", False)))
        for w in widgets:
            w.blockSignals(False)

    def set_dataset(self, ds) -> None:
        """A new data set is shown: enable the settings that apply to it; older previews are dropped."""
        self._dataset = ds
        has_text = ds.kind == "text" or "text" in (ds.column_kinds or [])
        self.text_box.setEnabled(has_text)
        for w in (self.text_mode_combo, self.length_spin):
            w.setEnabled(ds.kind == "text")  # a table's text columns are always a bag of words
        self.missing_combo.setEnabled(ds.kind == "table")

    @Slot()
    def _edited(self) -> None:
        self.settings_edited.emit(self.settings())

    # -- preview -----------------------------------------------------------------------------
    def refresh(self, ds, train_idx, model_spec=None) -> None:
        """Preview the current settings on ``ds`` (fitted on ``train_idx``) in the background;
        ``model_spec`` decides what the automatic text representation is."""
        from workbench.core.data.preview import preview_preprocessing

        self._dataset = ds
        if self.jobs.busy:  # the newest request runs when the current one ends
            self._pending = (ds, train_idx, model_spec)
            return
        self._running_for = ds
        self.jobs.start(preview_preprocessing, ds, self.settings(), train_idx, model_spec=model_spec,
                        on_result=self._show)

    @Slot()
    def _run_pending(self) -> None:
        if self._pending is not None:
            args, self._pending = self._pending, None
            self.refresh(*args)

    def _show(self, out: dict) -> None:
        if self._pending is not None or self._running_for is not self._dataset:
            return  # made for another data set, or a newer preview is on its way
        shape = "x".join(map(str, out["output_shape"]))
        self.pre_desc.setText(f"{out['describe']} — model input per sample: {shape}")
        if out["warnings"]:
            self.pre_banner.show_message("<br>".join(f"⚠ {w}" for w in out["warnings"]), "warning")
        else:
            self.pre_banner.clear_message()
        self.preview_model.set_rows(out["rows"], PREVIEW_COLUMNS)
        if out["images"]:
            self.preview_images.show()
            self.preview_images.set_images([im for im, _ in out["images"]], [c for _, c in out["images"]])
        else:
            self.preview_images.hide()
        self.preview_ready.emit(out)

    def shutdown(self) -> None:
        self._pending = None
        self.jobs.shutdown()


def _combo(items) -> QComboBox:
    c = QComboBox()
    for key, text in items:
        c.addItem(text, key)
    return c


def _spin(lo: int, hi: int, value: int, step: int, tip: str) -> QSpinBox:
    s = QSpinBox()
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setValue(value)
    s.setToolTip(tip)
    return s
