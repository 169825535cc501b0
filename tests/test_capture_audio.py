"""Audio sources, ring buffer, WAV I/O and the missing-device paths."""
import sys
import threading

import numpy as np
import pytest

from workbench.core.capture import audio
from workbench.core.audio.dsp import level_meter, resample, split_on_silence, trim_silence
from workbench.core.audio.noise import NOISE_KINDS, make_noise
from workbench.core.audio.wav import read_wav, write_wav
from workbench.core.capture.audio import ArrayAudioSource, AudioSource, MicrophoneSource, SyntheticAudioSource, WavFileSource, open_microphone
from workbench.core.capture.ringbuffer import RingBuffer
from workbench.core.errors import DataError, DeviceUnavailable


def test_ring_buffer_fifo_wraps_and_counts_overruns():
    rb = RingBuffer(10)
    rb.write(np.arange(6, dtype=np.float32))
    assert rb.available() == 6
    assert rb.read(4).tolist() == [0, 1, 2, 3]
    rb.write(np.arange(6, 12, dtype=np.float32))  # wraps around the end of storage
    assert rb.read(100).tolist() == [4, 5, 6, 7, 8, 9, 10, 11]
    rb.write(np.arange(100, 115, dtype=np.float32))  # more than capacity: oldest dropped
    assert rb.overruns == 5
    assert rb.read(100).tolist() == list(range(105, 115))
    assert rb.latest(3).tolist() == [112, 113, 114]
    assert rb.latest(12).shape == (10,)
    fresh = RingBuffer(5)
    fresh.write(np.ones(2, np.float32))
    assert fresh.latest(4).tolist() == [0, 0, 1, 1]


def test_ring_buffer_write_does_not_allocate_samples():
    rb = RingBuffer(1000)
    storage = rb._buf
    block = np.ones((256, 1), np.float32)
    for _ in range(20):
        rb.write(block[:, 0])
    assert rb._buf is storage  # same preallocated array
    assert rb.total_written == 20 * 256


def test_ring_buffer_producer_consumer_threads_keep_order():
    rb = RingBuffer(1 << 15)
    n_blocks, block = 200, 64

    def produce():
        for i in range(n_blocks):
            rb.write(np.arange(i * block, (i + 1) * block, dtype=np.float32))

    t = threading.Thread(target=produce)
    t.start()
    got = []
    while sum(g.size for g in got) < n_blocks * block:
        assert rb.wait(1, timeout=5.0)
        got.append(rb.read(500))
    t.join()
    allv = np.concatenate(got)
    assert rb.overruns == 0
    assert np.array_equal(allv, np.arange(n_blocks * block, dtype=np.float32))


def test_wav_round_trip_and_resample(tmp_path):
    sr = 16000
    t = np.arange(sr) / sr
    x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    p = write_wav(tmp_path / "a.wav", x, sr)
    y, sr2 = read_wav(p)
    assert sr2 == sr and y.dtype == np.float32 and y.shape == x.shape
    assert np.max(np.abs(x - y)) < 1e-4
    z, sr3 = read_wav(p, 8000)
    assert sr3 == 8000 and abs(z.shape[0] - 8000) <= 1
    # still a 440 Hz tone after resampling
    spec = np.abs(np.fft.rfft(z))
    assert abs(np.argmax(spec) * 8000 / z.shape[0] - 440) < 3
    assert resample(x, sr, sr).shape == x.shape


def test_read_wav_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        read_wav(tmp_path / "missing.wav")
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav at all")
    with pytest.raises(DataError, match="PCM WAV"):
        read_wav(bad)


def test_wav_file_source_blocks_and_end(tmp_path):
    x = np.linspace(-0.5, 0.5, 5000).astype(np.float32)
    p = write_wav(tmp_path / "b.wav", x, 16000)
    with WavFileSource(p, block=1024) as src:
        assert isinstance(src, AudioSource) and src.sample_rate == 16000 and src.name == "b.wav"
        blocks = list(src.blocks())
        assert src.read(10) is None
    assert [b.size for b in blocks] == [1024] * 4 + [904]
    assert np.allclose(np.concatenate(blocks), x, atol=1e-4)


def test_synthetic_source_events_and_duration():
    word = np.ones(100, np.float32)
    src = SyntheticAudioSource("silence", duration=1.0, events=[(0.5, word)])
    out = np.concatenate(list(src.blocks(300)))
    assert out.shape == (16000,)
    assert np.nonzero(out)[0].tolist() == list(range(8000, 8100))
    with pytest.raises(DataError):
        SyntheticAudioSource("purple")


@pytest.mark.parametrize("kind", NOISE_KINDS)
def test_noise_kinds_have_requested_level(kind):
    x = make_noise(kind, 1.0, 16000, level=0.1, rng=1)
    assert x.shape == (16000,) and x.dtype == np.float32
    assert abs(np.sqrt(np.mean(x ** 2)) - 0.1) < 1e-3


def test_noise_colours_slope():
    def low_high_ratio(x):
        p = np.abs(np.fft.rfft(x)) ** 2
        return p[10:200].mean() / p[4000:6000].mean()

    w, pk, br = (make_noise(k, 2.0, 16000, rng=0) for k in ("white", "pink", "brown"))
    assert low_high_ratio(w) < 2 < low_high_ratio(pk) < low_high_ratio(br)


def test_level_meter_and_trim():
    sr = 16000
    assert level_meter(np.zeros(10)).rms_db == -120.0
    sine = np.sin(2 * np.pi * 100 * np.arange(sr) / sr).astype(np.float32)
    lv = level_meter(sine)
    assert abs(lv.peak_db) < 0.01 and abs(lv.rms_db + 3.01) < 0.05
    x = np.concatenate([np.zeros(8000), 0.3 * sine[:4000], np.zeros(8000)]).astype(np.float32)
    y = trim_silence(x, sr, pad_ms=0)
    assert abs(y.size - 4000) <= 160
    assert trim_silence(np.zeros(1000), sr).size == 0
    words = split_on_silence(np.concatenate([x, x]), sr)
    assert len(words) == 2


def test_array_source_loop():
    src = ArrayAudioSource(np.arange(5, dtype=np.float32), 10, loop=True)
    assert src.read(12).tolist() == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1]


# ---------------------------------------------------------------- missing devices / library
def test_no_input_device_gives_clear_message(monkeypatch):
    class FakeSD:
        @staticmethod
        def query_devices():
            return []

        class default:
            device = (-1, -1)

    monkeypatch.setattr(audio, "_sounddevice", lambda: FakeSD)
    with pytest.raises(DeviceUnavailable, match="No microphone"):
        open_microphone()
    with pytest.raises(DeviceUnavailable, match="No audio output"):
        audio.play(np.zeros(10), 16000)


def test_missing_portaudio_raises_device_unavailable(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *a, **k):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *a, **k)

    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(DeviceUnavailable, match="PortAudio"):
        open_microphone()
    with pytest.raises(DeviceUnavailable, match="PortAudio"):
        audio.list_input_devices()


def test_missing_sounddevice_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "sounddevice", None)
    with pytest.raises(DeviceUnavailable, match="sounddevice"):
        MicrophoneSource().start()


def test_microphone_callback_only_copies_into_ring():
    mic = MicrophoneSource(sample_rate=16000, buffer_seconds=0.1)
    block = np.arange(512, dtype=np.float32).reshape(-1, 1)
    mic._callback(block, 512, None, 0)
    mic._callback(block, 512, None, 1)
    assert mic.status_flags == 1
    assert mic.ring.available() == 1024
    assert mic._read(512, timeout=0).tolist() == list(range(512))
    assert mic.latest(2).tolist() == [510, 511]


def test_microphone_with_fake_stream(monkeypatch):
    """The whole open -> callback -> read -> close path with a stand-in PortAudio stream."""
    class FakeStream:
        def __init__(self, callback, blocksize, **kw):
            self.cb, self.bs, self.closed = callback, blocksize, False

        def start(self):
            for i in range(4):
                self.cb(np.full((self.bs, 1), i, np.float32), self.bs, None, 0)

        def stop(self):
            pass

        def close(self):
            self.closed = True

    class FakeSD:
        InputStream = FakeStream

        @staticmethod
        def query_devices():
            return [{"name": "fake mic", "max_input_channels": 1, "max_output_channels": 0,
                     "default_samplerate": 16000.0}]

        class default:
            device = (0, -1)

    monkeypatch.setattr(audio, "_sounddevice", lambda: FakeSD)
    devs = audio.list_input_devices()
    assert devs[0].name == "fake mic" and devs[0].is_default
    with open_microphone(block_size=100) as mic:
        x = mic.read(300, timeout=1.0)
        stream = mic._stream
    assert x.tolist() == [0.0] * 100 + [1.0] * 100 + [2.0] * 100
    assert stream.closed and not mic.running
