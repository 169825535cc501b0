"""Watching an agent play, and recording an episode to a GIF.

``play(env_id, agent_source, on_frame, should_cancel)`` runs episodes and hands out one small payload a
step: the rendered frame (an owned copy), the action taken, the agent's scores for every action
(probabilities, Q-values or the continuous action) and the running return, paced at the
environment's own frame rate. ``agent_source`` is None (a random agent), an ``Agent``, or a
callable returning the newest ``Agent`` (the agent during training: it is asked again at every
episode's start).
"""
from __future__ import annotations

import io
import os
import time
from pathlib import Path
from typing import Callable

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.studies.rl import agents, envs


def _frame(venv) -> np.ndarray | None:
    imgs = venv.get_images()
    return np.ascontiguousarray(imgs[0]) if imgs and imgs[0] is not None else None


def _resolve(agent_source):
    return agent_source() if callable(agent_source) and not isinstance(agent_source, agents.Agent) else agent_source


def play(env_id: str, agent_source=None, on_frame: Callable[[dict], None] | None = None,
         should_cancel: Callable[[], bool] | None = None, *, episodes: int | None = None, realtime: bool = True,
         seed: int = 0, frame_stack: int = 0, max_steps: int = 100_000, speed: float = 1.0) -> dict:
    """Play until ``should_cancel()`` (or ``episodes`` episodes); returns {"returns", "steps", "fps"}."""
    agents.ensure_imported()
    agent = _resolve(agent_source)
    stack = frame_stack or (int(agent.settings.get("frame_stack") or 0) if agent is not None else 0)
    venv = agents.make_vec(env_id, 1, seed, frame_stack=stack, render=True)
    try:
        first = agents._unwrap_first(venv)
        names = envs.action_names(first, env_id) if first is not None else ()
        fps = envs.frame_rate(first) * max(speed, 0.01) if first is not None else 30.0
        period = 1.0 / fps
        venv.action_space.seed(seed)
        obs = venv.reset()
        returns, ret, steps, ep_steps = [], 0.0, 0, 0
        t_next = time.perf_counter()
        t_start = t_next
        while steps < max_steps:
            if should_cancel is not None and should_cancel():
                break
            if agent is not None:
                action, scores = agent.act(obs)
                scores = scores[0]
            else:
                action, scores = np.array([venv.action_space.sample()]), None
            frame = _frame(venv)
            obs, reward, done, infos = venv.step(action)
            ret += float(reward[0])
            steps += 1
            ep_steps += 1
            ep = infos[0].get("episode")
            if on_frame is not None and frame is not None:
                on_frame({"frame": frame, "step": ep_steps, "return": float(ep["r"]) if ep else ret,
                          "action": np.asarray(action[0]).tolist(), "scores": None if scores is None else scores.copy(),
                          "score_kind": agent.score_kind if agent is not None else "", "actions": list(names),
                          "episode": len(returns) + 1, "done": bool(done[0]), "fps": fps})
            if done[0]:
                # an Atari life lost is a "done" for the agent; the Monitor's episode is the whole game
                if ep is not None:
                    returns.append(float(ep["r"]))
                    ret, ep_steps = 0.0, 0
                    if episodes and len(returns) >= episodes:
                        break
                    if callable(agent_source) and not isinstance(agent_source, agents.Agent):
                        agent = _resolve(agent_source) or agent
            if realtime:
                t_next += period
                delay = t_next - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
                else:
                    t_next = time.perf_counter()  # behind: do not rush to catch up
        elapsed = time.perf_counter() - t_start
        return {"returns": returns, "steps": steps, "fps": steps / elapsed if elapsed > 0 else 0.0,
                "target_fps": fps}
    finally:
        venv.close()


def record_gif(env_id: str, path: str | os.PathLike, agent=None, *, seed: int = 0, max_steps: int = 2000,
               scale: float = 0.5, frame_stack: int = 0) -> dict:
    """Play one episode and write it as an animated GIF at the environment's frame rate (atomically)."""
    from PIL import Image

    from workbench.core.jsonio import atomic_write_bytes

    path = Path(path).expanduser()
    if path.suffix.lower() != ".gif":
        raise WorkbenchError(f"{path.name} does not end in .gif; give the recording a .gif file name.")
    if not path.parent.is_dir():
        raise WorkbenchError(f"The folder {path.parent} does not exist; choose an existing folder for the GIF.")
    frames: list = []
    info = {}

    def grab(p):
        f = p["frame"]
        if scale != 1.0:
            h, w = f.shape[:2]
            img = Image.fromarray(f).resize((max(1, int(w * scale)), max(1, int(h * scale))), Image.BILINEAR)
        else:
            img = Image.fromarray(f)
        frames.append(img.convert("P", palette=Image.ADAPTIVE, colors=128))
        info["fps"] = p["fps"]

    out = play(env_id, agent, grab, episodes=1, realtime=False, seed=seed, max_steps=max_steps,
               frame_stack=frame_stack)
    if not frames:
        raise WorkbenchError(f"{env_id} gave no frames to record.")
    step = max(1, int(round(info.get("fps", 30) / 25)))  # GIF players cap the rate near 50 fps; keep <= 25
    kept = frames[::step]
    duration = int(round(1000 * step / info.get("fps", 30)))
    buf = io.BytesIO()
    kept[0].save(buf, format="GIF", save_all=True, append_images=kept[1:], duration=duration, loop=0, optimize=False)
    try:
        atomic_write_bytes(path, buf.getvalue())
    except OSError as e:
        raise WorkbenchError(f"The GIF could not be written to {path} ({e.strerror or e}); choose a folder you "
                             "can write to.") from None
    return {"path": str(path), "frames": len(kept), "steps": out["steps"],
            "return": out["returns"][0] if out["returns"] else None, "bytes": len(buf.getvalue())}


def measure_burst(env_id: str, algo: str = "PPO", steps: int = 2048, seed: int = 0, preset: str = "zoo") -> dict:
    """Train a short burst to measure steps per second, and estimate the preset's full budget from it
    (the honest time estimate shown before training an Atari game)."""
    from workbench.core.studies.rl.session import RLConfig, RLSession

    s = RLSession(RLConfig(env=env_id, algo=algo, preset=preset, seed=seed, max_steps=steps, eval_every=10**12,
                           random_episodes=1, eval_episodes=1))
    try:
        s.random = envs.RandomReturn(0.0, 0.0, [])  # not needed for a timing burst
        s._build()
        t, c = time.perf_counter(), time.process_time()
        s.model.learn(steps, log_interval=None)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        done = int(s.model.num_timesteps)  # at least one whole rollout of every copy of the environment
    finally:
        s.close()
    rate = done / dt if dt > 0 else 0.0
    cpu_rate = done / dc if dc > 0 else 0.0
    device = str(getattr(s.model, "device", "cpu")).split(":")[0] if s.model is not None else "cpu"
    budget = int(s.settings.get("n_timesteps") or 0)
    return {"env": env_id, "algo": algo, "device": device, "burst_steps": done, "steps_per_s": rate,
            "steps_per_cpu_s": cpu_rate, "budget_steps": budget,
            "budget_hours": budget / rate / 3600 if rate else None}
