"""Test support for the UI (used by tests/conftest.py): fail a test that leaves a worker thread running."""
from __future__ import annotations


def check_no_thread_left(wait_ms: int = 30000) -> None:
    """Fail (pytest) if a worker QThread is still running; waits for it first so later tests run."""
    import pytest

    from workbench.ui.workers import running_threads

    left = running_threads()
    if left:
        names = ", ".join(t.objectName() for t in left)
        for t in left:
            t.wait(wait_ms)
        pytest.fail(f"{len(left)} worker thread(s) still running after the test: {names}")
