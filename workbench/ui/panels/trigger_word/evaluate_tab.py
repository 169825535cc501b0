"""Tab 6, Evaluate: false rejects and false accepts per hour over the threshold, on fresh clips of
the loaded material or on the recipe's held-out material (voices, texts and noise kept apart)."""
from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

import pyqtgraph as pg

from workbench.ui.flow_layout import flow_row, labelled
from workbench.ui.panels.trigger_word.common import restore_values, spin, values_of

WHAT = ("fresh clips of the material", "held-out recipe material")


class EvaluateTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.report = None
        lay = QVBoxLayout(self)
        self.what = QComboBox()
        self.what.addItems(WHAT)
        self.clips = spin(10, 5000, 200, 50)
        self.hours = spin(0.01, 24.0, 1.0, 0.25, 2)
        self.eval_btn = QPushButton("Evaluate")
        self.eval_btn.clicked.connect(self.evaluate)
        use = QPushButton("Use recommended threshold")
        use.clicked.connect(self.use_recommended_threshold)
        # wraps on a small screen instead of cutting the names off
        lay.addWidget(flow_row(*(labelled(label, w) for label, w in (
            ("On", self.what), ("Held-out clips", self.clips), ("Negative stream (hours)", self.hours))),
            self.eval_btn, use))
        self.curve_plot = pg.PlotWidget(title="False rejects (%) and false accepts per hour over the threshold")
        self.curve_plot.addLegend()
        self.curve_plot.setLabel("bottom", "threshold")
        self.frr_curve = self.curve_plot.plot(pen=pg.mkPen("#d62728", width=2), symbol="o", name="false rejects %")
        self.fa_curve = self.curve_plot.plot(pen=pg.mkPen("#1f77b4", width=2), symbol="s", name="false accepts / h")
        self.fa_v_curve = self.curve_plot.plot(pen=pg.mkPen("#2ca02c", width=2), symbol="t",
                                               name="false accepts / h, with the verifier")
        lay.addWidget(self.curve_plot, 1)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setMaximumHeight(220)
        lay.addWidget(self.text)

    def evaluate(self) -> None:
        p = self.panel
        if p.model is None:
            p.banner.show_message("Train or load a model first (3. Train).", "warning")
            return
        if self.what.currentIndex() == 1:
            from workbench.core.studies.trigger_word.heldout import evaluate_heldout

            cache = p.recipe_tab.cache.text() or None
            p.jobs.start(evaluate_heldout, p.model, cache=cache, on_result=self._on_heldout,
                         label="Measuring on held-out material…")
            return
        if not p.material.positives:
            p.banner.show_message("Evaluation generates clips from the material: load or record it first.", "warning")
            return
        from workbench.core.studies.trigger_word.evaluation import evaluate_material

        d = p.detect_tab
        p.jobs.start(evaluate_material, p.model, p.material, self.clips.value(), self.hours.value(),
                     min_duration=d.min_duration.value(), refractory=d.refractory.value(),
                     on_result=self._on_evaluated, label="Evaluating…")

    @Slot(object)
    def _on_evaluated(self, rep) -> None:
        self.report = rep
        self.frr_curve.setData(rep.thresholds, 100 * rep.frr)
        self.fa_curve.setData(rep.thresholds, rep.fa_per_hour)
        self.fa_v_curve.setData([], [])
        self.text.setPlainText(rep.to_text())
        self.panel.status.setText(f"Evaluated: recommended threshold {rep.recommended_threshold():.2f}")

    @Slot(object)
    def _on_heldout(self, rep) -> None:
        self.report = rep
        rows = rep.curve
        th = [r["threshold"] for r in rows]
        self.frr_curve.setData(th, [100 * r["frr"] for r in rows])
        self.fa_curve.setData(th, [r["fa_speech"] for r in rows])
        self.fa_v_curve.setData(th, [r["fa_speech_v"] for r in rows] if rows and "fa_speech_v" in rows[0] else [])
        self.text.setPlainText(rep.to_text())
        a = rep.at_operating_point
        self.panel.status.setText(f"Held out: FRR {100 * a['frr']:.1f}%, {a['fa_per_hour']:.2f} false accepts/h")

    def use_recommended_threshold(self) -> None:
        rep = self.report
        if rep is None:
            return
        if hasattr(rep, "recommended_threshold"):
            self.panel.detect_tab.threshold.setValue(rep.recommended_threshold())
        else:  # held-out reports measure the stored point: use it
            self.panel.detect_tab.use_stored_point()

    def _widgets(self) -> dict:
        return {"eval_on": self.what, "eval_clips": self.clips, "eval_hours": self.hours}

    def state(self) -> dict:
        return values_of(self._widgets())

    def restore(self, s: dict) -> None:
        restore_values(self._widgets(), s)
