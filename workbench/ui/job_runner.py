"""``JobRunner``: the one way a panel runs a long task (import, generation, training, search,
evaluation, a live loop) on a worker thread.

A panel owns one runner per kind of concurrent work (usually one; a case study with a live camera
loop has a second for it) and gives it the widgets it may drive, all optional::

    self.jobs = JobRunner(self, banner=self.banner, status=self.status, progress=self.progress,
                          cancel_button=self.cancel_btn)
    self.jobs.start(core_function, arg, on_result=self._show, label="Generating ...")
    self.jobs.start(train_fn, req, trainer=trainer, on_result=self._trained)   # Stop reaches the Trainer
    ...
    def shutdown(self): self.jobs.shutdown()

While a job runs a second ``start`` is refused with a message; errors (one sentence) go to the
banner, progress to the bar and the status line, and Cancel asks the job (and its Trainer) to
stop cooperatively. ``job_started`` / ``job_finished`` let the panel enable and disable its own
buttons. The worker rules of ``workbench.ui.workers`` hold: no widget is touched off the GUI thread.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from workbench.ui.workers import TaskController, TaskHandle


class JobActivity(QObject):
    """Every JobRunner's running job, app-wide, for the window's busy sign (GUI thread only).

    Signals:
        changed(int, str)  how many jobs run now, and the label of the newest one ("" = none)
    """

    changed = Signal(int, str)
    _instance: "JobActivity | None" = None

    def __init__(self):
        super().__init__()
        self.running: dict[int, str] = {}  # id(runner) -> its job's label, newest last
        self._watched: set[int] = set()

    @classmethod
    def instance(cls) -> "JobActivity":
        if cls._instance is None:
            cls._instance = JobActivity()
        return cls._instance

    @property
    def labels(self) -> list[str]:
        return list(self.running.values())

    def begin(self, runner: QObject, label: str) -> None:
        key = id(runner)
        if key not in self._watched:  # a runner deleted with its job running must not stay "busy"
            self._watched.add(key)
            runner.destroyed.connect(partial(self._forget, key))
        self.running.pop(key, None)
        self.running[key] = label.rstrip(".… ") or "Working"
        self._emit()

    def end(self, runner: QObject) -> None:
        if self.running.pop(id(runner), None) is not None:
            self._emit()

    def _forget(self, key: int, *_):
        # A runner is destroyed while its parents are: a window being torn down. Telling the busy
        # sign now would call into widgets half-destroyed ("pure virtual method called"); tell it
        # from the event loop, once the teardown is over and Qt has disconnected what was deleted.
        self._watched.discard(key)
        if self.running.pop(key, None) is not None:
            QTimer.singleShot(0, self._emit)

    def _emit(self) -> None:
        labels = self.labels
        self.changed.emit(len(labels), labels[-1] if labels else "")


class JobRunner(QObject):
    """Signals:
        job_started(str)     a job started (its label)
        job_finished()       the job's thread has ended (after its result, error or cancel was
                             delivered); ``busy`` turns False at the same moment
        job_failed(str)      the job raised; the message (also shown in the banner)
    """

    job_started = Signal(str)
    job_finished = Signal()
    job_failed = Signal(str)

    def __init__(self, parent: QObject, *, banner=None, status=None, progress=None, cancel_button=None,
                 progress_scale: int | None = None):
        super().__init__(parent)
        self.tasks = TaskController(self)
        self.banner, self.status, self.progress, self.cancel_button = banner, status, progress, cancel_button
        self._label = ""  # the running (or last) job's status label
        self._scale = progress_scale or ((progress.maximum() or 100) if progress is not None else 100)
        self._job: TaskHandle | None = None
        self._trainer = None
        if cancel_button is not None:
            cancel_button.setEnabled(False)
            cancel_button.clicked.connect(self.cancel)

    # ---- state -------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self._job is not None

    @property
    def trainer(self):
        """The Trainer of the running job (None when the job is not a training)."""
        return self._trainer

    @property
    def handle(self) -> TaskHandle | None:
        return self._job

    # ---- control -----------------------------------------------------------------------------
    def start(self, fn: Callable, /, *args, on_result: Callable[[Any], None] | None = None, label: str = "",
              trainer=None, quiet_if_busy: bool = False, on_progress: Callable[[int, int, str], None] | None = None,
              on_cancelled: Callable[[], None] | None = None, **kwargs) -> TaskHandle | None:
        """Run ``fn(*args, **kwargs)`` on a worker thread unless a job is running (then None).

        ``fn`` receives ``progress(done, total, text)`` and ``should_cancel()`` when its signature
        takes them; ``on_result(value)``, ``on_progress(done, total, text)`` and ``on_cancelled()``
        run on the GUI thread. With ``trainer`` (a core Trainer the job trains with, or anything
        with ``request_stop`` / ``pause`` / ``resume``) Cancel and ``stop_training`` stop it between
        batches, and ``pause``/``resume`` reach it."""
        if self._job is not None:
            if not quiet_if_busy:
                self._say("Another job is still running; wait for it or cancel it.", "warning")
            return None
        if self.banner is not None:
            self.banner.clear_message()
        job = self.tasks.start(fn, *args, **kwargs)
        self._job, self._trainer, self._label = job, trainer, label
        if self.status is not None and label:
            self.status.setText(label)
        if self.progress is not None:  # moving (busy) until the job says how far it is
            self.progress.setRange(0, 0)
        if self.cancel_button is not None:
            self.cancel_button.setEnabled(True)
        job.progress.connect(self._on_progress)
        job.error.connect(self._on_error)
        job.cancelled.connect(self._on_cancelled)
        job.result.connect(self._on_result)
        for signal, slot in ((job.result, on_result), (job.progress, on_progress), (job.cancelled, on_cancelled)):
            if slot is not None:
                signal.connect(slot)
        job.finished.connect(self._on_finished)
        JobActivity.instance().begin(self, label)
        self.job_started.emit(label)
        return job

    @Slot()
    def cancel(self) -> None:
        if self._trainer is not None:
            self._trainer.request_stop()
        if self._job is not None:
            self._job.cancel()

    def stop_training(self) -> None:
        """Stop the running training between batches (its best weights are kept); the job goes on
        to finish and report its result."""
        if self._trainer is not None:
            self._trainer.request_stop()

    def pause(self) -> None:
        if self._trainer is not None:
            self._trainer.pause()

    def resume(self) -> None:
        if self._trainer is not None:
            self._trainer.resume()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Ask the job to stop and wait for its thread (safe to call twice)."""
        if self._trainer is not None:
            self._trainer.request_stop()
        return self.tasks.stop_and_wait(timeout_ms)

    # ---- slots (GUI thread) ------------------------------------------------------------------
    def _say(self, text: str, kind: str) -> None:
        if self.banner is not None:
            self.banner.show_message(text, kind)

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total and self.progress is not None:
            if self.progress.maximum() == 0:
                self.progress.setRange(0, self._scale)
            self.progress.setValue(int(self._scale * done / total))
        if text and self.status is not None:
            self.status.setText(text)

    def _end_status(self, how: str) -> None:
        """The status line says how the job ended (a panel's own result handler, connected after
        this one, may say more)."""
        label = self._label.rstrip(".… ")
        if self.status is not None and label:
            self.status.setText(f"{label}: {how}.")

    @Slot(object)
    def _on_result(self, _result) -> None:
        if self.progress is not None:
            self.progress.setRange(0, self._scale)
            self.progress.setValue(self._scale)  # done, also for jobs that report no progress
        self._end_status("done")

    @Slot(str)
    def _on_error(self, msg: str) -> None:
        self._say(msg, "error")
        self._end_status("failed (see the message above)")
        self.job_failed.emit(msg)

    @Slot()
    def _on_cancelled(self) -> None:
        self._say("Cancelled.", "info")
        self._end_status("cancelled")

    @Slot()
    def _on_finished(self) -> None:
        self._job = None
        self._trainer = None
        if self.progress is not None and self.progress.maximum() == 0:  # failed or cancelled: stop moving
            self.progress.setRange(0, self._scale)
            self.progress.setValue(0)
        JobActivity.instance().end(self)
        if self.cancel_button is not None:
            self.cancel_button.setEnabled(False)
        self.job_finished.emit()


class Relay(QObject):
    """Carries what a running job hands out as it goes (a chart, a camera reading, a frame) from
    the worker thread to the GUI thread.

    Give ``relay.send`` to the core function as its callback; it runs in the worker thread,
    applies ``convert`` there (e.g. ``Chart.to_dict``, or building an owned QImage: never a
    widget) and emits ``item``, which Qt queues to the GUI thread.

    Signals:
        item(object)  the converted payload
    """

    item = Signal(object)

    def __init__(self, parent: QObject, convert: Callable[[Any], Any] | None = None):
        super().__init__(parent)
        self._convert = convert

    def send(self, payload) -> None:  # called in the worker thread
        self.item.emit(self._convert(payload) if self._convert is not None else payload)
