"""The workflow guide checks the project's actual state, step by step."""
from workbench.core.experiments.guide import check_steps


def _run(val_loss, overfit=None, beats=True, l2=0.0):
    hist = [{"epoch": i + 1, "loss": 1.0 / (i + 1), "val_loss": v} for i, v in enumerate(val_loss)]
    return {"history": hist, "diagnosis": {"overfit_epoch": overfit, "beats_baseline": beats},
            "model": {"spec": {"layers": [{"type": "Dense", "params": {"units": 16}, "l2": l2}]}}}


def _state(**kw):
    base = {"dataset_summary": {"n_samples": 2000, "warnings": []}, "n_samples": 2000, "task": "binary",
            "split": "holdout:0.2,0.2", "preprocessing": {"scale": "standard"}, "runs": [], "metric": "accuracy"}
    base.update(kw)
    return base


def test_empty_project_asks_for_data_first():
    steps = check_steps({"runs": []})
    assert [s.number for s in steps] == [1, 2, 3, 4, 5, 6, 7]
    assert not steps[0].done and "No data" in steps[0].message and steps[0].panel == "Data"


def test_model_that_does_not_beat_the_baseline_is_flagged():
    steps = check_steps(_state(runs=[_run([0.7, 0.69], beats=False)]))
    assert not steps[4].done and "does not beat the baseline" in steps[4].message


def test_no_overfit_yet_suggests_scaling_up():
    steps = check_steps(_state(runs=[_run([0.6, 0.5, 0.45])]))
    assert steps[4].done
    assert not steps[5].done and "make it bigger or train longer" in steps[5].message


def test_overfit_then_regularized_run_completes_the_workflow():
    over = _run([0.5, 0.4, 0.45, 0.6], overfit=3)
    reg = _run([0.5, 0.38, 0.37, 0.39], l2=0.001)
    steps = check_steps(_state(runs=[over, reg]))
    assert steps[5].done and "epoch 3" in steps[5].message
    assert steps[6].done and "0.3700" in steps[6].message


def test_time_column_with_shuffled_split_fails_the_protocol_step():
    steps = check_steps(_state(has_time_column=True, split="holdout:0.2,0.2"))
    assert not steps[2].done and "time-ordered" in steps[2].message
    steps = check_steps(_state(has_time_column=True, split="time:0.2,0.2"))
    assert steps[2].done


def test_little_data_with_holdout_suggests_kfold_and_ranges_need_scaling():
    s = _state(n_samples=300, dataset_summary={"n_samples": 300, "warnings": ["Features are on very different ranges (0-1 vs 100-200)."]},
               preprocessing={"scale": "none"})
    steps = check_steps(s)
    assert not steps[2].done and "K-fold" in steps[2].message
    assert not steps[3].done and "scaling" in steps[3].message.lower()


def test_grow_spec_doubles_hidden_units_and_keeps_the_output():
    from workbench.core.experiments.guide import grow_spec

    spec = {"name": "imdb", "layers": [{"type": "Dense", "params": {"units": 16}, "activation": "relu"},
                                       {"type": "Dense", "params": {"units": 16}, "activation": "relu"},
                                       {"type": "Dense", "params": {"units": 1}, "activation": "sigmoid"}]}
    big = grow_spec(spec)
    assert [l["params"]["units"] for l in big["layers"]] == [32, 32, 1]
    assert spec["layers"][0]["params"]["units"] == 16  # the original is untouched


def test_scale_up_until_it_overfits_stops_at_the_first_overfitting_run(tmp_path):
    from workbench.core.experiments.guide import scale_up_until_overfit
    from workbench.core.workflow import RunConfig

    cfg = RunConfig(data="builtin:breast_cancer", split="holdout:0.3,0.2", scale="standard", model="mlp",
                    train={"epochs": 12, "batch_size": 16, "lr": 0.01}, project=str(tmp_path))
    rows = scale_up_until_overfit(cfg, max_rounds=3)
    assert 1 <= len(rows) <= 3
    assert all(r["run_id"] for r in rows)
    if len(rows) > 1:
        assert rows[1]["parameters"] > rows[0]["parameters"] and rows[1]["epochs"] > rows[0]["epochs"]
    # it stops as soon as a run overfits, or after the last round
    assert rows[-1]["overfit_epoch"] or len(rows) == 3
    assert all(not r["overfit_epoch"] for r in rows[:-1])
