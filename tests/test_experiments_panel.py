"""The Experiments panel runs a lesson on a worker thread, shows its charts and conclusion, exports a report."""
import pytest

pytest.importorskip("pytestqt")

from workbench.ui.context import AppContext  # noqa: E402
from workbench.ui.panels.experiments import ExperimentsPanel  # noqa: E402


@pytest.fixture
def panel(qtbot):
    p = ExperimentsPanel(AppContext())
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def test_lists_the_guide_and_twelve_lessons(panel):
    from workbench.core.experiments import list_experiments

    assert panel.list.count() == 1 + len(list_experiments()) >= 13  # the guide, the twelve, case-study lessons
    panel.list.setCurrentRow(0)
    assert panel.stack.currentWidget() is panel.guide
    assert any("No data" in w.findChildren(type(panel.view.title))[0].text() for w in panel.guide._rows)


def test_run_shows_conclusion_charts_and_exports_report(panel, qtbot, tmp_path):
    panel.select_experiment("redundancy")
    assert "Redundancy" in panel.view.title.text()
    job = panel.start("redundancy")
    with qtbot.waitSignal(job.finished, timeout=240_000):
        pass
    res = panel.results["redundancy"]
    assert "test accuracy" in res["conclusion"]
    assert panel.view.chart_choice.count() >= 1
    assert panel.view.table.rowCount() == 2
    assert "Conclusion" in panel.view.conclusion.text() or "contradict" in panel.view.conclusion.text()
    # the live chart received the epochs of the training runs through the bridge
    assert len(panel.live_training.buffer.epochs) > 0
    out = panel.export_report(str(tmp_path / "report.html"), ["redundancy"])
    text = open(out, encoding="utf-8").read()
    assert "<svg" in text and res["conclusion"][:40] in text
    # state round trip keeps the result
    st = panel.state()
    p2 = ExperimentsPanel(AppContext())
    qtbot.addWidget(p2)
    p2.restore(st)
    assert p2.results["redundancy"]["conclusion"] == res["conclusion"]
    p2.shutdown()


def test_stop_cancels_the_running_experiment(panel, qtbot):
    panel.select_experiment("protocols")
    job = panel.start("protocols")
    with qtbot.waitSignals([job.cancelled, job.finished], timeout=120_000, order="strict"):
        panel.stop()
    assert "protocols" not in panel.results
    assert panel.view.status.text() == "stopped"
    assert panel.view.run_fast.isEnabled()


def test_guide_records_answers_and_metric_in_the_project_state(panel, qtbot):
    panel.list.setCurrentRow(0)
    combo = panel.guide.findChildren(type(panel.view.chart_choice))[0]
    combo.setCurrentText("ROC AUC")
    qtbot.waitUntil(lambda: any("You measure success with ROC AUC" in l.text()
                                for l in panel.guide.findChildren(type(panel.view.title))))
    from PySide6.QtWidgets import QLineEdit

    edit = [e for e in panel.guide.findChildren(QLineEdit) if e.property("step") == 1][0]
    edit.setText("Predict the digit from an 8x8 image")
    edit.editingFinished.emit()
    st = panel.state()
    assert st["guide"] == {"answers": {"1": "Predict the digit from an 8x8 image"}, "metric": "ROC AUC"}
    p2 = ExperimentsPanel(AppContext())
    qtbot.addWidget(p2)
    p2.restore(st)
    p2.list.setCurrentRow(0)
    assert [e.text() for e in p2.guide.findChildren(QLineEdit) if e.property("step") == 1] == ["Predict the digit from an 8x8 image"]
    p2.shutdown()
