"""Agents: stable-baselines3's PPO, DQN, A2C and SAC built from a preset, the vectorized environments
they learn on, and ``Agent``, the trained policy as a plain object that acts, shows what it thinks
(action probabilities, Q-values or the continuous action) and saves as JSON settings + tensors.
"""
from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.studies.rl import envs, presets


_IMPORTS = threading.Lock()
_imported = False


def ensure_imported() -> None:
    """Import stable-baselines3 and gymnasium once, under a lock: a training and a play loop that
    start together in two threads would otherwise import the same modules at the same time, which
    Python may stop with a deadlock error."""
    global _imported
    if _imported:
        return
    with _IMPORTS:
        if not _imported:
            import gymnasium  # noqa: F401
            import stable_baselines3  # noqa: F401
            from stable_baselines3.common import (atari_wrappers, callbacks, env_util, evaluation,  # noqa: F401
                                                  preprocessing, utils, vec_env)
            _imported = True


def algorithm_class(algo: str):
    import stable_baselines3 as sb3

    return getattr(sb3, presets.check_algorithm(algo))


def check_compatible(algo: str, env_id: str, discrete: bool) -> None:
    algo = presets.check_algorithm(algo)
    if algo == "DQN" and not discrete:
        raise WorkbenchError(f"DQN picks one of a few actions, but {env_id} takes a continuous action; "
                             "choose PPO, A2C or SAC.")
    if algo == "SAC" and discrete:
        raise WorkbenchError(f"SAC outputs a continuous action, but {env_id} takes one of a few actions; "
                             "choose PPO, A2C or DQN.")


def make_vec(env_id: str, n_envs: int, seed: int, *, frame_stack: int = 0, render: bool = False,
             atari_wrap: bool = True):
    """SB3's vectorized environment (each copy in a Monitor, so episode returns are the game's own)."""
    ensure_imported()
    from stable_baselines3.common.env_util import make_atari_env, make_vec_env
    from stable_baselines3.common.vec_env import VecFrameStack

    mode = "rgb_array" if render else None
    if envs.is_atari(env_id) and atari_wrap:
        envs._register_atari()
        if render:
            envs._quiet_rendering()
        venv = make_atari_env(lambda **kw: envs.make(env_id, render_mode=mode, frameskip=1),
                              n_envs=n_envs, seed=seed)
        return VecFrameStack(venv, frame_stack or 4)
    builtin = envs.is_builtin(env_id)

    def one():
        e = envs.make(env_id, render_mode=mode)
        return e if builtin else envs.guard(e)

    venv = make_vec_env(one, n_envs=n_envs, seed=seed)
    return VecFrameStack(venv, frame_stack) if frame_stack else venv


@dataclass
class Normalizer:
    """VecNormalize's observation statistics, as JSON (the zoo normalizes Acrobot and MountainCar)."""

    mean: list
    var: list
    clip: float = 10.0
    epsilon: float = 1e-8

    @classmethod
    def from_vec(cls, vec) -> "Normalizer":
        return cls(np.asarray(vec.obs_rms.mean, dtype=np.float64).tolist(),
                   np.asarray(vec.obs_rms.var, dtype=np.float64).tolist(), float(vec.clip_obs), float(vec.epsilon))

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        m, v = np.asarray(self.mean), np.asarray(self.var)
        return np.clip((obs - m) / np.sqrt(v + self.epsilon), -self.clip, self.clip).astype(np.float32)

    def to_dict(self) -> dict:
        return {"mean": self.mean, "var": self.var, "clip": self.clip, "epsilon": self.epsilon}


def build_model(algo: str, settings: dict[str, Any], venv, *, net_arch: list[int] | None, seed: int,
                for_play: bool = False):
    """The SB3 model on ``venv`` from a preset's settings (``net_arch`` wins over the preset's)."""
    _, kw = presets.split(settings)
    kw = {k: presets.resolve(v) for k, v in kw.items()}
    policy = settings.get("policy", "MlpPolicy")
    arch = list(net_arch) if net_arch else settings.get("net_arch")
    pk = {"net_arch": [int(n) for n in arch]} if arch else {}
    if for_play and "buffer_size" in kw:
        kw["buffer_size"] = 1  # a policy that only plays needs no replay memory
        kw["learning_starts"] = 0
    device = "cpu" if policy == "MlpPolicy" else "auto"
    cls = algorithm_class(algo)
    try:
        with warnings.catch_warnings():
            if for_play:  # batch sizes that do not divide one copy's rollout: irrelevant for playing
                warnings.simplefilter("ignore", UserWarning)
            return cls(policy, venv, seed=seed, device=device, verbose=0, policy_kwargs=pk or None, **kw)
    except (TypeError, ValueError, AssertionError) as e:
        raise WorkbenchError(f"{algo} cannot be built with these settings ({type(e).__name__}: "
                             f"{str(e).strip()[:200]}); check the preset values and the layer sizes.") from None


@dataclass
class Agent:
    """A policy that plays: ``act(obs)`` -> (action, scores); scores are what the panel shows beside
    the game (probabilities for PPO/A2C, Q-values for DQN, the action itself when continuous)."""

    algo: str
    policy: Any  # the SB3 policy module
    env_id: str
    discrete: bool
    action_names: tuple = ()
    normalizer: Normalizer | None = None
    settings: dict = field(default_factory=dict)

    @property
    def score_kind(self) -> str:
        if not self.discrete:
            return "action"
        return "Q-value" if self.algo == "DQN" else "probability"

    def prepare(self, obs: np.ndarray) -> np.ndarray:
        return self.normalizer(obs) if self.normalizer is not None else obs

    def act(self, obs: np.ndarray, deterministic: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """``obs`` is a batch as the vectorized environment returns it (not normalized)."""
        import torch

        x = self.prepare(obs)
        action, _ = self.policy.predict(x, deterministic=deterministic)
        with torch.no_grad():
            t, _ = self.policy.obs_to_tensor(x)
            if not self.discrete:
                scores = np.asarray(action, dtype=np.float32).reshape(len(x), -1)
            elif self.algo == "DQN":
                scores = self.policy.q_net(t).cpu().numpy()
            else:
                scores = self.policy.get_distribution(t).distribution.probs.cpu().numpy()
        return np.asarray(action), np.asarray(scores, dtype=np.float32)

    def state_dict(self) -> dict:
        return {k: v.detach().cpu().clone() for k, v in self.policy.state_dict().items()}


def agent_from_model(model, algo: str, env_id: str, normalizer: Normalizer | None = None,
                     settings: dict | None = None) -> Agent:
    import gymnasium as gym

    discrete = isinstance(model.action_space, gym.spaces.Discrete)
    names = ()
    try:
        first = model.get_env().envs[0] if hasattr(model.get_env(), "envs") else None
    except Exception:
        first = None
    if first is None:
        e = _unwrap_first(model.get_env())
        first = e
    if first is not None:
        names = envs.action_names(first, env_id)
    return Agent(presets.check_algorithm(algo), model.policy, env_id, discrete, names, normalizer, dict(settings or {}))


def _unwrap_first(venv):
    v = venv
    while v is not None and not hasattr(v, "envs"):
        v = getattr(v, "venv", None)
    return v.envs[0] if v is not None else None


def load_agent(algo: str, env_id: str, settings: dict, net_arch, state_dict: dict, seed: int = 0,
               normalizer: dict | None = None) -> Agent:
    """Rebuild a saved agent from its settings and policy tensors (no pickle: SB3's zip is not used)."""
    own, _ = presets.split(settings)
    venv = make_vec(env_id, 1, seed, frame_stack=int(own.get("frame_stack") or 0))
    model = build_model(algo, settings, venv, net_arch=net_arch, seed=seed, for_play=True)
    try:
        model.policy.load_state_dict(state_dict)
    except (RuntimeError, KeyError) as e:
        raise WorkbenchError(f"The saved weights do not fit a {algo} agent with these layer sizes "
                             f"({str(e).strip().splitlines()[0][:160]}); the run file may be damaged.") from None
    model.policy.set_training_mode(False)
    norm = Normalizer(**normalizer) if normalizer else None
    agent = agent_from_model(model, algo, env_id, norm, settings)
    venv.close()
    return agent
