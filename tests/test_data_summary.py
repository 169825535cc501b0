"""summarize(): counts, statistics, duplicates and the warnings a teacher would give."""
from __future__ import annotations

import json

import numpy as np

from workbench.core.data import Dataset, find_duplicates, load_csv, summarize


def strict_json(d) -> dict:
    return json.loads(json.dumps(d, allow_nan=False))


def test_table_summary_statistics_missing_and_categories(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("colour,size,label\nred,1,a\nblue,NA,b\nred,3,a\n?,5,b\n" + "red,2,a\nblue,4,b\n" * 60)
    s = summarize(load_csv(f))
    d = strict_json(s.to_dict())
    assert d["n_samples"] == 124 and d["input_shape"] == [2] and d["task"] == "classification"
    assert d["classes"] == [{"name": "a", "count": 62}, {"name": "b", "count": 62}]
    size = next(x for x in d["features"] if x["name"] == "size")
    assert (size["min"], size["max"], size["missing"]) == (1.0, 5.0, 1)
    colour = next(x for x in d["features"] if x["name"] == "colour")
    assert colour["type"] == "categorical" and colour["categories"] == ["blue", "red"] and colour["counts"] == [61, 62]
    assert d["missing"] == {"colour": 1, "size": 1}
    # 60 copies of each of two rows: 118 extra copies in 2 groups
    assert d["duplicates"]["groups"] == 2 and d["duplicates"]["extra_copies"] == 118
    assert any("118 samples are exact copies" in w for w in s.warnings)
    text = s.to_text()
    assert "124 samples" in text and "categorical: blue, red" in text and "Warnings:" in text


def test_imbalance_range_and_too_little_data_warnings_say_numbers():
    rng = np.random.default_rng(0)
    X = np.c_[rng.uniform(0, 100_000, 300), rng.uniform(0, 1, 300)]
    y = np.r_[np.zeros(270), np.ones(30)].astype(np.int64)
    ds = Dataset(name="loans", kind="table", X=X, y=y, class_names=["paid", "default"], feature_names=["income", "ratio"])
    w = " | ".join(summarize(ds).warnings)
    assert "badly imbalanced: 'paid' has 270 samples but 'default' only 30 (9:1)" in w
    assert "already scores 90% accuracy" in w
    assert "very different ranges: 'income'" in w and "'ratio'" in w
    assert "class 'default' has only 30 samples" in w
    balanced = Dataset(name="ok", kind="table", X=rng.uniform(0, 1, (400, 2)), y=np.arange(400) % 2,
                       class_names=["a", "b"], feature_names=["p", "q"])
    assert summarize(balanced).warnings == []


def test_regression_and_conflicting_duplicates():
    X = np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 4.0]] * 1)
    ds = Dataset(name="r", kind="table", X=X, y=np.array([1.5, 2.5, 3.0]))
    s = summarize(ds)
    assert s.task == "regression" and s.target["min"] == 1.5 and s.target["max"] == 3.0
    assert any("Too little data: 3 samples for regression" in w for w in s.warnings)
    cls = Dataset(name="c", kind="table", X=X, y=np.array([0, 1, 1]), class_names=["x", "y"])
    s = summarize(cls)
    assert s.duplicates["conflicting_groups"] == 1
    assert any("different labels" in w for w in s.warnings)


def test_image_summary_per_channel_and_duplicate_images():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(40, 6, 6, 3), dtype=np.uint8)
    X[:, :, :, 0] = 10  # red is constant
    X[5] = X[7]
    ds = Dataset(name="img", kind="image", X=X, y=np.arange(40) % 2, class_names=["a", "b"])
    s = summarize(ds)
    red, green, blue = s.features
    assert red["name"] == "red" and red["min"] == red["max"] == 10 and red["std"] == 0
    assert abs(green["mean"] - X[..., 1].mean()) < 1e-9 and abs(blue["std"] - X[..., 2].std()) < 1e-9
    assert [g.tolist() for g in find_duplicates(ds)] == [[5, 7]]
    assert s.input_shape == (6, 6, 3) and "Channels" in s.to_text()
    strict_json(s.to_dict())


def test_text_summary_and_duplicates():
    texts = np.array(["good film", "bad film", "good film", "Good film", "ok"], dtype=object)
    ds = Dataset(name="t", kind="text", X=texts, y=np.array([1, 0, 1, 1, 0]), class_names=["neg", "pos"])
    s = summarize(ds)
    length = s.features[0]
    assert (length["min"], length["max"]) == (1.0, 2.0)
    assert [g.tolist() for g in find_duplicates(ds)] == [[0, 2]]  # exact text only
    assert s.duplicates["extra_copies"] == 1
    assert "Text length" in s.to_text()


def test_skipped_files_and_wide_table_text_is_bounded():
    X = np.random.default_rng(0).normal(size=(20, 100))
    ds = Dataset(name="wide", kind="table", X=X, y=np.arange(20) % 2, class_names=["a", "b"],
                 skipped=[("a.txt", "not an image file (.txt)")])
    s = summarize(ds)
    text = s.to_text()
    assert "... 70 more features" in text and "a.txt: not an image file" in text
    assert any("Only 20 rows for 100 input columns" in w for w in s.warnings)
    assert any("skipped" in w for w in s.warnings)


def test_id_like_columns_are_flagged():
    rng = np.random.default_rng(0)
    n = 60
    X = np.c_[rng.permutation(n) + 1, rng.normal(size=n), rng.integers(0, 5, n)]
    ds = Dataset(name="ids", kind="table", X=X, y=np.arange(n) % 2, class_names=["a", "b"],
                 feature_names=["row", "x", "small"])
    w = [x for x in summarize(ds).warnings if "like an ID" in x]
    assert len(w) == 1 and "'row'" in w[0] and "'x'" not in w[0] and "'small'" not in w[0]
