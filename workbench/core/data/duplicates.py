"""Exact duplicate samples (same input bytes / same text), found by hashing."""
from __future__ import annotations

import hashlib

import numpy as np

from workbench.core.data.dataset import Dataset


def sample_keys(ds: Dataset) -> np.ndarray:
    """(N,) int64 id per sample; two samples share an id exactly when their inputs are identical."""
    n = len(ds)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if ds.kind == "text":
        seen: dict[str, int] = {}
        return np.fromiter((seen.setdefault(str(t), len(seen)) for t in ds.X), dtype=np.int64, count=n)
    X = np.asarray(ds.X)
    if X.dtype.kind == "f":
        # NaN payloads and -0.0 differ in bytes but are the same value
        X = np.where(np.isnan(X), np.nan, X) + 0.0
    rows = np.ascontiguousarray(X.reshape(n, -1))
    if rows.shape[1] * rows.itemsize <= 512:
        _, inverse = np.unique(rows.view(np.dtype((np.void, rows.shape[1] * rows.itemsize))).ravel(),
                               return_inverse=True)
        return inverse.astype(np.int64).ravel()
    # large samples (images): a 16-byte digest per row keeps memory flat
    seen_d: dict[bytes, int] = {}
    return np.fromiter(
        (seen_d.setdefault(hashlib.blake2b(r.tobytes(), digest_size=16).digest(), len(seen_d)) for r in rows),
        dtype=np.int64,
        count=n,
    )


def find_duplicates(ds: Dataset) -> list[np.ndarray]:
    """Groups (sorted index arrays, each of 2+ samples) of samples with identical inputs,
    ordered by their first index."""
    keys = sample_keys(ds)
    if len(keys) == 0:
        return []
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    bounds = np.flatnonzero(np.diff(sorted_keys)) + 1
    groups = [g for g in np.split(order, bounds) if len(g) > 1]
    groups = [np.sort(g) for g in groups]
    groups.sort(key=lambda g: int(g[0]))
    return groups
