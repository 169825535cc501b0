"""``workbench experiment``: run a guided experiment headless and print its figures and conclusion.

    workbench experiment list
    workbench experiment NAME [--full] [--seed S] [--json] [--report out.html]
    workbench experiment guide --project DIR

NAME is a lesson's name or number (``workbench experiment list`` shows them). The GUI's
Experiments panel runs exactly the same code.
"""
from __future__ import annotations

import argparse
import json
import sys

from workbench.core.errors import WorkbenchError
from workbench.core import params as P

NAME = "experiment"


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="Run a guided experiment (a lesson of the course) and print its conclusion.",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("name", help="experiment name or number, 'list', or 'guide'")
    p.add_argument("--full", action="store_true", help="full mode (slower, closer to the published figures)")
    p.add_argument("--seed", type=P.SEED.arg_type, default=0, help="first seed (default 0); each repetition adds 1")
    p.add_argument("--seeds", type=P.SEEDS.arg_type, default=None,
                   help="repetitions the verdict is judged over (default 2 in fast mode, 3 in full mode)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")
    p.add_argument("--report", default=None, help="also write a self-contained HTML report there")
    p.add_argument("--project", default=None, help="project folder (for 'guide')")
    p.set_defaults(func=run)
    return p


def _progress(done: int, total: int, text: str) -> None:
    width = 30
    filled = int(width * done / max(total, 1))
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {text[:40]:<40}")
    sys.stderr.flush()
    if done >= total:
        sys.stderr.write("\n")


def run(args) -> int:
    from workbench.core.experiments import get_experiment, list_experiments, run_experiment

    if args.name == "list":
        for e in list_experiments():
            print(f"{e.number:>2}. {e.name:<22} {e.title}")
        return 0
    if args.name == "guide":
        from workbench.core.experiments.guide import check_steps, state_from_project

        if not args.project:
            raise WorkbenchError("Give the project folder: workbench experiment guide --project DIR")
        steps = check_steps(state_from_project(args.project))
        if args.json:
            print(json.dumps([s.to_dict() for s in steps]))
        else:
            for s in steps:
                print(f"[{'x' if s.done else ' '}] {s.number}. {s.title}: {s.message}")
        return 0
    exp = get_experiment(args.name)
    if args.seeds is not None and args.seeds < 1:
        raise WorkbenchError(f"--seeds must be at least 1 (got {args.seeds}).")
    result = run_experiment(exp.name, full=args.full, seed=args.seed, n_seeds=args.seeds,
                            progress=None if args.json and not sys.stderr.isatty() else _progress)
    if args.report:
        from workbench.core.experiments.report import experiment_report_html, save_report

        save_report(args.report, experiment_report_html([result], explanations={exp.name: exp.explanation}))
    if args.json:
        from workbench.core.jsonio import to_json

        print(to_json(result.to_dict(), indent=None))
    else:
        print(f"{exp.number}. {exp.title} ({result.mode} mode, {result.seconds:.0f} s)\n")
        for row in result.table:
            print("  " + ", ".join(f"{k}: {v:.4g}" if isinstance(v, float) else f"{k}: {v}" for k, v in row.items()))
        print("\n" + {"agrees": "Conclusion: ", "contradicts": "Contradicts the lesson: ",
                      "inconclusive": "Inconclusive: "}[result.outcome] + result.conclusion)
        if args.report:
            print(f"Report written to {args.report}")
    return 0
