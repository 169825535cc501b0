"""The on-disk cache that lets an image folder larger than memory be trained on.

A folder whose decoded images (and their float copy) would not fit in memory is decoded once into
a memory-mapped uint8 array ``images.npy`` (NumPy's .npy format, opened with ``mmap_mode="r"``)
in ``<cache root>/images/<key>/``. The key hashes every source file's path, size and modification
time with the image size and channels, so a second import of the unchanged folder reads the cache
without decoding anything, and any changed, added or removed file makes a new entry.

Training then reads batches from the map and converts them to float32 one batch at a time
(``workbench.core.data.batches.ImageBatches``), so memory does not grow with the data set.

The cache root is ``$WORKBENCH_CACHE`` or the user's cache folder (platformdirs), subfolder
``images``; ``cache_size()`` and ``clear_cache()`` are what the Data panel and
``workbench data cache`` show and do. Only entries this module made are ever deleted.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from workbench.core.errors import DataError
from workbench.core.jsonio import atomic_write_json, read_json

CACHE_VERSION = 1
_OURS = ("images.npy", "meta.json")


def cache_root() -> Path:
    """Where decoded image folders are cached (not created here)."""
    env = os.environ.get("WORKBENCH_CACHE")
    if env:
        return Path(env).expanduser() / "images"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("workbench", appauthor=False)) / "images"


def cache_key(files, image_size: tuple[int, int], channels: int) -> str:
    """A hex digest of the sources (path, size, mtime) and the decoding settings."""
    h = hashlib.sha256(f"v{CACHE_VERSION} {image_size[0]}x{image_size[1]}x{channels}\n".encode())
    for f, label in files:
        try:
            st = os.stat(f)
            h.update(f"{f}\0{label}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{f}\0{label}\0missing\n".encode())
    return h.hexdigest()[:32]


def open_entry(key: str):
    """(read-only memmap of the decoded images, meta dict) for a complete entry, or None."""
    d = cache_root() / key
    meta_path, arr_path = d / "meta.json", d / "images.npy"
    if not (meta_path.is_file() and arr_path.is_file()):
        return None
    try:
        meta = read_json(meta_path, kind="image cache entry")
        X = np.load(arr_path, mmap_mode="r")
    except (DataError, OSError, ValueError):
        return None  # an unreadable entry is simply decoded again
    if not isinstance(meta, dict) or int(meta.get("version", 0)) != CACHE_VERSION:
        return None
    n = int(meta.get("rows", -1))
    if n < 0 or n > len(X):
        return None
    return X[:n], meta


def write_entry(key: str, shape: tuple[int, ...], fill) -> tuple[np.ndarray, dict]:
    """Make the entry ``key``: ``fill(out)`` decodes into the writable map ``out`` of ``shape``
    and returns (rows kept, meta); the folder appears only when complete. Returns what
    ``open_entry`` would."""
    final = cache_root() / key
    need = float(np.prod(shape))
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    if need > 0.9 * free:
        from workbench.core.memory import TooLarge, format_bytes

        raise TooLarge(f"Streaming these images from the on-disk cache needs {format_bytes(need)} in {root}, "
                       f"which has {format_bytes(free)} free; free disk space, set WORKBENCH_CACHE to a larger "
                       "disk, or choose a smaller image size.")
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.partial-", dir=root))
    try:
        out = np.lib.format.open_memmap(tmp / "images.npy", mode="w+", dtype=np.uint8, shape=shape)
        rows, meta = fill(out)
        out.flush()
        del out
        meta = dict(meta, version=CACHE_VERSION, rows=int(rows))
        atomic_write_json(tmp / "meta.json", meta)
        if final.exists():  # an unreadable entry of ours: replaced
            _remove(final)
        os.replace(tmp, final)
    except OSError as e:
        from workbench.core.oserrors import describe

        raise DataError(describe(e, final, "image cache")) from None
    finally:
        if tmp.exists():
            _remove(tmp)
    entry = open_entry(key)
    if entry is None:  # pragma: no cover - the folder was just written
        raise DataError(f"The image cache in {final} could not be read back; check the disk.")
    return entry


def _entries() -> list[Path]:
    root = cache_root()
    if not root.is_dir():
        return []
    # complete entries, and the partial ones an interrupted import left behind
    return [d for d in root.iterdir() if d.is_dir() and ((d / "meta.json").is_file() or ".partial-" in d.name)
            and all(p.name in _OURS for p in d.iterdir())]


def _remove(d: Path) -> None:
    """Delete a cache entry folder: only the files this module writes, then the folder."""
    for n in _OURS:
        try:
            (d / n).unlink()
        except FileNotFoundError:
            pass
        except OSError:
            return
    try:
        d.rmdir()
    except OSError:
        pass


def cache_size() -> dict:
    """{"path", "entries", "bytes"} of the image cache."""
    entries = _entries()
    total = sum((d / n).stat().st_size for d in entries for n in _OURS if (d / n).is_file())
    return {"path": str(cache_root()), "entries": len(entries), "bytes": int(total)}


def clear_cache() -> dict:
    """Delete every cache entry this module made; returns what was freed (as ``cache_size``).
    A data set still open keeps reading its (now unlinked) file until it is closed."""
    freed = cache_size()
    for d in _entries():
        _remove(d)
    return freed
