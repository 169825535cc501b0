"""Tab 5, Detect: microphone / WAV file / demo stream -> the scrolling probability trace, the first
stage's candidates and the verifier's decisions, a visible and audible signal per trigger. The
settings start at the model's stored operating point."""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtWidgets import (
    QApplication, QCheckBox, QComboBox, QFileDialog, QLabel, QPushButton, QVBoxLayout, QWidget,
)

from workbench.ui.flow_layout import flow_row, labelled
from workbench.ui.panels.trigger_word.common import SOURCES, TRACE_SECONDS, restore_values, spin, values_of



class DetectTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.detector = None
        self.feed = None
        self._t: list[np.ndarray] = []
        self._p: list[np.ndarray] = []
        self.events: list[tuple[float, float]] = []
        self.candidates: list = []
        self._rtf = float("nan")
        self._dirty = False
        self._beep_ok = True
        lay = QVBoxLayout(self)
        self.threshold = spin(0.01, 0.999, 0.5, 0.05, 3)
        self.smoothing = spin(1, 25, 1)
        self.smoothing.setToolTip("Output steps (40 ms each) averaged before the threshold.")
        self.min_duration = spin(0.0, 2.0, 0.08, 0.02, 2)
        self.refractory = spin(0.0, 10.0, 2.0, 0.25, 2)
        self.second = QCheckBox("second stage")
        self.second.setToolTip("Confirm each first-stage trigger with the model's verifier on the last 1.5 s.")
        self.second.setEnabled(False)
        self.source_combo = QComboBox()
        self.source_combo.addItems(SOURCES)
        # label + field pairs in a row that wraps on a small screen instead of cutting them off
        items = []
        for label, w in (("Threshold", self.threshold), ("Smoothing", self.smoothing),
                         ("Min. duration (s)", self.min_duration), ("Refractory (s)", self.refractory),
                         ("", self.second), ("Source", self.source_combo)):
            items.append(labelled(label, w) if label else w)
        for w in (self.threshold, self.smoothing, self.min_duration, self.refractory):
            w.valueChanged.connect(self._rule_changed)
        self.stored_btn = QPushButton("Stored point")
        self.stored_btn.setToolTip("The operating point chosen on validation material and saved with the model.")
        self.stored_btn.clicked.connect(self.use_stored_point)
        self.detect_btn = QPushButton("Start")
        self.detect_btn.clicked.connect(self.toggle)
        lay.addWidget(flow_row(*items, self.stored_btn, self.detect_btn))
        # the operating points measured on speech engines the model never heard (saved with it)
        self.sensitivity = QComboBox()
        self.sensitivity.setToolTip("Thresholds with the false accepts an hour and false rejects measured on speech "
                                    "engines that took no part in training or in choosing the threshold.")
        self.sensitivity.activated.connect(self._sensitivity_chosen)
        self.expected = QLabel("")
        self.expected.setWordWrap(True)
        lay.addWidget(flow_row(labelled("Sensitivity (unseen engines)", self.sensitivity)))
        lay.addWidget(self.expected)
        self.trigger_label = QLabel("—")
        self.trigger_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.trigger_label.setMinimumHeight(48)
        lay.addWidget(self.trigger_label)
        self.stage_label = QLabel("First stage: —    Second stage: —")
        self.stage_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(self.stage_label)
        self.trace_plot = pg.PlotWidget(title="P(trigger word just ended), live")
        self.trace_plot.setYRange(0, 1.02)
        self.trace_plot.setLabel("bottom", "time (s)")
        self.trace_plot.setLabel("left", "P(trigger)")
        self.trace_plot.setXRange(0, TRACE_SECONDS, padding=0)
        self.trace_plot.addLegend()
        self.trace_curve = self.trace_plot.plot(pen=pg.mkPen("#1f77b4", width=2), name="first stage")
        self.rejected_scatter = pg.ScatterPlotItem(size=11, brush=pg.mkBrush("#999999"), symbol="x",
                                                   name="rejected by the verifier")
        self.event_scatter = pg.ScatterPlotItem(size=12, brush=pg.mkBrush("#d62728"), symbol="t", name="trigger")
        for item in (self.rejected_scatter, self.event_scatter):
            self.trace_plot.addItem(item)
        self.threshold_line = pg.InfiniteLine(pos=0.5, angle=0, pen=pg.mkPen("#d62728", style=Qt.PenStyle.DashLine))
        self.trace_plot.addItem(self.threshold_line)
        lay.addWidget(self.trace_plot, 1)
        self.info = QLabel("")
        lay.addWidget(self.info)
        self._end_flash()
        self.trace_timer = QTimer(self)
        self.trace_timer.setInterval(50)  # <= 20 Hz redraws of the live trace
        self.trace_timer.timeout.connect(self._redraw)
        self.flash_timer = QTimer(self)
        self.flash_timer.setSingleShot(True)
        self.flash_timer.timeout.connect(self._end_flash)
        panel.live.job_finished.connect(self._on_finished)

    # ---- settings ----------------------------------------------------------------------------
    def use_model(self, model) -> None:
        from workbench.core.studies.trigger_word.unseen import sensitivity_choices

        self.second.setEnabled(model.verifier is not None)
        self.second.setChecked(model.verifier is not None)
        self.sensitivity.clear()
        for text, th in sensitivity_choices(model.metrics.get("unseen_engines")):
            self.sensitivity.addItem(text, th)
        self.sensitivity.setEnabled(self.sensitivity.count() > 0)
        self.use_stored_point()
        self._show_expected()

    def _sensitivity_chosen(self, index: int) -> None:
        th = self.sensitivity.itemData(index)
        if th is None:
            return
        table = self.panel.model.metrics.get("unseen_engines") or {}
        if table.get("smoothing"):
            self.smoothing.setValue(int(table["smoothing"]))
        self.second.setChecked(self.second.isEnabled() and table.get("verifier_threshold") is not None)
        self.threshold.setValue(float(th))

    def _show_expected(self) -> None:
        """The false accepts an hour and false rejects measured on unseen engines at the threshold."""
        from workbench.core.studies.trigger_word.unseen import describe, expected_at

        m = self.panel.model
        table = m.metrics.get("unseen_engines") if m is not None else None
        self.expected.setText(describe(table, self.threshold.value()) if m is not None else "")
        row = expected_at(table, self.threshold.value())
        if row is not None:
            i = self.sensitivity.findData(row["threshold"])
            if i >= 0 and i != self.sensitivity.currentIndex():
                self.sensitivity.setCurrentIndex(i)

    def use_stored_point(self) -> None:
        m = self.panel.model
        op = getattr(m, "operating_point", None)
        if op is None:
            return
        self.threshold.setValue(op.threshold)
        self.smoothing.setValue(op.smoothing)
        self.min_duration.setValue(op.min_duration)
        self.refractory.setValue(op.refractory)

    def _rule_changed(self) -> None:
        self.threshold_line.setValue(self.threshold.value())
        self._show_expected()
        if self.detector is not None and self.panel.live.busy:
            # swaps one attribute of the detector; the worker picks the new rule up at its next step
            self.detector.set_rule(self.threshold.value(), self.min_duration.value(), self.refractory.value(),
                                   self.smoothing.value())

    # ---- running -----------------------------------------------------------------------------
    def toggle(self) -> None:
        if self.panel.live.busy:
            self.panel.live.cancel()
            return
        src = self.source_combo.currentText()
        if src.startswith("WAV"):
            path, _ = QFileDialog.getOpenFileName(self, "WAV file to listen to", "", "WAV files (*.wav)")
            if not path:
                return
            src = path
        self.start_detection(src)

    def start_detection(self, source: str, realtime: bool = True) -> bool:
        """``source``: "microphone", "demo stream" or a WAV path; files are paced like a live device
        unless ``realtime`` is False."""
        p = self.panel
        if p.model is None:
            p.banner.show_message("Train or load a model first (3. Train or 4. Recipe).", "warning")
            return False
        if p.live.busy:
            return False
        from workbench.core.capture.audio import ArrayAudioSource, WavFileSource, open_microphone
        from workbench.core.studies.trigger_word.detector import StreamingDetector
        from workbench.core.studies.trigger_word.live import LiveFeed, run_detection

        sr = p.model.config.sample_rate
        if source == "microphone":
            def make():
                return open_microphone(sample_rate=sr, start=False)
        elif source == "demo stream":
            if not p.material.positives:
                p.banner.show_message("The demo stream needs material: load the demo set first (1. Material).",
                                      "warning")
                return False
            from workbench.core.studies.trigger_word.synthesis import demo_stream

            audio, _, _ = demo_stream(p.material, p.model.config, 30.0, seed=int(time.time()) % 1000)

            def make():
                return ArrayAudioSource(audio, sr, realtime=realtime, block_size=800, name="demo stream")
        else:
            def make():
                return WavFileSource(source, sample_rate=sr, realtime=realtime, block=800)
        verifier = p.model.verifier if self.second.isChecked() else None
        self.detector = StreamingDetector(p.model, threshold=self.threshold.value(),
                                          min_duration=self.min_duration.value(), refractory=self.refractory.value(),
                                          smoothing=self.smoothing.value(), verifier=verifier)
        self.feed = LiveFeed()
        self._t, self._p, self.events, self.candidates = [], [], [], []
        for sc in (self.event_scatter, self.rejected_scatter):
            sc.setData([], [])
        if p.live.start(run_detection, self.detector, make, self.feed, label="listening") is None:
            return False
        self.detect_btn.setText("Stop")
        self.trace_timer.start()
        self.info.setText(f"Listening to {Path(source).name if source not in SOURCES else source}…")
        return True

    def stop_detection(self) -> None:
        self.panel.live.cancel()

    @Slot()
    def _on_finished(self) -> None:
        self.detect_btn.setText("Start")
        self._take()
        self._dirty = True
        self._redraw()
        self.trace_timer.stop()

    def _take(self) -> None:
        if self.feed is None:
            return
        d = self.feed.drain()
        if d["times"].size:
            self._t.append(d["times"])
            self._p.append(d["probs"])
            self._dirty = True
        self._rtf = d["rtf"]
        self.candidates += d["candidates"]
        if d["candidates"]:
            last = d["candidates"][-1]
            self.stage_label.setText(f"First stage: fired at {last.time:.1f} s (p = {last.probability:.2f})    "
                                     f"Second stage: {'confirmed' if last.verified else 'rejected'} "
                                     f"(score {last.verifier_score:.2f})")
            self._dirty = True
        for ev in d["events"]:
            self.events.append((ev.time, ev.probability))
            self._flash(ev)
            self._dirty = True

    def _flash(self, ev) -> None:
        word = self.panel.material_tab.word_edit.text()
        self.trigger_label.setText(f"TRIGGER — “{word}” at {ev.time:.1f} s (p = {ev.probability:.2f})")
        self.trigger_label.setStyleSheet("QLabel{background:#2ca02c;color:white;font-size:20px;font-weight:bold;"
                                         "border-radius:6px;}")
        if self.detector is not None and self.detector.verifier is None:
            self.stage_label.setText(f"First stage: fired at {ev.time:.1f} s    Second stage: off")
        self.flash_timer.start(800)
        self._beep()

    def _beep(self) -> None:
        if not self._beep_ok:
            return
        from workbench.core.capture.audio import play
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.trigger_word.live import beep_tone

        sr = 16000
        tone = beep_tone(sr)
        try:
            play(tone, sr)
        except WorkbenchError:
            self._beep_ok = False  # no output device: the visible signal has to do
            QApplication.beep()

    @Slot()
    def _end_flash(self) -> None:
        self.trigger_label.setStyleSheet("QLabel{background:#eeeeee;color:#777;font-size:20px;border-radius:6px;}")

    @Slot()
    def _redraw(self) -> None:
        self._take()
        if not self._dirty:
            return
        self._dirty = False
        if len(self._t) > 50:  # keep the lists short; the chart shows the last seconds only
            self._t, self._p = [np.concatenate(self._t)], [np.concatenate(self._p)]
        t, p = self.trace()
        if not t.size:
            return
        lo = t[-1] - TRACE_SECONDS
        keep = t >= lo
        self.trace_curve.setData(t[keep], p[keep])
        self.trace_plot.setXRange(max(0.0, lo), max(TRACE_SECONDS, t[-1]), padding=0)
        ev = [(a, b) for a, b in self.events if a >= lo]
        self.event_scatter.setData([a for a, _ in ev], [min(1.0, b) for _, b in ev])
        rej = [(c.time, c.probability) for c in self.candidates if c.verified is False and c.time >= lo]
        self.rejected_scatter.setData([a for a, _ in rej], [min(1.0, b) for _, b in rej])
        n_rej = sum(1 for c in self.candidates if c.verified is False)
        self.info.setText(f"{len(self.events)} trigger(s) in {t[-1]:.1f} s"
                          + (f"; {n_rej} first-stage trigger(s) rejected by the verifier" if self.candidates else "")
                          + f"; real-time factor {self._rtf:.3f}")

    def trace(self) -> tuple[np.ndarray, np.ndarray]:
        t = np.concatenate(self._t) if self._t else np.zeros(0)
        p = np.concatenate(self._p) if self._p else np.zeros(0)
        return t, p

    def stop_timers(self) -> None:
        for t in (self.trace_timer, self.flash_timer):
            t.stop()

    def _widgets(self) -> dict:
        return {"threshold": self.threshold, "smoothing": self.smoothing, "min_duration": self.min_duration,
                "refractory": self.refractory, "source": self.source_combo}

    def state(self) -> dict:
        return values_of(self._widgets())

    def restore(self, s: dict) -> None:
        restore_values(self._widgets(), s)
