"""Save everything, reopen in a new window: every panel shows what it showed (case studies too).
Opening a project with a wrong value changes nothing; the last project reopens at start."""
import json

import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui

LOAD_TIMEOUT = 60_000


def _fill_every_panel(qtbot, w) -> None:
    """Choices a user makes in each panel (none of them a default)."""
    data = w.panel("Data")
    with qtbot.waitSignal(data.split_made, timeout=LOAD_TIMEOUT):
        data.load({"source": "builtin:iris"})
    data.scale_combo.setCurrentIndex(data.scale_combo.findData("standard"))
    with qtbot.waitSignal(data.split_made, timeout=LOAD_TIMEOUT):
        data.set_plan("kfold:3,0.1;seed=4")
        data.make_split()
    data.tabs.setCurrentIndex(4)

    model = w.panel("Model")
    model.load_preset("mlp")
    model.epochs_spin.setValue(7)
    model.defaults.l2.setValue(0.002)

    train = w.panel("Train")
    train.name_edit.setText("my run")
    train.search.trials_spin.setValue(9)
    train.tabs.setCurrentIndex(1)

    from workbench.core.studies.daynight.model import DayNightModel
    from workbench.core.studies.detection.model import Detector

    dn = w.panel("Day & Night")
    dn.data_page.n_spin.setValue(40)
    dn.train_page.epochs_spin.setValue(3)
    dn.nav.setCurrentRow(2)
    with qtbot.waitSignal(dn.jobs.job_finished, timeout=LOAD_TIMEOUT):
        dn.generate()
    dn.model = DayNightModel.create(32)  # as a training leaves it

    faces = w.panel("Faces")
    faces.verify_tab.k_spin.setValue(3)
    faces.encoder_tab.epochs_spin.setValue(4)
    faces.tabs.setCurrentIndex(1)

    import numpy as np

    from workbench.core.studies.trigger_word.material import Material

    tw = w.panel("Trigger word")
    recorded = Material(sample_rate=16000, trigger_word="marvin", source="microphone")
    t = np.arange(8000) / 16000
    recorded.add("positives", [0.3 * np.sin(2 * np.pi * f * t) for f in (300, 400, 500)], trim=False)
    recorded.add("backgrounds", [0.01 * np.random.default_rng(0).standard_normal(32000)], trim=False)
    tw.set_material(recorded)
    tw.material_tab.word_edit.setText("marvin")
    tw.train_tab.epochs.setValue(12)
    tw.detect_tab.threshold.setValue(0.7)

    st = w.panel("Style transfer")
    st.controls.steps_spin.setValue(37)
    st.controls.keep_colors.setChecked(not st.controls.keep_colors.isChecked())

    det = w.panel("Detection")
    det.data_tab.n_spin.setValue(20)
    with qtbot.waitSignal(det.jobs.job_finished, timeout=LOAD_TIMEOUT):
        det.data_tab.generate()
    det.set_detector(Detector.create(det.dataset.class_names, size=32, S=2))
    det.train_tab.coord_spin.setValue(2.5)
    det.eval_tab.conf_spin.setValue(0.4)
    det.tabs.setCurrentIndex(2)

    ex = w.panel("Explore")
    ex.projector.perplexity.setValue(12)
    ex.tabs.setCurrentIndex(1)

    rl = w.panel("Reinforcement learning")
    rl.settings.seed_spin.setValue(7)
    rl.tabs.setCurrentIndex(1)

    sq = w.panel("Sequences & Shots")
    sq.captions_tab.beam.setValue(3)
    sq.tabs.setCurrentIndex(2)

    exp = w.panel("Experiments")
    w.ctx.set_guide({"goal": "classify"}, "f1")
    exp.list.setCurrentRow(exp.list.count() - 1)


def dn_model(w):
    return w.panel("Day & Night").model


def _states(w) -> dict:
    return {s.title: w.panel(s.title).state() for s in w.slots}


def _same(a, b) -> bool:
    return json.loads(json.dumps(a)) == json.loads(json.dumps(b))


def test_every_panel_comes_back_in_a_new_window(qtbot, config_dir, tmp_path):
    from workbench.ui.main_window import MainWindow

    fresh = MainWindow()
    qtbot.addWidget(fresh)
    defaults = _states(fresh)
    fresh.close()

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.start()
    _fill_every_panel(qtbot, w)
    w.show_panel("Detection")
    proj = tmp_path / "project"
    assert w.save_project_to(proj)
    before = _states(w)
    changed = [t for t in before if not _same(before[t], defaults[t])]
    assert set(changed) >= {"Data", "Model", "Train", "Day & Night", "Faces", "Trigger word", "Style transfer",
                            "Detection", "Explore", "Experiments", "Reinforcement learning",
                            "Sequences & Shots"}
    # the case studies' trained models are copied into the project; their data are named by recipe
    assert (proj / before["Day & Night"]["model_dir"] / "weights.pt").is_file()
    assert before["Day & Night"]["data_source"]["generated"]["n"] == 40
    assert (proj / before["Detection"]["train"]["detector_dir"] / "weights.pt").is_file()
    assert len(list((proj / before["Trigger word"]["material_dir"] / "positives").glob("*.wav"))) == 3
    weights = {k: v.clone() for k, v in dn_model(w).module.state_dict().items()}
    w.close()

    w2 = MainWindow()
    qtbot.addWidget(w2)
    w2.show()
    w2.start()
    data2 = w2.panel("Data")
    with qtbot.waitSignal(data2.split_made, timeout=LOAD_TIMEOUT):
        assert w2.open_project(proj)
    assert w2.current_title() == "Detection"
    dn2, det2 = w2.panel("Day & Night"), w2.panel("Detection")
    tw2 = w2.panel("Trigger word")
    qtbot.waitUntil(lambda: dn2.dataset is not None and det2.dataset is not None, timeout=LOAD_TIMEOUT)
    qtbot.waitUntil(lambda: tw2.material.counts()["positives"] == 3, timeout=LOAD_TIMEOUT)
    assert tw2.material.counts()["backgrounds"] == 1
    assert len(dn2.dataset) == 40 and len(det2.dataset) == 20 and det2.detector is not None
    assert all((dn2.model.module.state_dict()[k] == v).all() for k, v in weights.items())
    after = _states(w2)
    for title in before:
        assert _same(after[title], before[title]), title
    assert w2.ctx.guide == {"answers": {"goal": "classify"}, "metric": "f1"}
    assert data2.dataset.name == "iris" and len(data2.splits.folds) == 3
    assert not w2.ctx.dirty
    w2.close()


def test_a_project_with_a_wrong_value_leaves_the_open_one_untouched(qtbot, config_dir, tmp_path):
    from workbench.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.start()
    dn = w.panel("Day & Night")
    dn.data_page.n_spin.setValue(700)
    good = tmp_path / "good"
    assert w.save_project_to(good)
    bad = tmp_path / "bad"
    bad.mkdir()
    saved = json.loads((good / "project.json").read_text())
    saved["daynight"]["epochs"] = "many"
    saved["training"]["epochs"] = 3
    (bad / "project.json").write_text(json.dumps(saved))
    dn.data_page.n_spin.setValue(650)  # an unsaved change in the open project
    before = _states(w)
    sections = w.ctx.state.sections.to_dict()

    assert not w.open_project(bad)
    text = w.last_message_box.text()
    assert "Day & Night setting 'epochs' should be a whole number, not text" in text and "\n" not in text
    w.last_message_box.close()
    assert w.ctx.project_dir == good and w.ctx.dirty
    assert _same(_states(w), before) and w.ctx.state.sections.to_dict() == sections
    assert w.panel("Day & Night").data_page.n_spin.value() == 650
    w.close()


def test_the_last_project_reopens_at_start(qtbot, config_dir, tmp_path):
    from workbench.ui.main_window import MainWindow
    from workbench.ui.settings import Settings

    w = MainWindow()
    qtbot.addWidget(w)
    w.panel("Style transfer").controls.steps_spin.setValue(41)
    proj = tmp_path / "last"
    assert w.save_project_to(proj)
    w.close()

    w2 = MainWindow()
    qtbot.addWidget(w2)
    assert w2.settings.get("reopen_last_project") is True
    assert w2.reopen_last_project()
    assert w2.ctx.project_dir == proj and w2.panel("Style transfer").controls.steps_spin.value() == 41
    w2.close()

    # turned off in the settings: an empty window
    s = Settings().load()
    s["reopen_last_project"] = False
    s.save()
    w3 = MainWindow()
    qtbot.addWidget(w3)
    assert not w3.reopen_last_project() and w3.ctx.project_dir is None
    w3.close()

    # a missing last project: an empty window and a status line, no message box
    s = Settings().load()
    s["reopen_last_project"] = True
    s.save()
    (proj / "project.json").rename(proj / "moved.json")
    w4 = MainWindow()
    qtbot.addWidget(w4)
    assert not w4.reopen_last_project()
    assert w4.ctx.project_dir is None and w4.last_message_box is None
    assert "was not reopened" in w4.statusBar().currentMessage()
    w4.close()


def test_the_faces_gallery_goes_with_a_project_saved_in_a_new_folder(qtbot, config_dir, tmp_path):
    import numpy as np

    from workbench.core.studies.faces.gallery import Gallery
    from workbench.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    faces = w.panel("Faces")
    crops = [np.full((64, 64, 3), 60 * i, np.uint8) for i in range(1, 4)]
    Gallery(faces.project_dir()).add_faces("Ada", crops)  # enrolled before the project had a folder
    faces.reload_gallery()
    proj = tmp_path / "with-gallery"
    assert w.save_project_to(proj)
    assert Gallery(proj).names == ["Ada"] and len(Gallery(proj).images("Ada")) == 3
    w.close()

    w2 = MainWindow()
    qtbot.addWidget(w2)
    assert w2.open_project(proj)
    assert w2.panel("Faces").gallery.names == ["Ada"]
    w2.close()
