"""The start-up timing hook of ``benchmarks/startup.py`` (kept out of the app's own code paths)."""
from __future__ import annotations

import sys
import time
from typing import TextIO


def install_startup_probe(stream: TextIO | None = None) -> None:
    """For ``benchmarks/startup.py`` (env ``WORKBENCH_STARTUP_PROBE=1``, read by ``workbench.cli.main``).

    Prints ``workbench-window-painted <time.time()>`` at the main window's first paint event and
    ``workbench-window-ready <time.time()>`` one event-loop turn after ``MainWindow.start()`` (the
    first panel is built by then), then quits the app. It wraps ``MainWindow.show``/``start`` so
    the same probe works for the source install and the frozen app without changing how the app
    starts.
    """
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    from workbench.ui import main_window

    def say(text: str) -> None:
        s = stream if stream is not None else sys.stdout
        try:
            s.write(f"{text} {time.time():.6f} {time.process_time():.6f}\n")  # wall clock, CPU seconds
            s.flush()
        except (OSError, ValueError, AttributeError):  # reader gone / no console: still quit below
            pass

    class FirstPaint(QObject):
        def __init__(self, window):
            super().__init__(window)
            self.window = window
            self.done = False

        def eventFilter(self, obj, event):  # noqa: N802 (Qt name)
            if (not self.done and event.type() == QEvent.Type.Paint and obj.isWidgetType()
                    and obj.window() is self.window):
                self.done = True
                say("workbench-window-painted")
            return False

    cls = main_window.MainWindow
    original_show, original_start = cls.show, cls.start

    def show(self, *a, **k):
        self._startup_probe = FirstPaint(self)
        QApplication.instance().installEventFilter(self._startup_probe)
        return original_show(self, *a, **k)

    def start(self, *a, **k):
        result = original_start(self, *a, **k)

        def ready():
            say("workbench-window-ready")
            QApplication.instance().removeEventFilter(self._startup_probe)
            QApplication.instance().quit()

        QTimer.singleShot(0, ready)
        return result

    cls.show, cls.start = show, start
