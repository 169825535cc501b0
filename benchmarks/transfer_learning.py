"""Transfer learning vs training from scratch, with few images per class, on real image sets.

For 5, 10, 20 and 50 training images per class: held-out test accuracy of
  pretrained  the "pretrained-small" preset: frozen ImageNet MobileNetV2 (128 px, features cached) +
              Dropout + Dense, i.e. what Workbench proposes for image folders with few images per class;
  scratch     the preset Workbench would otherwise use (digits-cnn for small images, shallow-cnn for
              64 px photos), trained on exactly the same images,
both through ``Trainer.fit`` with the same optimizer (Adam 1e-3), batch size and epoch budget; the
kept epoch is chosen on a separate validation set (10 per class), the test set takes no part in any
choice. Mean and spread over 3 draws of the training images. Seconds per run are wall time of the
fit (the first pretrained run of a set pays for computing the backbone features; later runs reuse
the cache).

Real data sets that install offline (chosen because they are real images a user could have, of
different kinds, and ship in packages we already depend on):
  digits    scikit-learn's 1,797 handwritten digits (8x8 grey, 10 classes): tiny images far from
            ImageNet, the hard case for a pretrained network; test = a fixed half of the data.
  textures  scikit-image's on-disk photos (brick, grass, gravel, coffee, Hubble deep field,
            immunohistochemistry), 64x64 patches; class = the photo. Training / validation patches
            come from the top half of each photo, test patches from the bottom half (no overlap).
  faces     scikit-image's LFW subset: 100 real face crops vs 100 non-faces (25x25 grey); test = a
            fixed 40 per class (so 50 per class is the largest budget).

    .venv/bin/python benchmarks/transfer_learning.py [--epochs 30] [--repeats 3] [--sets digits,textures,faces]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from workbench.core.data import Dataset, Preprocessor, load_builtin
from workbench.core.models import Head, build_model, get_preset
from workbench.core.training import TrainConfig, Trainer, evaluate, seed_everything

BUDGETS = (5, 10, 20, 50)
VAL_PER_CLASS = 10


def digits():
    ds = load_builtin("digits")
    rng = np.random.default_rng(123)
    test = np.zeros(len(ds), bool)
    for c in range(10):
        idx = np.flatnonzero(ds.y == c)
        test[rng.choice(idx, len(idx) // 2, replace=False)] = True
    return ds, np.flatnonzero(~test), np.flatnonzero(test), "digits-cnn"


def textures(n_pool: int = 90, n_test: int = 60, side: int = 64):
    from skimage import data

    photos = {"brick": data.brick(), "grass": data.grass(), "gravel": data.gravel(), "coffee": data.coffee(),
              "hubble": data.hubble_deep_field(), "ihc": data.immunohistochemistry()}
    rng = np.random.default_rng(7)
    X, y, part = [], [], []
    for c, img in enumerate(photos.values()):
        if img.ndim == 2:
            img = np.repeat(img[:, :, None], 3, axis=2)
        h, w = img.shape[:2]
        crop = min(h, w) // 4
        for half, n in ((0, n_pool), (1, n_test)):
            lo, hi = (0, h // 2 - crop) if half == 0 else (h // 2, h - crop)
            for _ in range(n):
                yy, xx = int(rng.integers(lo, hi)), int(rng.integers(0, w - crop))
                import cv2

                X.append(cv2.resize(img[yy:yy + crop, xx:xx + crop], (side, side), interpolation=cv2.INTER_AREA))
                y.append(c)
                part.append(half)
    ds = Dataset("textures", "image", np.stack(X), np.array(y), class_names=list(photos))
    part = np.array(part)
    return ds, np.flatnonzero(part == 0), np.flatnonzero(part == 1), "shallow-cnn"


def faces():
    from skimage import data

    imgs = data.lfw_subset()  # (200, 25, 25) float in [0, 1]: 100 faces, then 100 non-faces
    X = (imgs * 255).round().astype(np.uint8)[..., None]
    y = np.array([0] * 100 + [1] * 100)
    ds = Dataset("faces", "image", X, y, class_names=["face", "not face"])
    rng = np.random.default_rng(5)
    test = np.zeros(200, bool)
    for c in (0, 1):
        test[rng.choice(np.flatnonzero(y == c), 40, replace=False)] = True
    return ds, np.flatnonzero(~test), np.flatnonzero(test), "digits-cnn"


SETS = {"digits": digits, "textures": textures, "faces": faces}


def draw(y, pool, n, seed):
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(y):
        idx = rng.permutation(pool[y[pool] == c])
        if len(idx) < n + VAL_PER_CLASS:
            return None
        train += list(idx[:n])
        val += list(idx[n:n + VAL_PER_CLASS])
    return np.array(train), np.array(val)


def run_one(ds, train, val, test, preset, epochs, seed):
    pre = Preprocessor("none").fit(ds, train)
    head = Head("multiclass", "softmax", "cce")
    k = len(ds.class_names)
    seed_everything(seed)
    model = build_model(get_preset(preset), pre.output_shape, (k,), head)
    cfg = TrainConfig(epochs=epochs, batch_size=16, optimizer="adam", lr=1e-3, seed=seed, threads=1)
    t0 = time.perf_counter()
    Trainer().fit(model, head, (pre.transform(ds, train), ds.y[train]), (pre.transform(ds, val), ds.y[val]), cfg)
    fit_s = time.perf_counter() - t0
    acc = evaluate(model, head, (pre.transform(ds, test), ds.y[test]))["accuracy"]
    return acc, fit_s


def main(argv=None) -> int:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sets", default=",".join(SETS))
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    print(f"load average at start: {os.getloadavg()}")
    rows = []
    for name in args.sets.split(","):
        ds, pool, test, scratch = SETS[name]()
        print(f"\n== {name}: {len(ds)} images {ds.X.shape[1:]} in {len(ds.class_names)} classes; "
              f"test {len(test)} held out; scratch model {scratch}", flush=True)
        for n in BUDGETS:
            res = {"pretrained-small": [], scratch: []}
            secs = {"pretrained-small": [], scratch: []}
            for r in range(args.repeats):
                split = draw(ds.y, pool, n, 1000 * r + n)
                if split is None:
                    break
                for preset in res:
                    acc, s = run_one(ds, split[0], split[1], test, preset, args.epochs, r)
                    res[preset].append(acc)
                    secs[preset].append(s)
            if not res[scratch]:
                continue
            p, s_ = res["pretrained-small"], res[scratch]
            row = {"set": name, "per_class": n, "pretrained": statistics.mean(p), "pretrained_sd": statistics.pstdev(p),
                   "scratch": statistics.mean(s_), "scratch_sd": statistics.pstdev(s_),
                   "pretrained_s": statistics.median(secs["pretrained-small"]), "scratch_s": statistics.median(secs[scratch])}
            rows.append(row)
            print(f"{name:9s} {n:3d}/class  pretrained {row['pretrained']:.3f} ± {row['pretrained_sd']:.3f} "
                  f"({row['pretrained_s']:.1f} s)   scratch {row['scratch']:.3f} ± {row['scratch_sd']:.3f} "
                  f"({row['scratch_s']:.1f} s)   gain {row['pretrained'] - row['scratch']:+.3f}", flush=True)
    print("\n| set | images per class | pretrained (frozen MobileNetV2 + head) | from scratch | gain | s per run "
          "(pretrained / scratch) |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['set']} | {r['per_class']} | {r['pretrained']:.3f} ± {r['pretrained_sd']:.3f} | "
              f"{r['scratch']:.3f} ± {r['scratch_sd']:.3f} | {r['pretrained'] - r['scratch']:+.3f} | "
              f"{r['pretrained_s']:.1f} / {r['scratch_s']:.1f} |")
    small = [r for r in rows if r["per_class"] <= 20]
    wins = sum(r["pretrained"] > r["scratch"] + 0.05 for r in small)
    print(f"\npretrained ahead by more than 5 points in {wins} of {len(small)} cases with <= 20 images per class")
    print(f"load average at end: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
