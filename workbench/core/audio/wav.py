"""WAV files: read any PCM WAV (8/16/24/32-bit, any channels) as float32 mono; write 16-bit mono.

Reading goes through the one sound reader (``workbench.core.media.read_sound``: regular file,
bounded read, header checked before decoding)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from workbench.core.media import read_sound, wav_bytes

__all__ = ["read_wav", "wav_bytes", "write_wav"]


def read_wav(path: str | Path, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Read a PCM WAV (8/16/24/32-bit, any channels) as float32 mono; resample if asked."""
    return read_sound(path, sample_rate)


def write_wav(path: str | Path, x: np.ndarray, sample_rate: int) -> Path:
    """Write float samples as 16-bit mono PCM (clipped to [-1, 1]), atomically."""
    from workbench.core.jsonio import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path, wav_bytes(x, sample_rate))
    return path
