"""The ``workbench`` command line.

    workbench                      start the desktop app
    workbench inspect DATA         dataset summary
    workbench train --data DATA    train, print baseline / history / diagnosis / test metrics
    workbench runs list|show|compare --project DIR

Adding a subcommand: write a module with ``register(subparsers)`` that adds its parser and sets
``func=handler`` (handler(args) -> exit code), then add one line to ``COMMAND_MODULES``. Keep heavy
imports (torch, sklearn, Qt) inside the handler so ``workbench --version`` stays instant.
User errors (WorkbenchError) print one sentence on stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Callable

from workbench import cli_args
from workbench.core import params as P

# name -> "module" whose register(subparsers) adds the subcommand (later issues add lines here)
COMMAND_MODULES: dict[str, str] = {
    "style": "workbench.studies_cli.style_transfer",
    "faces": "workbench.studies_cli.faces",
    "trigger": "workbench.studies_cli.trigger_word",
    "experiment": "workbench.studies_cli.experiment",
    "daynight": "workbench.studies_cli.daynight",
    "export": "workbench.studies_cli.use",  # adds `export` and `predict`
    "tune": "workbench.tune_cli",
    "detect": "workbench.studies_cli.detection",
    "explore": "workbench.studies_cli.explore",
    "sequences": "workbench.studies_cli.sequences",
    "rl": "workbench.studies_cli.rl",
    "cache": "workbench.studies_cli.cache",
}

EXIT_USER_ERROR = 2


def _out(text: str = "") -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class _LineEnd:
    """stderr while a command runs, remembering whether a progress line ("\rgenerating 10/200")
    is still open, so an error sentence starts on a line of its own."""

    def __init__(self, stream):
        self._stream, self.open_line = stream, False

    def write(self, text):
        if text:
            self.open_line = not text.endswith("\n")
        return self._stream.write(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _error(text: str) -> None:
    if getattr(sys.stderr, "open_line", False):
        sys.stderr.write("\n")
    _err(f"error: {text}")


def _json_line(obj) -> str:
    from workbench.core.jsonio import to_json

    return to_json(obj, indent=None)


# ------------------------------------------------------------------------------------------------
# gui


def cmd_gui(args) -> int:
    try:
        from workbench.ui.app import run_app
    except ModuleNotFoundError as e:
        if e.name and (e.name == "workbench.ui.app" or e.name.startswith("workbench.ui")):
            _err("the desktop app is not built yet")
            return 1
        raise
    rc = run_app([sys.argv[0] if sys.argv else "workbench"] + list(getattr(args, "app_args", []) or []))
    return int(rc or 0)


# ------------------------------------------------------------------------------------------------
# inspect


def _add_data_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--target", help="target column of a CSV table (label column of a text CSV)")
    p.add_argument("--time-column", help="time column of a CSV table (for time-ordered splits)")
    p.add_argument("--text-column", help="read only this column as text, with the target as labels (a CSV whose "
                                         "only input is free text is found without it)")
    p.add_argument("--column", action="append", default=[], metavar="NAME=KIND",
                   help="override a CSV column's detected kind: numeric, categorical, text, datetime, boolean, "
                        "identifier, constant, or ignore to leave it out (repeat for several columns)")
    p.add_argument("--image-size", default=(64, 64), type=cli_args.image_size,
                   help="image folders are resized to WIDTHxHEIGHT (default 64x64)")


def cmd_inspect(args) -> int:
    from workbench.core.data import load_data, summarize

    ds = load_data(args.data, target=args.target, time_column=args.time_column, text_column=args.text_column,
                   image_size=args.image_size, columns=args.column or None)
    s = summarize(ds)
    if args.json:
        _out(_json_line(s.to_dict()))
    else:
        _out(s.to_text())
    return 0


# ------------------------------------------------------------------------------------------------
# train


def _add_train_parser(sub) -> None:
    p = sub.add_parser("train", help="train a model and report baseline, history, diagnosis and test scores",
                       description="Train a model on DATA (builtin:NAME, an image folder or a CSV file).")
    add_run_options(p)
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.add_argument("--quiet", action="store_true", help="no progress bar and no status lines on stderr")
    p.set_defaults(func=cmd_train)


def add_run_options(p: argparse.ArgumentParser, *, data_required: bool = True) -> None:
    """The options of a run (data, split, head, model, training, project): ``train`` and ``tune``."""
    p.add_argument("--data", required=data_required,
                   help="builtin:NAME, an image folder (one subfolder per class) or a CSV")
    _add_data_options(p)
    p.add_argument("--split", default="holdout:0.2,0.2", type=cli_args.split_plan,
                   help="holdout:VAL,TEST | kfold:K | iterated-kfold:PxK | time:VAL,TEST (default holdout:0.2,0.2)")
    p.add_argument("--drop-duplicates", action="store_true", help="drop exact copies of test samples from training")
    p.add_argument("--task", default="auto",
                   help="auto | binary | multiclass | multilabel | regression | regression01 (default auto)")
    p.add_argument("--activation", help="override the output activation (sigmoid, softmax, none, ...)")
    p.add_argument("--loss", help="override the loss (bce, cce, mse, mae)")
    p.add_argument("--model", help="a preset name (e.g. imdb, digits-cnn, mlp) or a spec .json file")
    p.add_argument("--epochs", type=P.EPOCHS.arg_type)
    p.add_argument("--batch-size", type=P.BATCH_SIZE.arg_type)
    p.add_argument("--lr", type=P.LR.arg_type, help="learning rate")
    p.add_argument("--optimizer", help="sgd | rmsprop | adam | adamw")
    p.add_argument("--scale", default="auto", choices=("auto", "none", "minmax", "standard"),
                   help="auto (default): standardize numeric table columns, images in [0, 1]")
    p.add_argument("--missing", default="indicator", choices=("zero", "indicator"),
                   help="missing values -> 0, plus a 'was missing' column per column with gaps (indicator, default)")
    p.add_argument("--vocab-size", type=P.VOCAB_SIZE.arg_type, default=10000,
                   help="tokens kept for text data (default 10000)")
    p.add_argument("--text-mode", default="auto", choices=("auto", "bag", "sequence"),
                   help="text as a bag of words (multi-hot) or token-id sequences for Embedding models; auto "
                        "(default): sequences when the model starts with an Embedding")
    p.add_argument("--sequence-length", type=P.SEQUENCE_LENGTH.arg_type, default=200,
                   help="tokens per text for sequence models (default 200)")
    p.add_argument("--token-level", default="word", choices=("word", "char"), help="tokens are words or characters")
    p.add_argument("--ngrams", type=P.NGRAMS.arg_type, default=1,
                   help="bag of words: also count n-grams up to N tokens (default 1)")
    p.add_argument("--keep-case", action="store_true", help="do not lowercase text")
    p.add_argument("--keep-punctuation", action="store_true", help="keep punctuation marks as tokens")
    p.add_argument("--early-stopping", type=P.PATIENCE.arg_type, metavar="PATIENCE", help="stop after PATIENCE epochs without improvement")
    p.add_argument("--seed", type=P.SEED.arg_type, default=0)
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda", "mps"))
    p.add_argument("--threads", type=P.THREADS.arg_type, help="CPU threads for training (default: 1 when the machine is already "
                                               "busy, else torch's choice)")
    p.add_argument("--project", help="project folder to store the run in (runs/<id>/run.json + weights.pt)")
    p.add_argument("--name", default="", help="a label for the run in the run history")


def _config_from_args(args):
    from workbench.core.data import parse_column_overrides
    from workbench.core.workflow import RunConfig

    train = {k: v for k, v in {
        "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr, "optimizer": args.optimizer,
        "early_stopping": args.early_stopping, "seed": args.seed, "threads": args.threads,
    }.items() if v is not None}
    head = None
    if args.activation or args.loss:
        head = {k: v for k, v in (("activation", args.activation), ("loss", args.loss)) if v}
    return RunConfig(
        data=args.data, target=args.target, time_column=args.time_column, text_column=args.text_column,
        image_size=args.image_size, split=args.split, drop_duplicates=args.drop_duplicates,
        scale=args.scale, missing=args.missing, vocab_size=args.vocab_size, task=args.task, model=args.model,
        text={"mode": args.text_mode, "length": args.sequence_length, "level": args.token_level,
              "ngrams": args.ngrams, "lowercase": not args.keep_case, "punctuation": args.keep_punctuation},
        columns=parse_column_overrides(args.column) or None,
        head=head, train=train, seed=args.seed, device=args.device, project=args.project, name=args.name,
    )


def _fmt_metrics(m: dict | None, keys=("accuracy", "precision", "recall", "f1", "auc", "mae", "loss")) -> str:
    if not m:
        return "n/a"
    parts = [f"{k} {m[k]:.4f}" for k in keys if isinstance(m.get(k), (int, float))]
    return ", ".join(parts) or "n/a"


def cmd_train(args) -> int:
    from workbench.core.training import ProgressBar, Trainer
    from workbench.core.workflow import run_training

    cfg = _config_from_args(args)
    callbacks = [] if (args.no_progress or args.quiet) else [ProgressBar(sys.stderr)]
    trainer = Trainer(callbacks, device=cfg.device)
    with _interrupt_stops(trainer):
        res = run_training(cfg, trainer=trainer, on_status=None if args.quiet else _err)
    rec = res.record
    p = res.prepared
    _out(f"Data: {p.dataset.name}, {len(p.dataset):,} samples, task {p.task}, head {p.head.describe()}")
    _out(f"Split: {p.plan.describe()}")
    tc = rec.train_config or {}
    _out(f"Model: {res.built.name} ({rec.model.get('parameters') or 0:,} parameters), "
         f"{tc.get('optimizer')} lr {tc.get('lr'):g}, batch {tc.get('batch_size')}")
    base = rec.baseline
    _out(f"Baseline ({rec.baseline_for('test').get('strategy', 'n/a')}): "
         f"validation {_fmt_metrics(base.get('val'))}; test {_fmt_metrics(base.get('test'))}")
    cv = rec.cross_validation
    if cv:
        for f in cv["folds"]:
            _out(f"  repeat {f['repeat'] + 1} fold {f['fold'] + 1}: best epoch {f['best_epoch']}, "
                 f"{_fmt_metrics(f['scores'])}")
        _out("Cross-validation mean ± std: " + ", ".join(
            f"{k} {cv['mean'][k]:.4f} ± {cv['std'][k]:.4f}" for k in ("accuracy", "f1", "auc", "mae", "loss")
            if cv["mean"].get(k) is not None))
        if cv.get("final_epochs"):
            _out(f"Final model retrained on all non-test data for {cv['final_epochs']} epochs.")
    elif rec.history:
        _out(f"Epochs run: {len(rec.history)}, best epoch {rec.best_epoch}, {rec.stop_reason}. {rec.message}")
    _out(f"Test: {_fmt_metrics(rec.test_metrics)}")
    _out(f"Diagnosis: {res.diagnosis.text}")
    for r in res.diagnosis.remedies:
        _out(f"  - {r}")
    if res.run_id:
        what = "interrupted run" if rec.stop_reason == "interrupted" else "Run"
        _out(f"{what[0].upper() + what[1:]} {res.run_id} saved in {cfg.project}")
    if args.json:
        _out(_json_line(res.to_json()))
    if rec.stop_reason == "nan":
        _err(f"error: {rec.message}")
        return EXIT_USER_ERROR
    if rec.stop_reason == "interrupted":
        return 130
    return 0


class _interrupt_stops:
    """Within the block, Ctrl+C asks the trainer to stop at the next batch (the run is kept and
    marked "interrupted"); a second Ctrl+C aborts at once."""

    def __init__(self, trainer):
        self.trainer = trainer
        self.previous = None
        self.hits = 0

    def _handler(self, signum, frame):
        self.hits += 1
        if self.hits > 1 or getattr(self.trainer, "model", None) is None:
            raise KeyboardInterrupt  # a second Ctrl+C, or nothing trained yet (loading data, planning folds)
        _err("\ninterrupted: stopping after this batch and keeping the run (Ctrl+C again to abort)")
        self.trainer.request_stop("interrupted", "Training was interrupted (Ctrl+C); the best weights so far "
                                                 "were kept.")

    def __enter__(self):
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        import signal

        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        return False


# ------------------------------------------------------------------------------------------------
# runs


def _add_runs_parser(sub) -> None:
    p = sub.add_parser("runs", help="list, show or compare the runs of a project")
    rs = p.add_subparsers(dest="runs_command", metavar="list|show|compare")
    rs.required = True
    for name, helptext in (("list", "one line per run"), ("show", "everything about one run"),
                           ("compare", "runs side by side")):
        q = rs.add_parser(name, help=helptext)
        q.add_argument("--project", required=True, help="project folder")
        q.add_argument("--json", action="store_true", help="print JSON")
        if name == "show":
            q.add_argument("run_id", help="a run id from 'workbench runs list'")
        if name == "compare":
            q.add_argument("run_ids", nargs="*", help="run ids (default: all runs)")
    p.set_defaults(func=cmd_runs)


RUN_TABLE_COLUMNS = ["run_id", "data", "model", "task", "epochs", "best_epoch", "metric", "val", "test", "baseline",
                     "overfit_epoch", "stop_reason"]


def _table(rows: list[dict], cols=RUN_TABLE_COLUMNS) -> str:
    def cell(v):
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:.4f}"
        return str(v)

    body = [[cell(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(c), *(len(b[i]) for b in body)) if body else len(c) for i, c in enumerate(cols)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(cols, widths))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(b, widths)) for b in body]
    return "\n".join(lines)


def cmd_runs(args) -> int:
    from pathlib import Path

    from workbench.core.errors import ProjectError
    from workbench.core.runs import RunStore, summarize

    if not Path(args.project).is_dir():
        raise ProjectError(f"The project folder {args.project} does not exist; give the folder you trained with --project.")
    store = RunStore(args.project)
    if args.runs_command == "list":
        rows = store.list()
        if args.json:
            _out(_json_line(rows))
        elif not rows:
            _out(f"No runs in {args.project} yet; train with 'workbench train ... --project {args.project}'.")
        else:
            ok = [r for r in rows if "error" not in r]
            if ok:
                _out(_table(ok))
            for r in rows:
                if "error" in r:
                    _out(f"{r['run_id']}: damaged: {r['error']}")
        return 0
    if args.runs_command == "show":
        rec = store.load(args.run_id)
        if args.json:
            _out(_json_line(rec.to_dict()))
            return 0
        _out(_table([summarize(rec)]))
        _out("")
        for h in rec.history:
            _out("  " + ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in h.items()
                                  if k in ("epoch", "loss", "val_loss", "accuracy", "val_accuracy", "mae", "val_mae")))
        if (rec.diagnosis or {}).get("text"):
            _out(f"Diagnosis: {rec.diagnosis['text']}")
        _out(f"Test: {_fmt_metrics(rec.test_metrics)}")
        _out(f"Baseline: {_fmt_metrics(rec.baseline_for('test'))}")
        return 0
    rows = store.compare(args.run_ids or None)
    _out(_json_line(rows) if args.json else (_table(rows) if rows else "No runs to compare."))
    return 0


# ------------------------------------------------------------------------------------------------
# parser and main


def build_parser() -> argparse.ArgumentParser:
    from workbench import __version__

    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Deep Learning Workbench: train, check and demo deep-learning models offline. "
                    "Without a command it starts the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation headless (window, 1-epoch training, panels, devices) and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser("inspect", help="summarize a data set (samples, classes, features, duplicates, warnings)")
    p.add_argument("data", help="builtin:NAME, an image folder or a CSV file")
    _add_data_options(p)
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=cmd_inspect)
    _add_train_parser(sub)
    _add_runs_parser(sub)
    p = sub.add_parser("gui", help="start the desktop app (same as no command)")
    p.add_argument("app_args", nargs="*", help="an optional project folder to open")
    p.set_defaults(func=cmd_gui)
    for name, module in COMMAND_MODULES.items():
        register: Callable = getattr(importlib.import_module(module), "register")
        register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    import os

    if os.environ.get("WORKBENCH_STARTUP_PROBE"):  # benchmarks/startup.py: report when the window is up, quit
        from workbench.ui.startup_probe import install_startup_probe

        install_startup_probe()
    if getattr(args, "self_test", False):
        from workbench.selftest import run_self_test

        return run_self_test()
    func = getattr(args, "func", None) or cmd_gui
    from workbench.core.errors import WorkbenchError

    stderr = sys.stderr
    if func is not cmd_gui:
        sys.stderr = _LineEnd(stderr)
    try:
        return int(func(args) or 0)
    except WorkbenchError as e:
        _error(str(e))
        return EXIT_USER_ERROR
    except OSError as e:  # a permission, a full disk, a missing folder met mid-command: its sentence
        from workbench.core.oserrors import describe

        _error(describe(e))
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        _err("interrupted")
        return 130
    finally:
        sys.stderr = stderr


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
