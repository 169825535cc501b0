"""Which face to enrol when the picture shows several, and what to do when the camera fails."""
from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListView, QListWidget,
                               QListWidgetItem, QPushButton, QVBoxLayout, QWidget)

from workbench.ui.panels.faces.common import rgb_to_qimage


class FacePickerDialog(QDialog):
    """Thumbnails of the faces in a frame (largest first, selected); ``chosen_box()`` after OK."""

    def __init__(self, frame, boxes: list[tuple[int, int, int, int]], name: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Which face is " + (name or "this person") + "?")
        self.boxes = list(boxes)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"The picture shows {len(boxes)} faces. Pick the one to enrol as "
                             f"<b>{name}</b> (the largest is selected); it is followed while the shots are taken."))
        self.faces = QListWidget()
        self.faces.setViewMode(QListView.ViewMode.IconMode)
        self.faces.setIconSize(QSize(96, 96))
        self.faces.setMovement(QListView.Movement.Static)
        self.faces.setMinimumHeight(140)
        img = rgb_to_qimage(frame)
        for i, (x, y, w, h) in enumerate(self.boxes):
            thumb = QPixmap.fromImage(img.copy(QRect(x, y, w, h))).scaled(
                96, 96, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            self.faces.addItem(QListWidgetItem(QIcon(thumb), "largest" if i == 0 else f"face {i + 1}"))
        self.faces.setCurrentRow(0)
        self.faces.itemDoubleClicked.connect(lambda _it: self.accept())
        lay.addWidget(self.faces)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)

    def chosen_box(self) -> tuple[int, int, int, int]:
        return self.boxes[max(0, self.faces.currentRow())]


class SourceFallback(QWidget):
    """A message row shown when the camera fails, with buttons that switch to the other sources.

    Signals:
        demo_requested()   "Use the demo faces"
        file_requested()   "Open a video…"
    """

    demo_requested = Signal()
    file_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("sourceFallback")
        self.setStyleSheet("QWidget#sourceFallback { background: #fff4e5; border: 1px solid #f0b35e; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 4, 8, 4)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.demo_btn = QPushButton("Use the demo faces")
        self.demo_btn.setToolTip("Real faces drifting over a background: everything works without a camera")
        self.file_btn = QPushButton("Open a video…")
        self.file_btn.setToolTip("A video file (or type a folder of photos in the Source box)")
        row.addWidget(self.message, 1)
        row.addWidget(self.demo_btn)
        row.addWidget(self.file_btn)
        self.demo_btn.clicked.connect(self.demo_requested)
        self.file_btn.clicked.connect(self.file_requested)
        self.hide()

    def show_failure(self, spec: str, message: str) -> None:
        self.message.setText(f"{message} No camera? Use the demo faces or a video file instead.")
        self.show()
