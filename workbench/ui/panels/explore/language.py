"""The Language model tab: next-token prediction on any text data set (or the built-in reviews).
A character- or word-level model (Embedding -> GRU/LSTM -> softmax over the vocabulary) trained
by the common Trainer; text sampled at several temperatures appears after every epoch, and the
validation perplexity is charted against the unigram baseline."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
    QVBoxLayout, QWidget,
)

from workbench.ui.job_runner import Relay
from workbench.ui.panels.explore.common import side_column
from workbench.ui.training_bridge import LiveTraining
from workbench.ui.widgets import spin_box


def embedding_available() -> bool:
    from workbench.core.models import LAYER_TYPES

    return "Embedding" in LAYER_TYPES


def language_job(ds, settings: dict, project, trainer, relay: Relay) -> dict:
    from workbench.core.explore.language import LanguageSettings, train_language_model

    from workbench.core.explore.language import language_view

    res = train_language_model(ds, LanguageSettings.from_dict(settings), trainer=trainer, on_sample=relay.send,
                               project=project, keep_one_core_free=True)
    return language_view(res.record.to_dict())


class LanguageTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.result = None
        self.samples_seen = 0
        self.live = LiveTraining(self, self._redraw)
        self.buffer = self.live.buffer
        self.relay = Relay(self)  # per-epoch payloads from the training thread
        self.relay.item.connect(self.show_sample)
        self._build()
        panel.jobs.job_finished.connect(self._on_job_finished)

    def _build(self) -> None:
        lay = QHBoxLayout(self)
        box = QGroupBox("Language model")
        f = QFormLayout(box)
        self.level_combo = QComboBox()
        self.level_combo.addItem("characters", "char")
        self.level_combo.addItem("words", "word")
        self.level_combo.currentIndexChanged.connect(
            lambda: self.vocab_spin.setValue(200 if self.level_combo.currentData() == "char" else 5000))
        self.vocab_spin = spin_box(10, 50000, 200)
        self.length_spin = spin_box(4, 512, 64)
        self.units_spin = spin_box(4, 1024, 128)
        self.cell_combo = QComboBox()
        self.cell_combo.addItems(["GRU", "LSTM"])
        self.epochs_spin = spin_box(1, 200, 8)
        self.texts_spin = spin_box(10, 100000, 2000)
        self.temp_edit = QLineEdit("0.5, 1.0")
        self.prompt_edit = QLineEdit("this movie")
        self.sample_spin = spin_box(10, 2000, 160)
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(4)
        self.lr_spin.setRange(1e-4, 0.1)
        self.lr_spin.setValue(3e-3)
        for label, w in (("tokens", self.level_combo), ("vocabulary", self.vocab_spin), ("window", self.length_spin),
                         ("units", self.units_spin), ("cell", self.cell_combo), ("epochs", self.epochs_spin),
                         ("learning rate", self.lr_spin), ("texts at most", self.texts_spin),
                         ("temperatures", self.temp_edit), ("prompt", self.prompt_edit),
                         ("sample length", self.sample_spin)):
            f.addRow(label, w)
        self.imdb_btn = QPushButton("Use the built-in reviews")
        self.imdb_btn.clicked.connect(lambda: self.panel.load("builtin:imdb"))
        self.train_btn = QPushButton("Train")
        self.train_btn.clicked.connect(self.train)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setEnabled(False)
        self.stop_btn.clicked.connect(self.panel.jobs.stop_training)
        for b in (self.imdb_btn, self.train_btn, self.stop_btn):
            f.addRow(b)
        self.note = QLabel("" if embedding_available() else
                           "This needs the Embedding layer, which this installation does not have yet.")
        self.note.setWordWrap(True)
        f.addRow(self.note)
        lay.addWidget(side_column(box))
        right = QVBoxLayout()
        self.chart = pg.PlotWidget(title="validation perplexity")
        self.chart.addLegend()
        self.chart.setLabel("bottom", "epoch")
        self.ppl_curve = self.chart.plot([], [], pen=pg.mkPen("#1f77b4", width=2), symbol="o", name="model")
        self.uni_line = None
        right.addWidget(self.chart, 1)
        self.samples_label = QLabel("Samples appear here after each epoch.")
        right.addWidget(self.samples_label)
        self.samples_text = QPlainTextEdit()
        self.samples_text.setReadOnly(True)
        right.addWidget(self.samples_text, 1)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        right.addWidget(self.summary)
        lay.addLayout(right, 1)

    def settings(self) -> dict:
        try:
            temps = [float(t) for t in self.temp_edit.text().replace(";", ",").split(",") if t.strip()]
        except ValueError:
            temps = [0.5, 1.0]
        return {"level": self.level_combo.currentData(), "vocab_size": self.vocab_spin.value(),
                "length": self.length_spin.value(), "units": self.units_spin.value(),
                "cell": self.cell_combo.currentText(), "epochs": self.epochs_spin.value(), "lr": self.lr_spin.value(),
                "max_texts": self.texts_spin.value(), "temperatures": [t for t in temps if t > 0][:4] or [1.0],
                "prompt": self.prompt_edit.text(), "sample_length": self.sample_spin.value()}

    @Slot()
    def train(self) -> None:
        if not embedding_available():
            self.panel.say("The language model needs the Embedding layer, which this installation lacks.", "error")
            return
        ds = self.panel.dataset
        if ds is None or ds.kind != "text":
            self.panel.say("A language model reads texts: load a text CSV in the Data panel, or use the built-in "
                           "reviews.", "warning")
            return
        self.samples_seen = 0
        self.samples_text.clear()
        trainer = self.live.trainer()
        job = self.panel.start(language_job, ds, self.settings(), self.panel.project_dir(), trainer, self.relay,
                               on_result=self._on_result, label="Training the language model ...", trainer=trainer)
        if job is not None:
            self.train_btn.setEnabled(False)
            self.stop_btn.setEnabled(True)
        else:
            self.live.stop()

    @Slot(object)
    def show_sample(self, p: dict) -> None:
        self.samples_seen += 1
        ppl = p.get("val_perplexity")
        lines = [f"--- epoch {p['epoch']}" + (f" (validation perplexity {ppl:.2f})" if ppl else "")]
        for t, text in p["samples"].items():
            lines.append(f"[temperature {float(t):g}] {text}")
        self.samples_text.appendPlainText("\n".join(lines) + "\n")
        self.samples_label.setText(f"Sampled after epoch {p['epoch']}: low temperatures repeat the likeliest "
                                   f"tokens, high ones take more risks.")

    def _redraw(self, buffer) -> None:
        import math

        xs, ys = buffer.series("val_data_loss")
        self.ppl_curve.setData(xs, [math.exp(min(v, 50.0)) for v in ys])

    def _on_result(self, res: dict) -> None:
        self.show_run(res)
        self.panel.runs_changed.emit()

    def show_run(self, res: dict) -> None:
        """A language-model run's perplexities (``core.explore.language.language_view``); read back
        from the project, its last samples and perplexity curve too."""
        self.result = res
        if not self.samples_text.toPlainText() and res["samples"]:
            self.samples_text.setPlainText("\n".join(f"[temperature {float(t):g}] {text}"
                                                     for t, text in res["samples"].items()))
        if res["curve"][0]:
            self.ppl_curve.setData(*res["curve"])
        if self.uni_line is not None:
            self.chart.removeItem(self.uni_line)
        self.uni_line = pg.InfiniteLine(res["unigram"], angle=0, pen=pg.mkPen("#d62728", style=pg.QtCore.Qt.PenStyle.DashLine),
                                        label=f"unigram baseline {res['unigram']:.1f}",
                                        labelOpts={"position": 0.85, "color": "#d62728"})
        self.chart.addItem(self.uni_line)
        self.summary.setText(f"{res['message']} {res['describe']} Saved as run {res['run_id']}.")

    @Slot()
    def _on_job_finished(self) -> None:
        self.live.stop()
        self.train_btn.setEnabled(True)
        self.stop_btn.setEnabled(False)

    def shutdown(self) -> None:
        self.live.timer.stop()
