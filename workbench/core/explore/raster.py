"""Points as pixels: what the Explore panel's scatter draws (the numerical half of it; the Qt half
lives in the panel). ``PointRaster.render`` maps every point through an affine transform and stamps
a small round dot of its colour into an ARGB32 buffer, group by group (later groups on top): a few
vectorized passes over the points, whatever the zoom, which keeps 50,000 points smooth to pan.
"""
from __future__ import annotations

import numpy as np

N_BINS = 12


class PointRaster:
    def __init__(self, size: int = 5):
        r = int(size) / 2.0
        span = range(-int(r), int(r) + 1)
        self.offsets = [(dx, dy) for dy in span for dx in span if dx * dx + dy * dy <= r * r + 0.25]
        self.pad = int(r) + 1
        self.set_points(np.zeros(0), np.zeros(0), np.zeros(0, np.int64), [])

    def set_points(self, x, y, groups, colors: list[int]) -> None:
        """x, y (n,); groups (n,) ids (-1 = noise); colors[j] the ARGB32 value of the j-th id present
        in sorted order (``group_ids(groups)``)."""
        groups = np.asarray(groups, dtype=np.int64)
        order = np.argsort(groups, kind="stable")  # draw group by group: later groups on top
        self.x = np.asarray(x, dtype=np.float64)[order]
        self.y = np.asarray(y, dtype=np.float64)[order]
        present = np.unique(groups)
        table = np.asarray(list(colors) or [0], dtype=np.uint32)
        self.c = table[np.searchsorted(present, groups[order])] if len(order) else np.zeros(0, np.uint32)

    def __len__(self) -> int:
        return len(self.x)

    def bounds(self) -> tuple[float, float, float, float] | None:
        """(x, y, width, height) of the points, or None when there are none."""
        if not len(self.x):
            return None
        x0, y0 = float(self.x.min()), float(self.y.min())
        return x0, y0, float(self.x.max() - x0) or 1e-9, float(self.y.max() - y0) or 1e-9

    def render(self, m11: float, m12: float, m21: float, m22: float, dx: float, dy: float, width: int,
               height: int) -> np.ndarray:
        """A C-contiguous (height, width) uint32 ARGB buffer of the points under the affine map
        (px = x m11 + y m21 + dx, py = x m12 + y m22 + dy)."""
        pad = self.pad
        buf = np.zeros((height + 2 * pad, width + 2 * pad), np.uint32)
        if len(self.x):
            px = self.x * m11 + self.y * m21 + dx
            py = self.x * m12 + self.y * m22 + dy
            keep = (px >= 0) & (px < width) & (py >= 0) & (py < height)  # every stamp stays inside the padding
            base = (py[keep] + pad).astype(np.intp) * buf.shape[1] + (px[keep] + pad).astype(np.intp)
            c = self.c[keep]
            flat = buf.reshape(-1)
            for ox, oy in self.offsets:
                flat[base + (oy * buf.shape[1] + ox)] = c
        return np.ascontiguousarray(buf[pad:-pad, pad:-pad])


def group_ids(groups) -> list[int]:
    """The distinct group ids in sorted order (noise, -1, first)."""
    return [int(g) for g in np.unique(np.asarray(groups, dtype=np.int64))]


def numeric_groups(values, n_bins: int = N_BINS) -> tuple[np.ndarray, list[str]]:
    """Quantile bins of a numeric column (for colouring): a group per point (-1 = missing) and a
    legend text per bin."""
    v = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(v)
    if not finite.any():
        return np.full(len(v), -1), []
    edges = np.unique(np.quantile(v[finite], np.linspace(0, 1, n_bins + 1)))
    if len(edges) < 2:
        return np.where(finite, 0, -1), [f"{edges[0]:.3g}"]
    g = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(edges) - 2)
    return np.where(finite, g, -1), [f"{a:.3g} – {b:.3g}" for a, b in zip(edges[:-1], edges[1:])]
