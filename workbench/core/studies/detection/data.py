"""``DetectionSet``: images with boxes, class labels and (optionally) per-pixel masks.

One in-memory form for every source: the scene generator, YOLO / COCO / VOC folders, the box
editor's folders. Boxes are float32 (K, 4) ``x1, y1, x2, y2`` in pixels of their image; labels are
int64 (K,) indices into ``class_names``; a mask is uint8 (H, W) with 0 for background and c + 1
for a pixel of class c (the visible pixels, after occlusion).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from workbench.core.errors import DataError
from workbench.core.studies.detection.boxes import as_boxes


@dataclass
class DetectionSet:
    images: list  # uint8 RGB (H, W, 3) arrays (sizes may differ for imported sets)
    boxes: list  # float32 (K, 4) per image
    labels: list  # int64 (K,) per image
    class_names: list[str]
    masks: list | None = None  # uint8 (H, W) per image, or None
    names: list[str] | None = None  # file names (for export and the gallery)
    name: str = "detection"
    source: dict = field(default_factory=dict)
    skipped: list = field(default_factory=list)  # (file, reason) of files an importer left out

    def __post_init__(self):
        n = len(self.images)
        if len(self.boxes) != n or len(self.labels) != n:
            raise DataError(f"A detection set needs one box list and one label list per image "
                            f"({n} images, {len(self.boxes)} box lists, {len(self.labels)} label lists).")
        self.boxes = [as_boxes(b) for b in self.boxes]
        self.labels = [np.asarray(lab, np.int64).reshape(-1) for lab in self.labels]
        for i, (b, lab) in enumerate(zip(self.boxes, self.labels)):
            if len(b) != len(lab):
                raise DataError(f"Image {i} has {len(b)} boxes but {len(lab)} labels.")
            if len(lab) and (lab.min() < 0 or lab.max() >= len(self.class_names)):
                raise DataError(f"Image {i} has a box of class {int(lab.max())}, but there are only "
                                f"{len(self.class_names)} classes ({', '.join(self.class_names)}).")
        if self.names is None:
            self.names = [f"image_{i:05d}.png" for i in range(n)]

    def __len__(self) -> int:
        return len(self.images)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def subset(self, idx) -> "DetectionSet":
        idx = [int(i) for i in np.asarray(idx).reshape(-1)]
        return DetectionSet([self.images[i] for i in idx], [self.boxes[i] for i in idx],
                            [self.labels[i] for i in idx], list(self.class_names),
                            None if self.masks is None else [self.masks[i] for i in idx],
                            [self.names[i] for i in idx], self.name, dict(self.source))

    def image_sizes(self) -> np.ndarray:
        """(N, 2) width, height of each image."""
        return np.array([[im.shape[1], im.shape[0]] for im in self.images], np.int64).reshape(-1, 2)

    def summary(self) -> dict:
        """Counts for the summary page: images, boxes per class, images per class, box sizes."""
        labels = np.concatenate(self.labels) if self.labels else np.zeros(0, np.int64)
        boxes = np.concatenate(self.boxes) if self.boxes else np.zeros((0, 4), np.float32)
        counts = np.bincount(labels, minlength=self.n_classes) if len(labels) else np.zeros(self.n_classes, int)
        per_image = np.array([len(b) for b in self.boxes]) if self.boxes else np.zeros(0, int)
        w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
        side = np.sqrt(np.clip(w * h, 0, None))
        return {"name": self.name, "images": len(self), "boxes": int(len(labels)),
                "class_names": list(self.class_names),
                "boxes_per_class": {c: int(k) for c, k in zip(self.class_names, counts)},
                "images_per_class": {c: int(sum(int((lab == i).any()) for lab in self.labels))
                                     for i, c in enumerate(self.class_names)},
                "boxes_per_image": {"mean": float(per_image.mean()) if len(per_image) else 0.0,
                                    "max": int(per_image.max()) if len(per_image) else 0,
                                    "empty_images": int((per_image == 0).sum())},
                "box_side_px": {"min": float(side.min()) if len(side) else None,
                                "median": float(np.median(side)) if len(side) else None,
                                "max": float(side.max()) if len(side) else None},
                "has_masks": self.masks is not None, "skipped": len(self.skipped)}

    def box_sizes(self) -> np.ndarray:
        """sqrt(w * h) of every box, in pixels (for the size histogram)."""
        if not self.boxes:
            return np.zeros(0, np.float32)
        b = np.concatenate(self.boxes)
        return np.sqrt(np.clip((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]), 0, None)).astype(np.float32)

    def box_size_histogram(self, bins: int = 12) -> dict:
        s = self.box_sizes()
        if not len(s):
            return {"edges": [], "counts": []}
        counts, edges = np.histogram(s, bins=bins)
        return {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts]}

    def stacked(self, size: int | None = None) -> np.ndarray:
        """(N, H, W, 3) uint8: the images as one array (resized to ``size`` when given)."""
        if size is None:
            shapes = {im.shape for im in self.images}
            if len(shapes) != 1:
                raise DataError("The images have different sizes; give a size to resize them to.")
            return np.stack(self.images)
        from workbench.core.studies.detection.augment import resize_image

        return np.stack([resize_image(im, size) for im in self.images])


def split_indices(n: int, val: float = 0.15, test: float = 0.15, seed: int = 0) -> tuple[np.ndarray, ...]:
    """Shuffled (train, val, test) index arrays (scenes have no class to stratify on)."""
    if n < 3:
        raise DataError(f"A detection set needs at least 3 images to split into train, validation and test; "
                        f"it has {n}.")
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    n_te = max(1, int(round(n * test)))
    n_va = max(1, int(round(n * val))) if val > 0 else 0
    return order[n_te + n_va:], order[n_te: n_te + n_va], order[:n_te]
