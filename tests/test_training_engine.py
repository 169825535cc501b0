"""Trainer.fit: early stopping, NaN guard, pause/resume/stop from another thread, seeding, shapes."""
import threading

import numpy as np
import pytest
import torch
from torch import nn

from workbench.core.errors import TrainingError
from workbench.core.jsonio import load_weights
from workbench.core.training import (
    Callback,
    EarlyStopping,
    History,
    ModelCheckpoint,
    TrainConfig,
    Trainer,
    evaluate,
    predict,
)


class SoftmaxHead:
    task = "multiclass"

    def activate(self, out):
        return torch.softmax(out, -1)

    def loss(self, out, y):
        return nn.functional.cross_entropy(out, y)


class SigmoidHead:
    task = "binary"

    def activate(self, out):
        return torch.sigmoid(out)

    def loss(self, out, y):
        return nn.functional.binary_cross_entropy_with_logits(out, y)


def blobs(n=120, k=3, d=6, seed=0):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, (k, d))
    y = rng.integers(0, k, n)
    X = (centers[y] + rng.normal(0, 1, (n, d))).astype(np.float32)
    return X, y


def mlp(d=6, k=3, h=16, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(d, h), nn.ReLU(), nn.Linear(h, k))


def same_state(a, b):
    return all(torch.equal(a[k].cpu(), b[k].cpu()) for k in a)


def test_fit_logs_the_contract_keys_and_learns():
    X, y = blobs()
    model = mlp()
    res = Trainer(device="cpu").fit(model, SoftmaxHead(), (X[:90], y[:90]), (X[90:], y[90:]),
                                    TrainConfig(epochs=4, batch_size=16, lr=0.01))
    assert res.stop_reason == "completed" and res.epochs_run == 4
    h = res.history[-1]
    for key in ("epoch", "loss", "data_loss", "penalty", "accuracy", "val_loss", "val_data_loss", "val_accuracy",
                "val_precision", "val_recall", "val_f1", "val_auc", "time", "samples_per_s"):
        assert key in h, key
    assert h["val_accuracy"] > 0.8
    assert res.history[0]["loss"] > res.history[-1]["loss"]
    assert evaluate(model, SoftmaxHead(), (X[90:], y[90:]))["accuracy"] == pytest.approx(
        res.best_logs["val_accuracy"])
    p = predict(model, SoftmaxHead(), X[:5])
    assert p.shape == (5, 3) and np.allclose(p.sum(1), 1, atol=1e-5)


def test_early_stopping_restores_the_best_epoch():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 10)).astype(np.float32)
    y = rng.integers(0, 2, 64)  # random labels: validation loss must rise as the net memorises
    Xv = rng.normal(size=(64, 10)).astype(np.float32)
    yv = rng.integers(0, 2, 64)
    model = mlp(10, 2, 64)
    res = Trainer(device="cpu").fit(model, SoftmaxHead(), (X, y), (Xv, yv),
                                    TrainConfig(epochs=60, batch_size=16, lr=0.01, early_stopping=3))
    assert res.stop_reason == "early_stopping"
    assert res.epochs_run == res.best_epoch + 3
    val_losses = [h["val_loss"] for h in res.history]
    assert res.best_epoch == int(np.argmin(val_losses)) + 1
    assert res.restored_best and same_state(model.state_dict(), res.best_state)
    assert evaluate(model, SoftmaxHead(), (Xv, yv))["loss"] == pytest.approx(min(val_losses), rel=1e-5)


def test_early_stopping_callback_on_its_own_and_checkpoint(tmp_path):
    rng = np.random.default_rng(2)
    X = rng.normal(size=(48, 10)).astype(np.float32)
    y = rng.integers(0, 2, 48)
    Xv, yv = rng.normal(size=(48, 10)).astype(np.float32), rng.integers(0, 2, 48)
    es = EarlyStopping(patience=2, restore_best=True)
    ck = ModelCheckpoint(tmp_path / "best.pt")
    hist = History()
    model = mlp(10, 2, 64)
    res = Trainer([es, ck, hist], device="cpu").fit(
        model, SoftmaxHead(), (X, y), (Xv, yv), TrainConfig(epochs=60, batch_size=16, lr=0.01, restore_best=False))
    assert res.stop_reason == "early_stopping" and es.best_epoch == ck.best_epoch
    assert hist.history == res.history
    saved = load_weights(tmp_path / "best.pt")
    assert same_state(saved, model.state_dict()) and same_state(saved, es.best_state)


class NanAfter:
    """Binary head whose loss turns NaN on the n-th call (a blow-up at a known step)."""

    task = "binary"

    def __init__(self, n):
        self.n, self.calls = n, 0

    def activate(self, out):
        return torch.sigmoid(out)

    def loss(self, out, y):
        self.calls += 1
        base = nn.functional.binary_cross_entropy_with_logits(out, y)
        return base * float("nan") if self.calls >= self.n else base


class StopAt(Callback):
    def __init__(self, batches):
        self.batches, self.count = batches, 0

    def on_batch_end(self, trainer, info):
        self.count += 1
        if self.count == self.batches:
            trainer.stop("stopped", "test stop")


def test_nan_loss_stops_and_keeps_the_last_good_weights():
    X, y = blobs(k=2)
    cfg = TrainConfig(epochs=5, batch_size=16, lr=0.05, restore_best=False)
    model = mlp(k=1)
    res = Trainer(device="cpu").fit(model, NanAfter(10), (X, y.astype(np.float32)), None, cfg)
    assert res.stop_reason == "nan"
    assert "NaN" in res.message and "last good" in res.message
    assert all(torch.isfinite(v).all() for v in model.state_dict().values())
    # the same 9 good steps, stopped by a callback instead, give exactly these weights
    ref = mlp(k=1)
    Trainer([StopAt(9)], device="cpu").fit(ref, SigmoidHead(), (X, y.astype(np.float32)), None, cfg)
    assert same_state(model.state_dict(), ref.state_dict())
    assert res.epochs_run == 1  # 120 samples / 16 = 8 batches: the NaN came in epoch 2


class Gate(Callback):
    """Holds the training thread at one batch until the test lets it go (no sleeps)."""

    def __init__(self, at):
        self.at, self.reached, self.go = at, threading.Event(), threading.Event()
        self.batches = 0
        self.pauses = 0

    def on_batch_end(self, trainer, info):
        self.batches += 1
        if self.batches == self.at:
            self.reached.set()
            assert self.go.wait(10)

    def on_pause(self, trainer):
        self.pauses += 1


def _run_in_thread(trainer, cfg):
    X, y = blobs(200)
    out = {}

    def work():
        out["res"] = trainer.fit(mlp(), SoftmaxHead(), (X, y), None, cfg)

    t = threading.Thread(target=work)
    t.start()
    return t, out


def test_pause_blocks_between_batches_then_resume_finishes():
    gate = Gate(at=3)
    trainer = Trainer([gate], device="cpu")
    t, out = _run_in_thread(trainer, TrainConfig(epochs=2, batch_size=20))
    assert gate.reached.wait(10)
    trainer.pause()
    gate.go.set()
    assert trainer.paused.wait(10)  # the worker is now blocked on an Event
    assert gate.batches == 3  # and no batch ran while paused
    assert t.is_alive()
    trainer.resume()
    t.join(10)
    assert not t.is_alive()
    assert out["res"].stop_reason == "completed" and gate.batches == 20 and gate.pauses == 1


def test_stop_while_paused_ends_the_fit():
    gate = Gate(at=2)
    trainer = Trainer([gate], device="cpu")
    t, out = _run_in_thread(trainer, TrainConfig(epochs=50, batch_size=20))
    assert gate.reached.wait(10)
    trainer.pause()
    gate.go.set()
    assert trainer.paused.wait(10)
    trainer.request_stop()
    t.join(10)
    assert not t.is_alive()
    res = out["res"]
    assert res.stop_reason == "stopped" and res.epochs_run == 0 and gate.batches == 2


def test_same_seed_same_run_and_another_seed_differs():
    X, y = blobs()

    def run(seed):
        torch.manual_seed(123)
        model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.Linear(16, 3))
        res = Trainer(device="cpu").fit(model, SoftmaxHead(), (X, y), None,
                                        TrainConfig(epochs=3, batch_size=16, seed=seed, restore_best=False))
        return [h["loss"] for h in res.history], model.state_dict()

    l1, w1 = run(7)
    l2, w2 = run(7)
    l3, _ = run(8)
    assert l1 == l2 and same_state(w1, w2)
    assert l1 != l3


def test_output_target_shape_mismatch_is_caught_before_any_step():
    X, y = blobs(k=5)
    model = mlp(k=3)  # 3 output units, 5 classes
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(TrainingError, match="3 units"):
        Trainer(device="cpu").fit(model, SoftmaxHead(), (X, y), None, TrainConfig(epochs=1))
    assert same_state(before, model.state_dict())
    with pytest.raises(TrainingError, match="one output unit"):
        Trainer(device="cpu").fit(mlp(k=3), SigmoidHead(), (X, (y > 2).astype(np.float32)), None,
                                  TrainConfig(epochs=1))
    with pytest.raises(TrainingError, match="cannot process inputs"):
        Trainer(device="cpu").fit(mlp(d=7), SoftmaxHead(), (X, y), None, TrainConfig(epochs=1))


def test_binary_targets_are_reshaped_to_the_single_output_unit_and_hooks_run_in_order():
    X, y = blobs(k=2)
    calls = []

    class Spy(Callback):
        def on_fit_start(self, trainer):
            calls.append("fit_start")

        def on_epoch_start(self, trainer, epoch):
            calls.append(f"epoch_start{epoch}")

        def on_batch_end(self, trainer, info):
            if info.batch == 0:
                calls.append(f"batch{info.epoch}:{info.n_batches}:{info.samples_seen}:{info.loss > 0}")

        def on_epoch_end(self, trainer, epoch, logs):
            calls.append(f"epoch_end{epoch}")

        def on_fit_end(self, trainer, result):
            calls.append(f"fit_end:{result.stop_reason}")

    res = Trainer([Spy()], device="cpu").fit(mlp(k=1), SigmoidHead(), (X[:100], y[:100]), (X[100:], y[100:]),
                                             TrainConfig(epochs=2, batch_size=50, lr=0.05))
    assert calls == ["fit_start", "epoch_start1", "batch1:2:50:True", "epoch_end1",
                     "epoch_start2", "batch2:2:150:True", "epoch_end2", "fit_end:completed"]
    assert 0 <= res.history[-1]["val_auc"] <= 1


class TripletLikeHead:
    """A custom head (any task name): the engine only calls loss and activate."""

    task = "embedding"

    def activate(self, out):
        return out

    def loss(self, out, y):
        return ((out - y) ** 2).mean()


def test_custom_head_objects_use_the_same_engine():
    X, _ = blobs()
    target = np.zeros((len(X), 3), np.float32)
    res = Trainer(device="cpu").fit(mlp(), TripletLikeHead(), (X, target), None, TrainConfig(epochs=2))
    assert res.stop_reason == "completed" and "accuracy" not in res.history[-1]


def test_bad_config_raises_training_error():
    with pytest.raises(TrainingError, match="optimizer"):
        TrainConfig(optimizer="lbfgs")
    with pytest.raises(TrainingError, match="epochs"):
        TrainConfig(epochs=0)


def test_a_stop_is_consumed_by_one_fit_and_the_trainer_can_be_reused():
    X, y = blobs()
    trainer = Trainer(device="cpu")
    trainer.request_stop()  # e.g. between two cross-validation folds: the next fit ends at once
    res = trainer.fit(mlp(), SoftmaxHead(), (X, y), None, TrainConfig(epochs=2))
    assert res.stop_reason == "stopped" and res.epochs_run == 0
    res = trainer.fit(mlp(), SoftmaxHead(), (X, y), None, TrainConfig(epochs=2))
    assert res.stop_reason == "completed" and res.epochs_run == 2


def test_threads_setting_applies_to_the_fit_only():
    """The fit runs on the configured thread count and the process's own count comes back after it
    (the counts differ from the one-thread test fixture's, so the test sees a change both ways)."""
    X, y = blobs()
    seen = []

    class Probe(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            seen.append(torch.get_num_threads())

    torch.set_num_threads(3)  # the autouse fixture puts its own count back after the test
    Trainer([Probe()], device="cpu").fit(mlp(), SoftmaxHead(), (X, y), None, TrainConfig(epochs=1, threads=2))
    assert seen == [2] and torch.get_num_threads() == 3


def test_compiled_training_learns_like_the_plain_model_and_keeps_plain_weights(monkeypatch):
    """TrainConfig(compile=True) trains through torch.compile (or the plain model where the compiler
    is missing): the loss falls as without it, and the weights stay the plain module's. Dynamo's
    "eager" backend stands in for code generation (seconds to minutes of C++ compiling);
    benchmarks/engines.py measures the real compiler."""
    import functools

    import numpy as np
    import torch

    monkeypatch.setattr(torch, "compile", functools.partial(torch.compile, backend="eager"))

    from workbench.core.models import build_model, default_head, get_preset
    from workbench.core.training import TrainConfig, Trainer

    rng = np.random.default_rng(0)
    X = rng.random((96, 1, 8, 8)).astype(np.float32)
    y = (X[:, 0, :4].mean(axis=(1, 2)) > X[:, 0, 4:].mean(axis=(1, 2))).astype(np.int64)
    losses = {}
    for compile_ in (False, True):
        head = default_head("multiclass")
        model = build_model(get_preset("digits-cnn"), (1, 8, 8), (2,), head)
        fit = Trainer(device="cpu").fit(model, head, (X, y), (X[:32], y[:32]),
                                        TrainConfig(epochs=4, batch_size=32, compile=compile_))
        losses[compile_] = [h["loss"] for h in fit.history]
        assert not any(k.startswith("_orig_mod") for k in model.state_dict())
    assert losses[True][-1] < losses[True][0]
    assert abs(losses[True][0] - losses[False][0]) < 0.05  # the same first epoch, up to kernel rounding


def test_training_falls_back_to_the_plain_model_when_compiling_fails(monkeypatch):
    import numpy as np
    import torch

    from workbench.core.models import build_model, default_head, get_preset
    from workbench.core.training import TrainConfig, Trainer

    def broken(*a, **k):
        raise RuntimeError("no C++ compiler")

    monkeypatch.setattr(torch, "compile", broken)
    head = default_head("multiclass")
    model = build_model(get_preset("digits-cnn"), (1, 8, 8), (2,), head)
    X = np.random.default_rng(0).random((40, 1, 8, 8)).astype(np.float32)
    fit = Trainer(device="cpu").fit(model, head, (X, np.arange(40) % 2), None, TrainConfig(epochs=2, compile=True))
    assert len(fit.history) == 2
