"""One workflow, one record: a run started from the Train panel and the same configuration given to
``workbench train`` store the same RunRecord, field by field (ids, times and versions aside);
``workbench runs list`` then shows both runs with their baseline."""
import json

import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui

# what legitimately differs between two runs of the same configuration
NOT_COMPARED = {"run_id", "created", "versions", "time", "fit_time"}
EPOCH_TIMES = {"time", "samples_per_s"}  # per-epoch wall-clock figures in the history


def _comparable(rec: dict) -> dict:
    d = {k: v for k, v in rec.items() if k not in NOT_COMPARED}
    d["history"] = [{k: v for k, v in h.items() if k not in EPOCH_TIMES} for h in d["history"]]
    return d


def test_gui_and_cli_store_the_same_run_record(qtbot, tmp_path, config_dir, monkeypatch, capsys):
    from workbench.cli import main
    from workbench.core.runs import RunStore
    from workbench.ui.main_window import MainWindow

    monkeypatch.setenv("WORKBENCH_TORCH_THREADS", "1")  # the GUI keeps a core free, the CLI would not
    proj = tmp_path / "proj"
    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.start()
    assert w.save_project_to(proj)  # runs made from now on are stored in proj, as with --project
    data = w.show_panel("Data")
    with qtbot.waitSignals([data.split_made, data.preview_ready], timeout=60_000):
        data.load({"source": "builtin:iris"})
    with qtbot.waitSignals([data.split_made, data.preview_ready], timeout=30_000):
        data.set_plan("holdout:0.2,0.2")
        data.scale_combo.setCurrentIndex(data.scale_combo.findData("standard"))
        data.split_btn.click()
    model = w.show_panel("Model")
    model.load_preset("mlp")
    model.epochs_spin.setValue(3)
    model.batch_spin.setValue(64)
    model.lr_spin.setValue(0.003)
    train = w.show_panel("Train")
    train.name_edit.setText("same run")
    # the Data panel's split and its preview's fitted preprocessing go to the run as they are
    qtbot.waitUntil(lambda: w.ctx.state.current_preprocessor() is not None, timeout=30_000)
    req = train.request()
    assert req.splits is data.splits and req.preprocessor is w.ctx.state.current_preprocessor()
    with qtbot.waitSignal(train.run_done, timeout=120_000) as done:
        train.start_btn.click()
    qtbot.waitUntil(lambda: not train.busy, timeout=10_000)
    gui_id = done.args[0]["run_id"]
    assert gui_id

    code = main(["train", "--data", "builtin:iris", "--split", "holdout:0.2,0.2", "--scale", "standard",
                 "--model", "mlp", "--epochs", "3", "--batch-size", "64", "--lr", "0.003", "--optimizer", "adam",
                 "--seed", "0", "--name", "same run", "--project", str(proj), "--quiet", "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    cli_id = json.loads(out.strip().splitlines()[-1])["run_id"]
    assert cli_id and cli_id != gui_id

    store = RunStore(proj)
    gui, cli = store.load(gui_id).to_dict(), store.load(cli_id).to_dict()
    assert set(gui) == set(cli)
    g, c = _comparable(gui), _comparable(cli)
    differ = [k for k in g if g[k] != c[k]]
    assert not differ, {k: (g[k], c[k]) for k in differ}
    assert gui["config"]["model"] == "mlp" and gui["model"]["name"] == "mlp" and len(gui["history"]) == 3

    # `workbench runs list` shows both, each with its baseline beside its scores
    code = main(["runs", "list", "--project", str(proj), "--json"])
    rows = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0 and {r["run_id"] for r in rows} == {gui_id, cli_id}
    assert all(r["baseline"] == gui["baseline"]["test"]["accuracy"] for r in rows)
    w.close()
