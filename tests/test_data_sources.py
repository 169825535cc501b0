"""Data sources: built-ins, image folders, CSV tables, text CSVs, load_data dispatch."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from workbench.core.data import (
    Dataset,
    ImportCancelled,
    list_builtins,
    load_csv,
    load_data,
    load_image_folder,
    load_text_csv,
)
from workbench.core.errors import DataError


# ------------------------------------------------------------------ built-ins
@pytest.mark.parametrize(
    "name, kind, n, shape, n_classes",
    [
        ("digits", "image", 1797, (8, 8, 1), 10),
        ("mnist", "image", 5000, (28, 28, 1), 10),
        ("breast_cancer", "table", 569, (30,), 2),
        ("diabetes", "table", 442, (10,), None),
        ("iris", "table", 150, (4,), 3),
        ("wine", "table", 178, (13,), 3),
    ],
)
def test_builtins_load_with_right_shapes(name, kind, n, shape, n_classes):
    ds = load_data(f"builtin:{name}")
    assert isinstance(ds, Dataset)
    assert (ds.kind, len(ds), ds.input_shape) == (kind, n, shape)
    assert ds.source == {"type": "builtin", "name": name}
    if n_classes is None:
        assert ds.class_names is None and ds.y.dtype == np.float64
    else:
        assert len(ds.class_names) == n_classes
        assert ds.y.dtype == np.int64 and set(np.unique(ds.y)) == set(range(n_classes))
    if kind == "image":
        assert ds.X.dtype == np.uint8 and ds.X.max() == 255 and ds.X.min() == 0


def test_mnist_has_500_per_class_and_digits_keep_all_grey_levels():
    mnist = load_data("builtin:mnist")
    assert np.all(np.bincount(mnist.y) == 500)
    digits = load_data("builtin:digits")
    assert len(np.unique(digits.X)) == 17  # the 17 original levels stay distinct


def test_imdb_is_25000_balanced_reviews_and_cached():
    ds = load_data("builtin:imdb")
    assert ds.kind == "text" and len(ds) == 25000 and ds.input_shape == ()
    assert ds.class_names == ["negative", "positive"]
    assert np.all(np.bincount(ds.y) == 12500)
    assert all(isinstance(t, str) and "<br />" not in t for t in ds.X[:200])
    ds.X[0] = "changed"  # callers get their own copy; the cache stays intact
    assert load_data("builtin:imdb").X[0] != "changed"


def test_list_builtins_and_unknown_builtin():
    names = [b["name"] for b in list_builtins()]
    assert {"digits", "mnist", "imdb", "breast_cancer", "diabetes", "iris", "wine"} <= set(names)
    assert all(b["description"] for b in list_builtins())
    with pytest.raises(DataError, match="digits"):
        load_data("builtin:cifar")


# ------------------------------------------------------------------ image folders
def _write(path, img):
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img)


@pytest.fixture
def image_folder(tmp_path):
    root = tmp_path / "pets"
    for i in range(3):
        # OpenCV writes BGR: (0, 0, 255) is red
        _write(root / "red" / f"r{i}.png", np.full((10, 12, 3), (0, 0, 255), np.uint8))
        _write(root / "blue" / f"b{i}.jpg", np.full((20, 16, 3), (255, 0, 0), np.uint8))
    _write(root / "blue" / "b9.bmp", np.full((5, 5, 3), (255, 0, 0), np.uint8))
    _write(root / "red" / "r9.webp", np.full((7, 9, 3), (0, 0, 255), np.uint8))
    (root / "red" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not really a png")
    (root / "red" / "notes.txt").write_text("not an image")
    (root / "red" / ".DS_Store").write_bytes(b"junk")
    return root


def test_image_folder_resizes_decodes_rgb_and_lists_skipped(image_folder):
    calls = []
    ds = load_image_folder(image_folder, image_size=(8, 6), progress=lambda d, t: calls.append((d, t)))
    assert ds.kind == "image" and ds.X.shape == (8, 8, 6, 3) and ds.X.dtype == np.uint8
    assert ds.class_names == ["blue", "red"]
    assert np.bincount(ds.y).tolist() == [4, 4]
    red = ds.X[ds.y == 1]
    blue = ds.X[ds.y == 0]
    # jpg is lossy: allow a few levels
    assert np.all(red[..., 0] >= 250) and np.all(red[..., 2] <= 5)
    assert np.all(blue[..., 2] >= 250) and np.all(blue[..., 0] <= 5)
    skipped = {Path(p).name: reason for p, reason in ds.skipped}
    assert set(skipped) == {"broken.png", "notes.txt"}
    assert "not an image file" in skipped["notes.txt"]
    assert "corrupt" in skipped["broken.png"]
    assert calls[0] == (0, 9) and calls[-1] == (9, 9)  # the .txt is never a candidate
    assert len(ds.paths) == 8 and all(p.endswith((".png", ".jpg", ".bmp", ".webp")) for p in ds.paths)
    assert ds.source["type"] == "image_folder" and ds.source["image_size"] == [8, 6]
    again = load_data(ds.source)
    assert np.array_equal(again.X, ds.X) and np.array_equal(again.y, ds.y)


def test_image_folder_grayscale_via_load_data(image_folder):
    ds = load_data(image_folder, image_size=(4, 4), grayscale=True)
    assert ds.X.shape == (8, 4, 4, 1)


def test_image_import_can_be_cancelled(image_folder):
    with pytest.raises(ImportCancelled, match="cancelled"):
        load_image_folder(image_folder, image_size=(4, 4), should_cancel=lambda: True, workers=1)
    assert issubclass(ImportCancelled, DataError)


def test_image_folder_errors_are_one_clear_sentence(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_data(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataError, match="is empty"):
        load_data(empty)
    (empty / "cats").mkdir()
    with pytest.raises(DataError, match="No images were found"):
        load_data(empty)
    single = tmp_path / "single"
    _write(single / "cats" / "a.png", np.zeros((4, 4, 3), np.uint8))
    (single / "dogs").mkdir()
    with pytest.raises(DataError, match="Only one class .'cats'. has images"):
        load_data(single)
    loose = tmp_path / "loose"
    _write(loose / "a.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(DataError, match="no class subfolders"):
        load_data(loose)


def test_class_whose_images_are_all_corrupt_is_dropped(tmp_path):
    root = tmp_path / "d"
    for c in ("a", "b"):
        _write(root / c / "x.png", np.zeros((4, 4, 3), np.uint8))
    (root / "c").mkdir()
    (root / "c" / "bad.jpg").write_bytes(b"nope")
    ds = load_image_folder(root, (4, 4))
    assert ds.class_names == ["a", "b"] and sorted(ds.y.tolist()) == [0, 1]
    assert any("no readable images" in r for _, r in ds.skipped)
    (root / "b" / "x.png").write_bytes(b"nope")
    with pytest.raises(DataError, match="Only class 'a' has readable images"):
        load_image_folder(root, (4, 4))


# ------------------------------------------------------------------ CSV tables
CSV = """id,colour,size,when,price
1,red,1.5,2024-01-03,10
2,blue,NA,2024-01-01,20
3,?,2.5,2024-01-02,30
4,red,,2024-01-05,
5,green,4.0,2024-01-04,50
"""


def test_csv_categoricals_missing_and_time(tmp_path):
    f = tmp_path / "shop.csv"
    f.write_text(CSV)
    ds = load_csv(f, target="price", time_column="when")
    # 4 distinct integers in 4 rows: every row its own value, so regression, not classes
    assert ds.kind == "table" and ds.class_names is None
    assert ds.feature_names == ["id", "colour", "size"]
    assert ds.categories == {1: ["blue", "green", "red"]}
    # the row with a missing target is left out and reported
    assert len(ds) == 4 and any("target 'price' is missing" in r for _, r in ds.skipped)
    # sorted by time: 01-01 (id 2), 01-02 (id 3), 01-03 (id 1), 01-04 (id 5)
    assert ds.X[:, 0].tolist() == [2, 3, 1, 5]
    assert ds.time.dtype.kind == "M" and np.all(np.diff(ds.time) > np.timedelta64(0))
    colour = ds.X[:, 1]
    assert np.isnan(colour[1]) and colour[0] == 0 and colour[3] == 1  # '?' is missing
    assert np.isnan(ds.X[0, 2])  # NA
    assert ds.target_name == "price" and ds.source["time_column"] == "when"
    from workbench.core.data import summarize

    assert summarize(ds).time_range == ["2024-01-01", "2024-01-04"]
    again = load_data(ds.source)  # run files reload the same table from the source dict
    assert np.array_equal(again.X, ds.X, equal_nan=True) and again.categories == ds.categories


def test_csv_target_type_is_decided_from_values(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("a;b;grade;score\n" + "".join(f"{i};{i % 3};{i % 4};{i * 0.37:.2f}\n" for i in range(40)))
    cls = load_csv(f, target="grade")  # few integer values -> classes, ';' sniffed
    assert cls.class_names == ["0", "1", "2", "3"] and cls.y.dtype == np.int64
    reg = load_csv(f)  # default: the last column, fractional -> regression
    assert reg.target_name == "score" and reg.class_names is None
    many = load_csv(f, target="a")  # 40 distinct integers -> regression
    assert many.class_names is None
    forced = load_csv(f, target="a", task="classification")
    assert len(forced.class_names) == 40
    text_target = tmp_path / "s.csv"
    text_target.write_text("x,animal\n1,cat\n2,dog\n3,cat\n")
    ds = load_data(text_target)
    assert ds.class_names == ["cat", "dog"] and ds.y.tolist() == [0, 1, 0]


def test_csv_errors(tmp_path):
    f = tmp_path / "a.csv"
    f.write_text("x,y,label\n1,2,a\n3,4,b\n")
    with pytest.raises(DataError, match=r"no target column 'z' in a.csv; available columns: x, y, label"):
        load_data(f, target="z")
    with pytest.raises(DataError, match="no time column 'when'"):
        load_csv(f, time_column="when")
    with pytest.raises(DataError, match="neither a number nor a date"):
        load_csv(_w(tmp_path / "b.csv", "t,x,label\nmonday,1,a\ntuesday,2,b\n"), time_column="t")
    with pytest.raises(DataError, match="only one class"):
        load_csv(_w(tmp_path / "c.csv", "x,label\n1,a\n2,a\n"))
    with pytest.raises(DataError, match="Line 3 of d.csv has 2 values"):
        load_csv(_w(tmp_path / "d.csv", "x,y,label\n1,2,a\n3,b\n"))
    with pytest.raises(DataError, match="is empty"):
        load_csv(_w(tmp_path / "e.csv", ""))
    with pytest.raises(DataError, match="not a data source"):
        load_data(_w(tmp_path / "f.json", "{}"))


def _w(path, text):
    path.write_text(text)
    return path


def test_text_csv(tmp_path):
    f = _w(tmp_path / "reviews.csv", 'review,stars\n"Great, loved it",pos\nawful,neg\n,pos\n"meh\nok",neg\n')
    ds = load_text_csv(f, text_column="review")
    assert ds.kind == "text" and len(ds) == 3
    assert ds.X.tolist() == ["Great, loved it", "awful", "meh\nok"]
    assert ds.class_names == ["neg", "pos"] and ds.y.tolist() == [1, 0, 0]
    assert ds.skipped and "empty text" in ds.skipped[0][1]
    via = load_data(f, text_column="review", target="stars")
    assert via.X.tolist() == ds.X.tolist()
    with pytest.raises(DataError, match="no text column 'body'"):
        load_text_csv(f, text_column="body")
