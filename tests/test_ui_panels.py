"""Every registered panel opens, saves its state as JSON and shuts down twice; K-fold CV and the
hyperparameter search run from the Train panel; a panel runs on its own."""
import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui


def _axes(view):
    import pyqtgraph as pg

    scene = view.scene()
    return [it for it in (scene.items() if scene is not None else []) if isinstance(it, pg.AxisItem)]


def test_every_panel_opens(qtbot, config_dir):
    """Each registered panel builds (a placeholder in its place is a failure), saves a JSON-able
    state and shuts down twice."""
    import pyqtgraph as pg

    from workbench.ui.main_window import MainWindow
    from workbench.ui.panels import PANEL_SPECS, PlaceholderPanel
    from workbench.ui.panels.base import Panel

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.start()
    assert w.panel_titles() == [t for t, *_ in PANEL_SPECS]
    placeholders = []
    for i, title in enumerate(w.panel_titles()):
        panel = w.show_panel(i)
        assert isinstance(panel, Panel) and w.stack.currentIndex() == i
        if isinstance(panel, PlaceholderPanel):
            placeholders.append(f"{title}: {type(panel.error).__name__}: {panel.error}")
        json.dumps(panel.state())  # JSON-able
        si = [type(a).__name__ for a in panel.findChildren(pg.GraphicsView) for a in _axes(a) if a.autoSIPrefix]
        assert not si, f"{title}: axes with SI-prefix labels such as 'epoch (x0.001)'"
    assert not placeholders, "panels that fell back to the placeholder: " + "; ".join(placeholders)
    for s in w.slots:  # what each panel shows fits its typed section (a wrong type raises here)
        s.panel.save_state(w.ctx.state.sections)
    json.dumps(w.ctx.state.sections.to_dict())
    for s in w.slots:
        s.panel.shutdown()
        s.panel.shutdown()  # twice is safe
    w.close()


def test_cross_validation_and_search(qtbot, config_dir):
    from workbench.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    w.start()
    data = w.show_panel("Data")
    with qtbot.waitSignals([data.split_made, data.preview_ready], timeout=60_000):
        data.load({"source": "builtin:iris"})
    assert data.table.isVisible() and data.table_model.rowCount() == 150
    assert data.features_model.rowCount() == 4
    with qtbot.waitSignal(data.split_made, timeout=30_000):
        data.set_plan("kfold:3,0.2")
        data.scale_combo.setCurrentIndex(data.scale_combo.findData("standard"))
        data.split_btn.click()
    assert len(data.splits.folds) == 3 and len(data.folds_diagram.rows) == 3
    model = w.show_panel("Model")
    model.load_preset("mlp")
    model.epochs_spin.setValue(3)
    model.batch_spin.setValue(64)
    train = w.show_panel("Train")
    with qtbot.waitSignal(train.run_done, timeout=120_000) as done:
        train.start_btn.click()
    rec = done.args[0]
    qtbot.waitUntil(lambda: not train.busy, timeout=10_000)
    assert rec["mode"] == "cv" and len(rec["cross_validation"]["folds"]) == 3
    assert train.cv.model.rowCount() == 4  # 3 folds + mean ± std
    assert "± " in train.cv.label.text()
    assert len(train.cv.plot.getPlotItem().listDataItems()) >= 4  # per-fold curves + mean
    assert rec["test_metrics"] is not None  # the final model, scored once on the test set

    train.mode_combo.setCurrentIndex(train.mode_combo.findData("search"))
    train.search.space_edit.setText("lr=0.01,0.001")
    train.search.sampler_combo.setCurrentIndex(train.search.sampler_combo.findData("grid"))
    train.search.workers_spin.setValue(0)  # in the app's process (worker processes: test_tuning_cluster)
    with qtbot.waitSignal(train.run_done, timeout=120_000) as done:
        train.start_btn.click()
    assert train.tabs.currentWidget() is train.search  # the HParams view follows the search
    qtbot.waitUntil(lambda: not train.busy, timeout=10_000)
    rec = done.args[0]
    s = rec["search"]
    assert len(s["trials"]) == 2 and s["best_params"] in ({"lr": 0.01}, {"lr": 0.001})
    assert train.search.view.proxy.rowCount() == 2 and "finished" in train.search.view.summary.text()
    assert not [k for t in s["trials"] for k in t if "test" in k]  # trials are scored on the folds only
    assert rec["test_metrics"] is not None  # the best settings, retrained, scored once

    train.search.space_edit.setText("lr")  # a typo gives a message, not a crash
    train.start_btn.click()
    assert "lr" in train.banner.text() and not train.busy
    w.close()


def _standalone_module(target: str) -> str:
    """``python -m`` name of a panel: its package (``.../<name>/panel.py`` -> ``...<name>``)."""
    module = target.split(":")[0]
    return module.rsplit(".", 1)[0] if module.endswith(".panel") else module


def test_every_panel_runs_on_its_own(tmp_path):
    """``python -m workbench.ui.panels.<name>`` opens each panel in its own window and quits cleanly
    (one process runs them one after the other, so torch is imported once)."""
    from workbench.ui.panels import PANEL_SPECS

    modules = [_standalone_module(t) for _, t, *_ in PANEL_SPECS]
    code = ("import runpy, sys\n"
            f"for m in {modules!r}:\n"
            "    try:\n"
            "        runpy.run_module(m, run_name='__main__', alter_sys=True)\n"
            "    except SystemExit as e:\n"
            "        print(m, 'exit', e.code, flush=True)\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WORKBENCH_QUIT_AFTER_MS="300",
               WORKBENCH_CONFIG_DIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert [ln for ln in out.stdout.splitlines() if " exit " in ln] == [f"{m} exit 0" for m in modules], out.stdout
    assert "Traceback" not in out.stderr and "QThread" not in out.stderr, out.stderr


def test_overfitting_is_shaded_and_explained(qtbot):
    from workbench.core.training import diagnose
    from workbench.ui.context import AppContext
    from workbench.ui.panels.training import TrainingPanel

    ctx = AppContext()
    p = TrainingPanel(ctx)
    qtbot.addWidget(p)
    p.show()
    train = [0.9, 0.6, 0.45, 0.35, 0.27, 0.2, 0.15, 0.11]
    val = [0.95, 0.7, 0.6, 0.62, 0.68, 0.75, 0.83, 0.9]
    hist = [{"epoch": i + 1, "loss": t, "val_loss": v, "accuracy": 1 - t / 2, "val_accuracy": 1 - v / 2}
            for i, (t, v) in enumerate(zip(train, val))]
    rec = {"name": "overfits", "history": hist, "best_epoch": 3, "stop_reason": "completed",
           "diagnosis": diagnose(hist).to_dict()}
    p.show_run(rec)
    assert p.live.overfit_region.isVisible()
    assert p.live.overfit_region.getRegion() == (3.0, 8.0)
    assert p.live.best_line.value() == 3.0
    text = p.live.diagnosis.toPlainText()
    assert "Overfitting starts at epoch 3" in text and "smaller network" in text
    p.shutdown()


def test_app_starts_fast_without_heavy_imports(tmp_path):
    """The window shows before torch / scikit-learn / OpenCV are imported; `python -m workbench`
    opens the window and quits cleanly."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WORKBENCH_CONFIG_DIR=str(tmp_path))
    code = ("import sys\n"
            "from PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\n"
            "from workbench.ui.main_window import MainWindow\n"
            "w = MainWindow(); w.show(); app.processEvents()\n"
            "print(sorted(m for m in ('torch', 'sklearn', 'cv2') if m in sys.modules))\n"
            "w.close()\n")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"
    env.update(WORKBENCH_QUIT_AFTER_MS="200", WORKBENCH_PRINT_STARTUP="1")
    out = subprocess.run([sys.executable, "-m", "workbench"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "window shown after" in out.stdout
    assert "Traceback" not in out.stderr and "QThread" not in out.stderr
