"""``workbench experiment``: run a guided experiment headless and print its figures and conclusion.

    workbench experiment --list                  (or: workbench experiment list)
    workbench experiment NAME [--full] [--seed S] [--json] [--report out.html]
    workbench experiment QUESTION [--answer KEY] [--full] [--seed S] [--json] [--report DIR]
    workbench experiment guide --project DIR

NAME is a lesson's name or number; QUESTION a worksheet question such as ``daynight.output``
(``--list`` shows both). A question runs every candidate answer over the seeds and reveals the
right one; with ``--answer`` it also says whether your choice was right. The GUI's Experiments
and Worksheets views run exactly the same code.
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
    p.add_argument("name", nargs="?", default=None,
                   help="experiment name or number, a worksheet question id (daynight.output), 'list', or 'guide'")
    p.add_argument("--parts", default=None,
                   help="for a question with parts (yolo.loss): your name for each term, e.g. coord=coord,size=size")
    p.add_argument("--list", action="store_true", help="list the lessons and the worksheets' questions")
    p.add_argument("--answer", default=None, help="your answer's key for a worksheet question (judged after the run)")
    p.add_argument("--full", action="store_true", help="full mode (slower, closer to the published figures)")
    p.add_argument("--seed", type=P.SEED.arg_type, default=0, help="first seed (default 0); each repetition adds 1")
    p.add_argument("--seeds", type=P.SEEDS.arg_type, default=None,
                   help="repetitions the verdict is judged over (default 2 in fast mode, 3 in full mode)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object on the last line")
    p.add_argument("--report", default=None,
                   help="also write a self-contained HTML report there (a file, or for a question a folder)")
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

    if args.list or args.name == "list":
        return _list(args)
    if not args.name:
        raise WorkbenchError("Name a lesson or a worksheet question (workbench experiment --list shows them).")
    from workbench.core.worksheets import is_question_id

    if "." in args.name or is_question_id(args.name):
        from workbench.studies_cli.worksheet import run_question_cli

        return run_question_cli(args, _progress)
    if args.answer is not None:
        raise WorkbenchError("--answer goes with a worksheet question (such as daynight.output), not a lesson.")
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


def _list(args) -> int:
    from workbench.core.experiments import list_experiments
    from workbench.core.worksheets import list_worksheets

    if args.json:
        from workbench.core.jsonio import to_json

        print(to_json({"lessons": [{"number": e.number, "name": e.name, "title": e.title} for e in list_experiments()],
                       "worksheets": [{"id": w.id, "study": w.study, "title": w.title,
                                       "questions": [{"id": q.id, "topic": q.topic, "text": q.text,
                                                      "answers": [a.key for a in q.answers]} for q in w.questions]}
                                      for w in list_worksheets()]}, indent=None))
        return 0
    print("Lessons:")
    for e in list_experiments():
        print(f"  {e.number:>2}. {e.name:<22} {e.title}")
    for w in list_worksheets():
        print(f"\nWorksheet {w.id}: {w.title}")
        for q in w.questions:
            print(f"  {q.id:<28} {q.topic + ':':<16} {q.text}  [answers: {', '.join(a.key for a in q.answers)}]")
    return 0
