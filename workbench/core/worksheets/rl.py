"""Worksheet of the reinforcement-learning case study: "Which agent for a continuous action?"
(Pendulum) and "Discount factor?" (CartPole), each answered by training stable-baselines3 agents
through the study's own session (workbench.core.studies.rl.RLSession, the zoo's settings with one
change at a time), with a random agent's return on the same environment as the baseline.

The score is the mean return of the training episodes of the budget's second half (the policy as it
behaves while it learns; many episodes, steadier than a few evaluations of a policy that is still
changing, as lesson 24 found); the final evaluation of the deterministic policy is shown beside it,
and the charts show every training episode and every evaluation.
"""
from __future__ import annotations

import numpy as np

from workbench.core.experiments.base import Chart, Series
from workbench.core.worksheets.base import Answer, AnswerRun, Question, Worksheet, register_worksheet

FAST = {"pendulum_steps": 3_000, "cartpole_steps": 16_384, "eval_episodes": 10}
FULL = {"pendulum_steps": 8_000, "cartpole_steps": 32_768, "eval_episodes": 20}
PENDULUM_NET = [64, 64]  # every agent's networks on Pendulum (SAC's own 256 x 256 is 4x slower on a CPU)

AGENTS = {"ppo": ("PPO", "PPO (on-policy: learns from the episodes it just played)"),
          "a2c": ("A2C", "A2C (on-policy, one update per few steps)"),
          "sac": ("SAC", "SAC (off-policy: replays everything it saw; a Gaussian policy over the torque)")}
GAMMAS = {"0": 0.0, "0.5": 0.5, "0.98": 0.98}


def train_agent(ctx, env: str, algo: str, steps: int, overrides: dict | None = None,
                net_arch: list | None = None) -> dict:
    """Train one agent with the zoo's settings (and ``overrides``) for ``steps`` steps on ctx.seed."""
    from workbench.core.experiments.lessons_rl import run_session

    cfg = FULL if ctx.full else FAST
    s = run_session(ctx, env, algo, steps, cfg["eval_episodes"], overrides=overrides, net_arch=net_arch,
                    eval_every=max(1000, int(steps) // 4))
    half = [r for x, r, _ in s.episodes if x > int(steps) // 2]
    return {"final": float(s.evaluations[-1]["val_return"]) if s.evaluations else float("nan"),
            "second_half": float(np.mean(half)) if half else float("nan"),
            "evals": [(e["step"], e["val_return"]) for e in s.evaluations], "random": float(s.random.mean),
            "episodes": [(x, r) for x, r, _ in s.episodes]}


def _answer(title: str, env: str, r: dict, steps: int) -> AnswerRun:
    xs, ys = [x for x, _ in r["episodes"]], [float(v) for _, v in r["episodes"]]
    chart = Chart(f"{env}: return per episode", "environment steps", "return",
                  [Series("training episodes", xs, ys, style="points"),
                   Series("evaluation (deterministic policy)", [x for x, _ in r["evals"]],
                          [float(v) for _, v in r["evals"]]),
                   Series("random agent", [0.0, float(steps)], [r["random"]] * 2, style="dash")])
    gain = r["second_half"] - r["random"]
    summary = (f"Over the second half of {steps:,} steps on {env} the training episodes averaged a return of "
               f"{r['second_half']:.0f} (a random agent: {r['random']:.0f}, {gain:+.0f}); the final evaluation of the "
               f"deterministic policy scored {r['final']:.0f}.")
    return AnswerRun(score=r["second_half"], summary=summary, charts=[chart],
                     details={"random_return": r["random"], "over_random": gain, "final_evaluation": r["final"]})


def run_agent(ctx, key: str) -> AnswerRun:
    steps = (FULL if ctx.full else FAST)["pendulum_steps"]
    algo, label = AGENTS[key]
    return _answer(label.split(" (")[0], "Pendulum-v1", train_agent(ctx, "Pendulum-v1", algo, steps, net_arch=PENDULUM_NET),
                   steps)


def run_gamma(ctx, key: str) -> AnswerRun:
    steps = (FULL if ctx.full else FAST)["cartpole_steps"]
    g = GAMMAS[key]
    run = _answer(f"gamma {g:g}", "CartPole-v1", train_agent(ctx, "CartPole-v1", "PPO", steps, {"gamma": g}), steps)
    run.summary += f" A reward 50 steps ahead counts {g ** 50:.2g} in the return it maximises."
    return run


AGENT_Q = Question(
    id="rl.agent", topic="Architecture",
    text="Which agent for a continuous action? (Pendulum: the action is a torque, any number in [−2, 2])",
    answers=tuple(Answer(k, v[1], k == "sac") for k, v in AGENTS.items()),
    metric="return while learning", unit="return", higher_is_better=True, min_effect=100.0, run_answer=run_agent,
    explanation=(
        "DQN is out from the start: it scores each of a few actions and takes the best, and a torque is not one "
        "of a few actions (the study refuses it). PPO and A2C can output a continuous action too, through a "
        "Gaussian policy, but they learn only from the episodes they just played and throw them away: on "
        "Pendulum they need around 100,000 steps. SAC keeps every step in a replay buffer and learns from it "
        "again and again, with an entropy bonus that keeps it exploring: it swings the pendulum up within a "
        "few thousand steps (all three here use the same 64 x 64 networks)."))

GAMMA_Q = Question(
    id="rl.discount", topic="Training", text="Discount factor? (CartPole pays +1 for every step the pole stays up)",
    answers=(Answer("0", "0 (only the next reward counts)", False), Answer("0.5", "0.5", False),
             Answer("0.98", "0.98 (the zoo's)", True)),
    metric="return while learning", unit="return", higher_is_better=True, min_effect=20.0, run_answer=run_gamma,
    explanation=(
        "The agent maximises the discounted return Σ γ^t r_t. CartPole pays the same +1 for every step, so what "
        "tells a good state from a bad one is how many steps remain before the pole falls: only a long horizon "
        "(γ near 1: 0.98 looks about 50 steps ahead) sees it. With γ = 0 every state is worth exactly 1 and "
        "nothing distinguishes them; with 0.5 every state is worth about 2."))

register_worksheet(Worksheet("rl", "rl", "Reinforcement learning: the agent and its horizon", (AGENT_Q, GAMMA_Q)))
