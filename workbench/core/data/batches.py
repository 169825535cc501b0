"""Model inputs made one batch at a time from images that stay on disk.

``ImageBatches(X, rows, preprocessor)`` stands where a float32 (N, C, H, W) tensor would: the
Trainer, ``predict`` and ``evaluate`` slice it (``xb = X[idx]``, ``X[i:i + bs]``) and each slice
reads those rows of the uint8 images (a memory map of the on-disk cache) and converts and
normalizes them with the fitted Preprocessor, exactly as the whole-array transform would. Memory
stays at a batch, whatever the number of images.
"""
from __future__ import annotations

import numpy as np


class ImageBatches:
    """Rows ``rows`` of the images ``X`` (N, H, W, C uint8), transformed per batch by ``preprocessor``."""

    streamed = True

    def __init__(self, X, rows, preprocessor):
        self.X = X
        self.rows = np.asarray(rows, dtype=np.int64)
        self.preprocessor = preprocessor
        self.shape = (len(self.rows), *preprocessor.output_shape)
        self.dtype = np.float32

    def __len__(self) -> int:
        return len(self.rows)

    def batch(self, idx) -> np.ndarray:
        """float32 inputs of positions ``idx`` (a slice, ints, or a tensor of ints)."""
        if hasattr(idx, "numpy"):  # a torch index tensor
            idx = idx.cpu().numpy()
        rows = self.rows[idx]
        if np.ndim(rows) == 0:
            rows = rows[None]
        return self.preprocessor.transform_inputs(self._read(rows))

    def _read(self, rows: np.ndarray) -> np.ndarray:
        # read in ascending file order (sequential on disk), then restore the batch's order
        if len(rows) > 1 and np.any(np.diff(rows) < 0):
            order = np.argsort(rows, kind="stable")
            got = np.asarray(self.X[rows[order]])
            out = np.empty_like(got)
            out[order] = got
            return out
        return np.asarray(self.X[rows])

    def __getitem__(self, idx):
        import torch

        return torch.from_numpy(self.batch(idx))

    def to(self, device, **_):
        """Stays on the CPU (batches are moved to ``device`` one at a time)."""
        return self

    def __array__(self, dtype=None, copy=None):
        """The whole transformed array (what the in-memory path holds): only for small subsets."""
        out = self.batch(slice(None))
        return out if dtype is None else out.astype(dtype)


def is_streamed(X) -> bool:
    return getattr(X, "streamed", False) is True
