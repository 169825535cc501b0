"""The trigger-word model: the ``trigger-word`` preset (Conv1D stride 4 + BatchNorm + ReLU +
Dropout, 2 x (GRU + Dropout + BatchNorm), per-step Dense sigmoid), per-step binary
cross-entropy (head task ``sequence_binary``), trained by the common ``Trainer``.

``TriggerModel`` bundles the module with its spec, head and feature settings, and saves as a
folder: ``trigger_model.json`` (spec, head, settings, metrics, the operating point chosen on
validation material) + ``weights.pt`` (loaded with ``weights_only=True``), and the second-stage
verifier when it has one (``verifier.json`` + ``verifier.pt``).

``WeightedStepHead`` is the per-step binary cross-entropy with a weight on the negative steps
(the recipe raises it while validation false accepts per hour stay above the target).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from workbench.core.errors import ProjectError, SpecError
from workbench.core.studies.trigger_word.config import TriggerConfig

PRESET = "trigger-word"
MODEL_FILE, WEIGHTS_FILE = "trigger_model.json", "weights.pt"
MODEL_SCHEMA = 2  # 2: + operating_point (optional; version-1 files load without one)


def conv_geometry(spec) -> tuple[int, int]:
    """(kernel, stride) of the spec's first Conv1D; the label/step mapping depends on them."""
    for i, layer in enumerate(spec.layers):
        if layer.canonical_type == "Conv1D":
            _, p, _ = layer.resolved(i)
            if p.get("padding", "valid") != "valid":
                raise SpecError("The trigger-word study maps labels to output steps for a 'valid' Conv1D; "
                                "set padding to 'valid'.", layer_index=i)
            return int(p["kernel"]), int(p["stride"] or 1)
        if layer.canonical_type in ("GRU", "LSTM", "MaxPool", "AvgPool"):
            break
    raise SpecError("The trigger-word model must start with a Conv1D layer (it sets the output time steps).")


def default_spec(preset: str = PRESET):
    from workbench.core.models import get_preset

    return get_preset(preset)


def tiny_spec(filters: int = 16, units: int = 16, kernel: int = 15, stride: int = 4, dropout: float = 0.1):
    """The preset's layer stack, smaller: for tests and quick demos."""
    from workbench.core.models.presets import trigger_word_spec

    return trigger_word_spec(filters, units, dropout, kernel=kernel, stride=stride, name="trigger-word-tiny",
                             description="Small trigger-word detector for tests.")


def spec_for(name: str):
    """A model spec by name: a preset ("trigger-word", "trigger-word-course"), "tiny", or
    "small" (Conv1D 32, GRU 48 x 2: the recipe's demo size)."""
    from workbench.core.models.presets import trigger_word_spec

    if name == "tiny":
        return tiny_spec()
    if name == "small":
        return trigger_word_spec(32, 48, 0.2, name="trigger-word-small",
                                 description="Trigger-word detector for one CPU core: Conv1D 32, GRU 48 x 2.")
    return default_spec(name)


def head():
    from workbench.core.models import default_head

    return default_head("sequence_binary")


def weighted_head(negative_weight: float = 1.0):
    """The sequence head whose loss weighs every negative step (label 0) ``negative_weight``
    times a positive one; the weighted mean keeps the loss's scale comparable across weights."""
    from workbench.core.models import Head

    class WeightedStepHead(Head):
        def loss(self, raw, target):
            import torch.nn.functional as F

            w = target + (1.0 - target) * float(self.negative_weight)
            per = F.binary_cross_entropy_with_logits(raw.float(), target.float(), reduction="none")
            return (per * w).sum() / w.sum().clamp_min(1e-9)

    h = WeightedStepHead("sequence_binary", "sigmoid", "bce",
                         f"per-step binary cross-entropy, negative steps weighted x{negative_weight:g}")
    object.__setattr__(h, "negative_weight", float(negative_weight))
    return h


@dataclass
class OperatingPoint:
    """How the detector decides, chosen on validation material only, stored with the model so
    ``detect`` and the panel use it by default."""

    threshold: float = 0.5
    smoothing: int = 1  # output steps averaged before the threshold
    min_duration: float = 0.08
    refractory: float = 2.0
    verifier_threshold: float | None = None  # None: no second stage
    chosen_on: str = ""  # what material chose it
    target_fa_per_hour: float = 0.5
    validation: dict = field(default_factory=dict)  # FRR, FA/h at this point on the validation material

    def detector_kwargs(self) -> dict:
        return {"threshold": self.threshold, "smoothing": self.smoothing, "min_duration": self.min_duration,
                "refractory": self.refractory}

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "OperatingPoint":
        from dataclasses import fields

        from workbench.core.safety import check_fields

        if not isinstance(d, dict):
            raise ProjectError("The operating point in the model file is damaged (not an object).")
        check_fields(d, {"threshold": float, "smoothing": int, "min_duration": float, "refractory": float,
                         "verifier_threshold": (float, type(None)), "chosen_on": str, "validation": dict},
                     kind="trigger-word model's operating point", required=("threshold",))
        names = {f.name for f in fields(cls)}
        op = cls(**{k: v for k, v in d.items() if k in names})
        if not 0.0 <= op.threshold <= 1.0 or op.smoothing < 1:
            raise ProjectError("The operating point in the model file is out of range (threshold 0-1, smoothing >= 1).")
        return op


@dataclass
class TriggerModel:
    module: Any  # nn.Module (SpecModel) returning raw logits (N, Ty, 1)
    spec: Any  # ModelSpec
    config: TriggerConfig
    head: Any = field(default_factory=head)
    metrics: dict = field(default_factory=dict)
    operating_point: OperatingPoint | None = None
    verifier: Any = None  # a second stage (verifier.ModelVerifier / PocketsphinxVerifier) or None

    @classmethod
    def build(cls, config: TriggerConfig | None = None, spec=None) -> "TriggerModel":
        from workbench.core.models import build_model

        config = config or TriggerConfig()
        spec = spec if spec is not None else default_spec()
        kernel, stride = conv_geometry(spec)
        if (kernel, stride) != (config.conv_kernel, config.conv_stride):
            config = TriggerConfig.from_dict({**config.to_dict(), "conv_kernel": kernel, "conv_stride": stride})
        h = head()
        module = build_model(spec, (config.input_steps, config.n_mels), (config.output_steps, 1), h)
        return cls(module, spec, config, h)

    @property
    def device(self):
        p = next(self.module.parameters(), None)
        import torch

        return p.device if p is not None else torch.device("cpu")

    def predict(self, features, batch_size: int = 64) -> np.ndarray:
        """Per-step probabilities (N, Ty) for features (N, Tx, n_mels) (any Tx >= the kernel)."""
        import torch

        self.module.eval()
        x = features if isinstance(features, torch.Tensor) else torch.as_tensor(np.asarray(features, np.float32))
        single = x.dim() == 2
        if single:
            x = x[None]
        outs = []
        with torch.inference_mode():
            for i in range(0, x.shape[0], batch_size):
                xb = x[i:i + batch_size].to(self.device, torch.float32)
                outs.append(self.head.activate(self.module(xb))[..., 0].float().cpu().numpy())
        out = np.concatenate(outs) if outs else np.zeros((0, 0), np.float32)
        return out[0] if single else out

    def save(self, folder: str | Path) -> Path:
        from workbench.core.jsonio import atomic_write_json, save_weights

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        from workbench.core.studies.trigger_word.verifier import VERIFIER_FILE, VERIFIER_WEIGHTS

        save_weights(folder / WEIGHTS_FILE, self.module.state_dict())
        for name in (VERIFIER_FILE, VERIFIER_WEIGHTS):  # a stale second stage must not stay behind
            if self.verifier is None and (folder / name).exists():
                (folder / name).unlink()
        if self.verifier is not None:
            self.verifier.save(folder)
        meta = {"schema_version": MODEL_SCHEMA, "kind": "trigger-word", "spec": self.spec.to_dict(),
                "head": head().to_dict(), "config": self.config.to_dict(), "metrics": self.metrics}
        if self.operating_point is not None:
            meta["operating_point"] = self.operating_point.to_dict()
        atomic_write_json(folder / MODEL_FILE, meta)
        return folder

    @classmethod
    def load(cls, folder: str | Path, device="cpu") -> "TriggerModel":
        from workbench.core.device import pick_device
        from workbench.core.jsonio import load_weights, read_json
        from workbench.core.models import Head, ModelSpec, build_model

        folder = Path(folder)
        meta = read_json(folder / MODEL_FILE, kind="trigger-word model", max_version=MODEL_SCHEMA)
        if not isinstance(meta, dict) or meta.get("kind") != "trigger-word":
            raise ProjectError(f"{folder / MODEL_FILE} is not a trigger-word model file.")
        spec = ModelSpec.from_dict(meta["spec"])
        config = TriggerConfig.from_dict(meta["config"])
        h = Head.from_dict(meta["head"])
        module = build_model(spec, (config.input_steps, config.n_mels), (config.output_steps, 1), h)
        try:
            module.load_state_dict(load_weights(folder / WEIGHTS_FILE))
        except RuntimeError as e:
            raise ProjectError(f"The weights in {folder} do not fit the saved model spec ({e}).") from None
        module.to(pick_device(device) if isinstance(device, str) else device)
        module.eval()
        from workbench.core.studies.trigger_word.verifier import load_verifier

        op = OperatingPoint.from_dict(meta["operating_point"]) if meta.get("operating_point") is not None else None
        return cls(module, spec, config, h, meta.get("metrics", {}), op, load_verifier(folder, config))


def train_model(clips, *, val_clips=None, spec=None, epochs: int = 10, batch_size: int = 32, lr: float = 3e-3,
                seed: int = 0, early_stopping: int | None = 5, callbacks: Sequence = (), trainer=None,
                device: str = "auto", checkpoint_path: str | None = None, run_store=None):
    """Train on a ClipSet (and validate on ``val_clips``); returns (TriggerModel, FitResult).

    Pass ``trainer`` to keep a handle for stop/pause from another thread (the panel does), and a
    ``RunStore`` to add the run (record + best weights) to the project's run history; the record
    is then in ``model.metrics["run"]``."""
    from workbench.core.tasks import run_task

    task = TriggerTask(clips, val_clips, spec, epochs, batch_size, lr, seed, early_stopping, checkpoint_path)
    run = run_task(task, store=run_store, trainer=trainer, callbacks=callbacks, device=device, save_empty=True)
    tm = task.model
    if run_store is not None:
        tm.metrics["run"] = run.record.to_dict()
    return tm, run.fit


@dataclass
class TriggerTask:
    """Trigger-word training as a task for ``core.tasks.run_task``."""

    clips: Any
    val_clips: Any = None
    spec: Any = None
    epochs: int = 10
    batch_size: int = 32
    lr: float = 3e-3
    seed: int = 0
    early_stopping: int | None = 5
    checkpoint_path: str | None = None
    kind: str = "trigger_word"
    section: str = "trigger_word"

    def prepare(self, say):
        from workbench.core.tasks import Fitting, train_config_of

        clips, val_clips = self.clips, self.val_clips
        self.model = tm = TriggerModel.build(clips.config, self.spec)
        if (tm.config.conv_kernel, tm.config.conv_stride) != (clips.config.conv_kernel, clips.config.conv_stride):
            raise SpecError(f"The clips were labelled for a Conv1D with kernel {clips.config.conv_kernel} and stride "
                            f"{clips.config.conv_stride}, but the model's first Conv1D has kernel "
                            f"{tm.config.conv_kernel} and stride {tm.config.conv_stride}; regenerate the clips or "
                            "change the model.")
        cfg = train_config_of(self, optimizer="adam", restore_best=True, checkpoint_path=self.checkpoint_path,
                              early_stopping=self.early_stopping if val_clips is not None else None)
        val = (val_clips.features, val_clips.labels) if val_clips is not None and len(val_clips) else None
        return Fitting(tm.module, tm.head, (clips.features, clips.labels), val, cfg)

    def finish(self, fitting, fit):
        tm, clips, val_clips = self.model, self.clips, self.val_clips
        tm.module.eval()
        tm.metrics = {"history": fit.history, "best_epoch": fit.best_epoch, "stop_reason": fit.stop_reason,
                      "train_clips": len(clips), "val_clips": 0 if val_clips is None else len(val_clips)}
        return run_record(tm, fit, clips, val_clips, fitting.config)


def run_record(model: TriggerModel, result, clips, val_clips, cfg):
    """The run's RunRecord (the one schema every run shares)."""
    from workbench.core.runs import build_record

    c = model.config
    return build_record(
        "trigger_word", fit=result, train_config=cfg, module=model.module,
        name=f"Trigger word ({model.spec.name or 'custom'})", mode="holdout",
        task="sequence_binary",
        data={"name": "generated trigger-word clips", "spec": "trigger_word:generated", "kind": "audio",
              "n_samples": len(clips), "n_val": 0 if val_clips is None else len(val_clips), "seed": clips.seed,
              "features": c.to_dict()},
        model={"name": model.spec.name, "preset": model.spec.name, "spec": model.spec.to_dict()},
        head=model.head.to_dict())
