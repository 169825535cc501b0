"""Data panel: choose a source, look at the data, choose preprocessing and the split."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView,
    QLabel, QLineEdit, QProgressBar, QPushButton, QSpinBox, QSplitter, QTableView, QTabWidget,
    QVBoxLayout, QWidget,
)

from workbench.ui.models import DatasetTableModel, RecordsTableModel
from workbench.ui.panels.base import Panel
from workbench.ui.widgets import Banner, BarChart, FoldsDiagram, ImageGridWidget, PART_COLORS
from workbench.ui.workers import TaskController

SPLIT_KINDS = [("holdout", "Hold-out (train / validation / test)"), ("kfold", "K-fold cross-validation"),
               ("iterated-kfold", "Iterated K-fold (shuffled repeats)"), ("time", "Time-ordered hold-out"),
               ("time-kfold", "Time-ordered K-fold")]
TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
GRID_SAMPLES = 60


# -- jobs (run in a worker thread: no Qt objects) ------------------------------------------------
def load_job(request: dict, progress=None, should_cancel=None) -> dict:
    from workbench.core.data import load_data, summarize

    kw = {k: v for k, v in request.items() if k != "source" and v not in (None, "")}
    if "image_size" in kw:
        kw["image_size"] = tuple(kw["image_size"])
    ds = load_data(request["source"], progress=progress, should_cancel=should_cancel, **kw)
    if progress:
        progress(0, 0, "summarizing")
    return {"dataset": ds, "summary": summarize(ds)}


def split_job(ds, plan_dict: dict) -> dict:
    from workbench.core.data import SplitPlan

    plan = SplitPlan.from_dict(plan_dict)
    return {"plan": plan, "splits": plan.make(ds)}


def preview_job(ds, settings: dict, train_idx, n: int = 5) -> dict:
    from workbench.core.data import Preprocessor

    pre = Preprocessor(**settings).fit(ds, train_idx)
    idx = np.arange(min(n, len(ds)))
    after = pre.transform(ds, idx)
    return {"pre": pre, "idx": idx, "after": after, "describe": pre.describe(), "warnings": list(pre.warnings),
            "output_shape": tuple(pre.output_shape)}


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
        self.tasks = TaskController(self)
        self.dataset = None
        self.summary = None
        self.splits = None
        self.request: dict | None = None
        self._load_job = None
        self._pending_split: dict | None = None
        self._restoring = False
        self.setAcceptDrops(True)
        self._build()

    # -- UI ----------------------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        src = QGroupBox("Data source")
        sl = QHBoxLayout(src)
        self.builtin_combo = QComboBox()
        try:
            from workbench.core.data import list_builtins

            for b in list_builtins():
                self.builtin_combo.addItem(f"{b['name']} — {b['kind']}", f"builtin:{b['name']}")
                self.builtin_combo.setItemData(self.builtin_combo.count() - 1, b["description"],
                                               Qt.ItemDataRole.ToolTipRole)
        except Exception:  # the core data module is missing: still show the panel
            self.builtin_combo.addItem("digits", "builtin:digits")
        self.load_builtin_btn = QPushButton("Load built-in")
        self.load_builtin_btn.clicked.connect(self.load_selected_builtin)
        self.folder_btn = QPushButton("Image folder…")
        self.folder_btn.clicked.connect(self._choose_folder)
        self.csv_btn = QPushButton("CSV table…")
        self.csv_btn.clicked.connect(self._choose_csv)
        self.text_btn = QPushButton("Text CSV…")
        self.text_btn.clicked.connect(self._choose_text_csv)
        sl.addWidget(QLabel("Built-in:"))
        sl.addWidget(self.builtin_combo, 1)
        sl.addWidget(self.load_builtin_btn)
        sl.addSpacing(12)
        sl.addWidget(self.folder_btn)
        sl.addWidget(self.csv_btn)
        sl.addWidget(self.text_btn)
        lay.addWidget(src)

        opts = QHBoxLayout()
        self.target_edit = QLineEdit()
        self.target_edit.setPlaceholderText("target column (CSV; default: last)")
        self.time_edit = QLineEdit()
        self.time_edit.setPlaceholderText("time column (optional)")
        self.text_col_edit = QLineEdit("text")
        self.text_col_edit.setToolTip("Column holding the text (text CSV)")
        self.image_size = QSpinBox()
        self.image_size.setRange(8, 512)
        self.image_size.setValue(64)
        self.image_size.setSuffix(" px")
        self.image_size.setToolTip("Images from a folder are resized to this square size")
        for w, label in ((self.target_edit, "Target:"), (self.time_edit, "Time:"), (self.text_col_edit, "Text:"),
                         (self.image_size, "Image size:")):
            opts.addWidget(QLabel(label))
            opts.addWidget(w)
        lay.addLayout(opts)

        prog = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.clicked.connect(self.cancel_load)
        prog.addWidget(self.progress, 1)
        prog.addWidget(self.cancel_btn)
        self.progress_row = QWidget()
        self.progress_row.setLayout(prog)
        self.progress_row.hide()
        lay.addWidget(self.progress_row)

        self.banner = Banner()
        lay.addWidget(self.banner)
        self.info = QLabel("Load a data set: pick a built-in one, an image folder (one subfolder per class), "
                           "a CSV table or a text CSV — or drop a folder or file here.")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)

        self.tabs = QTabWidget()
        lay.addWidget(self.tabs, 1)
        # Samples
        samples = QWidget()
        sv = QVBoxLayout(samples)
        self.grid = ImageGridWidget(64)
        self.table_model = DatasetTableModel()
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.verticalHeader().setDefaultSectionSize(22)
        sv.addWidget(self.grid)
        sv.addWidget(self.table)
        self.table.hide()
        self.tabs.addTab(samples, "Samples")
        # Summary
        summ = QWidget()
        sumv = QVBoxLayout(summ)
        self.summary_splitter = QSplitter(Qt.Orientation.Vertical)
        self.class_chart = BarChart("Samples per class")
        self.features_model = RecordsTableModel([("name", "feature"), ("type", "type"), ("min", "min"),
                                                 ("max", "max"), ("mean", "mean"), ("std", "std"),
                                                 ("missing", "missing")])
        self.features_view = QTableView()
        self.features_view.setModel(self.features_model)
        self.features_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.features_view.verticalHeader().hide()
        self.summary_splitter.addWidget(self.class_chart)
        self.summary_splitter.addWidget(self.features_view)
        self.warnings_banner = Banner()
        sumv.addWidget(self.warnings_banner)
        sumv.addWidget(self.summary_splitter, 1)
        self.tabs.addTab(summ, "Summary")
        # Preprocessing
        pre = QWidget()
        pv = QVBoxLayout(pre)
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
            w.currentIndexChanged.connect(self._preprocessing_edited)
        self.vocab_spin.valueChanged.connect(self._preprocessing_edited)
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
        self.tabs.addTab(pre, "Preprocessing")
        # Split
        spl = QWidget()
        spv = QVBoxLayout(spl)
        form = QHBoxLayout()
        self.split_kind = QComboBox()
        for k, t in SPLIT_KINDS:
            self.split_kind.addItem(t, k)
        self.val_spin = _frac_spin(0.2)
        self.test_spin = _frac_spin(0.2)
        self.k_spin = QSpinBox()
        self.k_spin.setRange(2, 50)
        self.k_spin.setValue(5)
        self.repeats_spin = QSpinBox()
        self.repeats_spin.setRange(1, 20)
        self.repeats_spin.setValue(3)
        self.stratify_check = QCheckBox("stratify")
        self.stratify_check.setChecked(True)
        self.dedupe_check = QCheckBox("drop duplicates")
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.split_btn = QPushButton("Make split")
        self.split_btn.clicked.connect(self.make_split)
        fl = QFormLayout()
        fl.addRow("Split:", self.split_kind)
        row = QHBoxLayout()
        for w, label in ((self.val_spin, "validation"), (self.test_spin, "test"), (self.k_spin, "K"),
                         (self.repeats_spin, "repeats"), (self.seed_spin, "seed")):
            row.addWidget(QLabel(label))
            row.addWidget(w)
        row.addWidget(self.stratify_check)
        row.addWidget(self.dedupe_check)
        row.addStretch(1)
        row.addWidget(self.split_btn)
        fl.addRow(row)
        form.addLayout(fl)
        spv.addLayout(form)
        self.split_kind.currentIndexChanged.connect(self._split_kind_changed)
        self.split_desc = QLabel("")
        self.split_desc.setWordWrap(True)
        spv.addWidget(self.split_desc)
        self.leak_banner = Banner()
        spv.addWidget(self.leak_banner)
        self.split_splitter = QSplitter(Qt.Orientation.Vertical)
        self.split_chart = BarChart("Samples per class in each part")
        self.folds_diagram = FoldsDiagram()
        self.split_splitter.addWidget(self.split_chart)
        self.split_splitter.addWidget(self.folds_diagram)
        spv.addWidget(self.split_splitter, 1)
        self.tabs.addTab(spl, "Split")
        self._split_kind_changed()
        self._set_busy(False)
        self.remember_splitter("summary", self.summary_splitter)
        self.remember_splitter("split", self.split_splitter)

    # -- loading -------------------------------------------------------------------------------
    @Slot()
    def load_selected_builtin(self) -> None:
        self.load({"source": self.builtin_combo.currentData()})

    def _choose_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Image folder (one subfolder per class)")
        if d:
            self.load_path(d)

    def _choose_csv(self) -> None:
        f, _ = QFileDialog.getOpenFileName(self, "CSV table", "", "Tables (*.csv *.tsv *.txt);;All files (*)")
        if f:
            self.load_path(f)

    def _choose_text_csv(self) -> None:
        f, _ = QFileDialog.getOpenFileName(self, "Text CSV", "", "Tables (*.csv *.tsv *.txt);;All files (*)")
        if f:
            self.load_path(f, text=True)

    def load_path(self, path: str, text: bool = False) -> None:
        p = Path(path)
        req: dict = {"source": str(p)}
        if p.is_dir():
            s = self.image_size.value()
            req["image_size"] = [s, s]
        elif text:
            req["text_column"] = self.text_col_edit.text().strip() or "text"
            req["target"] = self.target_edit.text().strip() or None
        else:
            req["target"] = self.target_edit.text().strip() or None
            req["time_column"] = self.time_edit.text().strip() or None
        self.load(req)

    def load(self, request: dict) -> None:
        """Load a source in the background; ``request`` = load_data's arguments ("source", ...)."""
        if self._load_job is not None:
            self.cancel_load()
        self.banner.clear_message()
        self.request = {k: v for k, v in request.items() if v not in (None, "")}
        self.progress.setRange(0, 0)
        self.progress.setFormat(f"Loading {self.request['source']}…")
        self._set_busy(True)
        job = self.tasks.start(load_job, dict(self.request))
        self._load_job = job
        job.progress.connect(self._on_progress)
        job.result.connect(self._on_loaded)
        job.error.connect(self._on_load_error)
        job.cancelled.connect(self._on_load_cancelled)
        job.finished.connect(self._on_load_finished)
        self.ctx.status(f"Loading {self.request['source']}…")

    @Slot()
    def cancel_load(self) -> None:
        if self._load_job is not None:
            self._load_job.cancel()

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.progress.setFormat(f"{text or 'Loading'} %v / %m")
        else:
            self.progress.setRange(0, 0)
            self.progress.setFormat(text or "Working…")

    @Slot(object)
    def _on_loaded(self, out: dict) -> None:
        self.set_dataset(out["dataset"], out["summary"], self.request)

    @Slot(str)
    def _on_load_error(self, msg: str) -> None:
        self._restoring = False
        self.banner.show_message(msg, "error")
        self.ctx.status("Could not load the data")
        self.load_failed.emit(msg)

    @Slot()
    def _on_load_cancelled(self) -> None:
        self.banner.show_message("Loading was cancelled.", "info")

    @Slot()
    def _on_load_finished(self) -> None:
        self._load_job = None
        self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        self.progress_row.setVisible(busy)
        for w in (self.load_builtin_btn, self.folder_btn, self.csv_btn, self.text_btn):
            w.setEnabled(not busy)

    @property
    def busy(self) -> bool:
        return self.tasks.busy

    def set_dataset(self, ds, summary=None, request: dict | None = None) -> None:
        """Show a loaded Dataset (also usable directly, e.g. by tests and demos)."""
        if summary is None:
            from workbench.core.data import summarize

            summary = summarize(ds)
        self.dataset, self.summary, self.splits = ds, summary, None
        self.request = dict(request or {"source": ds.source})
        i = self.builtin_combo.findData(self.request.get("source"))
        if i >= 0:
            self.builtin_combo.setCurrentIndex(i)
        shape = "x".join(str(s) for s in ds.input_shape) or "text"
        self.info.setText(f"<b>{ds.name}</b> — {len(ds):,} samples, {ds.kind}, input {shape}, {summary.task}"
                          + (f"<br>{ds.description}" if ds.description else "")
                          + (f"<br>{len(ds.skipped)} files skipped (unreadable)." if ds.skipped else ""))
        self._show_samples(ds)
        self._show_summary(summary)
        self.vocab_spin.setEnabled(ds.kind == "text")
        self.missing_combo.setEnabled(ds.kind == "table")
        self.ctx.set_input_shape(None)  # known again once the preprocessing is fitted
        self.ctx.set_dataset(ds, self.request)
        self.ctx.status(f"Loaded {ds.name}: {len(ds):,} samples")
        self.dataset_loaded.emit(ds)
        plan = self._pending_split
        self._pending_split = None
        if plan is not None:
            self._set_plan_widgets(plan)
        self.make_split()

    def _show_samples(self, ds) -> None:
        if ds.kind == "image":
            self.table.hide()
            self.grid.show()
            n = len(ds)
            # A spread over the data set (files are often sorted by class).
            idx = np.unique(np.linspace(0, n - 1, min(GRID_SAMPLES, n)).astype(int))
            names = ds.class_names
            caps = []
            for i in idx:
                y = ds.y[i]
                caps.append(names[int(y)] if names is not None and np.ndim(y) == 0 else str(y))
            tips = [str(ds.paths[i]) if ds.paths is not None else f"sample {i + 1}" for i in idx]
            self.grid.set_images([ds.X[i] for i in idx], caps, tips)
        else:
            self.grid.hide()
            self.table.show()
            self.table_model.set_dataset(ds)
            if ds.kind == "text":
                self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

    def _show_summary(self, s) -> None:
        if s.classes:
            self.class_chart.setTitle("Samples per class")
            self.class_chart.set_bars([c["name"] for c in s.classes], [c["count"] for c in s.classes])
        elif s.target:
            self.class_chart.setTitle("Target (regression): " + ", ".join(
                f"{k} {v:.4g}" for k, v in s.target.items() if isinstance(v, (int, float))))
            self.class_chart.set_bars([], [])
        rows = [dict(f) for f in s.features[:500]]
        self.features_model.set_rows(rows)
        warn = list(s.warnings)
        if s.duplicates.get("groups"):
            warn.append(f"{s.duplicates['extra_copies']} exact duplicate samples "
                        f"({s.duplicates['groups']} groups); they can leak between splits.")
        if s.missing:
            warn.append("Missing values: " + ", ".join(f"{k} ({v})" for k, v in list(s.missing.items())[:12]))
        if warn:
            self.warnings_banner.show_message("<br>".join(f"⚠ {w}" for w in warn), "warning")
        else:
            self.warnings_banner.show_message("No warnings: classes balanced, ranges similar, enough data.", "ok")

    # -- split ---------------------------------------------------------------------------------
    def plan_dict(self) -> dict:
        return {"kind": self.split_kind.currentData(), "val": self.val_spin.value(), "test": self.test_spin.value(),
                "k": self.k_spin.value(), "repeats": self.repeats_spin.value(),
                "stratify": self.stratify_check.isChecked(), "seed": self.seed_spin.value(),
                "drop_duplicates": self.dedupe_check.isChecked()}

    def _set_plan_widgets(self, d: dict) -> None:
        i = self.split_kind.findData(d.get("kind", "holdout"))
        self.split_kind.setCurrentIndex(max(i, 0))
        self.val_spin.setValue(float(d.get("val", 0.2)))
        self.test_spin.setValue(float(d.get("test", 0.2)))
        self.k_spin.setValue(int(d.get("k", 5)))
        self.repeats_spin.setValue(int(d.get("repeats", 3)))
        self.stratify_check.setChecked(bool(d.get("stratify", True)))
        self.seed_spin.setValue(int(d.get("seed", 0)))
        self.dedupe_check.setChecked(bool(d.get("drop_duplicates", False)))

    def set_plan(self, text: str) -> None:
        """Set the split widgets from a plan text such as "kfold:5" (does not make the split)."""
        from workbench.core.data import SplitPlan

        self._set_plan_widgets(SplitPlan.parse(text).to_dict())

    @Slot()
    def _split_kind_changed(self) -> None:
        k = self.split_kind.currentData()
        cv = k in ("kfold", "iterated-kfold", "time-kfold")
        self.val_spin.setEnabled(not cv)
        self.k_spin.setEnabled(cv)
        self.repeats_spin.setEnabled(k == "iterated-kfold")
        self.stratify_check.setEnabled(k not in ("time", "time-kfold"))

    @Slot()
    def make_split(self) -> None:
        if self.dataset is None:
            self.leak_banner.show_message("Load a data set first.", "info")
            return
        self.split_btn.setEnabled(False)
        job = self.tasks.start(split_job, self.dataset, self.plan_dict())
        job.result.connect(self._on_split)
        job.error.connect(self._on_split_error)
        job.finished.connect(self._on_split_finished)

    @Slot()
    def _on_split_finished(self) -> None:
        self.split_btn.setEnabled(True)

    @Slot(str)
    def _on_split_error(self, msg: str) -> None:
        self.leak_banner.show_message(msg, "error")
        self.splits = None
        self.ctx.set_splits(None)

    @Slot(object)
    def _on_split(self, out: dict) -> None:
        plan, splits = out["plan"], out["splits"]
        self.splits = splits
        self.split_desc.setText(plan.describe())
        self._show_split(splits)
        self.ctx.set_splits(splits, plan.to_text(), plan.to_dict())
        if self._restoring:
            self._restoring = False
            self.ctx.mark_dirty(False)
        self.split_made.emit(splits)
        self.refresh_preview()

    def _show_split(self, sp) -> None:
        cc = sp.class_counts
        names = self.dataset.class_names
        series: dict[str, list[float]] = {}
        if names is not None and isinstance(cc.get("all"), dict):
            keys = list(cc["all"].keys())
            if len(sp.folds) == 1:
                parts = {"train": cc["folds"][0].get("train", {}), "val": cc["folds"][0].get("val", {}),
                         "test": cc.get("test", {})}
            else:  # K folds: the first fold's train/val and the test set
                parts = {"train": cc["folds"][0].get("train", {}), "val": cc["folds"][0].get("val", {}),
                         "test": cc.get("test", {})}
            for part, counts in parts.items():
                if counts:
                    series[part] = [float(counts.get(k, 0)) for k in keys]
            self.split_chart.setTitle("Samples per class in each part"
                                      + (" (fold 1 of %d)" % len(sp.folds) if len(sp.folds) > 1 else ""))
            self.split_chart.set_groups([str(k) for k in keys], series)
        else:
            sizes = sp.sizes
            f0 = sizes.get("folds", [{}])[0] if sizes.get("folds") else {}
            vals = [float(f0.get("train", 0)), float(f0.get("val", 0)), float(sizes.get("test", 0))]
            self.split_chart.setTitle("Samples in each part")
            self.split_chart.set_bars(["train", "val", "test"], vals,
                                      colors=[PART_COLORS["train"], PART_COLORS["val"], PART_COLORS["test"]])
        n = max(len(self.dataset), 1)
        rows = []
        test_frac = len(sp.test_idx) / n
        dropped = len(sp.dropped) / n
        for f in sp.folds:
            label = f"fold {f.fold + 1}" + (f" (rep {f.repeat + 1})" if sp.plan.kind == "iterated-kfold" else "")
            if len(sp.folds) == 1:
                label = "hold-out"
            tr, va = len(f.train_idx) / n, len(f.val_idx) / n
            if sp.plan.kind in ("kfold", "iterated-kfold"):
                # Draw the validation block where it sits in the K slices of the non-test data.
                rest = 1.0 - test_frac - dropped
                k = max(sp.plan.k, 1)
                pos = f.fold / k * rest
                parts = [("train", pos), ("val", va), ("train", max(rest - pos - va, 0)), ("test", test_frac)]
            elif sp.plan.kind == "time-kfold":
                used = tr + va
                parts = [("train", tr), ("val", va), ("unused", max(1 - test_frac - dropped - used, 0)),
                         ("test", test_frac)]
            else:
                parts = [("train", tr), ("val", va), ("test", test_frac)]
            if dropped:
                parts.append(("dropped", dropped))
            rows.append((label, parts))
        if len(rows) > 15:
            rows = rows[:15]
        self.folds_diagram.set_rows(rows)
        msgs = []
        level = "ok"
        if sp.leaks:
            level = "warning"
            n_idx = sum(len(lk.indices) for lk in sp.leaks)
            where = sorted({"/".join(lk.splits) for lk in sp.leaks})
            msgs.append(f"Leak check: {len(sp.leaks)} groups of identical samples ({n_idx} samples) appear in more "
                        f"than one part ({', '.join(where[:4])}). Tick “drop duplicates” to remove them "
                        "from the non-test side.")
        else:
            msgs.append("Leak check: no sample appears in more than one part.")
        if len(sp.dropped):
            msgs.append(f"{len(sp.dropped)} duplicate samples were dropped.")
        for w in sp.warnings:
            level = "warning"
            msgs.append(w)
        self.leak_banner.show_message(" ".join(msgs), level)

    # -- preprocessing ---------------------------------------------------------------------------
    def preprocessing_settings(self) -> dict:
        return {"scale": self.scale_combo.currentData(), "missing": self.missing_combo.currentData(),
                "vocab_size": self.vocab_spin.value()}

    def _set_preprocessing_widgets(self, d: dict) -> None:
        for combo, key, default in ((self.scale_combo, "scale", "none"), (self.missing_combo, "missing", "zero")):
            i = combo.findData(d.get(key, default))
            combo.blockSignals(True)
            combo.setCurrentIndex(max(i, 0))
            combo.blockSignals(False)
        self.vocab_spin.blockSignals(True)
        self.vocab_spin.setValue(int(d.get("vocab_size", 10000)))
        self.vocab_spin.blockSignals(False)

    @Slot()
    def _preprocessing_edited(self) -> None:
        self.ctx.set_preprocessing(self.preprocessing_settings())
        self.refresh_preview()

    def refresh_preview(self) -> None:
        if self.dataset is None:
            return
        train_idx = self.splits.train_idx if self.splits is not None else np.arange(len(self.dataset))
        job = self.tasks.start(preview_job, self.dataset, self.preprocessing_settings(), train_idx)
        job.result.connect(self._on_preview)
        job.error.connect(self._on_preview_error)

    @Slot(str)
    def _on_preview_error(self, msg: str) -> None:
        self.pre_banner.show_message(msg, "error")

    @Slot(object)
    def _on_preview(self, out: dict) -> None:
        ds = self.dataset
        if ds is None:
            return
        if self.ctx.preprocessing != self.preprocessing_settings():
            self.ctx.set_preprocessing(self.preprocessing_settings())
        shape = "x".join(map(str, out["output_shape"]))
        self.ctx.set_input_shape(out["output_shape"])
        self.pre_desc.setText(f"{out['describe']} — model input per sample: {shape}")
        if out["warnings"]:
            self.pre_banner.show_message("<br>".join(f"⚠ {w}" for w in out["warnings"]), "warning")
        else:
            self.pre_banner.clear_message()
        rows = []
        for j, i in enumerate(out["idx"]):
            after = np.asarray(out["after"][j], dtype=np.float64)
            raw = ds.X[i]
            if ds.kind == "text":
                before_txt = str(raw)[:80]
                nz = np.flatnonzero(after)
                after_txt = f"{len(nz)} of {after.size} words present"
                rmin = None
            else:
                r = np.asarray(raw, dtype=np.float64).ravel()
                before_txt = " ".join(_num(v) for v in r[:6]) + (" …" if r.size > 6 else "")
                after_txt = " ".join(_num(v) for v in after.ravel()[:6]) + (" …" if after.size > 6 else "")
                fin = r[np.isfinite(r)]
                rmin = f"{fin.min():.4g} … {fin.max():.4g}" if fin.size else "—"
            rows.append({"sample": int(i) + 1, "before": before_txt, "before range": rmin,
                         "after": after_txt, "after range": f"{after.min():.4g} … {after.max():.4g}"})
        self.preview_model.set_rows(rows, [("sample", "#"), ("before", "before"), ("before range", "range"),
                                           ("after", "after"), ("after range", "range")])
        if ds.kind == "image":
            self.preview_images.show()
            imgs, caps = [], []
            for j, i in enumerate(out["idx"][:4]):
                imgs += [ds.X[i], out["after"][j]]
                caps += [f"#{i + 1} before", f"#{i + 1} after"]
            self.preview_images.set_images(imgs, caps)
        else:
            self.preview_images.hide()
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
            self.load_path(str(p), text=bool(self.text_col_edit.text().strip()) and self._looks_like_text(p))
            e.acceptProposedAction()
        else:
            self.banner.show_message(f"{p.name} is not a folder or a CSV file.", "error")

    @staticmethod
    def _looks_like_text(p: Path) -> bool:
        if p.is_dir():
            return False
        try:
            head = p.open(encoding="utf-8", errors="replace").readline().lower()
        except OSError:
            return False
        return "text" in [c.strip().strip('"') for c in head.split(",")]

    # -- panel contract --------------------------------------------------------------------------
    def state(self) -> dict:
        return {"request": self.request, "preprocessing": self.preprocessing_settings(), "split": self.plan_dict(),
                "tab": self.tabs.currentIndex(),
                "options": {"target": self.target_edit.text(), "time": self.time_edit.text(),
                            "text": self.text_col_edit.text(), "image_size": self.image_size.value()}}

    def restore(self, state: dict) -> None:
        state = state or {}
        o = state.get("options") or {}
        self.target_edit.setText(str(o.get("target", "")))
        self.time_edit.setText(str(o.get("time", "")))
        self.text_col_edit.setText(str(o.get("text", "text")))
        self.image_size.setValue(int(o.get("image_size", 64)))
        if isinstance(state.get("preprocessing"), dict):
            self._set_preprocessing_widgets(state["preprocessing"])
            self.ctx.set_preprocessing(self.preprocessing_settings())
        if isinstance(state.get("split"), dict):
            self._set_plan_widgets(state["split"])
        self.tabs.setCurrentIndex(int(state.get("tab", 0) or 0))
        req = state.get("request")
        if isinstance(req, dict) and req.get("source"):
            self._pending_split = state.get("split") if isinstance(state.get("split"), dict) else None
            self._restoring = True  # reloading what the project holds is not an unsaved change
            self.load(req)


    def shutdown(self) -> None:
        self.tasks.stop_and_wait()


def _frac_spin(v: float) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(0.0, 0.9)
    s.setSingleStep(0.05)
    s.setDecimals(2)
    s.setValue(v)
    return s


def _num(v: float) -> str:
    if not math.isfinite(v):
        return "nan"
    return f"{v:.3g}"


def _demo(ctx, panel) -> None:
    panel.load({"source": "builtin:digits"})


if __name__ == "__main__":
    from workbench.ui.panels.base import run_panel_standalone

    raise SystemExit(run_panel_standalone(DataPanel, setup=_demo))
