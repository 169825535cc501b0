"""Going on with a saved RL run after the app (or the command line) restarted.

A run's weights file holds the best policy's tensors (what Watch, export and eval use) and, under
keys starting with ``resume/``, what training needs to continue where it stopped: the policy as it
was last (not only the best), the optimizers' moments, the observation normaliser's running
statistics and the step counter. Everything is plain tensors, read back with
``torch.load(weights_only=True)``; the rest (settings, episodes, evaluations, the random agent's
returns) comes from the run's JSON record.

Stable-baselines3's own ``model.save`` / ``load`` is not used: its zip stores the model's
attributes as JSON but some of them (the learning-rate schedule, the spaces) as cloudpickle, which
``load`` unpickles, and that runs code. Here the model is rebuilt from the settings and only tensors
are loaded into it. What is not kept: DQN's and SAC's replay memory (it fills again from the
resumed agent's own play, as at the start of training) and the random generators' states.

    s = session_from_run(project, run_id, max_steps=20_000)   # reads the record; nothing heavy yet
    train_and_record(s, project=project)                      # builds, loads the tensors, goes on
"""
from __future__ import annotations

from typing import Any

from workbench.core.errors import ProjectError

PREFIX = "resume/"


def _optimizers(model) -> dict[str, Any]:
    """The model's optimizers by name (PPO, A2C, DQN: the policy's; SAC: actor, critic, entropy)."""
    out = {}
    for name, owner, attr in (("policy", model.policy, "optimizer"), ("actor", getattr(model, "actor", None), "optimizer"),
                              ("critic", getattr(model, "critic", None), "optimizer"),
                              ("ent_coef", model, "ent_coef_optimizer")):
        opt = getattr(owner, attr, None) if owner is not None else None
        if opt is not None and all(opt is not o for o in out.values()):
            out[name] = opt
    return out


def resume_tensors(session) -> dict:
    """What continuing needs, as flat ``resume/...`` tensors (empty before the model exists)."""
    import torch

    m = session.model
    if m is None:
        return {}
    out = {f"{PREFIX}policy/{k}": v.detach().cpu().clone() for k, v in m.policy.state_dict().items()}
    for name, opt in _optimizers(m).items():
        for idx, st in opt.state_dict()["state"].items():
            for key, v in st.items():
                out[f"{PREFIX}optim/{name}/{idx}/{key}"] = torch.as_tensor(v).detach().cpu().clone()
    log_ent = getattr(m, "log_ent_coef", None)
    if isinstance(log_ent, torch.Tensor):
        out[f"{PREFIX}log_ent_coef"] = log_ent.detach().cpu().clone()
    rms = _running_stats(session.venv)
    for part, stats in rms.items():
        for key, v in stats.items():
            out[f"{PREFIX}{part}/{key}"] = torch.as_tensor(v, dtype=torch.float64)
    out[f"{PREFIX}num_timesteps"] = torch.tensor(int(m.num_timesteps), dtype=torch.int64)
    return out


def _running_stats(venv) -> dict:
    from stable_baselines3.common.vec_env import VecNormalize

    if not isinstance(venv, VecNormalize):
        return {}
    return {part: {"mean": rms.mean, "var": rms.var, "count": rms.count}
            for part, rms in (("obs_rms", venv.obs_rms), ("ret_rms", venv.ret_rms))}


def split_weights(state: dict) -> tuple[dict, dict]:
    """A run's weights file -> (the best policy's tensors, the ``resume/`` tensors without the prefix)."""
    best = {k: v for k, v in state.items() if not k.startswith(PREFIX)}
    rest = {k[len(PREFIX):]: v for k, v in state.items() if k.startswith(PREFIX)}
    return best, rest


def apply_resume(session, state: dict) -> None:
    """Load ``state`` (``split_weights``' second part) into the session's freshly built model."""
    import torch

    from workbench.core.errors import WorkbenchError

    m = session.model
    policy = {k[7:]: v for k, v in state.items() if k.startswith("policy/")}
    try:
        if policy:
            m.policy.load_state_dict(policy)
        for name, opt in _optimizers(m).items():
            mine = {k: v for k, v in state.items() if k.startswith(f"optim/{name}/")}
            if not mine:
                continue
            per: dict[int, dict] = {}
            for k, v in mine.items():
                _, _, idx, key = k.split("/", 3)
                per.setdefault(int(idx), {})[key] = v
            sd = opt.state_dict()
            opt.load_state_dict({"state": per, "param_groups": sd["param_groups"]})
    except (RuntimeError, KeyError, ValueError) as e:
        raise WorkbenchError(f"The saved training state does not fit a {session.cfg.algo} agent with these layer "
                             f"sizes ({str(e).strip().splitlines()[0][:160]}); train a new agent instead.") from None
    if "log_ent_coef" in state and isinstance(getattr(m, "log_ent_coef", None), torch.Tensor):
        with torch.no_grad():
            m.log_ent_coef.copy_(state["log_ent_coef"])
    from stable_baselines3.common.vec_env import VecNormalize

    if isinstance(session.venv, VecNormalize):
        for part in ("obs_rms", "ret_rms"):
            rms = getattr(session.venv, part)
            if f"{part}/mean" in state:
                rms.mean = state[f"{part}/mean"].numpy().reshape(rms.mean.shape)
                rms.var = state[f"{part}/var"].numpy().reshape(rms.var.shape)
                rms.count = float(state[f"{part}/count"])
    steps = int(state.get("num_timesteps", torch.tensor(session.num_timesteps)))
    m.num_timesteps = steps
    session.num_timesteps = steps
    session.next_eval = steps + session.eval_every


def session_from_run(project, run_id: str, *, max_steps: int | None = None, check: bool = True):
    """An ``RLSession`` that goes on with the saved run ``run_id`` (its settings, episodes,
    evaluations, best agent and random agent's return; the same run is updated when it is saved).
    ``max_steps``: steps to add (default: up to the run's own step budget, or as many again once
    it was reached). ``check`` False leaves
    importing stable-baselines3 and loading the tensors to ``train()`` (the panel's worker)."""
    from workbench.core.runs import RunStore
    from workbench.core.studies.rl.record import KIND
    from workbench.core.studies.rl.session import RLConfig, RLSession

    store = RunStore(project)
    rec = store.load(run_id)
    if rec.kind != KIND:
        raise ProjectError(f"The run {run_id} is not a reinforcement-learning run; choose one from 'workbench rl runs'.")
    raw = (rec.train_config or {}).get("rl_config")
    if not isinstance(raw, dict) or not raw.get("env") or not raw.get("algo"):
        raise ProjectError(f"The run file of {run_id} is damaged: it does not say which environment and agent it used.")
    if not store.weights_path(run_id).is_file():
        raise ProjectError(f"The run {run_id} has no saved weights (it was stopped before its first evaluation); "
                           "train a new agent instead.")
    try:
        cfg = RLConfig.from_dict(raw)
    except (TypeError, ValueError) as e:
        raise ProjectError(f"The run file of {run_id} has unreadable settings ({e}).") from None
    d = rec.details or {}
    done = int(d.get("steps") or 0)
    budget = int(d.get("max_steps") or cfg.max_steps or 0)
    if max_steps:
        cfg.max_steps = done + int(max_steps)
    elif budget:  # up to the run's own step budget, or that many more once it was reached
        cfg.max_steps = budget if done < budget else done + budget
    s = RLSession(cfg, check=False)
    s.run_id = run_id
    s.episodes = [tuple(r) for r in d.get("episodes") or []]
    s.evaluations = [dict(r) for r in rec.history or []]
    s.losses = [dict(r) for r in d.get("losses") or []]
    s.train_seconds = float(rec.fit_time or 0.0)
    s.num_timesteps = done
    s.next_eval = done + s.eval_every
    rnd = d.get("random_returns") or []
    if rnd:
        import numpy as np

        from workbench.core.studies.rl.envs import RandomReturn

        s.random = RandomReturn(float(np.mean(rnd)), float(np.std(rnd)), list(rnd))
    s._pending_run = (store, run_id, rec)
    s._replay = True
    if check:
        s.prepare()
    return s


def load_pending(session) -> None:
    """The saved tensors of a session made by ``session_from_run`` (called by ``prepare()``)."""
    pending = getattr(session, "_pending_run", None)
    if pending is None:
        return
    store, run_id, rec = pending
    best_state, rest = split_weights(store.load_weights(run_id))
    best = rec.best_logs
    session.best = {"return": float(best.get("val_return", float("-inf"))), "step": (rec.details or {}).get("best_step"),
                    "epoch": rec.best_epoch, "state": best_state, "normalizer": (rec.details or {}).get("normalizer")}
    # a run saved before resuming existed: go on from the best policy (no optimizer state)
    session.resume_state = rest or {"policy/" + k: v for k, v in best_state.items()}
    session._pending_run = None
