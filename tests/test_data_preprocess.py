"""Preprocessing is fitted on the training rows only and can be saved and re-applied."""
from __future__ import annotations

import json

import numpy as np
import pytest

from workbench.core.data import Dataset, Preprocessor, load_csv, tokenize
from workbench.core.errors import DataError


def table(X, categories=None, names=None, y=None):
    X = np.asarray(X, dtype=np.float64)
    return Dataset(name="t", kind="table", X=X, y=np.zeros(len(X)) if y is None else y,
                   feature_names=names or [f"f{j}" for j in range(X.shape[1])], categories=categories or {})


def roundtrip(p: Preprocessor) -> Preprocessor:
    return Preprocessor.from_dict(json.loads(json.dumps(p.to_dict())))


@pytest.mark.parametrize("scale", ["minmax", "standard"])
def test_scaler_statistics_come_from_training_rows_only(scale):
    rng = np.random.default_rng(0)
    X = rng.normal(5, 2, size=(50, 3))
    X[:, 2] = 7.0  # a constant column must not divide by zero
    ds = table(X)
    train = np.arange(40)
    ref = Preprocessor(scale=scale).fit(ds, train).transform(ds)
    X2 = X.copy()
    X2[45] = 1e9  # a huge value in a held-out row
    ds2 = table(X2)
    p2 = Preprocessor(scale=scale).fit(ds2, train)
    out = p2.transform(ds2)
    assert np.allclose(out[:45], ref[:45]) and np.allclose(out[46:], ref[46:])
    assert out[45, 0] > 1e6  # scaled with the training statistics, not clipped
    tr = out[train]
    if scale == "minmax":
        assert np.allclose(tr[:, :2].min(0), 0) and np.allclose(tr[:, :2].max(0), 1)
    else:
        assert np.allclose(tr[:, :2].mean(0), 0, atol=1e-6) and np.allclose(tr[:, :2].std(0), 1, atol=1e-5)
    assert np.all(np.isfinite(out[:, 2])) and np.allclose(np.delete(out[:, 2], 45), 0)
    assert out.dtype == np.float32 and p2.output_shape == (3,)


def test_categoricals_one_hot_over_training_categories_unseen_is_all_zero():
    # column 0 categorical ["a", "b", "c"]; "c" (code 2) appears only outside training
    X = [[0, 1.0], [1, 2.0], [0, 3.0], [2, 4.0], [np.nan, 5.0]]
    ds = table(X, categories={0: ["a", "b", "c"]}, names=["kind", "x"])
    p = Preprocessor(scale="none", missing="zero").fit(ds, [0, 1, 2])
    assert p.feature_names_out == ["kind=a", "kind=b", "x"]
    out = p.transform(ds)
    assert out[:, :2].tolist() == [[1, 0], [0, 1], [1, 0], [0, 0], [0, 0]]
    assert out[:, 2].tolist() == [1, 2, 3, 4, 5]


def test_categories_are_matched_by_name_when_the_file_is_loaded_again(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("colour,x,y\nred,1,0\nblue,2,1\nred,3,0\nblue,4,1\n")
    train = load_csv(f)
    p = roundtrip(Preprocessor().fit(train))
    g = tmp_path / "b.csv"  # "green" sorts between blue and red, so the codes shift
    g.write_text("colour,x,y\nred,1,0\ngreen,2,1\nblue,3,0\nblue,4,1\n")
    out = p.transform(load_csv(g))
    assert p.feature_names_out == ["colour=blue", "colour=red", "x"]
    assert out[:, :2].tolist() == [[0, 1], [0, 0], [1, 0], [1, 0]]


def test_missing_values_zero_indicator_and_real_zero_warning():
    X = [[0.0, 1.0], [np.nan, 2.0], [3.0, np.nan], [4.0, 5.0], [np.nan, np.nan]]
    ds = table(X, names=["count", "size"])
    p = Preprocessor(scale="none", missing="zero").fit(ds, [0, 1, 2, 3])
    out = p.transform(ds)
    assert out.tolist() == [[0, 1], [0, 2], [3, 0], [4, 5], [0, 0]]
    # 'count' has a real 0 and missing values: the model cannot tell them apart
    assert len(p.warnings) == 1 and "'count'" in p.warnings[0] and "missing='indicator'" in p.warnings[0]
    pi = Preprocessor(scale="none", missing="indicator").fit(ds, [0, 1, 2, 3])
    assert pi.feature_names_out == ["count", "size", "count was missing", "size was missing"]
    assert pi.transform(ds).tolist() == [[0, 1, 0, 0], [0, 2, 1, 0], [3, 0, 0, 1], [4, 5, 0, 0], [0, 0, 1, 1]]
    # only columns with missing values in *training* rows get an indicator
    p_first = Preprocessor(scale="none", missing="indicator").fit(ds, [0, 3])
    assert p_first.feature_names_out == ["count", "size"] and p_first.warnings == []


def test_missing_after_standard_scaling_is_the_training_mean():
    ds = table([[1.0], [3.0], [np.nan]])
    out = Preprocessor(scale="standard").fit(ds, [0, 1]).transform(ds)
    assert out[:, 0].tolist() == [-1, 1, 0]


def test_images_become_float_nchw_and_channel_scaling_uses_training_images():
    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, size=(6, 4, 5, 3), dtype=np.uint8)
    ds = Dataset(name="i", kind="image", X=X, y=np.arange(6) % 2, class_names=["a", "b"])
    p = Preprocessor().fit(ds, [0, 1, 2, 3])
    out = p.transform(ds, [4, 5])
    assert out.shape == (2, 3, 4, 5) and out.dtype == np.float32 and p.output_shape == (3, 4, 5)
    assert np.allclose(out, X[4:].transpose(0, 3, 1, 2) / 255.0)
    ps = Preprocessor(scale="standard").fit(ds, [0, 1, 2, 3])
    tr = ps.transform(ds, [0, 1, 2, 3])
    assert np.allclose(tr.mean(axis=(0, 2, 3)), 0, atol=1e-5) and np.allclose(tr.std(axis=(0, 2, 3)), 1, atol=1e-4)
    back = roundtrip(ps)
    assert np.array_equal(back.transform(ds), ps.transform(ds))
    with pytest.raises(DataError, match="trained on 4x5"):
        p.transform_inputs(np.zeros((1, 8, 8, 3), np.uint8))


def test_text_multi_hot_vocabulary_from_training_texts_only():
    texts = ["The film was great, GREAT fun!", "the plot was dull", "don't watch: dull dull", "brilliant acting"]
    ds = Dataset(name="x", kind="text", X=np.array(texts, dtype=object), y=np.array([1, 0, 0, 1]),
                 class_names=["neg", "pos"])
    assert tokenize("Don't STOP, now!") == ["don't", "stop", "now"]
    p = Preprocessor(vocab_size=4).fit(ds, [0, 1, 2])
    # counts: dull 3, the 2, was 2, great 2 -> ties broken alphabetically
    assert p.feature_names_out == ["dull", "great", "the", "was"]
    out = p.transform(ds)
    assert out.tolist() == [[0, 1, 1, 1], [1, 0, 1, 1], [1, 0, 0, 0], [0, 0, 0, 0]]  # multi-hot, not counts
    assert "brilliant" not in Preprocessor(vocab_size=100).fit(ds, [0, 1, 2]).feature_names_out
    assert roundtrip(p).transform_inputs(["great dull"]).tolist() == [[1, 1, 0, 0]]
    assert Preprocessor(vocab_size=100).fit(ds, [0, 1, 2]).warnings  # fewer words than asked


def test_preprocessor_round_trip_and_checks():
    ds = table([[1, 0, 2.0], [0, 1, np.nan], [1, 1, 5.0]], categories={0: ["n", "y"]})
    p = Preprocessor(scale="minmax", missing="indicator").fit(ds, [0, 1])
    back = roundtrip(p)
    assert back.feature_names_out == p.feature_names_out and back.output_shape == p.output_shape
    assert np.array_equal(back.transform(ds), p.transform(ds))
    with pytest.raises(DataError, match="columns"):
        p.transform(table([[1.0, 2.0]]))
    with pytest.raises(DataError, match="Unknown scaling"):
        Preprocessor(scale="log")
    with pytest.raises(RuntimeError):
        Preprocessor().transform(ds)
