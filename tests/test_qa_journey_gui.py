"""Defects found by trying the whole journey in the real window, each driven through the GUI only."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui

from PySide6.QtWidgets import QFileDialog  # noqa: E402


@pytest.fixture
def window(qtbot, config_dir):
    from workbench.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1024, 700)
    w.show()
    w.start()
    yield w
    w.close()


def test_a_csv_with_one_column_says_so_instead_of_asking_for_a_target(qtbot, window, tmp_path, monkeypatch):
    """A one-column CSV of running numbers (read as an ID) said "choose the target column yourself",
    which cannot help: there would be nothing left to learn from."""
    path = tmp_path / "one.csv"
    path.write_text("value\n" + "\n".join(str(i) for i in range(50)) + "\n")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: (str(path), "")))
    data = window.show_panel("Data")
    data.source_bar.csv_btn.click()
    qtbot.waitUntil(lambda: not data.load_jobs.busy and bool(data.banner.text()), timeout=30_000)
    text = data.banner.text()
    assert "only one column ('value')" in text and "input columns" in text
    assert "choose the target column yourself" not in text
    assert window.ctx.dataset is None


def test_at_1024_by_700_the_layer_summary_has_room_and_the_rl_status_line_is_not_cut(qtbot, window):
    """At 1024 x 700 the Model panel's layer summary was a sliver between the layers and the settings
    (it now goes under the layers), and the RL panel's status line was cut at the window's edge."""
    model = window.show_panel("Model")
    model.load_preset("digits-cnn")
    qtbot.waitUntil(lambda: model.summary_view.width() >= 380, timeout=5000)
    assert model.editor.layer_list.height() >= 120  # the layer list keeps room above it

    rl = window.show_panel("Reinforcement learning")
    status = rl.status
    qtbot.waitUntil(lambda: status.isVisible() and status.width() > 0, timeout=5000)
    assert status.wordWrap() and status.height() >= status.heightForWidth(status.width())
    assert status.mapTo(window, status.rect().bottomRight()).x() <= window.width()

    window.resize(1440, 900)  # wide again: the summary goes back beside the layers
    window.show_panel("Model")
    qtbot.waitUntil(lambda: model.layers_splitter.orientation().name == "Horizontal", timeout=5000)
