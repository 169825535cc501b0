"""Real face photos that ship offline, and what can honestly be measured on them.

What exists (DATA.md): the 100 real 25x25 grey face crops of ``skimage.data.lfw_subset()`` (and
100 non-face crops), the astronaut photo of ``skimage.data`` (one face), the scikit-learn sample
photos (no faces). No identity labels ship anywhere, so:

* verification identities: each LFW crop (and the astronaut) is one "person"; its shots are the
  aligned chip and augmentations of it (pose, light, blur, noise, mirror). "Same person" therefore
  means "the same photo, changed": easier than two different photos of one person. Different
  crops are taken as different people (the subset may hold the same person twice: a few
  "different" pairs may really be the same person, which only makes the figures look worse).
* detection: every LFW face pasted into a real photo background, the astronaut, and a collage of
  several real faces at different sizes and tilts on a real photo, each with its true box.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from workbench.core.studies.faces.detect import FaceBox

# the astronaut's face in skimage.data.astronaut() (512x512), drawn by hand from the photo
ASTRONAUT_FACE = FaceBox(165, 60, 105, 125)
LFW_SOURCE = "LFW subset (scikit-image)"


@dataclass
class FaceData:
    """Face chips with a person index each, the people's names and where each person comes from."""

    X: list                      # RGB uint8 chips
    y: np.ndarray                # person index per chip
    names: list[str]             # one per person
    origins: list[str]           # one per person: "lfw", "astronaut", "gallery", "folder", "generated"
    description: str = ""
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.X)

    def people_of(self, origin: str) -> list[int]:
        return [i for i, o in enumerate(self.origins) if o == origin]

    def merged(self, other: "FaceData") -> "FaceData":
        off = len(self.names)
        return FaceData(list(self.X) + list(other.X), np.concatenate([self.y, np.asarray(other.y) + off]),
                        self.names + other.names, self.origins + other.origins,
                        " + ".join(d for d in (self.description, other.description) if d),
                        self.notes + other.notes)


def lfw_crops(faces: bool = True) -> np.ndarray:
    """The LFW subset's 100 face crops (or its 100 non-face crops) as RGB uint8 (100, 25, 25, 3)."""
    from workbench.core.studies.faces.synth import lfw_faces

    if faces:
        return lfw_faces()
    from skimage import data as skdata

    g = (skdata.lfw_subset()[100:] * 255).round().astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=-1)


def astronaut() -> np.ndarray:
    from skimage import data as skdata

    return np.ascontiguousarray(skdata.astronaut()[..., :3])


@lru_cache(maxsize=2)
def _base_chips(aligned: bool) -> tuple[np.ndarray, ...]:
    from workbench.core.studies.faces.align import FaceFinder, chip_from_crop
    from workbench.core.studies.faces.detect import HaarDetector

    finder = FaceFinder(HaarDetector(), "auto" if aligned else None)
    chips = [chip_from_crop(c, finder) for c in lfw_crops()]
    chips.append(finder.chip(astronaut(), ASTRONAUT_FACE))
    return tuple(chips)


def real_chips(aligned: bool | None = None) -> list[np.ndarray]:
    """101 chips: the LFW subset's 100 faces, then the astronaut (aligned when dlib is there)."""
    from workbench.core.studies.faces.align import aligner_status

    if aligned is None:
        aligned = not aligner_status()
    return list(_base_chips(bool(aligned)))


def real_identities(shots: int = 6, seed: int = 0, variation: float = 0.5, people: int | None = None,
                    aligned: bool | None = None) -> FaceData:
    """Augmented real faces: each LFW crop and the astronaut is one person with ``shots`` shots
    (the first is the unchanged chip). See the module docstring for what that measures."""
    from workbench.core.studies.faces.synth import augment_photo

    chips = real_chips(aligned)
    if people is not None:
        chips = chips[:people]
    rng = np.random.default_rng(seed)
    X, y = [], []
    for p, c in enumerate(chips):
        X.append(c)
        X += [augment_photo(c, rng, c.shape[0], variation) for _ in range(max(0, shots - 1))]
        y += [p] * max(1, shots)
    names = [f"lfw_{i:03d}" for i in range(min(100, len(chips)))] + (["astronaut"] if len(chips) > 100 else [])
    origins = ["lfw"] * min(100, len(chips)) + (["astronaut"] if len(chips) > 100 else [])
    desc = (f"{len(chips)} real faces ({LFW_SOURCE} + the astronaut), {max(1, shots)} shots each: the photo and "
            "augmentations of it")
    return FaceData(X, np.asarray(y, np.int64), names, origins, desc)


# ---- detection sets with true boxes ----------------------------------------------------------------

@dataclass
class DetectionCase:
    name: str
    image: np.ndarray
    boxes: list[FaceBox]          # the true faces (empty: a photo without faces)


def _background(size: tuple[int, int], which: int = 0) -> np.ndarray:
    import cv2
    from sklearn.datasets import load_sample_images

    img = load_sample_images().images[which]
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA)


def _paste(canvas: np.ndarray, face: np.ndarray, cx: int, cy: int, px: int, angle: float = 0.0) -> FaceBox:
    """Paste a tight face crop ``px`` tall centred at (cx, cy), tilted by ``angle``; its true box."""
    import cv2

    f = cv2.resize(face, (px, px), interpolation=cv2.INTER_CUBIC)
    # a soft-edged margin of the crop's own border, so the paste has no hard square edge
    pad = px // 3
    f = cv2.copyMakeBorder(f, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    side = f.shape[0]
    if angle:
        M = cv2.getRotationMatrix2D((side / 2, side / 2), angle, 1.0)
        f = cv2.warpAffine(f, M, (side, side), borderMode=cv2.BORDER_REPLICATE)
    mask = np.zeros((side, side), np.float32)
    cv2.circle(mask, (side // 2, side // 2), int(side * 0.47), 1.0, -1)
    mask = cv2.GaussianBlur(mask, (0, 0), side * 0.06)[..., None]
    x0, y0 = cx - side // 2, cy - side // 2
    H, W = canvas.shape[:2]
    xa, ya, xb, yb = max(0, x0), max(0, y0), min(W, x0 + side), min(H, y0 + side)
    reg = canvas[ya:yb, xa:xb].astype(np.float32)
    fm = f[ya - y0:yb - y0, xa - x0:xb - x0].astype(np.float32)
    mm = mask[ya - y0:yb - y0, xa - x0:xb - x0]
    canvas[ya:yb, xa:xb] = np.clip(reg * (1 - mm) + fm * mm, 0, 255).astype(np.uint8)
    return FaceBox(cx - px // 2, cy - px // 2, px, px)


def lfw_scenes(face_px: int = 120, size: tuple[int, int] = (400, 300), faces: bool = True) -> list[DetectionCase]:
    """Every LFW face (or non-face) crop pasted into a real photo background, with its true box."""
    bgs = [_background(size, 0), _background(size, 1)]
    out = []
    for i, c in enumerate(lfw_crops(faces)):
        canvas = bgs[i % 2].copy()
        box = _paste(canvas, c, size[0] // 2 + (i % 5 - 2) * 20, size[1] // 2, face_px)
        out.append(DetectionCase(f"lfw_{'face' if faces else 'nonface'}_{i:03d}", canvas, [box] if faces else []))
    return out


def collage(seed: int = 0, size: tuple[int, int] = (1280, 720), n_faces: int = 11) -> DetectionCase:
    """A group photo made of real faces: the astronaut and ``n_faces`` LFW faces of 40-180 px,
    half of them tilted up to 25 degrees, on a real photo (scikit-learn's china), with the true boxes."""
    import cv2

    rng = np.random.default_rng(seed)
    canvas = _background(size, 0)
    boxes = []
    # the astronaut's head as it is in her photo, shrunk to 150 px face height
    a = astronaut()
    s = 150 / ASTRONAUT_FACE.h
    small = cv2.resize(a, (int(a.shape[1] * s), int(a.shape[0] * s)), interpolation=cv2.INTER_AREA)
    fb = FaceBox(*(int(round(v * s)) for v in ASTRONAUT_FACE.to_tuple()))
    m = int(fb.h * 0.5)
    x0, y0 = max(0, fb.x - m), max(0, fb.y - m)
    patch = small[y0:fb.y + fb.h + m, x0:fb.x + fb.w + m]
    px, py = 40, 40
    canvas[py:py + patch.shape[0], px:px + patch.shape[1]] = patch
    boxes.append(FaceBox(px + fb.x - x0, py + fb.y - y0, fb.w, fb.h))
    crops = lfw_crops()
    picks = rng.choice(len(crops), n_faces, replace=False)
    cols = 6
    cell_w, cell_h = size[0] // cols, size[1] // 2
    cells = [(c, r) for r in range(2) for c in range(cols) if (c, r) != (0, 0)][:n_faces]
    for (c, r), k in zip(cells, picks):
        px_ = int(rng.uniform(40, min(180, cell_h * 0.6)))
        cx = int(c * cell_w + cell_w / 2 + rng.uniform(-15, 15))
        cy = int(r * cell_h + cell_h / 2 + rng.uniform(-15, 15))
        ang = float(rng.uniform(-25, 25)) if rng.random() < 0.5 else 0.0
        boxes.append(_paste(canvas, crops[k], cx, cy, px_, ang))
    return DetectionCase(f"collage of {len(boxes)} real faces", canvas, boxes)


def astronaut_case() -> DetectionCase:
    return DetectionCase("astronaut", astronaut(), [ASTRONAUT_FACE])


def matches(found: FaceBox, truth: FaceBox) -> bool:
    """A detection counts for a true face when its centre lies in the true box and its size is
    within a factor 2 of it (detectors disagree on how much forehead and chin a box holds)."""
    cx, cy = found.center
    inside = truth.x <= cx <= truth.x + truth.w and truth.y <= cy <= truth.y + truth.h
    ratio = np.sqrt(found.area / max(1, truth.area))
    return bool(inside and 0.5 <= ratio <= 2.0)


@dataclass
class RecallResult:
    name: str
    faces: int
    found: int
    false_positives: int
    seconds: float

    @property
    def recall(self) -> float:
        return self.found / self.faces if self.faces else float("nan")

    def to_dict(self) -> dict:
        return {"set": self.name, "faces": self.faces, "found": self.found, "recall": self.recall,
                "false_positives": self.false_positives, "seconds": self.seconds}


def detection_recall(detector, cases: list[DetectionCase], name: str = "") -> RecallResult:
    """How many true faces ``detector`` finds in ``cases`` (each true face matched at most once)."""
    import time

    faces = found = fp = 0
    t = time.perf_counter()
    for case in cases:
        boxes = detector.detect(case.image)
        used = set()
        for truth in case.boxes:
            for j, b in enumerate(boxes):
                if j not in used and matches(b, truth):
                    used.add(j)
                    found += 1
                    break
        faces += len(case.boxes)
        fp += len(boxes) - len(used)
    return RecallResult(name or (cases[0].name if len(cases) == 1 else f"{len(cases)} photos"), faces, found, fp,
                        time.perf_counter() - t)
