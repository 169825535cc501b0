"""Faces panel: live feed with names, enrollment, gallery, encoders (train / dlib), evaluation,
verify, identify and cluster. The logic is in ``workbench.core.studies.faces``; this is the view.

Threads: the live loop and every long job run through ``TaskController`` workers; the live
worker hands frames over through ``LiveState`` (the newest only), read here on a 30 Hz timer.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Slot
from PySide6.QtGui import QColor, QFont, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox,
                               QHBoxLayout, QInputDialog, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QMessageBox, QProgressBar, QPushButton, QScrollArea, QSpinBox, QSplitter,
                               QTabWidget, QVBoxLayout, QWidget)

from workbench.ui.panels.base import Panel
from workbench.ui.workers import TaskController

THUMB = 64


# ---- helpers (GUI thread) -----------------------------------------------------------------------

def rgb_to_qimage(img: np.ndarray) -> QImage:
    img = np.ascontiguousarray(img[..., :3])
    h, w = img.shape[:2]
    return QImage(img.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def thumb_icon(img: np.ndarray, size: int = THUMB) -> QIcon:
    pm = QPixmap.fromImage(rgb_to_qimage(img)).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                                      Qt.TransformationMode.SmoothTransformation)
    return QIcon(pm)


def thumb_list(height: int = THUMB + 16) -> QListWidget:
    lst = QListWidget()
    lst.setViewMode(QListWidget.ViewMode.IconMode)
    lst.setFlow(QListWidget.Flow.LeftToRight)
    lst.setWrapping(False)
    lst.setIconSize(QSize(THUMB, THUMB))
    lst.setFixedHeight(height + 8)
    lst.setMovement(QListWidget.Movement.Static)
    lst.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    return lst


def _plot(title: str, xlabel: str, ylabel: str):
    import pyqtgraph as pg

    w = pg.PlotWidget()
    w.setBackground("w")
    w.setTitle(title, color="k")
    w.setLabel("bottom", xlabel)
    w.setLabel("left", ylabel)
    for side in ("left", "bottom"):
        w.getAxis(side).enableAutoSIPrefix(False)  # "loss (x0.001)" over 100..190 reads worse than 0.1..0.19
    w.showGrid(x=True, y=True, alpha=0.3)
    w.addLegend(offset=(-10, 10))
    w.setMinimumHeight(170)
    w.setMaximumHeight(300)  # in a scrolling column: a chart the height of the window hides the next one
    return w


# ---- jobs (worker threads; no Qt) ----------------------------------------------------------------

def _job_load_encoder(kind: str, project_dir: Path, progress=None, should_cancel=None) -> dict:
    from workbench.core.studies.faces.encoder import encoder_factory
    from workbench.core.studies.faces.gallery import Gallery
    from workbench.core.studies.faces.workflow import encoder_dir

    enc = encoder_factory(kind, encoder_dir(project_dir))()
    g = Gallery(project_dir)
    msg = f"Using the {'pretrained dlib' if kind == 'dlib' else 'own'} encoder."
    if len(g) and g.needs_embedding(enc.key):
        g.reembed(enc, progress=progress, should_cancel=should_cancel)
        msg += f" The gallery ({len(g)} people) was embedded with it."
    return {"encoder": enc, "gallery": g, "message": msg}


def _job_gallery(op: str, project_dir: Path, encoder, *args, progress=None, should_cancel=None) -> dict:
    from workbench.core.studies.faces.detect import FaceDetector
    from workbench.core.studies.faces.gallery import Gallery

    g = Gallery(project_dir)
    det = FaceDetector()
    if op == "frames":
        name, frames = args
        msg = g.enroll_frames(name, frames, det, encoder).sentence()
    elif op == "folder":
        name, folder = args
        msg = g.enroll_folder(name, folder, det, encoder).sentence()
    elif op == "people":
        (root,) = args
        msg = " ".join(r.sentence() for r in g.import_people(root, det, encoder, progress=progress))
    elif op == "crops":
        name, crops = args
        msg = f"{name}: {g.add_faces(name, crops, encoder)} photo(s) added."
    elif op == "reembed":
        g.reembed(encoder, progress=progress, should_cancel=should_cancel)
        msg = f"The gallery was embedded with the {encoder.name} encoder."
    else:  # pragma: no cover
        raise ValueError(op)
    return {"gallery": g, "message": msg}


def _training_data(source: str, people: int, shots: int, seed: int, project_dir: Path, folder: str | None):
    import numpy as np

    from workbench.core.errors import DataError
    from workbench.core.studies.faces.synth import drawn_people

    if source == "generated":
        X, y, names = drawn_people(people, shots, seed=seed, size=64)
        return list(X), y, names
    if source == "gallery":
        from workbench.core.studies.faces.gallery import Gallery

        X, y, names = Gallery(project_dir).training_data()
        if len(names) < 4:
            raise DataError("The gallery needs at least 4 people (2 to train, 2 to evaluate); enroll more people "
                            "or use generated people.")
        return X, np.asarray(y), names
    if not folder:
        raise DataError("Choose a folder with one subfolder per person.")
    from workbench.core.studies.faces.workflow import load_people_folder

    return load_people_folder(folder)


def _job_train(source, people, shots, folder, cfg, held_out, project_dir, callbacks, trainer,
               progress=None, should_cancel=None) -> dict:
    from workbench.core.studies.faces.workflow import encoder_dir, train_and_evaluate

    X, y, names = _training_data(source, people, shots, cfg.seed, project_dir, folder)
    res = train_and_evaluate(X, y, cfg, held_out=held_out, callbacks=callbacks, trainer=trainer,
                             save_to=encoder_dir(project_dir))
    return {"encoder": res.encoder, "fit": res.fit, "report": res.report, "people": len(names)}


def _job_evaluate(encoder, source, people, shots, folder, seed, project_dir, progress=None, should_cancel=None) -> dict:
    from workbench.core.studies.faces.evaluate import evaluate_encoder

    # other generated people than the training ones (seed offset)
    X, y, names = _training_data(source, people, shots, seed + 10_000, project_dir, folder)
    return {"report": evaluate_encoder(encoder, X, y)}


def _job_faces_of_image(path: str, encoder, progress=None, should_cancel=None) -> dict:
    from workbench.core.studies.faces.detect import FaceDetector, crop_face, read_image

    img = read_image(path)
    boxes = FaceDetector().detect(img)
    crops = [crop_face(img, b, size=128) for b in boxes]
    emb = encoder.embed(crops) if (encoder is not None and crops) else None
    return {"image": img, "boxes": [b.to_tuple() for b in boxes], "embeddings": emb}


def _job_embed_frame(frame: np.ndarray, encoder, progress=None, should_cancel=None) -> dict:
    from workbench.core.studies.faces.detect import FaceDetector, crop_face

    boxes = FaceDetector().detect(frame)
    crops = [crop_face(frame, b, size=128) for b in boxes]
    emb = encoder.embed(crops[:1]) if crops else None
    return {"image": frame, "boxes": [b.to_tuple() for b in boxes[:1]], "embeddings": emb}


def _job_cluster(folder: str, encoder, k, progress=None, should_cancel=None) -> dict:
    from workbench.core.studies.faces.workflow import cluster_folder

    crops, origin, res, skipped = cluster_folder(folder, encoder, k=k, progress=progress, should_cancel=should_cancel)
    return {"crops": crops, "origin": origin, "result": res, "skipped": skipped}


# ---- the panel -----------------------------------------------------------------------------------

class FacesPanel(Panel):
    title = "Faces"
    icon_name = "SP_FileDialogContentsView"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        from workbench.core.studies.faces.live import LiveState

        self.tasks = TaskController(self)
        self.live_tasks = TaskController(self)
        self.live = LiveState()
        self.encoder = None
        self.gallery = None
        self.detector = None
        self.trainer = None
        self.report = None
        self._live_job = None
        self._nbusy = 0  # jobs running (buttons are disabled meanwhile)
        self._burst: list[np.ndarray] = []
        self._burst_nos: set[int] = set()
        self._countdown = 0
        self._last_faces = None
        self._cluster = None
        self._build()

        self.timer = QTimer(self)
        self.timer.setInterval(33)  # <= 30 Hz display
        self.timer.timeout.connect(self._show_latest)
        self.chart_timer = QTimer(self)
        self.chart_timer.setInterval(200)
        self.chart_timer.timeout.connect(self._redraw_training)
        self.burst_timer = QTimer(self)
        self.burst_timer.setInterval(150)
        self.burst_timer.timeout.connect(self._burst_tick)
        self.count_timer = QTimer(self)
        self.count_timer.setInterval(1000)
        self.count_timer.timeout.connect(self._count_tick)
        ctx.project_changed.connect(self._on_project_changed)
        self._refresh_encoder_choices()
        self._reload_gallery()

    # ---- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QHBoxLayout(self)
        split = QSplitter(Qt.Orientation.Horizontal)
        root.addWidget(split)
        split.addWidget(self._build_live())
        self.tabs = QTabWidget()
        self.tabs.addTab(self._build_gallery_tab(), "Gallery")
        self.tabs.addTab(self._build_encoder_tab(), "Encoder")
        self.tabs.addTab(self._build_verify_tab(), "Verify && identify")
        self.tabs.addTab(self._build_cluster_tab(), "Cluster")
        split.addWidget(self.tabs)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.splitter = split

    def _build_live(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        row = QHBoxLayout()
        self.source_combo = QComboBox()
        self.source_combo.setEditable(True)
        self.source_combo.addItems(["camera:0", "camera:1", "demo"])
        self.source_combo.setToolTip("camera:N, 'demo' (generated faces), or a video file / image folder path")
        self.source_browse = QPushButton("Video…")
        self.source_browse.clicked.connect(self._browse_video)
        self.start_btn = QPushButton("Start")
        self.start_btn.clicked.connect(self.start_live)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setEnabled(False)
        self.stop_btn.clicked.connect(self.stop_live)
        row.addWidget(QLabel("Source:"))
        row.addWidget(self.source_combo, 1)
        row.addWidget(self.source_browse)
        row.addWidget(self.start_btn)
        row.addWidget(self.stop_btn)
        lay.addLayout(row)
        self.video = QLabel("Start the camera (or the demo) to see faces with names.")
        self.video.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.video.setMinimumSize(400, 300)
        self.video.setStyleSheet("background:#202020; color:#dddddd;")
        lay.addWidget(self.video, 1)
        self.live_status = QLabel("")
        lay.addWidget(self.live_status)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.message)
        enroll = QGroupBox("Enroll from the camera")
        el = QHBoxLayout(enroll)
        self.enroll_name = QLineEdit()
        self.enroll_name.setPlaceholderText("name")
        self.enroll_shots = QSpinBox()
        self.enroll_shots.setRange(1, 30)
        self.enroll_shots.setValue(8)
        self.enroll_btn = QPushButton("Enroll (3-2-1, burst)")
        self.enroll_btn.setToolTip("Counts down, then takes a burst of shots; turn your head a little between "
                                   "shots. Blurry or faceless shots are rejected.")
        self.enroll_btn.clicked.connect(self.start_enroll)
        self.countdown = QLabel("")
        f = QFont()
        f.setPointSize(16)
        f.setBold(True)
        self.countdown.setFont(f)
        el.addWidget(self.enroll_name, 1)
        el.addWidget(QLabel("shots"))
        el.addWidget(self.enroll_shots)
        el.addWidget(self.enroll_btn)
        el.addWidget(self.countdown)
        lay.addWidget(enroll)
        return w

    def _build_gallery_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        self.gallery_label = QLabel("")
        self.gallery_label.setWordWrap(True)
        lay.addWidget(self.gallery_label)
        self.people_list = QListWidget()
        self.people_list.currentRowChanged.connect(self._show_person)
        lay.addWidget(self.people_list, 1)
        lay.addWidget(QLabel("Photos of the selected person:"))
        self.person_thumbs = thumb_list()
        # a person has up to 40 photos: wrap them over the room a long empty name list would waste
        self.person_thumbs.setWrapping(True)
        self.person_thumbs.setFlow(QListWidget.Flow.LeftToRight)
        self.person_thumbs.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.person_thumbs.setMinimumHeight(THUMB + 24)
        self.person_thumbs.setMaximumHeight(16777215)
        lay.addWidget(self.person_thumbs, 1)
        row = QHBoxLayout()
        self.add_folder_btn = QPushButton("Add photos…")
        self.add_folder_btn.setToolTip("Enroll a person from a folder of their photos")
        self.add_folder_btn.clicked.connect(self._add_from_folder)
        self.import_btn = QPushButton("Import people…")
        self.import_btn.setToolTip("A folder with one subfolder per person")
        self.import_btn.clicked.connect(self._import_people)
        self.rename_btn = QPushButton("Rename…")
        self.rename_btn.clicked.connect(self._rename_person)
        self.delete_btn = QPushButton("Delete")
        self.delete_btn.clicked.connect(self._delete_person)
        self.reembed_btn = QPushButton("Re-embed")
        self.reembed_btn.setToolTip("Compute the gallery's embeddings with the current encoder")
        self.reembed_btn.clicked.connect(self._reembed)
        for b in (self.add_folder_btn, self.import_btn, self.rename_btn, self.delete_btn, self.reembed_btn):
            row.addWidget(b)
        lay.addLayout(row)
        return w

    def _build_encoder_tab(self) -> QWidget:
        outer = QScrollArea()
        outer.setWidgetResizable(True)
        w = QWidget()
        lay = QVBoxLayout(w)
        enc = QGroupBox("Encoder in use")
        el = QFormLayout(enc)
        self.encoder_combo = QComboBox()
        self.encoder_combo.addItem("Own CNN (triplet loss)", "own")
        self.encoder_combo.addItem("dlib ResNet (pretrained)", "dlib")
        self.use_encoder_btn = QPushButton("Use this encoder")
        self.use_encoder_btn.clicked.connect(self.use_encoder)
        self.encoder_status = QLabel("")
        self.encoder_status.setWordWrap(True)
        self.encoder_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        r = QHBoxLayout()
        r.addWidget(self.encoder_combo, 1)
        r.addWidget(self.use_encoder_btn)
        el.addRow(r)
        el.addRow(self.encoder_status)
        lay.addWidget(enc)

        tr = QGroupBox("Train your own encoder (triplet loss)")
        tl = QFormLayout(tr)
        self.data_combo = QComboBox()
        self.data_combo.addItem("Generated people", "generated")
        self.data_combo.addItem("The gallery", "gallery")
        self.data_combo.addItem("A folder (one subfolder per person)…", "folder")
        self.data_combo.currentIndexChanged.connect(self._data_choice)
        self._data_folder: str | None = None
        self.people_spin = QSpinBox()
        self.people_spin.setRange(4, 500)
        self.people_spin.setValue(40)
        self.shots_spin = QSpinBox()
        self.shots_spin.setRange(2, 100)
        self.shots_spin.setValue(10)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 500)
        self.epochs_spin.setValue(15)
        self.mining_combo = QComboBox()
        self.mining_combo.addItems(["semi-hard", "hard", "random"])
        self.mining_combo.setToolTip(
            "Which negative each (anchor, positive) pair is trained against. semi-hard: the closest one still "
            "farther than the positive (FaceNet's choice); hard: the closest of all (batch-hard; from scratch it "
            "can collapse every face onto one point); random: any other person.")
        self.margin_spin = QDoubleSpinBox()
        self.margin_spin.setRange(0.0, 2.0)
        self.margin_spin.setSingleStep(0.05)
        self.margin_spin.setValue(0.2)
        self.dim_spin = QSpinBox()
        self.dim_spin.setRange(2, 512)
        self.dim_spin.setValue(64)
        self.size_combo = QComboBox()
        self.size_combo.addItems(["64", "32", "96"])
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(5)
        self.lr_spin.setRange(1e-5, 1.0)
        self.lr_spin.setValue(0.002)
        self.heldout_spin = QDoubleSpinBox()
        self.heldout_spin.setRange(0.1, 0.7)
        self.heldout_spin.setSingleStep(0.05)
        self.heldout_spin.setValue(0.3)
        tl.addRow("Data", self.data_combo)
        gen = QHBoxLayout()
        gen.addWidget(QLabel("people"))
        gen.addWidget(self.people_spin)
        gen.addWidget(QLabel("shots each"))
        gen.addWidget(self.shots_spin)
        tl.addRow("Generated", gen)
        tl.addRow("Epochs", self.epochs_spin)
        tl.addRow("Triplet mining", self.mining_combo)
        tl.addRow("Margin", self.margin_spin)
        tl.addRow("Embedding size", self.dim_spin)
        tl.addRow("Face image size", self.size_combo)
        tl.addRow("Learning rate", self.lr_spin)
        tl.addRow("Held-out people", self.heldout_spin)
        br = QHBoxLayout()
        self.train_btn = QPushButton("Train")
        self.train_btn.clicked.connect(self.start_training)
        self.stop_train_btn = QPushButton("Stop")
        self.stop_train_btn.setEnabled(False)
        self.stop_train_btn.clicked.connect(self.stop_training)
        self.train_progress = QProgressBar()
        br.addWidget(self.train_btn)
        br.addWidget(self.stop_train_btn)
        br.addWidget(self.train_progress, 1)
        tl.addRow(br)
        lay.addWidget(tr)

        from workbench.ui.training_bridge import TrainingBridge, TrainingBuffer

        self.bridge = TrainingBridge(self)
        self.buffer = TrainingBuffer(self)
        self.buffer.connect_bridge(self.bridge)
        self._drawn_version = -1
        self.loss_plot = _plot("Triplet loss", "epoch", "loss")
        self.loss_curve = self.loss_plot.plot([], [], pen="b", name="train", symbol="o", symbolSize=5)
        self.val_curve = self.loss_plot.plot([], [], pen="r", name="held-out", symbol="o", symbolSize=5)
        self.batch_curve = self.loss_plot.plot([], [], pen=(150, 150, 255, 120), name="batches (smoothed)")
        self.score_plot = _plot("Held-out verification", "epoch", "")
        self.auc_curve = self.score_plot.plot([], [], pen="g", name="ROC AUC", symbol="o", symbolSize=5)
        self.eer_curve = self.score_plot.plot([], [], pen="m", name="EER", symbol="o", symbolSize=5)
        lay.addWidget(self.loss_plot)
        lay.addWidget(self.score_plot)

        ev = QGroupBox("Evaluation on held-out people")
        evl = QVBoxLayout(ev)
        self.eval_btn = QPushButton("Evaluate the encoder in use")
        self.eval_btn.clicked.connect(self.evaluate)
        evl.addWidget(self.eval_btn)
        self.eval_label = QLabel("Train or evaluate an encoder to see its ROC and distance histograms.")
        self.eval_label.setWordWrap(True)
        evl.addWidget(self.eval_label)
        import pyqtgraph as pg

        self.roc_plot = _plot("ROC of same/different pairs", "false accept rate", "true accept rate")
        self.roc_curve = self.roc_plot.plot([], [], pen=pg.mkPen("b", width=2), name="encoder")
        self.roc_plot.plot([0, 1], [0, 1], pen=pg.mkPen((150, 150, 150), style=Qt.PenStyle.DashLine), name="chance")
        self.roc_point = self.roc_plot.plot([], [], pen=None, symbol="o", symbolBrush="r", name="EER point")
        self.hist_plot = _plot("Distances of pairs", "distance", "pairs (share)")
        self.hist_same = self.hist_plot.plot([], [], stepMode="center", fillLevel=0, brush=(0, 160, 0, 90),
                                             pen="g", name="same person")
        self.hist_diff = self.hist_plot.plot([], [], stepMode="center", fillLevel=0, brush=(200, 0, 0, 90),
                                             pen="r", name="different people")
        self.threshold_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("k", width=2, style=Qt.PenStyle.DashLine))
        self.hist_plot.addItem(self.threshold_line)
        evl.addWidget(self.roc_plot)
        evl.addWidget(self.hist_plot)
        lay.addWidget(ev)
        lay.addStretch(1)
        outer.setWidget(w)
        return outer

    def _build_verify_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        th = QFormLayout()
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setDecimals(3)
        self.threshold_spin.setRange(0.0, 4.0)
        self.threshold_spin.setSingleStep(0.01)
        self.threshold_spin.setValue(0.6)
        self.threshold_spin.setToolTip("Faces closer than this to a gallery person are that person "
                                       "(set from the equal error rate of the last evaluation)")
        self.threshold_spin.valueChanged.connect(self._threshold_changed)
        self.k_spin = QSpinBox()
        self.k_spin.setRange(1, 15)
        self.k_spin.setValue(1)
        self.k_spin.valueChanged.connect(self._rebuild_pipeline)
        th.addRow("Distance threshold", self.threshold_spin)
        th.addRow("Neighbours (k-NN)", self.k_spin)
        lay.addLayout(th)
        vg = QGroupBox("Verify: is this the person they claim to be?")
        vl = QVBoxLayout(vg)
        r = QHBoxLayout()
        self.claim_combo = QComboBox()
        self.verify_cam_btn = QPushButton("Verify camera frame")
        self.verify_cam_btn.clicked.connect(self.verify_camera)
        self.verify_img_btn = QPushButton("Verify image…")
        self.verify_img_btn.clicked.connect(self._verify_image_dialog)
        r.addWidget(QLabel("Claimed identity:"))
        r.addWidget(self.claim_combo, 1)
        r.addWidget(self.verify_cam_btn)
        r.addWidget(self.verify_img_btn)
        vl.addLayout(r)
        self.verify_result = QLabel("")
        f = QFont()
        f.setPointSize(13)
        f.setBold(True)
        self.verify_result.setFont(f)
        self.verify_result.setWordWrap(True)
        vl.addWidget(self.verify_result)
        lay.addWidget(vg)
        ig = QGroupBox("Identify: who is in this photo? (names also appear on the live feed)")
        il = QVBoxLayout(ig)
        self.identify_btn = QPushButton("Identify image…")
        self.identify_btn.clicked.connect(self._identify_image_dialog)
        il.addWidget(self.identify_btn)
        self.identify_view = QLabel("")
        self.identify_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.identify_view.setMinimumHeight(200)
        il.addWidget(self.identify_view, 1)
        self.identify_result = QLabel("")
        self.identify_result.setWordWrap(True)
        il.addWidget(self.identify_result)
        lay.addWidget(ig, 1)
        return w

    def _build_cluster_tab(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
        r = QHBoxLayout()
        self.cluster_folder_btn = QPushButton("Folder of photos…")
        self.cluster_folder_btn.clicked.connect(self._choose_cluster_folder)
        self.cluster_folder = QLabel("(none)")
        self.cluster_k = QSpinBox()
        self.cluster_k.setRange(0, 50)
        self.cluster_k.setValue(0)
        self.cluster_k.setSpecialValueText("auto (silhouette)")
        self.cluster_btn = QPushButton("Cluster")
        self.cluster_btn.clicked.connect(self.run_cluster)
        r.addWidget(self.cluster_folder_btn)
        r.addWidget(self.cluster_folder, 1)
        r.addWidget(QLabel("k"))
        r.addWidget(self.cluster_k)
        r.addWidget(self.cluster_btn)
        lay.addLayout(r)
        self.cluster_info = QLabel("")
        self.cluster_info.setWordWrap(True)
        lay.addWidget(self.cluster_info)
        self.groups_area = QScrollArea()
        self.groups_area.setWidgetResizable(True)
        self.groups_widget = QWidget()
        self.groups_layout = QVBoxLayout(self.groups_widget)
        self.groups_layout.addStretch(1)
        self.groups_area.setWidget(self.groups_widget)
        lay.addWidget(self.groups_area, 1)
        self._cluster_path: str | None = None
        self.group_rows: list[tuple[QLineEdit, QPushButton, np.ndarray]] = []
        return w

    # ---- project, gallery, encoder -------------------------------------------------------------
    def project_dir(self) -> Path:
        if self.ctx.project_dir is not None:
            return Path(self.ctx.project_dir)
        from workbench.ui.settings import config_dir

        return config_dir() / "faces-scratch"  # used until the user saves a project

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color:#b00020;" if error else "")
        self.message.setText(text)
        if not error:
            self.ctx.status(text)

    @Slot()
    def _on_project_changed(self) -> None:
        self.encoder = None
        self.live.set_pipeline(None)
        self._refresh_encoder_choices()
        self._reload_gallery()

    def _refresh_encoder_choices(self) -> None:
        from workbench.core.studies.faces.workflow import available_encoders

        av = available_encoders(self.project_dir())
        lines = []
        for i in range(self.encoder_combo.count()):
            kind = self.encoder_combo.itemData(i)
            msg = av.get(kind, "")
            if msg:
                lines.append(msg)
        cur = f"In use: {self.encoder.name} encoder." if self.encoder is not None else "No encoder in use yet."
        self.encoder_status.setText(" ".join([cur] + lines))
        self.dlib_message = av.get("dlib", "")
        model = self.encoder_combo.model()
        item = model.item(1)
        if item is not None:
            item.setEnabled(not self.dlib_message)

    def _reload_gallery(self, gallery=None) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.faces.gallery import Gallery

        try:
            self.gallery = gallery if gallery is not None else Gallery(self.project_dir())
        except WorkbenchError as e:
            self.gallery = None
            self._say(str(e), error=True)
        self.people_list.clear()
        self.claim_combo.clear()
        if self.gallery is not None:
            for p in self.gallery.people:
                self.people_list.addItem(f"{p.name}  ({len(p.images)} photo{'s' if len(p.images) != 1 else ''})")
                self.claim_combo.addItem(p.name)
        n = len(self.gallery) if self.gallery is not None else 0
        where = self.project_dir()
        stale = ""
        if self.gallery is not None and self.encoder is not None and n and self.gallery.needs_embedding(self.encoder.key):
            stale = " Its embeddings are from another encoder: press Re-embed."
        self.gallery_label.setText(f"{n} people in the gallery ({where}).{stale}")
        self.person_thumbs.clear()
        self._rebuild_pipeline()

    @Slot(int)
    def _show_person(self, row: int) -> None:
        self.person_thumbs.clear()
        if self.gallery is None or row < 0 or row >= len(self.gallery):
            return
        name = self.gallery.people[row].name
        for img in self.gallery.images(name)[:40]:
            self.person_thumbs.addItem(QListWidgetItem(thumb_icon(img), ""))

    def _selected_person(self) -> str | None:
        row = self.people_list.currentRow()
        if self.gallery is None or row < 0 or row >= len(self.gallery):
            self._say("Select a person in the gallery first.", error=True)
            return None
        return self.gallery.people[row].name

    @Slot()
    def _rebuild_pipeline(self, *_):
        """Match the live feed against the gallery with the current encoder and threshold."""
        from workbench.core.studies.faces.detect import FaceDetector
        from workbench.core.studies.faces.evaluate import Identifier
        from workbench.core.studies.faces.pipeline import FacePipeline

        if self.detector is None:
            try:
                self.detector = FaceDetector()
            except Exception as e:  # no OpenCV / no cascades: say so, keep the panel usable
                self._say(str(e), error=True)
                return
        t = self.threshold_spin.value()
        ident = Identifier(t, self.k_spin.value())
        if self.encoder is not None and self.gallery is not None and not self.gallery.needs_embedding(self.encoder.key):
            emb, names = self.gallery.all_embeddings()
            ident.fit(emb, names)
        # a new detector per pipeline: the old pipeline may still be inside detect() on the live thread
        det = FaceDetector() if self.live.pipeline is not None else self.detector
        self.live.set_pipeline(FacePipeline(self.encoder, ident, t, detector=det, refresh_every=8))

    @Slot(float)
    def _threshold_changed(self, value: float) -> None:
        pipe = self.live.pipeline
        if pipe is not None:
            pipe.set_threshold(value)

    @Slot()
    def use_encoder(self) -> None:
        kind = self.encoder_combo.currentData()
        if kind == "dlib" and self.dlib_message:
            self._say(self.dlib_message, error=True)
            self.encoder_status.setText(self.dlib_message)
            return
        job = self.tasks.start(_job_load_encoder, kind, self.project_dir())
        self._busy(True, f"Loading the {kind} encoder…")
        job.result.connect(self._on_encoder_loaded)
        job.error.connect(self._on_job_error)
        job.finished.connect(self._job_done)

    @Slot(object)
    def _on_encoder_loaded(self, out: dict) -> None:
        self.encoder = out["encoder"]
        self.threshold_spin.setValue(float(self.encoder.default_threshold))
        self._say(out["message"])
        self._refresh_encoder_choices()
        self._reload_gallery(out["gallery"])

    # ---- jobs plumbing -------------------------------------------------------------------------
    def _busy(self, on: bool, text: str = "") -> None:
        """Count running jobs; the action buttons come back when the last one ends."""
        self._nbusy = max(0, self._nbusy + (1 if on else -1))
        on = self._nbusy > 0
        for b in (self.use_encoder_btn, self.reembed_btn, self.add_folder_btn, self.import_btn, self.rename_btn,
                  self.delete_btn, self.eval_btn, self.cluster_btn, self.enroll_btn, self.verify_cam_btn,
                  self.verify_img_btn, self.identify_btn):
            b.setEnabled(not on)
        if text:
            self._say(text)

    @Slot(str)
    def _on_job_error(self, msg: str) -> None:
        self._say(msg, error=True)

    @Slot()
    def _job_done(self) -> None:
        self._busy(False)

    def _gallery_op(self, op: str, *args, encoder="current") -> None:
        enc = self.encoder if encoder == "current" else encoder
        if enc is not None and self.gallery is not None and len(self.gallery) and \
                self.gallery.needs_embedding(enc.key) and op != "reembed":
            enc = None  # the gallery holds another encoder's embeddings: keep photos only, re-embed later
        job = self.tasks.start(_job_gallery, op, self.project_dir(), enc, *args)
        self._busy(True, "Working on the gallery…")
        job.result.connect(self._on_gallery_done)
        job.error.connect(self._on_job_error)
        job.finished.connect(self._job_done)

    @Slot(object)
    def _on_gallery_done(self, out: dict) -> None:
        self._say(out["message"])
        self._reload_gallery(out["gallery"])

    # ---- gallery actions ------------------------------------------------------------------------
    def _add_from_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with photos of one person")
        if not folder:
            return
        name, ok = QInputDialog.getText(self, "Enroll", "Name of the person:", text=Path(folder).name)
        if ok and name.strip():
            self._gallery_op("folder", name.strip(), folder)

    def _import_people(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with one subfolder per person")
        if folder:
            self._gallery_op("people", folder)

    def _rename_person(self) -> None:
        name = self._selected_person()
        if name is None:
            return
        new, ok = QInputDialog.getText(self, "Rename", f"New name for {name}:", text=name)
        if ok:
            self.rename_person(name, new)

    def rename_person(self, old: str, new: str) -> None:
        from workbench.core.errors import WorkbenchError

        try:
            self.gallery.rename(old, new)
        except WorkbenchError as e:
            self._say(str(e), error=True)
            return
        self._say(f"{old} is now {new.strip()}.")
        self._reload_gallery(self.gallery)

    def _delete_person(self) -> None:
        name = self._selected_person()
        if name is None:
            return
        ans = QMessageBox.question(self, "Delete", f"Delete {name} with all their photos and embeddings?")
        if ans == QMessageBox.StandardButton.Yes:
            self.delete_person(name)

    def delete_person(self, name: str) -> None:
        self.gallery.delete(name)
        self._say(f"{name} was deleted with their photos and embeddings.")
        self._reload_gallery(self.gallery)

    def _reembed(self) -> None:
        if self.encoder is None:
            self._say("Choose an encoder first (Encoder tab -> Use this encoder).", error=True)
            return
        self._gallery_op("reembed")

    # ---- live feed -------------------------------------------------------------------------------
    def _browse_video(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Video file", "", "Videos (*.mp4 *.avi *.mov *.mkv *.webm);;All (*)")
        if path:
            self.source_combo.setCurrentText(path)

    @Slot()
    def start_live(self) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.faces.live import open_live_source, run_live

        if self._live_job is not None:
            return
        spec = self.source_combo.currentText().strip() or "camera:0"
        try:
            source = open_live_source(spec)
        except WorkbenchError as e:
            self._say(str(e), error=True)
            return
        if self.live.pipeline is None:
            self._rebuild_pipeline()
        self._live_job = self.live_tasks.start(run_live, source, self.live)
        self._live_job.error.connect(self._on_live_error)
        self._live_job.result.connect(self._on_live_ended)
        self._live_job.finished.connect(self._on_live_finished)
        self.start_btn.setEnabled(False)
        self.stop_btn.setEnabled(True)
        self.timer.start()
        hint = "" if self.encoder is not None else " (boxes only: choose an encoder to see names)"
        self._say(f"Live from {spec}{hint}.")

    @Slot()
    def stop_live(self) -> None:
        if self._live_job is not None:
            self._live_job.cancel()

    @Slot(str)
    def _on_live_error(self, msg: str) -> None:
        self._say(msg, error=True)
        self.video.setText("No picture: " + msg)

    @Slot(object)
    def _on_live_ended(self, info: dict) -> None:
        self.live_status.setText(f"stopped after {info['frames']} frames ({info['dropped']} dropped)")

    @Slot()
    def _on_live_finished(self) -> None:
        self._live_job = None
        self.timer.stop()
        self.start_btn.setEnabled(True)
        self.stop_btn.setEnabled(False)
        if self.burst_timer.isActive() or self.count_timer.isActive():
            self._finish_burst()

    @Slot()
    def _show_latest(self) -> None:
        item = self.live.take()
        if item is None:
            return
        no, frame, faces, fps = item
        self._last_faces = faces
        img = rgb_to_qimage(frame)
        if faces is not None and faces.faces:
            from workbench.core.studies.faces.evaluate import UNKNOWN
            from workbench.core.studies.faces.pipeline import label_of

            p = QPainter(img)
            f = p.font()
            f.setPointSize(max(10, img.height() // 32))
            f.setBold(True)
            p.setFont(f)
            for face in faces.faces:
                b = face.box
                color = QColor(255, 200, 0) if not face.name else (
                    QColor(230, 40, 40) if face.name == UNKNOWN else QColor(40, 220, 40))
                p.setPen(QPen(color, max(2, img.width() // 240)))
                p.drawRect(b.x, b.y, b.w, b.h)
                if face.name:
                    p.drawText(b.x, max(14, b.y - 6), label_of(face))
            p.end()
        pm = QPixmap.fromImage(img).scaled(self.video.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.FastTransformation)
        self.video.setPixmap(pm)
        n = len(faces.faces) if faces is not None else 0
        ms = f", {faces.t_total * 1000:.0f} ms/frame" if faces is not None else ""
        self.live_status.setText(f"{self.live.source_name}: {fps:.1f} fps{ms}, {n} face(s)")

    # ---- enrollment burst -------------------------------------------------------------------------
    @Slot()
    def start_enroll(self) -> None:
        name = self.enroll_name.text().strip()
        if not name:
            self._say("Type the person's name first.", error=True)
            return
        if self._live_job is None:
            self._say("Start the camera (or the demo) first, or add photos from a folder in the Gallery tab.",
                      error=True)
            return
        self._burst, self._burst_nos = [], set()
        self._countdown = 3
        self.countdown.setText("3")
        self.enroll_btn.setEnabled(False)
        self.count_timer.start()

    @Slot()
    def _count_tick(self) -> None:
        self._countdown -= 1
        if self._countdown > 0:
            self.countdown.setText(str(self._countdown))
            return
        self.count_timer.stop()
        self.countdown.setText("now!")
        self.burst_timer.start()

    @Slot()
    def _burst_tick(self) -> None:
        latest = self.live.peek()
        if latest is not None and latest[0] not in self._burst_nos:
            self._burst_nos.add(latest[0])
            self._burst.append(latest[1].copy())
            self.countdown.setText(f"{len(self._burst)}/{self.enroll_shots.value()}")
        if len(self._burst) >= self.enroll_shots.value():
            self._finish_burst()

    def _finish_burst(self) -> None:
        self.burst_timer.stop()
        self.count_timer.stop()
        self.countdown.setText("")
        self.enroll_btn.setEnabled(True)
        if self._burst:
            self._gallery_op("frames", self.enroll_name.text().strip(), list(self._burst))
        self._burst = []

    # ---- training ---------------------------------------------------------------------------------
    def _data_choice(self) -> None:
        if self.data_combo.currentData() == "folder":
            folder = QFileDialog.getExistingDirectory(self, "Folder with one subfolder per person")
            if folder:
                self._data_folder = folder
                self.data_combo.setItemText(2, f"Folder: {folder}")
            else:
                self.data_combo.setCurrentIndex(0)

    def _config(self):
        from workbench.core.studies.faces.encoder import EncoderConfig

        return EncoderConfig(embedding_dim=self.dim_spin.value(), image_size=int(self.size_combo.currentText()),
                             margin=self.margin_spin.value(), mining=self.mining_combo.currentText(),
                             epochs=self.epochs_spin.value(), lr=self.lr_spin.value())

    @Slot()
    def start_training(self) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.training import Trainer

        try:
            cfg = self._config()
        except WorkbenchError as e:
            self._say(str(e), error=True)
            return
        self.buffer.clear()
        self._drawn_version = -1
        self.trainer = Trainer(device="auto")
        job = self.tasks.start(_job_train, self.data_combo.currentData(), self.people_spin.value(),
                               self.shots_spin.value(), self._data_folder, cfg, self.heldout_spin.value(),
                               self.project_dir(), [self.bridge.callback()], self.trainer)
        self.train_btn.setEnabled(False)
        self.stop_train_btn.setEnabled(True)
        self.train_progress.setRange(0, cfg.epochs)
        self.train_progress.setValue(0)
        self._busy(True, "Training the encoder with the triplet loss…")
        job.result.connect(self._on_trained)
        job.error.connect(self._on_job_error)
        job.finished.connect(self._training_done)
        self.chart_timer.start()

    @Slot()
    def stop_training(self) -> None:
        if self.trainer is not None:
            self.trainer.request_stop()

    @Slot(object)
    def _on_trained(self, out: dict) -> None:
        fit, rep = out["fit"], out["report"]
        if not fit.epochs_run:
            self._say("Training stopped before the first epoch ended; nothing was saved.")
            return
        self.encoder = out["encoder"]
        self._say(f"{fit.message} Encoder saved in the project.")
        if rep is not None:
            self.show_report(rep)
            self.threshold_spin.setValue(rep.threshold)
        self._refresh_encoder_choices()
        self.encoder_combo.setCurrentIndex(0)
        if self.gallery is not None and len(self.gallery):
            self._gallery_op("reembed")  # the new encoder's embeddings replace the old ones
        else:
            self._reload_gallery(self.gallery)

    @Slot()
    def _training_done(self) -> None:
        self.chart_timer.stop()
        self._redraw_training()
        self.train_btn.setEnabled(True)
        self.stop_train_btn.setEnabled(False)
        self.trainer = None
        self._busy(False)

    @Slot()
    def _redraw_training(self) -> None:
        b = self.buffer
        if b.version == self._drawn_version:
            return
        self._drawn_version = b.version
        ep = [e for e in b.epochs if "epoch" in e]
        x = [e["epoch"] for e in ep]
        self.loss_curve.setData(x, [e.get("loss", np.nan) for e in ep])
        vx = [e["epoch"] for e in ep if e.get("val_loss") is not None]
        self.val_curve.setData(vx, [e["val_loss"] for e in ep if e.get("val_loss") is not None])
        bx, bs = b.batch_x, b.batch_smooth
        if len(bx) > 2000:  # downsample long runs
            step = len(bx) // 1000
            bx, bs = bx[::step], bs[::step]
        self.batch_curve.setData(bx, bs)
        ax = [e["epoch"] for e in ep if e.get("val_auc") is not None]
        self.auc_curve.setData(ax, [e["val_auc"] for e in ep if e.get("val_auc") is not None])
        self.eer_curve.setData(ax, [e["val_eer"] for e in ep if e.get("val_eer") is not None])
        self.train_progress.setValue(len(ep))

    # ---- evaluation ---------------------------------------------------------------------------------
    @Slot()
    def evaluate(self) -> None:
        if self.encoder is None:
            self._say("Choose an encoder first (Use this encoder), or train one.", error=True)
            return
        job = self.tasks.start(_job_evaluate, self.encoder, self.data_combo.currentData(), self.people_spin.value(),
                               self.shots_spin.value(), self._data_folder, 0, self.project_dir())
        self._busy(True, f"Evaluating the {self.encoder.name} encoder on held-out people…")
        job.result.connect(self._on_evaluated)
        job.error.connect(self._on_job_error)
        job.finished.connect(self._job_done)

    @Slot(object)
    def _on_evaluated(self, out: dict) -> None:
        self.show_report(out["report"])
        self.threshold_spin.setValue(out["report"].threshold)

    def show_report(self, rep) -> None:
        self.report = rep
        s = rep.summary()
        self.eval_label.setText(
            f"ROC AUC {s['auc']:.3f} · equal error rate {s['eer']:.1%} · threshold {s['threshold']:.3f} "
            f"(verification accuracy {s['accuracy']:.1%} at it) · {s['pairs_same']} same / "
            f"{s['pairs_different']} different pairs · mean distance same {s['mean_distance_same']:.3f}, "
            f"different {s['mean_distance_different']:.3f}")
        self.roc_curve.setData(rep.fpr, rep.tpr)
        k = int(np.argmin(np.abs(rep.fpr - (1 - rep.tpr))))
        self.roc_point.setData([rep.fpr[k]], [rep.tpr[k]])
        edges = rep.hist_bins
        self.hist_same.setData(edges, rep.hist_same / max(1, rep.hist_same.sum()))
        self.hist_diff.setData(edges, rep.hist_diff / max(1, rep.hist_diff.sum()))
        self.threshold_line.setValue(rep.threshold)

    # ---- verify / identify ----------------------------------------------------------------------
    def _need_encoder_and_gallery(self) -> bool:
        if self.encoder is None:
            self._say("Choose an encoder first (Encoder tab -> Use this encoder).", error=True)
            return False
        if self.gallery is None or not len(self.gallery):
            self._say("The gallery is empty: enroll people first.", error=True)
            return False
        if self.gallery.needs_embedding(self.encoder.key):
            self._say("The gallery's embeddings are from another encoder: press Re-embed in the Gallery tab.",
                      error=True)
            return False
        return True

    @Slot()
    def verify_camera(self) -> None:
        if not self._need_encoder_and_gallery():
            return
        frame = self.live.peek_frame()
        if frame is None:
            self._say("Start the camera first (or use Verify image…).", error=True)
            return
        self._start_verify(_job_embed_frame, frame.copy())

    def _verify_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Photo to verify", "", "Images (*.png *.jpg *.jpeg *.bmp *.webp)")
        if path:
            self.verify_image(path)

    def verify_image(self, path: str) -> None:
        if self._need_encoder_and_gallery():
            self._start_verify(_job_faces_of_image, path)

    def _start_verify(self, fn, arg) -> None:
        claimed = self.claim_combo.currentText()
        job = self.tasks.start(fn, arg, self.encoder)
        self._busy(True, f"Verifying {claimed}…")
        job.result.connect(self._on_verify_embedded)
        job.error.connect(self._on_job_error)
        job.finished.connect(self._job_done)

    @Slot(object)
    def _on_verify_embedded(self, out: dict) -> None:
        from workbench.core.studies.faces.evaluate import Verifier

        claimed = self.claim_combo.currentText()
        if out["embeddings"] is None or not len(out["embeddings"]):
            self.verify_result.setStyleSheet("color:#b00020;")
            self.verify_result.setText("No face found: look at the camera.")
            return
        r = Verifier(self.threshold_spin.value()).verify(out["embeddings"][0], self.gallery.embeddings(claimed),
                                                         claimed)
        self.last_verify = r
        self.verify_result.setStyleSheet("color:#087f23;" if r.accepted else "color:#b00020;")
        self.verify_result.setText(("ACCEPTED — " if r.accepted else "REJECTED — ") + r.sentence())

    def _identify_image_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Photo", "", "Images (*.png *.jpg *.jpeg *.bmp *.webp)")
        if path:
            self.identify_image(path)

    def identify_image(self, path: str) -> None:
        if not self._need_encoder_and_gallery():
            return
        job = self.tasks.start(_job_faces_of_image, path, self.encoder)
        self._busy(True, "Identifying…")
        job.result.connect(self._on_identified)
        job.error.connect(self._on_job_error)
        job.finished.connect(self._job_done)

    @Slot(object)
    def _on_identified(self, out: dict) -> None:
        from workbench.core.studies.faces.evaluate import UNKNOWN, Identifier

        img = rgb_to_qimage(out["image"])
        matches = []
        if out["embeddings"] is not None and len(out["embeddings"]):
            emb, names = self.gallery.all_embeddings()
            ident = Identifier(self.threshold_spin.value(), self.k_spin.value()).fit(emb, names)
            matches = ident.identify(out["embeddings"])
        p = QPainter(img)
        f = p.font()
        f.setPointSize(max(10, img.height() // 30))
        f.setBold(True)
        p.setFont(f)
        for (x, y, w, h), m in zip(out["boxes"], matches):
            p.setPen(QPen(QColor(230, 40, 40) if m.name == UNKNOWN else QColor(40, 200, 40), 3))
            p.drawRect(x, y, w, h)
            p.drawText(x, max(14, y - 6), f"{m.name} ({m.distance:.2f})")
        p.end()
        self.identify_view.setPixmap(QPixmap.fromImage(img).scaled(
            self.identify_view.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        self.last_matches = matches
        self.identify_result.setText(
            "; ".join(f"{m.name} (distance {m.distance:.3f}; nearest {m.nearest})" for m in matches)
            or "No face found in the photo.")

    # ---- clustering -----------------------------------------------------------------------------
    def _choose_cluster_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of photos to group")
        if folder:
            self.set_cluster_folder(folder)

    def set_cluster_folder(self, folder: str) -> None:
        self._cluster_path = folder
        self.cluster_folder.setText(folder)

    @Slot()
    def run_cluster(self) -> None:
        if self.encoder is None:
            self._say("Choose an encoder first (Encoder tab -> Use this encoder).", error=True)
            return
        if not self._cluster_path:
            self._say("Choose a folder of photos first.", error=True)
            return
        k = self.cluster_k.value() or None
        job = self.tasks.start(_job_cluster, self._cluster_path, self.encoder, k)
        self._busy(True, "Detecting, embedding and grouping the faces…")
        job.result.connect(self._on_clustered)
        job.error.connect(self._on_job_error)
        job.finished.connect(self._job_done)

    @Slot(object)
    def _on_clustered(self, out: dict) -> None:
        res, crops = out["result"], out["crops"]
        self._cluster = out
        while self.groups_layout.count() > 1:
            item = self.groups_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.group_rows = []
        for n, g in enumerate(res.groups()):
            box = QGroupBox(f"Group {n + 1}: {len(g)} face(s)")
            bl = QVBoxLayout(box)
            lst = thumb_list()
            for i in g:
                it = QListWidgetItem(thumb_icon(crops[i]), "")
                it.setToolTip(out["origin"][i])
                lst.addItem(it)
            bl.addWidget(lst)
            r = QHBoxLayout()
            name = QLineEdit()
            name.setPlaceholderText("name this group")
            add = QPushButton("Add to gallery")
            add.clicked.connect(self._add_group_clicked)
            r.addWidget(name, 1)
            r.addWidget(add)
            bl.addLayout(r)
            self.groups_layout.insertWidget(self.groups_layout.count() - 1, box)
            self.group_rows.append((name, add, g))
        sil = ", ".join(f"k={k}: {s:.2f}" for k, s in res.silhouette.items())
        info = f"{len(crops)} faces in {res.k} groups."
        if res.suggested_k:
            info += f" Silhouette scores ({sil}) suggest k = {res.suggested_k}."
        if out["skipped"]:
            info += f" {len(out['skipped'])} photo(s) without a usable face were skipped."
        self.cluster_info.setText(info)

    @Slot()
    def _add_group_clicked(self) -> None:
        btn = self.sender()
        for i, (name, add, g) in enumerate(self.group_rows):
            if add is btn:
                self.add_group_to_gallery(i, name.text())
                return

    def add_group_to_gallery(self, index: int, name: str) -> None:
        name = name.strip()
        if not name:
            self._say("Type a name for the group first.", error=True)
            return
        if self._cluster is None:
            return
        g = self.group_rows[index][2]
        crops = [self._cluster["crops"][i] for i in g]
        self._gallery_op("crops", name, crops)

    # ---- panel contract ------------------------------------------------------------------------
    def on_shown(self) -> None:
        self._refresh_encoder_choices()

    def shutdown(self) -> None:
        for t in (self.timer, self.chart_timer, self.burst_timer, self.count_timer):
            t.stop()
        if self.trainer is not None:
            self.trainer.request_stop()
        self.live_tasks.stop_and_wait()
        self.tasks.stop_and_wait()
        self._live_job = None

    def state(self) -> dict:
        return {"source": self.source_combo.currentText(), "encoder": self.encoder_combo.currentData(),
                "encoder_in_use": self.encoder.name if self.encoder is not None else None,
                "threshold": self.threshold_spin.value(), "k": self.k_spin.value(),
                "train": {"data": self.data_combo.currentData(), "people": self.people_spin.value(),
                          "shots": self.shots_spin.value(), "epochs": self.epochs_spin.value(),
                          "mining": self.mining_combo.currentText(), "margin": self.margin_spin.value(),
                          "dim": self.dim_spin.value(), "image_size": self.size_combo.currentText(),
                          "lr": self.lr_spin.value(), "held_out": self.heldout_spin.value()},
                "splitter": [int(s) for s in self.splitter.sizes()], "tab": self.tabs.currentIndex()}

    def restore(self, state: dict) -> None:
        state = state or {}
        if state.get("source"):
            self.source_combo.setCurrentText(str(state["source"]))
        i = self.encoder_combo.findData(state.get("encoder"))
        if i >= 0:
            self.encoder_combo.setCurrentIndex(i)
        if isinstance(state.get("threshold"), (int, float)):
            self.threshold_spin.setValue(float(state["threshold"]))
        if isinstance(state.get("k"), int):
            self.k_spin.setValue(state["k"])
        t = state.get("train") or {}
        for key, widget in (("people", self.people_spin), ("shots", self.shots_spin), ("epochs", self.epochs_spin),
                            ("dim", self.dim_spin)):
            if isinstance(t.get(key), int):
                widget.setValue(t[key])
        for key, widget in (("margin", self.margin_spin), ("lr", self.lr_spin), ("held_out", self.heldout_spin)):
            if isinstance(t.get(key), (int, float)):
                widget.setValue(float(t[key]))
        for key, combo in (("mining", self.mining_combo), ("image_size", self.size_combo)):
            j = combo.findText(str(t.get(key, "")))
            if j >= 0:
                combo.setCurrentIndex(j)
        j = self.data_combo.findData(t.get("data"))
        if j in (0, 1):  # a folder choice needs the dialog again
            self.data_combo.setCurrentIndex(j)
        if isinstance(state.get("splitter"), list) and len(state["splitter"]) == 2:
            self.splitter.setSizes([int(v) for v in state["splitter"]])
        if isinstance(state.get("tab"), int):
            self.tabs.setCurrentIndex(state["tab"])
        # the encoder itself is loaded on demand (torch is slow to import): reuse the one in use before
        if state.get("encoder_in_use") in ("own", "dlib"):
            from workbench.core.studies.faces.workflow import available_encoders

            if not available_encoders(self.project_dir()).get(state["encoder_in_use"]):
                self.use_encoder()


if __name__ == "__main__":
    from workbench.ui.panels.base import run_panel_standalone

    def _demo(ctx, panel):
        panel.source_combo.setCurrentText("demo")

    raise SystemExit(run_panel_standalone(FacesPanel, setup=_demo))
