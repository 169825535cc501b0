"""Evaluation: false-reject rate on held-out generated clips and false accepts per hour on a
long negative-only stream (background + other words, streamed fast, not in real time), both as
curves over the threshold so the user can pick the trade-off.

Industry targets for wake words: < 5% false rejects at < 0.5 false accepts per hour.

Matching: a positive that ends at ``e`` is caught by the first unused event in
``[e - early, e + max_latency]`` (default ``max_latency`` = the label window, 50 steps); every
other event is a false accept. Generated clips may hold two positives closer together than the
refractory period; such a pair needs (and can get) only one event.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from workbench.core.studies.trigger_word.config import TriggerConfig
from workbench.core.studies.trigger_word.detector import TriggerEvent, detect_events
from workbench.core.studies.trigger_word.material import Material
from workbench.core.studies.trigger_word.synthesis import ClipSet, synthesize_clip

DEFAULT_THRESHOLDS = tuple(np.round(np.arange(0.05, 0.96, 0.05), 2)) + (0.97, 0.98, 0.99)
TARGET_FRR, TARGET_FA_PER_HOUR = 0.05, 0.5


def step_times(config: TriggerConfig, n_steps: int | None = None, offset_samples: int = 0) -> np.ndarray:
    n = config.output_steps if n_steps is None else n_steps
    return (offset_samples + config.step_end_sample(np.arange(n))) / config.sample_rate


def match_events(events: list[TriggerEvent], word_ends: list[float], *, max_latency: float,
                 early: float = 0.3, merge_within: float = 0.0) -> tuple[int, int, list[float]]:
    """(caught positives, false accepts, latencies of the caught ones in seconds).

    Positives ending less than ``merge_within`` seconds after the previous one (the detector's
    refractory period, during which it cannot fire again by design) form one group that one
    event catches; every word of a caught group counts as caught."""
    groups: list[list[float]] = []
    for e in sorted(word_ends):
        if groups and e - groups[-1][-1] < merge_within:
            groups[-1].append(e)
        else:
            groups.append([e])
    used = [False] * len(events)
    caught, lat = 0, []
    for g in groups:
        for k, ev in enumerate(events):
            if not used[k] and g[0] - early <= ev.time <= g[-1] + max_latency:
                used[k] = True
                caught += len(g)
                lat.append(ev.time - g[0])
                break
    return caught, used.count(False), lat


@dataclass
class ClipScores:
    thresholds: np.ndarray
    frr: np.ndarray  # false-reject rate per threshold
    false_accepts: np.ndarray  # counts per threshold (on the clips)
    latency_median: np.ndarray  # seconds, NaN when nothing was caught
    positives: int
    seconds: float


def score_traces(probs: np.ndarray, times: np.ndarray, word_ends: list[list[float]], config: TriggerConfig, *,
                 thresholds=DEFAULT_THRESHOLDS, min_duration: float = 0.08, refractory: float = 2.0,
                 max_latency: float | None = None) -> ClipScores:
    """Scores of per-clip probability traces (N, Ty) against the clips' positive end times."""
    th = np.asarray(thresholds, float)
    max_latency = config.label_steps * config.step_seconds if max_latency is None else max_latency
    n_pos = sum(len(w) for w in word_ends)
    frr, fa, lat_med = np.zeros(th.size), np.zeros(th.size, int), np.full(th.size, np.nan)
    for k, t in enumerate(th):
        caught, false, lats = 0, 0, []
        for i in range(probs.shape[0]):
            evs = detect_events(times, probs[i], t, min_duration, refractory, config.step_seconds)
            c, f, l = match_events(evs, word_ends[i], max_latency=max_latency, merge_within=refractory)
            caught, false = caught + c, false + f
            lats += l
        frr[k] = 1.0 - caught / n_pos if n_pos else 0.0
        fa[k] = false
        if lats:
            lat_med[k] = float(np.median(lats))
    return ClipScores(th, frr, fa, lat_med, n_pos, probs.shape[0] * config.clip_seconds)


def evaluate_clips(model, clips: ClipSet, **kw) -> ClipScores:
    probs = model.predict(clips.features)
    c = clips.config
    ends = [[s.end / c.sample_rate for s in segs if s.kind == "positive"] for segs in clips.segments]
    return score_traces(probs, step_times(c, probs.shape[1]), ends, c, **kw)


def negative_stream_trace(model, material: Material, hours: float = 1.0, *, seed: int = 12345,
                          context_seconds: float = 3.0, batch: int = 24, max_negatives: int | None = None,
                          progress: Callable | None = None, should_cancel: Callable[[], bool] | None = None):
    """Probability trace of a long stream of background and negative words (no positives).

    The stream is a sequence of 10 s negative-only clips; each is run through the model with the
    previous clip's last ``context_seconds`` in front (the GRUs warm up there, like a live
    detector whose window reaches back), and only the steps inside the clip are kept, so the
    trace is continuous. Returns (times, probs) or None when cancelled."""
    from workbench.core.data.audio_features import LogMelSpectrogram

    c = model.config
    if material.sample_rate != c.sample_rate:
        from workbench.core.errors import DataError

        raise DataError(f"The material is at {material.sample_rate} Hz but the model expects {c.sample_rate} Hz.")
    material.ensure_backgrounds()
    stride = c.conv_stride * c.hop
    ctx = int(round(context_seconds * c.sample_rate / stride)) * stride
    n_clips = max(1, int(round(hours * 3600 / c.clip_seconds)))
    spec = LogMelSpectrogram(c, model.device)
    # real negative words only: pieces of the trigger word are a training device, not speech
    neg = TriggerConfig.from_dict({**c.to_dict(), "fragment_share": 0.0,
                                   "max_negatives": c.max_negatives if max_negatives is None else max_negatives})

    def clip(i):
        return synthesize_clip(material, neg, (seed, i), n_positives=0).audio

    prev_tail = clip(n_clips)[-ctx:] if ctx else np.zeros(0, np.float32)
    times, probs = [], []
    for b0 in range(0, n_clips, batch):
        if should_cancel is not None and should_cancel():
            return None
        wins, starts = [], []
        for i in range(b0, min(n_clips, b0 + batch)):
            a = clip(i)
            wins.append(np.concatenate([prev_tail, a]))
            prev_tail = a[-ctx:] if ctx else prev_tail
            starts.append(i * c.clip_samples - ctx)
        p = model.predict(spec(np.stack(wins)))
        rel_end = c.step_end_sample(np.arange(p.shape[1]))
        keep = rel_end > ctx
        for s, row in zip(starts, p):
            times.append((s + rel_end[keep]) / c.sample_rate)
            probs.append(row[keep])
        if progress is not None:
            progress(min(n_clips, b0 + batch), n_clips, "negative stream")
    return np.concatenate(times), np.concatenate(probs).astype(np.float32)


def false_accepts_per_hour(times: np.ndarray, probs: np.ndarray, config: TriggerConfig, *,
                           thresholds=DEFAULT_THRESHOLDS, min_duration: float = 0.08,
                           refractory: float = 2.0) -> np.ndarray:
    hours = (times[-1] - times[0] + config.step_seconds) / 3600 if times.size else 0.0
    out = np.zeros(len(thresholds))
    for k, t in enumerate(thresholds):
        n = len(detect_events(times, probs, t, min_duration, refractory, config.step_seconds))
        out[k] = n / hours if hours > 0 else 0.0
    return out


@dataclass
class EvaluationReport:
    thresholds: np.ndarray
    frr: np.ndarray
    fa_per_hour: np.ndarray  # on the negative stream
    fa_per_hour_clips: np.ndarray  # unmatched events on the held-out clips
    latency_median: np.ndarray
    positives: int
    clip_seconds: float
    stream_hours: float
    min_duration: float
    refractory: float
    extra: dict = field(default_factory=dict)

    def at(self, threshold: float) -> dict:
        k = int(np.argmin(np.abs(self.thresholds - threshold)))
        return {"threshold": float(self.thresholds[k]), "frr": float(self.frr[k]),
                "fa_per_hour": float(self.fa_per_hour[k]), "fa_per_hour_clips": float(self.fa_per_hour_clips[k]),
                "latency_median": float(self.latency_median[k])}

    def recommended_threshold(self, max_fa_per_hour: float = TARGET_FA_PER_HOUR) -> float:
        """The threshold with the fewest false rejects among those within the false-accept budget
        (the highest threshold when none is)."""
        ok = np.nonzero(self.fa_per_hour <= max_fa_per_hour)[0]
        if ok.size == 0:
            return float(self.thresholds[-1])
        best = ok[np.argmin(self.frr[ok])]
        return float(self.thresholds[best])

    def meets_targets(self, threshold: float) -> bool:
        r = self.at(threshold)
        return r["frr"] < TARGET_FRR and r["fa_per_hour"] < TARGET_FA_PER_HOUR

    def to_dict(self) -> dict:
        return {"thresholds": self.thresholds.tolist(), "frr": self.frr.tolist(),
                "fa_per_hour": self.fa_per_hour.tolist(), "fa_per_hour_clips": self.fa_per_hour_clips.tolist(),
                "latency_median": self.latency_median.tolist(), "positives": self.positives,
                "clip_seconds": self.clip_seconds, "stream_hours": self.stream_hours,
                "min_duration": self.min_duration, "refractory": self.refractory, **self.extra}

    def to_text(self, threshold: float | None = None) -> str:
        th = self.recommended_threshold() if threshold is None else threshold
        r = self.at(th)
        lines = [f"held-out clips: {self.positives} positives in {self.clip_seconds / 60:.1f} min; "
                 f"negative stream: {self.stream_hours:.2f} h",
                 f"threshold {r['threshold']:.2f}: false rejects {100 * r['frr']:.1f}%, "
                 f"false accepts {r['fa_per_hour']:.2f}/h (stream), median latency {r['latency_median']:.2f} s",
                 f"targets (< {100 * TARGET_FRR:.0f}% FRR at < {TARGET_FA_PER_HOUR} FA/h): "
                 + ("met" if self.meets_targets(th) else "not met"),
                 "", " thr    FRR%   FA/h"]
        lines += [f"{t:4.2f}  {100 * f:6.1f}  {a:6.2f}" for t, f, a in zip(self.thresholds, self.frr, self.fa_per_hour)]
        return "\n".join(lines)


def evaluate(model, clips: ClipSet, material: Material, *, hours: float = 1.0, thresholds=DEFAULT_THRESHOLDS,
             min_duration: float = 0.08, refractory: float = 2.0, seed: int = 12345,
             progress: Callable | None = None, should_cancel: Callable[[], bool] | None = None) -> EvaluationReport | None:
    """FRR on ``clips`` and FA/hour on ``hours`` of negative-only stream, over ``thresholds``."""
    th = np.asarray(thresholds, float)
    cs = evaluate_clips(model, clips, thresholds=th, min_duration=min_duration, refractory=refractory)
    if progress is not None:
        progress(0, 1, "held-out clips scored")
    tr = negative_stream_trace(model, material, hours, seed=seed, progress=progress, should_cancel=should_cancel)
    if tr is None:
        return None
    times, probs = tr
    fa_h = false_accepts_per_hour(times, probs, model.config, thresholds=th, min_duration=min_duration,
                                  refractory=refractory)
    stream_h = float(times.size * model.config.step_seconds / 3600)
    clip_h = cs.seconds / 3600
    return EvaluationReport(th, cs.frr, fa_h, cs.false_accepts / clip_h if clip_h else cs.false_accepts * 0.0,
                            cs.latency_median, cs.positives, cs.seconds, stream_h, min_duration, refractory)


def evaluate_material(model, material: Material, n_clips: int = 200, hours: float = 1.0, *, min_duration: float = 0.08,
                      refractory: float = 2.0, seed: int = 10_000, progress: Callable | None = None,
                      should_cancel: Callable[[], bool] | None = None) -> EvaluationReport | None:
    """``evaluate`` on ``n_clips`` fresh clips of ``material`` (seed ``seed``) and its negative stream."""
    from workbench.core.studies.trigger_word.synthesis import generate_clips

    held = generate_clips(material, n_clips, model.config, seed=seed, should_cancel=should_cancel)
    if held is None:
        return None
    return evaluate(model, held, material, hours=hours, min_duration=min_duration, refractory=refractory,
                    progress=progress, should_cancel=should_cancel)
