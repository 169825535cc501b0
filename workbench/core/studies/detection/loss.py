"""The YOLO-v1 loss, term by term, exactly as on the course's slide::

      lambda_coord * sum_i sum_j 1_ij^obj [(x - x^)^2 + (y - y^)^2]                 "xy"
    + lambda_coord * sum_i sum_j 1_ij^obj [(sqrt w - sqrt w^)^2 + (sqrt h - sqrt h^)^2]   "wh"
    + sum_i sum_j 1_ij^obj (C - C^)^2                                              "obj"
    + lambda_noobj * sum_i sum_j 1_ij^noobj (C - C^)^2                             "noobj"
    + sum_i 1_i^obj sum_c (p_i(c) - p^_i(c))^2                                     "class"

i runs over the S x S cells, j over the B boxes of a cell. The cell that holds an object's centre
is responsible for it (1_i^obj); of its B boxes the one whose predicted box has the highest IoU
with the true box is responsible (1_ij^obj), and its confidence target C is that IoU (computed
without gradient). Every other box (1_ij^noobj = 1 - 1_ij^obj) is pushed towards confidence 0.
Sums run over cells and boxes and are averaged over the images of a batch.

Layouts. Raw model output: (N, S*S*(5B + C)), read as (N, S, S, 5B + C): for box j the values
5j..5j+4 are x, y (centre inside the cell, 0..1), w, h (fraction of the image, 0..1) and the
confidence, each through a sigmoid (so sqrt(w) exists); the last C values go through a softmax
(the class probabilities). Targets (N, S, S, 5 + C): x, y, w, h, 1_i^obj, one-hot class.
"""
from __future__ import annotations

from dataclasses import dataclass

from workbench.core.models.heads import TermHead

TERMS = ("xy", "wh", "obj", "noobj", "class")
TERM_LABELS = {"xy": "coordinates (x, y)", "wh": "size (w, h)", "obj": "confidence, object",
               "noobj": "confidence, no object", "class": "class probabilities"}
_EPS = 1e-9


@dataclass(frozen=True)
class YoloConfig:
    S: int = 6
    B: int = 2
    C: int = 4
    lambda_coord: float = 5.0
    lambda_noobj: float = 0.5
    sqrt_wh: bool = True  # False: (w - w^)^2 + (h - h^)^2, big and small boxes weigh the same pixels

    @property
    def per_cell(self) -> int:
        return 5 * self.B + self.C

    @property
    def outputs(self) -> int:
        return self.S * self.S * self.per_cell

    def to_dict(self) -> dict:
        return {"S": self.S, "B": self.B, "C": self.C, "lambda_coord": self.lambda_coord,
                "lambda_noobj": self.lambda_noobj, "sqrt_wh": self.sqrt_wh}

    @classmethod
    def from_dict(cls, d: dict) -> "YoloConfig":
        from workbench.core.safety import check_fields

        check_fields(d, {"S": int, "B": int, "C": int, "lambda_coord": float, "lambda_noobj": float,
                         "sqrt_wh": bool}, kind="detector settings", required=("S", "B", "C"))
        return cls(int(d["S"]), int(d["B"]), int(d["C"]), float(d.get("lambda_coord", 5.0)),
                   float(d.get("lambda_noobj", 0.5)), bool(d.get("sqrt_wh", True)))


def activate(raw, cfg: YoloConfig):
    """Raw outputs -> (N, S, S, 5B + C): sigmoids on the box values, softmax on the classes."""
    import torch

    S, B = cfg.S, cfg.B
    g = raw.reshape(raw.shape[0], S, S, cfg.per_cell)
    return torch.cat([torch.sigmoid(g[..., :5 * B]), torch.softmax(g[..., 5 * B:], dim=-1)], dim=-1)


def cell_boxes_xyxy(xywh, S: int):
    """(..., S, S, [B,] 4) cell-relative x, y and image-relative w, h -> image-relative corners."""
    import torch

    dev, dt = xywh.device, xywh.dtype
    idx = torch.arange(S, device=dev, dtype=dt)
    extra = xywh.dim() - 4  # 1 when there is a box axis
    shape = (1, S, 1) + (1,) * extra
    row = idx.view(shape)  # i: the cell's row (y)
    col = idx.view((1, 1, S) + (1,) * extra)  # j: the cell's column (x)
    cx = (col + xywh[..., 0]) / S
    cy = (row + xywh[..., 1]) / S
    w, h = xywh[..., 2], xywh[..., 3]
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)


def box_iou(a, b):
    """Element-wise IoU of corner boxes (..., 4) (torch)."""
    import torch

    x1 = torch.maximum(a[..., 0], b[..., 0])
    y1 = torch.maximum(a[..., 1], b[..., 1])
    x2 = torch.minimum(a[..., 2], b[..., 2])
    y2 = torch.minimum(a[..., 3], b[..., 3])
    inter = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    area_a = (a[..., 2] - a[..., 0]).clamp(min=0) * (a[..., 3] - a[..., 1]).clamp(min=0)
    area_b = (b[..., 2] - b[..., 0]).clamp(min=0) * (b[..., 3] - b[..., 1]).clamp(min=0)
    return inter / (area_a + area_b - inter).clamp(min=1e-12)


def yolo_loss_terms(raw, target, cfg: YoloConfig) -> dict:
    """The five terms (scalar tensors, averaged over the batch) for raw outputs and targets."""
    import torch

    S, B, C = cfg.S, cfg.B, cfg.C
    n = raw.shape[0]
    p = activate(raw.float(), cfg)
    t = target.float().reshape(n, S, S, 5 + C)
    boxes = p[..., :5 * B].reshape(n, S, S, B, 5)
    pxywh, pconf = boxes[..., :4], boxes[..., 4]
    pcls = p[..., 5 * B:]
    obj_i = t[..., 4]  # 1_i^obj, (n, S, S)
    txywh = t[..., :4]
    with torch.no_grad():
        ious = box_iou(cell_boxes_xyxy(pxywh, S), cell_boxes_xyxy(txywh, S).unsqueeze(3))  # (n, S, S, B)
        best = ious.argmax(dim=-1, keepdim=True)
        resp = torch.zeros_like(ious).scatter_(-1, best, 1.0) * obj_i.unsqueeze(-1)  # 1_ij^obj
        conf_target = ious * resp
    noresp = 1.0 - resp  # 1_ij^noobj
    tx = txywh.unsqueeze(3)  # broadcast the truth over the B boxes
    xy = ((pxywh[..., 0] - tx[..., 0]) ** 2 + (pxywh[..., 1] - tx[..., 1]) ** 2)
    if cfg.sqrt_wh:
        wh = ((torch.sqrt(pxywh[..., 2] + _EPS) - torch.sqrt(tx[..., 2] + _EPS)) ** 2
              + (torch.sqrt(pxywh[..., 3] + _EPS) - torch.sqrt(tx[..., 3] + _EPS)) ** 2)
    else:
        wh = (pxywh[..., 2] - tx[..., 2]) ** 2 + (pxywh[..., 3] - tx[..., 3]) ** 2
    terms = {
        "xy": cfg.lambda_coord * (resp * xy).sum() / n,
        "wh": cfg.lambda_coord * (resp * wh).sum() / n,
        "obj": (resp * (pconf - conf_target) ** 2).sum() / n,
        "noobj": cfg.lambda_noobj * (noresp * pconf ** 2).sum() / n,
        "class": (obj_i * ((pcls - t[..., 5:]) ** 2).sum(-1)).sum() / n,
    }
    return terms


def encode_targets(boxes_list, labels_list, sizes, cfg: YoloConfig):
    """Ground truth -> float32 targets (N, S, S, 5 + C).

    ``sizes`` are the (width, height) of each image the boxes are in. One object per cell (YOLO v1
    has no anchor to hold a second): when two centres fall in one cell the larger box is kept.
    Returns (targets, dropped) where ``dropped`` counts objects that lost their cell."""
    import numpy as np

    S, C = cfg.S, cfg.C
    n = len(boxes_list)
    out = np.zeros((n, S, S, 5 + C), np.float32)
    dropped = 0
    for k, (boxes, labels, (W, H)) in enumerate(zip(boxes_list, labels_list, sizes)):
        boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
        area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
        for bi in np.argsort(-area, kind="stable"):
            x1, y1, x2, y2 = boxes[bi]
            cx, cy = (x1 + x2) / 2 / W, (y1 + y2) / 2 / H
            w, h = (x2 - x1) / W, (y2 - y1) / H
            if w <= 0 or h <= 0:
                continue
            j, i = min(S - 1, max(0, int(cx * S))), min(S - 1, max(0, int(cy * S)))
            if out[k, i, j, 4]:
                dropped += 1
                continue
            out[k, i, j, :5] = (cx * S - j, cy * S - i, min(w, 1.0), min(h, 1.0), 1.0)
            out[k, i, j, 5 + int(labels[bi])] = 1.0
    return out, dropped


class YoloHead(TermHead):
    """Output head of the detector: the YOLO loss as named terms for the common ``Trainer``
    (which logs each term per epoch as ``loss_<term>`` and ``val_loss_<term>``)."""

    task = "detection"
    activation = "yolo"
    loss_name = "yolo"
    term_names = TERMS

    def __init__(self, config: YoloConfig):
        self.config = config

    @property
    def reason(self) -> str:
        c = self.config
        return (f"YOLO v1: {c.S}x{c.S} cells, {c.B} boxes each, {c.C} classes; lambda_coord {c.lambda_coord:g}, "
                f"lambda_noobj {c.lambda_noobj:g}, {'square roots of' if c.sqrt_wh else 'plain'} w and h")

    def loss_terms(self, raw, y) -> dict:
        return yolo_loss_terms(raw, y, self.config)

    def activate(self, raw):
        return activate(raw, self.config)

    def settings(self) -> dict:
        return self.config.to_dict()
