"""Day & Night, question 9: use the model. Classify dropped or chosen files and folders, or run
the live camera (or a video file / image folder standing in for one) with a P(day) gauge."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QComboBox, QFileDialog, QGroupBox, QLabel, QProgressBar, QPushButton, QVBoxLayout

from workbench.ui.panels.daynight.page import Page
from workbench.ui.job_runner import JobRunner, Relay
from workbench.ui.widgets import array_to_qimage, fill_table, hbox, table_widget

SOURCES = ["camera:0", "camera:1", "synthetic:cycle", "synthetic:day", "synthetic:night"]
DAY_COLOUR, NIGHT_COLOUR = "#f2b705", "#2b3a67"


def _with_qimage(reading: dict) -> dict:
    """In the live worker thread: the reading's frame as an owned QImage (the GUI makes the pixmap)."""
    frame = reading.pop("frame", None)
    reading["image"] = array_to_qimage(frame) if frame is not None else None
    return reading


class UsePage(Page):
    """Runs the live loop (``daynight.live.live_readings``) on its own JobRunner.
    Signals: live_failed(str) the loop could not run (the message, with what to do)."""

    INTRO = "Drop image files or folders here to classify them, or run the live camera."
    live_failed = Signal(str)

    def build(self, lay) -> None:
        self.classify_btn = QPushButton("Classify files…")
        lay.addLayout(hbox(self.classify_btn))
        self.classify_table = table_widget(["file", "label", "P(day)"], max_height=180)
        lay.addWidget(self.classify_table)
        live = QGroupBox("Live")
        ll = QVBoxLayout(live)
        self.source_combo = QComboBox()
        self.source_combo.setEditable(True)
        self.source_combo.addItems(SOURCES)
        self.source_file_btn = QPushButton("Video or image folder…")
        self.live_btn = QPushButton("Start live")
        src_row = hbox("Source", self.source_combo, self.source_file_btn, self.live_btn, stretch=False)
        src_row.setStretchFactor(self.source_combo, 1)
        ll.addLayout(src_row)
        self.frame_view = QLabel("no frames yet")
        self.frame_view.setMinimumSize(320, 240)
        self.frame_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.frame_view.setStyleSheet("background:#222;color:#ccc;")
        self.gauge = QProgressBar()
        self.gauge.setOrientation(Qt.Orientation.Vertical)
        self.gauge.setRange(0, 1000)
        self.gauge.setTextVisible(False)
        self.gauge.setMinimumHeight(200)
        self.gauge_label = QLabel("P(day) —")
        self.live_info = QLabel("")
        gauge_box = QVBoxLayout()
        for w, grow in ((QLabel("P(day)"), 0), (self.gauge, 1), (self.gauge_label, 0), (self.live_info, 0)):
            gauge_box.addWidget(w, grow)
        view = hbox(self.frame_view, gauge_box, stretch=False)
        view.setStretchFactor(self.frame_view, 2)
        ll.addLayout(view, 1)
        lay.addWidget(live, 1)
        self._gauge_day: bool | None = None
        self.last_reading: dict | None = None
        self.source_file_btn.clicked.connect(self._ask_source_file)
        self.jobs = JobRunner(self)
        self.jobs.job_failed.connect(self._on_failed)
        self.jobs.job_finished.connect(self._on_finished)
        self.readings = Relay(self, convert=_with_qimage)
        self.readings.item.connect(self.show_reading)

    def source(self) -> str:
        return self.source_combo.currentText().strip()

    def _ask_source_file(self) -> None:
        f, _ = QFileDialog.getOpenFileName(self, "Video file", "", "Videos (*.mp4 *.avi *.mov *.mkv *.webm);;All (*)")
        f = f or QFileDialog.getExistingDirectory(self, "…or a folder of images")
        if f:
            self.source_combo.setEditText(f)

    def start_live(self, model, spec: str) -> None:
        from workbench.core.studies.daynight.live import live_readings

        if self.jobs.start(live_readings, model, spec, self.readings.send, quiet_if_busy=True) is not None:
            self.live_btn.setText("Stop live")
            self.frame_view.setText(f"opening {spec}…")

    def stop_live(self) -> None:
        self.jobs.cancel()

    @Slot(str)
    def _on_failed(self, msg: str) -> None:
        no_camera = "camera" in msg.lower()
        if no_camera:
            msg += " Choose a video file or a folder of images with the button next to the source."
            self.source_file_btn.setFocus()
        self.frame_view.setText("no camera" if no_camera else "no frames")
        self.live_failed.emit(msg)

    @Slot()
    def _on_finished(self) -> None:
        self.live_btn.setText("Start live")

    def show_classified(self, rows: list[dict]) -> None:
        fill_table(self.classify_table, [[Path(r["path"]).name, r["label"], f"{r['p_day']:.3f}"] for r in rows])

    @Slot(object)
    def show_reading(self, r: dict) -> None:
        """One live reading (``daynight.live.live_readings``, with its frame as an owned QImage)."""
        self.last_reading = r
        p = r["p_day"]
        self.gauge.setValue(int(round(p * 1000)))
        day = r["label"] == "day"
        if day != self._gauge_day:  # restyle only when the answer flips
            self._gauge_day = day
            self.gauge.setStyleSheet("QProgressBar::chunk{background:%s;}" % (DAY_COLOUR if day else NIGHT_COLOUR))
        self.gauge_label.setText(f"P(day) {p:.2f}: {r['label']}")
        self.live_info.setText(f"{r['fps']:.1f} fps, {r['latency_ms']:.0f} ms/frame\ndropped {r['dropped']}")
        img = r.get("image")
        if img is not None:
            self.frame_view.setPixmap(QPixmap.fromImage(img).scaled(
                self.frame_view.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation))
