"""Tab 2, Clips: generate thousands of clips off the GUI thread; view any clip's waveform,
spectrogram and label track (with the model's output), and play it."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Slot
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.ui.panels.trigger_word.common import label_axes, restore_values, spin, values_of, wrapped


class ClipsTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        lay = QVBoxLayout(self)
        lay.addWidget(wrapped("<b>Generate!</b> 10 s clips: a background segment, 0-4 trigger words and 0-2 "
                              "other words at random non-overlapping times and gains. <b>Output:</b> y = 1 for the "
                              "50 output steps right after each trigger word ends (y = 000000011111000…)."))
        form = QFormLayout()
        self.n_clips = spin(10, 20000, 1000, 100)
        self.n_val = spin(4, 5000, 200, 50)
        self.seed = spin(0, 10 ** 6, 0)
        self.clip_seconds = spin(2.0, 30.0, 10.0, 1.0, 1)
        self.n_fft = spin(64, 2048, 400, 16)
        self.hop = spin(16, 1024, 160, 16)
        self.n_mels = spin(8, 128, 40, 8)
        for label, w in (("Training clips", self.n_clips), ("Validation clips", self.n_val), ("Seed", self.seed),
                         ("Clip length (s)", self.clip_seconds), ("Window (n_fft samples)", self.n_fft),
                         ("Hop (samples)", self.hop), ("Mel bands", self.n_mels)):
            form.addRow(label, w)
        top = QHBoxLayout()
        top.addLayout(form)
        side = QVBoxLayout()
        self.gen_btn = QPushButton("Generate clips")
        self.gen_btn.clicked.connect(self.generate)
        side.addWidget(self.gen_btn)
        self.info = QLabel("No clips yet.")
        self.info.setWordWrap(True)
        side.addWidget(self.info)
        view = QHBoxLayout()
        view.addWidget(QLabel("Show clip #"))
        self.clip_index = spin(0, 0, 0)
        self.clip_index.valueChanged.connect(self.show_clip)
        self.clip_index.setMinimumWidth(90)
        view.addWidget(self.clip_index)
        b = QPushButton("Play clip")
        b.clicked.connect(self.play_clip)
        view.addWidget(b)
        view.addStretch(1)
        side.addLayout(view)
        side.addStretch(1)
        top.addLayout(side, 1)
        lay.addLayout(top)
        self.wave_plot = pg.PlotWidget(title="Waveform (green: trigger word, red: other word)")
        self.wave_curve = self.wave_plot.plot(pen=pg.mkPen("#555"))
        self.spec_plot = pg.PlotWidget(title="Log-mel spectrogram")
        self.spec_img = pg.ImageItem()
        self.spec_img.setColorMap(pg.colormap.get("viridis"))
        self.spec_plot.addItem(self.spec_img)
        self.label_plot = pg.PlotWidget(title="Labels per output step (and the model's probability)")
        self.label_curve = self.label_plot.plot(pen=pg.mkPen("#2ca02c", width=2), stepMode=None)
        self.pred_curve = self.label_plot.plot(pen=pg.mkPen("#d62728"))
        self.label_plot.setYRange(-0.05, 1.05)
        label_axes(self.label_plot, "time (s)", "")
        self.wave_plot.setXRange(0, self.clip_seconds.value())  # before any clip: the clip's seconds
        self.spec_plot.getAxis("left").setLabel("mel band")
        for p in (self.spec_plot, self.label_plot):
            p.setXLink(self.wave_plot)
        self.segment_items: list = []
        for p in (self.wave_plot, self.spec_plot, self.label_plot):
            lay.addWidget(p, 1)

    def current_config(self):
        from workbench.core.studies.trigger_word.config import TriggerConfig

        return TriggerConfig(sample_rate=self.panel.material.sample_rate, clip_seconds=self.clip_seconds.value(),
                             n_fft=self.n_fft.value(), hop=self.hop.value(), n_mels=self.n_mels.value())

    def generate(self) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.trigger_word.synthesis import generate_sets

        try:
            cfg = self.current_config()
            self.panel.material.check()
        except WorkbenchError as e:
            self.panel.banner.show_message(str(e), "error")
            return
        self.panel.config = cfg
        self.panel.jobs.start(generate_sets, self.panel.material, self.n_clips.value(), self.n_val.value(), cfg,
                              self.seed.value(), on_result=self._on_clips, label="Generating clips…")

    @Slot(object)
    def _on_clips(self, sets) -> None:
        self.panel.clips = sets
        tr, va = sets["train"], sets["val"]
        self.clip_index.setRange(0, len(tr) - 1)
        c = tr.config
        self.info.setText(
            f"{len(tr):,} training + {len(va):,} validation clips, {tr.stats.get('positives', 0):,} trigger words; "
            f"{tr.stats.get('clips_per_s', 0):.0f} clips/s. Input {c.input_steps} × {c.n_mels} "
            f"→ output {c.output_steps} steps of {1000 * c.step_seconds:.0f} ms; label = {c.label_steps} steps "
            f"({c.label_steps * c.step_seconds:.1f} s). {100 * tr.stats.get('positive_fraction', 0):.1f}% of the "
            "labels are 1.")
        self.show_clip(self.clip_index.value())
        self.panel.status.setText(f"{len(tr):,} clips ready.")

    def show_clip(self, i: int = 0):
        clips = self.panel.clips
        if not clips:
            return None
        cs = clips["train"]
        if not 0 <= i < len(cs):
            return None
        clip = cs.remake(self.panel.material, i)
        c = cs.config
        sr = c.sample_rate
        step = max(1, clip.audio.size // 8000)
        self.wave_curve.setData(np.arange(0, clip.audio.size, step) / sr, clip.audio[::step])
        self.spec_img.setImage(cs.features[i].astype(np.float32), autoLevels=True)
        self.spec_img.setRect(QRectF(c.n_fft / sr / 2, 0, c.input_steps * c.hop / sr, c.n_mels))
        from workbench.core.studies.trigger_word.evaluation import step_times

        t = step_times(c, c.output_steps)
        self.label_curve.setData(t, clip.labels)
        model = self.panel.model
        if model is not None and model.config.same_features(c):
            self.pred_curve.setData(t, model.predict(cs.features[i]))
        else:
            self.pred_curve.setData([], [])
        for item in self.segment_items:
            self.wave_plot.removeItem(item)
        self.segment_items = []
        for s in clip.segments:
            reg = pg.LinearRegionItem((s.start / sr, s.end / sr), movable=False,
                                      brush=pg.mkBrush(44, 160, 44, 60) if s.kind == "positive"
                                      else pg.mkBrush(214, 39, 40, 50))
            self.wave_plot.addItem(reg)
            self.segment_items.append(reg)
        self.wave_plot.setXRange(0, c.clip_seconds, padding=0.01)
        self.wave_plot.enableAutoRange(axis="y")
        self.spec_plot.setYRange(0, c.n_mels, padding=0)
        return clip

    def play_clip(self) -> None:
        clip = self.show_clip(self.clip_index.value())
        if clip is not None:
            self.panel.play(clip.audio, self.panel.clips["train"].config.sample_rate)

    def _widgets(self) -> dict:
        return {"n_clips": self.n_clips, "n_val": self.n_val, "seed": self.seed, "clip_seconds": self.clip_seconds,
                "n_fft": self.n_fft, "hop": self.hop, "n_mels": self.n_mels}

    def state(self) -> dict:
        return values_of(self._widgets())

    def restore(self, s: dict) -> None:
        restore_values(self._widgets(), s)
