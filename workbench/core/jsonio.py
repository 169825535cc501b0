"""Atomic, JSON-only persistence helpers (never pickle)."""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

from workbench.core.errors import ProjectError

MAX_JSON_BYTES = 256 * 1024 * 1024


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
        # mkstemp makes the file 0600; a saved project must get the user's normal permissions
        os.chmod(tmp, 0o666 & ~_umask())
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


def _umask() -> int:
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0)  # the only way to read it is to set it: put it back at once
        os.umask(_UMASK)
    return _UMASK


_UMASK: int | None = None


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def to_json(obj: Any, indent: int | None = 2) -> str:
    return json.dumps(_clean(json.loads(json.dumps(obj, default=_default))), indent=indent, allow_nan=False)


def atomic_write_json(path: str | os.PathLike, obj: Any) -> None:
    atomic_write_text(path, to_json(obj))


def read_json(path: str | os.PathLike, *, kind: str = "file", max_version: int | None = None) -> Any:
    """Read a JSON file; damaged files and files from a newer version raise ProjectError."""
    path = Path(path)
    if path.is_dir():
        raise ProjectError(f"The {kind} {path} is a folder, not a file.")
    try:
        if path.exists() and not path.is_file():
            raise ProjectError(f"The {kind} {path} is not a regular file.")
        size = path.stat().st_size
        if size > MAX_JSON_BYTES:
            raise ProjectError(f"The {kind} {path} is {size / 1e6:.0f} MB, too large for a Workbench file.")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProjectError(f"The {kind} {path} does not exist.") from None
    except PermissionError:
        raise ProjectError(f"The {kind} {path} cannot be read: permission denied.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ProjectError(f"The {kind} {path} is damaged and cannot be read ({e}).") from None
    except RecursionError:
        raise ProjectError(f"The {kind} {path} is damaged: it is nested too deeply to be a Workbench file.") from None
    except ValueError as e:  # e.g. an integer with more digits than Python converts
        raise ProjectError(f"The {kind} {path} is damaged and cannot be read ({e}).") from None
    if max_version is not None and isinstance(data, dict):
        check_version(data, max_version, kind=kind, where=path)
    return data


def check_version(data: dict, max_version: int, *, kind: str, where: str | os.PathLike = "") -> int:
    """The dict's ``schema_version`` (1 when absent); ProjectError if it is not a whole number or
    newer than ``max_version`` (a file from a newer Workbench is never overwritten or guessed at)."""
    v = data.get("schema_version", 1)
    loc = f" {where}" if where else ""
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise ProjectError(f"The {kind}{loc} is damaged: its format version {v!r} is not a whole number.")
    if v > max_version:
        raise ProjectError(
            f"The {kind}{loc} was written by a newer version of Workbench (format {v}); "
            f"this version reads format {max_version} or older. Please update Workbench."
        )
    return v


def fields_dict(obj, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """A dataclass's fields as a (shallow) dict, without the fields in ``exclude``."""
    from dataclasses import fields

    return {f.name: getattr(obj, f.name) for f in fields(obj) if f.name not in exclude}


def from_fields(cls, d: dict[str, Any]):
    """``cls(**d)`` with only the keys that are fields of the dataclass ``cls`` (a file from an
    older or newer Workbench may hold others)."""
    from dataclasses import fields

    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in d.items() if k in names})


def migrate(data: dict, migrations: dict, target: int, *, kind: str, absent: int = 1) -> dict:
    """Upgrade a versioned dict one format at a time up to ``target``: ``migrations[n]`` turns
    format n into format n+1. The format is the dict's ``schema_version`` (``absent`` when it has
    none). ProjectError (one sentence) for a damaged version or a format no step starts from."""
    v = data.get("schema_version", absent)
    if not isinstance(v, int) or isinstance(v, bool) or v < 0:
        raise ProjectError(f"The {kind} has an invalid format version {v!r}; it cannot be opened.")
    d = dict(data)
    while v < target:
        step = migrations.get(v)
        if step is None:
            raise ProjectError(f"{kind[0].upper() + kind[1:]}s of format {v} cannot be upgraded by this version "
                               "of Workbench.")
        d = step(d)
        v += 1
        d["schema_version"] = v
    return d


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
        state = torch.load(Path(path), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ProjectError(f"The weights file {path} does not exist.") from None
    except IsADirectoryError:
        raise ProjectError(f"The weights file {path} is a folder, not a file.") from None
    except PermissionError:
        raise ProjectError(f"The weights file {path} cannot be read: permission denied.") from None
    except Exception as e:  # unpickling errors, zip errors, ...
        raise ProjectError(f"The weights file {path} cannot be loaded as plain weights "
                           f"({e.__class__.__name__}: {_first_line(e)}). Workbench loads only plain tensors; "
                           "a file that needs code to load is refused.") from None
    if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
        raise ProjectError(f"The weights file {path} does not hold a state dict (names -> tensors).")
    return state


def _first_line(e: Exception) -> str:
    """The error's first line, without torch's advice to retry with weights_only=False (never
    safe for a file we did not write)."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    for marker in ("Re-running `torch.load`", "weights_only=False", "(1) In PyTorch"):
        i = text.find(marker)
        if i >= 0:
            text = text[:i].rstrip(" .;:")
    return text or type(e).__name__


def check_state_dict(model, state: dict, where) -> dict:
    """ProjectError (one sentence) unless ``state`` has exactly the built ``model``'s weight names
    with the same shapes: checked before ``load_state_dict``, so a weights file from another model
    or a damaged one is named, never a RuntimeError with hundreds of lines."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    extra = [k for k in state if k not in own]
    if missing or extra:
        what = (f"it lacks {len(missing)} of the model's weights (e.g. {missing[0]!r})" if missing
                else f"it holds {len(extra)} weights the model does not have (e.g. {extra[0]!r})")
        raise ProjectError(f"The weights file {where} does not belong to this model: {what}; use the folder the "
                           "model was saved in, or train it again.")
    for k, v in own.items():
        got = tuple(getattr(state[k], "shape", ()))
        if got != tuple(v.shape):
            raise ProjectError(f"The weights file {where} does not belong to this model: {k!r} has shape {list(got)} "
                               f"instead of {list(v.shape)}; use the folder the model was saved in, or train it again.")
    return state
