"""Cross-validation per fold + mean/std with a final retrain that alone touches test, runs."""
import json

import numpy as np
import pytest
import torch
from torch import nn

from workbench.core.errors import ProjectError
from workbench.core.runs import RUN_SCHEMA_VERSION, RunStore
from workbench.core.training import TrainConfig, cross_validate


class SoftmaxHead:
    task = "multiclass"

    def activate(self, out):
        return torch.softmax(out, -1)

    def loss(self, out, y):
        return nn.functional.cross_entropy(out, y)


def data(n=90, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    X = (np.eye(3)[y] * 3 + rng.normal(0, 1, (n, 3))).astype(np.float32)
    return X, y


def make():
    return nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 3))


def folds_of(idx, k):
    parts = np.array_split(idx, k)
    return [(np.concatenate(parts[:i] + parts[i + 1:]), parts[i]) for i in range(k)]


def test_cross_validation_reports_folds_mean_std_and_scores_test_once():
    X, y = data()
    test_idx = np.arange(75, 90)
    folds = folds_of(np.arange(75), 3)
    seen = []

    def prepare(train_idx, eval_idx):
        seen.append((np.asarray(train_idx).copy(), np.asarray(eval_idx).copy()))
        return (X[train_idx], y[train_idx]), (X[eval_idx], y[eval_idx])

    torch.manual_seed(0)
    res = cross_validate(make, SoftmaxHead(), prepare, folds, TrainConfig(epochs=6, batch_size=16, lr=0.05),
                         test_idx=test_idx, device="cpu")
    assert len(res.folds) == 3
    accs = [f["scores"]["accuracy"] for f in res.folds]
    assert res.mean["accuracy"] == pytest.approx(np.mean(accs))
    assert res.std["accuracy"] == pytest.approx(np.std(accs))
    assert res.mean["accuracy"] > 0.8
    assert res.final_epochs == max(1, round(np.mean([f["best_epoch"] for f in res.folds])))
    assert res.final_fit.epochs_run == res.final_epochs
    assert res.test_metrics["accuracy"] > 0.7 and res.test_metrics["n"] == 15
    # folds never see test rows; the only call with test rows is the final, one-off evaluation
    test_calls = [s for s in seen if np.isin(s[1], test_idx).any()]
    assert len(test_calls) == 1 and sorted(test_calls[0][0]) == list(range(75))
    assert all(not np.isin(tr, test_idx).any() for tr, _ in seen)
    assert "accuracy" in res.summary("accuracy") and json.dumps(res.to_dict())


def test_runs_reload_and_weights_load_with_weights_only(tmp_path, monkeypatch):
    store = RunStore(tmp_path)
    model = make()
    rid = store.save({"task": "multiclass", "history": [{"epoch": 1, "loss": 0.5, "val_accuracy": 0.8}],
                      "best_epoch": 1, "test_metrics": {"accuracy": 0.75}, "baseline": {"accuracy": 0.33},
                      "data": {"spec": "builtin:x"}}, weights=model.state_dict())
    rec = store.load(rid)
    assert rec.schema_version == RUN_SCHEMA_VERSION and rec.run_id == rid and "torch" in rec.versions
    calls = []
    real_load = torch.load

    def spy_load(*a, **kw):
        calls.append(kw.get("weights_only"))
        return real_load(*a, **kw)

    monkeypatch.setattr(torch, "load", spy_load)
    w = store.load_weights(rid)
    assert calls == [True]
    model2 = make()
    model2.load_state_dict(w)
    assert all(torch.equal(model.state_dict()[k], w[k]) for k in w)
    rid2 = store.save({"task": "multiclass", "history": [], "test_metrics": {"accuracy": 0.9}})
    rows = store.compare([rid, rid2])
    assert [r["test"] for r in rows] == [0.75, 0.9] and rows[0]["val"] == 0.8 and rows[0]["baseline"] == 0.33
    assert {r["run_id"] for r in store.list()} == {rid, rid2}
    assert not list(tmp_path.rglob("*.tmp"))
    (tmp_path / "runs" / rid2 / "run.json").write_text("{broken")
    with pytest.raises(ProjectError, match="damaged"):
        store.load(rid2)
    assert "damaged" in [r for r in store.list() if r["run_id"] == rid2][0]["error"]
    (tmp_path / "runs" / rid2 / "run.json").write_text(json.dumps({"schema_version": 99}))
    with pytest.raises(ProjectError, match="newer version"):
        store.load(rid2)
    with pytest.raises(ProjectError, match="no run"):
        store.load("nope")
    with pytest.raises(ProjectError, match="not a valid run id"):
        store.load("../x")
