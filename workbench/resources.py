"""Find bundled resources (icons, demo data, style images) the same way from source and frozen apps."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding Workbench's bundled resources.

    Order: $WORKBENCH_RESOURCES; the frozen app's bundle (PyInstaller's sys._MEIPASS/resources);
    the repository's top-level ``resources/`` beside the ``workbench`` package (source and editable installs).
    """
    env = os.environ.get("WORKBENCH_RESOURCES")
    if env:
        return Path(env)
    if getattr(sys, "frozen", False):
        base = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
        return base / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)
