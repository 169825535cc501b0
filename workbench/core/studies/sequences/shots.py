"""What zero-shot and few-shot learning share: image sets, a small CNN, the shipped MobileNetV2 as a
frozen embedding, and the loading of a user's folders."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from workbench.core.errors import DataError


class SmallCNN(nn.Module):
    """Three conv blocks and a linear layer: the from-scratch network of both tasks."""

    def __init__(self, in_channels: int, outputs: int, width: int = 32):
        super().__init__()

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2))

        self.features = nn.Sequential(block(in_channels, width), block(width, 2 * width), block(2 * width, 2 * width),
                                      nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.out = nn.Linear(2 * width, outputs)

    def forward(self, x):
        return self.out(self.features(x.float() / 255.0))


class EmbeddingHead(nn.Module):
    """A linear layer on the frozen MobileNetV2's 1280 pooled features (computed once, cached)."""

    def __init__(self, in_channels: int, outputs: int, size: int = 96):
        super().__init__()
        from workbench.core.models.pretrained import PretrainedFeatures

        self.backbone = PretrainedFeatures("mobilenet_v2", in_channels, size, pool=True)
        self.out = nn.Linear(1280, outputs)

    def forward(self, x):
        return self.out(self.backbone(x.float() / 255.0))


def chw(images: np.ndarray) -> np.ndarray:
    """(N, H, W, C) uint8 -> (N, C, H, W) float32 in 0..255 (what the networks here read)."""
    return np.ascontiguousarray(np.asarray(images).transpose(0, 3, 1, 2)).astype(np.float32)


@torch.no_grad()
def embed(images: np.ndarray, size: int = 96, batch: int = 128, progress=None) -> np.ndarray:
    """L2-normalised MobileNetV2 (ImageNet, frozen) features of uint8 images (N, H, W, C)."""
    from workbench.core.models.pretrained import PretrainedFeatures

    net = PretrainedFeatures("mobilenet_v2", images.shape[-1], size, pool=True).eval()
    out = []
    for i in range(0, len(images), batch):
        x = torch.as_tensor(chw(images[i:i + batch])) / 255.0
        out.append(net(x).numpy())
        if progress is not None:
            progress(min(i + batch, len(images)), len(images))
    f = np.concatenate(out).astype(np.float32)
    return f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-8)


def load_images(spec: str, size: int | None = None):
    """"builtin:digits" / "builtin:mnist" or a folder with one subfolder per class ->
    (images uint8 (N, H, W, C), labels (N,), class names, name)."""
    from workbench.core.data.builtins import load_builtin
    from workbench.core.data.images import load_image_folder

    if spec.startswith("builtin:"):
        ds = load_builtin(spec.split(":", 1)[1])
        if ds.kind != "image":
            raise DataError(f"{spec} is not an image set; choose builtin:digits, builtin:mnist or an image folder.")
    else:
        ds = load_image_folder(spec, (size or 64, size or 64))
    X = np.asarray(ds.X)
    if X.ndim == 3:
        X = X[..., None]
    return X, np.asarray(ds.y).astype(int), list(ds.class_names), ds.name
