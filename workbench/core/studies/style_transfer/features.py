"""Named feature read-outs from a backbone, prepared for many forward/backward passes.

Speed choices (measured in ``benchmarks/style_transfer.py``):
- the network is truncated after the last layer any loss needs;
- BatchNorm is frozen (inference statistics), so it is folded into the preceding convolution:
  the same function, one op fewer per layer in the forward and the backward pass;
- activations run in place where autograd allows it;
- parameters never require gradients (only the image does);
- optionally channels_last memory format.
"""
from __future__ import annotations

import copy
import threading

import torch
from torch import nn

from workbench.core.errors import WorkbenchError
from workbench.core.models.backbones import BackboneInfo, MBConvLite, _StemLite, build_backbone

_CACHE: dict[tuple[str, str], BackboneInfo] = {}
_CACHE_LOCK = threading.Lock()


def get_backbone(name: str, weights_path: str | None = None) -> BackboneInfo:
    """Load a backbone once per process (loading takes ~0.3 s; the app re-runs often)."""
    key = (name, str(weights_path or ""))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = build_backbone(name, weights_path)
        return _CACHE[key]


def _fuse(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    fused = copy.deepcopy(conv)
    scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    fused.weight = nn.Parameter(conv.weight.detach() * scale.reshape(-1, 1, 1, 1), requires_grad=False)
    bias = conv.bias.detach() if conv.bias is not None else torch.zeros_like(bn.running_mean)
    fused.bias = nn.Parameter((bias - bn.running_mean) * scale + bn.bias.detach(), requires_grad=False)
    return fused


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """A copy of ``module`` with every frozen BatchNorm folded into the conv before it."""
    m = copy.deepcopy(module)

    def visit(mod: nn.Module) -> None:
        if isinstance(mod, nn.Sequential):
            kids = list(mod._modules.items())
            for (k1, a), (k2, b) in zip(kids, kids[1:]):
                if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
                    mod._modules[k1] = _fuse(a, b)
                    mod._modules[k2] = nn.Identity()
        if isinstance(mod, MBConvLite):
            pairs = [("_depthwise_conv", "_bn1"), ("_project_conv", "_bn2")]
            if mod.has_expand:
                pairs.append(("_expand_conv", "_bn0"))
            for c, b in pairs:
                setattr(mod, c, _fuse(getattr(mod, c), getattr(mod, b)))
                setattr(mod, b, nn.Identity())
        if isinstance(mod, _StemLite):
            mod.conv = _fuse(mod.conv, mod.bn)
            mod.bn = nn.Identity()
        for child in mod.children():
            visit(child)

    visit(m)
    return m


class FeatureExtractor(nn.Module):
    """Runs the backbone up to the last requested layer; ``forward`` returns {layer name: tensor}.

    Input: RGB float images in [0, 1], shape (N, 3, H, W); ImageNet-style normalization is applied here.
    """

    def __init__(self, info: BackboneInfo, layers: list[str], fuse_bn: bool = True, channels_last: bool = False):
        super().__init__()
        names = info.layer_names
        unknown = [n for n in layers if n not in names]
        if unknown:
            raise WorkbenchError(
                f"{info.name} has no layer {unknown[0]!r}; choose from {', '.join(names)}."
            )
        if not layers:
            raise WorkbenchError("Choose at least one feature layer.")
        last = max(names.index(n) for n in layers)
        stages = [m for _, m in info.stages[: last + 1]]
        self.names = names[: last + 1]
        self.wanted = set(layers)
        seq = nn.Sequential(*stages)
        seq = fold_batchnorm(seq) if fuse_bn else copy.deepcopy(seq)
        seq.eval().requires_grad_(False)
        self.stages = seq
        self.channels_last = channels_last
        if channels_last:
            self.stages = self.stages.to(memory_format=torch.channels_last)
        self.register_buffer("mean", torch.tensor(info.mean).reshape(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(info.std).reshape(1, 3, 1, 1))

    def forward(self, img: torch.Tensor) -> dict[str, torch.Tensor]:
        x = (img - self.mean) / self.std
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        out = {}
        for name, stage in zip(self.names, self.stages):
            x = stage(x)
            if name in self.wanted:
                out[name] = x
        return out
