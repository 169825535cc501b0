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


def save_study_folder(project_dir, key: str, name: str, write, what: str) -> str:
    """Write a study's ``name`` folder in the project all at once (``write(folder)`` fills a fresh
    temporary folder that then replaces the old copy); returns its path relative to the project."""
    from workbench.core.writers import new_folder

    folder, rel = study_path(project_dir, key, name)
    ours = [p.name for p in folder.iterdir()] if folder.is_dir() else []  # only we write in studies/
    with new_folder(folder, ours=ours, what=what) as tmp:
        write(tmp)
    return rel


def copy_folder_into(src, project_dir, rel: str, what: str) -> bool:
    """Copy ``src`` (a study's folder in the project saved before) to ``rel`` in ``project_dir``
    when that has none yet ("Save as": the work goes with the project). True when copied."""
    import shutil

    from workbench.core.safety import safe_child
    from workbench.core.writers import new_folder

    src = Path(src)
    dst = safe_child(project_dir, *Path(rel).parts)
    if not src.is_dir() or dst.exists() or src.resolve() == dst.resolve():
        return False
    with new_folder(dst, ours=[], what=what) as tmp:
        shutil.copytree(src, tmp, dirs_exist_ok=True)
    return True
