"""Export a trained Day'n'Night model through the generic exporter (``core/runs/export.py``):
TorchScript + ONNX (checked with onnxruntime) + ``daynight.json`` (input size, scaling, class
names, output). The exported output is the raw logit of class 1 ("night"), as the study's model.

``load_exported`` reads them back into an object with the same ``p_day(images)`` as the live
model, so the round trip can be checked output for output.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from workbench.core.errors import DeviceUnavailable, ProjectError
from workbench.core.runs.export import export_module, file_names, read_export
from workbench.core.studies.daynight.model import DayNightModel, p_day_from_logits, to_inputs

PREFIX = "daynight"
TORCHSCRIPT_FILE = file_names(PREFIX)["torchscript"]
ONNX_FILE = file_names(PREFIX)["onnx"]
META_FILE = file_names(PREFIX)["meta"]


def onnx_unavailable_reason() -> str | None:
    """None when ONNX export can work, else why not (a sentence)."""
    import importlib.util

    if importlib.util.find_spec("onnx") is None or importlib.util.find_spec("onnxruntime") is None:
        return "ONNX export skipped: the 'onnx' and 'onnxruntime' packages are not installed (pip install onnx onnxruntime)."
    return None


def export_model(model: DayNightModel, out_dir: str | os.PathLike, onnx: bool = True) -> dict:
    """Returns {"torchscript": path, "onnx": path or None, "onnx_skipped": reason or None, "metadata": path}."""
    reason = None if onnx else "ONNX export not requested."
    if onnx and onnx_unavailable_reason():
        reason = onnx_unavailable_reason()
    formats = ("torchscript",) if reason else ("torchscript", "onnx")
    samples = np.random.default_rng(0).random((8, 3, model.size, model.size), dtype=np.float32)
    res = export_module(model.module, model.head, out_dir, input_shape=(3, model.size, model.size),
                        class_names=model.class_names, samples=samples, samples_note="8 random images",
                        meta={"study": "daynight", "onnx_skipped": reason, **model.metadata()}, formats=formats,
                        activate=False, prefix=PREFIX, example=False, what="The Day'n'Night model")
    return {"torchscript": res["files"]["torchscript"], "onnx": res["files"]["onnx"], "onnx_skipped": reason,
            "metadata": res["metadata"]}


class ExportedModel:
    """A model read back from an export folder; same ``p_day`` / ``logits`` as DayNightModel."""

    def __init__(self, module, meta: dict, folder: Path):
        self.module = module
        self.meta = meta
        self.folder = folder
        self.size = int(meta["size"])
        self.class_names = list(meta["class_names"])
        self.day_index = int(meta.get("day_index", 0))

    def logits(self, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
        import torch

        X = to_inputs(images, self.size)
        outs = []
        with torch.inference_mode():
            for i in range(0, len(X), batch_size):
                outs.append(self.module(torch.from_numpy(X[i: i + batch_size])).float())
        return torch.cat(outs).numpy().reshape(len(X), -1)[:, 0] if outs else np.zeros(0, np.float32)

    def p_day(self, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
        return p_day_from_logits(self.logits(images, batch_size), self.day_index)


def load_exported(path: str | os.PathLike) -> ExportedModel:
    """Load an export folder (or its metadata JSON / TorchScript file)."""
    import torch

    meta, folder = read_export(path, PREFIX, kind="Day'n'Night export")
    if meta.get("study") != "daynight":
        raise ProjectError(f"{folder / META_FILE} is not a Day'n'Night export.")
    ts = folder / (meta["files"].get("torchscript") or TORCHSCRIPT_FILE)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = torch.jit.load(str(ts), map_location="cpu")
    except Exception as e:
        raise ProjectError(f"{ts} cannot be loaded as a TorchScript model ({type(e).__name__}).") from None
    module.eval()
    return ExportedModel(module, meta, folder)


__all__ = ["export_model", "load_exported", "ExportedModel", "onnx_unavailable_reason", "DeviceUnavailable"]
