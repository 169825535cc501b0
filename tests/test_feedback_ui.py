"""Honest feedback in the shell: a busy sign while any job runs, progress bars that move while a job
has not said how far it is, chart axes with plain numbers (no "epoch (x0.001)")."""
from __future__ import annotations

import threading

import pytest

pytestmark = pytest.mark.gui


def _wait_then_count(gate, progress, should_cancel):
    gate.wait(10)
    for i in range(3):
        progress(i + 1, 3, "counting")
    return 3


def test_busy_sign_and_moving_progress_bar(qtbot, config_dir):
    from PySide6.QtWidgets import QProgressBar, QWidget

    from workbench.ui.job_runner import JobRunner
    from workbench.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.start()
    home = w.panel("Home")  # reads the built-in sets and lessons in the background: the sign says so
    qtbot.waitUntil(lambda: not home.jobs.busy, timeout=30_000)
    assert w.busy_sign.isHidden()
    host = QWidget()
    qtbot.addWidget(host)
    bar = QProgressBar()
    runner = JobRunner(host, progress=bar)
    gate = threading.Event()
    runner.start(_wait_then_count, gate, label="Predicting…")
    # while the job has not said how far it is, the bar moves (busy) and the window says what runs
    assert bar.minimum() == bar.maximum() == 0
    assert not w.busy_sign.isHidden() and w.busy_sign.label.text().startswith("Predicting")
    with qtbot.waitSignal(runner.job_finished, timeout=10_000):
        gate.set()
    assert bar.maximum() == 100 and bar.value() == 100
    assert w.busy_sign.isHidden()
    w.close()


def test_failed_job_stops_the_moving_bar(qtbot):
    from PySide6.QtWidgets import QProgressBar, QWidget

    from workbench.ui.job_runner import JobActivity, JobRunner

    def boom():
        raise ValueError("no")

    host = QWidget()
    qtbot.addWidget(host)
    bar = QProgressBar()
    runner = JobRunner(host, progress=bar)
    with qtbot.waitSignal(runner.job_finished, timeout=10_000):
        runner.start(boom, label="Breaking")
    assert bar.maximum() == 100 and bar.value() == 0 and "Breaking" not in JobActivity.instance().labels


def test_chart_axes_show_plain_numbers(qtbot):
    """A chart of epochs 0..600 and losses 0..0.006 labels its axes without an SI factor."""
    from workbench.ui.widgets import epoch_plot

    plot = epoch_plot("Loss per epoch", "loss")
    qtbot.addWidget(plot)
    plot.plot(list(range(600)), [i / 100000 for i in range(600)])
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        assert not axis.autoSIPrefix and "x0.0" not in axis.labelString()
