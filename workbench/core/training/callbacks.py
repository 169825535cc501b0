"""Trainer callbacks (Lightning-style hooks). Every hook is optional; the base class does nothing.

Hooks run on the training thread. ``on_batch_end`` runs after every optimizer step, so keep it
cheap: ``info.loss`` reads the loss lazily (one device sync) only when a callback asks for it.
"""
from __future__ import annotations

import math
import sys
import time
from typing import TYPE_CHECKING, Any

from workbench.core.training.metrics import higher_is_better

if TYPE_CHECKING:  # pragma: no cover
    from workbench.core.training.config import FitResult
    from workbench.core.training.trainer import Trainer


class BatchInfo:
    """Passed to ``on_batch_end``: epoch (1-based), batch (0-based), n_batches, samples_seen, loss."""

    __slots__ = ("epoch", "batch", "n_batches", "samples_seen", "_loss", "_loss_value")

    def __init__(self, epoch: int, batch: int, n_batches: int, samples_seen: int, loss):
        self.epoch, self.batch, self.n_batches, self.samples_seen = epoch, batch, n_batches, samples_seen
        self._loss = loss
        self._loss_value = None

    @property
    def loss(self) -> float:
        if self._loss_value is None:
            v = self._loss
            self._loss_value = float(v.item() if hasattr(v, "item") else v)
        return self._loss_value

    def __getitem__(self, key: str) -> Any:  # dict-style access for convenience
        return getattr(self, key)

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("epoch", "batch", "n_batches", "samples_seen", "loss")}


class Callback:
    def on_fit_start(self, trainer: "Trainer") -> None: ...

    def on_epoch_start(self, trainer: "Trainer", epoch: int) -> None: ...

    def on_batch_end(self, trainer: "Trainer", info: BatchInfo) -> None: ...

    def on_epoch_end(self, trainer: "Trainer", epoch: int, logs: dict[str, Any]) -> None: ...

    def on_fit_end(self, trainer: "Trainer", result: "FitResult") -> None: ...

    def on_pause(self, trainer: "Trainer") -> None: ...

    def on_resume(self, trainer: "Trainer") -> None: ...


def _monitored(logs: dict[str, Any], monitor: str) -> float | None:
    v = logs.get(monitor)
    if v is None and monitor.startswith("val_"):
        v = logs.get(monitor[4:])  # no validation data: fall back to the training value
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


class EarlyStopping(Callback):
    """Stop when the monitored value has not improved for ``patience`` epochs.

    With ``restore_best`` the weights of the best epoch are put back at the end of fitting.
    """

    def __init__(self, patience: int = 3, monitor: str = "val_loss", min_delta: float = 0.0, restore_best: bool = True):
        self.patience = int(patience)
        self.monitor = monitor
        self.min_delta = float(min_delta)
        self.restore_best = restore_best
        self.best: float | None = None
        self.best_epoch = 0
        self.best_state: dict | None = None
        self.wait = 0

    def on_fit_start(self, trainer):
        self.best, self.best_epoch, self.best_state, self.wait = None, 0, None, 0

    def on_epoch_end(self, trainer, epoch, logs):
        v = _monitored(logs, self.monitor)
        if v is None:
            return
        sign = -1.0 if higher_is_better(self.monitor) else 1.0
        if self.best is None or sign * (v - self.best) < -self.min_delta:
            self.best, self.best_epoch, self.wait = v, epoch, 0
            if self.restore_best:
                self.best_state = trainer.copy_state()
            return
        self.wait += 1
        if self.wait >= self.patience:
            trainer.stop(
                "early_stopping",
                f"Early stopping after epoch {epoch}: {self.monitor} has not improved for {self.patience} "
                f"epoch(s) since epoch {self.best_epoch}.",
            )

    def on_fit_end(self, trainer, result):
        if self.restore_best and self.best_state is not None and result.stop_reason != "nan":
            trainer.model.load_state_dict(self.best_state)
            result.restored_best = True


class ModelCheckpoint(Callback):
    """Save the best weights to ``path`` (atomic write, plain tensors) whenever they improve."""

    def __init__(self, path, monitor: str = "val_loss"):
        self.path = path
        self.monitor = monitor
        self.best: float | None = None
        self.best_epoch = 0
        self.saves = 0

    def on_fit_start(self, trainer):
        self.best, self.best_epoch = None, 0

    def on_epoch_end(self, trainer, epoch, logs):
        from workbench.core.jsonio import save_weights

        v = _monitored(logs, self.monitor)
        if v is None:
            return
        sign = -1.0 if higher_is_better(self.monitor) else 1.0
        if self.best is None or sign * (v - self.best) < 0:
            self.best, self.best_epoch = v, epoch
            save_weights(self.path, trainer.model.state_dict())
            self.saves += 1


class History(Callback):
    """Keeps the per-epoch logs (the trainer also returns them in ``FitResult.history``)."""

    def __init__(self):
        self.history: list[dict[str, Any]] = []

    def on_fit_start(self, trainer):
        self.history = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.history.append(dict(logs))


class ProgressBar(Callback):
    """A one-line text progress bar on stderr (the CLI uses it; refreshed at most ``hz`` times a second)."""

    def __init__(self, stream=None, hz: float = 5.0, width: int = 24):
        self.stream = stream if stream is not None else sys.stderr
        self.interval = 1.0 / hz
        self.width = width
        self._last = 0.0
        self._epochs = 0

    def on_fit_start(self, trainer):
        self._epochs = trainer.config.epochs if trainer.config else 0
        self._last = 0.0

    def on_batch_end(self, trainer, info):
        now = time.monotonic()
        if now - self._last < self.interval and info.batch + 1 < info.n_batches:
            return
        self._last = now
        frac = (info.batch + 1) / max(info.n_batches, 1)
        filled = int(round(frac * self.width))
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(
            f"\repoch {info.epoch}/{self._epochs} [{bar}] {info.batch + 1}/{info.n_batches} loss {info.loss:.4f}"
        )
        self.stream.flush()

    def on_epoch_end(self, trainer, epoch, logs):
        parts = [f"epoch {epoch}/{self._epochs}"]
        for k in ("loss", "val_loss", "accuracy", "val_accuracy", "mae", "val_mae"):
            if logs.get(k) is not None:
                parts.append(f"{k} {logs[k]:.4f}")
        parts.append(f"{logs.get('time', 0.0):.1f}s")
        self.stream.write("\r" + "  ".join(parts) + " " * 10 + "\n")
        self.stream.flush()

    def on_fit_end(self, trainer, result):
        if result.message:
            self.stream.write(result.message + "\n")
            self.stream.flush()
