"""Vectorize, scale and fill in data, with every statistic learned from the training rows only.

images  uint8 (or float in [0, 1]) N,H,W,C -> float32 N,C,H,W in [0, 1], then optional per-channel
        scaling (minmax / standard, statistics from training images).
tables  numeric columns scaled per feature (none / minmax / standard, statistics from observed
        training values); categorical columns one-hot over the categories seen in training
        (unseen or missing -> all zeros). Missing numeric values become 0 in the *output*, i.e.
        after scaling (raw 0 with scale="none", the training mean with "standard", the training
        minimum with "minmax"); with missing="indicator" each column that had missing training
        values also gets a 0/1 "was missing" column.
text    multi-hot over the ``vocab_size`` most frequent words of the training texts (lowercase
        word tokenizer; ties broken alphabetically so the vocabulary is deterministic).

``to_dict()`` is plain JSON (stored in run files); ``Preprocessor.from_dict(d)`` re-applies it.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from workbench.core.data.dataset import Dataset
from workbench.core.data.text import tokenize
from workbench.core.errors import DataError

SCALES = ("none", "minmax", "standard")
MISSING = ("zero", "indicator")
FORMAT_VERSION = 1
_CHUNK = 512  # images per chunk when computing statistics, keeps float copies small




class Preprocessor:
    def __init__(self, scale: str = "none", missing: str = "zero", vocab_size: int = 10000):
        if scale not in SCALES:
            raise DataError(f"Unknown scaling {scale!r}; choose none, minmax or standard.")
        if missing not in MISSING:
            raise DataError(f"Unknown missing-value handling {missing!r}; choose zero or indicator.")
        if int(vocab_size) < 1:
            raise DataError(f"The vocabulary size must be at least 1, not {vocab_size}.")
        self.scale = scale
        self.missing = missing
        self.vocab_size = int(vocab_size)
        self.kind: str | None = None
        self.warnings: list[str] = []
        self._state: dict[str, Any] = {}

    # ------------------------------------------------------------------ public API
    @property
    def fitted(self) -> bool:
        return self.kind is not None

    def fit(self, ds: Dataset, train_idx=None) -> "Preprocessor":
        """Learn everything from ``ds`` rows ``train_idx`` (all rows when None)."""
        idx = np.arange(len(ds)) if train_idx is None else np.asarray(train_idx, dtype=np.int64)
        if len(idx) == 0:
            raise DataError("Cannot fit preprocessing on an empty training set.")
        self.warnings = []
        self.kind = ds.kind
        if ds.kind == "image":
            self._fit_images(ds, idx)
        elif ds.kind == "table":
            self._fit_table(ds, idx)
        elif ds.kind == "text":
            self._fit_text(ds, idx)
        else:
            self._fit_array(ds, idx)
        return self

    def transform(self, ds: Dataset, idx=None) -> np.ndarray:
        """float32 model inputs for rows ``idx`` of ``ds`` (all rows when None)."""
        self._require_fitted()
        if ds.kind != self.kind:
            raise DataError(f"This preprocessing was fitted on {self.kind} data, not {ds.kind} data.")
        sel = slice(None) if idx is None else np.asarray(idx, dtype=np.int64)
        if self.kind == "table":
            self._check_table(ds)
            return self._transform_table(np.asarray(ds.X, dtype=np.float64)[sel], ds.categories)
        return self.transform_inputs(ds.X[sel])

    def fit_transform(self, ds: Dataset, train_idx=None) -> np.ndarray:
        return self.fit(ds, train_idx).transform(ds, train_idx)

    def transform_inputs(self, X) -> np.ndarray:
        """Like ``transform`` for raw inputs in the dataset's own format (an image batch
        N,H,W,C, a list of texts, a table with the training file's category codes)."""
        self._require_fitted()
        if self.kind == "image":
            return self._transform_images(np.asarray(X))
        if self.kind == "text":
            return self._transform_text(X)
        if self.kind == "table":
            return self._transform_table(np.asarray(X, dtype=np.float64), None)
        return self._transform_array(np.asarray(X))

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Shape of one transformed sample, e.g. (C, H, W), (features,), (vocab,)."""
        self._require_fitted()
        return tuple(self._state["output_shape"])

    @property
    def feature_names_out(self) -> list[str] | None:
        """Names of the output columns for tables and text (None for images/sequences)."""
        self._require_fitted()
        if self.kind == "text":
            return list(self._state["vocabulary"])
        return self._state.get("feature_names_out")

    def to_dict(self) -> dict:
        self._require_fitted()
        return {
            "version": FORMAT_VERSION,
            "scale": self.scale,
            "missing": self.missing,
            "vocab_size": self.vocab_size,
            "kind": self.kind,
            "warnings": list(self.warnings),
            "state": self._state,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Preprocessor":
        if int(d.get("version", 0)) > FORMAT_VERSION:
            raise DataError("This preprocessing was saved by a newer Workbench; update Workbench to use it.")
        p = cls(d["scale"], d["missing"], d["vocab_size"])
        p.kind = d["kind"]
        p.warnings = list(d.get("warnings", []))
        p._state = d["state"]
        return p

    def describe(self) -> str:
        self._require_fitted()
        s = self._state
        if self.kind == "image":
            return f"images -> float32 {tuple(s['output_shape'])} in [0, 1], scaling {self.scale}"
        if self.kind == "text":
            return f"text -> multi-hot over the {len(s['vocabulary'])} most frequent training words"
        if self.kind == "table":
            n_cat = sum(1 for c in s["columns"] if c["type"] == "categorical")
            n_ind = sum(1 for c in s["columns"] if c.get("indicator"))
            return (f"table -> {s['output_shape'][0]} features: {n_cat} categorical columns one-hot, "
                    f"scaling {self.scale}, missing -> 0" + (f" + {n_ind} indicator columns" if n_ind else ""))
        return f"{self.kind} -> float32 {tuple(s['output_shape'])}, scaling {self.scale}"

    def describe_sample(self, row) -> str:
        """One transformed text sample in words ("87 of 10000 words present")."""
        self._require_fitted()
        row = np.asarray(row)
        return f"{int(np.count_nonzero(row))} of {row.size} words present"

    # ------------------------------------------------------------------ helpers
    def _require_fitted(self):
        if self.kind is None:
            raise RuntimeError("Preprocessor.fit() must be called before transform()")

    # images ----------------------------------------------------------------------
    def _fit_images(self, ds: Dataset, idx: np.ndarray) -> None:
        X = ds.X
        first = np.asarray(X[idx[:1]])
        if first.ndim == 3:  # (N, H, W) grey
            first = first[..., None]
        if first.ndim != 4:
            raise DataError(f"Images must be (N, height, width, channels), not shape {np.asarray(X).shape}.")
        h, w, c = first.shape[1:]
        divisor = 255.0 if first.dtype == np.uint8 else 1.0
        offset = np.zeros(c)
        scale = np.ones(c)
        if self.scale != "none":
            lo = np.full(c, np.inf)
            hi = np.full(c, -np.inf)
            total = np.zeros(c)
            total_sq = np.zeros(c)
            count = 0
            for start in range(0, len(idx), _CHUNK):
                chunk = np.asarray(X[idx[start:start + _CHUNK]], dtype=np.float64).reshape(-1, h * w, c) / divisor
                lo = np.minimum(lo, chunk.min(axis=(0, 1)))
                hi = np.maximum(hi, chunk.max(axis=(0, 1)))
                total += chunk.sum(axis=(0, 1))
                total_sq += (chunk ** 2).sum(axis=(0, 1))
                count += chunk.shape[0] * chunk.shape[1]
            if self.scale == "minmax":
                offset, scale = lo, np.where(hi - lo > 0, hi - lo, 1.0)
            else:
                mean = total / count
                std = np.sqrt(np.maximum(total_sq / count - mean ** 2, 0.0))
                offset, scale = mean, np.where(std > 1e-12, std, 1.0)
        self._state = {
            "input_shape": [int(h), int(w), int(c)],
            "divisor": divisor,
            "offset": [float(v) for v in offset],
            "scale": [float(v) for v in scale],
            "output_shape": [int(c), int(h), int(w)],
        }

    def _transform_images(self, X: np.ndarray) -> np.ndarray:
        s = self._state
        if X.ndim == 3:
            X = X[..., None]
        if list(X.shape[1:]) != s["input_shape"]:
            h, w, c = s["input_shape"]
            raise DataError(
                f"These images are {X.shape[1]}x{X.shape[2]} with {X.shape[3]} channels, but the model "
                f"was trained on {h}x{w} with {c}; import them at the training size."
            )
        out = np.empty((X.shape[0], X.shape[3], X.shape[1], X.shape[2]), dtype=np.float32)
        offset = np.asarray(s["offset"], dtype=np.float32)[:, None, None]
        scale = np.asarray(s["scale"], dtype=np.float32)[:, None, None]
        inv = np.float32(1.0 / s["divisor"])
        for start in range(0, len(X), _CHUNK):
            part = np.asarray(X[start:start + _CHUNK]).transpose(0, 3, 1, 2).astype(np.float32)
            part *= inv
            if self.scale != "none":
                part -= offset
                part /= scale
            out[start:start + _CHUNK] = part
        return out

    # tables ----------------------------------------------------------------------
    def _fit_table(self, ds: Dataset, idx: np.ndarray) -> None:
        X = np.asarray(ds.X, dtype=np.float64)
        if X.ndim != 2:
            raise DataError(f"A table must be 2-D (rows x columns), not shape {X.shape}.")
        names = ds.feature_names or [f"x{j}" for j in range(X.shape[1])]
        train = X[idx]
        columns = []
        out_names: list[str] = []
        for j in range(X.shape[1]):
            col = train[:, j]
            miss = np.isnan(col)
            n_miss = int(miss.sum())
            indicator = self.missing == "indicator" and n_miss > 0
            if j in ds.categories:
                cats = ds.categories[j]
                seen = sorted({int(v) for v in col[~miss]})
                kept = [cats[c] for c in seen if 0 <= c < len(cats)]
                columns.append({"name": names[j], "type": "categorical", "categories": kept,
                                "all_categories": list(cats), "indicator": indicator})
                out_names.extend(f"{names[j]}={c}" for c in kept)
            else:
                observed = col[~miss]
                if len(observed) == 0:
                    offset, scale = 0.0, 1.0
                    self.warnings.append(f"Column {names[j]!r} has no values in the training rows; it will be all 0.")
                elif self.scale == "minmax":
                    lo, hi = float(observed.min()), float(observed.max())
                    offset, scale = lo, (hi - lo if hi > lo else 1.0)
                elif self.scale == "standard":
                    mean, std = float(observed.mean()), float(observed.std())
                    offset, scale = mean, (std if std > 1e-12 else 1.0)
                else:
                    offset, scale = 0.0, 1.0
                if n_miss and len(observed):
                    collide = int(np.sum(np.abs((observed - offset) / scale) < 1e-12))
                    if collide:
                        what = "0" if self.scale == "none" else f"{offset:g} (which scales to 0)"
                        fix = ("the indicator column tells them apart" if indicator
                               else "use missing='indicator' so the model can tell them apart")
                        self.warnings.append(
                            f"Column {names[j]!r}: {n_miss} missing values become 0, but {collide} "
                            f"training rows really have the value {what}; {fix}."
                        )
                columns.append({"name": names[j], "type": "numeric", "offset": offset, "scale": scale,
                                "indicator": indicator})
                out_names.append(names[j])
        for c in columns:
            if c["indicator"]:
                out_names.append(f"{c['name']} was missing")
        if not out_names:
            raise DataError("After preprocessing the table has no input columns left.")
        self._state = {"n_columns": X.shape[1], "columns": columns, "feature_names_out": out_names,
                       "output_shape": [len(out_names)]}

    def _check_table(self, ds: Dataset) -> None:
        X = np.asarray(ds.X)
        n = self._state["n_columns"]
        if X.ndim != 2 or X.shape[1] != n:
            raise DataError(f"This table has {X.shape[-1] if X.ndim else 0} input columns, but the "
                            f"preprocessing was fitted on {n}; use the same columns as in training.")
        if ds.feature_names:
            expected = [c["name"] for c in self._state["columns"]]
            if list(ds.feature_names) != expected:
                raise DataError(
                    f"The columns {ds.feature_names} do not match the training columns {expected}; "
                    "use a file with the same columns in the same order."
                )

    def _transform_table(self, X: np.ndarray, categories: dict | None) -> np.ndarray:
        s = self._state
        if X.ndim == 1:
            X = X[None, :]
        if X.shape[1] != s["n_columns"]:
            raise DataError(f"Expected {s['n_columns']} input columns, got {X.shape[1]}.")
        out = np.zeros((X.shape[0], s["output_shape"][0]), dtype=np.float32)
        pos = 0
        indicators = []
        for j, c in enumerate(s["columns"]):
            col = X[:, j]
            miss = np.isnan(col)
            if c["type"] == "categorical":
                # map codes -> names through this dataset's own categories, so a CSV loaded again
                # (whose codes may differ) still lands in the right one-hot column
                names = (categories or {}).get(j, c["all_categories"])
                lookup = {name: k for k, name in enumerate(c["categories"])}
                code_to_out = np.array([lookup.get(name, -1) for name in names] + [-1], dtype=np.int64)
                codes = np.where(miss, len(names), col).astype(np.int64)
                codes = np.where((codes < 0) | (codes > len(names)), len(names), codes)
                target = code_to_out[codes]
                rows = np.flatnonzero(target >= 0)
                out[rows, pos + target[rows]] = 1.0
                pos += len(c["categories"])
            else:
                vals = (col - c["offset"]) / c["scale"]
                out[:, pos] = np.where(miss, 0.0, vals)
                pos += 1
            if c["indicator"]:
                indicators.append(miss)
        for miss in indicators:
            out[:, pos] = miss
            pos += 1
        return out

    # text ------------------------------------------------------------------------
    def _fit_text(self, ds: Dataset, idx: np.ndarray) -> None:
        counts: Counter = Counter()
        for t in ds.X[idx]:
            counts.update(tokenize(t))
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: self.vocab_size]
        vocab = [w for w, _ in ranked]
        if not vocab:
            raise DataError("The training texts contain no words; check the text column.")
        if len(vocab) < self.vocab_size:
            self.warnings.append(
                f"The training texts have only {len(vocab)} distinct words, fewer than the vocabulary "
                f"size {self.vocab_size}; the inputs have {len(vocab)} features."
            )
        self._state = {"vocabulary": vocab, "output_shape": [len(vocab)]}
        self._index = None

    def _transform_text(self, texts) -> np.ndarray:
        vocab = self._state["vocabulary"]
        index = getattr(self, "_index", None)
        if index is None:
            index = self._index = {w: i for i, w in enumerate(vocab)}
        if isinstance(texts, str):
            texts = [texts]
        out = np.zeros((len(texts), len(vocab)), dtype=np.float32)
        for r, t in enumerate(texts):
            cols = [index[w] for w in set(tokenize(t)) if w in index]
            out[r, cols] = 1.0
        return out

    # sequences / audio -------------------------------------------------------------
    def _fit_array(self, ds: Dataset, idx: np.ndarray) -> None:
        X = np.asarray(ds.X[idx], dtype=np.float64)
        feat = X.reshape(-1, X.shape[-1]) if X.ndim >= 3 else X.reshape(-1, 1)
        if self.scale == "minmax":
            lo, hi = feat.min(axis=0), feat.max(axis=0)
            offset, scale = lo, np.where(hi - lo > 0, hi - lo, 1.0)
        elif self.scale == "standard":
            offset, std = feat.mean(axis=0), feat.std(axis=0)
            scale = np.where(std > 1e-12, std, 1.0)
        else:
            offset, scale = np.zeros(feat.shape[1]), np.ones(feat.shape[1])
        self._state = {"offset": offset.tolist(), "scale": scale.tolist(),
                       "output_shape": list(np.asarray(ds.X[idx[:1]]).shape[1:])}

    def _transform_array(self, X: np.ndarray) -> np.ndarray:
        s = self._state
        out = np.asarray(X, dtype=np.float32).copy()
        offset = np.asarray(s["offset"], dtype=np.float32)
        scale = np.asarray(s["scale"], dtype=np.float32)
        if out.ndim >= 3:
            out -= offset
            out /= scale
        else:
            out -= offset[0]
            out /= scale[0]
        return np.nan_to_num(out, nan=0.0)
