"""Turn a ModelSpec into an nn.Module for given input and output shapes.

Input shapes (per sample): images (C, H, W), tables / text (F,), sequences (T, F) (T may be None
for "any length"). Shapes are computed layer by layer before anything is built, so a stack that
cannot work is rejected with a SpecError naming the layer ("layer 3 (Conv2D) ...") before training.

Layout rules:
- Sequences stay (N, T, F) between layers; Conv1D / pooling / BatchNorm on sequences work over
  time internally. BatchNorm on a sequence normalizes each feature with statistics over the
  batch and all time steps (Keras' BatchNormalization on (N, T, F)).
- Dense needs a flat input: put Flatten or GlobalAvgPool after Conv2D (no silent auto-flatten:
  seeing the Flatten and its size is part of learning CNNs); on sequences use TimeDense, or a
  GRU / LSTM with return_sequences false.
- The output layer: for per-sample tasks a Dense with K units (K from ``output_shape`` = (K,)),
  for per-time-step tasks (head.task "sequence_*" or a 2-D ``output_shape`` (T, K)) a TimeDense
  with K units. If the spec's last layer already is that Dense / TimeDense with exactly K units,
  it *is* the output layer and nothing is added; its activation is then taken over by the head
  (the module returns raw outputs; ``head.activate`` applies the head's activation), and a note
  says so when the two differ. A last Dense / TimeDense with a sigmoid or softmax but the wrong
  number of units is rejected (it was meant as an output layer). Otherwise a Dense / TimeDense
  output layer is appended.
- Per-time-step outputs are (N, T, K) (K = 1 for a (T,) ``output_shape``).
- L1 / L2 are Keras-style: l1 * sum|w| + l2 * sum(w^2) over the layer's weight matrices (Dense /
  Conv kernels, both GRU / LSTM matrices, BatchNorm scale), never biases; `module.penalty()`.
- Weights use PyTorch's default initialisation, so they are deterministic under torch.manual_seed.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from workbench.core.errors import SpecError
from workbench.core.models.heads import Head
from workbench.core.models.spec import ModelSpec, layer_label

Shape = tuple
# Token ids an Embedding without a "vocab" setting expects: the default vocabulary (10,000 words)
# plus padding and unknown. Training fills in the data's own count (``with_token_count``).
DEFAULT_TOKEN_IDS = 10002
OOV_ID = 1  # workbench.core.data.text: 0 = padding, 1 = unknown token


def _kind(shape: Shape) -> str:
    return {1: "flat", 2: "sequence", 3: "image"}[len(shape)]


def format_shape(shape: Shape) -> str:
    return "(" + ", ".join("T" if d is None else str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _describe_input(shape: Shape) -> str:
    k = _kind(shape)
    if k == "flat":
        return f"a flat vector of {shape[0]} values (a table or text)"
    if k == "sequence":
        return f"a sequence (T, F) = {format_shape(shape)}"
    return f"images (C, H, W) = {format_shape(shape)}"


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


@dataclass
class PlannedLayer:
    index: int  # position in the spec; len(spec.layers) for an added output layer
    type: str
    params: dict
    activation: str  # applied inside the module ("none" for the output layer: the head applies it)
    l1: float
    l2: float
    in_shape: Shape
    out_shape: Shape
    role: str = "hidden"  # "hidden", "output" (the spec's own last layer) or "added-output"
    declared_activation: str = "none"

    @property
    def label(self) -> str:
        return layer_label(self.index, self.type)


@dataclass
class Plan:
    layers: list[PlannedLayer]
    input_shape: Shape
    output_shape: Shape
    sequence_output: bool
    notes: list[str] = field(default_factory=list)


def _check_input_shape(input_shape: Any) -> Shape:
    if isinstance(input_shape, int):
        input_shape = (input_shape,)
    try:
        shape = tuple(None if d is None else int(d) for d in input_shape)
    except (TypeError, ValueError):
        raise SpecError(f"The input shape {input_shape!r} is not a list of sizes.") from None
    ok = len(shape) in (1, 2, 3) and all(d is None or d >= 1 for d in shape)
    ok = ok and all(d is not None for i, d in enumerate(shape) if not (len(shape) == 2 and i == 0))
    if not ok:
        raise SpecError(f"The input shape {input_shape!r} is not supported: images must be (C, H, W), tables and "
                        f"text (F,), sequences (T, F) with sizes >= 1.")
    return shape


def _image_output(output_shape: Any) -> tuple | None:
    """(C, H, W) when the targets are images (an autoencoder's reconstructions), else None."""
    if isinstance(output_shape, int):
        return None
    shape = tuple(output_shape)
    return tuple(int(d) for d in shape) if len(shape) == 3 and all(d is not None for d in shape) else None


def _plan_image_output(planned: list[PlannedLayer], resolved, out_shape: tuple, notes: list[str],
                       head: Head | None, in_shape: Shape) -> None:
    """Image outputs get no added layer: the spec's last layer must already give (C, H, W)."""
    got = planned[-1].out_shape if planned else in_shape
    if tuple(got) != tuple(out_shape):
        idx = len(planned) - 1 if planned else None
        who = planned[-1].label if planned else "The input"
        raise SpecError(f"The targets are images {format_shape(out_shape)}, but {who} outputs "
                        f"{format_shape(got)}; end the model with a layer that gives exactly "
                        f"{format_shape(out_shape)} (e.g. a ConvTranspose2D or Conv2D with {out_shape[0]} "
                        f"filter(s), or Dense + Reshape).", layer_index=idx)
    last = planned[-1]
    last.role, act = "output", last.activation
    last.activation = "none"  # the head applies its activation to the raw outputs
    if act not in ("none", head.activation if head else act):
        notes.append(f"{last.label} is the output layer; the head applies its activation "
                     f"({head.activation if head else 'none'}), not the layer's '{act}'.")


def _output_layout(output_shape: Any, head: Head | None) -> tuple[bool, int, int | None]:
    """-> (per-time-step?, units K, expected T or None)."""
    if isinstance(output_shape, int):
        output_shape = (output_shape,)
    shape = tuple(None if d is None else int(d) for d in output_shape)
    seq = head.is_sequence if head is not None else len(shape) == 2
    if seq:
        if len(shape) == 1:
            shape = (shape[0], 1)
        if len(shape) != 2 or shape[1] is None or shape[1] < 1:
            raise SpecError(f"Per-time-step outputs need an output shape (T,) or (T, K), not {output_shape!r}.")
        return True, shape[1], shape[0]
    if len(shape) != 1 or shape[0] is None or shape[0] < 1:
        raise SpecError(f"The output shape {output_shape!r} is not supported: use (K,) with K >= 1 outputs "
                        f"(or a per-time-step head with (T, K)).")
    return False, shape[0], None


def _conv_len(n: int | None, k: int, s: int, padding: str) -> int | None:
    if n is None:
        return None
    if padding == "same":
        return -(-n // s)
    return (n - k) // s + 1 if n >= k else 0


def _infer(tname: str, p: dict, shape: Shape, label: str, i: int) -> Shape:
    kind = _kind(shape)

    def fail(msg: str):
        raise SpecError(f"{label} {msg}", layer_index=i)

    if tname == "Dense":
        if kind == "image":
            fail(f"needs a flat vector, but its input is {_describe_input(shape)}; add Flatten or GlobalAvgPool "
                 f"before it.")
        if kind == "sequence":
            fail(f"needs a flat vector, but its input is {_describe_input(shape)}; use TimeDense for a Dense "
                 f"layer at every time step, or put a GRU / LSTM (return_sequences false), Flatten or "
                 f"GlobalAvgPool before it.")
        return (p["units"],)
    if tname == "TimeDense":
        if kind != "sequence":
            fail(f"works on sequences (T, F), but its input is {_describe_input(shape)}; use Dense instead.")
        return (shape[0], p["units"])
    if tname == "Conv2D":
        if kind == "flat":
            fail(f"needs images (C, H, W), but its input is {_describe_input(shape)}; use Dense layers, or "
                 f"load the data as images.")
        if kind == "sequence":
            fail(f"needs images (C, H, W), but its input is {_describe_input(shape)}; use Conv1D on sequences.")
        (kh, kw), (sh, sw) = _pair(p["kernel"]), _pair(p["stride"])
        c, h, w = shape
        oh, ow = _conv_len(h, kh, sh, p["padding"]), _conv_len(w, kw, sw, p["padding"])
        if oh < 1 or ow < 1:
            fail(f"has a {kh}x{kw} kernel that does not fit its {h}x{w} input; use padding 'same', a smaller "
                 f"kernel, or fewer pooling layers before it.")
        return (p["filters"], oh, ow)
    if tname == "Conv1D":
        if kind != "sequence":
            other = "use Conv2D on images" if kind == "image" else "use Dense layers, or load the data as sequences"
            fail(f"needs a sequence (T, F), but its input is {_describe_input(shape)}; {other}.")
        t = _conv_len(shape[0], p["kernel"], p["stride"], p["padding"])
        if t is not None and t < 1:
            fail(f"has a kernel of {p['kernel']} steps that does not fit its {shape[0]}-step input; use padding "
                 f"'same' or a smaller kernel.")
        return (t, p["filters"])
    if tname in ("MaxPool", "AvgPool"):
        size = p["size"]
        stride = p["stride"] if p["stride"] is not None else size
        if kind == "flat":
            fail(f"pools images or sequences, but its input is {_describe_input(shape)}; remove it.")
        if kind == "image":
            (kh, kw), (sh, sw) = _pair(size), _pair(stride)
            c, h, w = shape
            oh, ow = _conv_len(h, kh, sh, "valid"), _conv_len(w, kw, sw, "valid")
            if oh < 1 or ow < 1:
                fail(f"shrinks its {h}x{w} input to {oh}x{ow}; use a smaller size or fewer pooling layers.")
            return (c, oh, ow)
        if not isinstance(size, int) or not isinstance(stride, int):
            fail("pools over time on a sequence and needs a single whole number for 'size' and 'stride'.")
        t = _conv_len(shape[0], size, stride, "valid")
        if t is not None and t < 1:
            fail(f"shrinks its {shape[0]}-step input to {t} steps; use a smaller size.")
        return (t, shape[1])
    if tname == "Embedding":
        if i != 0:
            fail("reads token ids, so it must be the first layer; move it to the top.")
        if kind != "flat":
            fail(f"reads token sequences (L,), but its input is {_describe_input(shape)}; load text as token "
                 f"sequences (text representation: sequence).")
        return (shape[0], p["dim"])
    if tname in ("GlobalAvgPool", "GlobalMaxPool"):
        if kind == "flat":
            fail(f"averages over an image or over time, but its input is {_describe_input(shape)}; remove it.")
        return (shape[0],) if kind == "image" else (shape[1],)
    if tname == "Flatten":
        if any(d is None for d in shape):
            fail("cannot flatten sequences of unknown length; use GlobalAvgPool or a GRU / LSTM instead.")
        return (math.prod(shape),)
    if tname in ("GRU", "LSTM"):
        if kind == "image":
            fail(f"needs a sequence (T, F), but its input is {_describe_input(shape)}; recurrent layers do not "
                 f"work on images: use Conv2D layers, or load the data as sequences.")
        if kind == "flat":
            fail(f"needs a sequence (T, F), but its input is {_describe_input(shape)}; load the data as "
                 f"sequences, or use Dense layers.")
        return (shape[0], p["units"]) if p["return_sequences"] else (p["units"],)
    if tname == "Pretrained":
        from workbench.core.models.pretrained import FEATURES, feature_side, n_stages

        if kind != "image":
            fail(f"needs images (C, H, W), but its input is {_describe_input(shape)}; for this data choose a model "
                 f"that reads it (Presets: mlp for tables, imdb for texts), or load an image folder.")
        if i != 0:
            fail("must be the first layer: it reads the images themselves (in [0, 1]).")
        if shape[0] not in (1, 3):
            fail(f"needs grey or RGB images, but its input has {shape[0]} channels.")
        n = n_stages(p["backbone"])
        if p["fine_tune_from"] is not None and p["fine_tune_from"] >= n:
            fail(f"has fine_tune_from {p['fine_tune_from']}, but {p['backbone']} has stages 0..{n - 1}; "
                 f"use 'none' to keep it frozen.")
        if p["size"] < 32:
            fail(f"resizes images to {p['size']} px; the network needs at least 32.")
        if p["pool"]:
            return (FEATURES,)
        side = feature_side(p["size"])
        return (FEATURES, side, side)
    if tname == "AsImage":
        if kind != "sequence" or shape[0] is None:
            fail(f"turns a fixed-length sequence (T, F) into an image, but its input is {_describe_input(shape)}.")
        return (1, shape[0], shape[1])
    if tname == "Reshape":
        if any(d is None for d in shape):
            fail("cannot reshape sequences of unknown length; give the data a fixed length first.")
        new = tuple(p["shape"])
        if math.prod(new) != math.prod(shape):
            fail(f"turns its input {format_shape(shape)} ({math.prod(shape)} values) into {format_shape(new)} "
                 f"({math.prod(new)} values); the two must hold the same number of values.")
        return new
    if tname == "Upsample":
        if kind == "flat":
            fail(f"enlarges images or sequences, but its input is {_describe_input(shape)}; put a Reshape "
                 f"to (C, H, W) before it.")
        if kind == "image":
            fh, fw = _pair(p["size"])
            return (shape[0], shape[1] * fh, shape[2] * fw)
        if not isinstance(p["size"], int):
            fail("repeats time steps on a sequence and needs a single whole number for 'size'.")
        return (None if shape[0] is None else shape[0] * p["size"], shape[1])
    if tname == "ConvTranspose2D":
        if kind != "image":
            fail(f"needs images (C, H, W), but its input is {_describe_input(shape)}; put a Reshape to "
                 f"(C, H, W) before it.")
        (kh, kw), (sh, sw) = _pair(p["kernel"]), _pair(p["stride"])
        c, h, w = shape
        if p["padding"] == "same":
            return (p["filters"], h * sh, w * sw)
        return (p["filters"], (h - 1) * sh + kh, (w - 1) * sw + kw)
    # Dropout, BatchNorm, Activation keep the shape
    return shape


def plan_model(spec: ModelSpec, input_shape: Any, output_shape: Any, head: Head | dict | None = None) -> Plan:
    """Check a spec against the data's shapes and lay out every layer (no tensors are made)."""
    if isinstance(head, dict):
        head = Head.from_dict(head)
    if not isinstance(spec, ModelSpec):
        raise SpecError(f"Expected a ModelSpec, got {type(spec).__name__}.")
    resolved = spec.validate()
    in_shape = _check_input_shape(input_shape)
    image_out = _image_output(output_shape)
    if image_out is not None:
        planned_img: list[PlannedLayer] = []
        shape = in_shape
        for i, ((tname, params, act), ls) in enumerate(zip(resolved, spec.layers)):
            out = _infer(tname, params, shape, layer_label(i, tname), i)
            planned_img.append(PlannedLayer(i, tname, params, act, float(ls.l1), float(ls.l2), shape, out,
                                            "hidden", act))
            shape = out
        notes_img: list[str] = []
        _plan_image_output(planned_img, resolved, image_out, notes_img, head, in_shape)
        return Plan(planned_img, in_shape, image_out, False, notes_img)
    seq_out, units, out_t = _output_layout(output_shape, head)
    n = len(resolved)
    notes: list[str] = []
    if head is not None and head.activation == "softmax" and units == 1:
        notes.append("The head's softmax runs over a single output, which is always 1.0: the model cannot learn; "
                     "use sigmoid, or two outputs.")

    explicit = False
    if n:
        tname, params, act = resolved[-1]
        want = "TimeDense" if seq_out else "Dense"
        if tname == want and params["units"] == units:
            explicit = True
        elif tname in ("Dense", "TimeDense") and act in ("sigmoid", "softmax"):
            per = " per time step" if seq_out else ""
            raise SpecError(
                f"{layer_label(n - 1, tname)} looks like an output layer ({params['units']} unit(s), {act}), but "
                f"these targets need {units} output(s){per} from a {want}: set its units to {units}, or remove it "
                f"(the output layer is added automatically).", layer_index=n - 1)

    planned: list[PlannedLayer] = []
    shape = in_shape
    last_t_change = None  # the layer that last changed the sequence length, for the length message
    for i, ((tname, params, act), ls) in enumerate(zip(resolved, spec.layers)):
        label = layer_label(i, tname)
        out = _infer(tname, params, shape, label, i)
        if _kind(shape) == "sequence" and len(out) == 2 and out[0] != shape[0]:
            last_t_change = i
        is_out = explicit and i == n - 1
        planned.append(PlannedLayer(i, tname, params, "none" if is_out else act, float(ls.l1), float(ls.l2),
                                    shape, out, "output" if is_out else "hidden", act))
        if is_out and act not in ("none", head.activation if head else act):
            notes.append(f"{label} is the output layer; the head applies its activation "
                         f"({head.activation if head else 'none'}), not the layer's '{act}'.")
        shape = out

    last = n - 1 if n else None
    last_label = layer_label(n - 1, resolved[-1][0]) if n else "the input"
    if not explicit:
        kind = _kind(shape)
        if seq_out and kind != "sequence":
            raise SpecError(
                f"The targets have a label per time step, but {last_label} outputs {_describe_input(shape)}; keep "
                f"the time axis (return_sequences true on recurrent layers, no Flatten / GlobalAvgPool).",
                layer_index=last)
        if not seq_out and kind == "image":
            raise SpecError(f"{last_label} outputs images {format_shape(shape)}, but the output layer needs a flat "
                            f"vector; add Flatten or GlobalAvgPool at the end.", layer_index=last)
        if not seq_out and kind == "sequence":
            raise SpecError(f"{last_label} outputs a sequence {format_shape(shape)}, but the targets have one value "
                            f"per sample; set return_sequences false on the last GRU / LSTM, or add "
                            f"GlobalAvgPool or Flatten at the end.", layer_index=last)
        tname = "TimeDense" if seq_out else "Dense"
        out = (shape[0], units) if seq_out else (units,)
        planned.append(PlannedLayer(n, tname, {"units": units}, "none", 0.0, 0.0, shape, out, "added-output"))
        shape = out
    if seq_out and out_t is not None and shape[0] is not None and shape[0] != out_t:
        idx = last_t_change if last_t_change is not None else last
        who = layer_label(idx, resolved[idx][0]) if idx is not None else "The model"
        raise SpecError(f"The model outputs {shape[0]} time steps per sample but the labels have {out_t}; "
                        f"{who} changes the length (kernel / stride / pooling): make the labels match the "
                        f"model's output length, or change that layer.", layer_index=idx)
    return Plan(planned, in_shape, shape, seq_out, notes)


# ---------------------------------------------------------------------------------------------
# modules


class _Transpose12(nn.Module):
    """(N, T, F) <-> (N, F, T): sequences live as (N, T, F); torch's 1-D ops want channels first."""

    def forward(self, x):
        return x.transpose(1, 2)


class _SamePad1d(nn.Module):
    """TensorFlow 'same' padding (output length ceil(T / stride)), computed per input length."""

    def __init__(self, k: int, s: int):
        super().__init__()
        self.k, self.s = k, s

    def forward(self, x):
        n = x.shape[-1]
        total = max((-(-n // self.s) - 1) * self.s + self.k - n, 0)
        return F.pad(x, [total // 2, total - total // 2])


def _same_pad_2d(hw: tuple[int, int], k: tuple[int, int], s: tuple[int, int]) -> nn.Module:
    """'same' padding for images, fixed at build time (the size is known), so exports trace cleanly."""
    th, tw = ((max((-(-n // st) - 1) * st + kk - n, 0)) for n, kk, st in zip(hw, k, s))
    return nn.ZeroPad2d((tw // 2, tw - tw // 2, th // 2, th - th // 2))


class _GlobalAvg(nn.Module):
    def __init__(self, image: bool):
        super().__init__()
        self.image = image

    def forward(self, x):
        return x.mean(dim=(2, 3)) if self.image else x.mean(dim=1)


class _GlobalMax(nn.Module):
    def __init__(self, image: bool):
        super().__init__()
        self.image = image

    def forward(self, x):
        return x.amax(dim=(2, 3)) if self.image else x.amax(dim=1)


class _TokenEmbedding(nn.Module):
    """Token ids (N, L) as floats or ints -> (N, L, dim). Id 0 is padding (a zero vector that is
    never trained); ids at or beyond ``vocab`` (words the layer was not sized for) count as unknown."""

    def __init__(self, vocab: int, dim: int):
        super().__init__()
        self.vocab = vocab
        self.embedding = nn.Embedding(vocab, dim, padding_idx=0)

    def forward(self, x):
        ids = x.long().clamp_(min=0)
        ids = torch.where(ids >= self.vocab, torch.full_like(ids, OOV_ID if self.vocab > OOV_ID else 0), ids)
        return self.embedding(ids)


class _Recurrent(nn.Module):
    def __init__(self, cls, n_in: int, units: int, return_sequences: bool, dropout: float):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.rnn = cls(n_in, units, batch_first=True)
        self.return_sequences = return_sequences

    def forward(self, x):
        out = self.rnn(self.drop(x))[0]
        return out if self.return_sequences else out[:, -1]


class _AsImage(nn.Module):
    def forward(self, x):
        return x.unsqueeze(1)


class _GaussianNoise(nn.Module):
    """Adds N(0, stddev^2) noise in training mode only (Keras' GaussianNoise)."""

    def __init__(self, stddev: float):
        super().__init__()
        self.stddev = stddev

    def forward(self, x):
        return x + self.stddev * torch.randn_like(x) if self.training else x


class _CenterCrop(nn.Module):
    def __init__(self, hw: tuple[int, int]):
        super().__init__()
        self.hw = hw

    def forward(self, x):
        h, w = x.shape[-2:]
        top, left = (h - self.hw[0]) // 2, (w - self.hw[1]) // 2
        return x[..., top:top + self.hw[0], left:left + self.hw[1]]


class _Layer(nn.Module):
    def __init__(self, body: nn.Module, act: nn.Module):
        super().__init__()
        self.body = body
        self.act = act

    def forward(self, x):
        return self.act(self.body(x))


def _activation(name: str, image: bool) -> nn.Module:
    return {
        "relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "gelu": nn.GELU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid,
        "none": nn.Identity,
    }.get(name, lambda: nn.Softmax(dim=1 if image else -1))()


def _seq(*mods: nn.Module) -> nn.Module:
    return nn.Sequential(_Transpose12(), *mods, _Transpose12())


def _make_body(pl: PlannedLayer) -> nn.Module:
    t, p, shape = pl.type, pl.params, pl.in_shape
    kind = _kind(shape)
    if t in ("Dense", "TimeDense"):
        return nn.Linear(shape[-1], p["units"])
    if t == "Conv2D":
        k, s = _pair(p["kernel"]), _pair(p["stride"])
        if p["padding"] == "same" and s == (1, 1) and k[0] % 2 and k[1] % 2:
            return nn.Conv2d(shape[0], p["filters"], k, s, padding=(k[0] // 2, k[1] // 2))
        conv = nn.Conv2d(shape[0], p["filters"], k, s)
        return nn.Sequential(_same_pad_2d(shape[1:], k, s), conv) if p["padding"] == "same" else conv
    if t == "Conv1D":
        k, s = p["kernel"], p["stride"]
        if p["padding"] == "same" and s == 1 and k % 2:
            return _seq(nn.Conv1d(shape[1], p["filters"], k, s, padding=k // 2))
        conv = nn.Conv1d(shape[1], p["filters"], k, s)
        return _seq(_SamePad1d(k, s), conv) if p["padding"] == "same" else _seq(conv)
    if t in ("MaxPool", "AvgPool"):
        size = p["size"]
        stride = p["stride"] if p["stride"] is not None else size
        if kind == "image":
            cls = nn.MaxPool2d if t == "MaxPool" else nn.AvgPool2d
            return cls(_pair(size), _pair(stride))
        cls = nn.MaxPool1d if t == "MaxPool" else nn.AvgPool1d
        return _seq(cls(size, stride))
    if t == "GlobalAvgPool":
        return _GlobalAvg(kind == "image")
    if t == "GlobalMaxPool":
        return _GlobalMax(kind == "image")
    if t == "Embedding":
        return _TokenEmbedding(p["vocab"] or DEFAULT_TOKEN_IDS, p["dim"])
    if t == "Flatten":
        return nn.Flatten()
    if t == "Dropout":
        return nn.Dropout(p["rate"])
    if t == "BatchNorm":
        if kind == "image":
            return nn.BatchNorm2d(shape[0], eps=p["eps"], momentum=p["momentum"])
        if kind == "sequence":
            return _seq(nn.BatchNorm1d(shape[1], eps=p["eps"], momentum=p["momentum"]))
        return nn.BatchNorm1d(shape[0], eps=p["eps"], momentum=p["momentum"])
    if t in ("GRU", "LSTM"):
        return _Recurrent(nn.GRU if t == "GRU" else nn.LSTM, shape[1], p["units"], p["return_sequences"], p["dropout"])
    if t == "Activation":
        return nn.Identity()
    if t == "Pretrained":
        from workbench.core.models.pretrained import PretrainedFeatures

        # summarize_model builds on the meta device only to count parameters: no weights then
        meta = torch.get_default_device().type == "meta"
        return PretrainedFeatures(p["backbone"], shape[0], p["size"], p["fine_tune_from"], p["pool"],
                                  load_weights=not meta)
    if t == "AsImage":
        return _AsImage()
    if t == "GaussianNoise":
        return _GaussianNoise(p["stddev"])
    if t == "Reshape":
        return nn.Unflatten(1, tuple(pl.out_shape)) if len(shape) == 1 else nn.Sequential(
            nn.Flatten(), nn.Unflatten(1, tuple(pl.out_shape)))
    if t == "Upsample":
        if kind == "image":
            return nn.Upsample(scale_factor=_pair(p["size"]), mode="nearest")
        return _seq(nn.Upsample(scale_factor=p["size"], mode="nearest"))
    if t == "ConvTranspose2D":
        k, s = _pair(p["kernel"]), _pair(p["stride"])
        if p["padding"] == "same":  # output H * stride: padding and output padding that give exactly that
            pad = tuple(max(-(-(kk - st) // 2), 0) for kk, st in zip(k, s))
            extra = tuple(st - kk + 2 * pp for kk, st, pp in zip(k, s, pad))
            if all(0 <= e < st for e, st in zip(extra, s)):
                return nn.ConvTranspose2d(shape[0], p["filters"], k, s, padding=pad, output_padding=extra)
            # a kernel much larger than the stride: grow 'valid', then crop the centre
            return nn.Sequential(nn.ConvTranspose2d(shape[0], p["filters"], k, s),
                                 _CenterCrop(tuple(pl.out_shape[1:])))
        return nn.ConvTranspose2d(shape[0], p["filters"], k, s)
    raise AssertionError(t)  # pragma: no cover


def _make_layer(pl: PlannedLayer) -> _Layer:
    return _Layer(_make_body(pl), _activation(pl.activation, _kind(pl.out_shape) == "image"))


def _regularized(layer: nn.Module) -> list[nn.Parameter]:
    """Weight matrices / kernels / BN scales (names 'weight' or 'weight_*'), never biases."""
    return [p for name, p in layer.named_parameters() if name.rsplit(".", 1)[-1].startswith("weight")]


class SpecModel(nn.Module):
    """The module `build_model` returns. forward(x) -> raw outputs (N, K) or (N, T, K)."""

    def __init__(self, plan: Plan, spec: ModelSpec, head: Head | None):
        super().__init__()
        self.layers = nn.ModuleList([_make_layer(pl) for pl in plan.layers])
        self._penalties = [(j, pl.l1, pl.l2) for j, pl in enumerate(plan.layers) if pl.l1 > 0 or pl.l2 > 0]
        self.spec = spec.copy()
        self.head = head
        self.input_shape = plan.input_shape
        self.output_shape = plan.output_shape
        self.sequence_output = plan.sequence_output
        self.layer_shapes = [pl.out_shape for pl in plan.layers]
        self.notes = list(plan.notes)
        self.augment: nn.Module | None = None  # applied to training batches only (see core/data/augment.py)

    def set_augmentation(self, module: nn.Module | None) -> None:
        """Random changes applied to the inputs while training (never in eval mode: validation,
        test and predictions see the data as it is). Frozen backbones then skip their cache."""
        from workbench.core.models.pretrained import pretrained_modules

        self.augment = module
        self._backbones = pretrained_modules(self)

    def frozen_prefix(self) -> int:
        """How many leading layers give the same output all through training: a fully frozen
        pretrained backbone first, with no augmentation. The Trainer computes their output once
        per fit (as one would by hand) and trains ``nn.Sequential(*layers[k:])`` on them, instead of
        looking every batch up in the feature cache."""
        from workbench.core.models.pretrained import PretrainedFeatures

        if self.augment is not None or not self.layers:
            return 0
        first = getattr(self.layers[0], "body", None)
        return 1 if isinstance(first, PretrainedFeatures) and first.fully_frozen else 0

    def forward(self, x):
        if self.augment is not None:
            augmenting = self.training
            for m in self._backbones:
                m.augmenting = augmenting  # augmented batches are new images: no cache for them
            if augmenting:
                x = self.augment(x)
        for layer in self.layers:
            x = layer(x)
        return x

    def penalty(self) -> torch.Tensor:
        """L1/L2 regularisation of the weights (a scalar tensor; 0 when the spec has none)."""
        total = None
        for j, l1, l2 in self._penalties:
            for w in _regularized(self.layers[j]):
                term = 0
                if l1 > 0:
                    term = term + l1 * w.abs().sum()
                if l2 > 0:
                    term = term + l2 * w.pow(2).sum()
                total = term if total is None else total + term
        if total is None:
            p = next(self.parameters(), None)
            return torch.zeros((), device=p.device if p is not None else None,
                               dtype=p.dtype if p is not None else torch.float32)
        return total


def wants_token_ids(spec: ModelSpec | None) -> bool:
    """True when the spec starts with an Embedding, i.e. it reads text as token-id sequences."""
    return bool(spec is not None and spec.layers and spec.layers[0].canonical_type == "Embedding")


def with_token_count(spec: ModelSpec, token_count: int | None) -> ModelSpec:
    """A copy of ``spec`` whose Embedding layers without a "vocab" read ``token_count`` ids (the
    data's vocabulary + padding + unknown), so the saved spec rebuilds the same model."""
    out = spec.copy()
    if token_count:
        for layer in out.layers:
            if layer.canonical_type == "Embedding" and not layer.params.get("vocab"):
                layer.params["vocab"] = int(token_count)
    return out


def build_model(spec: ModelSpec, input_shape: Any, output_shape: Any, head: Head | dict | None = None) -> SpecModel:
    """Build the nn.Module for inputs of ``input_shape`` and outputs of ``output_shape``
    (``head.output_shape(y, n_classes)`` gives it). Raises SpecError naming the layer."""
    if isinstance(head, dict):
        head = Head.from_dict(head)
    plan = plan_model(spec, input_shape, output_shape, head)
    n = sum(_layer_params(pl) for pl in plan.layers)
    from workbench.core.memory import TooLarge, check_fits

    try:  # weights, gradients and two optimizer moments, in float32
        check_fits(16.0 * n, f"A model with {n:,} parameters", "Use fewer units or filters.")
    except TooLarge as e:
        raise SpecError(str(e)) from None
    return SpecModel(plan, spec, head)


def _layer_params(pl: PlannedLayer) -> int:
    """Parameters of one planned layer, counted on the meta device (nothing is allocated)."""
    with torch.device("meta"):
        return sum(p.numel() for p in _make_layer(pl).parameters())


# ---------------------------------------------------------------------------------------------
# summary


@dataclass(frozen=True)
class LayerSummary:
    index: int  # spec position (0-based); the added output layer gets len(spec.layers)
    type: str
    output_shape: tuple
    params: int
    activation: str = "none"
    role: str = "hidden"
    settings: str = ""

    @property
    def label(self) -> str:
        return layer_label(self.index, self.type)

    def to_dict(self) -> dict:
        return {"index": self.index, "type": self.type, "output_shape": list(self.output_shape),
                "params": self.params, "activation": self.activation, "role": self.role, "settings": self.settings}


@dataclass
class ModelSummary:
    """Per-layer output shapes and parameter counts. Iterates / indexes like a list of LayerSummary."""

    layers: list[LayerSummary]
    total_params: int
    input_shape: tuple
    output_shape: tuple
    head: Head | None = None
    notes: list[str] = field(default_factory=list)

    def __iter__(self):
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, i):
        return self.layers[i]

    def to_dict(self) -> dict:
        return {"layers": [l.to_dict() for l in self.layers], "total_params": self.total_params,
                "input_shape": list(self.input_shape), "output_shape": list(self.output_shape),
                "head": self.head.to_dict() if self.head else None, "notes": list(self.notes)}

    def to_text(self) -> str:
        rows = [("#", "layer", "output shape", "params"), ("", "input", format_shape(self.input_shape), "")]
        for l in self.layers:
            name = f"{l.type} {l.settings}".strip()
            if l.activation != "none":
                name += f" {l.activation}"
            if l.role != "hidden":
                name += " [output]"
            rows.append((str(l.index + 1), name, format_shape(l.output_shape), f"{l.params:,}"))
        widths = [max(len(r[c]) for r in rows) for c in range(4)]
        lines = [f"{r[0]:>{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>{widths[3]}}" for r in rows]
        lines.insert(1, "-" * len(lines[0]))
        if self.head is not None:
            lines.append(f"head: {self.head.task}, {self.head.activation} + {self.head.loss_name}")
        lines.append(f"Total params: {self.total_params:,}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    __str__ = to_text


def _settings(pl: PlannedLayer) -> str:
    p = pl.params
    if pl.type in ("Dense", "TimeDense", "GRU", "LSTM"):
        s = str(p["units"])
        if pl.type in ("GRU", "LSTM"):
            s += " seq" if p["return_sequences"] else ""
            s += f" drop {p['dropout']:g}" if p["dropout"] else ""
        return s
    if pl.type == "Reshape":
        return "x".join(map(str, p["shape"]))
    if pl.type == "Upsample":
        return f"x{p['size']}" if isinstance(p["size"], int) else "x" + "x".join(map(str, p["size"]))
    if pl.type in ("Conv2D", "Conv1D", "ConvTranspose2D"):
        k = p["kernel"]
        ks = f"{k[0]}x{k[1]}" if isinstance(k, tuple) else (f"{k}x{k}" if pl.type != "Conv1D" else str(k))
        s = f"{p['filters']} {ks}"
        st = p["stride"]
        if st not in (1, (1, 1)):
            s += f" /{st if isinstance(st, int) else 'x'.join(map(str, st))}"
        return s + (" same" if p["padding"] == "same" else "")
    if pl.type in ("MaxPool", "AvgPool"):
        sz = p["size"]
        return str(sz) if isinstance(sz, int) else "x".join(map(str, sz))
    if pl.type == "Dropout":
        return f"{p['rate']:g}"
    if pl.type == "Embedding":
        return f"{p['dim']} x {p['vocab'] or DEFAULT_TOKEN_IDS:,} ids"
    if pl.type == "Pretrained":
        how = "frozen" if p["fine_tune_from"] is None else f"trains from stage {p['fine_tune_from']}"
        return f"{p['backbone']} {p['size']}px {how}"
    if pl.type == "GaussianNoise":
        return f"sd {p['stddev']:g}"
    return ""


def summarize_model(spec: ModelSpec, input_shape: Any, output_shape: Any, head: Head | dict | None = None) -> ModelSummary:
    """Output shape and parameter count of every layer (the added output layer included)."""
    if isinstance(head, dict):
        head = Head.from_dict(head)
    plan = plan_model(spec, input_shape, output_shape, head)
    rows = []
    for pl in plan.layers:
        act = pl.declared_activation if pl.role == "hidden" else (head.activation if head else "none")
        rows.append(LayerSummary(pl.index, pl.type, pl.out_shape, _layer_params(pl), act, pl.role, _settings(pl)))
    return ModelSummary(rows, sum(r.params for r in rows), plan.input_shape, plan.output_shape, head, plan.notes)
