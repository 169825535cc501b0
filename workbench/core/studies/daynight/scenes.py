"""Generated outdoor scenes, day or night, drawn with numpy (vectorized, seeded).

Each scene has a sky gradient, a sun or a moon and stars, clouds, a horizon with buildings whose
windows are lit or dark, then camera exposure, a colour cast and sensor noise. Six subgroups, two
of them easy and four hard on purpose (the cases a model trained on easy data gets wrong):

    clear_day     day    blue sky, sun, white clouds                       (easy)
    overcast_day  day    grey sky, no sun, heavy cloud, dull light         (hard: dim, colourless)
    dawn          day    sun on the horizon, orange sky, dim ground        (hard: warm, low light)
    night         night  dark sky, moon and stars, a few lit windows       (easy)
    dusk          night  sun just set: deep blue sky, orange glow, lights  (hard: still bright)
    city_night    night  light-polluted orange sky, many lit windows       (hard: bright)

The label follows the physics a person would use: the sun is up (day) or down (night).
"""
from __future__ import annotations

import numpy as np

GROUPS: dict[str, str] = {
    "clear_day": "day",
    "overcast_day": "day",
    "dawn": "day",
    "night": "night",
    "dusk": "night",
    "city_night": "night",
}
EASY_GROUPS = {"day": ["clear_day"], "night": ["night"]}
HARD_GROUPS = {"day": ["overcast_day", "dawn"], "night": ["dusk", "city_night"]}

# Named camera colour casts (RGB gains) for the "shifted" test set.
TINTS: dict[str, tuple[float, float, float]] = {
    "none": (1.0, 1.0, 1.0),
    "warm": (1.25, 1.0, 0.7),
    "cool": (0.75, 0.95, 1.3),
    "green": (0.85, 1.25, 0.85),
    "dark": (0.55, 0.55, 0.55),
}


def parse_tint(tint) -> np.ndarray | None:
    """None / name / (r, g, b) gains -> float32 gains or None."""
    if tint is None:
        return None
    if isinstance(tint, str):
        key = tint.strip().lower()
        if key in ("", "none"):
            return None
        if key not in TINTS:
            from workbench.core.errors import DataError

            raise DataError(f"Unknown tint {tint!r}; use one of {', '.join(TINTS)} or three gains like 1.2,1,0.8.")
        return np.asarray(TINTS[key], np.float32)
    gains = np.asarray(tint, np.float32).reshape(-1)
    if gains.size != 3:
        from workbench.core.errors import DataError

        raise DataError(f"A tint needs three gains (red, green, blue), got {tint!r}.")
    return gains


def _c(rng, lo, hi):
    """A random RGB colour between two colours (per-channel uniform)."""
    return rng.uniform(np.asarray(lo, np.float32), np.asarray(hi, np.float32)).astype(np.float32)


def _blend(img, alpha, color):
    """img = img*(1-a) + color*a, with alpha (H,W) or broadcastable."""
    a = alpha[..., None]
    img *= 1.0 - a
    img += a * color
    return img


def _disk(xx, yy, cx, cy, r, edge):
    d = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2)
    return np.clip((r - d) / edge + 0.5, 0.0, 1.0), d


# Per-group palettes: (sky top lo, hi), (sky horizon lo, hi), ground brightness, building light,
# window lit probability, stars (count range), cloud cover range.
_PALETTE = {
    "clear_day": dict(top=((50, 110, 200), (110, 170, 255)), hor=((165, 195, 225), (225, 235, 255)),
                      light=(0.85, 1.1), lit=0.0, stars=(0, 0), cloud=(0.0, 0.5)),
    "overcast_day": dict(top=((125, 128, 135), (200, 205, 215)), hor=((155, 158, 162), (220, 222, 228)),
                         light=(0.55, 0.85), lit=0.08, stars=(0, 0), cloud=(0.6, 1.0)),
    "dawn": dict(top=((80, 105, 160), (140, 160, 215)), hor=((220, 130, 60), (255, 195, 130)),
                 light=(0.45, 0.75), lit=0.12, stars=(0, 0), cloud=(0.0, 0.4)),
    "night": dict(top=((0, 2, 8), (12, 18, 40)), hor=((10, 14, 30), (35, 42, 75)),
                  light=(0.06, 0.16), lit=0.3, stars=(25, 120), cloud=(0.0, 0.4)),
    "dusk": dict(top=((18, 25, 70), (45, 55, 115)), hor=((140, 60, 45), (205, 115, 80)),
                 light=(0.16, 0.32), lit=0.4, stars=(3, 25), cloud=(0.0, 0.35)),
    "city_night": dict(top=((18, 16, 30), (45, 40, 60)), hor=((95, 60, 35), (150, 100, 60)),
                       light=(0.14, 0.3), lit=0.65, stars=(0, 6), cloud=(0.0, 0.6)),
}


def render_scene(group: str, rng: np.random.Generator, width: int = 64, height: int = 64,
                 tint=None, supersample: int | None = None) -> np.ndarray:
    """Draw one scene of ``group`` as RGB uint8 (height, width, 3).

    Small images are drawn at 2x and averaged down so thin windows and stars stay visible as
    soft dots instead of aliasing away.
    """
    if group not in _PALETTE:
        raise ValueError(f"unknown scene group {group!r}; known: {', '.join(GROUPS)}")
    ss = supersample if supersample is not None else (2 if max(width, height) < 64 else 1)
    W, H = width * ss, height * ss
    p = _PALETTE[group]
    is_day = GROUPS[group] == "day"
    xx = (np.arange(W, dtype=np.float32)[None, :] + 0.5) / W  # 0..1 left to right
    yy = (np.arange(H, dtype=np.float32)[:, None] + 0.5) / H  # 0..1 top to bottom
    xa = xx * (W / H)  # aspect-correct x for round disks
    px = 1.0 / H  # one pixel in these units

    horizon = rng.uniform(0.55, 0.8)
    if group == "overcast_day":  # grey: one level with a slight cast, not random per channel
        level = rng.uniform(125, 205)
        top = (level * rng.uniform(0.96, 1.04, 3)).astype(np.float32)
        hor = np.minimum(top * rng.uniform(1.02, 1.15), 235).astype(np.float32)
    else:
        top = _c(rng, *p["top"])
        hor = _c(rng, *p["hor"])
    gamma = rng.uniform(0.7, 1.6)
    t = np.clip(yy / horizon, 0.0, 1.0) ** gamma  # (H,1)
    img = np.empty((H, W, 3), np.float32)
    img[:] = top + (hor - top) * t[..., None]

    # stars (before clouds and moon so they are hidden behind them)
    n_stars = int(rng.integers(p["stars"][0], p["stars"][1] + 1)) if p["stars"][1] else 0
    if n_stars:
        sx = rng.integers(0, W, n_stars)
        sy = (rng.random(n_stars) ** 1.5 * horizon * 0.9 * H).astype(int)
        bright = rng.uniform(90, 255, n_stars).astype(np.float32)
        if group == "dusk":  # only the brightest show through twilight, higher up
            sy = (sy * 0.5).astype(int)
        img[sy, sx] = np.maximum(img[sy, sx], bright[:, None] * np.asarray([1.0, 1.0, 0.95], np.float32))
        if ss > 1:  # make them a supersampled pixel wide so they survive downscaling
            img[np.minimum(sy + 1, H - 1), sx] = img[sy, sx]
            img[sy, np.minimum(sx + 1, W - 1)] = img[sy, sx]

    # sun or moon
    aspect = W / H
    if group == "clear_day":
        r = rng.uniform(0.04, 0.08)
        cx, cy = rng.uniform(0.1, 0.9) * aspect, rng.uniform(0.08, horizon - 0.2)
        core, d = _disk(xa, yy, cx, cy, r, 1.5 * px)
        glow = np.exp(-np.maximum(d - r, 0) / rng.uniform(0.05, 0.12)) * rng.uniform(0.3, 0.6)
        img = _blend(img, glow, np.asarray([255, 250, 225], np.float32))
        img = _blend(img, core, np.asarray([255, 252, 235], np.float32))
    elif group == "dawn":
        r = rng.uniform(0.06, 0.11)
        cx, cy = rng.uniform(0.15, 0.85) * aspect, horizon - rng.uniform(0.2, 1.6) * r
        core, d = _disk(xa, yy, cx, cy, r, 1.5 * px)
        glow = np.exp(-np.maximum(d - r, 0) / rng.uniform(0.12, 0.25)) * rng.uniform(0.45, 0.8)
        img = _blend(img, glow, _c(rng, (255, 170, 90), (255, 215, 150)))
        img = _blend(img, core, _c(rng, (255, 205, 120), (255, 240, 190)))
    elif group == "dusk":
        # afterglow where the sun went down
        cx = rng.uniform(0.1, 0.9) * aspect
        d = np.sqrt((xa - cx) ** 2 + ((yy - horizon) * 1.8) ** 2)
        glow = np.exp(-d / rng.uniform(0.15, 0.35)) * rng.uniform(0.3, 0.6)
        img = _blend(img, glow, _c(rng, (200, 90, 50), (240, 140, 80)))
    elif group in ("night", "city_night") and rng.random() < (0.75 if group == "night" else 0.3):
        r = rng.uniform(0.03, 0.065)
        cx, cy = rng.uniform(0.1, 0.9) * aspect, rng.uniform(0.08, horizon - 0.2)
        core, d = _disk(xa, yy, cx, cy, r, 1.5 * px)
        phase = rng.uniform(-1.6, 1.6) * r  # crescent .. full: a dark disk offset over the moon
        if abs(phase) < 1.5 * r:
            shadow, _ = _disk(xa, yy, cx + phase, cy - 0.2 * phase, r, 1.5 * px)
            core = core * (1.0 - shadow * 0.92)
        halo = np.exp(-np.maximum(d - r, 0) / 0.04) * 0.12
        img = _blend(img, halo, np.asarray([170, 180, 210], np.float32))
        img = _blend(img, core, _c(rng, (205, 205, 190), (245, 245, 235)))

    # clouds: a few soft elliptical blobs
    cover = rng.uniform(*p["cloud"])
    if cover > 0.02:
        n_blobs = int(2 + cover * 10)
        field = np.zeros((H, W), np.float32)
        for _ in range(n_blobs):
            bx, by = rng.uniform(-0.1, 1.1) * aspect, rng.uniform(0.0, horizon)
            sx, sy = rng.uniform(0.08, 0.3), rng.uniform(0.03, 0.09)
            field += np.exp(-(((xa - bx) / sx) ** 2 + ((yy - by) / sy) ** 2))
        alpha = np.clip(field * cover * 1.3, 0.0, 0.95) * (yy < horizon)
        if group == "clear_day":
            ccol = _c(rng, (225, 228, 235), (255, 255, 255))
        elif group == "overcast_day":
            ccol = (rng.uniform(0.75, 1.1) * top).astype(np.float32)
        elif group == "dawn":
            ccol = _c(rng, (230, 150, 120), (255, 200, 170))
        elif group == "dusk":
            ccol = _c(rng, (90, 55, 75), (160, 90, 95))
        elif group == "city_night":
            ccol = _c(rng, (70, 50, 40), (120, 85, 60))  # lit from below by the city
        else:
            ccol = _c(rng, (8, 10, 18), (30, 32, 45))  # night clouds hide the stars
        img = _blend(img, alpha, ccol)

    # ground
    light = rng.uniform(*p["light"])
    ground_col = _c(rng, (60, 80, 40), (120, 130, 90)) * light
    below = (yy >= horizon).astype(np.float32)[..., None]
    shade = 1.0 - 0.35 * np.clip((yy - horizon) / (1 - horizon + 1e-6), 0, 1)
    img = img * (1 - below) + below * ground_col * shade[..., None]

    # buildings: a skyline of rectangles standing on the horizon
    n_b = int(rng.integers(2, 9)) if group != "city_night" else int(rng.integers(6, 12))
    edges = np.sort(rng.uniform(0, 1, n_b * 2)).reshape(-1, 2)
    x_col = xx[0]
    bid = np.full(W, -1, np.int32)
    for i, (x0, x1) in enumerate(edges):
        if x1 - x0 < 0.03:
            x1 = x0 + 0.03
        bid[(x_col >= x0) & (x_col < x1)] = i
    max_h = 0.45 if group == "city_night" else 0.3
    heights = rng.uniform(0.06, max_h, n_b)
    top_y = np.where(bid >= 0, horizon - heights[np.maximum(bid, 0)], 2.0)[None, :]  # (1,W)
    bmask = (yy >= top_y) & (yy < horizon)
    if bmask.any():
        bcols = rng.uniform(60, 170, (n_b, 1)).astype(np.float32) * rng.uniform(0.85, 1.15, (n_b, 3)).astype(np.float32)
        bcol = bcols[np.maximum(bid, 0)] * light  # (W,3)
        bimg = np.broadcast_to(bcol[None, :, :], (H, W, 3))
        # windows: a grid inside each building, each cell lit or not
        wx = rng.uniform(0.025, 0.05)
        wy = rng.uniform(0.03, 0.06)
        x0s = edges[np.maximum(bid, 0), 0][None, :]
        cx = ((x_col[None, :] - x0s) / wx)
        cy = ((yy - top_y) / wy)
        in_win = ((cx % 1.0) > 0.35) & ((cy % 1.0) > 0.4) & (cy > 0.6)
        cell = (np.floor(cx).astype(np.int64) * 7919 + np.floor(np.clip(cy, 0, 1e4)).astype(np.int64) * 104729
                + np.maximum(bid, 0)[None, :] * 1299709) % 4093
        lit_table = rng.random(4093) < p["lit"]
        lit = in_win & lit_table[cell] & bmask
        dark_win = in_win & ~lit & bmask
        img = np.where(bmask[..., None], bimg, img)
        if is_day:
            win_col = np.clip(top * 0.55 + 25, 0, 255) * light  # glass reflecting the sky
        else:
            win_col = np.asarray([12, 14, 20], np.float32)
        img = np.where(dark_win[..., None], win_col, img)
        if lit.any():
            lit_col = _c(rng, (230, 190, 100), (255, 235, 170))
            if is_day:
                lit_col = lit_col * 0.55 + img.mean() * 0.3  # lamps barely show in daylight
            img = np.where(lit[..., None], lit_col, img)
        if group == "city_night":  # street lamps glowing along the ground
            n_l = int(rng.integers(3, 8))
            lx = rng.uniform(0, aspect, n_l)
            lamp = np.zeros((H, W), np.float32)
            for x in lx:
                lamp += np.exp(-(((xa - x) / 0.04) ** 2 + ((yy - horizon - 0.03) / 0.03) ** 2))
            img = _blend(img, np.clip(lamp, 0, 0.9), np.asarray([255, 200, 120], np.float32))

    # camera: exposure, white balance, tint, vignette, noise
    exposure = float(np.exp(rng.normal(0.0, 0.18)))
    wb = rng.normal(1.0, 0.04, 3).astype(np.float32)
    img *= exposure * wb
    gains = parse_tint(tint)
    if gains is not None:
        img *= gains
    r2 = (xx - 0.5) ** 2 + (yy - 0.5) ** 2
    img *= (1.0 - rng.uniform(0.0, 0.5) * r2)[..., None]
    if ss > 1:
        img = img.reshape(height, ss, width, ss, 3).mean(axis=(1, 3))
    sigma = rng.uniform(1.0, 4.0) if is_day else rng.uniform(2.0, 7.0)  # night: more sensor noise
    img += rng.normal(0.0, sigma, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)
