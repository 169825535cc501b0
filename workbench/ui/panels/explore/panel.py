"""The Explore panel: beyond labels. A data bar (the Data panel's data set or a built-in one), one
progress row and banner shared by the tabs, and one tab per task: Projector (embeddings,
projections, the scatter), Clusters, Anomalies, Autoencoder, Forecast, Language model.

The tabs share what the panel holds (the data set, the current embedding, projection and
clustering) and the panel's one ``JobRunner``: one long job at a time, Stop reaches it (and its
Trainer). Every computation is a ``workbench.core.explore`` call.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QTabWidget, QVBoxLayout,
)

from workbench.ui.job_runner import JobRunner
from workbench.ui.panels.base import Panel
from workbench.ui.widgets import Banner

BUILTIN_CHOICES = ("digits", "mnist", "iris", "wine", "breast_cancer", "diabetes", "imdb")


def load_job(source: str, progress=None, should_cancel=None):
    from workbench.core.data import load_data

    return load_data(source, progress=progress, should_cancel=should_cancel)


class ExplorePanel(Panel):
    """Signals:
        dataset_ready(object)      the data set the tabs work on (after a load or a Data-panel change)
        embedding_ready(object)    a new core.explore.Embedding
        projection_ready(object)   a new core.explore.Projection of the current embedding
        clustering_ready(object)   a new core.explore.Clustering of the current embedding
        runs_changed()             a run was added to the project (an autoencoder, a forecaster, ...)
    """

    title = "Explore"
    icon_name = "SP_FileDialogContentsView"
    dataset_ready = Signal(object)
    embedding_ready = Signal(object)
    projection_ready = Signal(object)
    clustering_ready = Signal(object)
    runs_changed = Signal()

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.dataset = None
        self.embedding = None
        self.projection = None
        self.clustering = None
        self._scratch: Path | None = None
        self._build()
        ctx.dataset_changed.connect(self._on_ctx_dataset)
        ctx.project_changed.connect(self.runs_changed.emit)
        ctx.project_saving.connect(self._keep_scratch_runs)

    # -- UI --------------------------------------------------------------------------------------
    def _build(self) -> None:
        from workbench.ui.panels.explore.anomalies import AnomaliesTab
        from workbench.ui.panels.explore.autoencoder import AutoencoderTab
        from workbench.ui.panels.explore.clusters import ClustersTab
        from workbench.ui.panels.explore.forecast import ForecastTab
        from workbench.ui.panels.explore.language import LanguageTab
        from workbench.ui.panels.explore.projector import ProjectorTab

        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Data:"))
        self.data_combo = QComboBox()
        self.data_combo.addItem("the Data panel's data set", "")
        for name in BUILTIN_CHOICES:
            self.data_combo.addItem(f"builtin:{name}", f"builtin:{name}")
        self.data_combo.setCurrentIndex(1)
        bar.addWidget(self.data_combo)
        self.load_btn = QPushButton("Use")
        self.load_btn.clicked.connect(self._on_use)
        bar.addWidget(self.load_btn)
        self.data_label = QLabel("No data yet: choose a data set and press Use.")
        self.data_label.setWordWrap(True)
        bar.addWidget(self.data_label, 1)
        lay.addLayout(bar)

        row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setTextVisible(True)
        self.status = QLabel("")
        self.stop_btn = QPushButton("Stop")
        row.addWidget(self.progress, 1)
        row.addWidget(self.status, 2)
        row.addWidget(self.stop_btn)
        lay.addLayout(row)
        self.banner = Banner()
        lay.addWidget(self.banner)
        self.jobs = JobRunner(self, banner=self.banner, status=self.status, progress=self.progress,
                              cancel_button=self.stop_btn)

        self.tabs = QTabWidget()
        self.projector = ProjectorTab(self)
        self.clusters = ClustersTab(self)
        self.anomalies = AnomaliesTab(self)
        self.autoencoder = AutoencoderTab(self)
        self.forecast = ForecastTab(self)
        self.language = LanguageTab(self)
        for tab, name in ((self.projector, "Projector"), (self.clusters, "Clusters"), (self.anomalies, "Anomalies"),
                          (self.autoencoder, "Autoencoder"), (self.forecast, "Forecast"),
                          (self.language, "Language model")):
            self.tabs.addTab(tab, name)
        lay.addWidget(self.tabs, 1)

    # -- shared state ------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.jobs.busy

    def project_dir(self) -> Path:
        """Where runs go: the open project, else a scratch folder for this session."""
        if self.ctx.project_dir:
            return Path(self.ctx.project_dir)
        if self._scratch is None:
            self._scratch = Path(tempfile.mkdtemp(prefix="workbench-explore-"))
        return self._scratch

    def run_folders(self) -> list[Path]:
        return [self.project_dir()]

    def set_dataset(self, ds) -> None:
        self.dataset = ds
        self.embedding = self.projection = self.clustering = None
        self.data_label.setText(f"{ds.name}: {ds.description or ds.kind} ({len(ds):,} samples)" if ds is not None
                                else "No data.")
        self.dataset_ready.emit(ds)

    def set_embedding(self, emb) -> None:
        self.embedding, self.projection, self.clustering = emb, None, None
        self.embedding_ready.emit(emb)

    def set_projection(self, proj) -> None:
        self.projection = proj
        self.projection_ready.emit(proj)

    def set_clustering(self, c) -> None:
        self.clustering = c
        self.clustering_ready.emit(c)

    def start(self, fn, /, *args, on_result=None, label: str = "", trainer=None, **kwargs):
        return self.jobs.start(fn, *args, on_result=on_result, label=label, trainer=trainer, **kwargs)

    def say(self, text: str, level: str = "info") -> None:
        self.banner.show_message(text, level)

    # -- data --------------------------------------------------------------------------------------
    @Slot()
    def _on_use(self) -> None:
        src = self.data_combo.currentData()
        if not src:
            if self.ctx.dataset is None:
                self.say("The Data panel has no data set yet; load one there or pick a built-in set.", "warning")
                return
            self.set_dataset(self.ctx.dataset)
            return
        self.load(src)

    def load(self, source: str) -> None:
        i = self.data_combo.findData(source)
        if i >= 0:
            self.data_combo.setCurrentIndex(i)
        self.start(load_job, source, on_result=self.set_dataset, label=f"Loading {source} ...")

    @Slot(object)
    def _on_ctx_dataset(self, ds) -> None:
        if ds is not None and self.data_combo.currentData() == "" and not self.busy:
            self.set_dataset(ds)

    # -- panel contract ------------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.autoencoder.shutdown()
        self.forecast.shutdown()
        self.language.shutdown()
        self.jobs.shutdown()

    state_section = "explore"

    def state(self) -> dict:
        return {"data": self.data_combo.currentData(), "tab": self.tabs.currentIndex(),
                "projector": self.projector.state(), "autoencoder": self.autoencoder.state()}

    def restore(self, state: dict) -> None:
        state = state or {}
        i = self.data_combo.findData(state.get("data", "builtin:digits"))
        if i >= 0:
            self.data_combo.setCurrentIndex(i)
        if isinstance(state.get("tab"), int) and 0 <= state["tab"] < self.tabs.count():
            self.tabs.setCurrentIndex(state["tab"])
        self.projector.restore(state.get("projector") or {})
        self.autoencoder.restore(state.get("autoencoder") or {})

    def restore_files(self, state: dict) -> None:
        """Each trainer's tab shows the newest run of its kind the project holds."""
        from workbench.core.explore.autoencoder import autoencoder_view
        from workbench.core.explore.forecast import forecast_view
        from workbench.core.explore.language import language_view

        for kind, tab, view in (("autoencoder", self.autoencoder, autoencoder_view),
                                ("language_model", self.language, language_view),
                                ("forecast", self.forecast, forecast_view)):
            run = next((r for r in reversed(self.ctx.runs) if r.get("kind") == kind and r.get("run_id")), None)
            if run is not None:
                tab.show_run(view(run))

    def _keep_scratch_runs(self, project_dir: str) -> None:
        """Saving a project for the first time: the runs trained before it had a folder go with it."""
        from workbench.core.runs import RunStore

        if self._scratch is None or self.ctx.project_dir is not None:
            return
        scratch, store = RunStore(self._scratch), RunStore(project_dir)
        for run_id in scratch.ids():
            if not store.exists(run_id):
                store.copy_from(scratch, run_id)

    def on_shown(self) -> None:
        self.runs_changed.emit()
