"""Grad-CAM (Selvaraju et al.) through captum: which parts of an image a prediction rests on.

The layer read is the last one with a spatial output: the last stage of a ``Pretrained`` backbone,
or the last spec layer that outputs an image (C, H, W). Frozen backbones run without their feature
cache here, since the heat map needs the gradients through the feature maps.
"""
from __future__ import annotations

import numpy as np

from workbench.core.errors import SpecError


def cam_layer(model):
    from workbench.core.models.pretrained import pretrained_modules

    backbones = pretrained_modules(model)
    if backbones:
        return backbones[-1].cam_stage
    shapes = getattr(model, "layer_shapes", [])
    for layer, shape in reversed(list(zip(model.layers, shapes))):
        if len(shape) == 3 and shape[1] > 1 and shape[2] > 1:
            return layer
    raise SpecError("This model has no layer that keeps the image's layout, so there is no heat map to show.")


def gradcam(model, X: np.ndarray, target: int | None = None) -> np.ndarray:
    """Heat map (h, w) in [0, 1] for the first input of ``X`` (model inputs, (1, C, H, W)),
    for class ``target`` (default: the predicted class), at the input's resolution."""
    import torch
    from captum.attr import LayerAttribution, LayerGradCam

    from workbench.core.models.pretrained import cache_disabled

    x = torch.as_tensor(np.asarray(X[:1], dtype=np.float32))
    model.eval()
    with cache_disabled(model):
        with torch.no_grad():
            out = model(x)
        two = out.shape[-1] == 1  # one sigmoid unit: class 0 is its negative logit

        def forward(inp):
            z = model(inp)
            return torch.cat([-z, z], dim=-1) if two else z

        if target is None:
            target = int((out[0, 0] > 0).item()) if two else int(out[0].argmax().item())
        cam = LayerGradCam(forward, cam_layer(model))
        attr = cam.attribute(x, target=int(target), relu_attributions=True)
        heat = LayerAttribution.interpolate(attr, tuple(x.shape[-2:]), interpolate_mode="bilinear")
    h = heat[0, 0].detach().numpy().astype(np.float32)
    top = float(h.max())
    return h / top if top > 0 else h


def heat_overlay(rgb: np.ndarray, heat: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """The image with the heat map laid over it (OpenCV's JET colours), uint8 RGB."""
    import cv2

    img = np.asarray(rgb)
    if img.ndim == 2 or img.shape[-1] == 1:
        img = np.repeat(img.reshape(img.shape[0], img.shape[1], 1), 3, axis=2)
    img = img[..., :3].astype(np.uint8)
    h = cv2.resize(np.asarray(heat, np.float32), (img.shape[1], img.shape[0]))
    colours = cv2.cvtColor(cv2.applyColorMap((np.clip(h, 0, 1) * 255).astype(np.uint8), cv2.COLORMAP_JET),
                           cv2.COLOR_BGR2RGB)
    return cv2.addWeighted(img, 1 - alpha, colours, alpha, 0)
