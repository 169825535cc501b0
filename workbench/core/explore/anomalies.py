"""The most unusual samples: far from every cluster centre, or badly rebuilt by an autoencoder."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.errors import WorkbenchError


@dataclass
class Anomalies:
    indices: list[int]  # point indices, most unusual first
    scores: list[float]  # their score (higher = more unusual)
    method: str  # "distance" or "reconstruction"
    all_scores: np.ndarray  # (n,) the score of every point

    def describe(self) -> str:
        what = "distance to the nearest cluster centre" if self.method == "distance" else "reconstruction error"
        med = float(np.median(self.all_scores)) if len(self.all_scores) else 0.0
        return (f"The {len(self.indices)} highest {what}s ({self.scores[-1]:.3g} to {self.scores[0]:.3g}; "
                f"median of all points {med:.3g}).") if self.indices else "No points."


def _top(scores: np.ndarray, n: int, method: str) -> Anomalies:
    order = np.argsort(-scores, kind="stable")[:int(max(1, n))]
    return Anomalies([int(i) for i in order], [float(scores[i]) for i in order], method, scores)


def distance_anomalies(X, centers, n: int = 24) -> Anomalies:
    """Points farthest from their nearest cluster centre (Euclidean, in the space X is in)."""
    X = np.asarray(X, dtype=np.float32)
    C = np.asarray(centers, dtype=np.float32)
    if C.ndim != 2 or not len(C):
        raise WorkbenchError("Cluster the points first: distances are measured to the cluster centres.")
    if C.shape[1] != X.shape[1]:
        raise WorkbenchError("The clusters were made in another space than these points; cluster them again.")
    d = np.full(len(X), np.inf, np.float64)
    for c in C:  # one centre at a time keeps memory at O(n)
        d = np.minimum(d, np.linalg.norm(X - c, axis=1))
    return _top(d, n, "distance")


def reconstruction_errors(model, head, X, *, batch_size: int = 256) -> np.ndarray:
    """Per-sample data loss of an autoencoder (its head's loss on each input against itself)."""
    import torch

    from workbench.core.training.trainer import _as_tensor

    Xt = _as_tensor(X, target=False, task="")
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(Xt), batch_size):
            xb = Xt[i:i + batch_size]
            raw = model(xb).float()
            out.append(_per_sample_loss(head, raw, xb.reshape(raw.shape)).cpu().numpy())
    return np.concatenate(out).astype(np.float64) if out else np.zeros(0)


def _per_sample_loss(head, raw, t):
    """The head's reconstruction loss, averaged per sample instead of over the batch."""
    import torch
    import torch.nn.functional as F

    dims = tuple(range(1, raw.dim()))
    if head.activation == "sigmoid" and head.loss_name == "bce":
        return F.binary_cross_entropy_with_logits(raw, t, reduction="none").mean(dim=dims)
    p = head.activate(raw)
    if head.loss_name == "bce":
        p, t = p.clamp(1e-7, 1 - 1e-7), t.clamp(0, 1)
        return -(t * torch.log(p) + (1 - t) * torch.log(1 - p)).mean(dim=dims)
    if head.loss_name == "mae":
        return (p - t).abs().mean(dim=dims)
    return (p - t).pow(2).mean(dim=dims)


def reconstruction_anomalies(model, head, X, n: int = 24) -> Anomalies:
    """Samples the autoencoder rebuilds worst: what it never learned to describe."""
    return _top(reconstruction_errors(model, head, X), n, "reconstruction")
