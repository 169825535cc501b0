"""10 s training clips: a background segment with trigger words and other words dropped in.

Each clip ``i`` of a set is made from its own generator ``default_rng([seed, i])``, so any clip
can be remade exactly (the panel shows and plays clip 1234 without storing thousands of clips'
audio; only features and labels are kept).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from workbench.core.errors import DataError
from workbench.core.studies.trigger_word.config import TriggerConfig
from workbench.core.studies.trigger_word.material import Material


@dataclass(frozen=True)
class Segment:
    kind: str  # "positive" | "negative" | "fragment" (a piece of a positive, labelled 0)
    start: int  # sample index in the clip
    end: int  # exclusive
    index: int  # which recording of its kind
    gain_db: float

    def overlaps(self, other: "Segment") -> bool:
        return self.start < other.end and other.start < self.end

    def to_list(self) -> list:
        return [self.kind, self.start, self.end, self.index, float(self.gain_db)]


@dataclass
class Clip:
    audio: np.ndarray  # (clip_samples,) float32
    labels: np.ndarray  # (output_steps,) float32 0/1
    segments: list[Segment]
    background: int  # which background recording
    seed: tuple[int, int]

    @property
    def positives(self) -> list[Segment]:
        return [s for s in self.segments if s.kind == "positive"]


def _rms_db(x: np.ndarray) -> float:
    return float(20 * np.log10(max(np.sqrt(np.mean(np.square(x, dtype=np.float64))), 1e-9)))


def _place(length: int, total: int, placed: list[Segment], rng: np.random.Generator, tries: int = 50) -> int | None:
    """A random start such that [start, start + length) overlaps no placed segment, or None."""
    if length > total:
        return None
    for _ in range(tries):
        start = int(rng.integers(0, total - length + 1))
        if all(not (start < s.end and s.start < start + length) for s in placed):
            return start
    return None


def _change_speed(x: np.ndarray, factor: float) -> np.ndarray:
    """Play ``factor`` times faster (tempo and pitch together, like a tape); linear interpolation
    is enough for this augmentation and costs ~nothing."""
    if abs(factor - 1.0) < 1e-3:
        return x
    n = max(2, int(round(x.shape[0] / factor)))
    return np.interp(np.linspace(0, x.shape[0] - 1, n), np.arange(x.shape[0]), x).astype(np.float32)


def make_labels(segments: list[Segment], config: TriggerConfig, n_steps: int | None = None) -> np.ndarray:
    """1 for the ``label_steps`` output steps right after each positive ends (clipped at the end)."""
    n = config.output_steps if n_steps is None else n_steps
    y = np.zeros(n, np.float32)
    for s in segments:
        if s.kind == "positive":
            j0 = config.first_step_after(s.end)
            y[j0:min(n, j0 + config.label_steps)] = 1.0
    return y


def synthesize_clip(material: Material, config: TriggerConfig, rng: np.random.Generator | int | tuple = 0,
                    *, n_positives: int | None = None, n_negatives: int | None = None) -> Clip:
    """One clip: a random background segment at a random level, then 0..max_positives positives and
    0..max_negatives negatives at random non-overlapping times with random gains (each word
    played at a random speed in ``speed_range``; a ``fragment_share`` of the negatives are pieces
    of the trigger word)."""
    seed = rng if isinstance(rng, tuple) else (int(rng) if not isinstance(rng, np.random.Generator) else -1, 0)
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(list(rng) if isinstance(rng, tuple) else rng)
    if material.sample_rate != config.sample_rate:
        raise DataError(f"The material is at {material.sample_rate} Hz but the settings say {config.sample_rate} Hz; "
                        "reload the material at the settings' sample rate.")
    if not material.backgrounds:
        material.ensure_backgrounds()
    n = config.clip_samples
    bi = int(rng.integers(len(material.backgrounds)))
    bg = material.backgrounds[bi]
    if bg.shape[0] < n:
        bg = np.tile(bg, int(np.ceil(n / max(1, bg.shape[0]))))
    off = int(rng.integers(0, bg.shape[0] - n + 1))
    audio = bg[off:off + n].astype(np.float32, copy=True)
    bg_db = float(rng.uniform(*config.background_db))
    audio *= np.float32(10 ** ((bg_db - _rms_db(audio)) / 20)) if np.any(audio) else np.float32(0)

    segments: list[Segment] = []
    kp = int(rng.integers(0, config.max_positives + 1)) if n_positives is None else int(n_positives)
    kn = int(rng.integers(0, config.max_negatives + 1)) if n_negatives is None else int(n_negatives)
    plan = ["positive"] * kp + ["negative"] * kn
    for kind in plan:
        if kind == "negative" and material.positives and (not material.negatives
                                                          or rng.random() < config.fragment_share):
            # a piece of the trigger word (its first or last 35-65%) is a negative: the model must
            # hear the whole word, not "acti-" in "activity" or "-vate" in "motivate"
            kind = "fragment"
            wi = int(rng.integers(len(material.positives)))
            whole = material.positives[wi]
            cut = int(whole.shape[0] * rng.uniform(0.35, 0.65))
            word = whole[:cut] if rng.random() < 0.5 else whole[cut:]
        else:
            pool = material.positives if kind == "positive" else material.negatives
            if not pool:
                continue
            wi = int(rng.integers(len(pool)))
            word = pool[wi]
        lo_s, hi_s = config.speed_range
        if hi_s > lo_s or lo_s != 1.0:
            word = _change_speed(word, float(rng.uniform(lo_s, hi_s)))
        if word.shape[0] < 2:
            continue
        start = _place(word.shape[0], n, segments, rng)
        if start is None:
            continue
        lo = max(config.word_db[0], bg_db + config.min_snr_db)
        target = float(rng.uniform(lo, max(lo, config.word_db[1])))
        gain_db = target - _rms_db(word)
        audio[start:start + word.shape[0]] += word * np.float32(10 ** (gain_db / 20))
        segments.append(Segment(kind, start, start + word.shape[0], wi, gain_db))
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak > 0.99:  # keep it a valid recording; labels do not depend on level
        audio *= np.float32(0.99 / peak)
    segments.sort(key=lambda s: s.start)
    return Clip(audio, make_labels(segments, config), segments, bi, seed)


@dataclass
class ClipSet:
    """Features and labels of generated clips (audio is remade on demand from the seeds)."""

    features: np.ndarray  # (N, input_steps, n_mels) float32 (or float16 to halve memory)
    labels: np.ndarray  # (N, output_steps, 1) float32
    segments: list[list[Segment]]
    backgrounds: list[int]
    seed: int
    config: TriggerConfig
    first_index: int = 0  # clip i of this set is clip (first_index + i) of the seed's sequence
    stats: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.features.shape[0])

    def clip_seed(self, i: int) -> tuple[int, int]:
        return (self.seed, self.first_index + i)

    def remake(self, material: Material, i: int) -> Clip:
        """The audio of clip ``i`` (bit-identical to what was used for its features)."""
        return synthesize_clip(material, self.config, self.clip_seed(i))

    def subset(self, idx) -> "ClipSet":
        idx = np.asarray(idx)
        return ClipSet(self.features[idx], self.labels[idx], [self.segments[i] for i in idx],
                       [self.backgrounds[i] for i in idx], self.seed, self.config, self.first_index, dict(self.stats))

    def save(self, path: str | Path) -> Path:
        """One .npz (no pickles) with the arrays plus the JSON-encoded metadata."""
        import io
        import json

        from workbench.core.jsonio import atomic_write_bytes

        meta = {"schema_version": 1, "seed": self.seed, "first_index": self.first_index,
                "config": self.config.to_dict(), "backgrounds": list(map(int, self.backgrounds)),
                "segments": [[s.to_list() for s in segs] for segs in self.segments], "stats": self.stats}
        buf = io.BytesIO()
        np.savez_compressed(buf, features=self.features, labels=self.labels,
                            meta=np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8))
        atomic_write_bytes(path, buf.getvalue())
        return Path(path)

    @classmethod
    def load(cls, path: str | Path) -> "ClipSet":
        import json

        from workbench.core.errors import ProjectError

        try:
            with np.load(Path(path), allow_pickle=False) as z:
                features, labels = z["features"], z["labels"]
                meta = json.loads(bytes(z["meta"]).decode("utf-8"))
        except FileNotFoundError:
            raise DataError(f"The clip set {path} does not exist; generate clips first.") from None
        except Exception as e:
            raise ProjectError(f"The clip set {path} is damaged ({type(e).__name__}: {e}).") from None
        segs = [[Segment(k, int(a), int(b), int(i), float(g)) for k, a, b, i, g in row] for row in meta["segments"]]
        return cls(features, labels, segs, meta["backgrounds"], int(meta["seed"]), TriggerConfig.from_dict(meta["config"]),
                   int(meta.get("first_index", 0)), meta.get("stats", {}))


def generate_clips(material: Material, n: int, config: TriggerConfig | None = None, *, seed: int = 0,
                   first_index: int = 0, device="cpu", batch: int = 32, feature_dtype=np.float32,
                   progress: Callable | None = None, should_cancel: Callable[[], bool] | None = None) -> ClipSet | None:
    """Generate ``n`` clips and their spectrograms (batched torch.stft on ``device``).

    ``progress(done, total, text)`` is called after every batch; when ``should_cancel()`` turns
    true the function stops and returns None (the panel runs this in a worker thread)."""
    from workbench.core.data.audio_features import LogMelSpectrogram

    config = config or TriggerConfig(sample_rate=material.sample_rate)
    material.check()
    material.ensure_backgrounds()
    spec = LogMelSpectrogram(config, device)
    n = int(n)
    feats = np.empty((n, config.input_steps, config.n_mels), dtype=feature_dtype)
    labels = np.empty((n, config.output_steps, 1), dtype=np.float32)
    segments: list[list[Segment]] = []
    bgs: list[int] = []
    t0 = time.perf_counter()
    t_synth = 0.0
    for b0 in range(0, n, batch):
        if should_cancel is not None and should_cancel():
            return None
        ts = time.perf_counter()
        clips = [synthesize_clip(material, config, (seed, first_index + i)) for i in range(b0, min(n, b0 + batch))]
        t_synth += time.perf_counter() - ts
        audio = np.stack([c.audio for c in clips])
        feats[b0:b0 + len(clips)] = spec(audio)
        for k, c in enumerate(clips):
            labels[b0 + k, :, 0] = c.labels
            segments.append(c.segments)
            bgs.append(c.background)
        if progress is not None:
            progress(b0 + len(clips), n, f"{b0 + len(clips)} / {n} clips")
    dt = time.perf_counter() - t0
    n_pos = sum(1 for segs in segments for s in segs if s.kind == "positive")
    stats = {"seconds": dt, "clips_per_s": n / dt if dt > 0 else 0.0, "synthesis_seconds": t_synth,
             "positives": n_pos, "positive_fraction": float(labels.mean()) if n else 0.0}
    return ClipSet(feats, labels, segments, bgs, int(seed), config, int(first_index), stats)


def demo_stream(material: Material, config: TriggerConfig, seconds: float = 30.0, seed: int = 0,
                *, gap: tuple[float, float] = (2.2, 3.5), word_db: float = -20.0):
    """A stream to try the detector on without a microphone: a background with positives and
    negatives taking turns, ``gap`` seconds apart. Returns (audio, positive end times in s,
    negative (start, end) times in s)."""
    rng = np.random.default_rng(seed)
    cfg = TriggerConfig.from_dict({**config.to_dict(), "clip_seconds": seconds})
    audio = synthesize_clip(material, cfg, (seed, 0), n_positives=0, n_negatives=0).audio
    sr = config.sample_rate
    t, ends, negs, k = 1.0, [], [], 0
    while t < seconds - 2.0:
        positive = k % 2 == 0 or not material.negatives
        pool = material.positives if positive else material.negatives
        w = pool[int(rng.integers(len(pool)))]
        w = w * np.float32(10 ** ((word_db - _rms_db(w)) / 20))
        a = int(t * sr)
        w = w[: max(0, audio.size - a)]
        audio[a:a + w.size] += w
        if positive:
            ends.append((a + w.size) / sr)
        else:
            negs.append((a / sr, (a + w.size) / sr))
        t += w.size / sr + float(rng.uniform(*gap))
        k += 1
    return np.clip(audio, -1, 1).astype(np.float32), ends, negs


def generate_sets(material: Material, n_train: int, n_val: int, config: TriggerConfig, seed: int = 0, *,
                  progress: Callable | None = None, should_cancel: Callable[[], bool] | None = None) -> dict | None:
    """Training and validation clip sets (validation with seed + 1): {"train": ClipSet, "val": ClipSet}."""
    total = n_train + n_val

    def part(offset):
        def p(d, t, s=""):
            if progress is not None:
                progress(offset + d, total, f"Generating clips {offset + d}/{total}")
        return p

    train = generate_clips(material, n_train, config, seed=seed, progress=part(0), should_cancel=should_cancel)
    if train is None:
        return None
    val = generate_clips(material, n_val, config, seed=seed + 1, progress=part(n_train), should_cancel=should_cancel)
    return None if val is None else {"train": train, "val": val}
