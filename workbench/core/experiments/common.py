"""Shared helpers: build a dense network from a ModelSpec and train it with the common Trainer."""
from __future__ import annotations

import numpy as np

from workbench.core.training.callbacks import Callback


def dense_spec(hidden=(16, 16), activation="relu", l1=0.0, l2=0.0, dropout=0.0, name="mlp"):
    from workbench.core.models import LayerSpec, ModelSpec

    layers = []
    for units in hidden:
        layers.append(LayerSpec.make("Dense", activation=activation, units=int(units), l1=l1, l2=l2))
        if dropout:
            layers.append(LayerSpec.make("Dropout", rate=float(dropout)))
    return ModelSpec(layers=layers, name=name)


def output_shape_for(task: str, y: np.ndarray) -> tuple[int, ...]:
    if task == "multiclass":
        return (int(np.max(y)) + 1,)
    if y.ndim == 1:
        return (1,)
    return tuple(y.shape[1:])


def fit(ctx, X_tr, y_tr, X_va=None, y_va=None, *, task: str, spec=None, head=None, epochs=20, batch_size=64,
        lr=1e-3, optimizer="adam", seed=None, hidden=(16, 16), early_stopping=None, restore_best=False,
        n_classes: int | None = None):
    """Train a fresh model through the common Trainer (a TrainedModel); ``ctx.trainer_callbacks``
    see every epoch."""
    import torch

    from workbench.core.models import build_model, default_head
    from workbench.core.training import TrainConfig, TrainedModel, Trainer

    seed = ctx.seed if seed is None else seed
    spec = spec if spec is not None else dense_spec(hidden)
    head = head if head is not None else default_head(task)
    X_tr = np.asarray(X_tr, dtype=np.float32)
    out_shape = (n_classes,) if (n_classes and task == "multiclass") else output_shape_for(task, np.asarray(y_tr))
    torch.manual_seed(seed)
    model = build_model(spec, tuple(X_tr.shape[1:]), out_shape, head)
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, optimizer=optimizer, seed=seed,
                      early_stopping=early_stopping, restore_best=restore_best, amp=False)
    ctx.check_cancel()
    val = None if X_va is None else (np.asarray(X_va, dtype=np.float32), y_va)
    trainer = Trainer(callbacks=list(ctx.trainer_callbacks) + [_CancelCallback(ctx)], device=ctx.device)
    result = trainer.fit(model, head, train=(X_tr, y_tr), val=val, config=cfg)
    ctx.check_cancel()
    return TrainedModel(model=model, head=head, fit=result, train_config=cfg)


class _CancelCallback(Callback):
    """Stops the current fit cooperatively when the user cancels the experiment."""

    def __init__(self, ctx):
        self.ctx = ctx

    def on_batch_end(self, trainer, info):
        if self.ctx._should_cancel is not None and self.ctx._should_cancel():
            trainer.request_stop()


def first_epoch_below(curve: list[float], level: float) -> int | None:
    for i, v in enumerate(curve, 1):
        if np.isfinite(v) and v <= level:
            return i
    return None


def fmt(v: float, nd: int = 3) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "n/a"
    return f"{v:.{nd}f}"
