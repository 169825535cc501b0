"""Lessons 13-14: what an autoencoder learns without labels, and what its bottleneck costs."""
from __future__ import annotations

import numpy as np

from workbench.core.experiments.base import Chart, Series, experiment
from workbench.core.experiments.common import _CancelCallback, fmt


def _train(ctx, ds, **settings):
    from workbench.core.explore.autoencoder import AutoencoderSettings, train_autoencoder

    ctx.check_cancel()
    s = AutoencoderSettings(seed=ctx.seed, **settings)
    res = train_autoencoder(ds, s, callbacks=list(ctx.trainer_callbacks) + [_CancelCallback(ctx)],
                            device=ctx.device, threads=None)
    ctx.check_cancel()
    return res


def _knn_accuracy(features: np.ndarray, y: np.ndarray, seed: int) -> float:
    """5-fold cross-validated accuracy of a 5-nearest-neighbour classifier on these features."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier

    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    return float(cross_val_score(KNeighborsClassifier(5), features, y, cv=folds).mean())


@experiment("autoencoder-code", 13, "An autoencoder's code separates classes it never saw",
            """
An autoencoder is trained to rebuild handwritten digits from a short code (16 numbers instead of
784 pixels); it never sees a label. If the code keeps what makes a 3 a 3, samples of one digit lie
close together in code space. We measure it with the simplest classifier there is, k nearest
neighbours (5-fold cross-validated on the labels the autoencoder never saw), on the code, on the
same number of raw pixel values (the digit shrunk to 4x4 = 16 pixels), and on all 784 pixels, with
PCA to 16 numbers (a linear autoencoder) beside them.
""", lesson="Self-supervised learning: the labels are made from the data, and the features it learns "
            "transfer to tasks it was never trained for.",
            claim="k nearest neighbours classify digits better on the 16-number code, learnt without labels, than on "
                  "16 raw pixel values (the digit shrunk to 4x4)", min_effect=0.02, unit="accuracy")
def autoencoder_code(ctx):
    from sklearn.decomposition import PCA

    from workbench.core.data import load_builtin

    ds = load_builtin("mnist")
    code, epochs = 16, (20 if ctx.full else 12)
    kind = "conv" if ctx.full else "dense"
    ctx.plan(3)
    res = _train(ctx, ds, kind=kind, code_size=code, epochs=epochs, batch_size=64, lr=3e-3,
                 max_samples=None if ctx.full else 2500)
    ctx.step("autoencoder trained")
    y = np.asarray(ds.y)[res.data.rows]
    pixels = res.data.X.reshape(len(res.data.X), -1)
    small = res.data.X[:, 0].reshape(len(pixels), 4, 7, 4, 7).mean(axis=(2, 4)).reshape(len(pixels), -1)
    codes = res.code()
    acc_code = _knn_accuracy(codes, y, ctx.seed)
    acc_small = _knn_accuracy(small, y, ctx.seed)
    acc_raw = _knn_accuracy(pixels, y, ctx.seed)
    ctx.step("k-NN scored")
    pca = PCA(code, random_state=ctx.seed).fit(pixels[res.data.train]).transform(pixels)
    acc_pca = _knn_accuracy(pca, y, ctx.seed)
    ctx.step("PCA scored")
    rows = [{"features": f"autoencoder code ({code} numbers)", "k-NN accuracy": acc_code, "values per sample": code},
            {"features": "raw pixels shrunk to 4x4 (16 numbers)", "k-NN accuracy": acc_small, "values per sample": 16},
            {"features": "raw pixels (784 numbers)", "k-NN accuracy": acc_raw, "values per sample": pixels.shape[1]},
            {"features": f"PCA ({code} numbers)", "k-NN accuracy": acc_pca, "values per sample": code}]
    chart = Chart("k-NN accuracy on labels the autoencoder never saw", "features", "5-fold k-NN accuracy",
                  [Series(r["features"], [float(i)], [r["k-NN accuracy"]], style="points") for i, r in enumerate(rows)])
    ctx.chart(chart)
    val = res.fit.history[-1].get("val_loss") if res.fit.history else None
    gap = acc_code - acc_raw
    conclusion = (f"Trained without labels for {epochs} epochs (validation reconstruction loss {fmt(val)}), the "
                  f"{code}-number code gave a k-NN accuracy of {acc_code:.1%}, against {acc_small:.1%} on 16 raw "
                  f"pixel values (4x4) and {acc_raw:.1%} on all 784 pixels ({'+' if gap >= 0 else ''}{gap:.1%} for "
                  f"the code, 49 times fewer numbers); PCA to {code} numbers: {acc_pca:.1%}; chance: 10%.")
    return ({"knn_code": acc_code, "knn_small_pixels": acc_small, "knn_raw": acc_raw, "knn_pca": acc_pca}, [chart],
            rows, conclusion, acc_code - acc_small,
            {"data": f"MNIST sample, {len(y)} digits", "code size": code, "epochs": epochs, "autoencoder": kind,
             "k": 5})


@experiment("bottleneck", 14, "The bottleneck trades reconstruction for compression",
            """
The code in the middle of an autoencoder is a bottleneck: everything the decoder rebuilds has to
pass through it. A code of 2 numbers compresses a digit hard but can only keep its rough shape; a
code of 32 keeps the details. The same dense autoencoder is trained with codes from 2 to 32 numbers
and its reconstruction error measured on validation digits it never trained on.
""", lesson="An autoencoder's code size trades compression against reconstruction quality.",
            claim="a wider code rebuilds unseen inputs with a lower reconstruction error (as a share of the "
                  "narrowest code's error)", min_effect=0.1, unit="of the error")
def bottleneck(ctx):
    from workbench.core.data import load_builtin

    ds = load_builtin("mnist" if ctx.full else "digits")
    sizes = (2, 4, 8, 16, 32)
    epochs = 20 if ctx.full else 12
    ctx.plan(len(sizes))
    rows, errors = [], []
    n_in = int(np.prod(ds.input_shape))
    for size in sizes:
        res = _train(ctx, ds, kind="dense", code_size=size, epochs=epochs, batch_size=64, lr=3e-3)
        Xv = res.data.X[res.data.val]
        import torch

        with torch.no_grad():
            out = res.head.activate(res.model(torch.as_tensor(Xv)).float()).numpy()
        mse = float(np.mean((out - Xv) ** 2))
        errors.append(mse)
        rows.append({"code size": size, "compression": f"{n_in / size:.0f}x", "validation MSE per value": mse,
                     "validation loss": res.fit.history[-1].get("val_loss") if res.fit.history else None})
        ctx.step(f"code {size}: MSE {mse:.4f}")
    chart = Chart("Reconstruction error by code size", "code size (numbers)", "validation MSE per value",
                  [Series("dense autoencoder", [float(s) for s in sizes], errors, style="line")])
    ctx.chart(chart)
    drops = sum(1 for a, b in zip(errors, errors[1:]) if b < a)
    effect = (errors[0] - errors[-1]) / errors[0] if errors[0] > 0 else 0.0
    conclusion = ("Validation reconstruction error (MSE per pixel in [0, 1]): "
                  + ", ".join(f"code {s} {e:.4f}" for s, e in zip(sizes, errors))
                  + f". Widening the code lowered the error at {drops} of {len(sizes) - 1} steps; the {sizes[-1]}-number "
                    f"code's error is {1 - effect:.0%} of the {sizes[0]}-number code's.")
    return ({"mse": dict(zip([str(s) for s in sizes], errors)), "monotone_steps": drops}, [chart], rows, conclusion,
            effect, {"data": ds.name, "epochs": epochs, "code sizes": list(sizes), "autoencoder": "dense"})
