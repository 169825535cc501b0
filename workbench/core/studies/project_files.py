"""Files a case study keeps in the project folder, so reopening the project brings them back.

A study's trained model is copied into ``<project>/studies/<key>/<name>/`` when the project is
saved (the section names it relative to the project); its data are named by recipe (generation
settings, regenerated the same way: generation is seeded) or by the folder they were imported from.
"""
from __future__ import annotations

from pathlib import Path

STUDIES_DIR = "studies"


def study_path(project_dir, key: str, name: str) -> tuple[Path, str]:
    """(absolute folder, path relative to the project) of a study's ``name`` folder."""
    from workbench.core.safety import safe_child

    rel = f"{STUDIES_DIR}/{key}/{name}"
    return safe_child(project_dir, STUDIES_DIR, key, name), rel


def project_file(project_dir, rel: str) -> Path | None:
    """The folder a section names (relative to the project), checked to stay inside the project;
    None when it is not there (or the name is unsafe)."""
    from workbench.core.errors import WorkbenchError
    from workbench.core.safety import safe_child

    if not rel or project_dir is None:
        return None
    try:
        p = safe_child(project_dir, *Path(rel).parts)
    except WorkbenchError:
        return None
    return p if p.exists() else None
