"""The Train panel's Search tab: the settings to try and the trials, best first
(``core.runs.ranked_trials``). The search is scored on validation data or the CV folds only."""
from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QSpinBox, QVBoxLayout, QWidget

from workbench.ui.widgets import records_table

DEFAULT_SPACE = "lr=0.01,0.001; batch_size=32,64"


class SearchTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        intro = QLabel("Hyperparameter search: choose the mode “Hyperparameter search” above and press Start. "
                       "Each setting is scored on the validation data (or the CV folds), never on the test set.")
        intro.setWordWrap(True)
        lay.addWidget(intro)
        form = QFormLayout()
        self.space_edit = QLineEdit(DEFAULT_SPACE)
        self.mode_combo = QComboBox()
        self.mode_combo.addItems(["grid", "random"])
        self.iter_spin = QSpinBox()
        self.iter_spin.setRange(1, 200)
        self.iter_spin.setValue(6)
        row = QHBoxLayout()
        row.addWidget(self.mode_combo)
        row.addWidget(QLabel("random trials:"))
        row.addWidget(self.iter_spin)
        row.addStretch(1)
        form.addRow("Settings to try:", self.space_edit)
        form.addRow("Search:", row)
        lay.addLayout(form)
        self.model, self.view = records_table(resize="last")
        lay.addWidget(self.view, 1)

    def space(self) -> dict:
        """The settings to try (SearchError / WorkbenchError with the typo when unreadable)."""
        from workbench.core.training.crossval import parse_search_space

        return parse_search_space(self.space_edit.text())

    def show_result(self, search: dict) -> None:
        from workbench.core.runs import ranked_trials

        rows = [{"rank": i + 1, "params": ", ".join(f"{k}={v}" for k, v in t["params"].items()),
                 "score": t.get("score"), "std": t.get("std"),
                 "best_epochs": ", ".join(str(b) for b in t.get("best_epochs") or [])}
                for i, t in enumerate(ranked_trials(search))]
        self.model.set_rows(rows, [("rank", "#"), ("params", "settings"), ("score", search.get("metric", "score")),
                                   ("std", "± std"), ("best_epochs", "best epochs per fold")])

    def state(self) -> dict:
        return {"space": self.space_edit.text(), "mode": self.mode_combo.currentText(), "iter": self.iter_spin.value()}

    def restore(self, s: dict) -> None:
        self.space_edit.setText(str(s.get("space", self.space_edit.text())))
        self.mode_combo.setCurrentText(str(s.get("mode", "grid")))
        self.iter_spin.setValue(int(s.get("iter", 6)))
