"""Live detection on frames from a camera, a video file or an image folder: the newest frame wins.

``LiveDetector`` reads a ``FrameSource`` through ``LatestFrameGrabber`` (frames that arrive while
the model is busy are dropped and counted), detects objects in the newest frame and draws them.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workbench.core.capture.camera import FrameSource
from workbench.core.studies.daynight.live import LiveClassifier


@dataclass(frozen=True)
class LiveDetection:
    frame_no: int
    detections: dict  # boxes (in the frame's pixels), scores, labels
    latency_ms: float  # detect + draw time of this frame
    fps: float
    dropped: int
    frame: np.ndarray | None = None  # the frame with the boxes drawn (owned)


class LiveDetector(LiveClassifier):
    """Detects objects in the newest frame of a FrameSource (the camera plumbing, the newest-frame
    rule and the one-torch-thread setting are the Day'n'Night ``LiveClassifier``'s)."""

    def __init__(self, detector, source: FrameSource, *, conf_threshold: float = 0.3, iou_threshold: float = 0.45,
                 pace: bool = False, draw: bool = True, torch_threads: int | None = 1):
        super().__init__(detector, source, pace=pace, keep_frames=draw, torch_threads=torch_threads)
        self.detector = detector
        self.conf_threshold, self.iou_threshold = conf_threshold, iou_threshold
        self.draw = draw

    def detect_frame(self, frame: np.ndarray) -> tuple[dict, np.ndarray | None]:
        from workbench.core.studies.detection.draw import draw_detections

        det = self.detector.predict([frame], self.conf_threshold, self.iou_threshold)[0]
        return det, (draw_detections(frame, det, self.detector.class_names) if self.draw else None)

    def step(self, timeout: float | None = 1.0) -> LiveDetection | None:
        got = self._newer_frame(timeout)
        if got is None:
            return None
        no, frame = got
        t = time.perf_counter()
        det, drawn = self.detect_frame(frame)
        latency = (time.perf_counter() - t) * 1000.0
        self._n += 1
        elapsed = time.perf_counter() - (self._t0 or t)
        return LiveDetection(no, det, latency, self._n / elapsed if elapsed > 0 else 0.0, self.grabber.dropped, drawn)

    def run(self, on_frame: Callable[[LiveDetection], None] | None = None, max_frames: int | None = None,
            should_stop: Callable[[], bool] | None = None, timeout: float = 5.0) -> list[LiveDetection]:
        """Detect until the source ends, ``max_frames`` frames, or ``should_stop()``; without a
        callback the results (without frames) are returned."""
        out: list[LiveDetection] = []

        def keep(r: LiveDetection) -> None:
            out.append(LiveDetection(r.frame_no, r.detections, r.latency_ms, r.fps, r.dropped))

        super().run(on_frame or keep, max_frames, should_stop, timeout)
        return out


def detect_paths(detector, paths, conf_threshold: float = 0.3) -> tuple[list[dict], list[tuple[str, str]]]:
    """Detect objects in image files and folders (searched recursively): rows of path, detections."""
    from workbench.core.capture.camera import image_files, read_image_rgb

    files, skipped = image_files(paths)
    rows = []
    for f in files:
        img = read_image_rgb(f)
        if img is None:
            skipped.append((str(f), "not a readable image"))
            continue
        det = detector.predict([img], conf_threshold)[0]
        rows.append({"path": str(f), "width": int(img.shape[1]), "height": int(img.shape[0]),
                     "detections": [{"class": detector.class_names[int(c)], "score": float(s),
                                     "box": [round(float(v), 1) for v in b]}
                                    for b, s, c in zip(det["boxes"], det["scores"], det["labels"])]})
    return rows, skipped


def scene_source(size: tuple[int, int] = (640, 480), n_frames: int | None = None, fps: float = 30.0,
                 hold: int = 15, seed: int = 0):
    """A synthetic camera showing generated detection scenes (a new scene every ``hold`` frames),
    stretched to ``size``: the live demo and its benchmark without a webcam."""
    import cv2

    from workbench.core.capture.camera import SyntheticCameraSource
    from workbench.core.studies.detection.scenes import render_scene

    cache: dict[int, np.ndarray] = {}

    def frame(i: int) -> np.ndarray:
        k = i // max(1, hold)
        if k not in cache:
            cache.clear()
            img = render_scene(np.random.default_rng(seed + k), 96)[0]
            cache[k] = cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)
        return cache[k]

    return SyntheticCameraSource(frame, size=size, n_frames=n_frames, fps=fps, name="synthetic:scenes")


def run_live(detector, spec: str, on_frame: Callable[[LiveDetection], None], *, conf_threshold: float = 0.3,
             max_frames: int | None = None, should_cancel: Callable[[], bool] | None = None) -> dict:
    """Open ``spec`` (camera:N, a video file, an image folder, synthetic:...) and detect until it
    ends or ``should_cancel()``; files and synthetic sources play at their own frame rate.
    Returns {"frames", "fps", "dropped"}. A missing camera raises DeviceUnavailable (one sentence)."""
    from workbench.core.capture.camera import open_camera

    s = str(spec)
    if s == "synthetic:scenes":
        src = scene_source(n_frames=max_frames)
    else:
        kwargs = {}
        if s.startswith("synthetic"):
            kwargs = {"n_frames": None, "size": (640, 480)}
        elif not s.startswith("camera"):
            kwargs = {"loop": True}
        src = open_camera(s, **kwargs)
    live = LiveDetector(detector, src, conf_threshold=conf_threshold, pace=not s.startswith("camera"))
    last: list[LiveDetection] = []

    def keep(r):
        last[:] = [r]
        on_frame(r)

    live.run(keep, max_frames=max_frames, should_stop=should_cancel)
    r = last[0] if last else None
    return {"frames": live._n, "fps": r.fps if r else 0.0, "dropped": r.dropped if r else 0}
