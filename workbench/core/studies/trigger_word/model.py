"""The trigger-word model: the ``trigger-word`` preset (Conv1D stride 4 + BatchNorm + ReLU +
Dropout, 2 x (GRU + Dropout + BatchNorm), per-step Dense sigmoid), per-step binary
cross-entropy (head task ``sequence_binary``), trained by the common ``Trainer``.

``TriggerModel`` bundles the module with its spec, head and feature settings, and saves as a
folder: ``trigger_model.json`` (spec, head, settings, metrics) + ``weights.pt`` (loaded with
``weights_only=True``).
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
    """Same layer stack as the preset, smaller: for tests and quick demos."""
    from workbench.core.models import LayerSpec, ModelSpec

    L = LayerSpec.make
    return ModelSpec([
        L("Conv1D", filters=filters, kernel=kernel, stride=stride),
        L("BatchNorm", activation="relu"),
        L("Dropout", rate=dropout),
        L("GRU", units=units, return_sequences=True),
        L("Dropout", rate=dropout),
        L("BatchNorm"),
        L("GRU", units=units, return_sequences=True),
        L("Dropout", rate=dropout),
        L("BatchNorm"),
        L("TimeDense", units=1, activation="sigmoid"),
    ], name="trigger-word-tiny", description="Small trigger-word detector for tests.")


def head():
    from workbench.core.models import default_head

    return default_head("sequence_binary")


@dataclass
class TriggerModel:
    module: Any  # nn.Module (SpecModel) returning raw logits (N, Ty, 1)
    spec: Any  # ModelSpec
    config: TriggerConfig
    head: Any = field(default_factory=head)
    metrics: dict = field(default_factory=dict)

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
        save_weights(folder / WEIGHTS_FILE, self.module.state_dict())
        atomic_write_json(folder / MODEL_FILE, {"schema_version": 1, "kind": "trigger-word",
                                                 "spec": self.spec.to_dict(), "head": self.head.to_dict(),
                                                 "config": self.config.to_dict(), "metrics": self.metrics})
        return folder

    @classmethod
    def load(cls, folder: str | Path, device="cpu") -> "TriggerModel":
        from workbench.core.device import pick_device
        from workbench.core.jsonio import load_weights, read_json
        from workbench.core.models import Head, ModelSpec, build_model

        folder = Path(folder)
        meta = read_json(folder / MODEL_FILE, kind="trigger-word model", max_version=1)
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
        return cls(module, spec, config, h, meta.get("metrics", {}))


def train_model(clips, *, val_clips=None, spec=None, epochs: int = 10, batch_size: int = 32, lr: float = 3e-3,
                seed: int = 0, early_stopping: int | None = 5, callbacks: Sequence = (), trainer=None,
                device: str = "auto", checkpoint_path: str | None = None, run_store=None):
    """Train on a ClipSet (and validate on ``val_clips``); returns (TriggerModel, FitResult).

    Pass ``trainer`` to keep a handle for stop/pause from another thread (the panel does), and a
    ``RunStore`` to add the run (record + best weights) to the project's run history; the record
    is then in ``model.metrics["run"]``."""
    from workbench.core.training import TrainConfig, Trainer

    tm = TriggerModel.build(clips.config, spec)
    if (tm.config.conv_kernel, tm.config.conv_stride) != (clips.config.conv_kernel, clips.config.conv_stride):
        raise SpecError(f"The clips were labelled for a Conv1D with kernel {clips.config.conv_kernel} and stride "
                        f"{clips.config.conv_stride}, but the model's first Conv1D has kernel {tm.config.conv_kernel} "
                        f"and stride {tm.config.conv_stride}; regenerate the clips or change the model.")
    trainer = trainer or Trainer(callbacks=list(callbacks), device=device)
    if callbacks and trainer.callbacks is not None:
        for cb in callbacks:
            if cb not in trainer.callbacks:
                trainer.callbacks.append(cb)
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, optimizer="adam", seed=seed,
                      early_stopping=early_stopping if val_clips is not None else None, restore_best=True,
                      checkpoint_path=checkpoint_path)
    val = (val_clips.features, val_clips.labels) if val_clips is not None and len(val_clips) else None
    result = trainer.fit(tm.module, tm.head, train=(clips.features, clips.labels), val=val, config=cfg)
    tm.module.eval()
    tm.metrics = {"history": result.history, "best_epoch": result.best_epoch, "stop_reason": result.stop_reason,
                  "train_clips": len(clips), "val_clips": 0 if val_clips is None else len(val_clips)}
    if run_store is not None:
        record = run_record(tm, result, clips, val_clips, cfg)
        run_store.save(record, weights=tm.module.state_dict())
        tm.metrics["run"] = record.to_dict()
    return tm, result


def run_record(model: TriggerModel, result, clips, val_clips, cfg):
    """The run's RunRecord (the one schema every run shares)."""
    from workbench.core.runs import RunRecord

    c = model.config
    return RunRecord(
        name=f"Trigger word ({model.spec.name or 'custom'})", study="trigger_word", mode="holdout",
        task="sequence_binary",
        data={"name": "generated trigger-word clips", "spec": "trigger_word:generated", "kind": "audio",
              "n_samples": len(clips), "n_val": 0 if val_clips is None else len(val_clips), "seed": clips.seed,
              "features": c.to_dict()},
        model={"name": model.spec.name, "preset": model.spec.name, "spec": model.spec.to_dict(),
               "parameters": int(sum(p.numel() for p in model.module.parameters()))},
        head=model.head.to_dict(), train_config=cfg.to_dict(), seed=cfg.seed, device=result.device,
        history=result.history, best_epoch=result.best_epoch or None, stop_reason=result.stop_reason,
        message=result.message, fit_time=result.time)
