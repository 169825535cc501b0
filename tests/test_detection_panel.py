"""Detection panel: the box editor with the mouse (draw, move, set class, delete, undo), a
generate -> train -> evaluate walk-through, and the live tab without a camera."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui

from PySide6.QtCore import QPoint, Qt  # noqa: E402


@pytest.fixture
def panel(qtbot):
    from workbench.ui.context import AppContext
    from workbench.ui.panels.detection import DetectionPanel

    p = DetectionPanel(AppContext())
    qtbot.addWidget(p)
    p.resize(1000, 760)
    p.show()
    yield p
    p.shutdown()


def _photo_folder(tmp_path):
    import cv2

    from workbench.core.studies.style_transfer.images import sample_photo

    d = tmp_path / "photos"
    d.mkdir()
    for name in ("chelsea", "coffee"):
        img = cv2.resize(sample_photo(name), (300, 200))
        cv2.imwrite(str(d / f"{name}.png"), img[..., ::-1])
    return d


def test_box_editor_with_the_mouse(qtbot, panel, tmp_path):
    tab = panel.editor_tab
    panel.go(tab)
    tab.open_folder(str(_photo_folder(tmp_path)))
    ed = tab.editor
    qtbot.waitExposed(ed)
    doc = tab.doc
    a, b = ed.to_widget(30, 40), ed.to_widget(130, 140)
    qtbot.mousePress(ed, Qt.MouseButton.LeftButton, pos=a.toPoint())
    qtbot.mouseMove(ed, pos=b.toPoint())
    qtbot.mouseRelease(ed, Qt.MouseButton.LeftButton, pos=b.toPoint())
    boxes, labels = doc.boxes()
    assert len(boxes) == 1
    np.testing.assert_allclose(boxes[0], [30, 40, 130, 140], atol=2.0)
    # drag the box 20 px right (in image pixels)
    c, d = ed.to_widget(80, 90), ed.to_widget(100, 90)
    qtbot.mousePress(ed, Qt.MouseButton.LeftButton, pos=c.toPoint())
    qtbot.mouseRelease(ed, Qt.MouseButton.LeftButton, pos=d.toPoint())
    np.testing.assert_allclose(doc.boxes()[0][0], [50, 40, 150, 140], atol=2.0)
    # a new class, then give it to the selected box
    tab.add_class("cat")
    tab.class_combo.activated.emit(1)
    assert doc.boxes()[1].tolist() == [1]
    qtbot.keyClick(ed, Qt.Key.Key_Delete)
    assert len(doc.boxes()[0]) == 0
    tab.undo_btn.click()
    assert len(doc.boxes()[0]) == 1 and doc.boxes()[1].tolist() == [1]
    tab.undo_btn.click()  # the class change
    assert doc.boxes()[1].tolist() == [0]
    tab.redo_btn.click()
    tab.save_btn.click()
    label = (doc.folder / "labels" / (doc.files[0].stem + ".txt")).read_text().split()
    assert label[0] == "1" and len(label) == 5
    assert (doc.folder / "classes.txt").read_text().split() == ["object", "cat"]
    tab.use_btn.click()  # imports the folder as a YOLO set through the Data tab
    qtbot.waitUntil(lambda: panel.dataset is not None and not panel.jobs.busy, timeout=20000)
    assert panel.dataset.class_names == ["object", "cat"] and len(panel.dataset.boxes[0]) == 1


def test_generate_train_evaluate(qtbot, panel, tmp_path):
    panel.data_tab.n_spin.setValue(60)
    panel.data_tab.generate_btn.click()
    qtbot.waitUntil(lambda: panel.dataset is not None and not panel.jobs.busy, timeout=30000)
    assert panel.data_tab.samples.count() == 24 and "boxes" in panel.data_tab.info.text()
    t = panel.train_tab
    t.grid_spin.setValue(4)  # 64 px input: seconds per epoch
    t.epochs_spin.setValue(2)
    t.noobj_one_check.setChecked(True)  # one click: lambda_noobj = 1
    assert t.settings()["lambda_noobj"] == 1.0
    t.sqrt_check.setChecked(False)
    with qtbot.waitSignal(panel.jobs.job_finished, timeout=120000):
        t.train_btn.click()
    out = panel.outcome
    assert out is not None and out.settings["lambda_noobj"] == 1.0 and out.settings["sqrt_wh"] is False
    h = out.fit.history[-1]
    assert {"loss_xy", "loss_wh", "loss_obj", "loss_noobj", "loss_class", "val_map50"} <= set(h)
    assert "mAP@0.5" in panel.eval_tab.summary.text() and "baseline" in panel.eval_tab.summary.text()
    assert panel.eval_tab.class_table.rowCount() == 4
    assert out.record.study == "detection" and "map50" in out.record.test_metrics
    panel.tabs.setCurrentWidget(t)
    t._redraw()
    assert len(t.curves["xy"].getData()[0]) == 2  # one point per epoch on the live chart


def test_live_without_a_camera(qtbot, panel):
    from workbench.core.studies.detection.model import Detector

    panel.set_detector(Detector.create(["circle", "square", "triangle", "digit"], size=64, S=4))
    live = panel.live_tab
    with qtbot.waitSignal(panel.live_jobs.job_finished, timeout=20000):
        live.start("camera:7")
    assert "camera" in panel.banner.text().lower() and panel.banner.level == "warning"
    live.start("synthetic:scenes")
    qtbot.waitUntil(lambda: live.last is not None and live.last["image"] is not None, timeout=20000)
    assert live.last["image"].width() == 640
    with qtbot.waitSignal(panel.live_jobs.job_finished, timeout=20000):
        live.toggle()
    assert live.live_btn.text() == "Start live"


def test_segment_tab_trains_and_overlays_the_masks(qtbot, panel):
    panel.data_tab.n_spin.setValue(40)
    panel.data_tab.generate_btn.click()
    qtbot.waitUntil(lambda: panel.dataset is not None and not panel.jobs.busy, timeout=30000)
    s = panel.segment_tab
    assert s.balanced_check.isChecked() and s.dice_spin.value() == 1.0  # the defaults the README measures
    s.size_spin.setValue(32)
    s.epochs_spin.setValue(1)
    panel.tabs.setCurrentWidget(s)
    with qtbot.waitSignal(panel.jobs.job_finished, timeout=120000):
        s.train_btn.click()
    out = s.outcome
    assert out is not None and out.size == 32 and out.record.task == "segmentation"
    assert s.table.rowCount() == 5 and s.table.item(0, 0).text() == "background"
    assert "held-out" in s.summary.text().lower() and "baseline" in s.summary.text()
    assert s.grid.count() == 2 * len(out.test_idx)  # truth and prediction of each test scene, at 96 px
    assert s.state()["balanced"] is True
