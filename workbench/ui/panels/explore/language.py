"""The Language model tab (next-token prediction); filled in on top of the Embedding layer."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class LanguageTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("The language model needs the Embedding layer (coming with the text models)."))

    def shutdown(self) -> None:
        pass
