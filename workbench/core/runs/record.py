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
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable

from workbench.core.errors import ProjectError
from workbench.core.safety import check_fields

RUN_SCHEMA_VERSION = 2

# how a run ended (stop_reason): the first four come from Trainer.fit
STOP_REASONS = ("completed", "early_stopping", "nan", "stopped", "interrupted", "failed")
MODES = ("holdout", "cv", "search", "time")


@dataclass
class RunRecord:
    """One run, as stored in ``runs/<run_id>/run.json``.

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
        return self.name or self.run_id or (self.model or {}).get("name") or "run"

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
        names = {f.name for f in dataclasses.fields(cls)}
        rec = cls(**{k: v for k, v in d.items() if k in names})
        if rec.best_epoch is not None and not (0 <= rec.best_epoch <= len(rec.history)):
            raise ProjectError(f"The run file {where} is damaged: its best epoch {rec.best_epoch} is past its "
                               f"{len(rec.history)} recorded epoch(s).")
        if not all(isinstance(h, dict) for h in rec.history):
            raise ProjectError(f"The run file {where} is damaged: its history is not a list of epochs.")
        return rec


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


MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2}


def migrate(data: dict, target: int = RUN_SCHEMA_VERSION) -> dict:
    """Upgrade a run dict step by step from its ``schema_version`` (1 when absent) to ``target``."""
    from workbench.core.jsonio import migrate as migrate_versions

    return migrate_versions(data, MIGRATIONS, target, kind="run file")
