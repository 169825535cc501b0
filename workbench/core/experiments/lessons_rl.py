"""Lessons 23-24: reinforcement learning, answered by trainings (PPO on CartPole, the zoo's settings
with one change at a time, the same seeds and step budget for every variant).

23 exploration: the entropy bonus (PPO's ``ent_coef``) pushes the policy towards random actions.
   Too much keeps the agent exploring when it should act on what it learnt; too little (none) is
   what the zoo uses on CartPole, an easy task, so it is measured too and judged separately.
24 discount: ``gamma`` sets how far ahead the agent looks. CartPole's reward is +1 per step, so
   with gamma = 0.5 every state is worth about 2 and the agent cannot tell a falling pole from a
   balanced one; the zoo's 0.98 looks about 50 steps ahead.

The numbers compared are taken over the run, not at one moment (PPO's return swings from one
evaluation to the next): the mean of four evaluations (deterministic policy) spread over the budget,
and the mean return of the training episodes of the budget's second half (the policy as it behaves
while it learns, exploring included). Exploration is judged on the latter: exploring means acting
at random some of the time.
"""
from __future__ import annotations

import numpy as np

from workbench.core.experiments.base import Chart, Series, experiment

FAST = {"steps": 16_384, "eval_episodes": 10}
FULL = {"steps": 32_768, "eval_episodes": 20}
ENTROPY = [("no bonus (zoo)", 0.0), ("moderate (0.01)", 0.01), ("too much (1.0)", 1.0)]
GAMMAS = [("0.98 (zoo)", 0.98), ("0.5 (myopic)", 0.5)]
MIN_EFFECT = 20.0  # return: smaller differences are not worth naming on CartPole (0-500)


def run_session(ctx, env: str, algo: str, steps: int, eval_episodes: int, *, seed: int | None = None,
                overrides: dict | None = None, net_arch: list | None = None, eval_every: int | None = None):
    """Train one agent (the zoo's settings with ``overrides``) for ``steps`` steps, stopping when
    the context is cancelled; returns the finished (closed) session with its episodes and evaluations."""
    from workbench.core.studies.rl import RLConfig, RLSession

    s = RLSession(RLConfig(env, algo, seed=ctx.seed if seed is None else seed, overrides=dict(overrides or {}),
                           net_arch=net_arch, max_steps=int(steps), eval_every=eval_every or int(steps) // 4,
                           eval_episodes=eval_episodes, random_episodes=10, target_return=float("nan")))

    def on_event(_e):
        if ctx._should_cancel is not None and ctx._should_cancel():
            s.request_stop()

    try:
        s.train(on_event=on_event)
    finally:
        s.close()
    ctx.check_cancel()
    return s


def _train(ctx, overrides: dict, cfg: dict, seed: int) -> dict:
    s = run_session(ctx, "CartPole-v1", "PPO", cfg["steps"], cfg["eval_episodes"], seed=seed, overrides=overrides)
    # over the run, not at one moment: PPO's return swings from one evaluation to the next
    half = [r for x, r, _ in s.episodes if x > cfg["steps"] // 2]
    return {"eval": float(np.mean([e["val_return"] for e in s.evaluations])), "train": float(np.mean(half)) if half else 0.0,
            "random": s.random.mean, "curve": ([x for x, _, _ in s.episodes], [r for _, r, _ in s.episodes])}


@experiment("rl-exploration", 23, "Exploration: too little, too much (entropy bonus)",
            """
An agent must try actions to find out what they are worth (explore), and use what it found (exploit).
PPO adds an entropy bonus to its loss, weighted by ent_coef: the larger it is, the closer the policy
stays to picking actions at random. The lesson trains PPO on CartPole with the zoo's settings and
three entropy weights (none, 0.01, 1.0) on the same seeds and steps, and compares the returns.
""", lesson="Exploration against exploitation: the entropy bonus, too little and too much.",
            claim="too much exploration (an entropy bonus of 1.0) keeps the agent acting at random, so its training "
                  "episodes score less than with the zoo's setting",
            min_effect=MIN_EFFECT, unit="return")
def rl_exploration(ctx):
    cfg = FULL if ctx.full else FAST
    ctx.plan(len(ENTROPY))
    res, rows, curves = {}, [], []
    for label, ent in ENTROPY:
        r = _train(ctx, {"ent_coef": ent}, cfg, ctx.seed)
        res[label] = r
        rows.append({"entropy bonus": label, "seed": ctx.seed, "evaluation return": r["eval"],
                     "last 20 training episodes": r["train"], "random agent": r["random"]})
        curves.append(Series(label, *map(list, r["curve"])))
        ctx.step(label)
    zoo, much, mod = res[ENTROPY[0][0]], res[ENTROPY[2][0]], res[ENTROPY[1][0]]
    chart = Chart("Return per training episode", "environment steps", "return", curves)
    ctx.chart(chart)
    effect = zoo["train"] - much["train"]
    little = mod["train"] - zoo["train"]
    conclusion = (f"Over {cfg['steps']:,} steps (seed {ctx.seed}) the training episodes of the second half scored "
                  f"{zoo['train']:.0f} with no bonus, {mod['train']:.0f} with 0.01 and {much['train']:.0f} with 1.0 "
                  f"(a random agent: {zoo['random']:.0f}); the evaluations averaged {zoo['eval']:.0f}, {mod['eval']:.0f} and "
                  f"{much['eval']:.0f}. A small bonus changed the training return by {little:+.0f}: CartPole needs none "
                  "(its random start already explores), which is why the zoo sets 0; on a sparse task such as "
                  "MountainCar, exploring is what finds the goal at all.")
    figures = {"eval": {k: v["eval"] for k, v in res.items()}, "train": {k: v["train"] for k, v in res.items()},
               "random": zoo["random"], "too_little_gain": little}
    return figures, [chart], rows, conclusion, effect, {"steps": cfg["steps"], "entropy": [e for _, e in ENTROPY]}


@experiment("rl-discount", 24, "Discount: how far ahead the agent looks (gamma)",
            """
The return an agent maximises is discounted: a reward t steps ahead counts gamma^t. With gamma near 1
the agent plans far ahead; with a small gamma it is short-sighted. The lesson compares the returns
of the training episodes of the budget's second half (many episodes: a steadier number than a
few evaluations of a policy that is still changing). CartPole pays +1 for every step
the pole stays up, so a short-sighted agent values every state about the same and cannot learn
which states lead to a fall. The lesson trains PPO on CartPole with the zoo's gamma 0.98 and with
0.5, on the same seeds and steps.
""", lesson="Discounting: the horizon of the return, and why CartPole needs a long one.",
            claim="a long horizon (gamma 0.98) learns a better CartPole policy than a myopic one (gamma 0.5)",
            min_effect=MIN_EFFECT, unit="return")
def rl_discount(ctx):
    cfg = FULL if ctx.full else FAST
    ctx.plan(len(GAMMAS))
    res, rows, curves = {}, [], []
    for label, g in GAMMAS:
        r = _train(ctx, {"gamma": g}, cfg, ctx.seed)
        res[label] = r
        rows.append({"gamma": label, "seed": ctx.seed, "evaluation return": r["eval"],
                     "last 20 training episodes": r["train"], "random agent": r["random"]})
        curves.append(Series(label, *map(list, r["curve"])))
        ctx.step(label)
    far, near = res[GAMMAS[0][0]], res[GAMMAS[1][0]]
    chart = Chart("Return per training episode", "environment steps", "return", curves)
    ctx.chart(chart)
    effect = far["train"] - near["train"]
    conclusion = (f"Over {cfg['steps']:,} steps (seed {ctx.seed}) the training episodes of the second half scored "
                  f"{far['train']:.0f} with gamma 0.98 and {near['train']:.0f} with gamma 0.5, and the evaluations "
                  f"averaged {far['eval']:.0f} and {near['eval']:.0f} (a random agent: {far['random']:.0f}); a reward 50 steps "
                  f"ahead counts {0.98 ** 50:.2f} with 0.98 and {0.5 ** 50:.1e} with 0.5.")
    figures = {"eval": {k: v["eval"] for k, v in res.items()}, "train": {k: v["train"] for k, v in res.items()},
               "random": far["random"]}
    return figures, [chart], rows, conclusion, effect, {"steps": cfg["steps"], "gammas": [g for _, g in GAMMAS]}

