"""Clock-face images with known times, for the feature-engineering lesson."""
from __future__ import annotations

import numpy as np


def hand_angles(minutes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Clockwise angles from 12 o'clock, in radians, of the hour and minute hands."""
    minutes = np.asarray(minutes, dtype=np.float64) % 720.0
    return 2 * np.pi * minutes / 720.0, 2 * np.pi * (minutes % 60.0) / 60.0


def hand_tips(minutes: np.ndarray, size: int = 32) -> np.ndarray:
    """(x, y) pixel coordinates of the tips of the hour and minute hands: (N, 4)."""
    th, tm = hand_angles(minutes)
    c = (size - 1) / 2.0
    rh, rm = 0.28 * size, 0.42 * size
    return np.stack([c + rh * np.sin(th), c - rh * np.cos(th), c + rm * np.sin(tm), c - rm * np.cos(tm)], axis=1)


def draw_clocks(minutes: np.ndarray, size: int = 32, seed: int = 0, noise: float = 0.05) -> np.ndarray:
    """Render grey clock faces: (N, size, size) float32 in [0, 1], thick short hour hand, thin long minute hand."""
    rng = np.random.default_rng(seed)
    n = len(minutes)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    c = (size - 1) / 2.0
    r = np.hypot(xx - c, yy - c)
    face = np.clip(1.0 - np.abs(r - 0.46 * size) / 0.9, 0, 1)  # the rim
    th, tm = hand_angles(minutes)
    out = np.empty((n, size, size), dtype=np.float32)
    for i in range(n):
        img = face.copy()
        for ang, length, width in ((th[i], 0.28 * size, 1.4), (tm[i], 0.42 * size, 0.8)):
            dx, dy = np.sin(ang), -np.cos(ang)
            # distance from each pixel to the hand's segment
            t = np.clip(((xx - c) * dx + (yy - c) * dy) / length, 0, 1) * length
            d = np.hypot(xx - c - t * dx, yy - c - t * dy)
            img = np.maximum(img, np.clip(width + 0.5 - d, 0, 1))
        out[i] = img
    if noise:
        out += rng.normal(0, noise, out.shape).astype(np.float32)
    return np.clip(out, 0, 1)


def circular_minutes_error(pred_minutes: np.ndarray, true_minutes: np.ndarray) -> np.ndarray:
    d = np.abs(np.asarray(pred_minutes) - np.asarray(true_minutes)) % 720.0
    return np.minimum(d, 720.0 - d)


def minutes_from_unit_vector(v: np.ndarray) -> np.ndarray:
    """Inverse of the (sin, cos) encoding of the hour-hand angle."""
    ang = np.arctan2(v[:, 0], v[:, 1]) % (2 * np.pi)
    return ang / (2 * np.pi) * 720.0
