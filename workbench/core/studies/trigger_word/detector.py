"""Live detection: audio source -> ring buffer -> sliding-window inference -> probability trace
and trigger events.

Every ``hop_seconds`` of new audio (default 0.32 s: ~3 inferences per second) the detector runs
the model on the newest ``window_seconds`` (default 2.56 s: a word of up to ~1.5 s plus the
hop; the GRUs start fresh at the window's start, like at the start of a training clip), keeps
the probabilities of the output steps it has not reported yet, and applies the event rule:

- the probability must stay >= ``threshold`` for ``min_duration`` seconds (consecutive steps);
- after an event the detector stays quiet for ``refractory`` seconds, so one word fires once.

The time of a step is the newest sample it has heard, so the latency of an event is simply
``event.time - word_end``.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from workbench.core.capture.audio import AudioSource
from workbench.core.capture.ringbuffer import RingBuffer
from workbench.core.studies.trigger_word.config import TriggerConfig


@dataclass(frozen=True)
class TriggerEvent:
    time: float  # seconds since the stream started (the newest sample the firing step heard)
    probability: float
    step: int  # index of the step in the detector's trace
    # stream time (s of audio received) when the live detector produced the event: the live
    # latency after a word is heard_at - word_end plus the inference's compute time
    heard_at: float = float("nan")
    compute_seconds: float = 0.0


class EventRule:
    """Threshold + minimum duration + refractory period over a stream of (time, probability)."""

    def __init__(self, threshold: float = 0.5, min_duration: float = 0.08, refractory: float = 2.0,
                 step_seconds: float = 0.04):
        self.threshold = float(threshold)
        self.min_steps = max(1, int(math.ceil(float(min_duration) / step_seconds - 1e-9)))
        self.refractory = float(refractory)
        self.reset()

    def reset(self) -> None:
        self._run = 0
        self._last_event = -math.inf
        self._n = 0

    def push(self, t: float, p: float) -> TriggerEvent | None:
        i = self._n
        self._n += 1
        if p >= self.threshold:
            self._run += 1
            if self._run == self.min_steps and t - self._last_event >= self.refractory:
                self._last_event = t
                return TriggerEvent(float(t), float(p), i)
        else:
            self._run = 0
        return None


def detect_events(times: np.ndarray, probs: np.ndarray, threshold: float = 0.5, min_duration: float = 0.08,
                  refractory: float = 2.0, step_seconds: float = 0.04) -> list[TriggerEvent]:
    """The detector's event rule applied offline to a whole probability trace."""
    rule = EventRule(threshold, min_duration, refractory, step_seconds)
    out = []
    for t, p in zip(np.asarray(times, float), np.asarray(probs, float)):
        ev = rule.push(t, p)
        if ev is not None:
            out.append(ev)
    return out


@dataclass
class DetectionResult:
    events: list[TriggerEvent]
    times: np.ndarray
    probs: np.ndarray
    audio_seconds: float
    compute_seconds: float
    inferences: int
    window_compute: list[float] = field(default_factory=list)

    @property
    def real_time_factor(self) -> float:
        return self.compute_seconds / self.audio_seconds if self.audio_seconds > 0 else float("nan")


class StreamingDetector:
    """Sliding-window trigger-word detector.

    ``model`` is a ``TriggerModel`` (or anything with ``.module``, ``.head``, ``.config``);
    ``features`` defaults to the log-mel front end of the model's settings. Feed audio with
    ``feed(samples)`` (returns new events) or run a whole source with ``run(source)``.
    """

    def __init__(self, model, features=None, threshold: float = 0.5, min_duration: float = 0.08,
                 refractory: float = 2.0, *, window_seconds: float = 2.56, hop_seconds: float = 0.32,
                 device="cpu"):
        import torch

        from workbench.core.data.audio_features import LogMelSpectrogram

        self.model = model
        self.config: TriggerConfig = model.config
        c = self.config
        self.device = torch.device(device) if isinstance(device, str) and device != "auto" else model.device
        model.module.to(self.device)
        model.module.eval()
        self.features = features or LogMelSpectrogram(c, self.device)
        self.window = int(round(window_seconds * c.sample_rate))
        self.min_window = c.step_end_sample(0)  # enough audio for one output step
        if self.window < self.min_window:
            raise ValueError(f"window_seconds must be at least {self.min_window / c.sample_rate:.2f} s")
        self.hop = max(1, int(round(hop_seconds * c.sample_rate)))
        self.rule = EventRule(threshold, min_duration, refractory, c.step_seconds)
        self.ring = RingBuffer(self.window)
        self.reset()

    # settings the panel changes live
    @property
    def threshold(self) -> float:
        return self.rule.threshold

    @threshold.setter
    def threshold(self, v: float) -> None:
        self.rule.threshold = float(v)

    def set_rule(self, threshold: float, min_duration: float, refractory: float) -> None:
        r = EventRule(threshold, min_duration, refractory, self.config.step_seconds)
        r._run, r._last_event, r._n = self.rule._run, self.rule._last_event, self.rule._n
        self.rule = r

    def reset(self) -> None:
        self.ring = RingBuffer(self.window)
        self.total = 0  # samples fed so far
        self._since = 0  # samples since the last inference
        self._next_step_end = self.config.step_end_sample(0)  # absolute end sample of the next unreported step
        self.times: list[float] = []
        self.probs: list[float] = []
        self.events: list[TriggerEvent] = []
        self.compute_seconds = 0.0
        self.inferences = 0
        self.rule.reset()

    def feed(self, samples: np.ndarray) -> list[TriggerEvent]:
        """Add audio; runs inference for every full hop of new audio. Returns the new events."""
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        new: list[TriggerEvent] = []
        pos = 0
        while pos < samples.size:
            take = min(samples.size - pos, self.hop - self._since)
            self.ring.write(samples[pos:pos + take])
            self.total += take
            self._since += take
            pos += take
            if self._since >= self.hop:
                self._since = 0
                new.extend(self._infer())
        return new

    def flush(self) -> list[TriggerEvent]:
        """Process what is left after the last full hop (end of a file)."""
        self._since = 0
        return self._infer()

    def _infer(self) -> list[TriggerEvent]:
        import torch

        c = self.config
        # windows start on the output-step grid, so every window's steps fall on the same global
        # time grid and the trace stays continuous (one point per output step)
        stride = c.conv_stride * c.hop
        start = -(-max(0, self.total - self.window) // stride) * stride
        n = self.total - start
        if n < self.min_window or self.total < self._next_step_end:
            return []
        t0 = time.perf_counter()
        audio = self.ring.latest(n)
        with torch.inference_mode():
            x = self.features(audio, as_tensor=True)[None]
            p = self.model.head.activate(self.model.module(x))[0, :, 0].float().cpu().numpy()
        dt = time.perf_counter() - t0
        self.compute_seconds += dt
        self.inferences += 1
        j = np.arange(p.shape[0])
        ends = start + c.step_end_sample(j)
        keep = ends >= self._next_step_end
        new = []
        for e, pj in zip(ends[keep], p[keep]):
            t = e / c.sample_rate
            self.times.append(float(t))
            self.probs.append(float(pj))
            ev = self.rule.push(t, float(pj))
            if ev is not None:
                ev = replace(ev, heard_at=self.total / c.sample_rate, compute_seconds=dt)
                self.events.append(ev)
                new.append(ev)
        if keep.any():
            self._next_step_end = int(ends[keep][-1]) + c.conv_stride * c.hop
        return new

    def trace(self) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(self.times, np.float64), np.asarray(self.probs, np.float32)

    def run(self, source: AudioSource, *, block: int | None = None, max_seconds: float | None = None,
            on_block: Callable | None = None, should_stop: Callable[[], bool] | None = None) -> DetectionResult:
        """Stream a whole source (a file runs as fast as the CPU allows unless it is realtime).

        ``on_block(detector, new_events)`` is called after each block (the panel's worker emits
        copies of the new trace points from there)."""
        if source.sample_rate != self.config.sample_rate:
            from workbench.core.errors import DataError

            raise DataError(f"The audio source runs at {source.sample_rate} Hz but the model expects "
                            f"{self.config.sample_rate} Hz; open the source at {self.config.sample_rate} Hz.")
        block = int(block or self.hop)
        limit = None if max_seconds is None else int(max_seconds * self.config.sample_rate)
        with source:
            while True:
                if should_stop is not None and should_stop():
                    break
                x = source.read(block, timeout=0.5) if source.is_live else source.read(block)
                if x is None:
                    break
                new = self.feed(x)
                if on_block is not None:
                    on_block(self, new)
                if limit is not None and self.total >= limit:
                    break
        if not source.is_live:
            new = self.flush()
            if on_block is not None and new:
                on_block(self, new)
        t, p = self.trace()
        return DetectionResult(list(self.events), t, p, self.total / self.config.sample_rate,
                               self.compute_seconds, self.inferences)
