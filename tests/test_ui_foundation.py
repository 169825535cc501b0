"""Workers, training bridge, panel registry, settings and the main window shell."""
import json
import threading

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui



def _slow_sum(n, progress, should_cancel, gate=None):
    total = 0
    for i in range(n):
        if gate is not None:
            gate.wait(5)
        if should_cancel():
            return None
        total += i
        progress(i + 1, n, "adding")
    return np.arange(3) + total


def test_function_worker_reports_progress_and_result(qtbot):
    from workbench.ui.workers import TaskController

    tc = TaskController()
    seen = []
    worker = tc.start(_slow_sum, 5)
    worker.progress.connect(lambda d, t, s: seen.append((d, t)))
    with qtbot.waitSignal(worker.result, timeout=5000) as res:
        pass
    qtbot.waitUntil(lambda: not tc.busy, timeout=5000)
    assert res.args[0].tolist() == [10, 11, 12]
    assert seen[-1] == (5, 5)


def test_worker_errors_become_messages(qtbot):
    from workbench.core.errors import DataError
    from workbench.ui.workers import TaskController

    def bad():
        raise DataError("The folder is empty; pick a folder with one subfolder per class.")

    tc = TaskController()
    w = tc.start(bad)
    with qtbot.waitSignal(w.error, timeout=5000) as err:
        pass
    assert err.args[0].startswith("The folder is empty")
    qtbot.waitUntil(lambda: not tc.busy, timeout=5000)


def test_stop_and_wait_cancels_a_running_job(qtbot):
    from workbench.ui.workers import TaskController, running_threads

    gate = threading.Event()
    tc = TaskController()
    w = tc.start(_slow_sum, 10_000_000, gate=gate)
    cancelled = []
    w.cancelled.connect(lambda: cancelled.append(True))
    assert tc.busy
    gate.set()
    assert tc.stop_and_wait(10000)
    assert not running_threads()
    tc.stop_and_wait()  # twice is fine
    qtbot.waitUntil(lambda: bool(cancelled), timeout=5000)


def test_the_thread_leak_check_fails_a_leaking_test(qtbot):
    from workbench.ui.testing import check_no_thread_left
    from workbench.ui.workers import TaskController

    gate = threading.Event()
    tc = TaskController()
    job = tc.start(gate.wait, 10)
    with pytest.raises(pytest.fail.Exception, match="still running"):
        check_no_thread_left(wait_ms=50)
    gate.set()
    qtbot.waitUntil(lambda: not tc.busy, timeout=5000)
    assert job is not None


class _FakeTrainer:
    class config:
        epochs = 3


def test_bridge_coalesces_batches_and_copies_epoch_logs(qtbot):
    from workbench.ui.training_bridge import TrainingBridge, TrainingBuffer

    bridge = TrainingBridge()
    buf = TrainingBuffer()
    buf.connect_bridge(bridge)
    cb = bridge.callback(min_interval_s=10.0)  # never flush on time: only at epoch ends
    batches = []
    bridge.batches_ready.connect(lambda items: batches.append(len(items)))

    def run():  # the Trainer calls callbacks from its own thread
        cb.on_fit_start(_FakeTrainer())
        for epoch in (1, 2, 3):
            for b in range(50):
                cb.on_batch_end(_FakeTrainer(), {"epoch": epoch, "batch": b, "n_batches": 50,
                                                 "samples_seen": (epoch - 1) * 500 + (b + 1) * 10,
                                                 "loss": 1.0 / (epoch + b)})
            cb.on_epoch_end(_FakeTrainer(), epoch, {"epoch": epoch, "loss": np.float32(1 / epoch),
                                                    "val_loss": 1.5 / epoch, "history": [1, 2]})

    t = threading.Thread(target=run)
    with qtbot.waitSignal(bridge.epoch_ended, timeout=5000, check_params_cb=lambda d: d["epoch"] == 3):
        t.start()
    t.join()
    assert len(buf.epochs) == 3
    assert buf.series("loss")[0] == [1.0, 2.0, 3.0]
    assert "history" not in buf.epochs[0] and isinstance(buf.epochs[0]["loss"], float)
    # 150 batches arrive in 3 coalesced emissions (one per epoch end), not 150
    assert batches == [50, 50, 50]
    assert len(buf.batch_smooth) == 150
    assert buf.progress()["fraction"] == pytest.approx(1.0)


def test_missing_panel_module_shows_placeholder(qtbot):
    from workbench.ui.context import AppContext
    from workbench.ui.panels import PlaceholderPanel, create_panel

    ctx = AppContext()
    p = create_panel("Nope", "workbench.ui.panels.does_not_exist:NopePanel", ctx)
    qtbot.addWidget(p)
    assert isinstance(p, PlaceholderPanel)
    p.restore({"keep": 1})
    assert p.state() == {"keep": 1}


def test_settings_roundtrip_migration_and_damage(tmp_path):
    from workbench.ui.settings import SCHEMA_VERSION, Settings

    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": 1, "splitter": "AAAA", "current_panel": "Model"}))
    s = Settings(path).load()
    assert s["splitters"] == {"main": "AAAA"} and s["current_panel"] == "Model" and not s.problem
    s.add_recent(tmp_path)
    s.save()
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION
    path.write_text("{broken")
    s = Settings(path).load()
    assert s.problem and s["current_panel"] == "Data"
    path.write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}))
    s = Settings(path).load()
    assert "newer" in s.problem
    s.save()  # leaves a newer file untouched
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION + 1


def test_main_window_shell(qtbot, config_dir, tmp_path):
    from workbench.ui.main_window import MainWindow, library_versions

    specs = [("One", "workbench.ui.panels.nothing_here:A"), ("Two", "workbench.ui.panels.nothing_either:B")]
    w = MainWindow(specs=specs)
    qtbot.addWidget(w)
    w.show()
    w.start()
    assert w.current_title() == "One"
    assert w.panel_actions[1].shortcut().toString() == "Ctrl+2"
    w.panel_actions[1].trigger()
    assert w.stack.currentIndex() == 1 and w.current_title() == "Two"
    assert [a.shortcut().toString() for a in (w.act_save, w.act_open, w.act_new, w.act_quit)] == [
        "Ctrl+S", "Ctrl+O", "Ctrl+N", "Ctrl+Q"]
    with qtbot.waitSignal(w.ctx.device_changed, timeout=60000):
        pass
    assert "CPU" in w.device_label.text() or "GPU" in w.device_label.text() or "cuda" in w.device_label.text()
    box = w.show_about()
    assert "numpy" in box.text() and "torch" in box.text()
    assert set(library_versions()) >= {"Python", "Qt", "PySide6", "torch", "numpy", "scikit-learn", "OpenCV"}
    box.close()
    # a damaged project folder gives a message, not a crash
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "project.json").write_text("{not json")
    assert not w.open_project(bad)
    assert "damaged" in w.last_message_box.text()
    w.last_message_box.close()
    w.close()
    saved = json.loads((config_dir / "settings.json").read_text())
    assert saved["current_panel"] == "Two" and saved["geometry"]


def test_dropped_files_reach_the_widget(qtbot, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent
    from PySide6.QtWidgets import QWidget

    from workbench.ui.widgets import FileDrops

    class Target(FileDrops, QWidget):
        def __init__(self):
            super().__init__()
            self.setAcceptDrops(True)
            self.got = []

        def files_dropped(self, paths):
            self.got.append(paths)

    w = Target()
    qtbot.addWidget(w)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(tmp_path / "a.png")), QUrl("https://example.org/not-a-file")])
    # QWidget.event dispatches to the virtual dropEvent (Qt delivers real drops only during a drag)
    w.event(QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier))
    assert w.got == [[str(tmp_path / "a.png")]]  # local files only


def test_job_runner_status_line_says_how_the_job_ended(qtbot):
    """The status line never keeps saying "Training…" once the job is over."""
    from PySide6.QtWidgets import QLabel, QProgressBar, QWidget

    from workbench.ui.job_runner import JobRunner

    host = QWidget()
    qtbot.addWidget(host)
    status, bar = QLabel(), QProgressBar()
    runner = JobRunner(host, status=status, progress=bar)
    with qtbot.waitSignal(runner.job_finished, timeout=10_000):
        runner.start(_slow_sum, 5, label="Adding up…")
    assert status.text() == "Adding up: done." and bar.value() == 100

    def boom():
        raise ValueError("no")

    with qtbot.waitSignal(runner.job_finished, timeout=10_000):
        runner.start(boom, label="Breaking")
    assert status.text().startswith("Breaking: failed")


def test_job_finished_means_the_thread_has_ended(qtbot):
    """A panel (or a test) that waits for job_finished or for busy to turn False finds no thread
    of that job still running."""
    from PySide6.QtWidgets import QWidget

    from workbench.ui.job_runner import JobRunner
    from workbench.ui.workers import running_threads

    host = QWidget()
    qtbot.addWidget(host)
    runner = JobRunner(host)
    seen = []
    runner.job_finished.connect(lambda: seen.append((runner.busy, len(running_threads()))))
    for _ in range(3):
        with qtbot.waitSignal(runner.job_finished, timeout=10_000):
            runner.start(_slow_sum, 5)
    assert seen == [(False, 0)] * 3
