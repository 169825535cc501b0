"""Verify & identify tab: one-shot verification against a claimed person, k-NN identification."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, \
    QPushButton, QVBoxLayout, QWidget

from workbench.ui.panels.faces.common import GREEN, RED, draw_boxes, rgb_to_qimage, show_scaled
from workbench.ui.widgets import spin_box

IMAGES = "Images (*.png *.jpg *.jpeg *.bmp *.webp)"


class VerifyTab(QWidget):
    def __init__(self, panel, parent=None):
        super().__init__(parent)
        self.panel = panel
        self.last_verify = None
        self.last_matches = []
        lay = QVBoxLayout(self)
        th = QFormLayout()
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setDecimals(3)
        self.threshold_spin.setRange(0.0, 4.0)
        self.threshold_spin.setSingleStep(0.01)
        self.threshold_spin.setValue(0.6)
        self.threshold_spin.setToolTip("Faces closer than this to a gallery person are that person (set from the "
                                       "validation people of the last evaluation; dlib's published value is 0.6)")
        self.k_spin = spin_box(1, 15, 1)
        th.addRow("Distance threshold", self.threshold_spin)
        th.addRow("Neighbours (k-NN)", self.k_spin)
        lay.addLayout(th)
        vg = QGroupBox("Verify: is this the person they claim to be?")
        vl = QVBoxLayout(vg)
        r = QHBoxLayout()
        self.claim_combo = QComboBox()
        self.verify_cam_btn = QPushButton("Verify camera frame")
        self.verify_cam_btn.clicked.connect(self.verify_camera)
        self.verify_img_btn = QPushButton("Verify image…")
        self.verify_img_btn.clicked.connect(self._verify_image_dialog)
        r.addWidget(QLabel("Claimed identity:"))
        r.addWidget(self.claim_combo, 1)
        vl.addLayout(r)
        r2 = QHBoxLayout()  # on a line of their own: beside the name they were cut off on a small screen
        r2.addWidget(self.verify_cam_btn)
        r2.addWidget(self.verify_img_btn)
        r2.addStretch(1)
        vl.addLayout(r2)
        self.verify_result = QLabel("")
        f = QFont()
        f.setPointSize(13)
        f.setBold(True)
        self.verify_result.setFont(f)
        self.verify_result.setWordWrap(True)
        vl.addWidget(self.verify_result)
        lay.addWidget(vg)
        ig = QGroupBox("Identify: who is in this photo?")
        ig.setToolTip("Names also appear on the live feed.")
        il = QVBoxLayout(ig)
        self.identify_btn = QPushButton("Identify image…")
        self.identify_btn.clicked.connect(self._identify_image_dialog)
        il.addWidget(self.identify_btn)
        self.identify_view = QLabel("")
        self.identify_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.identify_view.setMinimumHeight(200)
        il.addWidget(self.identify_view, 1)
        self.identify_result = QLabel("")
        self.identify_result.setWordWrap(True)
        il.addWidget(self.identify_result)
        lay.addWidget(ig, 1)
        self.buttons = (self.verify_cam_btn, self.verify_img_btn, self.identify_btn)

    def set_people(self, names: list[str]) -> None:
        cur = self.claim_combo.currentText()
        self.claim_combo.clear()
        self.claim_combo.addItems(names)
        if cur in names:
            self.claim_combo.setCurrentText(cur)

    def _ready(self) -> bool:
        p = self.panel
        if p.encoder is None:
            p.say("Choose an encoder first (Encoder tab -> Use this encoder).", error=True)
            return False
        if p.gallery is None or not len(p.gallery):
            p.say("The gallery is empty: enroll people first.", error=True)
            return False
        if p.gallery.needs_embedding(p.encoder.key):
            p.say("The gallery's embeddings are from another encoder: press Re-embed in the Gallery tab.", error=True)
            return False
        return True

    def verify_camera(self) -> None:
        if not self._ready():
            return
        frame = self.panel.live.peek_frame()
        if frame is None:
            self.panel.say("Start the camera first (or use Verify image…).", error=True)
            return
        self._verify(frame.copy())

    def _verify_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Photo to verify", "", IMAGES)
        if path:
            self.verify_image(path)

    def verify_image(self, path: str) -> None:
        if self._ready():
            self._verify(path)

    def _verify(self, image) -> None:
        from workbench.core.studies.faces.workflow import verify_photo

        p = self.panel
        claimed = self.claim_combo.currentText()
        p.run_job(verify_photo, image, claimed, p.gallery, p.encoder, p.photo_finder(), self.threshold_spin.value(),
                  on_result=self._on_verified, label=f"Verifying {claimed}…")

    def _on_verified(self, out: dict) -> None:
        r = out["result"]
        if r is None:
            self.verify_result.setStyleSheet("color:#b00020;")
            self.verify_result.setText("No face found: look at the camera, or use a photo where the face is clear.")
            return
        self.last_verify = r
        self.verify_result.setStyleSheet("color:#087f23;" if r.accepted else "color:#b00020;")
        self.verify_result.setText(("ACCEPTED — " if r.accepted else "REJECTED — ") + r.sentence()
                                   + f" ({self.panel.encoder.name} encoder)")

    def _identify_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Photo", "", IMAGES)
        if path:
            self.identify_image(path)

    def identify_image(self, path: str) -> None:
        from workbench.core.studies.faces.workflow import identify_photo

        p = self.panel
        if self._ready():
            p.run_job(identify_photo, path, p.gallery, p.encoder, p.photo_finder(), self.threshold_spin.value(),
                      self.k_spin.value(), on_result=self._on_identified, label="Identifying…")

    def _on_identified(self, out: dict) -> None:
        from workbench.core.studies.faces.evaluate import UNKNOWN

        matches = out["matches"]
        img = draw_boxes(rgb_to_qimage(out["image"]), [(*b, f"{m.name} ({m.distance:.2f})",
                                                         RED if m.name == UNKNOWN else GREEN)
                                                        for b, m in zip(out["boxes"], matches)])
        show_scaled(self.identify_view, img, smooth=True)
        self.last_matches = matches
        self.identify_result.setText(
            "; ".join(f"{m.name} (distance {m.distance:.3f}; nearest {m.nearest})" for m in matches)
            or "No face found in the photo.")
