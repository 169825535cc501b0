"""Live classification of camera frames: the newest frame wins.

A ``LatestFrameGrabber`` reads the source on its own thread; ``LiveClassifier.step()`` takes the
newest frame, classifies it and returns a ``LiveReading``. Frames that arrived while the model
was busy are dropped (counted), so the reading never lags behind the camera.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from workbench.core.capture.camera import FrameSource, LatestFrameGrabber, SyntheticCameraSource, open_camera
from workbench.core.errors import DataError
from workbench.core.studies.daynight.model import label_of, threshold_of
from workbench.core.studies.daynight.scenes import GROUPS, render_scene


@dataclass(frozen=True)
class LiveReading:
    """One classified frame. ``frame`` is the frame itself (owned, safe to hand to another thread)."""

    frame_no: int
    p_day: float
    label: str
    latency_ms: float  # time to classify this frame
    fps: float  # classified frames per second so far
    dropped: int  # frames the camera gave that were never classified
    frame: np.ndarray | None = None


class LiveClassifier:
    """Classifies frames from a FrameSource with any model that has ``p_day(images)`` and ``size``
    (a ``DayNightModel`` or an exported model). ``smoothing`` in [0, 1) averages P(day) over time
    (exponential) so the gauge does not flicker."""

    def __init__(self, model, source: FrameSource, *, pace: bool = False, smoothing: float = 0.0,
                 keep_frames: bool = True, torch_threads: int | None = 1):
        self.model = model
        # One frame at a time is fastest on one CPU thread: with two, each 64 px frame waited
        # 3-80 ms for a busy core instead of 1.5 ms. torch's setting is process-wide, so it is
        # set at start() and restored at stop(); None leaves it alone.
        self.torch_threads = torch_threads
        self._threads_before: int | None = None
        self.source = source
        self.grabber = LatestFrameGrabber(source, pace=pace)
        self.smoothing = float(smoothing)
        self.keep_frames = keep_frames
        self._last_no = -1
        self._smoothed: float | None = None
        self._n = 0
        self._t0: float | None = None

    def classify_frame(self, frame: np.ndarray) -> float:
        return float(self.model.p_day(frame[None])[0])

    def start(self) -> "LiveClassifier":
        self.grabber.start()
        if self.torch_threads and self._threads_before is None:
            import torch

            self._threads_before = torch.get_num_threads()
            torch.set_num_threads(self.torch_threads)
        self._t0 = time.perf_counter()
        return self

    def stop(self) -> None:
        self.grabber.stop()
        if self._threads_before is not None:
            import torch

            torch.set_num_threads(self._threads_before)
            self._threads_before = None

    def __enter__(self) -> "LiveClassifier":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def finished(self) -> bool:
        """True when the source has ended and its last frame was classified."""
        g = self.grabber
        return g.finished and g._frame_no <= self._last_no

    def _newer_frame(self, timeout: float | None) -> tuple[int, np.ndarray] | None:
        """(number, frame) of the newest frame not yet seen (marked seen); None at timeout or when the
        source ended; the source's error is raised here."""
        if self.grabber.error is not None:
            raise self.grabber.error
        got = self.grabber.wait_newer(self._last_no, timeout)
        if got is None:
            if self.grabber.error is not None:
                raise self.grabber.error
            return None
        self._last_no = got[0]
        return got

    def step(self, timeout: float | None = 1.0) -> LiveReading | None:
        """Classify the newest frame not yet seen; None at timeout or when the source ended."""
        got = self._newer_frame(timeout)
        if got is None:
            return None
        no, frame = got
        t = time.perf_counter()
        p = self.classify_frame(frame)
        latency = (time.perf_counter() - t) * 1000.0
        if self.smoothing > 0 and self._smoothed is not None:
            p = self.smoothing * self._smoothed + (1 - self.smoothing) * p
        self._smoothed = p
        self._n += 1
        elapsed = time.perf_counter() - (self._t0 or t)
        return LiveReading(no, p, label_of(p, threshold_of(self.model)), latency,
                           self._n / elapsed if elapsed > 0 else 0.0, self.grabber.dropped,
                           frame if self.keep_frames else None)

    def run(self, on_reading: Callable[[LiveReading], None] | None = None, max_frames: int | None = None,
            should_stop: Callable[[], bool] | None = None, timeout: float = 5.0) -> list[LiveReading]:
        """Classify until the source ends, ``max_frames`` readings, or ``should_stop()``.

        Returns the readings (without frames, to keep memory flat) when no callback is given.
        """
        out: list[LiveReading] = []
        started = self.grabber.running or self.grabber.finished
        if not started:
            self.start()
        try:
            while max_frames is None or self._n < max_frames:
                if should_stop is not None and should_stop():
                    break
                r = self.step(timeout)
                if r is None:
                    if self.grabber.finished:
                        break
                    continue
                if on_reading is not None:
                    on_reading(r)
                else:
                    out.append(LiveReading(r.frame_no, r.p_day, r.label, r.latency_ms, r.fps, r.dropped))
        finally:
            if not started:
                self.stop()
        return out


def _scene_frames(kind: str, size: tuple[int, int], fps: float, seed: int) -> Callable[[int], np.ndarray]:
    w, h = int(size[0]), int(size[1])
    kind = kind.lower()
    day_groups = [g for g, c in GROUPS.items() if c == "day"]
    night_groups = [g for g, c in GROUPS.items() if c == "night"]
    if kind == "day":
        pool = day_groups
    elif kind == "night":
        pool = night_groups
    elif kind == "cycle":
        pool = None
    elif kind in GROUPS:
        pool = [kind]
    else:
        raise DataError(
            f"Unknown synthetic scene {kind!r}; use day, night, cycle or one of {', '.join(GROUPS)}."
        )
    hold = max(1, int(round(fps)))
    cache: dict[int, np.ndarray] = {}

    def frame(i: int) -> np.ndarray:
        k = i // hold
        if k not in cache:
            cache.clear()
            rng = np.random.default_rng((seed, k))
            groups = pool if pool is not None else (day_groups if k % 2 == 0 else night_groups)
            group = groups[int(rng.integers(len(groups)))]
            cache[k] = render_scene(group, rng, width=w, height=h)
        noise = np.random.default_rng((seed, i, 7)).normal(0, 2.0, (h, w, 1))
        return np.clip(cache[k].astype(np.float32) + noise, 0, 255).astype(np.uint8)

    return frame


def synthetic_scene_source(kind: str = "day", size: tuple[int, int] = (320, 240), n_frames: int | None = 300,
                           fps: float = 30.0, seed: int = 0) -> SyntheticCameraSource:
    """A synthetic camera showing generated Day'n'Night scenes of one kind.

    ``kind``: "day", "night", a subgroup such as "dusk" or "city_night", or "cycle" (alternates
    day and night every second). Each scene is held for ``fps`` frames with a little sensor noise.
    """
    return SyntheticCameraSource(_scene_frames(kind, size, fps, seed), size=size, n_frames=n_frames, fps=fps,
                                 name=f"synthetic:{kind.lower()}")


def open_camera_or_scene(spec, **kwargs) -> FrameSource:
    """``capture.open_camera(spec)``, and "synthetic:day|night|cycle|<group>" as generated scenes."""
    s = str(spec).strip().lower()
    if s.startswith("synthetic:") and s.split(":", 1)[1] not in ("", "pattern"):
        return synthetic_scene_source(s.split(":", 1)[1], **kwargs)
    return open_camera(spec, **kwargs)


def open_source(spec: str) -> FrameSource:
    """A frame source for ``spec``: "camera:N", "synthetic:cycle|day|night" (endless), or a video
    file / image folder (looped, so a short clip can stand in for a camera)."""
    if spec.startswith("synthetic"):
        return open_camera_or_scene(spec, n_frames=None, size=(320, 240))
    if spec.startswith("camera"):
        return open_camera(spec)
    return open_camera(spec, loop=True)


def live_readings(model, spec: str, on_reading: Callable[[dict], None], should_cancel: Callable[[], bool] | None = None,
                  *, max_hz: float = 30.0, max_width: int = 480, smoothing: float = 0.3) -> int:
    """Classify the newest frame of ``spec`` until ``should_cancel()`` or the end of a file, handing
    at most ``max_hz`` readings a second to ``on_reading`` as dicts: p_day, label (at the model's
    threshold, read at each frame so it may change meanwhile), fps, dropped, latency_ms, frame_no
    and frame (an owned copy at most ``max_width`` pixels wide). Files and synthetic sources play
    at their frame rate, like a camera. Returns the number of readings handed out."""
    live = LiveClassifier(model, open_source(spec), pace=not spec.startswith("camera"), smoothing=smoothing)
    live.start()
    min_dt, last, n = 1.0 / max_hz, 0.0, 0
    try:
        while should_cancel is None or not should_cancel():
            r = live.step(timeout=0.25)
            if r is None:
                if live.grabber.finished:
                    break
                continue
            now = time.perf_counter()
            if now - last < min_dt:
                continue
            last = now
            frame = r.frame
            if frame is not None and frame.shape[1] > max_width:  # keep the payload small
                step = int(np.ceil(frame.shape[1] / max_width))
                frame = frame[::step, ::step]
            on_reading({"p_day": float(r.p_day), "label": r.label, "fps": float(r.fps), "dropped": int(r.dropped),
                        "latency_ms": float(r.latency_ms), "frame_no": int(r.frame_no),
                        "frame": None if frame is None else np.ascontiguousarray(frame)})
            n += 1
    finally:
        live.stop()
    return n
