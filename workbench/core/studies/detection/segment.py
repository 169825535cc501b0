"""Segmentation on the same scenes: a small U-Net preset, per-pixel softmax with cross-entropy
(and Dice as an option), IoU and Dice per class, masks overlaid on the image.

The U-Net has skip connections, which a ModelSpec (a plain stack) cannot express, so it is
written here as a module; it is trained by the common ``Trainer`` through ``SegmentationHead``,
whose loss terms ("ce", "dice") are logged apart like the YOLO terms.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from workbench.core.errors import DataError
from workbench.core.models.heads import TermHead

PALETTE = np.array([[0, 0, 0], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
                    [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60]], np.uint8)


def tiny_unet(n_classes: int, width: int = 8, depth: int = 3):
    """The small U-Net preset: ``depth`` down steps (conv-BN-ReLU x2, max pool), a bottleneck, and
    as many up steps (transposed conv, concatenation with the skip, conv-BN-ReLU x2); 1x1 conv to
    one logit per class (background included) per pixel."""
    import torch
    from torch import nn

    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
                             nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))

    class TinyUNet(nn.Module):
        def __init__(self):
            super().__init__()
            chans = [width * 2 ** i for i in range(depth + 1)]
            self.down = nn.ModuleList([block(3 if i == 0 else chans[i - 1], chans[i]) for i in range(depth)])
            self.mid = block(chans[depth - 1], chans[depth])
            self.up = nn.ModuleList([nn.ConvTranspose2d(chans[i + 1], chans[i], 2, stride=2) for i in reversed(range(depth))])
            self.dec = nn.ModuleList([block(2 * chans[i], chans[i]) for i in reversed(range(depth))])
            self.out = nn.Conv2d(chans[0], n_classes, 1)

        def forward(self, x):
            skips = []
            for d in self.down:
                x = d(x)
                skips.append(x)
                x = torch.nn.functional.max_pool2d(x, 2)
            x = self.mid(x)
            for up, dec, s in zip(self.up, self.dec, reversed(skips)):
                x = dec(torch.cat([up(x), s], 1))
            return self.out(x)

    return TinyUNet()


def soft_dice_loss(logits, target, n_classes: int):
    """1 - mean over classes of the soft Dice between softmax probabilities and the one-hot mask."""
    import torch

    p = torch.softmax(logits.float(), 1)
    t = torch.nn.functional.one_hot(target.long(), n_classes).permute(0, 3, 1, 2).float()
    inter = (p * t).sum((0, 2, 3))
    denom = p.sum((0, 2, 3)) + t.sum((0, 2, 3))
    return 1.0 - ((2 * inter + 1.0) / (denom + 1.0)).mean()


class SegmentationHead(TermHead):
    """Per-pixel softmax over the classes; cross-entropy, plus soft Dice when ``dice_weight`` > 0."""

    task = "segmentation"
    activation = "softmax"
    loss_name = "cce"

    def __init__(self, n_classes: int, dice_weight: float = 0.0):
        self.n_classes = int(n_classes)
        self.dice_weight = float(dice_weight)
        self.term_names = ("ce", "dice") if self.dice_weight > 0 else ("ce",)

    @property
    def reason(self) -> str:
        return ("one softmax over the classes at every pixel, per-pixel cross-entropy"
                + (f" + {self.dice_weight:g} x Dice loss" if self.dice_weight > 0 else ""))

    def loss_terms(self, raw, y) -> dict:
        import torch.nn.functional as F

        terms = {"ce": F.cross_entropy(raw.float(), y.long())}
        if self.dice_weight > 0:
            terms["dice"] = self.dice_weight * soft_dice_loss(raw, y, self.n_classes)
        return terms

    def activate(self, raw):
        import torch

        return torch.softmax(raw, 1)

    def settings(self) -> dict:
        return {"n_classes": self.n_classes, "dice_weight": self.dice_weight}


def iou_dice_per_class(pred: np.ndarray, true: np.ndarray, class_names: Sequence[str]) -> list[dict]:
    """IoU and Dice of each class (background first) over all pixels of the set."""
    rows = []
    for k, name in enumerate(class_names):
        p, t = pred == k, true == k
        inter, ps, ts = int((p & t).sum()), int(p.sum()), int(t.sum())
        union = ps + ts - inter
        rows.append({"class": name, "iou": inter / union if union else None,
                     "dice": 2 * inter / (ps + ts) if ps + ts else None, "pixels": ts})
    return rows


def overlay(image: np.ndarray, mask: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The image with each class's pixels tinted in its palette colour (background untouched)."""
    col = PALETTE[np.asarray(mask) % len(PALETTE)].astype(np.float32)
    img = image.astype(np.float32)
    fg = (np.asarray(mask) > 0)[..., None]
    return np.where(fg, (1 - alpha) * img + alpha * col, img).astype(np.uint8)


@dataclass
class SegmentationOutcome:
    model: object
    head: SegmentationHead
    fit: object
    class_names: list[str]  # background first
    per_class: list[dict]
    mean_iou: float
    mean_dice: float
    test_idx: np.ndarray
    pred_test: np.ndarray  # (N, H, W) class index per pixel
    train_time: float
    size: int
    baseline: dict = field(default_factory=dict)
    run_id: str | None = None
    record: object = None

    def predict(self, images) -> np.ndarray:
        return predict_masks(self.model, images, self.size)

    def summary(self) -> dict:
        return {"mean_iou": self.mean_iou, "mean_dice": self.mean_dice, "per_class": self.per_class,
                "baseline": self.baseline, "epochs": len(self.fit.history), "train_time": self.train_time,
                "n_test": len(self.test_idx), "run_id": self.run_id}


def _inputs(images, size: int) -> np.ndarray:
    from workbench.core.studies.detection.augment import resize_image

    X = np.stack([resize_image(np.asarray(im)[..., :3], size) for im in images]).astype(np.float32) / 255.0
    return np.ascontiguousarray(X.transpose(0, 3, 1, 2))


def predict_masks(model, images, size: int, batch_size: int = 32) -> np.ndarray:
    """(N, size, size) class index per pixel."""
    import torch

    X = _inputs(list(images), size)
    model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(X), batch_size):
            out.append(model(torch.from_numpy(X[i:i + batch_size])).argmax(1).numpy().astype(np.uint8))
    return np.concatenate(out) if out else np.zeros((0, size, size), np.uint8)


def _mean(rows, key) -> float:
    vals = [r[key] for r in rows[1:] if r[key] is not None]  # the object classes (background apart)
    return float(np.mean(vals)) if vals else 0.0


def train_segmenter(ds, *, size: int = 48, width: int = 8, epochs: int = 10, batch_size: int = 16, lr: float = 3e-3,
                    dice_weight: float = 0.0, seed: int = 0, val: float = 0.15, test: float = 0.15, callbacks=(),
                    trainer=None, run_store=None, threads: int | None = None, split=None) -> SegmentationOutcome:
    """Train the small U-Net on the set's masks through ``Trainer.fit``; IoU and Dice on the test split."""
    import cv2
    import torch

    from workbench.core.studies.detection.data import split_indices
    from workbench.core.training import TrainConfig, Trainer

    if ds.masks is None:
        raise DataError("This set has no masks; generate scenes (they come with masks) to train segmentation.")
    if size % 8:
        raise DataError(f"The U-Net's input size must be a multiple of 8 (got {size}).")
    tr, va, te = split if split is not None else split_indices(len(ds), val, test, seed)
    names = ["background", *ds.class_names]

    def masks(idx):
        return np.stack([cv2.resize(ds.masks[i], (size, size), interpolation=cv2.INTER_NEAREST) for i in idx]).astype(np.int64)

    torch.manual_seed(seed)
    model = tiny_unet(len(names), width)
    head = SegmentationHead(len(names), dice_weight)
    if trainer is None:
        trainer = Trainer(callbacks=list(callbacks))
    cfg = TrainConfig(epochs=epochs, batch_size=batch_size, lr=lr, optimizer="adam", seed=seed, restore_best=True,
                      threads=threads)
    t0 = time.perf_counter()
    fit = trainer.fit(model, head, train=(_inputs([ds.images[i] for i in tr], size), masks(tr)),
                      val=(_inputs([ds.images[i] for i in va], size), masks(va)) if len(va) else None, config=cfg)
    train_time = time.perf_counter() - t0
    pred = predict_masks(model, [ds.images[i] for i in te], size)
    true = masks(te)
    rows = iou_dice_per_class(pred, true, names)
    base_rows = iou_dice_per_class(np.zeros_like(true), true, names)  # all background
    baseline = {"strategy": "every pixel background", "mean_iou": _mean(base_rows, "iou"),
                "background_iou": base_rows[0]["iou"]}
    out = SegmentationOutcome(model, head, fit, names, rows, _mean(rows, "iou"), _mean(rows, "dice"), np.asarray(te),
                              pred, train_time, size, baseline)
    from workbench.core.runs import RunRecord

    out.record = RunRecord(
        name=f"U-Net {size}px", study="detection", mode="holdout", task="segmentation",
        data={"name": ds.name, "spec": ds.source.get("type", "detection"), "kind": "image", "source": ds.source,
              "n_samples": len(ds), "class_names": names, "size": size},
        model={"name": "tiny-unet", "preset": "tiny-unet", "parameters": int(sum(p.numel() for p in model.parameters()))},
        head=head.to_dict(), train_config=cfg.to_dict(), seed=seed, device=fit.device, history=fit.history,
        best_epoch=fit.best_epoch or None, stop_reason=fit.stop_reason, message=fit.message,
        test_metrics={"mean_iou": out.mean_iou, "mean_dice": out.mean_dice},
        baseline={"test": {"mean_iou": baseline["mean_iou"], "strategy": baseline["strategy"]}},
        details={"per_class": rows, "kind": "segmentation"}, fit_time=train_time)
    if run_store is not None:
        out.run_id = run_store.save(out.record, weights=model.state_dict())
    return out


def overlay_examples(ds, out: SegmentationOutcome, n: int = 12) -> tuple[list[np.ndarray], list[str]]:
    """Truth and prediction overlaid on test scenes, side by side: (images, captions)."""
    from workbench.core.studies.detection.augment import resize

    images, caps = [], []
    for j, i in enumerate(out.test_idx[:n]):
        im, _, m = resize(ds.images[i], [], ds.masks[i], out.size)
        images += [overlay(im, m), overlay(im, out.pred_test[j])]
        caps += ["truth", "U-Net"]
    return images, caps
