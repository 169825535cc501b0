import os
import tempfile

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never read or write the user's real settings / recent-projects list.
os.environ.setdefault("WORKBENCH_CONFIG_DIR", tempfile.mkdtemp(prefix="workbench-test-config-"))


@pytest.fixture(autouse=True)
def _torch_single_thread():
    """Tests train tiny models: one intra-op thread is faster than two fighting over shared CI cores,
    and it keeps results independent of the machine's core count."""
    try:
        import torch
    except ImportError:  # pragma: no cover
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _no_worker_thread_left():
    """Fail a test that leaves a worker QThread running (they print "QThread destroyed" later).
    Only UI tests start workers; the check costs nothing where workbench.ui.workers was never imported."""
    import sys

    yield
    if "workbench.ui.workers" in sys.modules:
        from workbench.ui.testing import check_no_thread_left

        check_no_thread_left()


@pytest.fixture
def config_dir(tmp_path, monkeypatch):
    """A fresh settings folder (WORKBENCH_CONFIG_DIR) for the test."""
    d = tmp_path / "config"
    monkeypatch.setenv("WORKBENCH_CONFIG_DIR", str(d))
    return d


@pytest.fixture(autouse=True, scope="session")
def _image_cache_in_a_temp_folder(tmp_path_factory):
    """Streamed image imports decode into an on-disk cache: during tests never the user's own cache
    folder (subprocesses of CLI tests inherit the variable)."""
    import os

    old = os.environ.get("WORKBENCH_CACHE")
    os.environ["WORKBENCH_CACHE"] = str(tmp_path_factory.mktemp("image-cache"))
    yield
    if old is None:
        os.environ.pop("WORKBENCH_CACHE", None)
    else:
        os.environ["WORKBENCH_CACHE"] = old


@pytest.fixture(autouse=True)
def _collect_garbage_between_tests():
    """Collect Python garbage after each test, after pytest-qt closed its widgets: left to the
    collector's own timing, cycles of wrappers whose Qt objects are gone (pyqtgraph items of
    earlier tests' windows) were collected in the middle of a later test's painting, which aborted
    the run ("pure virtual method called") at the same point of the suite."""
    yield
    import gc

    gc.collect()
