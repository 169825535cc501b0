"""Atomic, JSON-only persistence helpers (never pickle)."""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from workbench.core.errors import ProjectError


def _default(o: Any):
    # numpy scalars/arrays and Paths are common in our payloads
    try:
        import numpy as np

        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(o, Path):
        return str(o)
    if hasattr(o, "to_dict"):
        return o.to_dict()
    raise TypeError(f"not JSON-serializable: {type(o).__name__}")


def _clean(o: Any):
    """Replace NaN/inf by None so the file is strict JSON."""
    if isinstance(o, float) and not math.isfinite(o):
        return None
    if isinstance(o, dict):
        return {k: _clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_clean(v) for v in o]
    return o


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, then rename over the target."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def to_json(obj: Any, indent: int | None = 2) -> str:
    return json.dumps(_clean(json.loads(json.dumps(obj, default=_default))), indent=indent, allow_nan=False)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, to_json(obj))


def read_json(path: str | os.PathLike, *, kind: str = "file", max_version: int | None = None) -> Any:
    """Read a JSON file; damaged files and files from a newer version raise ProjectError."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"The {kind} {path} does not exist.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ProjectError(f"The {kind} {path} is damaged and cannot be read ({e}).") from None
    if max_version is not None and isinstance(data, dict):
        v = data.get("schema_version", 1)
        if not isinstance(v, int) or v > max_version:
            raise ProjectError(
                f"The {kind} {path} was written by a newer version of Workbench (format {v}); "
                f"this version reads format {max_version} or older. Please update Workbench."
            )
    return data


def save_weights(path: str | os.PathLike, state_dict: dict) -> None:
    """Atomically save a state dict (tensors only) with torch.save."""
    import io

    import torch

    buf = io.BytesIO()
    torch.save({k: v.detach().cpu() for k, v in state_dict.items()}, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_weights(path: str | os.PathLike) -> dict:
    """Load a state dict safely (weights_only=True); a bad file raises ProjectError."""
    import torch

    try:
        return torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ProjectError(f"The weights file {path} does not exist.") from None
    except Exception as e:  # unpickling errors, zip errors, ...
        raise ProjectError(f"The weights file {path} cannot be loaded as plain weights ({e.__class__.__name__}: {e}).") from None
