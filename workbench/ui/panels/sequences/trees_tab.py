"""Syntax trees tab: train the parser (with or without attention) on generated sentences, see the
held-out score beside the baseline, the length curve, and any sentence's tree drawn."""
from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QLineEdit, QSplitter
from PySide6.QtCore import Qt

from workbench.core.studies.sequences import TREE_DEFAULTS
from workbench.ui.panels.sequences.common import SequenceTab, TreeView, curve_plot, draw_curves, pct
from workbench.ui.widgets import button, fill_table, hbox, spin_box, table_widget

EXAMPLES = {"arithmetic": "6 / 4 + 9 * 3 - 2", "english": "the big dog saw a cat in the park"}


class TreesTab(SequenceTab):
    def __init__(self, panel):
        super().__init__(panel, (
            "A sentence goes in word by word, its syntax tree comes out token by token: a GRU encoder reads the "
            "sentence, a GRU decoder writes the bracketed tree, attending to the input words at every step (or, "
            "without attention, carrying the whole sentence in one vector). Trained on short sentences, scored on "
            "held-out ones of the same sizes (exact match, PARSEVAL bracket F1) and on longer ones (the length curve)."))
        lay = self.lay
        self.grammar = QComboBox()
        self.grammar.addItems(list(TREE_DEFAULTS))
        self.attention = QCheckBox("Attention")
        self.attention.setChecked(True)
        self.epochs = spin_box(1, 100, TREE_DEFAULTS["arithmetic"]["epochs"])
        self.n_train = spin_box(200, 100000, TREE_DEFAULTS["arithmetic"]["n_train"], step=1000)
        self.train_btn = button("Train parser", self.train)
        self.grammar.currentTextChanged.connect(self._grammar_changed)
        lay.addLayout(hbox("Grammar", self.grammar, self.attention, "Sentences", self.n_train, "Epochs", self.epochs,
                           self.train_btn))
        self.summary = QLabel("Train the parser: about two minutes on two CPU cores.")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.curve = curve_plot("Exact match by sentence size (trained sizes up to the dashed line)", "size")
        split.addWidget(self.curve)
        self.examples = table_widget(["sentence", "predicted tree", "right"])
        self.examples.itemSelectionChanged.connect(self._example_picked)
        split.addWidget(self.examples)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        lay.addWidget(split, 2)
        self.sentence = QLineEdit(EXAMPLES["arithmetic"])
        self.parse_btn = button("Parse", self.parse)
        self.parse_btn.setEnabled(False)
        lay.addLayout(hbox("Your sentence", self.sentence, self.parse_btn, stretch=False))
        self.tree = TreeView()
        lay.addWidget(self.tree, 2)

    def _grammar_changed(self, g: str) -> None:
        self.epochs.setValue(TREE_DEFAULTS[g]["epochs"])
        self.n_train.setValue(TREE_DEFAULTS[g]["n_train"])
        self.sentence.setText(EXAMPLES[g])

    def train(self) -> None:
        from workbench.core.studies.sequences.trees import train_tree_parser
        from workbench.core.training import Trainer

        trainer = Trainer()
        self.panel.jobs.start(partial(train_tree_parser, trainer=trainer), self.grammar.currentText(), trainer=trainer,
                              attention=self.attention.isChecked(), epochs=self.epochs.value(),
                              n_train=self.n_train.value(), run_store=self.panel.run_store(), on_result=self.show_outcome,
                              label="Training the parser…")

    def show_outcome(self, out) -> None:
        self.outcome = out
        t, b = out.test, out.baseline
        unit = "operators" if out.grammar == "arithmetic" else "phrases"
        self.summary.setText(
            f"Held-out sentences of the trained sizes ({t['n']}): exact tree {pct(t['exact'])}, bracket F1 "
            f"{t['bracket_f1']:.3f}; the baseline ({'left to right' if out.grammar == 'arithmetic' else 'most frequent tree'})"
            f" {pct(b['exact'])}, F1 {b['bracket_f1']:.3f}. Longer than trained: "
            + ", ".join(f"{r['size']} {unit} {pct(r['exact'])}" for r in out.length_curve if not r["trained"]) + ".")
        x = [r["size"] for r in out.length_curve]
        draw_curves(self.curve, x, [("parser", [r["exact"] for r in out.length_curve], False),
                                    ("baseline", [r["baseline_exact"] for r in out.length_curve], True)])
        self.curve.addLine(x=max(out.settings["train_sizes"]) + 0.5, pen="#aaa")
        fill_table(self.examples, [[e["sentence"], e["predicted"], "yes" if e["correct"] else "no"]
                                   for e in out.examples])
        self.parse_btn.setEnabled(True)
        if out.examples:  # the first right tree is drawn (a wrong one may not be a tree at all)
            self.examples.selectRow(next((i for i, e in enumerate(out.examples) if e["correct"]), 0))
        self.panel.keep_run("syntax trees", out.record, f"exact {pct(t['exact'])}", f"exact {pct(b['exact'])}")

    def _example_picked(self) -> None:
        rows = self.examples.selectionModel().selectedRows()
        if self.outcome is None or not rows:
            return
        from workbench.core.studies.sequences.grammar import draw_tree

        e = self.outcome.examples[rows[0].row()]
        self.tree.show_layout(draw_tree(e["predicted"].split()), "predicted tree" + ("" if e["correct"] else
                                                                                      f"  (truth: {e['truth']})"))

    def parse(self) -> None:
        if self.outcome is None:
            return
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.sequences.grammar import draw_tree

        try:
            tokens = self.outcome.parse(self.sentence.text())
        except WorkbenchError as e:
            self.panel.banner.show_message(str(e), "warning")
            return
        self.tree.show_layout(draw_tree(tokens), " ".join(tokens))

    def state(self) -> dict:
        return {"grammar": self.grammar.currentText(), "attention": self.attention.isChecked(),
                "epochs": self.epochs.value(), "sentence": self.sentence.text()}

    def restore(self, s: dict) -> None:
        if s.get("grammar") in TREE_DEFAULTS:
            self.grammar.setCurrentText(s["grammar"])
        if isinstance(s.get("attention"), bool):
            self.attention.setChecked(s["attention"])
        if isinstance(s.get("epochs"), int):
            self.epochs.setValue(s["epochs"])
        if isinstance(s.get("sentence"), str):
            self.sentence.setText(s["sentence"])
