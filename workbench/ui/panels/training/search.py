"""The Train panel's Search tab: what to search and how (``workbench.core.tuning``: an Optuna
study whose trials run on local worker processes or a Dask cluster), and the HParams view of the
trials, live while the search runs. Trials are scored on the validation data (or the CV folds),
never on the test set; the best settings are retrained and tested once when the search ends."""
from __future__ import annotations

import os

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget,
)

from workbench.ui.panels.training.hparams import HParamsView
from workbench.ui.widgets import spin_box

DEFAULT_SPACE = "lr=log(1e-4,1e-1); batch_size=16,32,64"


def default_workers() -> int:
    """Local worker processes by default: every core but one (the window keeps one)."""
    return max(1, (os.cpu_count() or 1) - 1)


class SearchTab(QWidget):
    """Signals:
        trial_activated(object)  a trial was clicked in the view: {"trial", "run_id", "state", "params"}
    """

    trial_activated = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        intro = QLabel("Hyperparameter search: choose the mode “Hyperparameter search” above and press Start. "
                       "Each trial is scored on the validation data (or the CV folds), never on the test set; the "
                       "best settings are then retrained on all non-test data and tested once.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.space_edit = QLineEdit(DEFAULT_SPACE)
        self.space_edit.setToolTip("name=log(lo,hi) | float(lo,hi) | int(lo,hi) | choice(a,b) | a,b; names: lr, "
                                   "batch_size, epochs, optimizer, weight_decay, dropout, l2, units, filters, "
                                   "n_layers, layers.N.units (layer N as the Model panel numbers it), ...")
        self.sampler_combo = QComboBox()
        for key, text in (("tpe", "TPE (learns from the trials)"), ("random", "random"), ("grid", "grid")):
            self.sampler_combo.addItem(text, key)
        self.trials_spin = spin_box(1, 10000, 20)
        self.pruner_combo = QComboBox()
        for key, text in (("none", "no pruning"), ("median", "median pruner"), ("halving", "successive halving")):
            self.pruner_combo.addItem(text, key)
        self.workers_spin = spin_box(0, 256, default_workers())
        self.workers_spin.setSpecialValueText("in this process")
        self.workers_spin.setToolTip("Local worker processes (0: trials run one by one in the app's process)")
        self.cluster_edit = QLineEdit()
        self.cluster_edit.setPlaceholderText("this machine (or a Dask scheduler: tcp://host:8786)")
        self.study_edit = QLineEdit()
        self.study_edit.setPlaceholderText("new study (give a stored study's name to resume it)")
        self.same_seed = QCheckBox("every trial starts from the same initialization")
        self.same_seed.setChecked(True)
        row = QHBoxLayout()
        for w in (self.sampler_combo, QLabel("trials:"), self.trials_spin, self.pruner_combo):
            row.addWidget(w)
        row.addStretch(1)
        where = QHBoxLayout()
        for w in (QLabel("local workers:"), self.workers_spin, QLabel("or cluster:")):
            where.addWidget(w)
        where.addWidget(self.cluster_edit, 1)
        form.addRow("Settings to try:", self.space_edit)
        form.addRow("Search:", row)
        form.addRow("Run on:", where)
        form.addRow("Study:", self.study_edit)
        form.addRow("", self.same_seed)
        lay.addLayout(form)
        self.view = HParamsView()
        self.view.trial_activated.connect(self.trial_activated)
        lay.addWidget(self.view, 1)

    def space(self):
        """The SearchSpace to try (a WorkbenchError naming the typo when unreadable)."""
        from workbench.core.tuning import parse_search_space

        return parse_search_space(self.space_edit.text())

    def settings(self) -> dict:
        """The keyword arguments of ``search.run_search`` this tab stands for."""
        workers = self.workers_spin.value()
        cluster = self.cluster_edit.text().strip() or ("inline" if workers == 0 else None)
        return {"sampler": self.sampler_combo.currentData(), "n_trials": self.trials_spin.value(),
                "pruner": self.pruner_combo.currentData(), "parallel": workers or None, "cluster": cluster,
                "study": self.study_edit.text().strip() or None,
                "seed_policy": "same" if self.same_seed.isChecked() else "per-trial"}

    def follow(self, log, space) -> None:
        """Show a search that is starting, live from its EventLog."""
        self.view.attach(log, space)

    def finished(self) -> None:
        self.view.detach()

    def show_result(self, search: dict) -> None:
        self.view.show_search(search)
        if search.get("study") and search.get("stopped"):
            self.study_edit.setText(search["study"])  # Start again resumes it

    def set_run_loader(self, fn) -> None:
        self.view.set_run_loader(fn)

    def state(self) -> dict:
        s = self.settings()
        return {"space": self.space_edit.text(), "sampler": s["sampler"], "trials": s["n_trials"],
                "pruner": s["pruner"], "workers": self.workers_spin.value(), "cluster": self.cluster_edit.text(),
                "study": self.study_edit.text(), "same_seed": self.same_seed.isChecked()}

    def restore(self, s: dict) -> None:
        self.space_edit.setText(str(s.get("space", self.space_edit.text())))
        for combo, key, default in ((self.sampler_combo, "sampler", "tpe"), (self.pruner_combo, "pruner", "none")):
            combo.setCurrentIndex(max(combo.findData(str(s.get(key, default))), 0))
        self.trials_spin.setValue(int(s.get("trials", self.trials_spin.value()) or 20))
        self.workers_spin.setValue(int(s.get("workers", self.workers_spin.value())))
        self.cluster_edit.setText(str(s.get("cluster", "") or ""))
        self.study_edit.setText(str(s.get("study", "") or ""))
        self.same_seed.setChecked(bool(s.get("same_seed", True)))

    def shutdown(self) -> None:
        self.view.shutdown()
