"""Camera frame sources: a device, a video file, an image folder or generated frames.

Every source gives RGB ``uint8`` frames of shape (H, W, 3) from ``read()`` and ``None`` once it
has no more frames, so the live demos and their tests run the same code whether a webcam is
there or a video file stands in for it. ``cv2`` is imported lazily (the app starts without it).

``LatestFrameGrabber`` reads a source on its own thread and keeps only the newest frame: live
inference is slower than the camera, and a queue would make the display lag further and further
behind, so older frames are dropped (and counted).
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from workbench.core.data.images import read_image_rgb  # noqa: F401 (also imported from here)
from workbench.core.media import opencv as _cv2
from workbench.core.media import to_rgb as _to_rgb
from workbench.core.errors import DataError, DeviceUnavailable

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv")


class FrameSource:
    """Base class of every frame source.

    Attributes: ``name`` (for display), ``fps`` (nominal frames per second), ``size``
    ((width, height) of the frames, known after ``open()``). ``read()`` returns the next RGB
    uint8 (H, W, 3) frame or ``None`` at the end. Use as a context manager or iterate.
    """

    name: str = "frames"

    def __init__(self) -> None:
        self.fps: float = 30.0
        self.size: tuple[int, int] = (0, 0)
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> "FrameSource":
        self._open = True
        return self

    def read(self) -> np.ndarray | None:
        raise NotImplementedError

    def close(self) -> None:
        self._open = False

    def __enter__(self) -> "FrameSource":
        if not self._open:
            self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self) -> Iterator[np.ndarray]:
        if not self._open:
            self.open()
        while True:
            frame = self.read()
            if frame is None:
                return
            yield frame

    def describe(self) -> dict:
        """JSON-able description (shown in the UI, stored in projects)."""
        return {"name": self.name, "fps": float(self.fps), "size": list(self.size)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


class CameraSource(FrameSource):
    """A webcam through ``cv2.VideoCapture(index)``. A missing camera raises DeviceUnavailable."""

    def __init__(self, index: int = 0, width: int | None = None, height: int | None = None):
        super().__init__()
        self.index = int(index)
        self.name = f"camera:{self.index}"
        self._want = (width, height)
        self._cap = None
        self._first: np.ndarray | None = None  # the probe frame read by open(), given out first

    def _missing(self, why: str) -> DeviceUnavailable:
        return DeviceUnavailable(
            f"No camera could be opened at index {self.index} ({why}). Connect a camera or close other "
            "programs using it, pick another camera index, or use a video file or image folder instead."
        )

    def open(self) -> "CameraSource":
        if self._open:
            return self
        # On Linux a missing /dev/videoN is certain: answer at once instead of letting OpenCV
        # spend time probing backends and printing warnings.
        if sys.platform.startswith("linux") and not os.path.exists(f"/dev/video{self.index}"):
            raise self._missing(f"/dev/video{self.index} does not exist")
        cv2 = _cv2()
        cap = cv2.VideoCapture(self.index)
        if not cap.isOpened():
            cap.release()
            raise self._missing("the device did not open")
        w, h = self._want
        if w:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, int(w))
        if h:
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, int(h))
        ok, frame = cap.read()
        if not ok or frame is None:
            cap.release()
            raise self._missing("it opened but gave no picture")
        self._cap = cap
        self._first = _to_rgb(frame, cv2)
        self.size = (self._first.shape[1], self._first.shape[0])
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and fps > 0 else 30.0
        self._open = True
        return self

    def read(self) -> np.ndarray | None:
        if not self._open:
            self.open()
        if self._first is not None:
            frame, self._first = self._first, None
            return frame
        ok, frame = self._cap.read()
        if not ok or frame is None:
            return None
        return _to_rgb(frame, _cv2())

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._first = None
        self._open = False


class VideoFileSource(FrameSource):
    """Frames of a video file; with ``loop=True`` it starts again at the end."""

    def __init__(self, path: str | os.PathLike, loop: bool = False):
        super().__init__()
        self.path = Path(path)
        self.loop = loop
        self.name = self.path.name
        self._cap = None
        self.frame_count = 0

    def open(self) -> "VideoFileSource":
        if self._open:
            return self
        if not self.path.is_file():
            raise DataError(f"The video file {self.path} does not exist; choose an existing video file.")
        cv2 = _cv2()
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise DataError(
                f"{self.path} could not be opened as a video (unknown format or damaged file); "
                "try an .mp4 or .avi file."
            )
        self._cap = cap
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and fps > 0 else 30.0
        self.size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        self.frame_count = max(0, int(cap.get(cv2.CAP_PROP_FRAME_COUNT)))
        self._open = True
        return self

    def read(self) -> np.ndarray | None:
        if not self._open:
            self.open()
        cv2 = _cv2()
        ok, frame = self._cap.read()
        if (not ok or frame is None) and self.loop:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            ok, frame = self._cap.read()
        if not ok or frame is None:
            return None
        return _to_rgb(frame, cv2)

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._open = False

    def describe(self) -> dict:
        return {**super().describe(), "path": str(self.path), "frames": self.frame_count}


def image_files(paths) -> tuple[list[Path], list[tuple[str, str]]]:
    """The image files named by ``paths`` (files, and folders searched recursively, sorted) and the
    (path, reason) of the names that do not exist."""
    files: list[Path] = []
    skipped: list[tuple[str, str]] = []
    for p in paths:
        p = Path(p).expanduser()
        if p.is_dir():
            files.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_EXTENSIONS))
        elif p.is_file():
            files.append(p)
        else:
            skipped.append((str(p), "does not exist"))
    return files, skipped


class ImageFolderSource(FrameSource):
    """The images of a folder (sorted by name) played as frames at ``fps``.

    Files that are not readable images are skipped and listed in ``skipped``. Frames keep the size
    of each image unless ``resize`` is given as (width, height).
    """

    def __init__(self, path: str | os.PathLike, fps: float = 10.0, loop: bool = False,
                 resize: tuple[int, int] | None = None):
        super().__init__()
        self.path = Path(path)
        self.fps = float(fps)
        self.loop = loop
        self.resize = resize
        self.name = self.path.name or str(self.path)
        self.files: list[Path] = []
        self.skipped: list[tuple[str, str]] = []
        self._i = 0

    def open(self) -> "ImageFolderSource":
        if self._open:
            return self
        if not self.path.is_dir():
            raise DataError(f"The image folder {self.path} does not exist; choose a folder of images.")
        self.files = sorted(p for p in self.path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS)
        if not self.files:
            raise DataError(
                f"The folder {self.path} holds no images ({', '.join(IMAGE_EXTENSIONS)}); choose a folder of images."
            )
        self._i = 0
        self._open = True
        first = self._peek_size()
        if first is None:
            raise DataError(f"None of the {len(self.files)} image files in {self.path} could be read.")
        self.size = first
        return self

    def _peek_size(self) -> tuple[int, int] | None:
        if self.resize:
            return tuple(self.resize)
        for p in self.files:
            img = read_image_rgb(p)
            if img is not None:
                return (img.shape[1], img.shape[0])
        return None

    def read(self) -> np.ndarray | None:
        if not self._open:
            self.open()
        tried = 0
        while tried < len(self.files):
            if self._i >= len(self.files):
                if not self.loop:
                    return None
                self._i = 0
            p = self.files[self._i]
            self._i += 1
            tried += 1
            img = read_image_rgb(p)
            if img is None:
                if all(s[0] != str(p) for s in self.skipped):
                    self.skipped.append((str(p), "not a readable image"))
                continue
            if self.resize and (img.shape[1], img.shape[0]) != tuple(self.resize):
                img = _cv2().resize(img, tuple(self.resize), interpolation=_cv2().INTER_AREA)
            return img
        return None

    def describe(self) -> dict:
        return {**super().describe(), "path": str(self.path), "frames": len(self.files)}


class SyntheticCameraSource(FrameSource):
    """Generated frames: ``fn(i) -> RGB uint8 (H, W, 3)`` for frame i (resized to ``size`` if needed).

    Without ``fn`` a moving test pattern is drawn. ``n_frames=None`` never ends. Frames come as fast
    as they are asked for; ``realtime=True`` paces them at ``fps`` like a real camera.
    """

    def __init__(self, fn: Callable[[int], np.ndarray] | None = None, size: tuple[int, int] = (320, 240),
                 n_frames: int | None = 100, fps: float = 30.0, name: str = "synthetic",
                 realtime: bool = False):
        super().__init__()
        self.fn = fn or _test_pattern(size)
        self.size = (int(size[0]), int(size[1]))
        self.n_frames = n_frames
        self.fps = float(fps)
        self.name = name
        self.realtime = realtime
        self._i = 0
        self._t0 = 0.0

    def open(self) -> "SyntheticCameraSource":
        self._i = 0
        self._t0 = time.perf_counter()
        self._open = True
        return self

    def read(self) -> np.ndarray | None:
        if not self._open:
            self.open()
        if self.n_frames is not None and self._i >= self.n_frames:
            return None
        if self.realtime:
            due = self._t0 + self._i / self.fps
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        frame = np.asarray(self.fn(self._i))
        self._i += 1
        if frame.dtype != np.uint8:
            frame = np.clip(frame * (255.0 if frame.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
        if frame.ndim == 2:
            frame = np.repeat(frame[:, :, None], 3, axis=2)
        if (frame.shape[1], frame.shape[0]) != self.size:
            cv2 = _cv2()
            frame = cv2.resize(frame, self.size, interpolation=cv2.INTER_LINEAR)
        return np.ascontiguousarray(frame)

    def describe(self) -> dict:
        return {**super().describe(), "frames": self.n_frames}


def _test_pattern(size: tuple[int, int]) -> Callable[[int], np.ndarray]:
    w, h = int(size[0]), int(size[1])
    yy, xx = np.mgrid[0:h, 0:w]

    def draw(i: int) -> np.ndarray:
        img = np.empty((h, w, 3), np.uint8)
        img[..., 0] = (xx + 4 * i) % 256
        img[..., 1] = (yy + 2 * i) % 256
        img[..., 2] = (i * 3) % 256
        return img

    return draw


def open_camera(spec: str | int | os.PathLike, **kwargs) -> FrameSource:
    """Make a frame source from a user's choice (not yet opened).

    ``spec``: ``"camera:0"`` / ``0`` (a webcam), ``"synthetic"`` / ``"synthetic:day"`` (generated),
    a video file path, or an image folder path. Extra keyword arguments go to the source
    (e.g. ``loop=True``, ``fps=5``, ``size=(640, 480)``, ``n_frames=100``).
    """
    if isinstance(spec, int):
        return CameraSource(spec, **kwargs)
    s = str(spec).strip()
    low = s.lower()
    if low.startswith("camera:") or low.isdigit():
        idx = low.split(":", 1)[1] if ":" in low else low
        try:
            return CameraSource(int(idx or 0), **kwargs)
        except ValueError:
            raise DataError(f"Bad camera {s!r}: write camera:0, camera:1, ...") from None
    if low == "camera":
        return CameraSource(0, **kwargs)
    if low.startswith("synthetic"):
        kind = low.split(":", 1)[1] if ":" in low else ""
        if not kind or kind == "pattern":
            return SyntheticCameraSource(**kwargs)
        raise DataError(f"Unknown synthetic source {s!r}; write synthetic for a moving test pattern (the case "
                        "studies offer their own, such as Day & Night's synthetic:day).")
    p = Path(s).expanduser()
    if p.is_dir():
        return ImageFolderSource(p, **kwargs)
    if p.is_file():
        if p.suffix.lower() in IMAGE_EXTENSIONS:
            raise DataError(f"{p} is a single image; classify it directly or choose its folder as a frame source.")
        return VideoFileSource(p, **kwargs)
    raise DataError(
        f"{s!r} is neither a camera (camera:0), a synthetic source (synthetic:day) nor an existing video "
        "file or image folder."
    )


def list_cameras(max_index: int = 3) -> list[int]:
    """Indices 0..max_index-1 of cameras that open and give a picture (empty when there are none)."""
    found = []
    for i in range(max_index):
        try:
            src = CameraSource(i)
            src.open()
        except DeviceUnavailable:
            continue
        src.close()
        found.append(i)
    return found


class LatestFrameGrabber:
    """Reads a FrameSource on a daemon thread and keeps only the newest frame.

    ``latest()`` returns ``(frame_no, frame)`` of the newest frame (or None before the first);
    ``wait_newer(after, timeout)`` blocks until a frame newer than ``after`` exists. Frames no
    consumer took before a newer one arrived are counted in ``dropped``. Errors raised by the
    source are kept in ``error`` and end the thread. No Qt: the UI wraps it in a worker.
    """

    def __init__(self, source: FrameSource, pace: bool = False):
        self.source = source
        self.pace = pace  # sleep to the source's fps (for files played "live")
        self._cond = threading.Condition()
        self._frame: np.ndarray | None = None
        self._frame_no = -1
        self._taken_no = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.frames_read = 0
        self.dropped = 0
        self.finished = False
        self.error: BaseException | None = None

    def start(self) -> "LatestFrameGrabber":
        if self._thread is not None:
            return self
        if not self.source.is_open:
            self.source.open()  # errors (no camera) surface here, on the caller's thread
        self._thread = threading.Thread(target=self._run, name=f"frames-{self.source.name}", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        period = 1.0 / self.source.fps if self.pace and self.source.fps > 0 else 0.0
        t_next = time.perf_counter()
        try:
            while not self._stop.is_set():
                frame = self.source.read()
                if frame is None:
                    break
                with self._cond:
                    if self._frame_no > self._taken_no:
                        self.dropped += 1
                    self._frame = frame
                    self._frame_no += 1
                    self.frames_read += 1
                    self._cond.notify_all()
                if period:
                    t_next += period
                    delay = t_next - time.perf_counter()
                    if delay > 0:
                        self._stop.wait(delay)
        except BaseException as e:  # keep it for the consumer; a dead thread must not be silent
            self.error = e
        finally:
            with self._cond:
                self.finished = True
                self._cond.notify_all()

    def latest(self) -> tuple[int, np.ndarray] | None:
        with self._cond:
            if self._frame is None:
                return None
            self._taken_no = self._frame_no
            return self._frame_no, self._frame

    def wait_newer(self, after: int = -1, timeout: float | None = None) -> tuple[int, np.ndarray] | None:
        """The newest frame once its number is > ``after``; None at timeout or when the source ended."""
        with self._cond:
            ok = self._cond.wait_for(lambda: self._frame_no > after or self.finished or self._stop.is_set(),
                                     timeout)
            if not ok or self._frame_no <= after:
                return None
            self._taken_no = self._frame_no
            return self._frame_no, self._frame

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the reading thread to end (the source ran out); True when it has."""
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                # still blocked inside read(): closing under it could crash the driver; the daemon
                # thread ends with the next frame and the source is closed when it is collected
                return
            self._thread = None
        self.source.close()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> "LatestFrameGrabber":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
