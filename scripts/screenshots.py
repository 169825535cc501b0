"""Screenshots of every panel, made from the real app (offscreen ``QWidget.grab()``).

Loads the digits, makes a split, picks the digits CNN, trains two runs (the second with a higher
learning rate) so the charts, run history and evaluation have something to show, then saves one
PNG per panel (and per interesting tab) in docs/screenshots/.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--epochs 8]
"""
from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("WORKBENCH_CONFIG_DIR", tempfile.mkdtemp(prefix="wb-shots-cfg-"))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--size", default="1280x820")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in args.size.lower().split("x"))

    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["workbench-screenshots"])

    def wait_for(signal, timeout_ms=600_000):
        loop = QEventLoop()
        signal.connect(loop.quit)
        QTimer.singleShot(timeout_ms, loop.quit)
        loop.exec()

    def settle():
        for _ in range(5):
            app.processEvents()

    saved: list[Path] = []

    def shot(name: str):
        settle()
        path = out / f"{name}.png"
        w.grab().save(str(path))
        saved.append(path)
        print("saved", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path, flush=True)

    w = MainWindow()
    w.resize(width, height)
    w.show()
    w.start()
    w.ctx.wait_device_probe(120)  # the status bar shows the device, not "probing…"
    data = w.show_panel("Data")
    data.load({"source": "builtin:digits"})
    wait_for(data.preview_ready)
    for i, tab in enumerate(("samples", "summary", "preprocessing")):
        data.tabs.setCurrentIndex(i)
        shot(f"data-{tab}")
    data.tabs.setCurrentIndex(3)
    shot("data-split")
    data.set_plan("kfold:5,0.2")  # the folds diagram
    data.make_split()
    wait_for(data.split_made)
    shot("data-split-kfold")
    data.set_plan("holdout:0.2,0.2")
    data.make_split()
    wait_for(data.split_made)
    data.tabs.setCurrentIndex(0)

    model = w.show_panel("Model")
    model.load_preset("digits-cnn")
    model.epochs_spin.setValue(args.epochs)
    model.batch_spin.setValue(64)
    model.refresh_summary()
    model.layer_list.setCurrentRow(0)
    shot("model")

    train = w.show_panel("Train")

    def run(name):
        train.name_edit.setText(name)
        w.show_panel("Train")
        train.start()
        wait_for(train.run_done)
        while train.busy:
            app.processEvents()

    model.lr_spin.setValue(0.001)
    run("digits-cnn, 60% training data")
    # Little training data and many epochs: the textbook overfitting picture.
    data.set_plan("holdout:0.7,0.1")
    data.make_split()
    wait_for(data.split_made)
    model.epochs_spin.setValue(args.epochs * 3)
    model.lr_spin.setValue(0.003)
    run("digits-cnn, 20% training data")
    train.set_overlay([0, 1])
    train.show_run(train.runs[-1])
    for i, tab in enumerate(("live", "runs", "cross-validation", "evaluation")):
        if tab == "cross-validation":
            continue
        train.tabs.setCurrentIndex(i)
        shot(f"train-{tab}")
    train.tabs.setCurrentIndex(0)

    for title in w.panel_titles()[3:]:
        panel = w.show_panel(title)
        settle()
        if title == "Experiments":
            # a real lesson run, then the workflow guide checked against this project's runs
            panel.select_experiment("network-size")
            job = panel.start("network-size")
            wait_for(job.finished)
            settle()
            panel.view.tabs.setCurrentIndex(0)
            shot("experiments")
            panel.view.tabs.setCurrentIndex(2)
            shot("experiments-figures")
            panel.list.setCurrentRow(0)
            shot("experiments-guide")
            continue
        shot(_slug(title))
    box = w.show_about()
    settle()
    path = out / "about.png"
    box.grab().save(str(path))
    saved.append(path)
    box.close()
    w.close()
    app.processEvents()
    print(f"{len(saved)} screenshots in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
