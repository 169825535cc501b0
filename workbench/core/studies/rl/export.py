"""The policy to ONNX, as stable-baselines3's guide does it (docs/guide/export.rst: wrap the policy in
a module whose forward is the deterministic action, ``torch.onnx.export``), with what SB3's
``predict`` adds outside the network baked in: the observation normaliser, the arg-max for discrete
actions, clipping or un-squashing to the action bounds for continuous ones.

The file's outputs: ``action`` and ``scores`` (probabilities for PPO/A2C, Q-values for DQN, the
action again when it is continuous). ``export_onnx`` checks onnxruntime against the PyTorch policy
on real states and refuses to write a file that disagrees.
"""
from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.studies.rl.agents import Agent


def _module(agent: Agent):
    import gymnasium as gym
    import torch
    from torch import nn

    policy, algo = agent.policy, agent.algo
    space = policy.action_space
    norm = agent.normalizer

    class OnnxablePolicy(nn.Module):
        def __init__(self):
            super().__init__()
            self.policy = policy
            if norm is not None:
                self.register_buffer("mean", torch.tensor(norm.mean, dtype=torch.float32))
                self.register_buffer("std", torch.sqrt(torch.tensor(norm.var, dtype=torch.float32) + norm.epsilon))
            if isinstance(space, gym.spaces.Box):
                self.register_buffer("low", torch.as_tensor(space.low, dtype=torch.float32))
                self.register_buffer("high", torch.as_tensor(space.high, dtype=torch.float32))

        def forward(self, obs):
            x = obs
            if norm is not None:
                x = torch.clamp((x - self.mean) / self.std, -norm.clip, norm.clip)
            if algo == "DQN":
                q = self.policy.q_net(x)
                return torch.argmax(q, dim=1), q
            if algo == "SAC":
                a = self.policy.actor(x, deterministic=True)  # tanh-squashed to [-1, 1]
                a = self.low + 0.5 * (a + 1.0) * (self.high - self.low)
                return a, a
            features = self.policy.extract_features(x, self.policy.pi_features_extractor)
            latent = self.policy.mlp_extractor.forward_actor(features)
            out = self.policy.action_net(latent)
            if isinstance(space, gym.spaces.Discrete):
                return torch.argmax(out, dim=1), torch.softmax(out, dim=1)
            a = torch.clamp(out, self.low, self.high)
            return a, a

    m = OnnxablePolicy().eval()
    return m


def sample_states(agent: Agent, n: int = 100, seed: int = 0) -> np.ndarray:
    """Real observations from the environment (the agent playing, one random action in four)."""
    from workbench.core.studies.rl.agents import make_vec

    venv = make_vec(agent.env_id, 1, seed, frame_stack=int(agent.settings.get("frame_stack") or 0))
    rng = np.random.default_rng(seed)
    venv.action_space.seed(seed)
    try:
        obs = venv.reset()
        out = []
        while len(out) < n:
            out.append(obs[0].copy())
            if rng.random() < 0.25:
                action = np.array([venv.action_space.sample()])
            else:
                action, _ = agent.act(obs)
            obs, _, _, _ = venv.step(action)
        return np.stack(out)
    finally:
        venv.close()


def torch_actions(agent: Agent, states: np.ndarray) -> np.ndarray:
    """What SB3's own ``predict`` does with the states (the reference the ONNX file must match)."""
    actions, _ = agent.policy.predict(agent.prepare(states), deterministic=True)
    return np.asarray(actions)


def _policy_input(agent: Agent, states: np.ndarray) -> np.ndarray:
    """States as the network sees them before normalisation (images channel-first)."""
    from stable_baselines3.common.preprocessing import is_image_space
    from stable_baselines3.common.vec_env import VecTransposeImage

    x = np.asarray(states, dtype=np.float32)
    space = agent.policy.observation_space
    if is_image_space(space) and x.shape[1:] != space.shape:
        x = np.ascontiguousarray(VecTransposeImage.transpose_image(x))
    return x


def onnx_bytes(agent: Agent, example: np.ndarray) -> bytes:
    import torch

    m = _module(agent)
    f = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(m, (torch.from_numpy(example[:1]),), f, input_names=["observation"],
                              output_names=["action", "scores"], opset_version=17, dynamo=False,
                              dynamic_axes={"observation": {0: "batch"}, "action": {0: "batch"}, "scores": {0: "batch"}})
    except Exception as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise WorkbenchError(f"The {agent.algo} policy could not be exported to ONNX ({type(e).__name__}: {first}).") from None
    return f.getvalue()


def run_onnx(data: bytes, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])
    action, scores = sess.run(None, {"observation": x})
    return action, scores


def agreement(agent: Agent, data: bytes, states: np.ndarray) -> dict:
    """How the ONNX file's actions compare with SB3's ``predict`` on the same states."""
    ref = torch_actions(agent, states)
    act, _ = run_onnx(data, _policy_input(agent, states))
    if agent.discrete:
        same = float(np.mean(act.reshape(-1) == ref.reshape(-1)))
        return {"states": len(states), "same_actions": same, "max_abs_diff": None, "ok": same == 1.0}
    diff = float(np.max(np.abs(act.reshape(len(states), -1) - ref.reshape(len(states), -1))))
    return {"states": len(states), "same_actions": None, "max_abs_diff": diff, "ok": diff < 1e-4}


def export_onnx(agent: Agent, path: str | os.PathLike, *, n_states: int = 100, seed: int = 0) -> dict:
    """Write ``path`` (.onnx) and ``path.json`` (what the inputs and outputs mean) once onnxruntime
    agrees with PyTorch on ``n_states`` real states."""
    from workbench.core.jsonio import atomic_write_bytes, atomic_write_json

    if callable(agent) and not isinstance(agent, Agent):
        agent = agent()  # built in the worker thread (the panel hands over a loader)
    path = Path(path).expanduser()
    if path.suffix.lower() != ".onnx":
        raise WorkbenchError(f"{path.name} does not end in .onnx; give the export a .onnx file name.")
    if not path.parent.is_dir():
        raise WorkbenchError(f"The folder {path.parent} does not exist; choose an existing folder for the export.")
    states = sample_states(agent, n_states, seed)
    x = _policy_input(agent, states)
    data = onnx_bytes(agent, x)
    check = agreement(agent, data, states)
    if not check["ok"]:
        raise WorkbenchError(f"The exported policy disagrees with the PyTorch one on {check['states']} states "
                             f"({check}); it was not written.")
    meta = {"format": "onnx", "algo": agent.algo, "env": agent.env_id, "input": "observation",
            "input_shape": list(x.shape[1:]), "normalized_inside": agent.normalizer is not None,
            "outputs": {"action": "the deterministic action", "scores": agent.score_kind},
            "actions": list(agent.action_names), "check": check,
            "note": "images enter channel-first (frames stacked on the first axis), values 0-255"}
    try:
        atomic_write_bytes(path, data)
        atomic_write_json(path.with_suffix(".json"), meta)
    except OSError as e:
        raise WorkbenchError(f"The export could not be written to {path} ({e.strerror or e}); choose a folder "
                             "you can write to.") from None
    return {"path": str(path), "bytes": len(data), **check}

