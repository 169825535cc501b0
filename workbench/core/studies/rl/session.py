"""Training an agent, live: ``RLSession`` wraps one stable-baselines3 model and learns with SB3's
own ``learn()`` plus one callback (``LiveCallback``) that

- hands out small payloads (new episodes' returns and lengths, loss terms, evaluations) at most
  every 0.1 s, for the panel's charts and the command line's progress;
- evaluates the deterministic policy every ``eval_every`` steps and keeps the best weights;
- stops on the criteria (average evaluation return, steps, episodes) or when asked; pauses.

``train()`` again continues the same model (the Resume button): the step counter, the episodes, the
best model and the run record go on where they stopped.

    s = RLSession(RLConfig("CartPole-v1", "PPO"))
    out = s.train(on_event=print)              # RLOutcome: record, best return, random return
    s.train()                                  # continue
"""
from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.studies.rl import agents, envs, presets

Event = Callable[[dict], None]
EMIT_INTERVAL_S = 0.1


@dataclass
class RLConfig:
    """Everything that repeats a training (JSON-friendly).

    preset        "zoo" (rl-baselines3-zoo's tuned settings) or "defaults" (SB3's)
    overrides     hyperparameters the user changed (gamma, ent_coef, learning_rate, n_envs, ...)
    net_arch      hidden layer sizes of the policy (and value) network; None: the preset's / SB3's
    target_return stop when the evaluation's average return reaches it (None: the env's threshold;
                  float("nan") or a value <= -1e9 switches it off)
    max_steps / max_episodes   the other stopping criteria (None: the preset's steps; no episode limit)
    eval_every    environment steps between evaluations (None: about 25 over the run)
    """

    env: str = "CartPole-v1"
    algo: str = "PPO"
    preset: str = "zoo"
    overrides: dict = field(default_factory=dict)
    net_arch: list | None = None
    seed: int = 0
    target_return: float | None = None
    max_steps: int | None = None
    max_episodes: int | None = None
    eval_every: int | None = None
    eval_episodes: int = 10
    random_episodes: int = 20
    threads: int = 1
    name: str = ""

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "RLConfig":
        from workbench.core.jsonio import from_fields

        return from_fields(cls, d)

    def settings(self) -> dict:
        s = presets.preset(self.algo, envs.env_key(self.env), self.preset)
        s.update(self.overrides or {})
        return s



def _live_callback(session: "RLSession", on_event: Event | None, budget_episodes: int | None):
    from stable_baselines3.common.callbacks import BaseCallback

    class _Live(BaseCallback):
        def __init__(self):
            super().__init__(verbose=0)
            self.pending: list = []
            self.last_emit = 0.0
            self.episodes_at_start = len(session.episodes)

        def _on_training_start(self) -> None:
            self.last_emit = time.perf_counter()

        def _on_rollout_start(self) -> None:
            # SB3 records the loss terms of the last update in its logger (we pass log_interval=None,
            # so nothing clears them before we read them)
            vals = self.model.logger.name_to_value
            losses = {k[6:]: float(v) for k, v in vals.items() if k.startswith("train/") and _finite(v)}
            if losses:
                session.losses.append({"step": int(self.num_timesteps), **losses})
                session.last_losses = losses

        def _on_step(self) -> bool:
            for info in self.locals.get("infos") or ():
                ep = info.get("episode")
                if ep is not None:
                    row = (int(self.num_timesteps), float(ep["r"]), int(ep["l"]))
                    session.episodes.append(row)
                    self.pending.append(row)
            if session.num_timesteps_target and self.num_timesteps >= session.next_eval:
                session.next_eval += session.eval_every
                if not session._evaluate(self.model, on_event):
                    session.stop_reason = "target"
                    return False
            if budget_episodes and len(session.episodes) - self.episodes_at_start >= budget_episodes:
                session.stop_reason = "episodes"
                return False
            now = time.perf_counter()
            if on_event is not None and now - self.last_emit >= EMIT_INTERVAL_S:
                self.last_emit = now
                self.flush(on_event)
            if session._stop.is_set():
                session.stop_reason = "stopped"
                return False
            if not session._running.is_set():
                self.flush(on_event)
                if on_event is not None:
                    on_event({"kind": "paused", "step": int(self.num_timesteps)})
                while not session._running.wait(0.1):
                    if session._stop.is_set():
                        break
            return True

        def flush(self, on_event):
            if on_event is None:
                return
            rows, self.pending = self.pending, []
            session.num_timesteps = int(self.num_timesteps)
            on_event({"kind": "progress", "step": int(self.num_timesteps), "episodes": rows,
                      "n_episodes": len(session.episodes), "losses": dict(session.last_losses),
                      "steps_per_s": session.steps_per_s(int(self.num_timesteps))})

        def _on_training_end(self) -> None:
            self.flush(on_event)

    return _Live()


def _finite(v) -> bool:
    try:
        return bool(np.isfinite(float(v)))
    except (TypeError, ValueError):
        return False


class RLSession:
    """One agent learning on one environment; the Trainer-like object the JobRunner drives
    (``request_stop`` / ``pause`` / ``resume``)."""

    def __init__(self, cfg: RLConfig, *, check: bool = True):
        """``check`` False leaves importing stable-baselines3 and trying the environment to
        ``prepare()``, which ``train()`` calls: the panel builds the session on the GUI thread and
        the worker does the slow part (the first import takes seconds)."""
        self.cfg = cfg
        self.settings = cfg.settings()
        own, _ = presets.split(self.settings)
        self.n_envs = int(own.get("n_envs") or 1)
        self.frame_stack = int(own.get("frame_stack") or 0)
        self.normalize = bool(own.get("normalize"))
        self.env_info: dict | None = None
        self.target: float | None = None
        self.max_steps = int(cfg.max_steps or own.get("n_timesteps") or presets.DEFAULT_STEPS)
        self.eval_every = int(cfg.eval_every or max(1000, self.max_steps // 25))
        self.episodes: list[tuple[int, float, int]] = []
        self.evaluations: list[dict] = []
        self.losses: list[dict] = []
        self.last_losses: dict = {}
        self.best: dict | None = None  # {"return", "step", "state", "normalizer"}
        self.random: envs.RandomReturn | None = None
        self.stop_reason = ""
        self.train_seconds = 0.0
        self.num_timesteps = 0
        self.num_timesteps_target = 0
        self.next_eval = self.eval_every
        self.run_id: str | None = None
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._lock = threading.Lock()
        self._snapshot: dict | None = None
        self._t_learn = 0.0
        self._steps_learn0 = 0
        self.model = None
        self.venv = self.eval_env = None
        self._live: tuple | None = None  # (snapshot it was loaded from, Agent)
        self.resume_state: dict | None = None  # a saved run's last weights (resume.py), applied at build
        self._pending_run: tuple | None = None  # (store, run id, record) of a run to resume, read in prepare()
        self._replay = False  # a resumed run: hand its earlier episodes and evaluations to the charts first
        if check:
            self.prepare()

    def prepare(self) -> None:
        """Import stable-baselines3, try the environment (one sentence when it is broken) and
        check the agent fits it; then the target return is known. Once per session (a session
        resumed from a saved run also reads its tensors here)."""
        if self._pending_run is not None:
            from workbench.core.studies.rl.resume import load_pending

            load_pending(self)
        if self.env_info is not None:
            return
        cfg = self.cfg
        agents.ensure_imported()
        info = envs.check(cfg.env, seed=cfg.seed)
        agents.check_compatible(cfg.algo, cfg.env, info["discrete"])
        t = cfg.target_return if cfg.target_return is not None else info.get("solved")
        self.target = float(t) if t is not None and np.isfinite(t) and t > -1e9 else None
        self.env_info = info

    # ---- the JobRunner's trainer interface --------------------------------------------------
    def request_stop(self) -> None:
        self._stop.set()
        self._running.set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    # ---- building ----------------------------------------------------------------------------
    def _build(self) -> None:
        from stable_baselines3.common.vec_env import VecNormalize

        cfg = self.cfg
        self.venv = agents.make_vec(cfg.env, self.n_envs, cfg.seed, frame_stack=self.frame_stack)
        n_eval = max(1, min(int(cfg.eval_episodes), 5))
        self.eval_env = agents.make_vec(cfg.env, n_eval, cfg.seed + 1000, frame_stack=self.frame_stack)
        if self.normalize:
            gamma = float(self.settings.get("gamma", 0.99))
            self.venv = VecNormalize(self.venv, gamma=gamma)
            self.eval_env = VecNormalize(self.eval_env, training=False, norm_reward=False)
        self.model = agents.build_model(cfg.algo, self.settings, self.venv, net_arch=cfg.net_arch, seed=cfg.seed)
        if self.resume_state is not None:
            from workbench.core.studies.rl.resume import apply_resume

            apply_resume(self, self.resume_state)
            self.resume_state = None

    def normalizer(self) -> agents.Normalizer | None:
        if not self.normalize or self.venv is None:
            return None
        return agents.Normalizer.from_vec(self.venv)

    # ---- training ----------------------------------------------------------------------------
    def train(self, on_event: Event | None = None, steps: int | None = None) -> "RLOutcome":
        """Learn until a stopping criterion holds (or ``steps`` more steps); call again to go on."""
        import torch

        self.prepare()
        cfg = self.cfg
        threads_before = torch.get_num_threads()
        if cfg.threads:
            torch.set_num_threads(int(cfg.threads))
        try:
            fresh_random = self.random is None
            if fresh_random:
                self.random = envs.random_return(cfg.env, episodes=int(cfg.random_episodes), seed=cfg.seed)
            if on_event is not None and (fresh_random or self._replay):
                on_event({"kind": "random", "mean": self.random.mean, "std": self.random.std,
                          "target": self.target, "max_steps": self.max_steps})
            if on_event is not None and self._replay:
                on_event({"kind": "progress", "step": self.num_timesteps, "episodes": list(self.episodes),
                          "n_episodes": len(self.episodes), "losses": {}, "steps_per_s": 0.0})
                best = float("-inf")
                for row in self.evaluations:
                    best = max(best, float(row["val_return"]))
                    on_event({"kind": "eval", "step": int(row["step"]), "mean": float(row["val_return"]),
                              "std": float(row.get("val_return_std") or 0.0), "length": row.get("val_length"),
                              "best": best, "improved": False})
            self._replay = False
            first = self.model is None
            if first:
                self._build()
            first = first and not self.model.num_timesteps  # a resumed run goes on counting
            done = int(self.model.num_timesteps)
            todo = int(steps) if steps else (self.max_steps - done if done < self.max_steps else self.max_steps)
            self.num_timesteps_target = done + todo
            self._stop.clear()
            self._running.set()
            self.stop_reason = ""
            cb = _live_callback(self, on_event, cfg.max_episodes)
            t0 = time.perf_counter()
            self._t_learn, self._steps_learn0 = t0, done
            try:
                self.model.learn(todo, callback=cb, log_interval=None, reset_num_timesteps=first)
            finally:
                self.train_seconds += time.perf_counter() - t0
            self.num_timesteps = int(self.model.num_timesteps)
            if not self.evaluations or self.evaluations[-1]["step"] != self.num_timesteps:
                self._evaluate(self.model, on_event)
            if not self.stop_reason:
                self.stop_reason = "steps"
            return RLOutcome(self)
        finally:
            torch.set_num_threads(threads_before)

    def steps_per_s(self, step: int) -> float:
        dt = time.perf_counter() - self._t_learn
        return (step - self._steps_learn0) / dt if dt > 0 else 0.0

    def _evaluate(self, model, on_event: Event | None) -> bool:
        """Evaluate the deterministic policy; keep the best; False when the target is reached."""
        from stable_baselines3.common.evaluation import evaluate_policy
        from stable_baselines3.common.vec_env import sync_envs_normalization

        if self.normalize:
            sync_envs_normalization(self.venv, self.eval_env)
        rets, lens = evaluate_policy(model, self.eval_env, n_eval_episodes=int(self.cfg.eval_episodes),
                                     deterministic=True, return_episode_rewards=True, warn=False)
        step = int(model.num_timesteps)
        recent = [r for _, r, _ in self.episodes[-100:]]
        row = {"epoch": len(self.evaluations) + 1, "step": step, "episodes": len(self.episodes),
               "val_return": float(np.mean(rets)), "val_return_std": float(np.std(rets)),
               "val_length": float(np.mean(lens)),
               "train_return_ma": float(np.mean(recent)) if recent else None,
               "time": round(self.train_seconds + time.perf_counter() - self._t_learn, 3),
               **{k: v for k, v in self.last_losses.items()}}
        self.evaluations.append(row)
        state = {k: v.detach().cpu().clone() for k, v in model.policy.state_dict().items()}
        with self._lock:
            self._snapshot = state
        improved = self.best is None or row["val_return"] > self.best["return"]
        if improved:
            norm = self.normalizer()
            self.best = {"return": row["val_return"], "step": step, "epoch": row["epoch"], "state": state,
                         "normalizer": norm.to_dict() if norm else None}
        if on_event is not None:
            on_event({"kind": "eval", "step": step, "mean": row["val_return"], "std": row["val_return_std"],
                      "length": row["val_length"], "best": self.best["return"], "improved": improved})
        return not (self.target is not None and row["val_return"] >= self.target)

    # ---- agents ------------------------------------------------------------------------------
    def snapshot(self) -> dict | None:
        """The newest policy weights (copied at each evaluation), for watching during training."""
        with self._lock:
            return self._snapshot

    def live_agent(self) -> agents.Agent | None:
        """The agent as it is now (its newest snapshot), for watching it during training: its own
        copy of the network, refreshed when a newer snapshot exists. None before the first one."""
        snap = self.snapshot()
        if snap is None:
            return None
        if self._live is None:
            norm = self.normalizer()
            agent = agents.load_agent(self.cfg.algo, self.cfg.env, self.settings, self.cfg.net_arch, snap,
                                      seed=self.cfg.seed, normalizer=norm.to_dict() if norm else None)
            self._live = (snap, agent)
        elif self._live[0] is not snap:
            agent = self._live[1]
            agent.policy.load_state_dict(snap)
            agent.normalizer = self.normalizer()
            self._live = (snap, agent)
        return self._live[1]

    def best_agent(self) -> agents.Agent:
        """The best policy so far as an Agent (its own copy of the network)."""
        if self.best is None:
            raise WorkbenchError("The agent has not been evaluated yet; train it first.")
        return agents.load_agent(self.cfg.algo, self.cfg.env, self.settings, self.cfg.net_arch,
                                 self.best["state"], seed=self.cfg.seed, normalizer=self.best["normalizer"])

    def close(self) -> None:
        for e in (self.venv, self.eval_env):
            if e is not None:
                e.close()


@dataclass
class RLOutcome:
    session: RLSession

    @property
    def best_return(self) -> float | None:
        return self.session.best["return"] if self.session.best else None

    @property
    def random_return(self) -> float | None:
        return self.session.random.mean if self.session.random else None

    @property
    def solved(self) -> bool:
        t = self.session.target
        return t is not None and self.best_return is not None and self.best_return >= t

    def summary(self) -> dict[str, Any]:
        s = self.session
        return {"env": s.cfg.env, "algo": s.cfg.algo, "seed": s.cfg.seed, "steps": s.num_timesteps,
                "episodes": len(s.episodes), "best_return": self.best_return,
                "best_step": s.best["step"] if s.best else None, "random_return": self.random_return,
                "target": s.target, "solved": self.solved, "stop_reason": s.stop_reason,
                "train_seconds": round(s.train_seconds, 2), "run_id": s.run_id}
