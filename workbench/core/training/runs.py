"""Runs stored in a project folder: ``runs/<run_id>/run.json`` plus ``weights.pt`` (best weights).

run.json is plain JSON with a ``schema_version``; weights are plain tensors loaded with
``weights_only=True``. Both files are written atomically, weights first, so a run folder with a
run.json is always complete.
"""
from __future__ import annotations

import os
import platform
import re
import secrets
import time
from pathlib import Path
from typing import Any

from workbench.core.errors import ProjectError
from workbench.core.jsonio import atomic_write_json, load_weights, read_json, save_weights

RUN_SCHEMA_VERSION = 1
_RUN_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


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


class RunStore:
    """All runs of one project folder."""

    def __init__(self, project_dir: str | os.PathLike):
        self.root = Path(project_dir)
        self.runs_dir = self.root / "runs"

    def _dir(self, run_id: str) -> Path:
        if not _RUN_ID.match(run_id or ""):
            raise ProjectError(f"{run_id!r} is not a valid run id; use one from 'workbench runs list'.")
        return self.runs_dir / run_id

    def save(self, record: dict[str, Any], weights: dict | None = None, run_id: str | None = None) -> str:
        """Store one run; returns its id. ``record`` is the run.json content (see module docstring)."""
        run_id = run_id or record.get("run_id") or new_run_id()
        d = self._dir(run_id)
        rec = dict(record)
        rec.setdefault("schema_version", RUN_SCHEMA_VERSION)
        rec["run_id"] = run_id
        rec.setdefault("created", time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        rec.setdefault("versions", library_versions())
        if weights is not None:
            save_weights(d / "weights.pt", weights)
            rec["weights"] = "weights.pt"
        atomic_write_json(d / "run.json", rec)
        return run_id

    def load(self, run_id: str) -> dict[str, Any]:
        d = self._dir(run_id)
        if not (d / "run.json").exists():
            raise ProjectError(f"There is no run {run_id!r} in {self.root}; 'workbench runs list' shows the runs.")
        return read_json(d / "run.json", kind="run file", max_version=RUN_SCHEMA_VERSION)

    def load_weights(self, run_id: str) -> dict:
        return load_weights(self._dir(run_id) / "weights.pt")

    def weights_path(self, run_id: str) -> Path:
        return self._dir(run_id) / "weights.pt"

    def ids(self) -> list[str]:
        if not self.runs_dir.is_dir():
            return []
        return sorted(p.name for p in self.runs_dir.iterdir() if (p / "run.json").is_file())

    def list(self) -> list[dict[str, Any]]:
        """One summary row per readable run, oldest first (damaged runs are listed as such)."""
        rows = []
        for rid in self.ids():
            try:
                rows.append(summarize_run(self.load(rid)))
            except ProjectError as e:
                rows.append({"run_id": rid, "error": str(e)})
        return rows

    def compare(self, run_ids: list[str] | None = None) -> list[dict[str, Any]]:
        ids = run_ids or self.ids()
        return [summarize_run(self.load(r)) for r in ids]

    def delete(self, run_id: str) -> None:
        import shutil

        shutil.rmtree(self._dir(run_id), ignore_errors=True)


def summarize_run(rec: dict[str, Any]) -> dict[str, Any]:
    """The row shown by 'runs list' / 'runs compare'."""
    test = rec.get("test_metrics") or {}
    base = rec.get("baseline") or {}
    hist = rec.get("history") or []
    diag = rec.get("diagnosis") or {}
    cv = rec.get("cross_validation") or {}
    metric = "mae" if ("mae" in test or any("mae" in h for h in hist)) else "accuracy"
    best = rec.get("best_epoch")
    val = None
    if hist and best:
        val = hist[best - 1].get(f"val_{metric}")
    if val is None and cv.get("mean"):
        val = cv["mean"].get(metric)
    data = rec.get("data") or {}
    return {
        "run_id": rec.get("run_id"),
        "created": rec.get("created"),
        "data": data.get("spec") or data.get("name"),
        "model": (rec.get("model") or {}).get("name") or (rec.get("model") or {}).get("preset"),
        "task": rec.get("task"),
        "epochs": len(hist),
        "best_epoch": best,
        "metric": metric,
        "val": val,
        "test": test.get(metric),
        "baseline": base.get(metric),
        "overfit_epoch": diag.get("overfit_epoch"),
        "stop_reason": rec.get("stop_reason"),
    }
