"""Audio sources (microphone, WAV file, synthetic) and small recording helpers.

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
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from workbench.core.errors import DataError, DeviceUnavailable

DEFAULT_SAMPLE_RATE = 16000


# ----------------------------------------------------------------------------- ring buffer
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
        chunks, total = [], 0
        with self.source:
            while total < self.max_samples and not self._stop.is_set():
                if should_cancel is not None and should_cancel():
                    break
                block = self.source.read(min(self.block, self.max_samples - total), timeout=0.5)
                if block is None:
                    break
                if block.size == 0:
                    continue
                chunks.append(block)
                total += block.size
                self.level = level_meter(block)
                if progress is not None:
                    progress(total, self.max_samples, f"{self.level.rms_db:.0f} dBFS")
        return np.concatenate(chunks) if chunks else np.zeros(0, np.float32)


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


# ----------------------------------------------------------------------------- helpers
@dataclass(frozen=True)
class Level:
    rms_db: float
    peak_db: float

    @property
    def clipped(self) -> bool:
        return self.peak_db >= -0.1


def _db(x: float) -> float:
    return float(20.0 * np.log10(max(x, 1e-6)))


def level_meter(block: np.ndarray) -> Level:
    """RMS and peak level of a block in dBFS (full scale sine peak = 0 dB, floor -120 dB)."""
    x = np.asarray(block, dtype=np.float32)
    if x.size == 0:
        return Level(-120.0, -120.0)
    return Level(_db(float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))), _db(float(np.max(np.abs(x)))))


def frame_rms_db(x: np.ndarray, frame: int) -> np.ndarray:
    n = x.shape[0] // frame
    if n == 0:
        return np.zeros(0)
    fr = x[: n * frame].reshape(n, frame).astype(np.float64)
    return 20 * np.log10(np.maximum(np.sqrt(np.mean(fr * fr, axis=1)), 1e-6))


def trim_silence(x: np.ndarray, sample_rate: int, *, threshold_db: float = -40.0, relative: bool = True,
                 pad_ms: float = 30.0, frame_ms: float = 10.0) -> np.ndarray:
    """Cut leading/trailing silence. With ``relative`` the threshold is below the loudest frame
    (robust to recording level); returns an empty array when everything is silent."""
    x = to_mono_float32(x)
    frame = max(1, int(sample_rate * frame_ms / 1000))
    db = frame_rms_db(x, frame)
    if db.size == 0:
        return x.copy()
    thr = (db.max() + threshold_db) if relative else threshold_db
    if relative:
        thr = max(thr, -70.0)  # pure digital silence never counts as sound
    loud = np.nonzero(db > thr)[0]
    if loud.size == 0:
        return np.zeros(0, np.float32)
    pad = int(sample_rate * pad_ms / 1000)
    a = max(0, loud[0] * frame - pad)
    b = min(x.shape[0], (loud[-1] + 1) * frame + pad)
    return x[a:b].copy()


def split_on_silence(x: np.ndarray, sample_rate: int, *, threshold_db: float = -35.0, min_gap_ms: float = 250.0,
                     min_len_ms: float = 150.0, pad_ms: float = 30.0) -> list[np.ndarray]:
    """Split a recording of several words said with pauses into one array per word."""
    x = to_mono_float32(x)
    frame = max(1, int(sample_rate * 0.01))
    db = frame_rms_db(x, frame)
    if db.size == 0:
        return []
    thr = max(db.max() + threshold_db, -70.0)
    loud = db > thr
    words, start, gap = [], None, 0
    min_gap = max(1, int(min_gap_ms / 10))
    for i, on in enumerate(np.append(loud, [False] * (min_gap + 1))):
        if on:
            if start is None:
                start = i
            gap = 0
        elif start is not None:
            gap += 1
            if gap >= min_gap:
                end = i - gap + 1
                if (end - start) * 10 >= min_len_ms:
                    pad = int(sample_rate * pad_ms / 1000)
                    words.append(x[max(0, start * frame - pad): min(x.shape[0], end * frame + pad)].copy())
                start, gap = None, 0
    return words


def to_mono_float32(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim == 2:
        x = x.mean(axis=1) if x.shape[1] <= 8 else x.mean(axis=0)
    if x.dtype == np.int16:
        return (x.astype(np.float32) / 32768.0)
    return np.ascontiguousarray(x, dtype=np.float32).reshape(-1)


def resample(x: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    """Band-limited resampling (scipy's polyphase filter; linear interpolation without scipy)."""
    x = to_mono_float32(x)
    if int(sr_from) == int(sr_to) or x.size == 0:
        return x.copy()
    try:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(int(sr_from), int(sr_to))
        return resample_poly(x, int(sr_to) // g, int(sr_from) // g).astype(np.float32)
    except ImportError:  # pragma: no cover - scipy ships with scikit-learn
        n = int(round(x.shape[0] * sr_to / sr_from))
        return np.interp(np.arange(n) * (sr_from / sr_to), np.arange(x.shape[0]), x).astype(np.float32)


def read_wav(path: str | Path, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """Read a PCM WAV (8/16/24/32-bit, any channels) as float32 mono; resample if asked."""
    path = Path(path)
    try:
        with wave.open(str(path), "rb") as w:
            ch, width, sr, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            raw = w.readframes(n)
    except FileNotFoundError:
        raise DataError(f"The WAV file {path} does not exist.") from None
    except (wave.Error, EOFError) as e:
        raise DataError(f"{path} is not a PCM WAV file the app can read ({e}); convert it to 16-bit PCM WAV.") from None
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        x = np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        x = v.astype(np.float32) / float(1 << 23)
    elif width == 4:
        x = np.frombuffer(raw, "<i4").astype(np.float32) / float(1 << 31)
    else:  # pragma: no cover
        raise DataError(f"{path}: unsupported sample width {width} bytes.")
    if ch > 1:
        x = x[: (x.shape[0] // ch) * ch].reshape(-1, ch).mean(axis=1)
    x = np.ascontiguousarray(x, dtype=np.float32)
    if sample_rate is not None and int(sample_rate) != sr:
        x, sr = resample(x, sr, int(sample_rate)), int(sample_rate)
    return x, int(sr)


def write_wav(path: str | Path, x: np.ndarray, sample_rate: int) -> Path:
    """Write float samples as 16-bit mono PCM (clipped to [-1, 1])."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = (np.clip(to_mono_float32(x), -1.0, 1.0) * 32767.0).round().astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
    return path


# ----------------------------------------------------------------------------- noise
NOISE_KINDS = ("white", "pink", "brown", "hum", "babble")


def _coloured(n: int, rng: np.random.Generator, exponent: float) -> np.ndarray:
    """Gaussian noise with power spectrum ~ 1/f**exponent (shaped in the frequency domain)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spec.shape[0], dtype=np.float64)
    f[0] = 1.0
    spec = spec / f ** (exponent / 2.0)
    spec[0] = 0.0
    return np.fft.irfft(spec, n)


def make_noise(kind: str, seconds: float, sample_rate: int = DEFAULT_SAMPLE_RATE, *, level: float = 0.05,
               rng: np.random.Generator | int | None = None, speech: list[np.ndarray] | None = None) -> np.ndarray:
    """Background noise with RMS ``level``: white, pink (1/f), brown (1/f^2), mains ``hum``
    (50/60 Hz with harmonics over faint pink), or ``babble`` (many overlapping talkers, made from
    ``speech`` snippets when given, else from formant-like filtered pulses)."""
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    n = max(1, int(round(seconds * sample_rate)))
    if kind == "white":
        x = rng.standard_normal(n)
    elif kind == "pink":
        x = _coloured(n, rng, 1.0)
    elif kind == "brown":
        x = _coloured(n, rng, 2.0)
    elif kind == "hum":
        t = np.arange(n) / sample_rate
        f0 = float(rng.choice([50.0, 60.0]))
        x = sum((0.6 ** k) * np.sin(2 * np.pi * f0 * (k + 1) * t + rng.uniform(0, 2 * np.pi)) for k in range(6))
        p = _coloured(n, rng, 1.0)
        x = x / np.std(x) + 0.2 * p / max(1e-9, np.std(p))
    elif kind == "babble":
        x = np.zeros(n)
        if speech:
            for _ in range(8):
                s = to_mono_float32(speech[int(rng.integers(len(speech)))]).astype(np.float64)
                if s.size == 0:
                    continue
                s = s / max(1e-9, np.std(s))
                reps = int(np.ceil(n / s.size)) + 1
                track = np.tile(s, reps)
                off = int(rng.integers(s.size))
                x += track[off:off + n] * rng.uniform(0.5, 1.0)
        else:
            t = np.arange(n, dtype=np.float32) / np.float32(sample_rate)
            for _ in range(8):
                # a crude talker: glottal pulse train with wandering pitch, gated by a syllable envelope
                f0 = rng.uniform(90, 250) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.2, 1.0) * t))
                phase = np.cumsum(f0, dtype=np.float64) / sample_rate
                pulses = np.sign(np.sin(2 * np.pi * (phase % 1.0)))
                env = np.clip(np.sin(2 * np.pi * rng.uniform(2, 5) * t + rng.uniform(0, 6.3)), 0, None)
                x += pulses * env
            x = _smooth(x, max(1, sample_rate // 4000)) + 0.05 * _coloured(n, rng, 1.0)
    else:
        raise DataError(f"Unknown noise kind {kind!r}; choose one of {', '.join(NOISE_KINDS)}.")
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean()
    std = np.std(x)
    if std > 0:
        x = x * (level / std)
    return x.astype(np.float32)


def _smooth(x: np.ndarray, k: int) -> np.ndarray:
    if k <= 1:
        return x
    return np.convolve(x, np.ones(k) / k, mode="same")
