"""A Dask preload for search workers: import torch and the trial code in the background as the
worker starts, so the first trial does not wait for them (``dask worker ADDR --preload
workbench.core.tuning.warm``; the local cluster uses it by itself)."""
from __future__ import annotations

import threading


def warm() -> int:
    """Import what a trial needs; returns the worker's process id (a cheap task for checks)."""
    import os

    import sklearn.metrics  # noqa: F401  (the validation metrics)
    import torch  # noqa: F401

    import workbench.core.data  # noqa: F401
    import workbench.core.models  # noqa: F401
    import workbench.core.training.trainer  # noqa: F401
    import workbench.core.tuning.trial  # noqa: F401

    return os.getpid()


def dask_setup(worker) -> None:
    import os
    import signal

    if os.environ.get("WORKBENCH_SEARCH_WORKER") == "local" and threading.current_thread() is threading.main_thread():
        # a local worker is a child of the search's process: Ctrl+C there must stop the search
        # (which ends its trials cleanly), not kill the workers under it
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Dask's statistical profiler samples every thread 100 times a second: CPU a trial would use
    # (the local cluster turns it off in its config; a worker started with `dask worker` here)
    for name in ("profile", "profile-cycle"):
        pc = getattr(worker, "periodic_callbacks", {}).pop(name, None)
        if pc is not None:
            pc.stop()
    threading.Thread(target=warm, name="workbench-warm-imports", daemon=True).start()
