"""Background noise made in code (no noise data set ships offline): white, pink, brown, hum, babble."""
from __future__ import annotations

import numpy as np

from workbench.core.audio import DEFAULT_SAMPLE_RATE
from workbench.core.audio.dsp import to_mono_float32
from workbench.core.errors import DataError
NOISE_KINDS = ("white", "pink", "brown", "hum", "babble")
MORE_NOISE_KINDS = ("music", "clicks")  # music-like tones; clicks and taps (keyboard, dishes)
ALL_NOISE_KINDS = NOISE_KINDS + MORE_NOISE_KINDS


def _coloured(n: int, rng: np.random.Generator, exponent: float) -> np.ndarray:
    """Gaussian noise with power spectrum ~ 1/f**exponent (shaped in the frequency domain)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spec.shape[0], dtype=np.float64)
    f[0] = 1.0
    spec = spec / f ** (exponent / 2.0)
    spec[0] = 0.0
    return np.fft.irfft(spec, n)


def make_noise(kind: str, seconds: float, sample_rate: int = DEFAULT_SAMPLE_RATE, *, level: float = 0.05,
               rng: np.random.Generator | int | None = None, speech: list[np.ndarray] | None = None) -> np.ndarray:
    """Background noise with RMS ``level``: white, pink (1/f), brown (1/f^2), mains ``hum``
    (50/60 Hz with harmonics over faint pink), or ``babble`` (many overlapping talkers, made from
    ``speech`` snippets when given, else from formant-like filtered pulses)."""
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    n = max(1, int(round(seconds * sample_rate)))
    if kind == "white":
        x = rng.standard_normal(n)
    elif kind == "pink":
        x = _coloured(n, rng, 1.0)
    elif kind == "brown":
        x = _coloured(n, rng, 2.0)
    elif kind == "hum":
        t = np.arange(n) / sample_rate
        f0 = float(rng.choice([50.0, 60.0]))
        x = sum((0.6 ** k) * np.sin(2 * np.pi * f0 * (k + 1) * t + rng.uniform(0, 2 * np.pi)) for k in range(6))
        p = _coloured(n, rng, 1.0)
        x = x / np.std(x) + 0.2 * p / max(1e-9, np.std(p))
    elif kind == "babble":
        x = np.zeros(n)
        if speech:
            for _ in range(8):
                s = to_mono_float32(speech[int(rng.integers(len(speech)))]).astype(np.float64)
                if s.size == 0:
                    continue
                s = s / max(1e-9, np.std(s))
                reps = int(np.ceil(n / s.size)) + 1
                track = np.tile(s, reps)
                off = int(rng.integers(s.size))
                x += track[off:off + n] * rng.uniform(0.5, 1.0)
        else:
            t = np.arange(n, dtype=np.float32) / np.float32(sample_rate)
            for _ in range(8):
                # a crude talker: glottal pulse train with wandering pitch, gated by a syllable envelope
                f0 = rng.uniform(90, 250) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.2, 1.0) * t))
                phase = np.cumsum(f0, dtype=np.float64) / sample_rate
                pulses = np.sign(np.sin(2 * np.pi * (phase % 1.0)))
                env = np.clip(np.sin(2 * np.pi * rng.uniform(2, 5) * t + rng.uniform(0, 6.3)), 0, None)
                x += pulses * env
            x = _smooth(x, max(1, sample_rate // 4000)) + 0.05 * _coloured(n, rng, 1.0)
    elif kind == "music":
        x = _music(n, sample_rate, rng)
    elif kind == "clicks":
        x = _clicks(n, sample_rate, rng)
    else:
        raise DataError(f"Unknown noise kind {kind!r}; choose one of {', '.join(ALL_NOISE_KINDS)}.")
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean()
    std = np.std(x)
    if std > 0:
        x = x * (level / std)
    return x.astype(np.float32)


def _smooth(x: np.ndarray, k: int) -> np.ndarray:
    if k <= 1:
        return x
    return np.convolve(x, np.ones(k) / k, mode="same")


def _music(n: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Music-like tones: a random walk of chords on an equal-tempered scale, each note with
    harmonics and a plucked (decaying) or held envelope, plus a bass line."""
    x = np.zeros(n)
    bpm = rng.uniform(70, 150)
    beat = max(1, int(sample_rate * 60 / bpm))
    root = int(rng.integers(45, 60))  # MIDI note of the key
    scale = np.array([0, 2, 4, 5, 7, 9, 11])
    degree = 0
    plucked = rng.random() < 0.5
    for start in range(0, n, beat * int(rng.choice([1, 2]))):
        degree = int(np.clip(degree + rng.integers(-2, 3), -3, 10))
        length = min(n - start, beat * 2)
        t = np.arange(length) / sample_rate
        env = np.exp(-t * rng.uniform(3, 8)) if plucked else np.minimum(1.0, t * 40) * np.exp(-t * 0.8)
        for k, step in enumerate((0, 2, 4)):  # a triad on the scale
            d = degree + step
            midi = root + 12 * (d // 7) + scale[d % 7] + (12 if k else 0)
            f = 440.0 * 2 ** ((midi - 69) / 12)
            if f >= sample_rate / 2.5:
                continue
            tone = sum((0.5 ** h) * np.sin(2 * np.pi * f * (h + 1) * t) for h in range(4) if f * (h + 1) < sample_rate / 2)
            x[start:start + length] += (0.6 if k else 1.0) * env * tone
    return x


def _clicks(n: int, sample_rate: int, rng: np.random.Generator) -> np.ndarray:
    """Clicks and taps at random times (typing, cutlery, a ticking clock): short decaying bursts
    of filtered noise over a faint noise floor."""
    x = 0.02 * rng.standard_normal(n)
    rate = rng.uniform(1.0, 8.0)  # clicks per second
    t = 0.0
    while True:
        t += rng.exponential(1.0 / rate)
        i = int(t * sample_rate)
        if i >= n:
            break
        length = int(sample_rate * rng.uniform(0.003, 0.03))
        burst = rng.standard_normal(length) * np.exp(-np.arange(length) / max(1.0, length / 5))
        if rng.random() < 0.5:  # duller taps: low-passed
            burst = _smooth(burst, int(rng.integers(2, 8)))
        x[i:i + length] += rng.uniform(0.3, 1.0) * burst[: n - i]
    return x
