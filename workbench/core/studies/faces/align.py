"""Face alignment with dlib's 5-point landmarks, and ``FaceFinder`` (detector + aligner) that every
part of the study uses to turn a photo or a frame into face chips.

Both encoders embed the same chips: the face rotated and scaled so the eyes and the nose sit at
fixed places (``dlib.get_face_chip``, 150 px, the input dlib's ResNet was trained on). Without
dlib the chip is a plain square crop around the detector's box, and ``FaceFinder.aligned`` says so.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.studies.faces.detect import FaceBox, FaceDetector, crop_face

CHIP_SIZE = 150
CHIP_PADDING = 0.25
# the square crop used without landmarks covers about what an aligned chip with this padding does
_CROP_MARGIN = 0.25


def aligner_status() -> str:
    """"" when 5-point alignment can be used here, else why not."""
    from workbench.core.studies.faces.dlib_models import dlib_status

    ok, msg = dlib_status()
    return "" if ok else msg


def _rgb(frame: np.ndarray) -> np.ndarray:
    f = np.asarray(frame)
    if f.ndim == 2:
        f = np.repeat(f[..., None], 3, axis=-1)
    return np.ascontiguousarray(f[..., :3], dtype=np.uint8)


class FaceAligner:
    """dlib's 5-point shape predictor (eye corners and the base of the nose) and its face chips."""

    def __init__(self):
        from workbench.core.studies.faces.dlib_models import LANDMARKS, load_dlib, model_path

        self._dlib = load_dlib()
        self._sp = self._dlib.shape_predictor(str(model_path(LANDMARKS)))

    def _shape(self, rgb: np.ndarray, box: FaceBox):
        r = self._dlib.rectangle(int(box.x), int(box.y), int(box.x + box.w), int(box.y + box.h))
        return self._sp(rgb, r)

    def landmarks(self, frame: np.ndarray, box: FaceBox) -> np.ndarray:
        """(5, 2) float pixel positions: right eye outer/inner, left eye outer/inner, nose."""
        s = self._shape(_rgb(frame), box)
        return np.array([[s.part(i).x, s.part(i).y] for i in range(s.num_parts)], np.float64)

    def chip(self, frame: np.ndarray, box: FaceBox, size: int = CHIP_SIZE, padding: float = CHIP_PADDING) -> np.ndarray:
        rgb = _rgb(frame)
        return np.asarray(self._dlib.get_face_chip(rgb, self._shape(rgb, box), size=int(size), padding=float(padding)),
                          np.uint8)


@dataclass
class FoundFace:
    box: FaceBox
    chip: np.ndarray       # RGB uint8, size x size, aligned when the finder has an aligner


class FaceFinder:
    """Detect faces and cut each one out as a chip (aligned with landmarks when dlib is there).

    ``aligner="auto"`` aligns when dlib and its models are installed; ``None`` never aligns.
    """

    def __init__(self, detector: FaceDetector | None = None, aligner="auto", size: int = CHIP_SIZE):
        from workbench.core.studies.faces.detect import make_detector

        self.detector = detector if detector is not None else make_detector()
        if aligner == "auto":
            aligner = FaceAligner() if not aligner_status() else None
        self.aligner: FaceAligner | None = aligner
        self.size = int(size)

    @property
    def aligned(self) -> bool:
        return self.aligner is not None

    def describe(self) -> str:
        how = "5-point landmark alignment" if self.aligned else "no alignment (dlib missing)"
        return f"{self.detector.kind} detector, {how}"

    def chip(self, frame: np.ndarray, box: FaceBox) -> np.ndarray:
        if self.aligner is not None:
            return self.aligner.chip(frame, box, self.size)
        return crop_face(frame, box, size=self.size, margin=_CROP_MARGIN)

    def find(self, frame: np.ndarray) -> list[FoundFace]:
        return [FoundFace(b, self.chip(frame, b)) for b in self.detector.detect(frame)]

    def fresh(self) -> "FaceFinder":
        """An independent finder (own detector and aligner) for another thread."""
        return FaceFinder(self.detector.fresh(), FaceAligner() if self.aligner is not None else None, self.size)


def make_finder(detector: str | FaceDetector | None = None, purpose: str = "photo", align: bool = True,
                size: int = CHIP_SIZE) -> FaceFinder:
    """A finder with the named detector (None: the default) set up for ``purpose`` ("photo"/"live")."""
    from workbench.core.studies.faces.detect import make_detector

    det = detector if isinstance(detector, FaceDetector) else make_detector(detector, purpose)
    return FaceFinder(det, "auto" if align else None, size)


def as_finder(detector_or_finder) -> FaceFinder:
    if isinstance(detector_or_finder, FaceFinder):
        return detector_or_finder
    return FaceFinder(detector_or_finder)


def chip_from_crop(crop: np.ndarray, finder: FaceFinder | None = None, size: int = CHIP_SIZE) -> np.ndarray:
    """A chip from a tight face crop (e.g. the 25 px LFW crops): the whole crop is the face box."""
    import cv2

    c = _rgb(crop)
    side = max(c.shape[:2])
    if side < 100:  # landmarks want some pixels to work with
        c = cv2.resize(c, (100 * c.shape[1] // side, 100 * c.shape[0] // side), interpolation=cv2.INTER_CUBIC)
    h, w = c.shape[:2]
    pad = int(round(0.4 * max(h, w)))
    big = cv2.copyMakeBorder(c, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    box = FaceBox(pad, pad, w, h)
    if finder is not None and finder.aligner is not None:
        return finder.aligner.chip(big, box, size)
    return crop_face(big, box, size=size, margin=_CROP_MARGIN)
