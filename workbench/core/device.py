"""Compute device choice and description. CUDA is probed lazily (importing torch is slow)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "cuda" | "mps" | "cpu"
    name: str  # e.g. "NVIDIA GeForce RTX 3060" or "CPU (4 threads)"
    hint: str  # why not a GPU, or "" when on a GPU

    def label(self) -> str:
        return self.name if not self.hint else f"{self.name} — {self.hint}"


def pick_device(requested: str = "auto"):
    """Return a torch.device: CUDA when present, then Apple MPS, else CPU.

    ``requested`` is "auto", "cpu", "cuda" or "mps"; asking for a missing GPU raises DeviceUnavailable.
    """
    import torch

    from workbench.core.errors import DeviceUnavailable

    requested = (requested or "auto").lower()
    if requested == "cpu":
        return torch.device("cpu")
    if requested == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailable("CUDA was requested but no CUDA GPU is available; use --device cpu or auto.")
        return torch.device("cuda")
    if requested == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise DeviceUnavailable("Apple MPS was requested but is not available; use --device cpu or auto.")
        return torch.device("mps")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if hasattr(torch.backends, "mps") and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device(requested: str = "auto") -> DeviceInfo:
    import torch

    dev = pick_device(requested)
    if dev.type == "cuda":
        return DeviceInfo("cuda", torch.cuda.get_device_name(dev), "")
    if dev.type == "mps":
        return DeviceInfo("mps", "Apple GPU (MPS)", "")
    if torch.version.cuda is None:
        hint = "this torch build is CPU-only; install the CUDA build to use an NVIDIA GPU"
    else:
        hint = "no CUDA GPU found"
    return DeviceInfo("cpu", f"CPU ({torch.get_num_threads()} threads)", hint)
