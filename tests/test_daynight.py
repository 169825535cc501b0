"""Day'n'Night data: generator, bias controls, subgroup reports, folder round trip with bad files."""
import numpy as np
import pytest

from workbench.core.errors import DataError
from workbench.core.studies.daynight.data import (
    CLASS_NAMES,
    GenerationCancelled,
    format_report,
    generate_dataset,
    generate_shifted,
    groups_from_paths,
    plan_groups,
    subgroup_report,
    write_folder,
)
from workbench.core.studies.daynight.scenes import GROUPS, render_scene


def test_generator_is_seeded_and_labelled():
    a = generate_dataset(60, 24, seed=3)
    b = generate_dataset(60, 24, seed=3, workers=1)
    c = generate_dataset(60, 24, seed=4)
    assert a.X.shape == (60, 24, 24, 3) and a.X.dtype == np.uint8
    assert np.array_equal(a.X, b.X) and np.array_equal(a.groups, b.groups)  # same whatever the threads
    assert not np.array_equal(a.X, c.X)
    assert a.class_names == CLASS_NAMES == ["day", "night"]
    for g, label in zip(a.groups, a.y):
        assert CLASS_NAMES[label] == GROUPS[g]


def test_every_group_renders_at_every_size():
    for g in GROUPS:
        for size in (16, 32, 64, 128):
            img = render_scene(g, np.random.default_rng(0), size, size)
            assert img.shape == (size, size, 3) and img.dtype == np.uint8
    wide = render_scene("dusk", np.random.default_rng(0), 80, 40)
    assert wide.shape == (40, 80, 3)


def test_day_scenes_are_brighter_on_average_but_hard_cases_overlap():
    ds = generate_dataset(600, 32, hard_share=0.5, seed=1)
    lum = ds.X.reshape(len(ds), -1).mean(1)
    mean = {g: lum[ds.groups == g].mean() for g in GROUPS}
    assert mean["clear_day"] > mean["night"] + 80
    # the hard cases are hard: the brightest hard night is brighter than the darkest hard day
    hard_night = lum[np.isin(ds.groups, ["dusk", "city_night"])]
    hard_day = lum[np.isin(ds.groups, ["dawn", "overcast_day"])]
    assert hard_night.max() > hard_day.min()


def test_bias_controls_balance_and_hard_share():
    groups = plan_groups(1000, balance=0.7, hard_share=0.3, seed=0)
    day = np.isin(groups, ["clear_day", "overcast_day", "dawn"])
    assert day.sum() == 700
    hard = np.isin(groups, ["overcast_day", "dawn", "dusk", "city_night"])
    assert hard.sum() == 300
    assert set(groups) == set(GROUPS)
    none_hard = plan_groups(200, hard_share=0.0)
    assert set(none_hard) == {"clear_day", "night"}
    only = plan_groups(101, only_groups=["dusk", "dawn"])
    assert set(only) == {"dusk", "dawn"} and abs((only == "dawn").sum() - 50) <= 1
    night_only = plan_groups(10, only_groups=["city_night"])
    assert set(night_only) == {"city_night"}
    with pytest.raises(DataError, match="between 0 and 1"):
        plan_groups(10, balance=1.5)
    with pytest.raises(DataError, match="Unknown scene group"):
        plan_groups(10, only_groups=["noon"])


def test_shifted_test_sets_and_tint():
    dusk = generate_shifted("dusk", n=40, size=24)
    assert set(dusk.groups) == {"dusk", "dawn"}
    base = generate_dataset(40, 24, seed=9)
    warm = generate_dataset(40, 24, seed=9, tint="warm")
    # same scenes, warmer camera: more red, less blue
    assert warm.X[..., 0].mean() > base.X[..., 0].mean() + 5
    assert warm.X[..., 2].mean() < base.X[..., 2].mean() - 5
    assert warm.source["tint"] == pytest.approx([1.25, 1.0, 0.7])
    with pytest.raises(DataError, match="Unknown tint"):
        generate_dataset(4, 16, tint="sepia")
    with pytest.raises(DataError, match="Unknown shift"):
        generate_shifted("fog", n=4, size=16)


def test_progress_and_cancel():
    seen = []
    generate_dataset(200, 16, progress=lambda d, t: seen.append((d, t)), workers=1)
    assert seen[0] == (0, 200) and seen[-1] == (200, 200)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    with pytest.raises(GenerationCancelled):
        generate_dataset(2000, 16, should_cancel=lambda: True, workers=1)


def test_subgroup_report():
    y = np.array([0, 0, 1, 1, 1, 0])
    pred = np.array([0, 1, 1, 1, 0, 0])
    groups = np.array(["clear_day", "dawn", "night", "night", "dusk", "clear_day"])
    rows = subgroup_report(y, pred, groups, p_day=np.array([0.9, 0.2, 0.1, 0.2, 0.7, 0.8]))
    by = {r["group"]: r for r in rows}
    assert by["dawn"]["accuracy"] == 0 and by["dawn"]["label"] == "day"
    assert by["dusk"]["errors"] == 1 and by["dusk"]["mean_p_day"] == pytest.approx(0.7)
    assert by["night"]["accuracy"] == 1 and by["clear_day"]["n"] == 2
    assert rows[-1]["group"] == "all" and rows[-1]["accuracy"] == pytest.approx(4 / 6)
    assert rows[0]["accuracy"] <= rows[1]["accuracy"]  # worst first
    text = format_report(rows)
    assert "dawn" in text and "66.7%" in text


def test_write_folder_then_import_with_bad_files(tmp_path):
    from workbench.core.data import load_data

    out = tmp_path / "dn"
    summary = write_folder(out, n=40, size=24, seed=2, hard_share=0.5)
    assert summary["classes"] == {"day": 20, "night": 20}
    assert len(list((out / "day").glob("*.png"))) == 20
    # a user's folder is messy: a corrupt jpeg, a text file, an empty png
    (out / "day" / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    (out / "night" / "readme.txt").write_text("hello")
    (out / "night" / "empty.png").write_bytes(b"")
    ds = load_data(out, image_size=(24, 24))
    assert len(ds) == 40 and ds.class_names == ["day", "night"]
    skipped = {s[0].rsplit("/", 1)[-1] for s in ds.skipped}
    assert {"broken.jpg", "readme.txt", "empty.png"} <= skipped
    groups = groups_from_paths(ds.paths)
    assert groups is not None
    for g, label in zip(groups, ds.y):
        assert CLASS_NAMES[label] == GROUPS[g]
    # the files hold the same pixels the in-memory generator makes (PNG is lossless)
    mem = generate_dataset(40, 24, seed=2, hard_share=0.5)
    i = int(ds.paths[0].rsplit("/", 1)[-1].split("_")[0])
    assert np.array_equal(ds.X[0], mem.X[i])


def test_write_folder_rejects_bad_format(tmp_path):
    with pytest.raises(DataError, match="png, jpg"):
        write_folder(tmp_path, n=2, size=16, fmt="gif")
