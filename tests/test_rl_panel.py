"""The Reinforcement learning panel, driven through its widgets only: train CartPole with live charts
beside the random agent, resume the same agent, watch it play, see the run in the list."""
from __future__ import annotations

import pytest

pytest.importorskip("stable_baselines3")
pytestmark = pytest.mark.gui

from PySide6.QtCore import Qt  # noqa: E402


@pytest.fixture
def panel(qtbot, tmp_path):
    from workbench.ui.context import AppContext
    from workbench.ui.panels.rl import RLPanel

    ctx = AppContext(project_dir=tmp_path)
    p = RLPanel(ctx)
    qtbot.addWidget(p)
    p.resize(1100, 720)
    p.show()
    yield p
    p.shutdown()


def _click(qtbot, w):
    assert w.isEnabled(), w.text()
    qtbot.mouseClick(w, Qt.MouseButton.LeftButton)


def test_train_resume_watch_from_the_gui(panel, qtbot):
    s = panel.settings
    assert s.env_id == "CartPole-v1" and s.algo_combo.currentText() == "PPO"
    assert "rl-baselines3-zoo" in s.preset_note.text()
    s.steps_spin.setValue(2048)
    s.layers_edit.setText("32,32")
    _click(qtbot, panel.train_btn)
    assert panel.jobs.busy and panel.stop_btn.isEnabled() and not panel.train_btn.isEnabled()
    qtbot.waitUntil(lambda: not panel.jobs.busy, timeout=240_000)
    c = panel.charts.curves
    assert c.random is not None and c.returns and c.evals  # episodes, the random line and evaluations drawn
    assert panel.charts.redraws >= 1 and panel.charts.random.getData()[1] is not None
    assert "random agent" in panel.banner.text()
    assert len(panel.runs_tab.rows) == 1 and panel.runs_tab.rows[0]["algo"] == "PPO"
    steps = panel.session.num_timesteps

    # Resume continues the same agent and the same run
    _click(qtbot, panel.resume_btn)
    qtbot.waitUntil(lambda: not panel.jobs.busy, timeout=240_000)
    assert panel.session.num_timesteps > steps
    assert len(panel.runs_tab.rows) == 1

    # Watch the best agent play, with its action probabilities beside the frame
    w = panel.watch
    w.source_combo.setCurrentIndex(w.source_combo.findData("best"))
    w.speed_combo.setCurrentIndex(w.speed_combo.findData(0.0))
    _click(qtbot, w.play_btn)
    qtbot.waitUntil(lambda: w.frames_shown >= 5, timeout=60_000)
    assert w.last["score_kind"] == "probability" and len(w.last["scores"]) == 2
    assert not w.view.pixmap().isNull()
    _click(qtbot, w.play_btn)  # Stop
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30_000)


def test_bad_environment_is_a_sentence_in_the_banner(panel, qtbot):
    panel.settings.env_combo.setCurrentText("NoSuchEnv-v3")
    _click(qtbot, panel.train_btn)  # the environment is tried in the worker (off the GUI thread)
    qtbot.waitUntil(lambda: not panel.jobs.busy, timeout=60_000)
    assert panel.banner.isVisible() and "There is no environment" in panel.banner.text()


def test_watch_a_random_agent_without_training(panel, qtbot):
    w = panel.watch
    w.source_combo.setCurrentIndex(w.source_combo.findData("random"))
    w.speed_combo.setCurrentIndex(w.speed_combo.findData(0.0))
    _click(qtbot, w.play_btn)
    qtbot.waitUntil(lambda: w.frames_shown >= 3, timeout=60_000)
    _click(qtbot, w.play_btn)
    qtbot.waitUntil(lambda: not w.jobs.busy, timeout=30_000)
    assert w.last["scores"] is None and w.last["actions"] == ["push left", "push right"]


def test_panel_state_round_trip(panel):
    panel.settings.algo_combo.setCurrentText("DQN")
    panel.settings.seed_spin.setValue(7)
    st = panel.state()
    panel.settings.algo_combo.setCurrentText("A2C")
    panel.restore(st)
    assert panel.settings.algo_combo.currentText() == "DQN" and panel.settings.seed_spin.value() == 7
