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


# Widgets a test hands to ``qtbot.addWidget`` stay alive until pytest-qt has closed them. pytest-qt
# keeps only weak references, so after the test function returned a shown panel lived on only
# through its own reference cycles (a panel -> its tab -> a bound method of the panel) while
# pytest-qt still processed events: the garbage collector then ran inside that panel's own paint
# event and deleted the window being painted ("QPaintDevice: Cannot destroy paint device that is
# being painted", then a crash in QPainter::restore).
_WIDGETS_UNTIL_CLOSED: list = []


def _keep_added_widgets() -> None:
    try:
        from pytestqt.qtbot import QtBot
    except ImportError:  # pragma: no cover
        return
    if getattr(QtBot.addWidget, "_keeps_widgets", False):
        return
    original = QtBot.addWidget

    def addWidget(self, widget, *args, **kwargs):
        _WIDGETS_UNTIL_CLOSED.append(widget)
        return original(self, widget, *args, **kwargs)

    addWidget._keeps_widgets = True
    QtBot.addWidget = addWidget


_keep_added_widgets()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """The same for windows a GUI test showed without handing them to qtbot: hold every top-level
    widget from the end of the test until its teardown (pytest-qt paints them in between)."""
    try:
        return (yield)
    finally:
        import sys

        if "qtbot" in item.fixturenames and "PySide6.QtWidgets" in sys.modules:
            from PySide6.QtWidgets import QApplication

            if QApplication.instance() is not None:
                _WIDGETS_UNTIL_CLOSED.extend(QApplication.topLevelWidgets())


@pytest.fixture(autouse=True)
def _collect_garbage_between_tests(request):
    """After a GUI test, when pytest-qt has closed its widgets: let go of them and collect the
    garbage now, between tests, rather than at the collector's own moment inside a later test."""
    yield
    if "qtbot" not in request.fixturenames and not _WIDGETS_UNTIL_CLOSED:
        return
    import gc

    _WIDGETS_UNTIL_CLOSED.clear()
    gc.collect()
    # What survived a full collection here is alive (modules, caches, pytest's own objects): left
    # out of later collections, each of them scans only what the next tests made (0.4 s -> ~0.02 s).
    gc.freeze()
