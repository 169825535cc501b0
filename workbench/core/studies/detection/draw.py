"""Boxes and labels drawn on images (for the sample grid, the gallery and the live view)."""
from __future__ import annotations

import numpy as np

COLORS = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180),
          (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 212)]


def class_color(k: int) -> tuple[int, int, int]:
    return COLORS[int(k) % len(COLORS)]


def draw_boxes(image: np.ndarray, boxes, labels, class_names=None, scores=None, *, thickness: int | None = None,
               color=None, dashed: bool = False, scale: float = 1.0) -> np.ndarray:
    """A copy of ``image`` (upscaled by ``scale``) with each box and its class (and score)."""
    import cv2

    img = np.ascontiguousarray(image[..., :3])
    if scale != 1.0:
        img = cv2.resize(img, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    else:
        img = img.copy()
    th = thickness or max(1, int(round(min(img.shape[:2]) / 200)))
    font = max(0.3, min(img.shape[:2]) / 700)
    for k, (b, c) in enumerate(zip(np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(labels).reshape(-1))):
        col = color or class_color(int(c))
        x1, y1, x2, y2 = (int(round(v * scale)) for v in b)
        if dashed:
            for x in range(x1, x2, 6):
                cv2.line(img, (x, y1), (min(x + 3, x2), y1), col, th)
                cv2.line(img, (x, y2), (min(x + 3, x2), y2), col, th)
            for y in range(y1, y2, 6):
                cv2.line(img, (x1, y), (x1, min(y + 3, y2)), col, th)
                cv2.line(img, (x2, y), (x2, min(y + 3, y2)), col, th)
        else:
            cv2.rectangle(img, (x1, y1), (x2, y2), col, th)
        name = class_names[int(c)] if class_names is not None and int(c) < len(class_names) else str(int(c))
        text = name if scores is None else f"{name} {float(np.asarray(scores).reshape(-1)[k]):.2f}"
        if font >= 0.3 and (x2 - x1) > 10:
            (tw, tht), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font, 1)
            ty = max(tht + 2, y1)
            cv2.rectangle(img, (x1, ty - tht - 2), (x1 + tw + 2, ty), col, -1)
            cv2.putText(img, text, (x1 + 1, ty - 2), cv2.FONT_HERSHEY_SIMPLEX, font, (0, 0, 0), 1, cv2.LINE_AA)
    return img


def draw_detections(image: np.ndarray, det: dict, class_names, **kw) -> np.ndarray:
    return draw_boxes(image, det["boxes"], det["labels"], class_names, det.get("scores"), **kw)


def draw_errors(image: np.ndarray, gallery_row: dict, class_names, scale: float = 2.0) -> np.ndarray:
    """Misses dashed in white, false detections in red, on one image."""
    m = gallery_row.get("misses", [])
    f = gallery_row.get("false", [])
    img = draw_boxes(image, [r["box"] for r in m], [r["label"] for r in m], class_names, color=(255, 255, 255),
                     dashed=True, scale=scale)
    return draw_boxes(img, np.asarray([r["box"] for r in f], np.float32) * scale, [r["label"] for r in f], class_names,
                      [r["score"] for r in f], color=(255, 0, 0))
