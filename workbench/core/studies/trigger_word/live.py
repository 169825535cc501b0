"""Live jobs the panel runs through its job runner: detection from a source into a ``LiveFeed``
(which the GUI drains on its own timer, so the worker never signals per step), and recording.

The feed copies under a lock: the worker appends new trace points and events, the GUI takes
copies of everything new since its last look (``drain``).
"""
from __future__ import annotations

import threading
from typing import Callable

import numpy as np


class LiveFeed:
    """Thread-safe hand-over from a detection worker to the GUI."""

    def __init__(self):
        self._lock = threading.Lock()
        self._t: list[float] = []
        self._p: list[float] = []
        self._events: list = []  # confirmed events
        self._candidates: list = []  # first-stage events with the verifier's decision
        self._seen_steps = 0  # detector trace points already taken
        self._seen_candidates = 0
        self.rtf = float("nan")
        self.seconds = 0.0

    def push(self, detector, new_events) -> None:
        """Called by the worker after each block (the detector is only touched on its thread)."""
        t, p, c = detector.times[self._seen_steps:], detector.probs[self._seen_steps:], \
            detector.candidates[self._seen_candidates:]
        with self._lock:
            self._t.extend(t)
            self._p.extend(p)
            self._events.extend(new_events)
            self._candidates.extend(c)
            self._seen_steps += len(t)
            self._seen_candidates += len(c)
            self.seconds = detector.total / detector.config.sample_rate
            self.rtf = detector.compute_seconds / max(self.seconds, 1e-9)

    def drain(self) -> dict:
        """Copies of what arrived since the last call: times, probs (arrays), events, candidates."""
        with self._lock:
            out = {"times": np.asarray(self._t, np.float64), "probs": np.asarray(self._p, np.float32),
                   "events": list(self._events), "candidates": list(self._candidates), "rtf": self.rtf,
                   "seconds": self.seconds}
            self._t, self._p, self._events, self._candidates = [], [], [], []
        return out


def run_detection(detector, make_source: Callable, feed: LiveFeed, *, progress: Callable | None = None,
                  should_cancel: Callable[[], bool] | None = None) -> dict:
    """Stream ``make_source()`` through ``detector`` until it ends or the job is cancelled;
    returns a summary (events, seconds, real-time factor)."""
    detector.reset()

    def on_block(d, new):
        feed.push(d, new)

    res = detector.run(make_source(), on_block=on_block, should_stop=should_cancel)
    feed.push(detector, [])
    return {"events": len(res.events), "candidates": len(res.candidates), "seconds": res.audio_seconds,
            "rtf": res.real_time_factor}


def record(sample_rate: int, seconds: float, *, progress: Callable | None = None,
           should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
    """Record from the default microphone for ``seconds`` (or until cancelled); progress text is
    the level ("RMS -23 / peak -8 dBFS")."""
    from workbench.core.capture.audio import Recorder, open_microphone

    rec = Recorder(open_microphone(sample_rate=sample_rate, start=False), seconds)

    def level(done, total, text=""):
        if progress is not None:
            lv = rec.level
            progress(done, total, f"recording: RMS {lv.rms_db:.0f} / peak {lv.peak_db:.0f} dBFS"
                     + (" CLIPPING" if lv.peak_db > -0.5 else ""))

    return rec.run(progress=level, should_cancel=should_cancel)


def beep_tone(sample_rate: int = 16000, *, freq: float = 880.0, seconds: float = 0.15) -> np.ndarray:
    """The short tone the panel plays when the trigger word is detected."""
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    return (0.3 * np.sin(2 * np.pi * freq * t) * np.hanning(t.size)).astype(np.float32)
