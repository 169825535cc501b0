"""Save/open a project folder from the GUI.

The core's ``workbench.core.project`` owns the project files (data source, preprocessing, split,
model spec, settings, runs, weights). The GUI adds one file, ``ui_state.json``, with each panel's
``state()`` (versioned, atomic). Damaged or newer files raise ``ProjectError`` with a message the
window shows in a box.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.core.errors import ProjectError
from workbench.core.jsonio import atomic_write_json, read_json

UI_STATE_FILE = "ui_state.json"
UI_STATE_VERSION = 1


def _core_project_module():
    try:
        from workbench.core import project as core_project  # noqa: F401
    except ImportError:
        return None
    return core_project


def is_project_dir(path: str | Path) -> bool:
    p = Path(path)
    return p.is_dir() and ((p / UI_STATE_FILE).exists() or (p / "project.json").exists())


def new_project(path: str | Path | None):
    """A fresh core Project (not yet written when ``path`` is None)."""
    mod = _core_project_module()
    if mod is None or not hasattr(mod, "Project"):
        return None
    P = mod.Project
    if path is not None and hasattr(P, "create"):
        return P.create(Path(path))
    try:
        return P(Path(path)) if path is not None else None
    except TypeError:
        return None


def save_project(path: str | Path, project: Any, panel_states: dict[str, dict], extra: dict | None = None) -> Any:
    """Write the project (core files via the core Project, then ui_state.json). Returns the
    project object now bound to ``path``."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if project is None:
        project = new_project(path)
    if project is not None:
        if hasattr(project, "save_as") and Path(getattr(project, "root", path)) != path:
            project = project.save_as(path) or project
        elif hasattr(project, "save"):
            project.save()
    atomic_write_json(path / UI_STATE_FILE, {
        "schema_version": UI_STATE_VERSION,
        "panels": panel_states,
        **(extra or {}),
    })
    return project


def open_project(path: str | Path) -> tuple[Any, dict]:
    """Read a project folder -> (core Project or None, ui state dict with "panels")."""
    path = Path(path)
    if not path.is_dir():
        raise ProjectError(f"{path} is not a project folder; choose the folder that holds {UI_STATE_FILE}.")
    has_ui = (path / UI_STATE_FILE).exists()
    mod = _core_project_module()
    project = None
    if mod is not None and hasattr(mod, "Project") and (path / "project.json").exists():
        P = mod.Project
        opener = getattr(P, "open", None) or getattr(P, "load", None)
        project = opener(path) if opener else P(path)
    if not has_ui and project is None:
        raise ProjectError(f"{path} is not a Workbench project (no {UI_STATE_FILE} or project.json in it).")
    ui: dict = {"panels": {}}
    if has_ui:
        ui = read_json(path / UI_STATE_FILE, kind="project file", max_version=UI_STATE_VERSION)
        if not isinstance(ui, dict) or not isinstance(ui.get("panels", {}), dict):
            raise ProjectError(f"The project file {path / UI_STATE_FILE} is damaged (no panel states in it).")
        ui.setdefault("panels", {})
    return project, ui
