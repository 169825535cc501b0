"""The Train panel's bar after a run: "Try it" (the Use panel opens the run, no save needed) and
"Export…" (ONNX + TorchScript + model.json + example.py, the core of ``workbench export``), with a
message naming what was written and a button that opens the folder."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from workbench.ui.job_runner import JobRunner
from workbench.ui.widgets import Banner


def export_folder_for(chosen: str, run: dict) -> str:
    """The folder to export into: the chosen one when it is empty, new or a previous export, else a
    new folder named after the run inside it."""
    from workbench.core.runs.export import META_FILE
    from workbench.core.safety import sanitize_name

    p = Path(chosen)
    if not p.exists() or (p.is_dir() and (not any(p.iterdir()) or (p / META_FILE).is_file())):
        return str(p)
    from workbench.core.runs import run_label

    name = sanitize_name(run_label(run))
    return str(p / f"{name}-export")


class AfterRunBar(QWidget):
    """Signals:
        exported(dict)   an export was written (the core's report: folder, files, differences)
    """

    exported = Signal(dict)

    def __init__(self, ctx, banner=None, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.run: dict | None = None
        self.last_export: dict | None = None
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.try_btn = QPushButton("Try it")
        self.try_btn.setToolTip("Open this run in the Use panel: files, a folder, typed text, the camera or "
                                "the microphone (no save needed)")
        self.export_btn = QPushButton("Export…")
        self.export_btn.setToolTip("Write ONNX + TorchScript + model.json + example.py into a folder; the ONNX file "
                                   "is checked with onnxruntime against PyTorch")
        self.open_btn = QPushButton("Open folder")
        self.open_btn.setToolTip("Show the exported folder in the file manager")
        self.info = QLabel("")
        self.info.setWordWrap(True)
        for w in (self.try_btn, self.export_btn):
            lay.addWidget(w)
        lay.addWidget(self.info, 1)
        lay.addWidget(self.open_btn)
        self.banner = banner if banner is not None else Banner()
        self.try_btn.clicked.connect(self.try_it)
        self.export_btn.clicked.connect(self.choose_export)
        self.open_btn.clicked.connect(self.open_folder)
        self.jobs = JobRunner(self, banner=self.banner)
        self.jobs.job_started.connect(lambda _l: self._enable())
        self.jobs.job_finished.connect(self._enable)
        self.set_run(None)

    def set_run(self, run: dict | None) -> None:
        """The run the buttons act on (the newest finished one, or the one opened from Runs)."""
        from workbench.core.runs.predict import usable_run

        self.run = run
        why = usable_run(run) if run is not None else "no run yet"
        self._why = why
        self.open_btn.setVisible(False)
        if run is None:
            self.info.setText("After a run: try the model on new inputs, or export it.")
        elif why:
            self.info.setText(f"This run cannot be tried or exported here: {why}.")
        else:
            from workbench.core.runs import run_label

            self.info.setText(f"<b>{run_label(run)}</b>"
                              " is ready: try it on new inputs, or export it for use without Workbench.")
        self._enable()

    def _enable(self) -> None:
        ok = self.run is not None and not self._why and not self.jobs.busy
        self.try_btn.setEnabled(ok)
        self.export_btn.setEnabled(ok)

    @Slot()
    def try_it(self) -> None:
        if self.run is not None and not self._why:
            self.ctx.request_use(self.run)

    @Slot()
    def choose_export(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Export the model into a folder (a new folder is made inside a "
                                                   "folder that holds other files)")
        if d:
            self.export_to(export_folder_for(d, self.run))

    def export_to(self, folder: str) -> None:
        from workbench.core.runs.export import export_record, export_run

        run = self.run
        if run is None or self._why:
            return
        project = str(self.ctx.project_dir) if self.ctx.project_dir else None
        weights = self.ctx.state.run_weights(run)
        self.info.setText(f"Exporting to {folder} …")
        if run.get("run_id") and project and weights is None:
            self.jobs.start(export_run, project, run["run_id"], folder, on_result=self._exported,
                            label="Exporting the model…")
        else:
            self.jobs.start(export_record, run, weights, folder, on_result=self._exported,
                            label="Exporting the model…")

    def _exported(self, report: dict) -> None:
        self.last_export = report
        folder = report["folder"]
        if self.run is not None:  # the start page's last step reads where the run was exported
            self.run.setdefault("details", {}).setdefault("exports", []).append({"path": str(folder)})
        names = [Path(p).name for p in report["files"].values() if p] + [Path(report["metadata"]).name, "example.py"]
        diff = report.get("onnx_max_abs_diff")
        check = (f" The ONNX file gives PyTorch's outputs to within {diff:.1e} on {report.get('checked_on')}."
                 if diff is not None else "")
        self.info.setText(f"Exported to <b>{folder}</b>: {', '.join(names)}.{check}")
        self.open_btn.setVisible(True)
        self.ctx.status(f"Model exported to {folder}")
        self.exported.emit(report)

    @Slot()
    def open_folder(self) -> None:
        if self.last_export:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.last_export["folder"]))

    def shutdown(self) -> None:
        self.jobs.shutdown()
