"""Image folders larger than memory stream from the on-disk cache: same training, cache reused,
invalidated when a file changes, and cleared on request."""
from __future__ import annotations

import os

import numpy as np
import pytest

from workbench.core.data import image_cache
from workbench.core.data import images as images_mod
from workbench.core.data.images import load_image_folder


def _folder(root, n=12, size=12):
    import cv2

    rng = np.random.default_rng(0)
    for c, base in (("dark", 40), ("light", 200)):
        (root / c).mkdir(parents=True)
        for i in range(n):
            img = np.clip(rng.normal(base, 30, (size, size, 3)), 0, 255).astype(np.uint8)
            cv2.imwrite(str(root / c / f"{i}.png"), img)
    return root


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "images"


def test_streamed_folder_trains_like_the_in_memory_one(tmp_path, cache, monkeypatch):
    from workbench.core.workflow import RunConfig, run_training

    data = _folder(tmp_path / "pics")
    model = {"layers": [{"type": "Conv2D", "filters": 4, "kernel": 3}, {"type": "Flatten"},
                        {"type": "Dense", "units": 2}]}
    cfg = RunConfig(data=str(data), image_size=(8, 8), model=model, scale="standard", device="cpu",
                    train={"epochs": 2, "batch_size": 4}, seed=3)
    results = {}
    for mode, threshold in (("memory", None), ("stream", 0)):
        monkeypatch.setattr(images_mod, "STREAM_ABOVE_BYTES", threshold)
        r = run_training(cfg, save=False)
        results[mode] = r
    mem, streamed = results["memory"], results["stream"]
    assert not isinstance(mem.prepared.dataset.X, np.memmap)
    assert isinstance(streamed.prepared.dataset.X, np.memmap)
    assert "on-disk image cache" in streamed.prepared.dataset.description
    Xte = mem.prepared.test[0]
    np.testing.assert_allclose(np.asarray(streamed.prepared.test[0]), Xte)
    np.testing.assert_allclose(streamed.trained.predict(streamed.prepared.test[0]), mem.trained.predict(Xte),
                               rtol=1e-5, atol=1e-6)
    assert [h["loss"] for h in streamed.trained.fit.history] == pytest.approx(
        [h["loss"] for h in mem.trained.fit.history], rel=1e-5)


def test_streamed_batches_are_augmented_like_in_memory_ones(tmp_path, cache, monkeypatch):
    """Augmentation changes each training batch as it reaches the model, streamed or not: the
    same seed gives the same augmented training, and it differs from training without it."""
    from workbench.core.workflow import RunConfig, run_training

    data = _folder(tmp_path / "pics")
    model = {"layers": [{"type": "Conv2D", "filters": 4, "kernel": 3}, {"type": "Flatten"},
                        {"type": "Dense", "units": 2}]}
    losses = {}
    for mode, threshold, augment in (("memory", None, {"flip": True, "rotate": 15}),
                                     ("stream", 0, {"flip": True, "rotate": 15}), ("plain", 0, None)):
        monkeypatch.setattr(images_mod, "STREAM_ABOVE_BYTES", threshold)
        cfg = RunConfig(data=str(data), image_size=(8, 8), model=model, scale="standard", device="cpu",
                        train={"epochs": 2, "batch_size": 4}, seed=3, augment=augment)
        r = run_training(cfg, save=False)
        losses[mode] = [h["loss"] for h in r.trained.fit.history]
    assert losses["stream"] == pytest.approx(losses["memory"], rel=1e-5)
    assert losses["stream"] != pytest.approx(losses["plain"], rel=1e-5)


def test_cache_is_reused_invalidated_and_cleared(tmp_path, cache, monkeypatch):
    data = _folder(tmp_path / "pics", n=4)
    first = load_image_folder(data, (8, 8), stream=True)
    assert "decoded once" in first.description and cache_size_entries() == 1

    def no_decoding(*a, **k):
        raise AssertionError("decoded again")

    with monkeypatch.context() as m:
        m.setattr(images_mod, "decode_image", no_decoding)
        again = load_image_folder(data, (8, 8), stream=True)
    assert "reused" in again.description
    np.testing.assert_array_equal(np.asarray(again.X), np.asarray(first.X))

    f = data / "dark" / "0.png"
    os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))
    changed = load_image_folder(data, (8, 8), stream=True)
    assert "decoded once" in changed.description and cache_size_entries() == 2

    size = image_cache.cache_size()
    assert size["bytes"] >= 2 * 8 * 8 * 3 * 8
    assert image_cache.clear_cache()["entries"] == 2
    assert image_cache.cache_size() == {"path": str(cache), "entries": 0, "bytes": 0}
    assert data.is_dir() and len(list((data / "dark").iterdir())) == 4  # the user's files are untouched


def test_unreadable_files_are_skipped_in_the_cache_too(tmp_path, cache):
    data = _folder(tmp_path / "pics", n=3)
    (data / "dark" / "bad.png").write_bytes(b"not an image")
    ds = load_image_folder(data, (8, 8), stream=True)
    ds2 = load_image_folder(data, (8, 8), stream=True)
    assert len(ds) == len(ds2) == 6
    assert any("bad.png" in p for p, _ in ds2.skipped)
    mem = load_image_folder(data, (8, 8), stream=False)
    np.testing.assert_array_equal(np.asarray(ds2.X), mem.X)
    np.testing.assert_array_equal(ds2.y, mem.y)


def cache_size_entries() -> int:
    return image_cache.cache_size()["entries"]


def test_cli_shows_and_clears_the_cache(tmp_path, cache, capsys):
    import json

    from workbench.cli import main

    load_image_folder(_folder(tmp_path / "pics", n=2), (8, 8), stream=True)
    assert main(["cache", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert shown["entries"] == 1 and shown["bytes"] > 0
    assert main(["cache", "clear"]) == 0
    assert "Cleared 1 cached image folder" in capsys.readouterr().out
    assert image_cache.cache_size()["entries"] == 0


@pytest.mark.gui
def test_data_panel_shows_the_cache_and_clears_it(qtbot, tmp_path, cache):
    pytest.importorskip("PySide6")
    from workbench.ui.context import AppContext
    from workbench.ui.panels.data import DataPanel

    from PySide6.QtCore import Qt

    load_image_folder(_folder(tmp_path / "pics", n=2), (8, 8), stream=True)
    panel = DataPanel(AppContext())
    qtbot.addWidget(panel)
    panel.show()
    try:
        panel.on_shown()
        qtbot.waitUntil(lambda: "1 folder" in panel.cache_row.cache_label.text(), timeout=10_000)
        assert panel.cache_row.clear_cache_btn.isEnabled()
        qtbot.waitUntil(lambda: not panel.cache_row.jobs.busy, timeout=10_000)
        qtbot.mouseClick(panel.cache_row.clear_cache_btn, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "empty" in panel.cache_row.cache_label.text(), timeout=10_000)
        assert not panel.cache_row.clear_cache_btn.isEnabled()
        assert image_cache.cache_size()["entries"] == 0
    finally:
        panel.shutdown()
