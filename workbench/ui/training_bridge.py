"""Trainer -> GUI bridge.

``TrainingBridge`` is a QObject living in the GUI thread. ``bridge.callback()`` returns a
``BridgeCallback`` (a core ``Callback``) that the Trainer calls in the worker thread; it only
copies small values and emits the bridge's signals (queued to the GUI thread):

- per-batch losses are coalesced: at most one ``batches_ready`` every 0.1 s (<= 10 Hz);
- each epoch's log dict is copied (floats only) and sent with ``epoch_ended``.

``TrainingBuffer`` is the GUI-side store the charts read on a QTimer (<= 30 Hz); it never
plots by itself, so a fast trainer cannot flood the event loop with redraws.
"""
from __future__ import annotations

import math
import threading
import time
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from workbench.core.training import Callback


def _scalar(v: Any):
    """A plain float/int/str copy of a log value, or None if it is not a scalar."""
    if isinstance(v, bool):
        return bool(v)
    if isinstance(v, (int, str)):
        return v
    try:
        f = float(v)  # numpy scalars, 0-d tensors
    except (TypeError, ValueError):
        return None
    return f


def _copy_logs(logs: dict | None) -> dict:
    out = {}
    for k, v in (logs or {}).items():
        s = _scalar(v)
        if s is not None:
            out[str(k)] = s
    return out


def _get(info: Any, key: str, default=None):
    if isinstance(info, dict):
        return info.get(key, default)
    return getattr(info, key, default)


class TrainingBridge(QObject):
    """GUI-side end of the bridge.

    Signals:
        fit_started(dict)        {"epochs": int|None, "n_train": int|None}
        batches_ready(list)      [(global_step: float epochs, loss: float, samples_seen: int,
                                   samples_per_s: float, epoch: int, batch: int, n_batches: int)]
        epoch_ended(dict)        the epoch's log dict (plain floats), "epoch" 1-based
        fit_ended(dict)          {"best_epoch", "stop_reason"} (the FitResult arrives via the worker)
    """

    fit_started = Signal(dict)
    batches_ready = Signal(list)
    epoch_ended = Signal(dict)
    fit_ended = Signal(dict)

    def callback(self, min_interval_s: float = 0.1) -> "BridgeCallback":
        return BridgeCallback(self, min_interval_s)


class BridgeCallback(Callback):
    """Runs in the worker thread. Holds no Qt objects except the bridge it emits through."""

    def __init__(self, bridge: TrainingBridge, min_interval_s: float = 0.1):
        try:
            super().__init__()
        except TypeError:
            pass
        self._bridge = bridge
        self._min = float(min_interval_s)
        self._lock = threading.Lock()
        self._pending: list[tuple] = []
        self._last_emit = 0.0
        self._t0 = 0.0
        self._seen0 = 0
        self._epochs = None

    def on_fit_start(self, trainer):
        cfg = getattr(trainer, "config", None)
        self._epochs = getattr(cfg, "epochs", None)
        self._t0 = time.perf_counter()
        self._last_emit = self._t0  # first batch waits too: at most one emit per interval
        self._bridge.fit_started.emit({"epochs": self._epochs})

    def on_epoch_start(self, trainer, epoch):
        pass

    def on_batch_end(self, trainer, info):
        loss = _scalar(_get(info, "loss"))
        if loss is None:
            return
        epoch = int(_get(info, "epoch", 0) or 0)
        batch = int(_get(info, "batch", 0) or 0)
        n_batches = int(_get(info, "n_batches", 1) or 1)
        seen = int(_get(info, "samples_seen", 0) or 0)
        elapsed = max(time.perf_counter() - self._t0, 1e-9)
        # Epoch numbers in logs are 1-based; batch index 0-based: place the batch inside its epoch.
        e0 = epoch - 1 if epoch >= 1 else epoch
        step = e0 + (batch + 1) / n_batches
        self._pending.append((float(step), float(loss), seen, seen / elapsed, epoch, batch, n_batches))
        now = time.perf_counter()
        if now - self._last_emit >= self._min:
            self._flush(now)

    def _flush(self, now: float | None = None):
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        self._last_emit = now if now is not None else time.perf_counter()
        self._bridge.batches_ready.emit(batch)

    def on_epoch_end(self, trainer, epoch, logs):
        self._flush()
        d = _copy_logs(logs)
        d.setdefault("epoch", int(epoch))
        self._bridge.epoch_ended.emit(d)

    def on_fit_end(self, trainer, result):
        self._flush()
        self._bridge.fit_ended.emit(
            {"best_epoch": _scalar(getattr(result, "best_epoch", None)),
             "stop_reason": str(getattr(result, "stop_reason", "") or "")}
        )


class TrainingBuffer(QObject):
    """GUI-thread store of what the charts show. Connect the bridge to it; read it on a timer.

    ``version`` increases on each change and ``epoch_version`` on epoch-level changes, so a chart
    redraws only what is new (and may redraw the per-batch curve less often).
    Signals:
        epoch_added(dict)  after an epoch's log has been stored (for text/progress updates)
    """

    epoch_added = Signal(dict)

    def __init__(self, parent: QObject | None = None, smoothing: float = 0.9):
        super().__init__(parent)
        self.smoothing = smoothing
        self.clear()

    def clear(self) -> None:
        self.epochs: list[dict] = []
        self.batch_x: list[float] = []
        self.batch_loss: list[float] = []
        self.batch_smooth: list[float] = []
        self.samples_per_s: float = 0.0
        self.last_batch: tuple | None = None
        self.total_epochs: int | None = None
        self.t_start = time.perf_counter()
        self.version = 0        # any change
        self.epoch_version = 0  # epoch-level changes only (the per-batch curve changes more often)

    def connect_bridge(self, bridge: TrainingBridge) -> None:
        bridge.fit_started.connect(self.on_fit_started)
        bridge.batches_ready.connect(self.on_batches)
        bridge.epoch_ended.connect(self.on_epoch)

    @Slot(dict)
    def on_fit_started(self, info: dict) -> None:
        self.total_epochs = info.get("epochs")
        self.t_start = time.perf_counter()
        self.version += 1
        self.epoch_version += 1

    @Slot(list)
    def on_batches(self, items: list) -> None:
        a = self.smoothing
        for it in items:
            step, loss = it[0], it[1]
            if not math.isfinite(loss):
                continue
            prev = self.batch_smooth[-1] if self.batch_smooth else loss
            self.batch_x.append(step)
            self.batch_loss.append(loss)
            self.batch_smooth.append(a * prev + (1 - a) * loss)
            self.samples_per_s = it[3]
            self.last_batch = it
        self.version += 1

    @Slot(dict)
    def on_epoch(self, logs: dict) -> None:
        self.epochs.append(dict(logs))
        self.version += 1
        self.epoch_version += 1
        self.epoch_added.emit(dict(logs))

    # -- reading ---------------------------------------------------------------------------------
    def series(self, key: str) -> tuple[list[float], list[float]]:
        """(epochs, values) for a log key, skipping epochs that lack it or hold NaN/None."""
        xs, ys = [], []
        for i, e in enumerate(self.epochs):
            v = e.get(key)
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
                xs.append(float(e.get("epoch", i + 1)))
                ys.append(float(v))
        return xs, ys

    def progress(self) -> dict:
        """Fraction done, ETA seconds and samples/s for the progress bar."""
        total = self.total_epochs or 0
        done = 0.0
        if self.last_batch is not None:
            step = self.last_batch[0]
            done = step
        elif self.epochs:
            done = float(len(self.epochs))
        if self.epochs:
            done = max(done, float(self.epochs[-1].get("epoch", len(self.epochs))))
        elapsed = time.perf_counter() - self.t_start
        frac = min(done / total, 1.0) if total else 0.0
        eta = elapsed * (1 - frac) / frac if frac > 0 else None
        return {"fraction": frac, "epochs_done": done, "total_epochs": total, "eta_s": eta,
                "samples_per_s": self.samples_per_s, "elapsed_s": elapsed}


def duration_text(seconds: float | None) -> str:
    """A time a person reads: "0.4 s", "12 s", "3 min 05 s" ("—" when unknown)."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    if seconds < 10:
        return f"{seconds:.1f} s"
    s = int(round(seconds))
    return f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s"


MAX_REDRAW_HZ = 30


class LiveTraining(QObject):
    """The one live chart of a training, for every panel: the bridge, the buffer it fills, and a
    GUI timer that calls ``draw(buffer)`` when the buffer changed (at most every ``interval_ms``,
    never faster than 30 Hz), so a panel only says how to draw. With a ``progress`` bar and a
    ``status`` label it also moves the bar and says the epoch, the samples per second and the
    time left as the run goes; ``done_text()`` says how many epochs ran in how long (measured).

    ``trainer()`` makes a Trainer that reports here (Stop / Pause reach it through the panel's
    JobRunner); ``callback()`` is the bare callback for code that makes its own Trainers (a
    lesson). With ``fresh_per_fit`` each fit (each size of a sweep, each fold) starts an empty
    chart."""

    def __init__(self, parent: QObject, draw, *, interval_ms: int = 100, fresh_per_fit: bool = False,
                 progress=None, status=None):
        from PySide6.QtCore import QTimer

        super().__init__(parent)
        self.bridge = TrainingBridge(self)
        self.buffer = TrainingBuffer(self)
        if fresh_per_fit:  # connected before the buffer's own slot: the new fit's first batch lands in a clean buffer
            self.bridge.fit_started.connect(self._fresh)
        self.buffer.connect_bridge(self.bridge)
        self._draw = draw
        self._drawn = -1
        self.progress, self.status = progress, status
        self.started = time.perf_counter()
        self.timer = QTimer(self)
        self.timer.setInterval(max(int(interval_ms), 1000 // MAX_REDRAW_HZ))
        self.timer.timeout.connect(self.redraw)

    def callback(self) -> BridgeCallback:
        return self.bridge.callback()

    def trainer(self):
        """A new Trainer reporting to this chart, which starts empty and redraws until ``stop()``."""
        from workbench.core.training import Trainer

        self.start()
        return Trainer(callbacks=[self.callback()])

    @property
    def running(self) -> bool:
        return self.timer.isActive()

    def start(self) -> None:
        self.buffer.clear()
        self._drawn = -1
        self.started = time.perf_counter()
        if self.progress is not None:
            self.progress.setValue(0)
        self.timer.start()

    def stop(self) -> None:
        """The run ended: a last redraw and a full bar when epochs ran (the panel's result handler
        says how it ended; ``done_text()`` has the measured epochs and time)."""
        was_running = self.timer.isActive()
        self.timer.stop()
        self.redraw()
        if was_running and self.progress is not None and self.buffer.epochs:
            self.progress.setValue(self.progress.maximum())

    def done_text(self) -> str:
        n = len(self.buffer.epochs)
        return f"Done: {n} epoch{'s' if n != 1 else ''} in {duration_text(time.perf_counter() - self.started)}"

    def progress_text(self) -> str:
        p = self.buffer.progress()
        eta = f", about {duration_text(p['eta_s'])} left" if p.get("eta_s") else ""
        return (f"Epoch {p['epochs_done']:.1f} of {p['total_epochs']}, {p['samples_per_s']:,.0f} samples/s"
                f"{eta}")

    @Slot(dict)
    def _fresh(self, _info: dict) -> None:
        self.buffer.clear()
        self._drawn = -1

    @Slot()
    def redraw(self) -> None:
        if self.buffer.version != self._drawn:
            self._drawn = self.buffer.version
            self._draw(self.buffer)
            if self.timer.isActive():
                self._show_progress()

    def _show_progress(self) -> None:
        p = self.buffer.progress()
        if not p["total_epochs"]:
            return
        if self.progress is not None:
            self.progress.setValue(int(self.progress.maximum() * p["fraction"]))
        if self.status is not None:
            self.status.setText(self.progress_text())
