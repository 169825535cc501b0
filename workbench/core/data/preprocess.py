"""Vectorize, scale and fill in data, with every statistic learned from the training rows only.

Defaults follow the course: ``scale="auto"`` standardizes numeric table columns and keeps images in
[0, 1]; ``missing="indicator"`` adds a "was missing" column for each column with missing training
values. "none" (and the other choices) stay available; the normalization lesson shows what "none"
costs.

images  uint8 (or float in [0, 1]) N,H,W,C -> float32 N,C,H,W in [0, 1], then optional per-channel
        scaling (minmax / standard, statistics from training images; "auto" = none).
tables  by column kind (workbench.core.data.table_encoding): numeric scaled ("auto" = standard),
        booleans 0/1, categoricals one-hot with rare categories grouped, dates expanded (trend,
        weekday, month, hour), text columns as bag of words; missing values become 0 in the
        *output*, plus indicator columns with missing="indicator".
text    bag of words (multi-hot over the ``vocab_size`` most frequent training tokens, optional
        n-grams) or token-id sequences for Embedding models (workbench.core.data.text;
        ``text={"mode": "sequence", "length": 200, "level": "word", ...}``).

``to_dict()`` is plain JSON (stored in run files); ``Preprocessor.from_dict(d)`` re-applies it.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from workbench.core.data.dataset import Dataset
from workbench.core.data.table_encoding import describe_table, fit_table, transform_table
from workbench.core.data.text import TextOptions, TextVectorizer
from workbench.core.errors import DataError

SCALES = ("auto", "none", "minmax", "standard")
MISSING = ("zero", "indicator")
FORMAT_VERSION = 2
_CHUNK = 512  # images per chunk when computing statistics, keeps float copies small


def channel_stats(X, channels: int, idx: np.ndarray | None = None, divisor: float = 1.0, chunk: int = _CHUNK):
    """Per-channel (min, max, mean, std) of the images ``X[idx]`` (all when ``idx`` is None) divided
    by ``divisor``, computed a chunk of images at a time so a large set never has a float copy."""
    n = len(X) if idx is None else len(idx)
    lo, hi = np.full(channels, np.inf), np.full(channels, -np.inf)
    total, total_sq, count = np.zeros(channels), np.zeros(channels), 0
    for start in range(0, n, chunk):
        part = X[start:start + chunk] if idx is None else X[idx[start:start + chunk]]
        part = np.asarray(part, dtype=np.float64).reshape(-1, channels) / divisor
        lo = np.minimum(lo, part.min(axis=0))
        hi = np.maximum(hi, part.max(axis=0))
        total += part.sum(axis=0)
        total_sq += (part ** 2).sum(axis=0)
        count += len(part)
    mean = total / max(count, 1)
    std = np.sqrt(np.maximum(total_sq / max(count, 1) - mean ** 2, 0.0))
    return lo, hi, mean, std


def effective_scale(scale: str, kind: str) -> str:
    """What "auto" means for a kind of data: standardize tables, keep images in [0, 1]."""
    if scale != "auto":
        return scale
    return "standard" if kind == "table" else "none"


class Preprocessor:
    def __init__(self, scale: str = "auto", missing: str = "indicator", vocab_size: int = 10000,
                 text: dict | TextOptions | None = None):
        if scale not in SCALES:
            raise DataError(f"Unknown scaling {scale!r}; choose auto, none, minmax or standard.")
        if missing not in MISSING:
            raise DataError(f"Unknown missing-value handling {missing!r}; choose zero or indicator.")
        if int(vocab_size) < 1:
            raise DataError(f"The vocabulary size must be at least 1, not {vocab_size}.")
        self.scale = scale
        self.missing = missing
        self.vocab_size = int(vocab_size)
        self.text = TextOptions.from_dict(text)
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
        self._vec = None
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
            return transform_table(self._state, np.asarray(ds.X, dtype=np.float64)[sel], ds.categories)
        return self.transform_inputs(ds.X[sel])

    def fit_transform(self, ds: Dataset, train_idx=None) -> np.ndarray:
        return self.fit(ds, train_idx).transform(ds, train_idx)

    def transform_inputs(self, X, categories: dict | None = None) -> np.ndarray:
        """Like ``transform`` for raw inputs in the dataset's own format (an image batch
        N,H,W,C, a list of texts, a table with the training file's category codes, or with the
        codes of ``categories`` — needed when the table has text columns)."""
        self._require_fitted()
        if self.kind == "image":
            return self._transform_images(np.asarray(X))
        if self.kind == "text":
            return self._text_vectorizer().transform(X)
        if self.kind == "table":
            return transform_table(self._state, np.asarray(X, dtype=np.float64), categories)
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
            vec = self._text_vectorizer()
            return None if vec.sequence else list(vec.vocabulary)
        return self._state.get("feature_names_out")

    @property
    def token_count(self) -> int | None:
        """For text as token sequences: the number of distinct ids (what an Embedding needs)."""
        self._require_fitted()
        if self.kind != "text" or not self._text_vectorizer().sequence:
            return None
        return self._text_vectorizer().token_count

    @property
    def vectorizer(self) -> TextVectorizer | None:
        """The fitted TextVectorizer of text data (None for other kinds)."""
        self._require_fitted()
        return self._text_vectorizer() if self.kind == "text" else None

    @property
    def effective_scale(self) -> str:
        """The scaling used for this kind of data ("auto" decided)."""
        return effective_scale(self.scale, self.kind or "table")

    def to_dict(self) -> dict:
        self._require_fitted()
        return {
            "version": FORMAT_VERSION,
            "scale": self.scale,
            "missing": self.missing,
            "vocab_size": self.vocab_size,
            "text": self.text.to_dict(),
            "kind": self.kind,
            "warnings": list(self.warnings),
            "state": self._state,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Preprocessor":
        if int(d.get("version", 0)) > FORMAT_VERSION:
            raise DataError("This preprocessing was saved by a newer Workbench; update Workbench to use it.")
        state = dict(d["state"])
        text = d.get("text")
        if int(d.get("version", 1)) < 2 and d["kind"] == "text":  # format 1: bag of lowercase words
            text = {"mode": "bag"}
            state["vectorizer"] = {"options": text, "vocab_size": d["vocab_size"],
                                   "vocabulary": state.pop("vocabulary", [])}
        p = cls(d["scale"], d["missing"], d["vocab_size"], text)
        p.kind = d["kind"]
        p.warnings = list(d.get("warnings", []))
        p._state = state
        return p

    def describe(self) -> str:
        self._require_fitted()
        s = self._state
        scale = self.effective_scale
        if self.kind == "image":
            extra = "" if scale == "none" else f", then {'standardized' if scale == 'standard' else 'min-max scaled'}"
            return f"images -> float32 {tuple(s['output_shape'])} in [0, 1]{extra}"
        if self.kind == "text":
            return "text -> " + self._text_vectorizer().describe()
        if self.kind == "table":
            return describe_table(s, scale)
        return f"{self.kind} -> float32 {tuple(s['output_shape'])}, scaling {scale}"

    def describe_sample(self, row) -> str:
        """One transformed text sample in words ("87 of 10000 words present", "a review of 143 tokens")."""
        self._require_fitted()
        row = np.asarray(row)
        if self.kind == "text" and self._text_vectorizer().sequence:
            ids = row[row != 0].astype(np.int64)
            unknown = int(np.sum(ids == 1))
            return f"{len(ids)} tokens ({unknown} unknown): " + " ".join(self._text_vectorizer().decode(ids[:8]))
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
        scale_kind = self.effective_scale
        if scale_kind != "none":
            lo, hi, mean, std = channel_stats(X, c, idx, divisor)
            if scale_kind == "minmax":
                offset, scale = lo, np.where(hi - lo > 0, hi - lo, 1.0)
            else:
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
            if self.effective_scale != "none":
                part -= offset
                part /= scale
            out[start:start + _CHUNK] = part
        return out

    # tables ----------------------------------------------------------------------
    def _fit_table(self, ds: Dataset, idx: np.ndarray) -> None:
        self._state = fit_table(ds, idx, self.effective_scale, self.missing, self.text.resolved(False),
                                self.vocab_size, self.warnings)

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

    # text ------------------------------------------------------------------------
    def _fit_text(self, ds: Dataset, idx: np.ndarray) -> None:
        vec = TextVectorizer(self.text.resolved(False), self.vocab_size).fit(ds.X[idx])
        if not vec.vocabulary:
            raise DataError("The training texts contain no words; check the text column.")
        if len(vec.vocabulary) < self.vocab_size:
            self.warnings.append(
                f"The training texts have only {len(vec.vocabulary)} distinct tokens, fewer than the vocabulary "
                f"size {self.vocab_size}; the vocabulary has {len(vec.vocabulary)}."
            )
        self._state = {"vectorizer": vec.to_dict(), "output_shape": [vec.output_size]}
        self._vec = vec

    def _text_vectorizer(self) -> TextVectorizer:
        vec = getattr(self, "_vec", None)
        if vec is None:
            vec = self._vec = TextVectorizer.from_dict(self._state["vectorizer"])
        return vec

    # sequences / audio -------------------------------------------------------------
    def _fit_array(self, ds: Dataset, idx: np.ndarray) -> None:
        X = np.asarray(ds.X[idx], dtype=np.float64)
        feat = X.reshape(-1, X.shape[-1]) if X.ndim >= 3 else X.reshape(-1, 1)
        if self.effective_scale == "minmax":
            lo, hi = feat.min(axis=0), feat.max(axis=0)
            offset, scale = lo, np.where(hi - lo > 0, hi - lo, 1.0)
        elif self.effective_scale == "standard":
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
