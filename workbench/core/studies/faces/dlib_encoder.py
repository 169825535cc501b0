"""The pretrained encoder: dlib's ResNet face embedding (128-d, 99.38 % on LFW as published,
threshold 0.6). The default encoder wherever dlib is installed.

It embeds the chips ``FaceFinder`` cuts out (aligned with the 5-point landmarks, 150 px).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from workbench.core.studies.faces.dlib_models import INSTALL_HINT, RECOGNITION, dlib_status, load_dlib, model_path

__all__ = ["DlibEncoder", "dlib_available", "dlib_status", "INSTALL_HINT"]


def dlib_available() -> bool:
    return dlib_status()[0]


class DlibEncoder:
    """dlib's ResNet embedding of aligned 150 px face chips -> (N, 128) float32."""

    name = "dlib"
    key = "dlib:resnet_v1"
    embedding_dim = 128
    default_threshold = 0.6

    def __init__(self, jitter: int = 0):
        self._dlib = load_dlib()
        self._rec = self._dlib.face_recognition_model_v1(str(model_path(RECOGNITION)))
        self.jitter = int(jitter)

    def embed(self, chips: Sequence[np.ndarray]) -> np.ndarray:
        import cv2

        if len(chips) == 0:
            return np.zeros((0, 128), np.float32)
        batch = []
        for c in chips:
            c = np.asarray(c, np.uint8)
            if c.ndim == 2:
                c = np.repeat(c[..., None], 3, axis=-1)
            c = c[..., :3]
            if c.shape[:2] != (150, 150):
                c = cv2.resize(c, (150, 150), interpolation=cv2.INTER_AREA if c.shape[0] > 150 else cv2.INTER_CUBIC)
            batch.append(np.ascontiguousarray(c))
        out = self._rec.compute_face_descriptor(batch, self.jitter)
        return np.asarray([np.asarray(v, np.float32) for v in out], np.float32)
