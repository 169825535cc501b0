"""Day'n'Night model: learnable labels, subgroups, shifted test set, live classifier, export round trip."""
import numpy as np
import pytest

from workbench.core.capture.camera import SyntheticCameraSource, VideoFileSource
from workbench.core.studies.daynight.data import generate_dataset, generate_shifted
from workbench.core.studies.daynight.export import export_model, load_exported, onnx_unavailable_reason
from workbench.core.studies.daynight.live import LiveClassifier
from workbench.core.studies.daynight.model import (
    DayNightModel,
    classify_paths,
    evaluate_on,
    misclassified,
    resolution_sweep,
    to_inputs,
    train_daynight,
)


@pytest.fixture(scope="module")
def data():
    return generate_dataset(400, 32, hard_share=0.2, seed=11)


@pytest.fixture(scope="module")
def trained(data):
    return train_daynight(data, 32, epochs=4, batch_size=32, lr=3e-3, seed=0, split="holdout:0.15,0.25",
                          early_stopping=None, device="cpu")


def test_labels_are_learnable(trained):
    # a tiny CNN trained for a few epochs on 255 images clearly beats chance (0.5)
    assert trained.test_accuracy >= 0.85, trained.summary()
    assert trained.baseline <= 0.6
    assert len(trained.fit.history) == 4
    assert trained.summary()["params"] > 1000


def test_per_subgroup_results(trained, data):
    rows = trained.subgroups
    groups = {r["group"] for r in rows}
    assert "all" in groups and {"clear_day", "night"} <= groups
    assert sum(r["n"] for r in rows if r["group"] != "all") == len(trained.test_idx) == 100
    by = {r["group"]: r for r in rows}
    assert by["all"]["accuracy"] == pytest.approx(trained.test_accuracy)
    assert by["clear_day"]["label"] == "day" and by["night"]["label"] == "night"
    # easy scenes are the easiest: a trained model gets them (almost) all
    assert by["clear_day"]["accuracy"] >= 0.9 and by["night"]["accuracy"] >= 0.9


def test_misclassified_sorted_by_confidence(trained):
    rows = trained.misclassified()
    assert len(rows) == int((trained.pred_test != trained.y_test).sum())
    conf = [r["confidence"] for r in rows]
    assert conf == sorted(conf, reverse=True)
    assert all(r["true"] != r["pred"] and r["confidence"] >= 0.5 for r in rows)
    # hand-made case: the most confident mistake comes first
    out = misclassified([10, 11, 12], np.array([0, 0, 1]), np.array([1, 1, 1]), np.array([0.4, 0.05, 0.2]))
    assert [r["index"] for r in out] == [11, 10]


def test_shifted_test_set_is_scored_per_group(trained):
    shifted = generate_shifted("dusk", n=40, size=32)
    res = evaluate_on(trained.model, shifted)
    assert res["n"] == 40 and 0.0 <= res["accuracy"] <= 1.0
    assert {r["group"] for r in res["subgroups"]} == {"dusk", "dawn", "all"}


def test_p_day_for_any_image_size(trained):
    m = trained.model
    imgs = generate_dataset(6, 80, seed=5).X  # bigger than the model's 32 px: resized on the way in
    p = m.p_day(imgs)
    assert p.shape == (6,) and np.all((p >= 0) & (p <= 1))
    labels, p2 = m.predict(imgs)
    assert np.allclose(p, p2) and set(labels) <= {0, 1}
    x = to_inputs(imgs[:2], 32)
    assert x.shape == (2, 3, 32, 32) and x.dtype == np.float32 and x.max() <= 1.0


def test_live_classifier_probability_per_frame_from_video(trained, tmp_path):
    import cv2

    frames = generate_dataset(8, 64, seed=21, hard_share=0.0)
    path = tmp_path / "live.avi"
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 8.0, (64, 64))
    for f in frames.X:
        vw.write(np.ascontiguousarray(f[:, :, ::-1]))
    vw.release()
    # a consumer that takes every frame (the grabber gates nothing here, so read it through once)
    readings = []
    with VideoFileSource(path) as src:
        for frame in src:
            readings.append(LiveClassifier(trained.model, src).classify_frame(frame))
    assert len(readings) == 8 and all(0.0 <= p <= 1.0 for p in readings)
    # the live loop: newest frame wins, every reading has a probability and increasing frame numbers
    live = LiveClassifier(trained.model, VideoFileSource(path))
    got = live.run(timeout=5)
    assert 1 <= len(got) <= 8
    nos = [r.frame_no for r in got]
    assert nos == sorted(set(nos)) and nos[-1] == 7
    assert all(0.0 <= r.p_day <= 1.0 and r.label in ("day", "night") for r in got)
    assert got[-1].dropped == 8 - len(got)
    # most frames are classified correctly (clear day / night scenes, MJPEG-compressed)
    truth = (frames.y == 0)
    assert np.mean((np.array(readings) >= 0.5) == truth) >= 0.75


def test_live_classifier_stepwise_with_smoothing(trained):
    scenes = generate_dataset(2, 48, seed=4, only_groups=["clear_day"]).X
    src = SyntheticCameraSource(lambda i: scenes[i % 2], size=(48, 48), n_frames=5)
    with LiveClassifier(trained.model, src, smoothing=0.5) as live:
        r = live.step(timeout=5)
        assert r is not None and r.frame is not None and r.frame.shape == (48, 48, 3)
        assert r.latency_ms >= 0
        while live.step(timeout=5) is not None:
            pass
        assert live.finished


def test_export_round_trip_same_outputs(trained, tmp_path):
    res = export_model(trained.model, tmp_path / "export")
    assert (tmp_path / "export" / "daynight.torchscript.pt").is_file()
    if onnx_unavailable_reason() is not None:
        assert res["onnx"] is None and "onnx" in res["onnx_skipped"].lower()
    loaded = load_exported(tmp_path / "export")
    assert loaded.size == 32 and loaded.class_names == ["day", "night"]
    assert loaded.meta["input"]["scaling"].startswith("x / 255")
    imgs = generate_dataset(10, 32, seed=8).X
    assert np.allclose(loaded.logits(imgs), trained.model.logits(imgs), atol=1e-5)
    assert np.allclose(loaded.p_day(imgs), trained.model.p_day(imgs), atol=1e-6)
    # the loaded export also drives the live classifier
    src = SyntheticCameraSource(lambda i: imgs[i], size=(32, 32), n_frames=3)
    assert len(LiveClassifier(loaded, src).run(timeout=5)) >= 1


def test_save_load_model_and_classify_paths(trained, tmp_path):
    import cv2

    trained.model.save(tmp_path / "m")
    m2 = DayNightModel.load(tmp_path / "m")
    imgs = generate_dataset(4, 32, seed=3).X
    assert np.allclose(m2.p_day(imgs), trained.model.p_day(imgs), atol=1e-6)
    folder = tmp_path / "photos"
    (folder / "sub").mkdir(parents=True)
    for i, img in enumerate(imgs):
        cv2.imwrite(str(folder / ("sub" if i % 2 else "") / f"{i}.png"), img[:, :, ::-1])
    (folder / "bad.png").write_bytes(b"nope")
    rows, skipped = classify_paths(m2, [folder, tmp_path / "missing.jpg"])
    assert len(rows) == 4 and all(0 <= r["p_day"] <= 1 and r["label"] in ("day", "night") for r in rows)
    assert {s[0].rsplit("/", 1)[-1] for s in skipped} == {"bad.png", "missing.jpg"}


def test_resolution_sweep_and_run_history(tmp_path):
    from workbench.core.runs import RunStore

    ds = generate_dataset(120, 32, seed=2)
    seen = []
    store = RunStore(tmp_path / "project")
    rows = resolution_sweep(ds, (16, 24), epochs=1, batch_size=32, split="holdout:0.2,0.2", early_stopping=None,
                            on_result=seen.append, run_store=store, device="cpu")
    assert [r["size"] for r in rows] == [16, 24] and seen == rows
    assert all(r["train_time"] > 0 and 0 <= r["test_accuracy"] <= 1 for r in rows)
    runs = store.list()
    assert len(runs) == 2 and {r["task"] for r in runs} == {"binary"}
    assert all(r["test"] is not None for r in runs)


def test_dataset_at_redraws_generated_sets_and_resizes_others():
    from workbench.core.studies.daynight.model import dataset_at

    ds = generate_dataset(12, 32, seed=6, hard_share=0.5)
    small = dataset_at(ds, 16)
    assert np.array_equal(small.X, generate_dataset(12, 16, seed=6, hard_share=0.5).X)  # the same scenes, redrawn
    assert np.array_equal(small.groups, ds.groups) and np.array_equal(small.y, ds.y)
    assert dataset_at(ds, 32) is ds
    ds.source = {"type": "image_folder"}
    resized = dataset_at(ds, 16)
    assert resized.X.shape == (12, 16, 16, 3) and np.array_equal(resized.y, ds.y)


def test_live_classifier_runs_on_one_torch_thread_and_restores_it(trained):
    import torch

    imgs = generate_dataset(3, 32, seed=2).X
    seen = []
    torch.set_num_threads(2)
    try:
        live = LiveClassifier(trained.model, SyntheticCameraSource(lambda i: imgs[i], size=(32, 32), n_frames=3))
        live.run(lambda r: seen.append(torch.get_num_threads()), timeout=5)
        assert seen and set(seen) == {1}
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)
