"""Save selected points as a new labelled data set: label unlabelled data by cluster, then load
the result in the Data panel and check the labels.

Images become an image folder (one subfolder per class, PNG files), tables and texts a CSV with a
``label`` column; both load again with ``load_data``. The data set name and every class name go
through ``workbench.core.safety``; the folder or file appears complete or not at all.
"""
from __future__ import annotations

import csv
import io
import os
import shutil
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.core.errors import DataError, WorkbenchError
from workbench.core.jsonio import atomic_write_text
from workbench.core.safety import check_name, safe_child, sanitize_name

FORMATS = ("auto", "folders", "csv")


@dataclass
class SavedSelection:
    path: Path
    format: str  # "folders" or "csv"
    n_samples: int
    classes: dict[str, int]  # class name -> count

    @property
    def source(self) -> str:
        """What to give ``load_data`` (or the Data panel) to load it again."""
        return str(self.path)

    def to_dict(self) -> dict:
        return {"path": str(self.path), "format": self.format, "n_samples": self.n_samples, "classes": self.classes}


def _class_names(names) -> list[str]:
    out = []
    for n in names:
        clean = sanitize_name(str(n), default="unnamed")
        check_name(clean, "class name")
        out.append(clean)
    return out


def save_selection(ds, rows, labels, out_dir: str | os.PathLike, name: str, *, fmt: str = "auto") -> SavedSelection:
    """Write data-set rows ``rows`` with one label each (``labels``: text per row, e.g. "cluster 3"
    or a class the user typed) into ``out_dir`` as data set ``name``."""
    rows = np.asarray(rows, dtype=np.int64)
    labels = [str(v) for v in labels]
    if len(rows) == 0:
        raise WorkbenchError("Nothing is selected; select points or clusters to save.")
    if len(labels) != len(rows):
        raise WorkbenchError(f"{len(rows)} rows but {len(labels)} labels were given.")
    if rows.min() < 0 or rows.max() >= len(ds):
        raise DataError(f"The selection points past the data set's {len(ds)} rows; project the data again.")
    name = check_name(str(name).strip(), "data set name")
    fmt = str(fmt).lower()
    if fmt not in FORMATS:
        raise WorkbenchError(f"Unknown format {fmt!r}; choose folders or csv.")
    if fmt == "auto":
        fmt = "folders" if ds.kind == "image" else "csv"
    if fmt == "folders" and ds.kind != "image":
        raise WorkbenchError(f"Only images can be saved as class folders; save this {ds.kind} data as a CSV.")
    if fmt == "csv" and ds.kind not in ("table", "text"):
        raise WorkbenchError(f"{ds.kind.capitalize()} data cannot be saved as a CSV; save images as class folders.")
    root = Path(out_dir).expanduser()
    root.mkdir(parents=True, exist_ok=True)
    clean = _class_names(labels)
    counts: dict[str, int] = {}
    for c in clean:
        counts[c] = counts.get(c, 0) + 1
    if fmt == "folders":
        target = safe_child(root, name, what="data set name")
        if target.exists():
            raise WorkbenchError(f"{target} already exists; choose another name.")
        _write_folders(ds, rows, clean, root, target)
    else:
        fname = name if name.lower().endswith(".csv") else name + ".csv"
        target = safe_child(root, check_name(fname, "file name"), what="data set name")
        if target.exists():
            raise WorkbenchError(f"{target} already exists; choose another name.")
        atomic_write_text(target, _csv_text(ds, rows, clean))
    return SavedSelection(target, fmt, len(rows), counts)


def _write_folders(ds, rows, labels, root: Path, target: Path) -> None:
    import cv2

    tmp = root / f".saving-{target.name}-{secrets.token_hex(3)}"
    try:
        tmp.mkdir()
        for cname in sorted(set(labels)):
            safe_child(tmp, cname, what="class name").mkdir()
        for j, (r, cname) in enumerate(zip(rows, labels)):
            img = np.asarray(ds.X[int(r)])
            if img.dtype != np.uint8:
                img = np.clip(np.asarray(img, np.float32) * 255.0 + 0.5, 0, 255).astype(np.uint8)
            if img.ndim == 3 and img.shape[2] == 3:
                img = img[:, :, ::-1]  # OpenCV writes BGR
            elif img.ndim == 3 and img.shape[2] == 1:
                img = img[:, :, 0]
            stem = Path(str(ds.paths[int(r)])).stem if ds.paths is not None else f"{ds.name}-{int(r):06d}"
            file = safe_child(tmp, cname, sanitize_name(f"{j:06d}-{stem}") + ".png", what="file name")
            if not cv2.imwrite(str(file), img):
                raise OSError(f"could not write {file.name}")
        os.replace(tmp, target)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise WorkbenchError(f"The data set could not be saved in {root} ({e}); choose a folder you can write "
                             f"to.") from None


def _csv_text(ds, rows, labels) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    if ds.kind == "text":
        w.writerow(["text", "label"])
        for r, lab in zip(rows, labels):
            w.writerow([str(ds.X[int(r)]), lab])
        return buf.getvalue()
    names = list(ds.feature_names or [f"x{j + 1}" for j in range(np.asarray(ds.X).shape[1])])
    if "label" in names:
        raise WorkbenchError("The table already has a column called 'label'; rename it before saving a selection.")
    w.writerow(names + ["label"])
    X = np.asarray(ds.X, dtype=np.float64)
    cats = ds.categories or {}
    for r, lab in zip(rows, labels):
        out = []
        for j, v in enumerate(X[int(r)]):
            if not np.isfinite(v):
                out.append("")
            elif j in cats:
                out.append(cats[j][int(v)])
            else:
                out.append(repr(float(v)) if not float(v).is_integer() else str(int(v)))
        w.writerow(out + [lab])
    return buf.getvalue()
