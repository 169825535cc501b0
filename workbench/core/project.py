"""The user's project: a folder with ``project.json`` (versioned JSON) and ``runs/``.

project.json stores exactly the project state (``workbench.core.state.ProjectState``: one key per
section, data, split, preprocessing, model, training, run, guide, experiments, view and each case
study) plus schema_version, name and recent_runs (run ids, newest first). Writes are atomic; a
damaged file, a wrong value in any section or a file from a newer Workbench raises ProjectError
with a sentence saying so, before anything is used. Older files are upgraded by ``migrate`` one
version at a time (``workbench.core.project_migrations``; a function per version, a test per
migration).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import ProjectError
from workbench.core.jsonio import atomic_write_json, read_json
from workbench.core.jsonio import migrate as migrate_versions

PROJECT_FILE = "project.json"
from workbench.core.project_migrations import MIGRATIONS, SCHEMA_VERSION

MAX_RECENT_RUNS = 20
_FIELD_TYPES = {"name": str, "recent_runs": (list, type(None))}


def _is_run_id(r: str, check) -> bool:
    try:
        check(r, "run id")
        return True
    except Exception:
        return False


def migrate(data: dict, target: int = SCHEMA_VERSION) -> dict:
    """Upgrade a project dict step by step from its schema_version to ``target``."""
    return migrate_versions(data, MIGRATIONS, target, kind="project file", absent=0)


def _new_state():
    from workbench.core.state import ProjectState

    return ProjectState()


@dataclass
class Project:
    path: Path
    name: str = ""
    state: Any = field(default_factory=_new_state)  # workbench.core.state.ProjectState
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
        return {"schema_version": SCHEMA_VERSION, "name": self.name, "recent_runs": list(self.recent_runs),
                **self.state.to_dict()}

    @classmethod
    def from_dict(cls, path, d: dict[str, Any]) -> "Project":
        """Migrate and check the whole file (every section) before anything is returned."""
        from workbench.core.safety import check_fields, check_name
        from workbench.core.state import ProjectState

        where = Path(path) / PROJECT_FILE
        check_fields(d, {}, kind="project file", where=where)
        d = migrate(d)
        check_fields(d, _FIELD_TYPES, kind="project file", where=where)
        runs = list(d.get("recent_runs") or [])
        if not all(isinstance(r, str) for r in runs):
            raise ProjectError(f"The project file {where} is damaged: 'recent_runs' should list run ids.")
        runs = [r for r in runs if _is_run_id(r, check_name)]  # a crafted id never reaches a path
        state = ProjectState.from_dict({k: v for k, v in d.items() if k not in ("schema_version", "name",
                                                                                "recent_runs")}, where=str(where))
        return cls(path=Path(path), name=d.get("name") or Path(path).name, state=state, recent_runs=runs)

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
