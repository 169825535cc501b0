"""Model builder: every layer on its input kind, shapes, parameter counts, invalid stacks, presets."""
import pytest
import torch

from workbench.core.errors import SpecError
from workbench.core.models import (
    PRESETS,
    Head,
    LayerSpec,
    ModelSpec,
    build_model,
    default_head,
    get_preset,
    list_presets,
    summarize_model,
)

L = LayerSpec.make


def _spec(*layers):
    return ModelSpec(list(layers))


def _per_layer_shapes(model, x):
    shapes = []
    for layer in model.layers:
        x = layer(x)
        shapes.append(tuple(x.shape[1:]))
    return shapes


# one stack per input kind that uses every layer type valid there
STACKS = {
    "flat": ((20,), (3,), "multiclass", [
        L("Dense", units=16, activation="relu"), L("BatchNorm"), L("Dropout", rate=0.2),
        L("Activation", activation="gelu"), L("Flatten"), L("Dense", units=8, activation="softmax"),
        L("Dense", units=8, activation="tanh"), L("Dense", units=8, activation="leaky_relu"),
    ]),
    "image": ((3, 12, 10), (2,), "multilabel", [
        L("Conv2D", filters=4, kernel=3, activation="relu"),
        L("Conv2D", filters=5, kernel=[3, 2], stride=2, padding="same", activation="sigmoid"),
        L("BatchNorm", activation="relu"), L("MaxPool", size=2), L("Conv2D", filters=6, kernel=2, padding="same"),
        L("AvgPool", size=[1, 2]), L("Dropout", rate=0.1), L("Flatten"), L("Dense", units=7, activation="relu"),
    ]),
    "image-gap": ((1, 9, 9), (4,), "multiclass", [
        L("Conv2D", filters=3, kernel=4, stride=2, padding="same", activation="softmax"), L("GlobalAvgPool"),
    ]),
    "sequence": ((30, 5), (1,), "binary", [
        L("Conv1D", filters=8, kernel=5, stride=2, activation="relu"), L("BatchNorm", activation="relu"),
        L("MaxPool", size=2), L("Conv1D", filters=6, kernel=4, stride=3, padding="same"), L("AvgPool", size=1),
        L("GRU", units=7, return_sequences=True, dropout=0.2), L("Dropout", rate=0.3),
        L("TimeDense", units=4, activation="relu"), L("LSTM", units=5),
    ]),
    "sequence-gap": ((11, 3), (2,), "regression", [L("LSTM", units=4, return_sequences=True), L("GlobalAvgPool")]),
    "sequence-flatten": ((6, 3), (1,), "regression", [L("Conv1D", filters=2, kernel=3, padding="same"), L("Flatten")]),
    "per-step": ((40, 6), (20, 1), "sequence_binary", [
        L("Conv1D", filters=8, kernel=4, stride=2, padding="same"), L("BatchNorm", activation="relu"),
        L("GRU", units=6, return_sequences=True), L("BatchNorm"), L("Dropout", rate=0.5),
    ]),
}


@pytest.mark.parametrize("name", list(STACKS))
def test_every_layer_builds_runs_and_matches_inferred_shapes(name):
    in_shape, out_shape, task, layers = STACKS[name]
    head = default_head(task)
    spec = _spec(*layers)
    torch.manual_seed(0)
    model = build_model(spec, in_shape, out_shape, head)
    summary = summarize_model(spec, in_shape, out_shape, head)
    x = torch.randn(4, *in_shape)
    model.train()
    actual = _per_layer_shapes(model, x)
    assert actual == [tuple(s.output_shape) for s in summary]
    assert actual == model.layer_shapes
    out = model(x)
    expect = (4, *out_shape) if len(out_shape) == 1 else (4, out_shape[0], out_shape[1])
    assert tuple(out.shape) == expect
    # summary parameter counts are those of the real module, layer by layer
    for s, layer in zip(summary, model.layers):
        assert s.params == sum(p.numel() for p in layer.parameters())
    assert summary.total_params == sum(p.numel() for p in model.parameters())
    # the loss runs and gives gradients to every parameter that was used
    y = torch.randint(0, 2, (4, *out_shape)).float() if task != "multiclass" else torch.randint(0, out_shape[0], (4,))
    (head.loss(out, y) + model.penalty()).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.eval()
    with torch.no_grad():
        assert torch.isfinite(model(x)).all()


def test_param_counts_by_hand():
    spec = _spec(L("Conv2D", filters=8, kernel=3), L("Flatten"), L("Dense", units=16, activation="relu"))
    s = summarize_model(spec, (3, 10, 10), (1,), default_head("binary"))
    conv, flat, dense, out = s.layers
    assert conv.output_shape == (8, 8, 8) and conv.params == 8 * (3 * 3 * 3) + 8  # 224
    assert flat.output_shape == (512,) and flat.params == 0
    assert dense.output_shape == (16,) and dense.params == 512 * 16 + 16  # 8208
    assert out.type == "Dense" and out.role == "added-output" and out.params == 17
    assert s.total_params == 224 + 8208 + 17
    text = s.to_text()
    assert "Total params: 8,449" in text and "(8, 8, 8)" in text and "[output]" in text


def test_conv_padding_and_stride_shapes():
    s = summarize_model(_spec(L("Conv2D", filters=2, kernel=4, stride=3, padding="same"),
                              L("Conv2D", filters=2, kernel=[3, 1], stride=[2, 1]), L("GlobalAvgPool")),
                        (1, 10, 7), (1,), default_head("binary"))
    assert s[0].output_shape == (2, 4, 3)  # ceil(10/3), ceil(7/3)
    assert s[1].output_shape == (2, 1, 3)  # (4-3)//2+1, (3-1)//1+1
    s = summarize_model(_spec(L("Conv1D", filters=3, kernel=15, stride=4), L("GRU", units=2, return_sequences=True)),
                        (5511, 101), (1375,), default_head("sequence_binary"))
    assert s[0].output_shape == (1375, 3) and s[-1].output_shape == (1375, 1)


def test_explicit_output_layer_is_not_duplicated():
    head = default_head("binary")
    model = build_model(get_preset("imdb"), (50,), (1,), head)
    assert len(model.layers) == 3 and model.notes == []
    # the module returns raw outputs: the sigmoid is the head's job
    assert isinstance(model.layers[-1].act, torch.nn.Identity)
    x = torch.randn(5, 50)
    raw = model(x)
    assert torch.allclose(raw, model.layers[-1].body(model.layers[1](model.layers[0](x))))
    # a mismatched head on the same spec: noted, and the head's activation wins
    reg = build_model(get_preset("imdb"), (50,), (1,), default_head("regression"))
    assert any("layer 3 (Dense)" in n and "sigmoid" in n for n in reg.notes)
    one = build_model(get_preset("mlp"), (4,), (1,), Head("regression", "softmax", "mse"))
    assert any("single output" in n for n in one.notes)
    # a last Dense without an output activation and other units is a hidden layer
    m = build_model(_spec(L("Dense", units=4, activation="relu")), (6,), (3,), default_head("multiclass"))
    assert len(m.layers) == 2 and m(torch.randn(2, 6)).shape == (2, 3)
    # per-step: an explicit TimeDense with K units is the output layer
    m = build_model(_spec(L("GRU", units=3, return_sequences=True), L("TimeDense", units=1, activation="sigmoid")),
                    (9, 2), (9, 1), default_head("sequence_binary"))
    assert len(m.layers) == 2 and m(torch.randn(2, 9, 2)).shape == (2, 9, 1)


INVALID = [
    ("conv2d on table", [L("Dense", units=4), L("Dense", units=4), L("Conv2D", filters=4)], (10,), (1,), "binary",
     2, "layer 3 (Conv2D)", "flat vector"),
    ("gru on images", [L("Conv2D", filters=4), L("GRU", units=4)], (1, 8, 8), (1,), "binary",
     1, "layer 2 (GRU)", "images"),
    ("dense after conv", [L("Conv2D", filters=4), L("MaxPool"), L("Dense", units=4)], (1, 8, 8), (1,), "binary",
     2, "layer 3 (Dense)", "Flatten"),
    ("pool to zero", [L("MaxPool", size=2), L("MaxPool", size=2), L("MaxPool", size=2)], (1, 6, 6), (1,),
     "binary", 2, "layer 3 (MaxPool)", "1x1 input to 0x0"),
    ("kernel too big", [L("Conv2D", filters=4, kernel=5)], (1, 4, 4), (1,), "binary", 0, "layer 1 (Conv2D)",
     "does not fit"),
    ("dropout 1", [L("Dense", units=4), L("Dropout", rate=1.0)], (5,), (1,), "binary", 1, "layer 2 (Dropout)",
     "[0, 1)"),
    ("dropout negative", [L("Dropout", rate=-0.1)], (5,), (1,), "binary", 0, "layer 1 (Dropout)", "[0, 1)"),
    ("gru dropout", [L("GRU", units=3, dropout=1.5)], (4, 5), (1,), "binary", 0, "layer 1 (GRU)", "dropout"),
    ("unknown type", [L("Dense", units=4), L("Conv3D", filters=2)], (5,), (1,), "binary", 1, "layer 2",
     "unknown type 'Conv3D'"),
    ("unknown activation", [L("Dense", units=4, activation="swish")], (5,), (1,), "binary", 0,
     "layer 1 (Dense)", "unknown activation 'swish'"),
    ("missing units", [L("Dense")], (5,), (1,), "binary", 0, "layer 1 (Dense)", "units"),
    ("bad units", [L("Dense", units=0)], (5,), (1,), "binary", 0, "layer 1 (Dense)", "units"),
    ("unknown setting", [L("Dense", units=3, unit=4)], (5,), (1,), "binary", 0, "layer 1 (Dense)", "unit"),
    ("bad padding", [L("Conv2D", filters=2, padding="full")], (1, 5, 5), (1,), "binary", 0, "layer 1 (Conv2D)",
     "'valid' or 'same'"),
    ("negative l2", [L("Dense", units=3, l2=-1)], (5,), (1,), "binary", 0, "layer 1 (Dense)", "l2"),
    ("l1 on dropout", [L("Dropout", rate=0.1, l1=0.1)], (5,), (1,), "binary", 0, "layer 1 (Dropout)", "no weights"),
    ("conv1d on table", [L("Conv1D", filters=2)], (5,), (1,), "binary", 0, "layer 1 (Conv1D)", "sequence"),
    ("conv1d on image", [L("Conv1D", filters=2)], (1, 5, 5), (1,), "binary", 0, "layer 1 (Conv1D)", "Conv2D"),
    ("conv2d on sequence", [L("Conv2D", filters=2)], (5, 3), (1,), "binary", 0, "layer 1 (Conv2D)", "Conv1D"),
    ("dense on sequence", [L("Dense", units=2)], (5, 3), (1,), "binary", 0, "layer 1 (Dense)", "TimeDense"),
    ("timedense on table", [L("TimeDense", units=2)], (5,), (1,), "binary", 0, "layer 1 (TimeDense)", "Dense"),
    ("lstm on table", [L("LSTM", units=2)], (5,), (1,), "binary", 0, "layer 1 (LSTM)", "sequence"),
    ("pool on table", [L("AvgPool", size=2)], (5,), (1,), "binary", 0, "layer 1 (AvgPool)", "flat"),
    ("gap on table", [L("GlobalAvgPool")], (5,), (1,), "binary", 0, "layer 1 (GlobalAvgPool)", "flat"),
    ("seq pool to zero", [L("Conv1D", filters=2, kernel=3), L("MaxPool", size=4)], (5, 2), (1,), "binary", 1,
     "layer 2 (MaxPool)", "0 steps"),
    ("sequence left at end", [L("GRU", units=3, return_sequences=True)], (5, 2), (1,), "binary", 0,
     "layer 1 (GRU)", "return_sequences false"),
    ("image left at end", [L("Conv2D", filters=3)], (1, 5, 5), (1,), "binary", 0, "layer 1 (Conv2D)", "Flatten"),
    ("per-step but flat", [L("GRU", units=3)], (5, 2), (5, 1), "sequence_binary", 0, "layer 1 (GRU)",
     "per time step"),
    ("per-step length", [L("Conv1D", filters=2, kernel=3, stride=2), L("GRU", units=3, return_sequences=True)],
     (11, 2), (11, 1), "sequence_binary", 0, "layer 1 (Conv1D)", "outputs 5 time steps"),
    ("wrong output units", [L("Dense", units=8, activation="relu"), L("Dense", units=1, activation="sigmoid")],
     (5,), (10,), "multiclass", 1, "layer 2 (Dense)", "set its units to 10"),
]


@pytest.mark.parametrize("case", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_stacks_raise_spec_error_naming_the_layer(case):
    _, layers, in_shape, out_shape, task, index, label, phrase = case
    spec = _spec(*layers)
    for fn in (build_model, summarize_model):
        with pytest.raises(SpecError) as e:
            fn(spec, in_shape, out_shape, default_head(task))
        assert e.value.layer_index == index
        assert label in str(e.value)
        assert phrase in str(e.value)


def test_bad_input_and_output_shapes():
    for shape in [(), (1, 2, 3, 4), (0,), (3, None, 4)]:
        with pytest.raises(SpecError, match="input shape"):
            build_model(_spec(), shape, (1,), default_head("binary"))
    with pytest.raises(SpecError, match="output shape"):
        build_model(_spec(), (4,), (2, 3), default_head("multiclass"))


def test_empty_spec_is_logistic_regression_and_images_need_flatten():
    m = build_model(_spec(), (7,), (1,), default_head("binary"))
    assert m(torch.randn(3, 7)).shape == (3, 1)
    with pytest.raises(SpecError, match="Flatten") as e:
        build_model(_spec(), (1, 4, 4), (1,), default_head("binary"))
    assert e.value.layer_index is None


def test_penalty_equals_hand_computed_sum():
    spec = _spec(L("Dense", units=4, activation="relu", l2=0.01), L("BatchNorm", l1=0.5),
                 L("Dense", units=3, l1=0.1, l2=0.2))
    torch.manual_seed(1)
    m = build_model(spec, (5,), (2,), default_head("multilabel"))
    w0, w2 = m.layers[0].body.weight, m.layers[2].body.weight
    gamma = m.layers[1].body.weight
    with torch.no_grad():
        gamma.uniform_(-2, 2)
    expect = 0.01 * (w0 ** 2).sum() + 0.5 * gamma.abs().sum() + 0.1 * w2.abs().sum() + 0.2 * (w2 ** 2).sum()
    assert torch.allclose(m.penalty(), expect)
    m.penalty().backward()
    assert m.layers[0].body.bias.grad is None  # biases are never penalized
    assert m.layers[3].body.weight.grad is None  # the added output layer has no penalty
    # recurrent layers penalize both matrices
    g = build_model(_spec(L("GRU", units=3, l2=0.5)), (4, 2), (1,), default_head("binary"))
    rnn = g.layers[0].body.rnn
    assert torch.allclose(g.penalty(), 0.5 * ((rnn.weight_ih_l0 ** 2).sum() + (rnn.weight_hh_l0 ** 2).sum()))
    # no penalty -> a 0 scalar
    z = build_model(get_preset("mlp"), (5,), (1,), default_head("binary")).penalty()
    assert z.shape == () and float(z) == 0.0


def test_initialisation_is_deterministic_under_manual_seed():
    def weights(seed):
        torch.manual_seed(seed)
        return build_model(get_preset("digits-cnn"), (1, 8, 8), (10,), default_head("multiclass")).state_dict()

    a, b, c = weights(3), weights(3), weights(4)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a if a[k].is_floating_point())


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit is deprecated but still the export path
def test_variable_length_sequences_and_tracing():
    spec = _spec(L("Conv1D", filters=3, kernel=4, stride=2, padding="same"), L("AvgPool", size=2),
                 L("GRU", units=4, return_sequences=True))
    m = build_model(spec, (None, 3), (None, 1), default_head("sequence_binary")).eval()
    assert m(torch.randn(2, 40, 3)).shape == (2, 10, 1)
    assert m(torch.randn(2, 17, 3)).shape == (2, 4, 1)  # ceil(17/2)=9 -> 4
    with pytest.raises(SpecError, match="unknown length"):
        build_model(_spec(L("Flatten")), (None, 3), (1,), default_head("binary"))
    # export paths used by the case studies (TorchScript)
    img = build_model(_spec(L("Conv2D", filters=2, kernel=2, stride=2, padding="same"), L("Flatten")),
                      (1, 5, 5), (1,), default_head("binary")).eval()
    x = torch.randn(2, 1, 5, 5)
    assert torch.allclose(torch.jit.script(img)(x), img(x))
    assert torch.allclose(torch.jit.trace(img, x, check_trace=False)(x), img(x))


@pytest.mark.parametrize("name", [n for n in PRESETS if not n.startswith("trigger-word")])  # trigger-word: below
def test_every_preset_builds_for_its_input_and_output(name):
    p = PRESETS[name]
    head = default_head(p.task)
    torch.manual_seed(0)
    m = build_model(get_preset(name), p.example_input_shape, p.example_output_shape, head).eval()
    x = torch.rand(2, *p.example_input_shape)
    with torch.no_grad():
        out = m(x)
    assert tuple(out.shape[1:]) == tuple(p.example_output_shape)
    assert summarize_model(get_preset(name), p.example_input_shape, p.example_output_shape, head).total_params \
        == sum(q.numel() for q in m.parameters())
    assert p.description and p.input_kind in ("text", "table", "image", "sequence")


def test_trigger_word_preset_output_length():
    # 10 s of spectrogram frames, 101 frequencies -> 1375 output steps, as in the course
    head = default_head("sequence_binary")
    for name in ("trigger-word", "trigger-word-course"):
        s = summarize_model(get_preset(name), (5511, 101), (1375,), head)
        assert s.output_shape == (1375, 1)
    m = build_model(get_preset("trigger-word"), (5511, 101), (1375,), head).eval()
    with torch.no_grad():
        assert m(torch.randn(1, 5511, 101)).shape == (1, 1375, 1)
    # the same model can be built for other clip lengths
    m = build_model(get_preset("trigger-word"), (None, 101), (None, 1), head).eval()
    with torch.no_grad():
        assert m(torch.randn(1, 403, 101)).shape == (1, 98, 1)  # (403 - 15) // 4 + 1


def test_presets_fit_other_data_of_their_kind():
    # shallow-cnn at other resolutions, digits-cnn on MNIST, mlp for regression
    head = default_head("binary")
    for size in (32, 128):
        s = summarize_model(get_preset("shallow-cnn"), (3, size, size), (1,), head)
        assert s.output_shape == (1,)
    s = summarize_model(get_preset("digits-cnn"), (1, 28, 28), (10,), default_head("multiclass"))
    assert s.output_shape == (10,) and s[7].output_shape == (64, 7, 7)
    s = summarize_model(get_preset("mlp"), (10,), (1,), default_head("regression"))
    assert s.output_shape == (1,)
    assert {p.name for p in list_presets("text")} >= {"imdb", "imdb-smaller", "imdb-bigger", "imdb-l2", "imdb-dropout"}


def test_imdb_variants_match_the_book():
    def units(spec):
        return [l.params.get("units") for l in spec.layers if l.type == "Dense"]

    assert units(get_preset("imdb")) == [16, 16, 1]
    assert [l.activation for l in get_preset("imdb").layers] == ["relu", "relu", "sigmoid"]
    assert units(get_preset("imdb-smaller")) == [4, 4, 1]
    assert units(get_preset("imdb-bigger")) == [512, 512, 1]
    assert [l.l2 for l in get_preset("imdb-l2").layers] == [0.001, 0.001, 0.0]
    assert [l.type for l in get_preset("imdb-dropout").layers] == ["Dense", "Dropout", "Dense", "Dropout", "Dense"]
    assert all(l.params["rate"] == 0.5 for l in get_preset("imdb-dropout").layers if l.type == "Dropout")


def test_head_given_as_dict_and_no_head():
    m = build_model(get_preset("mlp"), (5,), (3,), {"task": "multiclass", "activation": "softmax", "loss": "cce"})
    assert isinstance(m.head, Head) and m(torch.randn(2, 5)).shape == (2, 3)
    m = build_model(_spec(L("GRU", units=2, return_sequences=True)), (6, 2), (6, 1), None)
    assert m.sequence_output and m(torch.randn(1, 6, 2)).shape == (1, 6, 1)


def test_built_models_learn_simple_targets():
    # a per-step target (1 where feature 0 > 0 within the last 2 steps) through Conv1D + GRU + TimeDense
    torch.manual_seed(0)
    x = torch.randn(32, 12, 3)
    y = (x[:, :, 0] > 0).float()
    y = torch.maximum(y, torch.nn.functional.pad(y, (1, 0))[:, :-1])
    spec = _spec(L("Conv1D", filters=8, kernel=2, padding="same"), L("BatchNorm", activation="relu"),
                 L("GRU", units=8, return_sequences=True), L("TimeDense", units=1, activation="sigmoid"))
    head = default_head("sequence_binary")
    m = build_model(spec, (12, 3), head.output_shape(y.numpy()), head)
    opt = torch.optim.Adam(m.parameters(), 0.03)
    for _ in range(60):
        opt.zero_grad()
        loss = head.loss(m(x), y)
        loss.backward()
        opt.step()
    m.eval()
    acc = (head.predict(m(x)) == y.long()).float().mean()
    assert acc > 0.9, float(acc)
