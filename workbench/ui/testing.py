"""pytest helpers for UI tests (import the fixtures into a test module to use them)."""
from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def no_thread_leak(qtbot):
    """Fail a test that leaves a worker QThread running (they print "QThread destroyed" later)."""
    yield
    from workbench.ui.workers import running_threads

    left = running_threads()
    if left:
        for t in left:  # let the next tests run: wait for them, then fail this one
            t.wait(30000)
        pytest.fail(f"{len(left)} worker thread(s) still running after the test: "
                    + ", ".join(t.objectName() for t in left))


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    d = tmp_path / "config"
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(d))
    return d
