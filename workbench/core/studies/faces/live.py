"""The live loop behind the Faces panel, without Qt: newest frame in, faces out, older frames dropped.

``run_live`` runs on a worker thread. The GUI reads ``LiveState.take()`` on a timer (so a slow
GUI never queues frames) and swaps the pipeline with ``set_pipeline`` when the gallery or the
encoder changes.
"""
from __future__ import annotations

import threading
import time
from typing import Callable

import numpy as np

from workbench.core.studies.faces.pipeline import FacePipeline, FrameFaces


class LiveState:
    """Thread-safe hand-over between the live worker and the GUI."""

    def __init__(self, pipeline: FacePipeline | None = None):
        self._lock = threading.Lock()
        self._pipeline = pipeline
        self._latest: tuple[int, np.ndarray, FrameFaces | None, float] | None = None
        self._taken = -1
        self.frames = 0
        self.dropped_by_gui = 0
        self.source_name = ""

    def set_pipeline(self, pipeline: FacePipeline | None) -> None:
        with self._lock:
            self._pipeline = pipeline

    @property
    def pipeline(self) -> FacePipeline | None:
        with self._lock:
            return self._pipeline

    def put(self, frame_no: int, frame: np.ndarray, faces: FrameFaces | None, fps: float) -> None:
        with self._lock:
            if self._latest is not None and self._latest[0] > self._taken:
                self.dropped_by_gui += 1
            self._latest = (frame_no, frame, faces, fps)
            self.frames += 1

    def take(self) -> tuple[int, np.ndarray, FrameFaces | None, float] | None:
        """The newest processed frame if it was not taken yet, else None."""
        with self._lock:
            if self._latest is None or self._latest[0] <= self._taken:
                return None
            self._taken = self._latest[0]
            return self._latest

    def peek_frame(self) -> np.ndarray | None:
        """The newest frame (taken or not), e.g. for enrollment shots and verification."""
        with self._lock:
            return None if self._latest is None else self._latest[1]

    def peek(self):
        with self._lock:
            return self._latest


def demo_source(n_frames: int | None = None, size: tuple[int, int] = (640, 480), fps: float = 15.0):
    """A camera stand-in: three real faces (LFW crops) drifting in front of a wall, looped."""
    from workbench.core.capture.camera import SyntheticCameraSource
    from workbench.core.studies.faces.synth import face_video_frames, lfw_faces

    faces = lfw_faces()
    frames = list(face_video_frames([faces[30], faces[31], faces[32]], 48, size, face_px=int(size[1] * 0.32)))
    return SyntheticCameraSource(lambda i: frames[i % len(frames)], size=size, n_frames=n_frames, fps=fps,
                                 name="demo: three faces", realtime=True)


def open_live_source(spec: str):
    """``"demo"`` or anything ``open_camera`` understands (camera:0, a video file, an image folder)."""
    if spec.strip().lower() == "demo":
        return demo_source()
    from workbench.core.capture.camera import open_camera

    kwargs = {}
    low = spec.strip().lower()
    if not (low.startswith("camera") or low.isdigit() or low.startswith("synthetic")):
        kwargs["loop"] = True  # a video file or folder plays on like a camera
    return open_camera(spec, **kwargs)


def run_live(source, state: LiveState, should_cancel: Callable[[], bool], max_frames: int | None = None,
             progress=None) -> dict:
    """Process the newest frame of ``source`` until cancelled (or the source ends).

    Files and generated sources are paced at their fps (like a camera); processing always takes
    the newest frame, so when it is slower than the source the frames in between are dropped.
    """
    from workbench.core.capture.camera import CameraSource, LatestFrameGrabber

    grabber = LatestFrameGrabber(source, pace=not isinstance(source, CameraSource)
                                 and not getattr(source, "realtime", False))
    grabber.start()  # opening errors (no camera) are raised here, on the worker thread
    state.source_name = getattr(source, "name", "")
    last = -1
    n = 0
    t_prev = time.perf_counter()
    fps = 0.0
    try:
        while not should_cancel():
            got = grabber.wait_newer(last, timeout=0.1)
            if got is None:
                if grabber.finished:
                    break
                continue
            last, frame = got
            pipe = state.pipeline
            faces = pipe.process(frame, last) if pipe is not None else None
            now = time.perf_counter()
            dt = now - t_prev
            t_prev = now
            fps = 1.0 / dt if fps == 0.0 and dt > 0 else (0.9 * fps + 0.1 / dt if dt > 0 else fps)
            state.put(last, frame, faces, fps)
            n += 1
            if max_frames is not None and n >= max_frames:
                break
    finally:
        grabber.stop()
    if grabber.error is not None:
        raise grabber.error
    return {"frames": n, "dropped": grabber.dropped, "fps": fps}
