"""Screenshots of every panel, made from the real app (offscreen ``QWidget.grab()``).

Loads the digits, makes a split, picks the digits CNN, trains two runs (the second with a higher
learning rate) so the charts, run history and evaluation have something to show, then saves one
PNG per panel (and per interesting tab) in docs/screenshots/.

The case-study panels are shown at work too: Day & Night (a generated set, a trained model's results, the
live P(day) gauge), Faces (generated people enrolled, the demo feed with names, the encoder evaluation),
Trigger word (demo set, a clip, live detection with the bundled demo model) and Style transfer (a short run).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--epochs 8]
        [--only daynight,faces,trigger,style,capture,detection,explore,regression,home]   # just some (quicker while iterating)

``regression``: a CSV regression from data to export (the scikit-learn diabetes table): the model
that follows the data, the regression results, a CSV predicted in the Use panel, the export
folder chooser and the message naming what was written.
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


CASE_STUDY_TITLES = ("Day & Night", "Faces", "Trigger word", "Style transfer", "Detection", "Explore")


def case_studies(w, which, shot, wait_until, settle) -> None:
    """Drive each case-study panel through its own public methods and shoot it at work."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, min(2, threads)))
    work = Path(tempfile.mkdtemp(prefix="wb-shots-"))
    if "daynight" in which:
        _daynight(w, work, shot, wait_until, settle)
    if "faces" in which:
        _faces(w, work, shot, wait_until, settle)
    if "trigger" in which:
        _trigger(w, work, shot, wait_until, settle)
    if "style" in which:
        _style(w, work, shot, wait_until, settle)
    if "capture" in which:
        _capture_use(w, work, shot, wait_until, settle)
    if "detection" in which:
        _detection(w, work, shot, wait_until, settle)
    if "explore" in which:
        _explore(w, work, shot, wait_until, settle)
    if "regression" in which:
        _regression(w, work, shot, wait_until, settle)
    if "home" in which:
        _home(w, work, shot, wait_until, settle)
    torch.set_num_threads(threads)


def _home(w, work, shot, wait_until, settle) -> None:
    """The start page at 1440x900 and 1024x700, with where the project stands (a built-in set
    loaded from its button and a model chosen, when the project has none yet)."""
    home = w.show_panel("Home")
    wait_until(lambda: not home.jobs.busy, what="the start page's built-in sets and lessons")
    if w.ctx.dataset is None:
        home.builtin_buttons["digits"].click()  # loads it and goes to the Data panel
        data = w.panel("Data")
        wait_until(lambda: w.ctx.dataset is not None and not data.load_jobs.busy, what="the digits")
        w.show_panel("Model").load_preset("digits-cnn")
    size = w.size()
    for name, (width, height) in (("home", (1440, 900)), ("home-1024x700", (1024, 700))):
        w.resize(width, height)
        w.show_panel("Home")
        settle()
        shot(name)
    w.resize(size)


def _regression(w, work, shot, wait_until, settle) -> None:
    """Diabetes progression from a CSV: data -> the table model -> results -> Use on a CSV -> Export."""
    import csv

    from PySide6.QtWidgets import QFileDialog
    from sklearn.datasets import load_diabetes

    db = load_diabetes(scaled=False)
    table = work / "diabetes.csv"
    with open(table, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(list(db.feature_names) + ["progression"])
        for x, y in zip(db.data, db.target):
            out.writerow([f"{v:g}" for v in x] + [f"{y:g}"])
    data = w.show_panel("Data")
    data.load({"source": str(table)})
    wait_until(lambda: data.dataset is not None and data.dataset.name == "diabetes" and not data.busy
               and w.ctx.input_shape is not None, what="the diabetes table")
    data.tabs.setCurrentIndex(next(i for i in range(data.tabs.count()) if data.tabs.tabText(i) == "Summary"))
    shot("data-regression-summary")
    model = w.show_panel("Model")
    wait_until(lambda: model.spec.name == "mlp" and model.summary is not None, what="the table model")
    model.epochs_spin.setValue(60)
    shot("model-follows-data")
    train = w.show_panel("Train")
    train.name_edit.setText("diabetes progression")
    train.start()
    wait_until(lambda: not train.busy and train.after.try_btn.isEnabled(), 600_000, "training")
    train.tabs.setCurrentWidget(train.live)
    shot("train-regression-live")
    train.tabs.setCurrentWidget(train.evaluation)
    shot("train-regression")
    dialog = QFileDialog(w, "Export the model into a folder")
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
    dialog.setFileMode(QFileDialog.FileMode.Directory)
    dialog.setDirectory(str(work))
    dialog.resize(min(900, w.width() - 80), min(560, w.height() - 80))
    dialog.show()
    settle()
    shot("export-chooser", dialog)
    dialog.close()
    train.after.export_to(str(work / "diabetes-model"))
    wait_until(lambda: train.after.last_export is not None and not train.after.jobs.busy, what="the export")
    shot("export-done")
    train.after.try_btn.click()
    use = w.panel("Use")
    wait_until(lambda: use.predictor is not None and not use.jobs.busy, what="the model to open in Use")
    use.classify_paths([str(table)])
    wait_until(lambda: not use.jobs.busy and use.last_output, what="predicting the CSV")
    shot("use-table")


def _explore(w, work, shot, wait_until, settle) -> None:
    """MNIST through the Explore panel: t-SNE with hover, neighbours and a lasso; clusters; an
    autoencoder with its reconstructions, its code projected; anomalies; a forecast."""
    from PySide6.QtCore import QPointF

    p = w.show_panel("Explore")
    p.on_shown()
    idle = lambda: not p.busy  # noqa: E731
    p.load("builtin:mnist")
    wait_until(lambda: p.dataset is not None and idle(), what="MNIST")
    tab = p.projector
    tab.method_combo.setCurrentIndex(tab.method_combo.findData("tsne"))
    tab.run_projection()
    wait_until(lambda: p.projection is not None and idle(), 900_000, "t-SNE")
    sc = tab.scatter
    coords = sc.coords
    i = int(((coords - coords.mean(0)) ** 2).sum(1).argmax())  # a point at the edge, so the thumbnail shows
    tab.k_spin.setValue(8)
    tab.show_neighbours(i)
    lab = p.embedding.labels
    c0 = coords[lab == 0].mean(0)
    r = 0.6 * coords[lab == 0].std(0).mean()
    import math

    sc.selection_made.emit(__import__("workbench.core.explore", fromlist=["points_in_polygon"]).points_in_polygon(
        coords, [(c0[0] + r * math.cos(a / 12 * 6.283), c0[1] + r * math.sin(a / 12 * 6.283)) for a in range(12)]))
    settle()
    sc._on_move(sc.view.mapViewToScene(QPointF(*coords[i])))
    shot("explore-projector")
    c = p.clusters
    p.tabs.setCurrentWidget(c)
    c.space_combo.setCurrentIndex(c.space_combo.findData("projection"))  # the t-SNE map's clusters
    c.kmax_spin.setValue(14)
    c.suggest()
    wait_until(idle, 900_000, "the silhouette curve")
    c.run_clustering()
    wait_until(lambda: p.clustering is not None and idle(), 300_000, "clustering")
    shot("explore-clusters")
    ae = p.autoencoder
    p.tabs.setCurrentWidget(ae)
    ae.kind_combo.setCurrentIndex(ae.kind_combo.findData("conv"))
    ae.epochs_spin.setValue(8)
    ae.batch_spin.setValue(64)
    ae.lr_spin.setValue(0.003)
    ae.train()
    wait_until(lambda: ae.last_run is not None and idle(), 900_000, "the autoencoder")
    shot("explore-autoencoder")
    tab.method_combo.setCurrentIndex(tab.method_combo.findData("umap"))
    ae.project_code()
    wait_until(lambda: idle() and p.embedding is not None and p.embedding.source == "code" and p.projection is not None,
               900_000, "UMAP of the code")
    shot("explore-code")
    a = p.anomalies
    p.tabs.setCurrentWidget(a)
    a.refresh_runs()
    a.method_combo.setCurrentIndex(a.method_combo.findData(ae.last_run))
    a.find()
    wait_until(lambda: a.result is not None and idle(), 300_000, "anomalies")
    shot("explore-anomalies")
    f = p.forecast
    p.tabs.setCurrentWidget(f)
    f.demo_btn.click()
    wait_until(lambda: p.dataset is not None and p.dataset.name == "seasonal series" and idle(), what="series")
    f.horizon_spin.setValue(5)
    f.train()
    wait_until(lambda: f.result is not None and idle(), 600_000, "the forecast")
    shot("explore-forecast")


def _capture_use(w, work, shot, wait_until, settle) -> None:
    """Capture two classes from a (synthetic) webcam showing real photos, train a pretrained head,
    then use it on a dropped photo (with Grad-CAM) and live."""
    import cv2
    import numpy as np
    from skimage import data as skdata

    from workbench.core.capture.camera import SyntheticCameraSource
    from workbench.core.workflow import RunConfig, run_training

    def frames(img, seed):
        rng = np.random.default_rng(seed)
        h, wd = img.shape[:2]

        def f(i):
            y, x = int(rng.integers(0, h // 4)), int(rng.integers(0, wd // 4))
            return img[y:y + 3 * h // 4, x:x + 3 * wd // 4]
        return f

    w.ctx.project_dir = work / "capture-project"
    w.ctx.project_dir.mkdir(parents=True, exist_ok=True)
    data = w.show_panel("Data")
    cap = data.capture_tab
    data.tabs.setCurrentWidget(cap)
    cap.name_edit.setText("cat-or-coffee")
    cap.open_set()
    photos = {"cat": skdata.chelsea(), "coffee": skdata.coffee()}
    cap.max_spin.setValue(20)
    cap.rate_spin.setValue(30)
    for name, img in photos.items():
        cap.add_class(name)
        cap.select_class(name)
        cap.source_factory = lambda img=img: SyntheticCameraSource(frames(img, 3), size=(640, 480), n_frames=200)
        cap.start_recording()
        wait_until(lambda: not cap.jobs.busy, what="capturing frames")
    wait_until(lambda: data.dataset is not None and len(data.dataset) == 40, what="the captured set")
    data.tabs.setCurrentWidget(cap)
    cap.select_class("cat")
    shot("data-capture")
    res = run_training(RunConfig(data=str(cap.cset.folder), image_size=(96, 96), model="pretrained-small",
                                 split="holdout:0.2,0.2", train={"epochs": 10}, project=str(w.ctx.project_dir),
                                 name="cat or coffee"))
    w.ctx.add_run(res.record.to_dict())
    use = w.show_panel("Use")
    use.refresh_runs()
    use.use_selected_run()
    wait_until(lambda: use.predictor is not None, what="the model to open")
    photo = work / "coffee-photo.png"
    cv2.imwrite(str(photo), skdata.coffee()[:, :, ::-1])
    use.explain_check.setChecked(True)
    use.classify_paths([str(photo)])
    wait_until(lambda: not use.jobs.busy and use.files_tab.rows, what="classifying a photo")
    settle()
    shot("use-files")
    use.explain_check.setChecked(False)
    use.start_live(SyntheticCameraSource(frames(photos["cat"], 11), size=(640, 480), n_frames=60, fps=15))
    wait_until(lambda: use._shown_n >= 5, what="live readings")
    shot("use-live")
    use.stop_live()
    wait_until(lambda: not use.live_jobs.busy, what="the live view to stop")


def _daynight(w, work, shot, wait_until, settle) -> None:
    p = w.show_panel("Day & Night")
    p.on_shown()
    p.data_page.n_spin.setValue(1500)
    p.input_page.size_combo.setCurrentText("32")
    p.bias_page.hard_spin.setValue(0.6)  # dusk, dawn, overcast, lit cities: a few mistakes for the Results page
    p.generate()
    wait_until(lambda: not p.jobs.busy, what="the day/night scenes")
    p.go("data")
    shot("day-night")
    p.train_page.epochs_spin.setValue(2)
    p.train_page.batch_spin.setValue(64)
    p.train()
    wait_until(lambda: not p.jobs.busy, what="day/night training")
    p.go("results")
    shot("day-night-results")
    import cv2

    files = work / "daynight-files"
    files.mkdir()
    paths = []
    for i in range(6):  # a few scenes as files, classified like a user's photos
        path = files / f"scene_{i + 1}.png"
        cv2.imwrite(str(path), p.dataset.X[i][:, :, ::-1])
        paths.append(str(path))
    p.go("use")
    p.classify(paths)
    wait_until(lambda: not p.jobs.busy, what="classifying files")
    p.use_page.source_combo.setCurrentText("synthetic:cycle")
    p.toggle_live()
    wait_until(lambda: p.use_page.last_reading is not None and p.use_page.last_reading.get("image") is not None,
               what="the live P(day) gauge")
    shot("day-night-live")
    p.stop_live()
    wait_until(lambda: not p.use_page.jobs.busy, what="the live feed to stop")
    p.go("data")


def _faces(w, work, shot, wait_until, settle) -> None:
    from workbench.core.studies.faces.realfaces import lfw_scenes

    p = w.show_panel("Faces")
    p.use_encoder()  # the default: dlib's pretrained encoder where installed
    wait_until(lambda: not p.jobs.busy and p.encoder is not None, what="the face encoder")
    # two of the three people of the demo feed (the third stays "unknown"), enrolled from photos;
    # the 25 px LFW crops are too soft for the panel's sharpness check, so the core enrolls them
    from workbench.core.studies.faces.gallery import Gallery

    scenes = lfw_scenes(face_px=170, size=(480, 360))
    g = Gallery(p.project_dir())
    for name, idx in (("Ben", 31), ("Cleo", 32)):
        g.enroll_frames(name, [scenes[idx].image, scenes[idx].image[:, ::-1].copy()], p.photo_finder(), p.encoder,
                        min_sharpness=0)
    p.reload_gallery()
    p.gallery_tab.people_list.setCurrentRow(0)
    p.tabs.setCurrentIndex(0)
    p.live_view.source_combo.setCurrentText("demo")
    p.live_view.start_live()

    def named(n):
        lf = p.live_view.last_faces
        return sum(f.name in ("Ben", "Cleo") for f in (lf.faces if lf is not None else [])) >= n

    wait_until(lambda: p.live.frames >= 12 and named(2), what="the demo feed")
    shot("faces")
    t = p.encoder_tab
    t.eval_data_combo.setCurrentIndex(t.eval_data_combo.findData("lfw"))
    t.evaluate()
    wait_until(lambda: not p.jobs.busy and t.report is not None, what="the evaluation on test people")
    p.tabs.setCurrentIndex(1)
    p.splitter.setSizes([480, 800])
    settle()
    t.verticalScrollBar().setValue(t.verticalScrollBar().maximum())  # the ROC and histograms
    t.ensureWidgetVisible(t.eval_label)
    frames = p.live.frames
    wait_until(lambda: p.live.frames >= frames + 3, what="frames scaled to the narrower video")
    shot("faces-evaluation")
    p.live_view.stop_live()
    wait_until(lambda: not p.live_jobs.busy, what="the demo feed to stop")
    p.splitter.setSizes([760, 520])
    p.tabs.setCurrentIndex(0)


def _trigger(w, work, shot, wait_until, settle) -> None:
    from workbench.core.audio.wav import write_wav
    from workbench.core.studies.trigger_word.synthesis import demo_stream

    p = w.show_panel("Trigger word")
    p.load_demo()
    wait_until(lambda: not p.jobs.busy, what="the trigger-word demo set")
    p.tabs.setCurrentIndex(0)
    for kind in ("backgrounds", "negatives", "positives"):  # the chart shows the last one picked: the word
        p.material_tab.kind_lists[kind].setCurrentRow(0)
    shot("trigger-word")
    p.clips_tab.n_clips.setValue(40)
    p.clips_tab.n_val.setValue(8)
    p.generate()
    wait_until(lambda: not p.jobs.busy, what="the training clips")
    p.tabs.setCurrentIndex(1)
    p.load_demo_model()  # the clip view overlays its prediction on the labels
    p.show_clip(1)
    shot("trigger-word-clip")
    audio, _, _ = demo_stream(p.material, p.model.config, 12.0, seed=0)  # fits the 12 s trace
    wav = write_wav(work / "demo-stream.wav", audio, p.model.config.sample_rate)
    p.tabs.setCurrentIndex(4)
    p.start_detection(str(wav), realtime=False)
    wait_until(lambda: not p.live.busy, what="detection on a WAV file")
    shot("trigger-word-detect")
    p.tabs.setCurrentIndex(3)
    shot("trigger-word-recipe")
    p.tabs.setCurrentIndex(0)


def _style(w, work, shot, wait_until, settle) -> None:
    p = w.show_panel("Style transfer")
    p.controls.size_spin.setValue(192)
    p.controls.steps_spin.setValue(60)
    p.controls.every_spin.setValue(5)
    p.start()
    wait_until(lambda: not p.busy, what="style transfer")
    p._redraw_charts()
    shot("style-transfer")


def _detection(w, work, shot, wait_until, settle) -> None:
    """WB_SHOTS_DETECTION_PARTS (default "data,label,train,segment,live") picks the tabs to shoot;
    WB_SHOTS_DETECTION_N / _EPOCHS set the scenes and the detector's epochs."""
    import cv2

    from workbench.core.studies.style_transfer.images import sample_photo

    parts = set(os.environ.get("WB_SHOTS_DETECTION_PARTS", "data,label,train,segment,live").split(","))
    p = w.show_panel("Detection")
    p.data_tab.n_spin.setValue(int(os.environ.get("WB_SHOTS_DETECTION_N", "1500")))
    p.data_tab.generate()
    wait_until(lambda: p.dataset is not None and not p.jobs.busy, what="the detection scenes")
    p.go(p.data_tab)
    if "data" in parts:
        shot("detection-data")
    if "label" in parts:
        photos = work / "detection-photos"
        photos.mkdir()
        for name in ("chelsea", "coffee", "astronaut"):
            cv2.imwrite(str(photos / f"{name}.jpg"), sample_photo(name)[..., ::-1])
        ed = p.editor_tab
        p.go(ed)
        ed.open_folder(str(photos))
        ed.doc.class_names[0] = "person"
        ed.add_class("face")
        ed.doc.add([40, 60, 500, 512], 0)  # the astronaut (first in the folder), as the mouse would draw it
        ed.doc.add([175, 35, 295, 160], 1)
        ed.editor.reload()
        ed._refresh()
        shot("detection-label-boxes")
    model = os.environ.get("WB_SHOTS_DETECTION_MODEL")  # a saved detector for the live shot (no training)
    if model and "train" not in parts:
        p.eval_tab.load(model)
    elif "train" in parts or "live" in parts:
        t = p.train_tab
        t.epochs_spin.setValue(int(os.environ.get("WB_SHOTS_DETECTION_EPOCHS", "8")))
        p.go(t)
        t.train()
        wait_until(lambda: not p.jobs.busy, timeout_ms=3_600_000, what="detector training")
        t._redraw()
        if "train" in parts:
            shot("detection-train")
            p.go(p.eval_tab)
            shot("detection-evaluate")
    if "segment" in parts:
        s = p.segment_tab
        if os.environ.get("WB_SHOTS_SEGMENT_EPOCHS"):  # else the tab's default (what a user gets)
            s.epochs_spin.setValue(int(os.environ["WB_SHOTS_SEGMENT_EPOCHS"]))
        p.go(s)
        s.train()
        wait_until(lambda: not p.jobs.busy, timeout_ms=3_600_000, what="U-Net training")
        shot("detection-segment")
    if "live" in parts:
        lt = p.live_tab
        p.go(lt)
        lt.start("synthetic:scenes")
        wait_until(lambda: lt.last is not None and lt.last["image"] is not None, what="live frames")
        lt.relay.frame.connect(lambda r: r["n"] >= 2 and p.live_jobs.cancel())  # keep a frame with boxes on screen
        wait_until(lambda: not p.live_jobs.busy, timeout_ms=120_000, what="a frame with detections")
        shot("detection-live")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--size", default="1280x820")
    ap.add_argument("--only", default="", help="comma-separated case studies only: daynight,faces,trigger,style,capture,"
                                              "detection,explore,regression,home")
    args = ap.parse_args(argv)
    only = {v.strip() for v in args.only.split(",") if v.strip()}
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

    def wait_until(predicate, timeout_ms=300_000, what="a worker"):
        """Run the event loop until ``predicate()`` holds (checked between events, no sleeping)."""
        loop = QEventLoop()
        timer = QTimer()
        timer.setInterval(50)
        timer.timeout.connect(lambda: predicate() and loop.quit())
        give_up = QTimer()
        give_up.setSingleShot(True)
        give_up.timeout.connect(loop.quit)
        timer.start()
        give_up.start(timeout_ms)
        if not predicate():
            loop.exec()
        timer.stop()
        give_up.stop()
        if not predicate():
            raise TimeoutError(f"waited {timeout_ms / 1000:.0f} s for {what}")

    def settle():
        for _ in range(5):
            app.processEvents()

    saved: list[Path] = []

    def shot(name: str, widget=None):
        settle()
        path = out / f"{name}.png"
        (widget or w).grab().save(str(path))
        saved.append(path)
        print("saved", path.relative_to(ROOT) if path.is_relative_to(ROOT) else path, flush=True)

    w = MainWindow()
    w.resize(width, height)
    w.show()
    w.start()
    w.ctx.wait_device_probe(120)  # the status bar shows the device, not "probing…"
    if only:
        case_studies(w, only, shot, wait_until, settle)
        w.close()
        app.processEvents()
        print(f"{len(saved)} screenshots in {out}")
        return 0
    data = w.show_panel("Data")
    data.load({"source": "builtin:digits"})
    wait_for(data.preview_ready)
    def data_tab(title):
        data.tabs.setCurrentIndex(next(i for i in range(data.tabs.count()) if data.tabs.tabText(i) == title))

    for tab in ("samples", "summary", "preprocessing"):
        data_tab(tab.capitalize())
        shot(f"data-{tab}")
    data_tab("Split")
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
    for tab in (train.live, train.runs_tab, train.evaluation):
        train.tabs.setCurrentWidget(tab)
        shot(f"train-{train.tabs.tabText(train.tabs.currentIndex()).lower()}")
    train.tabs.setCurrentIndex(0)

    case_studies(w, {"home", "daynight", "faces", "trigger", "style", "capture", "detection", "explore", "regression"}, shot,
                 wait_until, settle)
    for title in w.panel_titles()[3:]:
        if title in CASE_STUDY_TITLES or title == "Use":
            continue
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
