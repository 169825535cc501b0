"""Signal processing on mono float32 audio: levels, silence trimming and splitting, mono, resampling."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Level:
    rms_db: float
    peak_db: float

    @property
    def clipped(self) -> bool:
        return self.peak_db >= -0.1


def _db(x: float) -> float:
    return float(20.0 * np.log10(max(x, 1e-6)))


def level_meter(block: np.ndarray) -> Level:
    """RMS and peak level of a block in dBFS (full scale sine peak = 0 dB, floor -120 dB)."""
    x = np.asarray(block, dtype=np.float32)
    if x.size == 0:
        return Level(-120.0, -120.0)
    return Level(_db(float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))), _db(float(np.max(np.abs(x)))))


def frame_rms_db(x: np.ndarray, frame: int) -> np.ndarray:
    n = x.shape[0] // frame
    if n == 0:
        return np.zeros(0)
    fr = x[: n * frame].reshape(n, frame).astype(np.float64)
    return 20 * np.log10(np.maximum(np.sqrt(np.mean(fr * fr, axis=1)), 1e-6))


def trim_silence(x: np.ndarray, sample_rate: int, *, threshold_db: float = -40.0, relative: bool = True,
                 pad_ms: float = 30.0, frame_ms: float = 10.0) -> np.ndarray:
    """Cut leading/trailing silence. With ``relative`` the threshold is below the loudest frame
    (robust to recording level); returns an empty array when everything is silent."""
    x = to_mono_float32(x)
    frame = max(1, int(sample_rate * frame_ms / 1000))
    db = frame_rms_db(x, frame)
    if db.size == 0:
        return x.copy()
    thr = (db.max() + threshold_db) if relative else threshold_db
    if relative:
        thr = max(thr, -70.0)  # pure digital silence never counts as sound
    loud = np.nonzero(db > thr)[0]
    if loud.size == 0:
        return np.zeros(0, np.float32)
    pad = int(sample_rate * pad_ms / 1000)
    a = max(0, loud[0] * frame - pad)
    b = min(x.shape[0], (loud[-1] + 1) * frame + pad)
    return x[a:b].copy()


def split_on_silence(x: np.ndarray, sample_rate: int, *, threshold_db: float = -35.0, min_gap_ms: float = 250.0,
                     min_len_ms: float = 150.0, pad_ms: float = 30.0) -> list[np.ndarray]:
    """Split a recording of several words said with pauses into one array per word."""
    x = to_mono_float32(x)
    frame = max(1, int(sample_rate * 0.01))
    db = frame_rms_db(x, frame)
    if db.size == 0:
        return []
    thr = max(db.max() + threshold_db, -70.0)
    loud = db > thr
    words, start, gap = [], None, 0
    min_gap = max(1, int(min_gap_ms / 10))
    for i, on in enumerate(np.append(loud, [False] * (min_gap + 1))):
        if on:
            if start is None:
                start = i
            gap = 0
        elif start is not None:
            gap += 1
            if gap >= min_gap:
                end = i - gap + 1
                if (end - start) * 10 >= min_len_ms:
                    pad = int(sample_rate * pad_ms / 1000)
                    words.append(x[max(0, start * frame - pad): min(x.shape[0], end * frame + pad)].copy())
                start, gap = None, 0
    return words


def to_mono_float32(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 2:
        x = x.mean(axis=1) if x.shape[1] <= 8 else x.mean(axis=0)
    if x.dtype == np.int16:
        return (x.astype(np.float32) / 32768.0)
    return np.ascontiguousarray(x, dtype=np.float32).reshape(-1)


def resample(x: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    """Band-limited resampling (scipy's polyphase filter; linear interpolation without scipy)."""
    x = to_mono_float32(x)
    if int(sr_from) == int(sr_to) or x.size == 0:
        return x.copy()
    try:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(int(sr_from), int(sr_to))
        return resample_poly(x, int(sr_to) // g, int(sr_from) // g).astype(np.float32)
    except ImportError:  # pragma: no cover - scipy ships with scikit-learn
        n = int(round(x.shape[0] * sr_to / sr_from))
        return np.interp(np.arange(n) * (sr_from / sr_to), np.arange(x.shape[0]), x).astype(np.float32)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(np.asarray(x, dtype=np.float64))))) if np.size(x) else 0.0


def snr_db(signal: np.ndarray, noise: np.ndarray) -> float:
    """Signal-to-noise ratio in dB of two aligned arrays (RMS over the whole of each)."""
    return float(20.0 * np.log10(max(rms(signal), 1e-12) / max(rms(noise), 1e-12)))


def mix_at_snr(signal: np.ndarray, noise: np.ndarray, snr: float, *, rng: np.random.Generator | None = None,
               active_only: bool = False, sample_rate: int = 16000) -> tuple[np.ndarray, np.ndarray]:
    """``signal`` + ``noise`` scaled so their SNR is ``snr`` dB; returns (mix, the scaled noise).

    The noise is looped or cut (at a random offset with ``rng``) to the signal's length. With
    ``active_only`` the signal's level is measured on its non-silent frames only (speech with
    pauses), as speech SNRs usually are."""
    s = to_mono_float32(signal)
    nz = to_mono_float32(noise)
    if nz.size == 0 or s.size == 0:
        return s.copy(), np.zeros_like(s)
    if nz.size < s.size:
        nz = np.tile(nz, int(np.ceil(s.size / nz.size)) + 1)
    off = int(rng.integers(0, nz.size - s.size + 1)) if rng is not None else 0
    nz = nz[off:off + s.size].astype(np.float64)
    ref = s
    if active_only:
        frame = max(1, sample_rate // 100)
        db = frame_rms_db(s, frame)
        if db.size:
            loud = np.repeat(db > db.max() - 40.0, frame)
            ref = s[: loud.size][loud] if loud.any() else s
    p_s, p_n = rms(ref), rms(nz)
    if p_s <= 0 or p_n <= 0:
        return s.copy(), np.zeros_like(s)
    scaled = (nz * (p_s / p_n) * 10 ** (-float(snr) / 20.0)).astype(np.float32)
    return (s + scaled).astype(np.float32), scaled
