"""Faces panel (pytest-qt, offscreen): live demo feed, missing camera / dlib messages, training with a
live chart, enrollment burst, gallery rename/delete, verify, identify, cluster."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pytestqt")



@pytest.fixture
def panel(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(tmp_path / "config"))
    from workbench.ui.context import AppContext
    from workbench.ui.panels.faces import FacesPanel

    ctx = AppContext(project_dir=tmp_path / "proj")
    p = FacesPanel(ctx)
    qtbot.addWidget(p)
    p.resize(1100, 700)
    p.count_timer.setInterval(20)  # the 3-2-1 countdown, fast
    yield p
    p.shutdown()


def _train_small(qtbot, p):
    p.people_spin.setValue(8)
    p.shots_spin.setValue(4)
    p.epochs_spin.setValue(2)
    p.size_combo.setCurrentText("32")
    p.dim_spin.setValue(16)
    p.start_training()
    qtbot.waitUntil(lambda: p.train_btn.isEnabled() and p.trainer is None, timeout=60000)
    assert p.encoder is not None, p.message.text()


def test_panel_smoke_missing_camera_and_missing_dlib(qtbot, panel, monkeypatch):
    from workbench.core.studies.faces import dlib_encoder as dlib_mod

    p = panel
    assert p.title == "Faces" and p.tabs.count() == 4
    assert "0 people" in p.gallery_label.text()
    # a camera that is not there: a message in the panel, buttons back to normal, no thread left
    p.source_combo.setCurrentText("camera:9")
    p.start_live()
    qtbot.waitUntil(lambda: p._live_job is None, timeout=20000)
    assert "camera" in p.message.text().lower() and p.start_btn.isEnabled()
    # dlib missing: the choice is disabled and explains how to install it
    monkeypatch.setattr(dlib_mod, "dlib_status", lambda: (False, "The pretrained dlib face encoder is not "
                                                                 "installed. To use it: pip install dlib-bin"))
    p._refresh_encoder_choices()
    assert "pip install dlib-bin" in p.encoder_status.text()
    p.encoder_combo.setCurrentIndex(1)
    p.use_encoder()
    assert "pip install" in p.message.text()
    # no encoder trained yet
    p.encoder_combo.setCurrentIndex(0)
    p.use_encoder()
    qtbot.waitUntil(lambda: p.use_encoder_btn.isEnabled(), timeout=20000)
    assert "train" in p.message.text().lower()
    st = p.state()
    p.restore({"threshold": 0.42, "train": {"mining": "hard", "epochs": 3}, "bogus": 1})
    assert p.threshold_spin.value() == pytest.approx(0.42) and p.mining_combo.currentText() == "hard"
    assert set(st) >= {"source", "encoder", "threshold", "train"}


def test_train_enroll_verify_identify_rename_delete(qtbot, panel, tmp_path):
    import cv2

    from workbench.core.studies.faces.synth import augment_photo, lfw_faces, scene_with_face

    p = panel
    _train_small(qtbot, p)
    assert len(p.buffer.epochs) == 2 and len(p.loss_curve.getData()[0]) == 2
    assert len(p.auc_curve.getData()[0]) == 2 and p.report is not None
    assert "equal error rate" in p.eval_label.text()
    assert (tmp_path / "proj" / "faces" / "encoder" / "encoder.json").exists()

    # live demo feed: frames arrive, faces are boxed
    p.source_combo.setCurrentText("demo")
    p.start_live()
    qtbot.waitUntil(lambda: p.live.frames >= 3 and p._last_faces is not None and len(p._last_faces.faces) >= 2,
                    timeout=30000)
    assert p.video.pixmap() is not None and not p.video.pixmap().isNull()

    # enroll from the camera: countdown, burst, gallery
    p.enroll_shots.setValue(2)
    p.enroll_name.setText("Demo")
    p.start_enroll()
    qtbot.waitUntil(lambda: "Demo" in p.gallery.names if p.gallery is not None else False, timeout=30000)
    qtbot.waitUntil(lambda: p.enroll_btn.isEnabled(), timeout=20000)
    assert p.gallery.embeddings("Demo").shape[1] == 16
    p.stop_live()
    qtbot.waitUntil(lambda: p._live_job is None, timeout=20000)

    # a second person from a folder of photos
    folder = tmp_path / "cleo"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        img = scene_with_face(augment_photo(lfw_faces()[3], rng, 64, 0.2), face_px=170)
        cv2.imwrite(str(folder / f"{i}.png"), img[..., ::-1])
    p._gallery_op("folder", "Cleo", str(folder))
    qtbot.waitUntil(lambda: p.gallery is not None and "Cleo" in p.gallery.names, timeout=20000)
    qtbot.waitUntil(lambda: p.add_folder_btn.isEnabled(), timeout=20000)
    assert p.people_list.count() == 2 and p.claim_combo.count() == 2

    # verify a photo of Cleo against Cleo, then identify it
    p.claim_combo.setCurrentText("Cleo")
    p.threshold_spin.setValue(3.0)  # generous: this tiny encoder is barely trained
    p.verify_image(str(folder / "0.png"))
    qtbot.waitUntil(lambda: p.verify_result.text() != "", timeout=20000)
    assert "ACCEPTED" in p.verify_result.text() and p.last_verify.distance < 1e-3
    qtbot.waitUntil(lambda: p.identify_btn.isEnabled(), timeout=20000)
    p.threshold_spin.setValue(0.01)  # the photo is in the gallery: distance ~0
    p.identify_image(str(folder / "1.png"))
    qtbot.waitUntil(lambda: p.identify_result.text() != "", timeout=20000)
    assert p.last_matches and p.last_matches[0].name == "Cleo"
    qtbot.waitUntil(lambda: p.identify_btn.isEnabled(), timeout=20000)

    # rename and delete: files go with the person
    p.rename_person("Cleo", "Cleopatra")
    assert "Cleopatra" in p.gallery.names and p.claim_combo.findText("Cleopatra") >= 0
    cleo_dir = p.gallery.folder("Cleopatra")
    p.delete_person("Cleopatra")
    assert not cleo_dir.exists() and p.people_list.count() == 1


def test_cluster_a_folder_and_add_a_group(qtbot, panel, tmp_path):
    import cv2

    from workbench.core.studies.faces.synth import augment_photo, lfw_faces, scene_with_face

    p = panel
    _train_small(qtbot, p)
    folder = tmp_path / "party"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for who in (1, 3):
        for i in range(3):
            img = scene_with_face(augment_photo(lfw_faces()[who], rng, 64, 0.2), face_px=170)
            cv2.imwrite(str(folder / f"{who}_{i}.png"), img[..., ::-1])
    p.set_cluster_folder(str(folder))
    p.cluster_k.setValue(2)
    p.run_cluster()
    qtbot.waitUntil(lambda: len(p.group_rows) == 2, timeout=30000)
    qtbot.waitUntil(lambda: p.cluster_btn.isEnabled(), timeout=20000)
    assert "6 faces in 2 groups" in p.cluster_info.text()
    p.add_group_to_gallery(0, "Group one")
    qtbot.waitUntil(lambda: p.gallery is not None and "Group one" in p.gallery.names, timeout=20000)
    qtbot.waitUntil(lambda: p.cluster_btn.isEnabled(), timeout=20000)
    assert len(p.gallery.person("Group one").images) == len(p.group_rows[0][2])
