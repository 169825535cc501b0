"""The ``Pretrained`` layer: an ImageNet network (MobileNetV2 or EfficientNet-Lite0, weights that
ship offline, see ``backbones.py``) that heads any image stack.

Input: images (C, H, W) in [0, 1] (the preprocessing's scaling must be "none"); grey images are
repeated to RGB, resized to ``size`` x ``size`` and normalized with the statistics the network
was trained with, so the user never has to. Output: the 1280 pooled features (``pool`` true) or
the 1280-channel feature map.

Frozen (``fine_tune_from`` "none") the network never changes, so each image's features are
computed once and kept in :data:`FEATURE_CACHE` (keyed by the backbone, the size and a digest of
the input): every epoch after the first trains only the head, which is what makes "a head on 500
images in seconds" possible on a CPU. Fine-tuned from stage N, stages before N stay frozen (their
output is what gets cached) and the rest train. Frozen stages always run in eval mode, so their
batch-norm statistics never drift.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from workbench.core.errors import SpecError
from workbench.core.models.backbones import (
    IMAGENET_MEAN, IMAGENET_STD, EfficientNetLite0, MobileNetV2, load_efficientnet_lite0, load_mobilenet_v2,
)

BACKBONE_CHOICES = ("mobilenet_v2", "efficientnet_lite0")
FEATURES = 1280
_NORMALIZATION = {"mobilenet_v2": (IMAGENET_MEAN, IMAGENET_STD),
                  # the Lite weights come from TensorFlow, trained on (x - 127) / 128
                  "efficientnet_lite0": ((127 / 255,) * 3, (128 / 255,) * 3)}


def n_stages(backbone: str) -> int:
    """Stages of a backbone: MobileNetV2 conv0, block1..17, conv18; EfficientNet-Lite0 stem,
    block0..15, head."""
    return 19 if backbone == "mobilenet_v2" else 18


def feature_side(size: int) -> int:
    """Side of the last feature map for a ``size`` input (both networks downsample by 32)."""
    s = int(size)
    for _ in range(5):
        s = -(-s // 2)
    return s


class _LiteStem(nn.Module):
    def __init__(self, net: EfficientNetLite0):
        super().__init__()
        self.conv, self.bn = net._conv_stem, net._bn0

    def forward(self, x):
        return F.relu6(self.bn(self.conv(x)))


class _LiteHead(nn.Module):
    def __init__(self, net: EfficientNetLite0):
        super().__init__()
        self.conv, self.bn = net._conv_head, net._bn1

    def forward(self, x):
        return F.relu6(self.bn(self.conv(x)))


def _stages(backbone: str, load_weights: bool) -> list[nn.Module]:
    if backbone == "mobilenet_v2":
        net = load_mobilenet_v2() if load_weights else MobileNetV2()
        return list(net.features)
    net = load_efficientnet_lite0() if load_weights else EfficientNetLite0()
    return [_LiteStem(net), *net._blocks, _LiteHead(net)]


class FeatureCache:
    """Process-wide LRU of frozen-backbone outputs, capped in bytes. Thread-safe."""

    def __init__(self, max_bytes: int = 512 * 1024 * 1024):
        self.max_bytes = int(max_bytes)
        self._d: OrderedDict = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def clear(self) -> None:
        with self._lock:
            self._d.clear()
            self._bytes = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._d)

    def lookup(self, keys: list) -> list:
        out = []
        with self._lock:
            for k in keys:
                v = self._d.get(k)
                if v is not None:
                    self._d.move_to_end(k)
                    self.hits += 1
                else:
                    self.misses += 1
                out.append(v)
        return out

    def store(self, keys: list, values: torch.Tensor) -> None:
        with self._lock:
            for k, v in zip(keys, values):
                if k in self._d:
                    continue
                v = v.detach().to("cpu", copy=True)
                self._d[k] = v
                self._bytes += v.element_size() * v.nelement()
            while self._bytes > self.max_bytes and self._d:
                _, old = self._d.popitem(last=False)
                self._bytes -= old.element_size() * old.nelement()


FEATURE_CACHE = FeatureCache()


def _digests(x: torch.Tensor) -> list[bytes]:
    a = x.detach().to("cpu").contiguous().numpy()
    return [hashlib.blake2b(row.tobytes(), digest_size=16).digest() for row in a]


class PretrainedFeatures(nn.Module):
    """The module behind a ``Pretrained`` layer (see the module docstring)."""

    def __init__(self, backbone: str = "mobilenet_v2", in_channels: int = 3, size: int = 128,
                 fine_tune_from: int | None = None, pool: bool = True, load_weights: bool = True):
        super().__init__()
        if backbone not in BACKBONE_CHOICES:
            raise SpecError(f"Unknown backbone {backbone!r}; choose one of {', '.join(BACKBONE_CHOICES)}.")
        self.backbone, self.size, self.pool = backbone, int(size), bool(pool)
        self.in_channels = int(in_channels)
        self.stages = nn.ModuleList(_stages(backbone, load_weights))
        n = len(self.stages)
        self.frozen_upto = n if fine_tune_from is None else int(fine_tune_from)
        mean, std = _NORMALIZATION[backbone]
        self.register_buffer("mean", torch.tensor(mean).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(std).view(1, 3, 1, 1), persistent=False)
        for i, st in enumerate(self.stages):
            for p in st.parameters():
                p.requires_grad_(i >= self.frozen_upto)
        self.use_cache = True  # off for Grad-CAM (needs the graph) and export
        self.augmenting = False  # set by the model while it augments training batches (all new images)
        self._key = (backbone, self.size, self.frozen_upto, self.pool, self.in_channels)

    @property
    def fully_frozen(self) -> bool:
        return self.frozen_upto >= len(self.stages)

    def train(self, mode: bool = True):
        super().train(mode)
        for st in self.stages[: self.frozen_upto]:
            st.eval()  # frozen stages keep their ImageNet batch-norm statistics
        return self

    def normalize(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        if x.shape[-2] != self.size or x.shape[-1] != self.size:
            x = F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)
        return (x - self.mean) / self.std

    def _frozen_part(self, x: torch.Tensor) -> torch.Tensor:
        x = self.normalize(x)
        for st in self.stages[: self.frozen_upto]:
            x = st(x)
        if self.fully_frozen and self.pool:
            x = x.mean(dim=(2, 3))
        return x

    def _cached_frozen_part(self, x: torch.Tensor) -> torch.Tensor:
        keys = [(self._key, d) for d in _digests(x)]
        found = FEATURE_CACHE.lookup(keys)
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            with torch.no_grad():
                new = self._frozen_part(x[missing])
            FEATURE_CACHE.store([keys[i] for i in missing], new)
            for j, i in enumerate(missing):
                found[i] = new[j]
        return torch.stack([v.to(x.device) for v in found])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        caching = (self.use_cache and not self.augmenting and self.frozen_upto > 0 and not torch.jit.is_tracing()
                   and not torch.onnx.is_in_onnx_export())
        if caching:
            x = self._cached_frozen_part(x)
        else:
            x = self._frozen_part(x)
        for st in self.stages[self.frozen_upto:]:
            x = st(x)
        if self.pool and not self.fully_frozen:
            x = x.mean(dim=(2, 3))
        return x

    @property
    def cam_stage(self) -> nn.Module:
        """The last stage with a spatial output (Grad-CAM reads it)."""
        return self.stages[-1]


def pretrained_modules(model: nn.Module) -> list[PretrainedFeatures]:
    return [m for m in model.modules() if isinstance(m, PretrainedFeatures)]


class cache_disabled:
    """``with cache_disabled(model):`` run the backbones of ``model`` without the feature cache."""

    def __init__(self, model: nn.Module):
        self.mods = pretrained_modules(model)
        self.before: list[bool] = []

    def __enter__(self):
        self.before = [m.use_cache for m in self.mods]
        for m in self.mods:
            m.use_cache = False
        return self

    def __exit__(self, *exc):
        for m, b in zip(self.mods, self.before):
            m.use_cache = b
        return False
