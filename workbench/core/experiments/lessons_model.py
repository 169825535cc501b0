"""Lessons 9-12: capacity, weight regularization, dropout, last-layer activation and loss."""
from __future__ import annotations

import numpy as np

from workbench.core.experiments.base import Chart, Series, experiment
from workbench.core.experiments.common import dense_spec, fit, fmt
from workbench.core.experiments.lessons_data import _imdb_split, _multi_hot


def _imdb_arrays(ctx):
    if ctx.full:  # the book's set-up
        (ntr, nva, nte), vocab, epochs, batch = (15000, 10000, 0), 10000, 20, 512
    else:  # a fifth of the data: smaller batches keep the number of optimizer steps per epoch comparable
        (ntr, nva, nte), vocab, epochs, batch = (3000, 2000, 0), 2000, 10, 128
    ds, tr, va, _ = _imdb_split(ctx, ntr, nva, nte)
    Xtr, Xva = _multi_hot(ds, tr, [tr, va], vocab)
    return Xtr, ds.y[tr], Xva, ds.y[va], epochs, batch, {"train": ntr, "val": nva, "vocabulary": vocab,
                                                         "epochs": epochs, "batch size": batch}


def _overfit_epoch(f) -> int | None:
    from workbench.core.training import diagnose

    d = diagnose(f.history, None)
    return getattr(d, "overfit_epoch", None)


def _compare_specs(ctx, variants, title):
    Xtr, ytr, Xva, yva, epochs, batch, settings = _imdb_arrays(ctx)
    ctx.plan(len(variants))
    rows, series = [], []
    for label, spec in variants:
        f = fit(ctx, Xtr, ytr, Xva, yva, task="binary", spec=spec, epochs=epochs, batch_size=batch, lr=1e-3,
                optimizer="rmsprop")
        # the data loss: the L1/L2 penalty is reported apart, so regularized networks compare fairly
        vl = f.curve("val_data_loss") if "val_data_loss" in (f.history[0] if f.history else {}) else f.curve("val_loss")
        best = int(np.nanargmin(vl)) + 1
        rows.append({"network": label, "min val loss": float(np.nanmin(vl)), "epoch of min val loss": best,
                     "final val loss": vl[-1], "final train loss": f.curve("data_loss")[-1] if "data_loss" in f.history[0] else f.curve("loss")[-1],
                     "overfitting starts at epoch": _overfit_epoch(f),
                     "best val accuracy": float(np.nanmax(f.curve("val_accuracy")))})
        series.append(Series(label, list(range(1, epochs + 1)), vl))
        ctx.step(label)
    chart = Chart(title, "epoch", "validation loss (data loss, without the penalty)", series)
    ctx.chart(chart)
    return rows, chart, settings, epochs


@experiment("network-size", 9, "Network size and overfitting",
            """
A network with more units can memorize more of its training data. On IMDB reviews, the original
network (two layers of 16 units) is trained beside a smaller one (4 units) and a bigger one (512
units). The bigger network fits the training data faster and starts overfitting sooner: its
validation loss bottoms out early and then climbs. The published figures are about epoch 6, 4 and 1.
""", lesson="Reduce the network's size to fight overfitting.",
            claim="the bigger network starts overfitting earlier than the smaller one", min_effect=1.0, unit="epochs")
def network_size(ctx):
    variants = [("smaller (4, 4)", dense_spec((4, 4))), ("original (16, 16)", dense_spec((16, 16))),
                ("bigger (512, 512)", dense_spec((512, 512)))]
    rows, chart, settings, epochs = _compare_specs(ctx, variants, "Validation loss by network size")

    def start(r):
        return r["overfitting starts at epoch"] or r["epoch of min val loss"]

    small, orig, big = rows
    conclusion = ("Validation loss bottomed out at epoch " + ", ".join(f"{r['epoch of min val loss']} ({r['network']})" for r in rows)
                  + ". Overfitting started at epoch " + ", ".join(
                      f"{r['overfitting starts at epoch'] or 'none seen'} ({r['network'].split()[0]})" for r in rows) + ". ")
    conclusion += (f"Final validation loss: {fmt(big['final val loss'])} for the bigger network against "
                   f"{fmt(small['final val loss'])} for the smaller one.")
    return ({"overfit_epoch": {r["network"]: r["overfitting starts at epoch"] for r in rows},
             "min_val_loss_epoch": {r["network"]: r["epoch of min val loss"] for r in rows}},
            [chart], rows, conclusion, float(start(small) - start(big)), settings)


@experiment("weight-regularization", 10, "Weight regularization (L1, L2)",
            """
Weight regularization adds a cost for large weights to the loss, pushing the network towards simpler
functions: L1 costs the absolute values (many weights become exactly zero), L2 the squares (all
weights shrink). The same IMDB network is trained without regularization, with L1, with L2 (0.001,
as in the book) and with both. The penalty is reported apart from the data loss so the validation
losses compare fairly.
""", lesson="Add weight regularization to fight overfitting.",
            claim="L2 regularization (0.001, the book's) ends with a lower validation loss than no regularization",
            min_effect=0.005, unit="val loss")
def weight_regularization(ctx):
    variants = [("none", dense_spec((16, 16))), ("L1 0.0001", dense_spec((16, 16), l1=1e-4)),
                ("L2 0.001", dense_spec((16, 16), l2=1e-3)), ("L1 + L2", dense_spec((16, 16), l1=1e-4, l2=1e-3))]
    rows, chart, settings, epochs = _compare_specs(ctx, variants, "Validation loss by weight regularization")
    none = rows[0]
    rise = {r["network"]: r["final val loss"] - r["min val loss"] for r in rows}
    l2 = rows[2]  # the variant the lesson is about, chosen before the runs (not the best of several)
    conclusion = (f"Without regularization the validation loss rose {rise['none']:.3f} above its minimum by epoch {epochs}; "
                  + ", ".join(f"{k}: {v:.3f}" for k, v in rise.items() if k != "none") + ". "
                  + "Final validation loss: " + ", ".join(f"{r['network']} {fmt(r['final val loss'])}" for r in rows) + ".")
    return ({"final_val_loss": {r["network"]: r["final val loss"] for r in rows}, "rise_after_min": rise},
            [chart], rows, conclusion, none["final val loss"] - l2["final val loss"], settings)


@experiment("dropout", 11, "Dropout",
            """
Dropout sets a random share of a layer's outputs to zero at each training step, so the network
cannot rely on any single unit. The kept outputs are scaled up by 1/(1 - rate) during training, so
at test time the layer is used unchanged with nothing dropped. We train the IMDB network with
dropout rates from 0 to 0.5, and check the scaling: the average training-time output equals the
test-time output.
""", lesson="Add dropout to fight overfitting.",
            claim="dropout 0.5 ends with a lower validation loss than no dropout", min_effect=0.005, unit="val loss")
def dropout(ctx):
    import torch

    rates = (0.0, 0.2, 0.5)
    variants = [(f"dropout {r}", dense_spec((16, 16), dropout=r)) for r in rates]
    rows, chart, settings, epochs = _compare_specs(ctx, variants, "Validation loss by dropout rate")
    # train-time scaling: mean of many train-mode passes vs one eval-mode pass
    torch.manual_seed(ctx.seed)
    layer = torch.nn.Dropout(0.5)
    x = torch.rand(1, 2000) + 0.5
    layer.train()
    mean_train = torch.stack([layer(x) for _ in range(2000)]).mean(0)
    layer.eval()
    test_out = layer(x)
    rel = float(((mean_train - test_out).abs().mean() / test_out.abs().mean()).item())
    none, half = rows[0], rows[-1]  # rate 0.5 is the lesson's variant, chosen before the runs
    conclusion = ("Final validation loss: " + ", ".join(f"{r['network']} {fmt(r['final val loss'])}" for r in rows) + ".")
    conclusion += (f" Scaling check: averaged over 2000 training passes, dropout(0.5) outputs differ from the test-time "
                   f"output by {rel:.1%} on average, so the network needs no change at test time.")
    return ({"final_val_loss": {r["network"]: r["final val loss"] for r in rows}, "scaling_relative_difference": rel},
            [chart], rows, conclusion, none["final val loss"] - half["final val loss"], settings)


@experiment("last-layer", 12, "Last-layer activation and loss",
            """
The last layer and the loss must fit the problem: a sigmoid and binary cross-entropy for a yes/no
answer; a softmax and categorical cross-entropy for one class among several; a sigmoid per label
and binary cross-entropy when several labels can be true at once; no activation and mean squared
error for an unbounded number. We train each problem with the right pair and with common wrong ones.
""", lesson="Choose the last-layer activation and loss from the problem type.",
            claim="the right activation and loss beat every wrong pair on every problem", min_effect=0.01,
            unit="(worst relative margin)")
def last_layer(ctx):
    from workbench.core.models import Head

    rng = np.random.default_rng(ctx.seed)
    n, d, k = (4000 if ctx.full else 1600), 10, 10
    X = rng.normal(0, 1, (n, d)).astype(np.float32)
    W = rng.normal(0, 1, (d, k))
    n_tr = int(0.75 * n)
    epochs = 20 if ctx.full else 10

    # (task, targets, pairs (activation, loss) with the right one first, metric, optimizer, lr)
    problems = []
    yc = np.argmax(X @ W + rng.normal(0, 0.3, (n, k)), 1).astype(np.int64)
    # "class number as a value": the classic mistake of regressing the class index with MSE
    problems.append(("multiclass", yc, [("softmax", "cce"), ("softmax", "mse"), ("class number", "mse")],
                     "accuracy", "sgd", 0.1))
    yl = ((X @ W[:, :4] + rng.normal(0, 0.3, (n, 4))) > 0).astype(np.float32)
    problems.append(("multilabel", yl, [("sigmoid", "bce"), ("softmax", "cce"), ("softmax", "bce")],
                     "exact match", "adam", 3e-3))
    yr = (X @ W[:, 0] * 3.0 + 5.0).astype(np.float32)
    problems.append(("regression", yr, [("none", "mse"), ("sigmoid", "mse"), ("relu", "mse")], "MAE", "adam", 3e-3))

    ctx.plan(sum(len(p[2]) for p in problems))
    rows, charts, ok, margins = [], [], [], []
    class_number_lr = 0.01  # regressing the class index with SGD at 0.1 diverges; the table says what ran
    for task, y, pairs, metric, opt, lr in problems:
        results = []
        for act, loss in pairs:
            yt = y[n_tr:]
            run_lr = class_number_lr if act == "class number" else lr
            if act == "class number":
                f = fit(ctx, X[:n_tr], y[:n_tr].astype(np.float32), None, None, task="regression", epochs=epochs,
                        batch_size=32, lr=run_lr, optimizer=opt, hidden=(32,))
                p = np.clip(np.rint(f.predict(X[n_tr:]).reshape(-1)), 0, k - 1)
                val = float(np.mean(p == yt))
            else:
                head = Head(task=task, activation=act, loss=loss)
                ytr = y[:n_tr]
                if task == "multilabel" and loss == "cce":  # softmax + CCE needs one distribution per sample
                    ytr = ytr / np.maximum(ytr.sum(1, keepdims=True), 1)
                f = fit(ctx, X[:n_tr], ytr, None, None, task=task, head=head, epochs=epochs, batch_size=32, lr=lr,
                        optimizer=opt, hidden=(32,), n_classes=k)
                p = f.predict(X[n_tr:])
                if task == "multiclass":
                    val = float(np.mean(p.argmax(1) == yt))
                elif task == "multilabel":  # the registry's "exact_match": every label of a sample right
                    val = float(np.mean(np.all((p >= 0.5) == (yt >= 0.5), axis=1)))
                else:
                    val = float(np.mean(np.abs(p.reshape(-1) - yt)))
            right = (act, loss) == pairs[0]
            results.append(val)
            rows.append({"problem": task, "activation": act, "loss": loss, "right pair": right, metric: val,
                         "optimizer": f"{opt} lr {run_lr:g}"})
            ctx.step(f"{task}: {act} + {loss}")
        if metric == "MAE":  # relative: how much larger the best wrong pair's error is
            margin = (min(results[1:]) - results[0]) / max(min(results[1:]), 1e-9)
        else:
            margin = results[0] - max(results[1:])
        margins.append(margin)
        ok.append(margin > 0)
        charts.append(Chart(f"{task}: {metric} by last layer", "pair", metric,
                            [Series(f"{a} + {l}", [float(i)], [v], style="points")
                             for i, ((a, l), v) in enumerate(zip(pairs, results))]))
    for c in charts:
        ctx.chart(c)
    parts = []
    for task, _, pairs, metric, _, _ in problems:
        these = [r for r in rows if r["problem"] == task]
        parts.append(f"{task} ({metric}): " + ", ".join(f"{r['activation']}+{r['loss']} {r[metric]:.3f}" for r in these))
    conclusion = "; ".join(parts) + "."
    lost = [p[0] for p, good in zip(problems, ok) if not good]
    if lost:
        conclusion += " In this run a wrong pair matched or beat the right one on: " + ", ".join(lost) + "."
    return ({"right_pair_wins": dict(zip([p[0] for p in problems], ok)),
             "margins": dict(zip([p[0] for p in problems], margins))}, charts, rows, conclusion, min(margins),
            {"samples": n, "epochs": epochs})
