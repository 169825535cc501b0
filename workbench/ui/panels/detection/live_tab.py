"""Live tab: detections drawn on frames from the webcam, a video file or an image folder (through
``FrameSource``), and detection in image files (real photos)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout,
                               QWidget)

from workbench.ui.job_runner import Relay
from workbench.ui.panels.detection.common import explain, fill, table
from workbench.ui.widgets import array_to_qimage


def _frame_payload(r) -> dict:
    """Worker thread: the frame shrunk to at most ~640 px wide as an owned QImage, and the reading's
    numbers (a small payload for the GUI thread)."""
    img = r.frame
    if img is not None and img.shape[1] > 640:
        img = img[:: img.shape[1] // 640 + 1, :: img.shape[1] // 640 + 1]
    return {"image": array_to_qimage(img) if img is not None else None,
            "n": int(len(r.detections["boxes"])), "fps": float(r.fps), "dropped": int(r.dropped),
            "latency_ms": float(r.latency_ms)}


class LiveTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.last: dict | None = None
        lay = QVBoxLayout(self)
        lay.addWidget(explain(
            "The trained detector on live frames: the newest frame wins (frames that arrive while the model is "
            "busy are dropped and counted). No camera? Choose a video file, a folder of images, or the synthetic "
            "source. <i>Detect in files</i> runs it on your photos."))
        row = QHBoxLayout()
        self.source_combo = QComboBox()
        self.source_combo.setEditable(True)
        self.source_combo.addItems(["camera:0", "camera:1", "synthetic:scenes"])
        self.file_btn = QPushButton("Video or image folder…")
        self.file_btn.clicked.connect(self._ask_source)
        self.conf_spin = QDoubleSpinBox()
        self.conf_spin.setRange(0.01, 0.99)
        self.conf_spin.setSingleStep(0.05)
        self.conf_spin.setValue(0.3)
        self.live_btn = QPushButton("Start live")
        self.live_btn.clicked.connect(self.toggle)
        self.files_btn = QPushButton("Detect in files…")
        self.files_btn.clicked.connect(self._ask_files)
        for w in (QLabel("Source"), self.source_combo, self.file_btn, QLabel("score ≥"), self.conf_spin, self.live_btn,
                  self.files_btn):
            row.addWidget(w)
        row.setStretchFactor(self.source_combo, 1)
        lay.addLayout(row)
        self.view = QLabel("no frames yet")
        self.view.setMinimumSize(320, 240)
        self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setStyleSheet("background:#222;color:#ccc;")
        lay.addWidget(self.view, 2)
        self.info = QLabel("")
        lay.addWidget(self.info)
        self.files_table = table(["file", "objects found"])
        self.files_table.setMaximumHeight(160)
        lay.addWidget(self.files_table)
        self.relay = Relay(self, convert=_frame_payload)
        self.relay.item.connect(self._on_frame)
        self.panel.live_jobs.job_finished.connect(self._finished)
        self.panel.live_jobs.job_failed.connect(self._failed)

    def _ask_source(self) -> None:
        f, _ = QFileDialog.getOpenFileName(self, "Video file", "", "Videos (*.mp4 *.avi *.mov *.mkv *.webm);;All (*)")
        if not f:
            f = QFileDialog.getExistingDirectory(self, "…or a folder of images")
        if f:
            self.source_combo.setEditText(f)

    def toggle(self) -> None:
        if self.panel.live_jobs.busy:
            self.panel.live_jobs.cancel()
        else:
            self.start(self.source_combo.currentText().strip())

    def start(self, spec: str) -> None:
        if self.panel.detector is None:
            self.panel.banner.show_message("Train or load a detector first (Train or Evaluate tab).", "warning")
            return
        from workbench.core.studies.detection.live import run_live

        job = self.panel.live_jobs.start(run_live, self.panel.detector, spec, self.relay.send,
                                         conf_threshold=self.conf_spin.value(), on_result=self._summary)
        if job is not None:
            self.live_btn.setText("Stop live")
            self.view.setText(f"opening {spec}…")

    @Slot(object)
    def _on_frame(self, r: dict) -> None:
        self.last = r
        if r["image"] is not None:
            pm = QPixmap.fromImage(r["image"])
            self.view.setPixmap(pm.scaled(self.view.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                          Qt.TransformationMode.FastTransformation))
        self.info.setText(f"{r['n']} object(s) · {r['fps']:.1f} fps · {r['latency_ms']:.0f} ms per frame · "
                          f"dropped {r['dropped']}")

    def _summary(self, res: dict) -> None:
        self.info.setText(f"Stopped after {res['frames']} frames at {res['fps']:.1f} fps (dropped {res['dropped']}).")

    def _failed(self, msg: str) -> None:
        if "camera" in msg.lower():
            self.panel.banner.show_message(msg + " Choose a video file or a folder of images next to the source.",
                                           "warning")
            self.view.setText("no camera")
            self.file_btn.setFocus()

    def _finished(self) -> None:
        self.live_btn.setText("Start live")

    def _ask_files(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Images", "", "Images (*.png *.jpg *.jpeg *.bmp *.webp)")
        if files:
            self.detect_files(files)

    def detect_files(self, paths: list[str]) -> None:
        if self.panel.detector is None:
            self.panel.banner.show_message("Train or load a detector first.", "warning")
            return
        from workbench.core.studies.detection.live import detect_paths

        self.panel.jobs.start(detect_paths, self.panel.detector, list(paths), self.conf_spin.value(),
                              on_result=self._files_done, label=f"Detecting in {len(paths)} path(s)…")

    def _files_done(self, result) -> None:
        rows, skipped = result
        fill(self.files_table, [[Path(r["path"]).name, ", ".join(f"{d['class']} {d['score']:.2f}" for d in r["detections"])
                                 or "nothing"] for r in rows])
        if skipped:
            self.panel.banner.show_message(f"Skipped {len(skipped)}: " + "; ".join(f"{Path(f).name} ({w})" for f, w in skipped[:4]),
                                           "warning")

    def shutdown(self) -> None:
        self.panel.live_jobs.cancel()

    def state(self) -> dict:
        return {"source": self.source_combo.currentText(), "conf": self.conf_spin.value()}

    def restore(self, s: dict) -> None:
        if isinstance(s.get("source"), str):
            self.source_combo.setEditText(s["source"])
        if isinstance(s.get("conf"), (int, float)):
            self.conf_spin.setValue(float(s["conf"]))
