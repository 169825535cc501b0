"""From data to a model used and exported, driven only through the window as a user would: buttons,
spin boxes and file dialogs (answered by the test); the core is called only to check results.

(a) image folder -> the suggested model -> train -> Try it -> Export -> the exported ONNX file,
    fed by the folder's own example.py, agrees with the Use panel's predictions;
(b) an image folder, then a CSV regression -> the model switches to a table model -> train ->
    the regression results (scatter, R²) -> a CSV predicted from the Use panel;
(c) a detection run and a generic run in one project: Train and Use list only what they can show
    and run, and nothing fails (also after the project is saved and opened again).
"""
from __future__ import annotations

import csv
import importlib.util

import numpy as np
import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui

from PySide6.QtWidgets import QFileDialog  # noqa: E402

LOAD_TIMEOUT = 60_000
TRAIN_TIMEOUT = 180_000


@pytest.fixture
def window(qtbot, config_dir):
    from workbench.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    w.start()
    yield w
    w.close()


class Dialogs:
    """Answers the file dialogs the way a user would pick files and folders."""

    def __init__(self, monkeypatch):
        self.folder, self.files = "", []
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *a, **k: self.folder))
        monkeypatch.setattr(QFileDialog, "getOpenFileNames", staticmethod(lambda *a, **k: (list(self.files), "")))
        monkeypatch.setattr(QFileDialog, "getOpenFileName",
                            staticmethod(lambda *a, **k: (self.files[0] if self.files else "", "")))


@pytest.fixture
def dialogs(monkeypatch):
    return Dialogs(monkeypatch)


def digit_folder(root, classes=(0, 1, 2), per_class=30):
    """Real handwritten digits (scikit-learn's 8x8 set) as a folder of PNGs, one subfolder per class."""
    import cv2
    from sklearn.datasets import load_digits

    d = load_digits()
    for c in classes:
        sub = root / f"digit{c}"
        sub.mkdir(parents=True)
        for k, i in enumerate(np.flatnonzero(d.target == c)[:per_class]):
            cv2.imwrite(str(sub / f"{k}.png"), (d.images[i] * 255 / 16).astype(np.uint8))
    return root


def diabetes_csv(path, rows=None):
    """scikit-learn's diabetes table (442 patients, disease progression after a year) as a CSV."""
    from sklearn.datasets import load_diabetes

    db = load_diabetes(scaled=False)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(list(db.feature_names) + ["progression"])
        for x, y in list(zip(db.data, db.target))[:rows]:
            w.writerow([f"{v:g}" for v in x] + [f"{y:g}"])
    return path


def load_folder(qtbot, w, dialogs, folder, size=8):
    data = w.show_panel("Data")
    data.source_bar.image_size.setValue(size)
    dialogs.folder = str(folder)
    with qtbot.waitSignals([data.split_made, data.preview_ready], timeout=LOAD_TIMEOUT):
        data.source_bar.folder_btn.click()
    return data


def load_csv(qtbot, w, dialogs, path):
    data = w.show_panel("Data")
    dialogs.files = [str(path)]
    with qtbot.waitSignals([data.split_made, data.preview_ready], timeout=LOAD_TIMEOUT):
        data.source_bar.csv_btn.click()
    return data


def train(qtbot, w, epochs=2):
    model = w.show_panel("Model")
    qtbot.waitUntil(lambda: model.summary is not None, timeout=10_000)
    model.epochs_spin.setValue(epochs)
    panel = w.show_panel("Train")
    with qtbot.waitSignal(panel.run_done, timeout=TRAIN_TIMEOUT) as done:
        panel.start_btn.click()
    qtbot.waitUntil(lambda: not panel.busy, timeout=10_000)
    return panel, done.args[0]


def test_image_folder_to_try_it_and_export(qtbot, window, dialogs, tmp_path):
    w = window
    folder = digit_folder(tmp_path / "digits")
    load_folder(qtbot, w, dialogs, folder)
    model = w.show_panel("Model")
    qtbot.waitUntil(lambda: bool(model.spec.layers), timeout=10_000)
    assert model.spec.name == "digits-cnn"  # small images with enough per class: a small CNN
    assert "digits-cnn" in model.banner.text()
    train_panel, rec = train(qtbot, w)
    assert rec["stop_reason"] == "completed" and train_panel.after.try_btn.isEnabled()

    use = w.panel("Use")
    files = sorted(str(p) for p in folder.rglob("*.png"))[::9]
    dialogs.files = files
    with qtbot.waitSignals([use.model_opened, use.files_classified], timeout=LOAD_TIMEOUT):
        train_panel.after.try_btn.click()  # no save needed
        use.files_tab.files_btn.click()  # at once: the files wait for the model to open
    assert w.current_title() == "Use" and use.predictor.kind == "image"
    assert use.follow_check.isChecked() and use.opened_run is w.ctx.runs[-1]  # the newest run: still following
    rows = use.files_tab.rows
    assert len(rows) == len(files) and use.answer.text()

    w.show_panel("Train")
    dialogs.folder = str(tmp_path / "export")
    with qtbot.waitSignal(train_panel.after.exported, timeout=LOAD_TIMEOUT) as ex:
        train_panel.after.export_btn.click()
    out = tmp_path / "export"
    assert {p.name for p in out.iterdir()} >= {"model.onnx", "model.torchscript.pt", "model.json", "example.py"}
    assert str(out) in train_panel.after.info.text() and train_panel.after.open_btn.isVisible()
    assert ex.args[0]["onnx_max_abs_diff"] < 1e-4

    # the exported folder on its own: its example.py prepares each file, onnxruntime scores it
    import onnxruntime as ort

    spec = importlib.util.spec_from_file_location("exported_example", out / "example.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    session = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    names = example.META["class_names"]
    for row in rows:
        p = session.run(None, {"input": example.image_input(row["path"])[None]})[0][0]
        assert names[int(np.argmax(p))] == row["label"]
        assert np.allclose(p, [row["probs"][n] for n in names], atol=1e-4)


def test_csv_regression_results_and_predictions(qtbot, window, dialogs, tmp_path):
    w = window
    load_folder(qtbot, w, dialogs, digit_folder(tmp_path / "digits", per_class=20))
    model = w.show_panel("Model")
    qtbot.waitUntil(lambda: bool(model.spec.layers), timeout=10_000)
    assert model.spec.layers[0].type != "Dense"  # an image model

    table = diabetes_csv(tmp_path / "diabetes.csv")
    data = load_csv(qtbot, w, dialogs, table)
    assert "stratified by class" not in data.split_desc.text()
    assert data.summary_tab.class_chart._items  # the target's histogram
    model = w.show_panel("Model")
    qtbot.waitUntil(lambda: model.spec.name == "mlp", timeout=10_000)
    assert "for a table the model is now mlp" in model.banner.text()
    model.refresh_summary()
    assert not model.error

    train_panel = w.show_panel("Train")
    offered = [train_panel.metric_combo.itemData(i) for i in range(train_panel.metric_combo.count())]
    assert train_panel.chart_metric() == "mae" and "accuracy" not in offered and "loss_xy" not in offered
    train_panel, rec = train(qtbot, w, epochs=2)
    assert rec["task"] == "regression"
    ev = train_panel.evaluation
    assert ev.pages.currentWidget() is ev.regression and ev.regression.n_points == rec["split"]["sizes"]["test"]
    shown = {ev.metrics_model.rows[i]["metric"]: ev.metrics_model.rows[i] for i in range(ev.metrics_model.rowCount())}
    assert {"MAE", "RMSE", "R²"} <= set(shown) and "units of 'progression'" in ev.label.text()
    assert shown["R²"]["model"] is not None and shown["MSE"]["model"] is not None  # beside the baseline's
    assert "e+0" not in ev.metrics_model.data(ev.metrics_model.index(0, 2))

    use = w.panel("Use")
    w.show_panel("Use")  # it opened the newest run as soon as the run ended
    qtbot.waitUntil(lambda: use.predictor is not None and not use.jobs.busy, timeout=LOAD_TIMEOUT)
    assert use.predictor.kind == "table" and use.predictor.regression and "progression" in use.model_info.text()
    new_rows = diabetes_csv(tmp_path / "new_patients.csv", rows=25)
    dialogs.files = [str(new_rows)]
    with qtbot.waitSignal(use.files_classified, timeout=LOAD_TIMEOUT):
        use.files_tab.files_btn.click()
    out = tmp_path / "new_patients-predictions.csv"
    assert str(out) in use.output_info.text() and use.open_output_btn.isVisible()
    with open(out, newline="") as f:
        got = list(csv.DictReader(f))
    assert len(got) == 25 and all(float(r["prediction"]) > 0 for r in got)
    assert use.files_tab.model.rowCount() == 25


def test_detection_and_generic_runs_in_one_project(qtbot, window, dialogs, tmp_path):
    w = window
    det = w.show_panel("Detection")
    det.data_tab.n_spin.setValue(40)
    det.data_tab.generate_btn.click()
    qtbot.waitUntil(lambda: det.dataset is not None and not det.jobs.busy, timeout=30_000)
    det.train_tab.grid_spin.setValue(4)
    det.train_tab.epochs_spin.setValue(1)
    with qtbot.waitSignal(det.jobs.job_finished, timeout=TRAIN_TIMEOUT):
        det.train_tab.train_btn.click()
    assert det.outcome is not None and w.ctx.runs[-1]["study"] == "detection"

    train_panel = w.show_panel("Train")
    assert train_panel.runs_tab.model.rowCount() == 0  # the detection run stays in its panel
    assert not train_panel.after.try_btn.isEnabled()
    use = w.show_panel("Use")
    assert use.run_combo.count() == 0 and use.predictor is None

    load_csv(qtbot, w, dialogs, diabetes_csv(tmp_path / "diabetes.csv", rows=150))
    train_panel, rec = train(qtbot, w, epochs=1)
    assert train_panel.runs_tab.model.rowCount() == 1
    use = w.show_panel("Use")
    qtbot.waitUntil(lambda: use.predictor is not None and not use.jobs.busy, timeout=LOAD_TIMEOUT)
    assert use.run_combo.count() == 1 and use.banner.level != "error"

    dialogs.folder = str(tmp_path / "project")
    w.save_project_as()
    assert len(list((tmp_path / "project" / "runs").glob("*/run.json"))) == 2
    w.close()

    from workbench.ui.main_window import MainWindow

    w2 = MainWindow()
    qtbot.addWidget(w2)
    w2.show()
    dialogs.folder = str(tmp_path / "project")
    data = w2.panel("Data")
    with qtbot.waitSignal(data.split_made, timeout=LOAD_TIMEOUT):
        w2.open_project_dialog()
    use = w2.show_panel("Use")
    qtbot.waitUntil(lambda: use.predictor is not None and not use.jobs.busy, timeout=LOAD_TIMEOUT)
    assert use.run_combo.count() == 1 and use.predictor.kind == "table" and use.banner.level != "error"
    train2 = w2.show_panel("Train")
    assert train2.runs_tab.model.rowCount() == 1 and train2.banner.level != "error"
    w2.close()
