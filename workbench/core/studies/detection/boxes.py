"""Box geometry: IoU, conversions, and non-maximum suppression.

Boxes are float arrays (K, 4) in pixels, corners ``x1, y1, x2, y2`` (x to the right, y down,
``x2 > x1``). YOLO files store ``cx, cy, w, h`` as fractions of the image; COCO stores
``x, y, w, h`` in pixels; VOC stores corners in pixels. Conversions live here so every importer,
the augmentation and the loss agree on one convention.

NMS uses OpenCV's ``cv2.dnn.NMSBoxesBatched`` (per class), a C++ implementation kept by the
OpenCV project and already a dependency of Workbench; torchvision's ``nms`` cannot be imported
beside our CPU torch build.
"""
from __future__ import annotations

import numpy as np


def as_boxes(b) -> np.ndarray:
    """Any (K, 4)-like -> float32 (K, 4); an empty input gives shape (0, 4)."""
    a = np.asarray(b, dtype=np.float32)
    return a.reshape(-1, 4) if a.size else np.zeros((0, 4), np.float32)


def area(boxes) -> np.ndarray:
    b = as_boxes(boxes)
    return np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)


def iou_matrix(a, b) -> np.ndarray:
    """IoU of every box of ``a`` (K, 4) with every box of ``b`` (M, 4): (K, M) in [0, 1]."""
    a, b = as_boxes(a), as_boxes(b)
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a[:, None, 2], b[None, :, 2])
    y2 = np.minimum(a[:, None, 3], b[None, :, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = area(a)[:, None] + area(b)[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0).astype(np.float32)


def iou(a, b) -> float:
    """IoU of two single boxes."""
    return float(iou_matrix(a, b)[0, 0])


def xyxy_to_cxcywh(boxes) -> np.ndarray:
    b = as_boxes(boxes)
    return np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2, b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], 1)


def cxcywh_to_xyxy(boxes) -> np.ndarray:
    b = as_boxes(boxes)
    return np.stack([b[:, 0] - b[:, 2] / 2, b[:, 1] - b[:, 3] / 2, b[:, 0] + b[:, 2] / 2, b[:, 1] + b[:, 3] / 2], 1)


def xywh_to_xyxy(boxes) -> np.ndarray:
    b = as_boxes(boxes)
    return np.stack([b[:, 0], b[:, 1], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]], 1)


def xyxy_to_xywh(boxes) -> np.ndarray:
    b = as_boxes(boxes)
    return np.stack([b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], 1)


def clip_boxes(boxes, width: int, height: int) -> np.ndarray:
    b = as_boxes(boxes).copy()
    b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, width)
    b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, height)
    return b


def nms(boxes, scores, labels=None, iou_threshold: float = 0.5, score_threshold: float = 0.0,
        top_k: int = 0) -> np.ndarray:
    """Indices of the boxes kept by non-maximum suppression, best score first.

    With ``labels`` boxes of different classes never suppress each other (OpenCV's batched NMS)."""
    import cv2

    b = as_boxes(boxes)
    s = np.asarray(scores, dtype=np.float32).reshape(-1)
    if len(b) == 0:
        return np.zeros(0, np.int64)
    rects = xyxy_to_xywh(b).astype(np.float64).tolist()
    sc = s.astype(np.float64).tolist()
    if labels is None:
        keep = cv2.dnn.NMSBoxes(rects, sc, float(score_threshold), float(iou_threshold), top_k=int(top_k))
    else:
        ids = np.asarray(labels, dtype=np.int64).reshape(-1).tolist()
        keep = cv2.dnn.NMSBoxesBatched(rects, sc, ids, float(score_threshold), float(iou_threshold),
                                       top_k=int(top_k))
    keep = np.asarray(keep, dtype=np.int64).reshape(-1)
    return keep[np.argsort(-s[keep], kind="stable")]
