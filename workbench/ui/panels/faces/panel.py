"""Faces panel: live feed with names and enrollment on the left; Gallery, Encoder, Verify &
identify and Cluster tabs on the right. The logic is in ``workbench.core.studies.faces``.

State shared by the tabs lives here: the encoder in use, the gallery, the detector choice and the
live hand-over (``LiveState``). Long work goes through two ``JobRunner``s: ``jobs`` (gallery,
encoder, training, evaluation, verify, identify, cluster; one at a time) and ``live_jobs`` (the
camera loop, which runs beside them).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from workbench.ui.job_runner import JobRunner
from workbench.ui.panels.base import Panel
from workbench.ui.panels.faces.cluster_tab import ClusterTab
from workbench.ui.panels.faces.encoder_tab import EncoderTab
from workbench.ui.panels.faces.gallery_tab import GalleryTab
from workbench.ui.panels.faces.live_view import LiveView
from workbench.ui.panels.faces.verify_tab import VerifyTab
from workbench.ui.widgets import Banner


class FacesPanel(Panel):
    title = "Faces"
    icon_name = "SP_FileDialogContentsView"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        from workbench.core.studies.faces.live import LiveState

        self.live = LiveState()
        self.encoder = None
        self.gallery = None
        self._finders: dict[str, object] = {}
        self._auto_loaded = False
        root = QVBoxLayout(self)
        self.banner = Banner()
        root.addWidget(self.banner)
        split = QSplitter(Qt.Orientation.Horizontal)
        root.addWidget(split, 1)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        self.live_view = LiveView(self)
        ll.addWidget(self.live_view, 1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        ll.addWidget(self.status)
        split.addWidget(left)
        self.tabs = QTabWidget()
        self.gallery_tab = GalleryTab(self)
        self.encoder_tab = EncoderTab(self)
        self.verify_tab = VerifyTab(self)
        self.cluster_tab = ClusterTab(self)
        self.tabs.addTab(self.gallery_tab, "Gallery")
        self.tabs.addTab(self.encoder_tab, "Encoder")
        self.tabs.addTab(self.verify_tab, "Verify && identify")
        self.tabs.addTab(self.cluster_tab, "Cluster")
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.splitter = split
        self.remember_splitter("faces", split)

        self.jobs = JobRunner(self, banner=self.banner, status=self.status)
        self.jobs.job_started.connect(lambda _label: self._set_busy(True))
        self.jobs.job_finished.connect(lambda: self._set_busy(False))
        self.live_jobs = JobRunner(self, banner=self.banner)
        self.live_view.bind_jobs(self.live_jobs)
        self.verify_tab.threshold_spin.valueChanged.connect(self._threshold_changed)
        self.verify_tab.k_spin.valueChanged.connect(self.rebuild_pipeline)
        self._select_defaults()
        ctx.project_changed.connect(self._on_project_changed)
        ctx.project_saving.connect(self._copy_gallery)
        self.refresh_choices()
        self.reload_gallery()

    # ---- shared helpers (the tabs call these) -----------------------------------------------------
    def project_dir(self) -> Path:
        if self.ctx.project_dir is not None:
            return Path(self.ctx.project_dir)
        from workbench.ui.settings import config_dir

        return config_dir() / "faces-scratch"  # used until the user saves a project

    def say(self, text: str, error: bool = False) -> None:
        self.banner.show_message(text, "error" if error else "info")
        if not error:
            self.ctx.status(text)

    def run_job(self, fn, *args, on_result=None, label: str = "", job_trainer=None, **kwargs):
        """Start ``fn`` through the panel's JobRunner (refused with a message while one runs)."""
        return self.jobs.start(fn, *args, on_result=on_result, label=label, trainer=job_trainer, **kwargs)

    def _set_busy(self, on: bool) -> None:
        for tab in (self.gallery_tab, self.encoder_tab, self.verify_tab, self.cluster_tab):
            for b in tab.buttons:
                b.setEnabled(not on)
        self.live_view.enroll_btn.setEnabled(not on)
        if not on:
            self.encoder_tab.stop_train_btn.setEnabled(False)

    @property
    def detector_kind(self) -> str:
        return self.encoder_tab.detector_combo.currentData()

    def photo_finder(self):
        """The detector + aligner for photos (cached per detector; jobs run one at a time)."""
        from workbench.core.studies.faces.align import make_finder

        kind = self.detector_kind
        if kind not in self._finders:
            self._finders[kind] = make_finder(kind, purpose="photo")
        return self._finders[kind]

    def gallery_op(self, op: str, *args) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.faces.workflow import gallery_action

        try:
            finder = self.photo_finder()
        except WorkbenchError as e:
            self.say(str(e), error=True)
            return
        self.run_job(gallery_action, op, self.project_dir(), finder, self.encoder, *args,
                     on_result=self._on_gallery_done, label="Working on the gallery…")

    def _on_gallery_done(self, out: dict) -> None:
        self.say(out["message"])
        self.reload_gallery(out["gallery"])

    # ---- encoder, detector, gallery ---------------------------------------------------------------
    def _select_defaults(self) -> None:
        from workbench.core.studies.faces.detect import default_detector_kind
        from workbench.core.studies.faces.encoder import default_encoder_kind

        tab = self.encoder_tab
        tab.encoder_combo.setCurrentIndex(tab.encoder_combo.findData(default_encoder_kind()))
        tab.detector_combo.setCurrentIndex(tab.detector_combo.findData(default_detector_kind()))

    def refresh_choices(self) -> None:
        from workbench.core.studies.faces.align import aligner_status
        from workbench.core.studies.faces.detect import detector_status
        from workbench.core.studies.faces.workflow import available_encoders

        cur = f"In use: the {self.encoder.name} encoder." if self.encoder is not None else "No encoder in use yet."
        if aligner_status():
            cur += " Faces are not aligned (no dlib landmarks)."
        self.encoder_tab.show_availability(available_encoders(self.project_dir()), detector_status(), cur)

    @Slot()
    def _copy_gallery(self, project_dir: str) -> None:
        """Saving into a new folder: the gallery enrolled so far and the own encoder trained so far
        go with the project."""
        from workbench.core.studies.faces.gallery import GALLERY_DIR
        from workbench.core.studies.faces.workflow import ENCODER_DIR
        from workbench.core.studies.project_files import copy_folder_into

        copy_folder_into(self.project_dir() / GALLERY_DIR, project_dir, GALLERY_DIR.as_posix(), "face gallery")
        copy_folder_into(self.project_dir() / ENCODER_DIR, project_dir, ENCODER_DIR.as_posix(), "own face encoder")

    def _on_project_changed(self) -> None:
        self.encoder = None
        self.live.set_pipeline(None)
        self.refresh_choices()
        self.reload_gallery()

    def reload_gallery(self, gallery=None) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.faces.gallery import Gallery

        try:
            self.gallery = gallery if gallery is not None else Gallery(self.project_dir())
        except WorkbenchError as e:
            self.gallery = None
            self.say(str(e), error=True)
        g = self.gallery
        stale = bool(g is not None and self.encoder is not None and len(g) and g.needs_embedding(self.encoder.key))
        self.gallery_tab.show_gallery(g, self.project_dir(), stale)
        self.verify_tab.set_people(g.names if g is not None else [])
        self.rebuild_pipeline()

    @Slot()
    def rebuild_pipeline(self, *_) -> None:
        """Match the live feed against the gallery with the current encoder, detector and threshold."""
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.faces.align import make_finder
        from workbench.core.studies.faces.detect import LIVE_DETECT_EVERY
        from workbench.core.studies.faces.evaluate import Identifier
        from workbench.core.studies.faces.pipeline import FacePipeline

        try:  # a new finder per pipeline: the old pipeline may still be inside detect() on the live thread
            finder = make_finder(self.detector_kind, purpose="live")
        except WorkbenchError as e:
            self.say(str(e), error=True)
            return
        t = self.verify_tab.threshold_spin.value()
        ident = Identifier(t, self.verify_tab.k_spin.value())
        g = self.gallery
        if self.encoder is not None and g is not None and not g.needs_embedding(self.encoder.key):
            ident.fit(*g.all_embeddings())
        self.live.set_pipeline(FacePipeline(self.encoder, ident, t, detector=finder, refresh_every=15, max_embeds=1,
                                            detect_every=LIVE_DETECT_EVERY.get(finder.detector.kind, 1)))

    @Slot()
    def detector_changed(self, *_) -> None:
        if self.encoder_tab.detector_combo.currentData() is None:
            return
        self.rebuild_pipeline()

    @Slot(float)
    def _threshold_changed(self, value: float) -> None:
        pipe = self.live.pipeline
        if pipe is not None:
            pipe.set_threshold(value)

    def set_threshold(self, t: float) -> None:
        self.verify_tab.threshold_spin.setValue(float(t))

    @Slot()
    def use_encoder(self, kind: str | None = None) -> None:
        from workbench.core.studies.faces.workflow import available_encoders, use_encoder

        kind = kind or self.encoder_tab.encoder_combo.currentData()
        why = available_encoders(self.project_dir()).get(kind, "")
        if why:
            self.say(why, error=True)
            return
        self.run_job(use_encoder, kind, self.project_dir(), on_result=self._on_encoder_loaded,
                     label=f"Loading the {kind} encoder…")

    def _on_encoder_loaded(self, out: dict) -> None:
        self.encoder = out["encoder"]
        self.set_threshold(float(self.encoder.default_threshold))
        self.say(out["message"])
        self.refresh_choices()
        self.reload_gallery(out["gallery"])

    def encoder_trained(self, encoder) -> None:
        """A freshly trained own encoder becomes the one in use; the gallery is embedded with it."""
        self.encoder = encoder
        self.set_threshold(encoder.default_threshold)
        self.refresh_choices()
        self.encoder_tab.encoder_combo.setCurrentIndex(self.encoder_tab.encoder_combo.findData("own"))
        if self.gallery is not None and len(self.gallery):
            from PySide6.QtCore import QTimer

            QTimer.singleShot(0, lambda: self.gallery_op("reembed"))  # after the training job has ended
        else:
            self.reload_gallery(self.gallery)

    # ---- panel contract ------------------------------------------------------------------------
    def on_shown(self) -> None:
        self.refresh_choices()
        if not self._auto_loaded and self.encoder is None:
            self._auto_loaded = True  # the default encoder (dlib where installed) is ready without a click
            from workbench.core.studies.faces.workflow import available_encoders

            kind = self.encoder_tab.encoder_combo.currentData()
            if not available_encoders(self.project_dir()).get(kind):
                self.use_encoder(kind)

    def shutdown(self) -> None:
        self.live_view.shutdown()
        self.encoder_tab.shutdown()
        self.live_jobs.shutdown()
        self.jobs.shutdown()

    state_section = "faces"

    def state(self) -> dict:
        return {"source": self.live_view.source_combo.currentText(),
                "encoder": self.encoder_tab.encoder_combo.currentData(), "detector": self.detector_kind,
                "encoder_in_use": self.encoder.name if self.encoder is not None else None,
                "threshold": self.verify_tab.threshold_spin.value(), "k": self.verify_tab.k_spin.value(),
                "train": self.encoder_tab.state(), "tab": self.tabs.currentIndex()}

    def restore(self, state: dict) -> None:
        state = state or {}
        if state.get("source"):
            self.live_view.source_combo.setCurrentText(str(state["source"]))
        for key, combo in (("encoder", self.encoder_tab.encoder_combo), ("detector", self.encoder_tab.detector_combo)):
            i = combo.findData(state.get(key))
            if i >= 0 and combo.model().item(i).isEnabled():
                combo.setCurrentIndex(i)
        if isinstance(state.get("threshold"), (int, float)):
            self.set_threshold(float(state["threshold"]))
        if isinstance(state.get("k"), int):
            self.verify_tab.k_spin.setValue(state["k"])
        if isinstance(state.get("train"), dict):
            self.encoder_tab.restore(state["train"])
        if isinstance(state.get("tab"), int):
            self.tabs.setCurrentIndex(state["tab"])

    def restore_files(self, state: dict) -> None:
        """The encoder in use when the project was saved (the own one is in the project) is loaded again."""
        kind = (state or {}).get("encoder_in_use")
        if kind in ("own", "dlib"):
            from PySide6.QtCore import QTimer

            from workbench.core.studies.faces.workflow import available_encoders

            if not available_encoders(self.project_dir()).get(kind):
                self._auto_loaded = True
                # after the window's "project changed", which drops the encoder of the project before
                QTimer.singleShot(0, self, lambda: self.encoder is None and self.use_encoder(kind))
                self.use_encoder(state["encoder_in_use"])


def main() -> int:
    from workbench.ui.panels.base import run_panel_standalone

    def _demo(ctx, panel):
        panel.live_view.source_combo.setCurrentText("demo")

    return run_panel_standalone(FacesPanel, setup=_demo)


if __name__ == "__main__":
    raise SystemExit(main())
