"""Folders written all at once: build in a fresh hidden temporary folder beside the target, rename
into place at the end. A full disk, a permission error or a cancel mid-way leaves nothing
half-written, and a target that holds files we did not write is refused, never emptied.

    with new_folder(out, ours={"day", "night", "groups.csv"}, what="data set folder") as tmp:
        ... write everything into tmp ...
"""
from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path
from typing import Iterable

from workbench.core.errors import DataError, WorkbenchError
from workbench.core.oserrors import FileSystemError, describe


def check_target(final: str | os.PathLike, ours: Iterable[str], what: str = "folder") -> Path:
    """``final`` as a Path; DataError when it is a file, or a folder holding anything we would not
    write there (the user's own files are never replaced or deleted)."""
    final = Path(final).expanduser()
    if final.exists() and not final.is_dir():
        raise DataError(f"{final} is a file; choose a folder for the {what}.")
    if final.is_dir():
        try:
            foreign = sorted(p.name for p in final.iterdir() if p.name not in set(ours))
        except OSError as e:
            raise FileSystemError(describe(e, final, what)) from None
        if foreign:
            raise DataError(f"The {what} {final} already holds files Workbench did not write there "
                            f"({', '.join(foreign[:3])}{', ...' if len(foreign) > 3 else ''}); choose an empty or "
                            "new folder.")
    return final


@contextlib.contextmanager
def new_folder(final: str | os.PathLike, *, ours: Iterable[str], what: str = "folder"):
    """Yield a fresh temporary folder; on success it replaces ``final`` (which may only hold what a
    previous run of the same writer put there); on any error it is removed and an OSError becomes
    one sentence."""
    from workbench.core.runs.store import replace_dir

    final = check_target(final, ours, what)
    tmp = final.parent / f".{final.name}.partial-{secrets.token_hex(3)}"
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
    except OSError as e:
        raise FileSystemError(describe(e, final, what)) from None
    try:
        yield tmp
        replace_dir(tmp, final)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise FileSystemError(describe(e, final, what).rstrip(".") + " (nothing half-written was kept).") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


__all__ = ["check_target", "new_folder", "WorkbenchError"]
