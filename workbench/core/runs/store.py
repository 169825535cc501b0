"""Runs stored in a project folder: ``runs/<run_id>/run.json`` plus ``weights.pt`` (best weights).

run.json is ``RunRecord.to_dict()``; weights are plain tensors loaded with ``weights_only=True``.
A run is written into a hidden temporary folder first and renamed into place, so a run folder
with a run.json is always complete and a failed save leaves nothing half-written. When the
project cannot take the run (disk full, read-only, a file where the folder should be), the
weights go to a temporary folder whose path the error names, so a finished training is never lost.
"""
from __future__ import annotations

import errno
import os
import platform
import secrets
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from workbench.core.errors import ProjectError, WorkbenchError
from workbench.core.jsonio import atomic_write_json, load_weights, read_json, save_weights
from workbench.core.runs.record import RUN_SCHEMA_VERSION, RunRecord
from workbench.core.runs.summary import summarize
from workbench.core.safety import UnsafeName, check_name

RUN_FILE = "run.json"
WEIGHTS_FILE = "weights.pt"


def library_versions() -> dict[str, str]:
    import importlib.metadata as md

    import workbench

    out = {"workbench": workbench.__version__, "python": platform.python_version()}
    for name in ("torch", "numpy", "scikit-learn"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            pass
    return out


def new_run_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.localtime()) + "-" + secrets.token_hex(2)


def now_iso() -> str:
    from datetime import datetime

    # milliseconds: runs made within one second still list in the order they were made
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def check_project_writable(project_dir: str | os.PathLike) -> Path:
    """Raise ProjectError (one sentence) unless runs can be written into ``project_dir``; called
    before a training starts so a full or read-only disk is found before the work, not after."""
    root = Path(project_dir).expanduser()
    if root.exists() and not root.is_dir():
        raise ProjectError(f"The project {root} is a file, not a folder; choose a folder for the project.")
    try:
        (root / "runs").mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=root / "runs")
        os.close(fd)
        os.unlink(probe)
    except OSError as e:
        raise ProjectError(f"Runs cannot be saved in {root} ({e.strerror or e}); choose a folder you can "
                           "write to.") from None
    return root


class RunStore:
    """All runs of one project folder."""

    def __init__(self, project_dir: str | os.PathLike):
        self.root = Path(project_dir)
        self.runs_dir = self.root / "runs"

    def _dir(self, run_id: str) -> Path:
        try:
            check_name(run_id, "run id")
        except UnsafeName as e:
            raise ProjectError(f"{run_id!r} is not a valid run id ({e}) Use one from 'workbench runs list'.") from None
        return self.runs_dir / run_id

    def exists(self, run_id: str) -> bool:
        return (self._dir(run_id) / RUN_FILE).is_file()

    def check_writable(self) -> None:
        check_project_writable(self.root)

    def save(self, record: RunRecord, weights: dict | None = None, run_id: str | None = None) -> str:
        """Store one run (a new folder, or a replacement of the same id); returns its id and sets
        ``record.run_id``, ``created``, ``versions`` and ``weights`` on the record."""
        if not isinstance(record, RunRecord):
            record = RunRecord.from_dict(record)
        run_id = run_id or record.run_id or new_run_id()
        final = self._dir(run_id)
        record.run_id = run_id
        record.created = record.created or now_iso()
        record.versions = record.versions or library_versions()
        record.weights = WEIGHTS_FILE if weights is not None else (record.weights if final.exists() else None)
        tmp = self.runs_dir / f".saving-{run_id}-{secrets.token_hex(3)}"
        try:
            tmp.mkdir(parents=True)
            if weights is not None:
                save_weights(tmp / WEIGHTS_FILE, weights)
            elif (final / WEIGHTS_FILE).exists():
                shutil.copy2(final / WEIGHTS_FILE, tmp / WEIGHTS_FILE)
            atomic_write_json(tmp / RUN_FILE, record.to_dict())
            replace_dir(tmp, final)
        except OSError as e:
            shutil.rmtree(tmp, ignore_errors=True)
            kept = _keep_elsewhere(record, weights)
            raise ProjectError(f"The run could not be saved in {self.root} ({e.strerror or e}); "
                               f"it was kept in {kept} instead.") from None
        return run_id

    def load(self, run_id: str) -> RunRecord:
        d = self._dir(run_id)
        f = d / RUN_FILE
        if not f.is_file():
            raise ProjectError(f"There is no run {run_id!r} in {self.root}; 'workbench runs list' shows the runs.")
        data = read_json(f, kind="run file", max_version=RUN_SCHEMA_VERSION)
        rec = RunRecord.from_dict(data, where=str(f))
        rec.run_id = run_id
        return rec

    def load_weights(self, run_id: str) -> dict:
        return load_weights(self._dir(run_id) / WEIGHTS_FILE)

    def weights_path(self, run_id: str) -> Path:
        return self._dir(run_id) / WEIGHTS_FILE

    def ids(self) -> list[str]:
        if not self.runs_dir.is_dir():
            return []
        out = []
        for p in self.runs_dir.iterdir():
            if p.name.startswith(".") or not (p / RUN_FILE).is_file():
                continue
            try:
                check_name(p.name)
            except UnsafeName:
                continue
            out.append(p.name)
        return sorted(out)

    def records(self) -> tuple[list[RunRecord], list[dict[str, str]]]:
        """(readable runs oldest first, damaged runs as {"run_id", "error"})."""
        good, bad = [], []
        for rid in self.ids():
            try:
                good.append(self.load(rid))
            except WorkbenchError as e:
                bad.append({"run_id": rid, "error": str(e)})
            except _DAMAGE as e:  # a field no schema foresaw: this run is damaged, the others still list
                bad.append({"run_id": rid, "error": f"The run {rid} is damaged and cannot be read "
                                                   f"({type(e).__name__}: {str(e)[:120]})."})
        good.sort(key=lambda r: (r.created or "", r.run_id or ""))
        return good, bad

    def list(self) -> list[dict[str, Any]]:
        """One summary row per run, oldest first; a damaged run is a row with "error"."""
        good, bad = self.records()
        rows = []
        for r in good:
            try:
                rows.append(summarize(r))
            except (WorkbenchError, *_DAMAGE) as e:
                bad.append({"run_id": r.run_id, "error": f"The run {r.run_id} is damaged and cannot be summarized "
                                                         f"({str(e)[:160]})."})
        return rows + bad

    def compare(self, run_ids: list[str] | None = None) -> list[dict[str, Any]]:
        if not run_ids:
            return [summarize(r) for r in self.records()[0]]
        return [summarize(self.load(r)) for r in run_ids]

    def delete(self, run_id: str) -> None:
        d = self._dir(run_id)
        if d.is_symlink():
            d.unlink()
        elif d.is_dir():
            shutil.rmtree(d)

    def copy_from(self, other: "RunStore", run_id: str) -> str:
        """Copy one run (record and weights) from another project's store into this one."""
        if other.root.resolve() == self.root.resolve():
            return run_id
        rec = other.load(run_id)
        weights = other.load_weights(run_id) if other.weights_path(run_id).is_file() else None
        return self.save(rec, weights, run_id=run_id)


# what reading a hand-edited file can raise beyond our own sentences
_DAMAGE = (TypeError, ValueError, KeyError, AttributeError, IndexError)


def replace_dir(tmp: Path, final: Path, ours=None) -> None:
    """Put the complete folder ``tmp`` at ``final`` (replacing an older one) with renames only.

    ``ours``: the names Workbench writes in such a folder. When ``final`` also holds anything else
    (the user's own files beside an earlier export), only our files are replaced, one rename each,
    and everything else is left as it was: a writer never deletes what it did not create."""
    if final.exists() and ours is not None and any(p.name not in set(ours) for p in final.iterdir()):
        for p in tmp.iterdir():
            target = final / p.name
            if target.is_dir() and not target.is_symlink():
                raise OSError(errno.EEXIST, "a folder of the same name is in the way", str(target))
            os.replace(p, target)
        tmp.rmdir()
        return
    if final.exists():
        old = final.parent / f".replaced-{final.name}-{secrets.token_hex(3)}"
        os.replace(final, old)
        os.replace(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, final)


def _keep_elsewhere(record: RunRecord, weights: dict | None) -> Path:
    """Write a run that the project could not take into a fresh temporary folder."""
    where = Path(tempfile.mkdtemp(prefix=f"workbench-unsaved-run-{record.run_id}-"))
    try:
        if weights is not None:
            save_weights(where / WEIGHTS_FILE, weights)
        atomic_write_json(where / RUN_FILE, record.to_dict())
    except OSError:
        pass  # the temp folder too is unwritable: nothing more can be done; the message still says where we tried
    return where
