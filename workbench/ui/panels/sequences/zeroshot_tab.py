"""Zero-shot tab: attribute predictors trained on the seen classes recognise classes never seen in
training; beside them a plain classifier (blind to unseen classes) and the bias when all compete."""
from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit

from workbench.core.studies.sequences import ZERO_SHOT_DEFAULTS as D
from workbench.ui.panels.sequences.common import SequenceTab, path_row, pct
from workbench.ui.widgets import ImageGridWidget, button, fill_table, hbox, spin_box, table_widget


class ZeroShotTab(SequenceTab):
    def __init__(self, panel):
        super().__init__(panel, (
            "Classes with no training example at all, recognised from their description: each class is a set of "
            "attribute values (colour red, shape circle). One predictor per attribute learns from the seen classes; "
            "an unseen class scores the product of its values' probabilities. Your own data: a folder with one "
            "subfolder per class and a CSV with a 'class' column, one column per attribute and an optional 'unseen' "
            "column (yes for the classes to hold out)."))
        lay = self.lay
        self.source = QComboBox()
        self.source.addItems(["generated colour x shape classes", "my folders + attributes CSV"])
        folder_row, self.folder = path_row("folder with one subfolder per class", folder=True)
        csv_row, self.attributes = path_row("attributes CSV: class, attribute columns, unseen")
        self.unseen = QLineEdit()
        self.unseen.setPlaceholderText("unseen classes, comma-separated (default: the CSV's unseen column)")
        self.epochs = spin_box(1, 200, D["epochs"])
        self.train_btn = button("Train and test", self.train)
        lay.addLayout(hbox("Data", self.source, "Epochs", self.epochs, self.train_btn))
        lay.addLayout(hbox(folder_row, csv_row, stretch=False))
        lay.addWidget(self.unseen)
        self.summary = QLabel("Train on generated classes: about a minute on two CPU cores.")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.scores = table_widget(["test images", "by attributes, unseen classes only", "all classes compete",
                                    "plain classifier", "chance"], max_height=110)
        lay.addWidget(self.scores)
        self.grid = ImageGridWidget(thumb=72)
        lay.addWidget(self.grid, 1)

    def train(self) -> None:
        from workbench.core.studies.sequences.zeroshot import run_zero_shot
        from workbench.core.training import Trainer

        own = self.source.currentIndex() == 1
        if own and not (self.folder.text().strip() and self.attributes.text().strip()):
            self.panel.banner.show_message("Choose the class folders and the attributes CSV first.", "warning")
            return
        unseen = [u.strip() for u in self.unseen.text().split(",") if u.strip()] or None
        trainer = Trainer()
        self.panel.jobs.start(partial(run_zero_shot, trainer=trainer), self.folder.text().strip() if own else None,
                              trainer=trainer, attributes=self.attributes.text().strip() if own else None,
                              unseen=unseen if own else None, epochs=self.epochs.value(),
                              run_store=self.panel.run_store(), on_result=self.show_outcome,
                              label="Training the attribute predictors…")

    def show_outcome(self, out) -> None:
        self.outcome = out
        s = out.scores
        fill_table(self.scores, [
            [f"unseen classes ({out.settings['n_test_unseen']})", pct(s["zsl_unseen"]), pct(s["gzsl_unseen"]),
             pct(s["plain_unseen"]), pct(s["chance_unseen"])],
            [f"seen classes ({out.settings['n_test_seen']})", "—", pct(s["gzsl_seen"]), pct(s["plain_seen"]),
             pct(s["chance_all"])]])
        self.summary.setText(
            f"Unseen: {', '.join(out.unseen)}. Among the unseen classes the attributes name {pct(s['zsl_unseen'])} of "
            f"their images right (chance {pct(s['chance_unseen'])}); the plain classifier can only answer a class it "
            f"was trained on ({pct(s['plain_unseen'])}). When all {len(out.classes)} classes compete, "
            f"{pct(s['gzsl_unseen_called_seen'])} of the unseen images are called a seen class: the bias toward "
            f"what was trained. Below: unseen test images, by attributes / all compete / plain.")
        self.grid.set_images([e["image"] for e in out.examples],
                             [f"{e['true']}\n→ {e['zsl']}" for e in out.examples],
                             [f"truth {e['true']}; attributes {e['zsl']}; all compete {e['gzsl']}; plain {e['plain']}"
                              for e in out.examples])
        self.panel.keep_run("zero-shot", out.record, f"unseen {pct(s['zsl_unseen'])}",
                            f"plain {pct(s['plain_unseen'])}, chance {pct(s['chance_unseen'])}")

    def state(self) -> dict:
        return {"source": self.source.currentIndex(), "folder": self.folder.text(),
                "attributes": self.attributes.text(), "unseen": self.unseen.text(), "epochs": self.epochs.value()}

    def restore(self, s: dict) -> None:
        if s.get("source") in (0, 1):
            self.source.setCurrentIndex(s["source"])
        for key, w in (("folder", self.folder), ("attributes", self.attributes), ("unseen", self.unseen)):
            if isinstance(s.get(key), str):
                w.setText(s[key])
        if isinstance(s.get("epochs"), int):
            self.epochs.setValue(s["epochs"])
