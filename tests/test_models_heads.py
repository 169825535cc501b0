"""Problem types, the head/loss table, its warnings and the loss computations."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from workbench.core.errors import SpecError, TrainingError
from workbench.core.models import TASKS, Head, check_head, default_head, infer_task


@pytest.mark.parametrize("y, names, task", [
    (np.array([0, 1, 1, 0]), ["neg", "pos"], "binary"),
    (np.array([0, 1, 1, 0]), None, "binary"),
    (np.array([True, False, True]), None, "binary"),
    (np.array([0.0, 1.0, 1.0]), None, "binary"),
    (np.array([[0], [1], [1]]), None, "binary"),
    (np.array([0, 2, 1, 2]), ["a", "b", "c"], "multiclass"),
    (np.array([0, 2, 1, 3]), None, "multiclass"),
    (np.array(["cat", "dog", "cow"]), None, "multiclass"),
    (np.array([[1, 0, 1], [0, 0, 1]]), ["x", "y", "z"], "multilabel"),
    (np.array([151.0, -3.5, 20.25]), None, "regression"),
    (np.array([1990, 2004, 2011, 1990]), None, "regression"),
    (np.array([[1.5, 2.0], [3.0, -1.0]]), None, "regression"),
    (np.array([0.2, 0.75, 1.0, 0.0]), None, "regression01"),
    (np.array([[0.1, 0.9], [0.5, 0.5]]), None, "regression01"),
    (np.zeros((3, 1375)), None, "sequence_binary"),
    (np.zeros((3, 1375)), ["background", "trigger"], "sequence_binary"),
    (np.ones((3, 50, 1)), None, "sequence_binary"),
])
def test_infer_task(y, names, task):
    assert infer_task(y, names) == task


def test_infer_task_hints_and_errors():
    y = np.array([[1, 0], [0, 1], [1, 1]])
    assert infer_task(y, per_step=True) == "sequence_binary"
    assert infer_task(y, per_step=False) == "multilabel"
    with pytest.raises(SpecError, match="missing"):
        infer_task(np.array([1.0, np.nan]))
    with pytest.raises(SpecError, match="no targets"):
        infer_task(np.array([]))


def test_default_head_table():
    table = {
        "binary": ("sigmoid", "bce"), "multiclass": ("softmax", "cce"), "multilabel": ("sigmoid", "bce"),
        "regression": ("none", "mse"), "regression01": ("sigmoid", "mse"), "sequence_binary": ("sigmoid", "bce"),
        "reconstruction": ("sigmoid", "bce"), "next_token": ("softmax", "cce"),
    }
    assert set(table) == set(TASKS)
    for task, (act, loss) in table.items():
        h = default_head(task)
        assert (h.task, h.activation, h.loss_name) == (task, act, loss)
        assert h.reason
        assert check_head(task, act, loss) == [], task  # the defaults are sound
        assert Head.from_dict(h.to_dict()) == h
    assert check_head("regression01", "sigmoid", "bce") == []  # the alternative for values in [0, 1]
    assert check_head("binary", "softmax", "cce") == []  # softmax over 2 outputs is fine
    with pytest.raises(SpecError):
        default_head("ranking")


@pytest.mark.parametrize("task, act, loss, phrase", [
    ("multilabel", "softmax", "bce", "independent"),
    ("multiclass", "softmax", "bce", "categorical cross-entropy is the matching"),
    ("multiclass", "softmax", "mse", "MSE on class labels"),
    ("binary", "sigmoid", "mse", "MSE on class labels"),
    ("regression", "sigmoid", "mse", "unbounded"),
    ("regression", "softmax", "mse", "Softmax over a single output"),
    ("regression", "none", "bce", "Cross-entropy needs targets in 0..1"),
    ("multilabel", "sigmoid", "cce", "exactly one true class"),
    ("multiclass", "sigmoid", "cce", "sum to 1"),
    ("binary", "none", "bce", "clipped"),
    ("regression01", "none", "mse", "leave that range"),
])
def test_check_head_warns_with_reason(task, act, loss, phrase):
    warnings = check_head(task, act, loss)
    assert any(phrase in w for w in warnings), warnings
    assert all(w.endswith(".") for w in warnings)
    assert Head(task, act, loss).warnings == warnings


def test_check_head_single_softmax_output_and_bad_names():
    assert any("single output" in w for w in check_head("multiclass", "softmax", "cce", n_outputs=1))
    with pytest.raises(SpecError, match="activation"):
        check_head("binary", "swish", "bce")
    with pytest.raises(SpecError, match="loss"):
        Head("binary", "sigmoid", "hinge")
    assert Head(task="binary", activation="sigmoid", loss="binary_crossentropy").loss_name == "bce"
    import dataclasses

    assert dataclasses.replace(default_head("binary"), activation="softmax") == Head("binary", "softmax", "bce",
                                                                                       default_head("binary").reason)


def test_stable_losses_equal_naive_forms():
    torch.manual_seed(0)
    raw = torch.randn(6, 1) * 2
    y = torch.tensor([0, 1, 1, 0, 1, 0])
    p = torch.sigmoid(raw)[:, 0]
    naive = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    assert torch.allclose(default_head("binary").loss(raw, y), naive, atol=1e-6)
    assert torch.allclose(default_head("binary").loss(raw, y.numpy()), naive, atol=1e-6)  # numpy targets
    # softmax + cce with integer targets, one-hot targets
    raw = torch.randn(5, 4) * 2
    y = torch.tensor([0, 3, 1, 2, 3])
    naive = -torch.log(torch.softmax(raw, -1)[torch.arange(5), y]).mean()
    h = default_head("multiclass")
    assert torch.allclose(h.loss(raw, y), naive, atol=1e-6)
    assert torch.allclose(h.loss(raw, F.one_hot(y, 4).float()), naive, atol=1e-6)
    # multilabel
    raw, y = torch.randn(4, 3), torch.randint(0, 2, (4, 3)).float()
    p = torch.sigmoid(raw)
    naive = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    assert torch.allclose(default_head("multilabel").loss(raw, y), naive, atol=1e-6)
    # per-time-step: outputs (N, T, 1), labels (N, T) or (N, T, 1)
    raw, y = torch.randn(2, 7, 1), torch.randint(0, 2, (2, 7)).float()
    p = torch.sigmoid(raw)[..., 0]
    naive = -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()
    h = default_head("sequence_binary")
    assert torch.allclose(h.loss(raw, y), naive, atol=1e-6)
    assert torch.allclose(h.loss(raw, y[..., None]), naive, atol=1e-6)
    # the stable form stays finite where the naive one overflows
    assert torch.isfinite(default_head("binary").loss(torch.tensor([[200.0], [-200.0]]), torch.tensor([0, 1])))


def test_mismatched_heads_apply_activation_then_loss():
    torch.manual_seed(1)
    raw, y = torch.randn(6, 3), torch.tensor([0, 2, 1, 1, 0, 2])
    onehot = F.one_hot(y, 3).float()
    p = torch.softmax(raw, -1)
    # softmax + BCE: clamped BCE on the probabilities against one-hot targets
    bce = -(onehot * torch.log(p) + (1 - onehot) * torch.log(1 - p)).mean()
    assert torch.allclose(Head("multiclass", "softmax", "bce").loss(raw, y), bce, atol=1e-6)
    # MSE on classes: MSE of the probabilities against one-hot targets
    assert torch.allclose(Head("multiclass", "softmax", "mse").loss(raw, y), ((p - onehot) ** 2).mean(), atol=1e-6)
    # sigmoid + cce: cross-entropy over the (non-normalized) sigmoid outputs
    s = torch.sigmoid(raw)
    assert torch.allclose(Head("multiclass", "sigmoid", "cce").loss(raw, y),
                          -(onehot * torch.log(s)).sum(-1).mean(), atol=1e-6)
    # sigmoid on regression targets, MAE
    t = torch.randn(6, 1) * 5
    assert torch.allclose(Head("regression", "sigmoid", "mae").loss(raw[:, :1], t),
                          (torch.sigmoid(raw[:, :1]) - t).abs().mean())
    # no activation + BCE: clipped, finite, and still trains where outputs are inside (0, 1)
    r = torch.tensor([[0.3], [2.0], [-1.0]], requires_grad=True)
    loss = Head("binary", "none", "bce").loss(r, torch.tensor([1, 0, 1]))
    loss.backward()
    assert torch.isfinite(loss) and r.grad[0, 0] != 0
    # softmax over a single output: constant, zero gradient -- allowed, as warned
    r = torch.randn(4, 1, requires_grad=True)
    loss = Head("regression01", "softmax", "cce").loss(r, torch.rand(4))
    loss.backward()
    assert torch.isfinite(loss) and torch.all(r.grad == 0)
    # binary with a 2-output softmax head and integer labels
    h = Head("binary", "softmax", "cce")
    assert h.output_units(np.array([0, 1])) == 2
    r = torch.randn(3, 2)
    assert torch.allclose(h.loss(r, torch.tensor([1, 0, 1])), F.cross_entropy(r, torch.tensor([1, 0, 1])))


def test_regression01_with_bce_uses_soft_targets():
    raw, t = torch.randn(5, 1), torch.rand(5, 1)
    p = torch.sigmoid(raw)
    naive = -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean()
    assert torch.allclose(Head("regression01", "sigmoid", "bce").loss(raw, t), naive, atol=1e-6)
    assert torch.allclose(default_head("regression01").loss(raw, t[:, 0]), ((p - t) ** 2).mean(), atol=1e-6)


def test_loss_rejects_targets_that_do_not_fit():
    h = default_head("multiclass")
    with pytest.raises(TrainingError, match="class 5"):
        h.loss(torch.randn(2, 3), torch.tensor([0, 5]))
    with pytest.raises(TrainingError, match="shape"):
        h.loss(torch.randn(2, 3), torch.zeros(2, 4))


def test_activate_predict_and_output_shapes():
    raw = torch.tensor([[2.0, -1.0, 0.5]])
    assert torch.allclose(default_head("multiclass").activate(raw).sum(), torch.tensor(1.0))
    assert default_head("multiclass").predict(raw).tolist() == [0]
    assert default_head("multilabel").predict(raw).tolist() == [[1, 0, 1]]
    assert default_head("binary").predict(torch.tensor([[0.3], [-0.2]])).tolist() == [1, 0]
    assert torch.equal(default_head("regression").activate(raw), raw)
    seq = default_head("sequence_binary")
    assert seq.predict(torch.tensor([[[1.0], [-1.0]]])).tolist() == [[1, 0]]
    y_multi = np.array([0, 3, 1])
    assert default_head("multiclass").output_shape(y_multi) == (4,)
    assert default_head("multiclass").output_shape(y_multi, n_classes=10) == (10,)
    assert default_head("binary").output_shape(np.array([0, 1])) == (1,)
    assert default_head("multilabel").output_shape(np.zeros((4, 5))) == (5,)
    assert default_head("regression").output_shape(np.zeros(4)) == (1,)
    assert default_head("regression").output_shape(np.zeros((4, 2))) == (2,)
    assert seq.output_shape(np.zeros((4, 1375))) == (1375, 1)
    assert seq.output_shape(np.zeros((4, 1375, 1))) == (1375, 1)
