"""Gatys et al. loss terms.

- Gram matrix of a (1, C, H, W) feature map F reshaped to C x HW: ``G = F F^T / (C H W)``.
  With a region mask m (per position weights in [0, 1], resized to the layer):
  ``G = F diag(m) F^T / (C sum(m))`` -- the style statistics of the masked region only.
- content loss: mean squared difference of the content-layer features.
- style loss: sum over style layers of the mean squared difference of Gram matrices.
- total variation: mean squared difference of horizontally plus vertically adjacent pixels.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def _flat(feat: torch.Tensor) -> torch.Tensor:
    """(1, C, H, W) -> (HW, C) without a copy for channels_last tensors, else (C, HW)^T view."""
    b, c, h, w = feat.shape
    if b != 1:
        raise ValueError("style transfer features are computed for one image at a time")
    if feat.is_contiguous(memory_format=torch.channels_last) and not feat.is_contiguous():
        return feat.permute(0, 2, 3, 1).reshape(h * w, c)
    return feat.reshape(c, h * w).t()


def gram_matrix(feat: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Normalized Gram matrix (C, C); ``mask`` is (H', W') in [0, 1], resized to the feature map."""
    b, c, h, w = feat.shape
    f = _flat(feat)  # (HW, C)
    if mask is None:
        return (f.t() @ f) / (c * h * w)
    m = layer_mask(mask, h, w).reshape(h * w, 1)
    denom = c * m.sum().clamp_min(1e-6)
    return (f.t() @ (f * m)) / denom


def layer_mask(mask: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Area-average a full-resolution mask down to a feature map's size (values stay in [0, 1])."""
    m = mask.reshape(1, 1, *mask.shape[-2:]).to(torch.float32)
    if m.shape[-2:] != (h, w):
        m = F.adaptive_avg_pool2d(m, (h, w))
    return m.reshape(h, w)


def content_loss(feat: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(feat, target)


def style_loss(grams: list[torch.Tensor], targets: list[torch.Tensor]) -> torch.Tensor:
    total = grams[0].new_zeros(())
    for g, t in zip(grams, targets):
        total = total + F.mse_loss(g, t)
    return total


def tv_loss(img: torch.Tensor) -> torch.Tensor:
    dy = img[..., 1:, :] - img[..., :-1, :]
    dx = img[..., :, 1:] - img[..., :, :-1]
    return dy.pow(2).mean() + dx.pow(2).mean()
