"""Autoencoders trained by the common Trainer: the target is the input itself (self-supervised).

``train_autoencoder`` splits the data (seeded hold-out), builds a dense or convolutional
autoencoder (optionally denoising) for the data's shape, trains it with ``Trainer.fit`` (so the
GUI's live chart and Stop work as for any training), hands a grid of inputs and their
reconstructions to ``on_preview`` after every epoch, and stores the run as a ``RunRecord``
(study "autoencoder") whose code layer the Explore panel projects.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from workbench.core.errors import DataError
from workbench.core.training.callbacks import Callback

STUDY = "autoencoder"


@dataclass
class AutoencoderSettings:
    kind: str = "dense"  # "dense" or "conv"
    code_size: int = 16
    noise: float = 0.0  # > 0: denoising (Gaussian noise on the input while training)
    width: int = 128
    filters: int = 16
    loss: str = "auto"  # "auto" (BCE on [0, 1] inputs, else MSE), "bce" or "mse"
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    val_fraction: float = 0.2
    max_samples: int | None = None
    preview: int = 8  # validation samples shown with their reconstructions

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "AutoencoderSettings":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (d or {}).items() if k in names})


@dataclass
class AutoencoderData:
    X: np.ndarray  # model inputs (N, ...) float32 for the rows kept
    rows: np.ndarray  # data-set rows of X
    train: np.ndarray  # positions in X
    val: np.ndarray
    preprocessor: Any


@dataclass
class AutoencoderResult:
    record: Any  # RunRecord (saved when a project was given)
    model: Any
    head: Any
    data: AutoencoderData
    code_layer: int
    fit: Any

    @property
    def run_id(self) -> str | None:
        return self.record.run_id

    def code(self, X=None) -> np.ndarray:
        """The code (n, code_size) of inputs X (default: every row kept)."""
        from workbench.core.explore.embeddings import layer_activations

        X = self.data.X if X is None else X
        return layer_activations(self.model, X, self.code_layer).reshape(len(X), -1)


def prepare_data(ds, settings: AutoencoderSettings) -> AutoencoderData:
    """Model inputs (pixels in [0, 1], standardized tables, multi-hot texts) and a seeded split;
    the preprocessing is fitted on the training rows only."""
    from workbench.core.data import Preprocessor
    from workbench.core.explore.embeddings import subsample

    if ds is None or len(ds) < 10:
        raise DataError("An autoencoder needs at least 10 samples; load a larger data set.")
    labels = np.asarray(ds.y) if ds.class_names is not None and np.asarray(ds.y).ndim == 1 else None
    rows = subsample(len(ds), settings.max_samples, settings.seed, labels)
    rng = np.random.default_rng(settings.seed)
    perm = rng.permutation(len(rows))
    n_val = max(1, int(round(len(rows) * float(settings.val_fraction))))
    val, train = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    scale = "standard" if ds.kind == "table" else "none"
    pre = Preprocessor(scale=scale, vocab_size=2000).fit(ds, rows[train])
    X = pre.transform(ds, rows).astype(np.float32)
    return AutoencoderData(X, rows, train, val, pre)


def _head(settings: AutoencoderSettings, X: np.ndarray):
    from workbench.core.models import Head, reconstruction_head

    if settings.loss == "auto":
        return reconstruction_head(float(X.min()), float(X.max()))
    act = "sigmoid" if settings.loss == "bce" else "none"
    return Head("reconstruction", act, settings.loss, "chosen by the user")


class PreviewCallback(Callback):
    """After each epoch: the preview inputs (noisy when denoising, clipped to [0, 1] for display),
    their reconstructions, their mean squared error against the clean inputs, and the epoch, as
    owned numpy copies, to ``on_preview`` (called on the training thread)."""

    def __init__(self, X: np.ndarray, on_preview: Callable[[dict], None], noise: float, seed: int):
        self.X = np.asarray(X, dtype=np.float32)
        self.on_preview = on_preview
        rng = np.random.default_rng(seed)
        self.shown = self.X + (noise * rng.standard_normal(self.X.shape).astype(np.float32) if noise else 0.0)

    def on_epoch_end(self, trainer, epoch, logs):
        import torch

        model, head = trainer.model, trainer.head
        was = model.training
        model.eval()
        with torch.no_grad():
            x = torch.as_tensor(self.shown, device=trainer.device)
            out = head.activate(model(x).float()).cpu().numpy().reshape(self.X.shape)
        if was:
            model.train()
        self.on_preview({"epoch": int(epoch), "inputs": np.clip(self.shown, 0.0, 1.0), "outputs": out.copy(),
                         "mse": float(np.mean((out - self.X) ** 2)), "val_loss": logs.get("val_loss")})


@dataclass
class AutoencoderTask:
    """The autoencoder as a task for ``core.tasks.run_task``."""

    ds: Any
    s: AutoencoderSettings
    name: str = ""
    on_preview: Callable[[dict], None] | None = None
    threads: int | None = None
    kind: str = STUDY
    section: str = "explore.autoencoder"

    def prepare(self, say):
        from workbench.core.models import build_model
        from workbench.core.models.self_supervised import autoencoder_spec, bottleneck_index
        from workbench.core.tasks import Fitting, train_config_of
        from workbench.core.training import seed_everything

        s = self.s
        self.data = data = prepare_data(self.ds, s)
        shape = tuple(data.X.shape[1:])
        self.spec = autoencoder_spec(s.kind, shape, s.code_size, s.width, s.filters, noise=s.noise)
        head = _head(s, data.X[data.train])
        seed_everything(s.seed)
        model = build_model(self.spec, shape, shape, head)
        self.code_layer = bottleneck_index(model.layer_shapes)
        Xtr, Xva = data.X[data.train], data.X[data.val]
        cbs = []
        if self.on_preview is not None:
            shown = np.unique(np.linspace(0, len(Xva) - 1, max(1, s.preview)).astype(int))  # spread over the set
            cbs.append(PreviewCallback(Xva[shown], self.on_preview, s.noise, s.seed))
        return Fitting(model, head, (Xtr, Xtr), (Xva, Xva), train_config_of(s, threads=self.threads), cbs)

    def finish(self, fitting, fit) -> dict:
        from workbench.core.explore.anomalies import reconstruction_errors
        from workbench.core.models import summarize_model

        s, ds, data, spec, head = self.s, self.ds, self.data, self.spec, fitting.head
        shape = tuple(data.X.shape[1:])
        summary = summarize_model(spec, shape, shape, head)
        val_err = reconstruction_errors(fitting.model, head, fitting.val[0])
        return dict(
            name=self.name or f"{spec.name} code {s.code_size}", mode="holdout",
            data={"spec": _data_spec(ds), "name": ds.name, "kind": ds.kind, "source": ds.source,
                  "n_samples": int(len(data.rows)), "input_shape": list(ds.input_shape),
                  "class_names": ds.class_names, "target": ds.target_name},
            preprocessing=data.preprocessor.to_dict(),
            split={"plan": {"kind": "holdout", "val": float(s.val_fraction), "test": 0.0, "seed": int(s.seed)},
                   "text": f"hold-out, {len(data.val)} validation rows", "sizes": {"train": int(len(data.train)),
                                                                                   "val": int(len(data.val))}},
            task="reconstruction", head=head.to_dict(),
            model={"name": spec.name, "spec": spec.to_dict(), "input_shape": list(shape),
                   "output_shape": list(shape)},
            details={"settings": s.to_dict(), "code_layer": int(self.code_layer), "code_size": int(s.code_size),
                     "layers": [l.to_dict() for l in summary],
                     "reconstruction_error": {"val_mean": float(val_err.mean()) if len(val_err) else None,
                                              "loss": head.loss_name}})


def train_autoencoder(ds, settings: AutoencoderSettings | None = None, *, trainer=None, callbacks=(),
                      on_preview: Callable[[dict], None] | None = None, project=None, name: str = "",
                      device: str = "auto", threads: int | None = None,
                      keep_one_core_free: bool = False) -> AutoencoderResult:
    """Train an autoencoder on ``ds`` and (with ``project``) save it as a run."""
    from workbench.core.tasks import run_task, threads_for

    task = AutoencoderTask(ds, settings or AutoencoderSettings(), name, on_preview,
                           threads_for(threads, keep_one_core_free))
    run = run_task(task, project=project, trainer=trainer, callbacks=callbacks, device=device)
    return AutoencoderResult(run.record, run.fitting.model, run.fitting.head, task.data, int(task.code_layer), run.fit)


def _data_spec(ds) -> str:
    src = ds.source or {}
    if src.get("type") == "builtin":
        return f"builtin:{src.get('name')}"
    return str(src.get("path") or ds.name)


def autoencoder_view(record: dict) -> dict:
    """What the Explore panel shows of an autoencoder run (just trained, or read back from the
    project): its id, code layer, message, reconstruction error and loss curves."""
    d = record.get("details") or {}
    hist = record.get("history") or []
    return {"run_id": record.get("run_id"), "code_layer": int(d.get("code_layer", 0)),
            "message": record.get("message") or "", "stop_reason": record.get("stop_reason"),
            "error": d.get("reconstruction_error") or {"val_mean": None, "loss": ""},
            "curves": {k: ([h["epoch"] for h in hist if h.get(k) is not None],
                           [h[k] for h in hist if h.get(k) is not None]) for k in ("loss", "val_loss")}}
