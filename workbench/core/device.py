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


def training_threads(*, keep_one_free: bool = False) -> int | None:
    """How many CPU threads a training should use (the one policy of the CLI, the GUI and the studies).

    ``WORKBENCH_TORCH_THREADS`` wins. Otherwise 1 when the machine is already busy: torch's OpenMP
    threads spin-wait at every operation, and when other programs use every core a small model
    trained with 2+ threads ran 7-15x slower here than with one. ``keep_one_free`` (the desktop
    app) leaves one core to the GUI thread; else None means torch's own choice.
    """
    import os

    env = os.environ.get("WORKBENCH_TORCH_THREADS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    cores = os.cpu_count() or 1
    try:
        if os.getloadavg()[0] >= cores:
            return 1
    except (OSError, AttributeError):  # Windows has no load average
        pass
    return max(1, cores - 1) if keep_one_free else None
