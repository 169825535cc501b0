"""Settings of the trigger-word case study (one dataclass, JSON-friendly).

CPU defaults, and why they differ from the course (44.1 kHz, 5511 spectrogram steps, Ty = 1375):

- 16 kHz mono: speech needs nothing above 8 kHz, and it is what microphones and espeak-ng give.
- 25 ms windows (n_fft 400) every 10 ms (hop 160, the usual speech front end), 40 log-mel
  bands: Tx = 998 input steps per 10 s clip (the course's 101 linear bins x 5511 steps cost
  ~14x more to store and to run).
- Conv1D kernel 15, stride 4 (as in the course) -> Ty = 246 output steps of 40 ms each. The GRUs
  run once per output step, sequentially, and dominate CPU training time, which grows linearly
  with Ty: the "trigger-word" preset trains at ~50 clips/s on one busy CPU thread at Ty = 246
  (1500 clips: ~30 s per epoch).
- Labels: the 50 output steps right after each positive ends are 1 (as in the course), which is
  2.0 s here; the detector fires once the probability stays above the threshold for
  ``min_duration`` and then stays quiet for ``refractory`` seconds, so a word fires once.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from workbench.core.errors import DataError


@dataclass
class TriggerConfig:
    sample_rate: int = 16000
    clip_seconds: float = 10.0
    n_fft: int = 400
    hop: int = 160
    n_mels: int = 40
    f_min: float = 60.0
    f_max: float = 7600.0
    conv_kernel: int = 15
    conv_stride: int = 4
    label_steps: int = 50
    max_positives: int = 4
    max_negatives: int = 2
    # levels in dBFS (RMS): background, then each word at least min_snr_db above it
    background_db: tuple[float, float] = (-55.0, -30.0)
    word_db: tuple[float, float] = (-32.0, -14.0)
    min_snr_db: float = 6.0
    speed_range: tuple[float, float] = (0.9, 1.1)  # each inserted word plays at a random speed
    fragment_share: float = 0.25  # share of negatives cut from the trigger word (first or last part)

    def __post_init__(self):
        self.background_db = tuple(float(v) for v in self.background_db)  # type: ignore[assignment]
        self.word_db = tuple(float(v) for v in self.word_db)  # type: ignore[assignment]
        self.speed_range = tuple(float(v) for v in self.speed_range)  # type: ignore[assignment]
        checks = [
            (self.sample_rate >= 4000, "the sample rate must be at least 4000 Hz"),
            (self.clip_seconds > 0, "the clip length must be positive"),
            (self.n_fft >= 16 and self.hop >= 1, "the window (n_fft) must be >= 16 samples and the hop >= 1"),
            (self.n_mels >= 1, "there must be at least one mel band"),
            (self.f_max <= self.sample_rate / 2 + 1e-9 and 0 <= self.f_min < self.f_max,
             "the mel range must satisfy 0 <= f_min < f_max <= sample_rate / 2"),
            (self.conv_kernel >= 1 and self.conv_stride >= 1, "the Conv1D kernel and stride must be >= 1"),
            (self.label_steps >= 1, "label_steps must be >= 1"),
            (self.max_positives >= 0 and self.max_negatives >= 0, "word counts must be >= 0"),
            (0 < self.speed_range[0] <= self.speed_range[1], "speed_range must be (low, high) with 0 < low <= high"),
            (0.0 <= self.fragment_share <= 1.0, "fragment_share must be in [0, 1]"),
        ]
        for ok, msg in checks:
            if not ok:
                raise DataError(f"Trigger-word settings: {msg}.")
        if self.input_steps < self.conv_kernel:
            raise DataError("Trigger-word settings: the clip is too short for the Conv1D kernel; "
                            "use longer clips or a shorter window/hop.")

    # -- geometry ------------------------------------------------------------------------------
    @property
    def clip_samples(self) -> int:
        return int(round(self.clip_seconds * self.sample_rate))

    def frames_for(self, n_samples: int) -> int:
        """Spectrogram steps (torch.stft with center=False) for ``n_samples`` samples."""
        return 0 if n_samples < self.n_fft else 1 + (n_samples - self.n_fft) // self.hop

    def steps_for_frames(self, n_frames: int) -> int:
        """Output steps of the 'valid' Conv1D for ``n_frames`` input steps."""
        return 0 if n_frames < self.conv_kernel else 1 + (n_frames - self.conv_kernel) // self.conv_stride

    @property
    def input_steps(self) -> int:
        return self.frames_for(self.clip_samples)

    @property
    def output_steps(self) -> int:
        return self.steps_for_frames(self.input_steps)

    @property
    def step_seconds(self) -> float:
        return self.conv_stride * self.hop / self.sample_rate

    def step_end_sample(self, j):
        """Newest sample output step ``j`` has seen (exclusive end): its receptive field ends there."""
        return (self.conv_stride * j + self.conv_kernel - 1) * self.hop + self.n_fft

    def first_step_after(self, end_sample: int) -> int:
        """First output step that has heard everything up to ``end_sample`` (a word's end)."""
        frames = (end_sample - self.n_fft) / self.hop - (self.conv_kernel - 1)
        return max(0, math.ceil(frames / self.conv_stride))

    FEATURE_FIELDS = ("sample_rate", "n_fft", "hop", "n_mels", "f_min", "f_max", "conv_kernel", "conv_stride")

    def same_features(self, other: "TriggerConfig") -> bool:
        """True when a model made for ``other`` can run on features made with these settings."""
        return all(getattr(self, k) == getattr(other, k) for k in self.FEATURE_FIELDS)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["background_db"], d["word_db"] = list(self.background_db), list(self.word_db)
        d["speed_range"] = list(self.speed_range)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TriggerConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (d or {}).items() if k in names})
