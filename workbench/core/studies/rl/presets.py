"""Tuned hyperparameters of the rl-baselines3-zoo, written out as presets.

Source: DLR-RM/rl-baselines3-zoo, ``hyperparams/ppo.yml``, ``dqn.yml``, ``a2c.yml`` and ``sac.yml``
(the zoo's LunarLander-v2 entries are used for gymnasium's LunarLander-v3, the same task; its
"atari" entries for every ALE game). ``lin_X`` in the zoo is a learning rate or clip range that
falls linearly from X to 0 over the run; here it is the string "lin_X", turned into SB3's schedule
by ``resolve``. ``n_timesteps`` is the zoo's training budget, used as the default step limit.

A combination the zoo has not tuned (A2C on Pendulum, SAC on anything but Pendulum) starts from
stable-baselines3's own defaults, and ``describe`` says so.
"""
from __future__ import annotations

from typing import Any

from workbench.core.errors import WorkbenchError

ALGORITHMS = ("PPO", "DQN", "A2C", "SAC")
ZOO_SOURCE = "rl-baselines3-zoo, hyperparams/{algo}.yml"

# (algo, env key) -> the zoo's settings; env key is the gymnasium id or "atari"
ZOO: dict[tuple[str, str], dict[str, Any]] = {
    ("PPO", "CartPole-v1"): {"n_envs": 8, "n_timesteps": 100_000, "n_steps": 32, "batch_size": 256,
                             "gae_lambda": 0.8, "gamma": 0.98, "n_epochs": 20, "ent_coef": 0.0,
                             "learning_rate": "lin_0.001", "clip_range": "lin_0.2"},
    ("PPO", "Acrobot-v1"): {"normalize": True, "n_envs": 16, "n_timesteps": 1_000_000, "n_steps": 256,
                            "gae_lambda": 0.94, "gamma": 0.99, "n_epochs": 4, "ent_coef": 0.0},
    ("PPO", "MountainCar-v0"): {"normalize": True, "n_envs": 16, "n_timesteps": 1_000_000, "n_steps": 16,
                                "gae_lambda": 0.98, "gamma": 0.99, "n_epochs": 4, "ent_coef": 0.0},
    ("PPO", "Pendulum-v1"): {"n_envs": 4, "n_timesteps": 100_000, "n_steps": 1024, "gae_lambda": 0.95,
                             "gamma": 0.9, "n_epochs": 10, "ent_coef": 0.0, "learning_rate": 1e-3,
                             "clip_range": 0.2, "use_sde": True, "sde_sample_freq": 4},
    ("PPO", "LunarLander-v3"): {"n_envs": 16, "n_timesteps": 1_000_000, "n_steps": 1024, "batch_size": 64,
                                "gae_lambda": 0.98, "gamma": 0.999, "n_epochs": 4, "ent_coef": 0.01},
    ("PPO", "atari"): {"frame_stack": 4, "policy": "CnnPolicy", "n_envs": 8, "n_steps": 128, "n_epochs": 4,
                       "batch_size": 256, "n_timesteps": 10_000_000, "learning_rate": "lin_2.5e-4",
                       "clip_range": "lin_0.1", "vf_coef": 0.5, "ent_coef": 0.01},
    ("DQN", "CartPole-v1"): {"n_timesteps": 200_000, "learning_rate": 2.5e-4, "batch_size": 512,
                             "buffer_size": 100_000, "learning_starts": 0, "gamma": 0.99,
                             "target_update_interval": 5000, "train_freq": 16, "gradient_steps": 4,
                             "exploration_fraction": 0.06, "exploration_final_eps": 0.11},
    ("DQN", "Acrobot-v1"): {"n_timesteps": 150_000, "learning_rate": 2.5e-4, "batch_size": 512,
                            "buffer_size": 100_000, "learning_starts": 0, "gamma": 0.99,
                            "target_update_interval": 5000, "train_freq": 16, "gradient_steps": 4,
                            "exploration_fraction": 0.06, "exploration_final_eps": 0.11},
    ("DQN", "MountainCar-v0"): {"n_timesteps": 120_000, "learning_rate": 4e-3, "batch_size": 128,
                                "buffer_size": 10_000, "learning_starts": 1000, "gamma": 0.98,
                                "target_update_interval": 5000, "train_freq": 16, "gradient_steps": 8,
                                "exploration_fraction": 0.2, "exploration_final_eps": 0.07, "net_arch": [256, 256]},
    ("DQN", "LunarLander-v3"): {"n_timesteps": 150_000, "learning_rate": 8.8e-4, "batch_size": 32,
                                "buffer_size": 1_000_000, "learning_starts": 0, "gamma": 0.99,
                                "target_update_interval": 10_000, "train_freq": 16, "gradient_steps": -1,
                                "exploration_fraction": 0.2, "exploration_final_eps": 0.1, "net_arch": [256, 256]},
    ("DQN", "atari"): {"frame_stack": 4, "policy": "CnnPolicy", "n_timesteps": 10_000_000, "buffer_size": 1_000_000,
                       "learning_rate": 1e-4, "batch_size": 32, "learning_starts": 100_000,
                       "target_update_interval": 10_000, "train_freq": 4, "gradient_steps": 1,
                       "exploration_fraction": 0.1, "exploration_final_eps": 0.1},
    ("A2C", "CartPole-v1"): {"n_envs": 8, "n_timesteps": 500_000, "ent_coef": 0.0},
    ("A2C", "Acrobot-v1"): {"normalize": True, "n_envs": 16, "n_timesteps": 500_000, "ent_coef": 0.0},
    ("A2C", "MountainCar-v0"): {"normalize": True, "n_envs": 16, "n_timesteps": 1_000_000, "ent_coef": 0.0},
    ("A2C", "LunarLander-v3"): {"n_envs": 8, "n_timesteps": 200_000, "gamma": 0.995, "n_steps": 5,
                                "learning_rate": "lin_0.00083", "ent_coef": 0.00001},
    ("A2C", "atari"): {"frame_stack": 4, "policy": "CnnPolicy", "n_envs": 16, "n_timesteps": 10_000_000,
                       "ent_coef": 0.01, "vf_coef": 0.25},
    ("SAC", "Pendulum-v1"): {"n_timesteps": 20_000, "learning_rate": 1e-3},
}

# keys that are not arguments of the algorithm's constructor
_OWN_KEYS = {"n_envs", "n_timesteps", "normalize", "frame_stack", "policy", "net_arch"}
DEFAULT_STEPS = 100_000


def zoo_entry(algo: str, env_key: str) -> dict[str, Any] | None:
    e = ZOO.get((algo.upper(), env_key))
    return dict(e) if e is not None else None


def preset(algo: str, env_key: str, name: str = "zoo") -> dict[str, Any]:
    """The settings a training starts from: the zoo's tuned ones ("zoo") or SB3's defaults
    ("defaults", and the zoo's missing combinations), with n_envs / n_timesteps filled in."""
    algo = check_algorithm(algo)
    if name not in ("zoo", "defaults"):
        raise WorkbenchError(f"Unknown preset {name!r}; choose 'zoo' (the zoo's tuned settings) or 'defaults'.")
    base = (zoo_entry(algo, env_key) if name == "zoo" else None) or {}
    if env_key == "atari" and not base:
        base = {"frame_stack": 4, "policy": "CnnPolicy"}
    base.setdefault("n_envs", 1)
    base.setdefault("n_timesteps", DEFAULT_STEPS)
    return base


def describe(algo: str, env_key: str, name: str = "zoo") -> str:
    if name == "zoo" and zoo_entry(algo, env_key) is not None:
        return f"tuned settings from {ZOO_SOURCE.format(algo=algo.lower())} ({env_key})"
    if name == "zoo":
        return (f"the zoo has no tuned {algo} settings for {env_key}: stable-baselines3's defaults "
                f"with {DEFAULT_STEPS:,} steps")
    return "stable-baselines3's defaults"


def check_algorithm(algo: str) -> str:
    a = str(algo).strip().upper()
    if a not in ALGORITHMS:
        raise WorkbenchError(f"Unknown agent {algo!r}; choose one of {', '.join(ALGORITHMS)}.")
    return a


def split(settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(our own keys, the algorithm's constructor keywords)."""
    own = {k: v for k, v in settings.items() if k in _OWN_KEYS}
    algo_kw = {k: v for k, v in settings.items() if k not in _OWN_KEYS}
    return own, algo_kw


def resolve(value: Any) -> Any:
    """"lin_X" -> SB3's linear schedule from X to 0; anything else unchanged."""
    if isinstance(value, str) and value.startswith("lin_"):
        from stable_baselines3.common.utils import LinearSchedule

        start = float(value[4:])
        return LinearSchedule(start, 0.0, 1.0)
    return value


def parse_layers(text: str | None) -> list[int] | None:
    """"64,64" -> [64, 64]; empty -> None (the preset's sizes)."""
    if not text or not str(text).strip():
        return None
    try:
        sizes = [int(t) for t in str(text).replace(" ", "").split(",") if t]
    except ValueError:
        raise WorkbenchError(f"The layer sizes {text!r} are not a list of whole numbers such as 64,64.") from None
    if not sizes or any(n < 1 or n > 4096 for n in sizes):
        raise WorkbenchError("Layer sizes go from 1 to 4096 units, such as 64,64.")
    return sizes


def parse_value(text: str):
    """A hyperparameter typed by a user: a number, true/false, or text ("lin_0.001", "auto")."""
    import json

    t = str(text).strip()
    try:
        return json.loads(t.lower() if t.lower() in ("true", "false") else t)
    except ValueError:
        return t
