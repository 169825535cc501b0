"""Application-wide state shared by the panels (GUI thread only).

Panels never talk to each other directly: they read and write the slots here and listen to the
signals. The Data panel sets ``dataset``/``splits``/``preprocessing``; the Model panel sets
``model_spec``/``head``/``train_settings``; the Train panel reads them and appends runs.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot


class AppContext(QObject):
    """Signals (all emitted on the GUI thread):
        status_message(str)        a line for the status bar
        project_changed()          a project was created/opened/saved (``project``/``project_dir``)
        project_saving(str)        about to write the project into this folder: panels that keep
                                   files there (runs, weights, captures) write them now
        dataset_changed(object)    the loaded Dataset (or None)
        splits_changed(object)     the Splits of the current SplitPlan (or None)
        preprocessing_changed(dict)  preprocessing settings (Preprocessor kwargs)
        model_changed(object)      the ModelSpec (or None) after an edit
        head_changed(object)       the chosen Head (or None)
        train_settings_changed(dict)  optimizer / lr / batch size / epochs / early stopping ...
        run_finished(dict)         a finished run record (history, metrics, settings)
        device_changed(object)     DeviceInfo once probed in the background
        dirty_changed(bool)        the project has unsaved changes
        busy_changed(bool)         a long job (training, import) started/stopped
    """

    status_message = Signal(str)
    project_changed = Signal()
    project_saving = Signal(str)
    dataset_changed = Signal(object)
    splits_changed = Signal(object)
    preprocessing_changed = Signal(dict)
    model_changed = Signal(object)
    head_changed = Signal(object)
    train_settings_changed = Signal(dict)
    run_finished = Signal(dict)
    device_changed = Signal(object)
    dirty_changed = Signal(bool)
    busy_changed = Signal(bool)
    _device_probed = Signal(object)  # internal: from the probe thread to the GUI thread

    def __init__(self, parent: QObject | None = None, project_dir: str | Path | None = None):
        super().__init__(parent)
        self.project: Any = None  # workbench.core.project.Project once the core lands
        self.project_dir: Path | None = Path(project_dir) if project_dir else None
        # Shared slots (set through the setters so listeners are told).
        self.dataset: Any = None
        self.dataset_source: dict = {}
        self.split_plan: str = "holdout:0.2,0.2"
        self.split_options: dict = {}
        self.splits: Any = None
        self.preprocessing: dict = {"scale": "none", "missing": "zero", "vocab_size": 10000}
        self.model_spec: Any = None
        self.head: Any = None
        self.train_settings: dict = {}
        self.runs: list[dict] = []
        self.extra: dict[str, Any] = {}  # free slots for case-study panels
        self._device_info: Any = None
        self._probe_thread: threading.Thread | None = None
        self._dirty = False
        self._device_probed.connect(self._on_device_probed)

    # -- shared slots ----------------------------------------------------------------------------
    def set_dataset(self, dataset, source: dict | None = None) -> None:
        self.dataset = dataset
        self.dataset_source = dict(source or getattr(dataset, "source", {}) or {})
        self.splits = None
        self.mark_dirty()
        self.dataset_changed.emit(dataset)

    def set_splits(self, splits, plan: str | None = None, options: dict | None = None) -> None:
        if plan is not None:
            self.split_plan = plan
        if options is not None:
            self.split_options = dict(options)
        self.splits = splits
        self.mark_dirty()
        self.splits_changed.emit(splits)

    def set_preprocessing(self, settings: dict) -> None:
        self.preprocessing = dict(settings)
        self.mark_dirty()
        self.preprocessing_changed.emit(dict(settings))

    def set_model_spec(self, spec) -> None:
        self.model_spec = spec
        self.mark_dirty()
        self.model_changed.emit(spec)

    def set_head(self, head) -> None:
        self.head = head
        self.mark_dirty()
        self.head_changed.emit(head)

    def set_train_settings(self, settings: dict) -> None:
        self.train_settings = dict(settings)
        self.mark_dirty()
        self.train_settings_changed.emit(dict(settings))

    def add_run(self, run: dict) -> None:
        self.runs.append(run)
        self.mark_dirty()
        self.run_finished.emit(run)

    def status(self, text: str) -> None:
        self.status_message.emit(str(text))

    # -- dirty flag ------------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self._dirty

    def mark_dirty(self, dirty: bool = True) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    # -- device ----------------------------------------------------------------------------------
    @property
    def device_info(self):
        """DeviceInfo; probes synchronously (imports torch) if the background probe has not run."""
        if self._device_info is None:
            from workbench.core.device import describe_device

            self._device_info = describe_device("auto")
        return self._device_info

    def probe_device_async(self) -> None:
        """Import torch and describe the device in a plain thread; ``device_changed`` follows.

        A Python thread is enough: it touches no Qt object except emitting a signal of this
        QObject, which Qt queues to the GUI thread."""
        if self._device_info is not None:
            self.device_changed.emit(self._device_info)
            return
        if self._probe_thread is not None:
            return

        def probe():
            try:
                from workbench.core.device import describe_device

                info = describe_device("auto")
            except Exception as e:  # a broken torch install must not kill the app
                info = e
            try:
                self._device_probed.emit(info)
            except RuntimeError:  # context already deleted at exit
                pass

        self._probe_thread = threading.Thread(target=probe, name="workbench-device-probe", daemon=True)
        self._probe_thread.start()

    def wait_device_probe(self, timeout: float = 60.0) -> None:
        if self._probe_thread is not None:
            self._probe_thread.join(timeout)

    @Slot(object)
    def _on_device_probed(self, info) -> None:
        if isinstance(info, Exception):
            self.status(f"Could not probe the compute device: {info}")
            return
        self._device_info = info
        self.device_changed.emit(info)
