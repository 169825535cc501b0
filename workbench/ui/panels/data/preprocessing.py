"""Preprocessing tab: scaling, missing values, text vocabulary, and a before / after preview of
the first samples with every statistic fitted on the training split only."""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QHeaderView, QLabel, QSpinBox, QTableView, QVBoxLayout, QWidget

from workbench.ui.job_runner import JobRunner
from workbench.ui.models import RecordsTableModel
from workbench.ui.widgets import Banner, ImageGridWidget

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
        self.scale_combo = QComboBox()
        for k, t in (("none", "none"), ("minmax", "to [0, 1] (min-max)"), ("standard", "standardize (mean 0, std 1)")):
            self.scale_combo.addItem(t, k)
        self.missing_combo = QComboBox()
        self.missing_combo.addItem("replace with 0", "zero")
        self.missing_combo.addItem("0 + \"was missing\" column", "indicator")
        self.vocab_spin = QSpinBox()
        self.vocab_spin.setRange(10, 200000)
        self.vocab_spin.setSingleStep(1000)
        self.vocab_spin.setValue(10000)
        for w, label in ((self.scale_combo, "Scaling:"), (self.missing_combo, "Missing values:"),
                         (self.vocab_spin, "Vocabulary (text):")):
            pf.addWidget(QLabel(label))
            pf.addWidget(w)
        pf.addStretch(1)
        pv.addLayout(pf)
        for w in (self.scale_combo, self.missing_combo):
            w.currentIndexChanged.connect(self._edited)
        self.vocab_spin.valueChanged.connect(self._edited)
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
        return {"scale": self.scale_combo.currentData(), "missing": self.missing_combo.currentData(),
                "vocab_size": self.vocab_spin.value()}

    def set_settings(self, d: dict) -> None:
        """Show saved settings without emitting ``settings_edited``."""
        for combo, key, default in ((self.scale_combo, "scale", "none"), (self.missing_combo, "missing", "zero")):
            i = combo.findData(d.get(key, default))
            combo.blockSignals(True)
            combo.setCurrentIndex(max(i, 0))
            combo.blockSignals(False)
        self.vocab_spin.blockSignals(True)
        self.vocab_spin.setValue(int(d.get("vocab_size", 10000)))
        self.vocab_spin.blockSignals(False)

    def set_dataset(self, ds) -> None:
        """A new data set is shown: enable the settings that apply to it; older previews are dropped."""
        self._dataset = ds
        self.vocab_spin.setEnabled(ds.kind == "text")
        self.missing_combo.setEnabled(ds.kind == "table")

    @Slot()
    def _edited(self) -> None:
        self.settings_edited.emit(self.settings())

    # -- preview -----------------------------------------------------------------------------
    def refresh(self, ds, train_idx) -> None:
        """Preview the current settings on ``ds`` (fitted on ``train_idx``) in the background."""
        from workbench.core.data.preview import preview_preprocessing

        self._dataset = ds
        if self.jobs.busy:  # the newest request runs when the current one ends
            self._pending = (ds, train_idx)
            return
        self._running_for = ds
        self.jobs.start(preview_preprocessing, ds, self.settings(), train_idx, on_result=self._show)

    @Slot()
    def _run_pending(self) -> None:
        if self._pending is not None:
            ds, train_idx = self._pending
            self._pending = None
            self.refresh(ds, train_idx)

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
