"""Save/open a project folder from the GUI, through the core's ``workbench.core.project.Project``.

The core owns ``project.json`` (data source, preprocessing, split, model spec, head, training
settings, recent runs) and ``runs/`` (``WorkbenchState.store_runs`` writes the runs the project
does not hold yet before ``project.json`` names them); the GUI fills those fields from the shared context (so the
CLI reads the same project) and keeps each panel's ``state()`` in the project's ``ui`` dict
(versioned by ``UI_STATE_VERSION``). Damaged or newer files raise ``ProjectError``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.core.errors import ProjectError

UI_STATE_VERSION = 1


def is_project_dir(path: str | Path) -> bool:
    from workbench.core.project import PROJECT_FILE

    return (Path(path) / PROJECT_FILE).is_file()


def _fill_from_context(project, ctx) -> None:
    """Copy what the panels chose into the core project fields (readable by the CLI too)."""
    src = dict(getattr(ctx, "dataset_source", {}) or {})
    if src:
        project.data = src
    project.preprocessing = dict(ctx.preprocessing or {})
    if ctx.split_options:
        project.split = dict(ctx.split_options)
    spec = ctx.model_spec
    if spec is not None and hasattr(spec, "to_dict"):
        project.model = spec.to_dict()
    head = ctx.head
    if head is not None and hasattr(head, "to_dict"):
        project.head = head.to_dict()
    if ctx.train_settings:
        project.train = dict(ctx.train_settings)
    ids = [r.get("run_id") for r in getattr(ctx, "runs", []) if isinstance(r, dict) and r.get("run_id")]
    for rid in ids:
        project.add_run(rid)


def save_project(path: str | Path, ctx, panel_states: dict[str, dict], extra: dict | None = None) -> Any:
    """Write ``project.json`` in ``path`` (creating the folder); returns the core Project."""
    from workbench.core.project import PROJECT_FILE, Project

    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ProjectError(f"Cannot create the project folder {path} ({e.strerror or e}); choose another folder.") from None
    project = ctx.project
    if project is None or Path(project.path).resolve() != path.resolve():
        if (path / PROJECT_FILE).exists():
            try:
                project = Project.open(path)  # keep what the CLI may have written there
            except ProjectError:
                project = Project(path=path)  # a damaged file is replaced by the good state
        else:
            project = Project(path=path)
    problems = ctx.state.store_runs(path, previous_dir=ctx.project_dir)
    if problems and hasattr(ctx, "status"):
        ctx.status(" ".join(problems))
    _fill_from_context(project, ctx)
    project.ui = {"schema_version": UI_STATE_VERSION, "panels": panel_states, **(extra or {})}
    project.save()
    return project


def open_project(path: str | Path) -> tuple[Any, dict]:
    """Read a project folder -> (core Project, ui dict with "panels")."""
    from workbench.core.project import Project

    path = Path(path)
    if not path.is_dir():
        raise ProjectError(f"{path} is not a project folder; choose the folder that holds project.json.")
    project = Project.open(path)
    ui = project.ui if isinstance(project.ui, dict) else {}
    v = ui.get("schema_version", 1)
    if not isinstance(v, int) or v > UI_STATE_VERSION:
        raise ProjectError(f"The window layout in {path} was written by a newer version of Workbench "
                           f"(format {v}); please update Workbench.")
    panels = ui.get("panels", {})
    if not isinstance(panels, dict):
        raise ProjectError(f"The project file in {path} is damaged (its panel states are not readable).")
    ui = dict(ui)
    ui["panels"] = panels
    return project, ui
