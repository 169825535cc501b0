"""Done-when flow in the app: capture images and clips from synthetic sources into two classes,
train a pretrained head on the captured images, and watch live predictions in the Use panel."""
import numpy as np
import pytest

pytest.importorskip("pytestqt")

from workbench.core.capture.audio import SyntheticAudioSource
from workbench.core.capture.camera import SyntheticCameraSource


def photo_frames(img, seed):
    rng = np.random.default_rng(seed)
    h, w = img.shape[:2]

    def frame(i):
        y, x = int(rng.integers(0, h // 3)), int(rng.integers(0, w // 3))
        return img[y:y + 2 * h // 3, x:x + 2 * w // 3]

    return frame


@pytest.fixture
def app_ctx(qtbot, tmp_path):
    from workbench.ui.context import AppContext

    return AppContext(project_dir=tmp_path / "proj")


def test_capture_train_pretrained_head_and_use_it_live(qtbot, app_ctx, tmp_path):
    from skimage import data

    from workbench.core.workflow import RunConfig, run_training
    from workbench.ui.panels.data import DataPanel
    from workbench.ui.panels.use import UsePanel

    (tmp_path / "proj").mkdir()
    panel = DataPanel(app_ctx)
    qtbot.addWidget(panel)
    cap = panel.capture_tab
    cap.name_edit.setText("pets")
    cap.open_set()
    for name in ("cat", "coffee"):
        cap.add_class(name)
    photos = {"cat": data.chelsea(), "coffee": data.coffee()}
    cap.max_spin.setValue(8)
    cap.rate_spin.setValue(30)
    for name, img in photos.items():
        cap.select_class(name)
        cap.source_factory = lambda img=img: SyntheticCameraSource(photo_frames(img, 1), size=(320, 240), n_frames=60)
        with qtbot.waitSignal(cap.capture_finished, timeout=60000) as got:
            cap.start_recording()  # the button is held until the maximum count is reached
        assert len(got.args[0]["saved"]) == 8
        qtbot.waitUntil(lambda: not cap.jobs.busy, timeout=30000)
    assert cap.cset.counts() == {"cat": 8, "coffee": 8}
    assert cap.class_list.count() == 2 and "(8)" in cap.class_list.item(0).text()
    qtbot.waitUntil(lambda: panel.dataset is not None and len(panel.dataset) == 16, timeout=60000)
    assert panel.dataset.class_names == ["cat", "coffee"]  # the captures are the Data panel's data set
    # review and delete a bad sample
    cap.select_class("cat")
    cap.review.item(0).setSelected(True)
    cap.delete_selected_samples()
    assert cap.cset.counts()["cat"] == 7

    # sounds: fixed-length clips from a synthetic microphone, silence rejected
    cap.kind_combo.setCurrentIndex(cap.kind_combo.findData("audio"))
    cap.name_edit.setText("sounds")
    cap.open_set()
    for name in ("tone", "hiss"):
        cap.add_class(name)
    cap.max_spin.setValue(3)
    for name, kind in (("tone", "tone"), ("hiss", "pink")):
        cap.select_class(name)
        cap.source_factory = lambda kind=kind: SyntheticAudioSource(kind, level=0.2, duration=3.5)
        with qtbot.waitSignal(cap.capture_finished, timeout=60000):
            cap.start_recording()
        qtbot.waitUntil(lambda: not cap.jobs.busy, timeout=30000)
    assert cap.cset.counts() == {"hiss": 3, "tone": 3}
    qtbot.waitUntil(lambda: panel.dataset is not None and panel.dataset.kind == "audio", timeout=60000)
    assert panel.samples_tab.grid.count() == 6  # spectrogram thumbnails

    # a pretrained head on the captured images (the one workflow the Train panel calls)
    res = run_training(RunConfig(data=str(tmp_path / "proj" / "captures" / "pets"), image_size=(48, 48),
                                 model={"layers": [{"type": "Pretrained", "size": 64}, {"type": "Dropout", "rate": 0.2}]},
                                 split="holdout:0.2,0.2", train={"epochs": 5, "batch_size": 8},
                                 project=str(tmp_path / "proj")))
    app_ctx.add_run(res.record.to_dict())

    use = UsePanel(app_ctx)
    qtbot.addWidget(use)
    assert use.run_combo.count() == 1
    with qtbot.waitSignal(use.model_opened, timeout=60000):
        use.use_selected_run()
    src = SyntheticCameraSource(photo_frames(photos["cat"], 9), size=(320, 240), n_frames=40, fps=30)
    with qtbot.waitSignal(use.reading_shown, timeout=60000):
        use.start_live(src)
    qtbot.waitUntil(lambda: not use.live_jobs.busy, timeout=60000)
    assert use.live_tab.running is False
    assert use.predictor.class_names == ["cat", "coffee"]
    assert use.last_probs[0] > 0.5 and abs(sum(use.last_probs) - 1) < 1e-5  # the cat is seen as a cat
    assert use.picture.pixmap() is not None and not use.picture.pixmap().isNull()

    # files: a real photo dropped / chosen, with the Grad-CAM heat map
    import cv2

    cv2.imwrite(str(tmp_path / "coffee.png"), data.coffee()[:, :, ::-1])
    use.explain_check.setChecked(True)
    with qtbot.waitSignal(use.files_classified, timeout=60000) as got:
        use.classify_paths([str(tmp_path / "coffee.png")])
    assert got.args[0] == 1 and use.files_tab.rows[0]["label"] == "coffee"
    assert use.files_tab.rows[0]["picture"].shape[2] == 3
    use.shutdown()
    panel.shutdown()


def test_use_panel_without_model_or_camera_says_what_to_do(qtbot, app_ctx, tmp_path):
    from workbench.ui.panels.use import UsePanel

    use = UsePanel(app_ctx)
    qtbot.addWidget(use)
    use.classify_paths([str(tmp_path)])
    assert "Choose a model first" in use.banner.text()
    (tmp_path / "broken").mkdir()
    use.open_model(str(tmp_path / "broken"))
    qtbot.waitUntil(lambda: not use.jobs.busy, timeout=30000)
    assert "model.json is missing" in use.banner.text()
    use.shutdown()


def test_augment_tab_previews_and_reaches_the_run_config(qtbot, app_ctx):
    from workbench.core.data import load_builtin
    from workbench.core.models import get_preset
    from workbench.core.workflow import config_from_state
    from workbench.ui.panels.data import DataPanel

    panel = DataPanel(app_ctx)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.split_made, timeout=60000):
        panel.set_dataset(load_builtin("digits"))
    tab = panel.augment_tab
    assert tab.kind == "image" and app_ctx.preprocessing.get("augment") is None
    tab.widgets["flip"].setChecked(False)
    with qtbot.waitSignal(tab.preview_shown, timeout=60000):
        tab.enable.setChecked(True)
    assert tab.grid.count() == 8  # four before / after pairs
    aug = app_ctx.preprocessing["augment"]
    assert aug["flip"] is False and aug["rotate"] == 10.0
    app_ctx.set_model_spec(get_preset("digits-cnn"))
    assert config_from_state(app_ctx.state).augment == aug  # the run the Train panel starts augments its batches
    panel.shutdown()


def test_confusion_cell_opens_its_samples_to_relabel_or_delete(qtbot, tmp_path):
    """The "fix my data" loop behind a confusion-matrix cell (evaluation["cells"] of a run)."""
    import cv2

    from workbench.core.data import load_data
    from workbench.ui.sample_cell_view import CellSamplesView

    root = tmp_path / "imgs"
    for c, v in (("dark", 20), ("light", 230)):
        (root / c).mkdir(parents=True)
        for k in range(4):
            cv2.imwrite(str(root / c / f"{k}.png"), np.full((16, 16, 3), v + k, np.uint8))
    ds = load_data(str(root))
    wrong = [int(i) for i in np.flatnonzero(ds.y == 0)[:3]]  # three "dark" images predicted "light"
    evaluation = {"class_names": ds.class_names, "cells": {"0,1": wrong}, "on": "test"}
    view = CellSamplesView()
    qtbot.addWidget(view)
    assert view.show_cell(ds, evaluation, 0, 1) == 3 and view.grid.count() == 3
    assert "predicted as <b>light</b>" in view.title.text()
    view.grid.item(0).setSelected(True)
    view.move_combo.setCurrentText("light")
    with qtbot.waitSignal(view.data_changed):
        view.move_selected()  # relabel: the file moves to the other class folder
    assert len(list((root / "light").iterdir())) == 5 and view.grid.count() == 2
    view.grid.item(0).setSelected(True)
    with qtbot.waitSignal(view.data_changed):
        view.delete_selected()
    assert len(list((root / "dark").iterdir())) == 2
    assert view.show_cell(ds, evaluation, 1, 0) == 0  # an empty cell
