"""Environments: the classic-control set, LunarLander (Box2D), Atari through ale-py, and a user's own
Gymnasium environment ("my_module:MyEnv" or any registered id).

Every failure a user can cause (an unknown name, a module that does not import, an environment that
raises in reset or step) is an ``EnvironmentFailed`` with one sentence; ``guard`` wraps a user's
environment so that a crash in the middle of training says the same.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field

import numpy as np

from workbench.core.errors import WorkbenchError


class EnvironmentFailed(WorkbenchError):
    """An environment that cannot be made, or that crashed in reset or step."""


@dataclass(frozen=True)
class EnvInfo:
    id: str
    label: str
    solved: float | None  # the return at which the task counts as solved (gymnasium's threshold)
    actions: tuple[str, ...] = ()  # names of the discrete actions, in order
    note: str = ""


CLASSIC: dict[str, EnvInfo] = {e.id: e for e in (
    EnvInfo("CartPole-v1", "CartPole: keep a pole upright", 475.0, ("push left", "push right"),
            "+1 for every step the pole stays up, at most 500 a episode"),
    EnvInfo("Acrobot-v1", "Acrobot: swing the tip above the line", -100.0, ("torque -1", "no torque", "torque +1"),
            "-1 for every step until the tip is high enough, at most 500 steps"),
    EnvInfo("MountainCar-v0", "MountainCar: drive up the hill", -110.0, ("push left", "no push", "push right"),
            "-1 for every step until the car reaches the flag (hard: the reward is sparse)"),
    EnvInfo("Pendulum-v1", "Pendulum: swing up and hold (continuous torque)", -200.0, (),
            "minus the angle, speed and torque costs, 200 steps; a continuous action: PPO, A2C or SAC"),
    EnvInfo("LunarLander-v3", "LunarLander: land between the flags", 200.0,
            ("do nothing", "fire left engine", "fire main engine", "fire right engine"),
            "shaped reward for approaching and landing, -100 for a crash; needs Box2D"),
)}

ATARI_GAMES = ("Pong", "Breakout", "SpaceInvaders", "Boxing", "Freeway", "Enduro", "Seaquest", "MsPacman")


def atari_id(game: str) -> str:
    return f"ALE/{game}-v5"


def is_atari(env_id: str) -> bool:
    return str(env_id).startswith("ALE/")


def env_key(env_id: str) -> str:
    """The key of the presets (the id, or "atari" for every ALE game)."""
    return "atari" if is_atari(env_id) else str(env_id)


def info(env_id: str) -> EnvInfo:
    if env_id in CLASSIC:
        return CLASSIC[env_id]
    if is_atari(env_id):
        game = env_id[4:].split("-")[0]
        return EnvInfo(env_id, f"Atari {game}", None, (), "the game's score; a frame stack of 4 gray 84x84 images")
    return EnvInfo(env_id, env_id, None, (), "your own environment")


def available() -> list[str]:
    """Ids of the built-in environments that work on this machine (LunarLander only with Box2D)."""
    out = [e for e in CLASSIC if e != "LunarLander-v3" or box2d_available()]
    if atari_available():
        out += [atari_id(g) for g in ATARI_GAMES]
    return out


def box2d_available() -> bool:
    try:
        import Box2D  # noqa: F401
    except ImportError:
        return False
    return True


def atari_available() -> bool:
    try:
        import ale_py  # noqa: F401
    except ImportError:
        return False
    return True


def _quiet_rendering() -> None:
    # gymnasium draws classic control with pygame; no window, no sound device, no banner
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def _register_atari() -> None:
    import gymnasium as gym

    try:
        import ale_py
    except ImportError:
        raise EnvironmentFailed("Atari games need the ale-py package, which is not installed; "
                                "reinstall Workbench with its dependencies.") from None
    gym.register_envs(ale_py)


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [""])[0][:200] or type(e).__name__


def make(env_id: str, *, render_mode: str | None = None, **kwargs):
    """One gymnasium environment (no wrappers of ours); ``EnvironmentFailed`` with a sentence when
    the name is unknown or the environment cannot be built."""
    import gymnasium as gym

    env_id = str(env_id).strip()
    if not env_id:
        raise EnvironmentFailed("No environment was given; choose one (for example CartPole-v1).")
    if render_mode:
        _quiet_rendering()
    if is_atari(env_id):
        _register_atari()
    if env_id == "LunarLander-v3" and not box2d_available():
        raise EnvironmentFailed("LunarLander needs the Box2D package, which is not installed on this machine; "
                                "choose a classic-control environment.")
    module, sep, attr = env_id.partition(":")
    try:
        if sep and attr.isidentifier():
            return _make_class(env_id, module, attr, render_mode, kwargs)
        return gym.make(env_id, render_mode=render_mode, **kwargs)
    except EnvironmentFailed:
        raise
    except gym.error.Error as e:  # NameNotFound, NamespaceNotFound, VersionNotFound, DependencyNotInstalled ...
        raise EnvironmentFailed(f"There is no environment {env_id!r} ({_first_line(e)}); choose one of "
                                f"{', '.join(CLASSIC)}, an Atari game, a registered id or 'module:ClassName'.") from None
    except ModuleNotFoundError as e:
        raise EnvironmentFailed(f"The module of the environment {env_id!r} cannot be imported ({_first_line(e)}); "
                                "check the name and that the module is on the Python path.") from None
    except Exception as e:  # the user's own code raised while building
        raise EnvironmentFailed(f"The environment {env_id!r} crashed while being created "
                                f"({type(e).__name__}: {_first_line(e)}); fix it or choose another.") from None


def _make_class(env_id, module, attr, render_mode, kwargs):
    import gymnasium as gym

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as e:
        raise EnvironmentFailed(f"The module {module!r} of the environment {env_id!r} cannot be imported "
                                f"({_first_line(e)}); check the name and that it is on the Python path.") from None
    except Exception as e:
        raise EnvironmentFailed(f"The module {module!r} raised while being imported ({type(e).__name__}: "
                                f"{_first_line(e)}); fix it and try again.") from None
    cls = getattr(mod, attr, None)
    if cls is None:
        return gym.make(env_id, render_mode=render_mode, **kwargs)  # "module:EnvId-v0", gymnasium's own syntax
    if not (isinstance(cls, type) and issubclass(cls, gym.Env)):
        raise EnvironmentFailed(f"{env_id!r} is not a gymnasium.Env class; give 'module:ClassName' of a "
                                "class that subclasses gymnasium.Env.")
    env = cls(render_mode=render_mode, **kwargs) if render_mode else cls(**kwargs)
    if env.spec is None or getattr(env.spec, "max_episode_steps", None) is None:
        env = gym.wrappers.TimeLimit(env, max_episode_steps=int(kwargs.get("max_episode_steps", 1000)))
    return env


def guard(env):
    """Wrap an environment so that an exception in reset or step is one sentence."""
    import gymnasium as gym

    class Guarded(gym.Wrapper):
        def reset(self, **kw):
            try:
                return self.env.reset(**kw)
            except Exception as e:
                raise EnvironmentFailed(_crash(self, "reset", e)) from None

        def step(self, action):
            try:
                return self.env.step(action)
            except Exception as e:
                raise EnvironmentFailed(_crash(self, "step", e)) from None

    return Guarded(env)


def _crash(env, where: str, e: BaseException) -> str:
    name = getattr(getattr(env, "spec", None), "id", None) or type(env.unwrapped).__name__
    return (f"The environment {name!r} crashed in {where} ({type(e).__name__}: {_first_line(e)}); "
            "fix it or choose another environment.")


def is_builtin(env_id: str) -> bool:
    return env_id in CLASSIC or is_atari(env_id)


def check(env_id: str, steps: int = 20, seed: int = 0) -> dict:
    """Build the environment and take a few random steps, so a broken one fails before training
    with one sentence. Returns what the panel shows: spaces, action names, frame rate."""
    import gymnasium as gym

    env = guard(make(env_id))
    try:
        obs_space, act_space = env.observation_space, env.action_space
        if not isinstance(act_space, (gym.spaces.Discrete, gym.spaces.Box)):
            raise EnvironmentFailed(f"The environment {env_id!r} has a {type(act_space).__name__} action space; "
                                    "the agents here take Discrete or Box actions.")
        if not isinstance(obs_space, gym.spaces.Box):
            raise EnvironmentFailed(f"The environment {env_id!r} observes a {type(obs_space).__name__}; "
                                    "the agents here read Box observations (vectors or images).")
        env.reset(seed=seed)
        act_space.seed(seed)
        for _ in range(steps):
            _, _, term, trunc, _ = env.step(act_space.sample())
            if term or trunc:
                env.reset()
        return {"id": env_id, "observation_shape": list(obs_space.shape),
                "discrete": isinstance(act_space, gym.spaces.Discrete),
                "n_actions": int(act_space.n) if isinstance(act_space, gym.spaces.Discrete) else int(np.prod(act_space.shape)),
                "actions": list(action_names(env, env_id)), "fps": frame_rate(env),
                "solved": info(env_id).solved if is_builtin(env_id) else _threshold(env)}
    finally:
        env.close()


def _threshold(env):
    spec = getattr(env, "spec", None)
    t = getattr(spec, "reward_threshold", None)
    return float(t) if t is not None else None


def action_names(env, env_id: str) -> tuple[str, ...]:
    import gymnasium as gym

    space = env.action_space
    if env_id in CLASSIC and CLASSIC[env_id].actions:
        return CLASSIC[env_id].actions
    meanings = getattr(env.unwrapped, "get_action_meanings", None)
    if callable(meanings):
        return tuple(str(m).lower().replace("_", " ") for m in meanings())
    if isinstance(space, gym.spaces.Discrete):
        return tuple(f"action {i}" for i in range(int(space.n)))
    return tuple(f"a{i}" for i in range(int(np.prod(space.shape))))


def frame_rate(env) -> float:
    """Steps per second at the environment's own speed (an Atari step is 4 frames of 60 Hz)."""
    uw = env.unwrapped
    if type(uw).__module__.startswith("ale_py"):
        skip = getattr(uw, "_frameskip", 4)
        skip = skip if isinstance(skip, int) and skip > 0 else 4
        e = env
        while hasattr(e, "env") and e is not uw:  # SB3's AtariWrapper skips frames itself (MaxAndSkipEnv)
            skip *= int(getattr(e, "_skip", 1) or 1)
            e = e.env
        return 60.0 / skip
    fps = (getattr(env, "metadata", None) or {}).get("render_fps") or 30
    return float(fps)


@dataclass
class RandomReturn:
    mean: float
    std: float
    returns: list = field(default_factory=list)


def random_return(env_id: str, episodes: int = 20, seed: int = 0, max_steps: int = 100_000) -> RandomReturn:
    """The return of an agent that picks actions uniformly at random (the dumb baseline)."""
    env = guard(make(env_id))
    try:
        env.action_space.seed(seed)
        rets = []
        budget = max_steps
        for ep in range(episodes):
            env.reset(seed=seed + 10_000 + ep)
            total, done = 0.0, False
            while not done and budget > 0:
                _, r, term, trunc, _ = env.step(env.action_space.sample())
                total += float(r)
                budget -= 1
                done = term or trunc
            if done:
                rets.append(total)
            if budget <= 0:
                break
        if not rets:
            rets = [total]
        return RandomReturn(float(np.mean(rets)), float(np.std(rets)), rets)
    finally:
        env.close()
