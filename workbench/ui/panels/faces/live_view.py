"""The live feed with names, and enrollment from the camera (countdown, then a burst of shots).

The live loop (``core.studies.faces.live.run_live``) runs through the panel's second JobRunner;
frames come back through ``LiveState`` (the newest only), read here on a 30 Hz timer.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QFileDialog, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from workbench.ui.panels.faces.common import GREEN, RED, YELLOW, draw_boxes, rgb_to_qimage, show_scaled
from workbench.ui.panels.faces.pick_face import FacePickerDialog, SourceFallback
from workbench.ui.widgets import spin_box


class LiveView(QWidget):
    def __init__(self, panel, parent=None):
        super().__init__(parent)
        self.panel = panel
        self.last_faces = None
        self.last_frame = None
        self.enrol_face: tuple | None = None  # the box of the person chosen among several, followed
        self.pick_dialog: FacePickerDialog | None = None
        self._burst: list[np.ndarray] = []
        self._burst_nos: set[int] = set()
        self._countdown = 0
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.source_combo = QComboBox()
        self.source_combo.setEditable(True)
        self.source_combo.addItems(["camera:0", "camera:1", "demo"])
        self.source_combo.setMinimumContentsLength(9)  # "camera:0" whole on a small screen
        self.source_combo.setToolTip("camera:N, 'demo' (real faces drifting), or a video file / image folder path")
        self.source_browse = QPushButton("Video…")
        self.source_browse.clicked.connect(self._browse_video)
        self.start_btn = QPushButton("Start")
        self.start_btn.clicked.connect(self.start_live)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setEnabled(False)
        row.addWidget(QLabel("Source:"))
        row.addWidget(self.source_combo, 1)
        row.addWidget(self.source_browse)
        row.addWidget(self.start_btn)
        row.addWidget(self.stop_btn)
        lay.addLayout(row)
        self.fallback = SourceFallback()
        self.fallback.demo_requested.connect(self.use_demo)
        self.fallback.file_requested.connect(self._use_file)
        lay.addWidget(self.fallback)
        self.video = QLabel("Start the camera (or the demo) to see faces with names.")
        self.video.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.video.setMinimumSize(400, 300)
        self.video.setStyleSheet("background:#202020; color:#dddddd;")
        lay.addWidget(self.video, 1)
        self.live_status = QLabel("")
        lay.addWidget(self.live_status)
        enroll = QGroupBox("Enroll from the camera")
        el = QHBoxLayout(enroll)
        self.enroll_name = QLineEdit()
        self.enroll_name.setPlaceholderText("name")
        self.enroll_shots = spin_box(1, 30, 8)
        self.enroll_btn = QPushButton("Enroll (3-2-1, burst)")
        self.enroll_btn.setToolTip("Counts down, then takes a burst of shots; turn your head a little between "
                                   "shots. Blurry or faceless shots are rejected.")
        self.enroll_btn.clicked.connect(self.start_enroll)
        self.countdown = QLabel("")
        f = QFont()
        f.setPointSize(16)
        f.setBold(True)
        self.countdown.setFont(f)
        el.addWidget(self.enroll_name, 1)
        el.addWidget(QLabel("shots"))
        el.addWidget(self.enroll_shots)
        el.addWidget(self.enroll_btn)
        el.addWidget(self.countdown)
        lay.addWidget(enroll)

        self.timer = QTimer(self)
        self.timer.setInterval(33)  # <= 30 Hz display
        self.timer.timeout.connect(self._show_latest)
        self.burst_timer = QTimer(self)
        self.burst_timer.setInterval(150)
        self.burst_timer.timeout.connect(self._burst_tick)
        self.count_timer = QTimer(self)
        self.count_timer.setInterval(1000)
        self.count_timer.timeout.connect(self._count_tick)

    def bind_jobs(self, live_jobs) -> None:
        self.live_jobs = live_jobs
        self.stop_btn.clicked.connect(live_jobs.cancel)
        live_jobs.job_finished.connect(self._on_live_finished)
        live_jobs.job_failed.connect(self._on_live_error)

    @property
    def running(self) -> bool:
        return self.live_jobs.busy

    def _browse_video(self) -> bool:
        path, _ = QFileDialog.getOpenFileName(self, "Video file", "", "Videos (*.mp4 *.avi *.mov *.mkv *.webm);;All (*)")
        if path:
            self.source_combo.setCurrentText(path)
        return bool(path)

    @Slot()
    def use_demo(self) -> None:
        """Switch to the demo source (real faces drifting) and start it."""
        self.source_combo.setCurrentText("demo")
        self.start_live()

    @Slot()
    def _use_file(self) -> None:
        if self._browse_video():
            self.start_live()

    def _camera_failed(self, spec: str, message: str) -> bool:
        """Offer the demo and file sources when a camera could not be opened."""
        low = spec.strip().lower()
        if low.startswith("camera") or low.isdigit():
            self.fallback.show_failure(spec, message)
            return True
        return False

    @Slot()
    def start_live(self) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.faces.live import open_live_source, run_live

        if self.running:
            return
        spec = self.source_combo.currentText().strip() or "camera:0"
        self.fallback.hide()
        self._spec = spec
        try:
            source = open_live_source(spec)
        except WorkbenchError as e:
            self.panel.say(str(e), error=True)
            self._camera_failed(spec, str(e))
            return
        if self.panel.live.pipeline is None:
            self.panel.rebuild_pipeline()
        self.live_jobs.start(run_live, source, self.panel.live, on_result=self._on_live_ended, label=f"Live: {spec}")
        self.start_btn.setEnabled(False)
        self.stop_btn.setEnabled(True)
        self.timer.start()
        hint = "" if self.panel.encoder is not None else " (boxes only: choose an encoder to see names)"
        self.panel.say(f"Live from {spec}{hint}.")

    def stop_live(self) -> None:
        self.live_jobs.cancel()

    @Slot(str)
    def _on_live_error(self, msg: str) -> None:
        self.panel.say(msg, error=True)
        self.video.setText("No picture: " + msg)
        self._camera_failed(getattr(self, "_spec", ""), msg)

    def _on_live_ended(self, info: dict) -> None:
        self.live_status.setText(f"stopped after {info['frames']} frames ({info['dropped']} dropped)")

    @Slot()
    def _on_live_finished(self) -> None:
        self.timer.stop()
        self.start_btn.setEnabled(True)
        self.stop_btn.setEnabled(False)
        if self.burst_timer.isActive() or self.count_timer.isActive():
            self._finish_burst()

    @Slot()
    def _show_latest(self) -> None:
        from workbench.core.studies.faces.evaluate import UNKNOWN
        from workbench.core.studies.faces.pipeline import label_of

        item = self.panel.live.take()
        if item is None:
            return
        no, frame, faces, fps = item
        self.last_faces, self.last_frame = faces, frame
        if self.enrol_face is not None and faces is not None:
            self._follow_enrol_face([f.box for f in faces.faces])
        img = rgb_to_qimage(frame)
        if faces is not None and faces.faces:
            draw_boxes(img, [(f.box.x, f.box.y, f.box.w, f.box.h, label_of(f) if f.name else "",
                              YELLOW if not f.name else (RED if f.name == UNKNOWN else GREEN)) for f in faces.faces])
        show_scaled(self.video, img)
        n = len(faces.faces) if faces is not None else 0
        ms = f", {faces.t_total * 1000:.0f} ms/frame" if faces is not None else ""
        det = self.panel.live.pipeline.detector.kind if self.panel.live.pipeline is not None else "?"
        self.live_status.setText(f"{self.panel.live.source_name}: {fps:.1f} fps{ms}, {n} face(s), {det} detector")

    # ---- enrollment burst ---------------------------------------------------------------------
    @Slot()
    def start_enroll(self) -> None:
        name = self.enroll_name.text().strip()
        if not name:
            self.panel.say("Type the person's name first.", error=True)
            return
        if not self.running:
            self.panel.say("Start the camera (or the demo) first, or add photos from a folder in the Gallery tab.",
                           error=True)
            return
        faces = self.last_faces.faces if self.last_faces is not None else []
        self.enrol_face = None
        if len(faces) > 1 and self.last_frame is not None:  # whose face? ask (the largest by default)
            self.pick_dialog = FacePickerDialog(self.last_frame, [f.box.to_tuple() for f in faces], name, self)
            self.pick_dialog.accepted.connect(self._face_picked)
            self.pick_dialog.open()
            return
        self._start_countdown()

    @Slot()
    def _face_picked(self) -> None:
        self.enrol_face = self.pick_dialog.chosen_box()
        self.pick_dialog.deleteLater()
        self.pick_dialog = None
        self._start_countdown()

    def _follow_enrol_face(self, boxes) -> None:
        from workbench.core.studies.faces.detect import nearest_box

        box = nearest_box(boxes, self.enrol_face)
        if box is not None:
            self.enrol_face = box.to_tuple()

    def _start_countdown(self) -> None:
        self._burst, self._burst_nos = [], set()
        self._burst_face = None
        self._countdown = 3
        self.countdown.setText("3")
        self.enroll_btn.setEnabled(False)
        self.count_timer.start()

    @Slot()
    def _count_tick(self) -> None:
        self._countdown -= 1
        if self._countdown > 0:
            self.countdown.setText(str(self._countdown))
            return
        self.count_timer.stop()
        self.countdown.setText("now!")
        self.burst_timer.start()

    @Slot()
    def _burst_tick(self) -> None:
        latest = self.panel.live.peek()
        if latest is not None and latest[0] not in self._burst_nos:
            self._burst_nos.add(latest[0])
            if not self._burst:  # where the chosen person is in the burst's first frame
                self._burst_face = self.enrol_face
            self._burst.append(latest[1].copy())
            self.countdown.setText(f"{len(self._burst)}/{self.enroll_shots.value()}")
        if len(self._burst) >= self.enroll_shots.value():
            self._finish_burst()

    def _finish_burst(self) -> None:
        self.burst_timer.stop()
        self.count_timer.stop()
        self.countdown.setText("")
        self.enroll_btn.setEnabled(True)
        if self._burst:
            extra = (self._burst_face,) if getattr(self, "_burst_face", None) is not None else ()
            self.panel.gallery_op("frames", self.enroll_name.text().strip(), list(self._burst), *extra)
        self._burst = []
        self.enrol_face = None

    def shutdown(self) -> None:
        for t in (self.timer, self.burst_timer, self.count_timer):
            t.stop()
