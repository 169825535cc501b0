"""Model specs: a JSON-serializable stack of layers that `build_model` turns into an nn.Module.

A spec says *what* the layers are; the input and output shapes come from the data when the
model is built, so one spec (e.g. the "mlp" preset) fits many data sets.

JSON form (``ModelSpec.to_dict``)::

    {"schema_version": 1, "name": "imdb", "description": "...",
     "layers": [{"type": "Dense", "params": {"units": 16}, "activation": "relu", "l1": 0.0, "l2": 0.0}, ...]}

Hand-written files may also put a layer's settings next to ``type`` ("units": 16); they are
folded into ``params`` on loading. Type and activation names are matched case-insensitively and a
few Keras spellings are accepted ("Conv2d", "MaxPooling2D", "TimeDistributed", "linear").
"""
from __future__ import annotations

import copy
import math
import os
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import ProjectError, SpecError

SCHEMA_VERSION = 1

ACTIVATIONS = ("relu", "leaky_relu", "gelu", "tanh", "sigmoid", "softmax", "none")
_ACTIVATION_ALIASES = {
    "linear": "none", "identity": "none", "": "none", "leakyrelu": "leaky_relu", "leaky relu": "leaky_relu",
    "leaky-relu": "leaky_relu",
}


@dataclass(frozen=True)
class ParamInfo:
    """One setting of a layer type: its kind ("int", "size", "padding", "rate", "bool", "float", "shape"),
    its default (None = required) and a short help text for editors."""

    kind: str
    default: Any
    help: str


@dataclass(frozen=True)
class LayerType:
    name: str
    params: dict[str, ParamInfo]
    inputs: tuple[str, ...]  # input kinds it accepts: "flat", "sequence", "image" ("flat" token ids for Embedding)
    has_weights: bool
    help: str


def _p(kind: str, default: Any, help: str) -> ParamInfo:
    return ParamInfo(kind, default, help)


LAYER_TYPES: dict[str, LayerType] = {
    t.name: t
    for t in [
        LayerType("Dense", {"units": _p("int", None, "number of outputs")}, ("flat",), True,
                  "fully connected layer on a flat vector"),
        LayerType("TimeDense", {"units": _p("int", None, "outputs per time step")}, ("sequence",), True,
                  "the same Dense layer applied at every time step (Keras TimeDistributed(Dense))"),
        LayerType("Conv2D", {"filters": _p("int", None, "number of filters"),
                             "kernel": _p("size", 3, "kernel size (n or [h, w])"),
                             "stride": _p("size", 1, "step (n or [h, w])"),
                             "padding": _p("padding", "valid", "'valid' (shrinks) or 'same' (keeps size / stride)")},
                  ("image",), True, "2-D convolution on images (C, H, W)"),
        LayerType("Conv1D", {"filters": _p("int", None, "number of filters"),
                             "kernel": _p("int", 3, "kernel length in time steps"),
                             "stride": _p("int", 1, "step in time steps"),
                             "padding": _p("padding", "valid", "'valid' (shrinks) or 'same' (keeps T / stride)")},
                  ("sequence",), True, "1-D convolution over time on sequences (T, F)"),
        LayerType("MaxPool", {"size": _p("size", 2, "window (n or [h, w] on images)"),
                              "stride": _p("size", None, "step; default = size")},
                  ("image", "sequence"), False, "max pooling: 2-D on images, over time on sequences"),
        LayerType("AvgPool", {"size": _p("size", 2, "window (n or [h, w] on images)"),
                              "stride": _p("size", None, "step; default = size")},
                  ("image", "sequence"), False, "average pooling: 2-D on images, over time on sequences"),
        LayerType("GlobalAvgPool", {}, ("image", "sequence"), False,
                  "mean over the image (per channel) or over time (per feature)"),
        LayerType("Flatten", {}, ("flat", "image", "sequence"), False, "flatten to one vector per sample"),
        LayerType("Dropout", {"rate": _p("rate", None, "fraction of values zeroed while training, in [0, 1)")},
                  ("flat", "image", "sequence"), False, "randomly zero values while training"),
        LayerType("BatchNorm", {"momentum": _p("float", 0.1, "running-statistics momentum (PyTorch convention)"),
                                "eps": _p("float", 1e-5, "added to the variance")},
                  ("flat", "image", "sequence"), True,
                  "batch normalization: per feature, per channel on images, per feature at every time step"),
        LayerType("GRU", {"units": _p("int", None, "hidden size"),
                          "return_sequences": _p("bool", False, "output every time step (T, units) or the last"),
                          "dropout": _p("rate", 0.0, "dropout on the layer's inputs, in [0, 1)")},
                  ("sequence",), True, "gated recurrent unit layer on sequences (T, F)"),
        LayerType("LSTM", {"units": _p("int", None, "hidden size"),
                           "return_sequences": _p("bool", False, "output every time step (T, units) or the last"),
                           "dropout": _p("rate", 0.0, "dropout on the layer's inputs, in [0, 1)")},
                  ("sequence",), True, "long short-term memory layer on sequences (T, F)"),
        LayerType("Activation", {}, ("flat", "image", "sequence"), False, "only the activation function"),
        LayerType("Embedding", {"dim": _p("int", None, "numbers per token (the embedding size)"),
                                "vocab": _p("optint", None, "number of token ids; empty = from the data "
                                                            "(vocabulary + padding + unknown)")},
                  ("flat",), True, "a learned vector per token id: token sequences (L,) -> (L, dim); id 0 is "
                                   "padding (always the zero vector), ids past the vocabulary count as unknown"),
        LayerType("GlobalMaxPool", {}, ("image", "sequence"), False,
                  "maximum over the image (per channel) or over time (per feature)"),
        LayerType("Pretrained", {"backbone": _p("backbone", "mobilenet_v2", "mobilenet_v2 or efficientnet_lite0 "
                                                "(ImageNet weights that ship with Workbench)"),
                                 "size": _p("int", 128, "images are resized to size x size for the network"),
                                 "fine_tune_from": _p("stage", "none", "'none' keeps the network frozen (features "
                                                      "computed once and cached); N trains stage N onwards"),
                                 "pool": _p("bool", True, "average the 1280 feature maps to one vector")},
                  ("image",), True, "an ImageNet network (normalization and resizing done for you) as the first "
                                    "layers of an image model"),
        LayerType("AsImage", {}, ("sequence",), False,
                  "treat a sequence (T, F), e.g. a spectrogram, as a one-channel image (1, T, F) for Conv2D layers"),
        # decoders (autoencoders): back from a code to an image
        LayerType("Reshape", {"shape": _p("shape", None, "the new per-sample shape, e.g. [64, 7, 7] (C, H, W) "
                                                         "or [T, F]; same number of values")},
                  ("flat", "image", "sequence"), False, "lay the same values out in a new shape"),
        LayerType("Upsample", {"size": _p("size", 2, "factor (n or [h, w] on images)")},
                  ("image", "sequence"), False,
                  "repeat each pixel (nearest neighbour) to make an image n times larger; over time on sequences"),
        LayerType("ConvTranspose2D", {"filters": _p("int", None, "number of filters"),
                                      "kernel": _p("size", 3, "kernel size (n or [h, w])"),
                                      "stride": _p("size", 1, "upsampling step (n or [h, w])"),
                                      "padding": _p("padding", "valid",
                                                    "'valid' (grows by kernel - 1) or 'same' (size x stride)")},
                  ("image",), True, "transposed 2-D convolution: a learned upsampling of images (C, H, W)"),
        LayerType("GaussianNoise", {"stddev": _p("float", None, "standard deviation of the noise added")},
                  ("flat", "image", "sequence"), False,
                  "add random noise while training only (a denoising autoencoder's corrupted input)"),
    ]
}

_TYPE_ALIASES = {
    "dense": "Dense", "linear": "Dense", "fc": "Dense",
    "timedense": "TimeDense", "timedistributed": "TimeDense", "timedistributeddense": "TimeDense",
    "conv2d": "Conv2D", "convolution2d": "Conv2D", "conv": "Conv2D",
    "conv1d": "Conv1D", "convolution1d": "Conv1D",
    "maxpool": "MaxPool", "maxpool2d": "MaxPool", "maxpooling2d": "MaxPool", "maxpool1d": "MaxPool",
    "maxpooling1d": "MaxPool",
    "avgpool": "AvgPool", "avgpool2d": "AvgPool", "averagepooling2d": "AvgPool", "avgpool1d": "AvgPool",
    "averagepooling1d": "AvgPool",
    "globalavgpool": "GlobalAvgPool", "globalaveragepooling2d": "GlobalAvgPool",
    "globalaveragepooling1d": "GlobalAvgPool", "globalavgpool2d": "GlobalAvgPool",
    "flatten": "Flatten", "dropout": "Dropout",
    "batchnorm": "BatchNorm", "batchnormalization": "BatchNorm", "batchnorm1d": "BatchNorm",
    "batchnorm2d": "BatchNorm",
    "gru": "GRU", "lstm": "LSTM", "activation": "Activation",
    "embedding": "Embedding", "embed": "Embedding",
    "globalmaxpool": "GlobalMaxPool", "globalmaxpooling1d": "GlobalMaxPool", "globalmaxpooling2d": "GlobalMaxPool",
    "globalmaxpool1d": "GlobalMaxPool", "globalmaxpool2d": "GlobalMaxPool",
    "pretrained": "Pretrained", "backbone": "Pretrained", "asimage": "AsImage", "toimage": "AsImage",
    "reshape": "Reshape", "upsample": "Upsample", "upsampling2d": "Upsample", "upsampling1d": "Upsample",
    "upsample2d": "Upsample", "convtranspose2d": "ConvTranspose2D", "conv2dtranspose": "ConvTranspose2D",
    "deconv2d": "ConvTranspose2D", "deconvolution2d": "ConvTranspose2D", "gaussiannoise": "GaussianNoise",
    "noise": "GaussianNoise",
}


def canonical_type(name: Any) -> str | None:
    """The canonical layer type for a (case-insensitive, Keras-ish) name, or None."""
    if not isinstance(name, str):
        return None
    return _TYPE_ALIASES.get(name.strip().lower().replace("_", "").replace(" ", ""))


def canonical_name(name: Any, known, aliases: dict | None = None, none: str | None = None) -> str | None:
    """``name`` as one of ``known`` (case-insensitive, through ``aliases``); ``none`` when the name
    is missing (None); None when it is unknown."""
    if name is None:
        return none
    if not isinstance(name, str):
        return None
    key = name.strip().lower()
    key = (aliases or {}).get(key, key)
    return key if key in known else None


def canonical_activation(name: Any) -> str | None:
    return canonical_name(name, ACTIVATIONS, _ACTIVATION_ALIASES, none="none")


def layer_label(index: int, type_name: str) -> str:
    """How messages name a layer: 'layer 3 (Conv2D)' for index 2 (people count from 1)."""
    return f"layer {index + 1} ({type_name})"


@dataclass
class LayerSpec:
    """One layer: its type, its settings, the activation applied after it, and L1/L2 penalties
    on its weights (kernel / recurrent matrices / batch-norm scale; never biases)."""

    type: str
    params: dict[str, Any] = field(default_factory=dict)
    activation: str = "none"
    l1: float = 0.0
    l2: float = 0.0

    def __post_init__(self):
        if self.activation is None:
            self.activation = "none"
        self.params = dict(self.params or {})

    @classmethod
    def make(cls, type: str, activation: str = "none", l1: float = 0.0, l2: float = 0.0, **params) -> "LayerSpec":
        """Convenience: ``LayerSpec.make("Dense", units=16, activation="relu")``."""
        return cls(type=type, params=params, activation=activation, l1=l1, l2=l2)

    def to_dict(self) -> dict:
        return {"type": self.type, "params": copy.deepcopy(self.params), "activation": self.activation,
                "l1": self.l1, "l2": self.l2}

    @classmethod
    def from_dict(cls, d: dict, index: int | None = None) -> "LayerSpec":
        where = f"layer {index + 1}" if index is not None else "a layer"
        if not isinstance(d, dict) or "type" not in d:
            raise SpecError(f"{where} of the model spec is not an object with a 'type'.", layer_index=index)
        params = dict(d.get("params") or {})
        for k, v in d.items():  # settings written next to "type" in hand-written files
            if k not in ("type", "params", "activation", "l1", "l2"):
                params[k] = v
        return cls(type=d["type"], params=params, activation=d.get("activation", "none"),
                   l1=d.get("l1", 0.0) or 0.0, l2=d.get("l2", 0.0) or 0.0)

    @property
    def canonical_type(self) -> str | None:
        return canonical_type(self.type)

    def resolved(self, index: int) -> tuple[str, dict[str, Any], str]:
        """Check the static settings and return (type, params with defaults, activation).

        Raises SpecError naming the layer for an unknown type / activation / setting, a missing
        required setting, or a value out of range. Shape checks happen in the builder."""
        tname = canonical_type(self.type)
        if tname is None:
            raise SpecError(
                f"layer {index + 1} has an unknown type {self.type!r}; known types: {', '.join(LAYER_TYPES)}.",
                layer_index=index)
        label = layer_label(index, tname)
        ltype = LAYER_TYPES[tname]
        act = canonical_activation(self.activation)
        if act is None:
            raise SpecError(f"{label} has an unknown activation {self.activation!r}; "
                            f"choose one of {', '.join(ACTIVATIONS)}.", layer_index=index)
        unknown = sorted(set(self.params) - set(ltype.params))
        if unknown:
            known = ", ".join(ltype.params) or "none"
            raise SpecError(f"{label} has unknown setting(s) {', '.join(unknown)}; its settings are: {known}.",
                            layer_index=index)
        out: dict[str, Any] = {}
        for pname, info in ltype.params.items():
            value = self.params.get(pname, info.default)
            if value is None:
                if info.default is None and pname != "stride" and info.kind != "optint":
                    raise SpecError(f"{label} needs a value for '{pname}' ({info.help}).", layer_index=index)
                out[pname] = None
                continue
            out[pname] = _check_value(label, index, pname, info.kind, value)
        for name in ("l1", "l2"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                raise SpecError(f"{label}: {name} must be a number >= 0 (got {v!r}).", layer_index=index)
            if v > 0 and not ltype.has_weights:
                raise SpecError(f"{label} has no weights, so its {name} penalty would do nothing; "
                                f"put {name} on a Dense, Conv or recurrent layer instead.", layer_index=index)
        return tname, out, act


def _check_value(label: str, index: int, pname: str, kind: str, value: Any) -> Any:
    def bad(what: str):
        raise SpecError(f"{label}: '{pname}' must be {what} (got {value!r}).", layer_index=index)

    def as_int(v):
        if isinstance(v, bool):
            return None
        if isinstance(v, int):
            return v
        if isinstance(v, float) and v.is_integer():
            return int(v)
        return None

    if kind in ("int", "optint"):
        v = as_int(value)
        if v is None or v < 1:
            bad("a whole number >= 1")
        return v
    if kind == "size":
        if isinstance(value, (list, tuple)):
            vs = [as_int(x) for x in value]
            if len(vs) not in (1, 2) or any(x is None or x < 1 for x in vs):
                bad("a whole number >= 1 or a pair of them")
            return vs[0] if len(vs) == 1 else (vs[0], vs[1])
        v = as_int(value)
        if v is None or v < 1:
            bad("a whole number >= 1 or a pair of them")
        return v
    if kind == "shape":
        vs = [as_int(x) for x in value] if isinstance(value, (list, tuple)) else [as_int(value)]
        if not 1 <= len(vs) <= 3 or any(x is None or x < 1 for x in vs):
            bad("a list of 1 to 3 whole numbers >= 1, e.g. [64, 7, 7]")
        return tuple(vs)
    if kind == "padding":
        if isinstance(value, str) and value.lower() in ("valid", "same"):
            return value.lower()
        bad("'valid' or 'same'")
    if kind == "rate":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 <= value < 1):
            bad("a number in [0, 1) (the fraction of values dropped)")
        return float(value)
    if kind == "bool":
        if not isinstance(value, bool):
            bad("true or false")
        return value
    if kind == "backbone":
        from workbench.core.models.pretrained import BACKBONE_CHOICES

        if isinstance(value, str) and value.strip().lower() in BACKBONE_CHOICES:
            return value.strip().lower()
        bad(f"one of {', '.join(BACKBONE_CHOICES)}")
    if kind == "stage":
        if isinstance(value, str) and value.strip().lower() in ("none", "frozen", ""):
            return None
        v = as_int(value)
        if v is None or v < 0:
            bad("'none' (frozen) or the index of the first stage to train (0 trains the whole network)")
        return v
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
            bad("a number > 0")
        return float(value)
    raise AssertionError(kind)  # pragma: no cover


@dataclass
class ModelSpec:
    """A stack of layers (the output layer is added by `build_model`; see builder.py)."""

    layers: list[LayerSpec] = field(default_factory=list)
    name: str = ""
    description: str = ""

    def __post_init__(self):
        self.layers = [l if isinstance(l, LayerSpec) else LayerSpec.from_dict(l, i) for i, l in enumerate(self.layers)]

    def copy(self) -> "ModelSpec":
        return ModelSpec.from_dict(self.to_dict())

    def validate(self) -> list[tuple[str, dict, str]]:
        """Static checks of every layer (shapes are checked by the builder). Returns the resolved layers."""
        return [layer.resolved(i) for i, layer in enumerate(self.layers)]

    def to_dict(self) -> dict:
        return {"schema_version": SCHEMA_VERSION, "name": self.name, "description": self.description,
                "layers": [l.to_dict() for l in self.layers]}

    @classmethod
    def from_dict(cls, d: Any) -> "ModelSpec":
        if isinstance(d, list):  # a bare list of layers
            d = {"layers": d}
        if not isinstance(d, dict) or not isinstance(d.get("layers", None), list):
            raise SpecError("A model spec must be a JSON object with a 'layers' list.")
        v = d.get("schema_version", 1)
        if not isinstance(v, int) or v > SCHEMA_VERSION:
            raise ProjectError(f"This model spec was written by a newer version of Workbench (format {v}); "
                               f"this version reads format {SCHEMA_VERSION} or older. Please update Workbench.")
        layers = [LayerSpec.from_dict(l, i) for i, l in enumerate(d["layers"])]
        return cls(layers=layers, name=str(d.get("name", "") or ""), description=str(d.get("description", "") or ""))

    def save(self, path: str | os.PathLike, atomic: bool = True) -> None:
        from workbench.core.jsonio import atomic_write_json, to_json

        if atomic:
            atomic_write_json(path, self.to_dict())
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(to_json(self.to_dict()))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "ModelSpec":
        from workbench.core.jsonio import read_json

        spec = cls.from_dict(read_json(path, kind="model spec", max_version=SCHEMA_VERSION))
        spec.validate()
        return spec
