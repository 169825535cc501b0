"""Use panel: pick a trained run of the project (or open an exported model) and feed it files, a
folder, a CSV (tables and texts: the same CSV comes back with predictions), typed text, the webcam
or the microphone; the class probabilities are bars, updated as readings come.

The panel follows the newest run the moment it ends (no save needed) unless the user pinned
another ("Use this run" on an older one, or unticking "Follow the newest run"); "Try it" in the
Train panel opens a given run. Results of the previous model are cleared when the model changes.
Only runs it can run are listed (a case study's runs stay in their own panels).

Opening a model, classifying files and the live loop are core functions run through JobRunners
(``core/capture/live.py``); the live loop writes its newest reading into a ``LatestSlot`` that a
GUI timer reads at most 30 times a second, so the window never waits for the model.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget,
)

from workbench.ui.job_runner import JobRunner
from workbench.ui.panels.base import Panel
from workbench.ui.panels.use.files_tab import FilesTab
from workbench.ui.panels.use.live_tab import LiveTab
from workbench.ui.panels.use.text_tab import TextTab
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
        self.opened_run: dict | None = None  # the run of the open model (None: an export or nothing)
        self._opening: dict | None = None  # the run being opened
        self.last_output: str | None = None  # the last CSV of predictions written
        self.export_dir = ""  # the exported model's folder in use ("" : a run or nothing)
        self.inputs: list[str] = []  # the files last classified (made again on reopen)
        self.texts: list[str] = []  # or the texts
        self.slot = None
        self._shown_n = 0
        self._runs: list[dict] = []  # the combo's runs, newest first
        self.setAcceptDrops(True)
        self._build()
        self.ctx.run_finished.connect(self._on_run_finished)
        self.ctx.runs_reset.connect(self._on_runs_reset)
        self.ctx.project_changed.connect(self.refresh_runs)
        self.ctx.use_requested.connect(self.use_run)
        if self.ctx.run_to_use is not None:
            self.use_run(self.ctx.run_to_use)
        elif self._runs:
            self.open_run(self._runs[0])

    # -- UI ----------------------------------------------------------------------------------
    def _build(self) -> None:
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.run_combo = QComboBox()
        self.run_combo.setMinimumWidth(240)
        self.use_btn = QPushButton("Use this run")
        self.use_btn.clicked.connect(self.use_selected_run)
        self.follow_check = QCheckBox("Follow the newest run")
        self.follow_check.setChecked(True)
        self.follow_check.setToolTip("Open each run as soon as it ends; untick to keep the model you chose")
        self.open_btn = QPushButton("Open exported model…")
        self.open_btn.clicked.connect(self._choose_export)
        self.explain_check = QCheckBox("Grad-CAM heat map")
        self.explain_check.setToolTip("Colour the parts of the image the prediction rests on (image runs only)")
        top.addWidget(QLabel("Model:"))
        top.addWidget(self.run_combo, 1)
        top.addWidget(self.use_btn)
        lay.addLayout(top)
        second = QHBoxLayout()  # two rows: nothing is cut off at 1024 px
        for w in (self.follow_check, self.open_btn, self.explain_check):
            second.addWidget(w)
        second.addStretch(1)
        lay.addLayout(second)
        self.banner = Banner()
        lay.addWidget(self.banner)
        self.model_info = QLabel("Train a run in the Train panel, or open an exported model folder.")
        self.model_info.setWordWrap(True)
        lay.addWidget(self.model_info)
        out_row = QHBoxLayout()
        self.output_info = QLabel("")
        self.output_info.setWordWrap(True)
        self.open_output_btn = QPushButton("Open folder")
        self.open_output_btn.setToolTip("Show the folder of the CSV with the predictions")
        self.open_output_btn.clicked.connect(self._open_output_folder)
        self.open_output_btn.hide()
        out_row.addWidget(self.output_info, 1)
        out_row.addWidget(self.open_output_btn)
        lay.addLayout(out_row)

        split = QSplitter(Qt.Orientation.Horizontal)
        self.tabs = QTabWidget()
        self.files_tab = FilesTab()
        self.text_tab = TextTab()
        self.live_tab = LiveTab()
        self.tabs.addTab(self.files_tab, "Files")
        self.tabs.addTab(self.text_tab, "Text")
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
        self.text_tab.texts_entered.connect(self.classify_texts)
        self.live_tab.start_requested.connect(self.start_live)
        self.live_tab.stop_requested.connect(self.stop_live)
        self.jobs = JobRunner(self, banner=self.banner)
        self.jobs.job_finished.connect(self._run_pending)
        self._loading_model = False  # a model is being opened: files given meanwhile wait for it
        self._pending = None
        self._next_open: dict | None = None
        self.live_jobs = JobRunner(self, banner=self.banner)
        self.live_jobs.job_finished.connect(self._live_finished)
        self.timer = QTimer(self)
        self.timer.setInterval(REDRAW_MS)
        self.timer.timeout.connect(self._redraw_live)
        self.refresh_runs()

    # -- choosing a model --------------------------------------------------------------------
    def refresh_runs(self) -> None:
        """List the runs this panel can run, newest first (case-study runs and searches are left out)."""
        from workbench.core.runs.predict import usable_run

        current = self.run_combo.currentIndex()
        current_run = self._runs[current] if 0 <= current < len(self._runs) else None
        self._runs = [r for r in reversed(self.ctx.runs or []) if usable_run(r) is None]
        self.run_combo.blockSignals(True)
        self.run_combo.clear()
        for run in self._runs:
            self.run_combo.addItem(self._run_label(run))
        i = next((k for k, r in enumerate(self._runs) if r is current_run), 0)
        self.run_combo.setCurrentIndex(i if self._runs else -1)
        self.run_combo.blockSignals(False)
        self.use_btn.setEnabled(bool(self._runs))

    @staticmethod
    def _run_label(run: dict) -> str:
        from workbench.core.runs import run_label
        from workbench.ui.models import readable

        data, test = run.get("data") or {}, run.get("test_metrics") or {}
        key = "accuracy" if "accuracy" in test else ("r2" if "r2" in test else None)
        score = f", test {'R²' if key == 'r2' else key} {readable(test[key])}" if key and test.get(key) is not None \
            else ""
        return (f"{run_label(run)}{'' if run.get('run_id') else ' (not saved)'} — {data.get('name', '?')} "
                f"({data.get('kind', '?')}), {(run.get('model') or {}).get('name', '')}{score}")

    def _project(self) -> str | None:
        return str(self.ctx.project_dir) if self.ctx.project_dir else None

    @Slot(dict)
    def _on_run_finished(self, _run: dict) -> None:
        self.refresh_runs()
        if self.follow_check.isChecked() and self._runs and self._runs[0] is not self.opened_run:
            self.open_run(self._runs[0])

    @Slot(list)
    def _on_runs_reset(self, _runs: list) -> None:
        """Another project: its newest run replaces a model of the previous project."""
        self.refresh_runs()
        if self.opened_run is not None and not any(r is self.opened_run for r in self.ctx.runs):
            self.predictor, self.opened_run = None, None
            self.clear_results()
            self.model_info.setText("Train a run in the Train panel, or open an exported model folder.")
            self.follow_check.setChecked(True)
        if self.follow_check.isChecked() and self._runs and self._runs[0] is not self.opened_run:
            self.open_run(self._runs[0])

    @Slot(object)
    def use_run(self, run: dict) -> None:
        """Open this run ("Try it"); a run other than the newest pins it (no following)."""
        self.ctx.run_to_use = None
        self.refresh_runs()
        if self._runs and run is not self._runs[0]:
            self.follow_check.setChecked(False)
        i = next((k for k, r in enumerate(self._runs) if r is run), -1)
        if i >= 0:
            self.run_combo.setCurrentIndex(i)
        self.open_run(run)

    def use_selected_run(self) -> None:
        i = self.run_combo.currentIndex()
        if not (0 <= i < len(self._runs)):
            self.banner.show_message("Train a run first (or open an exported model).", "info")
            return
        self.follow_check.setChecked(i == 0 and self.follow_check.isChecked())
        self.open_run(self._runs[i])

    def open_run(self, run: dict) -> None:
        """A run of ``ctx.runs``: from the project folder when stored, else from memory (no save needed)."""
        from workbench.core.capture.live import open_model_job

        if self._loading_model and self.jobs.busy:  # another model is on its way: this one opens next
            if run is not self._opening:
                self._next_open = run
            return
        self.stop_live()
        weights = self.ctx.state.run_weights(run)
        project = self._project() if run.get("run_id") else None
        if self.jobs.start(open_model_job, run, project, weights, on_result=self._on_model,
                           label="Opening the model…") is not None:
            self._opening, self._loading_model, self.export_dir = run, True, ""

    def _choose_export(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "An exported model folder (with model.json)")
        if d:
            self.open_model(d)

    def open_model(self, model: str, project: str | None = None) -> None:
        from workbench.core.capture.live import open_model_job

        self.stop_live()
        self.follow_check.setChecked(False)  # an export stays until the user chooses otherwise
        self.export_dir = str(model)
        if self.jobs.start(open_model_job, str(model), project, on_result=self._on_model,
                           label="Opening the model…") is not None:
            self._opening, self._loading_model = None, True

    def _on_model(self, predictor) -> None:
        self.predictor = predictor
        self.opened_run = self._opening
        self.clear_results()
        kind = {"image": "images", "audio": "sounds", "text": "texts", "table": "table rows"}.get(predictor.kind,
                                                                                               predictor.kind)
        if predictor.regression:
            what = f"predicts {predictor.target or 'a number'} for {kind}"
        else:
            what = f"classifies {kind} into {', '.join(predictor.class_names)}"
        how = ("Grad-CAM available" if predictor.can_explain else
               "no heat map (exported models run in onnxruntime)" if predictor.kind == "image" else "")
        feed = {"table": "give it a CSV with the training columns in the Files tab",
                "text": "type a text in the Text tab, or give .txt files or a CSV of texts",
                "image": "give it image files or a folder, or the camera in Live",
                "audio": "give it WAV files, or the microphone in Live"}.get(predictor.kind, "")
        self.model_info.setText(f"<b>{predictor.name}</b> — {what}" + (f"; {how}" if how else "")
                                + (f". {feed[0].upper()}{feed[1:]}." if feed else "."))
        self.explain_check.setEnabled(predictor.can_explain)
        self.live_tab.set_kind(predictor.kind)
        self.tabs.setTabEnabled(self.tabs.indexOf(self.text_tab), predictor.kind == "text")
        self.tabs.setTabEnabled(self.tabs.indexOf(self.live_tab), predictor.kind in ("image", "audio"))
        if predictor.kind == "text":
            self.tabs.setCurrentWidget(self.text_tab)
        elif not self.tabs.currentWidget().isEnabled():
            self.tabs.setCurrentWidget(self.files_tab)
        self.bars.setVisible(not predictor.regression)
        self.picture.setVisible(predictor.kind == "image")
        self._show_probs([0.0] * len(predictor.class_names))
        self.model_opened.emit(predictor.name)

    def clear_results(self) -> None:
        """Forget what the previous model showed: rows, picture, heat map, answer, bars."""
        self.files_tab.show_rows([])
        self.picture.clear()
        self.answer.setText("")
        self.bars.set_bars([], [])
        self.output_info.setText("")
        self.open_output_btn.hide()
        self.last_output = None

    def _wait_for_model(self, action) -> bool:
        """True (and ``action`` kept for later) while a model is being opened."""
        if self._loading_model and self.jobs.busy:
            self._pending = action
            return True
        return False

    @Slot()
    def _run_pending(self) -> None:
        self._loading_model = False
        if self._next_open is not None:  # a newer choice came while a model was opening
            run, self._next_open = self._next_open, None
            self.open_run(run)
            return
        action, self._pending = self._pending, None
        if action is not None and self.predictor is not None:
            action()

    def _need_model(self) -> bool:
        if self.predictor is None:
            self.banner.show_message("Choose a model first: a run of the project or an exported model.", "info")
            return False
        return True

    # -- files -------------------------------------------------------------------------------
    def classify_paths(self, paths: list) -> None:
        from workbench.core.capture.live import predict_files

        if self._wait_for_model(lambda: self.classify_paths(paths)) or not self._need_model():
            return
        self.tabs.setCurrentWidget(self.files_tab)
        self.inputs, self.texts = [str(p) for p in paths], []
        self.push_state()
        self.jobs.start(predict_files, self.predictor, [str(p) for p in paths],
                        explain=self.explain_check.isChecked() and self.predictor.can_explain,
                        on_result=self._on_files, label="Classifying…")

    def classify_texts(self, texts: list) -> None:
        if self._wait_for_model(lambda: self.classify_texts(texts)) or not self._need_model():
            return
        self.inputs, self.texts = [], [str(t) for t in texts]
        self.push_state()
        self.jobs.start(self.predictor.predict_texts, list(texts), on_result=self._on_texts, label="Predicting…")

    def _on_texts(self, rows: list) -> None:
        self.files_tab.show_rows(rows)
        self.files_classified.emit(len(rows))

    def _on_files(self, out: dict) -> None:
        tables = [r for r in out["rows"] if r.get("output")]
        if tables:  # CSV files: their rows are shown, the CSV with predictions is written beside them
            t = tables[-1]
            self.last_output = t["output"]
            self.files_tab.show_rows([{"path": f"row {p['row']}", "label": p["label"], "confidence": p["confidence"],
                                       "probs": {}} for p in t["table"]])
            self.output_info.setText(f"Predictions for {t['label']} written to <b>{t['output']}</b>. {t['note']}")
            self.open_output_btn.show()
            self.files_classified.emit(len(t["table"]))
            return
        self.files_tab.show_rows(out["rows"])
        if out["skipped"]:
            self.banner.show_message(f"{len(out['skipped'])} file(s) skipped: " + "; ".join(
                f"{Path(f).name}: {why}" for f, why in out["skipped"][:3]), "warning")
        elif not out["rows"]:
            self.banner.show_message("No file there that this model can read.", "warning")
        self.files_classified.emit(len(out["rows"]))

    def _show_row(self, row: dict) -> None:
        if self.predictor.regression or not row.get("probs"):
            self.answer.setText(f"{self.predictor.target or 'prediction'}: {row['label']}"
                                if self.predictor.regression else row["label"])
            return
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

    @Slot()
    def _open_output_folder(self) -> None:
        if self.last_output:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.last_output).parent)))

    # -- panel contract ----------------------------------------------------------------------
    state_section = "use"

    def state(self) -> dict:
        opened = self.opened_run if self.opened_run is not None else self._opening
        return {"run_id": (opened or {}).get("run_id") if not self.export_dir else None, "export": self.export_dir,
                "follow": self.follow_check.isChecked(), "explain": self.explain_check.isChecked(),
                "tab": self.tabs.currentIndex(), "inputs": list(self.inputs), "texts": list(self.texts)}

    def restore(self, state: dict) -> None:
        s = dict(state or {})
        for key, box in (("follow", self.follow_check), ("explain", self.explain_check)):
            if isinstance(s.get(key), bool):
                box.setChecked(s[key])
        if isinstance(s.get("tab"), int) and 0 <= s["tab"] < self.tabs.count():
            self.tabs.setCurrentIndex(s["tab"])
        if isinstance(s.get("texts"), list):
            self.text_tab.edit.setPlainText("\n".join(map(str, s["texts"])))

    def restore_files(self, state: dict) -> None:
        """The model in use again, then the predictions of its last inputs made again."""
        s = dict(state or {})
        run = next((r for r in self.ctx.runs if s.get("run_id") and r.get("run_id") == s["run_id"]), None)
        if run is not None and run is not self.opened_run:
            self.refresh_runs()
            i = next((k for k, r in enumerate(self._runs) if r is run), -1)
            if i >= 0:
                self.run_combo.setCurrentIndex(i)
            self.open_run(run)
        elif s.get("export") and Path(s["export"]).is_dir():
            follow = self.follow_check.isChecked()
            self.open_model(s["export"])
            self.follow_check.setChecked(follow)
        if self.predictor is None and not self._loading_model:
            return
        inputs = [p for p in s.get("inputs") or [] if Path(p).exists()]
        if inputs:
            self.classify_paths(inputs)
        elif s.get("texts"):
            self.classify_texts(list(s["texts"]))

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
