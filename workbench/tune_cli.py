"""``workbench tune``: a hyperparameter search from the command line (``search.run_search``).

    workbench tune --data builtin:digits --model digits-cnn --epochs 5 \\
        --space "lr=log(1e-4,1e-1);layers.1.filters=int(8,32);dropout=float(0,0.5)" \\
        --trials 16 --sampler tpe --pruner median --parallel 2 --project runs/digits
    workbench tune --resume STUDY --trials 32 --project runs/digits     # go on with a stopped study
    workbench tune --list --project runs/digits                         # the project's studies
    workbench tune ... --cluster tcp://scheduler:8786                   # trials on a Dask cluster

Ctrl+C stops the search (running trials end at their next batch; the study can be resumed).
"""
from __future__ import annotations

import argparse
import sys


def register(sub) -> None:
    from workbench import cli_args
    from workbench.core import params as P
    from workbench.cli import add_run_options

    p = sub.add_parser("tune", help="hyperparameter search (Optuna; trials on a local or remote Dask cluster)",
                       description="Search settings of the run and of the model (scored on validation or "
                                   "cross-validation only), retrain the best on all non-test data and score it "
                                   "on the test set once. Every trial is a run in the project.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="Space: name=log(lo,hi) | float(lo,hi[,step]) | int(lo,hi[,step]) | logint(lo,hi) | "
                              "choice(a,b,..) | a,b,..; names: lr, batch_size, epochs, optimizer, weight_decay, "
                              "momentum, early_stopping, scale, missing, vocab_size, dropout, l1, l2, units, "
                              "filters, n_layers, layers.N.SETTING (layer N counted from 1).")
    add_run_options(p, data_required=False)
    p.add_argument("--space", help='what to search, e.g. "lr=log(1e-4,1e-1);layers.1.units=int(4,64);'
                                   'dropout=float(0,0.5)"')
    p.add_argument("--trials", type=P.TRIALS.arg_type,
                   help="finished trials the study should have (default 20; a resumed study keeps its own unless "
                        "given)")
    p.add_argument("--sampler", default="tpe", choices=("tpe", "random", "grid"))
    p.add_argument("--pruner", default="none", choices=("none", "median", "halving"),
                   help="stop trials whose validation metric trails the others' at the same epoch")
    p.add_argument("--metric", help="validation metric to optimise (default: accuracy, or mae for regression)")
    p.add_argument("--seed-policy", default="same", choices=("same", "per-trial"),
                   help="same: every trial's model starts from the same initialization (default)")
    p.add_argument("--parallel", type=P.PARALLEL.arg_type,
                   help="local worker processes (default: one per core, or per GPU)")
    p.add_argument("--cluster", type=cli_args.cluster_address, help="a Dask scheduler address (tcp://host:8786), or 'inline' for this process")
    p.add_argument("--study", help="the study's name in the project (an existing one is resumed)")
    p.add_argument("--resume", metavar="STUDY", help="go on with a stored study, with its own data and settings")
    p.add_argument("--list", action="store_true", help="list the project's studies and exit")
    p.add_argument("--no-retrain", action="store_true", help="do not retrain the best settings (no test score)")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    p.add_argument("--quiet", action="store_true", help="no status lines on stderr")
    p.set_defaults(func=cmd_tune)


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def _params(p: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in (p or {}).items())


def _resume_settings(args):
    """(RunConfig, settings dict) of a stored study; the command's own options for where to run."""
    import optuna

    from workbench.core.tuning.study import TuningError, open_storage, study_path
    from workbench.core.workflow import RunConfig

    path = study_path(args.project, args.resume)
    if not path.is_file():
        raise TuningError(f"There is no study {args.resume!r} in {args.project}; 'workbench tune --list --project "
                          f"{args.project}' shows them.")
    study = optuna.load_study(study_name=args.resume, storage=open_storage(path))
    wb = study.user_attrs.get("workbench", {})
    if not wb.get("config"):
        raise TuningError(f"The study {args.resume} does not say which data it searched; run it again with --data "
                          f"and --study {args.resume}.")
    cfg = RunConfig.from_dict(wb["config"])
    cfg.project = args.project
    d = wb.get("definition", {})
    return cfg, {"space": d.get("space"), "sampler": d.get("sampler", "tpe"),
                 "pruner": None if d.get("pruner") in (None, "none") else d.get("pruner"),
                 "seed_policy": d.get("seed_policy", "same"), "metric": wb.get("metric"),
                 "n_trials": args.trials or wb.get("n_trials") or 20, "study": args.resume}


def cmd_tune(args) -> int:
    from workbench.cli import _config_from_args, _fmt_metrics, _interrupt_stops, _json_line, _out
    from workbench.core.errors import DataError
    from workbench.core.training import Trainer
    from workbench.core.tuning import list_studies
    from workbench.core.search import run_search

    if args.list:
        if not args.project:
            raise DataError("Give the project folder with --project to list its studies.")
        rows = list_studies(args.project)
        if args.json:
            _out(_json_line({"studies": rows}))
        elif not rows:
            _out(f"No studies in {args.project} yet.")
        for r in rows if not args.json else []:
            _out(f"{r['study']}: {r.get('error') or str(r['trials']) + ' trials, best ' + str(r['best_value'])}"
                 + (f" ({_params(r.get('best_params'))})" if r.get("best_params") else ""))
        return 0
    if args.cluster not in (None, "", "inline", "local"):  # an address that does not answer: said before any work
        from workbench.core.tuning.executors import check_address

        check_address(args.cluster)
    if args.resume:
        if not args.project:
            raise DataError("Give the project folder with --project to resume a study.")
        cfg, s = _resume_settings(args)
    else:
        if not args.data or not args.space:
            raise DataError("Give the data with --data and what to search with --space, e.g. "
                            '--space "lr=log(1e-4,1e-1);dropout=float(0,0.5)".')
        cfg = _config_from_args(args)
        s = {"space": args.space, "sampler": args.sampler, "pruner": args.pruner, "seed_policy": args.seed_policy,
             "metric": args.metric, "n_trials": args.trials or 20, "study": args.study}
    if not cfg.project and not args.quiet:
        _err("note: without --project the study is not kept (it cannot be resumed) and the trials are not saved")
    say = None if args.quiet else _err

    def on_trial(i, n, row):
        if say:
            v = row.get("value")
            say(f"trial {row['number']}: {row['state']}" + (f", {v:.4f}" if isinstance(v, float) else "")
                + f" ({_params(row['params'])})")

    trainer = Trainer()  # Ctrl+C asks it to stop; the search watches it
    with _interrupt_stops(trainer):
        res = run_search(cfg, s["space"], sampler=s["sampler"], n_trials=int(s["n_trials"]), pruner=s["pruner"],
                         metric=s["metric"], seed_policy=s["seed_policy"], study=s["study"], parallel=args.parallel,
                         cluster=args.cluster, retrain=not args.no_retrain, on_status=say, on_trial=on_trial,
                         trainer=trainer)
    rec = res.record
    srch = rec.search or {}
    metric = srch.get("metric", "score")
    _out(f"Study {srch.get('study')} ({srch.get('sampler')} sampler, pruner {srch.get('pruner')}) on "
         f"{srch.get('executor')}: {len(srch.get('trials', []))} trial(s), scored on validation {metric}")
    for t in srch.get("trials", []):
        v = t.get("value")
        score = f"{v:.4f}" if isinstance(v, float) else "-"
        _out(f"  trial {t['number']:>3}  {t['state']:<9} {score:>7}  {_params(t['params'])}"
             + (f"  [run {t['run_id']}]" if t.get("run_id") else ""))
    if srch.get("best_params") is not None:
        _out(f"Best: trial {srch.get('best_trial')}, validation {metric} {srch.get('best_score'):.4f} "
             f"({_params(srch['best_params'])})")
    imp = srch.get("importances") or {}
    if imp:
        _out("Importances: " + ", ".join(f"{k} {v:.2f}" for k, v in sorted(imp.items(), key=lambda kv: -kv[1])))
    if rec.test_metrics:
        _out(f"Retrained on all non-test data for {srch.get('final_epochs')} epoch(s); test: "
             f"{_fmt_metrics(rec.test_metrics)}")
    _out(rec.message)
    if rec.run_id:
        _out(f"Search run {rec.run_id} saved in {cfg.project}; the study is {srch.get('storage')}")
    if args.json:
        _out(_json_line({"study": srch.get("study"), "storage": srch.get("storage"), "run_id": rec.run_id,
                         "metric": metric, "higher_is_better": srch.get("higher_is_better"),
                         "trials": srch.get("trials"), "best": {"trial": srch.get("best_trial"),
                                                                "params": srch.get("best_params"),
                                                                "value": srch.get("best_score"),
                                                                "run_id": srch.get("best_run_id")},
                         "importances": imp, "test_metrics": rec.test_metrics, "stopped": srch.get("stopped"),
                         "executor": srch.get("executor"), "workers": srch.get("workers"),
                         "final_epochs": srch.get("final_epochs"), "time": srch.get("time"),
                         "message": rec.message}))
    return 130 if srch.get("stopped") else 0
