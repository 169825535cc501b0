"""Tab 1, Material: positives, negatives and backgrounds from the microphone, WAV folders, text to
speech, the demo set or synthetic chirps; play and remove recordings."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QFileDialog, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget, QProgressBar, QPushButton, QVBoxLayout,
    QWidget,
)

from workbench.ui.flow_layout import flow_row
from workbench.ui.panels.trigger_word.common import KIND_LABELS, label_axes, restore_values, spin, values_of, wrapped


class MaterialTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self._import_kind = "positives"
        self._rec_kind = "positives"
        lay = QVBoxLayout(self)
        lay.addWidget(wrapped("<b>Data?</b> Positive words, negative words, background noise. Say the trigger "
                              "word 10+ times (with pauses: the recording is cut into words), a few other words, "
                              "and at least 10 s of your room's background."))
        row = QHBoxLayout()
        row.addWidget(QLabel("Trigger word:"))
        self.word_edit = QLineEdit("activate")
        row.addWidget(self.word_edit)
        for text, tip, slot in (("Load demo set", "", self.load_demo),
                                ("Synthetic (chirps)", "No speech at all: rising chirps are the trigger, falling "
                                                       "chirps and tones the other words.", self.load_synthetic),
                                ("Clear", "", self.clear_material)):
            b = QPushButton(text)
            b.setToolTip(tip)
            b.clicked.connect(slot)
            row.addWidget(b)
        lay.addLayout(row)
        lists = QHBoxLayout()
        self.kind_lists: dict[str, QListWidget] = {}
        self.kind_boxes: dict[str, QGroupBox] = {}
        for kind, label in KIND_LABELS.items():
            box = QGroupBox(label)
            v = QVBoxLayout(box)
            lw = QListWidget()
            lw.currentRowChanged.connect(self._show_item)
            v.addWidget(lw)
            buttons = []
            # four buttons share a third of the window: short texts, the details in tooltips; they
            # wrap to a second row rather than be cut off on a small screen
            for text, tip, slot in (("Record", "Record from the microphone", self._record_clicked),
                                    ("Import…", "Import a folder of WAV files", self._import_clicked),
                                    ("Play", "Play the selected recording", self._play_item),
                                    ("Remove", "Remove the selected recording", self._remove_item)):
                btn = QPushButton(text)
                btn.setToolTip(tip)
                btn.setProperty("kind", kind)
                btn.clicked.connect(slot)
                buttons.append(btn)
            v.addWidget(flow_row(*buttons))
            if kind != "backgrounds":
                t = QPushButton("Text to speech")
                t.setProperty("kind", kind)
                t.clicked.connect(self._tts_clicked)
                v.addWidget(t)
            self.kind_lists[kind] = lw
            self.kind_boxes[kind] = box
            lists.addWidget(box)
        lay.addLayout(lists, 1)
        rec = QHBoxLayout()
        rec.addWidget(QLabel("Recording length (s):"))
        self.rec_seconds = spin(1, 120, 10)
        rec.addWidget(self.rec_seconds)
        self.rec_bar = QProgressBar()
        self.rec_bar.setRange(0, 100)
        self.rec_bar.setFormat("%p% recorded")
        rec.addWidget(self.rec_bar)
        self.level_label = QLabel("Level: —")
        rec.addWidget(self.level_label, 1)
        self.stop_rec_btn = QPushButton("Stop recording")
        rec.addWidget(self.stop_rec_btn)
        rec.addWidget(QLabel("TTS words:"))
        self.tts_text = QLineEdit("banana, computer, weather")
        self.tts_text.setToolTip("Negatives: comma-separated words. Positives use the trigger word.")
        self.tts_text.setMinimumWidth(200)
        rec.addWidget(self.tts_text)
        self.tts_count = spin(1, 50, 8)
        rec.addWidget(self.tts_count)
        lay.addLayout(rec)
        p = panel.rec
        p.status, p.progress, p.cancel_button = self.level_label, self.rec_bar, self.stop_rec_btn
        self.stop_rec_btn.setEnabled(False)
        self.stop_rec_btn.clicked.connect(p.cancel)
        self.plot = pg.PlotWidget(title="Selected recording")
        self.plot.setMaximumHeight(160)
        label_axes(self.plot, "time (s)", "amplitude")
        self.plot.setXRange(0, 1)  # until a recording is selected: seconds, not a bare 0..1
        self.plot.setYRange(-1, 1)
        self.curve = self.plot.plot(pen=pg.mkPen("#1f77b4"))
        lay.addWidget(self.plot)

    @property
    def material(self):
        return self.panel.material

    def refresh(self) -> None:
        m = self.material
        if m.trigger_word:
            self.word_edit.setText(m.trigger_word)
        sr = m.sample_rate
        for kind, lw in self.kind_lists.items():
            lw.clear()
            for i, x in enumerate(getattr(m, kind)):
                lw.addItem(f"{kind[:-1]} {i + 1}: {x.size / sr:.2f} s")
            self.kind_boxes[kind].setTitle(f"{KIND_LABELS[kind]}: {lw.count()}")
        self.panel.status.setText(m.summary())

    def load_demo(self) -> None:
        from workbench.core.studies.trigger_word.material import load_demo

        self.panel.jobs.start(load_demo, self.panel.config.sample_rate, on_result=self.panel.set_material,
                              label="Loading the demo set…")

    def load_synthetic(self) -> None:
        from workbench.core.studies.trigger_word.material import synthetic_material

        self.panel.jobs.start(synthetic_material, self.panel.config.sample_rate, on_result=self.panel.set_material,
                              label="Making synthetic material…")

    def clear_material(self) -> None:
        from workbench.core.studies.trigger_word.material import Material

        self.panel.set_material(Material(sample_rate=self.panel.config.sample_rate))

    def _kind_of_sender(self) -> str:
        return str(self.sender().property("kind") or "positives")

    def _selected(self, kind: str):
        row = self.kind_lists[kind].currentRow()
        items = getattr(self.material, kind)
        return (row, items[row]) if 0 <= row < len(items) else (None, None)

    @Slot(int)
    def _show_item(self, row: int) -> None:
        lw = self.sender()
        kind = next((k for k, w in self.kind_lists.items() if w is lw), None)
        items = getattr(self.material, kind) if kind else []
        if 0 <= row < len(items):
            x = items[row]
            step = max(1, x.size // 4000)
            self.curve.setData(np.arange(0, x.size, step) / self.material.sample_rate, x[::step])
            self.plot.enableAutoRange()  # the placeholder range was fixed

    def _play_item(self) -> None:
        _, x = self._selected(self._kind_of_sender())
        if x is not None:
            self.panel.play(x, self.material.sample_rate)

    def _remove_item(self) -> None:
        kind = self._kind_of_sender()
        row, x = self._selected(kind)
        if x is not None:
            del getattr(self.material, kind)[row]
            self.refresh()

    def _import_clicked(self) -> None:
        kind = self._kind_of_sender()
        d = QFileDialog.getExistingDirectory(self, f"Folder of WAV files: {KIND_LABELS[kind]}")
        if d:
            self.import_folder(kind, d)

    def import_folder(self, kind: str, folder: str) -> None:
        from workbench.core.studies.trigger_word.material import load_wav_folder

        self._import_kind = kind
        self.panel.jobs.start(load_wav_folder, folder, self.material.sample_rate, trim=kind != "backgrounds",
                              on_result=self._on_imported, label=f"Importing {folder}…")

    @Slot(object)
    def _on_imported(self, clips) -> None:
        n = self.material.add(self._import_kind, clips)
        self.refresh()
        self.panel.banner.show_message(f"Imported {n} recording(s) as {KIND_LABELS[self._import_kind].lower()}.", "ok")

    def _tts_clicked(self) -> None:
        kind = self._kind_of_sender()
        words = [self.word_edit.text().strip()] if kind == "positives" else \
            [w.strip() for w in self.tts_text.text().split(",") if w.strip()]
        self.text_to_speech(kind, words, self.tts_count.value())

    def text_to_speech(self, kind: str, words: list[str], count: int) -> None:
        from workbench.core.studies.trigger_word.material import speak_words, tts_engine, tts_missing_message

        if tts_engine() is None:
            self.panel.banner.show_message(tts_missing_message(), "warning")
            return
        if not words or not words[0]:
            self.panel.banner.show_message("Type the word(s) to speak first.", "warning")
            return
        self._import_kind = kind
        self.panel.jobs.start(speak_words, words, count, self.material.sample_rate, on_result=self._on_imported,
                              label=f"Speaking {', '.join(words)}…")

    def _record_clicked(self) -> None:
        self.start_recording(self._kind_of_sender(), float(self.rec_seconds.value()))

    def start_recording(self, kind: str, seconds: float) -> None:
        from workbench.core.studies.trigger_word.live import record

        self._rec_kind = kind
        if self.panel.rec.start(record, self.material.sample_rate, seconds, on_result=self._on_recorded,
                                label=f"Recording {KIND_LABELS[kind].lower()}… say it now.") is not None:
            self.panel.status.setText(f"Recording {KIND_LABELS[kind].lower()}… say it now.")

    @Slot(object)
    def _on_recorded(self, x) -> None:
        sr = self.material.sample_rate
        n = self.material.add_recording(self._rec_kind, x)
        if self._rec_kind == "backgrounds" and x.size < 10 * sr:
            self.panel.banner.show_message("Background recordings of at least 10 s work best (a clip is 10 s).",
                                           "warning")
        self.refresh()
        self.panel.status.setText(f"Recorded {x.size / sr:.1f} s: {n} new {self._rec_kind}.")

    def _widgets(self) -> dict:
        return {"trigger_word": self.word_edit, "tts_words": self.tts_text, "tts_count": self.tts_count,
                "record_seconds": self.rec_seconds}

    def state(self) -> dict:
        return values_of(self._widgets())

    def restore(self, s: dict) -> None:
        restore_values(self._widgets(), s)
