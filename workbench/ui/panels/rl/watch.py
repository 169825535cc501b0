"""Watch it play: the environment drawn live at its own frame rate (a random agent, the agent as it
is during training, or the best / a saved agent), with the agent's action probabilities or
Q-values beside it; record an episode to a GIF; export the policy to ONNX.

The play loop runs on its own JobRunner (beside a training); each frame becomes an owned QImage
in the worker thread (``Relay``) and a pixmap here. Frames that arrive faster than they are
painted replace each other (the newest wins)."""
from __future__ import annotations

import threading
import time

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QComboBox, QFileDialog, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from workbench.ui.job_runner import JobRunner, Relay
from workbench.ui.widgets import BarChart, array_to_qimage, button, explanation

SOURCES = [("Random agent", "random"), ("Agent in training (newest)", "live"), ("Best agent of this training", "best"),
           ("Saved agent (run selected in Runs)", "saved")]
SPEEDS = [("real time", 1.0), ("2×", 2.0), ("½×", 0.5), ("as fast as possible", 0.0)]


def _frame_payload(p: dict) -> dict:
    """Worker thread: the frame as an owned QImage, the rest as plain values."""
    out = {k: v for k, v in p.items() if k not in ("frame", "scores")}
    out["image"] = array_to_qimage(p["frame"])
    out["scores"] = None if p["scores"] is None else [float(v) for v in p["scores"]]
    return out


class WatchTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.jobs = JobRunner(self, banner=panel.banner, status=None)
        self.relay = Relay(self, _frame_payload)
        self.relay.item.connect(self._show)
        self.frames_shown = 0
        self._t0 = 0.0
        self.last: dict | None = None
        lay = QVBoxLayout(self)
        lay.addWidget(explanation("The environment as the agent sees it, at the environment's own speed. Beside it, "
                                  "what the agent thinks of each action: its probability (PPO, A2C), its Q-value "
                                  "(DQN), or the continuous action itself (SAC)."))
        self.source_combo = QComboBox()
        for label, key in SOURCES:
            self.source_combo.addItem(label, key)
        self.speed_combo = QComboBox()
        for label, v in SPEEDS:
            self.speed_combo.addItem(label, v)
        self.play_btn = button("Play", self.toggle)
        self.gif_btn = button("Record GIF…", self.record_gif, "play one episode of the chosen agent into a GIF file")
        self.onnx_btn = button("Export ONNX…", self.export_onnx, "the best (or saved) agent's policy as an ONNX file, "
                                                                 "checked with onnxruntime on 100 states")
        for items in ((QLabel("Agent"), self.source_combo, QLabel("Speed"), self.speed_combo),
                      (self.play_btn, self.gif_btn, self.onnx_btn)):
            row = QHBoxLayout()
            for w in items:
                row.addWidget(w)
            row.addStretch(1)
            lay.addLayout(row)
        body = QHBoxLayout()
        self.view = QLabel("Press Play to watch.")
        self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setMinimumSize(240, 180)
        self.view.setStyleSheet("background:#222;color:#ccc;")
        body.addWidget(self.view, 3)
        side = QVBoxLayout()
        self.scores = BarChart("action probabilities")
        self.scores.setMinimumWidth(180)
        self.info = QLabel()
        self.info.setWordWrap(True)
        side.addWidget(self.scores, 1)
        side.addWidget(self.info)
        body.addLayout(side, 2)
        lay.addLayout(body, 1)
        self.jobs.job_finished.connect(self._ended)
        # the newest frame wins: payloads only replace ``_pending``; this timer paints (<= 60 Hz) and
        # the bar chart follows at <= 10 Hz
        self._pending: dict | None = None
        self._ready = threading.Event()  # set: the GUI painted the last frame and takes a new one
        self._ready.set()
        self._bars_at = 0.0
        self.paint_timer = QTimer(self)
        self.paint_timer.setInterval(16)
        self.paint_timer.timeout.connect(self._paint)

    # ---- playing -----------------------------------------------------------------------------
    def _agent_source(self):
        """(agent or callable, frame_stack) for the chosen source, on the GUI thread."""
        key = self.source_combo.currentData()
        return self.panel.agent_for(key)

    @Slot()
    def toggle(self) -> None:
        if self.jobs.busy:
            self.jobs.cancel()
            return
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.rl.play import play

        try:
            env_id, source, stack = self._agent_source()
        except WorkbenchError as e:
            self.panel.banner.show_message(str(e), "warning")
            return
        speed = self.speed_combo.currentData()
        self.frames_shown, self._t0 = 0, time.perf_counter()
        self._ready.set()
        job = self.jobs.start(play, env_id, source, self._offer, seed=self.panel.settings.seed_spin.value(),
                              realtime=speed > 0, speed=speed or 1.0, frame_stack=stack, label="Playing")
        if job is not None:
            self.play_btn.setText("Stop")
            self.paint_timer.start()

    @Slot()
    def _ended(self) -> None:
        self.play_btn.setText("Play")
        self._paint()
        self.paint_timer.stop()

    def _offer(self, p: dict) -> None:
        """Worker thread: hand a frame over only when the GUI took the previous one (at most one in
        flight; the others are dropped before they cost a QImage)."""
        if self._ready.is_set():
            self._ready.clear()
            self.relay.send(p)

    @Slot(object)
    def _show(self, p: dict) -> None:
        self._pending = p

    @Slot()
    def _paint(self) -> None:
        p, self._pending = self._pending, None
        if p is None:
            return
        self._ready.set()
        self.last = p
        if self.frames_shown == 0:
            self._t0 = time.perf_counter()  # the rate counts from the first frame painted
        self.frames_shown += 1
        pm = QPixmap.fromImage(p["image"])
        self.view.setPixmap(pm.scaled(self.view.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                      Qt.TransformationMode.SmoothTransformation))
        names = p.get("actions") or []
        now = time.perf_counter()
        if p.get("scores") is not None and now - self._bars_at >= 0.1:
            self._bars_at = now
            labels = names if len(names) == len(p["scores"]) else [f"a{i}" for i in range(len(p["scores"]))]
            self.scores.setTitle({"Q-value": "Q-values", "probability": "action probabilities",
                                  "action": "action (continuous)"}.get(p["score_kind"], ""))
            self.scores.set_bars(labels, p["scores"])
        elapsed = time.perf_counter() - self._t0
        rate = (self.frames_shown - 1) / elapsed if elapsed > 0 else 0.0
        action = p.get("action")
        act = names[action] if isinstance(action, int) and 0 <= action < len(names) else action
        self.info.setText(f"episode {p['episode']}, step {p['step']}: return {p['return']:.1f}; action: {act}; "
                          f"{rate:.0f} frames/s shown (the environment's rate: {p['fps']:.0f}/s)")

    @property
    def frame_rate(self) -> float:
        elapsed = time.perf_counter() - self._t0
        return (self.frames_shown - 1) / elapsed if elapsed > 0 and self.frames_shown > 1 else 0.0

    # ---- recording and export ---------------------------------------------------------------
    @Slot()
    def record_gif(self) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.rl.play import record_gif

        try:
            env_id, source, stack = self._agent_source()
        except WorkbenchError as e:
            self.panel.banner.show_message(str(e), "warning")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Record an episode", f"{env_id.replace('/', '-')}.gif",
                                              "GIF (*.gif)")
        if not path:
            return
        self.jobs.start(record_gif, env_id, path, source, seed=self.panel.settings.seed_spin.value(),
                        frame_stack=stack, label="Recording",
                        on_result=lambda r: self.panel.banner.show_message(
                            f"Wrote {r['path']}: {r['frames']} frames, return {r['return']}.", "ok"))

    @Slot()
    def export_onnx(self) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.rl.export import export_onnx

        key = self.source_combo.currentData()
        try:
            env_id, agent, _ = self.panel.agent_for("saved" if key == "saved" else "best")
        except WorkbenchError as e:
            self.panel.banner.show_message(str(e), "warning")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export the policy", f"{env_id.replace('/', '-')}.onnx",
                                              "ONNX (*.onnx)")
        if not path:
            return
        self.jobs.start(export_onnx, agent, path, label="Exporting", on_result=self._exported)

    def _exported(self, r: dict) -> None:
        agree = (f"{r['same_actions']:.0%} of the actions equal" if r["same_actions"] is not None
                 else f"largest action difference {r['max_abs_diff']:.2g}")
        self.panel.banner.show_message(f"Wrote {r['path']} ({r['bytes']:,} bytes); onnxruntime against PyTorch on "
                                       f"{r['states']} states: {agree}.", "ok")

    def shutdown(self) -> None:
        self.paint_timer.stop()
        self.jobs.shutdown()
