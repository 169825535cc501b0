"""Export a trained Day'n'Night model: TorchScript (always), ONNX (when torch's exporter works
here without extra packages) and a metadata JSON (input size, scaling, class names, output).

``load_exported`` reads them back into an object with the same ``p_day(images)`` as the live
model, so the round trip can be checked output for output.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from workbench.core.errors import DeviceUnavailable, ProjectError
from workbench.core.studies.daynight.model import DayNightModel, p_day_from_logits, to_inputs

TORCHSCRIPT_FILE = "daynight.torchscript.pt"
ONNX_FILE = "daynight.onnx"
META_FILE = "daynight.json"
EXPORT_SCHEMA = 1


def onnx_unavailable_reason() -> str | None:
    """None when ONNX export can work, else why not (a sentence)."""
    import importlib.util

    if importlib.util.find_spec("onnx") is None:
        return ("ONNX export skipped: torch's ONNX exporter needs the 'onnx' package (and 'onnxscript' for "
                "the new exporter), which is not installed; pip install onnx onnxscript to enable it.")
    return None


def export_model(model: DayNightModel, out_dir: str | os.PathLike, onnx: bool = True) -> dict:
    """Write the TorchScript model, the ONNX model when possible, and the metadata JSON.

    Returns {"torchscript": path, "onnx": path or None, "onnx_skipped": reason or None,
    "metadata": path}.
    """
    import torch

    from workbench.core.jsonio import atomic_write_bytes, atomic_write_json

    out = Path(out_dir).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ProjectError(f"Cannot create the export folder {out} ({e.strerror}); choose another folder.") from None
    module = model.module
    module.cpu().eval()
    example = torch.rand(2, 3, model.size, model.size)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # torch.jit deprecation notices: TorchScript still works
        traced = torch.jit.trace(module, example, check_trace=False)
        import io

        buf = io.BytesIO()
        torch.jit.save(traced, buf)
    atomic_write_bytes(out / TORCHSCRIPT_FILE, buf.getvalue())
    result = {"torchscript": str(out / TORCHSCRIPT_FILE), "onnx": None, "onnx_skipped": None}
    if onnx:
        reason = onnx_unavailable_reason()
        if reason is None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    tmp = out / (ONNX_FILE + ".tmp")
                    torch.onnx.export(module, (example,), str(tmp), input_names=["image"], output_names=["logit"],
                                      dynamic_axes={"image": {0: "batch"}, "logit": {0: "batch"}}, dynamo=False)
                    os.replace(tmp, out / ONNX_FILE)
                result["onnx"] = str(out / ONNX_FILE)
            except Exception as e:  # exporter missing pieces: say so, keep TorchScript
                reason = f"ONNX export failed ({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})."
        result["onnx_skipped"] = reason
    else:
        result["onnx_skipped"] = "ONNX export not requested."
    meta = {"schema_version": EXPORT_SCHEMA, "study": "daynight", "format": "torchscript",
            "files": {"torchscript": TORCHSCRIPT_FILE, "onnx": ONNX_FILE if result["onnx"] else None},
            "onnx_skipped": result["onnx_skipped"], "torch": torch.__version__, **model.metadata()}
    atomic_write_json(out / META_FILE, meta)
    result["metadata"] = str(out / META_FILE)
    return result


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

    from workbench.core.jsonio import read_json

    p = Path(path).expanduser()
    folder = p if p.is_dir() else p.parent
    meta = read_json(folder / META_FILE, kind="export metadata file", max_version=EXPORT_SCHEMA)
    if meta.get("study") != "daynight":
        raise ProjectError(f"{folder / META_FILE} is not a Day'n'Night export.")
    ts = folder / (meta.get("files", {}).get("torchscript") or TORCHSCRIPT_FILE)
    if not ts.is_file():
        raise ProjectError(f"The TorchScript file {ts} is missing; export the model again.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = torch.jit.load(str(ts), map_location="cpu")
    except Exception as e:
        raise ProjectError(f"{ts} cannot be loaded as a TorchScript model ({type(e).__name__}).") from None
    module.eval()
    return ExportedModel(module, meta, folder)


__all__ = ["export_model", "load_exported", "ExportedModel", "onnx_unavailable_reason", "DeviceUnavailable"]
