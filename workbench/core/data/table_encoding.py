"""Table columns -> model inputs, by column kind, with every statistic from the training rows.

numeric      scaled (none / minmax / standard) with the observed training values; missing -> 0 in
             the output (after scaling)
boolean      0 / 1
categorical  one-hot over the training categories; categories seen in fewer than ``rare_min(n)``
             training rows (and categories never seen in training) share one "(other)" column
datetime     a trend value (days since the earliest training date, scaled like a numeric column),
             the day of the week one-hot, the month on a circle (sin, cos) and, when the times are
             not all midnight, the hour on a circle
text         multi-hot bag of words over the column's frequent training words (workbench.core.data.text)

With ``missing="indicator"`` every column that had missing training values gets a 0/1 "was missing"
column (after all the others). ``fit_table`` returns a plain-JSON state; ``transform_table`` applies it.
"""
from __future__ import annotations

import numpy as np

from workbench.core.data.text import TextVectorizer
from workbench.core.errors import DataError

OTHER = "(other)"
TABLE_TEXT_VOCAB = 2000  # words kept per text column of a mixed table
_DAY = 86400.0
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def rare_min(n_train: int) -> int:
    """A category seen in fewer training rows than this is grouped into "(other)"."""
    return max(1, min(5, n_train // 100))


def _scale_stats(observed: np.ndarray, scale: str) -> tuple[float, float]:
    if len(observed) == 0:
        return 0.0, 1.0
    if scale == "minmax":
        lo, hi = float(observed.min()), float(observed.max())
        return lo, (hi - lo if hi > lo else 1.0)
    if scale == "standard":
        mean, std = float(observed.mean()), float(observed.std())
        return mean, (std if std > 1e-12 else 1.0)
    return 0.0, 1.0


def _texts(col: np.ndarray, names: list[str]) -> list[str]:
    out = []
    for v in col:
        out.append("" if not np.isfinite(v) or not 0 <= int(v) < len(names) else names[int(v)])
    return out


def fit_table(ds, idx: np.ndarray, scale: str, missing: str, text_options, vocab_size: int,
              warnings: list[str]) -> dict:
    X = np.asarray(ds.X, dtype=np.float64)
    if X.ndim != 2:
        raise DataError(f"A table must be 2-D (rows x columns), not shape {X.shape}.")
    names = ds.feature_names or [f"x{j}" for j in range(X.shape[1])]
    train = X[idx]
    columns: list[dict] = []
    out_names: list[str] = []
    threshold = rare_min(len(idx))
    for j in range(X.shape[1]):
        kind = ds.column_kind(j)
        col = train[:, j]
        miss = np.isnan(col)
        n_miss = int(miss.sum())
        c: dict = {"name": names[j], "type": kind, "indicator": missing == "indicator" and n_miss > 0
                   and kind != "text"}
        observed = col[~miss]
        if kind == "categorical":
            cats = ds.categories.get(j, [])
            codes, counts = np.unique(observed.astype(np.int64), return_counts=True)
            seen = [(cats[k], int(m)) for k, m in zip(codes, counts) if 0 <= k < len(cats)]
            kept = [name for name, m in seen if m >= threshold]
            rare = [name for name, m in seen if m < threshold]
            c.update(categories=kept, all_categories=list(cats), other=bool(rare), grouped=len(rare))
            out_names += [f"{names[j]}={k}" for k in kept] + ([f"{names[j]}={OTHER}"] if rare else [])
        elif kind == "boolean":
            out_names.append(names[j])
        elif kind == "text":
            texts = _texts(col, ds.categories.get(j, []))
            vec = TextVectorizer(text_options, min(vocab_size, TABLE_TEXT_VOCAB), min_count=2).fit(texts)
            if not vec.vocabulary:
                vec = TextVectorizer(text_options, min(vocab_size, TABLE_TEXT_VOCAB)).fit(texts)
            if not vec.vocabulary:
                raise DataError(f"The text column {names[j]!r} has no words in the training rows; choose another "
                                "kind for it or leave it out.")
            c["vectorizer"] = vec.to_dict()
            out_names += [f"{names[j]}:{w}" for w in vec.vocabulary]
        elif kind == "datetime":
            days = observed / _DAY
            first = float(days.min()) if len(days) else 0.0
            offset, sc = _scale_stats(days - first, scale)
            secs = np.mod(observed, _DAY)
            has_time = bool(len(secs) and np.any(secs != 0))
            c.update(first_day=first, offset=offset, scale=sc, hour=has_time)
            out_names += [f"{names[j]} trend"] + [f"{names[j]} {d}" for d in _WEEKDAYS] + \
                         [f"{names[j]} month sin", f"{names[j]} month cos"] + \
                         ([f"{names[j]} hour sin", f"{names[j]} hour cos"] if has_time else [])
        else:  # numeric
            if len(observed) == 0:
                warnings.append(f"Column {names[j]!r} has no values in the training rows; it will be all 0.")
            offset, sc = _scale_stats(observed, scale)
            if n_miss and len(observed):
                collide = int(np.sum(np.abs((observed - offset) / sc) < 1e-12))
                if collide:
                    what = "0" if scale == "none" else f"{offset:g} (which scales to 0)"
                    fix = ("the indicator column tells them apart" if c["indicator"]
                           else "use missing='indicator' so the model can tell them apart")
                    warnings.append(f"Column {names[j]!r}: {n_miss} missing values become 0, but {collide} training "
                                    f"rows really have the value {what}; {fix}.")
            c.update(type="numeric", offset=offset, scale=sc)
            out_names.append(names[j])
        columns.append(c)
    for c in columns:
        if c["indicator"]:
            out_names.append(f"{c['name']} was missing")
    if not out_names:
        raise DataError("After preprocessing the table has no input columns left.")
    return {"n_columns": X.shape[1], "columns": columns, "feature_names_out": out_names,
            "output_shape": [len(out_names)]}


def _block_width(c: dict) -> int:
    t = c["type"]
    if t == "categorical":
        return len(c["categories"]) + (1 if c.get("other") else 0)
    if t == "text":
        return len(c["vectorizer"]["vocabulary"])
    if t == "datetime":
        return 1 + 7 + 2 + (2 if c.get("hour") else 0)
    return 1


def transform_table(state: dict, X: np.ndarray, categories: dict | None) -> np.ndarray:
    """Model inputs for table rows X (codes mapped to names through ``categories`` when given, so a
    file loaded again, whose codes may differ, lands in the right columns)."""
    if X.ndim == 1:
        X = X[None, :]
    if X.shape[1] != state["n_columns"]:
        raise DataError(f"Expected {state['n_columns']} input columns, got {X.shape[1]}.")
    out = np.zeros((X.shape[0], state["output_shape"][0]), dtype=np.float32)
    pos = 0
    indicators = []
    for j, c in enumerate(state["columns"]):
        col = X[:, j]
        miss = np.isnan(col)
        width = _block_width(c)
        t = c["type"]
        if t == "categorical":
            names = (categories or {}).get(j, c["all_categories"])
            lookup = {name: k for k, name in enumerate(c["categories"])}
            other = len(c["categories"]) if c.get("other") else -1
            code_to_out = np.array([lookup.get(name, other) for name in names] + [-1], dtype=np.int64)
            codes = np.where(miss, len(names), col).astype(np.int64)
            codes = np.where((codes < 0) | (codes > len(names)), len(names), codes)
            target = code_to_out[codes]
            rows = np.flatnonzero(target >= 0)
            out[rows, pos + target[rows]] = 1.0
        elif t == "boolean":
            out[:, pos] = np.where(miss, 0.0, col)
        elif t == "text":
            names = (categories or {}).get(j)
            if names is None:
                raise DataError(f"The text column {c['name']!r} needs its texts; transform the whole data set.")
            out[:, pos:pos + width] = TextVectorizer.from_dict(c["vectorizer"]).transform(_texts(col, names))
        elif t == "datetime":
            safe = np.where(miss, 0.0, col)
            days = safe / _DAY
            out[:, pos] = np.where(miss, 0.0, (days - c["first_day"] - c["offset"]) / c["scale"])
            weekday = (np.floor(days).astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
            rows = np.flatnonzero(~miss)
            out[rows, pos + 1 + weekday[rows]] = 1.0
            month = safe.astype(np.int64).astype("datetime64[s]").astype("datetime64[M]").astype(np.int64) % 12
            ang = 2 * np.pi * month / 12.0
            out[:, pos + 8] = np.where(miss, 0.0, np.sin(ang))
            out[:, pos + 9] = np.where(miss, 0.0, np.cos(ang))
            if c.get("hour"):
                ang = 2 * np.pi * np.mod(safe, _DAY) / _DAY
                out[:, pos + 10] = np.where(miss, 0.0, np.sin(ang))
                out[:, pos + 11] = np.where(miss, 0.0, np.cos(ang))
        else:
            out[:, pos] = np.where(miss, 0.0, (col - c["offset"]) / c["scale"])
        pos += width
        if c["indicator"]:
            indicators.append(miss)
    for miss in indicators:
        out[:, pos] = miss
        pos += 1
    return out


def describe_table(state: dict, scale: str) -> str:
    cols = state["columns"]
    count = {t: sum(1 for c in cols if c["type"] == t) for t in ("numeric", "boolean", "categorical", "datetime", "text")}
    parts = []
    if count["numeric"]:
        parts.append(f"{count['numeric']} numeric" + ("" if scale == "none" else f" {_SCALE_WORDS[scale]}"))
    if count["boolean"]:
        parts.append(f"{count['boolean']} yes/no as 0/1")
    if count["categorical"]:
        grouped = sum(c.get("grouped", 0) for c in cols if c["type"] == "categorical")
        parts.append(f"{count['categorical']} categorical one-hot" + (f" ({grouped} rare categories grouped)"
                                                                     if grouped else ""))
    if count["datetime"]:
        parts.append(f"{count['datetime']} date(s) as trend, weekday and month")
    if count["text"]:
        words = sum(len(c["vectorizer"]["vocabulary"]) for c in cols if c["type"] == "text")
        parts.append(f"{count['text']} text column(s) as bag of words ({words:,} words)")
    n_ind = sum(1 for c in cols if c.get("indicator"))
    return (f"table -> {state['output_shape'][0]} features: " + ", ".join(parts) + "; missing -> 0"
            + (f" + {n_ind} indicator columns" if n_ind else ""))


_SCALE_WORDS = {"minmax": "scaled to [0, 1]", "standard": "standardized", "none": ""}
