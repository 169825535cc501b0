"""Data augmentation: random changes to the *training batches only*, as a preprocessing step.

Settings are plain JSON (stored with the run):

    images  {"flip": true, "crop": 0.1, "rotate": 10, "color": 0.2}
            horizontal flip (half the images), zoom-in crop of up to ``crop`` of each side, rotation
            of up to ``rotate`` degrees (one affine warp, reflected borders), brightness / contrast /
            saturation jitter of up to ``color``.
    sounds  {"shift": 0.1, "gain_db": 6, "noise_snr_db": 20}
            time shift of up to ``shift`` of the clip, gain of up to +-``gain_db`` dB, and white
            noise at a random signal-to-noise ratio between ``noise_snr_db`` and ``noise_snr_db`` + 20
            dB (0 = no noise). They act on the log-mel features: a gain is an offset there, a shift
            moves frames, and noise is added in the power domain (white noise has the same power in
            every mel band of our unit-area filters).

``make_augmenter`` returns a torch module the model runs on its inputs while training
(``SpecModel.set_augmentation``); in eval mode it is skipped, so validation, test scores and
predictions see the data untouched. It undoes the fitted scaling first and redoes it after, so
it works with any scaling. ``preview`` gives before/after pictures for the Data panel.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from workbench.core.errors import DataError

IMAGE_DEFAULTS = {"flip": True, "crop": 0.1, "rotate": 10.0, "color": 0.2}
AUDIO_DEFAULTS = {"shift": 0.1, "gain_db": 6.0, "noise_snr_db": 20.0}
_LIMITS = {"crop": (0.0, 0.5), "rotate": (0.0, 45.0), "color": (0.0, 0.9), "shift": (0.0, 0.5),
           "gain_db": (0.0, 24.0), "noise_snr_db": (0.0, 60.0)}


def defaults_for(kind: str) -> dict:
    if kind == "image":
        return dict(IMAGE_DEFAULTS)
    if kind == "audio":
        return dict(AUDIO_DEFAULTS)
    raise DataError(f"Augmentation works on images and sounds, not on {kind} data; switch it off.")


def check_settings(settings: Any, kind: str) -> dict:
    """The settings with defaults filled in; DataError with one sentence for a bad value."""
    if settings in (None, False):
        return {}
    base = defaults_for(kind)
    if settings is True:
        return base
    if not isinstance(settings, dict):
        raise DataError("The augmentation settings must be an object such as {\"flip\": true, \"rotate\": 10}.")
    unknown = sorted(set(settings) - set(base))
    if unknown:
        raise DataError(f"Unknown augmentation setting(s) {', '.join(unknown)} for {kind} data; "
                        f"use {', '.join(base)}.")
    out = {**base, **settings}
    for k, v in out.items():
        if k == "flip":
            if not isinstance(v, bool):
                raise DataError("The augmentation setting 'flip' must be true or false.")
            continue
        lo, hi = _LIMITS[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (lo <= float(v) <= hi):
            raise DataError(f"The augmentation setting {k!r} must be a number from {lo:g} to {hi:g}, not {v!r}.")
        out[k] = float(v)
    return out


def _scaling(pre) -> tuple[np.ndarray, np.ndarray, str]:
    d = pre.to_dict()
    st = d["state"]
    return np.asarray(st["offset"], np.float32), np.asarray(st["scale"], np.float32), d["kind"]


def make_augmenter(settings: dict | None, pre):
    """A torch module that augments model-input batches (None when ``settings`` is empty)."""
    if not settings:
        return None
    offset, scale, kind = _scaling(pre)
    s = check_settings(settings, kind)
    return ImageAugment(s, offset, scale) if kind == "image" else AudioAugment(s, offset, scale)


def _module_base():
    from torch import nn

    return nn.Module


class _Augment(_module_base()):
    """Shared part: undo and redo the fitted scaling (plain attributes: nothing in the state dict)."""

    def __init__(self, settings: dict, offset: np.ndarray, scale: np.ndarray, shape: tuple):
        super().__init__()
        import torch

        self.settings = dict(settings)
        self._offset = torch.as_tensor(offset).reshape(shape)
        self._scale = torch.as_tensor(scale).reshape(shape)

    def forward(self, x):
        off, sc = self._offset.to(x.device), self._scale.to(x.device)
        raw = x * sc + off
        return (self.change(raw) - off) / sc

    def change(self, raw):  # pragma: no cover - subclasses
        raise NotImplementedError


class ImageAugment(_Augment):
    def __init__(self, settings: dict, offset: np.ndarray, scale: np.ndarray):
        super().__init__(settings, offset, scale, (1, -1, 1, 1))

    def change(self, x):
        import torch
        import torch.nn.functional as F

        s = self.settings
        n = x.shape[0]
        dev = x.device
        if s.get("flip"):
            flip = torch.rand(n, device=dev) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        crop, rot = float(s.get("crop", 0)), float(s.get("rotate", 0))
        if crop > 0 or rot > 0:
            zoom = 1.0 - crop * torch.rand(n, device=dev)
            angle = (torch.rand(n, device=dev) * 2 - 1) * math.radians(rot)
            room = 1.0 - zoom
            tx = (torch.rand(n, device=dev) * 2 - 1) * room
            ty = (torch.rand(n, device=dev) * 2 - 1) * room
            cos, sin = torch.cos(angle) * zoom, torch.sin(angle) * zoom
            theta = torch.stack([torch.stack([cos, -sin, tx], 1), torch.stack([sin, cos, ty], 1)], 1)
            grid = F.affine_grid(theta, list(x.shape), align_corners=False)
            x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
        c = float(s.get("color", 0))
        if c > 0:
            def factor():
                return (1 + (torch.rand(n, 1, 1, 1, device=dev) * 2 - 1) * c)

            x = x * factor()
            mean = x.mean(dim=(1, 2, 3), keepdim=True)
            x = (x - mean) * factor() + mean
            if x.shape[1] == 3:
                grey = (x * torch.tensor([0.299, 0.587, 0.114], device=dev).view(1, 3, 1, 1)).sum(1, keepdim=True)
                x = (x - grey) * factor() + grey
            x = x.clamp(0.0, 1.0)
        return x


class AudioAugment(_Augment):
    def __init__(self, settings: dict, offset: np.ndarray, scale: np.ndarray):
        super().__init__(settings, offset, scale, (1, 1, -1))

    def change(self, v):
        import torch

        from workbench.core.data.audio_features import DB_OFFSET, DB_SCALE, LOG_FLOOR

        s = self.settings
        n, t = v.shape[0], v.shape[1]
        dev = v.device
        shift = float(s.get("shift", 0))
        if shift > 0 and t > 1:
            k = ((torch.rand(n, device=dev) * 2 - 1) * shift * t).round().long()
            idx = torch.arange(t, device=dev)[None, :] - k[:, None]  # frame i comes from frame i - k
            inside = (idx >= 0) & (idx < t)
            moved = torch.gather(v, 1, idx.clamp(0, t - 1)[:, :, None].expand(-1, -1, v.shape[2]))
            floor = v.amin(dim=(1, 2), keepdim=True).expand_as(v)
            v = torch.where(inside[:, :, None], moved, floor)
        gain = float(s.get("gain_db", 0))
        if gain > 0:
            v = v + ((torch.rand(n, 1, 1, device=dev) * 2 - 1) * gain) / DB_SCALE
        snr = float(s.get("noise_snr_db", 0))
        if snr > 0:
            power = 10.0 ** ((v * DB_SCALE - DB_OFFSET) / 10.0)
            level = power.mean(dim=(1, 2), keepdim=True)
            snr_db = snr + 20.0 * torch.rand(n, 1, 1, device=dev)
            # a band's power over many bins: Gamma-distributed around its mean
            jitter = torch.distributions.Gamma(4.0, 4.0).sample(v.shape).to(dev)
            power = power + level * 10.0 ** (-snr_db / 10.0) * jitter
            v = (10.0 * torch.log10(power + LOG_FLOOR) + DB_OFFSET) / DB_SCALE
        return v


def preview(ds, pre, settings: dict, idx, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(before, after) pictures of samples ``idx`` with ``settings`` (uint8 images / spectrograms)."""
    import torch

    from workbench.core.data.audio import spectrogram_image

    aug = make_augmenter(settings, pre)
    idx = np.asarray(idx, dtype=np.int64)
    X = pre.transform(ds, idx)
    torch.manual_seed(seed)
    with torch.no_grad():
        after = aug(torch.as_tensor(X)).numpy() if aug is not None else X
    offset, scale, kind = _scaling(pre)
    out = []
    for j, i in enumerate(idx):
        if kind == "image":
            raw = after[j] * scale[:, None, None] + offset[:, None, None]
            img = np.clip(raw.transpose(1, 2, 0) * 255 + 0.5, 0, 255).astype(np.uint8)
            before = np.asarray(ds.X[i])
            out.append((before if before.dtype == np.uint8 else (before * 255).astype(np.uint8), img))
        else:
            raw = after[j] * scale + offset
            out.append((spectrogram_image(ds.X[i]), spectrogram_image(raw)))
    return out


def preview_draw(ds, preprocessing: dict, settings: dict, train_idx, n: int = 4, seed: int | None = None) -> list:
    """``preview`` of the first ``n`` samples with the preprocessing fitted on ``train_idx`` as a run
    fits it, and a fresh random draw unless ``seed`` is given (the Data panel's Augment tab)."""
    from workbench.core.data import Preprocessor

    pre = Preprocessor(**{k: v for k, v in (preprocessing or {}).items() if k in ("scale", "missing", "vocab_size")})
    pre.fit(ds, train_idx)
    seed = int(np.random.default_rng().integers(1 << 30)) if seed is None else int(seed)
    return preview(ds, pre, settings, np.arange(min(n, len(ds))), seed=seed)
