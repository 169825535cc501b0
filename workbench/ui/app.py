"""Start the desktop app: ``run_app(argv) -> exit code`` (called by ``workbench`` / the CLI)."""
from __future__ import annotations

import sys
import time


def run_app(argv: list[str] | None = None) -> int:
    t0 = time.perf_counter()
    argv = list(sys.argv if argv is None else argv)
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv if argv else ["workbench"])
    app.setApplicationName("Workbench")
    app.setOrganizationName("Workbench")
    app.setApplicationDisplayName("Workbench")
    app.setDesktopFileName("workbench")  # matches packaging/debian/workbench.desktop (taskbar grouping)
    from PySide6.QtGui import QIcon

    from workbench.resources import resource_path

    icon = resource_path("icons", "workbench-256.png")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))

    from workbench.ui.main_window import MainWindow

    win = MainWindow(ask_before_close=True)
    win.show()
    win.start_later()  # builds the first panel and imports torch in the background after the first paint
    # A project folder given on the command line opens once the window is up.
    from pathlib import Path

    project = next((a for a in argv if not a.startswith("-") and Path(a).is_dir()), None)
    if project:
        QTimer.singleShot(0, lambda: win.open_project(project))
    else:
        QTimer.singleShot(0, win.reopen_last_project)
    win.statusBar().showMessage(f"Ready ({time.perf_counter() - t0:.1f} s to start)", 5000)
    import os

    quit_after = os.environ.get("WORKBENCH_QUIT_AFTER_MS", "")
    if quit_after.isdigit():  # smoke tests and start-up timing: open, paint, quit
        win.ask_before_close = False
        QTimer.singleShot(int(quit_after), win.close)
    if os.environ.get("WORKBENCH_PRINT_STARTUP"):
        QTimer.singleShot(0, lambda: print(f"window shown after {time.perf_counter() - t0:.2f} s", flush=True))
    rc = app.exec()
    win.shutdown()
    win.deleteLater()
    app.processEvents()
    return int(rc)


if __name__ == "__main__":
    raise SystemExit(run_app())
