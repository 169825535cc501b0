"""The panels and the project state show the same values at every moment: a widget the user changes
is in the state at once (no save needed), and a state changed from Python shows in the widgets."""
import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui


@pytest.fixture
def window(qtbot, config_dir):
    from workbench.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def test_a_case_study_widget_writes_its_section_and_the_section_shows_in_it(qtbot, window):
    dn = window.show_panel("Day & Night")
    state = window.ctx.state.sections
    dn.train_page.epochs_spin.setValue(13)
    assert state.daynight.epochs == 13 and window.ctx.dirty
    state.daynight.update(epochs=4, lr=0.02)  # as a script would
    qtbot.waitUntil(lambda: dn.train_page.epochs_spin.value() == 4)
    assert dn.train_page.lr_spin.value() == pytest.approx(0.02)

    det = window.show_panel("Detection")  # nested sections too
    det.train_tab.coord_spin.setValue(2.5)
    assert state.detection.train.lambda_coord == 2.5
    state.detection.update(segment={**state.detection.segment.to_dict(), "epochs": 7})
    qtbot.waitUntil(lambda: det.segment_tab.epochs_spin.value() == 7)


def test_the_general_panels_are_bound_too(qtbot, window):
    state = window.ctx.state.sections
    model = window.show_panel("Model")
    model.epochs_spin.setValue(17)
    assert state.training.epochs == 17
    state.training.update(epochs=6)
    qtbot.waitUntil(lambda: model.epochs_spin.value() == 6)

    train = window.show_panel("Train")
    train.name_edit.setText("from the GUI")
    assert state.run.name == "from the GUI"
    state.run.update(name="from Python")
    qtbot.waitUntil(lambda: train.name_edit.text() == "from Python")

    data = window.show_panel("Data")
    data.scale_combo.setCurrentIndex(data.scale_combo.findData("standard"))
    assert state.preprocessing.scale == "standard"
    state.preprocessing.update(scale="minmax")
    qtbot.waitUntil(lambda: data.scale_combo.currentData() == "minmax")
    with qtbot.waitSignal(data.split_made, timeout=60_000):  # a data source set from Python is loaded
        state.data.update(source="builtin:iris")
    assert data.dataset.name == "iris" and data.source_bar.builtin_combo.currentData() == "builtin:iris"
    assert state.preprocessing.scale == "minmax"


def test_switching_tabs_is_written_but_is_not_an_unsaved_change(qtbot, window, tmp_path):
    assert window.save_project_to(tmp_path / "p")
    rl = window.show_panel("Reinforcement learning")
    rl.tabs.setCurrentIndex(1)
    assert window.ctx.state.sections.rl.tab == 1 and not window.ctx.dirty
    rl.settings.seed_spin.setValue(7)
    assert window.ctx.state.sections.rl.settings.seed == 7 and window.ctx.dirty
