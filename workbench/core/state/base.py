"""The building block of the project state: a ``Section``, an evented dataclass with checked fields.

A section is a plain dataclass made evented by psygnal (``section.events.<field>`` fires
``(new, old)`` after a field changes, ``section.events.all`` after any). Its field annotations are
its schema: ``from_dict`` and ``update`` check every value against them (and against the declared
numeric bounds of ``workbench.core.state.bounds``) and raise ``StateError`` with one sentence
naming the section and the field, before anything is assigned.

Supported annotations: ``str``, ``int``, ``float`` (an int is accepted and made a float), ``bool``,
``dict``, ``list``, ``list[X]``, ``dict[str, X]``, ``X | None``, ``Literal[...]``, ``Any`` and
another ``Section`` (a nested object).
"""
from __future__ import annotations

import copy
import dataclasses
import types
import typing
from typing import Any, ClassVar, Literal, Union

from psygnal import evented

from workbench.core.errors import ProjectError


class StateError(ProjectError):
    """A value of the project state with the wrong type or outside its bounds."""


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _describe(value: Any) -> str:
    from workbench.core.safety import _describe as describe

    return describe(value)


def _type_name(tp) -> str:
    origin = typing.get_origin(tp)
    if tp is Any:
        return "anything"
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin is list or tp is list:
        return "a list"
    if origin is dict or tp is dict:
        return "an object"
    if isinstance(tp, type) and issubclass(tp, Section):
        return "an object"
    return {str: "text", int: "a whole number", float: "a number", bool: "true or false",
            type(None): "null"}.get(tp, getattr(tp, "__name__", str(tp)))


class _Mismatch(Exception):
    pass


def _convert(value: Any, tp, where: str):
    """``value`` checked against the annotation ``tp`` (an int made a float, a dict made a nested
    Section); raises StateError naming ``where``."""
    if tp is Any:
        return copy.deepcopy(value)
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        for arg in typing.get_args(tp):
            try:
                return _convert(value, arg, where)
            except StateError:
                continue
        raise StateError(f"{where} should be {_type_name(tp)}, not {_describe(value)}.")
    if origin is Literal:
        if value in typing.get_args(tp) and type(value) in {type(a) for a in typing.get_args(tp)}:
            return value
        raise StateError(f"{where} should be {_type_name(tp)}, not {value!r}.")
    if tp is type(None):
        if value is None:
            return None
    elif tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return int(value)
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif tp is str:
        if isinstance(value, str):
            return value
    elif tp is list or origin is list:
        if isinstance(value, (list, tuple)):
            (item,) = typing.get_args(tp) or (Any,)
            return [_convert(v, item, f"{where}[{i}]") for i, v in enumerate(value)]
    elif tp is dict or origin is dict:
        if isinstance(value, dict):
            args = typing.get_args(tp)
            item = args[1] if len(args) == 2 else Any
            if not all(isinstance(k, str) for k in value):
                raise StateError(f"{where} should have text keys.")
            return {k: _convert(v, item, f"{where}[{k!r}]") for k, v in value.items()}
    elif isinstance(tp, type) and issubclass(tp, Section):
        if isinstance(value, tp):
            return value.copy()
        if isinstance(value, dict):
            return tp.from_dict(value, where=where)
    else:  # an annotation this checker does not know: a programming error, not a user one
        raise TypeError(f"unsupported annotation {tp!r} at {where}")
    raise StateError(f"{where} should be {_type_name(tp)}, not {_describe(value)}.")


class Section:
    """Base class of the state's sections; subclasses are made with ``@section("key")``.

    ``key`` is the section's name in project.json; ``title`` the words used in messages."""

    key: ClassVar[str] = ""
    title: ClassVar[str] = ""

    # -- reading and writing --------------------------------------------------------------------
    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def _where(cls, name: str, where: str = "") -> str:
        """"The Day & Night setting 'epochs'" (nested: "The Detection setting 'train.epochs'")."""
        if where.endswith("'"):
            return f"{where[:-1]}.{name}'"
        return f"{where or 'The ' + (cls.title or cls.key) + ' setting'} {name!r}"

    @classmethod
    def check(cls, values: dict, *, where: str = "", strict: bool = False) -> dict:
        """The checked, converted values (only known fields; unknown ones are an error with
        ``strict``, else left out so a file from a newer minor version still opens)."""
        from workbench.core.state.bounds import check_bounds

        if not isinstance(values, dict):
            raise StateError(f"{where or 'The ' + (cls.title or cls.key) + ' settings'} should be an object, "
                             f"not {_describe(values)}.")
        hints = _hints(cls)
        names = set(cls.field_names())
        unknown = [k for k in values if k not in names]
        if strict and unknown:
            raise StateError(f"{cls._where(unknown[0], where)} is not a setting of this section "
                             f"(it has {', '.join(sorted(names))}).")
        out = {}
        for name, value in values.items():
            if name not in names:
                continue
            w = cls._where(name, where)
            out[name] = _convert(value, hints[name], w)
            check_bounds(cls.key, name, out[name], w)
        return out

    @classmethod
    def from_dict(cls, d: dict | None, *, where: str = ""):
        """A section from its project.json dict (missing fields take their defaults)."""
        return cls(**cls.check({} if d is None else d, where=where))

    def to_dict(self) -> dict:
        out = {}
        for name in self.field_names():
            v = getattr(self, name)
            out[name] = v.to_dict() if isinstance(v, Section) else copy.deepcopy(v)
        return out

    def update(self, values: dict | None = None, *, strict: bool = True, **kw) -> None:
        """Check all values first, then set them (one event per field that changed)."""
        checked = self.check({**(values or {}), **kw}, strict=strict)
        for name, value in checked.items():
            if getattr(self, name) != value:
                setattr(self, name, value)

    def replace_with(self, other: "Section") -> None:
        """Take every value of ``other`` (same class), firing events for those that changed."""
        for name in self.field_names():
            v = getattr(other, name)
            v = v.copy() if isinstance(v, Section) else copy.deepcopy(v)
            if getattr(self, name) != v:
                setattr(self, name, v)

    def reset(self) -> None:
        self.replace_with(type(self)())

    def copy(self):
        return type(self).from_dict(self.to_dict())


def section(key: str, title: str = ""):
    """Make a ``Section`` subclass an evented dataclass named ``key`` in project.json."""

    def wrap(cls):
        cls.key = key
        cls.title = title or key.replace("_", " ")
        return evented(dataclasses.dataclass(eq=True)(cls))

    return wrap


def keep_valid(cls: type[Section], d: Any) -> dict:
    """The fields of ``d`` that pass ``cls``'s checks (nested sections field by field); for
    migrating old files, whose panels skipped a wrong value instead of refusing the file."""
    if not isinstance(d, dict):
        return {}
    hints = _hints(cls)
    out = {}
    for name in cls.field_names():
        if name not in d:
            continue
        tp = hints[name]
        if isinstance(tp, type) and issubclass(tp, Section):
            out[name] = keep_valid(tp, d[name])
            continue
        try:
            out.update(cls.check({name: d[name]}))
        except StateError:
            pass
    return out
