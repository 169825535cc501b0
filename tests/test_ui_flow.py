"""The flows a user does in the real window: digits -> split -> CNN preset -> train -> stop -> save -> reopen."""
import json

import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui


LOAD_TIMEOUT = 60_000
TRAIN_TIMEOUT = 180_000


@pytest.fixture
def window(qtbot, config_dir):
    from workbench.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.start()
    yield w
    w.close()


def _load_digits(qtbot, w):
    data = w.show_panel("Data")
    with qtbot.waitSignals([data.split_made, data.preview_ready], timeout=LOAD_TIMEOUT):
        data.builtin_combo.setCurrentIndex(data.builtin_combo.findData("builtin:digits"))
        data.load_builtin_btn.click()
    return data


def _small_cnn_settings(model, epochs):
    model.load_preset("digits-cnn")
    # Large batches keep the optimizer steps few on a busy 2-core machine; the chart is what is tested.
    model.batch_spin.setValue(256)
    model.epochs_spin.setValue(epochs)
    model.lr_spin.setValue(0.002)


def test_train_stop_save_reopen(qtbot, window, tmp_path, config_dir):
    w = window
    data = _load_digits(qtbot, w)
    assert data.dataset is not None and len(data.dataset) == 1797
    assert data.grid.count() > 0  # the sample grid shows images
    # The split step: an explicit hold-out with a larger validation share.
    with qtbot.waitSignal(data.split_made, timeout=LOAD_TIMEOUT):
        data.set_plan("holdout:0.25,0.2")
        data.split_btn.click()
    assert "25% validation" in data.split_desc.text()
    assert "no sample appears in more than one part" in data.leak_banner.text()
    assert w.ctx.splits is data.splits

    model = w.show_panel("Model")
    _small_cnn_settings(model, epochs=2)
    model.refresh_summary()
    assert model.summary is not None and model.summary.total_params > 1000
    assert not model.error
    assert "softmax" in model.reason_label.text()

    train = w.show_panel("Train")
    with qtbot.waitSignal(train.run_done, timeout=TRAIN_TIMEOUT) as done:
        train.start_btn.click()
        assert train.busy and not train.start_btn.isEnabled()
    rec = done.args[0]
    assert rec["stop_reason"] == "completed" and len(rec["history"]) == 2
    qtbot.waitUntil(lambda: not train.busy, timeout=10_000)
    for curve in (train.live.train_curve, train.live.val_curve, train.live.train_metric_curve,
                  train.live.val_metric_curve):
        xs, ys = curve.getData()
        assert list(xs) == [1.0, 2.0] and len(ys) == 2
    assert len(train.live.batch_curve.getData()[0]) >= 2
    assert rec["test_metrics"]["accuracy"] is not None and rec["baseline"]["test"]["accuracy"] < 0.2
    assert train.evaluation.confusion.rowCount() == 10
    cells = rec["evaluation"]["cells"]
    key = max(cells, key=lambda k: len(cells[k]))
    view = train.evaluation.open_cell(*map(int, key.split(",")))  # a confusion-matrix cell opens its samples
    assert view is not None and view.grid.count() == len(cells[key]) > 0
    view.close()
    assert train.evaluation.metrics_model.rowCount() >= 2
    assert train.live.diagnosis.toPlainText()

    # Stop mid-run: a long run, stopped after its first epoch.
    model = w.show_panel("Model")
    model.epochs_spin.setValue(40)
    train = w.show_panel("Train")
    train.name_edit.setText("stopped run")
    with qtbot.waitSignal(train.run_done, timeout=TRAIN_TIMEOUT) as done:
        with qtbot.waitSignal(train.buffer.epoch_added, timeout=TRAIN_TIMEOUT):
            train.start_btn.click()
        train.stop_btn.click()
    rec2 = done.args[0]
    assert rec2["stop_reason"] == "stopped" and 1 <= len(rec2["history"]) < 40
    qtbot.waitUntil(lambda: not train.busy, timeout=10_000)
    assert train.runs_tab.model.rowCount() == 2
    train.set_overlay([0, 1])
    assert len(train.runs_tab.overlay_plot.getPlotItem().listDataItems()) == 2

    proj = tmp_path / "project"
    assert w.save_project_to(proj)
    saved = json.loads((proj / "project.json").read_text())
    # project.json is the typed state: one section each, no per-panel copies
    assert "ui" not in saved and saved["training"]["epochs"] == 40
    assert saved["data"]["source"] == "builtin:digits" and saved["model"]["spec"]["name"] == "digits-cnn"
    assert saved["split"]["val"] == pytest.approx(0.25)
    assert len(list((proj / "runs").glob("*/run.json"))) == 2
    assert len(list((proj / "runs").glob("*/weights.pt"))) == 2
    spec_before = model.spec.to_dict()
    w.close()

    from workbench.ui.main_window import MainWindow

    w2 = MainWindow()
    qtbot.addWidget(w2)
    w2.show()
    data2 = w2.panel("Data")
    with qtbot.waitSignal(data2.split_made, timeout=LOAD_TIMEOUT):
        assert w2.open_project(proj)
    assert data2.dataset is not None and data2.dataset.name == "digits"
    assert data2.plan_dict()["val"] == pytest.approx(0.25)
    m2 = w2.panel("Model")
    assert m2.spec.to_dict() == spec_before
    assert m2.epochs_spin.value() == 40 and m2.batch_spin.value() == 256
    t2 = w2.panel("Train")
    assert [r.name for r in t2.runs][-1] == "stopped run" and len(t2.runs) == 2
    assert len(t2.live.train_curve.getData()[0]) == len(rec2["history"])  # the last run is shown again
    assert sorted(t2.runs_tab.model.checked) == [0, 1]
    assert str(proj.resolve()) in w2.settings["recent_projects"]
    # Autosave: a run in an opened project is stored and the project file updated at once.
    m2.epochs_spin.setValue(1)
    with qtbot.waitSignal(t2.run_done, timeout=TRAIN_TIMEOUT) as done:
        w2.show_panel("Train").start_btn.click()
    qtbot.waitUntil(lambda: not t2.busy, timeout=10_000)
    rid = done.args[0]["run_id"]
    assert (proj / "runs" / rid / "run.json").exists()
    saved = json.loads((proj / "project.json").read_text())
    assert saved["recent_runs"][0] == rid and saved["training"]["epochs"] == 1
    assert not w2.ctx.dirty
    w2.close()


def test_error_paths_show_messages(qtbot, window, tmp_path):
    w = window
    data = w.show_panel("Data")
    empty = tmp_path / "empty"
    empty.mkdir()
    with qtbot.waitSignal(data.load_failed, timeout=LOAD_TIMEOUT) as failed:
        data.load_path(str(empty))
    assert failed.args[0] and data.banner.isVisible() and data.banner.level == "error"
    assert data.dataset is None

    train = w.show_panel("Train")
    train.start_btn.click()  # nothing loaded yet
    assert "Data panel" in train.banner.text() and not train.busy

    _load_digits(qtbot, w)
    model = w.show_panel("Model")
    model.load_preset("digits-cnn")
    model.layer_list.setCurrentRow(len(model.spec.layers) - 1)
    model.add_layer("GRU")  # a recurrent layer on flat features cannot work
    model.refresh_summary()
    assert model.error and model.error_layer == len(model.spec.layers) - 1
    assert model.error_banner.level == "error"
    with qtbot.waitSignal(train.run_failed, timeout=5000) as failed:
        w.show_panel("Train").start_btn.click()
    assert "GRU" in failed.args[0] and not train.busy

    # A mismatched head is allowed but warned about.
    model.remove_selected()
    model.loss_combo.setCurrentIndex(model.loss_combo.findData("mse"))
    assert model.head_banner.level == "warning" and "cross-entropy" in model.head_banner.text()

    # A project written by a newer version: a message, no crash.
    newer = tmp_path / "newer"
    newer.mkdir()
    (newer / "project.json").write_text(json.dumps({"schema_version": 99, "name": "x"}))
    assert not w.open_project(newer)
    assert "newer version" in w.last_message_box.text()
    w.last_message_box.close()


def test_closing_during_training_stops_cleanly(qtbot, window):
    w = window
    _load_digits(qtbot, w)
    model = w.show_panel("Model")
    _small_cnn_settings(model, epochs=200)
    train = w.show_panel("Train")
    with qtbot.waitSignal(train.bridge.batches_ready, timeout=TRAIN_TIMEOUT):
        train.start_btn.click()
    train.toggle_pause()  # a paused run must stop too
    w.close()  # shutdown: request_stop + wait; the autouse fixture fails if a thread is left
    assert not train.jobs.tasks.busy  # its thread has ended (the queued "finished" may still be on its way)
