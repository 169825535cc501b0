"""Test support for the UI (used by tests/conftest.py): fail a test that leaves a worker thread running."""
from __future__ import annotations


def check_no_thread_left(wait_ms: int = 30000) -> None:
    """Fail (pytest) if a test left a worker's job running; waits for its thread first so later
    tests run. A thread whose job has returned (the test waited for a result the job handed over)
    is ending by itself: it is waited for, and fails only if it does not end."""
    import pytest

    from workbench.ui.workers import running_threads

    working = running_threads(still_working=True)
    left = running_threads()
    for t in left:
        t.wait(wait_ms)
    stuck = [t for t in left if _running(t)]
    if working or stuck:
        names = ", ".join(t.objectName() for t in working or stuck)
        pytest.fail(f"{len(working or stuck)} worker thread(s) still running after the test: {names}")


def _running(t) -> bool:
    try:
        return t.isRunning()
    except RuntimeError:  # already deleted: it ended
        return False
