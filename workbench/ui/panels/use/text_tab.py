"""Text tab of the Use panel: type or paste texts (one per line) for a text model."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget


class TextTab(QWidget):
    """Signals:
        texts_entered(list)   the texts to classify (one per non-empty line)
    """

    texts_entered = Signal(list)

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.hint = QLabel("Type or paste a text (one per line), then Predict. A CSV of texts goes in the Files tab.")
        self.hint.setWordWrap(True)
        lay.addWidget(self.hint)
        self.edit = QPlainTextEdit()
        self.edit.setPlaceholderText("This film was a delight from start to finish.")
        lay.addWidget(self.edit, 1)
        row = QHBoxLayout()
        self.predict_btn = QPushButton("Predict")
        self.predict_btn.clicked.connect(self.submit)
        row.addStretch(1)
        row.addWidget(self.predict_btn)
        lay.addLayout(row)

    def submit(self) -> None:
        texts = [t.strip() for t in self.edit.toPlainText().splitlines() if t.strip()]
        if texts:
            self.texts_entered.emit(texts)
