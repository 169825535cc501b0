"""``workbench --self-test``: the real window, a 1-epoch run on the Train panel's thread, every panel, devices."""
import io

import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui



def test_self_test_passes_in_process(qtbot, config_dir):
    """Every check passes, every panel opens (one that fell back to the placeholder is a FAIL)."""
    from workbench.selftest import run_self_test
    from workbench.ui.panels import PANEL_SPECS

    out = io.StringIO()
    rc = run_self_test(out)
    text = out.getvalue()
    lines = text.splitlines()
    fails = [ln.strip() for ln in lines if ln.strip().startswith("FAIL")]
    assert not fails and rc == 0, text
    assert lines[0].startswith("Workbench ") and "source install" in lines[0]
    train = next(ln for ln in lines if "train 1 epoch" in ln)
    assert train.strip().startswith("ok") and "background thread" in train and "chart shows 1 epoch" in train
    for title, *_ in PANEL_SPECS:
        assert any(ln.strip().startswith("ok    panel " + title) for ln in lines), title
    for dev in ("camera", "microphone", "GPU"):
        row = next(ln for ln in lines if ln.strip().startswith(f"info  {dev}:"))
        assert ("present" in row) or ("absent" in row), row
    assert lines[-1].startswith("self-test passed")


def test_placeholder_panel_is_a_failure(qtbot, config_dir):
    from workbench.selftest import _Failed, _open_panel
    from workbench.ui.main_window import MainWindow

    w = MainWindow(specs=[("Broken", "workbench.ui.panels.no_such_panel:NoSuchPanel")])
    qtbot.addWidget(w)
    w.show()
    from PySide6.QtWidgets import QApplication

    with pytest.raises(_Failed, match="placeholder.*no_such_panel"):
        _open_panel(QApplication.instance(), w, "Broken")
    w.close()


def test_device_probe_crash_is_a_failure_and_absence_is_not(qtbot, config_dir, monkeypatch):
    from PySide6.QtWidgets import QApplication

    from workbench.core.capture import audio, camera
    from workbench.core.errors import DeviceUnavailable
    from workbench.selftest import Report, _devices
    from workbench.ui.main_window import MainWindow

    def broken(*a, **k):
        raise RuntimeError("driver exploded")

    def absent(*a, **k):
        raise DeviceUnavailable("The PortAudio library is not installed")

    monkeypatch.setattr(camera, "list_cameras", broken)
    monkeypatch.setattr(audio, "list_input_devices", absent)
    w = MainWindow(specs=[])
    qtbot.addWidget(w)
    w.show()
    w.start()
    rep = Report()
    _devices(rep, w, QApplication.instance())
    by = {c.name: c for c in rep.checks}
    assert by["camera"].status == "FAIL" and "driver exploded" in by["camera"].detail
    assert by["microphone"].status == "info" and by["microphone"].detail.startswith("absent")
    assert by["GPU"].status == "info" and "status bar agrees" in by["GPU"].detail
    w.close()


def test_cli_has_a_self_test_flag():
    from workbench.cli import build_parser

    assert build_parser().parse_args(["--self-test"]).self_test is True
    assert build_parser().parse_args([]).self_test is False
