"""One entry point for every data source: ``load_data("builtin:digits" | folder | "x.csv" | ds.source)``."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from workbench.core.data.builtins import load_builtin
from workbench.core.data.dataset import Dataset
from workbench.core.data.images import load_image_folder
from workbench.core.data.tables import load_csv, load_text_csv
from workbench.core.errors import DataError

TABLE_SUFFIXES = (".csv", ".tsv", ".txt")


def load_data(
    source: str | os.PathLike | dict,
    target: str | int | None = None,
    time_column: str | int | None = None,
    text_column: str | int | None = None,
    *,
    columns: dict[str, str] | list[str] | None = None,
    label_column: str | int | None = None,
    task: str = "auto",
    image_size: tuple[int, int] = (64, 64),
    grayscale: bool = False,
    progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    clip_seconds: float = 1.0,
) -> Dataset:
    """Load a data set.

    ``source`` is "builtin:NAME", an image folder (one subfolder per class), a folder of WAV clips
    in class subfolders (``clip_seconds`` long after cutting / padding), a CSV table, a text CSV
    (pass ``text_column``; a CSV whose only input is free text is found without it), or a
    ``Dataset.source`` dict saved in a run file (it reloads the same data the same way).
    ``columns`` overrides detected column kinds of a CSV ({"age": "categorical"} or
    ["age=categorical"]; kind "ignore" leaves a column out). Raises DataError with a sentence that
    says what to fix.
    """
    if isinstance(source, dict):
        return _load_from_dict(source, progress=progress, should_cancel=should_cancel)
    text = os.fspath(source)
    if text.startswith("builtin:"):
        return load_builtin(text[len("builtin:"):])
    path = Path(text).expanduser()
    if not path.exists():
        hint = " (built-in sets are written builtin:NAME)" if "/" not in text and "\\" not in text and "." not in text else ""
        raise DataError(f"The path {text!r} does not exist{hint}; check the spelling.")
    if path.is_dir():
        from workbench.core.data.audio import is_audio_folder, load_audio_folder

        if is_audio_folder(path):  # WAV files in the class subfolders: a sound data set
            meta = path / "capture.json"  # a set recorded in Workbench knows its clip length
            if clip_seconds == 1.0 and meta.is_file():
                from workbench.core.jsonio import read_json

                clip_seconds = float((read_json(meta, kind="capture set file") or {}).get("seconds", 1.0) or 1.0)
            return load_audio_folder(path, clip_seconds, progress=progress, should_cancel=should_cancel)
        return load_image_folder(path, image_size, grayscale=grayscale, progress=progress,
                                 should_cancel=should_cancel)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        raise DataError(
            f"{path.name} is not a data source Workbench can read; choose a CSV file, a folder with "
            "one subfolder of images per class, or builtin:NAME."
        )
    if text_column is not None:
        return load_text_csv(path, text_column, label_column if label_column is not None else target)
    return load_csv(path, target, time_column, task=task, columns=columns)


def load_with_summary(request: dict, progress=None, should_cancel=None) -> dict:
    """``load_data(**request)`` and its summary: {"dataset", "summary"} (the Data panel's load job).

    ``request`` holds "source" and load_data's keyword arguments; empty values are left out."""
    from workbench.core.data.summary import summarize

    kw = {k: v for k, v in request.items() if k != "source" and v not in (None, "")}
    if "image_size" in kw:
        kw["image_size"] = tuple(kw["image_size"])
    ds = load_data(request["source"], progress=progress, should_cancel=should_cancel, **kw)
    if progress:
        progress(0, 0, "summarizing")
    return {"dataset": ds, "summary": summarize(ds)}


def _load_from_dict(src: dict, **callbacks) -> Dataset:
    kind = src.get("type")
    if kind == "builtin":
        return load_builtin(src["name"])
    if kind == "image_folder":
        return load_image_folder(src["path"], tuple(src.get("image_size", (64, 64))),
                                 grayscale=bool(src.get("grayscale", False)), **callbacks)
    if kind == "audio_folder":
        from workbench.core.data.audio import load_audio_folder

        return load_audio_folder(src["path"], float(src.get("seconds", 1.0)), int(src.get("sample_rate", 16000)),
                                 **callbacks)
    if kind == "csv":
        return load_csv(src["path"], src.get("target"), src.get("time_column"),
                        task=src.get("task", "auto"), drop_columns=src.get("drop_columns") or None,
                        columns=src.get("columns") or None)
    if kind == "text_csv":
        return load_text_csv(src["path"], src.get("text_column", "text"), src.get("label_column"))
    raise DataError(f"This run's data source {src!r} cannot be reloaded; load the data again by hand.")
