"""Lessons 1-8: data preparation and evaluation protocols, each measured on real runs."""
from __future__ import annotations

import numpy as np

from workbench.core.experiments.base import Chart, Repeated, Series, experiment
from workbench.core.experiments.common import dense_spec, fit, first_epoch_below, fmt


def _table_dataset(X, y, names, class_names=("0", "1"), time=None):
    from workbench.core.data import Dataset

    return Dataset(name="experiment", kind="table", X=np.asarray(X, dtype=np.float64), y=np.asarray(y),
                   class_names=list(class_names) if class_names else None, feature_names=list(names), time=time)


def _accuracy(p: np.ndarray, y: np.ndarray) -> float:
    p = np.asarray(p)
    if p.ndim == 2 and p.shape[1] > 1:
        return float(np.mean(p.argmax(1) == y))
    return float(np.mean((p.reshape(-1) >= 0.5).astype(int) == np.asarray(y).reshape(-1)))


# --------------------------------------------------------------------------------------------- 1
@experiment("normalization", 1, "Value normalization",
            """
Two features describe each sample: one lives between 0 and 1, the other between 100 and 200. Both
matter equally for the answer. Gradient descent takes one step size for every weight, so the big
feature dominates the gradients and the small one is barely learned, or training jumps around.
We train the same small network three times: on the raw values, on values scaled to [0, 1], and on
standardized values (mean 0, std 1), each scaler fitted on the training split only.
""", lesson="Scale features to similar ranges before training.",
            claim="standardized inputs reach a higher validation accuracy than raw ones", min_effect=0.01,
            unit="accuracy")
def normalization(ctx):
    from workbench.core.data import Preprocessor

    rng = np.random.default_rng(ctx.seed)
    n = 4000 if ctx.full else 1500
    x1 = rng.uniform(0, 1, n)
    x2 = rng.uniform(100, 200, n)
    score = (x1 - 0.5) * 2.0 - (x2 - 150) / 50.0 + rng.normal(0, 0.15, n)
    y = (score > 0).astype(np.int64)
    ds = _table_dataset(np.stack([x1, x2], 1), y, ["small (0-1)", "large (100-200)"])
    idx = rng.permutation(n)
    tr, va = idx[: int(0.7 * n)], idx[int(0.7 * n):]
    epochs = 40 if ctx.full else 20
    ctx.plan(3)
    curves, rows = {}, []
    for scale, label in (("none", "raw values"), ("minmax", "scaled to [0, 1]"), ("standard", "standardized")):
        pre = Preprocessor(scale=scale).fit(ds, tr)
        Xtr, Xva = pre.transform(ds, tr), pre.transform(ds, va)
        f = fit(ctx, Xtr, y[tr], Xva, y[va], task="binary", epochs=epochs, batch_size=32, lr=0.01,
                optimizer="sgd", hidden=(16,))
        vl = [v if np.isfinite(v) else float("nan") for v in f.curve("val_loss")]
        curves[label] = vl
        acc = _accuracy(f.predict(Xva), y[va])
        finite = [v for v in vl if np.isfinite(v)]
        rows.append({"inputs": label, "final val loss": finite[-1] if finite else float("nan"),
                     "best val loss": min(finite) if finite else float("nan"), "val accuracy": acc,
                     "epochs to val loss <= 0.3": first_epoch_below(vl, 0.3), "stopped": f.fit.stop_reason})
        ctx.step(f"trained on {label}")
    chart = Chart("Validation loss by input scaling", "epoch", "validation loss",
                  [Series(k, list(range(1, len(v) + 1)), v) for k, v in curves.items()])
    ctx.chart(chart)
    raw, mm, st = rows
    def _best(r):
        return r["best val loss"] if np.isfinite(r["best val loss"]) else np.inf
    sooner = [r["epochs to val loss <= 0.3"] for r in (mm, st)]
    raw_reach = raw["epochs to val loss <= 0.3"]
    conclusion = (f"The best validation loss was {fmt(_best(raw))} on raw values against {fmt(_best(mm))} scaled to "
                  f"[0, 1] and {fmt(_best(st))} standardized; validation accuracy {raw['val accuracy']:.1%}, "
                  f"{mm['val accuracy']:.1%} and {st['val accuracy']:.1%}. Epochs to reach a validation loss of 0.3: "
                  f"raw {raw_reach or 'never'}, [0, 1] {sooner[0] or 'never'}, standardized {sooner[1] or 'never'}.")
    if raw["stopped"] == "nan":
        conclusion += " On raw values the loss became NaN and training stopped."
    effect = st["val accuracy"] - raw["val accuracy"]
    figures = {"best_val_loss": {r["inputs"]: r["best val loss"] for r in rows},
               "val_accuracy": {r["inputs"]: r["val accuracy"] for r in rows},
               "epochs_to_0.3": {r["inputs"]: r["epochs to val loss <= 0.3"] for r in rows}}
    return figures, [chart], rows, conclusion, effect, {"samples": n, "epochs": epochs, "optimizer": "SGD lr 0.01"}


# --------------------------------------------------------------------------------------------- 2
@experiment("missing-values", 2, "Missing values",
            """
Some measurements are missing. A network cannot read "missing", so we must write a number. Writing 0
works when 0 is not a real value; when it is (here the "balance" column is often exactly 0), the
network cannot tell "missing" from "zero". Adding a "was missing" indicator column keeps that
information, which matters when the fact that a value is missing says something about the answer.
We compare: replace with 0, replace with 0 plus an indicator, and drop the incomplete training rows.
""", lesson="Missing values: fill with 0 when 0 is not meaningful; add an indicator when missingness is informative.",
            claim="a 'was missing' indicator raises test accuracy when missingness is informative", min_effect=0.005,
            unit="accuracy")
def missing_values(ctx):
    from workbench.core.data import Preprocessor

    rng = np.random.default_rng(ctx.seed)
    n = 6000 if ctx.full else 2400
    y = rng.integers(0, 2, n)
    balance = np.where(rng.random(n) < 0.35, 0.0, rng.normal(0.0, 1.0, n))  # 0 is a real, common value
    other = rng.normal(0, 1, (n, 2)) + 0.4 * y[:, None]
    X = np.column_stack([balance, other])
    # informative missingness: the balance is missing far more often for class 1
    miss = rng.random(n) < np.where(y == 1, 0.55, 0.08)
    X[miss, 0] = np.nan
    ds = _table_dataset(X, y, ["balance", "f1", "f2"])
    idx = rng.permutation(n)
    tr, te = idx[: int(0.7 * n)], idx[int(0.7 * n):]
    epochs = 30 if ctx.full else 15
    ctx.plan(3)
    rows, warnings = [], []
    for label, missing, drop in (("replace with 0", "zero", False), ("0 + 'was missing' indicator", "indicator", False),
                                 ("drop incomplete training rows", "zero", True)):
        tr_use = tr[~np.isnan(X[tr, 0])] if drop else tr
        pre = Preprocessor(scale="none", missing=missing).fit(ds, tr_use)
        warnings += [w for w in pre.warnings if w not in warnings]
        f = fit(ctx, pre.transform(ds, tr_use), y[tr_use], pre.transform(ds, te), y[te], task="binary",
                epochs=epochs, batch_size=64, lr=3e-3, hidden=(16,))
        acc = _accuracy(f.predict(pre.transform(ds, te)), y[te])
        rows.append({"strategy": label, "training rows": int(len(tr_use)), "test accuracy": acc,
                     "best val loss": float(np.nanmin(f.curve("val_loss")))})
        ctx.step(label)
    zero, ind, drop = rows
    gain = ind["test accuracy"] - zero["test accuracy"]
    conclusion = (f"With missingness that depends on the class, test accuracy was {zero['test accuracy']:.1%} with zeros "
                  f"only and {ind['test accuracy']:.1%} with the indicator column ({gain:+.1%}). ")
    conclusion += (f"Dropping incomplete rows left {drop['training rows']} of {len(tr)} training rows and scored "
                   f"{drop['test accuracy']:.1%}: it throws away exactly the rows that tell class 1 apart. ")
    zero_warn = [w for w in warnings if "0" in w]
    if zero_warn:
        conclusion += "The preprocessor warned: " + zero_warn[0]
    chart = Chart("Test accuracy by missing-value strategy", "strategy", "test accuracy",
                  [Series(r["strategy"], [i], [r["test accuracy"]], style="points") for i, r in enumerate(rows)])
    ctx.chart(chart)
    figures = {"test_accuracy": {r["strategy"]: r["test accuracy"] for r in rows}, "warnings": warnings,
               "missing_share_class0": float(miss[y == 0].mean()), "missing_share_class1": float(miss[y == 1].mean())}
    return figures, [chart], rows, conclusion, gain, {"samples": n, "epochs": epochs}


# --------------------------------------------------------------------------------------------- 3
def _imdb_split(ctx, n_train, n_val, n_test):
    from workbench.core.data import load_data

    ds = load_data("builtin:imdb")
    rng = np.random.default_rng(ctx.seed)
    idx = rng.permutation(len(ds))
    tr = idx[:n_train]
    va = idx[n_train:n_train + n_val]
    te = idx[n_train + n_val:n_train + n_val + n_test]
    return ds, tr, va, te


def _multi_hot(ds, tr, parts, vocab):
    from workbench.core.data import Preprocessor

    pre = Preprocessor(vocab_size=vocab).fit(ds, tr)
    return [pre.transform(ds, p) for p in parts]


@experiment("vectorization", 3, "Vectorization of text",
            """
A network reads numbers, not words. A classic way to turn a review into numbers is multi-hot
encoding: a vector with one entry per word of a vocabulary, 1 if the word occurs in the review.
The vocabulary is the N most frequent words of the training reviews. Too few words and the network
cannot see "dreadful" or "masterpiece"; more words cost memory and time. We train the same network
on IMDB reviews with several vocabulary sizes.
""", lesson="Vectorize text as multi-hot over the most frequent training words; vocabulary size matters.",
            claim="the largest vocabulary reaches a higher test accuracy than the smallest", min_effect=0.01,
            unit="accuracy")
def vectorization(ctx):
    if ctx.full:
        sizes, (ntr, nva, nte), epochs = (100, 1000, 10000), (15000, 5000, 5000), 6
    else:
        sizes, (ntr, nva, nte), epochs = (30, 300, 3000), (4000, 1000, 2000), 4
    ds, tr, va, te = _imdb_split(ctx, ntr, nva, nte)
    y = ds.y
    ctx.plan(len(sizes))
    rows, curves = [], []
    for v in sizes:
        Xtr, Xva, Xte = _multi_hot(ds, tr, [tr, va, te], v)
        f = fit(ctx, Xtr, y[tr], Xva, y[va], task="binary", epochs=epochs, batch_size=512, lr=1e-3,
                optimizer="rmsprop", hidden=(16, 16), restore_best=True)
        acc = _accuracy(f.predict(Xte), y[te])
        rows.append({"vocabulary": v, "test accuracy": acc, "best val loss": float(np.nanmin(f.curve("val_loss"))),
                     "input floats per review": int(Xtr.shape[1])})
        curves.append(Series(f"{v} words", list(range(1, epochs + 1)), f.curve("val_accuracy")))
        ctx.step(f"vocabulary {v}")
    accs = [r["test accuracy"] for r in rows]
    conclusion = ("Test accuracy by vocabulary size: "
                  + ", ".join(f"{r['vocabulary']} words {r['test accuracy']:.1%}" for r in rows) + ".")
    chart = Chart("Validation accuracy by vocabulary size", "epoch", "validation accuracy", curves)
    bar = Chart("Test accuracy against vocabulary size", "vocabulary size (words)", "test accuracy",
                [Series("test accuracy", [float(s) for s in sizes], accs, style="points")])
    ctx.chart(chart)
    ctx.chart(bar)
    return ({"test_accuracy": dict(zip([str(s) for s in sizes], accs))}, [chart, bar], rows, conclusion, accs[-1] - accs[0],
            {"train": ntr, "val": nva, "test": nte, "epochs": epochs})


# --------------------------------------------------------------------------------------------- 4
@experiment("clock", 4, "Feature engineering: reading a clock",
            """
Reading the time from a photo of a clock is hard for a network that sees only pixels: it must
discover the hands, their length and their angle by itself, which takes a lot of data. If we hand it
the (x, y) coordinates of the hands' tips, it is easier; if we hand it the hands' angles, it is
almost trivial. Good features let a model learn with far less data. We train on the three
representations at several training-set sizes and measure the error in minutes on unseen clocks.
""", lesson="Good features need far less data.",
            claim="with little data, hand angles give a smaller error than raw pixels", min_effect=0.5, unit="min")
def clock(ctx):
    from workbench.core.experiments.clock import (circular_minutes_error, draw_clocks, hand_angles, hand_tips,
                                                  minutes_from_unit_vector)

    sizes = (50, 200, 800, 3200) if ctx.full else (60, 240, 960)
    epochs = 60 if ctx.full else 30
    steps = 1500 if ctx.full else 600
    size = 24
    rng = np.random.default_rng(ctx.seed)
    n_test = 500
    minutes = rng.uniform(0, 720, max(sizes) + n_test)
    imgs = draw_clocks(minutes, size=size, seed=ctx.seed).reshape(len(minutes), -1)
    tips = hand_tips(minutes, size=size) / size
    th, tm = hand_angles(minutes)
    # each hand's angle, written as its direction (sin, cos) so that 11:59 and 12:00 are neighbours
    angles = np.stack([np.sin(th), np.cos(th), np.sin(tm), np.cos(tm)], 1)
    # target: the hour hand as a unit vector (sin, cos), which encodes the time without a wrap-around jump
    target = np.stack([np.sin(th), np.cos(th)], 1).astype(np.float32)
    feats = {"raw pixels": imgs, "hand coordinates": tips, "hand angles": angles}
    test = slice(max(sizes), None)
    ctx.plan(len(sizes) * len(feats))
    err = {k: [] for k in feats}
    rows = []
    for n in sizes:
        for name, F in feats.items():
            # the same number of optimizer steps at every size, so small sets are not also under-trained
            batches = -(-n // 32)
            f = fit(ctx, F[:n], target[:n], None, None, task="regression", epochs=max(epochs, -(-steps // batches)),
                    batch_size=min(32, n), lr=3e-3, hidden=(64, 64))
            pred = minutes_from_unit_vector(f.predict(F[test]).reshape(-1, 2))
            e = float(np.median(circular_minutes_error(pred, minutes[test])))
            err[name].append(e)
            rows.append({"training clocks": n, "features": name, "median error (minutes)": e})
            ctx.step(f"{name}, {n} clocks")
    chart = Chart("Median error against training-set size", "training clocks", "median error (minutes)",
                  [Series(k, [float(s) for s in sizes], v) for k, v in err.items()], log_y=True)
    ctx.chart(chart)
    small = 0
    # how many clocks the pixel model needs to match the angle model's small-data error
    match = next((n for n, e in zip(sizes, err["raw pixels"]) if e <= err["hand angles"][small]), None)
    conclusion = (f"With {sizes[small]} training clocks the median error was {err['raw pixels'][small]:.1f} min from pixels, "
                  f"{err['hand coordinates'][small]:.1f} min from hand coordinates and {err['hand angles'][small]:.1f} min "
                  f"from hand angles. With {sizes[-1]} clocks: {err['raw pixels'][-1]:.1f}, "
                  f"{err['hand coordinates'][-1]:.1f} and {err['hand angles'][-1]:.1f} min. ")
    conclusion += (f"The pixel model needed {match} clocks to do as well as the angle model with {sizes[small]}."
                   if match else f"Even with {sizes[-1]} clocks the pixel model did not reach the angle model's "
                                 f"error at {sizes[small]} clocks.")
    effect = err["raw pixels"][small] - err["hand angles"][small]
    return ({"median_error_minutes": err, "sizes": list(sizes)}, [chart], rows, conclusion, effect,
            {"image size": size, "epochs": epochs, "test clocks": n_test})


# --------------------------------------------------------------------------------------------- 5
@experiment("protocols", 5, "Evaluation protocols on little data",
            """
With little data, the score on one hold-out validation set depends a lot on which samples happened
to land in it. K-fold cross-validation averages K such scores; iterated K-fold with shuffling
averages several K-fold runs. We estimate the same model's accuracy with each protocol, many times
with different shuffles, and compare the spread of the estimates and their distance to the truth,
measured on a large set the protocols never see.
""", lesson="With little data, use K-fold or iterated K-fold instead of a single hold-out split.",
            claim="K-fold estimates spread less over shuffles than hold-out estimates", min_effect=0.002,
            unit="accuracy (std)")
def protocols(ctx):
    from sklearn.datasets import load_breast_cancer
    from sklearn.model_selection import KFold, RepeatedKFold, train_test_split

    data = load_breast_cancer()
    X, y = data.data.astype(np.float32), data.target.astype(np.int64)
    rng = np.random.default_rng(ctx.seed)
    idx = rng.permutation(len(y))
    n_small = 150
    pool, truth = idx[:n_small], idx[n_small:]
    mu, sd = X[pool].mean(0), X[pool].std(0) + 1e-6  # scaling statistics from the small pool only
    Xs = (X - mu) / sd
    seeds = list(range(10 if ctx.full else 5))
    k, reps = 5, (3 if ctx.full else 2)
    epochs = 30

    def score(tr, va):
        f = fit(ctx, Xs[tr], y[tr], None, None, task="binary", epochs=epochs, batch_size=len(tr), lr=0.05,
                hidden=(8,))
        return _accuracy(f.predict(Xs[va]), y[va])

    ctx.plan(len(seeds) * (1 + k + reps * k) + 1)
    est = {"hold-out": [], "K-fold": [], "iterated K-fold": []}
    for s in seeds:
        tr, va = train_test_split(pool, test_size=0.2, random_state=s, stratify=y[pool])
        est["hold-out"].append(score(tr, va))
        ctx.step("hold-out")
        fold_scores = []
        for a, b in KFold(k, shuffle=True, random_state=s).split(pool):
            fold_scores.append(score(pool[a], pool[b]))
            ctx.step("K-fold")
        est["K-fold"].append(float(np.mean(fold_scores)))
        it_scores = []
        for a, b in RepeatedKFold(n_splits=k, n_repeats=reps, random_state=1000 + s).split(pool):
            it_scores.append(score(pool[a], pool[b]))
            ctx.step("iterated K-fold")
        est["iterated K-fold"].append(float(np.mean(it_scores)))
    true_score = score(pool, truth)
    ctx.step("truth")
    rows = [{"protocol": p, "mean estimate": float(np.mean(v)), "spread (std over shuffles)": float(np.std(v)),
             "mean distance to truth": float(np.mean(np.abs(np.array(v) - true_score))), "trainings per estimate":
             {"hold-out": 1, "K-fold": k, "iterated K-fold": k * reps}[p]} for p, v in est.items()]
    spread = {r["protocol"]: r["spread (std over shuffles)"] for r in rows}
    conclusion = (f"Accuracy on {len(truth)} never-seen samples (the truth): {true_score:.1%}. Over {len(seeds)} "
                  f"shuffles of {n_small} samples, the hold-out estimate spread by ±{spread['hold-out']:.1%}, K-fold by "
                  f"±{spread['K-fold']:.1%}, iterated K-fold ({reps}×{k}) by ±{spread['iterated K-fold']:.1%}. ")
    chart = Chart("Estimated accuracy per shuffle", "shuffle", "estimated accuracy",
                  [Series(p, [float(s) for s in seeds], v, style="points") for p, v in est.items()]
                  + [Series("truth", [float(seeds[0]), float(seeds[-1])], [true_score, true_score], style="dash")])
    ctx.chart(chart)
    return ({"truth": true_score, "estimates": est, "spread": spread}, [chart], rows, conclusion,
            spread["hold-out"] - spread["K-fold"],
            {"pool": n_small, "k": k, "repeats": reps, "shuffles": len(seeds)})


# --------------------------------------------------------------------------------------------- 6
@experiment("validation-overfit", 6, "Overfitting the validation set",
            """
Every time we pick a setting because it scored best on the validation set, a little information
about the validation set leaks into the model. Try enough settings and one will look good by luck.
We run many trials with random settings, keep the one with the best validation score, and compare
that score with the same model's score on a test set that no decision ever looked at.
""", lesson="Keep a test set that no decision ever looks at.",
            claim="the validation-picked model scores lower on the untouched test set than on validation",
            min_effect=0.01, unit="accuracy")
def validation_overfit(ctx):
    rng = np.random.default_rng(ctx.seed)
    d = 20
    w = rng.normal(0, 1, d)
    n_tr, n_va, n_te = 200, 60, 4000

    def make(n):
        X = rng.normal(0, 1, (n, d)).astype(np.float32)
        logits = X @ w * 0.35 + rng.normal(0, 1.5, n)
        return X, (logits > 0).astype(np.int64)

    Xtr, ytr = make(n_tr)
    Xva, yva = make(n_va)
    Xte, yte = make(n_te)
    n_trials = 40 if ctx.full else 16
    ctx.plan(n_trials)
    # the search engine's random sampler (each trial from its own seed, as separate experiments
    # would be); the test set is not part of the search: it is scored afterwards, for the lesson
    from workbench.core.models import default_head
    from workbench.core.tuning import SearchSettings
    from workbench.core.tuning.search import arrays_study, fold_model

    settings = SearchSettings("layers.1.units=4,16,64; lr=log(0.001,0.0316); epochs=int(5,29)", n_trials=n_trials,
                              sampler="random", seed=ctx.seed, seed_policy="per-trial", cluster="inline",
                              keep_weights=True)
    res = arrays_study(np.concatenate([Xtr, Xva]), np.concatenate([ytr, yva]),
                       [(np.arange(n_tr), np.arange(n_tr, n_tr + n_va))], task="binary", spec=dense_spec((16,)),
                       train={"batch_size": 32, "seed": ctx.seed * 1000, "restore_best": False, "amp": False},
                       settings=settings, device=ctx.device, should_cancel=ctx._should_cancel,
                       on_event=lambda e: ctx.step(f"trial {e['row']['number'] + 1}") if e["kind"] == "trial" else None)
    ctx.check_cancel()
    head = default_head("binary")
    trials = []
    for row in sorted((r for r in res.trials if r["state"] == "complete"), key=lambda r: r["number"]):
        f = fold_model(res.outcomes[row["number"]][0], (d,), (1,), head)
        p = row["params"]
        trials.append({"trial": row["number"] + 1, "units": p["layers.1.units"], "lr": p["lr"], "epochs": p["epochs"],
                       "val accuracy": row["value"], "test accuracy": _accuracy(f.predict(Xte), yte)})
    n_trials = len(trials)
    best_val, best_test, counts = [], [], []
    for n in range(1, n_trials + 1):
        b = max(trials[:n], key=lambda r: r["val accuracy"])
        counts.append(n)
        best_val.append(b["val accuracy"])
        best_test.append(b["test accuracy"])
    gap = best_val[-1] - best_test[-1]
    mean_gap = float(np.mean([r["val accuracy"] - r["test accuracy"] for r in trials]))
    conclusion = (f"After {n_trials} trials the best validation accuracy was {best_val[-1]:.1%}; the same model "
                  f"scored {best_test[-1]:.1%} on the untouched test set, a gap of {gap:+.1%} (an average trial's "
                  f"validation score is off by {mean_gap:+.1%}).")
    chart = Chart("Best validation score vs its test score", "trials so far", "accuracy",
                  [Series("best validation accuracy", [float(c) for c in counts], best_val),
                   Series("its test accuracy", [float(c) for c in counts], best_test)])
    ctx.chart(chart)
    return ({"best_val": best_val, "best_test": best_test, "gap": gap, "mean_trial_gap": mean_gap}, [chart], trials,
            conclusion, gap, {"train": n_tr, "val": n_va, "test": n_te, "trials": n_trials})


# --------------------------------------------------------------------------------------------- 7
@experiment("arrow-of-time", 7, "The arrow of time",
            """
To predict tomorrow from the past, a model must be judged on data that comes after its training
data. If we shuffle a time series before splitting, the validation samples sit between training
samples, and the model "predicts" days it has effectively seen around. We compare a shuffled split
with a time-ordered split on a drifting series, and check both estimates against the real future.
""", lesson="Never shuffle time series before splitting: validate on the latest data.",
            claim="the shuffled split promises a lower error than the deployed model makes on the real future",
            min_effect=0.02,
            unit="MAE", repeats_inside=True)
def arrow_of_time(ctx):
    n = 3000 if ctx.full else 1500
    future = n // 5  # the same horizon as a time-ordered validation set of 20 %
    n_series = 5 if ctx.full else 3
    epochs = 60 if ctx.full else 30
    ctx.plan(3 * n_series)
    est = {"shuffled": [], "time-ordered": []}
    fut = []
    for r in range(n_series):
        rng = np.random.default_rng(ctx.seed * 100 + r)
        total = n + future
        t = np.arange(total)
        # a hidden level that drifts slowly (a random walk), plus the effect of two observed inputs
        level = np.cumsum(rng.normal(0, 0.06, total))
        x = rng.normal(0, 1, (total, 2))
        y_all = (level + 0.8 * x[:, 0] - 0.5 * x[:, 1] + rng.normal(0, 0.2, total)).astype(np.float32)
        # the date is a feature, as in many real tables: neighbours in time share the hidden level
        X = np.column_stack([t / total, x])
        mu, sd = X[:n].mean(0), X[:n].std(0) + 1e-6
        X = ((X - mu) / sd).astype(np.float32)
        Xp, yp, Xf, yf = X[:n], y_all[:n], X[n:], y_all[n:]
        n_va = n // 5
        perm = rng.permutation(n)
        splits = {"shuffled": (perm[n_va:], perm[:n_va]), "time-ordered": (np.arange(n - n_va), np.arange(n - n_va, n))}
        for name, (tr, va) in splits.items():
            f = fit(ctx, Xp[tr], yp[tr], None, None, task="regression", epochs=epochs, batch_size=64, lr=3e-3,
                    hidden=(32, 32), seed=ctx.seed + r)
            est[name].append(float(np.mean(np.abs(f.predict(Xp[va]).reshape(-1) - yp[va]))))
            ctx.step(f"series {r + 1}: {name} split")
        # the model a user would deploy: trained on all the past, judged on what came next
        f = fit(ctx, Xp, yp, None, None, task="regression", epochs=epochs, batch_size=64, lr=3e-3, hidden=(32, 32),
                seed=ctx.seed + r)
        fut.append(float(np.mean(np.abs(f.predict(Xf).reshape(-1) - yf))))
        ctx.step(f"series {r + 1}: the real future")
    future_mae = float(np.mean(fut))
    rows = [{"split": k, "estimated error (MAE)": float(np.mean(v)), "error on the real future (MAE)": future_mae,
             "underestimate": future_mae - float(np.mean(v))} for k, v in est.items()]
    sh, to = rows
    # the leak is a bias: the shuffled estimate sits below the real future's error series after series
    # (the time-ordered estimate is unbiased on average but, one validation window of a random walk,
    # noisy per series: the conclusion reports its average error beside the shuffled one)
    per_series = [f - s for s, f in zip(est["shuffled"], fut)]
    conclusion = (f"Averaged over {n_series} drifting series, the deployed model's error on the next {future} steps was "
                  f"{future_mae:.3f}. The shuffled split had promised {sh['estimated error (MAE)']:.3f} "
                  f"(off by {sh['underestimate']:+.3f}); the time-ordered split estimated {to['estimated error (MAE)']:.3f} "
                  f"(off by {to['underestimate']:+.3f}). ")
    chart = Chart("Estimated vs real-future error", "series", "MAE",
                  [Series("shuffled split estimate", [float(i + 1) for i in range(n_series)], est["shuffled"], style="points"),
                   Series("time-ordered estimate", [float(i + 1) for i in range(n_series)], est["time-ordered"], style="points"),
                   Series("real future", [float(i + 1) for i in range(n_series)], fut, style="points")])
    ctx.chart(chart)
    return ({"shuffled": {"estimated": sh["estimated error (MAE)"], "future": future_mae},
             "time-ordered": {"estimated": to["estimated error (MAE)"], "future": future_mae},
             "per_series": {"shuffled": est["shuffled"], "time-ordered": est["time-ordered"], "future": fut}},
            [chart], rows, conclusion, Repeated(per_series, "series"),
            {"series length": n, "future steps": future, "series": n_series})


# --------------------------------------------------------------------------------------------- 8
@experiment("redundancy", 8, "Redundancy: duplicates across splits",
            """
Real data sets often hold the same sample several times (the same photo uploaded twice, the same
customer row exported twice). If copies land in both the training and the test split, the test
measures memory, not generalization. We train on digits where each image appears several times,
once with a plain random split and once after the split plan removes the duplicates shared by
training and test.
""", lesson="Remove duplicates shared by training and test sets.",
            claim="duplicates shared by training and test inflate the test accuracy", min_effect=0.01, unit="accuracy")
def redundancy(ctx):
    from sklearn.datasets import load_digits

    from workbench.core.data import Dataset, SplitPlan

    d = load_digits()
    rng = np.random.default_rng(ctx.seed)
    base_n = 1797 if ctx.full else 900
    pick = rng.permutation(len(d.target))[:base_n]
    X0, y0 = d.data[pick].astype(np.float32) / 16.0, d.target[pick].astype(np.int64)
    flip = rng.random(base_n) < 0.25  # noisy labels: only memory can get these right
    y0 = np.where(flip, rng.integers(0, 10, base_n), y0)
    copies = 3
    X = np.repeat(X0, copies, axis=0)
    y = np.repeat(y0, copies)
    ds = Dataset(name="digits-with-duplicates", kind="table", X=X.astype(np.float64), y=y,
                 class_names=[str(i) for i in range(10)], feature_names=[f"px{i}" for i in range(64)])
    epochs = 60 if ctx.full else 40
    ctx.plan(2)
    rows = []
    for label, drop in (("random split, duplicates shared", False), ("duplicates removed from training", True)):
        plan = SplitPlan(kind="holdout", val=0.0, test=0.25, stratify=False, seed=ctx.seed, drop_duplicates=drop)
        sp = plan.make(ds)
        tr, te = sp.folds[0].train_idx, sp.test_idx
        f = fit(ctx, X[tr], y[tr], None, None, task="multiclass", epochs=epochs, batch_size=64, lr=3e-3,
                hidden=(256,), n_classes=10)
        rows.append({"split": label, "test accuracy": _accuracy(f.predict(X[te]), y[te]),
                     "training samples": int(len(tr)), "test samples": int(len(te)),
                     "duplicate groups across splits": int(len(sp.leaks))})
        ctx.step(label)
    shared, clean = rows
    conclusion = (f"{shared['duplicate groups across splits']} duplicate groups sat on both sides of the random split. "
                  f"Its test accuracy was {shared['test accuracy']:.1%}; with the shared duplicates removed from training "
                  f"it was {clean['test accuracy']:.1%}.")
    chart = Chart("Test accuracy with and without shared duplicates", "split", "test accuracy",
                  [Series(r["split"], [float(i)], [r["test accuracy"]], style="points") for i, r in enumerate(rows)])
    ctx.chart(chart)
    return ({"test_accuracy": {r["split"]: r["test accuracy"] for r in rows}}, [chart], rows, conclusion,
            shared["test accuracy"] - clean["test accuracy"],
            {"unique images": base_n, "copies": copies, "label noise": 0.25, "epochs": epochs})
