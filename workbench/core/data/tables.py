"""CSV tables (and text CSVs) as Datasets, with every column's kind told from its values.

``load_csv`` reads the file (``csvfile``: encoding, dialect, header repairs), profiles every column
(``columns``: numeric, categorical, text, datetime, identifier, constant, boolean, with reasons),
applies the user's overrides (``columns={"age": "categorical", "notes": "ignore"}``), picks the
target, and stores:

- a table Dataset: X (N, F) float64 with NaN for missing; categorical / text / boolean columns are
  codes into ``ds.categories[j]``; datetime columns are seconds since 1970; ``ds.column_kinds[j]``
  says which kind each column is;
- a text Dataset when the only usable input is one free-text column (a ``sentence,label`` file):
  X holds the strings, so the text models (bag of words or token sequences) apply.

``ds.columns`` is the report of every column of the file (kind, detected kind, reason, role,
missing and distinct counts, preview), shown by ``workbench inspect`` and the Data panel.
"""
from __future__ import annotations

import os

import numpy as np

from workbench.core.data.columns import (
    FEATURE_KINDS, KINDS, TARGET_KINDS, ColumnProfile, boolean_pair, is_missing, parse_column, parse_dates,
    parse_numbers, profile_column,
)
from workbench.core.data.csvfile import RawTable, read_csv_file
from workbench.core.data.dataset import Dataset
from workbench.core.errors import DataError

# an integer-valued numeric target with at most this many distinct values is read as classes
MAX_INTEGER_CLASSES = 20
IGNORE = "ignore"  # a kind the user can give a column to leave it out
OVERRIDE_KINDS = KINDS + (IGNORE,)


def _column_index(header: list[str], name: str | int, what: str, file: str) -> int:
    if isinstance(name, int) and not isinstance(name, bool):
        if -len(header) <= name < len(header):
            return name % len(header)
    elif name in header:
        return header.index(name)
    else:
        lowered = [h.lower() for h in header]
        key = str(name).strip().lower()
        if key in lowered and lowered.count(key) == 1:
            return lowered.index(key)
    raise DataError(f"There is no {what} column {name!r} in {file}; available columns: {', '.join(header)}.")


def parse_column_overrides(items) -> dict[str, str]:
    """``["age=categorical", "notes=ignore"]`` (the CLI's --column) or a dict -> {name: kind}."""
    if not items:
        return {}
    if isinstance(items, dict):
        pairs = list(items.items())
    else:
        pairs = []
        for item in items:
            name, sep, kind = str(item).rpartition("=")
            if not sep or not name.strip():
                raise DataError(f"Cannot read the column setting {item!r}; write it as NAME=KIND, e.g. age=numeric.")
            pairs.append((name, kind))
    out = {}
    for name, kind in pairs:
        k = str(kind).strip().lower().replace("date", "datetime").replace("datetimetime", "datetime")
        k = {"number": "numeric", "category": "categorical", "free text": "text", "bool": "boolean", "id": "identifier",
             "drop": IGNORE, "skip": IGNORE}.get(k, k)
        if k not in OVERRIDE_KINDS:
            raise DataError(f"Unknown column kind {kind!r} for {name!r}; choose one of {', '.join(OVERRIDE_KINDS)}.")
        out[str(name).strip()] = k
    return out


def _target(values: list[str], task: str, column: str, file: str, delimiter: str, kind: str):
    """(y, class_names) with class_names None for regression."""
    nums, bad = parse_numbers(values, delimiter)
    numeric = not bad and kind not in ("categorical", "boolean")
    if task == "regression":
        if not numeric and kind != "boolean":
            raise DataError(f"The target column {column!r} of {file} holds text, so it cannot be a regression "
                            "target; choose a numeric column or classification.")
        if numeric:
            return nums, None
    if numeric:
        uniq = np.unique(nums)
        integral = bool(np.all(np.isfinite(uniq)) and np.all(uniq == np.round(uniq)))
        # a class needs repeats: as many distinct values as rows is a measurement, not a label
        few = len(uniq) <= MAX_INTEGER_CLASSES and len(uniq) <= max(2, len(nums) // 2)
        if task == "auto" and not (integral and few):
            return nums, None
        names = [str(int(u)) if integral else str(u) for u in uniq]
        return np.searchsorted(uniq, nums).astype(np.int64), names
    cats = sorted({v.strip() for v in values})
    pair = boolean_pair({c.lower() for c in cats}) if kind == "boolean" else None
    if pair is not None:  # no / yes: the second class is the "yes" one (what a sigmoid output means)
        cats = sorted(cats, key=lambda c: (c.lower() in pair[0], c))
    index = {c: i for i, c in enumerate(cats)}
    return np.array([index[v.strip()] for v in values], dtype=np.int64), cats


def _profiles(raw: RawTable, overrides: dict[str, str]) -> tuple[list[ColumnProfile], dict[int, str]]:
    day_first = raw.delimiter == ";"
    profiles = [profile_column(h, raw.column(j), delimiter=raw.delimiter, day_first=day_first)
                for j, h in enumerate(raw.header)]
    forced: dict[int, str] = {}
    for name, kind in overrides.items():
        j = _column_index(raw.header, name, "", raw.file)
        p = profiles[j]
        if kind != p.kind:
            p.detected, p.kind = p.kind, kind
            p.reason = f"set by you ({p.detected} detected: {p.reason})"
        forced[j] = kind
    return profiles, forced


def _default_target(profiles: list[ColumnProfile], exclude: set[int], file: str) -> int:
    for j in range(len(profiles) - 1, -1, -1):
        if j not in exclude and profiles[j].kind in TARGET_KINDS + ("constant",):
            return j  # a constant last column is meant as the target: it says "only one class"
    if len(profiles) == 1:  # choosing a target would not help: nothing would be left to learn from
        raise DataError(_no_inputs_message(profiles, 0, file))
    raise DataError(f"No column of {file} can be the target (every column is free text, a date, an ID or constant); "
                    "choose the target column yourself.")


def _no_inputs_message(profiles: list[ColumnProfile], t_idx: int, file: str) -> str:
    others = [p for j, p in enumerate(profiles) if j != t_idx]
    if not others:
        return f"{file} has only one column ({profiles[t_idx].name!r}); a table needs input columns besides the target."
    why = "; ".join(f"{p.name!r} is {'left out' if p.kind == IGNORE else p.kind} ({p.reason})" for p in others[:4])
    return (f"{file} has no usable input column besides the target {profiles[t_idx].name!r}: {why}; set a kind "
            "for one of them (for example --column NAME=categorical).")


def load_csv(
    path: str | os.PathLike,
    target: str | int | None = None,
    time_column: str | int | None = None,
    *,
    task: str = "auto",
    drop_columns: list[str] | None = None,
    columns: dict[str, str] | list[str] | None = None,
    name: str | None = None,
    source_type: str = "csv",
) -> Dataset:
    """Load a CSV file (see the module docstring).

    ``target`` is a column name or index (default: the last column whose kind can be a target:
    categorical, boolean or numeric). ``task`` = "auto" decides from the target: text, booleans,
    categories, or at most 20 distinct whole numbers (and no more than half the row count) ->
    classes, else regression; "classification" / "regression" forces it. Rows whose target is
    missing are left out, counted in the description and listed in ``ds.skipped``. With
    ``time_column`` (numbers or dates) rows are sorted by time, kept in ``ds.time`` and not used as
    an input. ``columns`` overrides kinds ({name: kind}, kind "ignore" leaves a column out);
    ``drop_columns`` is the older spelling of "ignore"."""
    if task not in {"auto", "classification", "regression"}:
        raise DataError(f"Unknown task {task!r}; choose auto, classification or regression.")
    raw = read_csv_file(path)
    p, file, header = raw.path, raw.file, raw.header
    overrides = parse_column_overrides(columns)
    for c in drop_columns or []:
        overrides[header[_column_index(header, c, "dropped", file)]] = IGNORE
    profiles, forced = _profiles(raw, overrides)
    time_idx = _column_index(header, time_column, "time", file) if time_column is not None else None
    if target is not None:
        t_idx = _column_index(header, target, "target", file)
    else:
        t_idx = _default_target(profiles, {time_idx} if time_idx is not None else set(), file)
    if time_idx == t_idx:
        raise DataError(f"The column {header[t_idx]!r} cannot be both the target and the time column.")
    tp = profiles[t_idx]
    tp.role = "target"
    if tp.missing == len(raw.rows):
        raise DataError(f"The target column {header[t_idx]!r} of {file} is empty in every row; choose another "
                        "target column.")
    if tp.kind == "text" and t_idx not in forced:
        raise DataError(f"The target column {header[t_idx]!r} of {file} holds free text ({tp.reason}); choose a "
                        "column of labels or numbers as the target.")
    skipped: list[tuple[str, str]] = []
    keep = []
    for i, row in enumerate(raw.rows):
        if is_missing(row[t_idx]):
            skipped.append((f"{p}:{raw.lines[i]}", f"target {header[t_idx]!r} is missing"))
        else:
            keep.append(i)
    rows = [raw.rows[i] for i in keep]
    lines = [raw.lines[i] for i in keep]
    y, class_names = _target([r[t_idx] for r in rows], task, header[t_idx], file, raw.delimiter, tp.kind)
    if class_names is not None and len(class_names) < 2:
        raise DataError(f"The target column {header[t_idx]!r} of {file} has only one class ({class_names[0]!r}); "
                        "a classifier needs at least two, so choose another target column.")
    time = None
    if time_idx is not None:
        profiles[time_idx].role = "time"
        time = _time_values([r[time_idx] for r in rows], header[time_idx], lines, file, raw.delimiter)
    feat_idx = []
    for j, prof in enumerate(profiles):
        if j in (t_idx, time_idx):
            continue
        if prof.kind in FEATURE_KINDS:
            feat_idx.append(j)
        else:
            prof.role = "dropped"
    if not feat_idx and time_idx is None:
        raise DataError(_no_inputs_message(profiles, t_idx, file))
    parsed = [parse_column(header[j], [r[j] for r in rows], profiles[j].kind, file, delimiter=raw.delimiter,
                           day_first=raw.delimiter == ";", forced=j in forced) for j in feat_idx]
    notes = list(raw.notes)
    if skipped:
        notes.append(f"{len(skipped):,} row(s) have no value in the target {header[t_idx]!r} and are left out.")
    report = [pr.to_dict() for pr in profiles]
    src = {"type": source_type, "path": str(p.resolve()), "target": header[t_idx],
           "time_column": header[time_idx] if time_idx is not None else None, "task": task,
           "columns": {header[j]: k for j, k in forced.items()}, "drop_columns": []}
    kind = "classification" if class_names is not None else "regression"
    dropped = [pr for pr in profiles if pr.role == "dropped"]
    tail = (f"; left out: {', '.join(f'{pr.name!r} ({pr.kind})' for pr in dropped[:4])}" if dropped else "")
    common = dict(name=name or p.stem, y=y, class_names=class_names, target_name=header[t_idx], skipped=skipped,
                  source=src, columns=report, notes=notes)

    text_only = len(feat_idx) == 1 and parsed[0].kind == "text"
    if text_only:
        j = feat_idx[0]
        texts = [r[j] for r in rows]
        ok = [i for i, t in enumerate(texts) if t.strip() and not is_missing(t)]
        kept = set(ok)
        for i in range(len(texts)):
            if i not in kept:
                skipped.append((f"{p}:{lines[i]}", f"empty text in {header[j]!r}"))
        if not ok:
            raise DataError(f"The text column {header[j]!r} of {file} is empty in every row; choose a column that "
                            "holds text.")
        X = np.empty(len(ok), dtype=object)
        X[:] = [texts[i].strip() for i in ok]
        y_ok = np.asarray(y)[ok]
        common.update(y=y_ok, feature_names=[header[j]])
        if class_names is not None and len(np.unique(y_ok)) < 2:
            raise DataError(f"The target column {header[t_idx]!r} of {file} has only one class among the rows with "
                            "text; a classifier needs at least two.")
        return Dataset(kind="text", X=X, description=(
            f"{len(ok):,} texts from {file} (column {header[j]!r}), target {header[t_idx]!r} ({kind})" + tail),
            **common)

    # a plain time series (time, value) has no input column: it can be forecast, not used as a table
    X = (np.column_stack([pc.values for pc in parsed]) if parsed else np.zeros((len(rows), 0))).astype(np.float64)
    categories = {out_j: pc.names for out_j, pc in enumerate(parsed) if pc.names is not None}
    kinds = [pc.kind for pc in parsed]
    if time is not None:
        order = np.argsort(time, kind="stable")
        X, y, time = X[order], np.asarray(y)[order], time[order]
        common["y"] = y
    counts = {k: kinds.count(k) for k in FEATURE_KINDS if kinds.count(k)}
    return Dataset(
        kind="table", X=X, time=time, categories=categories, column_kinds=kinds,
        feature_names=[header[j] for j in feat_idx],
        description=((f"{len(y):,} rows of {file}: {len(feat_idx)} input columns ("
                      + ", ".join(f"{v} {k}" for k, v in counts.items()) + f"), target {header[t_idx]!r} ({kind})")
                     if feat_idx else f"a time series of {len(y):,} values of {header[t_idx]!r} from {file}"
                     + (f", ordered by {header[time_idx]!r}" if time_idx is not None else "") + tail),
        **common)


def _time_values(values: list[str], column: str, lines: list[int], file: str, delimiter: str) -> np.ndarray:
    missing = [i for i, v in enumerate(values) if is_missing(v)]
    if missing:
        raise DataError(f"The time column {column!r} of {file} is empty on line {lines[missing[0]]} "
                        f"({len(missing)} rows in all); fill it in or choose no time column.")
    nums, bad = parse_numbers(values, delimiter)
    if not bad:
        return nums
    stamps, bad, _used = parse_dates(values, delimiter == ";")
    if bad:
        i = next(i for i, v in enumerate(values) if v.strip() == bad[0])
        raise DataError(f"The time column {column!r} of {file} has {bad[0]!r} on line {lines[i]}, which is neither a "
                        "number nor a date like 2024-03-31 or 31/03/2024 14:05; fix the column or choose another.")
    return (stamps * 1e6).astype("datetime64[us]")


def load_text_csv(
    path: str | os.PathLike,
    text_column: str | int = "text",
    label_column: str | int | None = None,
    *,
    name: str | None = None,
) -> Dataset:
    """A CSV of texts and labels with the text column named: only that column is read as text
    (default label column: "label" if present, else the last column that is not the text). Rows
    with an empty text or label are listed in ``ds.skipped``. ``load_csv`` finds text columns by
    itself; this is for files where you want exactly one text column and its labels."""
    raw = read_csv_file(path)
    header, file = raw.header, raw.file
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
    cols = {h: IGNORE for j, h in enumerate(header) if j not in (x_idx, l_idx)}
    cols[header[x_idx]] = "text"
    cols[header[l_idx]] = "categorical"
    ds = load_csv(path, header[l_idx], task="classification", columns=cols, name=name, source_type="text_csv")
    ds.source.update(text_column=header[x_idx], label_column=header[l_idx])
    return ds
