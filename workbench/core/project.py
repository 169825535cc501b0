"""The user's project: a folder with ``project.json`` (versioned JSON) and ``runs/``.

project.json keys: schema_version, name, data (source config: spec string + load options),
preprocessing, split, model (spec dict or preset name), head, train (TrainConfig dict), ui (free
dict the GUI owns), recent_runs (newest first). Writes are atomic; a damaged file or one from a
newer Workbench raises ProjectError with a sentence saying so. Older files are upgraded by
``migrate`` one version at a time (add a function to MIGRATIONS for each new version).
"""
from __future__ import annotations

import copy
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from workbench.core.errors import ProjectError
from workbench.core.jsonio import atomic_write_json, read_json
from workbench.core.jsonio import migrate as migrate_versions

PROJECT_FILE = "project.json"
SCHEMA_VERSION = 1
MAX_RECENT_RUNS = 20


def _v0_to_v1(d: dict) -> dict:
    # format 0 (early previews) kept the train settings under "config" and had no ui state
    d = dict(d)
    if "config" in d and "train" not in d:
        d["train"] = d.pop("config")
    d.setdefault("ui", {})
    d.setdefault("recent_runs", [])
    return d


_FIELD_TYPES = {"name": str, "data": (dict, type(None)), "preprocessing": (dict, type(None)),
                "split": (str, dict, type(None)), "model": (dict, str, type(None)), "head": (dict, type(None)),
                "train": (dict, type(None)), "ui": (dict, type(None)), "recent_runs": (list, type(None))}


def _is_run_id(r: str, check) -> bool:
    try:
        check(r, "run id")
        return True
    except Exception:
        return False


# MIGRATIONS[n] turns a format-n dict into format n+1
MIGRATIONS: dict[int, Callable[[dict], dict]] = {0: _v0_to_v1}


def migrate(data: dict, target: int = SCHEMA_VERSION) -> dict:
    """Upgrade a project dict step by step from its schema_version to ``target``."""
    return migrate_versions(data, MIGRATIONS, target, kind="project file", absent=0)


@dataclass
class Project:
    path: Path
    name: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    preprocessing: dict[str, Any] = field(default_factory=dict)
    split: str | dict | None = None
    model: dict | str | None = None
    head: dict | None = None
    train: dict[str, Any] = field(default_factory=dict)
    ui: dict[str, Any] = field(default_factory=dict)
    recent_runs: list[str] = field(default_factory=list)
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self):
        self.path = Path(self.path)
        if not self.name:
            self.name = self.path.name

    @property
    def file(self) -> Path:
        return self.path / PROJECT_FILE

    @property
    def runs_dir(self) -> Path:
        return self.path / "runs"

    def runs(self):
        from workbench.core.runs import RunStore

        return RunStore(self.path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "data": copy.deepcopy(self.data),
            "preprocessing": copy.deepcopy(self.preprocessing),
            "split": copy.deepcopy(self.split),
            "model": copy.deepcopy(self.model),
            "head": copy.deepcopy(self.head),
            "train": copy.deepcopy(self.train),
            "ui": copy.deepcopy(self.ui),
            "recent_runs": list(self.recent_runs),
        }

    @classmethod
    def from_dict(cls, path, d: dict[str, Any]) -> "Project":
        from workbench.core.safety import check_fields, check_name

        where = Path(path) / PROJECT_FILE
        check_fields(d, {}, kind="project file", where=where)
        d = migrate(d)
        check_fields(d, _FIELD_TYPES, kind="project file", where=where)
        runs = list(d.get("recent_runs") or [])
        if not all(isinstance(r, str) for r in runs):
            raise ProjectError(f"The project file {where} is damaged: 'recent_runs' should list run ids.")
        d["recent_runs"] = [r for r in runs if _is_run_id(r, check_name)]  # a crafted id never reaches a path
        return cls(
            path=Path(path),
            name=d.get("name") or Path(path).name,
            data=d.get("data") or {},
            preprocessing=d.get("preprocessing") or {},
            split=d.get("split"),
            model=d.get("model"),
            head=d.get("head"),
            train=d.get("train") or {},
            ui=d.get("ui") or {},
            recent_runs=list(d.get("recent_runs") or []),
        )

    def save(self) -> Path:
        """Write project.json atomically. A project.json written by a newer Workbench is never
        overwritten (ProjectError): saving it would throw away what that version stored."""
        if self.file.is_file():
            try:
                read_json(self.file, kind="project file", max_version=SCHEMA_VERSION)
            except ProjectError as e:
                if "newer version" in str(e):
                    raise ProjectError(f"{e} It was not overwritten; save this project in another folder.") from None
        try:
            atomic_write_json(self.file, self.to_dict())
        except OSError as e:
            raise ProjectError(f"Cannot save the project to {self.file} ({e.strerror or e}); choose a folder you can write to.") from None
        return self.file

    @classmethod
    def open(cls, path: str | os.PathLike) -> "Project":
        p = Path(path).expanduser()
        if p.is_file() and p.name == PROJECT_FILE:
            p = p.parent
        if not (p / PROJECT_FILE).exists():
            raise ProjectError(f"{p} is not a Workbench project (it has no {PROJECT_FILE}); create a new project there instead.")
        d = read_json(p / PROJECT_FILE, kind="project file", max_version=SCHEMA_VERSION)
        return cls.from_dict(p, d)

    @classmethod
    def create(cls, path: str | os.PathLike, **fields_) -> "Project":
        p = Path(path).expanduser()
        if (p / PROJECT_FILE).exists():
            raise ProjectError(f"{p} already holds a project; open it instead.")
        proj = cls(path=p, **fields_)
        proj.save()
        return proj

    @classmethod
    def open_or_create(cls, path: str | os.PathLike) -> "Project":
        p = Path(path).expanduser()
        return cls.open(p) if (p / PROJECT_FILE).exists() else cls.create(p)

    def add_run(self, run_id: str) -> None:
        self.recent_runs = [run_id] + [r for r in self.recent_runs if r != run_id]
        del self.recent_runs[MAX_RECENT_RUNS:]
