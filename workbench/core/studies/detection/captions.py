"""Scenes that come with a caption: the detection generator's shapes, in named colours, placed so
that one sentence describes them exactly (positions, colours, counts, relations)::

    a red circle on the left            one object: left, right, at the top, at the bottom
    a green square left of a blue circle   two objects: "left of" or "above" (the left / upper one first)
    three yellow triangles              two or three of one kind

``held_out_pairs(k, seed)`` picks colour-shape pairs that never appear in training (every colour
and every shape still does, in other pairs): the test of whether a captioner composes words it
knows or only repeats the pairs it saw. A user's own images come with a CSV (``image,caption``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.core.errors import DataError
from workbench.core.studies.detection.scenes import _object_alpha

COLOURS = {"red": (215, 40, 40), "green": (40, 170, 60), "blue": (45, 85, 225), "yellow": (235, 205, 35)}
SHAPES = ("circle", "square", "triangle")  # the detection generator's classes 0, 1, 2
PLURAL = {"circle": "circles", "square": "squares", "triangle": "triangles"}
COUNTS = {2: "two", 3: "three"}
# where a lone object's centre is drawn (x range, y range, as shares of the side). The four areas
# do not overlap and keep a margin: "on the left" is at least 0.18 left of the centre and at most
# 0.12 above or below it, so the image always decides the words. (Earlier areas overlapped in
# their corners, where "on the left" and "at the top" were equally likely: about 9 % of the
# one-object captions could not be known from the image.)
PLACES = {"left": ((0.12, 0.32), (0.38, 0.62)), "right": ((0.68, 0.88), (0.38, 0.62)),
          "top": ((0.38, 0.62), (0.12, 0.32)), "bottom": ((0.38, 0.62), (0.68, 0.88))}
PLACE_WORDS = {"left": ["on", "the", "left"], "right": ["on", "the", "right"], "top": ["at", "the", "top"],
               "bottom": ["at", "the", "bottom"]}


@dataclass
class CaptionSet:
    images: np.ndarray                  # (N, S, S, 3) uint8
    captions: list[list[str]]           # tokens
    pairs: list[list[tuple[str, str]]]  # the (colour, shape) pairs each image shows ([] for a user's images)
    name: str = "captioned scenes"
    source: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.captions)


def held_out_pairs(k: int = 3, seed: int = 0) -> list[tuple[str, str]]:
    """``k`` colour-shape pairs, no two of one colour or one shape (so each stays seen elsewhere)."""
    rng = np.random.default_rng(seed)
    colours = list(COLOURS)
    order = rng.permutation(len(colours))
    shapes = rng.permutation(len(SHAPES))
    k = max(0, min(int(k), len(SHAPES)))
    return [(colours[int(order[i])], SHAPES[int(shapes[i])]) for i in range(k)]


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    grey = rng.uniform(95, 165)
    tint = rng.normal(0, 6, 3)
    noise = rng.normal(0, 5, (size, size, 3))
    return np.clip(grey + tint + noise, 0, 255).astype(np.float32)


def _paint(img, rng, shape: str, colour: str, cx: float, cy: float, s: float):
    alpha = _object_alpha(SHAPES.index(shape), rng, img.shape[0], cx, cy, s)
    col = np.asarray(COLOURS[colour], np.float32) + rng.normal(0, 8, 3)
    img[:] = img * (1 - alpha[..., None]) + col * alpha[..., None]


def _spot(rng, size: int, box: tuple, s: float) -> tuple[float, float]:
    (x0, x1), (y0, y1) = box
    return float(rng.uniform(x0, x1) * size), float(rng.uniform(y0, y1) * size)


def render_captioned(rng: np.random.Generator, size: int = 48, *, kinds=("one", "pair", "count"),
                     pairs: list[tuple[str, str]] | None = None):
    """One scene -> (image uint8 (size, size, 3), caption tokens, [(colour, shape), ...]).
    ``pairs`` limits the colour-shape pairs drawn (default: all)."""
    allowed = pairs or [(c, s) for c in COLOURS for s in SHAPES]
    img = _background(rng, size)
    s = float(rng.uniform(0.22, 0.3) * size)
    kind = kinds[int(rng.integers(len(kinds)))]
    if kind == "one":
        c, sh = allowed[int(rng.integers(len(allowed)))]
        place = list(PLACES)[int(rng.integers(4))]
        _paint(img, rng, sh, c, *_spot(rng, size, PLACES[place], s), s)
        words, shown = ["a", c, sh, *PLACE_WORDS[place]], [(c, sh)]
    elif kind == "pair":
        i = int(rng.integers(len(allowed)))
        j = int(rng.integers(len(allowed) - 1))
        j += j >= i
        (c1, s1), (c2, s2) = allowed[i], allowed[j]
        if rng.random() < 0.5:  # side by side: the first named is on the left
            y = rng.uniform(0.3, 0.7)
            a = (float(rng.uniform(0.15, 0.35) * size), float((y + rng.uniform(-0.12, 0.12)) * size))
            b = (float(rng.uniform(0.65, 0.85) * size), float((y + rng.uniform(-0.12, 0.12)) * size))
            rel = ["left", "of"]
        else:
            x = rng.uniform(0.3, 0.7)
            a = (float((x + rng.uniform(-0.12, 0.12)) * size), float(rng.uniform(0.15, 0.35) * size))
            b = (float((x + rng.uniform(-0.12, 0.12)) * size), float(rng.uniform(0.65, 0.85) * size))
            rel = ["above"]
        _paint(img, rng, s1, c1, *a, s)
        _paint(img, rng, s2, c2, *b, s)
        words, shown = ["a", c1, s1, *rel, "a", c2, s2], [(c1, s1), (c2, s2)]
    else:
        c, sh = allowed[int(rng.integers(len(allowed)))]
        n = int(rng.integers(2, 4))
        cells = rng.permutation(9)[:n]  # a 3 x 3 grid of spots, jittered: never overlapping
        for cell in cells:
            cx = (int(cell) % 3 + 0.5 + rng.uniform(-0.12, 0.12)) * size / 3
            cy = (int(cell) // 3 + 0.5 + rng.uniform(-0.12, 0.12)) * size / 3
            _paint(img, rng, sh, c, cx, cy, min(s, size / 3.6))
        words, shown = [COUNTS[n], c, PLURAL[sh]], [(c, sh)]
    return np.clip(img, 0, 255).astype(np.uint8), words, shown


def generate_captioned(n: int = 4000, size: int = 48, *, seed: int = 0, kinds=("one", "pair", "count"),
                       progress=None, should_cancel=None) -> CaptionSet:
    from workbench.core.errors import Cancelled

    if n < 1 or size < 32:
        raise DataError("Generate at least 1 scene of at least 32 x 32 pixels.")
    rng = np.random.default_rng(seed)
    images = np.zeros((n, size, size, 3), np.uint8)
    caps, pairs = [], []
    for i in range(n):
        if should_cancel is not None and i % 200 == 0 and should_cancel():
            raise Cancelled("Scene generation was stopped.")
        images[i], w, p = render_captioned(rng, size, kinds=kinds)
        caps.append(w)
        pairs.append(p)
        if progress is not None and (i % 500 == 499 or i == n - 1):
            progress(i + 1, n)
    return CaptionSet(images, caps, pairs, "captioned scenes",
                      {"type": "captioned-scenes", "n": n, "size": size, "seed": seed, "kinds": list(kinds)})


def load_captions_csv(path: str | os.PathLike, size: int = 48) -> CaptionSet:
    """A CSV with the columns ``image`` (a path relative to the CSV's folder) and ``caption``.
    Images that cannot be read are skipped; fewer than 10 readable rows is an error."""
    from workbench.core.data.csvfile import read_csv_file
    from workbench.core.data.images import decode_image
    from workbench.core.safety import UnsafeName, inside

    p = Path(path).expanduser()
    if not p.is_file():
        raise DataError(f"The captions file {str(p)!r} does not exist; choose a CSV with the columns image and caption.")
    table = read_csv_file(p)
    cols = [h.strip().lower() for h in table.header]
    if "image" not in cols or "caption" not in cols:
        raise DataError(f"{p.name} needs the columns 'image' and 'caption' (it has {', '.join(table.header)}).")
    ii, ci = cols.index("image"), cols.index("caption")
    images, caps, skipped = [], [], []
    for row in table.rows:
        words = row[ci].lower().replace(",", " ").replace(".", " ").split()
        try:
            f = inside(p.parent, p.parent / row[ii].strip(), what="image path")
            img = decode_image(f, (size, size), 3)
        except (UnsafeName, ValueError, OSError) as e:
            skipped.append((row[ii], str(e)))
            continue
        if not words:
            skipped.append((row[ii], "empty caption"))
            continue
        images.append(img)
        caps.append(words)
    if len(images) < 10:
        raise DataError(f"{p.name} gave {len(images)} readable images with captions; a captioner needs at least 10 "
                        f"(paths are relative to the CSV's folder).")
    return CaptionSet(np.stack(images), caps, [[] for _ in caps], p.stem,
                      {"type": "captions-csv", "path": str(p), "size": size, "skipped": skipped[:50]})
