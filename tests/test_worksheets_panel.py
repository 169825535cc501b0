"""The Worksheets panel, driven only through its widgets: pick a worksheet and a question, pick an
answer, press Run, and see every answer's result, the verdict and the reveal (tiny settings)."""
import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from workbench.ui.context import AppContext  # noqa: E402
from workbench.ui.panels.worksheets import WorksheetsPanel  # noqa: E402


@pytest.fixture
def tiny(monkeypatch):
    from workbench.core.worksheets import daynight as dn

    monkeypatch.setattr(dn, "FAST", {"n_train": 64, "n_test": 32, "epochs": 1, "size": 16, "batch": 32})
    dn._scenes.cache_clear()


@pytest.fixture
def panel(qtbot):
    p = WorksheetsPanel(AppContext())
    qtbot.addWidget(p)
    p.resize(1100, 800)
    p.show()
    yield p
    p.shutdown()


def test_pick_answer_run_and_see_the_reveal(panel, qtbot, tiny):
    panel.sheet.setCurrentIndex(panel.sheet.findText("Day'n'Night: design questions"))
    row = next(i for i in range(panel.list.count()) if "last activation" in panel.list.item(i).text())
    panel.list.setCurrentRow(row)
    assert "Output: Which last activation?" in panel.view.title.text()
    assert "right answer" not in panel.view.why.text() and not panel.view.answer_cards  # nothing revealed yet
    qtbot.mouseClick(panel.view.run_fast, Qt.MouseButton.LeftButton)
    assert "Pick an answer first" in panel.view.status.text()  # no run before a choice
    radio = panel.view.findChild(type(panel.view.group.buttons()[0]), "answer-softmax")
    radio.click()
    with qtbot.waitSignal(panel.jobs.job_finished, timeout=120_000):
        qtbot.mouseClick(panel.view.run_fast, Qt.MouseButton.LeftButton)
    assert "not the slide's" in panel.view.choice.text()
    cards = {c.key: c for c in panel.view.answer_cards}
    assert set(cards) == {"sigmoid", "softmax", "none"}
    assert "the right answer" in cards["sigmoid"].title() and "(your answer)" in cards["softmax"].title()
    assert cards["softmax"].plot is not None and cards["softmax"].picture.pixmap() is not None
    assert "Verdict" in panel.view.verdict.text() and "Why:" in panel.view.why.text()
    assert panel.view.export.isEnabled() and panel.view.run_fast.isEnabled()


def test_case_study_title_row_opens_its_worksheet(qtbot):
    from workbench.ui.navigation import PanelSlot
    from workbench.ui.panels import panel_specs

    ctx = AppContext()
    spec = next(s for s in panel_specs() if s.title == "Day & Night")
    slot = PanelSlot(spec, ctx)
    qtbot.addWidget(slot)
    with qtbot.waitSignal(ctx.panel_requested) as got:
        qtbot.mouseClick(slot.questions_btn, Qt.MouseButton.LeftButton)
    assert got.args == ["Worksheets/daynight"]
    p = WorksheetsPanel(ctx)
    qtbot.addWidget(p)
    p.show_part("yolo")
    assert p.current_worksheet().study == "detection" and "YOLO" in p.sheet.currentText()
    assert p.view.parts_box.isVisibleTo(p) and len(p.view.part_choices) == 5
    p.shutdown()
