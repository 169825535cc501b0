"""Hyperparameter search at scale: a 16-trial search on the digits (the small CNN, 5 epochs).

Sections (all by default; ``--only workers,samplers,pruner,cli``):

workers   the same 16 trials (random sampler, one seed) on a local Dask cluster of 1, 2 and 4
          worker processes: wall time of the search (the cluster started beforehand) and the
          ratio against 1 worker; the reference is the same search in one process (inline).
samplers  TPE against random: the time until the best validation accuracy so far reaches
          ``--target`` (and the trials it took), median over ``--seeds`` seeds, 2 local workers.
pruner    the median pruner's saving: trial-epochs trained and wall time with and without it
          (TPE, the same seeds), and the best validation accuracy each found.
cli       a scheduler and two workers started as separate processes with Dask's own commands
          (``dask scheduler`` / ``dask worker``), then ``workbench tune --cluster ADDRESS`` runs
          the 16-trial search on them.

Scores are validation accuracies (the search never sees the test rows). The machine's load is
printed with every figure: on a shared machine wall-time ratios mean little when the load is
above the core count.

    .venv/bin/python benchmarks/tuning.py [--only workers] [--seeds 5] [--trials 16] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing

SPACE = "lr=log(1e-4,3e-2); layers.1.filters=int(8,48); dropout=float(0,0.6); batch_size=16,32,64"
DATA, MODEL, EPOCHS = "builtin:digits", "digits-cnn", 5


def load() -> str:
    a, b, c = os.getloadavg()
    return f"load {a:.1f} / {b:.1f} / {c:.1f} on {os.cpu_count()} cores"


def config(project=None):
    from workbench.core.workflow import RunConfig

    return RunConfig(data=DATA, model=MODEL, train={"epochs": EPOCHS}, project=project)


def run(sampler: str, seed: int, trials: int, executor, pruner=None) -> dict:
    """One search; returns wall time, rows with finish times, best, trial-epochs."""
    from workbench.core.search import tune
    from workbench.core.tuning import SearchSettings

    t0 = time.perf_counter()
    done = []

    def on_event(e):
        if e["kind"] == "trial":
            done.append((time.perf_counter() - t0, e["row"]))

    cfg = config()
    cfg.seed = 0
    res = tune(cfg, SearchSettings(SPACE, n_trials=trials, sampler=sampler, pruner=pruner, seed=seed),
               executor=executor, on_event=on_event, save=False, retrain=False)
    wall = time.perf_counter() - t0
    s = res.record.search
    return {"wall": wall, "finished": done, "best": s["best_score"], "states": s["states"],
            "epochs": sum(r.get("epochs_run") or 0 for _, r in done),
            "cpu": sum(r.get("cpu_time") or 0.0 for _, r in done)}


def time_to(target: float, finished: list) -> tuple[float | None, int | None]:
    best = None
    for i, (t, row) in enumerate(finished, 1):
        v = row.get("value") if row.get("state") == "complete" else None
        if v is not None and (best is None or v > best):
            best = v
        if best is not None and best >= target:
            return t, i
    return None, None


def section_workers(args, out: dict) -> None:
    from workbench.core.tuning.executors import DaskExecutor, InlineExecutor

    print(f"== {args.trials}-trial search on {DATA} ({MODEL}, {EPOCHS} epochs), random sampler, seed 0")
    ref = run("random", 0, args.trials, InlineExecutor())
    print(f"in this process (inline):   {ref['wall']:7.1f} s   best val accuracy {ref['best']:.4f}   "
          f"trials' CPU {ref['cpu']:.0f} s   ({load()})")
    out["workers"] = {"inline": ref["wall"], "inline_cpu": ref["cpu"]}
    base = None
    for k in args.workers:
        t0 = time.perf_counter()
        ex = DaskExecutor.local(k)
        ex.client.wait_for_workers(k, timeout=300)
        start = time.perf_counter() - t0
        try:
            r = run("random", 0, args.trials, ex)
        finally:
            ex.close()
        base = base or r["wall"]
        # CPU seconds the trials got per wall second: k on an idle machine with k cores free
        busy = r["cpu"] / r["wall"]
        print(f"{k} local worker(s):          {r['wall']:7.1f} s   speed-up vs 1 worker x{base / r['wall']:.2f}   "
              f"best {r['best']:.4f}   trials' CPU {r['cpu']:.0f} s = {busy:.2f} cores busy   "
              f"(cluster start {start:.1f} s; {load()})")
        out["workers"][str(k)] = {"wall": r["wall"], "ratio_vs_1": base / r["wall"], "start": start,
                                  "best": r["best"], "cpu": r["cpu"], "cores_busy": busy, "load": os.getloadavg()}


def section_samplers(args, out: dict) -> None:
    from workbench.core.tuning.executors import DaskExecutor

    print(f"== TPE vs random: time until the best validation accuracy reaches {args.target} "
          f"({args.trials} trials, seeds {args.seeds}, 2 local workers)")
    ex = DaskExecutor.local(2)
    ex.client.wait_for_workers(2, timeout=300)
    res = {"tpe": [], "random": []}
    try:
        for seed in range(args.seeds):
            for sampler in ("tpe", "random"):
                r = run(sampler, seed, args.trials, ex)
                t, n = time_to(args.target, r["finished"])
                res[sampler].append({"seed": seed, "time": t, "trials": n, "best": r["best"], "wall": r["wall"],
                                     "epochs": r["epochs"]})
                print(f"  seed {seed} {sampler:<6} best {r['best']:.4f}  reached after "
                      + (f"{t:6.1f} s / {n:2d} trials" if t is not None else "   never        ")
                      + f"  (search {r['wall']:.1f} s; {load()})")
    finally:
        ex.close()
    for sampler, rows in res.items():
        times = [r["time"] if r["time"] is not None else float("inf") for r in rows]
        trials = [r["trials"] if r["trials"] is not None else float("inf") for r in rows]
        print(f"{sampler:<6}: median time to {args.target}: {statistics.median(times):.1f} s, median trials "
              f"{statistics.median(trials)}, reached in {sum(t != float('inf') for t in times)}/{len(rows)} seeds, "
              f"median best {statistics.median(r['best'] for r in rows):.4f}")
    t_tpe = statistics.median(r["time"] if r["time"] is not None else float("inf") for r in res["tpe"])
    t_rnd = statistics.median(r["time"] if r["time"] is not None else float("inf") for r in res["random"])
    if t_tpe != float("inf") and t_rnd != float("inf"):
        print(f"TPE / random median time-to-accuracy ratio: {t_tpe / t_rnd:.2f} (below 1: TPE is faster)")
    out["samplers"] = {"target": args.target, **res}


def section_pruner(args, out: dict) -> None:
    from workbench.core.tuning.executors import DaskExecutor

    print(f"== the median pruner's saving (TPE, {args.trials} trials, seeds {args.seeds}, 2 local workers)")
    ex = DaskExecutor.local(2)
    ex.client.wait_for_workers(2, timeout=300)
    rows = []
    try:
        for seed in range(args.seeds):
            plain = run("tpe", seed, args.trials, ex)
            pruned = run("tpe", seed, args.trials, ex, pruner="median")
            rows.append({"seed": seed, "epochs": (plain["epochs"], pruned["epochs"]),
                         "wall": (plain["wall"], pruned["wall"]), "best": (plain["best"], pruned["best"]),
                         "pruned": pruned["states"]["pruned"]})
            print(f"  seed {seed}: trial-epochs {plain['epochs']} -> {pruned['epochs']}, wall {plain['wall']:.1f} -> "
                  f"{pruned['wall']:.1f} s, best {plain['best']:.4f} -> {pruned['best']:.4f}, "
                  f"{pruned['states']['pruned']} pruned ({load()})")
    finally:
        ex.close()
    ep = statistics.median(1 - r["epochs"][1] / r["epochs"][0] for r in rows)
    wall = statistics.median(1 - r["wall"][1] / r["wall"][0] for r in rows)
    best = statistics.median(r["best"][1] - r["best"][0] for r in rows)
    print(f"median saving: {ep:.0%} of the trial-epochs, {wall:.0%} of the wall time; best validation accuracy "
          f"changed by {best:+.4f}")
    out["pruner"] = {"rows": rows, "epoch_saving": ep, "wall_saving": wall, "best_change": best}


def section_cli(args, out: dict) -> None:
    """dask scheduler + 2 x dask worker as separate processes, then workbench tune --cluster."""
    bindir = Path(sys.executable).parent
    dask, workbench = str(bindir / "dask"), str(bindir / "workbench")
    tmp = Path(tempfile.mkdtemp(prefix="workbench-bench-cluster-"))
    sched_file = tmp / "scheduler.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = []
    print(f"== {args.trials}-trial search through 'workbench tune --cluster' on a scheduler and two workers "
          "started with Dask's commands")
    try:
        procs.append(subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                       "--scheduler-file", str(sched_file)], env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        t0 = time.perf_counter()
        while not sched_file.is_file() and time.perf_counter() - t0 < 120:
            time.sleep(0.2)
        address = json.loads(sched_file.read_text())["address"]
        for i in range(2):
            procs.append(subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                                           "--name", f"bench-{i}", "--no-dashboard", "--preload",
                                           "workbench.core.tuning.warm"], env=env, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(address, timeout=60) as c:
            c.wait_for_workers(2, timeout=300)
        t0 = time.perf_counter()
        r = subprocess.run([workbench, "tune", "--data", DATA, "--model", MODEL, "--epochs", str(EPOCHS), "--space",
                            SPACE, "--trials", str(args.trials), "--sampler", "tpe", "--cluster", address,
                            "--project", str(tmp / "project"), "--json", "--quiet"], env=env, capture_output=True,
                           text=True, timeout=3600)
        wall = time.perf_counter() - t0
        if r.returncode != 0:
            print(r.stdout[-2000:], r.stderr[-2000:])
            raise SystemExit(f"workbench tune failed with status {r.returncode}")
        res = json.loads(r.stdout.strip().splitlines()[-1])
        workers = sorted({w for t in res["trials"] for w in t.get("workers") or []})
        print(f"workbench tune --cluster {address}: {len(res['trials'])} trials in {wall:.1f} s (command start "
              f"included), best validation accuracy {res['best']['value']:.4f}, test accuracy "
              f"{res['test_metrics']['accuracy']:.4f}, trials ran on {len(workers)} workers ({load()})")
        out["cli"] = {"address": address, "wall": wall, "trials": len(res["trials"]), "workers": workers,
                      "best": res["best"]["value"], "test_accuracy": res["test_metrics"]["accuracy"]}
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="workers,samplers,pruner,cli")
    ap.add_argument("--trials", type=int, default=16)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--target", type=float, default=0.99, help="validation accuracy for time-to-accuracy")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out: dict = {"machine": {"cores": os.cpu_count(), "load_start": os.getloadavg()}}
    sections = {"workers": section_workers, "samplers": section_samplers, "pruner": section_pruner,
                "cli": section_cli}
    for name in args.only.split(","):
        sections[name.strip()](args, out)
    out["machine"]["load_end"] = os.getloadavg()
    if args.json:
        print(json.dumps(out, default=str))
    return 0


if __name__ == "__main__":  # the guard matters: local Dask workers start by spawning this module
    raise SystemExit(main())
