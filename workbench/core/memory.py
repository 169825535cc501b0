"""How much memory a request would take, checked before the work starts.

An option such as ``--image-size 100000x100000`` or a layer with 10^12 units must be refused
with the estimate, not by the operating system killing the app after minutes of swapping.
"""
from __future__ import annotations

import os

from workbench.core.errors import WorkbenchError

# never plan to use more than this share of the machine's physical memory for one array or model
MAX_SHARE = 0.8


class TooLarge(WorkbenchError):
    """A request that would need more memory than the machine has."""


def physical_memory_bytes() -> int | None:
    """The machine's physical memory, or None where it cannot be read."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):
        pass
    try:  # Windows
        import ctypes

        class _Status(ctypes.Structure):
            _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                        ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                        ("ullTotalPageFile", ctypes.c_ulonglong), ("ullAvailPageFile", ctypes.c_ulonglong),
                        ("ullTotalVirtual", ctypes.c_ulonglong), ("ullAvailVirtual", ctypes.c_ulonglong),
                        ("ullAvailExtendedVirtual", ctypes.c_ulonglong)]

        st = _Status()
        st.dwLength = ctypes.sizeof(_Status)
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(st)):  # type: ignore[attr-defined]
            return int(st.ullTotalPhys)
    except Exception:
        pass
    return None


def format_bytes(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1024 or unit == "PB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024.0
    return f"{n:.1f} PB"  # pragma: no cover


def check_fits(nbytes: float, what: str, advice: str = "") -> None:
    """Raise TooLarge ("... would need 503.0 GB of memory; this machine has 23.4 GB.") when
    ``nbytes`` exceeds the share of physical memory one request may take."""
    total = physical_memory_bytes()
    if total is None or nbytes <= MAX_SHARE * total:
        return
    raise TooLarge(f"{what} would need {format_bytes(nbytes)} of memory; this machine has {format_bytes(total)}."
                   + (f" {advice}" if advice else ""))


def training_bytes(summary, batch_size: int) -> float:
    """Rough memory of training a model (a ``ModelSummary``) with ``batch_size``: weights, gradients
    and two optimizer moments (16 bytes a parameter), plus every layer's float32 output for a
    batch kept three times (forward, its gradient, the optimizer's scratch)."""
    def count(shape) -> int:
        n = 1
        for d in shape or ():
            n *= int(d) if isinstance(d, int) and d > 0 else 1
        return n

    activations = count(summary.input_shape) + sum(count(layer.output_shape) for layer in summary)
    return 16.0 * summary.total_params + 12.0 * int(batch_size) * activations


def check_training(summary, batch_size: int) -> None:
    """TooLarge before the first batch when training ``summary`` with ``batch_size`` would not fit."""
    shape = "x".join(str(d) for d in summary.input_shape)
    check_fits(training_bytes(summary, batch_size), f"Training this model on inputs of {shape} in batches of "
               f"{int(batch_size)}", "Choose a smaller image size, a smaller batch size or fewer filters.")
