"""Scoring detections: mAP@0.5 and mAP@[0.5:0.95] with pycocotools, per-class AP, the
precision-recall curve, the misses and false detections of each image, and the dumb baseline.

Why pycocotools: it is the COCO benchmark's own evaluation code, the reference every detection
paper and library reports against (101-point interpolated precision, greedy matching by score,
IoU thresholds 0.50:0.05:0.95), it installs here as a wheel needing only numpy, and unlike
torchmetrics' detection metrics it does not pull torchvision (which breaks beside our CPU torch).

Predictions are lists (one entry per image) of dicts with ``boxes`` (K, 4) corners in pixels,
``scores`` (K,) and ``labels`` (K,).
"""
from __future__ import annotations

import contextlib
import io

import numpy as np

from workbench.core.studies.detection.boxes import as_boxes, iou_matrix, xyxy_to_xywh


def _coco_gt(gt_boxes, gt_labels, sizes, n_classes: int) -> dict:
    images, anns = [], []
    for i, (b, lab, (w, h)) in enumerate(zip(gt_boxes, gt_labels, sizes)):
        images.append({"id": i + 1, "width": int(w), "height": int(h)})
        for box, c in zip(xyxy_to_xywh(b), np.asarray(lab).reshape(-1)):
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": int(c) + 1,
                         "bbox": [float(v) for v in box], "area": float(box[2] * box[3]), "iscrowd": 0})
    return {"images": images, "annotations": anns, "categories": [{"id": c + 1} for c in range(n_classes)]}


def coco_evaluate(gt_boxes, gt_labels, predictions, class_names, sizes=None) -> dict:
    """mAP@0.5, mAP@[0.5:0.95], per-class AP and precision-recall curves (at IoU 0.5)."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    n_cls = len(class_names)
    if sizes is None:
        sizes = [(1 << 16, 1 << 16)] * len(gt_boxes)
    gt = COCO()
    gt.dataset = _coco_gt(gt_boxes, gt_labels, sizes, n_cls)
    with contextlib.redirect_stdout(io.StringIO()):
        gt.createIndex()
    dets = []
    for i, p in enumerate(predictions):
        for box, s, c in zip(xyxy_to_xywh(p["boxes"]), np.asarray(p["scores"]).reshape(-1),
                             np.asarray(p["labels"]).reshape(-1)):
            dets.append({"image_id": i + 1, "category_id": int(c) + 1, "bbox": [float(v) for v in box],
                         "score": float(s)})
    n_gt = np.bincount(np.concatenate([np.asarray(lab, np.int64).reshape(-1) for lab in gt_labels])
                       if len(gt_labels) else np.zeros(0, np.int64), minlength=n_cls)
    empty = {"map50": 0.0, "map": 0.0, "n_detections": 0, "n_images": len(gt_boxes),
             "per_class": [{"class": c, "ap50": 0.0, "ap": 0.0, "n_true": int(n_gt[k])}
                           for k, c in enumerate(class_names)], "pr": {}, "recall_thresholds": []}
    if not dets or not gt.dataset["annotations"]:
        return empty
    with contextlib.redirect_stdout(io.StringIO()):
        dt = gt.loadRes(dets)
        ev = COCOeval(gt, dt, "bbox")
        ev.params.maxDets = [1, 10, 100]
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    prec = ev.eval["precision"]  # [T, R, K, A, M]: IoU thresholds, recall points, classes, areas, maxDets
    rec_thr = ev.params.recThrs
    per_class, pr = [], {}
    for k, c in enumerate(class_names):
        p_all = prec[:, :, k, 0, -1]
        p50 = prec[0, :, k, 0, -1]
        ap50 = float(p50[p50 > -1].mean()) if (p50 > -1).any() else 0.0
        ap = float(p_all[p_all > -1].mean()) if (p_all > -1).any() else 0.0
        per_class.append({"class": c, "ap50": ap50, "ap": ap, "n_true": int(n_gt[k])})
        if (p50 > -1).any():
            pr[c] = {"recall": [float(r) for r in rec_thr], "precision": [float(max(v, 0.0)) for v in p50]}
    present = [r for r in per_class if r["n_true"] > 0]
    return {"map50": float(np.mean([r["ap50"] for r in present])) if present else 0.0,
            "map": float(np.mean([r["ap"] for r in present])) if present else 0.0,
            "coco_stats": [float(v) for v in ev.stats], "n_detections": len(dets), "n_images": len(gt_boxes),
            "per_class": per_class, "pr": pr, "recall_thresholds": [float(r) for r in rec_thr]}


def match_errors(gt_boxes, gt_labels, pred: dict, iou_threshold: float = 0.5, score_threshold: float = 0.3) -> dict:
    """One image: which true boxes were missed and which detections are false (greedy by score,
    a detection counts when it has the right class and IoU >= the threshold with an unmatched box)."""
    gb, gl = as_boxes(gt_boxes), np.asarray(gt_labels, np.int64).reshape(-1)
    keep = np.asarray(pred["scores"]).reshape(-1) >= score_threshold
    pb, ps = as_boxes(pred["boxes"])[keep], np.asarray(pred["scores"]).reshape(-1)[keep]
    pl = np.asarray(pred["labels"], np.int64).reshape(-1)[keep]
    ious = iou_matrix(pb, gb)
    taken = np.zeros(len(gb), bool)
    false = []
    for d in np.argsort(-ps, kind="stable"):
        ok = (~taken) & (gl == pl[d]) & (ious[d] >= iou_threshold) if len(gb) else np.zeros(0, bool)
        if ok.any():
            taken[int(np.argmax(np.where(ok, ious[d], -1)))] = True
        else:
            over = ious[d] >= iou_threshold if len(gb) else np.zeros(0, bool)
            why = ("duplicate" if (over & (gl == pl[d])).any() else
                   "wrong class" if over.any() else "misplaced box" if len(gb) and ious[d].max() > 0.1 else
                   "no object there")
            false.append({"box": [float(v) for v in pb[d]], "label": int(pl[d]), "score": float(ps[d]), "why": why})
    misses = [{"box": [float(v) for v in gb[g]], "label": int(gl[g])} for g in np.flatnonzero(~taken)]
    return {"misses": misses, "false": false, "true": int(taken.sum())}


def error_gallery(gt_boxes, gt_labels, predictions, *, score_threshold: float = 0.3, limit: int | None = 24) -> list[dict]:
    """Images with the most misses + false detections first: index, misses, false, true count."""
    rows = []
    for i, (b, lab, p) in enumerate(zip(gt_boxes, gt_labels, predictions)):
        m = match_errors(b, lab, p, score_threshold=score_threshold)
        n_err = len(m["misses"]) + len(m["false"])
        if n_err:
            rows.append({"index": i, **m, "errors": n_err})
    rows.sort(key=lambda r: -r["errors"])
    return rows[:limit]


# ------------------------------------------------------------------------------------- baseline
class MeanBoxBaseline:
    """The dumb baseline: for every class, one box at that class's mean centre and mean size in the
    training images (as fractions of the image), scored by the share of training images that
    contain the class. It knows where objects usually are and how common each class is, and
    nothing about the image in front of it."""

    strategy = "one box per class at its mean training position and size, scored by how often it occurs"

    def __init__(self, n_classes: int):
        self.n_classes = n_classes
        self.boxes = np.zeros((n_classes, 4), np.float32)  # cx, cy, w, h as fractions
        self.rate = np.zeros(n_classes, np.float32)

    def fit(self, boxes_list, labels_list, sizes) -> "MeanBoxBaseline":
        acc = [[] for _ in range(self.n_classes)]
        has = np.zeros(self.n_classes)
        for b, lab, (w, h) in zip(boxes_list, labels_list, sizes):
            b = as_boxes(b)
            lab = np.asarray(lab, np.int64).reshape(-1)
            for c in set(lab.tolist()):
                has[c] += 1
            for box, c in zip(b, lab):
                acc[c].append([(box[0] + box[2]) / 2 / w, (box[1] + box[3]) / 2 / h, (box[2] - box[0]) / w,
                               (box[3] - box[1]) / h])
        for c in range(self.n_classes):
            if acc[c]:
                self.boxes[c] = np.mean(acc[c], axis=0)
        self.rate = (has / max(1, len(boxes_list))).astype(np.float32)
        return self

    def predict(self, sizes) -> list[dict]:
        out = []
        present = np.flatnonzero(self.rate > 0)
        for w, h in sizes:
            cx, cy, bw, bh = (self.boxes[present].T * np.array([[w], [h], [w], [h]], np.float32))
            boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1)
            out.append({"boxes": boxes, "scores": self.rate[present].copy(), "labels": present.copy()})
        return out

    def to_dict(self) -> dict:
        return {"strategy": self.strategy, "boxes_cxcywh": self.boxes.tolist(), "rate": self.rate.tolist()}
