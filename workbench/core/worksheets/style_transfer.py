"""Style transfer worksheet: "Which loss?" — style alone, style + content, or style − content.

Each answer runs the case study's own optimization (``StyleTransfer``: MobileNetV2 features, L-BFGS
on the pixels, starting from the content photo) with the content term's weight set to 0, +1 or −1.
Each seed takes another sample photo and another generated style. The metric is the content
distance of the result: the mean squared difference of its content-layer features from the
photo's, relative to the photo's own (0 = the photo's content kept, higher = lost).
"""
from __future__ import annotations

import numpy as np

from workbench.core.experiments.base import Chart, Series
from workbench.core.worksheets.base import Answer, AnswerRun, Picture, Question, Worksheet, register_worksheet

FAST = {"size": 96, "steps": 150}
FULL = {"size": 192, "steps": 400}
WEIGHT = {"style": 0.0, "both": 1.0, "minus": -1.0}
LABEL = {"style": "style alone", "both": "style + content", "minus": "style − content"}


def _content_distance(st, img_u8: np.ndarray) -> float:
    import torch

    from workbench.core.studies.style_transfer.transfer import _to_tensor

    with torch.no_grad():
        f = st.extractor(_to_tensor(img_u8))[st.content_layer]
        t = st.content_target
        return float(((f - t) ** 2).mean() / (t ** 2).mean().clamp_min(1e-12))


def _ssim(a: np.ndarray, b: np.ndarray) -> float:
    from skimage.metrics import structural_similarity

    return float(structural_similarity(a.astype(np.float32).mean(-1), b.astype(np.float32).mean(-1), data_range=255))


def _row(*images: np.ndarray, side: int = 128) -> np.ndarray:
    import cv2

    tiles = []
    for im in images:
        h, w = im.shape[:2]
        s = side / max(h, w)
        tile = np.full((side, side, 3), 255, np.uint8)
        r = cv2.resize(np.ascontiguousarray(im[..., :3]), (max(1, round(w * s)), max(1, round(h * s))),
                       interpolation=cv2.INTER_AREA)
        tile[: r.shape[0], : r.shape[1]] = r
        tiles += [tile, np.full((side, 4, 3), 255, np.uint8)]
    return np.concatenate(tiles[:-1], axis=1)


def run_loss(ctx, key: str) -> AnswerRun:
    import torch

    from workbench.core.studies.style_transfer import (SAMPLE_PHOTOS, STYLE_NAMES, StyleSettings, StyleTransfer,
                                                       generate_style, sample_photo)

    cfg = FULL if ctx.full else FAST
    photo = SAMPLE_PHOTOS[ctx.seed % len(SAMPLE_PHOTOS)]
    style_name = STYLE_NAMES[ctx.seed % len(STYLE_NAMES)]
    content, style = sample_photo(photo), generate_style(style_name, 256, seed=ctx.seed)
    torch.manual_seed(ctx.seed)
    st = StyleTransfer(content, style, StyleSettings.for_backbone("mobilenet_v2", size=cfg["size"], seed=ctx.seed,
                                                                  channels_last=False))
    # the settings refuse a negative weight (a user would not want one); the question needs it
    st.settings.content_weight = WEIGHT[key]
    img = st.run(cfg["steps"], should_cancel=ctx._should_cancel)
    ctx.check_cancel()
    dist = _content_distance(st, img)
    ssim = _ssim(img, st._content_u8)
    sw = st.settings.style_weight
    h = st.history
    xs = [float(r["iteration"]) for r in h]
    chart = Chart(f"{LABEL[key]}: loss terms", "iteration", "loss (log)",
                  [Series("style loss (weighted)", xs, [max(r["style"], 1e-9) for r in h]),
                   Series("content loss (|weighted|)", xs, [max(abs(r["content"]), 1e-9) for r in h], "dash")],
                  log_y=True)
    style_dist = float(h[-1]["style"] / sw) if h else float("nan")
    pic = Picture(f"{LABEL[key]}: {photo} photo, {style_name} style, result", _row(st._content_u8, style, img))
    return AnswerRun(dist, f"{LABEL[key]} on the {photo} photo with the {style_name} style: content distance "
                           f"{dist:.3f}, SSIM to the photo {ssim:.2f}.",
                     [chart], [pic], {"SSIM to the photo": ssim, "style distance": style_dist})


WORKSHEET = register_worksheet(Worksheet("style_transfer", "style_transfer", "Style transfer: which loss?", (
    Question("style_transfer.loss", "Loss", "Which loss makes the picture?",
             (Answer("style", "L = L_style (style alone)", False),
              Answer("both", "L = L_style + L_content", True),
              Answer("minus", "L = L_style − L_content", False)),
             "content distance", "", False, 0.05, run_loss,
             " ".join("""The generated image must have the style of one picture and the content of the other: both
             terms are minimized, so L = L_style + L_content. With the style term alone nothing holds the
             photo's shapes and the image drifts into texture; with style − content the optimizer is paid to
             move the features away from the photo, so it destroys the picture (its content distance climbs,
             its SSIM to the photo falls).""".split())),
)))
