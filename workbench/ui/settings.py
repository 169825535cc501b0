"""User settings (window geometry, current panel, splitters, recent projects, reopen the last one).

A JSON file with ``schema_version`` under the user's config directory
(``$WORKBENCH_CONFIG_DIR`` overrides; else QStandardPaths' AppConfigLocation). Written atomically.
Older files are migrated step by step (``MIGRATIONS``); damaged or newer files are ignored (the
app starts with defaults and says so) rather than crashing.
"""
from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any, Callable

from workbench.core.errors import ProjectError
from workbench.core.jsonio import atomic_write_json
from workbench.core.jsonio import migrate as migrate_versions

SCHEMA_VERSION = 3
FILE_NAME = "settings.json"
MAX_RECENT = 8


def config_dir() -> Path:
    env = os.environ.get("WORKBENCH_CONFIG_DIR")
    if env:
        return Path(env)
    from PySide6.QtCore import QStandardPaths

    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.GenericConfigLocation)
    return Path(base or Path.home() / ".config") / "workbench"


def settings_path() -> Path:
    return config_dir() / FILE_NAME


def defaults() -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "geometry": None,        # base64 of QMainWindow.saveGeometry()
        "window_state": None,    # base64 of QMainWindow.saveState()
        "current_panel": "Data",
        "splitters": {},         # name -> base64 of QSplitter.saveState()
        "recent_projects": [],
        "last_dir": "",
        "reopen_last_project": True,  # open the most recent project at start
    }


def _v1_to_v2(d: dict) -> dict:
    # v1 kept one "splitter" entry for the main splitter only.
    d = dict(d)
    sp = d.pop("splitter", None)
    d.setdefault("splitters", {})
    if sp:
        d["splitters"]["main"] = sp
    d["schema_version"] = 2
    return d


def _v2_to_v3(d: dict) -> dict:
    # v3 reopens the last project at start unless the user turned it off
    d = dict(d)
    d.setdefault("reopen_last_project", True)
    return d


MIGRATIONS: dict[int, Callable[[dict], dict]] = {1: _v1_to_v2, 2: _v2_to_v3}

# the type of every known field; a wrong-typed field falls back to its default (with a message)
FIELD_TYPES: dict[str, tuple] = {"geometry": (str, type(None)), "window_state": (str, type(None)),
                                 "current_panel": (str,), "splitters": (dict,), "recent_projects": (list,),
                                 "last_dir": (str,), "reopen_last_project": (bool,)}


def _valid(key: str, value: Any) -> bool:
    types = FIELD_TYPES.get(key)
    if types is None:
        return True
    if not isinstance(value, types):
        return False
    if key == "recent_projects":
        return all(isinstance(v, str) for v in value)
    if key == "splitters":
        return all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    return True


def migrate(d: dict) -> dict:
    return migrate_versions(d, MIGRATIONS, SCHEMA_VERSION, kind="settings file")


class Settings:
    """Dict-like settings with load/save. ``problem`` says why a file was ignored (or "")."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path else settings_path()
        self.data = defaults()
        self.problem = ""

    def load(self) -> "Settings":
        self.data = defaults()
        self.problem = ""
        if not self.path.exists():
            return self
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError("not a JSON object")
            v = raw.get("schema_version", 1)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"its format version {v!r} is not a whole number")
            if v > SCHEMA_VERSION:
                self.problem = (f"Settings file {self.path} is from a newer Workbench (format {v}); "
                                "using defaults and leaving it untouched.")
                self._read_only = True
                return self
            raw = migrate(raw)
        except (OSError, ValueError, KeyError, RecursionError, ProjectError) as e:
            self.problem = f"Settings file {self.path} could not be read ({e}); using defaults."
            return self
        bad = sorted(k for k, v in raw.items() if not _valid(k, v))
        self.data.update({k: v for k, v in raw.items() if k not in bad})
        if bad:
            self.problem = (f"Settings file {self.path}: {', '.join(bad)} had the wrong type and "
                            f"{'was' if len(bad) == 1 else 'were'} reset to the default.")
        return self

    def save(self) -> None:
        if getattr(self, "_read_only", False):
            return
        d = dict(self.data)
        d["schema_version"] = SCHEMA_VERSION
        atomic_write_json(self.path, d)

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.data[key] = value

    # -- helpers -----------------------------------------------------------------------------
    def add_recent(self, path: str | Path) -> None:
        p = str(Path(path).resolve())
        rec = [r for r in self.data.get("recent_projects", []) if r != p]
        self.data["recent_projects"] = [p] + rec[: MAX_RECENT - 1]

    def remove_recent(self, path: str | Path) -> None:
        p = str(Path(path).resolve())
        self.data["recent_projects"] = [r for r in self.data.get("recent_projects", []) if r != p]


def b64(qbytearray) -> str:
    return base64.b64encode(bytes(qbytearray)).decode("ascii")


def unb64(text: str | None):
    from PySide6.QtCore import QByteArray

    if not text:
        return None
    try:
        return QByteArray(base64.b64decode(text.encode("ascii")))
    except Exception:
        return None
