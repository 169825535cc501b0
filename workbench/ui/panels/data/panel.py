"""The Data panel: the source bar, a progress row and banner, and one tab per step (samples,
columns, summary, preprocessing, split). It forwards user actions to core functions through JobRunners
and puts what it learns into ``ctx`` (data set, splits, preprocessing, input shape)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QTabWidget, QVBoxLayout, QWidget

from workbench.ui.job_runner import JobRunner
from workbench.ui.panels.base import Panel
from workbench.ui.panels.data.columns import ColumnsTab
from workbench.ui.panels.data.augment import AugmentTab
from workbench.ui.panels.data.cache import CacheRow
from workbench.ui.panels.data.capture import CaptureTab
from workbench.ui.panels.data.preprocessing import PreprocessingTab
from workbench.ui.panels.data.samples import SamplesTab
from workbench.ui.panels.data.source import SourceBar
from workbench.ui.panels.data.split import SplitTab
from workbench.ui.panels.data.summary import SummaryTab
from workbench.ui.widgets import Banner

TABLE_SUFFIXES = (".csv", ".tsv", ".txt")

# widgets of the tabs that callers (tests, the self-test, screenshots) reach through the panel
_TAB_WIDGETS = {
    "source_bar": ("builtin_combo", "load_builtin_btn", "folder_btn", "csv_btn", "image_size"),
    "columns_tab": ("columns_model", "columns_view", "target_combo", "time_combo", "kind_combo"),
    "samples_tab": ("grid", "table_model", "table"),
    "summary_tab": ("class_chart", "features_model", "features_view", "warnings_banner", "summary_splitter"),
    "preprocessing_tab": ("scale_combo", "missing_combo", "vocab_spin", "text_mode_combo", "length_spin",
                          "pre_banner", "pre_desc", "preview_model", "preview_view", "preview_images"),
    "split_tab": ("split_kind", "val_spin", "test_spin", "k_spin", "repeats_spin", "stratify_check", "dedupe_check",
                  "seed_spin", "split_btn", "split_desc", "leak_banner", "split_splitter", "split_chart",
                  "folds_diagram"),
}


class DataPanel(Panel):
    """Signals:
        dataset_loaded(object)  the Dataset after a successful load
        split_made(object)      the Splits after a split was made
        preview_ready()         the preprocessing preview was refreshed
        load_failed(str)        the message shown after a failed load
    """

    title = "Data"
    icon_name = "SP_DirOpenIcon"
    dataset_loaded = Signal(object)
    split_made = Signal(object)
    preview_ready = Signal()
    load_failed = Signal(str)

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.summary = None
        self._preview_splits = None  # the splits the newest preview is fitted for
        self.request: dict | None = None  # how the shown data set was loaded
        self._loading: dict | None = None  # the load that is running
        self._reads_tokens = False  # the last preview read text as token sequences (model has an Embedding)
        self._next_request: dict | None = None  # asked for while another load was being cancelled
        self._pending_split: dict | None = None
        self._restoring = False
        self.setAcceptDrops(True)
        self._build()

    # -- UI ----------------------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        self.source_bar = SourceBar()
        self.source_bar.load_requested.connect(self.load)
        lay.addWidget(self.source_bar)

        prog = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.cancel_btn = QPushButton("Cancel")
        prog.addWidget(self.progress, 1)
        prog.addWidget(self.cancel_btn)
        self.progress_row = QWidget()
        self.progress_row.setLayout(prog)
        self.progress_row.hide()
        lay.addWidget(self.progress_row)

        self.banner = Banner()
        lay.addWidget(self.banner)
        self.info = QLabel("Load a data set: pick a built-in one, an image folder (one subfolder per class) or a "
                           "CSV file (a table, texts with labels, or both) — or drop a folder or file here.")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)

        self.tabs = QTabWidget()
        lay.addWidget(self.tabs, 1)
        self.cache_row = CacheRow()
        lay.addWidget(self.cache_row)
        self.samples_tab = SamplesTab()
        self.columns_tab = ColumnsTab()
        self.summary_tab = SummaryTab()
        self.preprocessing_tab = PreprocessingTab()
        self.split_tab = SplitTab()
        self.capture_tab = CaptureTab(self.ctx)
        self.augment_tab = AugmentTab()
        for tab, name in ((self.samples_tab, "Samples"), (self.columns_tab, "Columns"), (self.summary_tab, "Summary"),
                          (self.preprocessing_tab, "Preprocessing"), (self.split_tab, "Split"),
                          (self.augment_tab, "Augment"), (self.capture_tab, "Capture")):
            self.tabs.addTab(tab, name)
        self.capture_tab.dataset_changed.connect(self.load_path)  # captures appear in the Samples grid
        self.augment_tab.settings_edited.connect(lambda: self._preprocessing_edited(self.preprocessing_settings()))
        for owner, names in _TAB_WIDGETS.items():
            for name in names:
                setattr(self, name, getattr(getattr(self, owner), name))

        self.columns_tab.reload_requested.connect(self._reload_with)
        self.ctx.model_changed.connect(self._model_changed)
        self.ctx.data_requested.connect(self._on_data_requested)  # e.g. a built-in set picked on the start page
        self.preprocessing_tab.settings_edited.connect(self._preprocessing_edited)
        self.preprocessing_tab.preview_ready.connect(self._on_preview)
        self.split_tab.split_requested.connect(self.make_split)
        self.split_tab.split_made.connect(self._on_split)
        self.split_tab.split_failed.connect(self._on_split_error)

        # the progress bar's range and text follow the job (busy indicator, "n / m files")
        self.load_jobs = JobRunner(self, banner=self.banner, cancel_button=self.cancel_btn)
        self.load_jobs.job_failed.connect(self._on_load_error)
        self.load_jobs.job_finished.connect(self._on_load_finished)
        self._set_busy(False)
        self.remember_splitter("summary", self.summary_splitter)
        self.remember_splitter("split", self.split_splitter)

    @property
    def dataset(self):
        """The loaded data set (the state's; this panel keeps no copy)."""
        return self.ctx.dataset

    @property
    def splits(self):
        return self.ctx.splits

    # -- loading -------------------------------------------------------------------------------
    @Slot()
    def load_selected_builtin(self) -> None:
        self.source_bar.load_selected_builtin()

    @Slot(dict)
    def _on_data_requested(self, request: dict) -> None:
        self.source_bar.show_source(request.get("source"))
        self.load(request)

    def load_path(self, path: str) -> None:
        self.load(self.source_bar.request_for_path(path))

    @Slot(dict)
    def load(self, request: dict) -> None:
        """Load a source in the background; ``request`` = load_data's arguments ("source", ...)."""
        from workbench.core.data.sources import load_with_summary

        if self.load_jobs.busy:  # cancel the running load; this one starts when it has ended
            self._next_request = dict(request)
            self.cancel_load()
            return
        self._loading = {k: v for k, v in request.items() if v not in (None, "", {})}
        self.progress.setRange(0, 0)
        self.progress.setFormat(f"Loading {self._loading['source']}…")
        self._set_busy(True)
        job = self.load_jobs.start(load_with_summary, dict(self._loading), on_result=self._on_loaded)
        job.progress.connect(self._on_progress)
        job.cancelled.connect(self._on_load_cancelled)
        self.ctx.status(f"Loading {self._loading['source']}…")

    @Slot(dict)
    def _reload_with(self, changes: dict) -> None:
        """Read the shown CSV again with another target, time column or column kinds."""
        if self.request is None:
            return
        self.load({**self.request, **changes})

    @property
    def _load_job(self):
        """The running load's TaskHandle (None when no load runs)."""
        return self.load_jobs.handle

    @Slot()
    def cancel_load(self) -> None:
        self.load_jobs.cancel()

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.progress.setFormat(f"{text or 'Loading'} %v / %m")
        else:
            self.progress.setRange(0, 0)
            self.progress.setFormat(text or "Working…")

    def _on_loaded(self, out: dict) -> None:
        self.set_dataset(out["dataset"], out["summary"], self._loading)

    @Slot(str)
    def _on_load_error(self, msg: str) -> None:
        self._restoring = False
        if self.dataset is not None:  # the Columns tab shows what is loaded, not the choice that failed
            self.columns_tab.show_dataset(self.dataset, self.request)
        self.ctx.status("Could not load the data")
        self.load_failed.emit(msg)

    @Slot()
    def _on_load_cancelled(self) -> None:
        self.banner.show_message("Loading was cancelled.", "info")

    @Slot()
    def _on_load_finished(self) -> None:
        self._set_busy(False)
        self.cache_row.refresh()  # a folder too large for memory was just cached
        if self._next_request is not None:
            req, self._next_request = self._next_request, None
            self.load(req)

    def _set_busy(self, busy: bool) -> None:
        self.progress_row.setVisible(busy)
        self.source_bar.set_busy(busy)

    @property
    def busy(self) -> bool:
        return self.load_jobs.busy or self.split_tab.jobs.busy or self.preprocessing_tab.jobs.busy

    def set_dataset(self, ds, summary=None, request: dict | None = None) -> None:
        """Show a loaded Dataset (also usable directly, e.g. by tests and demos)."""
        if summary is None:
            from workbench.core.data import summarize

            summary = summarize(ds)
        self.summary = summary
        self.request = dict(request or {"source": ds.source})
        self.ctx.set_dataset(ds, self.request)
        self.source_bar.show_source(self.request.get("source"))
        shape = "x".join(str(s) for s in ds.input_shape) or "text"
        self.info.setText(f"<b>{ds.name}</b> — {len(ds):,} samples, {ds.kind}, input {shape}, {summary.task}"
                          + (f"<br>{ds.description}" if ds.description else "")
                          + (f"<br>{len(ds.skipped)} files skipped (unreadable)." if ds.skipped else ""))
        self.samples_tab.show_dataset(ds)
        self.columns_tab.show_dataset(ds, self.request)
        self.summary_tab.show_summary(summary)
        self.preprocessing_tab.set_dataset(ds)
        self.ctx.set_input_shape(None)  # known again once the preprocessing is fitted
        self.ctx.status(f"Loaded {ds.name}: {len(ds):,} samples")
        self.dataset_loaded.emit(ds)
        plan = self._pending_split
        self._pending_split = None
        if plan is not None:
            self.split_tab.set_plan_dict(plan)
        self.make_split()

    # -- split ---------------------------------------------------------------------------------
    def plan_dict(self) -> dict:
        return self.split_tab.plan_dict()

    def set_plan(self, text: str) -> None:
        """Set the split widgets from a plan text such as "kfold:5" (does not make the split)."""
        from workbench.core.data import SplitPlan

        self.split_tab.set_plan_dict(SplitPlan.parse(text).to_dict())

    @Slot()
    def make_split(self) -> None:
        if self.dataset is None:
            self.leak_banner.show_message("Load a data set first.", "info")
            return
        self.split_tab.make_split(self.dataset)

    @Slot(str)
    def _on_split_error(self, _msg: str) -> None:
        self.ctx.set_splits(None)

    @Slot(object)
    def _on_split(self, out: dict) -> None:
        plan, splits = out["plan"], out["splits"]
        self.ctx.set_splits(splits, options=plan.to_dict())  # the split section follows the plan made
        if self._restoring:
            self._restoring = False
            self.ctx.mark_dirty(False)
        self.split_made.emit(splits)
        self.refresh_preview()

    # -- preprocessing ---------------------------------------------------------------------------
    def preprocessing_settings(self) -> dict:
        """The Preprocessor settings plus "augment" (None when off), as ``ctx.preprocessing`` holds them."""
        return {**self.preprocessing_tab.settings(), "augment": self.augment_tab.settings()}

    @Slot(dict)
    def _preprocessing_edited(self, _settings: dict) -> None:
        self.ctx.set_preprocessing(self.preprocessing_settings())
        self.refresh_preview()

    def refresh_preview(self) -> None:
        if self.dataset is None:
            return
        # fitted on the rows a run fits on, so the run can take this preprocessor as it is
        self._preview_splits = self.splits
        fit_idx = self.splits.fit_idx if self.splits is not None else np.arange(len(self.dataset))
        train_idx = self.splits.train_idx if self.splits is not None else fit_idx
        self.preprocessing_tab.refresh(self.dataset, fit_idx, self.ctx.model_spec)
        self.augment_tab.set_data(self.dataset, self.preprocessing_tab.settings(), train_idx)
        self.augment_tab.refresh()

    @Slot(object)
    def _model_changed(self, spec) -> None:
        """Automatic text representation: token sequences once the model starts with an Embedding."""
        if self.dataset is None or self.dataset.kind != "text":
            return
        if (self.preprocessing_settings().get("text") or {}).get("mode") != "auto":
            return
        reads = False
        if spec is not None:
            from workbench.core.models import wants_token_ids  # loaded already: a spec exists

            reads = wants_token_ids(spec)
        if reads != self._reads_tokens:
            self.refresh_preview()

    @Slot(dict)
    def _on_preview(self, out: dict) -> None:
        self._reads_tokens = bool(out.get("sequence"))
        if self.ctx.preprocessing != self.preprocessing_settings():
            self.ctx.set_preprocessing(self.preprocessing_settings())
        self.ctx.set_input_shape(out["output_shape"])
        if self._preview_splits is not None and self._preview_splits is self.splits:
            self.ctx.state.set_preprocessor(out["pre"], self.splits)
        self.preview_ready.emit()

    # -- drag and drop ---------------------------------------------------------------------------
    def dragEnterEvent(self, e) -> None:
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    def dropEvent(self, e) -> None:
        urls = [u.toLocalFile() for u in e.mimeData().urls() if u.isLocalFile()]
        if not urls:
            return
        p = Path(urls[0])
        if p.is_dir() or p.suffix.lower() in TABLE_SUFFIXES:
            self.load_path(str(p))
            e.acceptProposedAction()
        else:
            self.banner.show_message(f"{p.name} is not a folder or a CSV file.", "error")

    # -- panel contract --------------------------------------------------------------------------
    def state(self) -> dict:
        return {"request": self.request, "preprocessing": self.preprocessing_settings(), "split": self.plan_dict(),
                "tab": self.tabs.currentIndex(), "options": self.source_bar.options()}

    def restore(self, state: dict) -> None:
        state = state or {}
        self.source_bar.set_options(state.get("options") or {})
        if isinstance(state.get("preprocessing"), dict):
            self.preprocessing_tab.set_settings(state["preprocessing"])
            if self.dataset is not None:
                self.augment_tab.set_kind(self.dataset.kind)
            self.augment_tab.set_settings(state["preprocessing"].get("augment"))
            self.ctx.set_preprocessing(self.preprocessing_settings())
        if isinstance(state.get("split"), dict):
            self.split_tab.set_plan_dict(state["split"])
        self.tabs.setCurrentIndex(int(state.get("tab", 0) or 0))
        req = state.get("request")
        if isinstance(req, dict) and req.get("source"):
            self._pending_split = state.get("split") if isinstance(state.get("split"), dict) else None
            self._restoring = True  # reloading what the project holds is not an unsaved change
            self.load(req)

    def save_state(self, sections) -> None:
        """The data section's view, the split and the preprocessing as the tabs show them (the
        source itself is set when a data set is loaded)."""
        st = self.state()
        sections.data.update(tab=st["tab"], folder_image_size=st["options"]["image_size"])
        sections.split.update(st["split"], strict=False)
        sections.preprocessing.update(st["preprocessing"])

    live_sections = ("data", "split", "preprocessing")

    def load_state(self, sections) -> None:
        self._show(sections, reload=True)

    def _source_changed(self, sections) -> bool:
        d = sections.data
        shown = type(d).from_dict(type(d).request_values(self.request)).request() if self.request else {}
        return d.request() != shown

    def shows_state(self, sections) -> bool:
        return not self._source_changed(sections) and super().shows_state(sections)

    def show_state(self, sections) -> None:
        """The state changed elsewhere: the data set is loaded again only when its source changed."""
        self._show(sections, reload=self._source_changed(sections))

    def _show(self, sections, reload: bool) -> None:
        d = sections.data
        self.restore({"request": (d.request() or None) if reload else None,
                      "preprocessing": sections.preprocessing.settings(), "split": sections.split.to_dict(),
                      "tab": d.tab, "options": {"image_size": d.folder_image_size}})

    def on_shown(self) -> None:
        self.cache_row.refresh()

    def shutdown(self) -> None:
        self._next_request = None
        self.load_jobs.shutdown()
        self.cache_row.shutdown()
        self.split_tab.shutdown()
        self.preprocessing_tab.shutdown()
        self.capture_tab.shutdown()
        self.augment_tab.shutdown()
