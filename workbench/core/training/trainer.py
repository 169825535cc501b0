"""The one training engine: ``Trainer.fit`` with callbacks, cooperative stop / pause, seeding.

Epoch logs (1-based "epoch"): "loss" (= data loss + regularisation penalty), "data_loss", "penalty",
"accuracy" (classification) or "mae" (regression) measured on the training batches as they went
by; for a head with named loss terms (``head.loss_terms``, e.g. the YOLO loss) "loss_<term>" each; with validation data "val_loss", "val_data_loss" and "val_accuracy", "val_precision",
"val_recall", "val_f1", "val_auc" (or "val_mae"); "time" (s) and "samples_per_s".

The GUI, the CLI, cross-validation and the case studies all call this; the GUI bridge and the CLI
progress bar are callbacks. Data are held as tensors on the device when they fit (no DataLoader
worker processes: they break in frozen apps and from threads).
"""
from __future__ import annotations

import contextlib
import math
import random
import threading
import time
from typing import Any, Sequence

import numpy as np

from workbench.core.errors import TrainingError
from workbench.core.training.callbacks import BatchInfo, Callback, EarlyStopping, ModelCheckpoint
from workbench.core.training.config import USER_STOPS, FitResult, TrainConfig
from workbench.core.training.metrics import compute_metrics, is_better, is_regression

KNOWN_TASKS = ("binary", "multiclass", "multilabel", "sequence_binary")
BINARY_TASKS = ("binary", "sequence_binary")


def _task_of(head) -> str:
    return str(getattr(head, "task", "custom"))


def _known(task: str) -> bool:
    return task in KNOWN_TASKS or is_regression(task)


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def _as_tensor(a, *, target: bool, task: str):
    import torch

    if not target and getattr(a, "streamed", False) is True:
        return a  # ImageBatches: float32 batches made on demand from images on disk
    t = a if isinstance(a, torch.Tensor) else torch.as_tensor(np.asarray(a))
    if target:
        if task == "multiclass" or (task in BINARY_TASKS and not t.is_floating_point()):
            return t.long()  # _match_targets makes them float again for one-unit heads
        if _known(task):
            return t.float()
        return t.float() if t.is_floating_point() and t.dtype != torch.float32 else t
    if t.dtype in (torch.uint8, torch.bool) or t.is_floating_point():
        return t.float()
    return t.long()  # token ids for embedding layers


def make_optimizer(model, config: TrainConfig):
    import torch

    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise TrainingError("The model has no trainable parameters; add at least one layer with weights.")
    name, lr = config.optimizer, config.lr
    wd = config.weight_decay if config.weight_decay is not None else (0.01 if name == "adamw" else 0.0)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=config.momentum, weight_decay=wd)
    if name == "rmsprop":
        # Keras' RMSprop (the book's) uses rho 0.9 and eps 1e-7; torch's defaults differ
        return torch.optim.RMSprop(params, lr=lr, alpha=0.9, eps=1e-7, weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, weight_decay=wd)
    return torch.optim.Adam(params, lr=lr, weight_decay=wd)


def _penalty_fn(model):
    pen = getattr(model, "penalty", None)
    return pen if callable(pen) else None


def _per_sample(shape) -> int:
    return int(np.prod(shape)) if shape else 1


def _head_loss(head, out, y, term_fn):
    """(data loss, named terms or None): heads with ``loss_terms`` report their loss in parts."""
    if term_fn is None:
        return head.loss(out, y), None
    terms = term_fn(out, y)
    return sum(terms.values()), terms


def _add_terms(sums: dict, terms: dict | None, m: int) -> None:
    if terms:
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v.detach()) * m


def _compiled(model, example):
    """``torch.compile(model)`` for the training steps (parameters shared with ``model``, which
    evaluation, checkpoints and export keep using), or ``model`` itself where compiling fails (no
    C++ compiler, an unsupported layer): compiling is a speed-up, never a reason to fail."""
    import torch

    buffers = {k: v.clone() for k, v in model.named_buffers()}
    was = model.training
    try:
        compiled = torch.compile(model, dynamic=False)
        model.train()
        compiled(example)  # compile now, as training will call it (the last, smaller batch once more)
        return compiled
    except Exception:  # noqa: BLE001 - any failure of the compiler stack: train the plain model
        return model
    finally:
        model.train(was)
        with torch.no_grad():  # the trial call must not move batch-norm statistics
            for k, v in model.named_buffers():
                if k in buffers:
                    v.copy_(buffers[k])


def _prefix_outputs(model, k: int, X, dev, cfg):
    """The outputs of the model's first ``k`` layers for all of ``X`` (on the CPU), in batches."""
    import torch

    ebs = cfg.eval_batch_size or max(cfg.batch_size, 256)
    was = model.training
    model.eval()
    try:
        with torch.no_grad():
            outs = []
            for i in range(0, len(X), ebs):
                x = X[i:i + ebs].to(dev)
                for layer in model.layers[:k]:
                    x = layer(x)
                outs.append(x.float().cpu())
    finally:
        model.train(was)
    return torch.cat(outs)


def _match_targets(out, y, task: str):
    """Check model output against the targets before any step; return y laid out for the loss
    and the metrics: class indices shaped like out[..., 0] for one-output-per-class heads, else
    y reshaped to out's shape. Raises TrainingError with a sentence naming both shapes.
    """
    import torch

    n = y.shape[0]
    out_s, y_s = tuple(out.shape[1:]), tuple(y.shape[1:])
    k = out.shape[-1] if out.dim() > 1 else 1
    per_class = task == "multiclass" or (
        task in BINARY_TASKS and k == 2 and _per_sample(y_s) * k == _per_sample(out_s)
    )
    if per_class:
        ys = y
        if y_s == out_s[:-1]:
            pass
        elif y.dim() == out.dim() and y_s[-1:] == (1,) and y_s[:-1] == out_s[:-1]:
            ys = y.reshape(y.shape[:-1])
        elif y_s == out_s and n and bool(((y == 0) | (y == 1)).all()) and bool((y.sum(-1) == 1).all()):
            ys = y.argmax(-1)  # one-hot rows -> class indices
        else:
            raise TrainingError(
                f"The model outputs shape {out_s} per sample but the targets have shape {y_s}; with "
                f"one output unit per class the targets must be one class index per sample (or per time step)."
            )
        ys = ys.long() if ys.is_floating_point() else ys
        if n:
            lo, hi = int(ys.min()), int(ys.max())
            if lo < 0 or hi >= k:
                raise TrainingError(
                    f"The targets contain class {hi if hi >= k else lo} but the model's last layer has "
                    f"{k} units; give the last layer one unit per class."
                )
        return ys
    if not _known(task):
        return y
    if _per_sample(out_s) != _per_sample(y_s):
        what = {"binary": "one output unit (sigmoid)", "multilabel": "one unit per label"}.get(
            task, "one unit per target value"
        )
        raise TrainingError(
            f"The model outputs shape {out_s} per sample but the targets have shape {y_s}; a {task} "
            f"problem needs {what} in the last layer."
        )
    y = y.reshape((n,) + out_s)
    return y if y.is_floating_point() else y.to(torch.float32)


# BatchNorm's running statistics move 10 % towards each batch's: after a few dozen steps they still
# remember their start (mean 0, variance 1) and the evaluated model can answer one class while the
# training batches look perfect. Until this many steps, they are re-estimated on the training data
# (a plain average over one pass, as torch.optim.swa_utils.update_bn) before each evaluation.
BN_SETTLE_STEPS = 200


def _settle_batchnorm(model, X, batch: int, dev) -> None:
    """One pass over ``X`` with a plain average as the running statistics of the BatchNorm layers
    being trained (as ``torch.optim.swa_utils.update_bn``); frozen ones (a pretrained backbone's)
    keep theirs."""
    import torch
    from torch.nn.modules.batchnorm import _BatchNorm

    was_training = model.training
    model.train()
    bns = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    mine = [m for m in bns if m.training and m.track_running_stats
            and all(p.requires_grad for p in m.parameters(recurse=False))]
    others = [m for m in bns if m not in mine and m.training]
    if mine:
        momenta = {m: m.momentum for m in mine}
        for m in mine:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the pass
        for m in others:
            m.eval()
        try:
            with torch.no_grad():
                for i in range(0, len(X), batch):
                    model(X[i:i + batch].to(dev))
        finally:
            for m, mom in momenta.items():
                m.momentum = mom
            for m in others:
                m.train()
    model.train(was_training)


class Trainer:
    """Fits a model with callbacks. ``request_stop``, ``pause`` and ``resume`` are thread-safe and
    take effect between batches; a paused trainer blocks on an Event (no CPU) and can be stopped.
    """

    def __init__(self, callbacks: Sequence[Callback] = (), device: str = "auto"):
        self.callbacks: list[Callback] = list(callbacks)
        self.device_request = device
        self.device = None
        self.model = None
        self.head = None
        self.config: TrainConfig | None = None
        self.epoch = 0
        self.result: FitResult | None = None
        self._lock = threading.Lock()
        self._resume_event = threading.Event()
        self._resume_event.set()
        self.paused = threading.Event()  # set while the training thread is blocked in a pause
        self._pause_flag = False
        self._stop_flag = False
        self._user_stop = False
        self._stop_reason: str | None = None
        self._stop_message = ""
        self.callbacks_all: list[Callback] = list(self.callbacks)
        self._val = None
        self.optimizer = None

    # ---- control (any thread) -------------------------------------------------------------
    def request_stop(self, reason: str = "stopped", message: str | None = None) -> None:
        """Stop at the next batch boundary (also while paused). Requested between two fits (e.g.
        between cross-validation folds) it ends the next fit at once; each fit consumes it.
        ``reason`` "interrupted" is the command line's Ctrl+C."""
        with self._lock:
            self._user_stop = True
        self.stop(reason, message or "Training was stopped by the user; the best weights so far were kept.")

    def stop(self, reason: str = "stopped", message: str = "") -> None:
        """Ask the loop to end (callbacks use this with their own reason, e.g. "early_stopping")."""
        with self._lock:
            if not self._stop_flag:
                self._stop_reason, self._stop_message = reason, message
            self._stop_flag = True
            self._resume_event.set()

    def reset_stop(self) -> None:
        with self._lock:
            self._user_stop = self._stop_flag = False
            self._stop_reason, self._stop_message = None, ""

    def pause(self) -> None:
        with self._lock:
            if self._stop_flag:
                return
            self._pause_flag = True
            self._resume_event.clear()

    def resume(self) -> None:
        with self._lock:
            self._pause_flag = False
            self._resume_event.set()

    @property
    def should_stop(self) -> bool:
        return self._stop_flag

    @property
    def stop_requested_by_user(self) -> bool:
        return self._user_stop

    def _wait_while_paused(self) -> None:
        self.paused.set()
        for cb in self.callbacks_all:
            cb.on_pause(self)
        while True:
            self._resume_event.wait()
            with self._lock:
                if not self._pause_flag or self._stop_flag:
                    break
        self.paused.clear()
        for cb in self.callbacks_all:
            cb.on_resume(self)

    # ---- helpers for callbacks -------------------------------------------------------------
    def copy_state(self) -> dict:
        """A CPU copy of the model's current weights."""
        return {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}

    # ---- the loop -------------------------------------------------------------------------
    def fit(self, model, head, train, val=None, config: TrainConfig | None = None) -> FitResult:
        import torch

        from workbench.core.device import pick_device

        cfg = config or TrainConfig()
        self.config, self.model, self.head = cfg, model, head
        with self._lock:
            if not self._user_stop:  # a stop the user asked for before this fit ends it at once
                self._stop_flag, self._stop_reason, self._stop_message = False, None, ""
        task = _task_of(head)
        seed_everything(cfg.seed)
        dev = pick_device(self.device_request)
        self.device = dev
        model.to(dev)

        Xtr, ytr = train
        if len(Xtr) != len(ytr):
            raise TrainingError(f"The training data have {len(Xtr)} inputs but {len(ytr)} targets.")
        if len(Xtr) == 0:
            raise TrainingError("The training set is empty; use a larger data set or a smaller validation/test share.")
        Xtr = _as_tensor(Xtr, target=False, task=task)
        ytr = _as_tensor(ytr, target=True, task=task)
        has_val = val is not None and len(val[0]) > 0
        if val is not None and len(val[0]) != len(val[1]):
            raise TrainingError(f"The validation data have {len(val[0])} inputs but {len(val[1])} targets.")
        if has_val:
            Xva = _as_tensor(val[0], target=False, task=task)
            yva = _as_tensor(val[1], target=True, task=task)

        # output/target shape check before the first optimizer step (and before any RNG use)
        model.eval()
        try:
            with torch.no_grad():
                probe = model(Xtr[: min(2, len(Xtr))].to(dev))
        except (RuntimeError, ValueError, IndexError) as e:
            raise TrainingError(
                f"The model cannot process inputs of shape {tuple(Xtr.shape[1:])}: {str(e).splitlines()[0]}"
            ) from None
        if isinstance(probe, torch.Tensor):
            ytr = _match_targets(probe, ytr, task)
            if has_val:
                yva = _match_targets(probe, yva, task)
        collect = _known(task) and isinstance(probe, torch.Tensor)
        prefix = model.frozen_prefix() if hasattr(model, "frozen_prefix") else 0
        if prefix:  # a frozen feature extractor: its outputs once, then train what follows it
            Xtr = _prefix_outputs(model, prefix, Xtr, dev, cfg)
            if has_val:
                Xva = _prefix_outputs(model, prefix, Xva, dev, cfg)

        on_device = True
        streamed = getattr(Xtr, "streamed", False) is True
        if streamed and dev.type != "cpu":
            on_device = False  # batches are read from disk and copied to the device one at a time
        elif dev.type != "cpu":
            nbytes = Xtr.element_size() * Xtr.nelement() + ytr.element_size() * ytr.nelement()
            try:
                free = torch.cuda.mem_get_info(dev)[0] if dev.type == "cuda" else 2**31
            except Exception:  # pragma: no cover
                free = 0
            on_device = nbytes < 0.4 * free
        if on_device:
            Xtr, ytr = Xtr.to(dev), ytr.to(dev)
        elif dev.type == "cuda" and not streamed:
            Xtr, ytr = Xtr.pin_memory(), ytr.pin_memory()
        if has_val and on_device:
            Xva, yva = Xva.to(dev), yva.to(dev)
        self._val = (Xva, yva) if has_val else None

        use_amp = dev.type == "cuda" and cfg.amp
        autocast = (lambda: torch.autocast("cuda", dtype=torch.float16)) if use_amp else contextlib.nullcontext
        scaler = torch.amp.GradScaler("cuda") if use_amp else None
        optimizer = make_optimizer(model, cfg)
        self.optimizer = optimizer
        term_fn = getattr(head, "loss_terms", None)
        penalty_fn = _penalty_fn(model)
        if penalty_fn is not None:
            p0 = penalty_fn()
            if isinstance(p0, torch.Tensor) and not p0.requires_grad and float(p0) == 0.0:
                penalty_fn = None  # a constant 0: skip it in the hot loop
        gen = torch.Generator().manual_seed(int(cfg.seed))

        monitor = cfg.monitor if has_val else (cfg.monitor[4:] if cfg.monitor.startswith("val_") else cfg.monitor)
        builtins: list[Callback] = []
        if cfg.early_stopping:
            builtins.append(EarlyStopping(cfg.early_stopping, monitor=monitor, restore_best=False))
        if cfg.checkpoint_path:
            builtins.append(ModelCheckpoint(cfg.checkpoint_path, monitor=monitor))
        self.callbacks_all = builtins + self.callbacks
        batch_hooks = [
            cb.on_batch_end for cb in self.callbacks_all if type(cb).on_batch_end is not Callback.on_batch_end
        ]

        result = FitResult(monitor=monitor, device=str(dev))
        self.result = result
        best_value: float | None = None
        n = len(Xtr)
        bs = min(cfg.batch_size, n)
        nb = math.ceil(n / bs)
        # on the CPU reading the loss is free, so NaN is caught before the bad step is applied;
        # elsewhere it would sync every batch, so we check per epoch and roll back to its start
        check_each = dev.type == "cpu"
        t_fit = time.perf_counter()
        nan_at: tuple[int, int] | None = None

        threads_before = None
        if cfg.threads and dev.type == "cpu":
            threads_before = torch.get_num_threads()
            torch.set_num_threads(int(cfg.threads))
        bn_layers = cfg.settle_batchnorm and any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
                                                 for m in model.modules())
        for cb in self.callbacks_all:
            cb.on_fit_start(self)
        # what training steps, BatchNorm settling and validation run: the layers after a frozen
        # prefix on its outputs (the same modules: the model's weights are what is trained)
        net = torch.nn.Sequential(*model.layers[prefix:]) if prefix else model
        step_model = _compiled(net, Xtr[: min(bs, n)].to(dev)) if cfg.compile else net
        try:
            for epoch in range(1, cfg.epochs + 1):
                if self._pause_flag:
                    self._wait_while_paused()
                if self._stop_flag:
                    break
                self.epoch = epoch
                for cb in self.callbacks_all:
                    cb.on_epoch_start(self, epoch)
                snapshot = None if check_each else self.copy_state()
                model.train()
                t0 = time.perf_counter()
                perm = torch.randperm(n, generator=gen)
                if on_device and dev.type != "cpu":
                    perm = perm.to(dev)
                outs: list = []
                sum_dl = 0.0 if check_each else torch.zeros((), device=dev)
                sum_pen = 0.0 if check_each else torch.zeros((), device=dev)
                sum_terms: dict[str, float] = {}
                seen = 0
                stopped_mid = False
                for b in range(nb):
                    if self._pause_flag:
                        self._wait_while_paused()
                    if self._stop_flag:
                        stopped_mid = True
                        break
                    idx = perm[b * bs : (b + 1) * bs]
                    xb, yb = Xtr[idx], ytr[idx]
                    if not on_device:
                        xb, yb = xb.to(dev, non_blocking=True), yb.to(dev, non_blocking=True)
                    if use_amp:
                        with autocast():
                            out = step_model(xb)
                            dl, terms = _head_loss(head, out, yb, term_fn)
                            pen = penalty_fn() if penalty_fn is not None else None
                    else:  # no context manager in the CPU hot loop
                        out = step_model(xb)
                        dl, terms = _head_loss(head, out, yb, term_fn)
                        pen = penalty_fn() if penalty_fn is not None else None
                    loss = dl if pen is None else dl + pen
                    m = len(idx)
                    _add_terms(sum_terms, terms, m)
                    if check_each:
                        lv = loss.item()
                        if not math.isfinite(lv):
                            nan_at = (epoch, b)
                            break
                        if pen is None:
                            sum_dl += lv * m
                        else:
                            pv = float(pen.detach())
                            sum_dl += (lv - pv) * m
                            sum_pen += pv * m
                    else:
                        sum_dl = sum_dl + dl.detach().float() * m
                        if pen is not None:
                            sum_pen = sum_pen + pen.detach().float() * m
                    optimizer.zero_grad(set_to_none=True)
                    if scaler is not None:
                        scaler.scale(loss).backward()
                        scaler.step(optimizer)
                        scaler.update()
                    else:
                        loss.backward()
                        optimizer.step()
                    if collect:
                        outs.append(out.detach())
                    seen += m
                    if batch_hooks:
                        info = BatchInfo(epoch, b, nb, (epoch - 1) * n + seen, loss.detach())
                        for hook in batch_hooks:
                            hook(self, info)
                if nan_at is None and not check_each and seen:
                    if not bool(torch.isfinite(sum_dl + sum_pen)):
                        nan_at = (epoch, -1)
                if nan_at is not None:
                    if snapshot is not None:
                        model.load_state_dict(snapshot)
                    where = f"epoch {epoch}" + (f", batch {nan_at[1] + 1}" if nan_at[1] >= 0 else "")
                    self.stop(
                        "nan",
                        f"The training loss became NaN or infinite in {where}, so training stopped and "
                        "the weights from the last good step were kept. Lower the learning rate or scale "
                        "the inputs (e.g. --scale standard).",
                    )
                    break
                if stopped_mid or seen == 0:
                    break
                sum_dl, sum_pen = float(sum_dl), float(sum_pen)
                logs: dict[str, Any] = {
                    "epoch": epoch,
                    "loss": (sum_dl + sum_pen) / seen,
                    "data_loss": sum_dl / seen,
                    "penalty": sum_pen / seen,
                }
                logs.update({f"loss_{k}": v / seen for k, v in sum_terms.items()})
                if collect and outs:
                    out_all = torch.cat(outs).float()
                    y_seen = ytr[perm[:seen]] if on_device else ytr[perm[:seen].cpu()]
                    with torch.no_grad():
                        if cfg.train_metrics == "full":
                            probs = head.activate(out_all)
                            logs.update(compute_metrics(task, _np(y_seen), _np(probs), full=True))
                        else:
                            logs.update(_fast_metrics(task, y_seen, out_all, head))
                    del outs, out_all
                if bn_layers and epoch * nb <= BN_SETTLE_STEPS:
                    _settle_batchnorm(net, Xtr, cfg.eval_batch_size or max(bs, 256), dev)
                if has_val:
                    vl = self._evaluate_tensors(net, head, Xva, yva, task, autocast, on_device, cfg)
                    pv = float(penalty_fn().detach()) if penalty_fn is not None else 0.0
                    logs["val_loss"] = vl.pop("data_loss") + pv
                    logs["val_data_loss"] = logs["val_loss"] - pv
                    logs.update({f"val_{k}": v for k, v in vl.items()})
                dt = time.perf_counter() - t0
                logs["time"] = dt
                logs["samples_per_s"] = seen / dt if dt > 0 else None
                result.history.append(logs)

                value = logs.get(monitor)
                if value is not None and math.isfinite(value):
                    if is_better(value, best_value, monitor):
                        best_value, result.best_epoch = value, epoch
                        result.best_state = self.copy_state()
                for cb in self.callbacks_all:
                    cb.on_epoch_end(self, epoch, logs)
                if self._stop_flag:
                    break
        finally:
            self._val = None
            if threads_before is not None:
                torch.set_num_threads(threads_before)
        model.eval()
        reason = self._stop_reason or "completed"
        result.stop_reason = reason
        if reason == "completed":
            result.message = f"Training finished {len(result.history)} epoch(s)."
        else:
            result.message = self._stop_message
        if reason != "nan" and cfg.restore_best and result.best_state is not None and result.history:
            if result.best_epoch != len(result.history) or reason in USER_STOPS:
                model.load_state_dict(result.best_state)
            result.restored_best = True
            if result.best_epoch != len(result.history):
                result.message += f" The weights of the best epoch ({result.best_epoch}, by {monitor}) were restored."
        result.time = time.perf_counter() - t_fit
        with self._lock:
            # a stop ends this fit (and, for a stop requested between fits, the next one): it is
            # consumed here so a reused trainer trains normally afterwards
            self._user_stop = self._stop_flag = False
            self._stop_reason, self._stop_message = None, ""
        for cb in self.callbacks_all:
            cb.on_fit_end(self, result)
        return result

    def _evaluate_tensors(self, model, head, X, y, task, autocast, on_device, cfg) -> dict[str, Any]:
        import torch

        ebs = cfg.eval_batch_size or max(cfg.batch_size, 256)
        dev = self.device
        was_training = model.training
        model.eval()
        outs = []
        total = 0.0
        term_fn = getattr(head, "loss_terms", None)
        sum_terms: dict[str, float] = {}
        with torch.no_grad():
            for i in range(0, len(X), ebs):
                xb, yb = X[i : i + ebs], y[i : i + ebs]
                if not on_device:
                    xb, yb = xb.to(dev, non_blocking=True), yb.to(dev, non_blocking=True)
                with autocast():
                    out = model(xb)
                    dl, terms = _head_loss(head, out, yb, term_fn)
                    total += float(dl) * len(xb)
                    _add_terms(sum_terms, terms, len(xb))
                outs.append(out.float())
            res: dict[str, Any] = {"data_loss": total / max(len(X), 1)}
            res.update({f"loss_{k}": v / max(len(X), 1) for k, v in sum_terms.items()})
            if _known(task) and outs:
                probs = head.activate(torch.cat(outs))
                res.update(compute_metrics(task, _np(y), _np(probs), full=True))
        if was_training:
            model.train()
        return res

    # ---- evaluation helpers ------------------------------------------------------------------
    def evaluate(self, model, head, data, batch_size: int = 256) -> dict[str, Any]:
        return evaluate(model, head, data, batch_size=batch_size)

    def predict(self, model, head, X, batch_size: int = 256, activate: bool = True) -> np.ndarray:
        return predict(model, head, X, batch_size=batch_size, activate=activate)


def _fast_metrics(task: str, y, out, head) -> dict[str, float]:
    """Accuracy / MAE in torch (same definitions as compute_metrics, without numpy/sklearn cost).

    For the standard heads the raw outputs decide directly (argmax of logits = argmax of softmax;
    sigmoid(z) >= 0.5 exactly when z >= 0), which skips the activation pass.
    """
    act = getattr(head, "activation", None)
    if is_regression(task):
        probs = head.activate(out)
        return {"mae": float((probs.reshape(y.shape).float() - y.float()).abs().mean())}
    k = out.shape[-1] if out.dim() > 1 else 1
    if task == "multiclass" or (k > 1 and out.numel() == k * y.numel()):
        scores = out if act == "softmax" else head.activate(out)
        return {"accuracy": float((scores.reshape(-1, k).argmax(1) == y.reshape(-1)).float().mean())}
    if act == "sigmoid":
        pred = (out.reshape(y.shape) >= 0).long()
    else:
        pred = (head.activate(out).reshape(y.shape) >= 0.5).long()
    return {"accuracy": float((pred == y.long()).float().mean())}


def _np(t) -> np.ndarray:
    return t.detach().float().cpu().numpy() if t.is_floating_point() else t.detach().cpu().numpy()


def _model_device(model):
    import torch

    for p in model.parameters():
        return p.device
    return torch.device("cpu")


def predict(model, head, X, *, batch_size: int = 256, activate: bool = True) -> np.ndarray:
    """Outputs for X in eval mode, in batches: probabilities/values (``activate``) or raw outputs."""
    import torch

    task = _task_of(head)
    Xt = _as_tensor(X, target=False, task=task)
    if getattr(Xt, "streamed", False) is True:
        batch_size = min(batch_size, 256)  # images read from disk: keep one batch's activations small
    dev = _model_device(model)
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(Xt), batch_size):
            out = model(Xt[i : i + batch_size].to(dev)).float()
            outs.append(head.activate(out) if activate else out)
    if not outs:
        return np.zeros((0,), dtype=np.float32)
    return torch.cat(outs).cpu().numpy()


def evaluate(model, head, data, *, batch_size: int = 256) -> dict[str, Any]:
    """Score a fitted model on (X, y): "loss" (data loss + penalty), "data_loss" and the metrics."""
    import torch

    X, y = data
    task = _task_of(head)
    Xt = _as_tensor(X, target=False, task=task)
    yt = _as_tensor(y, target=True, task=task)
    dev = _model_device(model)
    model.eval()
    outs = []
    total = 0.0
    with torch.no_grad():
        if len(Xt):
            probe = model(Xt[:1].to(dev))
            if isinstance(probe, torch.Tensor):
                yt = _match_targets(probe, yt, task)
        term_fn = getattr(head, "loss_terms", None)
        sum_terms: dict[str, float] = {}
        for i in range(0, len(Xt), batch_size):
            xb, yb = Xt[i : i + batch_size].to(dev), yt[i : i + batch_size].to(dev)
            out = model(xb)
            dl, terms = _head_loss(head, out, yb, term_fn)
            total += float(dl) * len(xb)
            _add_terms(sum_terms, terms, len(xb))
            outs.append(out.float())
        pen = _penalty_fn(model)
        pv = float(pen().detach()) if pen is not None else 0.0
        res: dict[str, Any] = {"data_loss": total / max(len(Xt), 1)}
        res.update({f"loss_{k}": v / max(len(Xt), 1) for k, v in sum_terms.items()})
        res["loss"] = res["data_loss"] + pv
        if _known(task) and outs:
            probs = head.activate(torch.cat(outs))
            res.update(compute_metrics(task, _np(yt), _np(probs), full=True))
    res["n"] = int(len(Xt))
    return res
