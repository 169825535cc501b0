"""Face detection (OpenCV Haar cascade), crop + normalize, and the blur check.

cv2 is imported lazily so the app starts (and the rest of the study works) without it.
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


class FaceDetector:
    """Haar-cascade frontal face detector run on a downscaled grey copy of the frame.

    ``max_side`` is the longer side the frame is shrunk to before detection (speed; boxes are mapped
    back to full size); ``min_face`` the smallest face in full-frame pixels.
    """

    def __init__(self, max_side: int = 320, min_face: int = 40, scale_factor: float = 1.15,
                 min_neighbors: int = 4):
        cv2 = _cv2()
        if not hasattr(cv2, "CascadeClassifier") or not hasattr(cv2, "data"):
            raise DeviceUnavailable(
                "This OpenCV has no Haar cascades (OpenCV 5 dropped them); install opencv-python-headless<5."
            )
        path = cv2.data.haarcascades + "haarcascade_frontalface_default.xml"
        self._cascade = cv2.CascadeClassifier(path)
        if self._cascade.empty():
            raise DeviceUnavailable(f"The Haar cascade file {path} could not be loaded; reinstall opencv-python-headless<5.")
        self.max_side = int(max_side)
        self.min_face = int(min_face)
        self.scale_factor = float(scale_factor)
        self.min_neighbors = int(min_neighbors)

    def detect(self, frame: np.ndarray) -> list[FaceBox]:
        """Faces in an RGB (or grey) uint8 frame, largest first."""
        cv2 = _cv2()
        if frame is None or frame.size == 0:
            return []
        grey = frame if frame.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(frame[..., :3]), cv2.COLOR_RGB2GRAY)
        h, w = grey.shape
        s = min(1.0, self.max_side / max(h, w))
        small = cv2.resize(grey, (max(1, int(round(w * s))), max(1, int(round(h * s)))),
                           interpolation=cv2.INTER_AREA) if s < 1.0 else grey
        small = cv2.equalizeHist(small)
        mn = max(12, int(round(self.min_face * s)))
        found = self._cascade.detectMultiScale(small, scaleFactor=self.scale_factor,
                                               minNeighbors=self.min_neighbors, minSize=(mn, mn))
        boxes = [FaceBox(int(round(x / s)), int(round(y / s)), int(round(bw / s)), int(round(bh / s)))
                 for (x, y, bw, bh) in (found if len(found) else [])]
        return sorted(boxes, key=lambda b: -b.area)


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


def normalize_faces(crops: np.ndarray | list[np.ndarray], size: int = 64) -> np.ndarray:
    """RGB uint8 crops (N,H,W,3) -> float32 (N,3,size,size), each image standardized per channel.

    Per-image standardization removes most of the exposure/white-balance difference between
    webcam shots, which the small encoder should not have to learn.
    """
    cv2 = _cv2()
    out = []
    for c in crops:
        c = np.asarray(c)
        if c.ndim == 2:
            c = np.repeat(c[..., None], 3, axis=-1)
        if c.shape[0] != size or c.shape[1] != size:
            c = cv2.resize(np.ascontiguousarray(c[..., :3]), (size, size), interpolation=cv2.INTER_AREA)
        x = c[..., :3].astype(np.float32)
        x = (x - x.mean(axis=(0, 1))) / (x.std(axis=(0, 1)) + 8.0)
        out.append(x.transpose(2, 0, 1))
    if not out:
        return np.zeros((0, 3, size, size), np.float32)
    return np.stack(out).astype(np.float32)


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


def check_shot(frame: np.ndarray, detector: FaceDetector, size: int = 64, min_sharpness: float = 30.0,
               margin: float = 0.2) -> ShotCheck:
    """Accept a frame for enrollment when it holds a face and that face is sharp enough.

    Sharpness is measured on the face crop at a fixed size (so a big sharp background cannot hide a
    blurry face, and the figure does not depend on the camera resolution).
    """
    boxes = detector.detect(frame)
    if not boxes:
        return ShotCheck(False, "no face found", None, None, 0.0)
    box = boxes[0]
    crop = crop_face(frame, box, size=size, margin=margin)
    sharp = blur_score(crop_face(frame, box, size=128, margin=0.0))
    if sharp < min_sharpness:
        return ShotCheck(False, f"too blurry (sharpness {sharp:.0f} < {min_sharpness:.0f})", crop, box, sharp)
    return ShotCheck(True, "", crop, box, sharp)


def read_image(path) -> np.ndarray:
    """An image file as RGB uint8; unreadable files raise DataError."""
    cv2 = _cv2()
    data = np.fromfile(str(path), dtype=np.uint8)  # imdecode handles non-ASCII paths, imread does not
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise DataError(f"{path} is not an image OpenCV can read (use png, jpg, bmp or webp).")
    return img[..., ::-1].copy()


def write_png(path, img: np.ndarray) -> bytes:
    """PNG bytes of an RGB uint8 image (the caller writes them atomically)."""
    cv2 = _cv2()
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(img[..., ::-1]) if img.ndim == 3 else img)
    if not ok:  # pragma: no cover
        raise DataError(f"could not encode {path} as PNG")
    return buf.tobytes()


IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp")
