"""Scoring long streams the way the live detector hears them, the FRR / false-accepts-per-hour
curves over the threshold (with smoothing and the optional second stage), and the choice of the
operating point on validation material only.

A ``ScoredStream`` is a stream (positives with known end times, or a negative-only stream of
speech or noise) run through ``detector.stream_trace``; it keeps the probability trace and the
1.5 s of audio before every moment the first stage could fire, so the curves for any threshold,
smoothing and verifier threshold are computed without running the model again. The offline event
rule is the live one: a run of steps above the threshold fires after ``min_duration``; with a
verifier a candidate counts only when confirmed, and only confirmed events start the refractory
period.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from workbench.core.studies.trigger_word.detector import detect_events, stream_trace
from workbench.core.studies.trigger_word.evaluation import match_events
from workbench.core.studies.trigger_word.model import OperatingPoint

THRESHOLDS = (0.1, 0.15, 0.2, 0.25) + tuple(np.round(np.arange(0.3, 0.96, 0.05), 2)) + (0.97, 0.98, 0.99, 0.995)
SMOOTHINGS = (1, 3, 5)
VERIFIER_THRESHOLDS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98)


@dataclass
class ScoredStream:
    name: str
    kind: str  # "positive" | "negative"
    seconds: float
    step_seconds: float
    groups: list = field(default_factory=list)  # [(times, probs, word_ends)]
    windows: dict = field(default_factory=dict)  # (group, round(time, 4)) -> int16 audio before it
    vscores: dict = field(default_factory=dict)  # same keys -> verifier probability
    labels: list = field(default_factory=list)  # per positive: its voice (for FRR per voice group)

    @property
    def hours(self) -> float:
        return self.seconds / 3600.0

    @property
    def positives(self) -> int:
        return sum(len(g[2]) for g in self.groups)

    def candidates(self, g: int, threshold: float, smoothing: int, min_duration: float):
        t, p, _ = self.groups[g]
        return detect_events(t, p, threshold, min_duration, 0.0, self.step_seconds, smoothing)

    def events(self, g: int, threshold: float, smoothing: int, min_duration: float, refractory: float,
               verifier_threshold: float | None = None):
        out, last = [], -np.inf
        for ev in self.candidates(g, threshold, smoothing, min_duration):
            if ev.time - last < refractory:
                continue
            if verifier_threshold is not None:
                s = self.vscores.get((g, round(ev.time, 4)))
                if s is None or s < verifier_threshold:
                    continue
            last = ev.time
            out.append(ev)
        return out


def score_stream(model, name: str, kind: str, pieces, *, sample_rate: int, window_seconds: float = 2.56,
                 hop_seconds: float = 0.32, keep_windows: bool = True, verifier_seconds: float = 1.5,
                 thresholds: Sequence[float] = THRESHOLDS, smoothings: Sequence[int] = SMOOTHINGS,
                 min_duration: float = 0.08, labels: Sequence[str] = (), progress: Callable | None = None,
                 should_cancel: Callable[[], bool] | None = None) -> ScoredStream | None:
    """Score ``pieces``: an iterable of (audio, word end times in s) (one piece, or several of a
    long stream, each scored on its own to keep memory small)."""
    st = ScoredStream(name, kind, 0.0, model.config.step_seconds, labels=list(labels))
    nwin = int(round(verifier_seconds * sample_rate))
    from workbench.core.studies.trigger_word.verifier import window_before

    for g, (audio, ends) in enumerate(pieces):
        if should_cancel is not None and should_cancel():
            return None
        tr = stream_trace(model, audio, window_seconds=window_seconds, hop_seconds=hop_seconds,
                          should_cancel=should_cancel)
        if tr is None:
            return None
        t, p = tr
        st.groups.append((t, p, list(ends)))
        st.seconds += audio.size / sample_rate
        if keep_windows:
            for s in smoothings:
                for th in thresholds:
                    for ev in detect_events(t, p, th, min_duration, 0.0, st.step_seconds, s):
                        key = (g, round(ev.time, 4))
                        if key not in st.windows:
                            w = window_before(audio, int(round(ev.time * sample_rate)), nwin)
                            st.windows[key] = (np.clip(w, -1, 1) * 32767).astype(np.int16)
        if progress is not None:
            progress(g + 1, 0, f"{name}: {st.seconds / 60:.0f} min scored")
    return st


def score_verifier(streams: Sequence[ScoredStream], verifier, batch: int = 256) -> None:
    """Fill every stream's ``vscores`` with the verifier's probability for its stored windows."""
    for st in streams:
        keys = list(st.windows)
        for i in range(0, len(keys), batch):
            kb = keys[i:i + batch]
            w = np.stack([st.windows[k] for k in kb]).astype(np.float32) / 32768.0
            if hasattr(verifier, "scores"):
                s = verifier.scores(w)
            else:
                s = [verifier.verify(x, 16000).score for x in w]
            st.vscores.update({k: float(v) for k, v in zip(kb, s)})


@dataclass
class Point:
    threshold: float
    smoothing: int
    verifier_threshold: float | None
    frr: float
    fa_per_hour: float  # over all negative streams together
    fa_by_stream: dict
    latency_median: float
    frr_by_label: dict = field(default_factory=dict)
    frr_by_stream: dict = field(default_factory=dict)  # positive stream name -> its FRR
    frr_by_voice: dict = field(default_factory=dict)  # "engine voice" (first two words of the label) -> FRR

    def to_dict(self) -> dict:
        return {"threshold": self.threshold, "smoothing": self.smoothing,
                "verifier_threshold": self.verifier_threshold, "frr": self.frr, "fa_per_hour": self.fa_per_hour,
                "fa_by_stream": self.fa_by_stream, "latency_median": self.latency_median,
                "frr_by_label": self.frr_by_label, "frr_by_stream": self.frr_by_stream,
                "frr_by_voice": self.frr_by_voice}


def evaluate_point(positives: Sequence[ScoredStream], negatives: Sequence[ScoredStream], threshold: float,
                   smoothing: int, verifier_threshold: float | None = None, *, min_duration: float = 0.08,
                   refractory: float = 2.0, max_latency: float = 1.2) -> Point:
    caught = total = 0
    lats: list[float] = []
    by_label: dict[str, list[int]] = {}
    by_voice: dict[str, list[int]] = {}
    by_stream_pos: dict[str, list[int]] = {}
    for st in positives:
        k = 0
        c0, n0 = caught, total
        for g, (t, p, ends) in enumerate(st.groups):
            evs = st.events(g, threshold, smoothing, min_duration, refractory, verifier_threshold)
            for e in ends:
                hit = any(e - 0.3 <= ev.time <= e + max_latency for ev in evs)
                lab = st.labels[k] if k < len(st.labels) else st.name
                if lab and st.labels:
                    voice = " ".join(lab.split(" ")[:2])
                    by_voice.setdefault(voice, [0, 0])
                    by_voice[voice][0] += int(hit)
                    by_voice[voice][1] += 1
                lab = lab.split(" ")[0] if lab else st.name
                by_label.setdefault(lab, [0, 0])
                by_label[lab][0] += int(hit)
                by_label[lab][1] += 1
                k += 1
            c, _, lat = match_events(evs, ends, max_latency=max_latency, merge_within=refractory)
            caught, total = caught + c, total + len(ends)
            lats += lat
        by_stream_pos[st.name] = [caught - c0, total - n0]
    fa, hours, by_stream = 0, 0.0, {}
    for st in negatives:
        n = sum(len(st.events(g, threshold, smoothing, min_duration, refractory, verifier_threshold))
                for g in range(len(st.groups)))
        fa += n
        hours += st.hours
        by_stream[st.name] = {"false_accepts": n, "hours": st.hours, "per_hour": n / st.hours if st.hours else 0.0}
    return Point(float(threshold), int(smoothing), verifier_threshold, 1.0 - caught / total if total else 0.0,
                 fa / hours if hours else 0.0, by_stream, float(np.median(lats)) if lats else float("nan"),
                 {k: 1.0 - a / b for k, (a, b) in by_label.items() if b},
                 {k: 1.0 - a / b for k, (a, b) in by_stream_pos.items() if b},
                 {k: 1.0 - a / b for k, (a, b) in by_voice.items() if b})


def curve(positives, negatives, *, thresholds: Sequence[float] = THRESHOLDS, smoothing: int = 1,
          verifier_threshold: float | None = None, **kw) -> list[Point]:
    return [evaluate_point(positives, negatives, th, smoothing, verifier_threshold, **kw) for th in thresholds]


def choose_operating_point(positives, negatives, *, target_fa_per_hour: float = 0.5,
                           thresholds: Sequence[float] = THRESHOLDS, smoothings: Sequence[int] = SMOOTHINGS,
                           verifier_thresholds: Sequence[float] | None = None, min_duration: float = 0.08,
                           refractory: float = 2.0, chosen_on: str = "validation") -> tuple[OperatingPoint, list[Point]]:
    """The point with the fewest false rejects among those within the false-accept budget (the one
    with the fewest false accepts, then rejects, when none is), searched over threshold,
    smoothing and (with ``verifier_thresholds``) the verifier's threshold. Pass VALIDATION
    streams: the point is stored with the model, so test figures must come from other material."""
    vths: list[float | None] = [None] + list(verifier_thresholds or [])
    pts = [evaluate_point(positives, negatives, th, s, v, min_duration=min_duration, refractory=refractory)
           for s in smoothings for v in vths for th in thresholds]
    ok = [p for p in pts if p.fa_per_hour <= target_fa_per_hour]
    if ok:
        best = min(ok, key=lambda p: (p.frr, p.fa_per_hour, p.verifier_threshold is not None, -p.threshold))
    else:
        best = min(pts, key=lambda p: (p.fa_per_hour, p.frr))
    op = OperatingPoint(best.threshold, best.smoothing, min_duration, refractory, best.verifier_threshold, chosen_on,
                        target_fa_per_hour, {"frr": best.frr, "fa_per_hour": best.fa_per_hour,
                                             "fa_by_stream": best.fa_by_stream, "met": bool(ok),
                                             "positives": sum(s.positives for s in positives),
                                             "frr_by_stream": best.frr_by_stream,
                                             "negative_hours": sum(s.hours for s in negatives)})
    return op, pts
