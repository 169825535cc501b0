"""Sound as a data kind: a folder of WAV files in class subfolders becomes an "audio" Dataset.

Every clip is read as float32 mono (8/16/24/32-bit PCM, any number of channels, any rate:
``core/audio/wav.py``), resampled to one rate, cut or padded to one length (a longer clip keeps
its loudest window, a shorter one is centred in silence) and turned into a log-mel spectrogram
by the one feature front end of the app (``core/data/audio_features.py``), so ``X`` is
(N, frames, mel bands) float32, a sequence the Conv1D/GRU layers read directly (``AsImage`` lets
Conv2D layers read it as a one-channel picture).

The same ``AudioSettings`` turn a live microphone block or a dropped WAV into model inputs
(``clip_features``), so training and use can never disagree about the features.
"""
from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from workbench.core.data.audio_features import MelSettings
from workbench.core.data.dataset import Dataset
from workbench.core.data.images import ImportCancelled, scan_image_folder
from workbench.core.errors import DataError

AUDIO_EXTENSIONS = (".wav", ".wave")


@dataclass(frozen=True)
class AudioSettings:
    """How clips become features: length, rate and the log-mel settings (JSON: ``to_dict``)."""

    seconds: float = 1.0
    sample_rate: int = 16000
    mel: MelSettings = field(default_factory=MelSettings)

    @property
    def n_samples(self) -> int:
        return int(round(self.seconds * self.sample_rate))

    @property
    def n_frames(self) -> int:
        return self.mel.frames_for(self.n_samples)

    def to_dict(self) -> dict:
        return {"seconds": self.seconds, "sample_rate": self.sample_rate, "mel": asdict(self.mel)}

    @classmethod
    def from_dict(cls, d: dict | None) -> "AudioSettings":
        d = d or {}
        sr = int(d.get("sample_rate", 16000))
        mel = dict(d.get("mel") or {})
        mel.setdefault("sample_rate", sr)
        known = {k: mel[k] for k in ("sample_rate", "n_fft", "hop", "n_mels", "f_min", "f_max") if k in mel}
        return cls(float(d.get("seconds", 1.0)), sr, MelSettings(**known))


def make_settings(seconds: float = 1.0, sample_rate: int = 16000) -> AudioSettings:
    seconds = float(seconds)
    if not (0.1 <= seconds <= 30.0):
        raise DataError(f"The clip length must be between 0.1 and 30 seconds, not {seconds:g}.")
    sr = int(sample_rate)
    if sr < 4000:
        raise DataError(f"The sample rate must be at least 4000 Hz, not {sr}.")
    return AudioSettings(seconds, sr, MelSettings(sample_rate=sr, f_max=min(7600.0, sr / 2 - 100)))


def fit_length(x: np.ndarray, n: int) -> np.ndarray:
    """Cut ``x`` to its loudest window of ``n`` samples, or centre it in zeros when shorter."""
    x = np.asarray(x, dtype=np.float32).reshape(-1)
    if x.shape[0] == n:
        return x.copy()
    if x.shape[0] < n:
        out = np.zeros(n, np.float32)
        a = (n - x.shape[0]) // 2
        out[a:a + x.shape[0]] = x
        return out
    energy = np.concatenate([[0.0], np.cumsum(x.astype(np.float64) ** 2)])
    hop = max(1, n // 20)
    starts = np.arange(0, x.shape[0] - n + 1, hop)
    best = int(starts[np.argmax(energy[starts + n] - energy[starts])])
    return x[best:best + n].copy()


def clip_features(clips, settings: AudioSettings, sample_rate: int | None = None) -> np.ndarray:
    """Waveforms (a list of 1-D arrays, or (N, samples)) -> (N, frames, mels) log-mel features."""
    from workbench.core.audio.dsp import resample
    from workbench.core.data.audio_features import LogMelSpectrogram

    sr = int(sample_rate or settings.sample_rate)
    fitted = np.stack([fit_length(resample(c, sr, settings.sample_rate) if sr != settings.sample_rate else c,
                                  settings.n_samples) for c in clips]) if len(clips) else \
        np.zeros((0, settings.n_samples), np.float32)
    feats = LogMelSpectrogram(settings.mel, device="cpu")
    out = np.empty((len(fitted), settings.n_frames, settings.mel.n_mels), np.float32)
    for i in range(0, len(fitted), 256):
        out[i:i + 256] = feats(fitted[i:i + 256])
    return out


def read_clip(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """(samples, rate) of one WAV; DataError for a file that is not audio or holds no samples."""
    from workbench.core.audio.wav import read_wav

    x, sr = read_wav(path)
    if x.size == 0:
        raise DataError(f"{Path(path).name} holds no samples (a 0-length clip); record it again or delete it.")
    return x, sr


def is_audio_folder(path: str | os.PathLike) -> bool:
    """True when the class subfolders of ``path`` hold WAV files and no images."""
    from workbench.core.data.images import IMAGE_EXTENSIONS

    root = Path(path)
    n_wav = n_img = 0
    try:
        folders = list(root.iterdir()) if root.is_dir() else []
    except OSError:  # unreadable: the folder scan that follows says so in a sentence
        return False
    for d in folders:
        try:
            if not d.is_dir() or d.name.startswith("."):
                continue
            names = [f.name for f in d.iterdir()]
        except OSError:  # an unreadable class folder is reported (skipped) by the scan, not here
            continue
        for name in names:
            suf = Path(name).suffix.lower()
            n_wav += suf in AUDIO_EXTENSIONS
            n_img += suf in IMAGE_EXTENSIONS
        if n_wav + n_img > 50:
            break
    return n_wav > 0 and n_img == 0


def load_audio_folder(path: str | os.PathLike, seconds: float = 1.0, sample_rate: int = 16000, *,
                      progress: Callable | None = None, should_cancel: Callable[[], bool] | None = None,
                      name: str | None = None) -> Dataset:
    """Load ``path/<class>/<clip>.wav`` as an audio Dataset of log-mel spectrograms.

    Files that are not readable WAV audio or hold no samples are skipped and listed in
    ``ds.skipped``; clips at other rates are resampled (the description says from which rates).
    """
    settings = make_settings(seconds, sample_rate)
    class_names, files, skipped = scan_image_folder(path, AUDIO_EXTENSIONS, what="WAV files", one="a WAV file")
    clips, labels, paths, rates = [], [], [], {}
    total = len(files)
    for i, (f, c) in enumerate(files):
        if should_cancel is not None and should_cancel():
            raise ImportCancelled(f"Import of {str(path)!r} was cancelled after {i} of {total} clips.")
        try:
            x, sr = read_clip(f)
        except DataError as e:
            skipped.append((str(f), str(e)))
            continue
        rates[sr] = rates.get(sr, 0) + 1
        clips.append((x, sr))
        labels.append(c)
        paths.append(str(f))
        if progress is not None and (i % 20 == 0 or i == total - 1):
            progress(i + 1, total)
    first_why = next((why for _, why in skipped if "permission denied" in why), None)
    if not clips:
        raise DataError(f"None of the {total} WAV files in {str(path)!r} could be read as audio"
                        + (f" (e.g. {first_why.rstrip('.')})" if first_why else "") + "; check the files.")
    from workbench.core.audio.dsp import resample

    fitted = [fit_length(resample(x, sr, settings.sample_rate), settings.n_samples) for x, sr in clips]
    X = clip_features(fitted, settings)
    y = np.asarray(labels, dtype=np.int64)
    present = np.unique(y)
    if len(present) < 2:
        raise DataError(f"Only class {class_names[present[0]]!r} has readable clips in {str(path)!r}"
                        + (f" (e.g. {first_why.rstrip('.')})" if first_why else "")
                        + "; a classifier needs at least two, so add clips of another class.")
    if len(present) < len(class_names):
        remap = np.full(len(class_names), -1, dtype=np.int64)
        remap[present] = np.arange(len(present))
        class_names = [class_names[c] for c in present]
        y = remap[y]
    root = Path(path).expanduser()
    other = sorted(r for r in rates if r != settings.sample_rate)
    note = (f"; {sum(rates[r] for r in other)} clips resampled from {', '.join(f'{r} Hz' for r in other)}"
            if other else "")
    return Dataset(
        name=name or root.resolve().name or "sounds",
        kind="audio",
        X=X,
        y=y,
        class_names=class_names,
        description=(f"{len(y):,} clips in {len(class_names)} classes from {root}, {settings.seconds:g} s at "
                     f"{settings.sample_rate} Hz{note}; log-mel {settings.n_frames} frames x "
                     f"{settings.mel.n_mels} bands"),
        source={"type": "audio_folder", "path": str(root.resolve()), **settings.to_dict()},
        target_name="class",
        skipped=skipped,
        paths=np.array(paths, dtype=object),
    )


def spectrogram_image(features: np.ndarray) -> np.ndarray:
    """(frames, mels) features -> a uint8 picture with time to the right and pitch upwards."""
    a = np.asarray(features, dtype=np.float32).T[::-1]
    lo, hi = float(np.percentile(a, 2)), float(np.percentile(a, 99.5))
    a = np.clip((a - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    return (a * 255).astype(np.uint8)
