"""Model specs for learning from unlabelled data: autoencoders (the labels are the inputs) and
next-step models (the label is what comes next).

They depend on the data's shape (a decoder must rebuild exactly the input), so they are functions
of the input shape; ``presets.py`` registers them at MNIST's shape for the preset list.
"""
from __future__ import annotations

import math

from workbench.core.errors import SpecError
from workbench.core.models.spec import LayerSpec, ModelSpec

L = LayerSpec.make
AUTOENCODER_KINDS = ("dense", "conv")


def autoencoder_spec(kind: str, input_shape: tuple, code_size: int = 16, width: int = 128,
                     filters: int = 16, noise: float = 0.0) -> ModelSpec:
    """An encoder down to ``code_size`` values, then a decoder back to ``input_shape``.

    dense: Flatten -> Dense(width) -> Dense(code) -> Dense(width) -> Dense(prod(shape)) [-> Reshape];
    conv (images (C, H, W) with H and W divisible by 4): two stride-2 Conv2D, Dense(code), then
    Dense + Reshape and two stride-2 ConvTranspose2D back to (C, H, W).
    The code layer has no activation (a linear code keeps the projections' distances meaningful).
    ``noise`` > 0 makes the denoising variant: a GaussianNoise layer corrupts the input while
    training (fresh noise every batch) and the target stays the clean input.
    """
    shape = tuple(int(d) for d in input_shape)
    code_size, width, filters = int(code_size), int(width), int(filters)
    if code_size < 1:
        raise SpecError(f"The code size must be at least 1, not {code_size}.")
    if kind not in AUTOENCODER_KINDS:
        raise SpecError(f"Unknown autoencoder kind {kind!r}; choose one of {', '.join(AUTOENCODER_KINDS)}.")
    n = math.prod(shape)
    spec = _autoencoder_layers(kind, shape, n, code_size, width, filters)
    if noise and noise > 0:
        spec.layers.insert(0, L("GaussianNoise", stddev=float(noise)))
        spec.name += "-denoising"
        spec.description = f"Denoising ({noise:g} noise while training). " + spec.description
    return spec


def _autoencoder_layers(kind: str, shape: tuple, n: int, code_size: int, width: int, filters: int) -> ModelSpec:
    if kind == "dense":
        layers = [L("Flatten")] if len(shape) > 1 else []
        layers += [L("Dense", units=width, activation="relu"), L("Dense", units=code_size),
                   L("Dense", units=width, activation="relu"), L("Dense", units=n)]
        if len(shape) > 1:
            layers.append(L("Reshape", shape=list(shape)))
        return ModelSpec(layers, name="autoencoder-dense",
                         description=f"Dense autoencoder: {n} values -> {width} -> code {code_size} -> {width} -> {n}.")
    if len(shape) != 3:
        raise SpecError(f"A convolutional autoencoder needs images (C, H, W), not inputs of shape {shape}; "
                        f"use the dense autoencoder.")
    c, h, w = shape
    if h % 4 or w % 4:
        raise SpecError(f"A convolutional autoencoder needs image sides divisible by 4 (two halvings), not "
                        f"{h}x{w}; resize the images (e.g. to {4 * math.ceil(h / 4)}x{4 * math.ceil(w / 4)}) "
                        f"or use the dense autoencoder.")
    f2 = 2 * filters
    layers = [
        L("Conv2D", filters=filters, kernel=3, stride=2, padding="same", activation="relu"),
        L("Conv2D", filters=f2, kernel=3, stride=2, padding="same", activation="relu"),
        L("Flatten"),
        L("Dense", units=code_size),
        L("Dense", units=f2 * (h // 4) * (w // 4), activation="relu"),
        L("Reshape", shape=[f2, h // 4, w // 4]),
        L("ConvTranspose2D", filters=filters, kernel=3, stride=2, padding="same", activation="relu"),
        L("ConvTranspose2D", filters=c, kernel=3, stride=2, padding="same"),
    ]
    return ModelSpec(layers, name="autoencoder-conv",
                     description=f"Convolutional autoencoder: {c}x{h}x{w} -> conv {filters}, {f2} (stride 2) -> "
                                 f"code {code_size} -> transposed conv {filters}, {c} -> {c}x{h}x{w}.")


def bottleneck_index(layer_shapes: list[tuple]) -> int:
    """The layer whose output holds the fewest values: an autoencoder's code (first one on ties)."""
    if not layer_shapes:
        raise SpecError("The model has no layers, so it has no code layer.")
    sizes = [math.prod(d for d in s if d is not None) for s in layer_shapes]
    return int(min(range(len(sizes)), key=lambda i: sizes[i]))


def forecaster_spec(units: int = 32, cell: str = "GRU") -> ModelSpec:
    """Windows (T, F) -> one recurrent layer -> the value(s) ahead (the Dense output is added)."""
    cell = "LSTM" if str(cell).upper() == "LSTM" else "GRU"
    return ModelSpec([L(cell, units=int(units))], name=f"forecast-{cell.lower()}",
                     description=f"Next-value forecaster: a {cell} of {units} units over the window, then the "
                                 f"value(s) at the horizon.")
