"""Save/open a project folder from the GUI, through the core's ``workbench.core.project.Project``.

project.json stores exactly the project state (``ctx.state.sections``, a ``ProjectState``); the
panels write what only they hold (tabs, choices not yet applied) into their sections before a
save, and restore from their sections after an open. ``WorkbenchState.store_runs`` writes the runs
the project does not hold yet before project.json names them. Opening reads and checks the whole
file first: a damaged file, a newer one or a wrong value raises ``ProjectError`` and nothing of the
open project changes.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.core.errors import ProjectError


def is_project_dir(path: str | Path) -> bool:
    from workbench.core.project import PROJECT_FILE

    return (Path(path) / PROJECT_FILE).is_file()


def save_project(path: str | Path, ctx) -> Any:
    """Write ``project.json`` in ``path`` (creating the folder) from ``ctx.state``; returns the
    core Project."""
    from workbench.core.project import PROJECT_FILE, Project

    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ProjectError(f"Cannot create the project folder {path} ({e.strerror or e}); choose another folder.") from None
    recent: list[str] = []
    project = ctx.project
    if project is not None and Path(project.path).resolve() == path.resolve():
        recent = list(project.recent_runs)
    elif (path / PROJECT_FILE).exists():
        try:
            recent = Project.open(path).recent_runs  # keep the runs the CLI listed there
        except ProjectError:
            pass  # a damaged file is replaced by the good state
    problems = ctx.state.store_runs(path, previous_dir=ctx.project_dir)
    if problems and hasattr(ctx, "status"):
        ctx.status(" ".join(problems))
    project = Project(path=path, state=ctx.state.sections, recent_runs=recent)
    for r in ctx.state.runs:
        if isinstance(r, dict) and r.get("run_id"):
            project.add_run(r["run_id"])
    project.save()
    return project


def open_project(path: str | Path):
    """Read and check a project folder -> core Project (its ``state`` is a new ProjectState)."""
    from workbench.core.project import Project

    path = Path(path)
    if not path.is_dir():
        raise ProjectError(f"{path} is not a project folder; choose the folder that holds project.json.")
    return Project.open(path)
