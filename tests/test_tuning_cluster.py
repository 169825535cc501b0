"""Trials on a real Dask LocalCluster with 2 worker processes: both workers train, the data travel
once per worker, Stop cancels the running trials, and a worker killed mid-trial gives a failed
trial that is tried again on another worker. (One cluster for the module: starting worker
processes is the slow part.)"""
from __future__ import annotations

import os
import signal

import pytest

from workbench.core.search import tune
from workbench.core.tuning import SearchSettings
from workbench.core.tuning.executors import DaskExecutor
from workbench.core.tuning.trial import arrivals
from workbench.core.tuning.warm import warm
from workbench.core.workflow import RunConfig

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    ex = DaskExecutor.local(2)
    ex.client.wait_for_workers(2, timeout=120)
    ex.client.run(warm)  # torch and the trial code imported in every worker before the tests start
    yield ex
    ex.close()


def _cfg(**kw):
    kw.setdefault("train", {"epochs": 2, "batch_size": 16})
    return RunConfig(data="builtin:iris", split=kw.pop("split", "holdout:0.2,0.2"), **kw)


def _tokens(ex) -> dict:
    return ex.client.run(arrivals)


def test_two_workers_share_the_trials_and_get_the_data_once(cluster, tmp_path):
    before = _tokens(cluster)
    res = tune(_cfg(split="kfold:2", project=str(tmp_path)),
               SearchSettings("lr=log(1e-3,1e-1); units=4,16", n_trials=4, sampler="random"), executor=cluster)
    s = res.record.search
    assert [t["state"] for t in s["trials"]] == ["complete"] * 4
    used = {w for t in s["trials"] for w in t["workers"]}
    assert used == set(cluster.workers())  # both processes trained folds
    after = _tokens(cluster)
    new = {w: {k: v for k, v in counts.items() if k not in before.get(w, {})} for w, counts in after.items()}
    # one search's data arrived once on each worker, for 4 trials x 2 folds + the final retrain
    assert all(list(c.values()) == [1] for c in new.values()) and len(new) == 2
    assert res.record.test_metrics["n"] == 30 and all(t["run_id"] for t in s["trials"])


def test_stop_cancels_the_running_trials(cluster, tmp_path):
    reports = []
    cfg = _cfg(train={"epochs": 400, "batch_size": 8}, project=str(tmp_path))
    res = tune(cfg, SearchSettings("lr=log(1e-3,1e-1)", n_trials=6, sampler="random", study="stopme"),
               executor=cluster, on_event=lambda e: reports.append(e) if e["kind"] == "report" else None,
               should_cancel=lambda: len(reports) >= 2)
    s = res.record.search
    assert s["stopped"] and res.record.stop_reason == "stopped" and res.record.test_metrics is None
    assert not [t for t in s["trials"] if t["state"] == "complete"]
    stopped = [t for t in s["trials"] if t["state"] == "stopped"]
    assert stopped and all(t["epochs_run"] < 400 for t in stopped)  # they ended early, not after 400 epochs
    import optuna

    from workbench.core.tuning.study import open_storage, study_path

    study = optuna.load_study(study_name="stopme", storage=open_storage(study_path(tmp_path, "stopme")))
    waiting = study.get_trials(states=(optuna.trial.TrialState.WAITING,))
    queued = {tuple(t.system_attrs["fixed_params"].items()) for t in waiting}
    assert queued == {tuple(t["params"].items()) for t in stopped}  # tried first when the search resumes


def test_workbench_tune_runs_on_a_cluster_given_by_address(cluster, tmp_path, capsys):
    import json

    from workbench.cli import main

    address = cluster.client.scheduler.address
    assert main(["tune", "--data", "builtin:iris", "--space", "lr=log(1e-3,1e-1)", "--trials", "3", "--epochs", "2",
                 "--cluster", address, "--project", str(tmp_path), "--json", "--quiet"]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(out["trials"]) == 3 and address in out["executor"] and out["test_metrics"]["n"] == 30
    assert main(["tune", "--data", "builtin:iris", "--space", "lr=log(1e-3,1e-1)", "--cluster",
                 "tcp://127.0.0.1:9", "--quiet"]) == 2
    assert "Cannot reach the Dask scheduler" in capsys.readouterr().err


def test_a_killed_worker_gives_a_failed_trial_tried_again_on_another_worker(cluster, tmp_path):
    killed = []

    def on_event(e):
        if e["kind"] == "started" and not killed:
            killed.append(e["worker"])
            os.kill(e["pid"], signal.SIGKILL)  # the worker process dies while its trial waits to train

    res = tune(_cfg(project=str(tmp_path)), SearchSettings("lr=log(1e-3,1e-1)", n_trials=2, sampler="random"),
               executor=cluster, on_event=on_event)
    trials = res.record.search["trials"]
    failed = [t for t in trials if t["state"] == "failed"]
    assert len(failed) == 1 and killed[0] in failed[0]["message"] and "tried again" in failed[0]["message"]
    retry = [t for t in trials if t.get("retry_of") == failed[0]["number"]]
    assert len(retry) == 1 and retry[0]["state"] == "complete" and retry[0]["params"] == failed[0]["params"]
    assert killed[0] not in retry[0]["workers"]
    assert len([t for t in trials if t["state"] == "complete"]) == 2 and res.record.test_metrics is not None
