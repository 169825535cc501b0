"""Live tab: the webcam (image models) or the microphone (sound models), classified as it comes."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

IMAGE_SOURCES = ["camera:0", "camera:1", "synthetic"]
AUDIO_SOURCES = ["microphone"]


class LiveTab(QWidget):
    """Signals:
        start_requested(str)  the source the user chose (camera:0, microphone, a file path, ...)
        stop_requested()
    """

    start_requested = Signal(str)
    stop_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.source_combo = QComboBox()
        self.source_combo.setEditable(True)
        self.source_combo.setToolTip("A camera (camera:0), the microphone, or a video / WAV file played live")
        self.start_btn = QPushButton("Start live")
        self.start_btn.clicked.connect(self._toggle)
        row.addWidget(QLabel("Source:"))
        row.addWidget(self.source_combo, 1)
        row.addWidget(self.start_btn)
        lay.addLayout(row)
        self.level = QProgressBar()
        self.level.setRange(-80, 0)
        self.level.setFormat("level %v dBFS")
        self.level.hide()
        lay.addWidget(self.level)
        self.info = QLabel("Start the live view to see the class probabilities update as frames or sound arrive "
                           "(the newest frame wins: the model never falls behind).")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        lay.addStretch(1)
        self.running = False

    def set_kind(self, kind: str) -> None:
        self.source_combo.clear()
        self.source_combo.addItems(AUDIO_SOURCES if kind == "audio" else IMAGE_SOURCES)
        self.level.setVisible(kind == "audio")

    def set_running(self, running: bool) -> None:
        self.running = running
        self.start_btn.setText("Stop live" if running else "Start live")

    def _toggle(self) -> None:
        if self.running:
            self.stop_requested.emit()
        else:
            self.start_requested.emit(self.source_combo.currentText().strip())
