"""Few-shot tab: the accuracy curve over 1, 5, 10 examples per class, prototypes on an embedding
learnt from other (base) classes and on the shipped MobileNetV2, beside a small CNN trained from
scratch on the same examples."""
from __future__ import annotations

from functools import partial

from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QTableWidgetItem

from workbench.core.studies.sequences import FEW_SHOT_DEFAULTS as D
from workbench.ui.panels.sequences.common import SequenceTab, curve_plot, draw_curves, path_row, pct
from workbench.ui.widgets import ImageGridWidget, button, fill_table, hbox, spin_box, table_widget


class FewShotTab(SequenceTab):
    def __init__(self, panel):
        super().__init__(panel, (
            "One or a few examples per class. Half of the classes (the base classes, with all their images) teach a "
            "small CNN what tells images apart; its features embed the other, novel classes. The few examples of a "
            "novel class are averaged into its prototype, and a new image gets the class of the nearest prototype. "
            "The shipped ImageNet MobileNetV2 (frozen) is a second embedding. Beside them, a small CNN learns from "
            "the same examples from scratch. Test images are never among the examples; each point averages several "
            "draws of examples."))
        lay = self.lay
        self.data = QComboBox()
        self.data.addItems(["builtin:mnist", "builtin:digits", "my image folder"])
        folder_row, self.folder = path_row("folder with one subfolder per class", folder=True)
        self.shots = QLineEdit(",".join(str(s) for s in D["shots"]))
        self.episodes = spin_box(1, 50, D["episodes"])
        self.run_btn = button("Run episodes", self.run)
        lay.addLayout(hbox("Data", self.data, folder_row, stretch=False))
        lay.addLayout(hbox("Examples per class", self.shots, "Draws", self.episodes, self.run_btn))
        self.summary = QLabel("Run on MNIST digits (real handwriting): about 2.5 CPU-minutes for 10 draws.")
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        self.curve = curve_plot("Accuracy on held-out images by examples per class", "examples per class")
        lay.addWidget(self.curve, 2)
        self.table = table_widget(["examples per class", "prototypes (MobileNetV2)", "CNN from scratch", "chance"],
                                  max_height=130)
        lay.addWidget(self.table)
        self.grid = ImageGridWidget(thumb=56)
        self.grid.setMaximumHeight(110)
        lay.addWidget(self.grid)

    def run(self) -> None:
        from workbench.core.studies.sequences.fewshot import run_few_shot
        from workbench.core.training import Trainer

        try:
            shots = [int(s) for s in self.shots.text().replace(" ", "").split(",") if s]
        except ValueError:
            self.panel.banner.show_message("Write the examples per class as numbers, e.g. 1,5,10.", "warning")
            return
        data = self.data.currentText()
        if data == "my image folder":
            data = self.folder.text().strip()
            if not data:
                self.panel.banner.show_message("Choose a folder with one subfolder per class first.", "warning")
                return
        trainer = Trainer()
        self.panel.jobs.start(partial(run_few_shot, trainer=trainer), data, trainer=trainer, shots=shots or None,
                              episodes=self.episodes.value(), run_store=self.panel.run_store(),
                              on_result=self.show_outcome, label="Drawing examples and training…")

    def show_outcome(self, out) -> None:
        self.outcome = out
        x = [r["shots"] for r in out.curve]
        label = out.settings.get("embedding_label", "prototypes")
        lines = [(label, [r["prototype"] for r in out.curve], False)]
        if out.settings.get("embedding") == "base":
            lines.append(("prototypes (MobileNetV2, ImageNet)", [r["prototype_imagenet"] for r in out.curve], False))
        draw_curves(self.curve, x, lines + [("CNN from scratch", [r["scratch"] for r in out.curve], False),
                                            ("chance", [r["chance"] for r in out.curve], True)])
        self.table.setHorizontalHeaderItem(1, QTableWidgetItem(label))
        fill_table(self.table, [[r["shots"], f"{pct(r['prototype'])} ± {100 * r.get('prototype_ci', 0.0):.1f}",
                                 f"{pct(r['scratch'])} ± {100 * r.get('scratch_ci', 0.0):.1f}", pct(r["chance"])]
                                for r in out.curve])
        first = out.curve[0]
        base = out.settings.get("base_classes") or []
        where = (f"the novel classes {', '.join(out.classes)} (the embedding learnt on {', '.join(base)})" if base
                 else f"{len(out.classes)} classes")
        self.summary.setText(f"{out.data}: {where}, {out.settings['queries_per_class']} test images per class, "
                             f"{out.settings['episodes']} draws (± is the 95 % interval of the mean). With "
                             f"{first['shots']} example(s) per class the prototypes score {pct(first['prototype'])} and "
                             f"the CNN from scratch {pct(first['scratch'])}. Below: the examples of one 1-shot draw.")
        self.grid.set_images([e["image"] for e in out.examples], [e["class"] for e in out.examples])
        self.panel.keep_run("few-shot", out.record, f"{first['shots']}-shot prototypes {pct(first['prototype'])}",
                            f"scratch {pct(first['scratch'])}")

    def state(self) -> dict:
        return {"data": self.data.currentText(), "folder": self.folder.text(), "shots": self.shots.text(),
                "episodes": self.episodes.value()}

    def restore(self, s: dict) -> None:
        if isinstance(s.get("data"), str) and self.data.findText(s["data"]) >= 0:
            self.data.setCurrentText(s["data"])
        for key, w in (("folder", self.folder), ("shots", self.shots)):
            if isinstance(s.get(key), str):
                w.setText(s[key])
        if isinstance(s.get("episodes"), int):
            self.episodes.setValue(s["episodes"])
