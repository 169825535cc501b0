"""Live use of any model: the newest camera frame or the last second of microphone audio,
classified as fast as the model allows (newest wins: frames that arrive meanwhile are dropped).

``live_predict`` runs on a worker thread (the Use panel starts it through a JobRunner) and puts
each reading into a :class:`LatestSlot`; the window reads the slot from a timer at its own pace,
so a slow model never queues work or blocks the window.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np

from workbench.core.capture.camera import CameraSource, FrameSource, LatestFrameGrabber
from workbench.core.capture.dataset import mirror


class LatestSlot:
    """Thread-safe holder of the newest value: ``put`` overwrites, ``get`` returns (number, value)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._n = 0
        self._value: Any = None

    def put(self, value: Any) -> int:
        with self._lock:
            self._n += 1
            self._value = value
            return self._n

    def get(self) -> tuple[int, Any]:
        with self._lock:
            return self._n, self._value


def _small(frame: np.ndarray, side: int = 320) -> np.ndarray:
    import cv2

    h, w = frame.shape[:2]
    s = side / max(h, w)
    if s >= 1:
        return np.ascontiguousarray(frame)
    return cv2.resize(frame, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)


def live_predict(predictor, source, slot: LatestSlot, *, explain: bool = False, max_readings: int | None = None,
                 hop_seconds: float = 0.25, progress: Callable | None = None,
                 should_cancel: Callable[[], bool] | None = None) -> dict:
    """Classify a FrameSource (image models) or an AudioSource (sound models) until it ends or the
    caller cancels. Each reading in ``slot``: {"probs", "n", and "frame" / "heat" (images, mirrored
    for a camera) or "level" (dBFS, sounds)}. Returns {"readings", "dropped"}."""
    cancel = should_cancel or (lambda: False)
    n = 0
    if isinstance(source, FrameSource):
        flip = isinstance(source, CameraSource)
        grabber = LatestFrameGrabber(source, pace=not isinstance(source, CameraSource) and source.fps > 0).start()
        last = -1
        try:
            while not cancel() and (max_readings is None or n < max_readings):
                got = grabber.wait_newer(last, timeout=0.25)
                if got is None:
                    if grabber.error is not None:
                        raise grabber.error
                    if grabber.finished:
                        break
                    continue
                last, frame = got
                probs = predictor.predict_items([frame])[0]
                shown = _small(frame)
                reading = {"probs": probs, "n": n, "dropped": grabber.dropped}
                if explain and predictor.can_explain:
                    from workbench.core.models.gradcam import heat_overlay

                    shown = heat_overlay(shown, predictor.explain(shown))
                reading["frame"] = mirror(shown) if flip else shown
                slot.put(reading)
                n += 1
                if progress is not None:
                    progress(n, 0, "")
        finally:
            grabber.stop()
        return {"readings": n, "dropped": grabber.dropped}
    from workbench.core.audio.dsp import level_meter

    window = int(round(predictor.audio.seconds * source.sample_rate))
    hop = max(1, int(hop_seconds * source.sample_rate))
    buf = np.zeros(window, np.float32)
    with source:
        while not cancel() and (max_readings is None or n < max_readings):
            b = source.read(hop, timeout=0.5)
            if b is None:
                break
            if b.size == 0:
                continue
            buf = np.concatenate([buf[b.size:], b])[-window:]
            probs = predictor.predict_items([(buf.copy(), source.sample_rate)])[0]
            slot.put({"probs": probs, "n": n, "level": level_meter(b).rms_db})
            n += 1
            if progress is not None:
                progress(n, 0, "")
    return {"readings": n, "dropped": 0}


def predict_files(predictor, paths, *, explain: bool = False, thumbs: int = 64, progress: Callable | None = None,
                  should_cancel: Callable[[], bool] | None = None) -> dict:
    """Rows of ``predictor.predict_paths`` plus, for image models, a small picture of the first
    ``thumbs`` files (with the Grad-CAM heat map laid over it when ``explain``)."""
    rows, skipped = predictor.predict_paths(paths)
    if predictor.kind == "image":
        for k, r in enumerate(rows[:thumbs]):
            if should_cancel is not None and should_cancel():
                break
            img = _small(predictor.read_path(r["path"]), 256)
            if explain and predictor.can_explain:
                from workbench.core.models.gradcam import heat_overlay

                img = heat_overlay(img, predictor.explain(img))
            r["picture"] = img
            if progress is not None:
                progress(k + 1, min(len(rows), thumbs), "explaining" if explain else "")
    return {"rows": rows, "skipped": skipped, "classes": list(predictor.class_names)}


def open_model_job(model, project: str | None = None, weights: dict | None = None):
    """Open a predictor: a run id of ``project``, an export folder, or a run still in memory (a
    RunRecord's dict and its ``weights``): the Use panel's load job."""
    from workbench.core.runs.predict import RunPredictor, open_predictor

    if isinstance(model, dict):
        if model.get("run_id") and project and weights is None:
            return open_predictor(model["run_id"], project)
        return RunPredictor.from_record(model, weights)
    return open_predictor(model, project)


def open_live_source(spec, kind: str):
    """A source from the Use panel's choice: "camera:N", "synthetic...", a video / image folder
    (images) or "microphone" / a WAV file (sounds); a source object is returned as it is."""
    if not isinstance(spec, str):
        return spec
    if kind == "audio":
        from workbench.core.capture.audio import WavFileSource, open_microphone

        if spec.strip().lower() in ("microphone", "mic", ""):
            return open_microphone(start=False)
        return WavFileSource(spec, realtime=True)
    from workbench.core.capture.camera import open_camera

    return open_camera(spec)
