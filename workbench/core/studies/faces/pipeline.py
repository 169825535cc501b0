"""The live face pipeline: detect (downscaled) -> align + embed only the faces that need it -> match.

The caller feeds it the newest frame (``LatestFrameGrabber`` drops the older ones). Faces are
followed from frame to frame by box overlap; a followed face keeps its name and is only embedded
again every ``refresh_every`` frames, so a steady face costs a detection, not an embedding. At
most ``max_embeds`` faces are embedded per frame (new faces first, then the stalest), so a frame
with many faces never stalls the feed. With ``detect_every`` > 1 the detector runs on every
n-th frame only and the boxes in between move on with each track's last motion.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from workbench.core.errors import DataError
from workbench.core.studies.faces.align import FaceFinder
from workbench.core.studies.faces.detect import FaceBox, FaceDetector
from workbench.core.studies.faces.evaluate import UNKNOWN, Identifier, Match


@dataclass(frozen=True)
class FaceResult:
    box: FaceBox
    name: str            # UNKNOWN when nobody in the gallery is within the threshold
    distance: float
    track_id: int
    embedded: bool       # embedded on this frame (False: the track's cached match was reused)


@dataclass(frozen=True)
class FrameFaces:
    frame_no: int
    faces: tuple[FaceResult, ...]
    t_detect: float
    t_embed: float
    t_match: float

    @property
    def t_total(self) -> float:
        return self.t_detect + self.t_embed + self.t_match


@dataclass
class _Track:
    id: int
    box: FaceBox
    match: Match
    since_embed: int = 0
    missed: int = 0
    velocity: tuple[float, float] = (0.0, 0.0)   # pixels per frame, from the last two detections
    detected_box: FaceBox | None = None
    detected_at: int = 0


class FacePipeline:
    """``process(frame)`` -> FrameFaces with a box, name and distance per detected face.

    With ``encoder=None`` it only detects (names are "" and distances NaN): the live feed still
    shows boxes before any encoder exists.
    """

    def __init__(self, encoder, identifier: Identifier | None = None, threshold: float | None = None,
                 detector: FaceDetector | FaceFinder | None = None, refresh_every: int = 10,
                 track_iou: float = 0.4, max_embeds: int | None = None, detect_every: int = 1):
        self.encoder = encoder
        self.threshold = float(threshold if threshold is not None else getattr(encoder, "default_threshold", 0.6))
        self.identifier = identifier or Identifier(self.threshold)
        self.identifier.threshold = self.threshold
        if isinstance(detector, FaceFinder):
            self.finder = detector
        else:
            from workbench.core.studies.faces.detect import make_detector

            self.finder = FaceFinder(detector if detector is not None else make_detector(purpose="live"))
        self.refresh_every = max(1, int(refresh_every))
        self.track_iou = float(track_iou)
        self.max_embeds = None if max_embeds is None else max(1, int(max_embeds))
        self.detect_every = max(1, int(detect_every))
        self._tracks: list[_Track] = []
        self._next_id = 0
        self._frame_no = -1
        self._since_detect = 0

    @property
    def detector(self) -> FaceDetector:
        return self.finder.detector

    @classmethod
    def from_gallery(cls, encoder, gallery, threshold: float | None = None, **kw) -> "FacePipeline":
        """A pipeline matching against ``gallery``; its embeddings must come from ``encoder``."""
        if len(gallery) and gallery.needs_embedding(encoder.key):
            raise DataError("The gallery's embeddings were made with another encoder; re-embed the gallery "
                            "with the current encoder first.")
        emb, names = gallery.all_embeddings()
        t = float(threshold if threshold is not None else encoder.default_threshold)
        return cls(encoder, Identifier(t).fit(emb, names), t, **kw)

    def set_identifier(self, identifier: Identifier) -> None:
        identifier.threshold = self.threshold
        self.identifier = identifier
        self._tracks.clear()  # cached names may be stale

    def set_threshold(self, threshold: float) -> None:
        self.threshold = float(threshold)
        self.identifier.threshold = self.threshold
        self._tracks.clear()

    def reset(self) -> None:
        self._tracks.clear()

    def _predicted_boxes(self) -> list[FaceBox]:
        """The tracks' boxes moved on by their last motion (frames without detection)."""
        out = []
        for tr in self._tracks:
            if tr.missed:
                continue
            dx, dy = tr.velocity
            out.append(FaceBox(int(round(tr.box.x + dx)), int(round(tr.box.y + dy)), tr.box.w, tr.box.h))
        return out

    def process(self, frame: np.ndarray, frame_no: int | None = None) -> FrameFaces:
        self._frame_no = self._frame_no + 1 if frame_no is None else int(frame_no)
        t0 = time.perf_counter()
        detected = self._since_detect % self.detect_every == 0 or not self._tracks
        boxes = self.finder.detector.detect(frame) if detected else self._predicted_boxes()
        self._since_detect = 1 if detected else self._since_detect + 1
        t1 = time.perf_counter()

        # follow each box to the best-overlapping track of the previous frames (greedy, largest first)
        free = list(self._tracks)
        assigned: list[tuple[FaceBox, _Track | None]] = []
        for b in boxes:
            best, best_iou = None, self.track_iou
            for tr in free:
                iou = b.iou(tr.box)
                if iou >= best_iou:
                    best, best_iou = tr, iou
            if best is not None:
                free.remove(best)
            assigned.append((b, best))
        need = [i for i, (b, tr) in enumerate(assigned)
                if tr is None or tr.since_embed + 1 >= self.refresh_every]
        if self.encoder is None:
            need = []
        if self.max_embeds is not None and len(need) > self.max_embeds:
            # new faces first, then the ones whose name is oldest
            need.sort(key=lambda i: (assigned[i][1] is not None, -(assigned[i][1].since_embed if assigned[i][1] else 0)))
            need = sorted(need[:self.max_embeds])
        chips = [self.finder.chip(frame, assigned[i][0]) for i in need]
        emb = self.encoder.embed(chips) if chips else np.zeros((0, 1), np.float32)
        t2 = time.perf_counter()
        matches = self.identifier.identify(emb) if len(need) else []
        t3 = time.perf_counter()

        new_tracks: list[_Track] = []
        faces = []
        fresh = dict(zip(need, matches))
        for i, (b, tr) in enumerate(assigned):
            if tr is None and i not in fresh:  # detection only (or waiting for its turn to be embedded)
                tr = _Track(self._next_id, b, Match("", float("nan"), ""), since_embed=self.refresh_every)
                self._next_id += 1
                embedded = False
            elif i in fresh:
                if tr is None:
                    tr = _Track(self._next_id, b, fresh[i])
                    self._next_id += 1
                tr.match, tr.since_embed = fresh[i], 0
                embedded = True
            else:
                tr.since_embed += 1
                embedded = False
            if detected:
                if tr.detected_box is not None and self._frame_no > tr.detected_at:
                    n = self._frame_no - tr.detected_at
                    tr.velocity = ((b.x - tr.detected_box.x) / n, (b.y - tr.detected_box.y) / n)
                tr.detected_box, tr.detected_at = b, self._frame_no
            tr.box, tr.missed = b, 0
            new_tracks.append(tr)
            faces.append(FaceResult(b, tr.match.name, tr.match.distance, tr.id, embedded))
        # a face missed by the detector for a frame or two keeps its track (detectors flicker)
        for tr in free:
            tr.missed += 1
            if tr.missed <= 2:
                new_tracks.append(tr)
        self._tracks = new_tracks
        return FrameFaces(self._frame_no, tuple(faces), t1 - t0, t2 - t1, t3 - t2)


def label_of(face: FaceResult) -> str:
    """Text drawn on the live feed."""
    if face.name == UNKNOWN:
        return f"unknown ({face.distance:.2f})" if np.isfinite(face.distance) else "unknown"
    return f"{face.name} ({face.distance:.2f})"


def run_source(pipeline: FacePipeline, source, max_frames: int | None = None) -> list[FrameFaces]:
    """Process every frame of a FrameSource (a video file in tests and benchmarks)."""
    out: list[FrameFaces] = []
    with source:
        while max_frames is None or len(out) < max_frames:
            frame = source.read()
            if frame is None:
                break
            out.append(pipeline.process(frame))
    return out


@dataclass
class FaceCropper:
    """Faces of a list of photos (for clustering a folder): chips plus where each came from."""

    finder: FaceFinder = field(default_factory=lambda: FaceFinder())

    def crops_from_files(self, files, progress=None, should_cancel=None) -> tuple[list[np.ndarray], list[str], list[tuple[str, str]]]:
        from workbench.core.studies.faces.detect import read_image

        crops, origin, skipped = [], [], []
        files = list(files)
        for i, f in enumerate(files):
            if should_cancel and should_cancel():
                break
            try:
                img = read_image(f)
            except DataError as e:
                skipped.append((str(f), str(e)))
                continue
            found = self.finder.find(img)
            if not found:
                skipped.append((str(f), "no face found"))
            for ff in found:
                crops.append(ff.chip)
                origin.append(str(f))
            if progress:
                progress(i + 1, len(files))
        return crops, origin, skipped
