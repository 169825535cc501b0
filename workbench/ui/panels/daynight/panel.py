"""Case study "Day'n'Night": the course's questions, each answered by trying it.

Data? Split? Bias? Input? Output? Architecture? Loss? -- then Train, Results, Use (files and the
live camera with a P(day) gauge) and Export: one page module each (``data_pages``,
``model_pages``, ``train_page``, ``results_page``, ``use_page``, ``export_page``). The logic lives
in ``workbench.core.studies.daynight``; this panel starts its functions on a ``JobRunner`` (one
for the jobs, one for the live camera loop) and shows what they return. Results come from the
trained run's own test images, so regenerating the data afterwards changes nothing in them.
"""
from __future__ import annotations

from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QFileDialog, QListWidget, QSplitter, QStackedWidget, QVBoxLayout

from workbench.ui.job_runner import JobRunner
from workbench.ui.panels.base import Panel
from workbench.ui.panels.daynight.data_pages import TINT_NAMES, BiasPage, DataPage, SplitPage
from workbench.ui.panels.daynight.export_page import ExportPage
from workbench.ui.panels.daynight.model_pages import SIZES, ArchitecturePage, InputPage, OutputPage
from workbench.ui.panels.daynight.results_page import ResultsPage
from workbench.ui.panels.daynight.saved import SavedWork
from workbench.ui.panels.daynight.train_page import TrainPage
from workbench.ui.panels.daynight.use_page import UsePage
from workbench.ui.training_bridge import LiveTraining
from workbench.ui.widgets import Banner, FileDrops, job_bar

QUESTIONS = [
    ("data", "1. Data?", "10K images. How many do we need, and what do they show?", DataPage),
    ("split", "2. Split?", "Train / validation / test: the test set is used once, at the end.", SplitPage),
    ("bias", "3. Bias?", "Class balance, hard cases, a camera the model never saw.", BiasPage),
    ("input", "4. Input?", "Resolution (64, 64, 3). Would 32 px do? Does 128 px pay?", InputPage),
    ("output", "5. Output?", "y = 0 or 1 with a sigmoid: one probability.", OutputPage),
    ("architecture", "6. Architecture?", "A shallow CNN.", ArchitecturePage),
    ("train", "7. Loss? Train", "Binary cross-entropy. Train it and watch the curves.", TrainPage),
    ("results", "8. Results", "Per subgroup, and the mistakes it was most sure about.", ResultsPage),
    ("use", "9. Use it", "Classify files, folders, or the live camera.", UsePage),
    ("export", "10. Export", "TorchScript (+ ONNX) with a metadata file.", ExportPage),
]


class DayNightPanel(FileDrops, SavedWork, Panel):
    """Case study 1: day or night, from 10,000 generated images to a live camera."""

    title = "Day & Night"
    icon_name = "SP_DesktopIcon"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.setAcceptDrops(True)
        self.dataset = None  # Dataset (generated or imported)
        self.outcome = None  # TrainOutcome of the last training
        self.model = None  # DayNightModel (or an exported model) in use
        self.data_source: dict = {}  # how the data set in use was made: {"generated": kwargs} | {"folder": path}
        self._next_source: dict | None = None  # the same for the data set being made
        self.model_dir = ""  # where the project holds a copy of the model in use
        self._model_written: tuple | None = None  # (model, folder) last copied into a project
        self.sweep_rows: list[dict] = []
        self._build()
        self.jobs = JobRunner(self, banner=self.banner, status=self.status, progress=self.progress,
                              cancel_button=self.cancel_btn)
        self.jobs.job_finished.connect(self._after_job)
        self.use_page.live_failed.connect(self._on_live_failed)
        # each fit (each size of a sweep) starts a fresh chart; redraws <= 10 Hz
        self.live_training = LiveTraining(self, self._draw_training, fresh_per_fit=True)
        ctx.run_finished.connect(self._show_runs)  # the runs are the project's, filtered by kind
        ctx.runs_reset.connect(self._show_runs)
        ctx.project_saving.connect(self._write_model)
        self._show_runs()

    # ------------------------------------------------------------------------------------ build
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        self.banner = Banner()
        outer.addWidget(self.banner)
        split = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(split, 1)
        self.nav = QListWidget()
        self.nav.setMaximumWidth(190)
        self.pages = QStackedWidget()
        self.page_index: dict[str, int] = {}
        for key, label, tip, page_cls in QUESTIONS:
            self.nav.addItem(label)
            self.nav.item(self.nav.count() - 1).setToolTip(tip)
            page = page_cls(f"<h3>{label}</h3><p>{tip}</p>")
            setattr(self, f"{key}_page", page)
            self.page_index[key] = self.pages.count()
            self.pages.addWidget(page)
        split.addWidget(self.nav)
        split.addWidget(self.pages)
        split.setStretchFactor(0, 0)
        split.setStretchFactor(1, 1)
        split.setCollapsible(0, False)
        split.setSizes([self.nav.maximumWidth(), 4 * self.nav.maximumWidth()])  # no gap beside the list
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.nav.setCurrentRow(0)
        bottom, self.status, self.progress, self.cancel_btn = job_bar(
            "Generate or drop a folder of day/ and night/ images to start.")
        outer.addLayout(bottom)
        self._connect_pages()

    def _connect_pages(self) -> None:
        d, b, i, a, t, u, e = (self.data_page, self.bias_page, self.input_page, self.architecture_page,
                               self.train_page, self.use_page, self.export_page)
        for button, slot in (
                (d.generate_btn, self.generate), (b.regenerate_btn, self.generate),
                (d.write_btn, partial(self._ask_folder, "Write the generated images to…", self.write_folder)),
                (d.import_btn, partial(self._ask_folder, "Folder with one subfolder per class (day/, night/)",
                                       self.import_folder)),
                (b.shift_btn, self.evaluate_shift), (i.sweep_btn, self.run_sweep), (a.show_btn, self.show_architecture),
                (a.to_model_btn, self.send_to_model_panel), (t.train_btn, self.train), (t.stop_btn, self.stop_training),
                (u.classify_btn, self._ask_classify),
                (u.live_btn, self.toggle_live),
                (e.export_btn, partial(self._ask_folder, "Export the model to…", self.export)),
                (e.save_btn, partial(self._ask_folder, "Save the model to…", self.save_model)),
                (e.load_btn, partial(self._ask_folder, "A saved model or export folder", self.load_model))):
            button.clicked.connect(slot)
        for s in (self.split_page.val_spin, self.split_page.test_spin, d.n_spin):
            s.valueChanged.connect(self._update_split_info)
        i.size_combo.currentTextChanged.connect(self.show_architecture)
        self.output_page.threshold_spin.valueChanged.connect(self._threshold_changed)
        self._update_split_info()

    def _ask_folder(self, title: str, then, *_) -> None:
        d = QFileDialog.getExistingDirectory(self, title)
        if d:
            then(d)

    # ------------------------------------------------------------------------------- helpers
    def go(self, key: str) -> None:
        self.nav.setCurrentRow(self.page_index[key])

    def size(self) -> int:
        return self.input_page.size()

    @Slot()
    def _after_job(self) -> None:
        self.train_page.set_running(False)
        self.live_training.stop()

    def _update_split_info(self, *_) -> None:
        self.split_page.show_sizes(len(self.dataset) if self.dataset is not None else self.data_page.n_spin.value())

    def _need(self, what: str) -> bool:
        """Say what is missing: "data" (no images yet) or "model" (nothing trained or loaded)."""
        if what == "data" and self.dataset is None:
            self.banner.show_message("No images yet: generate a data set (1. Data?) or drop a folder first.", "warning")
            self.go("data")
            return False
        if what == "model" and self.model is None:
            self.banner.show_message("Train or load a model first (7. Loss? Train, or Export → Load model).", "warning")
            return False
        return True

    # ---------------------------------------------------------------------------------- data
    def generation_kwargs(self) -> dict:
        b = self.bias_page
        return dict(n=self.data_page.n_spin.value(), size=self.size(), balance=b.balance_spin.value(),
                    hard_share=b.hard_spin.value(), seed=self.data_page.seed_spin.value(), tint=b.tint(),
                    only_groups=b.only_groups())

    def generate(self) -> None:
        self._generate(self.generation_kwargs())

    def _generate(self, kw: dict) -> None:
        from workbench.core.studies.daynight.data import generate_dataset

        if self.jobs.start(generate_dataset, on_result=self.set_dataset, label=f"Generating {kw['n']:,} scenes…",
                           **kw) is not None:
            self._next_source = {"generated": dict(kw)}

    @Slot(object)
    def set_dataset(self, ds) -> None:
        from workbench.core.studies.daynight.data import with_groups

        self.dataset = with_groups(ds)
        if self._next_source is not None:
            self.data_source, self._next_source = self._next_source, None
        self.data_page.show_dataset(self.dataset)
        self._update_split_info()
        self.status.setText(f"{len(ds):,} images ready.")
        self.ctx.status(f"Day & Night: {len(ds):,} images")

    def write_folder(self, folder: str) -> None:
        from workbench.core.studies.daynight.data import write_folder

        kw = self.generation_kwargs()
        self.jobs.start(write_folder, folder, on_result=self._on_written, label=f"Writing {kw['n']:,} images…", **kw)

    @Slot(object)
    def _on_written(self, summary) -> None:
        self.banner.show_message(f"Wrote {summary['n']:,} images to {summary['path']} "
                                 f"({summary['classes']['day']:,} day, {summary['classes']['night']:,} night).", "ok")

    def import_folder(self, folder: str) -> None:
        from workbench.core.data import load_image_folder

        s = self.size()
        if self.jobs.start(load_image_folder, folder, (s, s), on_result=self.set_dataset,
                           label=f"Importing {folder}…") is not None:
            self._next_source = {"folder": str(folder)}

    # ------------------------------------------------------------------------------ training
    def _train_kwargs(self) -> dict:
        from workbench.core.runs import RunStore

        return dict(seed=self.data_page.seed_spin.value(), split=self.split_page.split_text(),
                    run_store=RunStore(self.ctx.project_dir) if self.ctx.project_dir is not None else None,
                    **self.train_page.settings())

    def _start_training(self, fn, *args, **kwargs):
        """Start a training job with a fresh Trainer that Stop / Cancel reach between batches."""
        trainer = self.live_training.trainer()
        job = self.jobs.start(partial(fn, trainer=trainer), *args, trainer=trainer, on_cancelled=self._stopped_early,
                              **kwargs)
        if job is not None:
            self.train_page.set_running(True)
        return job

    @Slot()
    def _stopped_early(self) -> None:
        """Stop before the first epoch ended (the task runner ends the job there at once)."""
        self.banner.show_message("Stopped before the first epoch ended: nothing was trained or saved.", "info")

    def stop_training(self) -> None:
        self.jobs.stop_training()

    def cancel_job(self) -> None:
        self.jobs.cancel()

    def train(self) -> None:
        from workbench.core.studies.daynight.model import train_at_size

        if not self._need("data"):
            return
        if self._start_training(train_at_size, self.dataset, self.size(), on_result=self._on_trained,
                                label=f"Training at {self.size()} px…", **self._train_kwargs()) is not None:
            self.go("train")

    def _draw_training(self, b) -> None:
        self.train_page.show_buffer(b)
        p = b.progress()
        if p["total_epochs"] and self.jobs.trainer is not None:
            self.progress.setValue(int(100 * p["fraction"]))
            eta = f", ETA {p['eta_s']:.0f} s" if p.get("eta_s") else ""
            self.status.setText(f"Epoch {p['epochs_done']:.1f}/{p['total_epochs']}, {p['samples_per_s']:.0f} samples/s{eta}")

    @Slot(object)
    def _on_trained(self, outcome) -> None:
        self.outcome = outcome
        self.model = outcome.model
        self.model.threshold = self.output_page.threshold_spin.value()
        self.ctx.add_run(outcome.record.to_dict())  # the runs table follows (run_finished)
        self.show_results()
        self.status.setText(f"Test accuracy {outcome.test_accuracy:.1%} at {outcome.model.size} px, "
                            f"{outcome.train_time:.1f} s of training.")
        self.banner.show_message(outcome.fit.message or "Training finished.",
                                 "ok" if outcome.fit.stop_reason != "nan" else "warning")

    @Slot()
    def _threshold_changed(self, *_) -> None:
        if self.model is not None:
            self.model.threshold = self.output_page.threshold_spin.value()  # live labels and files follow it
        self.show_results()

    def show_results(self) -> None:
        """The last training's results at the chosen threshold, from its own test images."""
        if self.outcome is None:
            return
        rep = self.outcome.report(self.output_page.threshold_spin.value())
        self.results_page.show_report(rep)
        self.output_page.show_report(rep)

    # --------------------------------------------------------------------------------- sweep
    def run_sweep(self) -> None:
        from workbench.core.studies.daynight.model import resolution_sweep

        if not self._need("data"):
            return
        sizes = self.input_page.sweep_sizes()
        if not sizes:
            self.banner.show_message("Tick at least one resolution for the sweep.", "warning")
            return
        self.sweep_rows = []
        self.input_page.show_sweep([])
        self._start_training(resolution_sweep, self.dataset, sizes, on_result=self._on_sweep,
                             label=f"Resolution sweep {sizes}…", **self._train_kwargs())

    @Slot(object)
    def _on_sweep(self, rows) -> None:
        self.sweep_rows = list(rows)
        self.input_page.show_sweep(self.sweep_rows)
        self.status.setText("Sweep done: " + ", ".join(f"{r['size']} px {r['test_accuracy']:.1%} in "
                                                       f"{r['train_time']:.0f} s" for r in rows))

    # ---------------------------------------------------------------------------- shift/eval
    def evaluate_shift(self) -> None:
        from workbench.core.studies.daynight.model import evaluate_shifted

        if not self._need("model"):
            return
        shift = self.bias_page.shift_combo.currentText()
        self.jobs.start(evaluate_shifted, self.model, shift, 1000, on_result=self._on_shift,
                        label=f"Scoring on '{shift}'…")

    @Slot(object)
    def _on_shift(self, res) -> None:
        self.bias_page.show_shift(res)
        own = f" (own test split {self.outcome.test_accuracy:.1%})" if self.outcome is not None else ""
        self.banner.show_message(f"Shifted test set: accuracy {res['accuracy']:.1%}{own}.", "info")

    # --------------------------------------------------------------------------- architecture
    @Slot()
    def show_architecture(self, *_) -> None:
        self.architecture_page.show_layers(self.size())

    def send_to_model_panel(self) -> None:
        """The shallow CNN, its sigmoid head and these images become the app's model and data."""
        from workbench.core.studies.daynight.model import make_head, model_spec
        from workbench.core.workflow import input_shape_for

        self.ctx.set_model_spec(model_spec())
        self.ctx.set_head(make_head())
        if self.dataset is not None:
            self.ctx.set_dataset(self.dataset)
            self.ctx.set_input_shape(input_shape_for(self.dataset, self.ctx.preprocessing))
        self.ctx.status("Shallow CNN and the Day & Night data sent to the Data/Model/Train panels.")

    # ---------------------------------------------------------------------------- classify
    def _ask_classify(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Images to classify", "", "Images (*.png *.jpg *.jpeg *.bmp *.webp)")
        if files:
            self.classify(files)

    def classify(self, paths: list[str]) -> None:
        from workbench.core.studies.daynight.model import classify_paths

        if not self._need("model"):
            return
        self.go("use")
        self.jobs.start(classify_paths, self.model, list(paths), on_result=self._on_classified,
                        label=f"Classifying {len(paths)} path(s)…")

    @Slot(object)
    def _on_classified(self, result) -> None:
        rows, skipped = result
        self.use_page.show_classified(rows)
        if skipped:
            self.banner.show_message(f"Skipped {len(skipped)}: " + "; ".join(
                f"{Path(f).name} ({why})" for f, why in skipped[:5]), "warning")
        self.status.setText(f"Classified {len(rows)} image(s).")

    # ---------------------------------------------------------------------------------- live
    def toggle_live(self) -> None:
        if self.use_page.jobs.busy:
            self.stop_live()
        else:
            self.start_live(self.use_page.source())

    def start_live(self, spec: str) -> None:
        if self._need("model"):
            self.use_page.start_live(self.model, spec)

    def stop_live(self) -> None:
        self.use_page.stop_live()

    @Slot(str)
    def _on_live_failed(self, msg: str) -> None:
        self.banner.show_message(msg, "warning")

    # -------------------------------------------------------------------------------- export
    def export(self, folder: str) -> None:
        from workbench.core.studies.daynight.export import export_model
        from workbench.core.studies.daynight.model import DayNightModel

        if not self._need("model"):
            return
        if not isinstance(self.model, DayNightModel):
            self.banner.show_message("This model was loaded from an export; it is already exported.", "info")
            return
        self.jobs.start(export_model, self.model, folder, on_result=self._on_exported, label="Exporting…")

    @Slot(object)
    def _on_exported(self, res) -> None:
        self.export_page.show_export(res)
        self.banner.show_message("Exported.", "ok")

    def save_model(self, folder: str) -> None:
        if self._need("model"):
            self.model.save(folder)
            self.export_page.info.setPlainText(f"Saved to {folder} (model.json + weights.pt).")

    def load_model(self, folder: str) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.daynight.export import META_FILE, load_exported
        from workbench.core.studies.daynight.model import DayNightModel

        try:
            self.model = load_exported(folder) if (Path(folder) / META_FILE).exists() else DayNightModel.load(folder)
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return
        self.model.threshold = self.output_page.threshold_spin.value()
        self.banner.show_message(f"Loaded the model from {folder} ({self.model.size} px).", "ok")

    # ---------------------------------------------------------------------------- drag/drop
    def files_dropped(self, paths: list[str]) -> None:
        """A video: play it live. A folder on the data pages (or with no model yet): import it.
        Files with a model: classify them."""
        from workbench.core.capture.camera import VIDEO_EXTENSIONS

        on_data = self.pages.currentIndex() in (self.page_index["data"], self.page_index["bias"])
        if len(paths) == 1 and Path(paths[0]).suffix.lower() in VIDEO_EXTENSIONS:
            self.use_page.source_combo.setEditText(paths[0])  # a video is a camera stand-in: play it live
            self.go("use")
            if self.model is None:
                self.banner.show_message("Train or load a model first, then press Start live.", "info")
            elif self.use_page.jobs.busy:
                self.stop_live()  # one source at a time: press Start live again for the video
            else:
                self.start_live(paths[0])
        elif len(paths) == 1 and Path(paths[0]).is_dir() and (on_data or self.model is None):
            self.import_folder(paths[0])
        elif self.model is not None:
            self.classify(paths)
        else:
            self.banner.show_message("Drop a folder with day/ and night/ subfolders to train on it, or train a "
                                     "model first to classify single images.", "info")

    handle_drop = files_dropped

    # -------------------------------------------------------------------------- lifecycle
    def on_shown(self) -> None:
        if not self.architecture_page.text.toPlainText():
            self.show_architecture()

    def shutdown(self) -> None:
        self.live_training.timer.stop()
        self.use_page.jobs.shutdown()
        self.jobs.shutdown()

    _STATE = (("n", "data_page.n_spin", int), ("seed", "data_page.seed_spin", int),
              ("balance", "bias_page.balance_spin", float), ("hard_share", "bias_page.hard_spin", float),
              ("val", "split_page.val_spin", float), ("test", "split_page.test_spin", float),
              ("epochs", "train_page.epochs_spin", int), ("batch_size", "train_page.batch_spin", int),
              ("lr", "train_page.lr_spin", float), ("patience", "train_page.patience_spin", int),
              ("threshold", "output_page.threshold_spin", float))

    def _spin(self, path: str):
        page, name = path.split(".")
        return getattr(getattr(self, page), name)

    state_section = "daynight"

    def state(self) -> dict:
        d = {key: self._spin(path).value() for key, path, _ in self._STATE}
        d.update(size=self.size(), tint=self.bias_page.tint_combo.currentText(),
                 groups=[g for g, c in self.bias_page.group_checks.items() if c.isChecked()],
                 source=self.use_page.source_combo.currentText(), page=self.nav.currentRow(), sweep=self.sweep_rows,
                 data_source=self.data_source, model_dir=self.model_dir)
        return d

    def restore(self, state: dict) -> None:
        s = dict(state or {})
        for key, path, cast in self._STATE:
            if key in s:
                try:
                    self._spin(path).setValue(cast(s[key]))
                except (TypeError, ValueError):
                    pass
        if str(s.get("size")) in SIZES:
            self.input_page.size_combo.setCurrentText(str(s["size"]))
        if s.get("tint") in TINT_NAMES:
            self.bias_page.tint_combo.setCurrentText(s["tint"])
        if isinstance(s.get("groups"), list):
            for g, cb in self.bias_page.group_checks.items():
                cb.setChecked(g in s["groups"])
        if isinstance(s.get("source"), str):
            self.use_page.source_combo.setEditText(s["source"])
        if isinstance(s.get("sweep"), list):
            try:
                self.sweep_rows = [dict(r) for r in s["sweep"]]
                self.input_page.show_sweep(self.sweep_rows)
            except (TypeError, KeyError, ValueError):
                self.sweep_rows = []
        if isinstance(s.get("page"), int) and 0 <= s["page"] < self.nav.count():
            self.nav.setCurrentRow(s["page"])


def demo(ctx, panel) -> None:
    panel.data_page.n_spin.setValue(2000)
