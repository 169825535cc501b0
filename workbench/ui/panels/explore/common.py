"""Pieces the Explore tabs share: the settings column on the left, and sample grids that show
thumbnails for images and text for texts and table rows."""
from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from workbench.ui.widgets import ImageGridWidget

SIDE_WIDTH = 340


def side_column(*widgets, width: int = SIDE_WIDTH) -> QWidget:
    """The tab's settings: the widgets stacked at the top of a fixed-width column."""
    col = QWidget()
    lay = QVBoxLayout(col)
    lay.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        lay.addWidget(w)
    lay.addStretch(1)
    col.setMaximumWidth(width)
    return col


def fill_samples(grid: ImageGridWidget, previews: list[dict], captions: list[str], text_chars: int = 80) -> None:
    """Thumbnails with captions for images; caption + the start of the text otherwise
    (``previews`` from ``core.explore.preview``)."""
    if previews and previews[0]["image"] is not None:
        grid.set_images([p["image"] for p in previews], captions, [p["text"] for p in previews])
        return
    grid.clear()
    for p, c in zip(previews, captions):
        grid.addItem(f"{c}\n{p['text'][:text_chars]}")
