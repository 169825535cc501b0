"""The HParams view in pytest-qt: it follows a real search live, sorts its table, brushes an axis
of the parallel coordinates, plots the score against a parameter, shows the importances, and a
clicked trial opens its curves (and says which run it is)."""
from __future__ import annotations

import threading

import pytest

from workbench.core.runs import RunStore
from workbench.core.tuning import EventLog, parse_search_space
from workbench.core.search import run_search
from workbench.core.workflow import RunConfig

pytestmark = pytest.mark.gui

SPACE = "lr=log(1e-3,1e-1); layers.1.units=4,16,64"


@pytest.fixture
def view(qtbot):
    from workbench.ui.panels.training.hparams import HParamsView

    v = HParamsView()
    qtbot.addWidget(v)
    v.resize(1000, 600)
    v.show()
    yield v
    v.shutdown()


def test_the_view_follows_a_running_search_and_filters_sorts_and_opens_trials(qtbot, view, tmp_path):
    log = EventLog()
    view.set_run_loader(RunStore(tmp_path).load)
    view.attach(log, parse_search_space(SPACE))
    gate = threading.Event()
    seen = []

    def on_event(e):
        log(e)
        if e["kind"] == "trial":
            seen.append(e)
            if len(seen) == 2:
                gate.wait(30)  # hold the search after two trials: the view must already show them

    cfg = RunConfig(data="builtin:iris", train={"epochs": 3}, project=str(tmp_path))
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("res", run_search(
        cfg, SPACE, sampler="random", n_trials=6, cluster="inline", on_event=on_event)))
    worker.start()
    try:
        qtbot.waitUntil(lambda: "2 complete" in view.summary.text(), timeout=60000)  # live, mid-search
        assert view.proxy.rowCount() >= 2 and len(view.parallel.lines) >= 2
    finally:
        gate.set()
    worker.join(120)
    assert not worker.is_alive()
    view.detach()
    assert view.proxy.rowCount() == 6 and view.view.done and "finished" in view.summary.text()

    # sort by the score (column 2): the best trial first when descending
    view.table.sortByColumn(2, view.table.horizontalHeader().sortIndicatorOrder().DescendingOrder)
    scores = [view.table_model.rows[view.proxy.mapToSource(view.proxy.index(r, 0)).row()]["accuracy"]
              for r in range(view.proxy.rowCount())]
    assert scores == sorted(scores, reverse=True)

    # brush the units axis to its top category: only the trials with 64 units are left
    n64 = sum(1 for r in view.view.rows.values() if r["params"]["layers.1.units"] == 64)
    view.parallel.set_brush("layers.1.units", 0.9, 1.0)
    assert view.proxy.rowCount() == n64 and "inside the bands" in view.brush_label.text()
    view.parallel.clear_brushes()
    assert view.proxy.rowCount() == 6

    # the scatter of the score against lr (a log axis), and the importances
    view.scatter.param_box.setCurrentText("lr")
    assert len(view.scatter.points.data) == 6 and view.scatter.plot.getPlotItem().ctrl.logXCheck.isChecked()
    assert view.importances.bars is not None and set(view.view.importances) == {"lr", "layers.1.units"}

    # clicking a trial in the table opens its curves, read from its stored run
    with qtbot.waitSignal(view.trial_activated) as got:
        view.table.clicked.emit(view.proxy.index(0, 0))
    picked = got.args[0]
    assert picked["run_id"] and RunStore(tmp_path).exists(picked["run_id"])
    assert view.tabs.currentWidget() is view.curves
    assert {"loss", "val_loss", "val_accuracy"} <= set(view.curves.curves)
    assert len(view.curves.curves["val_loss"].xData) == 3


def test_a_finished_search_run_shows_in_the_view(qtbot, view):
    res = run_search(RunConfig(data="builtin:iris", train={"epochs": 2}), SPACE, sampler="random", n_trials=3,
                     cluster="inline", save=False, retrain=False)
    view.show_search(res.record.search)
    assert view.proxy.rowCount() == 3 and view.view.is_log("lr")
    with qtbot.waitSignal(view.trial_activated):
        view.parallel.trial_clicked.emit(1)
    assert view.selected == 1 and view.curves.curves  # no stored run: the search's own curve
