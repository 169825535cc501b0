"""Detection case study, segmentation: the scores (a perfect mask scores 1, all-background 0),
masks aligned with the pixels through resizing, flips and the overlay, and a short U-Net training
that clearly beats the all-background baseline on held-out scenes."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from workbench.core.errors import DataError  # noqa: E402
from workbench.core.studies.detection import augment  # noqa: E402
from workbench.core.studies.detection.scenes import generate_scenes  # noqa: E402
from workbench.core.studies.detection.segment import (  # noqa: E402
    balanced_class_weights, iou_dice_per_class, mask_to_size, overlay, train_segmenter)

NAMES = ["background", "circle", "square", "triangle", "digit"]


@pytest.fixture(scope="module")
def plain():
    """Scenes on flat backgrounds, no clutter, no overlap: a pixel is background iff it has the
    background's colour (up to the anti-aliased rim of each object)."""
    return generate_scenes(24, 96, seed=5, overlap=0.0, clutter=0, backgrounds=("plain",))


def test_a_perfect_mask_scores_one_and_all_background_zero(plain):
    rows = iou_dice_per_class(plain.masks, plain.masks, NAMES)
    assert [r["class"] for r in rows] == NAMES
    assert all(r["iou"] == 1.0 and r["dice"] == 1.0 for r in rows if r["pixels"])
    assert sum(r["pixels"] for r in rows) == 24 * 96 * 96
    bg = iou_dice_per_class([np.zeros_like(m) for m in plain.masks], plain.masks, NAMES)
    assert all(r["iou"] == 0.0 for r in bg[1:] if r["pixels"])
    share = float(np.mean([(m == 0).mean() for m in plain.masks]))
    assert bg[0]["iou"] == pytest.approx(share)
    # one pixel in four of each object wrong: IoU drops, by the hand-computed amount for one image
    m = plain.masks[0].copy()
    p = m.copy()
    ys, xs = np.nonzero(m == m.max())
    p[ys[::4], xs[::4]] = 0
    k = int(m.max())
    row = iou_dice_per_class([p], [m], NAMES)[k]
    kept = len(ys) - len(ys[::4])
    assert row["iou"] == pytest.approx(kept / len(ys))
    with pytest.raises(DataError, match="own size"):
        iou_dice_per_class([p[:48, :48]], [m], NAMES)


def _object_like(img, bg):
    """Pixels that differ clearly from the background colour."""
    return np.abs(img.astype(np.int32) - bg.astype(np.int32)).max(-1) > 40


def test_masks_stay_aligned_with_the_pixels(plain):
    def miss(img, mask, bg):  # share of pixels where "looks like an object" and the mask disagree
        return float((_object_like(img, bg) != (mask > 0)).mean())

    for size in (96, 64, 48):  # the scene itself, then shrunk to the U-Net's input sizes
        fit, shifted, flipped = [], [], []
        for img, m in zip(plain.images, plain.masks):
            bg = img[0, 0] if m[0, 0] == 0 else img[-1, -1]
            small, ms = augment.resize_image(img, size), mask_to_size(m, size, len(NAMES))
            assert ms.shape == (size, size) and set(np.unique(ms)) <= set(np.unique(m))
            fit.append(miss(small, ms, bg))
            shifted.append(miss(small, np.roll(ms, 1, axis=1), bg))
            fi, _, fm = augment.hflip(small, [], ms)
            flipped.append(miss(fi, fm, bg))
            for c in set(np.unique(m)) & {1, 2, 3}:  # each solid shape's centre of mass stays put
                ys, xs = np.nonzero(m == c)
                ys2, xs2 = np.nonzero(ms == c)
                if len(xs) >= 40:
                    k = 96 / size
                    assert abs((xs2.mean() + 0.5) * k - (xs.mean() + 0.5)) < 1.0
                    assert abs((ys2.mean() + 0.5) * k - (ys.mean() + 0.5)) < 1.0
        assert np.mean(fit) < 0.02 and np.mean(flipped) == pytest.approx(np.mean(fit))
        assert np.mean(shifted) > 1.4 * np.mean(fit)  # a mask one pixel off fits clearly worse
    for img, m in zip(plain.images, plain.masks):  # the overlay tints the mask's pixels and nothing else
        changed = (overlay(img, m) != img).any(-1)
        assert not changed[m == 0].any() and changed[m > 0].mean() > 0.99
    with pytest.raises(DataError, match="pixels"):
        overlay(plain.images[0], plain.masks[0][:48])


def test_class_weights_favour_the_rare_classes(plain):
    w = balanced_class_weights(plain.masks, len(NAMES))
    assert len(w) == 5 and w[0] < 1 < min(w[1:])
    counts = np.bincount(np.concatenate([m.ravel() for m in plain.masks]), minlength=5)
    assert np.dot(w, counts) / counts.sum() == pytest.approx(1.0, abs=1e-3)  # the average pixel weighs 1


def test_short_training_beats_the_all_background_baseline():
    """Eight epochs on 112 small scenes (one object each, plain or gradient backgrounds, 32 px):
    far from the README's figures, but the masks already find the objects on held-out scenes."""
    ds = generate_scenes(160, 32, seed=1, min_size=0.4, max_size=0.6, max_objects=1, clutter=0,
                         backgrounds=("plain", "gradient"))
    out = train_segmenter(ds, size=32, width=8, epochs=8, batch_size=8, lr=3e-3, threads=1, seed=0)
    assert out.baseline["mean_iou"] == 0.0 and out.baseline["background_iou"] > 0.6
    assert out.mean_iou > out.baseline["mean_iou"] + 0.12, out.per_class
    truth = np.concatenate([ds.masks[i].ravel() for i in out.test_idx]) > 0
    found = np.concatenate([p.ravel() for p in out.pred_test]) > 0
    assert (truth & found).sum() / (truth | found).sum() > 0.5  # object pixels, whatever their class
    assert len(out.fit.history) == 8 and "val_mean_iou" in out.fit.history[-1]
    assert out.record.head["class_weights"][0] < 1 and out.record.details["per_class"] == out.per_class
    from workbench.core.studies.detection.segment import overlay_examples

    imgs, caps = overlay_examples(ds, out, n=2)
    assert [im.shape for im in imgs] == [(32, 32, 3)] * 4 and caps == ["truth", "U-Net"] * 2
    # a bigger image is scored at its own size: the logits are scaled up, not the mask down
    big = out.predict([np.repeat(np.repeat(ds.images[int(out.test_idx[0])], 3, 0), 3, 1)])[0]
    assert big.shape == (96, 96)
