"""Day'n'Night worksheet: the slide's questions (Data? Split? Bias? Input? Resolution? Output?
Architecture? Loss?), each answered by training the shallow CNN (or the candidate) on generated
scenes of the case study, with the hard scenes (dusk, dawn, overcast days, bright city nights) in
the test set the app will meet.

Every answer of a question trains on the same scenes for a given seed (the data are cached per
seed), so the answers differ only by the choice asked about.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from workbench.core.experiments.base import Chart, Series
from workbench.core.worksheets.base import Answer, AnswerRun, Picture, Question, Worksheet, register_worksheet

# training images, test images, epochs, training side (px), batch size; tests may shrink FAST
FAST = {"n_train": 800, "n_test": 500, "epochs": 5, "size": 32, "batch": 32}
FULL = {"n_train": 2000, "n_test": 800, "epochs": 8, "size": 64, "batch": 32}
HARD_TRAIN = 0.3   # share of hard scenes in the training set (the "every kind of scene" mix)
HARD_TEST = 0.5    # share of hard scenes in the scenes the app will meet


def _cfg(ctx) -> dict:
    return FULL if ctx.full else FAST


@lru_cache(maxsize=12)
def _scenes(n: int, size: int, hard_share: float, seed: int, balance: float = 0.5):
    from workbench.core.studies.daynight.data import generate_dataset

    ds = generate_dataset(n, size, balance=balance, hard_share=hard_share, seed=seed, workers=1)
    ds.X.setflags(write=False)
    return ds.X, ds.y.astype(np.float32), np.asarray(ds.groups, dtype=object)


def _train_set(ctx, hard_share: float = HARD_TRAIN, n: int | None = None, balance: float = 0.5):
    c = _cfg(ctx)
    return _scenes(int(n or c["n_train"]), 64, hard_share, 1000 * ctx.seed + 1, balance)


def _test_set(ctx, hard_share: float = HARD_TEST):
    return _scenes(_cfg(ctx)["n_test"], 64, hard_share, 1000 * ctx.seed + 2)


def _inputs(X: np.ndarray, size: int, mode: str = "rgb") -> np.ndarray:
    from workbench.core.studies.daynight.model import to_inputs

    x = to_inputs(X, size)
    if mode == "grey":
        return x.mean(axis=1, keepdims=True)
    if mode == "brightness":
        return x.mean(axis=(1, 2, 3))[:, None]
    return x


def _spec(arch: str, size: int):
    from workbench.core.models import LayerSpec as L, ModelSpec

    if arch == "cnn":
        from workbench.core.studies.daynight.model import model_spec

        return model_spec()
    if arch == "mlp":
        return ModelSpec([L.make("Flatten"), L.make("Dense", units=64, activation="relu"),
                          L.make("Dense", units=64, activation="relu")], name="mlp")
    if arch == "pretrained":
        return ModelSpec([L.make("Pretrained", backbone="mobilenet_v2", size=max(size, 64)),
                          L.make("Dense", units=64, activation="relu")], name="pretrained")
    if arch == "tiny":  # the one-number input: a small dense network
        return ModelSpec([L.make("Dense", units=8, activation="relu")], name="tiny")
    raise ValueError(arch)


def _fit_and_score(ctx, *, size=None, mode="rgb", arch="cnn", activation="sigmoid", loss="bce",
                   train=None, test=None, epochs=None, val_on=None):
    """Train one candidate on the training scenes, score it on the test scenes.

    Returns (p_day-like probability of night per test image, accuracy, the TrainedModel, seconds)."""
    import time

    from workbench.core.experiments.common import fit
    from workbench.core.models import Head

    c = _cfg(ctx)
    size = int(size or c["size"])
    Xtr, ytr, _ = train if train is not None else _train_set(ctx)
    Xte, yte, _ = test if test is not None else _test_set(ctx)
    xtr, xte = _inputs(Xtr, size, mode), _inputs(Xte, size, mode)
    head = Head("binary", activation, loss)
    n_out = 1
    t0 = time.process_time()
    n_epochs = int(epochs or c["epochs"])
    if mode == "brightness":  # one number: a tiny network, given many cheap epochs to find its best threshold
        n_epochs *= 8
    tm = fit(ctx, xtr, ytr, xte, yte, task="binary", spec=_spec(arch if mode != "brightness" else "tiny", size),
             head=head, epochs=n_epochs, batch_size=c["batch"], lr=2e-3, n_classes=n_out)
    secs = time.process_time() - t0
    p = np.asarray(tm.predict(xte), np.float64).reshape(len(xte), -1)[:, 0]
    acc = float(((p >= 0.5).astype(np.float32) == yte).mean())
    return p, acc, tm, secs


def _curve_chart(tm, label: str) -> Chart:
    h = tm.history
    xs = [float(r.get("epoch", i + 1)) for i, r in enumerate(h)]
    series = [Series("training loss", xs, [float(r.get("loss", np.nan)) for r in h])]
    if h and "val_accuracy" in h[0]:
        series.append(Series("test accuracy", xs, [float(r.get("val_accuracy", np.nan)) for r in h], "dash"))
    return Chart(f"{label}: training", "epoch", "loss / accuracy", series)


def mosaic(images: np.ndarray, ok: np.ndarray | None = None, cols: int = 8, side: int = 48) -> np.ndarray:
    """A grid of images (uint8), each framed green when ``ok`` and red when not."""
    from workbench.core.studies.daynight.model import resize_images

    imgs = resize_images(np.asarray(images)[: cols * 2], side)
    n = len(imgs)
    rows = max(1, (n + cols - 1) // cols)
    out = np.full((rows * (side + 4), cols * (side + 4), 3), 255, np.uint8)
    for i, im in enumerate(imgs):
        r, c = divmod(i, cols)
        y, x = r * (side + 4), c * (side + 4)
        if ok is not None:
            out[y:y + side + 4, x:x + side + 4] = (40, 160, 60) if ok[i] else (210, 40, 40)
        out[y + 2:y + 2 + side, x + 2:x + 2 + side] = im
    return out


def _picture(title: str, Xte, yte, p, hard_first: np.ndarray | None = None) -> Picture:
    """The test scenes the answer got wrong first (red), then right ones (green)."""
    pred = (p >= 0.5).astype(np.float32)
    ok = pred == yte
    order = np.concatenate([np.flatnonzero(~ok), np.flatnonzero(ok)])[:16]
    return Picture(title, mosaic(Xte[order], ok[order]))


def _binary_log_loss(p, y, eps=1e-3) -> float:
    p = np.clip(np.nan_to_num(p, nan=0.5), eps, 1 - eps)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _hard_accuracy(p, y, groups) -> float:
    from workbench.core.studies.daynight.scenes import HARD_GROUPS

    hard = np.isin(groups, sum(HARD_GROUPS.values(), []))
    return float(((p[hard] >= 0.5) == y[hard]).mean()) if hard.any() else float("nan")


# --------------------------------------------------------------------------------------- questions
def _simple(ctx, title, **kw) -> AnswerRun:
    Xte, yte, gte = _test_set(ctx)
    p, acc, tm, secs = _fit_and_score(ctx, **kw)
    hard = _hard_accuracy(p, yte, gte)
    return AnswerRun(acc, f"{title}: test accuracy {acc:.3f} (hard scenes {hard:.3f}), "
                          f"{secs:.1f} CPU-s of training.",
                     [_curve_chart(tm, title)], [_picture(f"{title}: test scenes, mistakes first", Xte, yte, p)],
                     {"hard-scene accuracy": hard, "train CPU-s": secs})


def run_data(ctx, key):
    n = {"30": 30, "all": None}[key]
    label = "30 images" if n else f"{_cfg(ctx)['n_train']} images"
    return _simple(ctx, label, train=_train_set(ctx, n=n) if n else None)


_BIASED: dict = {}


def _biased_model(ctx):
    """One model trained on the easy scenes only (the biased collection), shared by the Split answers."""
    key = (ctx.seed, tuple(sorted(_cfg(ctx).items())))
    if key not in _BIASED:
        if len(_BIASED) > 4:
            _BIASED.clear()
        _BIASED[key] = _fit_and_score(ctx, train=_train_set(ctx, hard_share=0.0), test=_test_set(ctx))
    return _BIASED[key]


def run_split(ctx, key):
    """Train on a biased collection (easy scenes only); estimate the accuracy with a test split drawn
    from it ("same") or from the scenes the app will meet ("target"); the metric is how far the
    estimate is from the accuracy on the scenes the app will meet."""
    c = _cfg(ctx)
    Xte, yte, _ = _test_set(ctx)
    p_world, acc_world, tm, _ = _biased_model(ctx)
    if key == "same":
        Xs, ys, _ = _scenes(c["n_test"], 64, 0.0, 1000 * ctx.seed + 3)  # more of the same easy collection
        p = np.asarray(tm.predict(_inputs(Xs, c["size"])), np.float64).reshape(-1)
        est, what = float(((p >= 0.5) == ys).mean()), "a split of the same easy collection"
        pic = _picture("test split: scenes like the training ones", Xs, ys, p)
    else:  # another draw of scenes like those the app will meet
        Xs, ys, _ = _scenes(c["n_test"], 64, HARD_TEST, 1000 * ctx.seed + 4)
        p = np.asarray(tm.predict(_inputs(Xs, c["size"])), np.float64).reshape(-1)
        est, what = float(((p >= 0.5) == ys).mean()), "a test split drawn like the scenes the app will meet"
        pic = _picture("test split: scenes like those the app will meet, mistakes first", Xs, ys, p)
    err = abs(est - acc_world)
    return AnswerRun(err, f"With {what} the test accuracy reads {est:.3f}; on the scenes the app will meet the "
                          f"model scores {acc_world:.3f}: the estimate is off by {err:.3f}.",
                     [_curve_chart(tm, "model trained on easy scenes")], [pic],
                     {"estimated accuracy": est, "real accuracy": acc_world})


def run_bias(ctx, key):
    hard, balance = {"easy": (0.0, 0.5), "mix": (HARD_TRAIN, 0.5), "days": (HARD_TRAIN, 0.95)}[key]
    title = {"easy": "easy scenes only", "mix": "every kind of scene", "days": "95 % day images"}[key]
    Xte, yte, gte = _test_set(ctx)
    p, acc, tm, secs = _fit_and_score(ctx, train=_train_set(ctx, hard_share=hard, balance=balance))
    night_acc = float(((p >= 0.5) == yte)[yte == 1].mean())
    return AnswerRun(acc, f"Trained on {title}: accuracy {acc:.3f} on the scenes the app will meet "
                          f"(hard ones {_hard_accuracy(p, yte, gte):.3f}, nights {night_acc:.3f}).",
                     [_curve_chart(tm, title)], [_picture(f"{title}: test scenes, mistakes first", Xte, yte, p)],
                     {"hard-scene accuracy": _hard_accuracy(p, yte, gte), "night accuracy": night_acc})


def run_input(ctx, key):
    title = {"rgb": "colour image", "grey": "grey image", "brightness": "mean brightness"}[key]
    return _simple(ctx, title, mode=key)


def run_resolution(ctx, key):
    return _simple(ctx, f"{key} px", size=int(key))


def run_output(ctx, key):
    act, loss = {"sigmoid": ("sigmoid", "bce"), "softmax": ("softmax", "cce"), "none": ("none", "mse")}[key]
    title = {"sigmoid": "sigmoid", "softmax": "softmax over one output", "none": "no activation"}[key]
    Xte, yte, _ = _test_set(ctx)
    p, acc, tm, secs = _fit_and_score(ctx, activation=act, loss=loss)
    ll = _binary_log_loss(p, yte)
    outside = float(((p < 0) | (p > 1)).mean())
    return AnswerRun(ll, f"{title}: test log loss {ll:.3f}, accuracy {acc:.3f}; outputs range "
                         f"{np.nanmin(p):.2f}..{np.nanmax(p):.2f} ({outside:.0%} outside [0, 1]).",
                     [_curve_chart(tm, title)], [_picture(f"{title}: test scenes, mistakes first", Xte, yte, p)],
                     {"accuracy": acc, "share outside [0, 1]": outside})


def run_architecture(ctx, key):
    title = {"cnn": "shallow CNN", "mlp": "MLP on the pixels", "pretrained": "pretrained MobileNetV2"}[key]
    return _simple(ctx, title, arch=key)


def run_loss(ctx, key):
    title = {"bce": "binary cross-entropy", "mse": "mean squared error", "mae": "mean absolute error"}[key]
    return _simple(ctx, title, loss=key, epochs=max(2, _cfg(ctx)["epochs"] // 2))


def _q(slug, topic, text, answers, run, explanation, metric="test accuracy", unit="", higher=True, min_effect=0.02):
    return Question(f"daynight.{slug}", topic, text, tuple(Answer(k, lbl, ok) for k, lbl, ok in answers), metric,
                    unit, higher, min_effect, run, " ".join(explanation.split()))


WORKSHEET = register_worksheet(Worksheet("daynight", "daynight", "Day'n'Night: design questions", (
    _q("data", "Data", "How many labelled images does the shallow CNN need?",
       [("30", "a few dozen", False), ("all", "thousands (the slide: ~10,000)", True)], run_data,
       """A few dozen images cannot cover dusk, dawn, overcast days and bright city nights: the network fits
       the few it saw. With thousands it meets each kind of scene often enough to learn the sky, not the
       picture. The slide asks for about 10,000."""),
    _q("split", "Split", "Where should the test images come from?",
       [("same", "a random part of the collection we trained on", False),
        ("target", "scenes like those the app will meet", True)], run_split,
       """A collection of easy scenes (clear days, dark nights) gives a test split of easy scenes, and the
       model looks nearly perfect there. Only a test set drawn like the scenes the app will meet (dusk,
       dawn, overcast, city lights) tells how it will do: the biased split hides the bias.""",
       metric="error of the estimated accuracy", higher=False),
    _q("bias", "Bias", "What must the training images contain?",
       [("easy", "clear days and dark nights (easy to label)", False),
        ("mix", "every kind of scene, hard ones included, half day half night", True),
        ("days", "mostly day images (95 %), as a daytime camera collects them", False)], run_bias,
       """A model learns the scenes it is shown: trained on easy scenes it calls a bright city night
       "day" and an overcast day "night". The training set must hold the hard cases, and both classes in
       similar numbers, or the model leans to the majority."""),
    _q("input", "Input", "What should the network see?",
       [("rgb", "the colour image", True), ("grey", "the grey image", False),
        ("brightness", "the mean brightness (one number)", False)], run_input,
       """Mean brightness alone already gets most scenes right (most nights are dark), but it misses the
       hard ones: an overcast day is dim and a city night is bright. The colour of the sky (blue, grey,
       orange glow) and the lit windows are what tell those apart, so the input is the colour image;
       the grey image keeps the shapes but loses the colour."""),
    _q("resolution", "Resolution", "Which input resolution?",
       [("16", "16 x 16 px", False), ("32", "32 x 32 px", False), ("64", "64 x 64 px (the slide)", True)],
       run_resolution,
       """The slide picks 64 x 64 x 3: the smallest size at which a person still tells day from night on
       the hard scenes (lit windows, stars). Smaller trains faster; where it loses accuracy, the detail
       it drops mattered. Each answer's training time is shown beside its accuracy.""", min_effect=0.01),
    _q("output", "Output", "Which last activation?",
       [("sigmoid", "sigmoid: one probability of night", True),
        ("softmax", "softmax over the one output", False),
        ("none", "none: the raw score, trained with squared error", False)], run_output,
       """The output is one probability, y = 0 (day) or 1 (night): a sigmoid maps the score into (0, 1).
       A softmax over a single output is always exactly 1, so the network never learns; without an
       activation the outputs leave [0, 1] and are not probabilities (their log loss shows it).""",
       metric="test log loss", higher=False, min_effect=0.02),
    _q("architecture", "Architecture", "Which network?",
       [("cnn", "a shallow CNN (the slide)", True), ("mlp", "an MLP on the pixels", False),
        ("pretrained", "a pretrained MobileNetV2 backbone", False)], run_architecture,
       """A shallow convolutional network is enough for day and night: a few filters read the sky's
       colour and the lights anywhere in the image. An MLP must learn every position apart. A large
       pretrained backbone can do as well but costs far more to run; the slide's point is that the
       task is simple enough for a small network."""),
    _q("loss", "Loss", "Which loss?",
       [("bce", "binary cross-entropy (log loss)", True), ("mse", "mean squared error", False),
        ("mae", "mean absolute error", False)], run_loss,
       """With a sigmoid output, the log loss's gradient is (p - y): large when the model is confidently
       wrong, so it learns fast. Squared or absolute error on a sigmoid have gradients that vanish when
       the sigmoid saturates, so a confidently wrong model barely moves (trained here for few epochs to
       show the speed)."""),
)))
