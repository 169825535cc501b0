"""CSV tables and text CSVs, read with the csv module (pandas is not a dependency).

Table columns are numeric when every non-missing value parses as a number, else categorical
(strings -> integer codes over the sorted distinct values, names in ``ds.categories``).
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import math
import os
from pathlib import Path

import numpy as np

from workbench.core.data.dataset import Dataset
from workbench.core.errors import DataError

MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "?", "null", "none", "-", "#n/a"})
# an integer-valued numeric target with at most this many distinct values is read as classes
MAX_INTEGER_CLASSES = 20


def _is_missing(v: str) -> bool:
    return v.strip().lower() in MISSING_TOKENS


def _read_rows(path: str | os.PathLike) -> tuple[Path, list[str], list[tuple[int, list[str]]]]:
    """(path, header, [(line number, fields)]) with the delimiter sniffed from the first 64 KB."""
    p = Path(path).expanduser()
    if not p.exists():
        raise DataError(f"The file {str(p)!r} does not exist; check the path.")
    if p.is_dir():
        raise DataError(f"{str(p)!r} is a folder, not a CSV file.")
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")  # every byte decodes; spreadsheets on Windows often write cp1252
    del raw
    if not text.strip():
        raise DataError(f"The file {str(p)!r} is empty; it needs a header row and data rows.")
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = "\t" if p.suffix.lower() == ".tsv" else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for fields in reader:
        line_no = reader.line_num
        if not fields or all(not f.strip() for f in fields):
            continue
        if header is None:
            header = [f.strip() for f in fields]
            if len(set(header)) != len(header):
                dup = sorted({h for h in header if header.count(h) > 1})
                raise DataError(f"The header of {p.name} repeats the column name(s) {', '.join(map(repr, dup))}; give every column its own name.")
            continue
        if len(fields) != len(header):
            raise DataError(
                f"Line {line_no} of {p.name} has {len(fields)} values but the header has "
                f"{len(header)} columns; fix that line (quote values that contain '{delimiter}')."
            )
        rows.append((line_no, fields))
    if header is None:
        raise DataError(f"The file {str(p)!r} is empty; it needs a header row and data rows.")
    if not rows:
        raise DataError(f"The file {p.name} has a header but no data rows.")
    return p, header, rows


def _column_index(header: list[str], name: str | int, what: str, file: str) -> int:
    if isinstance(name, int) and not isinstance(name, bool):
        if -len(header) <= name < len(header):
            return name % len(header)
    elif name in header:
        return header.index(name)
    else:
        lowered = [h.lower() for h in header]
        if str(name).lower() in lowered and lowered.count(str(name).lower()) == 1:
            return lowered.index(str(name).lower())
    raise DataError(
        f"There is no {what} column {name!r} in {file}; available columns: {', '.join(header)}."
    )


def _parse_numeric(values: list[str]) -> np.ndarray | None:
    """float64 array with NaN for missing, or None if some value is not a number."""
    out = np.empty(len(values), dtype=np.float64)
    for i, v in enumerate(values):
        if _is_missing(v):
            out[i] = np.nan
            continue
        try:
            f = float(v.strip().replace("_", "x"))  # "1_000" is valid Python but not data
        except ValueError:
            return None
        if math.isinf(f) and v.strip().lower() not in {"inf", "-inf", "+inf", "infinity", "-infinity"}:
            return None
        out[i] = f
    return out


def _parse_categorical(values: list[str]) -> tuple[np.ndarray, list[str]]:
    cleaned = [None if _is_missing(v) else v.strip() for v in values]
    cats = sorted({v for v in cleaned if v is not None})
    index = {c: i for i, c in enumerate(cats)}
    codes = np.array([np.nan if v is None else index[v] for v in cleaned], dtype=np.float64)
    return codes, cats


def _parse_time(values: list[str], column: str, lines: list[int], file: str) -> np.ndarray:
    nums = _parse_numeric(values)
    if nums is not None:
        return nums
    stamps = []
    for v, line in zip(values, lines):
        s = v.strip()
        try:
            t = _dt.datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
        except ValueError:
            raise DataError(
                f"The time column {column!r} of {file} has {s!r} on line {line}, which is neither a "
                "number nor an ISO date like 2024-03-31 or 2024-03-31 14:05; fix the column or "
                "choose another."
            ) from None
        if t.tzinfo is not None:
            t = t.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        stamps.append(t)
    return np.array(stamps, dtype="datetime64[us]")


def _target(values: list[str], task: str, column: str, file: str):
    """(y, class_names) with class_names None for regression."""
    nums = _parse_numeric(values)
    if task == "regression":
        if nums is None:
            raise DataError(
                f"The target column {column!r} of {file} holds text, so it cannot be a regression "
                "target; choose a numeric column or classification."
            )
        return nums, None
    if nums is not None:
        uniq = np.unique(nums)
        integral = bool(np.all(np.isfinite(uniq)) and np.all(uniq == np.round(uniq)))
        # a class needs repeats: as many distinct values as rows is a measurement, not a label
        few = len(uniq) <= MAX_INTEGER_CLASSES and len(uniq) <= max(2, len(nums) // 2)
        if task == "auto" and not (integral and few):
            return nums, None
        names = [str(int(u)) if integral else str(u) for u in uniq]
        return np.searchsorted(uniq, nums).astype(np.int64), names
    cats = sorted({v.strip() for v in values})
    index = {c: i for i, c in enumerate(cats)}
    return np.array([index[v.strip()] for v in values], dtype=np.int64), cats


def load_csv(
    path: str | os.PathLike,
    target: str | int | None = None,
    time_column: str | int | None = None,
    *,
    task: str = "auto",
    drop_columns: list[str] | None = None,
    name: str | None = None,
) -> Dataset:
    """Load a CSV table; ``target`` is a column name or index (default: the last column).

    ``task`` = "auto" decides from the target: text, or at most 20 distinct integer values (and
    no more than half the row count) -> classes, else regression; "classification"/"regression" forces it. Rows whose target is
    missing are left out and listed in ``ds.skipped``. With ``time_column`` (numbers or ISO dates)
    rows are sorted by time, which is kept in ``ds.time`` and not used as a feature.
    """
    if task not in {"auto", "classification", "regression"}:
        raise DataError(f"Unknown task {task!r}; choose auto, classification or regression.")
    p, header, rows = _read_rows(path)
    file = p.name
    t_idx = _column_index(header, target, "target", file) if target is not None else len(header) - 1
    time_idx = _column_index(header, time_column, "time", file) if time_column is not None else None
    if time_idx == t_idx:
        raise DataError(f"The column {header[t_idx]!r} cannot be both the target and the time column.")
    dropped = {_column_index(header, c, "dropped", file) for c in (drop_columns or [])}
    skipped: list[tuple[str, str]] = []
    kept_rows = []
    for line, fields in rows:
        if _is_missing(fields[t_idx]):
            skipped.append((f"{p}:{line}", f"target {header[t_idx]!r} is missing"))
        else:
            kept_rows.append((line, fields))
    if not kept_rows:
        raise DataError(f"Every row of {file} lacks a value in the target column {header[t_idx]!r}.")
    lines = [line for line, _ in kept_rows]
    columns = list(zip(*(fields for _, fields in kept_rows)))
    y, class_names = _target(list(columns[t_idx]), task, header[t_idx], file)
    if class_names is not None and len(class_names) < 2:
        raise DataError(
            f"The target column {header[t_idx]!r} of {file} has only one class ({class_names[0]!r}); "
            "a classifier needs at least two, so choose another target column."
        )
    time = None
    if time_idx is not None:
        time_vals = list(columns[time_idx])
        missing_time = [i for i, v in enumerate(time_vals) if _is_missing(v)]
        if missing_time:
            raise DataError(
                f"The time column {header[time_idx]!r} of {file} is empty on line "
                f"{lines[missing_time[0]]} ({len(missing_time)} rows in all); fill it in or choose "
                "no time column."
            )
        time = _parse_time(time_vals, header[time_idx], lines, file)
    feat_idx = [j for j in range(len(header)) if j not in {t_idx, time_idx} and j not in dropped]
    if not feat_idx:
        raise DataError(f"{file} has no input columns besides the target; a table needs at least one.")
    X = np.empty((len(kept_rows), len(feat_idx)), dtype=np.float64)
    categories: dict[int, list[str]] = {}
    for out_j, j in enumerate(feat_idx):
        vals = list(columns[j])
        nums = _parse_numeric(vals)
        if nums is None:
            X[:, out_j], categories[out_j] = _parse_categorical(vals)
        else:
            X[:, out_j] = nums
    if time is not None:
        order = np.argsort(time, kind="stable")
        X, y, time = X[order], y[order], time[order]
    kind = "classification" if class_names is not None else "regression"
    return Dataset(
        name=name or p.stem,
        kind="table",
        X=X,
        y=y,
        class_names=class_names,
        description=(
            f"{len(y):,} rows of {file}: {len(feat_idx)} input columns"
            f" ({len(categories)} categorical), target {header[t_idx]!r} ({kind})"
            + (f", ordered by {header[time_idx]!r}" if time_idx is not None else "")
        ),
        feature_names=[header[j] for j in feat_idx],
        categories=categories,
        time=time,
        source={"type": "csv", "path": str(p.resolve()), "target": header[t_idx],
                "time_column": header[time_idx] if time_idx is not None else None, "task": task,
                "drop_columns": [header[j] for j in sorted(dropped)]},
        target_name=header[t_idx],
        skipped=skipped,
    )


def load_text_csv(
    path: str | os.PathLike,
    text_column: str | int = "text",
    label_column: str | int | None = None,
    *,
    name: str | None = None,
) -> Dataset:
    """Load a CSV of texts and labels (default label column: "label" if present, else the last
    column that is not the text). Rows with an empty text or label are listed in ``ds.skipped``."""
    p, header, rows = _read_rows(path)
    file = p.name
    x_idx = _column_index(header, text_column, "text", file)
    if label_column is None:
        lowered = [h.lower() for h in header]
        if "label" in lowered and lowered.index("label") != x_idx:
            l_idx = lowered.index("label")
        else:
            others = [j for j in range(len(header)) if j != x_idx]
            if not others:
                raise DataError(f"{file} has only the text column; add a label column.")
            l_idx = others[-1]
    else:
        l_idx = _column_index(header, label_column, "label", file)
    if l_idx == x_idx:
        raise DataError(f"The column {header[x_idx]!r} cannot be both the text and the label.")
    texts, labels, skipped = [], [], []
    for line, fields in rows:
        t, lab = fields[x_idx], fields[l_idx]
        if not t.strip():
            skipped.append((f"{p}:{line}", "empty text"))
        elif _is_missing(lab):
            skipped.append((f"{p}:{line}", f"label {header[l_idx]!r} is missing"))
        else:
            texts.append(t)
            labels.append(lab)
    if not texts:
        raise DataError(f"{file} has no rows with both a text and a label.")
    y, class_names = _target(labels, "classification", header[l_idx], file)
    if len(class_names) < 2:
        raise DataError(
            f"The label column {header[l_idx]!r} of {file} has only one class ({class_names[0]!r}); "
            "a classifier needs at least two."
        )
    X = np.empty(len(texts), dtype=object)
    X[:] = texts
    return Dataset(
        name=name or p.stem,
        kind="text",
        X=X,
        y=y,
        class_names=class_names,
        description=f"{len(texts):,} texts from {file} (column {header[x_idx]!r}), labels from {header[l_idx]!r}",
        source={"type": "text_csv", "path": str(p.resolve()), "text_column": header[x_idx],
                "label_column": header[l_idx]},
        target_name=header[l_idx],
        skipped=skipped,
    )
