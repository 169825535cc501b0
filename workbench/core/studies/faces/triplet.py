"""Triplet loss and triplet mining inside a batch.

L = mean over triplets of max(||f(A) - f(P)||^2 - ||f(A) - f(N)||^2 + margin, 0)

Mining strategies (on the batch's squared distances, chosen without gradient):
  random     every (anchor, positive) pair with one random negative
  semi-hard  every (anchor, positive) pair with the closest negative that is still farther than the
             positive (FaceNet); when no such negative exists, the farthest negative closer than the
             positive (the least hard of the hard ones), as TensorFlow-Addons does
  hard       batch-hard: per anchor, its farthest positive and its closest negative
Anchors without a positive or without a negative in the batch give no triplet.

Hard mining from scratch tends to collapse all embeddings onto one point (loss stuck at the margin;
on generated people: held-out EER 0.22 against 0.10 for semi-hard in benchmarks/faces.py), which
is why FaceNet picked semi-hard negatives.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch loads lazily: importing the study must not slow the app's start
    import torch

MINING = ("random", "semi-hard", "hard")


def triplet_loss(anchor: torch.Tensor, positive: torch.Tensor, negative: torch.Tensor, margin: float) -> torch.Tensor:
    """The loss exactly as written above, averaged over the triplets given (0 for no triplets)."""
    import torch

    if anchor.shape[0] == 0:
        return anchor.sum() * 0.0  # keeps the graph (and a zero gradient) for an empty batch
    d_ap = (anchor - positive).pow(2).sum(dim=1)
    d_an = (anchor - negative).pow(2).sum(dim=1)
    return torch.clamp(d_ap - d_an + margin, min=0.0).mean()


def pairwise_sq_dist(emb: torch.Tensor) -> torch.Tensor:
    """(B, B) squared Euclidean distances, exact zeros on the diagonal."""
    diff = emb[:, None, :] - emb[None, :, :]
    return diff.pow(2).sum(-1)


def mine_triplets(emb: torch.Tensor, labels: torch.Tensor, strategy: str = "semi-hard", margin: float = 0.2,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """(T, 3) long tensor of (anchor, positive, negative) batch indices."""
    import torch

    if strategy not in MINING:
        raise ValueError(f"unknown mining strategy {strategy!r}; choose one of {', '.join(MINING)}")
    labels = labels.reshape(-1).to(emb.device)
    with torch.no_grad():
        d = pairwise_sq_dist(emb.detach().float())
        B = d.shape[0]
        same = labels[:, None] == labels[None, :]
        eye = torch.eye(B, dtype=torch.bool, device=emb.device)
        pos_mask = same & ~eye
        neg_mask = ~same
        empty = torch.zeros((0, 3), dtype=torch.long, device=emb.device)
        if strategy == "hard":
            has = pos_mask.any(1) & neg_mask.any(1)
            if not has.any():
                return empty
            p = torch.where(pos_mask, d, torch.full_like(d, -1.0)).argmax(1)
            n = torch.where(neg_mask, d, torch.full_like(d, float("inf"))).argmin(1)
            a = torch.arange(B, device=emb.device)
            return torch.stack([a, p, n], 1)[has]
        a_idx, p_idx = pos_mask.nonzero(as_tuple=True)
        keep = neg_mask[a_idx].any(1)
        a_idx, p_idx = a_idx[keep], p_idx[keep]
        if a_idx.numel() == 0:
            return empty
        negs = neg_mask[a_idx]                      # (T, B) which columns are negatives of each anchor
        if strategy == "random":
            r = torch.rand(negs.shape, generator=generator, device="cpu").to(emb.device)
            n_idx = torch.where(negs, r, torch.full_like(r, -1.0)).argmax(1)
        else:
            d_an = d[a_idx]                         # (T, B)
            d_ap = d[a_idx, p_idx][:, None]         # (T, 1)
            outside = negs & (d_an > d_ap)
            inf = torch.full_like(d_an, float("inf"))
            closest_outside = torch.where(outside, d_an, inf).argmin(1)
            farthest_inside = torch.where(negs & ~outside, d_an, torch.full_like(d_an, -1.0)).argmax(1)
            n_idx = torch.where(outside.any(1), closest_outside, farthest_inside)
        return torch.stack([a_idx, p_idx, n_idx], 1)


def batch_triplet_loss(emb: torch.Tensor, labels: torch.Tensor, strategy: str = "semi-hard", margin: float = 0.2,
                       generator: torch.Generator | None = None) -> tuple[torch.Tensor, int]:
    """Mined triplet loss of a batch and how many triplets it used."""
    t = mine_triplets(emb, labels, strategy, margin, generator)
    return triplet_loss(emb[t[:, 0]], emb[t[:, 1]], emb[t[:, 2]], margin), int(t.shape[0])


class TripletHead:
    """A head-like object so the common Trainer can fit an encoder with the triplet loss.

    The Trainer calls ``loss(out, y)`` on the raw outputs (the L2-normalized embeddings) and the
    person labels; ``activate`` is the identity (embeddings are the prediction).
    """

    task = "embedding"
    activation = "none"
    loss_name = "triplet"

    def __init__(self, margin: float = 0.2, mining: str = "semi-hard", seed: int = 0):
        import torch

        if mining not in MINING:
            raise ValueError(f"unknown mining strategy {mining!r}; choose one of {', '.join(MINING)}")
        if margin < 0:
            raise ValueError("the triplet margin must be >= 0")
        self.margin = float(margin)
        self.mining = mining
        self._gen = torch.Generator().manual_seed(int(seed))
        self.last_triplets = 0

    def activate(self, out: torch.Tensor) -> torch.Tensor:
        return out

    def loss(self, out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        import torch

        y = torch.as_tensor(y).reshape(-1).long()
        t = mine_triplets(out, y, self.mining, self.margin, self._gen)
        loss = triplet_loss(out[t[:, 0]], out[t[:, 1]], out[t[:, 2]], self.margin)
        self.last_triplets = int(t.shape[0])
        return loss

    def to_dict(self) -> dict:
        return {"kind": "triplet", "margin": self.margin, "mining": self.mining}
