"""Tab 4, Recipe: the training that targets false accepts, for the user's own word, in the
background with progress; at the end it says the FRR and false accepts per hour it measured on
held-out material."""
from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLineEdit, QPlainTextEdit, QPushButton, QVBoxLayout,
    QWidget,
)

from workbench.ui.panels.trigger_word.common import restore_values, values_of, wrapped

SIZES = ("quick (minutes)", "full (the demo model's recipe, hours)")


class RecipeTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.result = None  # {"result": RecipeResult, "report": HeldoutReport}
        lay = QVBoxLayout(self)
        lay.addWidget(wrapped(
            "<b>Fewer false accepts.</b> The model must learn the word, not \"speech after silence\": the recipe "
            "generates hours of natural speech (the piper voice and espeak-ng voices reading movie reviews), "
            "words that sound like yours (same stress pattern, one sound changed, from the CMU dictionary) "
            "spoken by every voice, noise from 0 to 30 dB SNR and room echo; it trains in rounds, raises the "
            "weight of the negatives while false accepts on validation speech stay above the target, feeds the "
            "false accepts it finds back into training, trains a second-stage verifier, and picks the "
            "threshold on validation material. Whole speech engines are held out: it trains on espeak-ng and "
            "piper, chooses on Flite and at the end measures on Festival, an engine it never heard."))
        form = QFormLayout()
        self.word = QLineEdit("activate")
        self.size = QComboBox()
        self.size.addItems(SIZES)
        self.target = QComboBox()
        self.target.addItems(["0.5", "1", "2", "5"])
        self.target.setToolTip("False accepts per hour of speech the operating point may have on validation speech.")
        from workbench.core.studies.trigger_word.corpus import cache_dir

        row = QHBoxLayout()
        self.cache = QLineEdit(str(cache_dir(create=False)))
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.cache, 1)
        row.addWidget(browse)
        self.use_own = QCheckBox("Add my recordings (1. Material) to the generated ones")
        self.use_own.setChecked(True)
        for label, w in (("Trigger word", self.word), ("Size", self.size),
                         ("False accepts per hour (target)", self.target)):
            form.addRow(label, w)
        form.addRow("Material cache", row)
        form.addRow("", self.use_own)
        lay.addLayout(form)
        buttons = QHBoxLayout()
        self.start_btn = QPushButton("Make the model")
        self.start_btn.clicked.connect(self.start)
        buttons.addWidget(self.start_btn)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        lay.addWidget(self.log, 1)
        self._last = ""
        panel.jobs.job_finished.connect(self._after_job)

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Folder for the generated material")
        if d:
            self.cache.setText(d)

    def settings(self):
        from workbench.core.studies.trigger_word.recipe import RecipeSettings

        word = self.word.text().strip()
        target = float(self.target.currentText())
        if self.size.currentIndex() == 0:
            return RecipeSettings.quick(word, target_fa_per_hour=target)
        return RecipeSettings(trigger_word=word, target_fa_per_hour=target)

    def start(self) -> None:
        p = self.panel
        if not self.word.text().strip():
            p.banner.show_message("Type the trigger word first.", "warning")
            return
        from functools import partial

        from workbench.core.runs import RunStore
        from workbench.core.studies.trigger_word.heldout import run_and_evaluate
        from workbench.core.training import Trainer

        trainer = Trainer(callbacks=[p.train_tab.attach_chart()], device="cpu")
        project = getattr(p.ctx, "project_dir", None)
        material = p.material if self.use_own.isChecked() and p.material.positives else None
        self.log.clear()
        self._last = ""
        job = p.jobs.start(partial(run_and_evaluate, trainer=trainer), self.settings(), cache=self.cache.text() or None,
                           material=material, run_store=RunStore(project) if project is not None else None,
                           on_result=self._on_done, label="Making the model…", trainer=trainer)
        if job is not None:
            job.progress.connect(self._on_progress)
            self.start_btn.setEnabled(False)

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        if text and text != self._last and not text.startswith("scoring"):
            self._last = text
            self.log.appendPlainText(text)

    @Slot()
    def _after_job(self) -> None:
        self.start_btn.setEnabled(True)

    @Slot(object)
    def _on_done(self, out) -> None:
        self.result = out
        res, rep = out["result"], out["report"]
        self.panel.set_model(res.model)
        a = rep.at_operating_point
        speech = {k: v for k, v in a["fa_by_stream"].items() if k.endswith("speech")}
        fa = sum(v["false_accepts"] for v in speech.values()) / max(1e-9, sum(v["hours"] for v in speech.values()))
        engines = ", ".join(rep.by_engine) or "held-out material"
        msg = (f"Done in {res.seconds / 60:.0f} min. Measured on speech engines it never heard ({engines}): false "
               f"rejects {100 * a['frr']:.1f}% of {a['positives']} positives, {fa:.2f} false accepts per hour of "
               f"speech" + (f"; worst engine {rep.worst_engine}." if rep.worst_engine else "."))
        self.log.appendPlainText("")
        self.log.appendPlainText(rep.to_text())
        self.panel.banner.show_message(msg, "ok")
        run = res.model.metrics.get("run")
        if run is not None:
            self.panel.ctx.add_run(run)

    def _widgets(self) -> dict:
        return {"recipe_word": self.word, "recipe_size": self.size, "recipe_target": self.target,
                "recipe_cache": self.cache}

    def state(self) -> dict:
        return values_of(self._widgets())

    def restore(self, s: dict) -> None:
        restore_values(self._widgets(), s)
