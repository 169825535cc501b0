"""``RunRecord``: the one versioned schema of a training run.

Every writer (the generic workflow that the GUI and the CLI share, and every case study) builds a
``RunRecord``; every reader (run lists, comparisons, the guide, the panels, exports) reads one.
``run.json`` holds ``RunRecord.to_dict()``; ``RunRecord.from_dict`` upgrades an older file one
version at a time (``MIGRATIONS``) and checks every field's type, so a damaged file is a
``ProjectError`` with a sentence, never a crash in a reader.

Version history
  1  the first release: four writers, four layouts (generic runs, GUI runs with ``evaluation``,
     day/night and trigger word with ``settings`` and a flat ``baseline``).
  2  one layout: ``study``, ``mode``, ``baseline`` = {"val": ..., "test": ...}, ``details`` for
     what only a study has (subgroups, trigger evaluation), ``fit_time``/``time``, ``status``.
  3  ``kind``: what produced the run ("train", "daynight", "segmentation", "tuning_trial", ...;
     ``KINDS`` lists the known ones, a newer producer may add its own), inferred for older runs.

Every producer builds its record with ``build_record(kind, ...)`` (the one construction site), so
a list of runs can be filtered by ``kind`` and every record carries its fit the same way.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from workbench.core.errors import ProjectError
from workbench.core.safety import check_fields, check_schema

RUN_SCHEMA_VERSION = 3

# how a run ended (stop_reason): the first four come from Trainer.fit
STOP_REASONS = ("completed", "early_stopping", "nan", "stopped", "interrupted", "failed")
MODES = ("holdout", "cv", "search", "time")
# what produced a run (an open list: a new task may bring its own kind); the generic workflow and
# its hyperparameter search are "train", each of a search's trials is "tuning_trial"
KINDS = ("train", "tuning_trial", "daynight", "trigger_word", "detection", "segmentation", "autoencoder",
         "language_model", "forecast", "rl", "sequences")
# the case study a kind belongs to (``study``; None: the generic workflow)
_KIND_STUDY = {"train": None, "tuning_trial": None, "segmentation": "detection"}


@dataclass
class RunRecord:
    """One run, as stored in ``runs/<run_id>/run.json``.

    kind            what produced the run (``KINDS``: "train", "daynight", "tuning_trial", ...)
    run_id          folder name in the project's ``runs/`` (None until saved)
    name            the user's label ("" = none)
    study           None for the generic workflow, else "daynight", "trigger_word", ...
    mode            "holdout" | "cv" | "search" | "time"
    config          the RunConfig that repeats a generic run (``{}`` for studies)
    data            {"spec", "name", "kind", "n_samples", "input_shape", "class_names", "target", ...}
    preprocessing   the fitted Preprocessor's settings and statistics, or None
    split           {"plan", "text", "sizes", "class_counts", "leaks", "warnings"} or None
    task, head      problem type and {"task", "activation", "loss", ...}
    model           {"name", "spec", "input_shape", "output_shape", "parameters"}
    train_config    TrainConfig.to_dict() of the (final) fit
    history         one dict per epoch (metric names from the registry, "val_" prefixed)
    best_epoch      1-based epoch whose weights were kept (None: no epoch / not applicable)
    stop_reason     one of STOP_REASONS; ``message`` is the sentence shown to the user
    baseline        {"val": scores, "test": scores} of the dumb baseline (same metric keys)
    test_metrics    scores on the test set (used once), or None
    evaluation      confusion matrix, per-class scores, misclassified samples; "on" says which split
    cross_validation / search   their results, or None
    details         study-specific results (subgroups, false accepts per hour, ...)
    """

    schema_version: int = RUN_SCHEMA_VERSION
    kind: str = "train"
    run_id: str | None = None
    name: str = ""
    created: str = ""
    study: str | None = None
    mode: str = "holdout"
    config: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    preprocessing: dict | None = None
    split: dict | None = None
    task: str = ""
    head: dict | None = None
    head_warnings: list = field(default_factory=list)
    model: dict = field(default_factory=dict)
    train_config: dict | None = None
    seed: int | None = None
    device: str | None = None
    history: list = field(default_factory=list)
    best_epoch: int | None = None
    stop_reason: str | None = None
    message: str = ""
    diagnosis: dict | None = None
    baseline: dict = field(default_factory=dict)
    test_metrics: dict | None = None
    evaluation: dict | None = None
    cross_validation: dict | None = None
    search: dict | None = None
    details: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    time: float | None = None
    fit_time: float | None = None
    versions: dict = field(default_factory=dict)
    weights: str | None = None

    # ---- derived views (never stored twice) ------------------------------------------------
    @property
    def metric(self) -> str:
        """The primary metric's name for this run's task (accuracy, or mae for regression)."""
        from workbench.core.training.metrics import primary_metric

        if self.task:
            return primary_metric(self.task)[0]
        return "mae" if any("mae" in h for h in self.history) else "accuracy"

    @property
    def stopped(self) -> bool:
        return self.stop_reason in ("stopped", "interrupted")

    @property
    def best_logs(self) -> dict:
        if self.best_epoch and 0 < self.best_epoch <= len(self.history):
            return self.history[self.best_epoch - 1]
        return {}

    def baseline_for(self, part: str = "test") -> dict:
        """Baseline scores on "test" or "val" (falling back to the other part)."""
        b = self.baseline or {}
        other = "val" if part == "test" else "test"
        return b.get(part) or b.get(other) or {}

    @property
    def label(self) -> str:
        return run_label(self)

    # ---- (de)serialization -------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["schema_version"] = RUN_SCHEMA_VERSION
        return plain(d)

    @classmethod
    def from_dict(cls, data: Any, where: str = "") -> "RunRecord":
        """Migrate to the current version, then check every field's type (ProjectError if damaged)."""
        from workbench.core.jsonio import check_version

        check_fields(data, {}, kind="run file", where=where)
        check_version(data, RUN_SCHEMA_VERSION, kind="run file", where=where)
        d = migrate(data)
        check_fields(d, _FIELD_TYPES, kind="run file", where=where)
        check_schema(d, RUN_SCHEMA, kind="run file", where=where)
        _check_spec(d, where)
        names = {f.name for f in dataclasses.fields(cls)}
        rec = cls(**{k: v for k, v in d.items() if k in names})
        if rec.best_epoch is not None and not (0 <= rec.best_epoch <= len(rec.history)):
            raise ProjectError(f"The run file {where} is damaged: its best epoch {rec.best_epoch} is past its "
                               f"{len(rec.history)} recorded epoch(s).")
        if not all(isinstance(h, dict) for h in rec.history):
            raise ProjectError(f"The run file {where} is damaged: its history is not a list of epochs.")
        return rec


def build_record(kind: str, *, fit: Any = None, train_config: Any = None, module: Any = None,
                 **fields: Any) -> RunRecord:
    """The one way a run's record is made (every producer calls it).

    ``kind``          one of ``KINDS`` or a new producer's own name (a non-empty word)
    ``fit``           a ``FitResult``: fills device, history, best_epoch, stop_reason, message and
                      fit_time unless they are given
    ``train_config``  a TrainConfig (or its dict); its seed is the record's unless ``seed`` is given
    ``module``        the trained nn.Module: its parameter count goes into ``model["parameters"]``
    ``study`` defaults to the kind's case study (None for "train" and "tuning_trial")."""
    if not isinstance(kind, str) or not kind.strip() or not kind.replace("_", "").isalnum():
        raise ValueError(f"a run's kind is a word such as {KINDS[0]!r}, not {kind!r}")
    fields.setdefault("study", _KIND_STUDY.get(kind, kind))
    if fit is not None:
        fields.setdefault("device", getattr(fit, "device", None))
        fields.setdefault("history", list(fit.history))
        fields.setdefault("best_epoch", fit.best_epoch or None)
        fields.setdefault("stop_reason", fit.stop_reason)
        fields.setdefault("message", fit.message)
        fields.setdefault("fit_time", float(fit.time) if getattr(fit, "time", None) is not None else None)
    if train_config is not None:
        tc = train_config.to_dict() if hasattr(train_config, "to_dict") else dict(train_config)
        fields.setdefault("train_config", tc)
        fields.setdefault("seed", tc.get("seed"))
    if module is not None:
        fields["model"] = {**(fields.get("model") or {}),
                           "parameters": int(sum(p.numel() for p in module.parameters()))}
    unknown = set(fields) - {f.name for f in dataclasses.fields(RunRecord)}
    if unknown:
        raise TypeError(f"RunRecord has no field(s) {sorted(unknown)}")
    return RunRecord(kind=kind, **fields)


def runs_of_kind(records, *kinds: str) -> list:
    """The records (RunRecords or summary rows) whose kind is one of ``kinds``."""
    return [r for r in records if (r.get("kind") if isinstance(r, dict) else r.kind) in kinds]


def plain(o: Any) -> Any:
    """Plain JSON values: numpy scalars/arrays to Python numbers/lists, tuples to lists, NaN/inf
    to None, keys to strings (the one cleaner every record and JSON payload goes through)."""
    if isinstance(o, dict):
        return {str(k): plain(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [plain(v) for v in o]
    if isinstance(o, float):
        return o if math.isfinite(o) else None
    if isinstance(o, (str, int, bool)) or o is None:
        return o
    tolist = getattr(o, "tolist", None)  # numpy arrays and scalars, 0-d tensors
    if callable(tolist):
        return plain(tolist())
    to_dict = getattr(o, "to_dict", None)
    if callable(to_dict):
        return plain(to_dict())
    if hasattr(o, "__fspath__"):
        return str(o)
    return o


def _field_types() -> dict[str, Any]:
    t: dict[str, Any] = {}
    for f in dataclasses.fields(RunRecord):
        ann = str(f.type)
        base = {"int": int, "str": str, "float": float, "dict": dict, "list": list}
        kinds = [base[p.strip()] for p in ann.split("|") if p.strip() in base]
        if "None" in ann:
            kinds.append(type(None))
        t[f.name] = tuple(kinds) if len(kinds) > 1 else kinds[0]
    return t


_FIELD_TYPES = _field_types()

# the nested fields every reader of a run uses (the run list, Use, export, the case studies): a
# damaged one is a sentence naming it, never a TypeError deep in a panel
_SHAPE = (list, None)
RUN_SCHEMA = {
    "model.name": (str, None), "model.spec": (dict, None), "model.spec.layers": list, "model.spec.layers[]": dict,
    "model.spec.layers[].type": str, "model.spec.layers[].params": (dict, None),
    "model.spec.layers[].activation": (str, None), "model.spec.layers[].l1": (float, None),
    "model.spec.layers[].l2": (float, None), "model.input_shape": _SHAPE, "model.input_shape[]": int,
    "model.output_shape": _SHAPE, "model.output_shape[]": int, "model.parameters": (int, None),
    "data.name": (str, None), "data.kind": (str, None), "data.spec": (str, dict, None), "data.source": (dict, str, None),
    "data.class_names": (list, None), "data.class_names[]": (str, int, float), "data.input_shape": _SHAPE,
    "data.n_samples": (int, None),
    "preprocessing.state": (dict, None), "preprocessing.scale": (str, None), "preprocessing.kind": (str, None),
    "preprocessing.text": (dict, None),
    "head.task": (str, None), "head.activation": (str, None), "head.loss": (str, None),
    "split.plan": (dict, None), "train_config.epochs": (int, None), "train_config.batch_size": (int, None),
    "train_config.lr": (float, None), "test_metrics": (dict, None), "baseline": (dict, None),
    "cross_validation.folds": (list, None), "cross_validation.folds[]": dict,
}


def _check_spec(d: dict, where) -> None:
    """The stored model spec must parse (ModelSpec checks each layer's settings)."""
    spec = (d.get("model") or {}).get("spec") if isinstance(d.get("model"), dict) else None
    if not isinstance(spec, dict):
        return
    from workbench.core.errors import WorkbenchError
    from workbench.core.models import ModelSpec

    try:
        ModelSpec.from_dict(spec)
    except WorkbenchError as e:
        raise ProjectError(f"The run file {where} is damaged: its model spec is not valid ({str(e).rstrip('.')}).") \
            from None


# ------------------------------------------------------------------------------------------------
# migrations: MIGRATIONS[n] turns a format-n dict into format n+1


def _v1_to_v2(d: dict) -> dict:
    d = dict(d)
    # the case studies stored the TrainConfig under "config" and a copy of a few fields as "settings"
    if "settings" in d:
        settings = d.pop("settings") or {}
        if isinstance(d.get("config"), dict) and "optimizer" in d["config"] and "data" not in d["config"]:
            d.setdefault("train_config", d.pop("config"))
        elif isinstance(settings, dict) and not d.get("train_config"):
            d["train_config"] = settings
    base = d.get("baseline")
    if isinstance(base, dict) and base and not ({"val", "test"} & set(base)):
        d["baseline"] = {"test": base}  # the studies scored their flat baseline on the test split
    details = dict(d.get("details") or {})
    for key in ("subgroups",):
        if key in d:
            details[key] = d.pop(key)
    d["details"] = details
    if "train_time" in d and "fit_time" not in d:
        d["fit_time"] = d.pop("train_time")
    data = d.get("data")
    if isinstance(data, dict) and "n" in data and "n_samples" not in data:
        data = dict(data)
        data["n_samples"] = data.pop("n")
        d["data"] = data
    if d.get("mode") is None:
        d["mode"] = "search" if d.get("search") else ("cv" if d.get("cross_validation") else "holdout")
    d.pop("n_params", None)
    return d


def infer_kind(d: dict) -> str:
    """The kind of a run written before runs had one, from its study, task and details."""
    study = d.get("study")
    details = d.get("details") if isinstance(d.get("details"), dict) else {}
    if not study:
        return "tuning_trial" if "trial" in details else "train"
    if study == "detection" and (d.get("task") == "segmentation" or details.get("kind") == "segmentation"):
        return "segmentation"
    return str(study)


def _v2_to_v3(d: dict) -> dict:
    d = dict(d)
    if not isinstance(d.get("kind"), str) or not d.get("kind"):
        d["kind"] = infer_kind(d)
    return d


MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2, 2: _v2_to_v3}


def migrate(data: dict, target: int = RUN_SCHEMA_VERSION) -> dict:
    """Upgrade a run dict step by step from its ``schema_version`` (1 when absent) to ``target``."""
    from workbench.core.jsonio import migrate as migrate_versions

    return migrate_versions(data, MIGRATIONS, target, kind="run file")


def run_label(run) -> str:
    """What a run is called wherever it is listed: the name the user gave, else its model's name,
    else its id; the same before and after the run is stored (a stored run gains an id, not a
    new label)."""
    if isinstance(run, RunRecord):
        run = {"name": run.name, "model": run.model, "run_id": run.run_id}
    run = run if isinstance(run, dict) else {}
    model = run.get("model") if isinstance(run.get("model"), dict) else {}
    return str(run.get("name") or model.get("name") or run.get("run_id") or "run")
