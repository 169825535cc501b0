"""Worksheet of the detection case study: "Output?" (one box for the image, or boxes on a grid),
"Resolution?" (of the detector's input) and "Loss?" (squared errors on the box sizes or on their
square roots), each answered by training the study's YOLO detector (workbench.core.studies.detection)
on its generated scenes and scoring it on held-out scenes with COCO's mAP at IoU 0.5 (pycocotools).

Every answer of a question uses the same scenes, split and seed; the frozen MobileNetV2 features of
the images are computed once per input size and shared by the answers (``train_detector``'s cache).
"""
from __future__ import annotations

import numpy as np

from workbench.core.experiments.base import Chart, Series
from workbench.core.worksheets.base import Answer, AnswerRun, Picture, Question, Worksheet, register_worksheet
from workbench.core.worksheets.measure import cached, callbacks

FAST = {"n": 500, "epochs": 8, "backbone": "mobilenet_v2"}
FULL = {"n": 1500, "epochs": 15, "backbone": "mobilenet_v2"}
SCENE_SIZE = 96

OUTPUTS = {"one-box": "one box for the whole image", "grid": "boxes on a grid (6 x 6 cells, 2 boxes each)"}
SIZES = {"32": 32, "64": 64, "96": 96}
LOSSES = {"wh": "squared error on w and h", "sqrt": "squared error on √w and √h"}


def _data(cfg: dict, seed: int):
    from workbench.core.studies.detection.data import split_indices
    from workbench.core.studies.detection.scenes import generate_scenes

    ds = generate_scenes(cfg["n"], SCENE_SIZE, seed=seed)
    return ds, split_indices(len(ds), 0.15, 0.15, seed), {}


def train_and_score(ctx, **settings):
    """Train the study's detector with ``settings`` (train_detector's keywords) on the seed's scenes."""
    from workbench.core.studies.detection.model import train_detector

    cfg = FULL if ctx.full else FAST
    ds, split, cache = cached("detection.scenes", (ctx.full, ctx.seed), lambda: _data(cfg, ctx.seed))
    ctx.check_cancel()
    kw = {"backbone": cfg["backbone"], "size": SCENE_SIZE, "S": 6, "B": 2, "output": "conv", **settings}
    out = train_detector(ds, epochs=cfg["epochs"], seed=ctx.seed, split=split, cache=cache, val_map=False,
                         callbacks=callbacks(ctx), device=ctx.device, **kw)
    ctx.check_cancel()
    return ds, out


def _picture(ds, out, title: str, k: int = 3) -> Picture:
    from workbench.core.studies.detection.draw import draw_boxes, draw_detections

    tiles = []
    for i, pred in zip(out.test_idx[:k], out.predictions[:k]):
        keep = np.asarray(pred["scores"]) >= 0.3
        det = {"boxes": np.asarray(pred["boxes"]).reshape(-1, 4)[keep] * 2.0, "labels": np.asarray(pred["labels"])[keep],
               "scores": np.asarray(pred["scores"])[keep]}
        truth = draw_boxes(ds.images[int(i)], ds.boxes[int(i)], ds.labels[int(i)], ds.class_names, color=(255, 255, 255),
                           dashed=True, scale=2.0)
        tiles.append(draw_detections(truth, det, ds.class_names))
        tiles.append(np.full((tiles[-1].shape[0], 4, 3), 255, np.uint8))
    img = np.concatenate(tiles[:-1], axis=1) if tiles else np.zeros((8, 8, 3), np.uint8)
    return Picture(f"Held-out scenes: the true boxes dashed white, the boxes found (score >= 0.3) in colour — {title}", img)


def _run(ctx, title: str, **settings) -> AnswerRun:
    ds, out = train_and_score(ctx, **settings)
    m50, base = float(out.test["map50"]), float(out.baseline["map50"])
    hist = out.fit.history
    terms = [k for k in ("xy", "wh", "obj", "noobj", "class") if hist and k in hist[0]]
    curve = Chart("Training loss (YOLO terms dashed)", "epoch", "loss",
                  [Series("total", list(range(1, len(hist) + 1)), [float(h.get("loss", np.nan)) for h in hist])]
                  + [Series(t, list(range(1, len(hist) + 1)), [float(h[t]) for h in hist], style="dash") for t in terms])
    per_class = ", ".join(f"{r['class']} {r['ap50']:.2f}" for r in out.test["per_class"])
    summary = (f"Held-out mAP@0.5 {m50:.3f} (mAP@[.5:.95] {float(out.test['map']):.3f}) on {len(out.test_idx)} scenes; "
               f"the mean-box baseline scores {base:.3f}. Per class AP@0.5: {per_class}.")
    return AnswerRun(score=m50, summary=summary, charts=[curve], pictures=[_picture(ds, out, title)],
                     details={"map": float(out.test["map"]), "baseline_map50": base, "epochs": len(hist)})


def run_output(ctx, key: str) -> AnswerRun:
    if key == "one-box":  # one cell, one box: a convolutional grid cannot be 1 x 1 at 96 px, so a Dense output
        return _run(ctx, OUTPUTS[key], S=1, B=1, output="dense")
    return _run(ctx, OUTPUTS[key])


def run_size(ctx, key: str) -> AnswerRun:
    size = SIZES[key]
    return _run(ctx, f"{size} px", size=size, S=size // 16)  # 16 px per grid cell at every size


def run_loss(ctx, key: str) -> AnswerRun:
    return _run(ctx, LOSSES[key], sqrt_wh=key == "sqrt")


OUTPUT_Q = Question(
    id="detection.output", topic="Output", text="Output? A scene holds one to four objects.",
    answers=(Answer("one-box", OUTPUTS["one-box"], False), Answer("grid", OUTPUTS["grid"], True)),
    metric="mAP@0.5", unit="mAP", higher_is_better=True, min_effect=0.02, run_answer=run_output,
    explanation=(
        "YOLO divides the image into S x S cells; each cell predicts B boxes (x, y, w, h, confidence) and the class "
        "probabilities of an object whose centre falls in it. One box for the whole image can only find one "
        "object per scene, and must learn where it is from everything at once; a grid gives every object a cell "
        "of its own, responsible for it."))

SIZE_Q = Question(
    id="detection.resolution", topic="Resolution", text="Resolution? What input size for the detector?",
    answers=(Answer("32", "32 x 32 px", False), Answer("64", "64 x 64 px", False),
             Answer("96", "96 x 96 px (the scenes' own)", True)),
    metric="mAP@0.5", unit="mAP", higher_is_better=True, min_effect=0.02, run_answer=run_size,
    explanation=(
        "The objects are 8 to 40 px in 96-px scenes. At 32 px the smallest are two or three pixels across and "
        "the grid has 2 x 2 cells, so two objects often share a cell; detection needs a resolution at which the "
        "smallest object still has its shape (YOLO v1 reads 448 x 448). Beyond that, more pixels only cost time."))

LOSS_Q = Question(
    id="detection.loss", topic="Loss", text="Loss? How should the box sizes enter the squared error?",
    answers=(Answer("wh", LOSSES["wh"], False), Answer("sqrt", LOSSES["sqrt"], True)),
    metric="mAP@0.5", unit="mAP", higher_is_better=True, min_effect=0.01, run_answer=run_loss,
    explanation=(
        "A few pixels off matter more on a small box than on a big one (the IoU drops faster). With plain w and h "
        "the same error costs the same on every box; through the square roots an error on a small box costs more "
        "than the same error on a big one, which is why YOLO writes (√w − √ŵ)² + (√h − √ĥ)². The gain is small "
        "on mAP@0.5 and shows more at stricter IoU thresholds."))

register_worksheet(Worksheet("detection", "detection", "Detection: what the detector outputs and reads",
                             (OUTPUT_Q, SIZE_Q, LOSS_Q)))
