"""What every Day & Night page shares: its question and hint at the top, then its explanation."""
from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from workbench.ui.widgets import double_spin, explanation

SUBGROUP_HEADERS = ["group", "class", "n", "accuracy", "errors", "mean P(day)"]


class Page(QWidget):
    """A page of the case study. Subclasses set ``INTRO`` (rich text) and build the rest of the
    page in ``build(layout)``."""

    INTRO = ""

    def __init__(self, header: str, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.addWidget(explanation(header, rich=True))
        if self.INTRO:
            lay.addWidget(explanation(self.INTRO, rich=True))
        self.build(lay)

    def build(self, lay: QVBoxLayout) -> None:
        raise NotImplementedError


def share_spin(lo: float, hi: float, value: float):
    """A share (fraction) in steps of 0.05."""
    return double_spin(lo, hi, value, step=0.05)


def subgroup_rows(rows: list[dict]) -> list[list]:
    """Table rows of ``subgroup_report`` rows."""
    return [[r["group"], r["label"], r["n"], r["accuracy"], r["errors"], f"{r.get('mean_p_day', float('nan')):.3f}"]
            for r in rows]
