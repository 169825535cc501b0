"""Hostile inputs through the panels: every case ends in a message in the panel (one sentence, no
traceback, no raw "[Errno 13]"), the GUI thread never blocks on a pipe (imports and model opening
run on worker threads; each case waits for its job with a timeout, never a sleep), and the
project's and the user's files stay as they were."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("pytestqt")

JOB_TIMEOUT_MS = 60_000


def digest(root: Path) -> dict:
    return {str(p.relative_to(root)): ("dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
                                      if p.is_file() else "other") for p in sorted(root.rglob("*"))}


def png(path: Path, w: int, h: int) -> None:
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def good_png(path: Path, seed: int = 0) -> None:
    import cv2

    img = (np.random.default_rng(seed).random((24, 24, 3)) * 255).astype(np.uint8)
    path.write_bytes(cv2.imencode(".png", img)[1].tobytes())


def assert_sentence(text: str) -> None:
    assert text.strip(), "no message"
    assert "Traceback" not in text and "[Errno" not in text and "Error:" not in text.split(":")[0], text
    assert "\n" not in text.strip(), text


# ------------------------------------------------------------------------------------ Data > Capture
BAD_FILES = {
    "fifo": lambda d: os.mkfifo(d / "x.png"),
    "urandom-link": lambda d: os.symlink("/dev/urandom", d / "x.png"),
    "huge-header": lambda d: png(d / "x.png", 50000, 50000),
    "junk": lambda d: (d / "x.png").write_bytes(b"\x89PNG not an image at all"),
    "empty": lambda d: (d / "x.png").write_bytes(b""),
    "folder-named-png": lambda d: (d / "x.png").mkdir(),
    "wav-in-image-set": lambda d: (d / "x.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVE"),
}


@pytest.fixture
def capture(qtbot, tmp_path):
    from workbench.ui.context import AppContext
    from workbench.ui.panels.data import DataPanel

    (tmp_path / "proj").mkdir()
    panel = DataPanel(AppContext(project_dir=tmp_path / "proj"))
    qtbot.addWidget(panel)
    cap = panel.capture_tab
    cap.name_edit.setText("mine")
    cap.open_set()
    cap.add_class("a")
    cap.select_class("a")
    yield cap
    cap.shutdown()
    panel.shutdown()


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_capture_import_of_a_hostile_file_is_a_message_off_the_gui_thread(case, capture, qtbot, tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    BAD_FILES[case](user)
    before_user = digest(user)
    paths = [str(p) for p in user.iterdir()]
    capture.import_paths(paths)  # returns at once: the import runs on a worker thread
    qtbot.waitUntil(lambda: not capture.jobs.busy, timeout=JOB_TIMEOUT_MS)
    text = capture.banner.text()
    assert_sentence(text)
    assert "Imported 0 file(s)" in text and ("Skipped 1" in text or case == "folder-named-png"), text
    assert capture.cset.counts() == {"a": 0}
    assert digest(user) == before_user


def test_capture_import_keeps_the_good_files_and_names_the_bad(capture, qtbot, tmp_path):
    user = tmp_path / "user"
    user.mkdir()
    good_png(user / "ok1.png", 1)
    good_png(user / "ok2.png", 2)
    os.mkfifo(user / "pipe.png")
    png(user / "big.png", 60000, 60000)
    capture.import_paths([str(user)])
    qtbot.waitUntil(lambda: not capture.jobs.busy, timeout=JOB_TIMEOUT_MS)
    assert capture.cset.counts() == {"a": 2}
    assert "Skipped 2" in capture.banner.text()


def test_capture_import_permission_denied_is_the_sentence(capture, qtbot, tmp_path, monkeypatch):
    user = tmp_path / "user"
    user.mkdir()
    good_png(user / "secret.png")
    real_open = os.open

    def deny(path, *a, **k):
        if str(path).endswith("secret.png"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *a, **k)

    monkeypatch.setattr(os, "open", deny)
    capture.import_paths([str(user / "secret.png")])
    qtbot.waitUntil(lambda: not capture.jobs.busy, timeout=JOB_TIMEOUT_MS)
    text = capture.banner.text()
    assert_sentence(text)
    assert "permission denied" in text


# ---------------------------------------------------------------------------------- a job's OSError
@pytest.mark.parametrize("err, words", [
    (PermissionError(errno.EACCES, "Permission denied", "/data/cats"), "permission denied"),
    (OSError(errno.ENOSPC, "No space left on device", "/data/out"), "the disk is full"),
    (OSError(errno.EROFS, "Read-only file system", "/media/cd"), "read-only"),
    (FileNotFoundError(errno.ENOENT, "No such file or directory", "/gone"), "does not exist"),
])
def test_an_os_error_in_any_job_is_its_sentence_in_the_panel(err, words, capture, qtbot):
    def job():
        raise err

    capture.jobs.start(job)
    qtbot.waitUntil(lambda: not capture.jobs.busy, timeout=JOB_TIMEOUT_MS)
    text = capture.banner.text()
    assert_sentence(text)
    assert words in text and str(err.filename) in text, text


# ------------------------------------------------------------------------------------- Use: exports
@pytest.fixture(scope="module")
def export_folder(tmp_path_factory):
    """A tiny image model trained and exported once for this module."""
    from workbench.core.runs.export import export_run
    from workbench.core.workflow import RunConfig, run_training

    root = tmp_path_factory.mktemp("export")
    for c in ("a", "b"):
        (root / "data" / c).mkdir(parents=True)
        for i in range(6):
            good_png(root / "data" / c / f"{i}.png", seed=i + (10 if c == "b" else 0))
    res = run_training(RunConfig(data=str(root / "data"), image_size=(16, 16), model="shallow-cnn", train={"epochs": 1},
                                 project=str(root / "proj")))
    export_run(root / "proj", res.run_id, root / "exp")
    return root / "exp"


EXPORT_DAMAGE = {
    "onnx-dotdot": (lambda d, m: m["files"].__setitem__("onnx", "../../x.onnx"), "path separator"),
    "onnx-absolute": (lambda d, m: m["files"].__setitem__("onnx", "/etc/passwd"), "path separator"),
    "preprocessor-number": (lambda d, m: m.__setitem__("preprocessor", 5), "preprocessor"),
    "preprocessor-garbage": (lambda d, m: m.__setitem__("preprocessor", {"kind": "image", "state": {}}), "preprocessor"),
    "shape-disagrees": (lambda d, m: m["input"].__setitem__("shape", ["batch", 3, 99, 99]), "shape"),
    "onnx-random-bytes": (lambda d, m: (d / "model.onnx").write_bytes(os.urandom(4000)), "ONNX"),
    "model-json-garbage": (lambda d, m: (d / "model.json").write_bytes(os.urandom(300)), "damaged"),
}


@pytest.mark.parametrize("case", sorted(EXPORT_DAMAGE))
def test_use_panel_refuses_a_damaged_export_with_a_message(case, export_folder, qtbot, tmp_path):
    from workbench.ui.context import AppContext
    from workbench.ui.panels.use import UsePanel

    folder = tmp_path / "exp"
    shutil.copytree(export_folder, folder)
    meta = json.loads((folder / "model.json").read_text())
    change, words = EXPORT_DAMAGE[case]
    change(folder, meta)
    if case != "model-json-garbage" and case != "onnx-random-bytes":
        (folder / "model.json").write_text(json.dumps(meta))
    before = digest(tmp_path)
    use = UsePanel(AppContext(project_dir=tmp_path / "proj"))
    qtbot.addWidget(use)
    use.open_model(str(folder))
    qtbot.waitUntil(lambda: not use.jobs.busy, timeout=JOB_TIMEOUT_MS)
    text = use.banner.text()
    assert_sentence(text)
    assert words in text and use.predictor is None, text
    assert digest(tmp_path) == before
    use.shutdown()


def test_use_panel_classifies_good_files_and_skips_pipes_and_huge_headers(export_folder, qtbot, tmp_path):
    from workbench.ui.context import AppContext
    from workbench.ui.panels.use import UsePanel

    use = UsePanel(AppContext(project_dir=tmp_path / "proj"))
    qtbot.addWidget(use)
    use.open_model(str(export_folder))
    qtbot.waitUntil(lambda: use.predictor is not None and not use.jobs.busy, timeout=JOB_TIMEOUT_MS)
    good_png(tmp_path / "ok.png")
    os.mkfifo(tmp_path / "pipe.png")
    png(tmp_path / "huge.png", 50000, 50000)
    use.classify_paths([str(tmp_path / n) for n in ("ok.png", "pipe.png", "huge.png")])
    qtbot.waitUntil(lambda: not use.jobs.busy, timeout=JOB_TIMEOUT_MS)
    text = use.banner.text()
    assert "2 file(s) skipped" in text and "pipe" in text and "50000x50000" in text, text
    use.shutdown()


# ------------------------------------------------------------------------------------ declared bounds
def test_spin_boxes_take_their_range_from_the_declared_bounds(qtbot):
    from workbench.core import params as P
    from workbench.ui.panels.model.settings import TrainSettingsBox

    box = TrainSettingsBox()
    qtbot.addWidget(box)
    assert box.epochs_spin.maximum() == P.MAX_EPOCHS and box.epochs_spin.minimum() == 1
    assert box.seed_spin.minimum() == 0 and box.batch_spin.minimum() == 1
