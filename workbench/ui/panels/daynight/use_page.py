"""Day & Night, question 9: use the model. Classify dropped or chosen files and folders, or run
the live camera (or a video file / image folder standing in for one) with a P(day) gauge."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from workbench.ui.panels.daynight.data_pages import page_layout
from workbench.ui.widgets import explanation, fill_table, table_widget

SOURCES = ["camera:0", "camera:1", "synthetic:cycle", "synthetic:day", "synthetic:night"]
DAY_COLOUR, NIGHT_COLOUR = "#f2b705", "#2b3a67"


class UsePage(QWidget):
    def __init__(self, header: str, parent=None):
        super().__init__(parent)
        lay = page_layout(self, header)
        lay.addWidget(explanation("Drop image files or folders here to classify them, or run the live camera."))
        row = QHBoxLayout()
        self.classify_btn = QPushButton("Classify files…")
        row.addWidget(self.classify_btn)
        row.addStretch(1)
        lay.addLayout(row)
        self.classify_table = table_widget(["file", "label", "P(day)"], max_height=180)
        lay.addWidget(self.classify_table)
        live = QGroupBox("Live")
        ll = QVBoxLayout(live)
        src_row = QHBoxLayout()
        self.source_combo = QComboBox()
        self.source_combo.setEditable(True)
        self.source_combo.addItems(SOURCES)
        self.source_file_btn = QPushButton("Video or image folder…")
        self.live_btn = QPushButton("Start live")
        src_row.addWidget(QLabel("Source"))
        src_row.addWidget(self.source_combo, 1)
        src_row.addWidget(self.source_file_btn)
        src_row.addWidget(self.live_btn)
        ll.addLayout(src_row)
        view = QHBoxLayout()
        self.frame_view = QLabel("no frames yet")
        self.frame_view.setMinimumSize(320, 240)
        self.frame_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.frame_view.setStyleSheet("background:#222;color:#ccc;")
        view.addWidget(self.frame_view, 2)
        gauge_box = QVBoxLayout()
        self.gauge = QProgressBar()
        self.gauge.setOrientation(Qt.Orientation.Vertical)
        self.gauge.setRange(0, 1000)
        self.gauge.setTextVisible(False)
        self.gauge.setMinimumHeight(200)
        self.gauge_label = QLabel("P(day) —")
        self.live_info = QLabel("")
        gauge_box.addWidget(QLabel("P(day)"))
        gauge_box.addWidget(self.gauge, 1)
        gauge_box.addWidget(self.gauge_label)
        gauge_box.addWidget(self.live_info)
        view.addLayout(gauge_box)
        ll.addLayout(view, 1)
        lay.addWidget(live, 1)
        self._gauge_day: bool | None = None

    def source(self) -> str:
        return self.source_combo.currentText().strip()

    def set_live(self, running: bool, opening: str = "") -> None:
        self.live_btn.setText("Stop live" if running else "Start live")
        if opening:
            self.frame_view.setText(f"opening {opening}…")

    def show_classified(self, rows: list[dict]) -> None:
        fill_table(self.classify_table, [[Path(r["path"]).name, r["label"], f"{r['p_day']:.3f}"] for r in rows])

    def show_reading(self, r: dict) -> None:
        """One live reading (``daynight.live.live_readings``, with its frame as an owned QImage)."""
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
