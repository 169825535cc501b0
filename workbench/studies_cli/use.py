"""``workbench export`` and ``workbench predict``: take any trained run out of Workbench, or use it.

    workbench export RUN --project DIR --out FOLDER [--format onnx,torchscript] [--json]
    workbench predict MODEL PATH... [--project DIR] [--json]     (MODEL: an export folder or a run id)

A table model (or a text model) given a CSV writes ``<name>-predictions.csv`` beside it: the same
rows with ``prediction`` and, for classifiers, ``confidence`` columns.
"""
from __future__ import annotations

import sys


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="export a trained run: ONNX + TorchScript + model.json + example.py",
                              description="Export a run of a project; the ONNX file is checked with onnxruntime "
                                          "on the run's test samples.")
    p.add_argument("run_id", metavar="RUN", help="a run id from 'workbench runs list'")
    p.add_argument("--project", required=True, help="the project folder holding the run")
    p.add_argument("--out", required=True, help="the folder to export into (new, empty or a previous export)")
    p.add_argument("--format", default="onnx,torchscript", help="onnx, torchscript or both (default both)")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    p.set_defaults(func=cmd_export)
    q = subparsers.add_parser("predict", help="predict files, folders or CSV rows with an exported model or a run",
                              description="Class probabilities (or values, for regression) for images, WAV clips, "
                                          "text files, and the rows of a CSV for table and text models (written to "
                                          "NAME-predictions.csv beside it).")
    q.add_argument("model", metavar="MODEL", help="an export folder, or a run id (with --project)")
    q.add_argument("paths", metavar="PATH", nargs="+", help="files or folders")
    q.add_argument("--project", help="the project folder when MODEL is a run id")
    q.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    q.set_defaults(func=cmd_predict)


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")


def cmd_export(args) -> int:
    from workbench.cli import _json_line, _out
    from workbench.core.runs.export import export_run

    res = export_run(args.project, args.run_id, args.out, args.format, on_status=_say)
    for fmt in ("onnx", "torchscript"):
        if res["files"].get(fmt):
            diff = res.get(f"{fmt}_max_abs_diff")
            _out(f"{fmt}: {res['files'][fmt]} (max abs difference to PyTorch {diff:.2e} on {res['checked_on']})")
    _out(f"metadata: {res['metadata']}")
    _out(f"example: {res['folder']}/example.py (loads the model without Workbench)")
    if args.json:
        _out(_json_line(res))
    return 0


def cmd_predict(args) -> int:
    from workbench.cli import _json_line, _out
    from workbench.core.runs.predict import open_predictor

    pred = open_predictor(args.model, args.project)
    rows, skipped = pred.predict_paths(args.paths)
    for r in rows:
        if r.get("output"):
            _out(f"{r['path']}: {r['label']} predicted, written to {r['output']}. {r['note']}")
        elif r.get("confidence") is None:
            _out(f"{r['label']:<16} {r['path']}")
        else:
            _out(f"{r['label']:<16} {100 * r['confidence']:5.1f}%  {r['path']}")
    for f, why in skipped:
        _say(f"skipped {f}: {why}")
    if not rows:
        from workbench.core.errors import DataError

        raise DataError(f"None of the given paths holds a file this {pred.kind} model can read.")
    if args.json:
        _out(_json_line({"model": pred.name, "classes": pred.class_names, "predictions": rows,
                         "skipped": [{"path": f, "reason": w} for f, w in skipped]}))
    return 0
