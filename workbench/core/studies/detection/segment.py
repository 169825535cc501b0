"""Segmentation on the same scenes: a small U-Net preset, per-pixel softmax with cross-entropy
(class-weighted by default) plus the soft Dice loss, IoU and Dice per class, masks overlaid on the image.

Scores are computed at each image's own resolution: the U-Net's logits are scaled back to the
image's size (bilinear) before the argmax, so the masks compared are the scene's true masks, not
copies shrunk to the network's input size.

The U-Net has skip connections, which a ModelSpec (a plain stack) cannot express, so it is
written here as a module; it is trained by the common ``Trainer`` through ``SegmentationHead``,
whose loss terms ("ce", "dice") are logged apart like the YOLO terms.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.core.errors import DataError
from workbench.core.studies.detection import SEGMENT_DEFAULTS as DEFAULTS
from workbench.core.models.heads import TermHead
from workbench.core.training.callbacks import Callback

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


def balanced_class_weights(masks, n_classes: int) -> list[float]:
    """Cross-entropy weight of each class from its share of the pixels: 1 / sqrt(share), scaled so
    that the average pixel weighs 1 (background, most of every scene, then weighs about 0.5 and a
    class with a twentieth of its pixels about 2). Classes absent from ``masks`` get the largest weight."""
    counts = np.zeros(n_classes, np.float64)
    for m in masks:
        counts += np.bincount(np.asarray(m, np.int64).ravel(), minlength=n_classes)[:n_classes]
    share = counts / max(1.0, counts.sum())
    w = 1.0 / np.sqrt(np.maximum(share, 1e-12))
    w[share == 0] = w[share > 0].max() if (share > 0).any() else 1.0
    w /= float((w * share).sum()) or 1.0
    return [round(float(v), 4) for v in w]


class SegmentationHead(TermHead):
    """Per-pixel softmax over the classes; cross-entropy (optionally class-weighted), plus soft Dice
    when ``dice_weight`` > 0."""

    task = "segmentation"
    activation = "softmax"
    loss_name = "cce"

    def __init__(self, n_classes: int, dice_weight: float = 0.0, class_weights: Sequence[float] | None = None):
        self.n_classes = int(n_classes)
        self.dice_weight = float(dice_weight)
        self.class_weights = None if class_weights is None else [float(v) for v in class_weights]
        if self.class_weights is not None and len(self.class_weights) != self.n_classes:
            raise DataError(f"Give one cross-entropy weight per class ({self.n_classes}, background included); "
                            f"got {len(self.class_weights)}.")
        self.term_names = ("ce", "dice") if self.dice_weight > 0 else ("ce",)
        self._w = None

    @property
    def reason(self) -> str:
        return ("one softmax over the classes at every pixel, per-pixel cross-entropy"
                + (" weighted by 1 / sqrt(class pixel share)" if self.class_weights is not None else "")
                + (f" + {self.dice_weight:g} x Dice loss" if self.dice_weight > 0 else ""))

    def loss_terms(self, raw, y) -> dict:
        import torch
        import torch.nn.functional as F

        w = None
        if self.class_weights is not None:
            if self._w is None or self._w.device != raw.device:
                self._w = torch.tensor(self.class_weights, dtype=torch.float32, device=raw.device)
            w = self._w
        terms = {"ce": F.cross_entropy(raw.float(), y.long(), weight=w)}
        if self.dice_weight > 0:
            terms["dice"] = self.dice_weight * soft_dice_loss(raw, y, self.n_classes)
        return terms

    def activate(self, raw):
        import torch

        return torch.softmax(raw, 1)

    def settings(self) -> dict:
        return {"n_classes": self.n_classes, "dice_weight": self.dice_weight, "class_weights": self.class_weights}


def iou_dice_per_class(pred, true, class_names: Sequence[str]) -> list[dict]:
    """IoU and Dice of each class (background first) over all pixels of the set. ``pred`` and
    ``true`` are (N, H, W) arrays or sequences of (H, W) masks whose shapes match pairwise."""
    k = len(class_names)
    if len(pred) != len(true):
        raise DataError(f"There are {len(pred)} predicted masks for {len(true)} true masks.")
    cm = np.zeros((k, k), np.int64)  # rows: truth, columns: prediction
    for p, t in zip(pred, true):
        p, t = np.asarray(p, np.int64), np.asarray(t, np.int64)
        if p.shape != t.shape:
            raise DataError(f"A predicted mask is {p.shape[1]} x {p.shape[0]} pixels but its true mask is "
                            f"{t.shape[1]} x {t.shape[0]}; predict at the image's own size.")
        ok = (t >= 0) & (t < k) & (p >= 0) & (p < k)
        cm += np.bincount(t[ok] * k + p[ok], minlength=k * k).reshape(k, k)
    rows = []
    for c, name in enumerate(class_names):
        inter, ps, ts = int(cm[c, c]), int(cm[:, c].sum()), int(cm[c].sum())
        union = ps + ts - inter
        rows.append({"class": name, "iou": inter / union if union else None,
                     "dice": 2 * inter / (ps + ts) if ps + ts else None, "pixels": ts})
    return rows


def mask_to_size(mask: np.ndarray, size: int, n_classes: int) -> np.ndarray:
    """A class mask at ``size`` x ``size``, each pixel the class covering most of its area: the same
    area weighting as the image's own resize, so mask and pixels stay aligned (nearest-neighbour
    picking shifts a shrunk mask by up to half a source pixel)."""
    import cv2

    m = np.asarray(mask)
    if m.shape == (size, size):
        return m.astype(np.int64)
    shrink = m.shape[0] * m.shape[1] > size * size
    interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    cover = np.stack([cv2.resize((m == c).astype(np.float32), (size, size), interpolation=interp)
                      for c in range(n_classes)])  # OpenCV's area resize takes at most 4 channels at once
    return cover.argmax(0).astype(np.int64)


def overlay(image: np.ndarray, mask: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """The image with each class's pixels tinted in its palette colour (background untouched)."""
    mask = np.asarray(mask)
    if mask.shape != image.shape[:2]:
        raise DataError(f"The mask is {mask.shape[1]} x {mask.shape[0]} pixels but the image is "
                        f"{image.shape[1]} x {image.shape[0]}.")
    col = PALETTE[mask % len(PALETTE)].astype(np.float32)
    img = image[..., :3].astype(np.float32)
    fg = (mask > 0)[..., None]
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
    pred_test: list  # (H, W) class index per pixel of each test image, at the image's own size
    train_time: float
    size: int
    baseline: dict = field(default_factory=dict)
    run_id: str | None = None
    record: object = None

    def predict(self, images) -> list[np.ndarray]:
        return predict_masks(self.model, images, self.size)

    def summary(self) -> dict:
        return {"mean_iou": self.mean_iou, "mean_dice": self.mean_dice, "per_class": self.per_class,
                "baseline": self.baseline, "epochs": len(self.fit.history), "best_epoch": self.fit.best_epoch,
                "train_time": self.train_time, "input_size": self.size, "n_test": len(self.test_idx),
                "run_id": self.run_id}


def _inputs(images, size: int) -> np.ndarray:
    from workbench.core.studies.detection.augment import resize_image

    X = np.stack([resize_image(np.asarray(im)[..., :3], size) for im in images]).astype(np.float32) / 255.0
    return np.ascontiguousarray(X.transpose(0, 3, 1, 2))


def predict_masks(model, images, size: int, batch_size: int = 32, at_input_size: bool = False) -> list[np.ndarray]:
    """The class index of every pixel of each image: (H, W) masks at each image's own size (the
    logits scaled back bilinearly before the argmax), or (size, size) with ``at_input_size``."""
    import torch
    import torch.nn.functional as F

    images = list(images)
    X = _inputs(images, size) if images else np.zeros((0, 3, size, size), np.float32)
    was = model.training
    model.eval()
    out = []
    with torch.inference_mode():
        for i in range(0, len(X), batch_size):
            logits = model(torch.from_numpy(X[i:i + batch_size]))
            for j, lg in enumerate(logits):
                h, w = (size, size) if at_input_size else np.asarray(images[i + j]).shape[:2]
                if (h, w) != (size, size):
                    lg = F.interpolate(lg[None], size=(h, w), mode="bilinear", align_corners=False)[0]
                out.append(lg.argmax(0).numpy().astype(np.uint8))
    model.train(was)
    return out


def _mean(rows, key) -> float:
    vals = [r[key] for r in rows[1:] if r[key] is not None]  # the object classes (background apart)
    return float(np.mean(vals)) if vals else 0.0


class ValIoUCallback(Callback):
    """Adds "val_mean_iou" (over the object classes, at the input size) to each epoch's log, so the
    live chart shows the score beside the loss terms and the epoch count can be chosen on it."""

    def __init__(self, X_val: np.ndarray, masks_val: np.ndarray, class_names: Sequence[str]):
        self.X, self.masks, self.names = X_val, masks_val, list(class_names)

    def on_epoch_end(self, trainer, epoch, logs):
        import torch

        model = trainer.model
        was = model.training
        model.eval()
        dev = next(model.parameters()).device
        pred = []
        with torch.inference_mode():
            for i in range(0, len(self.X), 64):
                pred.append(model(torch.from_numpy(self.X[i:i + 64]).to(dev)).argmax(1).cpu().numpy())
        model.train(was)
        logs["val_mean_iou"] = _mean(iou_dice_per_class(np.concatenate(pred), self.masks, self.names), "iou")


@dataclass
class SegmentationTask:
    """U-Net training as a task for ``core.tasks.run_task``."""

    ds: Any
    size: int = DEFAULTS["size"]
    width: int = DEFAULTS["width"]
    epochs: int = DEFAULTS["epochs"]
    batch_size: int = DEFAULTS["batch_size"]
    lr: float = DEFAULTS["lr"]
    dice_weight: float = DEFAULTS["dice_weight"]
    balanced: bool = DEFAULTS["balanced"]
    seed: int = 0
    val: float = 0.15
    test: float = 0.15
    threads: int | None = None
    split: Any = None
    val_iou: bool = True
    kind: str = "segmentation"
    section: str = "detection.segmentation"

    def prepare(self, say):
        import torch

        from workbench.core.studies.detection.data import split_indices
        from workbench.core.tasks import Fitting, train_config_of

        ds, size = self.ds, self.size
        if ds.masks is None:
            raise DataError("This set has no masks; generate scenes (they come with masks) to train segmentation.")
        if size % 8:
            raise DataError(f"The U-Net's input size must be a multiple of 8 (got {size}).")
        tr, va, self.te = self.split if self.split is not None else split_indices(len(ds), self.val, self.test,
                                                                                  self.seed)
        self.names = names = ["background", *ds.class_names]
        k = len(names)

        def masks(idx):
            return (np.stack([mask_to_size(ds.masks[i], size, k) for i in idx]) if len(idx)
                    else np.zeros((0, size, size), np.int64))

        torch.manual_seed(self.seed)
        model = tiny_unet(k, self.width)
        head = SegmentationHead(k, self.dice_weight,
                                balanced_class_weights([ds.masks[i] for i in tr], k) if self.balanced else None)
        X_va, M_va = (_inputs([ds.images[i] for i in va], size), masks(va)) if len(va) else (None, None)
        # first: the caller's live chart then sees val_mean_iou in the logs
        cbs = [ValIoUCallback(X_va, M_va, names)] if (self.val_iou and len(va)) else []
        cfg = train_config_of(self, optimizer="adam", restore_best=True, threads=self.threads)
        return Fitting(model, head, (_inputs([ds.images[i] for i in tr], size), masks(tr)),
                       (X_va, M_va) if len(va) else None, cfg, cbs)

    def finish(self, fitting, fit) -> dict:
        ds, size, names, te, model = self.ds, self.size, self.names, self.te, fitting.model
        model.cpu()
        pred = predict_masks(model, [ds.images[i] for i in te], size)
        true = [np.asarray(ds.masks[i]) for i in te]
        rows = iou_dice_per_class(pred, true, names)
        base_rows = iou_dice_per_class([np.zeros_like(t) for t in true], true, names)  # all background
        baseline = {"strategy": "every pixel background (the majority class)", "mean_iou": _mean(base_rows, "iou"),
                    "background_iou": base_rows[0]["iou"]}
        self.outcome = out = SegmentationOutcome(model, fitting.head, fit, names, rows, _mean(rows, "iou"),
                                                 _mean(rows, "dice"), np.asarray(te), pred, float(fit.time), size,
                                                 baseline)
        return dict(
            name=f"U-Net {size}px", mode="holdout", task="segmentation",
            data={"name": ds.name, "spec": ds.source.get("type", "detection"), "kind": "image", "source": ds.source,
                  "n_samples": len(ds), "class_names": names, "size": size},
            model={"name": "tiny-unet", "preset": "tiny-unet", "width": self.width},
            head=fitting.head.to_dict(),
            test_metrics={"mean_iou": out.mean_iou, "mean_dice": out.mean_dice},
            baseline={"test": {"mean_iou": baseline["mean_iou"], "strategy": baseline["strategy"]}},
            details={"per_class": rows, "kind": "segmentation", "scored_at": "each image's own size"})


def train_segmenter(ds, *, size: int = DEFAULTS["size"], width: int = DEFAULTS["width"],
                    epochs: int = DEFAULTS["epochs"], batch_size: int = DEFAULTS["batch_size"], lr: float = DEFAULTS["lr"],
                    dice_weight: float = DEFAULTS["dice_weight"], balanced: bool = DEFAULTS["balanced"], seed: int = 0, val: float = 0.15,
                    test: float = 0.15, callbacks=(), trainer=None, run_store=None, threads: int | None = None,
                    split=None, val_iou: bool = True) -> SegmentationOutcome:
    """Train the small U-Net on the set's masks through ``Trainer.fit`` (the weights of the epoch
    with the lowest validation loss are kept); IoU and Dice on the test split at each image's size,
    beside the all-background baseline. ``balanced`` weighs the cross-entropy by
    ``balanced_class_weights`` of the training masks."""
    from workbench.core.tasks import run_task

    task = SegmentationTask(ds, size, width, epochs, batch_size, lr, dice_weight, balanced, seed, val, test, threads,
                            split, val_iou)
    run = run_task(task, store=run_store, trainer=trainer, callbacks=callbacks, save_empty=True)
    task.outcome.record, task.outcome.run_id = run.record, run.run_id
    return task.outcome


@dataclass
class SavedFit:
    """What a saved segmenter keeps of its fit: the epochs' logs and the epoch whose weights it has."""

    history: list
    best_epoch: int


_SAVED_FIELDS = {"study": str, "size": int, "width": int, "class_names": list, "per_class": list, "mean_iou": float,
                 "mean_dice": float, "test_idx": list, "baseline": dict, "history": list, "best_epoch": int,
                 "train_time": float}


def save_segmenter(out: SegmentationOutcome, folder) -> Path:
    """Write the U-Net and its scores into ``folder`` (weights.pt, model.json), so a project
    reopened shows the same model and scores."""
    from workbench.core.jsonio import atomic_write_json, save_weights
    from workbench.core.runs import plain

    folder = Path(folder)
    save_weights(folder / "weights.pt", out.model.state_dict())
    width = int(out.model.out.in_channels)  # the first level's channels
    atomic_write_json(folder / "model.json", plain({
        "schema_version": 1, "study": "segmentation", "size": int(out.size), "width": width,
        "class_names": out.class_names, "per_class": out.per_class, "mean_iou": float(out.mean_iou),
        "mean_dice": float(out.mean_dice), "test_idx": [int(i) for i in out.test_idx], "baseline": out.baseline,
        "history": list(out.fit.history), "best_epoch": int(out.fit.best_epoch or 0),
        "train_time": float(out.train_time), "run_id": out.run_id}))
    return folder


def load_segmenter(folder) -> SegmentationOutcome:
    """The U-Net and scores ``save_segmenter`` wrote (its test masks are predicted again when shown)."""
    from workbench.core.errors import ProjectError
    from workbench.core.jsonio import load_weights, read_json
    from workbench.core.safety import check_fields

    folder = Path(folder)
    meta = read_json(folder / "model.json", kind="segmentation model file", max_version=1)
    check_fields(meta, _SAVED_FIELDS, kind="segmentation model file", where=folder / "model.json",
                 required=tuple(_SAVED_FIELDS))
    if meta["study"] != "segmentation":
        raise ProjectError(f"{folder} does not hold a segmentation model (its model.json is from another study).")
    names = [str(n) for n in meta["class_names"]]
    model = tiny_unet(len(names), meta["width"])
    try:
        model.load_state_dict(load_weights(folder / "weights.pt"))
    except RuntimeError as e:
        raise ProjectError(f"The segmentation model in {folder} is damaged ({str(e).splitlines()[0]}).") from None
    model.eval()
    return SegmentationOutcome(model, SegmentationHead(len(names)), SavedFit(meta["history"], meta["best_epoch"]),
                               names, meta["per_class"], meta["mean_iou"], meta["mean_dice"],
                               np.asarray(meta["test_idx"], dtype=np.int64), [], meta["train_time"], meta["size"],
                               meta["baseline"], run_id=meta.get("run_id"))


def overlay_examples(ds, out: SegmentationOutcome, n: int = 12) -> tuple[list[np.ndarray], list[str]]:
    """Truth and prediction overlaid on test scenes (at their own size), side by side: (images, captions).
    A segmenter read back from a project predicts its test scenes again."""
    if not out.pred_test and len(out.test_idx):
        out.pred_test = predict_masks(out.model, [ds.images[i] for i in out.test_idx], out.size)
    images, caps = [], []
    for j, i in enumerate(out.test_idx[:n]):
        im = np.asarray(ds.images[i])[..., :3]
        images += [overlay(im, ds.masks[i]), overlay(im, out.pred_test[j])]
        caps += ["truth", "U-Net"]
    return images, caps
