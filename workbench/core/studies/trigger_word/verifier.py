"""The optional second stage: when the fast streaming model fires, a verifier looks at the last
``seconds`` (default 1.5 s) of audio and confirms or rejects.

Any object with ``seconds`` and ``verify(audio, sample_rate) -> Decision`` is a verifier (tests
use a fake one). Two ship here:

- ``ModelVerifier``: a small convolutional classifier on the log-mel features of the window,
  trained (by the common ``Trainer``) on windows where the first stage fired on the word and on
  the first stage's false accepts (``train_verifier``). Saved next to the model
  (``verifier.json`` + ``verifier.pt``).
- ``PocketsphinxVerifier``: pocketsphinx's keyphrase search for the trigger word (offline,
  English acoustic model in the wheel). It understands natural speech well and robotic espeak-ng
  voices poorly, so it suits a real person's voice more than the generated positives.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from workbench.core.errors import DataError, DeviceUnavailable, ProjectError

VERIFIER_FILE, VERIFIER_WEIGHTS = "verifier.json", "verifier.pt"
DEFAULT_SECONDS = 1.5


@dataclass(frozen=True)
class Decision:
    accepted: bool
    score: float


class Verifier(Protocol):
    seconds: float

    def verify(self, audio: np.ndarray, sample_rate: int) -> Decision: ...


def window_before(audio: np.ndarray, end_sample: int, n: int) -> np.ndarray:
    """The ``n`` samples before ``end_sample`` (zero-padded in front at the start of a stream)."""
    a = max(0, end_sample - n)
    w = np.asarray(audio[a:max(a, end_sample)], np.float32)
    return np.concatenate([np.zeros(n - w.size, np.float32), w]) if w.size < n else w


def verify_events(verifier, audio: np.ndarray, sample_rate: int, events: Sequence, *, cache: dict | None = None):
    """The verifier's decision for each event of an offline trace (event.time = its step's end)."""
    from dataclasses import replace

    n = int(round(verifier.seconds * sample_rate))
    out = []
    for ev in events:
        key = round(ev.time, 4)
        d = cache.get(key) if cache is not None else None
        if d is None:
            d = verifier.verify(window_before(audio, int(round(ev.time * sample_rate)), n), sample_rate)
            if cache is not None:
                cache[key] = d
        out.append(replace(ev, verified=bool(d.accepted), verifier_score=float(d.score)))
    return out


# -------------------------------------------------------------------------- model verifier
def verifier_spec(filters: int = 24, units: int = 32, dropout: float = 0.2):
    from workbench.core.models import LayerSpec, ModelSpec

    L = LayerSpec.make
    return ModelSpec([
        L("Conv1D", filters=filters, kernel=5, stride=2),
        L("BatchNorm", activation="relu"),
        L("Conv1D", filters=filters, kernel=5, stride=2),
        L("BatchNorm", activation="relu"),
        L("Conv1D", filters=filters, kernel=5, stride=2),
        L("BatchNorm", activation="relu"),
        L("Flatten"),
        L("Dropout", rate=dropout),
        L("Dense", units=units, activation="relu"),
    ], name="trigger-verifier", description="Second-stage check of the last 1.5 s: 3 x Conv1D + Dense.")


@dataclass
class ModelVerifier:
    module: object  # nn.Module (logits)
    spec: object
    config: object  # the TriggerConfig of the features
    head: object
    threshold: float = 0.5
    seconds: float = DEFAULT_SECONDS
    metrics: dict = field(default_factory=dict)

    @property
    def frames(self) -> int:
        return self.config.frames_for(int(round(self.seconds * self.config.sample_rate)))

    def _features(self):
        f = getattr(self, "_mel", None)
        if f is None:
            from workbench.core.data.audio_features import LogMelSpectrogram

            f = self._mel = LogMelSpectrogram(self.config, "cpu")
        return f

    def scores(self, windows: np.ndarray) -> np.ndarray:
        """Probability that each window (N, samples) ends with the trigger word."""
        import torch

        self.module.eval()
        with torch.inference_mode():
            x = self._features()(np.asarray(windows, np.float32), as_tensor=True)
            return self.head.activate(self.module(x))[:, 0].float().numpy()

    def verify(self, audio: np.ndarray, sample_rate: int) -> Decision:
        if sample_rate != self.config.sample_rate:
            raise DataError(f"The verifier expects {self.config.sample_rate} Hz audio, not {sample_rate} Hz.")
        n = int(round(self.seconds * sample_rate))
        p = float(self.scores(window_before(audio, len(audio), n)[None])[0])
        return Decision(p >= self.threshold, p)

    def save(self, folder: str | Path) -> None:
        from workbench.core.jsonio import atomic_write_json, save_weights

        folder = Path(folder)
        save_weights(folder / VERIFIER_WEIGHTS, self.module.state_dict())
        atomic_write_json(folder / VERIFIER_FILE, {"schema_version": 1, "kind": "model", "spec": self.spec.to_dict(),
                                                   "head": self.head.to_dict(), "threshold": self.threshold,
                                                   "seconds": self.seconds, "metrics": self.metrics})

    @classmethod
    def build(cls, config, spec=None, seconds: float = DEFAULT_SECONDS) -> "ModelVerifier":
        from workbench.core.models import build_model, default_head

        spec = spec or verifier_spec()
        head = default_head("binary")
        frames = config.frames_for(int(round(seconds * config.sample_rate)))
        return cls(build_model(spec, (frames, config.n_mels), (1,), head), spec, config, head, seconds=seconds)


def load_verifier(folder: str | Path, config):
    """The verifier saved in a model folder, or None when it has none."""
    from workbench.core.jsonio import load_weights, read_json
    from workbench.core.models import Head, ModelSpec, build_model

    folder = Path(folder)
    if not (folder / VERIFIER_FILE).exists():
        return None
    meta = read_json(folder / VERIFIER_FILE, kind="trigger-word verifier", max_version=1)
    if not isinstance(meta, dict) or meta.get("kind") not in ("model", "pocketsphinx"):
        raise ProjectError(f"{folder / VERIFIER_FILE} is not a verifier file.")
    if meta["kind"] == "pocketsphinx":
        return PocketsphinxVerifier(str(meta.get("keyphrase", "")), float(meta.get("kws_threshold", 1e-20)),
                                    float(meta.get("seconds", DEFAULT_SECONDS)))
    spec, head = ModelSpec.from_dict(meta["spec"]), Head.from_dict(meta["head"])
    seconds = float(meta.get("seconds", DEFAULT_SECONDS))
    frames = config.frames_for(int(round(seconds * config.sample_rate)))
    module = build_model(spec, (frames, config.n_mels), (1,), head)
    try:
        module.load_state_dict(load_weights(folder / VERIFIER_WEIGHTS))
    except (RuntimeError, FileNotFoundError) as e:
        raise ProjectError(f"The verifier weights in {folder} are missing or do not fit its spec ({e}).") from None
    module.eval()
    return ModelVerifier(module, spec, config, head, float(meta.get("threshold", 0.5)), seconds, meta.get("metrics", {}))


def train_verifier(positives: np.ndarray, negatives: np.ndarray, config, *, val=None, epochs: int = 15,
                   batch_size: int = 64, lr: float = 2e-3, seed: int = 0, seconds: float = DEFAULT_SECONDS,
                   trainer=None, callbacks: Sequence = ()):
    """Train a ``ModelVerifier`` on windows (N, samples) that end with the word (``positives``)
    and that do not (``negatives``: the first stage's false accepts, sound-alikes). ``val`` is
    (positives, negatives) for early stopping. Returns (ModelVerifier, FitResult)."""
    from workbench.core.data.audio_features import LogMelSpectrogram
    from workbench.core.training import TrainConfig, Trainer

    if len(positives) == 0 or len(negatives) == 0:
        raise DataError("The verifier needs windows with the word and windows without it.")
    mv = ModelVerifier.build(config, seconds=seconds)
    mel = LogMelSpectrogram(config, "cpu")

    def xy(pos, neg):
        x = np.concatenate([mel(np.asarray(pos, np.float32)), mel(np.asarray(neg, np.float32))])
        y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))]).astype(np.float32)[:, None]
        return x, y

    tr = xy(positives, negatives)
    va = xy(*val) if val is not None and len(val[0]) and len(val[1]) else None
    trainer = trainer or Trainer(callbacks=list(callbacks), device="cpu")
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, seed=seed,
                      early_stopping=4 if va is not None else None, restore_best=True)
    res = trainer.fit(mv.module, mv.head, train=tr, val=va, config=cfg)
    mv.module.eval()
    mv.metrics = {"train_windows": [int(len(positives)), int(len(negatives))],
                  "val_windows": [0, 0] if val is None else [int(len(val[0])), int(len(val[1]))],
                  "best_epoch": res.best_epoch, "stop_reason": res.stop_reason}
    return mv, res


# ------------------------------------------------------------------------------ pocketsphinx
class PocketsphinxVerifier:
    """pocketsphinx keyphrase search for ``keyphrase`` in the window; ``kws_threshold`` trades
    misses (large) for false alarms (small): 1e-40 .. 1e-5 are usual."""

    kind = "pocketsphinx"

    def __init__(self, keyphrase: str, kws_threshold: float = 1e-20, seconds: float = DEFAULT_SECONDS):
        self.keyphrase = keyphrase.strip().lower()
        if not self.keyphrase:
            raise DataError("The pocketsphinx verifier needs the trigger word.")
        self.kws_threshold = float(kws_threshold)
        self.seconds = float(seconds)
        self._decoder = None

    def _dec(self):
        if self._decoder is None:
            try:
                from pocketsphinx import Decoder
            except ImportError:
                raise DeviceUnavailable("pocketsphinx is not installed; run scripts/setup.sh.") from None
            try:
                self._decoder = Decoder(keyphrase=self.keyphrase, kws_threshold=self.kws_threshold, loglevel="FATAL")
            except (RuntimeError, ValueError):
                raise DataError(f"pocketsphinx does not know how to say {self.keyphrase!r} (a word missing from "
                                "its dictionary); use the model verifier instead.") from None
        return self._decoder

    def verify(self, audio: np.ndarray, sample_rate: int) -> Decision:
        from workbench.core.audio.dsp import resample

        x = resample(audio, sample_rate, 16000) if sample_rate != 16000 else np.asarray(audio, np.float32)
        pcm = (np.clip(x, -1, 1) * 32767).astype("<i2").tobytes()
        d = self._dec()
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        found = hyp is not None and self.keyphrase in (hyp.hypstr or "")
        return Decision(found, 1.0 if found else 0.0)

    def save(self, folder: str | Path) -> None:
        from workbench.core.jsonio import atomic_write_json

        atomic_write_json(Path(folder) / VERIFIER_FILE, {"schema_version": 1, "kind": "pocketsphinx",
                                                         "keyphrase": self.keyphrase,
                                                         "kws_threshold": self.kws_threshold, "seconds": self.seconds})
