"""Negative-heavy training clips mixed from pools of material: the trigger word (many voices),
sound-alike hard negatives, other words, natural speech, noises, room impulse responses and the
false accepts that mining found.

A clip is, in order: a bed of natural speech (most clips), the words (a positive in
``positive_share`` of the clips; sound-alikes and other words in the rest, said inside the
speech with a short pause around them, over it as a talker behind, or said fluently with speech
of about the same level right after them (0-60 ms) and usually before them: a wake word then a
command, ``follow_share``; negatives alike, so "a word then speech" is no cue), the whole heard in a
random room (``reverb_share``), then a noise at an SNR drawn from ``snr_db`` (0-30 dB), then an
overall gain. Labels: 1 for the ``label_steps`` output steps after each positive ends.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from typing import Callable

import numpy as np

from workbench.core.audio.dsp import mix_at_snr, rms
from workbench.core.audio.room import reverberate
from workbench.core.errors import DataError
from workbench.core.studies.trigger_word.config import TriggerConfig
from workbench.core.studies.trigger_word.corpus import Speech
from workbench.core.studies.trigger_word.synthesis import Clip, ClipSet, Segment, _change_speed, _rms_db, make_labels


@dataclass
class Pools:
    """Everything the clips of one split (train, val, test) are mixed from (float32 at ``sample_rate``)."""

    sample_rate: int = 16000
    positives: list[np.ndarray] = field(default_factory=list)
    positive_voices: list[str] = field(default_factory=list)
    hard_negatives: list[np.ndarray] = field(default_factory=list)
    hard_texts: list[str] = field(default_factory=list)
    words: list[np.ndarray] = field(default_factory=list)  # other short words
    speech: Speech | None = None
    noises: list[np.ndarray] = field(default_factory=list)
    noise_kinds: list[str] = field(default_factory=list)
    rirs: list[np.ndarray] = field(default_factory=list)
    mined: list[np.ndarray] = field(default_factory=list)  # clip-length false accepts (labels 0)
    missing_engines: dict = field(default_factory=dict)  # engine -> the sentence saying it is not installed

    def summary(self) -> str:
        sp = f"{self.speech.seconds / 3600:.2f} h speech" if self.speech is not None else "no speech"
        return (f"{len(self.positives)} positives, {len(self.hard_negatives)} sound-alikes, {len(self.words)} other "
                f"words, {sp}, {len(self.noises)} noises, {len(self.rirs)} rooms, {len(self.mined)} mined")


@dataclass
class MixSettings:
    positive_share: float = 0.4  # clips with the trigger word
    speech_share: float = 0.7  # clips with a bed of natural speech
    hard_share: float = 0.5  # negative clips with 1-2 sound-alikes
    word_share: float = 0.3  # negative clips with other short words
    fragment_share: float = 0.15  # negative clips with the first or last part of the trigger word
    mined_share: float = 0.15  # clips taken from the mined false accepts (when there are any)
    hole_share: float = 0.7  # words said inside the speech (a pause around them) vs over it
    # of the clips with speech: words said fluently, speech of about their level right after them
    # (``follow_gap`` s) and, in ``follow_before_share`` of them, before them (``follow_before_gap`` s)
    follow_share: float = 0.35
    follow_gap: tuple[float, float] = (0.0, 0.06)
    follow_before_share: float = 0.8
    follow_before_gap: tuple[float, float] = (0.0, 0.15)
    follow_db: tuple[float, float] = (-4.0, 4.0)  # the speech's level against the word's
    reverb_share: float = 0.3
    colour_share: float = 0.0  # clips passed through a random microphone response (audio.room.colour)
    noise_share: float = 0.85
    snr_db: tuple[float, float] = (0.0, 30.0)
    word_db: tuple[float, float] = (-32.0, -14.0)  # RMS level of words and speech (dBFS)
    gain_db: tuple[float, float] = (-10.0, 4.0)  # overall level of the clip
    speed_range: tuple[float, float] = (0.9, 1.1)
    # feature augmentation of training clips (``augment_features``; never of validation or test)
    spec_share: float = 0.5  # clips whose log-mel is warped and masked
    warp: tuple[float, float] = (0.9, 1.12)  # mel-axis stretch (vocal-tract length)
    freq_masks: int = 2
    freq_mask_bands: int = 5  # up to this many mel bands per mask
    time_masks: int = 2
    time_mask_frames: int = 15  # up to this many 10 ms frames per mask

    def to_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: dict) -> "MixSettings":
        names = {f.name: f for f in fields(cls)}
        kw = {k: (tuple(v) if isinstance(v, list) else v) for k, v in (d or {}).items() if k in names}
        return cls(**kw)


def _gain_to(x: np.ndarray, db: float) -> np.ndarray:
    r = rms(x)
    return x * np.float32(10 ** (db / 20) / r) if r > 0 else x


def _fade_hole(bed: np.ndarray, a: int, b: int, fade: int) -> None:
    """Silence bed[a:b] with short fades (someone pauses to say the word)."""
    a, b = max(0, a), min(bed.size, b)
    if b <= a:
        return
    bed[a:b] = 0.0
    f = min(fade, a)
    if f > 0:
        bed[a - f:a] *= np.linspace(1, 0, f, dtype=np.float32)
    f = min(fade, bed.size - b)
    if f > 0:
        bed[b:b + f] *= np.linspace(0, 1, f, dtype=np.float32)


def _voiced(x: np.ndarray, sr: int, floor_db: float = -25.0) -> tuple[int, int]:
    """First and last sample of the 10 ms frames within ``floor_db`` of the loudest one."""
    f = max(1, int(0.01 * sr))
    m = x.size // f
    if m == 0:
        return 0, x.size
    e = 10 * np.log10(np.mean(x[:m * f].reshape(m, f) ** 2, axis=1) + 1e-12)
    on = np.flatnonzero(e > e.max() + floor_db)
    return (int(on[0]) * f, int(on[-1] + 1) * f) if on.size else (0, x.size)


def _speech_piece(speech: Speech, n: int, sr: int, rng: np.random.Generator, *, starts: bool) -> np.ndarray:
    """``n`` samples of natural speech that start (``starts``) or end with voice."""
    extra = int(0.5 * sr)
    off = int(rng.integers(0, max(1, speech.samples.size - n - extra)))
    x = speech.segment(off, n + extra)
    a, b = _voiced(x, sr)
    out = x[a:a + n] if starts else x[max(0, b - n):b]
    return np.pad(out, (0, n - out.size)) if starts else np.pad(out, (n - out.size, 0))


def _follow_bed(pools: Pools, words: list[tuple[int, int, float]], n: int, ms: MixSettings,
                rng: np.random.Generator) -> np.ndarray:
    """A bed of speech said fluently around the words (the first and last voiced sample of each
    and its RMS level in dBFS): from ``follow_gap`` after each word's voice ends up to the next
    word or the clip's end, and before the first word in ``follow_before_share`` of the clips,
    each piece at its word's level +- ``follow_db``."""
    sr = pools.sample_rate
    bed = np.zeros(n, np.float32)
    words = sorted(words)

    def put(a, b, w_db, starts):
        if b - a > int(0.05 * sr):
            piece = _speech_piece(pools.speech, b - a, sr, rng, starts=starts)
            bed[a:b] = _gain_to(piece, w_db + float(rng.uniform(*ms.follow_db)))

    for k, (_, end, w_db) in enumerate(words):
        a = end + int(rng.uniform(*ms.follow_gap) * sr)
        b = words[k + 1][0] - int(rng.uniform(*ms.follow_before_gap) * sr) if k + 1 < len(words) else n
        put(a, b, w_db, True)
    if words and rng.random() < ms.follow_before_share:
        put(0, words[0][0] - int(rng.uniform(*ms.follow_before_gap) * sr), words[0][2], False)
    return bed


def mix_clip(pools: Pools, config: TriggerConfig, ms: MixSettings, rng: np.random.Generator | tuple | int, *,
             force_positive: bool | None = None, positive_end: tuple[float, float] | None = None) -> Clip:
    """One clip (see the module docstring). ``force_positive`` makes it hold exactly one positive
    (True) or none (False); ``positive_end`` bounds where that positive ends (seconds)."""
    seed = rng if isinstance(rng, tuple) else (-1, 0)
    if not isinstance(rng, np.random.Generator):
        rng = np.random.default_rng(list(rng) if isinstance(rng, tuple) else rng)
    if pools.sample_rate != config.sample_rate:
        raise DataError(f"The pools are at {pools.sample_rate} Hz but the settings say {config.sample_rate} Hz.")
    sr, n = config.sample_rate, config.clip_samples
    positive = (rng.random() < ms.positive_share) if force_positive is None else bool(force_positive)
    if positive and not pools.positives:
        raise DataError("There are no recordings of the trigger word to mix clips from.")
    if not positive and force_positive is None and pools.mined and rng.random() < ms.mined_share:
        x = pools.mined[int(rng.integers(len(pools.mined)))]
        audio = np.zeros(n, np.float32)
        m = min(n, x.size)
        audio[n - m:] = x[x.size - m:]
        audio = _gain_to(audio, float(rng.uniform(*ms.word_db))) if rms(audio) > 0 else audio
        return Clip(np.clip(audio, -0.99, 0.99), make_labels([], config), [Segment("mined", 0, n, 0, 0.0)], -1, seed)

    level = float(rng.uniform(*ms.word_db))
    fg = np.zeros(n, np.float32)
    bed = None
    if pools.speech is not None and pools.speech.samples.size > n and rng.random() < ms.speech_share:
        off = int(rng.integers(0, pools.speech.samples.size - n))
        bed = _gain_to(pools.speech.segment(off, n), level + float(rng.uniform(-4, 4)))
    holes = bed is not None and rng.random() < ms.hole_share
    # the words said fluently, speech right after them (the bed is re-made around them below)
    follow = bed is not None and ms.follow_share > 0 and rng.random() < ms.follow_share
    if follow:
        holes = False

    plan: list[str] = []
    if positive:
        plan.append("positive")
    else:
        if pools.hard_negatives and rng.random() < ms.hard_share:
            plan += ["hard"] * int(rng.integers(1, 3))
        if pools.words and rng.random() < ms.word_share:
            plan.append("word")
        if pools.positives and rng.random() < ms.fragment_share:
            plan.append("fragment")
    segments: list[Segment] = []
    voiced: list[tuple[int, int, float]] = []  # each word's voiced span and level (for ``follow``)
    gap = int(rng.uniform(0.08, 0.3) * sr)
    for kind in plan:
        if kind == "fragment":
            wi = int(rng.integers(len(pools.positives)))
            whole = pools.positives[wi]
            cut = int(whole.size * rng.uniform(0.35, 0.65))
            word = whole[:cut] if rng.random() < 0.5 else whole[cut:]
        else:
            pool = {"positive": pools.positives, "hard": pools.hard_negatives, "word": pools.words}[kind]
            wi = int(rng.integers(len(pool)))
            word = pool[wi]
        word = _change_speed(word, float(rng.uniform(*ms.speed_range)))
        if word.size < 2 or word.size + 2 * gap >= n:
            continue
        lo, hi = 0, n - word.size
        if kind == "positive" and positive_end is not None:
            lo = max(lo, int(positive_end[0] * sr) - word.size)
            hi = min(hi, int(positive_end[1] * sr) - word.size)
        start = None
        for _ in range(50):
            s0 = int(rng.integers(lo, max(lo, hi) + 1))
            if all(s0 + word.size + gap <= s.start or s0 >= s.end + gap for s in segments):
                start = s0
                break
        if start is None:
            continue
        w_db = level + float(rng.uniform(-3, 3))
        if bed is not None and not holes and not follow:
            w_db = max(w_db, 10 * np.log10(max(np.mean(bed[start:start + word.size] ** 2), 1e-12)) + float(rng.uniform(5, 20)))
        gain_db = w_db - _rms_db(word)
        fg[start:start + word.size] += word * np.float32(10 ** (gain_db / 20))
        if bed is not None and holes:
            _fade_hole(bed, start - gap, start + word.size + gap, int(0.02 * sr))
        segments.append(Segment("positive" if kind == "positive" else ("fragment" if kind == "fragment" else "negative"),
                                start, start + word.size, wi, gain_db))
        if follow:
            va, vb = _voiced(word, sr)
            voiced.append((start + va, start + vb, w_db))
    if follow and voiced:
        bed = _follow_bed(pools, voiced, n, ms, rng)
    if bed is not None:
        fg += bed
    if pools.rirs and rng.random() < ms.reverb_share:
        fg = reverberate(fg, pools.rirs[int(rng.integers(len(pools.rirs)))], wet=float(rng.uniform(0.5, 1.0)))
    if pools.noises and rng.random() < ms.noise_share:
        noise = pools.noises[int(rng.integers(len(pools.noises)))]
        if rms(fg) > 0:
            fg, _ = mix_at_snr(fg, noise, float(rng.uniform(*ms.snr_db)), rng=rng, active_only=True, sample_rate=sr)
        else:
            off = int(rng.integers(0, max(1, noise.size - n)))
            nz = np.resize(noise[off:], n).astype(np.float32)
            fg = _gain_to(nz, float(rng.uniform(-60, -25)))
    if ms.colour_share > 0 and rng.random() < ms.colour_share:  # (no draw when off: old clips stay the same)
        from workbench.core.audio.room import colour

        fg = colour(fg, rng, sample_rate=sr)
    fg *= np.float32(10 ** (float(rng.uniform(*ms.gain_db)) / 20))
    peak = float(np.max(np.abs(fg))) if fg.size else 0.0
    if peak > 0.99:
        fg *= np.float32(0.99 / peak)
    segments.sort(key=lambda s: s.start)
    return Clip(fg.astype(np.float32), make_labels(segments, config), segments, -1, seed)


def augment_features(feats: np.ndarray, ms: MixSettings, rng: np.random.Generator) -> np.ndarray:
    """Training-time augmentation of log-mel features (N, T, n_mels), in place: in ``spec_share``
    of the clips the mel axis is stretched by a factor drawn from ``warp`` (a shorter or longer
    vocal tract: formants move up or down), then ``freq_masks`` bands and ``time_masks`` stretches
    of frames are set to the clip's mean level (SpecAugment). Returns ``feats``."""
    n, t_steps, m = feats.shape
    grid = np.arange(m, dtype=np.float64)
    for i in range(n):
        if rng.random() >= ms.spec_share:
            continue
        x = feats[i]
        a = float(rng.uniform(*ms.warp))
        if abs(a - 1.0) > 1e-6:
            src = np.clip(grid / a, 0, m - 1)
            lo = np.floor(src).astype(np.int64)
            hi = np.minimum(lo + 1, m - 1)
            frac = (src - lo).astype(np.float32)
            x[:] = x[:, lo] * (1 - frac) + x[:, hi] * frac
        fill = np.float32(x.mean())
        for _ in range(ms.freq_masks):
            w = int(rng.integers(0, ms.freq_mask_bands + 1))
            f0 = int(rng.integers(0, max(1, m - w + 1)))
            x[:, f0:f0 + w] = fill
        for _ in range(ms.time_masks):
            w = int(rng.integers(0, ms.time_mask_frames + 1))
            t0 = int(rng.integers(0, max(1, t_steps - w + 1)))
            x[t0:t0 + w, :] = fill
    return feats


def mix_clip_set(pools: Pools, n: int, config: TriggerConfig, ms: MixSettings | None = None, *, seed: int = 0,
                 batch: int = 64, progress: Callable | None = None, augment: bool = False,
                 should_cancel: Callable[[], bool] | None = None) -> ClipSet | None:
    """``n`` mixed clips with their log-mel features and labels (None when cancelled); with
    ``augment`` (training clips) the features go through ``augment_features``."""
    from workbench.core.data.audio_features import LogMelSpectrogram

    ms = ms or MixSettings()
    mel = LogMelSpectrogram(config, "cpu")
    feats = np.empty((n, config.input_steps, config.n_mels), np.float32)
    labels = np.empty((n, config.output_steps, 1), np.float32)
    segs: list[list[Segment]] = []
    t0 = time.perf_counter()
    for b0 in range(0, n, batch):
        if should_cancel is not None and should_cancel():
            return None
        clips = [mix_clip(pools, config, ms, (seed, i)) for i in range(b0, min(n, b0 + batch))]
        feats[b0:b0 + len(clips)] = mel(np.stack([c.audio for c in clips]))
        if augment and ms.spec_share > 0:
            augment_features(feats[b0:b0 + len(clips)], ms, np.random.default_rng([seed, 31, b0]))
        for k, c in enumerate(clips):
            labels[b0 + k, :, 0] = c.labels
            segs.append(c.segments)
        if progress is not None:
            progress(b0 + len(clips), n, f"mixing clips {b0 + len(clips)}/{n}")
    dt = time.perf_counter() - t0
    stats = {"seconds": dt, "clips_per_s": n / dt if dt > 0 else 0.0,
             "positives": sum(1 for s in segs for x in s if x.kind == "positive"),
             "positive_fraction": float(labels.mean()) if n else 0.0, "mix": ms.to_dict()}
    return ClipSet(feats, labels, segs, [-1] * n, int(seed), config, 0, stats)


def positive_stream(pools: Pools, n: int, config: TriggerConfig, ms: MixSettings, *, seed: int = 0,
                    clip_seconds: float = 4.0, word_end: tuple[float, float] = (1.6, 2.2)):
    """``n`` clips with one positive each, end to end: (audio, positive end times in s, the voice
    of each positive). The positive ends ``word_end`` s into its clip so the next starts after
    the detector's refractory period."""
    cfg = TriggerConfig.from_dict({**config.to_dict(), "clip_seconds": clip_seconds})
    ms_pos = MixSettings.from_dict({**ms.to_dict(), "mined_share": 0.0})
    parts, ends, voices = [], [], []
    for i in range(n):
        c = mix_clip(pools, cfg, ms_pos, (seed, i), force_positive=True, positive_end=word_end)
        for s in c.segments:
            if s.kind == "positive":
                ends.append((i * cfg.clip_samples + s.end) / cfg.sample_rate)
                voices.append(pools.positive_voices[s.index] if s.index < len(pools.positive_voices) else "")
        parts.append(c.audio)
    return (np.concatenate(parts) if parts else np.zeros(0, np.float32)), ends, voices


def speech_chunks(speech: Speech, *, seed: int = 0, chunk_seconds: float = 600.0, start_seconds: float = 0.0,
                  max_seconds: float | None = None, pause: tuple[float, float] = (0.2, 1.2),
                  level_db: tuple[float, float] = (-30.0, -16.0)):
    """The utterances read one after another with pauses, each at a random level (a person or a
    radio talking for hours), as pieces of about ``chunk_seconds`` (float32). ``start_seconds``
    skips that much of the stream first (it wraps around); the stream is the same for a seed."""
    sr = speech.sample_rate
    n_utt = len(speech)
    if n_utt == 0:
        return
    lengths = np.diff(speech.offsets)
    pauses = np.random.default_rng([seed, 11]).uniform(*pause, n_utt)
    levels = np.random.default_rng([seed, 12]).uniform(*level_db, n_utt)
    per = lengths + (pauses * sr).astype(np.int64)
    start_i = int(np.searchsorted(np.cumsum(per), int(start_seconds * sr) % max(1, int(per.sum())), side="right"))
    limit = None if max_seconds is None else int(max_seconds * sr)
    total, buf, have = 0, [], 0
    for k in range(n_utt):
        i = (start_i + k) % n_utt
        u = _gain_to(speech.utterance(i), float(levels[i]))
        buf += [u, np.zeros(int(pauses[i] * sr), np.float32)]
        have += u.size + int(pauses[i] * sr)
        if have >= chunk_seconds * sr or (limit is not None and total + have >= limit) or k == n_utt - 1:
            x = np.clip(np.concatenate(buf), -0.99, 0.99)
            if limit is not None:
                x = x[: limit - total]
            total += x.size
            yield x
            buf, have = [], 0
            if limit is not None and total >= limit:
                return


def speech_stream(speech: Speech, *, seed: int = 0, max_seconds: float | None = None, **kw) -> np.ndarray:
    """``speech_chunks`` in one array."""
    parts = list(speech_chunks(speech, seed=seed, max_seconds=max_seconds, **kw))
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def noise_stream(noises: list[np.ndarray], seconds: float, sample_rate: int = 16000, *, seed: int = 0,
                 piece: tuple[float, float] = (5.0, 30.0), level_db: tuple[float, float] = (-50.0, -18.0)) -> np.ndarray:
    """``seconds`` of the noises taking turns (pieces of 5-30 s at random levels)."""
    rng = np.random.default_rng([seed, 13])
    n = int(seconds * sample_rate)
    out = np.zeros(n, np.float32)
    pos = 0
    while pos < n and noises:
        k = min(n - pos, int(rng.uniform(*piece) * sample_rate))
        src = noises[int(rng.integers(len(noises)))]
        off = int(rng.integers(0, max(1, src.size - k)))
        seg = np.resize(src[off:], k)
        out[pos:pos + k] = _gain_to(seg.astype(np.float32), float(rng.uniform(*level_db)))
        pos += k
    return np.clip(out, -0.99, 0.99)
