"""A preallocated single-producer ring buffer of float32 samples (the PortAudio callback only copies into it)."""
from __future__ import annotations

import threading
import time

import numpy as np


class RingBuffer:
    """Single-producer / single-consumer float32 ring buffer.

    ``write`` (the audio callback) copies into preallocated storage with at most two
    ``np.copyto`` calls and never allocates sample memory. When the consumer falls behind the
    oldest unread samples are overwritten and counted in ``overruns`` (dropping old audio is the
    right choice for live detection: the newest audio matters). The lock is held only for the
    few index updates, so the callback never waits on a slow reader.
    """

    def __init__(self, capacity: int):
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self.capacity = int(capacity)
        self._buf = np.zeros(self.capacity, dtype=np.float32)
        self._lock = threading.Lock()
        self._written = 0  # total samples ever written
        self._read = 0  # total samples ever consumed by read()
        self.overruns = 0  # samples lost because the reader was too slow
        self._ready = threading.Event()

    @property
    def total_written(self) -> int:
        return self._written

    def available(self) -> int:
        """Unread samples."""
        return self._written - self._read

    def write(self, data: np.ndarray) -> None:
        n = int(data.shape[0])
        if n == 0:
            return
        if n > self.capacity:  # only the newest ``capacity`` samples can be kept
            data = data[n - self.capacity:]
            skipped = n - self.capacity
            n = self.capacity
        else:
            skipped = 0
        with self._lock:
            start = (self._written + skipped) % self.capacity
            first = min(n, self.capacity - start)
            np.copyto(self._buf[start:start + first], data[:first], casting="unsafe")
            if first < n:
                np.copyto(self._buf[: n - first], data[first:], casting="unsafe")
            self._written += n + skipped
            lost = self._written - self._read - self.capacity
            if lost > 0:
                self.overruns += lost
                self._read += lost
        self._ready.set()

    def read(self, n: int) -> np.ndarray:
        """Consume up to ``n`` unread samples (oldest first); returns a new array (maybe shorter)."""
        with self._lock:
            n = min(int(n), self._written - self._read)
            out = self._copy_range(self._read, n)
            self._read += n
            if self._written == self._read:
                self._ready.clear()
        return out

    def latest(self, n: int) -> np.ndarray:
        """A copy of the newest ``n`` samples (zero-padded in front if fewer were written).
        Does not consume anything."""
        n = min(int(n), self.capacity)
        with self._lock:
            have = min(n, self._written)
            out = self._copy_range(self._written - have, have)
        if have < n:
            out = np.concatenate([np.zeros(n - have, np.float32), out])
        return out

    def wait(self, n: int, timeout: float | None) -> bool:
        """Block until ``n`` samples are unread (True) or the timeout passes (False)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.available() < n:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            self._ready.clear()
            if self.available() >= n:
                return True
            self._ready.wait(0.05 if remaining is None else min(0.05, remaining))
        return True

    def clear(self) -> None:
        with self._lock:
            self._read = self._written
            self._ready.clear()

    def _copy_range(self, start_total: int, n: int) -> np.ndarray:
        out = np.empty(n, dtype=np.float32)
        if n == 0:
            return out
        s = start_total % self.capacity
        first = min(n, self.capacity - s)
        out[:first] = self._buf[s:s + first]
        if first < n:
            out[first:] = self._buf[: n - first]
        return out


# ----------------------------------------------------------------------------- sources
