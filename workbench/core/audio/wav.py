"""WAV files: read any PCM WAV (8/16/24/32-bit, any channels) as float32 mono; write 16-bit mono."""
from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from workbench.core.audio.dsp import resample, to_mono_float32
from workbench.core.errors import DataError


def read_wav(path: str | Path, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Read a PCM WAV (8/16/24/32-bit, any channels) as float32 mono; resample if asked."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as w:
            ch, width, sr, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            raw = w.readframes(n)
    except FileNotFoundError:
        raise DataError(f"The WAV file {path} does not exist.") from None
    except (wave.Error, EOFError) as e:
        raise DataError(f"{path} is not a PCM WAV file the app can read ({e}); convert it to 16-bit PCM WAV.") from None
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        x = v.astype(np.float32) / float(1 << 23)
    elif width == 4:
        x = np.frombuffer(raw, "<i4").astype(np.float32) / float(1 << 31)
    else:  # pragma: no cover
        raise DataError(f"{path}: unsupported sample width {width} bytes.")
    if ch > 1:
        x = x[: (x.shape[0] // ch) * ch].reshape(-1, ch).mean(axis=1)
    x = np.ascontiguousarray(x, dtype=np.float32)
    if sample_rate is not None and int(sample_rate) != sr:
        x, sr = resample(x, sr, int(sample_rate)), int(sample_rate)
    return x, int(sr)


def wav_bytes(x: np.ndarray, sample_rate: int) -> bytes:
    """Float samples as the bytes of a 16-bit mono PCM WAV file (clipped to [-1, 1])."""
    import io

    pcm = (np.clip(to_mono_float32(x), -1.0, 1.0) * 32767.0).round().astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


def write_wav(path: str | Path, x: np.ndarray, sample_rate: int) -> Path:
    """Write float samples as 16-bit mono PCM (clipped to [-1, 1])."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(wav_bytes(x, sample_rate))
    return path
