"""The Detection panel: data (generate, import, export, summary), the box editor, training with
the YOLO loss's five terms live, evaluation (mAP, PR curve, misses and false detections beside
the dumb baseline), segmentation, and live detection.

The logic lives in ``workbench.core.studies.detection``; each tab is a module of this package and
only builds widgets, starts core functions through ``JobRunner`` and shows what they return.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QTabWidget, QVBoxLayout

from workbench.ui.job_runner import JobRunner
from workbench.ui.panels.base import Panel
from workbench.ui.widgets import Banner, job_bar


class DetectionPanel(Panel):
    """Case study 5: boxes with the YOLO loss, masks with a small U-Net."""

    title = "Detection"
    icon_name = "SP_FileDialogContentsView"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        from workbench.ui.panels.detection.data_tab import DataTab
        from workbench.ui.panels.detection.editor_tab import EditorTab
        from workbench.ui.panels.detection.evaluate_tab import EvaluateTab
        from workbench.ui.panels.detection.live_tab import LiveTab
        from workbench.ui.panels.detection.segment_tab import SegmentTab
        from workbench.ui.panels.detection.train_tab import TrainTab

        self.dataset = None  # DetectionSet in use
        self.outcome = None  # DetectionOutcome of the last training
        self.detector = None  # Detector in use (trained or loaded)
        self.data_source: dict = {}  # how the scenes in use were made: {"generated": kwargs} | {"folder": path}
        self.next_source: dict | None = None  # the same for the scenes being made
        self.detector_dir = ""  # where the project holds a copy of the detector in use
        self._detector_written: tuple | None = None
        outer = QVBoxLayout(self)
        self.banner = Banner()
        outer.addWidget(self.banner)
        self.tabs = QTabWidget()
        outer.addWidget(self.tabs, 1)
        bottom, self.status, self.progress, self.cancel_btn = job_bar("Generate scenes or import a labelled folder to start.")
        outer.addLayout(bottom)
        self.jobs = JobRunner(self, banner=self.banner, status=self.status, progress=self.progress,
                              cancel_button=self.cancel_btn)
        self.live_jobs = JobRunner(self, banner=self.banner)  # the live loop runs beside other jobs
        self.data_tab = DataTab(self)
        self.editor_tab = EditorTab(self)
        self.train_tab = TrainTab(self)
        self.eval_tab = EvaluateTab(self)
        self.segment_tab = SegmentTab(self)
        self.live_tab = LiveTab(self)
        for tab, name in ((self.data_tab, "Data"), (self.editor_tab, "Label boxes"), (self.train_tab, "Train (YOLO loss)"),
                          (self.eval_tab, "Evaluate"), (self.segment_tab, "Segment"), (self.live_tab, "Live")):
            self.tabs.addTab(tab, name)
        self._all = [self.data_tab, self.editor_tab, self.train_tab, self.eval_tab, self.segment_tab, self.live_tab]
        # the runs table shows the project's runs of kind "detection"; saving copies the detector in
        ctx.run_finished.connect(self.train_tab._fill_runs)
        ctx.runs_reset.connect(self.train_tab._fill_runs)
        ctx.project_saving.connect(self._write_detector)
        self.train_tab._fill_runs()

    # ---- shared state (tabs never call each other: they go through the panel) ------------
    def set_dataset(self, ds) -> None:
        self.dataset = ds
        if self.next_source is not None:
            self.data_source, self.next_source = self.next_source, None
        self.data_tab.show_dataset(ds)
        self.segment_tab.draw_masks()  # a U-Net read back from the project, once its scenes are here
        self.status.setText(f"{ds.name}: {len(ds):,} images, {sum(len(b) for b in ds.boxes):,} boxes, "
                            f"classes {', '.join(ds.class_names)}.")

    def set_outcome(self, out) -> None:
        self.outcome = out
        self.detector = out.detector
        self.eval_tab.show_outcome(out)
        if out.record is not None:
            self.ctx.add_run(out.record.to_dict())

    def run_store(self):
        """The project's RunStore (None without a project folder): every run joins its history."""
        if self.ctx.project_dir is None:
            return None
        from workbench.core.runs import RunStore

        return RunStore(self.ctx.project_dir)

    def set_detector(self, det) -> None:
        self.detector = det

    def go(self, tab) -> None:
        self.tabs.setCurrentWidget(tab)

    # ---- lifecycle --------------------------------------------------------------------------
    def shutdown(self) -> None:
        for t in self._all:
            t.shutdown()
        self.live_jobs.shutdown()
        self.jobs.shutdown()

    state_section = "detection"

    def _write_detector(self, project_dir: str) -> None:
        from workbench.core.studies.project_files import save_study_folder, study_path

        self.segment_tab.write_model(project_dir)
        if self.detector is None:
            return
        folder, rel = study_path(project_dir, "detection", "detector")
        if self._detector_written != (self.detector, folder):
            save_study_folder(project_dir, "detection", "detector", self.detector.save, "detector")
            self._detector_written = (self.detector, folder)
        self.detector_dir = rel

    def restore_files(self, s: dict) -> None:
        """The scenes again from their recipe (or folder), and the detector copy the project holds."""
        from workbench.core.studies.project_files import project_file

        src = (s.get("data") or {}).get("source")
        if isinstance(src, dict) and src and src != self.data_source:
            if isinstance(src.get("generated"), dict):
                self.data_tab.generate_with(src["generated"])
            elif isinstance(src.get("folder"), str) and Path(src["folder"]).is_dir():
                self.data_tab.import_folder(src["folder"])
        self.segment_tab.restore_model(self.ctx.project_dir, str((s.get("segment") or {}).get("model_dir") or ""))
        rel = str((s.get("train") or {}).get("detector_dir") or "")
        folder = project_file(self.ctx.project_dir, rel)
        if folder is not None:
            self.eval_tab.load(str(folder))
            self.detector_dir, self._detector_written = rel, (self.detector, folder)

    def state(self) -> dict:
        live, editor = self.live_tab.state(), self.editor_tab.state()
        return {"tab": self.tabs.currentIndex(), "data": {**self.data_tab.state(), "source": self.data_source},
                "train": {**self.train_tab.state(), "detector_dir": self.detector_dir},
                "segment": self.segment_tab.state(), "evaluate_conf": self.eval_tab.state()["conf"],
                "live_source": live["source"], "live_conf": live["conf"], "editor_folder": editor["folder"]}

    def restore(self, state: dict) -> None:
        s = dict(state or {})
        for t, key in ((self.data_tab, "data"), (self.train_tab, "train"), (self.segment_tab, "segment")):
            if isinstance(s.get(key), dict):
                t.restore(s[key])
        self.eval_tab.restore({"conf": s.get("evaluate_conf")})
        self.live_tab.restore({"source": s.get("live_source"), "conf": s.get("live_conf")})
        if isinstance(s.get("tab"), int) and 0 <= s["tab"] < self.tabs.count():
            self.tabs.setCurrentIndex(s["tab"])


def _demo(ctx, panel) -> None:
    panel.data_tab.n_spin.setValue(300)


def main() -> int:
    from workbench.ui.panels.base import run_panel_standalone

    return run_panel_standalone(DetectionPanel, setup=_demo)


if __name__ == "__main__":
    raise SystemExit(main())
