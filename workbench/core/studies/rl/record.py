"""An RL training as the shared run record (study "rl"), saved with the best policy's tensors, and the
saved agent read back from a project.

history      one row per evaluation: step, episodes, val_return (the evaluation's average return),
             its spread, the training episodes' moving average, the loss terms at that time
best_epoch   the evaluation whose weights were kept (the best return)
baseline     the random agent's return; test_metrics: the best agent on fresh episodes
details      the episodes (step, return, length; thinned to 5,000 rows), the loss curve, settings,
             the observation normaliser, the stopping criteria, steps per second
"""
from __future__ import annotations

from typing import Any

import numpy as np

from workbench.core.errors import ProjectError
from workbench.core.studies.rl import presets

KIND = STUDY = "rl"
TASK = "reinforcement"
MAX_ROWS = 5000


def _thin(rows: list, n: int = MAX_ROWS) -> list:
    if len(rows) <= n:
        return [list(r) if isinstance(r, tuple) else r for r in rows]
    idx = np.linspace(0, len(rows) - 1, n).round().astype(int)
    return [list(rows[i]) if isinstance(rows[i], tuple) else rows[i] for i in idx]


def test_return(session, episodes: int = 20) -> dict | None:
    """The best agent on episodes it has not seen (seeds after the evaluation's)."""
    from stable_baselines3.common.evaluation import evaluate_policy

    if session.best is None:
        return None
    agent = session.best_agent()
    from workbench.core.studies.rl.agents import make_vec

    venv = make_vec(session.cfg.env, 1, session.cfg.seed + 5000, frame_stack=session.frame_stack)
    try:
        class _Predict:  # evaluate_policy calls predict(obs, state, episode_start, deterministic)
            def predict(self, obs, state=None, episode_start=None, deterministic=True):
                return agent.policy.predict(agent.prepare(obs), deterministic=deterministic)

        rets, lens = evaluate_policy(_Predict(), venv, n_eval_episodes=episodes, deterministic=True,
                                     return_episode_rewards=True, warn=False)
    finally:
        venv.close()
    return {"return": float(np.mean(rets)), "return_std": float(np.std(rets)), "length": float(np.mean(lens)),
            "episodes": len(rets)}


def rl_record(session, test: dict | None = None):
    """The session as a RunRecord of kind "rl", through the shared builder."""
    from workbench.core.runs.record import build_record

    s, cfg = session, session.cfg
    policy = s.model.policy if s.model is not None else None
    base = {"return": s.random.mean, "return_std": s.random.std, "strategy": "random actions",
            "episodes": len(s.random.returns)} if s.random else {}
    reason = {"target": "completed", "steps": "completed", "episodes": "completed", "stopped": "stopped"}
    best = s.best or {}
    msg = _message(s)
    return build_record(
        KIND, module=policy, name=cfg.name or f"{cfg.algo} on {cfg.env}", study=STUDY, mode="holdout", task=TASK,
        config={}, data={"name": cfg.env, "spec": cfg.env, "kind": "environment",
                         "observation_shape": s.env_info["observation_shape"], "actions": s.env_info["actions"],
                         "discrete": s.env_info["discrete"], "solved": s.env_info.get("solved")},
        model={"name": f"{cfg.algo} {s.settings.get('policy', 'MlpPolicy')}", "preset": cfg.preset,
               "net_arch": cfg.net_arch or s.settings.get("net_arch") or "default"},
        train_config={"algo": cfg.algo, "preset": cfg.preset, "preset_source": presets.describe(cfg.algo, _key(cfg), cfg.preset),
                      "settings": s.settings, "rl_config": cfg.to_dict()},
        seed=cfg.seed, device="cpu", history=list(s.evaluations),
        best_epoch=best.get("epoch"), stop_reason=reason.get(s.stop_reason, "completed"), message=msg,
        baseline={"test": base, "val": base} if base else {}, test_metrics=test,
        details={"episodes": _thin(s.episodes), "losses": _thin(s.losses, 2000),
                 "best_step": best.get("step"), "normalizer": best.get("normalizer"), "target": s.target,
                 "max_steps": s.max_steps, "steps": s.num_timesteps, "stopped_by": s.stop_reason,
                 "steps_per_s": round(s.num_timesteps / s.train_seconds, 1) if s.train_seconds else None,
                 "random_returns": s.random.returns if s.random else []},
        fit_time=round(s.train_seconds, 3))


def _key(cfg):
    from workbench.core.studies.rl.envs import env_key

    return env_key(cfg.env)


def _message(s) -> str:
    best = s.best["return"] if s.best else None
    why = {"target": f"the evaluation return reached the target {s.target:g}" if s.target is not None else "target",
           "steps": f"the step limit ({s.num_timesteps:,} steps) was reached",
           "episodes": f"the episode limit ({len(s.episodes):,} episodes) was reached",
           "stopped": "you stopped it"}.get(s.stop_reason, s.stop_reason)
    rnd = f"; a random agent scores {s.random.mean:.1f}" if s.random else ""
    b = f"best evaluation return {best:.1f} at step {s.best['step']:,}" if best is not None else "no evaluation yet"
    return f"Training ended because {why}: {b}{rnd}."


def save(session, project, test: dict | None = None) -> str:
    """Save (or update, on a resumed training) the run and the best policy's tensors."""
    from workbench.core.runs import RunStore

    rec = rl_record(session, test)
    store = RunStore(project)
    from workbench.core.studies.rl.resume import resume_tensors

    # the best policy (what plays, exports and is evaluated) and, under "resume/", the last state
    weights = {**session.best["state"], **resume_tensors(session)} if session.best else None
    session.run_id = store.save(rec, weights=weights, run_id=session.run_id)
    return session.run_id


def rl_runs(project) -> list[dict[str, Any]]:
    """This study's runs, newest last (what the panel's list and `workbench rl runs` show)."""
    from workbench.core.runs import RunStore

    good, _ = RunStore(project).records()
    out = []
    for r in good:
        if r.kind != KIND:
            continue
        cfg = (r.train_config or {}).get("rl_config", {})
        out.append({"run_id": r.run_id, "name": r.label, "env": cfg.get("env"), "algo": cfg.get("algo"),
                    "seed": r.seed, "best_return": (r.best_logs or {}).get("val_return"),
                    "test_return": (r.test_metrics or {}).get("return"),
                    "random_return": r.baseline_for("test").get("return"), "steps": (r.details or {}).get("steps"),
                    "seconds": r.fit_time, "created": r.created, "stop_reason": r.stop_reason})
    return out


def load_saved_agent(project, run_id: str):
    """(Agent, RunRecord) of a saved RL run."""
    from workbench.core.runs import RunStore
    from workbench.core.studies.rl.agents import load_agent

    store = RunStore(project)
    rec = store.load(run_id)
    if rec.kind != KIND:
        raise ProjectError(f"The run {run_id} is not a reinforcement-learning run; choose one from 'workbench rl runs'.")
    tc = rec.train_config or {}
    cfg = tc.get("rl_config") or {}
    if not isinstance(cfg, dict) or not cfg.get("env") or not cfg.get("algo"):
        raise ProjectError(f"The run file of {run_id} is damaged: it does not say which environment and agent it used.")
    if not store.weights_path(run_id).is_file():
        raise ProjectError(f"The run {run_id} has no saved weights (it was stopped before its first evaluation).")
    from workbench.core.studies.rl.resume import split_weights

    state, _ = split_weights(store.load_weights(run_id))
    agent = load_agent(cfg["algo"], cfg["env"], tc.get("settings") or {}, cfg.get("net_arch"), state,
                       seed=int(cfg.get("seed") or 0), normalizer=(rec.details or {}).get("normalizer"))
    return agent, rec


def train_and_record(session, on_event=None, project=None, test_episodes: int = 10) -> dict:
    """Train (or go on training) and make the run: tested on fresh episodes, saved in ``project``
    when one is given. Returns {"summary", "record"} (the record as a dict)."""
    out = session.train(on_event=on_event)
    test = test_return(session, test_episodes) if test_episodes and session.best else None
    if project is not None:
        save(session, project, test)
    rec = rl_record(session, test)
    rec.run_id = session.run_id
    summary = out.summary()
    summary["test"] = test
    return {"summary": summary, "record": rec.to_dict()}
