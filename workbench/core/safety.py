"""Safe paths and validated loading: every name that comes from a user or from a file goes through here.

A *name* (a run id, a person id, an image file name, a class folder, an export name) is one path
component: no separators, no ``..``, not absolute, no control characters. ``safe_child(root, name)``
joins it to a folder and checks that the result, after resolving links, is still inside that
folder, so a crafted ``gallery.json`` or run id can never make the app write or delete elsewhere.

``check_fields`` validates the type of each field of a dict read from a file before anything uses
it: a wrong type is one sentence naming the file and the field (a ``ProjectError``), never a
``TypeError`` deep inside a panel.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

from workbench.core.errors import ProjectError, WorkbenchError

MAX_NAME_LENGTH = 200
_BAD_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:")
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


class UnsafeName(WorkbenchError):
    """A name from a user or a file that would leave its folder (or cannot be a file name)."""


def check_name(name: Any, what: str = "name") -> str:
    """Return ``name`` if it is one safe path component, else raise ``UnsafeName`` with a sentence."""
    if not isinstance(name, str):
        raise UnsafeName(f"The {what} {name!r} is not text.")
    if not name.strip():
        raise UnsafeName(f"The {what} is empty; give it a name.")
    if name in (".", "..") or name.strip(". ") == "":
        raise UnsafeName(f"{name!r} cannot be used as a {what}.")
    if _BAD_CHARS.search(name) or _WINDOWS_DRIVE.match(name) or os.path.isabs(name):
        raise UnsafeName(f"The {what} {name!r} contains a path separator or a control character; "
                         "use letters, digits, spaces, '-', '_' or '.'.")
    if len(name) > MAX_NAME_LENGTH:
        raise UnsafeName(f"The {what} is {len(name)} characters long; use at most {MAX_NAME_LENGTH}.")
    if name.split(".")[0].upper() in _WINDOWS_RESERVED:
        raise UnsafeName(f"{name!r} is a reserved device name on Windows; choose another {what}.")
    return name


def is_safe_name(name: Any) -> bool:
    try:
        check_name(name)
    except UnsafeName:
        return False
    return True


def safe_child(root: str | os.PathLike, *names: str, what: str = "name") -> Path:
    """``root / name1 / name2 ...`` after checking every name; the result must stay inside ``root``
    even after symbolic links are resolved."""
    root = Path(root)
    path = root
    for n in names:
        path = path / check_name(n, what)
    inside(root, path, what=what)
    return path


def inside(root: str | os.PathLike, path: str | os.PathLike, what: str = "path") -> Path:
    """Raise ``UnsafeName`` unless ``path`` (resolved) lies inside ``root`` (resolved)."""
    r = Path(root).resolve()
    p = Path(path).resolve()
    if p != r and r not in p.parents:
        raise UnsafeName(f"The {what} {str(path)!r} points outside {root}; it was not used.")
    return Path(path)


def sanitize_name(text: str, default: str = "untitled") -> str:
    """Turn free text (a class name typed by a user, a person's display name) into a safe folder
    name: separators and control characters become '_', and the result is never empty or '..'."""
    out = _BAD_CHARS.sub("_", str(text)).strip().strip(".")
    out = out[:MAX_NAME_LENGTH].strip()
    if not out or out.split(".")[0].upper() in _WINDOWS_RESERVED:
        out = default if not out else f"_{out}"
    return out


# ------------------------------------------------------------------------------------------------
# validated fields of dicts read from files

_TYPE_NAMES = {str: "text", int: "a whole number", float: "a number", bool: "true/false", list: "a list",
               dict: "an object", type(None): "null"}


def _type_name(t) -> str:
    if isinstance(t, tuple):
        return " or ".join(_type_name(x) for x in t)
    return _TYPE_NAMES.get(t, getattr(t, "__name__", str(t)))


def _matches(value: Any, t) -> bool:
    types = t if isinstance(t, tuple) else (t,)
    for x in types:
        if x is float and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if x is int and isinstance(value, int) and not isinstance(value, bool):
            return True
        if x not in (int, float) and isinstance(value, x):
            return True
    return False


def check_fields(data: Any, fields: Mapping[str, Any], *, kind: str, where: str | os.PathLike = "",
                 required: Iterable[str] = ()) -> dict:
    """Check that ``data`` is a dict whose listed fields (when present) have the given types.

    ``fields`` maps a key to a type or a tuple of types (``float`` accepts ints, ``int`` refuses
    bools). Missing keys are fine unless listed in ``required``. Returns ``data``; raises
    ``ProjectError`` "The run file X is damaged: 'best_epoch' should be a whole number, not text."
    """
    loc = f" {where}" if where else ""
    if not isinstance(data, dict):
        raise ProjectError(f"The {kind}{loc} is damaged: it holds {_describe(data)} instead of a JSON object.")
    for key in required:
        if key not in data:
            raise ProjectError(f"The {kind}{loc} is damaged: it has no {key!r} field.")
    for key, t in fields.items():
        if key in data and not _matches(data[key], t):
            raise ProjectError(f"The {kind}{loc} is damaged: {key!r} should be {_type_name(t)}, "
                               f"not {_describe(data[key])}.")
    return data


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def check_schema(data: Any, schema: Mapping[str, Any], *, kind: str, where: str | os.PathLike = "") -> Any:
    """Check nested fields of a dict read from a file: ``schema`` maps a dotted path to a type or a
    tuple of types (``None`` in the tuple allows null); ``[]`` in a path means every item of a
    list ("model.spec.layers[].l1"). Absent fields are fine; a field under a parent of another type
    is left to the parent's check. Raises ProjectError naming the file and the field."""
    loc = f" {where}" if where else ""

    def walk(value, parts, shown):
        if not parts:
            return [(shown, value)]
        head, rest = parts[0], parts[1:]
        out = []
        many = head.endswith("[]")
        key = head[:-2] if many else head
        if key:
            if not isinstance(value, dict) or key not in value:
                return []
            value, shown = value[key], f"{shown}.{key}" if shown else key
        if many:
            if not isinstance(value, list):
                return []
            for i, item in enumerate(value):
                out += walk(item, rest, f"{shown}[{i}]")
            return out
        return walk(value, rest, shown)

    for path, t in schema.items():
        types = t if isinstance(t, tuple) else (t,)
        allow_none = None in types
        types = tuple(x for x in types if x is not None) or (type(None),)
        for shown, value in walk(data, [p for p in path.replace("[]", "[]." ).split(".") if p], ""):
            if value is None and allow_none:
                continue
            if not _matches(value, types):
                raise ProjectError(f"The {kind}{loc} is damaged: {shown!r} should be {_type_name(types)}"
                                   f"{' or null' if allow_none else ''}, not {_describe(value)}.")
    return data
