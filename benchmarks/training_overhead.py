"""Trainer.fit (default callbacks) vs a plain hand-written PyTorch loop, alternated in one process.

Same model initialisation, data, batch size, epochs and shuffling; prints the median time ratio
for a small MLP and a small CNN. Target: <= 1.05 on CPU.

    .venv/bin/python benchmarks/training_overhead.py [--repeats 7] [--epochs 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import numpy as np
import torch
from torch import nn

from workbench.core.training import TrainConfig, Trainer


class SoftmaxHead:
    task = "multiclass"
    activation = "softmax"

    def activate(self, out):
        return torch.softmax(out, dim=-1)

    def loss(self, out, y):
        return nn.functional.cross_entropy(out, y)


def make_mlp():
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def make_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(), nn.Linear(64, 10),
    )


def plain_loop(model, X, y, epochs, batch_size, lr, seed):
    """What one would write by hand: shuffle, slice, forward, loss, backward, step, sum the loss."""
    torch.manual_seed(seed)
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    n = len(X)
    for _ in range(epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for i in range(0, n, batch_size):
            idx = perm[i : i + batch_size]
            out = model(X[idx])
            loss = nn.functional.cross_entropy(out, y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
    return total / n


def trainer_fit(model, X, y, epochs, batch_size, lr, seed):
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, optimizer="adam", seed=seed)
    return Trainer(device="cpu").fit(model, SoftmaxHead(), train=(X, y), config=cfg)


def bench(name, make, X, y, epochs, batch_size, repeats, clock):
    ratios = []
    times_t, times_p = [], []
    # warm-up: first calls pay for lazy imports and allocator growth in both paths
    trainer_fit(make(), X, y, 1, batch_size, 1e-3, 0)
    plain_loop(make(), X, y, 1, batch_size, 1e-3, 0)
    for r in range(repeats):
        pair = []
        # alternate which one goes first so warm caches and thermal drift favour neither
        order = ("trainer", "plain") if r % 2 == 0 else ("plain", "trainer")
        t = {}
        for which in order:
            torch.manual_seed(r)
            model = make()
            t0 = clock()
            if which == "trainer":
                trainer_fit(model, X, y, epochs, batch_size, 1e-3, r)
            else:
                plain_loop(model, X, y, epochs, batch_size, 1e-3, r)
            t[which] = clock() - t0
        times_t.append(t["trainer"])
        times_p.append(t["plain"])
        ratios.append(t["trainer"] / t["plain"])
    med = statistics.median(ratios)
    print(
        f"{name:4s}: Trainer.fit {statistics.median(times_t):.3f}s  plain loop {statistics.median(times_p):.3f}s  "
        f"median ratio {med:.3f}  ratio of medians {statistics.median(times_t) / statistics.median(times_p):.3f}  "
        f"ratio of minima {min(times_t) / min(times_p):.3f}"
    )
    print(f"      ratios {', '.join(f'{x:.3f}' for x in ratios)}")
    return med


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=21)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (default 1: then CPU time of this thread is measured, which other "
                         "programs on a shared machine barely disturb)")
    ap.add_argument("--wall", action="store_true", help="measure wall-clock time instead of CPU time")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.wall:
        clock, what = time.perf_counter, "wall-clock time"
    elif args.threads == 1:
        clock, what = time.thread_time, "CPU time of the training thread"
    else:
        clock, what = time.process_time, "process CPU time"
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    y = y.astype(np.int64)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {len(X)} samples, "
          f"batch {args.batch_size}, {args.epochs} epochs, {args.repeats} repeats; measuring {what}")
    r1 = bench("MLP", make_mlp, X, y, args.epochs, args.batch_size, args.repeats, clock)
    r2 = bench("CNN", make_cnn, X.reshape(-1, 1, 8, 8), y, args.epochs, args.batch_size, args.repeats, clock)
    ok = max(r1, r2) <= 1.05
    print(f"target <= 1.05: {'met' if ok else 'NOT met'} (MLP {r1:.3f}, CNN {r2:.3f})")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
