"""Spec JSON round trip, loading, presets lookup."""
import json

import pytest

from workbench.core.errors import ProjectError, SpecError
from workbench.core.models import (
    LAYER_TYPES,
    PRESETS,
    LayerSpec,
    ModelSpec,
    default_head,
    get_preset,
    list_presets,
    load_spec,
    summarize_model,
)


def test_json_round_trip_every_preset(tmp_path):
    for name in PRESETS:
        spec = get_preset(name)
        d = spec.to_dict()
        assert json.loads(json.dumps(d)) == d  # plain JSON
        assert ModelSpec.from_dict(d) == spec
        path = tmp_path / f"{name}.json"
        spec.save(path)
        assert ModelSpec.load(path) == spec
        spec.save(tmp_path / "plain.json", atomic=False)
        assert load_spec(tmp_path / "plain.json") == spec
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temp files


def test_layer_spec_fields_and_hand_written_json(tmp_path):
    layer = LayerSpec("Conv2D", {"filters": 8, "kernel": [3, 3]}, "relu", 0.0, 0.01)
    assert layer.to_dict() == {"type": "Conv2D", "params": {"filters": 8, "kernel": [3, 3]}, "activation": "relu",
                               "l1": 0.0, "l2": 0.01}
    # settings next to "type", Keras spellings, and a bare list of layers are accepted
    path = tmp_path / "spec.json"
    path.write_text(json.dumps([{"type": "conv2d", "filters": 4, "activation": "ReLU"},
                                {"type": "GlobalAveragePooling2D"},
                                {"type": "dense", "units": 8, "activation": "linear", "l2": 0.1}]))
    spec = load_spec(str(path))
    assert spec.layers[0].params == {"filters": 4}
    s = summarize_model(spec, (3, 8, 8), (2,), default_head("multiclass"))
    assert [l.type for l in s] == ["Conv2D", "GlobalAvgPool", "Dense", "Dense"]
    assert s[0].activation == "relu" and s[2].activation == "none"


def test_loading_bad_specs(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ProjectError, match="damaged"):
        load_spec(bad)
    bad.write_text(json.dumps({"schema_version": 99, "layers": []}))
    with pytest.raises(ProjectError, match="newer version"):
        ModelSpec.load(bad)
    bad.write_text(json.dumps({"layers": [{"type": "Dense", "units": 3}, {"type": "Wobble"}]}))
    with pytest.raises(SpecError, match="layer 2 has an unknown type 'Wobble'") as e:
        load_spec(bad)
    assert e.value.layer_index == 1
    bad.write_text(json.dumps({"layers": [{"units": 3}]}))
    with pytest.raises(SpecError, match="layer 1") as e:
        ModelSpec.load(bad)
    with pytest.raises(SpecError, match="'layers' list"):
        ModelSpec.from_dict({"name": "x"})
    with pytest.raises(SpecError, match="does not exist"):
        load_spec(tmp_path / "missing.json")
    with pytest.raises(SpecError, match="imdb-bigger"):
        load_spec("no-such-model")


def test_get_preset_returns_a_copy_and_lists_names_on_error():
    a = get_preset("imdb")
    a.layers[0].params["units"] = 999
    a.layers.append(LayerSpec.make("Dropout", rate=0.1))
    assert get_preset("imdb").layers[0].params["units"] == 16
    assert len(get_preset("imdb").layers) == 3
    assert load_spec("imdb") == get_preset("imdb")
    with pytest.raises(SpecError) as e:
        get_preset("resnet")
    for name in PRESETS:
        assert name in str(e.value)
    for required in ("imdb", "imdb-smaller", "imdb-bigger", "imdb-l2", "imdb-dropout", "shallow-cnn", "digits-cnn",
                     "mlp", "trigger-word"):
        assert required in PRESETS
    assert [p.name for p in list_presets("image")][:5] == ["shallow-cnn", "digits-cnn", "pretrained-small",
                                                           "pretrained-efficientnet", "pretrained-finetune"]


def test_trigger_word_course_preset_structure():
    spec = get_preset("trigger-word-course")
    conv = spec.layers[0]
    assert (conv.type, conv.params) == ("Conv1D", {"filters": 196, "kernel": 15, "stride": 4})
    assert [l.type for l in spec.layers] == ["Conv1D", "BatchNorm", "Dropout", "GRU", "Dropout", "BatchNorm", "GRU",
                                             "Dropout", "BatchNorm", "Dropout", "TimeDense"]
    assert spec.layers[1].activation == "relu"
    assert all(l.params["units"] == 128 and l.params["return_sequences"] for l in spec.layers if l.type == "GRU")
    assert spec.layers[-1].activation == "sigmoid" and spec.layers[-1].params == {"units": 1}


def test_layer_type_metadata_is_complete():
    # other layer types get added over time; these must stay
    assert {"Dense", "TimeDense", "Conv2D", "Conv1D", "MaxPool", "AvgPool", "GlobalAvgPool", "Flatten", "Dropout",
            "BatchNorm", "GRU", "LSTM", "Activation", "Embedding", "GlobalMaxPool", "Pretrained", "AsImage"} <= set(LAYER_TYPES)
    for t in LAYER_TYPES.values():
        assert t.help and all(p.help for p in t.params.values())
