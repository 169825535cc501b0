"""A saved RL run goes on training after a restart (a new session read from the project, from the
command line and from the panel), from plain tensors; and the panel's Train does not import
stable-baselines3 on the GUI thread."""
from __future__ import annotations

import builtins
import json
import threading

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

from workbench.core.studies.rl import RLConfig, RLSession, record  # noqa: E402


def tiny(**kw) -> RLConfig:
    base = dict(env="CartPole-v1", algo="PPO", seed=0, max_steps=4096, eval_every=2048, eval_episodes=2,
                random_episodes=3, overrides={"n_envs": 2, "batch_size": 64})
    base.update(kw)
    return RLConfig(**base)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """A run trained for 4096 steps and saved in a project; the session is then thrown away."""
    project = tmp_path_factory.mktemp("rlproject")
    s = RLSession(tiny())
    s.train()
    rid = record.save(s, project)
    facts = {"steps": s.num_timesteps, "episodes": len(s.episodes), "evals": len(s.evaluations),
             "best": s.best["return"],
             "last": {k: v.clone() for k, v in s.model.policy.state_dict().items()},
             "exp_avg": s.model.policy.optimizer.state_dict()["state"][0]["exp_avg"].clone()}
    s.close()
    return project, rid, facts


def test_weights_file_is_plain_tensors_with_the_best_agent_apart(saved):
    import torch

    project, rid, facts = saved
    from workbench.core.runs import RunStore

    state = torch.load(RunStore(project).weights_path(rid), map_location="cpu", weights_only=True)
    assert any(k.startswith("resume/optim/policy/") for k in state)
    agent, _ = record.load_saved_agent(project, rid)  # the best agent still loads (resume keys set aside)
    assert agent.act(np.zeros((1, 4), np.float32))[1].shape == (1, 2)


def test_a_new_session_goes_on_where_the_saved_run_stopped(saved):
    from workbench.core.studies.rl.resume import session_from_run

    project, rid, facts = saved
    s = session_from_run(project, rid, max_steps=2048)
    assert s.model is None and s.num_timesteps == facts["steps"] and len(s.episodes) == facts["episodes"]
    s.prepare()
    s._build()  # the model is rebuilt and the last weights and Adam moments are loaded into it
    now = s.model.policy.state_dict()
    assert all(np.array_equal(now[k].numpy(), facts["last"][k].numpy()) for k in now)
    assert np.array_equal(s.model.policy.optimizer.state_dict()["state"][0]["exp_avg"].numpy(), facts["exp_avg"].numpy())
    assert s.model.num_timesteps == facts["steps"] and s.best["return"] == pytest.approx(facts["best"])

    events = []
    s.train(on_event=events.append)
    assert s.num_timesteps >= facts["steps"] + 2048  # counting goes on, not from 0
    assert len(s.episodes) > facts["episodes"] and len(s.evaluations) > facts["evals"]
    # the charts get the earlier episodes and evaluations first, then the new ones
    assert events[0]["kind"] == "random"
    assert events[1]["kind"] == "progress" and len(events[1]["episodes"]) == facts["episodes"]
    new_evals = [e for e in events if e["kind"] == "eval" and e["step"] > facts["steps"]]
    assert new_evals
    assert s.best["return"] >= facts["best"]
    assert record.save(s, project) == rid and len(record.rl_runs(project)) == 1  # the same run, updated
    s.close()


def test_cli_resumes_a_saved_run(saved, capsys):
    from workbench.cli import main

    project, rid, facts = saved
    rc = main(["rl", "train", "--project", str(project), "--resume", rid, "--max-steps", "1024",
               "--test-episodes", "0", "--json"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["run_id"] == rid and res["steps"] > facts["steps"] + 1000
    assert main(["rl", "train", "--resume", rid]) == 2  # no project: one sentence
    assert "--project" in capsys.readouterr().err
    assert main(["rl", "train", "--project", str(project), "--resume", "nosuchrun"]) == 2


@pytest.mark.gui
def test_panel_train_does_not_import_sb3_on_the_gui_thread(qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import Qt

    from workbench.ui.context import AppContext
    from workbench.ui.panels.rl import RLPanel

    ctx = AppContext(project_dir=tmp_path)
    panel = RLPanel(ctx)
    qtbot.addWidget(panel)
    try:
        panel.settings.steps_spin.setValue(1024)
        gui = threading.current_thread()
        on_gui: list[str] = []
        real_import = builtins.__import__

        def watching(name, *a, **k):
            if threading.current_thread() is gui and name.split(".")[0] in ("stable_baselines3", "gymnasium"):
                on_gui.append(name)
            return real_import(name, *a, **k)

        monkeypatch.setattr(builtins, "__import__", watching)
        qtbot.mouseClick(panel.train_btn, Qt.MouseButton.LeftButton)
        monkeypatch.setattr(builtins, "__import__", real_import)
        assert panel.jobs.busy and on_gui == []  # the click returned; the worker imports
        qtbot.waitUntil(lambda: not panel.jobs.busy, timeout=240_000)
        assert panel.session.num_timesteps >= 1024 and len(panel.runs_tab.rows) == 1
    finally:
        panel.shutdown()


@pytest.mark.gui
def test_panel_resumes_a_saved_run_after_a_restart(qtbot, saved):
    from PySide6.QtCore import Qt

    from workbench.ui.context import AppContext
    from workbench.ui.panels.rl import RLPanel

    project, rid, facts = saved
    panel = RLPanel(AppContext(project_dir=project))  # a new panel: nothing in memory but the project
    qtbot.addWidget(panel)
    try:
        panel.runs_tab.refresh()
        assert [r["run_id"] for r in panel.runs_tab.rows] == [rid]
        panel.runs_tab.table.selectRow(0)
        steps_before = panel.runs_tab.rows[0]["steps"]
        qtbot.mouseClick(panel.runs_tab.resume_btn, Qt.MouseButton.LeftButton)
        assert panel.jobs.busy
        qtbot.waitUntil(lambda: not panel.jobs.busy, timeout=240_000)
        c = panel.charts.curves
        assert c.random is not None and len(c.returns) > facts["episodes"]  # old episodes and new ones drawn
        assert panel.session.num_timesteps > steps_before
        assert len(panel.runs_tab.rows) == 1 and panel.runs_tab.rows[0]["steps"] > steps_before
    finally:
        panel.shutdown()
