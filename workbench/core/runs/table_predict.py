"""Use a table (or text) model on a CSV file: the same CSV comes back with its predictions.

    out = predict_csv(predictor, "new_houses.csv")        # -> new_houses-predictions.csv beside it
    out["path"], out["n_rows"], out["note"], out["preview"]

The file is read with the same CSV reader as training data; each column the model was trained on
is found by name (case is ignored) and parsed with the kind it had in training (numbers, yes / no,
categories by name, dates, free text), so a file whose categories come in another order lands in
the right inputs. Columns the model does not use are kept in the output as they are; a missing
column is a ``DataError`` naming it. The output has two more columns: ``prediction`` and, for
classifiers, ``confidence`` (the predicted class's probability).
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from workbench.core.errors import DataError

PREVIEW_ROWS = 200


def _find(header: list[str], name: str) -> int | None:
    if name in header:
        return header.index(name)
    lowered = [h.strip().lower() for h in header]
    key = name.strip().lower()
    return lowered.index(key) if lowered.count(key) == 1 else None


def _say_list(names: list[str], most: int = 5) -> str:
    shown = ", ".join(repr(n) for n in names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def table_inputs(pre, raw, target: str | None = None) -> tuple[np.ndarray, str]:
    """(model inputs, one sentence about the columns) for the rows of a RawTable."""
    from workbench.core.data.columns import parse_column

    cols = pre.to_dict()["state"]["columns"]
    where = [_find(raw.header, c["name"]) for c in cols]
    missing = [c["name"] for c, j in zip(cols, where) if j is None]
    if missing:
        raise DataError(f"{raw.file} has no column {_say_list(missing)}, which the model was trained on; add "
                        f"{'it' if len(missing) == 1 else 'them'} (empty values are allowed) or use another file.")
    X = np.full((len(raw.rows), len(cols)), np.nan)
    categories: dict[int, list[str]] = {}
    for k, (c, j) in enumerate(zip(cols, where)):
        try:
            pc = parse_column(c["name"], raw.column(j), c["type"], raw.file, delimiter=raw.delimiter,
                              day_first=raw.delimiter == ";")
        except DataError as e:
            raise DataError(f"{e} (In training it was read as {c['type']}.)") from None
        X[:, k] = pc.values
        if pc.names is not None and c["type"] in ("categorical", "text"):
            categories[k] = pc.names
    used = {j for j in where}
    extra = [h for j, h in enumerate(raw.header) if j not in used and h != target]
    note = f"{len(cols)} column(s) used as in training"
    if target and _find(raw.header, target) is not None:
        note += f"; the target {target!r} is kept beside the predictions"
    if extra:
        note += f"; not used by the model: {_say_list(extra)}"
    return pre.transform_inputs(X, categories), note + "."


def text_column(raw, target: str | None = None) -> int:
    """The column of a CSV of texts that holds the texts: the one with the most words per row."""
    best, most = None, -1.0
    for j, h in enumerate(raw.header):
        if target and h.strip().lower() == target.strip().lower() and len(raw.header) > 1:
            continue
        col = raw.column(j)
        words = sum(len(v.split()) for v in col) / max(len(col), 1)
        if words > most:
            best, most = j, words
    if best is None:
        raise DataError(f"{raw.file} has no column of texts; give a CSV with one text per row.")
    return best


def output_path(path: str | os.PathLike) -> Path:
    p = Path(path)
    return p.with_name(f"{p.stem}-predictions.csv")


def predict_csv(predictor, path: str | os.PathLike, out: str | os.PathLike | None = None) -> dict:
    """Predict every row of a CSV with a table or text model; write the CSV with ``prediction`` (and
    ``confidence``) columns to ``out`` (default: ``<name>-predictions.csv`` beside the input)."""
    from workbench.core.data.csvfile import read_csv_file
    from workbench.core.jsonio import atomic_write_text

    raw = read_csv_file(path)
    if not raw.rows:
        raise DataError(f"{raw.file} has a header but no rows to predict.")
    target = predictor.target
    if predictor.kind == "table":
        X, note = table_inputs(predictor.pre, raw, target)
    elif predictor.kind == "text":
        j = text_column(raw, target)
        X = predictor.prepare(raw.column(j))
        note = f"Texts read from the column {raw.header[j]!r}."
    else:
        raise DataError(f"A CSV file is for table and text models; this {predictor.kind} model reads files or "
                        "folders of its own kind.")
    values = predictor.outputs(X)
    labels, conf = predictor.labels(values)
    header = list(raw.header)
    name = "prediction" if "prediction" not in header else "prediction (model)"
    header.append(name)
    if conf is not None:
        header.append("confidence" if "confidence" not in header else "confidence (model)")
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=raw.delimiter if raw.delimiter in (",", ";", "\t") else ",", lineterminator="\n")
    w.writerow(header)
    for i, row in enumerate(raw.rows):
        w.writerow(list(row) + [labels[i]] + ([f"{conf[i]:.4f}"] if conf is not None else []))
    dest = Path(out) if out else output_path(raw.path)
    try:
        atomic_write_text(dest, buf.getvalue())
    except OSError as e:
        raise DataError(f"The predictions could not be written to {dest} ({e.strerror or e}); choose a folder you "
                        "can write to.") from None
    preview = [{"row": i + 1, "label": labels[i], "confidence": None if conf is None else float(conf[i])}
               for i in range(min(len(labels), PREVIEW_ROWS))]
    return {"path": str(dest), "n_rows": len(labels), "note": note, "preview": preview, "input": str(raw.path),
            "columns": header}
