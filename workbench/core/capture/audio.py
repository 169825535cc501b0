"""Audio sources (microphone, WAV file, synthetic), the recorder and playback.

Every source yields blocks of float32 mono samples in [-1, 1] at ``source.sample_rate``::

    with open_microphone(sample_rate=16000) as mic:
        for block in mic.blocks(1600):   # 0.1 s blocks, forever
            ...

    with WavFileSource("words.wav") as src:  # same interface; ends with None / StopIteration
        x = src.read(16000)

The microphone's PortAudio callback only copies into a preallocated :class:`RingBuffer`
(no allocation, no logging, no model calls in the callback: anything slower makes audio drop
out). ``sounddevice`` is imported lazily so the app starts without PortAudio; a missing
library or device raises :class:`~workbench.core.errors.DeviceUnavailable` with what to do.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from workbench.core.audio import DEFAULT_SAMPLE_RATE
from workbench.core.audio.dsp import Level, level_meter, to_mono_float32
from workbench.core.audio.noise import NOISE_KINDS, make_noise
from workbench.core.audio.wav import read_wav
from workbench.core.capture.ringbuffer import RingBuffer
from workbench.core.errors import DataError, DeviceUnavailable



class AudioSource:
    """Base class: float32 mono blocks at ``sample_rate``.

    Subclasses implement ``_start``, ``_read(n, timeout)`` and ``_stop``. ``read`` returns at most
    ``n`` samples, or ``None`` when a finite source is exhausted. Live sources (microphone,
    ``realtime=True`` files) block until the samples exist.
    """

    name: str = "audio"
    is_live: bool = False

    def __init__(self, sample_rate: int = DEFAULT_SAMPLE_RATE, block_size: int = 1024):
        self.sample_rate = int(sample_rate)
        self.block_size = int(block_size)
        self._running = False

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> "AudioSource":
        if not self._running:
            self._start()
            self._running = True
        return self

    def stop(self) -> None:
        if self._running:
            self._running = False
            self._stop()

    close = stop

    def read(self, n: int | None = None, timeout: float | None = None) -> np.ndarray | None:
        if not self._running:
            self.start()
        return self._read(int(n or self.block_size), timeout)

    def blocks(self, n: int | None = None) -> Iterator[np.ndarray]:
        """Iterate over blocks of ``n`` samples (the last one may be shorter) until the end."""
        while True:
            block = self.read(n)
            if block is None:
                return
            if block.size:
                yield block

    def __iter__(self) -> Iterator[np.ndarray]:
        return self.blocks()

    def __enter__(self) -> "AudioSource":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- subclass hooks
    def _start(self) -> None: ...

    def _stop(self) -> None: ...

    def _read(self, n: int, timeout: float | None) -> np.ndarray | None:  # pragma: no cover
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} {self.sample_rate} Hz>"


class ArrayAudioSource(AudioSource):
    """Streams a numpy array; ``realtime=True`` paces reads to the wall clock (like a device)."""

    def __init__(self, samples: np.ndarray, sample_rate: int = DEFAULT_SAMPLE_RATE, *, realtime: bool = False,
                 block_size: int = 1024, loop: bool = False, name: str = "array"):
        super().__init__(sample_rate, block_size)
        self.samples = to_mono_float32(samples)
        self.realtime = bool(realtime)
        self.is_live = self.realtime
        self.loop = bool(loop)
        self.name = name
        self.position = 0
        self._t0 = 0.0

    @property
    def duration(self) -> float:
        return self.samples.shape[0] / self.sample_rate

    def _start(self) -> None:
        self.position = 0
        self._t0 = time.monotonic()

    def _read(self, n: int, timeout: float | None) -> np.ndarray | None:
        total = self.samples.shape[0]
        if total == 0 or (self.position >= total and not self.loop):
            return None
        if self.realtime:
            # the device clock: samples exist only once their time has passed
            due = self._t0 + (self.position + n) / self.sample_rate
            wait = due - time.monotonic()
            if timeout is not None and wait > timeout:
                time.sleep(max(0.0, timeout))
                return np.zeros(0, np.float32)
            if wait > 0:
                time.sleep(wait)
        if self.loop:
            idx = (self.position + np.arange(n)) % total
            out = self.samples[idx]
        else:
            out = self.samples[self.position:self.position + n].copy()
        self.position += out.shape[0]
        return out


class WavFileSource(ArrayAudioSource):
    """A WAV file as an audio source (resampled to ``sample_rate`` when given)."""

    def __init__(self, path: str | Path, *, realtime: bool = False, block: int = 1024,
                 sample_rate: int | None = None, loop: bool = False):
        x, sr = read_wav(path, sample_rate)
        super().__init__(x, sr, realtime=realtime, block_size=block, loop=loop, name=Path(path).name)
        self.path = Path(path)


class SyntheticAudioSource(AudioSource):
    """Generated audio for tests and demos without a microphone.

    ``kind`` is one of ``white``, ``pink``, ``brown``, ``hum``, ``tone``, ``silence``;
    ``duration=None`` streams forever. ``events`` is an optional list of ``(time_s, samples)``
    mixed in at the given times (e.g. a word at 2.5 s) so tests know exactly where things are.
    """

    def __init__(self, kind: str = "pink", *, sample_rate: int = DEFAULT_SAMPLE_RATE, level: float = 0.05,
                 duration: float | None = None, seed: int = 0, realtime: bool = False, block_size: int = 1024,
                 frequency: float = 440.0, events: list[tuple[float, np.ndarray]] | None = None):
        super().__init__(sample_rate, block_size)
        if kind not in NOISE_KINDS and kind not in ("tone", "silence"):
            raise DataError(f"Unknown synthetic audio kind {kind!r}; choose one of "
                            f"{', '.join(NOISE_KINDS + ('tone', 'silence'))}.")
        self.kind = kind
        self.level = float(level)
        self.duration = duration
        self.seed = int(seed)
        self.realtime = bool(realtime)
        self.is_live = self.realtime
        self.frequency = float(frequency)
        self.events = [(float(t), to_mono_float32(s)) for t, s in (events or [])]
        self.name = f"synthetic {kind}"
        self.position = 0
        self._rng = np.random.default_rng(self.seed)
        self._state = np.zeros(0)
        self._t0 = 0.0

    def _start(self) -> None:
        self.position = 0
        self._rng = np.random.default_rng(self.seed)
        self._t0 = time.monotonic()

    def _read(self, n: int, timeout: float | None) -> np.ndarray | None:
        if self.duration is not None:
            total = int(round(self.duration * self.sample_rate))
            n = min(n, total - self.position)
            if n <= 0:
                return None
        if self.realtime:
            wait = self._t0 + (self.position + n) / self.sample_rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        start = self.position
        if self.kind == "silence":
            out = np.zeros(n, np.float32)
        elif self.kind == "tone":
            t = (start + np.arange(n)) / self.sample_rate
            out = (self.level * np.sin(2 * np.pi * self.frequency * t)).astype(np.float32)
        else:
            # blocks are generated independently; the colouring filters are short enough that
            # block seams are inaudible at the sizes we use
            out = make_noise(self.kind, n / self.sample_rate, self.sample_rate, level=self.level, rng=self._rng)[:n]
            if out.shape[0] < n:
                out = np.pad(out, (0, n - out.shape[0]))
        for t, s in self.events:
            a = int(round(t * self.sample_rate))
            lo, hi = max(a, start), min(a + s.shape[0], start + n)
            if lo < hi:
                out[lo - start:hi - start] += s[lo - a:hi - a]
        self.position += n
        return out


@dataclass(frozen=True)
class InputDevice:
    index: int
    name: str
    channels: int
    default_sample_rate: float
    is_default: bool


def _sounddevice():
    """Import sounddevice, turning a missing PortAudio into a clear DeviceUnavailable."""
    try:
        import sounddevice as sd  # noqa: PLC0415 - lazy on purpose
    except OSError as e:
        raise DeviceUnavailable(
            "The PortAudio library is not installed, so the microphone and playback are unavailable "
            "(install it: 'sudo apt-get install libportaudio2' on Debian/Ubuntu; it ships with the "
            f"sounddevice wheel on Windows/macOS). You can still work with WAV files. ({e})") from None
    except ImportError as e:
        raise DeviceUnavailable(
            "The 'sounddevice' package is not installed, so the microphone and playback are unavailable "
            f"(pip install sounddevice). You can still work with WAV files. ({e})") from None
    return sd


def list_input_devices() -> list[InputDevice]:
    """Input devices PortAudio knows. Raises DeviceUnavailable when PortAudio is missing."""
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
        default_in = sd.default.device[0] if sd.default.device is not None else -1
    except Exception as e:  # PortAudioError on broken setups
        raise DeviceUnavailable(f"Could not list audio devices: {e}") from None
    out = []
    for i, d in enumerate(devices):
        if int(d.get("max_input_channels", 0)) > 0:
            out.append(InputDevice(i, str(d.get("name", f"device {i}")), int(d["max_input_channels"]),
                                   float(d.get("default_samplerate", 0.0)), i == default_in))
    return out


class MicrophoneSource(AudioSource):
    """The microphone through sounddevice/PortAudio.

    The callback copies channel 0 into a preallocated ring buffer (``buffer_seconds`` long) and
    nothing else. ``read(n)`` blocks until ``n`` samples arrived (or ``timeout`` passes, returning
    what is there). ``latest(n)`` gives the newest ``n`` samples for meters and live inference.
    """

    is_live = True

    def __init__(self, device: int | str | None = None, *, sample_rate: int = DEFAULT_SAMPLE_RATE,
                 block_size: int = 512, buffer_seconds: float = 20.0):
        super().__init__(sample_rate, block_size)
        self.device = device
        self.ring = RingBuffer(int(buffer_seconds * sample_rate))
        self.status_flags = 0  # count of callbacks that reported an over/underflow
        self._stream = None
        self.name = "microphone" if device is None else f"microphone {device}"

    def _callback(self, indata, frames, time_info, status) -> None:
        # only copies: anything slower here makes audio drop out
        if status:
            self.status_flags += 1
        self.ring.write(indata[:, 0])

    def _start(self) -> None:
        sd = _sounddevice()
        if not list_input_devices():
            raise DeviceUnavailable(
                "No microphone was found (PortAudio lists no input device). Plug one in or check the "
                "system's sound settings; meanwhile you can import WAV files or use the bundled demo set.")
        self.ring.clear()
        try:
            self._stream = sd.InputStream(device=self.device, channels=1, samplerate=self.sample_rate,
                                          blocksize=self.block_size, dtype="float32", callback=self._callback)
            self._stream.start()
        except Exception as e:  # PortAudioError, ValueError for a bad device/sample rate
            self._stream = None
            raise DeviceUnavailable(f"Could not open the microphone ({e}). Choose another device or sample "
                                    "rate, or work with WAV files.") from None

    def _stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:  # closing a vanished device must not crash the app
                pass

    def _read(self, n: int, timeout: float | None) -> np.ndarray | None:
        self.ring.wait(n, timeout)
        return self.ring.read(n)

    def latest(self, n: int) -> np.ndarray:
        return self.ring.latest(n)


def open_microphone(device: int | str | None = None, sample_rate: int = DEFAULT_SAMPLE_RATE, *,
                    block_size: int = 512, buffer_seconds: float = 20.0, start: bool = True) -> MicrophoneSource:
    """Open (and by default start) the microphone; raises DeviceUnavailable with what to do."""
    mic = MicrophoneSource(device, sample_rate=sample_rate, block_size=block_size, buffer_seconds=buffer_seconds)
    if start:
        mic.start()
    return mic


def read_samples(source: AudioSource, n: int, block: int, *, stop: Callable[[], bool] | None = None,
                 on_block: Callable[[np.ndarray, int], None] | None = None) -> np.ndarray:
    """Up to ``n`` samples from an open ``source``, read ``block`` samples at a time, in one array;
    fewer when the source ends or ``stop()`` becomes true. ``on_block(block, samples so far)`` sees
    every non-empty block (level meters, progress)."""
    parts, have = [], 0
    while have < n:
        if stop is not None and stop():
            break
        b = source.read(min(block, n - have), timeout=0.5)
        if b is None:
            break
        if b.size == 0:
            continue
        parts.append(b)
        have += b.size
        if on_block is not None:
            on_block(b, have)
    return np.concatenate(parts)[:n] if parts else np.zeros(0, np.float32)


class Recorder:
    """Collects a live source's blocks into one array (the panel runs ``run`` in a worker).

    ``level`` holds the newest block's :class:`Level` for the meter; ``stop()`` ends the recording.
    """

    def __init__(self, source: AudioSource, max_seconds: float = 60.0, block: int | None = None):
        self.source = source
        self.max_samples = int(max_seconds * source.sample_rate)
        self.block = int(block or max(1, source.sample_rate // 20))
        self._stop = threading.Event()
        self.level = Level(-120.0, -120.0)

    def stop(self) -> None:
        self._stop.set()

    def run(self, progress: Callable | None = None, should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
        def stop() -> bool:
            return self._stop.is_set() or (should_cancel is not None and should_cancel())

        def on_block(block: np.ndarray, total: int) -> None:
            self.level = level_meter(block)
            if progress is not None:
                progress(total, self.max_samples, f"{self.level.rms_db:.0f} dBFS")

        with self.source:
            return read_samples(self.source, self.max_samples, self.block, stop=stop, on_block=on_block)


# ----------------------------------------------------------------------------- playback
def play(samples: np.ndarray, sample_rate: int, *, blocking: bool = False) -> None:
    """Play through the default output; DeviceUnavailable when there is none."""
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
        if not any(int(d.get("max_output_channels", 0)) > 0 for d in devices):
            raise DeviceUnavailable("No audio output device was found, so the clip cannot be played. "
                                    "Save it as a WAV file and play it elsewhere.")
        sd.play(to_mono_float32(samples), int(sample_rate), blocking=blocking)
    except DeviceUnavailable:
        raise
    except Exception as e:
        raise DeviceUnavailable(f"Could not play audio ({e}).") from None


def stop_playback() -> None:
    try:
        _sounddevice().stop()
    except Exception:
        pass


