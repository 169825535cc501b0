"""Reinforcement learning benchmarks on CPU (one torch thread), each beside a fair reference.

    python benchmarks/rl.py                 # overhead + live view + CartPole to 475
    python benchmarks/rl.py --solve         # + Acrobot (DQN) and LunarLander (DQN) to their solved returns
    python benchmarks/rl.py --json out.json

1. Overhead: our training loop (SB3's learn() + the live callback whose payloads a panel would draw)
   against SB3's plain ``learn()`` on the same environment, settings and seed, in one process,
   alternating A/B runs; also with evaluation on both sides (ours against SB3's EvalCallback at the
   same frequency). Goal: ours / plain >= 0.9 in steps per second. Wall and CPU time are both
   reported (the machine may be shared: CPU time is the steadier figure).
2. The live view: frames per second the play loop hands out against the environment's own rate, and
   frames the panel actually paints (offscreen Qt) while a training runs beside it.
3. CartPole from the panel's defaults (PPO, the zoo's preset, seed 0/1/2) to an evaluation return
   >= 475: wall and CPU seconds. Goal: under a minute on 2 cores.
4. (--solve) Acrobot to -100 and LunarLander to 200 with the zoo's DQN preset: how long it took.
5. (--only lunar) LunarLander with the zoo's PPO preset (1M steps at most), the best agent by
   evaluation return kept and judged on 100 fresh episodes (solved: average >= 200).
   (--only overhead) part 1 alone.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _clock():
    return time.perf_counter(), time.process_time()


def _since(t):
    w, c = _clock()
    return w - t[0], c - t[1]


def bench_overhead(steps: int, repeats: int, with_eval: bool) -> dict:
    from stable_baselines3.common.callbacks import EvalCallback

    from workbench.core.studies.rl import RLConfig, RLSession, agents

    eval_every = steps // 4 if with_eval else 10**12
    cfg = RLConfig("CartPole-v1", "PPO", seed=0, max_steps=steps, eval_every=eval_every, target_return=float("nan"),
                   random_episodes=1)
    ours, plain = [], []
    for _ in range(repeats):
        # ours: the session as the panel runs it, payloads collected as the GUI would
        s = RLSession(cfg)
        got = []
        s.random = __import__("workbench.core.studies.rl.envs", fromlist=["RandomReturn"]).RandomReturn(0.0, 0.0, [])
        s._build()
        t = _clock()
        s.model.learn(steps, callback=_callback(s, got.append), log_interval=None)
        ours.append(_since(t))
        s.close()
        # plain: the same model built the same way, SB3's learn() (with SB3's EvalCallback when evaluating)
        venv = agents.make_vec(cfg.env, s.n_envs, cfg.seed)
        model = agents.build_model(cfg.algo, s.settings, venv, net_arch=None, seed=cfg.seed)
        cb = None
        if with_eval:
            eval_env = agents.make_vec(cfg.env, 5, cfg.seed + 1000)
            cb = EvalCallback(eval_env, n_eval_episodes=10, eval_freq=max(eval_every // s.n_envs, 1), verbose=0)
        t = _clock()
        model.learn(steps, callback=cb)
        plain.append(_since(t))
        venv.close()
    import statistics

    best_o = min(ours)
    best_p = min(plain)
    # each pair ran back to back: the median of the paired ratios is the figure least moved by load
    paired_cpu = sorted(p[1] / o[1] for o, p in zip(ours, plain))
    paired_wall = sorted(p[0] / o[0] for o, p in zip(ours, plain))
    return {"what": f"PPO CartPole {steps} steps" + (", evaluating 4 times" if with_eval else ""),
            "ours_steps_per_s": steps / best_o[0], "plain_steps_per_s": steps / best_p[0],
            "ratio_wall": best_p[0] / best_o[0], "ratio_cpu": best_p[1] / best_o[1],
            "median_paired_ratio_cpu": statistics.median(paired_cpu), "paired_ratios_cpu": paired_cpu,
            "median_paired_ratio_wall": statistics.median(paired_wall), "paired_ratios_wall": paired_wall,
            "ours_cpu_s": [o[1] for o in ours], "plain_cpu_s": [p[1] for p in plain], "payloads": len(got),
            "runs": repeats, "seed": cfg.seed}


def _callback(session, on_event):
    from workbench.core.studies.rl.session import _live_callback

    session.num_timesteps_target = 1
    return _live_callback(session, on_event, None)


def bench_cartpole(seeds) -> list[dict]:
    from workbench.core.studies.rl import RLConfig, RLSession

    out = []
    for seed in seeds:
        s = RLSession(RLConfig("CartPole-v1", "PPO", seed=seed))  # the panel's defaults
        t = _clock()
        o = s.train()
        wall, cpu = _since(t)
        out.append({"seed": seed, "best_eval_return": o.best_return, "random_return": o.random_return,
                    "solved": o.solved, "steps": s.num_timesteps, "wall_s": wall, "cpu_s": cpu,
                    "learn_wall_s": s.train_seconds})
        s.close()
    return out


def bench_solve(env: str, algo: str, seed: int = 0, max_steps: int | None = None, eval_every: int | None = None) -> dict:
    from workbench.core.studies.rl import RLConfig, RLSession

    s = RLSession(RLConfig(env, algo, seed=seed, max_steps=max_steps, eval_every=eval_every))
    t = _clock()
    o = s.train()
    wall, cpu = _since(t)
    s.close()
    return {"env": env, "algo": algo, "seed": seed, "target": s.target, "best_eval_return": o.best_return,
            "random_return": o.random_return, "solved": o.solved, "steps": s.num_timesteps, "wall_s": wall,
            "cpu_s": cpu, "evaluations": len(s.evaluations)}


def bench_lunar(algo: str = "PPO", seed: int = 0, max_steps: int | None = None, target: float = 230.0,
                eval_episodes: int = 10, eval_every: int = 50_000, test_episodes: int = 100) -> dict:
    """LunarLander with the zoo's preset: training stops once the evaluation (``eval_episodes``
    episodes) averages ``target`` (above the solved 200, so the kept agent is not a lucky draw), the
    best agent by evaluation return is kept, and "solved" is judged on ``test_episodes`` fresh
    episodes (seeds the evaluations never used), as the environment's definition asks (100)."""
    from workbench.core.studies.rl import RLConfig, RLSession, record

    s = RLSession(RLConfig("LunarLander-v3", algo, seed=seed, max_steps=max_steps, target_return=target,
                           eval_every=eval_every, eval_episodes=eval_episodes))
    t = _clock()
    o = s.train(on_event=lambda e: print(f"   step {e['step']:>9,}: evaluation {e['mean']:7.1f} (best {e['best']:.1f}) "
                                         f"{time.process_time():.0f} CPU-s", flush=True) if e["kind"] == "eval" else None)
    wall, cpu = _since(t)
    t2 = _clock()
    test = record.test_return(s, episodes=test_episodes)
    test_wall, test_cpu = _since(t2)
    s.close()
    return {"env": "LunarLander-v3", "algo": algo, "seed": seed, "stop_target": target, "solved_at": 200.0,
            "best_eval_return": o.best_return, "best_step": s.best["step"] if s.best else None,
            "random_return": o.random_return, "steps": s.num_timesteps, "train_wall_s": wall, "train_cpu_s": cpu,
            "test": test, "test_cpu_s": test_cpu, "test_wall_s": test_wall,
            "solved": bool(test and test["return"] >= 200.0), "evaluations": s.evaluations}


def bench_play(seconds: float = 3.0) -> dict:
    from workbench.core.studies.rl.play import play

    stop_at = time.perf_counter() + seconds
    n = [0]

    def count(_):
        n[0] += 1

    r = play("CartPole-v1", None, count, should_cancel=lambda: time.perf_counter() > stop_at, realtime=True)
    return {"what": "play loop, random agent, CartPole at its own rate", "fps": r["fps"], "target_fps": r["target_fps"]}


def bench_gui(seconds: float = 4.0) -> dict:
    """Frames the Watch tab paints (random agent, as fast as possible and at real time) while the
    panel trains CartPole beside it, and the charts' redraws per second."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.ui.context import AppContext
    from workbench.ui.panels.rl import RLPanel

    app = QApplication.instance() or QApplication([])
    panel = RLPanel(AppContext())
    panel.resize(1200, 800)
    panel.show()
    res = {}
    for label, speed in (("real time", 1.0), ("as fast as possible", 0.0)):
        w = panel.watch
        w.speed_combo.setCurrentIndex(w.speed_combo.findData(speed))
        panel.settings.steps_spin.setValue(200_000)
        panel.settings.target_check.setChecked(False)
        panel.train()
        w.toggle()
        deadline = time.perf_counter() + 120
        while (w.frames_shown < 2 or not panel.charts.curves.returns) and time.perf_counter() < deadline:
            app.processEvents()  # wait for the first frame and the first episodes
            time.sleep(0.01)
        redraws0, frames0 = panel.charts.redraws, w.frames_shown
        t0 = time.perf_counter()
        QTimer.singleShot(int(seconds * 1000), app.quit)
        app.exec()
        dt = time.perf_counter() - t0
        res[label] = {"painted_fps": (w.frames_shown - frames0) / dt, "env_fps": (w.last or {}).get("fps"),
                      "chart_redraws_per_s": (panel.charts.redraws - redraws0) / dt}
        w.toggle()
        panel.stop()
        while panel.jobs.busy or w.jobs.busy:  # "finished" arrives through the event loop
            app.processEvents()
            time.sleep(0.01)
    panel.shutdown()
    panel.close()
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=16384)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--solve", action="store_true", help="also Acrobot and LunarLander to their solved returns")
    ap.add_argument("--skip-overhead", action="store_true")
    ap.add_argument("--only", choices=("overhead", "lunar"), help="run only this part")
    ap.add_argument("--lunar-algo", default="PPO", choices=("PPO", "DQN"))
    ap.add_argument("--lunar-steps", type=int, help="the step limit (default: the zoo's budget, 1M for PPO)")
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    out: dict = {"cpus": os.cpu_count(), "torch_threads": 1, "gpu": torch.cuda.is_available()}
    if args.only == "lunar":
        r = bench_lunar(args.lunar_algo, max_steps=args.lunar_steps)
        out["lunar"] = r
        t = r["test"] or {}
        print(f"{r['algo']} LunarLander-v3 seed {r['seed']}: best evaluation {r['best_eval_return']:.1f} at step "
              f"{r['best_step']:,} ({r['steps']:,} steps, {r['train_cpu_s']:.0f} CPU-s, {r['train_wall_s']:.0f} s wall); "
              f"best agent on {t.get('episodes')} fresh episodes {t.get('return', float('nan')):.1f} ± "
              f"{t.get('return_std', float('nan')):.1f} (random {r['random_return']:.1f}): "
              f"{'solved' if r['solved'] else 'NOT solved'}", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=2))
        return 0
    if not args.skip_overhead:
        for with_eval in (False, True):
            r = bench_overhead(args.steps, args.repeats, with_eval)
            out.setdefault("overhead", []).append(r)
            print(f"{r['what']}: ours {r['ours_steps_per_s']:.0f} steps/s, SB3 learn() {r['plain_steps_per_s']:.0f}; "
                  f"ratio {r['ratio_wall']:.2f} (wall), {r['ratio_cpu']:.2f} (CPU); median of the {r['runs']} paired "
                  f"ratios {r['median_paired_ratio_wall']:.2f} (wall), {r['median_paired_ratio_cpu']:.2f} (CPU) "
                  f"{[round(x, 2) for x in r['paired_ratios_cpu']]}", flush=True)
    if args.only == "overhead":
        if args.json:
            Path(args.json).write_text(json.dumps(out, indent=2))
        return 0
    r = bench_play()
    out["play"] = r
    print(f"play loop: {r['fps']:.1f} frames/s for CartPole's {r['target_fps']:.0f}", flush=True)
    out["gui"] = bench_gui()
    for k, v in out["gui"].items():
        print(f"Watch tab while training ({k}): {v['painted_fps']:.1f} frames painted/s (env rate {v['env_fps']}); "
              f"charts {v['chart_redraws_per_s']:.1f} redraws/s", flush=True)
    out["cartpole"] = bench_cartpole([int(s) for s in args.seeds.split(",")])
    for r in out["cartpole"]:
        print(f"CartPole PPO seed {r['seed']}: eval return {r['best_eval_return']:.1f} (random {r['random_return']:.1f}) "
              f"after {r['steps']:,} steps, {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU", flush=True)
    if args.solve:
        for env, algo, every in (("Acrobot-v1", "PPO", 8192), ("Acrobot-v1", "DQN", None), ("LunarLander-v3", "DQN", None)):
            r = bench_solve(env, algo, eval_every=every)
            out.setdefault("solve", []).append(r)
            print(f"{algo} {env}: best eval return {r['best_eval_return']:.1f} (target {r['target']}, random "
                  f"{r['random_return']:.1f}) after {r['steps']:,} steps, {r['wall_s']:.0f} s wall, {r['cpu_s']:.0f} s CPU"
                  f"{'' if r['solved'] else ' - NOT solved'}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
