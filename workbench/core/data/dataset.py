"""The one in-memory data set type every source returns."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

KINDS = ("image", "table", "text", "sequence", "audio")


@dataclass
class Dataset:
    """Inputs, targets, class names and a description.

    kind       "image": X is (N, H, W, C) uint8 (or float32 in [0, 1]).
               "table": X is (N, F) float64; NaN marks a missing value. ``column_kinds[j]`` is the
                        kind of column j (numeric, categorical, boolean, datetime, text; None =
                        categorical where ``categories`` has the column, else numeric).
                        Categorical, boolean and text columns are integer codes (NaN = missing)
                        into ``categories[j]`` (the value names / texts); datetime columns are
                        seconds since 1970.
               "text":  X is a 1-D object array of str.
               "sequence"/"audio": X is (N, T, F) or (N, T) float32.
    y          (N,) int64 class indices for binary/multiclass, (N, K) {0,1} for multilabel,
               (N,) or (N, K) float for regression, (N, T) / (N, T, 1) for per-time-step labels.
    class_names  one name per class (None for regression).
    feature_names  per-column names for tables (None otherwise).
    categories   {column index: [value names]} for categorical, boolean and text table columns.
    column_kinds per-column kinds of a table (see above).
    columns      the report of every column of the source file (workbench.core.data.columns:
                 name, kind, detected, reason, role, missing, distinct, preview); [] otherwise.
    notes        what the reader repaired or left out (renamed headers, rows without a target).
    time         optional (N,) sortable values; a time-ordered split uses them (else row order).
    groups       optional (N,) str subgroup per sample (e.g. "dusk") for per-subgroup reports.
    paths        optional (N,) str file of each sample (image folders), to show the original.
    source       JSON-able description sufficient to load the data again (see sources.load).
    """

    name: str
    kind: str
    X: Any
    y: np.ndarray
    class_names: list[str] | None = None
    description: str = ""
    feature_names: list[str] | None = None
    categories: dict[int, list[str]] = field(default_factory=dict)
    time: np.ndarray | None = None
    groups: np.ndarray | None = None
    source: dict = field(default_factory=dict)
    target_name: str | None = None
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason) not imported
    paths: np.ndarray | None = None  # (N,) str: the file each image came from (image folders)
    column_kinds: list[str] | None = None
    columns: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown dataset kind {self.kind!r}")
        if len(self.X) != len(self.y):
            raise ValueError(f"{len(self.X)} inputs but {len(self.y)} targets")

    def __len__(self) -> int:
        return len(self.y)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one raw sample (before vectorization)."""
        if self.kind == "text":
            return ()
        return tuple(np.asarray(self.X[0]).shape) if len(self.X) else ()

    @property
    def is_classification(self) -> bool:
        return self.class_names is not None

    def column_kind(self, j: int) -> str:
        """The kind of table column ``j``: numeric, categorical, boolean, datetime or text."""
        if self.column_kinds is not None and j < len(self.column_kinds):
            return self.column_kinds[j]
        return "categorical" if j in self.categories else "numeric"

    def cell_text(self, i: int, j: int) -> str:
        """How the value of table row ``i``, column ``j`` reads (category names, dates, "—" if missing)."""
        import math

        v = float(np.asarray(self.X[i, j], dtype=np.float64))
        if not math.isfinite(v):
            return "—"
        kind = self.column_kind(j)
        if kind == "datetime":
            from workbench.core.data.columns import format_timestamp

            return format_timestamp(v)
        names = self.categories.get(j)
        if names is not None and 0 <= int(v) < len(names):
            return names[int(v)]
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.3g}"

    def subset(self, idx) -> "Dataset":
        idx = np.asarray(idx)
        return Dataset(
            name=self.name,
            kind=self.kind,
            X=self.X[idx],
            y=self.y[idx],
            class_names=self.class_names,
            description=self.description,
            feature_names=self.feature_names,
            categories=self.categories,
            time=None if self.time is None else self.time[idx],
            groups=None if self.groups is None else self.groups[idx],
            source=self.source,
            target_name=self.target_name,
            paths=None if self.paths is None else self.paths[idx],
            column_kinds=self.column_kinds,
            columns=self.columns,
            notes=self.notes,
        )
