"""Log-mel spectrograms with torch.stft on the chosen device: the one audio feature front end of
the app (sound data sets, the trigger-word study, live audio models).

``MelSettings`` holds what the features depend on; any object with the same fields works (the
trigger word's ``TriggerConfig`` has them too). Frames use ``center=False`` so frame ``f`` covers samples ``[f*hop, f*hop + n_fft)`` exactly;
with the 'valid' Conv1D of the model, output step ``j`` has heard samples up to
``TriggerConfig.step_end_sample(j)``. The synthesis labels and the streaming detector both use
that one mapping, so a label "right after the word" means the same thing in training and live.

Values are ``(10*log10(mel power + 1e-10) + 50) / 20``: log compresses the huge dynamic range
of speech, and the fixed affine puts typical levels near [-1, 1] for the first layer.
"""
from __future__ import annotations

import numpy as np

from dataclasses import asdict, dataclass
from typing import Any

LOG_FLOOR = 1e-10
DB_OFFSET, DB_SCALE = 50.0, 20.0


@dataclass(frozen=True)
class MelSettings:
    """Speech front-end defaults: 16 kHz, 25 ms windows every 10 ms, 40 log-mel bands."""

    sample_rate: int = 16000
    n_fft: int = 400
    hop: int = 160
    n_mels: int = 40
    f_min: float = 60.0
    f_max: float = 7600.0

    def frames_for(self, n_samples: int) -> int:
        """Spectrogram steps (torch.stft with center=False) for ``n_samples`` samples."""
        return 0 if n_samples < self.n_fft else 1 + (n_samples - self.n_fft) // self.hop

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _hz_to_mel(f):
    return 2595.0 * np.log10(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def _mel_to_hz(m):
    return 700.0 * (10.0 ** (np.asarray(m, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(sample_rate: int, n_fft: int, n_mels: int, f_min: float, f_max: float) -> np.ndarray:
    """Triangular HTK-mel filters, shape (n_fft // 2 + 1, n_mels), each with unit area (Slaney norm)."""
    n_bins = n_fft // 2 + 1
    freqs = np.linspace(0, sample_rate / 2, n_bins)
    mel_pts = np.linspace(_hz_to_mel(f_min), _hz_to_mel(f_max), n_mels + 2)
    hz = _mel_to_hz(mel_pts)
    fb = np.zeros((n_bins, n_mels))
    for m in range(n_mels):
        lo, c, hi = hz[m], hz[m + 1], hz[m + 2]
        up = (freqs - lo) / max(c - lo, 1e-9)
        down = (hi - freqs) / max(hi - c, 1e-9)
        fb[:, m] = np.maximum(0.0, np.minimum(up, down)) * (2.0 / (hi - lo))
    return fb.astype(np.float32)


class LogMelSpectrogram:
    """Callable: audio (N, samples) or (samples,) float32 -> features (N, frames, n_mels) float32.

    ``device`` is a torch device or name ("auto", "cpu", "cuda"); numpy in, numpy out unless
    ``as_tensor=True`` (then the tensor stays on the device, ready for the model).
    """

    def __init__(self, config=None, device="cpu"):
        import torch

        from workbench.core.device import pick_device

        self.config = config or MelSettings()
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        c = self.config
        self.window = torch.hann_window(c.n_fft, device=self.device)
        self.fb = torch.as_tensor(mel_filterbank(c.sample_rate, c.n_fft, c.n_mels, c.f_min, c.f_max),
                                  device=self.device)

    @property
    def n_features(self) -> int:
        return self.config.n_mels

    def __call__(self, audio, as_tensor: bool = False):
        import torch

        c = self.config
        x = torch.as_tensor(audio, dtype=torch.float32).to(self.device)
        single = x.dim() == 1
        if single:
            x = x[None]
        if x.shape[-1] < c.n_fft:
            out = torch.zeros((x.shape[0], 0, c.n_mels), device=self.device)
        else:
            with torch.no_grad():
                spec = torch.stft(x, c.n_fft, hop_length=c.hop, win_length=c.n_fft, window=self.window,
                                  center=False, return_complex=True)  # (N, bins, frames)
                power = spec.real ** 2 + spec.imag ** 2
                mel = torch.matmul(power.transpose(1, 2), self.fb)  # (N, frames, n_mels)
                out = (10.0 * torch.log10(mel + LOG_FLOOR) + DB_OFFSET) / DB_SCALE
        if single:
            out = out[0]
        return out if as_tensor else out.cpu().numpy()


def reference_log_mel(audio: np.ndarray, config) -> np.ndarray:
    """Plain-numpy version of LogMelSpectrogram for one clip (tests check the torch one against it)."""
    c = config
    x = np.asarray(audio, dtype=np.float64)
    n = c.frames_for(x.shape[0])
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(c.n_fft) / c.n_fft)  # periodic Hann, like torch
    idx = np.arange(c.n_fft)[None, :] + c.hop * np.arange(n)[:, None]
    frames = x[idx] * win
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    mel = power @ mel_filterbank(c.sample_rate, c.n_fft, c.n_mels, c.f_min, c.f_max).astype(np.float64)
    return ((10.0 * np.log10(mel + LOG_FLOOR) + DB_OFFSET) / DB_SCALE).astype(np.float32)
