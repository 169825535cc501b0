"""Day & Night, questions 1-3: the data (generate, write, import), the split, and the bias
controls with a shifted test set."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QLabel, QPushButton

from workbench.ui.panels.daynight.page import SUBGROUP_HEADERS, Page, share_spin, subgroup_rows
from workbench.ui.widgets import ImageGridWidget, fill_table, hbox, spin_box, table_widget

GROUP_NAMES = ["clear_day", "overcast_day", "dawn", "night", "dusk", "city_night"]
SHIFT_NAMES = ["dusk", "hard", "warm_tint", "cool_tint", "dusk_warm"]
TINT_NAMES = ["none", "warm", "cool", "green", "dark"]


def _form(*rows) -> QFormLayout:
    form = QFormLayout()
    for label, w in rows:
        form.addRow(label, w)
    return form


class DataPage(Page):
    INTRO = ("No day/night photo set ships offline, so the scenes are generated: sky gradient, sun or moon and "
             "stars, clouds, buildings with lit or dark windows, camera exposure and noise. You can also drop your "
             "own folder (one subfolder per class, e.g. <i>day/</i> and <i>night/</i>).")

    def build(self, lay) -> None:
        self.n_spin = spin_box(20, 200_000, 10_000, step=1000)
        self.seed_spin = spin_box(0, 1_000_000, 0)
        lay.addLayout(_form(("Images", self.n_spin), ("Seed", self.seed_spin)))
        self.generate_btn = QPushButton("Generate in memory")
        self.write_btn = QPushButton("Write as folder…")
        self.import_btn = QPushButton("Import folder…")
        lay.addLayout(hbox(self.generate_btn, self.write_btn, self.import_btn))
        self.info = QLabel("")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.samples = ImageGridWidget(thumb=72)
        lay.addWidget(self.samples, 1)

    def show_dataset(self, ds) -> None:
        from workbench.core.studies.daynight.data import describe_dataset, preview_samples

        self.info.setText(describe_dataset(ds))
        self.samples.set_images(*preview_samples(ds))


class SplitPage(Page):
    INTRO = ("Hold-out: the model learns on <b>train</b>, we pick epochs on <b>validation</b>, and score <b>test</b> "
             "once. With 10,000 images, 10% each for validation and test is plenty.")

    def build(self, lay) -> None:
        self.val_spin = share_spin(0.0, 0.5, 0.1)
        self.test_spin = share_spin(0.05, 0.5, 0.1)
        lay.addLayout(_form(("Validation share", self.val_spin), ("Test share", self.test_spin)))
        self.info = QLabel("")
        lay.addWidget(self.info)
        lay.addStretch(1)

    def split_text(self) -> str:
        return f"holdout:{self.val_spin.value():.3f},{self.test_spin.value():.3f}"

    def show_sizes(self, n: int) -> None:
        from workbench.core.studies.daynight.data import split_sizes

        s = split_sizes(n, self.val_spin.value(), self.test_spin.value())
        self.info.setText(f"With {n:,} images: {s['train']:,} train, {s['val']:,} validation, {s['test']:,} test "
                          "(stratified by class).")


class BiasPage(Page):
    INTRO = ("A model is only as fair as its data. Change the share of day images and of the hard scenes (dusk, "
             "dawn, overcast days, bright city nights), or the camera's colour, then regenerate. A <b>shifted test "
             "set</b> shows how a model that scores well on its own split does on data it never saw.")

    def build(self, lay) -> None:
        self.balance_spin = share_spin(0.05, 0.95, 0.5)
        self.hard_spin = share_spin(0.0, 1.0, 0.2)
        self.tint_combo = QComboBox()
        self.tint_combo.addItems(TINT_NAMES)
        lay.addLayout(_form(("Share of day images", self.balance_spin), ("Share of hard scenes", self.hard_spin),
                            ("Camera tint", self.tint_combo)))
        self.group_checks = {g: QCheckBox(g) for g in GROUP_NAMES}
        for cb in self.group_checks.values():
            cb.setChecked(True)
        box = QGroupBox("Scenes to include")
        box.setLayout(hbox(*self.group_checks.values(), stretch=False))
        lay.addWidget(box)
        self.regenerate_btn = QPushButton("Regenerate with these settings")
        lay.addWidget(self.regenerate_btn)
        self.shift_combo = QComboBox()
        self.shift_combo.addItems(SHIFT_NAMES)
        self.shift_btn = QPushButton("Score the model on a shifted test set")
        lay.addLayout(hbox("Shift", self.shift_combo, self.shift_btn))
        self.shift_table = table_widget(SUBGROUP_HEADERS)
        lay.addWidget(self.shift_table, 1)

    def only_groups(self) -> list[str] | None:
        """The ticked scene groups (None: all of them)."""
        chosen = [g for g, cb in self.group_checks.items() if cb.isChecked()]
        return None if not chosen or len(chosen) == len(GROUP_NAMES) else chosen

    def tint(self) -> str | None:
        t = self.tint_combo.currentText()
        return None if t == "none" else t

    def show_shift(self, res: dict) -> None:
        fill_table(self.shift_table, subgroup_rows(res["subgroups"]))
