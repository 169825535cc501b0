"""Reinforcement learning core: a tiny training beats the random agent, ONNX agrees with PyTorch,
bad and crashing environments are one sentence, stop/resume keep the best model, GIF and CLI."""
from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")

from workbench.core.errors import WorkbenchError  # noqa: E402
from workbench.core.studies.rl import EnvironmentFailed, RLConfig, RLSession, envs, record  # noqa: E402


def tiny(**kw) -> RLConfig:
    base = dict(env="CartPole-v1", algo="PPO", seed=0, max_steps=6144, eval_every=3072, eval_episodes=5,
                random_episodes=10)
    base.update(kw)
    return RLConfig(**base)


@pytest.fixture(scope="module")
def trained():
    s = RLSession(tiny())
    events = []
    out = s.train(on_event=events.append)
    yield s, out, events
    s.close()


def test_tiny_training_beats_the_random_agent(trained):
    s, out, events = trained
    assert out.random_return is not None and out.random_return < 40  # CartPole's random agent: about 20
    assert out.best_return > 3 * out.random_return
    kinds = {e["kind"] for e in events}
    assert {"random", "eval", "progress"} <= kinds
    eps = [row for e in events if e["kind"] == "progress" for row in e["episodes"]]
    assert eps and all(len(r) == 3 for r in eps)  # (step, return, length) of each new episode
    # the loss terms of PPO reach the chart
    assert any("value_loss" in e["losses"] for e in events if e["kind"] == "progress")
    # the best model is the best evaluation
    assert s.best["return"] == max(r["val_return"] for r in s.evaluations)


def test_best_agent_plays_and_record_round_trips(trained, tmp_path):
    s, out, _ = trained
    test = record.test_return(s, episodes=3)
    assert test["return"] > out.random_return
    rid = record.save(s, tmp_path, test)
    rows = record.rl_runs(tmp_path)
    assert rows[0]["run_id"] == rid and rows[0]["best_return"] == pytest.approx(out.best_return)
    agent, rec = record.load_saved_agent(tmp_path, rid)
    assert rec.study == "rl" and rec.baseline["test"]["return"] == pytest.approx(out.random_return)
    obs = np.zeros((1, 4), dtype=np.float32)
    action, scores = agent.act(obs)
    assert scores.shape == (1, 2) and scores.sum() == pytest.approx(1.0, abs=1e-5)  # action probabilities
    assert agent.action_names == ("push left", "push right")


def test_onnx_policy_agrees_with_pytorch_on_100_states(trained, tmp_path):
    from workbench.core.studies.rl.export import export_onnx, run_onnx, sample_states, torch_actions

    agent = trained[0].best_agent()
    res = export_onnx(agent, tmp_path / "policy.onnx", n_states=100)
    assert res["states"] == 100 and res["same_actions"] == 1.0
    states = sample_states(agent, 100, seed=7)
    act, probs = run_onnx((tmp_path / "policy.onnx").read_bytes(), states.astype(np.float32))
    assert np.array_equal(act, torch_actions(agent, states))
    assert json.loads((tmp_path / "policy.json").read_text())["outputs"]["scores"] == "probability"


def test_onnx_continuous_sac_policy_agrees(tmp_path):
    from workbench.core.studies.rl.export import export_onnx

    s = RLSession(RLConfig("Pendulum-v1", "SAC", max_steps=200, eval_every=200, eval_episodes=1, random_episodes=1,
                           overrides={"learning_starts": 100, "net_arch": [16, 16]}))
    try:
        s.train()
        res = export_onnx(s.best_agent(), tmp_path / "sac.onnx", n_states=100)
    finally:
        s.close()
    assert res["ok"] and res["max_abs_diff"] < 1e-4


@pytest.mark.parametrize("name", ["NoSuchEnv-v9", "no_such_module_xyz:Env", ""])
def test_bad_environment_name_is_one_sentence(name):
    with pytest.raises(EnvironmentFailed) as e:
        envs.check(name)
    msg = str(e.value)
    assert "\n" not in msg and msg.endswith(".") and len(msg) < 400


CRASHING = textwrap.dedent("""
    import gymnasium as gym
    import numpy as np

    class Crashing(gym.Env):
        observation_space = gym.spaces.Box(-1, 1, (3,), np.float32)
        action_space = gym.spaces.Discrete(2)

        def __init__(self, crash_at=5):
            self.t, self.crash_at = 0, crash_at

        def reset(self, seed=None, options=None):
            super().reset(seed=seed)
            return np.zeros(3, np.float32), {}

        def step(self, action):
            self.t += 1
            if self.t >= self.crash_at:
                raise ZeroDivisionError("division by zero")
            return np.zeros(3, np.float32), 1.0, False, False, {}

    class Late(Crashing):
        def __init__(self):
            super().__init__(crash_at=300)
""")


@pytest.fixture
def crashing_module(tmp_path, monkeypatch):
    (tmp_path / "rl_crashing_env.py").write_text(CRASHING)
    monkeypatch.syspath_prepend(str(tmp_path))
    return "rl_crashing_env"


def test_crashing_user_environment_is_one_sentence(crashing_module):
    with pytest.raises(EnvironmentFailed) as e:
        envs.check(f"{crashing_module}:Crashing")
    msg = str(e.value)
    assert "crashed in step" in msg and "ZeroDivisionError" in msg and "\n" not in msg
    # a crash in the middle of training says the same, not a traceback from deep inside SB3
    s = RLSession(RLConfig(f"{crashing_module}:Late", "PPO", max_steps=2048, random_episodes=1, eval_episodes=1,
                           target_return=float("nan")))
    with pytest.raises(EnvironmentFailed, match="crashed in (step|reset)"):
        s.train()
    s.close()


def test_incompatible_agent_is_a_sentence():
    with pytest.raises(WorkbenchError, match="continuous action"):
        RLSession(RLConfig("Pendulum-v1", "DQN"))


def test_stop_then_resume_keeps_the_best_model(tmp_path):
    s = RLSession(tiny(max_steps=12288, eval_every=2048))

    def stop_after_second_eval(e):
        if e["kind"] == "eval" and len(s.evaluations) >= 2:
            s.request_stop()

    s.train(on_event=stop_after_second_eval)
    assert s.stop_reason == "stopped"
    steps1, best1, n_eps1 = s.num_timesteps, dict(s.best), len(s.episodes)
    rid = record.save(s, tmp_path)
    saved = record.load_saved_agent(tmp_path, rid)[0].state_dict()
    assert all(np.array_equal(saved[k].numpy(), best1["state"][k].numpy()) for k in saved)

    resumed = []
    s.train(on_event=resumed.append)  # Resume: the same model goes on
    assert s.num_timesteps > steps1 and len(s.episodes) > n_eps1
    assert s.best["return"] >= best1["return"]
    assert s.best["return"] == max(r["val_return"] for r in s.evaluations)
    assert resumed and all(e["step"] > steps1 for e in resumed if e["kind"] == "eval")
    assert record.save(s, tmp_path) == rid  # the same run, updated
    assert len(record.rl_runs(tmp_path)) == 1
    s.close()


def test_pause_and_resume_continue_the_same_loop():
    s = RLSession(tiny(max_steps=1024, eval_every=512))
    seen = []

    def on_event(e):
        seen.append(e["kind"])
        if e["kind"] == "progress" and "paused" not in seen:
            s.pause()
        elif e["kind"] == "paused":
            s.resume()

    s.train(on_event=on_event)
    assert "paused" in seen and s.num_timesteps >= 1024
    s.close()


def test_gif_of_a_random_episode(tmp_path):
    from PIL import Image

    from workbench.core.studies.rl.play import record_gif

    res = record_gif("CartPole-v1", tmp_path / "ep.gif", None, seed=1, scale=0.25)
    img = Image.open(tmp_path / "ep.gif")
    assert img.n_frames > 2 and res["frames"] >= img.n_frames and res["return"] > 0  # PIL merges equal frames
    with pytest.raises(WorkbenchError, match=".gif"):
        record_gif("CartPole-v1", tmp_path / "ep.png")


def test_play_hands_out_frames_and_scores(trained):
    from workbench.core.studies.rl.play import play

    agent = trained[0].best_agent()
    frames = []
    out = play("CartPole-v1", agent, frames.append, episodes=1, realtime=False, max_steps=60)
    assert frames and frames[0]["frame"].ndim == 3 and frames[0]["scores"].shape == (2,)
    assert frames[0]["score_kind"] == "probability" and out["steps"] == len(frames)


def test_cli_train_export_record_runs(tmp_path, capsys):
    from workbench.cli import main

    rc = main(["rl", "train", "--env", "CartPole-v1", "--max-steps", "2048", "--eval-every", "1024",
               "--eval-episodes", "2", "--test-episodes", "2", "--project", str(tmp_path), "--json"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert res["run_id"] and res["random_return"] is not None and res["test"]["episodes"] == 2
    rid = res["run_id"]
    assert main(["rl", "export", "--project", str(tmp_path), "--run", rid, "--out", str(tmp_path / "a.onnx"),
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["same_actions"] == 1.0
    assert main(["rl", "record", "--project", str(tmp_path), "--run", rid, "--out", str(tmp_path / "a.gif"),
                 "--max-steps", "40", "--json"]) == 0
    assert (tmp_path / "a.gif").stat().st_size > 0
    capsys.readouterr()
    assert main(["rl", "runs", "--project", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["runs"][0]["run_id"] == rid
    assert main(["rl", "train", "--env", "NoSuchEnv-v0"]) == 2
    assert "There is no environment" in capsys.readouterr().err


def test_atari_plays_with_a_random_agent():
    from workbench.core.studies.rl.play import play

    if not envs.atari_available():
        pytest.skip("ale-py is not installed")
    frames = []
    out = play("ALE/Pong-v5", None, frames.append, realtime=False, max_steps=12)
    assert out["steps"] == 12 and frames[0]["frame"].shape == (210, 160, 3)
    assert "fire" in frames[0]["actions"] and frames[0]["fps"] == pytest.approx(15.0)
