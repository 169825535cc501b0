"""pytest helpers for UI tests: ``from workbench.ui.testing import no_thread_leak, config_dir``.

Importing a fixture into a test module registers it there (``no_thread_leak`` is autouse). The
module imports nothing from pytest when pytest is absent (frozen apps collect every submodule).
"""
from __future__ import annotations

try:
    import pytest
except ImportError:  # pragma: no cover - the app itself never imports this module
    pytest = None


def check_no_thread_left(wait_ms: int = 30000) -> None:
    """Fail (pytest) if a worker QThread is still running; waits for it first so later tests run."""
    from workbench.ui.workers import running_threads

    left = running_threads()
    if left:
        names = ", ".join(t.objectName() for t in left)
        for t in left:
            t.wait(wait_ms)
        pytest.fail(f"{len(left)} worker thread(s) still running after the test: {names}")


if pytest is not None:

    @pytest.fixture(autouse=True)
    def no_thread_leak(qtbot):
        """Fail a test that leaves a worker QThread running (they print "QThread destroyed" later)."""
        yield
        check_no_thread_left()

    @pytest.fixture
    def config_dir(tmp_path, monkeypatch):
        """A fresh settings folder (WORKBENCH_CONFIG_DIR) for the test."""
        d = tmp_path / "config"
        monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(d))
        return d
