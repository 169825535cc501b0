"""Encoder tab: which encoder and detector are used, training the own encoder (triplet loss, from
scratch or from MobileNetV2), and the honest evaluation (threshold from validation people, figures
from test people, and which people those are)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QProgressBar, \
    QPushButton, QScrollArea, QSpinBox, QVBoxLayout, QWidget

from workbench.ui.panels.faces.common import make_plot


def _combo() -> QComboBox:
    """A combo whose long item texts do not widen the tab past the window."""
    c = QComboBox()
    c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    c.setMinimumContentsLength(14)
    return c


def _spin(lo, hi, value, double=False, step=None, decimals=None):
    s = QDoubleSpinBox() if double else QSpinBox()
    if decimals is not None:
        s.setDecimals(decimals)
    s.setRange(lo, hi)
    if step is not None:
        s.setSingleStep(step)
    s.setValue(value)
    return s


class EncoderTab(QScrollArea):
    def __init__(self, panel, parent=None):
        super().__init__(parent)
        from workbench.core.studies.faces.detect import DETECTORS
        from workbench.core.studies.faces.workflow import DATA_SOURCES

        self.panel = panel
        self.report = None
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # long texts wrap instead
        w = QWidget()
        lay = QVBoxLayout(w)

        enc = QGroupBox("Encoder and detector in use")
        el = QFormLayout(enc)
        self.encoder_combo = _combo()
        self.encoder_combo.addItem("dlib ResNet (pretrained, default)", "dlib")
        self.encoder_combo.addItem("Own CNN (triplet loss, trained here)", "own")
        self.use_encoder_btn = QPushButton("Use this encoder")
        self.use_encoder_btn.clicked.connect(self.panel.use_encoder)
        r = QHBoxLayout()
        r.addWidget(self.encoder_combo, 1)
        r.addWidget(self.use_encoder_btn)
        el.addRow("Encoder", r)
        self.detector_combo = _combo()
        for kind, cls in DETECTORS.items():
            self.detector_combo.addItem(cls.label, kind)
        self.detector_combo.setToolTip("Haar: fast, misses turned and small faces. dlib HOG: finds far more, fast "
                                       "enough for live video. dlib CNN: finds turned faces, seconds per photo.")
        self.detector_combo.currentIndexChanged.connect(self.panel.detector_changed)
        el.addRow("Face detector", self.detector_combo)
        self.encoder_status = QLabel("")
        self.encoder_status.setWordWrap(True)
        self.encoder_status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        el.addRow(self.encoder_status)
        lay.addWidget(enc)

        tr = QGroupBox("Train your own encoder (triplet loss)")
        tl = QFormLayout(tr)
        self.data_combo = _combo()
        self.eval_data_combo = _combo()
        for key, text in DATA_SOURCES.items():
            self.data_combo.addItem(text, key)
            self.eval_data_combo.addItem(text, key)
        self.data_combo.setCurrentIndex(self.data_combo.findData("gallery+lfw"))
        self.folder: str | None = None
        self.backbone_combo = _combo()
        self.backbone_combo.addItem("From scratch (small CNN)", "scratch")
        self.backbone_combo.addItem("From ImageNet MobileNetV2 (pretrained backbone)", "mobilenet_v2")
        self.shots_spin = _spin(2, 50, 6)
        self.people_spin = _spin(6, 500, 40)
        self.epochs_spin = _spin(1, 500, 15)
        self.mining_combo = QComboBox()
        self.mining_combo.addItems(["semi-hard", "hard", "random"])
        self.mining_combo.setToolTip(
            "Which negative each (anchor, positive) pair is trained against. semi-hard: the closest one still "
            "farther than the positive (FaceNet's choice); hard: the closest of all (batch-hard; from scratch it "
            "can collapse every face onto one point); random: any other person.")
        self.margin_spin = _spin(0.0, 2.0, 0.2, double=True, step=0.05)
        self.dim_spin = _spin(2, 512, 64)
        self.size_combo = QComboBox()
        self.size_combo.addItems(["64", "32", "96"])
        self.lr_spin = _spin(1e-5, 1.0, 0.002, double=True, decimals=5)
        tl.addRow("Photos", self.data_combo)
        tl.addRow("Start from", self.backbone_combo)
        row = QHBoxLayout()
        row.addWidget(QLabel("shots per person"))
        row.addWidget(self.shots_spin)
        row.addWidget(QLabel("generated people"))
        row.addWidget(self.people_spin)
        tl.addRow("Amount", row)
        tl.addRow("Epochs", self.epochs_spin)
        tl.addRow("Triplet mining", self.mining_combo)
        tl.addRow("Margin", self.margin_spin)
        tl.addRow("Embedding size", self.dim_spin)
        tl.addRow("Face image size", self.size_combo)
        tl.addRow("Learning rate", self.lr_spin)
        how = QLabel("People are split into train (60 %), validation (20 %) and test (20 %) people: the epoch "
                     "and the threshold are chosen on validation people, the figures come from test people.")
        how.setWordWrap(True)
        tl.addRow(how)
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

        from workbench.ui.training_bridge import LiveTraining

        # the one live chart: redrawn on the GUI timer (<= 30 Hz), the bar follows the epochs
        self.live = LiveTraining(self, self._draw_training, interval_ms=200, progress=self.train_progress)
        self.buffer = self.live.buffer
        self.loss_plot = make_plot("Triplet loss", "epoch", "loss")
        self.loss_curve = self.loss_plot.plot([], [], pen="b", name="train people", symbol="o", symbolSize=5)
        self.val_curve = self.loss_plot.plot([], [], pen="r", name="validation people", symbol="o", symbolSize=5)
        self.batch_curve = self.loss_plot.plot([], [], pen=(150, 150, 255, 120), name="batches (smoothed)")
        self.score_plot = make_plot("Verification on validation people", "epoch", "")
        self.auc_curve = self.score_plot.plot([], [], pen="g", name="ROC AUC", symbol="o", symbolSize=5)
        self.eer_curve = self.score_plot.plot([], [], pen="m", name="EER", symbol="o", symbolSize=5)
        lay.addWidget(self.loss_plot)
        lay.addWidget(self.score_plot)

        ev = QGroupBox("Evaluation on test people")
        evl = QVBoxLayout(ev)
        row = QHBoxLayout()
        self.eval_data_combo.setCurrentIndex(self.eval_data_combo.findData("lfw"))
        self.eval_btn = QPushButton("Evaluate the encoder in use")
        self.eval_btn.clicked.connect(self.evaluate)
        row.addWidget(QLabel("on"))
        row.addWidget(self.eval_data_combo, 1)
        row.addWidget(self.eval_btn)
        evl.addLayout(row)
        self.eval_label = QLabel("Train or evaluate an encoder to see its ROC and distance histograms.")
        self.eval_label.setWordWrap(True)
        self.eval_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        evl.addWidget(self.eval_label)
        import pyqtgraph as pg

        self.roc_plot = make_plot("ROC of same/different pairs (test people)", "false accept rate", "true accept rate")
        self.roc_curve = self.roc_plot.plot([], [], pen=pg.mkPen("b", width=2), name="encoder")
        self.roc_plot.plot([0, 1], [0, 1], pen=pg.mkPen((150, 150, 150), style=Qt.PenStyle.DashLine), name="chance")
        self.roc_point = self.roc_plot.plot([], [], pen=None, symbol="o", symbolBrush="r",
                                            name="at the validation threshold")
        self.hist_plot = make_plot("Distances of pairs (test people)", "distance", "pairs (share)")
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
        self.setWidget(w)
        self.data_combo.currentIndexChanged.connect(lambda _: self._folder_choice(self.data_combo))
        self.eval_data_combo.currentIndexChanged.connect(lambda _: self._folder_choice(self.eval_data_combo))
        self.buttons = (self.use_encoder_btn, self.eval_btn, self.train_btn)

    # ---- choices -------------------------------------------------------------------------------
    def _folder_choice(self, combo) -> None:
        from PySide6.QtWidgets import QFileDialog

        if combo.currentData() == "folder" and not self.folder:
            folder = QFileDialog.getExistingDirectory(self, "Folder with one subfolder per person")
            if folder:
                self.folder = folder
            else:
                combo.setCurrentIndex(combo.findData("lfw"))

    def show_availability(self, encoders: dict[str, str], detectors: dict[str, str], in_use: str) -> None:
        for combo, av in ((self.encoder_combo, encoders), (self.detector_combo, detectors)):
            model = combo.model()
            for i in range(combo.count()):
                item = model.item(i)
                if item is not None:
                    item.setEnabled(not av.get(combo.itemData(i)) or combo.itemData(i) == "own")
        missing = sorted({m for m in list(encoders.values()) + list(detectors.values()) if m})
        self.encoder_status.setText(" ".join([in_use] + missing))

    def config(self):
        from workbench.core.studies.faces.encoder import EncoderConfig

        return EncoderConfig(embedding_dim=self.dim_spin.value(), image_size=int(self.size_combo.currentText()),
                             margin=self.margin_spin.value(), mining=self.mining_combo.currentText(),
                             epochs=self.epochs_spin.value(), lr=self.lr_spin.value(),
                             backbone=self.backbone_combo.currentData())

    # ---- training ------------------------------------------------------------------------------
    @Slot()
    def start_training(self) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.faces.workflow import train_encoder_on
        from workbench.core.training import Trainer

        p = self.panel
        try:
            cfg = self.config()
        except WorkbenchError as e:
            p.say(str(e), error=True)
            return
        self.live.start()
        trainer = Trainer(device="auto")
        # the trainer goes to the job positionally: JobRunner's own ``trainer=`` lets Stop reach it
        job = p.run_job(train_encoder_on, self.data_combo.currentData(), p.project_dir(), cfg, self.folder,
                        self.shots_spin.value(), self.people_spin.value(), [self.live.callback()], trainer,
                        on_result=self._on_trained, label="Training the own encoder with the triplet loss…",
                        job_trainer=trainer)
        if job is None:
            self.live.stop()
            return
        job.finished.connect(self._training_done)
        self.train_btn.setEnabled(False)
        self.stop_train_btn.setEnabled(True)

    @Slot()
    def stop_training(self) -> None:
        self.panel.jobs.stop_training()

    def _on_trained(self, res) -> None:
        if not res.fit.epochs_run or res.report is None:
            self.panel.say("Training stopped before the first epoch ended; nothing was saved.")
            return
        self.panel.say(f"{res.fit.message} Encoder saved in the project.")
        self.show_report(res.report)
        self.panel.encoder_trained(res.encoder)

    @Slot()
    def _training_done(self) -> None:
        self.live.stop()
        self.train_btn.setEnabled(True)
        self.stop_train_btn.setEnabled(False)

    def _draw_training(self, b) -> None:
        ep = [e for e in b.epochs if "epoch" in e]

        def series(key):
            pts = [(e["epoch"], e[key]) for e in ep if e.get(key) is not None]
            return [x for x, _ in pts], [v for _, v in pts]

        self.loss_curve.setData(*series("loss"))
        self.val_curve.setData(*series("val_loss"))
        bx, bs = b.batch_x, b.batch_smooth
        if len(bx) > 2000:  # downsample long runs
            step = len(bx) // 1000
            bx, bs = bx[::step], bs[::step]
        self.batch_curve.setData(bx, bs)
        self.auc_curve.setData(*series("val_auc"))
        self.eer_curve.setData(*series("val_eer"))

    # ---- evaluation ------------------------------------------------------------------------------
    @Slot()
    def evaluate(self) -> None:
        from workbench.core.studies.faces.workflow import evaluate_encoder_on

        p = self.panel
        if p.encoder is None:
            p.say("Choose an encoder first (Use this encoder), or train one.", error=True)
            return
        p.run_job(evaluate_encoder_on, p.encoder, self.eval_data_combo.currentData(), p.project_dir(), self.folder,
                  shots=self.shots_spin.value(), people=self.people_spin.value(), on_result=self._on_evaluated,
                  label=f"Evaluating the {p.encoder.name} encoder (threshold on validation people, figures on test "
                        "people)…")

    def _on_evaluated(self, rep) -> None:
        self.show_report(rep)
        self.panel.set_threshold(rep.threshold)

    def show_report(self, rep) -> None:
        self.report = rep
        t = rep.test
        notes = " ".join(rep.split.notes + ([f"Left out (the encoder was trained on them): {len(rep.excluded)}."]
                                            if rep.excluded else []))
        self.eval_label.setText(
            f"<b>{rep.encoder} encoder</b>: ROC AUC {t.auc:.3f} · equal error rate {t.eer:.1%} · accuracy "
            f"{t.accuracy:.1%} at threshold {rep.threshold:.3f} (false accepts {rep.far:.1%}, false rejects "
            f"{rep.frr:.1%}) · {t.n_same} same / {t.n_diff} different pairs.<br>"
            f"<b>Figures</b> from the test people: {rep.split.describe('test')}; they took no part in any choice. "
            f"<b>Threshold</b> chosen on the validation people: {rep.split.describe('validation')}. "
            + (f"<b>Trained</b> on: {rep.split.describe('train')}. " if rep.split.train and rep.encoder == "own" else "")
            + f"<br><b>Photos</b>: {rep.data}. {notes}")
        self.roc_curve.setData(t.fpr, t.tpr)
        self.roc_point.setData([rep.far], [1 - rep.frr])
        edges = t.hist_bins
        self.hist_same.setData(edges, t.hist_same / max(1, t.hist_same.sum()))
        self.hist_diff.setData(edges, t.hist_diff / max(1, t.hist_diff.sum()))
        self.threshold_line.setValue(rep.threshold)

    def shutdown(self) -> None:
        self.live.timer.stop()

    # ---- state ---------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"data": self.data_combo.currentData(), "eval_data": self.eval_data_combo.currentData(),
                "backbone": self.backbone_combo.currentData(), "shots": self.shots_spin.value(),
                "people": self.people_spin.value(), "epochs": self.epochs_spin.value(),
                "mining": self.mining_combo.currentText(), "margin": self.margin_spin.value(),
                "dim": self.dim_spin.value(), "image_size": self.size_combo.currentText(), "lr": self.lr_spin.value()}

    def restore(self, t: dict) -> None:
        for key, widget in (("people", self.people_spin), ("shots", self.shots_spin), ("epochs", self.epochs_spin),
                            ("dim", self.dim_spin)):
            if isinstance(t.get(key), int):
                widget.setValue(t[key])
        for key, widget in (("margin", self.margin_spin), ("lr", self.lr_spin)):
            if isinstance(t.get(key), (int, float)):
                widget.setValue(float(t[key]))
        for key, combo in (("mining", self.mining_combo), ("image_size", self.size_combo)):
            j = combo.findText(str(t.get(key, "")))
            if j >= 0:
                combo.setCurrentIndex(j)
        for key, combo in (("data", self.data_combo), ("eval_data", self.eval_data_combo),
                           ("backbone", self.backbone_combo)):
            j = combo.findData(t.get(key))
            if j >= 0 and t.get(key) != "folder":  # a folder choice needs the dialog again
                combo.setCurrentIndex(j)
