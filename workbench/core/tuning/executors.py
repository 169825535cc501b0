"""Where trials run: in this process (``InlineExecutor``) or on a Dask cluster (``DaskExecutor``).

``open_executor(cluster, parallel)`` picks one:

    cluster None         a LocalCluster on this machine: ``parallel`` worker processes (default:
                         one per GPU when there are GPUs, else one per core), one thread each
    cluster "inline"     in this process, one trial at a time (lessons, tests, debugging)
    cluster "tcp://..."  the scheduler of any Dask cluster (``dask scheduler`` + ``dask worker``,
                         or dask-jobqueue on SLURM; see the README)
    a distributed.Client an existing client (tests, notebooks)

Local worker processes are started with the "spawn" method: it is the one that works in a frozen
app (``workbench/__main__.py`` calls ``multiprocessing.freeze_support()`` first, and the spawned
process re-enters the frozen executable there) and in a process that runs Qt threads (fork would
copy them half-way). A local scheduler gives up on a task at its first lost worker
(``allowed-failures`` 0) so the search, not Dask, decides about the retry. Local workers start
without Dask's MALLOC_TRIM_THRESHOLD_ and profiler (``TRIAL_WORKER_CONFIG``): a trial's CPU there
is the same as in this process. Workers started with ``dask worker`` get the profiler turned off
by the preload; their nanny still sets MALLOC_TRIM_THRESHOLD_ (``dask worker --no-nanny`` does
not, at the price of no restart after a crash).
"""
from __future__ import annotations

import concurrent.futures
import logging
import os
import warnings
from typing import Any, Callable

from workbench.core.errors import WorkbenchError

CONNECT_TIMEOUT_S = 10
# Local workers run trials as fast as this process would. Dask's defaults cost a trial 40-70 % more
# CPU: MALLOC_TRIM_THRESHOLD_ (set for every worker) also fixes glibc's mmap threshold, so each
# batch's tensors are mapped and unmapped again (page faults); the statistical profiler samples
# every thread 100 times a second. The trial sets its own torch thread count, so the BLAS thread
# variables go too.
TRIAL_WORKER_CONFIG = {
    **{f"distributed.nanny.pre-spawn-environ.{k}": None
       for k in ("MALLOC_TRIM_THRESHOLD_", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")},
    "distributed.worker.profile.enabled": False,
}


class ClusterError(WorkbenchError):
    """A Dask cluster that cannot be reached or started."""


def default_workers() -> int:
    """Local workers for a search: one per GPU when CUDA GPUs are there, else one per core."""
    try:
        import torch

        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
    except Exception:  # noqa: BLE001 - a broken CUDA install: count cores instead
        n = 0
    return n if n > 0 else max(1, os.cpu_count() or 1)


def threads_per_trial(n_workers: int) -> int:
    """Torch threads per trial when ``n_workers`` trials share this machine's cores."""
    from workbench.core.device import training_threads

    cores = max(1, os.cpu_count() or 1)
    share = max(1, cores // max(1, n_workers))
    policy = training_threads()
    return min(share, policy) if policy else share


class InlineExecutor:
    """Runs each fold at once in the calling thread (``submit`` returns a finished future)."""

    kind = "inline"
    description = "this process"

    def __init__(self):
        self.threads = None

    @property
    def slots(self) -> int:
        return 1

    def workers(self) -> list[str]:
        return ["this process"]

    def share(self, data):
        return data

    def release(self, handle) -> None:
        from workbench.core.tuning.trial import clear_cache

        clear_cache(getattr(handle, "token", None))

    def submit(self, fn: Callable, *args, avoid=(), key: str | None = None):
        fut: concurrent.futures.Future = concurrent.futures.Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as e:  # noqa: BLE001 - delivered to the search like a worker's error
            fut.set_exception(e)
        return fut

    def cancel(self, futures) -> None:
        pass

    def run_everywhere(self, fn: Callable, *args) -> dict:
        return {"this process": fn(*args)}

    def close(self) -> None:
        pass


class DaskExecutor:
    """Trials as Dask tasks. ``owned`` clusters (the local one) are closed with the executor."""

    kind = "dask"

    def __init__(self, client, cluster=None, description: str = "", threads: int | None = None):
        self.client, self.cluster = client, cluster
        self.description = description or str(getattr(client, "scheduler", None) and client.scheduler.address)
        self.threads = threads  # torch threads per trial (None: the worker's own policy)

    @classmethod
    def local(cls, n_workers: int | None = None) -> "DaskExecutor":
        import dask
        from distributed import Client, LocalCluster

        n = int(n_workers or default_workers())
        with dask.config.set({"distributed.worker.multiprocessing-method": "spawn",
                              "distributed.scheduler.allowed-failures": 0, **TRIAL_WORKER_CONFIG}), \
                warnings.catch_warnings():
            # the scheduler's small HTTP server moves to a free port when 8787 is taken: not news
            warnings.filterwarnings("ignore", message=".*already in use.*")
            try:
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                       silence_logs=logging.ERROR, scheduler_port=0,
                                       preload=["workbench.core.tuning.warm"],
                                       env={"WORKBENCH_SEARCH_WORKER": "local"})
            except Exception as e:  # noqa: BLE001 - ports, process limits, a frozen app missing a module
                raise ClusterError(f"The local worker processes could not be started ({e}); run the search "
                                   "in this process with --cluster inline.") from None
            client = Client(cluster, set_as_default=False)
        return cls(client, cluster, f"{n} local worker process(es)", threads=threads_per_trial(n))

    @classmethod
    def connect(cls, address: str) -> "DaskExecutor":
        from distributed import Client

        address = check_address(address)
        try:
            client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except Exception as e:  # noqa: BLE001 - OSError, TimeoutError, CommClosedError ...
            raise ClusterError(f"Cannot reach the Dask scheduler at {address} ({type(e).__name__}); start it "
                               "with 'dask scheduler' and workers with 'dask worker ADDRESS', or check the "
                               "address.") from None
        return cls(client, None, f"the Dask cluster at {address}", threads=1)

    @property
    def owned(self) -> bool:
        return self.cluster is not None

    def _info(self) -> dict:
        try:
            return self.client.scheduler_info(n_workers=-1).get("workers", {})
        except TypeError:  # older distributed: no n_workers argument
            return self.client.scheduler_info().get("workers", {})

    @property
    def slots(self) -> int:
        return max(1, sum(int(w.get("nthreads", 1)) for w in self._info().values()))

    def workers(self) -> list[str]:
        return sorted(self._info())

    def wait_for_workers(self, n: int = 1, timeout: float = 60) -> None:
        try:
            self.client.wait_for_workers(n, timeout=timeout)
        except Exception:  # noqa: BLE001 - distributed's TimeoutError
            raise ClusterError(f"No Dask worker joined {self.description} within {timeout:.0f} s; start workers "
                               "with 'dask worker SCHEDULER_ADDRESS'.") from None

    def share(self, data):
        """Put ``data`` on every worker once (and on workers that join later); tasks get a DataRef."""
        from workbench.core.tuning.plugin import SearchDataPlugin
        from workbench.core.tuning.trial import DataRef

        plugin = SearchDataPlugin(data)
        self.client.register_plugin(plugin, name=plugin.name)
        return DataRef(data.token)

    def release(self, handle) -> None:
        from workbench.core.tuning.plugin import plugin_name

        try:
            self.client.unregister_worker_plugin(plugin_name(handle.token))
        except Exception:  # noqa: BLE001 - the cluster is going away: the data go with it
            pass

    def submit(self, fn: Callable, *args, avoid=(), key: str | None = None):
        allowed = [w for w in self.workers() if w not in set(avoid)] if avoid else None
        return self.client.submit(fn, *args, pure=False, key=key, workers=allowed or None,
                                  allow_other_workers=bool(allowed), retries=0)

    def cancel(self, futures) -> None:
        futures = [f for f in futures if f is not None]
        if futures:
            try:
                self.client.cancel(futures)
            except Exception:  # noqa: BLE001 - the cluster is going away; nothing left to cancel
                pass

    def run_everywhere(self, fn: Callable, *args) -> dict:
        return self.client.run(fn, *args)

    def close(self) -> None:
        try:
            self.client.close(timeout=10)
        except Exception:  # noqa: BLE001 - already closed / scheduler gone
            pass
        if self.cluster is not None:
            try:
                self.cluster.close(timeout=20)
            except Exception:  # noqa: BLE001
                pass


SCHEMES = ("tcp", "tls")
PROBE_TIMEOUT_S = 3.0


def check_address(address: str, probe: bool = True) -> str:
    """A scheduler address ``tcp://host:port`` (or ``host:port``) whose port answers; ClusterError
    within a few seconds otherwise (a wrong scheme at once), instead of Dask's long timeout."""
    import socket
    from urllib.parse import urlsplit

    text = str(address).strip()
    if "://" not in text:
        text = "tcp://" + text
    parts = urlsplit(text)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if parts.scheme not in SCHEMES or not host or port is None or parts.path not in ("", "/"):
        raise ClusterError(f"{address!r} is not a Dask scheduler address; write tcp://HOST:PORT (e.g. "
                           "tcp://192.168.1.5:8786), or use 'inline' or 'local'.")
    if not probe:
        return text
    try:
        with socket.create_connection((host, port), timeout=PROBE_TIMEOUT_S) as sock:
            if parts.scheme == "tcp":  # a Dask scheduler greets a new connection with its handshake at once
                sock.settimeout(PROBE_TIMEOUT_S)
                if not sock.recv(1):
                    raise ConnectionRefusedError
    except OSError as e:
        why = "nothing answers there" if isinstance(e, (ConnectionRefusedError, TimeoutError, socket.timeout)) \
            else (e.strerror or type(e).__name__)
        raise ClusterError(f"Cannot reach the Dask scheduler at {address} ({why}); start it with 'dask scheduler' "
                           "and workers with 'dask worker ADDRESS', or check the address.") from None
    return text


def open_executor(cluster: Any = None, parallel: int | None = None):
    """The executor for ``cluster`` (see the module docstring)."""
    if cluster is None or cluster == "" or cluster == "local":
        return DaskExecutor.local(parallel)
    if isinstance(cluster, str):
        if cluster == "inline":
            return InlineExecutor()
        ex = DaskExecutor.connect(cluster)
        ex.wait_for_workers(1)
        return ex
    if hasattr(cluster, "submit") and hasattr(cluster, "scatter"):  # a distributed.Client
        ex = DaskExecutor(cluster, None, f"the Dask cluster at {cluster.scheduler.address}", threads=1)
        return ex
    if isinstance(cluster, (InlineExecutor, DaskExecutor)):
        return cluster
    raise ClusterError(f"Unknown cluster {cluster!r}; give a scheduler address such as tcp://host:8786, or 'inline'.")


def is_lost_worker(exc: BaseException) -> bool:
    """True for the errors Dask gives when the worker running a task went away."""
    if type(exc).__name__ in ("KilledWorker", "CommClosedError", "StreamClosedError"):
        return True
    text = str(exc).lower()
    return "worker" in text and ("died" in text or "lost" in text)
