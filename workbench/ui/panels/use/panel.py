"""Use panel: pick a trained run of the project (or open an exported model) and feed it files, a
folder, the webcam or the microphone; the class probabilities are bars, updated as readings come.

Opening a model, classifying files and the live loop are core functions run through JobRunners
(``core/capture/live.py``); the live loop writes its newest reading into a ``LatestSlot`` that a
GUI timer reads at most 30 times a second, so the window never waits for the model.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)

from workbench.ui.job_runner import JobRunner
from workbench.ui.panels.base import Panel
from workbench.ui.panels.use.files_tab import FilesTab
from workbench.ui.panels.use.live_tab import LiveTab
from workbench.ui.widgets import Banner, BarChart, FileDrops, array_to_qimage

REDRAW_MS = 33  # <= 30 Hz


class UsePanel(FileDrops, Panel):
    """Signals:
        model_opened(str)      a model is ready (its name)
        files_classified(int)  rows shown after classifying files
        reading_shown(int)     a live reading was drawn (its number)
    """

    title = "Use"
    icon_name = "SP_MediaPlay"
    model_opened = Signal(str)
    files_classified = Signal(int)
    reading_shown = Signal(int)

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.predictor = None
        self.slot = None
        self._shown_n = 0
        self.setAcceptDrops(True)
        self._build()
        self.ctx.run_finished.connect(lambda _run: self.refresh_runs())
        self.ctx.runs_reset.connect(lambda _runs: self.refresh_runs())
        self.ctx.project_changed.connect(self.refresh_runs)

    # -- UI ----------------------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.run_combo = QComboBox()
        self.run_combo.setMinimumWidth(320)
        self.use_btn = QPushButton("Use this run")
        self.use_btn.clicked.connect(self.use_selected_run)
        self.open_btn = QPushButton("Open exported model…")
        self.open_btn.clicked.connect(self._choose_export)
        self.explain_check = QCheckBox("Grad-CAM heat map")
        self.explain_check.setToolTip("Colour the parts of the image the prediction rests on (image runs only)")
        top.addWidget(QLabel("Model:"))
        top.addWidget(self.run_combo, 1)
        top.addWidget(self.use_btn)
        top.addWidget(self.open_btn)
        top.addWidget(self.explain_check)
        lay.addLayout(top)
        self.banner = Banner()
        lay.addWidget(self.banner)
        self.model_info = QLabel("Train a run in the Train panel, or open an exported model folder.")
        self.model_info.setWordWrap(True)
        lay.addWidget(self.model_info)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.tabs = QTabWidget()
        self.files_tab = FilesTab()
        self.live_tab = LiveTab()
        self.tabs.addTab(self.files_tab, "Files")
        self.tabs.addTab(self.live_tab, "Live")
        split.addWidget(self.tabs)
        right = QWidget()
        rv = QVBoxLayout(right)
        self.picture = QLabel("")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(240, 200)
        self.bars = BarChart("Class probabilities")
        self.bars.setYRange(0, 1)
        self.answer = QLabel("")
        self.answer.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.answer.setStyleSheet("font-size: 18px; font-weight: bold;")
        rv.addWidget(self.picture, 2)
        rv.addWidget(self.answer)
        rv.addWidget(self.bars, 2)
        split.addWidget(right)
        split.setSizes([520, 480])
        lay.addWidget(split, 1)
        self.remember_splitter("use", split)

        self.files_tab.paths_chosen.connect(self.classify_paths)
        self.files_tab.row_selected.connect(self._show_row)
        self.live_tab.start_requested.connect(self.start_live)
        self.live_tab.stop_requested.connect(self.stop_live)
        self.jobs = JobRunner(self, banner=self.banner)
        self.live_jobs = JobRunner(self, banner=self.banner)
        self.live_jobs.job_finished.connect(self._live_finished)
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._redraw_live)
        self.refresh_runs()

    # -- choosing a model --------------------------------------------------------------------
    def refresh_runs(self) -> None:
        current = self.run_combo.currentData()
        self.run_combo.clear()
        for run in reversed(self.ctx.runs or []):
            rid = run.get("run_id")
            if not rid or run.get("mode") == "search" or not (run.get("model") or {}).get("spec"):
                continue
            data = run.get("data") or {}
            test = (run.get("test_metrics") or {}).get("accuracy")
            label = f"{run.get('name') or rid} — {data.get('name', '?')} ({data.get('kind', '?')}), " \
                    f"{(run.get('model') or {}).get('name', '')}" + (f", test {test:.3f}" if test is not None else "")
            self.run_combo.addItem(label, rid)
        i = self.run_combo.findData(current)
        if i >= 0:
            self.run_combo.setCurrentIndex(i)
        self.use_btn.setEnabled(self.run_combo.count() > 0)

    def _project(self) -> str | None:
        return str(self.ctx.project_dir) if self.ctx.project_dir else None

    def use_selected_run(self) -> None:
        rid = self.run_combo.currentData()
        if not rid:
            self.banner.show_message("Train a run first (or open an exported model).", "info")
            return
        if not self._project():
            self.banner.show_message("Save the project first: runs are used from the project folder.", "warning")
            return
        self.open_model(rid, self._project())

    def _choose_export(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "An exported model folder (with model.json)")
        if d:
            self.open_model(d)

    def open_model(self, model: str, project: str | None = None) -> None:
        from workbench.core.capture.live import open_model_job

        self.stop_live()
        self.jobs.start(open_model_job, str(model), project, on_result=self._on_model, label="Opening the model…")

    def _on_model(self, predictor) -> None:
        self.predictor = predictor
        kind = {"image": "images", "audio": "sounds", "text": "texts"}.get(predictor.kind, predictor.kind)
        how = "Grad-CAM available" if predictor.can_explain else "no heat map (exported models run in onnxruntime)"
        self.model_info.setText(f"<b>{predictor.name}</b> — classifies {kind} into {', '.join(predictor.class_names)}"
                                f"; {how}.")
        self.explain_check.setEnabled(predictor.can_explain)
        self.live_tab.set_kind(predictor.kind)
        self._show_probs([0.0] * len(predictor.class_names))
        self.model_opened.emit(predictor.name)

    def _need_model(self) -> bool:
        if self.predictor is None:
            self.banner.show_message("Choose a model first: a run of the project or an exported model.", "info")
            return False
        return True

    # -- files -------------------------------------------------------------------------------
    def classify_paths(self, paths: list) -> None:
        from workbench.core.capture.live import predict_files

        if not self._need_model():
            return
        self.tabs.setCurrentWidget(self.files_tab)
        self.jobs.start(predict_files, self.predictor, [str(p) for p in paths],
                        explain=self.explain_check.isChecked() and self.predictor.can_explain,
                        on_result=self._on_files, label="Classifying…")

    def _on_files(self, out: dict) -> None:
        self.files_tab.show_rows(out["rows"])
        if out["skipped"]:
            self.banner.show_message(f"{len(out['skipped'])} file(s) skipped: " + "; ".join(
                f"{Path(f).name}: {why}" for f, why in out["skipped"][:3]), "warning")
        elif not out["rows"]:
            self.banner.show_message("No file there that this model can read.", "warning")
        self.files_classified.emit(len(out["rows"]))

    def _show_row(self, row: dict) -> None:
        self._show_probs([row["probs"][c] for c in self.predictor.class_names])
        if row.get("picture") is not None:
            self._show_picture(row["picture"])

    def files_dropped(self, paths: list[str]) -> None:
        self.classify_paths(paths)

    # -- live --------------------------------------------------------------------------------
    def start_live(self, source) -> None:
        """Start the live loop on a source spec ("camera:0", "microphone", a file) or a source object."""
        from workbench.core.capture.live import LatestSlot, live_predict, open_live_source
        from workbench.core.errors import WorkbenchError

        if not self._need_model() or self.live_jobs.busy:
            return
        try:
            src = open_live_source(source, self.predictor.kind)
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return
        self.tabs.setCurrentWidget(self.live_tab)
        if not isinstance(source, str):
            self.live_tab.source_combo.setEditText(f"{getattr(src, 'name', 'source')} (given by the caller)")
        self.slot = LatestSlot()
        self._shown_n = 0
        job = self.live_jobs.start(live_predict, self.predictor, src, self.slot,
                                   explain=self.explain_check.isChecked() and self.predictor.can_explain,
                                   on_result=self._on_live_result, label="Live")
        if job is not None:
            self.live_tab.set_running(True)
            self.timer.start()

    def stop_live(self) -> None:
        self.live_jobs.cancel()

    def _on_live_result(self, out: dict) -> None:
        self.live_tab.info.setText(f"{out['readings']} readings; {out['dropped']} frames dropped (newest wins).")

    @Slot()
    def _live_finished(self) -> None:
        self._redraw_live()
        self.timer.stop()
        self.live_tab.set_running(False)

    @Slot()
    def _redraw_live(self) -> None:
        if self.slot is None:
            return
        n, reading = self.slot.get()
        if reading is None or n == self._shown_n:
            return
        self._shown_n = n
        self._show_probs(list(reading["probs"]))
        if reading.get("frame") is not None:
            self._show_picture(reading["frame"])
        if reading.get("level") is not None:
            self.live_tab.level.setValue(int(max(-80, min(0, reading["level"]))))
        self.reading_shown.emit(n)

    # -- drawing -----------------------------------------------------------------------------
    def _show_probs(self, probs: list[float]) -> None:
        names = list(self.predictor.class_names) if self.predictor is not None else []
        self.bars.set_bars(names, [float(p) for p in probs])
        self.bars.setYRange(0, 1.05, padding=0)
        if names and probs and max(probs) > 0:
            k = max(range(len(probs)), key=lambda i: probs[i])
            self.answer.setText(f"{names[k]}  {100 * probs[k]:.0f}%")
        self.last_probs = list(probs)

    def _show_picture(self, rgb) -> None:
        from PySide6.QtGui import QPixmap

        pm = QPixmap.fromImage(array_to_qimage(rgb))
        self.picture.setPixmap(pm.scaled(self.picture.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation))

    # -- panel contract ----------------------------------------------------------------------
    def on_shown(self) -> None:
        self.refresh_runs()

    def shutdown(self) -> None:
        self.timer.stop()
        self.live_jobs.shutdown()
        self.jobs.shutdown()


def _demo(ctx, panel) -> None:
    import sys

    if len(sys.argv) > 1:
        panel.open_model(sys.argv[1])
