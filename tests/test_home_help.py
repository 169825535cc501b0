"""The start page, the grouped navigation, and the user guide (MkDocs build, Help, the "?" buttons)."""
from __future__ import annotations

import pytest

from workbench.core.journey import journey_steps
from workbench.core.state import WorkbenchState


def test_journey_steps_follow_the_state():
    from workbench.core.data import load_builtin

    st = WorkbenchState()
    steps = journey_steps(st)
    assert [s.title for s in steps] == ["Data", "Model", "Train", "Evaluate", "Use & export"]
    assert not any(s.done for s in steps) and steps[0].current and not steps[1].current
    st.set_dataset(load_builtin("iris"))
    st.add_run({"name": "a", "task": "multiclass", "test_metrics": None})
    st.add_run({"name": "det", "study": "detection", "test_metrics": {"map50": 0.5}})  # not the workflow's
    steps = {s.key: s for s in journey_steps(st)}
    assert steps["data"].done and "150" in steps["data"].detail
    assert not steps["model"].done and steps["model"].current
    assert steps["train"].done and steps["train"].detail == "1 run"
    assert not steps["evaluate"].done
    st.add_run({"name": "b", "task": "multiclass", "test_metrics": {"accuracy": 0.93},
                "exports": [{"path": "/tmp/iris-model"}]})
    steps = {s.key: s for s in journey_steps(st)}
    assert steps["evaluate"].done and "93.0%" in steps["evaluate"].detail
    assert steps["use"].done and "/tmp/iris-model" in steps["use"].detail


def test_journey_counts_runs_made_by_the_train_panel():
    """A run of the Train panel is recorded with kind "train": the start page ticks Train and
    Evaluate for it (it stayed on "Train the model" after a finished, tested run)."""
    from workbench.core.runs.record import RunRecord

    st = WorkbenchState()
    st.add_run(RunRecord(kind="train", task="regression", test_metrics={"r2": 0.35, "mae": 44.9}).to_dict())
    st.add_run(RunRecord(kind="daynight", study="daynight", test_metrics={"accuracy": 0.9}).to_dict())
    steps = {s.key: s for s in journey_steps(st)}
    assert steps["train"].done and steps["train"].detail == "1 run"
    assert steps["evaluate"].done and steps["evaluate"].detail == "test R² 0.35"


@pytest.mark.gui
def test_an_export_from_the_train_panel_ticks_the_last_step(qtbot, config_dir, tmp_path):
    """After Export in the Train panel, the start page shows the model as exported (it stayed on
    "Try the model on new files and export it")."""
    from workbench.core.runs.record import RunRecord
    from workbench.ui.context import AppContext
    from workbench.ui.panels.home.panel import HomePanel
    from workbench.ui.panels.training.after_run import AfterRunBar

    app_ctx = AppContext(project_dir=tmp_path / "proj")
    run = RunRecord(kind="train", task="multiclass", test_metrics={"accuracy": 0.9}).to_dict()
    app_ctx.add_run(run)
    bar = AfterRunBar(app_ctx)
    qtbot.addWidget(bar)
    bar.run = run
    bar._exported({"folder": str(tmp_path / "export"), "files": {}, "metadata": str(tmp_path / "export/model.json")})
    home = HomePanel(app_ctx)
    qtbot.addWidget(home)
    home.show()
    steps = {s.key: s for s in journey_steps(app_ctx.state)}
    assert steps["use"].done and str(tmp_path / "export") in steps["use"].detail
    bar.shutdown()
    home.shutdown()


@pytest.mark.gui
def test_start_page_shows_progress_and_loads_a_builtin_set(qtbot, config_dir):
    """Driven through the GUI only: the start page is the first screen, its steps follow the
    project, and clicking a built-in set loads it in the Data panel."""
    from PySide6.QtCore import Qt

    from workbench.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.start()
    assert w.current_title() == "Home"
    home = w.panel("Home")
    qtbot.waitUntil(lambda: "iris" in home.builtin_buttons and not home.jobs.busy, timeout=30000)
    assert [c.state for c in home.step_cards] == ["current", "later", "later", "later", "later"]
    # grouped navigation with an icon on every panel
    heads = [w.nav.item(i).text() for i in range(w.nav.count()) if w.nav.item(i).data(Qt.ItemDataRole.UserRole) is None]
    assert heads == ["WORKFLOW", "CASE STUDIES", "LEARN", "TOOLS"]
    assert all(not w.nav.item(r).icon().isNull() for r in w.nav.rows.values())
    assert {c.key for c in home.case_cards.cards} >= {"panel:Faces", "panel:Day & Night"}
    assert len(home.lesson_cards.cards) >= 15

    qtbot.mouseClick(home.builtin_buttons["iris"], Qt.MouseButton.LeftButton)
    assert w.current_title() == "Data"
    data = w.panel("Data")
    qtbot.waitUntil(lambda: w.ctx.dataset is not None and not data.load_jobs.busy, timeout=30000)
    assert len(w.ctx.dataset) == 150
    w.nav.set_current_slot(w.index_of("Home"))
    assert w.current_title() == "Home"
    assert [c.state for c in home.step_cards][:2] == ["done", "current"]
    assert "iris" in home.step_cards[0].detail.text()
    # a step card goes to its panel
    qtbot.mouseClick(home.step_cards[1], Qt.MouseButton.LeftButton)
    assert w.current_title() == "Model"
    # a lesson card opens the lesson
    w.show_panel("Home")
    card = next(c for c in home.lesson_cards.cards if c.key == "lesson:dropout")
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
    assert w.current_title() == "Experiments" and w.panel("Experiments").current_name() == "dropout"
    w.close()


def test_guide_builds_strict(tmp_path):
    """The guide builds with MkDocs in strict mode: every link and image between pages resolves."""
    from workbench.userguide import build_guide, page_html

    site = build_guide(tmp_path / "site", strict=True)
    assert (site / "index.html").is_file() and page_html(site, "panels/data.md").is_file()
    assert (site / "search" / "search_index.json").is_file()
    assert not list(tmp_path.glob(".guide-*"))  # the temporary build folder was renamed into place


def test_every_panel_help_button_has_a_page():
    from workbench.ui.help import page_for_panel
    from workbench.ui.panels import PANEL_SPECS
    from workbench.userguide import page_exists

    missing = [s.title for s in PANEL_SPECS if not page_exists(page_for_panel(s.title))]
    assert not missing, f"add a page docs/{page_for_panel(missing[0])} for: {missing}"


@pytest.fixture(scope="module")
def built_guide(tmp_path_factory):
    from workbench.userguide import build_guide

    return build_guide(tmp_path_factory.mktemp("guide") / "site")


@pytest.mark.gui
def test_help_opens_the_guide_and_panel_pages(qtbot, config_dir, built_guide, monkeypatch):
    from PySide6.QtCore import Qt

    from workbench.ui.main_window import MainWindow

    monkeypatch.setenv("WORKBENCH_GUIDE", str(built_guide))
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.start()
    w.act_guide.trigger()
    helpw = w.help_window()
    assert helpw.isVisible() and "Workbench user guide" in helpw.text.toPlainText()
    titles = [helpw.pages.item(i).text() for i in range(helpw.pages.count())]
    assert titles[:3] == ["Welcome", "Install and start", "The workflow"] and "Faces" in titles
    # the "?" of a panel's title row opens that panel's page
    w.show_panel("Faces")
    slot = w.slots[w.index_of("Faces")]
    with qtbot.waitSignal(helpw.page_shown) as sig:
        qtbot.mouseClick(slot.help_btn, Qt.MouseButton.LeftButton)
    assert sig.args == ["panels/faces.html"] and "enrol" in helpw.text.toPlainText().lower()
    # a link inside a page opens the linked page; Back returns
    helpw.open_page("workflow.md")
    with qtbot.waitSignal(helpw.page_shown) as sig:
        helpw._on_link(__import__("PySide6.QtCore", fromlist=["QUrl"]).QUrl("panels/data.html"))
    assert sig.args == ["panels/data.html"]
    helpw.back()
    assert "The workflow" in helpw.text.toPlainText()
    # search lists the sections that mention a word
    helpw.search.setText("confusion matrix")
    assert helpw.pages.count() >= 1
    # the workflow guide from the Help menu
    w.act_workflow.trigger()
    assert w.current_title() == "Experiments" and w.panel("Experiments").current_name() == "__guide__"
    helpw.close()
    w.close()


@pytest.mark.gui
def test_help_builds_the_guide_at_first_use(qtbot, config_dir, tmp_path, monkeypatch):
    from workbench.ui.help import HelpWindow

    monkeypatch.setenv("WORKBENCH_GUIDE", str(tmp_path / "guide"))
    monkeypatch.setenv("WORKBENCH_RESOURCES", str(tmp_path / "no-resources"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    h = HelpWindow()
    qtbot.addWidget(h)
    with qtbot.waitSignal(h.page_shown, timeout=60000) as sig:
        h.open_page("panels/train.md")
    assert sig.args == ["panels/train.html"] and (tmp_path / "guide" / "index.html").is_file()
    h.shutdown()
    h.close()


def test_readme_is_the_quick_start_and_a_map():
    """The long sections live in the user guide; the README keeps the quick start, screenshots and links."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert len(readme.encode()) < 15_000
    assert "## Quick start" in readme and "docs/screenshots/home.png" in readme
    for link in ("docs/workflow.md", "docs/index.md", "docs/panels/data.md"):
        assert link in readme and (root / link).is_file()
