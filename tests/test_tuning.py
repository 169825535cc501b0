"""The search engine (workbench.core.tuning) in this process: spaces that map onto the run and the
model, the seed policy, test rows that never reach a trial, pruning, a stopped study resumed (also
after the app was closed mid-trial), one study per search at a time, and `workbench tune`."""
from __future__ import annotations

import json

import numpy as np
import pytest
from filelock import FileLock

from workbench.core.errors import WorkbenchError
from workbench.core.models import get_preset
from workbench.core.search import run_search, tune
from workbench.core.tuning import SearchSettings, parse_search_space
from workbench.core.tuning.space import SpaceError
from workbench.core.workflow import RunConfig


def _csv(path, n=120, seed=0):
    """A small table with a unique id per row, a few numbers, a category and gaps (a messy CSV)."""
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(0, 1, n), rng.normal(0, 1, n)
    y = np.where(x1 + 0.5 * x2 + rng.normal(0, 0.4, n) > 0, "yes", "no")
    lines = ["row_id,x1,x2,colour,label"]
    for i in range(n):
        colour = ["red", "green", ""][i % 3]
        v2 = "" if i % 17 == 0 else f"{x2[i]:.4f}"
        lines.append(f"{1000 + i},{x1[i]:.4f},{v2},{colour},{y[i]}")
    path.write_text("\n".join(lines) + "\n")
    return path


def _cfg(data="builtin:iris", **kw):
    kw.setdefault("train", {"epochs": 2, "batch_size": 16})
    kw.setdefault("split", "holdout:0.2,0.2")
    return RunConfig(data=data, **kw)


# ---- spaces -------------------------------------------------------------------------------------


def test_search_space_parses_and_maps_onto_run_and_spec_fields():
    sp = parse_search_space("lr=log(1e-4,1e-1);layers.1.units=int(4,64);dropout=float(0,0.5); batch_size=16,32;"
                            " n_layers=int(1,3); l2=choice(0,0.001); scale=none,standard")
    assert [p.kind for p in sp.params] == ["log", "int", "float", "choice", "int", "choice", "choice"]
    assert parse_search_space(sp.to_text()).to_text() == sp.to_text()  # what the study stores reads back
    mlp = get_preset("mlp")  # Dense 64, Dropout 0.2, Dense 64
    spec, train, prep = sp.apply({"lr": 0.01, "layers.1.units": 8, "dropout": 0.4, "batch_size": 16, "n_layers": 3,
                                  "l2": 0.001, "scale": "standard"}, mlp, {"lr": 1e-3, "epochs": 5},
                                 {"scale": "none"}, 3)
    assert train == {"lr": 0.01, "epochs": 5, "batch_size": 16} and prep == {"scale": "standard"}
    assert [(lay.type, lay.params.get("units") or lay.params.get("rate")) for lay in spec.layers] == [
        ("Dense", 8), ("Dropout", 0.4), ("Dense", 64), ("Dense", 64)]  # layer 1 = the first, as the panel counts
    assert all(lay.l2 == 0.001 for lay in spec.layers if lay.type == "Dense")
    assert [lay.params["units"] for lay in mlp.layers if lay.type == "Dense"] == [64, 64]  # the base is untouched
    cnn, _, _ = parse_search_space("filters=8,16; layers.10.rate=float(0,0.5)").apply(
        {"filters": 8, "layers.10.rate": 0.1}, get_preset("digits-cnn"), {}, {}, 10)
    assert {lay.params["filters"] for lay in cnn.layers if lay.type == "Conv2D"} == {8}
    assert cnn.layers[9].params["rate"] == 0.1
    imdb, _, _ = parse_search_space("units=4,8").apply({"units": 4}, get_preset("imdb"), {}, {}, 1)
    assert [lay.params["units"] for lay in imdb.layers] == [4, 4, 1]  # the explicit output layer keeps 1 unit
    assert parse_search_space("lr=0.01,0.001; units=int(4,12,4)").grid() == {"lr": [0.01, 0.001], "units": [4, 8, 12]}


@pytest.mark.parametrize("text, words", [
    ("lr=log(0,1)", "above 0"),
    ("layers.9.units=int(4,8)", "layers.1 to layers.3"),
    ("layers.2.units=int(4,8)", "Dropout"),
    ("colour=red,blue", "not a setting"),
    ("dropout=float(0,1.5)", "[0, 1)"),
    ("optimizer=adam,fast", "sgd, rmsprop"),
    ("lr", "name=values"),
    ("units=int(4.5,8)", "whole numbers"),
])
def test_a_bad_space_is_one_sentence_before_any_trial(text, words):
    with pytest.raises(SpaceError) as e:
        parse_search_space(text).targets(get_preset("mlp"), 3)
    assert words in str(e.value) and str(e.value).count(". ") <= 1
    with pytest.raises(SpaceError, match="grid search needs"):
        SearchSettings("lr=log(1e-4,1e-1)", sampler="grid").checked()


# ---- seeds, test rows, pruning --------------------------------------------------------------------


def test_trials_start_from_the_same_seed_unless_asked_otherwise():
    # adam ignores momentum: with the same initialization both trials are the same training
    def curves(policy):
        res = run_search(_cfg(), "momentum=0.5,0.9", sampler="grid", seed_policy=policy, cluster="inline",
                         save=False, retrain=False)
        return [t["curve"] for t in sorted(res.record.search["trials"], key=lambda t: t["params"]["momentum"])]

    same = curves("same")
    assert same[0] == same[1] and len(same[0]) == 2
    other = curves("per-trial")
    assert other[0] != other[1]


def test_test_rows_never_reach_a_trial_and_are_scored_once(tmp_path, monkeypatch):
    import workbench.core.training as training
    from workbench.core.tuning.executors import InlineExecutor

    csv = _csv(tmp_path / "messy.csv")
    cfg = _cfg(str(csv), target="label", split="kfold:2", project=str(tmp_path / "proj"))
    evaluated = []
    real = training.evaluate

    def spy(model, head, data, **kw):
        evaluated.append(np.asarray(data[0]).shape[0])
        return real(model, head, data, **kw)

    class Spy(InlineExecutor):
        def share(self, data):
            self.data = data
            return data

    monkeypatch.setattr(training, "evaluate", spy)
    ex = Spy()
    res = tune(cfg, SearchSettings("lr=log(1e-3,1e-1); units=4,16", n_trials=3, sampler="random", cluster="inline"),
               executor=ex)
    test_idx = res.prepared.splits.test_idx
    ids = np.asarray(res.prepared.dataset.X)[:, 0]
    shipped = set(np.asarray(ex.data.dataset.X)[:, 0].tolist())
    assert len(test_idx) == 24 and len(ex.data.dataset) == 96
    assert not shipped & set(ids[test_idx].tolist())  # the workers never even hold a test row
    assert sorted(np.concatenate(ex.data.folds[0])) == list(range(96))
    trial_evals, final_eval = evaluated[:-1], evaluated[-1]
    assert final_eval == 24 and 24 not in trial_evals and len(trial_evals) == 3 * 2  # 3 trials x 2 folds
    rec = res.record
    assert rec.mode == "search" and rec.test_metrics["n"] == 24 and rec.search["best_params"]
    from workbench.core.runs import RunStore

    trials = [r for r in RunStore(cfg.project).records()[0] if r.details.get("trial")]
    assert len(trials) == 3 and all(r.test_metrics is None and "test" not in r.baseline for r in trials)
    assert all(r.cross_validation and len(r.cross_validation["folds"]) == 2 for r in trials)


def test_the_median_pruner_stops_trials_that_trail_the_others(tmp_path):
    first = [{"lr": 0.05}, {"lr": 0.04}, {"lr": 1e-7}, {"lr": 2e-7}]
    res = run_search(_cfg(train={"epochs": 5, "batch_size": 16}), "lr=log(1e-7,1e-1)", sampler="tpe",
                     pruner="median", n_trials=4, cluster="inline", save=False, retrain=False, first=first)
    by_lr = {t["params"]["lr"]: t for t in res.record.search["trials"]}
    assert by_lr[0.05]["state"] == by_lr[0.04]["state"] == "complete"
    assert by_lr[1e-7]["state"] == by_lr[2e-7]["state"] == "pruned"
    assert by_lr[1e-7]["epochs_run"] < 5 and sum(t["epochs_run"] for t in by_lr.values()) < 20
    assert res.record.search["states"] == {"complete": 2, "pruned": 2, "failed": 0}


# ---- resume, locks --------------------------------------------------------------------------------


def test_a_stopped_search_resumes_where_it_was(tmp_path):
    import optuna

    from workbench.core.tuning.study import open_storage, study_path

    project = tmp_path / "proj"
    cfg = _cfg(project=str(project))
    space = "lr=log(1e-3,1e-1); layers.1.units=int(4,16)"
    done = []
    first = run_search(cfg, space, sampler="random", n_trials=4, cluster="inline", study="s1",
                       on_trial=lambda i, n, row: done.append(row), should_cancel=lambda: len(done) >= 2)
    assert first.record.stop_reason == "stopped" and first.record.test_metrics is None
    assert [t["state"] for t in first.record.search["trials"]] == ["complete", "complete"]
    journal = study_path(project, "s1")
    assert journal.is_file()
    with FileLock(str(journal.with_suffix(".lock"))).acquire(timeout=0):  # the search let go of its study
        pass
    earlier = {t["number"]: t["value"] for t in first.record.search["trials"]}

    # the app was closed while trial 2 ran: it stays RUNNING in the file (the lock went with the process)
    study = optuna.load_study(study_name="s1", storage=open_storage(journal))
    stale = study.ask({"lr": optuna.distributions.FloatDistribution(1e-3, 1e-1, log=True),
                       "layers.1.units": optuna.distributions.IntDistribution(4, 16)})

    resumed = run_search(cfg, space, sampler="random", n_trials=4, cluster="inline", study="s1")
    rows = resumed.record.search["trials"]
    finished = [t for t in rows if t["state"] == "complete"]
    assert len(finished) == 4 and {t["number"]: t["value"] for t in finished if t["number"] in earlier} == earlier
    assert any(t["number"] == stale.number and t["state"] == "failed" for t in rows)
    assert any(t["params"] == stale.params and t["state"] == "complete" for t in rows)  # tried again first
    assert resumed.record.test_metrics is not None and resumed.record.run_id == first.record.run_id
    with pytest.raises(WorkbenchError, match="different space"):
        run_search(cfg, "lr=log(1e-3,1e-1)", sampler="random", n_trials=5, cluster="inline", study="s1")


def test_one_search_per_study_at_a_time(tmp_path):
    from workbench.core.tuning.study import study_lock, study_path

    path = study_path(tmp_path, "busy")
    path.parent.mkdir(parents=True)
    with FileLock(str(path.with_suffix(".lock"))):  # another window's search holds the study
        with pytest.raises(WorkbenchError, match="running in another window"):
            with study_lock(path):
                pass
    with study_lock(path):  # free again once that search ended
        pass
    with pytest.raises(WorkbenchError, match="cannot be a study name"):
        study_path(tmp_path, "../elsewhere")


# ---- the command line -----------------------------------------------------------------------------


def test_workbench_tune_end_to_end(tmp_path, capsys):
    from workbench.cli import main

    project = tmp_path / "proj"
    args = ["tune", "--data", "builtin:iris", "--space", "lr=log(1e-3,1e-1);layers.1.units=int(4,16)",
            "--trials", "3", "--sampler", "random", "--pruner", "median", "--epochs", "2", "--cluster", "inline",
            "--project", str(project), "--study", "cli", "--json"]
    assert main(args) == 0
    out = capsys.readouterr().out.strip().splitlines()
    result = json.loads(out[-1])
    assert result["study"] == "cli" and len(result["trials"]) == 3 and result["best"]["params"]
    assert result["test_metrics"]["n"] == 30 and result["run_id"]
    assert any("trial" in line and "lr=" in line for line in out[:-1])  # the human-readable table
    assert main(["tune", "--resume", "cli", "--trials", "4", "--project", str(project), "--cluster", "inline",
                 "--json"]) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(again["trials"]) == 4 and again["run_id"] == result["run_id"]
    assert main(["tune", "--list", "--project", str(project), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [s["study"] for s in listed["studies"]] == ["cli"] and listed["studies"][0]["trials"] == 4
    assert main(["runs", "list", "--project", str(project), "--json"]) == 0
    runs = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(runs) == 5  # 4 trials and the search's own run
    assert main(["tune", "--data", "builtin:iris", "--space", "colour=red", "--cluster", "inline"]) == 2
    assert "not a setting" in capsys.readouterr().err
