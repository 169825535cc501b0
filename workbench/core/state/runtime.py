"""The application's live state: the typed project sections plus what is computed from them.

As napari keeps its evented models outside Qt, the open project lives here: ``sections`` (a
``ProjectState``: data source, split, preprocessing, model, training, guide, each case study; what
project.json stores) and the objects made from them: the loaded data set, its splits, the fitted
input shape, the ModelSpec and Head, and the runs. Each has a psygnal ``Signal`` that fires after
it changes. The desktop app's ``AppContext`` adapts these events to Qt signals; scripts, the
self-test and tests use ``WorkbenchState`` directly.

Setting a value that other values depend on clears them: a new data set drops its splits and input
shape (they belonged to the old data), so no reader can combine a new data set with an old plan.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any

from psygnal import Signal

from workbench.core.state.project_state import ProjectState
from workbench.core.state.sections import DataSection

DEFAULT_SPLIT = "holdout:0.2,0.2"
# the course's defaults: standardized tables, images in [0, 1], "was missing" indicators, text read
# as token sequences when the model starts with an Embedding (else a bag of words)
DEFAULT_PREPROCESSING = {"scale": "auto", "missing": "indicator", "vocab_size": 10000, "text": {"mode": "auto"}}


class WorkbenchState:
    """Signals (payload in parentheses), each emitted after the value changed:

    dataset_changed(Dataset | None)     splits_changed(Splits | None)
    preprocessing_changed(dict)         input_shape_changed(tuple | None)
    model_changed(ModelSpec | None)     head_changed(Head | None)
    train_settings_changed(dict)        run_added(dict: a RunRecord's dict)
    runs_reset(list)                    guide_changed(dict)
    changed()                           after any of the above (the project has unsaved changes)
    """

    dataset_changed = Signal(object)
    splits_changed = Signal(object)
    preprocessing_changed = Signal(dict)
    input_shape_changed = Signal(object)
    model_changed = Signal(object)
    head_changed = Signal(object)
    train_settings_changed = Signal(dict)
    run_added = Signal(object)
    runs_reset = Signal(list)
    guide_changed = Signal(dict)
    changed = Signal()

    def __init__(self, sections: ProjectState | None = None):
        self.sections = sections or ProjectState()
        self.dataset: Any = None
        self.splits: Any = None
        self.input_shape: tuple | None = None  # model input shape after preprocessing (known once fitted)
        self.model_spec: Any = None
        self.head: Any = None
        self.runs: list[dict] = []
        self._unsaved_weights: dict[int, dict] = {}  # id(run dict) -> weights of a run not stored yet
        self._muted = False
        self._preprocessor: tuple | None = None  # (fitted Preprocessor, the Splits it was fitted for)
        self.sections.changed.connect(self._section_changed)

    def _section_changed(self, _key: str) -> None:
        if not self._muted:
            self.changed.emit()

    @contextmanager
    def _quietly(self):
        """Section edits made by a setter, which emits ``changed`` once itself."""
        muted, self._muted = self._muted, True
        try:
            yield
        finally:
            self._muted = muted

    @property
    def replacing(self) -> bool:
        """Sections are being set by a setter or replaced (a project opened, a new one): a bound
        panel waits for the setter's own signal or for its ``load_state``."""
        return self._muted

    # ---- values read from the sections -------------------------------------------------------
    @property
    def dataset_source(self) -> dict:
        """load_data's arguments of the data set (the data section's request)."""
        return self.sections.data.request()

    @property
    def split_options(self) -> dict:
        return self.sections.split.to_dict()

    @property
    def split_plan(self) -> str:
        return self.sections.split.plan().to_text()

    @property
    def preprocessing(self) -> dict:
        return self.sections.preprocessing.settings()

    @property
    def train_settings(self) -> dict:
        return self.sections.training.settings()

    @property
    def guide(self) -> dict:
        return {"answers": dict(self.sections.guide.answers), "metric": self.sections.guide.metric}

    # ---- caches keyed by their sections -------------------------------------------------------
    def current_splits(self):
        """The splits of the loaded data set when they were made by the split section's plan as it
        is now (None after the section changed: a run then splits again)."""
        from workbench.core.errors import WorkbenchError

        if self.splits is None:
            return None
        try:
            return self.splits if self.splits.plan == self.sections.split.plan() else None
        except WorkbenchError:
            return None

    def set_preprocessor(self, preprocessor, splits) -> None:
        """Keep a Preprocessor fitted on ``splits.fit_idx`` (the Data panel's preview) for the
        next run; it is dropped with its data set or splits."""
        self._preprocessor = (preprocessor, splits) if preprocessor is not None and splits is not None else None

    def current_preprocessor(self):
        """The kept Preprocessor when it was fitted for the current splits (a run still checks its
        settings against its own and refits when they differ)."""
        if self._preprocessor is None:
            return None
        pre, splits = self._preprocessor
        return pre if splits is not None and splits is self.current_splits() else None

    # ---- setters (the only way values change) ----------------------------------------------
    def set_dataset(self, dataset, source: dict | str | None = None) -> None:
        src = source or getattr(dataset, "source", None) or {}
        if isinstance(src, str):
            src = {"source": src}
        with self._quietly():
            self.sections.data.update(DataSection.request_values(src))
        self.dataset = dataset
        self.splits = None
        self._preprocessor = None
        self.input_shape = None
        self.dataset_changed.emit(dataset)
        self.changed.emit()

    def set_splits(self, splits, plan: str | None = None, options: dict | None = None) -> None:
        if plan is not None and options is None:
            from workbench.core.data import SplitPlan

            options = SplitPlan.parse(plan).to_dict()
        if options is not None:
            with self._quietly():
                self.sections.split.update(options, strict=False)
        self.splits = splits
        self._preprocessor = None
        self.splits_changed.emit(splits)
        self.changed.emit()

    def _set(self, attr: str, value, signal, payload=None) -> None:
        setattr(self, attr, value)
        signal.emit(value if payload is None else payload)
        self.changed.emit()

    def set_preprocessing(self, settings: dict) -> None:
        with self._quietly():
            self.sections.preprocessing.replace_with(type(self.sections.preprocessing).from_dict(settings))
        self.preprocessing_changed.emit(self.preprocessing)
        self.changed.emit()

    def set_input_shape(self, shape) -> None:
        shape = tuple(shape) if shape is not None else None
        if shape == self.input_shape:
            return
        self.input_shape = shape
        self.input_shape_changed.emit(shape)

    def set_model_spec(self, spec) -> None:
        with self._quietly():
            self.sections.model.spec = spec.to_dict() if spec is not None and hasattr(spec, "to_dict") else None
        self._set("model_spec", spec, self.model_changed)

    def set_head(self, head) -> None:
        self._set("head", head, self.head_changed)

    def set_train_settings(self, settings: dict) -> None:
        with self._quietly():
            sec = self.sections.training
            sec.replace_with(type(sec).from_dict(settings))
        self.train_settings_changed.emit(self.train_settings)
        self.changed.emit()

    def add_run(self, run: dict, weights: dict | None = None) -> None:
        """A finished run (a RunRecord's dict). ``weights`` are kept with a run that is not stored
        yet (no project folder): ``store_runs`` writes them when the project is saved."""
        self.runs.append(run)
        if weights is not None and not run.get("run_id"):
            self._unsaved_weights[id(run)] = weights
        self.changed.emit()  # first: a listener of run_added may save the project (and clear "unsaved")
        self.run_added.emit(run)

    def run_weights(self, run: dict) -> dict | None:
        """The weights kept with a run that is not stored yet (None for stored runs)."""
        return self._unsaved_weights.get(id(run))

    def reset_runs(self, runs: list[dict]) -> None:
        """The runs of a project just opened (no unsaved change)."""
        self.runs = list(runs)
        self._unsaved_weights = {}
        self.runs_reset.emit(list(self.runs))

    def load_runs(self, project_dir) -> list[dict]:
        """Replace the runs by those stored in ``project_dir`` (oldest first); returns the damaged
        ones as {"run_id", "error"} (they are listed as messages, never loaded)."""
        from workbench.core.runs import RunStore

        good, damaged = RunStore(project_dir).records()
        self.reset_runs([r.to_dict() for r in good])
        return damaged

    def store_runs(self, project_dir, previous_dir=None) -> list[str]:
        """Store in ``project_dir`` the runs that are not there: runs made before the project had
        a folder (with their kept weights), and on "Save as" the runs of ``previous_dir``. Sets
        the run ids of newly stored runs; returns one sentence per run that could not be stored."""
        from pathlib import Path

        from workbench.core.errors import WorkbenchError
        from workbench.core.runs import RunRecord, RunStore

        store = RunStore(project_dir)
        moved = previous_dir is not None and Path(previous_dir).resolve() != Path(project_dir).resolve()
        problems = []
        for run in self.runs:
            try:
                if not run.get("run_id"):
                    rec = RunRecord.from_dict(run)
                    store.save(rec, self._unsaved_weights.pop(id(run), None))
                    run.update(rec.to_dict())  # its id, creation time and versions
                elif moved and not store.exists(run["run_id"]):
                    store.copy_from(RunStore(previous_dir), run["run_id"])  # Save As: the runs go with the project
            except WorkbenchError as e:
                problems.append(f"Run {run.get('name') or run.get('run_id') or ''} was not stored: {e}")
        return problems

    def set_guide(self, answers: dict | None = None, metric: str | None = None) -> None:
        with self._quietly():
            if answers is not None:
                self.sections.guide.answers = dict(answers)
            if metric is not None:
                self.sections.guide.metric = metric
        self.guide_changed.emit(self.guide)
        self.changed.emit()

    def clear(self) -> None:
        """A new, empty project."""
        with self._quietly():
            self.sections.reset()
        self.set_dataset(None, {})
        self.set_preprocessing(dict(DEFAULT_PREPROCESSING))
        self.set_model_spec(None)
        self.set_head(None)
        self.set_train_settings({})
        self.reset_runs([])
        self.guide_changed.emit(self.guide)

    def load_sections(self, sections: ProjectState) -> None:
        """Take the sections of a project just opened (already checked): the runtime objects made
        from the old ones are dropped; the panels rebuild them from the sections."""
        with self._quietly():
            self.sections.replace_with(sections)
        self.dataset, self.splits, self.input_shape, self.model_spec, self.head = None, None, None, None, None
        for sig, value in ((self.dataset_changed, None), (self.splits_changed, None), (self.model_changed, None),
                           (self.head_changed, None), (self.preprocessing_changed, self.preprocessing),
                           (self.train_settings_changed, self.train_settings), (self.guide_changed, self.guide)):
            sig.emit(value)
