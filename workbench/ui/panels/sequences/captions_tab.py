"""Captions tab: a CNN encoder and a GRU decoder with attention, trained on generated scenes (some
colour-shape pairs held out) or on the user's images with a captions CSV; scores beside the
baselines; the attention over the image, word by word."""
from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLabel, QSplitter

from workbench.core.studies.sequences import CAPTION_DEFAULTS as D
from workbench.ui.panels.sequences.common import SequenceTab, path_row, pct
from workbench.ui.widgets import ImageGridWidget, button, fill_table, hbox, spin_box, table_widget


class CaptionsTab(SequenceTab):
    def __init__(self, panel):
        super().__init__(panel, (
            "Given a picture, predict a caption. A small CNN turns the image into a grid of features; a GRU decoder "
            "writes the caption word by word, attending to the grid cells at each word. Generated scenes hold out "
            "some colour-shape pairs from training: does the model say \"blue triangle\" when it has only seen blue "
            "things and triangles apart? Baselines: the most frequent caption and the nearest training image's."))
        lay = self.lay
        self.source = QComboBox()
        self.source.addItems(["generated scenes", "my images (captions CSV)"])
        csv_row, self.csv_path = path_row("captions CSV: image,caption (paths relative to the CSV)")
        self.held_out = spin_box(0, 3, D["held_out_pairs"])
        self.attention = QCheckBox("Attention")
        self.attention.setChecked(True)
        self.epochs = spin_box(1, 200, D["epochs"])
        self.beam = spin_box(1, 8, D["beam"])
        self.train_btn = button("Train captioner", self.train)
        lay.addLayout(hbox("Data", self.source, csv_row, stretch=False))
        lay.addLayout(hbox("Held-out pairs", self.held_out, self.attention, "Epochs", self.epochs, "Beam width",
                           self.beam, self.train_btn))
        self.summary = QLabel("Train on generated scenes (8,000 scenes, 30 epochs): about 4 CPU-minutes, 98 % exact "
                              "captions on scenes whose colour-shape pairs were all seen in training.")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.scores = table_widget(["held-out images", "exact", "BLEU-4", "beam exact", "nearest-image baseline",
                                    "most frequent caption"], max_height=110)
        lay.addWidget(self.scores)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.examples = table_widget(["part", "truth", "greedy", "beam"])
        self.examples.itemSelectionChanged.connect(self._example_picked)
        split.addWidget(self.examples)
        self.attention_grid = ImageGridWidget(thumb=120)
        split.addWidget(self.attention_grid)
        split.setSizes([500, 500])
        lay.addWidget(split, 1)

    def train(self) -> None:
        from workbench.core.studies.sequences.captions import train_captioner_from
        from workbench.core.training import Trainer

        own = self.source.currentIndex() == 1
        if own and not self.csv_path.text().strip():
            self.panel.banner.show_message("Choose a captions CSV (columns image and caption) first.", "warning")
            return
        trainer = Trainer()
        self.panel.jobs.start(partial(train_captioner_from, trainer=trainer),
                              self.csv_path.text().strip() if own else None, trainer=trainer,
                              held_out=self.held_out.value(), attention=self.attention.isChecked(),
                              epochs=self.epochs.value(), beam=self.beam.value(), run_store=self.panel.run_store(),
                              on_result=self.show_outcome, label="Training the captioner…")

    def show_outcome(self, out) -> None:
        self.outcome = out
        rows = []
        for part, s in out.test.items():
            b = out.baselines[part]
            rows.append([f"{part} ({s['n']})", s["exact"], f"{s['bleu4']:.3f}",
                         s["beam"]["exact"] if "beam" in s else "—",
                         f"{pct(b['nearest']['exact'])}, BLEU-4 {b['nearest']['bleu4']:.3f}",
                         f"{pct(b['most_frequent']['exact'])}, BLEU-4 {b['most_frequent']['bleu4']:.3f}"])
        fill_table(self.scores, rows)
        held = ", ".join(f"{c} {s}" for c, s in out.held_out)
        text = f"Held-out colour-shape pairs: {held}. " if held else "Your images: a random held-out share. "
        if out.swapped is not None:
            text += f"{pct(out.swapped)} of the wrong captions of unseen pairs name only pairs seen in training. "
        kinds = out.test.get("seen", {}).get("by_kind") or {}
        if kinds:
            text += "Exact by kind of scene: " + ", ".join(f"{k} {pct(v)}" for k, v in kinds.items()) + ". "
        self.summary.setText(text + "Pick an example to see where the decoder looked for each word.")
        fill_table(self.examples, [[g["part"], g["truth"], g["greedy"], g["beam"]] for g in out.gallery])
        if out.gallery:
            self.examples.selectRow(0)
        seen = out.test.get("seen", {})
        self.panel.keep_run("captions", out.record, f"exact {pct(seen.get('exact'))}" + (
            f", unseen BLEU-4 {out.test['unseen']['bleu4']:.2f}" if "unseen" in out.test else ""),
            f"nearest {pct(out.baselines['seen']['nearest']['exact'])}" if "seen" in out.baselines else "—")

    def _example_picked(self) -> None:
        rows = self.examples.selectionModel().selectedRows()
        if self.outcome is None or not rows:
            return
        from workbench.core.studies.sequences.captions import attention_overlays

        g = self.outcome.gallery[rows[0].row()]
        images, labels = attention_overlays(g["image"], g["attention"], g["greedy"].split())
        self.attention_grid.set_images(images, labels)

    def state(self) -> dict:
        return {"source": self.source.currentIndex(), "csv": self.csv_path.text(), "held_out": self.held_out.value(),
                "attention": self.attention.isChecked(), "epochs": self.epochs.value(), "beam": self.beam.value()}

    def restore(self, s: dict) -> None:
        for key, w in (("held_out", self.held_out), ("epochs", self.epochs), ("beam", self.beam)):
            if isinstance(s.get(key), int):
                w.setValue(s[key])
        if s.get("source") in (0, 1):
            self.source.setCurrentIndex(s["source"])
        if isinstance(s.get("csv"), str):
            self.csv_path.setText(s["csv"])
        if isinstance(s.get("attention"), bool):
            self.attention.setChecked(s["attention"])
