"""Background jobs for the GUI: a worker QObject moved to a QThread, owned by a controller.

Rules (see DESIGN.md): the worker never touches widgets; payloads are small and owned (numpy
arrays are copied before emit); the controller keeps references, wires finished -> quit, deletes
the finished QThread with deleteLater and releases the worker on the GUI thread once its thread has
ended, and on shutdown asks the job to stop and waits. No lambdas on cross-thread
connections, no slots on QThread subclasses, no terminate().

Panels do not use these directly: ``workbench.ui.job_runner.JobRunner`` wraps them (one job at a
time, banner / progress / Cancel wiring). Underneath, it does::

    self.tasks = TaskController(self)
    job = self.tasks.start(load_data, "builtin:digits")   # fn(*args, progress=, should_cancel=)
    job.result.connect(self._on_loaded)                    # a TaskHandle: slots run on the GUI thread
    job.error.connect(self._on_error)
    job.progress.connect(self._on_progress)
    ...
    def shutdown(self): self.tasks.stop_and_wait()
"""
from __future__ import annotations

import inspect
import threading
import traceback
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from workbench.core.errors import Cancelled


def _own(payload: Any) -> Any:
    """Return a copy the GUI may keep: numpy arrays are copied, containers walked shallowly."""
    if isinstance(payload, np.ndarray):
        return payload.copy()
    if isinstance(payload, dict):
        return {k: _own(v) for k, v in payload.items()}
    if isinstance(payload, list):
        return [_own(v) for v in payload]
    if isinstance(payload, tuple) and not hasattr(payload, "_fields"):
        return tuple(_own(v) for v in payload)
    return payload


_ALL_THREADS: list[tuple[QThread, QObject]] = []  # every (thread, worker) a controller started (tests check)


def running_threads(*, still_working: bool = False) -> list[QThread]:
    """QThreads started by any TaskController that are still running; with ``still_working``
    only those whose job has not returned yet (a thread whose job returned is ending by itself)."""
    alive = []
    for t, w in list(_ALL_THREADS):
        try:
            if t.isRunning():
                if not (still_working and getattr(w, "returned", False)):
                    alive.append(t)
                continue
        except RuntimeError:  # C++ object already deleted: finished and cleaned up
            pass
        _ALL_THREADS.remove((t, w))
    return alive


class CancelledError(Exception):
    """Raised by a job that noticed ``should_cancel()``; reported as ``cancelled``, not an error."""


class FunctionWorker(QObject):
    """Run ``fn(*args, **kwargs)`` in a worker thread.

    The callable receives ``progress=callable(done, total, text="")`` and
    ``should_cancel=callable() -> bool`` keyword arguments when its signature accepts them (or
    accepts ``**kwargs``).

    Signals:
        progress(int done, int total, str text)  rate-limited by the caller, not here
        result(object)      the return value (numpy arrays copied)
        error(str)          a user-facing message (WorkbenchError text, or the exception + type)
        cancelled()         the job stopped because cancel() was requested
        finished()          always last, after result/error/cancelled
    """

    progress = Signal(int, int, str)
    result = Signal(object)
    error = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, fn: Callable, *args, **kwargs):
        super().__init__()
        self._fn = fn
        self._args = args
        self._kwargs = kwargs
        self._cancel = threading.Event()
        self.returned = False  # set by the worker thread once the job has returned (then its thread ends)
        self.exception: BaseException | None = None
        self.traceback: str = ""

    # -- thread-safe ---------------------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    def should_cancel(self) -> bool:
        return self._cancel.is_set()

    def _report(self, done, total=0, text: str = "") -> None:
        self.progress.emit(int(done), int(total or 0), str(text))

    def _call_kwargs(self) -> dict:
        kw = dict(self._kwargs)
        try:
            params = inspect.signature(self._fn).parameters
        except (TypeError, ValueError):
            return kw
        var_kw = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        if (var_kw or "progress" in params) and "progress" not in kw:
            kw["progress"] = self._report
        if (var_kw or "should_cancel" in params) and "should_cancel" not in kw:
            kw["should_cancel"] = self.should_cancel
        return kw

    @Slot()
    def run(self) -> None:
        try:
            out = self._fn(*self._args, **self._call_kwargs())
        except CancelledError:
            self.cancelled.emit()
        except Cancelled:  # the core's own "user stopped it" errors (import, generation, experiment)
            self.cancelled.emit()
        except Exception as e:  # reported to the GUI, never raised in the thread
            from workbench.core.errors import WorkbenchError

            self.exception = e
            self.traceback = traceback.format_exc()
            if self._cancel.is_set():  # e.g. the core's ImportCancelled: a cancel, not a failure
                self.cancelled.emit()
            else:
                if isinstance(e, OSError):  # permission, full disk, ...: the sentence, not "[Errno 13]"
                    from workbench.core.oserrors import describe

                    msg = describe(e)
                else:
                    msg = str(e) if isinstance(e, WorkbenchError) else f"{type(e).__name__}: {e}"
                self.error.emit(msg or type(e).__name__)
        else:
            if self._cancel.is_set() and out is None:
                self.cancelled.emit()
            else:
                self.result.emit(_own(out))
        finally:
            self.returned = True
            self.finished.emit()


class TaskHandle(QObject):
    """GUI-thread face of one job: re-emits the worker's signals on the GUI thread.

    Panels connect to the handle, never to the worker, so any slot (even a lambda or pytest-qt's
    waitSignal) runs on the GUI thread. Same signals as ``FunctionWorker``, except that
    ``finished`` relays the job's QThread ``finished``, not the worker's: the worker says it is
    finished from inside its run slot, while its thread still runs, so "finished" here means the
    thread has ended (after result/error/cancelled, which the same thread emitted earlier).
    """

    progress = Signal(int, int, str)
    result = Signal(object)
    error = Signal(str)
    cancelled = Signal()
    finished = Signal()

    def __init__(self, worker: QObject, thread: QThread, parent: QObject | None = None):
        super().__init__(parent)
        self._worker = worker
        self.done = False
        self.value: Any = None
        self.error_message: str = ""
        # Relays are bound methods of this GUI-thread object: Qt queues them across threads, in the
        # order the worker thread emitted them (its thread's finished comes last).
        for name in ("progress", "result", "error", "cancelled"):
            sig = getattr(worker, name, None)
            if sig is not None:
                sig.connect(getattr(self, f"_relay_{name}"))
        thread.finished.connect(self._relay_finished)

    def cancel(self) -> None:
        w = self._worker
        if w is not None and not self.done:
            try:
                w.cancel()
            except (RuntimeError, AttributeError):  # already deleted / not cancellable
                pass

    @property
    def worker(self):
        return self._worker

    @Slot(int, int, str)
    def _relay_progress(self, done, total, text):
        self.progress.emit(done, total, text)

    @Slot(object)
    def _relay_result(self, value):
        self.value = value
        self.result.emit(value)

    @Slot(str)
    def _relay_error(self, msg):
        self.error_message = msg
        self.error.emit(msg)

    @Slot()
    def _relay_cancelled(self):
        self.cancelled.emit()

    @Slot()
    def _relay_finished(self):
        self.done = True
        self._worker = None
        self.finished.emit()


class TaskController(QObject):
    """Owns worker threads for one panel. Keeps references until each thread has finished."""

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._jobs: list[tuple[QThread, QObject]] = []
        self._handles: list[TaskHandle] = []

    @property
    def busy(self) -> bool:
        return any(_running(t) for t, _ in self._jobs)

    def start(self, fn: Callable, *args, **kwargs) -> TaskHandle:
        """Run ``fn`` in a new thread. Returns a TaskHandle (GUI thread) to connect to; its signals
        are queued, so connecting right after start() loses nothing."""
        return self.start_worker(FunctionWorker(fn, *args, **kwargs))

    def start_worker(self, worker: QObject, run_slot: str = "run") -> TaskHandle:
        """Run any worker QObject with ``run_slot`` and a ``finished`` signal (and optionally
        ``cancel()``, progress/result/error/cancelled signals)."""
        thread = QThread()
        thread.setObjectName(f"workbench-{type(worker).__name__}")
        worker.moveToThread(thread)
        thread.started.connect(getattr(worker, run_slot))
        handle = TaskHandle(worker, thread, self)  # before the cleanup below: it sees the thread ended
        # Direct: quit() is thread-safe, and a queued quit would never arrive while the GUI thread
        # blocks in stop_and_wait().
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        # No worker.deleteLater(): the worker is owned by Python, and a deferred delete run by the
        # finishing thread raced the GUI thread's release of the wrapper (a segfault under load).
        # The controller drops its reference once the thread has finished, so the worker is
        # destroyed on the GUI thread when nothing can touch it any more.
        thread.finished.connect(self._on_thread_finished)
        handle.finished.connect(self._on_handle_finished)
        self._jobs.append((thread, worker))
        self._handles.append(handle)
        _ALL_THREADS.append((thread, worker))
        thread.start()
        return handle

    @Slot()
    def _on_handle_finished(self) -> None:
        self._handles = [h for h in self._handles if not h.done]

    @Slot()
    def _on_thread_finished(self) -> None:
        alive = []
        for t, w in self._jobs:
            if t.isFinished():
                t.deleteLater()
            else:
                alive.append((t, w))
        self._jobs = alive

    def cancel_all(self) -> None:
        for _, w in self._jobs:
            try:
                cancel = getattr(w, "cancel", None)
                if cancel is not None:
                    cancel()
            except RuntimeError:  # worker already deleted
                pass

    def stop_and_wait(self, timeout_ms: int = 30000) -> bool:
        """Ask every job to stop and wait for its thread; safe to call twice. Returns True when
        all threads ended in time."""
        self.cancel_all()
        ok = True
        for t, _ in list(self._jobs):
            try:
                if t.isRunning():
                    ok = t.wait(timeout_ms) and ok
            except RuntimeError:
                continue
        # Threads ended; their queued finished signals may not have been delivered yet.
        alive = []
        for t, w in self._jobs:
            if _finished(t):
                try:
                    t.deleteLater()
                except RuntimeError:
                    pass
            else:
                alive.append((t, w))
        self._jobs = alive
        return ok


def _running(t: QThread) -> bool:
    try:
        return t.isRunning()
    except RuntimeError:
        return False


def _finished(t: QThread) -> bool:
    try:
        return t.isFinished() or not t.isRunning()
    except RuntimeError:
        return True
