"""Metrics, the dumb baseline and the overfitting / underfitting / baseline diagnosis."""
import numpy as np
import pytest
from sklearn import metrics as skm

from workbench.core.training import baseline_scores, compute_metrics, diagnose


def test_binary_and_multiclass_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    p = np.clip(y * 0.6 + rng.uniform(0, 0.5, 200), 0, 1)
    m = compute_metrics("binary", y, p[:, None])
    pred = (p >= 0.5).astype(int)
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["f1"] == pytest.approx(skm.f1_score(y, pred))
    assert m["auc"] == pytest.approx(skm.roc_auc_score(y, p))
    yk = rng.integers(0, 4, 300)
    P = rng.dirichlet(np.ones(4), 300)
    P[np.arange(300), yk] += 0.5
    P /= P.sum(1, keepdims=True)
    mk = compute_metrics("multiclass", yk, P)
    assert mk["f1"] == pytest.approx(skm.f1_score(yk, P.argmax(1), average="macro"))
    assert mk["auc"] == pytest.approx(skm.roc_auc_score(yk, P, multi_class="ovr", average="macro"))
    # a class missing from this split: AUC is undefined, not an error
    assert compute_metrics("multiclass", np.zeros(5, int), np.full((5, 3), 1 / 3))["auc"] is None
    assert compute_metrics("regression", np.array([1.0, 2.0]), np.array([[1.5], [2.5]]))["mae"] == 0.5


def test_baseline_predicts_the_training_majority_and_mean():
    y_train = np.array([0] * 70 + [1] * 30)
    y_eval = np.array([0] * 6 + [1] * 4)
    b = baseline_scores("binary", y_train, y_eval)
    assert b["accuracy"] == pytest.approx(0.6) and b["prediction"] == 0 and b["auc"] == pytest.approx(0.5)
    bm = baseline_scores("multiclass", np.array([2, 2, 2, 1, 0]), np.array([2, 1, 0, 2]))
    assert bm["accuracy"] == pytest.approx(0.5) and bm["prediction"] == 2
    br = baseline_scores("regression", np.array([1.0, 2.0, 3.0, 10.0]), np.array([4.0, 0.0]))
    assert br["prediction"] == [4.0] and br["mae"] == pytest.approx(2.0)
    assert baseline_scores("regression", np.array([1.0, 2.0, 3.0, 10.0]), np.array([2.5]), strategy="median")["mae"] == 0


def _hist(train, val, acc=None, val_acc=None):
    out = []
    for i, (t, v) in enumerate(zip(train, val)):
        h = {"epoch": i + 1, "loss": t, "val_loss": v}
        if acc is not None:
            h["accuracy"], h["val_accuracy"] = acc[i], val_acc[i]
        out.append(h)
    return out


def test_overfitting_starts_where_validation_loss_bottoms_out():
    train = [0.6, 0.4, 0.3, 0.22, 0.16, 0.12, 0.08, 0.05]
    val = [0.55, 0.40, 0.33, 0.30, 0.34, 0.38, 0.45, 0.52]
    d = diagnose(_hist(train, val), task="binary")
    assert d.overfit_epoch == 4
    assert "Overfitting starts at epoch 4" in d.text and "0.3000" in d.text and "0.5200" in d.text
    assert [r.split()[0] for r in d.remedies[:4]] == ["Get", "Use", "Add", "Add"]
    assert "more training data" in d.remedies[0] and "smaller" in d.remedies[1]
    assert "L2" in d.remedies[2] and "dropout" in d.remedies[3]
    assert not d.underfitting


def test_noise_after_the_minimum_is_not_called_overfitting():
    train = [0.6, 0.4, 0.3, 0.25, 0.22, 0.20, 0.19, 0.18]
    val = [0.55, 0.40, 0.33, 0.30, 0.31, 0.30, 0.305, 0.302]  # wobbles within 5%
    d = diagnose(_hist(train, val), task="binary")
    assert d.overfit_epoch is None and "No overfitting" in d.text
    # a single bad epoch is not enough either
    d2 = diagnose(_hist(train, [0.55, 0.40, 0.33, 0.30, 0.40, 0.30, 0.305, 0.302]), task="binary")
    assert d2.overfit_epoch is None


def test_underfitting_and_the_baseline_are_diagnosed():
    train = [1.0, 0.9, 0.8, 0.7, 0.6]
    val = [1.0, 0.92, 0.83, 0.74, 0.66]
    base = {"accuracy": 0.5}
    d = diagnose(_hist(train, val, [0.55, 0.6, 0.65, 0.7, 0.75], [0.55, 0.6, 0.64, 0.7, 0.72]), base, task="binary")
    assert d.underfitting and "still falling" in d.text
    assert d.beats_baseline is True and "beats the baseline" in d.text
    flat = diagnose(_hist([0.69] * 5, [0.69] * 5, [0.5] * 5, [0.49] * 5), base, task="binary")
    assert flat.beats_baseline is False and "does not beat the baseline" in flat.text
    assert flat.underfitting and "no better than the baseline" in flat.text
    reg = diagnose([{"epoch": 1, "loss": 1.0, "val_loss": 1.0, "mae": 2.0, "val_mae": 1.5}],
                   {"mae": 1.0}, task="regression")
    assert reg.beats_baseline is False
    with_test = diagnose(_hist(train, val), base, task="binary", scores={"accuracy": 0.9})
    assert with_test.beats_baseline is True and "test accuracy 0.9000" in with_test.text


def test_epoch_metrics_equal_scikit_learns_on_random_and_tied_predictions():
    """The per-epoch precision, recall, F1 and AUC are counted directly (fast), and agree with
    scikit-learn's definitions, ties, classes never predicted and binary outputs included."""
    import numpy as np
    from sklearn import metrics as skm

    from workbench.core.training.metrics import compute_metrics

    rng = np.random.default_rng(3)
    for k in (2, 3, 7):
        for trial in range(5):
            y = rng.integers(0, k, 200)
            y[:k] = np.arange(k)
            P = rng.random((200, k)).round(1 if trial % 2 else 6) + 1e-3  # rounding makes ties
            P /= P.sum(axis=1, keepdims=True)
            if trial == 4:
                P[:, 0] += 5  # class 0 always predicted: the others never are
                P /= P.sum(axis=1, keepdims=True)
            got = compute_metrics("multiclass", y, P)
            pred = P.argmax(1)
            pr, rc, f1, _ = skm.precision_recall_fscore_support(y, pred, labels=np.arange(k), average="macro",
                                                                zero_division=0)
            auc = skm.roc_auc_score(y, P[:, 1]) if k == 2 else skm.roc_auc_score(y, P, multi_class="ovr")
            assert np.allclose([got["precision"], got["recall"], got["f1"], got["auc"]], [pr, rc, f1, auc])
    y = rng.integers(0, 2, 300)
    p = rng.random(300).round(1)
    got = compute_metrics("binary", y, p)
    pr, rc, f1, _ = skm.precision_recall_fscore_support(y, (p >= 0.5).astype(int), average="binary", zero_division=0)
    assert np.allclose([got["precision"], got["recall"], got["f1"], got["auc"]], [pr, rc, f1, skm.roc_auc_score(y, p)])
    assert compute_metrics("binary", np.zeros(5, int), np.full(5, 0.2))["auc"] is None  # one class: no AUC
