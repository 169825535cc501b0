"""The shared workflow: steps one by one, cross-validation through it, head override warnings."""
import numpy as np
import pytest

from workbench.core.errors import SpecError
from workbench.core.training import Callback
from workbench.core.runs import RunStore
from workbench.core.workflow import (
    RunConfig,
    build_model_for,
    compute_baseline,
    prepare_data,
    resolve_train_config,
    run_training,
)


def test_steps_one_by_one_prepare_arrays_fitted_on_training_rows():
    cfg = RunConfig(data="builtin:iris", split="holdout:0.2,0.2", scale="standard", model="mlp")
    prep = prepare_data(cfg)
    Xtr, ytr = prep.train
    assert prep.task == "multiclass" and prep.output_shape == (3,)
    assert len(Xtr) + len(prep.val[0]) + len(prep.test[0]) == 150
    # standardized with training statistics: mean 0 on train, not exactly 0 elsewhere
    assert np.allclose(Xtr.mean(0), 0, atol=1e-5) and not np.allclose(prep.test[0].mean(0), 0, atol=1e-3)
    built = build_model_for(cfg, prep)
    assert built.name == "mlp" and built.summary is not None
    base = compute_baseline(prep)
    assert base["test"]["strategy"] == "majority class" and 0.2 < base["test"]["accuracy"] < 0.5
    tc = resolve_train_config(RunConfig(data="x", train={"epochs": 3}), "imdb-l2")
    assert (tc.epochs, tc.batch_size, tc.optimizer) == (3, 512, "rmsprop")


def test_cross_validation_through_the_workflow_saves_one_run(tmp_path):
    cfg = RunConfig(data="builtin:iris", split="kfold:3,0.2", scale="standard", model="mlp",
                    train={"epochs": 3, "lr": 0.01}, project=str(tmp_path), device="cpu")
    res = run_training(cfg)
    cv = res.record.cross_validation
    assert len(cv["folds"]) == 3 and cv["mean"]["accuracy"] is not None and cv["std"]["accuracy"] is not None
    assert res.test_metrics is not None and res.test_metrics["n"] == 30
    assert "Cross-validation: accuracy" in res.diagnosis.text
    rec = RunStore(tmp_path).load(res.run_id)
    assert rec.cross_validation["final_epochs"] == res.trained.cv.final_epochs
    assert RunStore(tmp_path).load_weights(res.run_id)
    from workbench.core.project import Project

    assert Project.open(tmp_path).recent_runs == [res.run_id]


def test_head_override_is_warned_about_and_a_bad_spec_stops_before_training():
    class Spy(Callback):
        started = 0

        def on_fit_start(self, trainer):
            Spy.started += 1

    cfg = RunConfig(data="builtin:breast_cancer", model="mlp", head={"activation": "sigmoid", "loss": "mse"},
                    train={"epochs": 1}, device="cpu")
    res = run_training(cfg, callbacks=[Spy()], save=False)
    assert res.prepared.head_warnings and any("MSE" in w for w in res.record.warnings)
    bad = RunConfig(data="builtin:breast_cancer", model={"layers": [{"type": "LSTM", "units": 4}]}, device="cpu")
    Spy.started = 0
    with pytest.raises(SpecError):
        run_training(bad, callbacks=[Spy()], save=False)
    assert Spy.started == 0
    assert RunConfig.from_dict(cfg.to_dict()) == cfg
