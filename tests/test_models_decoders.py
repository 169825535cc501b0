"""Decoder layers (Reshape, Upsample, ConvTranspose2D), image-shaped outputs, the autoencoder and
forecaster presets, and the reconstruction / next-token heads."""
import numpy as np
import pytest
import torch

from workbench.core.errors import SpecError
from workbench.core.models import (
    Head, LayerSpec, ModelSpec, build_model, check_head, default_head, reconstruction_head, summarize_model,
)
from workbench.core.models.self_supervised import autoencoder_spec, bottleneck_index, forecaster_spec

L = LayerSpec.make


def _shapes(model, x):
    out = []
    for layer in model.layers:
        x = layer(x)
        out.append(tuple(x.shape[1:]))
    return out


@pytest.mark.parametrize("kernel,stride,size", [(3, 2, 7), (2, 2, 5), (3, 1, 6), (4, 1, 5), (5, 3, 4), ([3, 2], [2, 1], 6)])
def test_conv_transpose_same_and_valid_shapes_match_the_module(kernel, stride, size):
    for padding in ("same", "valid"):
        spec = ModelSpec([L("ConvTranspose2D", filters=3, kernel=kernel, stride=stride, padding=padding,
                            activation="relu"), L("Flatten")])
        model = build_model(spec, (2, size, size), (4,), default_head("multiclass"))
        summary = summarize_model(spec, (2, size, size), (4,), default_head("multiclass"))
        shapes = _shapes(model, torch.randn(2, 2, size, size))
        assert shapes == [tuple(s.output_shape) for s in summary]
        if padding == "same":
            st = (stride, stride) if isinstance(stride, int) else stride
            assert shapes[0][1:] == (size * st[0], size * st[1])
        assert summary[0].params == sum(p.numel() for p in model.layers[0].parameters())


def test_reshape_and_upsample_on_images_and_sequences():
    spec = ModelSpec([L("Dense", units=2 * 3 * 4), L("Reshape", shape=[2, 3, 4]), L("Upsample", size=2),
                      L("Conv2D", filters=1, kernel=3, padding="same")])
    model = build_model(spec, (5,), (1, 6, 8), reconstruction_head(-3, 3))
    assert model.layer_shapes == [(24,), (2, 3, 4), (2, 6, 8), (1, 6, 8)]
    assert tuple(model(torch.randn(3, 5)).shape) == (3, 1, 6, 8)
    seq = ModelSpec([L("Upsample", size=3), L("GRU", units=4)])
    m = build_model(seq, (5, 2), (1,), default_head("regression"))
    assert m.layer_shapes[0] == (15, 2) and tuple(m(torch.randn(2, 5, 2)).shape) == (2, 1)


def test_decoder_mistakes_name_the_layer():
    with pytest.raises(SpecError, match=r"layer 2 \(Reshape\).*same number of values"):
        build_model(ModelSpec([L("Dense", units=10), L("Reshape", shape=[3, 3])]), (4,), (2,), default_head("multiclass"))
    with pytest.raises(SpecError, match=r"layer 1 \(Upsample\).*Reshape"):
        build_model(ModelSpec([L("Upsample")]), (4,), (2,), default_head("multiclass"))
    with pytest.raises(SpecError, match=r"layer 1 \(ConvTranspose2D\)"):
        build_model(ModelSpec([L("ConvTranspose2D", filters=2)]), (4, 3), (2,), default_head("multiclass"))
    with pytest.raises(SpecError, match=r"'shape' must be"):
        ModelSpec([L("Reshape", shape=[0, 2])]).validate()
    # an image target the spec does not end in
    with pytest.raises(SpecError, match=r"targets are images \(1, 8, 8\).*\(4, 8, 8\)"):
        build_model(ModelSpec([L("Conv2D", filters=4, padding="same")]), (1, 8, 8), (1, 8, 8), reconstruction_head())


@pytest.mark.parametrize("kind", ["dense", "conv"])
@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 12, 16)])
def test_autoencoder_presets_rebuild_the_input_shape_with_a_code_bottleneck(kind, shape):
    spec = autoencoder_spec(kind, shape, code_size=5)
    model = build_model(spec, shape, shape, reconstruction_head())
    x = torch.rand(3, *shape)
    assert tuple(model(x).shape) == (3, *shape)
    code = bottleneck_index(model.layer_shapes)
    assert model.layer_shapes[code] == (5,)
    assert spec.layers[code].activation == "none"  # a linear code


def test_autoencoder_on_tables_and_unfit_shapes():
    spec = autoencoder_spec("dense", (13,), code_size=2, width=8)
    model = build_model(spec, (13,), (13,), reconstruction_head(-2.5, 3.1))
    assert tuple(model(torch.randn(4, 13)).shape) == (4, 13)
    with pytest.raises(SpecError, match="divisible by 4"):
        autoencoder_spec("conv", (1, 10, 10))
    with pytest.raises(SpecError, match="dense autoencoder"):
        autoencoder_spec("conv", (30,))


def test_reconstruction_and_next_token_heads_with_reasons():
    h = reconstruction_head(0.0, 1.0)
    assert (h.activation, h.loss_name) == ("sigmoid", "bce") and "[0, 1]" in h.reason
    u = reconstruction_head(-1.7, 2.0)
    assert (u.activation, u.loss_name) == ("none", "mse") and "not limited" in u.reason
    assert check_head("reconstruction", "none", "mse") == []
    assert any("Softmax" in w for w in check_head("reconstruction", "softmax", "cce"))
    assert any("range" in w or "0..1" in w for w in check_head("reconstruction", "none", "bce"))
    t = default_head("next_token")
    assert (t.activation, t.loss_name) == ("softmax", "cce") and t.is_sequence and "vocabulary" in t.reason
    assert check_head("next_token", "softmax", "cce") == []
    assert any("softmax" in w for w in check_head("next_token", "sigmoid", "bce"))
    # shapes the builder gets from the heads
    x = np.zeros((5, 1, 8, 8), np.float32)
    assert h.output_shape(x) == (1, 8, 8)
    tokens = np.zeros((5, 12), np.int64)
    assert t.output_shape(tokens, n_classes=30) == (12, 30)
    raw = torch.randn(5, 12, 30)
    assert float(t.loss(raw, torch.as_tensor(tokens))) > 0
    assert tuple(t.predict(raw).shape) == (5, 12)
    assert Head.from_dict(t.to_dict()) == t


def test_forecaster_preset_builds_for_windows():
    model = build_model(forecaster_spec(8, "LSTM"), (24, 1), (1,), default_head("regression"))
    assert tuple(model(torch.randn(2, 24, 1)).shape) == (2, 1)


def test_denoising_variant_adds_noise_only_while_training():
    spec = autoencoder_spec("dense", (1, 8, 8), code_size=4, noise=0.3)
    assert spec.layers[0].type == "GaussianNoise" and spec.name.endswith("denoising")
    model = build_model(spec, (1, 8, 8), (1, 8, 8), reconstruction_head())
    noise = model.layers[0]
    x = torch.rand(64, 1, 8, 8)
    model.train()
    assert float((noise(x) - x).std()) == pytest.approx(0.3, rel=0.1)
    model.eval()
    assert torch.equal(noise(x), x)
