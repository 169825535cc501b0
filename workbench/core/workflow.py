"""The whole training workflow, shared by the GUI and the CLI.

``run_training(cfg)`` = load -> summarize -> split -> preprocess (fitted on training rows only) ->
head choice + warnings -> build (SpecError before any training) -> baseline -> fit (or
cross-validate) -> test once -> diagnose -> save the run. It is a ``TrainTask`` carried out by
the one task runner (``core.tasks.run_task``) that every case study and explore trainer uses too;
the steps are also functions of their own:

    ds = load_dataset(cfg)                     # slow for image folders: progress / cancel callbacks
    prep = prepare_data(cfg, ds)               # PreparedData: summary, splits, task, head, arrays
    built = build_model_for(cfg, prep)         # BuiltModel: spec, nn.Module, layer summary
    base = compute_baseline(prep)
    result = run_training(cfg, callbacks=[bridge], trainer=trainer, dataset=ds)   # RunResult (saved)

``workbench.core.search.run_search`` is the hyperparameter search on the same steps (validation or
folds only).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import numpy as np

from workbench.core.errors import DataError, SpecError

Status = Callable[[str], None]

# Training settings a preset was designed with (the book's, for the IMDB family). Anything the
# user sets explicitly (RunConfig.train) wins over these.
PRESET_TRAIN_DEFAULTS: dict[str, dict[str, Any]] = {
    "imdb": {"epochs": 20, "batch_size": 512, "optimizer": "rmsprop", "lr": 1e-3},
    "imdb-gru": {"epochs": 6, "batch_size": 64, "optimizer": "adam", "lr": 2e-3},
    "imdb-conv1d": {"epochs": 6, "batch_size": 64, "optimizer": "adam", "lr": 1e-3},
    "digits-cnn": {"epochs": 10, "batch_size": 32, "optimizer": "adam", "lr": 1e-3},
    "shallow-cnn": {"epochs": 15, "batch_size": 32, "optimizer": "adam", "lr": 1e-3},
    "mlp": {"epochs": 30, "batch_size": 32, "optimizer": "adam", "lr": 1e-3},
}
GENERIC_TRAIN_DEFAULTS: dict[str, Any] = {"epochs": 20, "batch_size": 32, "optimizer": "adam", "lr": 1e-3}


@dataclass
class RunConfig:
    """Everything needed to repeat a run (JSON-friendly; ``to_dict``/``from_dict``).

    data        "builtin:NAME", an image folder, a CSV file (``target``/``time_column``; ``columns``
                overrides detected column kinds, {"age": "categorical"}) or a text CSV
                (``text_column`` + ``target`` as the label column; a CSV whose only input is free
                text needs neither).
    scale, missing, vocab_size, text   preprocessing (Preprocessor's arguments; defaults follow the
                course: standardized tables, [0, 1] images, "was missing" indicators; ``text`` holds
                TextOptions: mode "auto" reads token sequences when the model starts with an Embedding)
    split       SplitPlan text: holdout:0.2,0.2 | kfold:5 | iterated-kfold:3x5 | time:0.2,0.2
    task        "auto" or a task name (binary, multiclass, multilabel, regression, regression01, ...)
    model       preset name, path of a spec .json, or a spec dict; None picks one for the data kind
    head        optional {"activation": ..., "loss": ...} to override the task's default head
    train       TrainConfig fields the user set; the rest come from the preset's defaults
    name        the user's label for the run ("" = none)
    """

    data: str
    target: str | None = None
    time_column: str | None = None
    text_column: str | None = None
    image_size: tuple[int, int] = (64, 64)
    split: str = "holdout:0.2,0.2"
    drop_duplicates: bool = False
    scale: str = "auto"
    missing: str = "indicator"
    vocab_size: int = 10000
    text: dict = field(default_factory=dict)
    columns: dict | None = None
    task: str = "auto"
    model: str | dict | None = None
    head: dict | None = None
    train: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    device: str = "auto"
    project: str | None = None
    name: str = ""
    augment: dict | None = None  # augmentation of the training batches (core/data/augment.py), None = off
    clip_seconds: float = 1.0  # sound folders: every clip is cut or padded to this length

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["image_size"] = list(self.image_size)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunConfig":
        from workbench.core.jsonio import from_fields

        cfg = from_fields(cls, d)
        cfg.image_size = tuple(cfg.image_size)
        return cfg


@dataclass
class PreparedData:
    """Data after loading, splitting and preprocessing (the arrays are model-ready float32)."""

    dataset: Any
    summary: Any
    plan: Any
    splits: Any
    task: str
    head: Any
    head_warnings: list[str]
    warnings: list[str]
    n_classes: int | None
    output_shape: tuple
    input_shape: tuple = ()
    preprocessor: Any = None  # fitted on the training rows (hold-out / time) or on all non-test rows (CV)
    train: tuple | None = None  # (X, y) hold-out / time plans
    val: tuple | None = None
    test: tuple | None = None
    cross_validation: bool = False

    def fold_data(self, cfg: RunConfig) -> Callable:
        """data(train_idx, eval_idx) for cross_validate: preprocessing fitted per fold on train_idx."""
        ds = self.dataset

        def data(train_idx, eval_idx):
            pre = _preprocessor(cfg, model_reads_tokens(cfg)).fit(ds, train_idx)
            return ((model_inputs(pre, ds, train_idx), ds.y[train_idx]),
                    (model_inputs(pre, ds, eval_idx), ds.y[eval_idx]))

        return data

    @property
    def mode(self) -> str:
        if self.cross_validation:
            return "cv"
        return "time" if str(getattr(self.plan, "kind", "")).startswith("time") else "holdout"


@dataclass
class BuiltModel:
    spec: Any
    model: Any
    summary: Any
    name: str | None
    make: Callable[[int], Any]  # seed -> a fresh model of the same spec


@dataclass
class RunResult:
    """What one run of the workflow produced: its record (saved when there is a project) and the
    objects behind it (data, model, trained model, diagnosis) for callers that go on using them."""

    record: Any  # RunRecord
    prepared: PreparedData
    built: BuiltModel
    trained: Any  # TrainedModel
    diagnosis: Any

    @property
    def run_id(self) -> str | None:
        return self.record.run_id

    @property
    def test_metrics(self) -> dict[str, Any] | None:
        return self.record.test_metrics

    @property
    def baseline(self) -> dict[str, Any]:
        return self.record.baseline

    def weights(self) -> dict | None:
        return self.trained.weights() if self.trained is not None else None

    def to_json(self) -> dict[str, Any]:
        """The CLI's --json object."""
        r = self.record
        return {
            "run_id": r.run_id,
            "task": r.task,
            "baseline": r.baseline,
            "history": r.history,
            "best_epoch": r.best_epoch,
            "stop_reason": r.stop_reason,
            "message": r.message,
            "diagnosis": r.diagnosis,
            "test_metrics": r.test_metrics,
            "cross_validation": _cv_brief(r.cross_validation),
            "search": r.search,
            "warnings": r.warnings,
            "time": r.time,
        }


def _cv_brief(cv):
    if not cv:
        return None
    return {"mean": cv.get("mean"), "std": cv.get("std"), "final_epochs": cv.get("final_epochs"),
            "folds": [{k: f.get(k) for k in ("repeat", "fold", "best_epoch", "scores")} for f in cv.get("folds", [])]}


def _say(on_status: Status | None, msg: str) -> None:
    if on_status:
        on_status(msg)


def _preprocessor(cfg: RunConfig, sequence: bool = False):
    from workbench.core.data import Preprocessor, TextOptions

    text = TextOptions.from_dict(cfg.text or {}).resolved(sequence)
    return Preprocessor(scale=cfg.scale, missing=cfg.missing, vocab_size=cfg.vocab_size, text=text)


def check_token_input(spec, pre) -> None:
    """A spec that starts with an Embedding needs text as token sequences: SpecError otherwise."""
    from workbench.core.models import wants_token_ids

    if not wants_token_ids(spec) or pre is None:
        return
    if pre.kind != "text":
        raise SpecError(f"layer 1 (Embedding) reads the token ids of a text, but this data is {pre.kind} data; "
                        "remove the Embedding layer or load a text data set.", layer_index=0)
    if pre.token_count is None:
        raise SpecError("layer 1 (Embedding) reads token sequences, but the text is turned into a bag of words; "
                        "choose the text representation 'sequence' (or 'auto').", layer_index=0)


def model_reads_tokens(cfg: RunConfig) -> bool:
    """True when the run's model starts with an Embedding (text then goes in as token sequences)."""
    from workbench.core.errors import WorkbenchError
    from workbench.core.models import ModelSpec, load_spec, wants_token_ids

    if cfg.model is None:
        return False
    try:
        spec = ModelSpec.from_dict(cfg.model) if isinstance(cfg.model, (dict, list)) else load_spec(cfg.model)
    except WorkbenchError:
        return False  # the build step reports a bad spec
    return wants_token_ids(spec)


# ------------------------------------------------------------------------------------------------
# steps


def load_dataset(cfg: RunConfig, progress=None, should_cancel=None):
    from workbench.core.data import load_data

    kind = "auto"  # how a CSV reads its target column: as classes or as numbers
    if cfg.task and cfg.task != "auto" and not cfg.text_column:
        kind = "regression" if str(cfg.task).startswith("regression") else "classification"
    return load_data(cfg.data, target=cfg.target, time_column=cfg.time_column, text_column=cfg.text_column,
                     image_size=tuple(cfg.image_size), progress=progress, should_cancel=should_cancel, task=kind,
                     columns=cfg.columns or None, clip_seconds=cfg.clip_seconds)


def choose_head(cfg: RunConfig, ds) -> tuple[str, Any, list[str]]:
    """(task, head, warnings): the task from the targets unless overridden, its default head,
    or the user's activation/loss with the reasons it is a poor match."""
    from workbench.core.models import Head, check_head, default_head, infer_task

    if cfg.task and cfg.task != "auto":
        task = cfg.task
    else:
        task = infer_task(ds.y, ds.class_names)
    if cfg.head:
        head = Head(task, cfg.head.get("activation", default_head(task).activation),
                    cfg.head.get("loss", default_head(task).loss_name), "chosen by the user")
        warns = check_head(task, head.activation, head.loss_name)
    else:
        head = default_head(task)
        warns = []
    return task, head, warns


def model_inputs(pre, ds, idx):
    """The fitted preprocessing applied to rows ``idx``: a float32 array, or, for images streamed
    from the on-disk cache (``ds.X`` a memory map), ``ImageBatches`` converting one batch at a time."""
    if ds.kind == "image" and isinstance(ds.X, np.memmap):
        from workbench.core.data.batches import ImageBatches

        return ImageBatches(ds.X, idx, pre)
    return pre.transform(ds, idx)


def _same_settings(a, b) -> bool:
    """Two Preprocessors configured alike (scaling, missing values, vocabulary, text options)."""
    return ((a.scale, a.missing, a.vocab_size, a.text.to_dict())
            == (b.scale, b.missing, b.vocab_size, b.text.to_dict()))


def prepare_data(cfg: RunConfig, ds=None, on_status: Status | None = None, *, splits=None,
                 preprocessor=None) -> PreparedData:
    """Load (unless ``ds`` is given), split, choose the head and fit the preprocessing.

    ``splits`` made of ``ds`` by this config's plan (the app's cached split) are used as they are,
    and so is a ``preprocessor`` fitted on their fit rows with this config's settings; anything
    that does not match is computed again."""
    from workbench.core.data import SplitPlan, summarize

    if ds is None:
        _say(on_status, f"Loading {cfg.data} ...")
        ds = load_dataset(cfg)
    summary = summarize(ds)
    if ds.is_classification and np.asarray(ds.y).ndim == 1 and len(np.unique(ds.y)) < 2:
        name = ds.class_names[int(np.asarray(ds.y)[0])] if len(ds.y) else "?"
        raise DataError(f"The data contain only one class ({name!r}); a classifier needs at least two.")
    plan = SplitPlan.parse(cfg.split) if isinstance(cfg.split, str) else SplitPlan.from_dict(cfg.split)
    if isinstance(cfg.split, str) and "seed=" not in cfg.split:
        plan = dataclasses.replace(plan, seed=cfg.seed)
    if cfg.drop_duplicates:
        plan = dataclasses.replace(plan, drop_duplicates=True)
    if splits is None or splits.plan != plan:
        _say(on_status, f"Splitting: {plan.describe()}")
        splits, preprocessor = plan.make(ds), None
    task, head, head_warnings = choose_head(cfg, ds)
    if cfg.scale != "none":  # numbers to predict are standardized like the inputs (on the training rows)
        fit_rows = splits.rest_idx if plan.kind in ("kfold", "iterated-kfold", "time-kfold") else splits.train_idx
        head = head.with_target_scaling(np.asarray(ds.y)[fit_rows])
    n_classes = len(ds.class_names) if ds.class_names is not None else None
    output_shape = tuple(head.output_shape(ds.y, n_classes))
    cv = plan.kind in ("kfold", "iterated-kfold", "time-kfold")
    prep = PreparedData(dataset=ds, summary=summary, plan=plan, splits=splits, task=task, head=head,
                    head_warnings=head_warnings, warnings=[], n_classes=n_classes,
                    output_shape=output_shape, cross_validation=cv)
    pre = _preprocessor(cfg, model_reads_tokens(cfg))
    if preprocessor is not None and preprocessor.fitted and _same_settings(preprocessor, pre):
        pre = preprocessor
    else:
        _say(on_status, "Preprocessing (fitted on the training rows only) ...")
        pre.fit(ds, splits.fit_idx)
    prep.preprocessor = pre
    prep.input_shape = tuple(pre.output_shape)
    if not cv:
        y = np.asarray(ds.y)
        prep.train = (model_inputs(pre, ds, splits.train_idx), y[splits.train_idx])
        if len(splits.val_idx):
            prep.val = (model_inputs(pre, ds, splits.val_idx), y[splits.val_idx])
        if len(splits.test_idx):
            prep.test = (model_inputs(pre, ds, splits.test_idx), y[splits.test_idx])
    prep.warnings = list(summary.warnings) + list(splits.warnings) + list(pre.warnings) + list(head_warnings)
    return prep


FEW_PER_CLASS = 100  # below this many images in the smallest class, a pretrained network is the default


def default_model_choice(kind: str, input_shape: tuple, class_counts=None) -> tuple[str, str]:
    """(preset name, why) for a data kind, its model input shape and its samples per class: the
    one rule the Model panel and the command line share."""
    if kind == "text":
        return "imdb", "Text: a multi-hot vector of the vocabulary into two Dense layers (the book's IMDB network)."
    if kind == "audio":
        return "audio-cnn", "Sounds: a small Conv2D network over the log-mel spectrogram."
    if kind == "image":
        counts = [int(c) for c in (class_counts or []) if int(c) > 0]
        side = max(input_shape[-2:], default=0)
        few = min(counts) if counts else None
        if few is not None and few < FEW_PER_CLASS and side >= 16:
            return "pretrained-small", (
                f"Only {few} images in the smallest class: a network trained from scratch would mostly memorize "
                "them, while a frozen ImageNet MobileNetV2 already knows edges, textures and object parts, so only "
                "a small head is trained (features computed once and cached: seconds on a CPU).")
        if side <= 32:
            return "digits-cnn", "Small images with enough examples per class: a small CNN trained from scratch."
        return "shallow-cnn", "Enough images per class: a shallow CNN trained from scratch."
    return "mlp", "Tables: a multilayer perceptron (Dense 64, Dropout, Dense 64)."


def default_model_name(kind: str, input_shape: tuple, class_counts=None) -> str:
    return default_model_choice(kind, input_shape, class_counts)[0]


def train_class_counts(dataset, splits) -> list[int] | None:
    """Samples per class on the rows a model trains on (all non-test rows for K folds); None when
    the targets are not single class labels."""
    y = np.asarray(dataset.y)
    if dataset.class_names is None or y.ndim != 1 or splits is None:
        return None
    idx = splits.rest_idx if len(splits.folds) > 1 else splits.train_idx
    return np.bincount(y[idx], minlength=len(dataset.class_names)).tolist()


def _class_counts(prep: PreparedData):
    return train_class_counts(prep.dataset, prep.splits)


def default_model(kind: str, input_shape: tuple, output_shape: tuple | None = None, class_counts=None,
                  name: str | None = None):
    """(name, spec) of the default preset for the data (``default_model_choice``: the Model panel
    suggests what the command line trains), or of the preset ``name``. A preset that ends in its
    own output layer (the IMDB network's Dense 1 sigmoid) loses it when the targets need another
    number of outputs: the head then adds the right one, so any label count fits."""
    from workbench.core.models import get_preset
    from workbench.core.models.spec import canonical_activation, canonical_type

    name = name or default_model_name(kind, input_shape, class_counts)
    spec = get_preset(name)
    if output_shape and spec.layers:
        last = spec.layers[-1]
        units = int(last.params.get("units") or 0)
        if (canonical_type(last.type) == "Dense" and canonical_activation(last.activation) in ("sigmoid", "softmax")
                and units != int(tuple(output_shape)[-1])):
            spec.layers = spec.layers[:-1]
    return name, spec


def resolve_spec(cfg: RunConfig, prep: PreparedData):
    """(spec, name): a preset, a spec file or a spec dict; None picks one for the data kind."""
    from workbench.core.models import ModelSpec, load_spec

    model = cfg.model
    if model is None:
        name, spec = default_model(prep.dataset.kind, prep.input_shape, prep.output_shape, _class_counts(prep))
        return spec, name
    if isinstance(model, dict):
        spec = ModelSpec.from_dict(model)
        return spec, getattr(spec, "name", None) or "custom"
    spec = load_spec(model)
    return spec, (Path(model).stem if str(model).lower().endswith(".json") else str(model))


def input_shape_for(dataset, preprocessing: dict | None = None, splits=None, sequence: bool = False) -> tuple:
    """The model's per-sample input shape: the preprocessing fitted as a run fits it (on the
    training rows of ``splits``, or on every row without a split); ``sequence`` when the model
    reads text as token sequences (it starts with an Embedding)."""
    pre = _preprocessor(RunConfig(data="", **_preprocessing_kwargs(preprocessing)), sequence)
    return tuple(pre.fit(dataset, splits.fit_idx if splits is not None else None).output_shape)


def _preprocessing_kwargs(settings: dict | None) -> dict:
    """RunConfig's preprocessing fields from the app's preprocessing settings (the state's defaults)."""
    s = settings or {}
    return {"scale": s.get("scale", "auto"), "missing": s.get("missing", "indicator"),
            "vocab_size": int(s.get("vocab_size", 10000)), "text": dict(s.get("text") or {}),
            "augment": s.get("augment") or None}


def config_from_state(state, *, name: str = "", project: str | Path | None = None) -> RunConfig:
    """The RunConfig of what the app's state holds (a WorkbenchState, or the AppContext over it).

    It is the config ``workbench train`` builds for the same choices, written the way the command
    line writes it (a preset by name, the task and head left "auto" when they are the ones the
    data suggest, only the training settings that are set, the split seed only when it differs
    from the run's), so the GUI and the CLI store the same RunRecord for the same run. Raises a
    WorkbenchError naming what is missing; a model that cannot fit the data's shapes raises its
    SpecError here, before any thread starts."""
    from workbench.core.errors import TrainingError
    from workbench.core.models import default_head, get_preset, infer_task, summarize_model

    ds = state.dataset
    if ds is None:
        raise TrainingError("Load a data set in the Data panel first.")
    if state.splits is None:
        raise TrainingError("Make a split in the Data panel first (the Split tab).")
    spec = state.model_spec
    if spec is None or not getattr(spec, "layers", None):
        raise SpecError("Choose a model in the Model panel first (a preset or your own layers).")
    inferred = infer_task(ds.y, ds.class_names)
    head = state.head or default_head(inferred)
    if state.input_shape:
        n = len(ds.class_names) if ds.class_names else None
        summarize_model(spec, tuple(state.input_shape), head.output_shape(ds.y, n), head)
    train = {k: v for k, v in (state.train_settings or {}).items() if v is not None}
    seed = int(train.get("seed", 0) or 0)
    from workbench.core.data import SplitPlan

    plan = SplitPlan.from_dict(state.split_options)  # the split section
    split = plan.to_text(seed=plan.seed != seed, drop_duplicates=False)  # as the command line writes it
    model: str | dict = spec.to_dict()
    try:
        if spec.name and get_preset(spec.name).to_dict() == model:
            model = spec.name
    except SpecError:
        pass  # not a preset: the spec itself
    task = "auto" if head.task == inferred else head.task
    suggested = default_head(head.task)
    head_cfg = None
    if (head.activation, head.loss_name) != (suggested.activation, suggested.loss_name):
        head_cfg = {"activation": head.activation, "loss": head.loss_name}
    src = state.dataset_source or {}
    return RunConfig(
        data=str(src.get("source") or ""), target=src.get("target"), time_column=src.get("time_column"),
        text_column=src.get("text_column"), image_size=tuple(src.get("image_size") or (64, 64)), split=split,
        drop_duplicates=bool(plan.drop_duplicates), **_preprocessing_kwargs(state.preprocessing),
        columns=src.get("columns") or None, task=task, model=model, head=head_cfg, train=train, seed=seed,
        project=str(project) if project else None, name=name)


def small_data_batch(batch_size: int, n_train: int | None) -> int:
    """A preset's batch size for ``n_train`` training rows: at least ~16 steps per epoch, so a
    preset made for 25,000 reviews (batch 512) still learns from a file of 1,000 sentences."""
    if not n_train:
        return batch_size
    fit = 2 ** int(np.floor(np.log2(max(n_train / 16, 1))))
    return int(max(min(batch_size, 32), min(batch_size, fit)))


def preset_train_defaults(model_name: str | None) -> dict[str, Any]:
    """The training settings a preset was designed with ({} for other models); the IMDB family
    shares the book's unless a member has its own."""
    key = (model_name or "").lower()
    if key.startswith("imdb") and key not in PRESET_TRAIN_DEFAULTS:
        key = "imdb"
    return dict(PRESET_TRAIN_DEFAULTS.get(key, {}))


def resolve_train_config(cfg: RunConfig, model_name: str | None, *, keep_one_core_free: bool = False,
                         n_train: int | None = None):
    """The TrainConfig of a run: generic defaults < the preset's own < what the user set. The
    desktop app keeps one core free for the window (``keep_one_core_free``). With ``n_train`` a
    preset's batch size shrinks for small data sets (``small_data_batch``) unless the user set one."""
    from workbench.core.device import training_threads
    from workbench.core.training import TrainConfig

    base = dict(GENERIC_TRAIN_DEFAULTS)
    base.update(preset_train_defaults(model_name))
    base["batch_size"] = small_data_batch(int(base["batch_size"]), n_train)
    base.update({k: v for k, v in (cfg.train or {}).items() if v is not None})
    if "seed" not in (cfg.train or {}):
        base["seed"] = cfg.seed
    if base.get("threads") is None:
        base["threads"] = training_threads(keep_one_free=keep_one_core_free)
    base.setdefault("settle_batchnorm", True)  # small data: BatchNorm statistics re-estimated before evaluating
    return TrainConfig.from_dict(base)


def build_model_for(cfg: RunConfig, prep: PreparedData, on_status: Status | None = None) -> BuiltModel:
    from workbench.core.models import build_model, summarize_model, with_token_count
    from workbench.core.training import seed_everything

    from workbench.core.data.augment import make_augmenter

    spec, name = resolve_spec(cfg, prep)
    check_token_input(spec, prep.preprocessor)
    if prep.preprocessor is not None and prep.preprocessor.kind == "text":
        spec = with_token_count(spec, prep.preprocessor.token_count)  # the record rebuilds the same model
    summary = summarize_model(spec, prep.input_shape, prep.output_shape, prep.head)  # SpecError names the layer
    _check_pretrained_scaling(spec, prep.preprocessor.effective_scale if prep.preprocessor is not None
                              else cfg.scale)
    augmenter = make_augmenter(cfg.augment, prep.preprocessor) if cfg.augment else None

    def make(seed: int):
        seed_everything(seed)
        model = build_model(spec, prep.input_shape, prep.output_shape, prep.head)
        if augmenter is not None:
            model.set_augmentation(augmenter)
        return model

    model = make(cfg.seed)
    _say(on_status, f"Model {name}: {sum(p.numel() for p in model.parameters()):,} parameters")
    return BuiltModel(spec=spec, model=model, summary=summary, name=name, make=make)


def _check_pretrained_scaling(spec, scale: str) -> None:
    """A Pretrained layer expects images in [0, 1] (it applies its network's own normalization)."""
    from workbench.core.models.spec import canonical_type

    for i, layer in enumerate(spec.layers):
        if canonical_type(layer.type) == "Pretrained" and scale != "none":
            raise SpecError(f"layer {i + 1} (Pretrained) normalizes the images itself (with the statistics its "
                            "network was trained on); set the preprocessing's scaling to none.", layer_index=i)


def compute_baseline(prep: PreparedData) -> dict[str, Any]:
    """The dumb baseline fitted on the training rows, scored on validation and test rows."""
    from workbench.core.training import baseline_scores

    y = np.asarray(prep.dataset.y)
    s = prep.splits
    out: dict[str, Any] = {}
    fit_idx = s.rest_idx if prep.cross_validation else s.train_idx
    if prep.cross_validation:
        folds = [baseline_scores(prep.task, y[f.train_idx], y[f.val_idx]) for f in s.folds]
        out["val"] = {k: float(np.mean([f[k] for f in folds])) for k, v in folds[0].items()
                      if isinstance(v, float) and all(f.get(k) is not None for f in folds)}
        out["val"]["strategy"] = folds[0].get("strategy")
    elif len(s.val_idx):
        out["val"] = baseline_scores(prep.task, y[fit_idx], y[s.val_idx])
    if len(s.test_idx):
        out["test"] = baseline_scores(prep.task, y[fit_idx], y[s.test_idx])
    return out


def evaluation_for(prep: PreparedData, trained, tested: bool) -> dict:
    """Confusion matrix, per-class scores and misclassified samples on the test rows when the test
    set was scored, else on the validation rows ({} when there is neither or nothing trained)."""
    from workbench.core.training.evaluation import evaluation_details

    model = trained.model if trained is not None else None
    if model is None or (trained.fit is not None and not trained.fit.history):
        return {}
    s, ds = prep.splits, prep.dataset
    if tested and len(s.test_idx):
        idx = np.asarray(s.test_idx)
        X = prep.test[0] if prep.test is not None else prep.preprocessor.transform(ds, idx)
        where = "test"
    elif prep.val is not None and len(s.val_idx):
        idx, X, where = np.asarray(s.val_idx), prep.val[0], "validation"
    else:
        return {}
    d = evaluation_details(ds.class_names, prep.task, trained.predict(X), np.asarray(ds.y)[idx], idx)
    if d:
        d["on"] = where
    return d


def _test_once(prep: PreparedData, trained, on_status: Status | None) -> dict | None:
    from workbench.core.training import evaluate

    if trained.cv is not None:
        return trained.cv.test_metrics
    if prep.test is None or trained.fit is None or not trained.fit.history:
        return None
    if trained.fit.stop_reason == "nan":
        return None  # a model whose loss diverged is not scored: its numbers would mean nothing
    _say(on_status, "Scoring the test set once ...")
    return evaluate(trained.model, prep.head, prep.test)


def make_record(cfg: RunConfig, prep: PreparedData, built: BuiltModel, baseline: dict, trained, *,
                on_status: Status | None = None, started: float | None = None, kind: str = "train"):
    """Score the test set once, diagnose, and build the run's RunRecord (not saved yet)."""
    from workbench.core.runs import build_record
    from workbench.core.training import diagnose

    fit, cv = trained.fit, trained.cv
    test_metrics = _test_once(prep, trained, on_status)
    if cv is not None and cv.folds:
        # per-epoch averages over the folds (as in the book's K-fold curves); each fold's own
        # history stays in record.cross_validation["folds"]
        history = mean_history([f["history"] for f in cv.folds])
    else:
        history = fit.history if fit is not None else []
    diag = diagnose(history, baseline.get("test") if test_metrics else baseline.get("val"), task=prep.task,
                    scores=test_metrics, lr=trained.train_config.lr if trained.train_config else None,
                    optimizer=trained.train_config.optimizer if trained.train_config else None)
    if cv is not None:
        from workbench.core.training.metrics import primary_metric

        diag.text = (f"Cross-validation: {cv.summary(primary_metric(prep.task)[0])}. "
                     + diag.text + (f" (Curves averaged over the {len(cv.folds)} folds.)" if history else ""))
    ds = prep.dataset
    if cv is not None:
        stop_reason = "stopped" if cv.stopped else (fit.stop_reason if fit else "completed")
        best_epoch = cv.final_epochs
    else:
        stop_reason = fit.stop_reason if fit else None
        best_epoch = fit.best_epoch if fit else None
    model = trained.model
    rec = build_record(
        kind,
        name=cfg.name,
        mode=prep.mode,
        config=cfg.to_dict(),
        data={"spec": cfg.data, "name": ds.name, "kind": ds.kind, "source": ds.source, "n_samples": len(ds),
              "input_shape": list(ds.input_shape), "class_names": ds.class_names, "target": ds.target_name},
        preprocessing=prep.preprocessor.to_dict() if prep.preprocessor is not None else None,
        split={"plan": prep.plan.to_dict(), "text": prep.plan.to_text(), "sizes": prep.splits.sizes,
               "class_counts": prep.splits.class_counts, "leaks": len(prep.splits.leaks),
               "warnings": list(prep.splits.warnings)},
        task=prep.task,
        head=prep.head.to_dict(),
        head_warnings=list(prep.head_warnings),
        model={"name": built.name, "spec": built.spec.to_dict(), "input_shape": list(prep.input_shape),
               "output_shape": list(prep.output_shape),
               "parameters": int(sum(p.numel() for p in model.parameters())) if model is not None else None},
        train_config=trained.train_config.to_dict() if trained.train_config else None,
        seed=cfg.seed,
        device=fit.device if fit else None,
        history=history,
        best_epoch=best_epoch or None,
        stop_reason=stop_reason,
        message=fit.message if fit else ("Cross-validation was stopped." if cv is not None and cv.stopped else ""),
        diagnosis=diag.to_dict(),
        baseline=baseline,
        test_metrics=test_metrics,
        evaluation=evaluation_for(prep, trained, test_metrics is not None) or None,
        cross_validation=cv.to_dict() if cv is not None else None,
        warnings=list(prep.warnings),
        time=(time.perf_counter() - started) if started else None,
        fit_time=float(fit.time) if fit is not None else None,
    )
    return rec, diag


def save_run(project: str | Path, record, weights: dict | None, on_status: Status | None = None) -> str:
    """Store the run in the project (also a stopped one: its curves and best weights are worth
    keeping) and put it first in the project's recent runs. Returns the run id."""
    from workbench.core.runs import RunStore

    _say(on_status, f"Saving the run in {project} ...")
    run_id = RunStore(project).save(record, weights=weights)
    _remember_run(project, run_id)
    return run_id




def mean_history(histories: list[list[dict]]) -> list[dict]:
    """Per-epoch means over several histories, for the epochs they all reached."""
    histories = [h for h in histories if h]
    if not histories:
        return []
    n = min(len(h) for h in histories)
    out = []
    for e in range(n):
        row: dict[str, Any] = {"epoch": e + 1}
        for k in histories[0][e]:
            if k == "epoch":
                continue
            vals = [h[e].get(k) for h in histories]
            if all(isinstance(v, (int, float)) and v == v for v in vals):
                row[k] = float(np.mean(vals))
        out.append(row)
    return out


def history_band(histories: list[list[dict]], key: str = "val_loss") -> tuple[list[float], list[float], list[float]]:
    """(epochs, mean, std) of ``key`` over several histories (the folds of a CV run), for the
    epochs every history reached with a value."""
    curves = [[float(e[key]) for e in h if isinstance(e.get(key), (int, float))] for h in histories]
    curves = [c for c in curves if c]
    n = min((len(c) for c in curves), default=0)
    if not n:
        return [], [], []
    a = np.asarray([c[:n] for c in curves])
    return [float(i) for i in range(1, n + 1)], a.mean(0).tolist(), a.std(0).tolist()


def _remember_run(project_dir: str | Path, run_id: str) -> None:
    from workbench.core.errors import ProjectError
    from workbench.core.project import PROJECT_FILE, Project

    try:
        p = Project.open(project_dir) if (Path(project_dir) / PROJECT_FILE).exists() else Project(Path(project_dir))
        p.add_run(run_id)
        p.save()
    except ProjectError:
        pass  # the run itself is saved; a damaged or newer project file is reported when it is opened


@dataclass
class TrainTask:
    """The generic workflow as a task for ``core.tasks.run_task``: hold-out / time plans are one
    fit; K-fold plans cross-validate (a fresh model per fold, then a final model on all non-test
    data)."""

    cfg: RunConfig
    dataset: Any = None
    on_fold: Any = None
    keep_one_core_free: bool = False
    on_status: Any = None
    started: float | None = None
    splits: Any = None  # the app's cached split and fitted preprocessor (see ``prepare_data``)
    preprocessor: Any = None
    remember_run: bool = True  # list the run first in project.json (the app's own save does it instead)
    kind: str = "train"
    section: str = "train"

    def prepare(self, say):
        from workbench.core.tasks import Fitting

        cfg = self.cfg
        self.prep = prep = prepare_data(cfg, self.dataset, say, splits=self.splits, preprocessor=self.preprocessor)
        for w in prep.warnings:
            say(f"Warning: {w}")
        self.built = built = build_model_for(cfg, prep, say)
        self.baseline = compute_baseline(prep)
        tc = resolve_train_config(cfg, built.name, keep_one_core_free=self.keep_one_core_free,
                                  n_train=len(prep.splits.train_idx))
        from workbench.core.memory import check_training

        # refused with the estimate, never swapped to death
        check_training(built.summary, min(tc.batch_size, max(1, len(prep.splits.train_idx))))
        if prep.cross_validation:
            say(f"Cross-validation: {len(prep.splits.folds)} folds, then a final model on all non-test data")
        else:
            say(f"Training {tc.epochs} epochs, batch {tc.batch_size}, {tc.optimizer} lr {tc.lr:g}")
        return Fitting(built.model, prep.head, prep.train, prep.val, tc)

    def fit(self, trainer, fitting):
        from workbench.core.training import TrainedModel, cross_validate

        cfg, prep, built = self.cfg, self.prep, self.built
        if prep.cross_validation:
            counter = iter(range(10**9))
            cv = cross_validate(lambda: built.make(cfg.seed + next(counter)), prep.head, prep.fold_data(cfg),
                                prep.splits.folds, fitting.config, test_idx=prep.splits.test_idx, trainer=trainer,
                                on_fold=self.on_fold)
            self.trained = TrainedModel(model=cv.final_model, head=prep.head, fit=cv.final_fit, cv=cv,
                                        train_config=fitting.config)
        else:
            fit = trainer.fit(built.model, prep.head, train=prep.train, val=prep.val, config=fitting.config)
            self.trained = TrainedModel(model=built.model, head=prep.head, fit=fit, train_config=fitting.config)
        return self.trained.fit

    def finish(self, fitting, fit):
        """Test once, diagnose, and the run's record."""
        self.record, self.diagnosis = make_record(self.cfg, self.prep, self.built, self.baseline, self.trained,
                                                  on_status=self.on_status, started=self.started)
        return self.record

    def weights(self, fitting):
        return self.trained.weights()

    def saved(self, record) -> None:
        if self.remember_run:
            _remember_run(self.cfg.project, record.run_id)  # first in the project's recent runs


def run_training(cfg: RunConfig, callbacks: Iterable = (), on_status: Status | None = None, *, trainer=None,
                 dataset=None, save: bool = True, on_fold=None, keep_one_core_free: bool = False, splits=None,
                 preprocessor=None, remember_run: bool = True) -> RunResult:
    """The whole workflow in one call (see the module docstring) through the task runner. User
    errors raise WorkbenchError subclasses before anything is written; the project is checked for
    writing before training. A stopped run is stored too (its curves and best weights are worth
    keeping). ``splits`` / ``preprocessor``: the app's cached ones for ``dataset`` (see ``prepare_data``).
    ``remember_run`` lists the run in project.json; the app passes False because it writes
    project.json itself once the run is in its state (one write per run)."""
    from workbench.core.tasks import run_task

    task = TrainTask(cfg, dataset, on_fold, keep_one_core_free, on_status, time.perf_counter(), splits, preprocessor,
                     remember_run)
    run_task(task, project=cfg.project, trainer=trainer, callbacks=callbacks, device=cfg.device, save=save,
             on_status=on_status)
    return RunResult(record=task.record, prepared=task.prep, built=task.built, trained=task.trained,
                     diagnosis=task.diagnosis)
