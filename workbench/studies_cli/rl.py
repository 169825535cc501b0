"""``workbench rl``: reinforcement learning from the command line (the RL panel calls the same core).

    workbench rl envs                                             # what can be trained here
    workbench rl train --env CartPole-v1 --algo PPO --project P   # zoo preset, stops at the solved return
    workbench rl train --env Acrobot-v1 --algo DQN --layers 128,128 --seed 3 --max-steps 50000
    workbench rl train --env my_module:MyEnv --algo PPO --set gamma=0.95 --set ent_coef=0.01
    workbench rl train --project P --resume RUN_ID --max-steps 20000   # go on with a saved run
    workbench rl eval --project P --run RUN_ID --episodes 20      # the saved agent against a random one
    workbench rl export --project P --run RUN_ID --out agent.onnx # checked with onnxruntime on 100 states
    workbench rl record --project P --run RUN_ID --out episode.gif   # (no --run: a random agent; needs --env)
    workbench rl estimate --env ALE/Pong-v5                       # Atari: time of the zoo's budget here
    workbench rl runs --project P

Every command takes ``--json`` (one JSON object on the last line). A bad environment name or a
crashing environment is one sentence on stderr and exit status 2.
"""
from __future__ import annotations

import argparse
import sys

from workbench import cli_args
from workbench.core.errors import WorkbenchError

NAME = "rl"


_emit = cli_args.emit


def _overrides(pairs: list[str]) -> dict:
    from workbench.core.studies.rl.presets import parse_value

    out = {}
    for p in pairs or []:
        key, sep, val = p.partition("=")
        if not sep or not key.strip():
            raise WorkbenchError(f"--set {p!r} is not NAME=VALUE (for example --set gamma=0.95).")
        out[key.strip()] = parse_value(val)
    return out


def _layers(text: str | None):
    from workbench.core.studies.rl.presets import parse_layers

    return parse_layers(text)


def run_envs(args) -> int:
    from workbench.core.studies.rl import envs

    rows = [{"id": e, "label": envs.info(e).label, "solved": envs.info(e).solved} for e in envs.available()]
    return _emit(args, {"environments": rows, "box2d": envs.box2d_available(), "atari": envs.atari_available()},
                 [f"{r['id']:<22} {r['label']}" + (f" (solved at {r['solved']:g})" if r["solved"] is not None else "")
                  for r in rows])


def run_train(args) -> int:
    from workbench.core.studies.rl import record
    from workbench.core.studies.rl.session import RLConfig, RLSession

    if args.resume:
        from workbench.core.studies.rl.resume import session_from_run

        if not args.project:
            raise WorkbenchError("--resume needs the project the run is in: add --project DIR.")
        session = session_from_run(args.project, args.resume, max_steps=args.max_steps)
        cfg = session.cfg
    else:
        cfg = RLConfig(env=args.env, algo=args.algo, preset=args.preset, overrides=_overrides(args.set),
                       net_arch=_layers(args.layers), seed=args.seed, target_return=args.target,
                       max_steps=args.max_steps, max_episodes=args.max_episodes, eval_every=args.eval_every,
                       eval_episodes=args.eval_episodes, threads=args.threads, name=args.name or "")
        session = RLSession(cfg)
    quiet = args.json or args.quiet

    def on_event(p: dict) -> None:
        if quiet:
            return
        if p["kind"] == "random":
            sys.stderr.write(f"random agent: return {p['mean']:.1f}; target {p['target']}; up to {p['max_steps']:,} steps\n")
        elif p["kind"] == "eval":
            sys.stderr.write(f"step {p['step']:>8,}: evaluation return {p['mean']:8.1f} (best {p['best']:.1f})\n")

    try:
        out = session.train(on_event=on_event)
        test = record.test_return(session, args.test_episodes) if args.test_episodes else None
        summary = out.summary()
        summary["test"] = test
        if args.project:
            summary["run_id"] = record.save(session, args.project, test)
    finally:
        session.close()
    lines = [f"{cfg.algo} on {cfg.env} (seed {cfg.seed}): best evaluation return {summary['best_return']:.1f} at step "
             f"{summary['best_step']:,}; random agent {summary['random_return']:.1f}; {summary['steps']:,} steps in "
             f"{summary['train_seconds']:.1f} s; stopped by {summary['stop_reason']}."]
    if test:
        lines.append(f"Best agent on {test['episodes']} fresh episodes: {test['return']:.1f} ± {test['return_std']:.1f}.")
    if summary.get("run_id"):
        lines.append(f"Saved as run {summary['run_id']}.")
    return _emit(args, summary, lines)


def _saved(args):
    from workbench.core.studies.rl import record

    if not args.project or not args.run:
        raise WorkbenchError("Give the saved agent with --project DIR --run RUN_ID ('workbench rl runs' lists them).")
    return record.load_saved_agent(args.project, args.run)


def run_eval(args) -> int:
    from workbench.core.studies.rl import envs, play

    agent, rec = _saved(args)
    out = play.play(agent.env_id, agent, episodes=args.episodes, realtime=False, seed=args.seed)
    rnd = envs.random_return(agent.env_id, episodes=args.episodes, seed=args.seed)
    import numpy as np

    res = {"run_id": rec.run_id, "env": agent.env_id, "algo": agent.algo, "episodes": len(out["returns"]),
           "return": float(np.mean(out["returns"])) if out["returns"] else None,
           "return_std": float(np.std(out["returns"])) if out["returns"] else None, "random_return": rnd.mean}
    return _emit(args, res, [f"{agent.algo} on {agent.env_id}: return {res['return']:.1f} ± {res['return_std']:.1f} over "
                             f"{res['episodes']} episodes; random agent {rnd.mean:.1f}."])


def run_export(args) -> int:
    from workbench.core.studies.rl.export import export_onnx

    agent, rec = _saved(args)
    res = export_onnx(agent, args.out, n_states=args.states, seed=args.seed)
    agree = (f"{res['same_actions']:.0%} of actions equal" if res["same_actions"] is not None
             else f"largest action difference {res['max_abs_diff']:.2g}")
    return _emit(args, res, [f"Wrote {res['path']} ({res['bytes']:,} bytes); onnxruntime vs PyTorch on "
                             f"{res['states']} states: {agree}."])


def run_record(args) -> int:
    from workbench.core.studies.rl.play import record_gif

    if args.run:
        agent, _ = _saved(args)
        env_id = agent.env_id
    else:
        if not args.env:
            raise WorkbenchError("Give --env for a random agent, or --project and --run for a saved one.")
        agent, env_id = None, args.env
    res = record_gif(env_id, args.out, agent, seed=args.seed, max_steps=args.max_steps, scale=args.scale)
    return _emit(args, res, [f"Wrote {res['path']}: {res['frames']} frames, {res['steps']} steps, return {res['return']}."])


def run_estimate(args) -> int:
    from workbench.core.studies.rl.play import measure_burst

    res = measure_burst(args.env, args.algo, steps=args.steps, seed=args.seed)
    hours = res["budget_hours"]
    return _emit(args, res, [f"{args.algo} on {args.env}: {res['steps_per_s']:.0f} steps/s here; the zoo's "
                             f"{res['budget_steps']:,} steps would take about {hours:.1f} hours on this machine."])


def run_runs(args) -> int:
    from workbench.core.studies.rl.record import rl_runs

    rows = rl_runs(args.project)

    def f(v):
        return "-" if v is None else f"{v:.1f}"

    return _emit(args, {"runs": rows}, [f"{r['run_id']}  {r['algo']:<4} {r['env']:<16} best {f(r['best_return'])} "
                                        f"random {f(r['random_return'])} steps {r['steps']}" for r in rows]
                 or ["No RL runs in this project."])


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="Reinforcement learning: train, evaluate, export and record agents.",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="rl_command", metavar="WHAT", required=True)

    q = sub.add_parser("envs", help="the environments that work on this machine")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=run_envs)

    q = sub.add_parser("train", help="train an agent (stops at the solved return, the step or episode limit)")
    q.add_argument("--env", default="CartPole-v1", help="an id (CartPole-v1, ALE/Pong-v5, ...) or module:ClassName")
    q.add_argument("--algo", default="PPO", choices=("PPO", "DQN", "A2C", "SAC"), type=str.upper)
    q.add_argument("--preset", default="zoo", choices=("zoo", "defaults"))
    q.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="change one hyperparameter")
    q.add_argument("--layers", help="hidden layer sizes, e.g. 64,64")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--target", type=float, help="stop at this average evaluation return (default: the solved one)")
    q.add_argument("--max-steps", type=cli_args.positive_int)
    q.add_argument("--max-episodes", type=cli_args.positive_int)
    q.add_argument("--eval-every", type=cli_args.positive_int, help="steps between evaluations")
    q.add_argument("--eval-episodes", type=cli_args.positive_int, default=10)
    q.add_argument("--test-episodes", type=cli_args.nonnegative_int, default=20,
                   help="fresh episodes for the best agent at the end (0: none)")
    q.add_argument("--threads", type=cli_args.positive_int, default=1)
    q.add_argument("--project", help="save the run (and the best agent) in this project folder")
    q.add_argument("--resume", metavar="RUN_ID", help="go on training this saved run of --project (its settings; "
                   "--max-steps: how many more steps)")
    q.add_argument("--name", help="the run's name")
    q.add_argument("--quiet", action="store_true")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=run_train)

    for name, fn, hlp in (("eval", run_eval, "play a saved agent and compare it with a random one"),
                          ("export", run_export, "export a saved agent's policy to ONNX"),
                          ("record", run_record, "record one episode to a GIF")):
        q = sub.add_parser(name, help=hlp)
        q.add_argument("--project")
        q.add_argument("--run")
        q.add_argument("--seed", type=int, default=0)
        q.add_argument("--json", action="store_true")
        q.set_defaults(func=fn)
        if name == "eval":
            q.add_argument("--episodes", type=cli_args.positive_int, default=10)
        elif name == "export":
            q.add_argument("--out", required=True, help="the .onnx file to write")
            q.add_argument("--states", type=cli_args.positive_int, default=100, help="states to check it on")
        else:
            q.add_argument("--out", required=True, help="the .gif file to write")
            q.add_argument("--env", help="the environment of a random agent (without --run)")
            q.add_argument("--max-steps", type=cli_args.positive_int, default=2000)
            q.add_argument("--scale", type=cli_args.positive_float, default=0.5)

    q = sub.add_parser("estimate", help="measure a short training burst and estimate the preset's full run")
    q.add_argument("--env", required=True)
    q.add_argument("--algo", default="PPO", choices=("PPO", "DQN", "A2C", "SAC"), type=str.upper)
    q.add_argument("--steps", type=cli_args.positive_int, default=2048)
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=run_estimate)

    q = sub.add_parser("runs", help="this project's RL runs")
    q.add_argument("--project", required=True)
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=run_runs)
    return p
