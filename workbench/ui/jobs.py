"""One long job at a time for a panel, shown with a progress bar, a status line, a banner and a
Cancel button (the case-study panels share this)."""
from __future__ import annotations


class SingleJobMixin:
    """Mix into a ``Panel`` that has ``self.tasks`` (TaskController), ``self.banner`` (Banner),
    ``self.status`` (QLabel), ``self.progress`` (QProgressBar 0-100), ``self.cancel_btn`` and the
    attributes ``self._job = None`` and ``self._trainer = None`` (a Trainer while training, so
    Cancel stops it between batches). Override ``_after_job()`` for panel-specific clean-up."""

    def _busy(self) -> bool:
        return self._job is not None

    def _start_job(self, fn, /, *args, on_result=None, label: str = "", **kwargs):
        """Run ``fn`` on a worker thread unless a job is running; returns the TaskHandle or None."""
        if self._busy():
            self.banner.show_message("Another job is still running; wait for it or cancel it.", "warning")
            return None
        self.banner.clear_message()
        job = self.tasks.start(fn, *args, **kwargs)
        self._job = job
        self.status.setText(label)
        self.progress.setValue(0)
        self.cancel_btn.setEnabled(True)
        job.progress.connect(self._on_progress)
        job.error.connect(self._on_error)
        job.cancelled.connect(self._on_cancelled)
        job.result.connect(self._on_job_result)
        if on_result is not None:
            job.result.connect(on_result)
        job.finished.connect(self._on_job_finished)
        return job

    def _start_training(self, trainer, fn, /, *args, **kwargs):
        """``_start_job`` for a training: keeps the Trainer so Stop/Cancel reach it between batches,
        swaps the Train/Stop buttons and starts the live chart's timer (``self.train_btn``,
        ``self.stop_btn``, ``self._chart_timer``)."""
        job = self._start_job(fn, *args, **kwargs)
        if job is not None:
            self._trainer = trainer
            self.train_btn.setEnabled(False)
            self.stop_btn.setEnabled(True)
            self._chart_timer.start()
        return job

    def stop_training(self) -> None:
        if self._trainer is not None:
            self._trainer.request_stop()

    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total:
            self.progress.setValue(int(100 * done / total))
        if text:
            self.status.setText(text)

    def _on_job_result(self, _result) -> None:
        self.progress.setValue(100)  # done, also for jobs that report no progress

    def _on_error(self, msg: str) -> None:
        self.banner.show_message(msg, "error")

    def _on_cancelled(self) -> None:
        self.banner.show_message("Cancelled.", "info")

    def _on_job_finished(self) -> None:
        self._job = None
        self._trainer = None
        self.cancel_btn.setEnabled(False)
        self._after_job()

    def _after_job(self) -> None:
        """Panel-specific clean-up after any job (enable buttons, final chart redraw)."""

    def cancel_job(self) -> None:
        if self._trainer is not None:
            self._trainer.request_stop()
        if self._job is not None:
            self._job.cancel()
