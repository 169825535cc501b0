"""Cards of the start page (a picture, a title, one line; clicking one emits ``clicked``), the flow
layout that wraps them to the page's width, and the workflow's step buttons."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout

from workbench.ui.flow_layout import FlowLayout  # noqa: F401  (the start page's card rows)

CARD_W, PICTURE_H = 196, 110


class Card(QFrame):
    """A picture, a bold title and one line of text; the whole card is a button.

    Signals:
        clicked(str)  the card's key
    """

    clicked = Signal(str)

    def __init__(self, key: str, title: str, line: str, picture: QPixmap | None = None, icon=None,
                 tooltip: str = "", parent=None, picture_h: int = PICTURE_H):
        super().__init__(parent)
        self.key = key
        self.setObjectName("card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFixedWidth(CARD_W)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setStyleSheet("QFrame#card { background: palette(base); border: 1px solid palette(mid);"
                           " border-radius: 6px; } QFrame#card:hover { border: 1px solid palette(highlight); }")
        self.setToolTip(tooltip or line)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 6, 8)
        lay.setSpacing(4)
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setFixedSize(CARD_W - 14, picture_h)
        if picture is not None and not picture.isNull():
            scaled = picture.scaled(self.picture.size(), Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                                    Qt.TransformationMode.SmoothTransformation)
            dx, dy = (scaled.width() - (CARD_W - 14)) // 2, (scaled.height() - picture_h) // 2
            self.picture.setPixmap(scaled.copy(dx, dy, CARD_W - 14, picture_h))
        elif icon is not None:
            side = min(64, picture_h - 12)
            self.picture.setPixmap(icon.pixmap(QSize(side, side)))
            self.picture.setStyleSheet("background: palette(alternate-base); border-radius: 4px;")
        lay.addWidget(self.picture)
        self.title_label = QLabel(title)
        self.title_label.setStyleSheet("font-weight: 600;")
        self.title_label.setWordWrap(True)
        lay.addWidget(self.title_label)
        self.line_label = QLabel(line)
        self.line_label.setWordWrap(True)
        lay.addWidget(self.line_label)
        lay.addStretch(1)
        # as tall as its words need at the card's width: a three-line title or line is never cut
        text_w = CARD_W - 16  # the margins and the frame
        words = self.title_label.heightForWidth(text_w) + self.line_label.heightForWidth(text_w)
        self.setFixedHeight(picture_h + 6 + 8 + 2 * 4 + max(words, 56) + 4)

    def mouseReleaseEvent(self, event):  # noqa: N802 (Qt name)
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit(self.key)
        super().mouseReleaseEvent(event)


class StepCard(QFrame):
    """One step of the workflow: its state (done / to do next / later), title and one line.

    Signals:
        clicked(str)  the panel that does the step
    """

    clicked = Signal(str)
    COLORS = {"done": "#2e7d32", "current": "#1565c0", "later": "#9e9e9e"}

    def __init__(self, parent=None):
        super().__init__(parent)
        self.panel = ""
        self.state = "later"
        self.setObjectName("step")
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setMinimumWidth(110)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 6, 8, 6)
        lay.setSpacing(2)
        top = QLabel()
        top.setTextFormat(Qt.TextFormat.RichText)
        self.head = top
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        lay.addWidget(top)
        lay.addWidget(self.detail)
        lay.addStretch(1)

    def show_step(self, step, number: int) -> None:
        self.panel = step.panel
        self.state = "done" if step.done else ("current" if step.current else "later")
        mark = {"done": "&#10003;", "current": "&#9654;", "later": f"{number}"}[self.state]
        c = self.COLORS[self.state]
        self.head.setText(f"<span style='color:{c}; font-weight:700'>{mark}</span>&nbsp; "
                          f"<b>{step.title}</b>")
        self.detail.setText(step.detail)
        border = f"2px solid {c}" if self.state == "current" else "1px solid palette(mid)"
        self.setStyleSheet(f"QFrame#step {{ border: {border}; border-radius: 6px; background: palette(base); }}")
        self.setToolTip(f"Go to the {step.panel} panel")

    def mouseReleaseEvent(self, event):  # noqa: N802 (Qt name)
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit(self.panel)
        super().mouseReleaseEvent(event)
