"""The Qt face of the application state (GUI thread only).

The state itself is ``workbench.core.state.WorkbenchState`` (plain core objects with psygnal
events); ``AppContext`` re-emits those events as Qt signals and adds what only the app has (the
open project folder, the dirty flag, the device probe, status messages). Panels never talk to each
other: they read ``ctx.<value>``, change it through ``ctx.set_<value>()``, and connect to the
signals. The Data panel sets the data set, splits, preprocessing and input shape; the Model panel
the spec, head and training settings; the Train panel adds runs.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from workbench.core.state import ProjectState, WorkbenchState

# WorkbenchState events relayed as AppContext Qt signals of the same name and payload
RELAYED = ("dataset_changed", "splits_changed", "preprocessing_changed", "input_shape_changed", "model_changed",
           "head_changed", "train_settings_changed", "runs_reset", "guide_changed")


class AppContext(QObject):
    """Signals (all emitted on the GUI thread):
        status_message(str)        a line for the status bar
        project_changed()          a project was created/opened/saved (``project``/``project_dir``)
        project_saving(str)        about to write the project into this folder: panels that keep
                                   files there (trained models, recordings, galleries) write them now
        dataset_changed(object)    the loaded Dataset (or None)
        splits_changed(object)     the Splits of the current SplitPlan (or None)
        preprocessing_changed(dict)  preprocessing settings (Preprocessor kwargs)
        input_shape_changed(object)  the model's input shape once preprocessing is fitted (or None)
        model_changed(object)      the ModelSpec (or None) after an edit
        head_changed(object)       the chosen Head (or None)
        train_settings_changed(dict)  optimizer / lr / batch size / epochs / early stopping ...
        run_finished(dict)         a finished run (a RunRecord's dict), from any panel
        runs_reset(list)           the runs of a project just opened (or none: a new project)
        guide_changed(dict)        the workflow guide's answers and chosen metric
        device_changed(object)     DeviceInfo once probed in the background
        dirty_changed(bool)        the project has unsaved changes
        panel_requested(str)       a panel asks the window to show the panel of this title
                                   ("Experiments/guide": a part of it, see ``Panel.show_part``)
        use_requested(dict)        "Try it": the Use panel opens this run (a RunRecord's dict of ``runs``);
                                   also kept in ``run_to_use`` for a Use panel built later
        project_requested(str)     a panel asks the window to open this project folder ("" = ask the
                                   user with a folder dialog; "new" = a new project)
        help_requested(str)        a panel asks for this page of the user guide ("" = its start)
        data_requested(dict)       a panel asks the Data panel to load this (load_data's arguments,
                                   e.g. {"source": "builtin:iris"}); sent after panel_requested("Data")

    The state's values (``ctx.dataset``, ``ctx.runs``, ...) are properties reading ``ctx.state``
    and its setters (``ctx.set_dataset(...)``, ``ctx.add_run(...)``) are the state's own;
    ``ctx.sections`` is the typed project state (what project.json stores).
    """

    dataset_changed = Signal(object)
    splits_changed = Signal(object)
    preprocessing_changed = Signal(object)
    input_shape_changed = Signal(object)
    model_changed = Signal(object)
    head_changed = Signal(object)
    train_settings_changed = Signal(object)
    runs_reset = Signal(object)
    guide_changed = Signal(object)

    status_message = Signal(str)
    project_changed = Signal()
    project_saving = Signal(str)
    run_finished = Signal(dict)
    device_changed = Signal(object)
    dirty_changed = Signal(bool)
    panel_requested = Signal(str)
    use_requested = Signal(object)  # object: the very dict of ``runs`` (Signal(dict) would copy it)
    data_requested = Signal(dict)
    project_requested = Signal(str)
    help_requested = Signal(str)
    _device_probed = Signal(object)  # internal: from the probe thread to the GUI thread

    def __init__(self, parent: QObject | None = None, project_dir: str | Path | None = None,
                 state: WorkbenchState | None = None):
        super().__init__(parent)
        self.project: Any = None  # workbench.core.project.Project
        self.project_dir: Path | None = Path(project_dir) if project_dir else None
        self.state = state or WorkbenchState()
        for name in RELAYED:
            getattr(self.state, name).connect(getattr(self, name).emit)
        self.state.run_added.connect(self.run_finished.emit)
        self.state.changed.connect(self.mark_dirty)
        self._device_info: Any = None
        self._probe_thread: threading.Thread | None = None
        self._dirty = False
        self.run_to_use: dict | None = None
        self._device_probed.connect(self._on_device_probed)

    # -- the state's values (read-only here; change them through the setters below) -------------
    @property
    def sections(self) -> ProjectState:
        return self.state.sections

    @property
    def dataset(self) -> Any:
        return self.state.dataset

    @property
    def dataset_source(self) -> dict:
        return self.state.dataset_source

    @property
    def split_plan(self) -> str:
        return self.state.split_plan

    @property
    def split_options(self) -> dict:
        return self.state.split_options

    @property
    def splits(self) -> Any:
        return self.state.splits

    @property
    def preprocessing(self) -> dict:
        return self.state.preprocessing

    @property
    def input_shape(self) -> tuple | None:
        return self.state.input_shape

    @property
    def model_spec(self) -> Any:
        return self.state.model_spec

    @property
    def head(self) -> Any:
        return self.state.head

    @property
    def train_settings(self) -> dict:
        return self.state.train_settings

    @property
    def runs(self) -> list[dict]:
        return self.state.runs

    @property
    def guide(self) -> dict:
        return self.state.guide

    # -- the state's setters -----------------------------------------------------------------------
    def set_dataset(self, dataset, source: dict | str | None = None) -> None:
        self.state.set_dataset(dataset, source)

    def set_splits(self, splits, plan: str | None = None, options: dict | None = None) -> None:
        self.state.set_splits(splits, plan, options)

    def set_preprocessing(self, settings: dict) -> None:
        self.state.set_preprocessing(settings)

    def set_input_shape(self, shape) -> None:
        self.state.set_input_shape(shape)

    def set_model_spec(self, spec) -> None:
        self.state.set_model_spec(spec)

    def set_head(self, head) -> None:
        self.state.set_head(head)

    def set_train_settings(self, settings: dict) -> None:
        self.state.set_train_settings(settings)

    def add_run(self, run: dict, weights: dict | None = None) -> None:
        self.state.add_run(run, weights)

    def set_guide(self, answers: dict | None = None, metric: str | None = None) -> None:
        self.state.set_guide(answers, metric)

    def status(self, text: str) -> None:
        self.status_message.emit(str(text))

    def request_use(self, run: dict) -> None:
        """Open the Use panel on this run (no save needed)."""
        self.run_to_use = run
        self.use_requested.emit(run)
        self.panel_requested.emit("Use")

    # -- dirty flag ------------------------------------------------------------------------------
    @property
    def dirty(self) -> bool:
        return self._dirty

    @Slot()
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
