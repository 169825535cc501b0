"""Save, close, reopen in a new window: the trained models a user had are back, shown as they were
(the segmentation U-Net with its scores and masks, the own face encoder in use, a run's name)."""
import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui

TIMEOUT = 120_000


def _window(qtbot):
    from workbench.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.start()
    return w


def _save_and_reopen(qtbot, w, proj):
    """Save ``w`` into ``proj``, close it, open ``proj`` in a new window: (window, its Data panel
    once the project's data set is loaded again)."""
    assert w.save_project_to(proj)
    w.close()
    w2 = _window(qtbot)
    data2 = w2.panel("Data")
    with qtbot.waitSignal(data2.split_made, timeout=TIMEOUT):
        assert w2.open_project(proj)
    return w2, data2


def _rows(table) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]


def test_the_segmentation_model_comes_back_with_its_scores_and_masks(qtbot, config_dir, tmp_path):
    w = _window(qtbot)
    det = w.show_panel("Detection")
    det.data_tab.n_spin.setValue(24)
    with qtbot.waitSignal(det.jobs.job_finished, timeout=TIMEOUT):
        det.data_tab.generate()
    seg = det.segment_tab
    det.tabs.setCurrentWidget(seg)
    seg.size_spin.setValue(32)
    seg.epochs_spin.setValue(1)
    with qtbot.waitSignal(det.jobs.job_finished, timeout=TIMEOUT):
        seg.train_btn.click()
    assert seg.outcome is not None, det.banner.text()
    summary, table, masks = seg.summary.text(), _rows(seg.table), seg.grid.count()
    assert "mean IoU" in summary and masks > 0
    proj = tmp_path / "seg"
    assert w.save_project_to(proj)
    assert (proj / "studies/detection/segmenter/weights.pt").is_file()
    w.close()

    w2 = _window(qtbot)
    assert w2.open_project(proj)
    det2 = w2.show_panel("Detection")
    seg2 = det2.segment_tab
    assert seg2.outcome is not None and seg2.summary.text() == summary and _rows(seg2.table) == table
    qtbot.waitUntil(lambda: seg2.grid.count() == masks, timeout=TIMEOUT)  # once the scenes are made again
    assert w2.ctx.state.sections.detection.segment.model_dir == "studies/detection/segmenter"
    assert not w2.ctx.dirty
    w2.close()


def test_the_own_face_encoder_in_use_comes_back(qtbot, config_dir, tmp_path):
    from workbench.core.studies.faces.encoder import EncoderConfig, OwnEncoder, build_encoder_net
    from workbench.core.studies.faces.workflow import encoder_dir

    w = _window(qtbot)
    faces = w.show_panel("Faces")
    cfg = EncoderConfig(embedding_dim=16)
    enc = OwnEncoder(build_encoder_net(cfg), cfg, threshold=0.55)
    enc.save(encoder_dir(faces.project_dir()))  # where a training in a project without a folder leaves it
    faces.encoder_trained(enc)
    key = enc.key
    proj = tmp_path / "faces"
    assert w.save_project_to(proj)  # a new folder: the encoder goes with the project
    assert (encoder_dir(proj) / "encoder.json").is_file()
    w.close()

    w2 = _window(qtbot)
    assert w2.open_project(proj)
    faces2 = w2.show_panel("Faces")
    qtbot.waitUntil(lambda: faces2.encoder is not None, timeout=TIMEOUT)
    assert faces2.encoder.name == "own" and faces2.encoder.key == key
    assert faces2.encoder_tab.encoder_combo.currentData() == "own"
    assert faces2.verify_tab.threshold_spin.value() == pytest.approx(0.55)
    w2.close()


def test_a_run_without_a_name_keeps_its_label_after_reopening(qtbot, config_dir, tmp_path):
    w = _window(qtbot)
    data = w.show_panel("Data")
    with qtbot.waitSignal(data.split_made, timeout=TIMEOUT):
        data.load({"source": "builtin:iris"})
    model = w.show_panel("Model")
    model.load_preset("mlp")
    model.epochs_spin.setValue(2)
    train = w.show_panel("Train")
    with qtbot.waitSignal(train.run_done, timeout=TIMEOUT):
        train.start_btn.click()
    qtbot.waitUntil(lambda: not train.busy, timeout=TIMEOUT)

    def shown(t):
        m = t.runs_tab.model
        return [m.data(m.index(r, 0)) for r in range(m.rowCount())], t.after.info.text()

    before = shown(train)
    assert before[0] == ["mlp"] and "<b>mlp</b>" in before[1]
    proj = tmp_path / "named"
    assert w.save_project_to(proj)  # the run is stored now: it has an id, not a new name
    assert shown(train) == before

    # Use: the run's predictions on a CSV, with the Grad-CAM box and "follow" as the user left them
    ds = w.ctx.dataset
    csv = tmp_path / "flowers.csv"
    csv.write_text(",".join(ds.feature_names) + "\n" + "".join(
        ",".join(str(v) for v in row) + "\n" for row in ds.X[:5].tolist()))
    use = w.show_panel("Use")
    qtbot.waitUntil(lambda: use.predictor is not None, timeout=TIMEOUT)
    use.follow_check.setChecked(False)
    with qtbot.waitSignal(use.files_classified, timeout=TIMEOUT):
        use.classify_paths([str(csv)])
    rows = [r["label"] for r in use.files_tab.rows]
    assert len(rows) == 5 and w.ctx.state.sections.use.inputs == [str(csv)]
    w2, data2 = _save_and_reopen(qtbot, w, proj)
    assert shown(w2.show_panel("Train")) == before
    assert data2.source_bar.builtin_combo.currentData() == "builtin:iris"  # the set the project holds
    use2 = w2.show_panel("Use")
    qtbot.waitUntil(lambda: len(getattr(use2.files_tab, "rows", [])) == 5, timeout=TIMEOUT)
    assert [r["label"] for r in use2.files_tab.rows] == rows and not use2.follow_check.isChecked()
    assert use2.opened_run["run_id"] == w2.ctx.runs[0]["run_id"]
    w2.close()


def test_the_built_in_box_is_empty_while_a_csv_is_loaded_and_after_reopening(qtbot, config_dir, tmp_path):
    csv = tmp_path / "points.csv"
    csv.write_text("x,y,label\n" + "".join(f"{i},{i % 7},{'ab'[i % 2]}\n" for i in range(60)))
    w = _window(qtbot)
    data = w.show_panel("Data")
    box = data.source_bar.builtin_combo
    with qtbot.waitSignal(data.split_made, timeout=TIMEOUT):
        data.load({"source": "builtin:iris"})
    assert box.currentData() == "builtin:iris"
    with qtbot.waitSignal(data.split_made, timeout=TIMEOUT):
        data.load_path(str(csv))
    assert box.currentIndex() == -1 and box.placeholderText()
    data.source_bar.load_builtin_btn.click()  # nothing chosen: nothing replaces the CSV
    assert data.request["source"] == str(csv)
    proj = tmp_path / "csv-project"
    w2, data2 = _save_and_reopen(qtbot, w, proj)
    assert data2.source_bar.builtin_combo.currentIndex() == -1 and data2.request["source"] == str(csv)
    w2.close()


def test_explore_trainers_show_their_last_runs_after_reopening(qtbot, config_dir, tmp_path):
    """The forecaster trained in the Explore panel before the project had a folder goes with the
    project; the autoencoder and language model trained into the project come back in their tabs."""
    from workbench.core.data import load_data
    from workbench.core.explore.autoencoder import AutoencoderSettings, train_autoencoder
    from workbench.core.explore.language import LanguageSettings, train_language_model
    from workbench.core.models import LAYER_TYPES

    w = _window(qtbot)
    ex = w.show_panel("Explore")
    f = ex.forecast
    with qtbot.waitSignal(ex.dataset_ready, timeout=TIMEOUT):
        f.demo_btn.click()
    qtbot.waitUntil(lambda: not ex.busy, timeout=TIMEOUT)
    f.epochs_spin.setValue(1)
    f.train_btn.click()  # no project folder yet: the run goes to a scratch folder
    qtbot.waitUntil(lambda: not ex.busy and f.result is not None, timeout=TIMEOUT)
    summary, curve = f.summary.text(), f.model_curve.getData()
    proj = tmp_path / "explore"
    assert w.save_project_to(proj)
    w.close()

    digits = load_data("builtin:digits")
    ae = train_autoencoder(digits, AutoencoderSettings(epochs=1, max_samples=200, code_size=4), project=proj)
    texts = ["the cat sat on the mat and looked at the dog. " * 3, "a dog ran in the park after a red ball. " * 3] * 10
    lm = None
    if "Embedding" in LAYER_TYPES:
        lm = train_language_model(None, LanguageSettings(epochs=1, units=16, length=16, sample_length=20),
                                  texts=texts, project=proj)

    w2 = _window(qtbot)
    assert w2.open_project(proj)
    ex2 = w2.show_panel("Explore")
    f2, ae2, lm2 = ex2.forecast, ex2.autoencoder, ex2.language
    assert f2.summary.text() == summary and f2.table.rowCount() == 3 and len(f2.lines) == 2
    assert list(f2.model_curve.getData()[0]) == list(curve[0])
    assert ae2.last_run == ae.record.run_id and ae2.project_btn.isEnabled()
    assert ae.record.run_id in ae2.result_label.text() and len(ae2.loss_curve.getData()[0]) == 1
    if lm is not None:
        assert lm.record.run_id in lm2.summary.text() and "unigram baseline" in lm2.summary.text()
        assert "[temperature" in lm2.samples_text.toPlainText()
    w2.close()
