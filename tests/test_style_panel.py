"""Style transfer panel: live canvas from the worker (GUI-thread slots only), controls, mask, save."""
from __future__ import annotations

import json
import threading

import numpy as np
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import QPoint, Qt  # noqa: E402

from workbench.ui.context import AppContext  # noqa: E402
from workbench.ui.panels.style_transfer import StyleTransferPanel  # noqa: E402


@pytest.fixture
def panel(qtbot, tmp_path):
    p = StyleTransferPanel(AppContext(project_dir=tmp_path))
    qtbot.addWidget(p)
    p.resize(1000, 700)
    p.show()
    p.controls.size_spin.setValue(48)
    yield p
    p.shutdown()


def test_canvas_updates_from_the_worker_on_the_gui_thread(panel, qtbot, tmp_path):
    gui = threading.get_ident()
    panel.controls.steps_spin.setValue(6)
    panel.controls.every_spin.setValue(2)
    panel.start()
    assert panel.busy and not panel.run_btn.isEnabled()
    qtbot.waitUntil(lambda: not panel.busy, timeout=60000)
    assert panel.frames_received >= 3  # iterations 2, 4, 6 (+ the final report)
    assert panel.last_frame["iteration"] == 6
    assert panel.last_frame["thread"] != gui  # made in the worker thread...
    assert set(panel.frame_thread_ids) == {gui}  # ...but every slot ran on the GUI thread
    assert set(panel.canvas.paint_thread_ids) == {gui}
    assert panel.result_img.shape == (32, 48, 3)
    panel._redraw_charts()
    x, y = panel.curves["total"].getData()
    assert list(x) == [2, 4, 6] and np.all(y > 0)
    assert len(panel.speed_curve.getData()[0]) == 3
    assert "Done" in panel.status.text()
    # save the PNG + settings
    png, js = panel.save(str(tmp_path / "out.png"))
    meta = json.loads(js.read_text())
    assert png.exists() and meta["size"] == 48 and meta["iterations"] == 6
    assert meta["content_source"] == "sample:chelsea" and meta["style_source"] == "style:swirls"


def test_pause_resume_stop(panel, qtbot):
    panel.controls.steps_spin.setValue(10000)
    panel.controls.every_spin.setValue(1)
    panel.start()
    qtbot.waitUntil(lambda: panel.frames_received >= 1, timeout=60000)
    qtbot.mouseClick(panel.pause_btn, Qt.MouseButton.LeftButton)
    assert panel.pause_btn.text() == "Resume"
    qtbot.waitUntil(lambda: panel.current_transfer() is not None and panel.current_transfer().waiting.is_set(),
                    timeout=60000)
    it = panel.current_transfer().iteration
    qtbot.mouseClick(panel.pause_btn, Qt.MouseButton.LeftButton)
    assert panel.pause_btn.text() == "Pause"
    qtbot.waitUntil(lambda: panel.last_frame.get("iteration", 0) > it, timeout=60000)
    qtbot.mouseClick(panel.stop_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.busy, timeout=60000)
    assert "Stopped" in panel.status.text()
    assert panel.last_frame["iteration"] < 10000 and panel.run_btn.isEnabled()


def test_paint_and_clear_mask(panel, qtbot):
    c = panel.canvas
    assert c.mask_array() is None
    panel.controls.paint_check.setChecked(True)
    panel.controls.brush_spin.setValue(40)
    centre = QPoint(c.width() // 2, c.height() // 2)
    qtbot.mousePress(c, Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseMove(c, centre + QPoint(30, 0))
    qtbot.mouseRelease(c, Qt.MouseButton.LeftButton, pos=centre + QPoint(30, 0))
    m = c.mask_array()
    h, w = panel.content_img.shape[:2]
    assert m is not None and m.shape == (h, w)
    assert m[h // 2, w // 2] > 0.9 and m[0, 0] == 0 and 0 < m.mean() < 0.2
    # the stroke joins press and move positions (no gap between two dabs)
    r = c._target()
    mid_x = int((centre.x() + 15 - r.x()) / r.width() * w)
    assert m[h // 2, mid_x] > 0.9
    # the run gets the mask: outside it the result is the content image
    panel.controls.steps_spin.setValue(2)
    panel.start()
    assert panel.current_job.mask is not None
    qtbot.waitUntil(lambda: not panel.busy, timeout=60000)
    panel.controls.clear_mask_btn.click()
    assert c.mask_array() is None


def test_errors_are_shown_not_raised(panel, qtbot, tmp_path):
    panel.controls.backbone_combo.setCurrentIndex(2)  # VGG-19 without a weights file
    assert panel.controls.weights_btn.isEnabled()
    panel.controls.steps_spin.setValue(2)
    panel.start()
    qtbot.waitUntil(lambda: not panel.busy, timeout=60000)
    assert panel.banner.level == "error" and "weights file" in panel.banner.text()
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"no image")
    panel.controls.content.thumb.file_dropped.emit(str(bad))
    assert panel.banner.level == "error" and "not an image" in panel.banner.text()
    assert panel.content_source == "sample:chelsea"


def test_dropped_file_state_and_restore(panel, qtbot, tmp_path):
    from workbench.core.studies.style_transfer import generate_style, save_png

    f = save_png(tmp_path / "tex.png", generate_style("mosaic", 40, 2))
    panel.controls.style.thumb.file_dropped.emit(str(f))
    assert panel.style_source == str(f) and panel.style_img.shape == (40, 40, 3)
    panel.controls.style_w.set_value(1e6)
    panel.controls.keep_colors.setChecked(True)
    panel.controls.set_style_layers(["conv0", "block3"])
    st = panel.state()
    other = StyleTransferPanel(AppContext())
    qtbot.addWidget(other)
    other.restore(st)
    assert other.state() == st
    assert other.controls.style_layers() == ["conv0", "block3"] and other.controls.style_w.value() == 1e6
    other.restore({"unknown": 1})  # old/odd project files are tolerated
    other.shutdown()


def test_webcam_snapshot_without_camera_says_so(panel, qtbot):
    from workbench.core.capture.camera import list_cameras

    if list_cameras(1):
        pytest.skip("a real camera is attached")
    panel.controls.snapshot_btn.click()
    qtbot.waitUntil(lambda: panel.controls.snapshot_btn.isEnabled(), timeout=30000)
    assert panel.banner.level == "warning" and "webcam" in panel.banner.text().lower()
