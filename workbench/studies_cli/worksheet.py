"""``workbench experiment QUESTION``: run a worksheet question's every answer and reveal (see
``workbench/studies_cli/experiment.py`` for the options)."""
from __future__ import annotations

import sys

from workbench.core.errors import WorkbenchError


def run_question_cli(args, progress) -> int:
    from workbench.core.experiments.base import Context
    from workbench.core.worksheets import choice_sentence, get_question, run_question

    q = get_question(args.name)
    if args.answer is not None:
        q.answer(args.answer)  # an unknown key is an error before anything runs
    parts = None
    if getattr(args, "parts", None):
        try:
            parts = dict(kv.split("=", 1) for kv in args.parts.split(","))
        except ValueError:
            raise WorkbenchError("--parts takes term=answer pairs separated by commas, e.g. coord=coord,size=size.") from None
    if args.seeds is not None and args.seeds < 1:
        raise WorkbenchError(f"--seeds must be at least 1 (got {args.seeds}).")
    ctx = Context(full=args.full, seed=args.seed, n_seeds=args.seeds,
                  progress=None if args.json and not sys.stderr.isatty() else progress)
    res = run_question(q.id, args.answer, ctx, chosen_parts=parts)
    written = None
    if args.report:
        from workbench.core.worksheets.report import write_question_report

        written = write_question_report(args.report, [res])
    if args.json:
        from workbench.core.jsonio import to_json

        d = res.to_dict()
        if written is not None:
            d["report"] = str(written)
        print(to_json(d, indent=None))
        return 0
    print(f"{q.id} — {q.topic}: {q.text} ({res.mode} mode, seeds {', '.join(map(str, res.seeds))}, "
          f"{res.seconds:.0f} s)\n")
    for a in res.answers:
        spread = f" ± {a.spread:.2g}" if a.spread is not None else ""
        mark = "*" if a.correct else " "
        print(f" {mark} {a.key:<12} {q.metric} {a.mean:.4g}{spread}   {a.summary}")
    for p in res.parts:
        verdict = {True: "right", False: f"wrong (it is {', '.join(p['correct'])})", None: f"it is {', '.join(p['correct'])}"}
        print(f"   term {p['id']}: {verdict[p['right']]}")
    print("\n" + res.conclusion)
    if res.chosen is not None:
        print(choice_sentence(res))
    print("\nWhy: " + res.explanation)
    if written is not None:
        print(f"Report written to {written}")
    return 0
