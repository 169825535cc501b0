"""Day & Night panel smoke test: generate, train, results, live (synthetic + missing camera), classify, export."""
import pytest

pytest.importorskip("pytestqt")



@pytest.fixture
def one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)  # shared CI cores: one thread is faster than two fighting
    yield
    torch.set_num_threads(before)


@pytest.fixture
def panel(qtbot, tmp_path):
    from workbench.ui.context import AppContext
    from workbench.ui.panels.daynight import DayNightPanel

    ctx = AppContext(project_dir=tmp_path / "project")
    p = DayNightPanel(ctx)
    qtbot.addWidget(p)
    p.show()
    yield p
    p.shutdown()


def wait_idle(qtbot, panel, timeout=60_000):
    qtbot.waitUntil(lambda: not panel.jobs.busy, timeout=timeout)


def test_panel_walkthrough(qtbot, panel, tmp_path, one_torch_thread):
    import cv2

    panel.on_shown()
    assert "Conv" in panel.architecture_page.text.toPlainText()  # the architecture page lists the preset's layers
    panel.data_page.n_spin.setValue(160)
    panel.input_page.size_combo.setCurrentText("32")
    panel.bias_page.hard_spin.setValue(0.25)
    # training before there is data says what to do
    panel.train()
    assert panel.banner.isVisible() and "generate" in panel.banner.text().lower()
    panel.generate()
    wait_idle(qtbot, panel)
    assert panel.dataset is not None and len(panel.dataset) == 160
    assert panel.data_page.samples.count() > 0 and "Groups" in panel.data_page.info.text()
    assert "160 images" in panel.split_page.info.text()

    panel.train_page.epochs_spin.setValue(2)
    panel.train_page.batch_spin.setValue(32)
    runs = []
    panel.ctx.run_finished.connect(runs.append)
    panel.train()
    wait_idle(qtbot, panel, timeout=120_000)
    assert panel.banner.level != "error", panel.banner.text()
    assert len(runs) == 1
    assert panel.outcome is not None and panel.model is not None
    assert runs[0]["task"] == "binary" and len(runs[0]["history"]) >= 1
    assert runs[0].get("run_id")  # stored in the project's run history
    assert panel.train_page.runs_table.rowCount() == 1
    assert panel.results_page.groups_table.rowCount() >= 2  # per-subgroup table with the "all" row
    xs, _ = panel.train_page.loss_curve.getData()
    assert xs is not None and len(xs) == len(panel.outcome.fit.history)  # the live chart holds each epoch

    # the results belong to the run: regenerating the data set changes nothing in them
    table = panel.results_page.groups_table
    shown = [[table.item(i, j).text() for j in range(table.columnCount())] for i in range(table.rowCount())]
    n_wrong = panel.results_page.wrong_grid.count()
    panel.data_page.seed_spin.setValue(7)
    panel.data_page.n_spin.setValue(40)
    panel.generate()
    wait_idle(qtbot, panel)
    assert len(panel.dataset) == 40
    panel.show_results()
    assert [[table.item(i, j).text() for j in range(table.columnCount())] for i in range(table.rowCount())] == shown
    assert panel.results_page.wrong_grid.count() == n_wrong
    # the threshold is the model's: results, live labels and classified files follow it
    panel.output_page.threshold_spin.setValue(0.95)
    assert panel.model.threshold == 0.95 and "Threshold 0.95" in panel.results_page.info.text()
    assert "At threshold 0.95" in panel.output_page.info.text()
    panel.output_page.threshold_spin.setValue(0.5)
    panel.data_page.n_spin.setValue(160)
    panel.data_page.seed_spin.setValue(0)
    panel.generate()
    wait_idle(qtbot, panel)

    # bias: a shifted test set, scored per subgroup
    panel.bias_page.shift_combo.setCurrentText("dusk")
    panel.evaluate_shift()
    wait_idle(qtbot, panel)
    t = panel.bias_page.shift_table
    groups = {t.item(i, 0).text() for i in range(t.rowCount())}
    assert groups == {"dusk", "dawn", "all"} and "Shifted test set" in panel.banner.text()
    panel.send_to_model_panel()
    assert panel.ctx.model_spec is not None and panel.ctx.dataset is panel.dataset and panel.ctx.input_shape == (3, 32, 32)

    # resolution sweep: the same CNN at two sizes, charted
    panel.input_page.sweep_checks["128"].setChecked(False)
    panel.train_page.epochs_spin.setValue(1)
    panel.run_sweep()
    wait_idle(qtbot, panel, timeout=120_000)
    assert panel.banner.level != "error", panel.banner.text()
    assert [r["size"] for r in panel.sweep_rows] == [32, 64]
    xs, ys = panel.input_page.acc_curve.getData()
    assert list(xs) == [32, 64] and panel.input_page.table.rowCount() == 2

    # live: a synthetic camera feeds the gauge
    panel.start_live("synthetic:day")
    qtbot.waitUntil(lambda: panel.use_page.last_reading is not None, timeout=30_000)
    assert 0.0 <= panel.use_page.last_reading["p_day"] <= 1.0
    assert panel.use_page.frame_view.pixmap() is not None and not panel.use_page.frame_view.pixmap().isNull()
    panel.stop_live()
    qtbot.waitUntil(lambda: not panel.use_page.jobs.busy, timeout=10_000)

    # a dropped video file stands in for the camera
    video = tmp_path / "clip.avi"
    vw = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (32, 32))
    for img in panel.dataset.X[:5]:
        vw.write(img[:, :, ::-1].copy())
    vw.release()
    panel.use_page.last_reading = None
    panel.handle_drop([str(video)])
    assert panel.use_page.source_combo.currentText() == str(video)
    qtbot.waitUntil(lambda: panel.use_page.last_reading is not None, timeout=30_000)
    panel.stop_live()
    qtbot.waitUntil(lambda: not panel.use_page.jobs.busy, timeout=10_000)

    # no camera: the panel says so and offers a file
    panel.start_live("camera:63")
    qtbot.waitUntil(lambda: not panel.use_page.jobs.busy, timeout=10_000)
    assert "No camera" in panel.banner.text() and "video file" in panel.banner.text()

    # drop a folder of images on the Use page: classified
    folder = tmp_path / "drop"
    folder.mkdir()
    for i in range(3):
        cv2.imwrite(str(folder / f"{i}.png"), panel.dataset.X[i][:, :, ::-1])
    panel.go("use")
    panel.handle_drop([str(folder)])
    wait_idle(qtbot, panel)
    assert panel.use_page.classify_table.rowCount() == 3

    panel.export(str(tmp_path / "export"))
    wait_idle(qtbot, panel)
    assert (tmp_path / "export" / "daynight.json").is_file()
    assert "TorchScript" in panel.export_page.info.toPlainText()

    # a saved model loads back; an export folder loads too (and is not exported again)
    panel.load_model(str(tmp_path / "export"))
    assert panel.banner.level == "ok" and panel.model.size == 32
    panel.export(str(tmp_path / "again"))
    assert not (tmp_path / "again").exists()

    state = panel.state()
    assert state["size"] == 32 and state["epochs"] == 1 and len(state["sweep"]) == 2


def test_panel_restore_tolerates_old_state(qtbot, panel):
    panel.restore({"n": 500, "size": 128, "tint": "warm", "groups": ["dusk"], "unknown": 1, "lr": "bad"})
    assert panel.data_page.n_spin.value() == 500 and panel.input_page.size_combo.currentText() == "128"
    assert panel.bias_page.tint_combo.currentText() == "warm"
    assert panel.bias_page.only_groups() == ["dusk"]
    panel.restore({})


def test_cancel_generation(qtbot, panel):
    panel.data_page.n_spin.setValue(50_000)
    panel.input_page.size_combo.setCurrentText("32")
    panel.generate()
    panel.cancel_job()
    wait_idle(qtbot, panel)
    assert panel.dataset is None


def test_stop_button_keeps_the_epochs_really_done(qtbot, panel, one_torch_thread):
    """Stop pressed during training (GUI only): the run ends between batches and its row and record
    say the epochs that really ran, not 0."""
    panel.data_page.n_spin.setValue(160)
    panel.input_page.size_combo.setCurrentText("32")
    panel.generate()
    wait_idle(qtbot, panel)
    panel.train_page.epochs_spin.setValue(200)  # far more than will run before Stop
    panel.train_page.patience_spin.setValue(0)
    panel.train_page.batch_spin.setValue(16)
    runs = []
    panel.ctx.run_finished.connect(runs.append)
    panel.train_page.train_btn.click()
    buffer = panel.live_training.buffer
    qtbot.waitUntil(lambda: len(buffer.epochs) >= 2, timeout=120_000)
    assert panel.train_page.stop_btn.isEnabled()
    panel.train_page.stop_btn.click()
    wait_idle(qtbot, panel, timeout=120_000)
    assert len(runs) == 1 and runs[0]["stop_reason"] == "stopped"
    done = len(runs[0]["history"])
    assert 2 <= done < 200 and done == len(panel.outcome.fit.history)
    table = panel.train_page.runs_table
    assert table.item(0, 5).text() == str(done) and table.item(0, 7).text() == "stopped"
