"""Sequences & shots: held-out figures with their baselines, at the panel's defaults, on CPU.

    python benchmarks/sequences.py trees        # arithmetic, attention and no attention: exact match and
                                                #   bracket F1 in distribution + the length curve
    python benchmarks/sequences.py english      # the small English grammar
    python benchmarks/sequences.py captions     # exact / BLEU-4 on seen and held-out colour-shape pairs,
                                                #   greedy and beam, beside most-frequent and nearest-image
    python benchmarks/sequences.py zeroshot     # unseen classes by attributes, plain classifier, all compete
    python benchmarks/sequences.py fewshot [--data builtin:mnist]   # 1, 5, 10 shots: prototypes vs scratch,
                                                #   seeds 0/1/2 x 10 draws, 95 % intervals
    python benchmarks/sequences.py all --json out.json

Targets (issue 28): trees >= 90 % exact in distribution with a length curve; captions >= 95 % exact
on seen pairs with BLEU-4 on unseen ones; zero-shot far above chance on held-out classes; prototypes
ahead of the CNN from scratch at 1 and 5 shots on a real image set. Seconds are wall time on this
machine with the load average printed beside them (other work slows everything).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _timed(fn, *a, **k):
    t = time.perf_counter()
    out = fn(*a, **k)
    return out, round(time.perf_counter() - t, 1)


def bench_trees(grammar: str = "arithmetic", threads: int = 2) -> dict:
    from workbench.core.studies.sequences.trees import train_tree_parser

    res = {}
    for att in (True, False):
        out, sec = _timed(train_tree_parser, grammar, attention=att, threads=threads, beam=3)
        res["attention" if att else "plain"] = {
            "test": out.test, "baseline": out.baseline, "beam": out.beam_test, "seconds": sec,
            "parameters": out.settings["parameters"], "epochs": len(out.fit.history),
            "curve": [{k: r[k] for k in ("size", "exact", "bracket_f1", "baseline_exact", "trained", "n")}
                      for r in out.length_curve]}
        t = out.test
        print(f"{grammar} {'attention' if att else 'no attention'}: exact {t['exact']:.3f} F1 {t['bracket_f1']:.3f} "
              f"(baseline exact {out.baseline['exact']:.3f} F1 {out.baseline['bracket_f1']:.3f}); beam "
              f"{out.beam_test['exact']:.3f}; {sec} s, {out.settings['parameters']} parameters", flush=True)
        print("   curve " + "  ".join(f"{r['size']}{'*' if r['trained'] else ''}:{r['exact']:.2f}/{r['bracket_f1']:.2f}"
                                      for r in out.length_curve), flush=True)
    return res


def bench_captions(threads: int = 2) -> dict:
    from workbench.core.studies.sequences.captions import train_captioner

    cpu0 = time.process_time()
    out, sec = _timed(train_captioner, threads=threads)
    cpu = round(time.process_time() - cpu0, 1)
    res = {"cpu_s": cpu, "settings": out.settings, "test": out.test, "baselines": {p: {k: v for k, v in b.items() if k != "most_frequent_caption"}
                                           for p, b in out.baselines.items()},
           "swapped": out.swapped, "held_out": out.held_out, "seconds": sec, "parameters": out.settings["parameters"],
           "epochs": len(out.fit.history)}
    for p, s in out.test.items():
        b = out.baselines[p]
        print(f"captions {p}: exact {s['exact']:.3f} BLEU-4 {s['bleu4']:.3f} beam exact {s['beam']['exact']:.3f}; "
              f"nearest {b['nearest']['exact']:.3f}/{b['nearest']['bleu4']:.3f}, most frequent "
              f"{b['most_frequent']['exact']:.3f}/{b['most_frequent']['bleu4']:.3f} (n {s['n']})", flush=True)
    print(f"   held out {out.held_out}; wrong unseen captions naming only trained pairs {out.swapped}; {sec} s "
          f"({cpu} CPU-s), "
          f"{out.settings['parameters']} parameters", flush=True)
    return res


def bench_zeroshot(threads: int = 2) -> dict:
    from workbench.core.studies.sequences.zeroshot import run_zero_shot

    out, sec = _timed(run_zero_shot, threads=threads)
    print(f"zero-shot unseen {out.unseen}: by attributes {out.scores['zsl_unseen']:.3f} (chance "
          f"{out.scores['chance_unseen']:.3f}); plain classifier {out.scores['plain_unseen']:.3f}; all compete: unseen "
          f"{out.scores['gzsl_unseen']:.3f}, seen {out.scores['gzsl_seen']:.3f}; {sec} s", flush=True)
    return {"scores": out.scores, "unseen": out.unseen, "seconds": sec}


def bench_fewshot(data: str = "builtin:mnist", threads: int = 2, episodes: int = 10, seeds=(0, 1, 2),
                  embedding: str = "base") -> dict:
    """The curve for each seed (a seed picks the base / novel split, the queries and the draws), then
    every draw of every seed pooled: mean, 95 % interval of the mean, and the paired difference
    prototypes - scratch (the same examples on both sides)."""
    import numpy as np

    from workbench.core.studies.sequences.fewshot import interval, run_few_shot

    per_seed, rows = [], []
    t_cpu = time.process_time()
    for seed in seeds:
        out, sec = _timed(run_few_shot, data, episodes=episodes, threads=threads, seed=seed, embedding=embedding)
        per_seed.append({"seed": seed, "novel": out.classes, "base": out.settings.get("base_classes"),
                         "curve": out.curve, "seconds": sec})
        rows += out.episodes
        print(f"{data} seed {seed} (novel classes {', '.join(out.classes)}): " + "; ".join(
            f"{r['shots']} shots prototypes {r['prototype']:.3f} ± {r['prototype_ci']:.3f}, ImageNet prototypes "
            f"{r['prototype_imagenet']:.3f}, scratch {r['scratch']:.3f} ± {r['scratch_ci']:.3f}" for r in out.curve)
            + f"; {sec} s", flush=True)
    pooled = []
    for k in sorted({r["shots"] for r in rows}):
        sel = [r for r in rows if r["shots"] == k]
        p = np.array([r["prototype"] for r in sel])
        q = np.array([r["prototype_imagenet"] for r in sel])
        sc = np.array([r["scratch"] for r in sel])
        pooled.append({"shots": k, "draws": len(sel), "prototype": float(p.mean()), "prototype_ci": interval(p),
                       "prototype_imagenet": float(q.mean()), "prototype_imagenet_ci": interval(q),
                       "scratch": float(sc.mean()), "scratch_ci": interval(sc),
                       "ahead": float((p - sc).mean()), "ahead_ci": interval(p - sc)})
        r = pooled[-1]
        print(f"   pooled {k:>2} shots over {len(sel)} draws: prototypes {r['prototype']:.3f} ± {r['prototype_ci']:.3f}, "
              f"ImageNet prototypes {r['prototype_imagenet']:.3f} ± {r['prototype_imagenet_ci']:.3f}, scratch "
              f"{r['scratch']:.3f} ± {r['scratch_ci']:.3f}; prototypes - scratch {r['ahead']:+.3f} ± {r['ahead_ci']:.3f}",
              flush=True)
    cpu = round(time.process_time() - t_cpu, 1)
    print(f"   {cpu} CPU-s", flush=True)
    return {"per_seed": per_seed, "pooled": pooled, "cpu_s": cpu, "episodes": episodes, "seeds": list(seeds),
            "embedding": embedding}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("trees", "english", "captions", "zeroshot", "fewshot", "all"))
    ap.add_argument("--data", default="builtin:mnist", help="few-shot: builtin:mnist, builtin:digits or a folder")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seeds", default="0,1,2", help="few-shot: the seeds (each: a base / novel split and draws)")
    ap.add_argument("--episodes", type=int, default=10, help="few-shot: draws per seed and shot count")
    ap.add_argument("--json", help="write the figures to this file")
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    res = {}
    if a.what in ("trees", "all"):
        res["trees"] = bench_trees("arithmetic", a.threads)
    if a.what in ("english", "all"):
        res["english"] = bench_trees("english", a.threads)
    if a.what in ("captions", "all"):
        res["captions"] = bench_captions(a.threads)
    if a.what in ("zeroshot", "all"):
        res["zeroshot"] = bench_zeroshot(a.threads)
    if a.what in ("fewshot", "all"):
        res["fewshot"] = bench_fewshot(a.data, a.threads, a.episodes, [int(x) for x in a.seeds.split(",")])
    print(f"load average {os.getloadavg()[0]:.1f}", flush=True)
    if a.json:
        from workbench.core.jsonio import to_json

        Path(a.json).write_text(to_json(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
