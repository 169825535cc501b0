"""The Data panel's image-cache row: how much disk the decoded image folders that stream from the
on-disk cache take, and a button that clears it (``workbench.core.data.image_cache``; the same as
``workbench cache clear``)."""
from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from workbench.ui.job_runner import JobRunner


def _size() -> dict:
    from workbench.core.data.image_cache import cache_size

    return cache_size()


def _clear() -> dict:
    from workbench.core.data.image_cache import cache_size, clear_cache

    clear_cache()
    return cache_size()


class CacheRow(QWidget):
    """One line: "Image cache: 2 folders, 1.4 GB" and a Clear button."""

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.cache_label = QLabel("Image cache: …")
        self.cache_label.setToolTip("Image folders too large for memory are decoded once into this on-disk cache "
                                    "and streamed from it while training; an unchanged folder is not decoded again.")
        self.clear_cache_btn = QPushButton("Clear image cache")
        self.clear_cache_btn.setEnabled(False)
        self.clear_cache_btn.clicked.connect(self.clear)
        lay.addWidget(self.cache_label, 1)
        lay.addWidget(self.clear_cache_btn)
        # no banner: measuring must not clear the panel's messages; a failure shows on this line
        self.jobs = JobRunner(self)
        self.jobs.job_failed.connect(lambda msg: self.cache_label.setText(f"Image cache: {msg}"))
        self.info: dict | None = None

    @Slot()
    def refresh(self) -> None:
        self.jobs.start(_size, on_result=self._show, label="Measuring the image cache", quiet_if_busy=True)

    @Slot()
    def clear(self) -> None:
        self.clear_cache_btn.setEnabled(False)
        self.jobs.start(_clear, on_result=self._show, label="Clearing the image cache")

    def _show(self, info: dict) -> None:
        from workbench.core.memory import format_bytes

        self.info = info
        n = info["entries"]
        self.cache_label.setText(f"Image cache: {n} folder{'s' if n != 1 else ''}, {format_bytes(info['bytes'])} "
                                 f"({info['path']})" if n else f"Image cache: empty ({info['path']})")
        self.clear_cache_btn.setEnabled(n > 0)

    def shutdown(self) -> None:
        self.jobs.shutdown()
