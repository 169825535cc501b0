"""Day & Night, questions 1-3: the data (generate, write, import), the split, and the bias
controls with a shifted test set."""
from __future__ import annotations

from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from workbench.ui.widgets import ImageGridWidget, explanation, fill_table, table_widget

GROUP_NAMES = ["clear_day", "overcast_day", "dawn", "night", "dusk", "city_night"]
SHIFT_NAMES = ["dusk", "hard", "warm_tint", "cool_tint", "dusk_warm"]
TINT_NAMES = ["none", "warm", "cool", "green", "dark"]
SUBGROUP_HEADERS = ["group", "class", "n", "accuracy", "errors", "mean P(day)"]


def page_layout(page: QWidget, header: str) -> QVBoxLayout:
    """The page's layout, its question and hint at the top."""
    lay = QVBoxLayout(page)
    lay.addWidget(explanation(header, rich=True))
    return lay


def share_spin(lo: float, hi: float, value: float, step: float = 0.05) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(lo, hi)
    s.setSingleStep(step)
    s.setValue(value)
    return s


def subgroup_rows(rows: list[dict]) -> list[list]:
    """Table rows of ``subgroup_report`` rows."""
    return [[r["group"], r["label"], r["n"], r["accuracy"], r["errors"], f"{r.get('mean_p_day', float('nan')):.3f}"]
            for r in rows]


class DataPage(QWidget):
    def __init__(self, header: str, parent=None):
        super().__init__(parent)
        lay = page_layout(self, header)
        lay.addWidget(explanation(
            "No day/night photo set ships offline, so the scenes are generated: sky gradient, sun or moon "
            "and stars, clouds, buildings with lit or dark windows, camera exposure and noise. You can also "
            "drop your own folder (one subfolder per class, e.g. <i>day/</i> and <i>night/</i>).", rich=True))
        form = QFormLayout()
        self.n_spin = QSpinBox()
        self.n_spin.setRange(20, 200_000)
        self.n_spin.setSingleStep(1000)
        self.n_spin.setValue(10_000)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 1_000_000)
        form.addRow("Images", self.n_spin)
        form.addRow("Seed", self.seed_spin)
        lay.addLayout(form)
        row = QHBoxLayout()
        self.generate_btn = QPushButton("Generate in memory")
        self.write_btn = QPushButton("Write as folder…")
        self.import_btn = QPushButton("Import folder…")
        for b in (self.generate_btn, self.write_btn, self.import_btn):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.samples = ImageGridWidget(thumb=72)
        lay.addWidget(self.samples, 1)

    def show_dataset(self, ds) -> None:
        from workbench.core.studies.daynight.data import describe_dataset, preview_samples

        self.info.setText(describe_dataset(ds))
        self.samples.set_images(*preview_samples(ds))


class SplitPage(QWidget):
    def __init__(self, header: str, parent=None):
        super().__init__(parent)
        lay = page_layout(self, header)
        lay.addWidget(explanation(
            "Hold-out: the model learns on <b>train</b>, we pick epochs on <b>validation</b>, and score "
            "<b>test</b> once. With 10,000 images, 10% each for validation and test is plenty.", rich=True))
        form = QFormLayout()
        self.val_spin = share_spin(0.0, 0.5, 0.1)
        self.test_spin = share_spin(0.05, 0.5, 0.1)
        form.addRow("Validation share", self.val_spin)
        form.addRow("Test share", self.test_spin)
        lay.addLayout(form)
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


class BiasPage(QWidget):
    def __init__(self, header: str, parent=None):
        super().__init__(parent)
        lay = page_layout(self, header)
        lay.addWidget(explanation(
            "A model is only as fair as its data. Change the share of day images and of the hard scenes "
            "(dusk, dawn, overcast days, bright city nights), or the camera's colour, then regenerate. "
            "A <b>shifted test set</b> shows how a model that scores well on its own split does on data "
            "it never saw.", rich=True))
        form = QFormLayout()
        self.balance_spin = share_spin(0.05, 0.95, 0.5)
        self.hard_spin = share_spin(0.0, 1.0, 0.2)
        self.tint_combo = QComboBox()
        self.tint_combo.addItems(TINT_NAMES)
        form.addRow("Share of day images", self.balance_spin)
        form.addRow("Share of hard scenes", self.hard_spin)
        form.addRow("Camera tint", self.tint_combo)
        lay.addLayout(form)
        self.group_checks = {}
        box = QGroupBox("Scenes to include")
        bl = QHBoxLayout(box)
        for g in GROUP_NAMES:
            cb = QCheckBox(g)
            cb.setChecked(True)
            self.group_checks[g] = cb
            bl.addWidget(cb)
        lay.addWidget(box)
        self.regenerate_btn = QPushButton("Regenerate with these settings")
        lay.addWidget(self.regenerate_btn)
        row = QHBoxLayout()
        self.shift_combo = QComboBox()
        self.shift_combo.addItems(SHIFT_NAMES)
        self.shift_btn = QPushButton("Score the model on a shifted test set")
        row.addWidget(QLabel("Shift"))
        row.addWidget(self.shift_combo)
        row.addWidget(self.shift_btn)
        row.addStretch(1)
        lay.addLayout(row)
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
