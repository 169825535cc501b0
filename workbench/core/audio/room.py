"""Room reverberation as an augmentation: impulse responses of random shoebox rooms from
pyroomacoustics' image-source method, convolved with the dry sound.

    rir = room_impulse_response(rng, sample_rate=16000)    # a random room, source and microphone
    wet = reverberate(dry, rir)                              # same length and level as ``dry``
"""
from __future__ import annotations

import numpy as np

from workbench.core.audio.dsp import rms, to_mono_float32


def room_impulse_response(rng: np.random.Generator | int | None = None, *, sample_rate: int = 16000,
                          rt60: float | None = None, size: tuple[float, float, float] | None = None,
                          max_order: int = 12) -> np.ndarray:
    """The impulse response from a random source to a random microphone in a shoebox room.

    ``rt60`` (s, default 0.2-0.8) sets the wall absorption (Sabine); ``size`` the room in metres
    (default 3-8 x 3-6 x 2.4-3.2). ``max_order`` caps the reflections computed (cost); the tail
    beyond it is added as exponentially decaying noise with the room's RT60, so long rooms still
    ring for their full time."""
    import pyroomacoustics as pra

    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    rt60 = float(rng.uniform(0.2, 0.8)) if rt60 is None else float(rt60)
    dims = np.array(size if size is not None else (rng.uniform(3, 8), rng.uniform(3, 6), rng.uniform(2.4, 3.2)))
    try:
        e_abs, order = pra.inverse_sabine(rt60, dims)
    except ValueError:  # RT60 too short for the room: as absorbent as walls get
        e_abs, order = 0.99, 3
    room = pra.ShoeBox(dims, fs=int(sample_rate), materials=pra.Material(float(e_abs)),
                       max_order=int(min(order, max_order)))

    def inside():
        return dims * rng.uniform(0.15, 0.85, 3)

    src, mic = inside(), inside()
    while np.linalg.norm(src - mic) < 0.5:
        mic = inside()
    room.add_source(src)
    room.add_microphone(mic)
    room.compute_rir()
    h = np.asarray(room.rir[0][0], np.float64)
    # a diffuse tail: decaying noise from where the computed reflections thin out
    n_tail = int(rt60 * sample_rate)
    start = int(np.argmax(np.abs(h))) + int(0.05 * sample_rate)
    if start < h.size + n_tail:
        t = np.arange(n_tail) / sample_rate
        tail = rng.standard_normal(n_tail) * np.exp(-6.9 * (t + 0.05) / rt60)  # -60 dB at RT60
        tail *= np.std(h[max(0, start - 400):start]) if start <= h.size else np.std(h) * 0.1
        out = np.zeros(max(h.size, start + n_tail))
        out[: h.size] = h
        out[start:start + n_tail] += tail
        h = out
    return (h / max(np.max(np.abs(h)), 1e-12)).astype(np.float32)


def reverberate(x: np.ndarray, rir: np.ndarray, *, wet: float = 1.0) -> np.ndarray:
    """``x`` heard in the room of ``rir``: same length (the tail past the end is cut), same RMS.
    ``wet`` < 1 mixes in the dry sound."""
    from scipy.signal import fftconvolve

    x = to_mono_float32(x)
    if x.size == 0:
        return x.copy()
    # align on the direct path so a word's end stays where the labels say it is
    d = int(np.argmax(np.abs(rir)))
    y = fftconvolve(x, rir[d:])[: x.size]
    y = wet * y + (1.0 - wet) * x
    r = rms(y)
    return (y * (rms(x) / r) if r > 0 else y).astype(np.float32)


def colour(x: np.ndarray, rng: np.random.Generator | int | None = None, *, sample_rate: int = 16000) -> np.ndarray:
    """``x`` as a random microphone or loudspeaker would pass it on: a high-pass at 80-400 Hz, a
    low-pass at 3-7.5 kHz and a resonance (1-4 kHz, -6..+9 dB), at the same RMS level."""
    from scipy import signal

    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    x = to_mono_float32(x)
    nyq = sample_rate / 2
    hp = signal.butter(2, float(rng.uniform(80, 400)) / nyq, "highpass", output="sos")
    lp = signal.butter(4, min(0.95, float(rng.uniform(3000, 7500)) / nyq), "lowpass", output="sos")
    b, a = signal.iirpeak(float(rng.uniform(1000, 4000)), float(rng.uniform(1.0, 4.0)), fs=sample_rate)
    y = signal.sosfilt(np.vstack([hp, lp]), x)
    peak = signal.lfilter(b, a, y)
    gain = 10 ** (float(rng.uniform(-6, 9)) / 20) - 1.0  # the resonance added on top (or taken away)
    y = y + gain * peak
    r_in, r_out = rms(x), rms(y)
    return (y * (r_in / r_out) if r_out > 0 else y).astype(np.float32)
