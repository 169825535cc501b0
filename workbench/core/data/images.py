"""Import an image folder: one subfolder per class, every image resized to one resolution.

Memory stays bounded: the result array (N, H, W, C) uint8 is allocated once up front and each
worker decodes one file straight into its row, so at most ``workers`` encoded files are in memory
at any time. OpenCV releases the GIL while decoding and resizing, so a thread pool scales.
"""
from __future__ import annotations

import contextlib
import os
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Callable

import numpy as np

from workbench.core.data.dataset import Dataset
from workbench.core.errors import Cancelled, DataError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
# OpenCV refuses, from the header and before any allocation, images above this many pixels (a
# 50000x50000 PNG is a few kB on disk and 7.5 GB in memory); workbench/__init__.py hands the limit to
# OpenCV (OPENCV_IO_MAX_IMAGE_PIXELS) before cv2 is first imported
from workbench import MAX_IMAGE_PIXELS  # noqa: E402
MAX_IMAGE_SIDE = 4096  # the largest resolution a data set is resized to
# decoded sizes above this many bytes stream from the on-disk cache; None: when the images and their
# float32 copy would take more than memory.MAX_SHARE of the machine's memory
STREAM_ABOVE_BYTES: float | None = None


class ImportCancelled(DataError, Cancelled):
    """The user cancelled an import (``should_cancel()`` returned True). Nothing was returned."""


def _is_hidden(p: Path) -> bool:
    return p.name.startswith(".") or p.name in {"Thumbs.db", "desktop.ini"}


def scan_image_folder(path: str | os.PathLike, extensions: tuple[str, ...] = IMAGE_EXTENSIONS,
                      what: str = "images", one: str = "an image file") -> tuple[list[str], list[tuple[Path, int]], list[tuple[str, str]]]:
    """(class names, [(file, class index)], skipped) for a folder with one subfolder per class.

    ``extensions`` / ``what`` / ``one`` say which files count (images by default; the audio-folder
    source passes .wav, "WAV files", "a WAV file"). Raises DataError for a missing path, a folder without class
    subfolders or files, or fewer than two classes with files.
    """
    root = Path(path).expanduser()
    kinds = ", ".join(e.lstrip(".") for e in extensions)
    if not root.exists():
        raise DataError(f"The folder {str(root)!r} does not exist; choose a folder with one subfolder per class.")
    if not root.is_dir():
        raise DataError(f"{str(root)!r} is a file, not a folder; choose a folder with one subfolder per class.")
    if not os.access(root, os.R_OK | os.X_OK):
        raise DataError(f"The folder {str(root)!r} cannot be read: permission denied.")
    skipped: list[tuple[str, str]] = []
    class_dirs = sorted((p for p in root.iterdir() if p.is_dir() and not _is_hidden(p)), key=lambda p: p.name)
    for d in [d for d in class_dirs if not os.access(d, os.R_OK | os.X_OK)]:
        skipped.append((str(d), "class folder cannot be read: permission denied"))
        class_dirs.remove(d)
    loose = [p for p in root.iterdir() if p.is_file() and p.suffix.lower() in extensions]
    if not class_dirs:
        if loose:
            raise DataError(
                f"The folder {str(root)!r} holds {what} but no class subfolders; put each class's "
                f"{what} in its own subfolder (e.g. cats/ and dogs/)."
            )
        raise DataError(f"The folder {str(root)!r} is empty; add one subfolder of {what} per class.")
    for p in loose:
        skipped.append((str(p), f"{what} outside the class subfolders"))
    class_names: list[str] = []
    files: list[tuple[Path, int]] = []
    for d in class_dirs:
        mine: list[Path] = []
        for dirpath, dirnames, filenames in os.walk(d):
            dirnames[:] = sorted(n for n in dirnames if not n.startswith("."))
            for fn in sorted(filenames):
                f = Path(dirpath) / fn
                if _is_hidden(f):
                    continue
                if not _regular_file(f):  # a FIFO or device named x.png would block the import
                    skipped.append((str(f), "not a regular file"))
                    continue
                if f.suffix.lower() in extensions:
                    mine.append(f)
                else:
                    skipped.append((str(f), f"not {one} ({f.suffix or 'no extension'})"))
        if not mine:
            skipped.append((str(d), f"class folder has no {what}"))
            continue
        idx = len(class_names)
        class_names.append(d.name)
        files.extend((f, idx) for f in mine)
    if not files:
        raise DataError(
            f"No {what} were found in {str(root)!r}; put {kinds} files in one subfolder per class."
        )
    if len(class_names) < 2:
        denied = [Path(f).name for f, why in skipped if "permission denied" in why]
        raise DataError(
            f"Only one class ({class_names[0]!r}) has {what} in {str(root)!r}"
            + (f" (the class folder {denied[0]!r} cannot be read: permission denied)" if denied else "")
            + f"; a classifier needs at least two, so add a second subfolder of {what}"
            + (" or change the folder's permissions." if denied else ".")
        )
    return class_names, files, skipped


def _regular_file(p: Path) -> bool:
    import stat

    try:
        return stat.S_ISREG(p.stat().st_mode)
    except OSError:
        return False


def read_image_rgb(path: str | os.PathLike) -> np.ndarray | None:
    """Decode one image file to RGB uint8 at its own size, or None when it is not a readable image.

    Through the one image reader (``workbench.core.media``): FIFOs, devices and huge headers are
    refused, never waited on or decoded.
    """
    from workbench.core.media import try_read_image

    return try_read_image(path, "rgb8")


def decode_image(path: str | os.PathLike, image_size: tuple[int, int], channels: int = 3) -> np.ndarray:
    """Decode one file to (H, W, channels) uint8 RGB/grey at ``image_size`` = (height, width).

    Raises ValueError when the file cannot be decoded, is not a regular file, or its header claims
    more than MAX_IMAGE_PIXELS pixels (OpenCV checks that before it allocates anything).
    """
    from workbench.core.media import read_image

    try:
        img = read_image(path, "grey" if channels == 1 else "bgr")
    except DataError as e:  # the import lists the file as skipped with this reason
        raise ValueError(str(e)) from None
    return _fit(img, image_size, channels)


def _fit(img: np.ndarray, image_size: tuple[int, int], channels: int) -> np.ndarray:
    import cv2

    h, w = image_size
    if img.shape[0] != h or img.shape[1] != w:
        shrinking = img.shape[0] * img.shape[1] > h * w
        img = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    if channels == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    else:
        img = img[..., None]
    return img


def check_image_size(image_size) -> tuple[int, int]:
    """(height, width) as ints, or DataError when a side is below 4 or above MAX_IMAGE_SIDE pixels."""
    try:
        h, w = int(image_size[0]), int(image_size[1])
    except (TypeError, ValueError, IndexError):
        raise DataError(f"Cannot read the image size {image_size!r}; give two whole numbers such as 64x64.") from None
    if min(h, w) < 4 or max(h, w) > MAX_IMAGE_SIDE:
        raise DataError(f"The image size {w}x{h} is out of range; each side must be between 4 and "
                        f"{MAX_IMAGE_SIDE} pixels (e.g. 64x64).")
    return h, w


@contextlib.contextmanager
def _quiet_opencv():
    """Corrupt files are expected and reported in ``ds.skipped``; keep OpenCV's own messages
    about them off the terminal while importing."""
    import cv2

    try:
        logging = cv2.utils.logging
        previous = logging.getLogLevel()
        logging.setLogLevel(logging.LOG_LEVEL_SILENT)
    except AttributeError:  # pragma: no cover - builds without the logging API
        yield
        return
    try:
        yield
    finally:
        logging.setLogLevel(previous)


def _decode_into(out: np.ndarray, files, progress, should_cancel, workers, path) -> dict[int, str]:
    """Decode ``files`` into the rows of ``out`` (N, H, W, C) in a thread pool; returns the reasons
    of the rows that could not be decoded, by row. Raises ImportCancelled when cancelled."""
    total, h, w, channels = out.shape
    reasons: dict[int, str] = {}
    cancelled = threading.Event()

    def work(lo: int, hi: int) -> int:
        # a chunk of files per task: per-future overhead would otherwise rival decoding a
        # small image; the cancel flag is checked per file so a cancel lands quickly
        for i in range(lo, hi):
            if cancelled.is_set():
                return i - lo
            try:
                out[i] = decode_image(files[i][0], (h, w), channels)
            except (ValueError, OSError) as e:
                reasons[i] = str(e) or type(e).__name__
            except Exception as e:  # cv2.error and friends: a bad file must not stop the import
                reasons[i] = f"could not decode: {type(e).__name__}: {e}".strip()
        return hi - lo

    n_workers = max(1, workers or min(8, os.cpu_count() or 1))
    chunk = max(1, min(32, total // (n_workers * 8)))
    report_every = max(1, total // 100)
    done = 0
    last_reported = -1
    if progress:
        progress(0, total)
    # A bounded window of in-flight chunks: cancellation takes effect quickly and the executor's
    # queue never holds thousands of pending futures.
    window = n_workers * 3
    with _quiet_opencv(), ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="image-import") as pool:
        pending: set = set()
        next_i = 0
        while next_i < total or pending:
            while next_i < total and len(pending) < window and not cancelled.is_set():
                pending.add(pool.submit(work, next_i, min(total, next_i + chunk)))
                next_i += chunk
            if not pending:
                break
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in finished:
                done += fut.result()
            if should_cancel is not None and not cancelled.is_set() and should_cancel():
                cancelled.set()
            if progress and not cancelled.is_set() and (done - last_reported >= report_every or done == total):
                progress(done, total)
                last_reported = done
    if cancelled.is_set():
        raise ImportCancelled(f"Import of {str(path)!r} was cancelled after {done} of {total} images.")

    return reasons


def should_stream(decoded_bytes: float) -> bool:
    """Whether images of ``decoded_bytes`` (uint8) go through the on-disk cache: when they and their
    float32 copy would not fit in memory (or above ``STREAM_ABOVE_BYTES`` when that is set)."""
    if STREAM_ABOVE_BYTES is not None:
        return decoded_bytes > STREAM_ABOVE_BYTES
    from workbench.core.memory import MAX_SHARE, physical_memory_bytes

    total = physical_memory_bytes()
    return total is not None and decoded_bytes * 5 > MAX_SHARE * total


def _decode_cached(files, shape, progress, should_cancel, workers, path):
    """(read-only memmap of the decoded rows that are readable, reasons by row, reused) through
    the on-disk cache (``workbench.core.data.image_cache``)."""
    from workbench.core.data import image_cache

    key = image_cache.cache_key([(str(f), c) for f, c in files], shape[1:3], shape[3])
    entry = image_cache.open_entry(key)
    reused = entry is not None
    if entry is None:
        def fill(out):
            reasons = _decode_into(out, files, progress, should_cancel, workers, path)
            rows = _compact(out, np.setdiff1d(np.arange(len(out)), list(reasons)))
            return rows, {"bad": [[int(i), r] for i, r in sorted(reasons.items())], "source": str(path)}

        entry = image_cache.write_entry(key, shape, fill)
    elif progress:
        progress(shape[0], shape[0])
    X, meta = entry
    return X, {int(i): str(r) for i, r in meta.get("bad", [])}, reused


def _compact(out: np.ndarray, keep: np.ndarray) -> int:
    """Move rows ``keep`` (ascending) to the front of ``out`` in place; returns how many."""
    # in place rather than fancy-indexing, which would briefly double the memory
    for dst, src in enumerate(keep):
        if dst != src:
            out[dst] = out[src]
    return len(keep)


def load_image_folder(
    path: str | os.PathLike,
    image_size: tuple[int, int] = (64, 64),
    *,
    grayscale: bool = False,
    progress: Callable[[int, int], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    workers: int | None = None,
    name: str | None = None,
    stream: bool | None = None,
) -> Dataset:
    """Load ``path/<class>/<image>`` into an image Dataset of (N, H, W, 3 or 1) uint8 RGB.

    ``image_size`` is (height, width). Files that are not images or cannot be decoded are skipped
    and listed in ``ds.skipped`` as (path, reason). ``progress(done, total)`` is called from the
    calling thread about 100 times during the import; when ``should_cancel()`` returns True the
    import stops within a few files and raises ImportCancelled (a DataError).

    ``stream`` (None: when the images and their float copy would not fit in memory) decodes into
    the on-disk cache instead (``workbench.core.data.image_cache``): ``ds.X`` is then a read-only
    memory map, an unchanged folder is not decoded again, and training converts it batch by batch.
    """
    h, w = check_image_size(image_size)
    channels = 1 if grayscale else 3
    class_names, files, skipped = scan_image_folder(path)
    total = len(files)
    shape = (total, h, w, channels)
    too_large = stream is None and should_stream(float(total) * h * w * channels)
    if stream is None:
        stream = too_large
    cached = False
    if stream:
        out, reasons, cached = _decode_cached(files, shape, progress, should_cancel, workers, path)
    else:
        from workbench.core.memory import check_fits

        check_fits(float(total) * h * w * channels * 5, f"{total:,} images at {h}x{w}",  # uint8 + the float32 copy
                   "Let the import stream from the on-disk cache (the default), or choose a smaller image size.")
        out = np.empty(shape, dtype=np.uint8)
        reasons = _decode_into(out, files, progress, should_cancel, workers, path)
    for i, reason in sorted(reasons.items()):
        skipped.append((str(files[i][0]), reason))
    labels = np.fromiter((c for _, c in files), dtype=np.int64, count=total)
    paths = np.array([str(f) for f, _ in files], dtype=object)
    if reasons:
        keep = np.setdiff1d(np.arange(total), list(reasons))
        if not stream:
            out = out[: _compact(out, keep)]
        labels, paths = labels[keep], paths[keep]
    present = np.unique(labels)
    if len(present) == 0:
        raise DataError(f"None of the {total} images in {str(path)!r} could be read; check the files.")
    if len(present) < 2:
        raise DataError(
            f"Only class {class_names[present[0]]!r} has readable images in {str(path)!r}; a classifier "
            "needs at least two, so add images of another class."
        )
    if len(present) < len(class_names):
        # a class whose files all failed: renumber so every class has samples
        remap = np.full(len(class_names), -1, dtype=np.int64)
        remap[present] = np.arange(len(present))
        for c in range(len(class_names)):
            if c not in set(present.tolist()):
                skipped.append((str(Path(path) / class_names[c]), "no readable images in this class folder"))
        class_names = [class_names[c] for c in present]
        labels = remap[labels]
    root = Path(path).expanduser()
    ds_name = name or root.resolve().name or "images"
    return Dataset(
        name=ds_name,
        kind="image",
        X=out,
        y=labels,
        class_names=class_names,
        description=(
            f"{len(labels):,} images in {len(class_names)} classes from {str(root)}, "
            f"resized to {h}x{w}{' grey' if grayscale else ''}"
            + (f"; streamed from the on-disk image cache ({'reused' if cached else 'decoded once'})"
               + (" because they would not fit in memory" if too_large else "") if stream else "")
        ),
        source={"type": "image_folder", "path": str(root.resolve()), "image_size": [h, w],
                "grayscale": grayscale},
        target_name="class",
        skipped=skipped,
        paths=paths,
    )
