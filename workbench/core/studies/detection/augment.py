"""Box-aware augmentation: resizing and flips move the boxes (and masks) with the pixels.

Every function takes and returns ``(image, boxes, mask)``; ``mask`` may be None. Boxes are
``x1, y1, x2, y2`` in pixels, so a horizontal flip maps x to ``W - x`` and swaps x1 and x2.
"""
from __future__ import annotations

import numpy as np

from workbench.core.studies.detection.boxes import as_boxes


def resize_image(img: np.ndarray, size: int | tuple[int, int]) -> np.ndarray:
    """RGB uint8 to ``size`` x ``size`` (or (width, height)); area interpolation when shrinking."""
    import cv2

    w, h = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    if img.shape[1] == w and img.shape[0] == h:
        return img
    shrink = img.shape[0] * img.shape[1] > w * h
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)


def resize(img: np.ndarray, boxes, mask=None, size: int | tuple[int, int] = 96):
    """Stretch to the new size; boxes scale by (new W / old W, new H / old H); masks use nearest."""
    import cv2

    w, h = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    sx, sy = w / img.shape[1], h / img.shape[0]
    b = as_boxes(boxes) * np.array([sx, sy, sx, sy], np.float32)
    m = None if mask is None else cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)
    return resize_image(img, (w, h)), b, m


def hflip(img: np.ndarray, boxes, mask=None):
    w = img.shape[1]
    b = as_boxes(boxes).copy()
    b[:, [0, 2]] = w - b[:, [2, 0]]
    return img[:, ::-1].copy(), b, None if mask is None else mask[:, ::-1].copy()


def vflip(img: np.ndarray, boxes, mask=None):
    h = img.shape[0]
    b = as_boxes(boxes).copy()
    b[:, [1, 3]] = h - b[:, [3, 1]]
    return img[::-1].copy(), b, None if mask is None else mask[::-1].copy()


def random_augment(img: np.ndarray, boxes, mask=None, rng: np.random.Generator | None = None, *,
                   p_hflip: float = 0.5, p_vflip: float = 0.0, scale: tuple[float, float] = (1.0, 1.0)):
    """Random flips and a random zoom-out (the image shrinks onto a mean-colour canvas of the same
    size, which makes objects smaller), all applied to boxes and masks alike."""
    rng = rng or np.random.default_rng()
    if rng.random() < p_hflip:
        img, boxes, mask = hflip(img, boxes, mask)
    if rng.random() < p_vflip:
        img, boxes, mask = vflip(img, boxes, mask)
    lo, hi = scale
    if hi < 1.0 or lo < 1.0:
        f = float(rng.uniform(lo, hi))
        h, w = img.shape[:2]
        nw, nh = max(8, int(round(w * f))), max(8, int(round(h * f)))
        small, b, m = resize(img, boxes, mask, (nw, nh))
        x0, y0 = int(rng.integers(0, w - nw + 1)), int(rng.integers(0, h - nh + 1))
        canvas = np.empty_like(img)
        canvas[:] = img.reshape(-1, img.shape[2]).mean(0).astype(img.dtype)
        canvas[y0:y0 + nh, x0:x0 + nw] = small
        b = b + np.array([x0, y0, x0, y0], np.float32)
        if mask is not None:
            mc = np.zeros_like(mask)
            mc[y0:y0 + nh, x0:x0 + nw] = m
            mask = mc
        img, boxes = canvas, b
    return img, as_boxes(boxes), mask


def augment_set(ds, copies: int = 1, seed: int = 0, **kwargs):
    """A new DetectionSet: the originals plus ``copies`` augmented versions of each image."""
    from workbench.core.studies.detection.data import DetectionSet

    rng = np.random.default_rng(seed)
    images, boxes, labels, masks, names = list(ds.images), list(ds.boxes), list(ds.labels), [], list(ds.names)
    masks = list(ds.masks) if ds.masks is not None else None
    for k in range(copies):
        for i in range(len(ds)):
            im, b, m = random_augment(ds.images[i], ds.boxes[i], None if ds.masks is None else ds.masks[i], rng,
                                      **kwargs)
            images.append(im)
            boxes.append(b)
            labels.append(ds.labels[i].copy())
            if masks is not None:
                masks.append(m)
            names.append(f"aug{k}_{ds.names[i]}")
    return DetectionSet(images, boxes, labels, list(ds.class_names), masks, names, ds.name + "+aug", dict(ds.source))
