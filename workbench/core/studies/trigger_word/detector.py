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
    # the second stage: None when no verifier ran, else its decision and score
    verified: bool | None = None
    verifier_score: float = float("nan")


class EventRule:
    """Smoothing + threshold + minimum duration + refractory period over a stream of (time, probability).

    ``smoothing`` is the number of output steps averaged (a moving mean of the newest probabilities)
    before the threshold: a lone spike of one step no longer fires, a word's plateau still does."""

    def __init__(self, threshold: float = 0.5, min_duration: float = 0.08, refractory: float = 2.0,
                 step_seconds: float = 0.04, smoothing: int = 1):
        self.threshold = float(threshold)
        self.min_steps = max(1, int(math.ceil(float(min_duration) / step_seconds - 1e-9)))
        self.refractory = float(refractory)
        self.smoothing = max(1, int(smoothing))
        self.reset()

    def reset(self) -> None:
        self._run = 0
        self._last_event = -math.inf
        self._n = 0
        self._recent: list[float] = []

    def carry_over(self, other: "EventRule") -> None:
        """Continue where ``other`` stopped (the panel changes the rule while the stream runs)."""
        self._run, self._last_event, self._n = other._run, other._last_event, other._n
        self._recent = list(other._recent)[-self.smoothing:]

    def smooth(self, p: float) -> float:
        if self.smoothing == 1:
            return p
        self._recent.append(p)
        if len(self._recent) > self.smoothing:
            del self._recent[0]
        return sum(self._recent) / len(self._recent)

    def push(self, t: float, p: float) -> TriggerEvent | None:
        i = self._n
        self._n += 1
        p = self.smooth(p)
        if p >= self.threshold:
            self._run += 1
            if self._run == self.min_steps and t - self._last_event >= self.refractory:
                self._last_event = t
                return TriggerEvent(float(t), float(p), i)
        else:
            self._run = 0
        return None


def smooth_trace(probs: np.ndarray, smoothing: int = 1) -> np.ndarray:
    """The moving mean ``EventRule`` applies, over a whole trace (the first steps average fewer)."""
    p = np.asarray(probs, np.float64)
    k = max(1, int(smoothing))
    if k == 1 or p.size == 0:
        return p
    c = np.cumsum(np.concatenate([[0.0], p]))
    idx = np.arange(1, p.size + 1)
    lo = np.maximum(0, idx - k)
    return (c[idx] - c[lo]) / (idx - lo)


def detect_events(times: np.ndarray, probs: np.ndarray, threshold: float = 0.5, min_duration: float = 0.08,
                  refractory: float = 2.0, step_seconds: float = 0.04, smoothing: int = 1) -> list[TriggerEvent]:
    """The detector's event rule applied offline to a whole probability trace (vectorised; the
    same events as pushing every step through ``EventRule``)."""
    t = np.asarray(times, float)
    p = smooth_trace(probs, smoothing)
    min_steps = max(1, int(math.ceil(float(min_duration) / step_seconds - 1e-9)))
    above = p >= threshold
    if not above.any():
        return []
    # index where each run of steps above the threshold reaches min_steps
    edges = np.diff(np.concatenate([[0], above.astype(np.int8), [0]]))
    starts, ends = np.nonzero(edges == 1)[0], np.nonzero(edges == -1)[0]
    out, last = [], -math.inf
    for a, b in zip(starts, ends):
        i = a + min_steps - 1
        if i < b and t[i] - last >= refractory:
            last = t[i]
            out.append(TriggerEvent(float(t[i]), float(p[i]), int(i)))
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
    candidates: list[TriggerEvent] = field(default_factory=list)  # first-stage events (with a verifier)

    @property
    def real_time_factor(self) -> float:
        return self.compute_seconds / self.audio_seconds if self.audio_seconds > 0 else float("nan")


class StreamingDetector:
    """Sliding-window trigger-word detector.

    ``model`` is a ``TriggerModel`` (or anything with ``.module``, ``.head``, ``.config``);
    ``features`` defaults to the log-mel front end of the model's settings. Feed audio with
    ``feed(samples)`` (returns new events) or run a whole source with ``run(source)``.

    With a ``verifier`` (see ``verifier.Verifier``) every first-stage event is checked on the
    last ``verifier.seconds`` of audio before it; ``candidates`` holds every first-stage event
    (with the verifier's decision), ``events`` only the confirmed ones. A rejected candidate does
    not start the refractory period. The verifier's time counts in ``compute_seconds``.

    ``from_model(model)`` builds one with the operating point stored in the model folder.
    """

    def __init__(self, model, features=None, threshold: float = 0.5, min_duration: float = 0.08,
                 refractory: float = 2.0, *, window_seconds: float = 2.56, hop_seconds: float = 0.32,
                 device="cpu", smoothing: int = 1, verifier=None):
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
        self.rule = EventRule(threshold, min_duration, refractory, c.step_seconds, smoothing)
        self.verifier = verifier
        if verifier is not None and getattr(verifier, "seconds", 0) * c.sample_rate > self.window:
            raise ValueError("The verifier needs more audio than the detector's window holds; "
                             "use a longer window_seconds.")
        self.ring = RingBuffer(self.window)
        self.reset()

    @classmethod
    def from_model(cls, model, *, use_verifier: bool = True, **overrides) -> "StreamingDetector":
        """A detector at the model's stored operating point (threshold, smoothing, minimum duration,
        refractory period, second stage); ``overrides`` replace single settings."""
        op = getattr(model, "operating_point", None)
        kw = op.detector_kwargs() if op is not None else {}
        kw.update({k: v for k, v in overrides.items() if v is not None})
        if use_verifier and "verifier" not in kw:
            kw["verifier"] = getattr(model, "verifier", None)
        return cls(model, **kw)

    # settings the panel changes live
    @property
    def threshold(self) -> float:
        return self.rule.threshold

    @threshold.setter
    def threshold(self, v: float) -> None:
        self.rule.threshold = float(v)

    def set_rule(self, threshold: float, min_duration: float, refractory: float, smoothing: int | None = None) -> None:
        r = EventRule(threshold, min_duration, refractory, self.config.step_seconds,
                      self.rule.smoothing if smoothing is None else smoothing)
        r.carry_over(self.rule)
        self.rule = r

    def reset(self) -> None:
        self.ring = RingBuffer(self.window)
        self.total = 0  # samples fed so far
        self._since = 0  # samples since the last inference
        self._next_step_end = self.config.step_end_sample(0)  # absolute end sample of the next unreported step
        self.times: list[float] = []
        self.probs: list[float] = []
        self.events: list[TriggerEvent] = []
        self.candidates: list[TriggerEvent] = []
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
            before = self.rule._last_event
            ev = self.rule.push(t, float(pj))
            if ev is not None:
                ev = replace(ev, heard_at=self.total / c.sample_rate, compute_seconds=dt)
                if self.verifier is not None:
                    ev = self._verify(ev, int(e))
                    self.candidates.append(ev)
                    if not ev.verified:
                        self.rule._last_event = before  # a rejected candidate is no event
                        continue
                self.events.append(ev)
                new.append(ev)
        if keep.any():
            self._next_step_end = int(ends[keep][-1]) + c.conv_stride * c.hop
        return new

    def _verify(self, ev: TriggerEvent, end_sample: int) -> TriggerEvent:
        c = self.config
        n = int(round(self.verifier.seconds * c.sample_rate))
        back = self.total - end_sample  # samples heard after the event's step
        audio = self.ring.latest(min(self.window, n + back))[: n] if back >= 0 else self.ring.latest(n)
        t0 = time.perf_counter()
        d = self.verifier.verify(audio, c.sample_rate)
        dt = time.perf_counter() - t0
        self.compute_seconds += dt
        return replace(ev, verified=bool(d.accepted), verifier_score=float(d.score),
                       compute_seconds=ev.compute_seconds + dt)

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
                               self.compute_seconds, self.inferences, candidates=list(self.candidates))


def stream_trace(model, audio: np.ndarray, *, window_seconds: float = 2.56, hop_seconds: float = 0.32,
                 batch: int = 128, features=None, progress: Callable | None = None,
                 should_cancel: Callable[[], bool] | None = None):
    """The probability trace ``StreamingDetector`` produces for ``audio`` fed at once and flushed
    (the same windows, each step taken from the same window), computed in batches: hours of audio
    in seconds to minutes. Returns (times, probs), or None when cancelled."""
    import torch

    from workbench.core.data.audio_features import LogMelSpectrogram

    c = model.config
    x = np.asarray(audio, np.float32).reshape(-1)
    N = x.size
    W = int(round(window_seconds * c.sample_rate))
    hop = max(1, int(round(hop_seconds * c.sample_rate)))
    stride = c.conv_stride * c.hop
    min_window = c.step_end_sample(0)
    # the detector's windows: one per full hop, then the flush at the end
    totals = list(range(hop, N + 1, hop))
    if not totals or totals[-1] != N:
        totals.append(N)
    plan, next_end = [], c.step_end_sample(0)
    for T in totals:
        start = -(-max(0, T - W) // stride) * stride
        n = T - start
        if n < min_window or T < next_end:
            continue
        J = c.steps_for_frames(c.frames_for(n))
        ends = start + c.step_end_sample(np.arange(J))
        first = int(np.searchsorted(ends, next_end))
        if first >= J:
            continue
        plan.append((start, n, first, J))
        next_end = int(ends[-1]) + stride
    feats = features or LogMelSpectrogram(c, model.device)
    # frames do not depend on the window (center=False, windows start on the hop grid): compute
    # the stream's frames once and slice every window's out of them
    block = 4096 * c.hop
    frames = [feats(x[a:a + block + c.n_fft - c.hop]) for a in range(0, max(1, N - c.n_fft + 1), block)]
    F = np.concatenate([f for f in frames if f.size]) if any(f.size for f in frames) else np.zeros((0, c.n_mels), np.float32)
    times, probs = [], []
    model.module.eval()
    groups: dict[int, list[int]] = {}
    for k, (_, n, _, _) in enumerate(plan):
        groups.setdefault(n, []).append(k)
    out: list = [None] * len(plan)
    done = 0
    with torch.inference_mode():
        for n, ks in groups.items():
            nf = c.frames_for(n)
            for b0 in range(0, len(ks), batch):
                if should_cancel is not None and should_cancel():
                    return None
                kb = ks[b0:b0 + batch]
                f = torch.as_tensor(np.stack([F[plan[k][0] // c.hop: plan[k][0] // c.hop + nf] for k in kb]))
                p = model.head.activate(model.module(f.to(model.device)))[..., 0].float().cpu().numpy()
                for k, row in zip(kb, p):
                    out[k] = row
                done += len(kb)
                if progress is not None:
                    progress(done, len(plan), "scoring the stream")
    for (start, n, first, J), row in zip(plan, out):
        j = np.arange(first, J)
        times.append((start + c.step_end_sample(j)) / c.sample_rate)
        probs.append(row[first:J])
    if not times:
        return np.zeros(0), np.zeros(0, np.float32)
    return np.concatenate(times), np.concatenate(probs).astype(np.float32)
