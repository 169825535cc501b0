"""The one image reader and the one sound reader (workbench.core.media) and the rule that nothing
else decodes images or sounds: FIFOs, device links, huge headers and damaged WAV headers are one
sentence, at once, on every path that reads a picture or a sound."""
from __future__ import annotations

import ast
import os
import pathlib
import struct
import wave
import zlib

import numpy as np
import pytest

from workbench.core.errors import DataError
from workbench.core import media

ROOT = pathlib.Path(__file__).resolve().parents[1] / "workbench"
READERS = {ROOT / "core" / "media.py"}
# the stand-alone predict.py written beside an export runs without Workbench installed: it is text
# inside export.py (a string), which the AST walk below does not see


def _decoder_calls(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            name = f"{node.value.id}.{node.attr}"
            if name in ("cv2.imread", "cv2.imdecode", "wave.open", "np.fromfile", "numpy.fromfile", "Image.open",
                        "imageio.imread", "iio.imread") \
                    or node.value.id in ("soundfile", "sf") and node.attr in ("read", "SoundFile", "blocks"):
                found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} {name}")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(m.split(".")[0] in ("soundfile", "librosa", "audioread") for m in mods):  # (PIL may encode GIFs)
                found.append(f"{path.relative_to(ROOT.parent)}:{node.lineno} import {mods}")
    return found


def test_no_module_outside_the_readers_decodes_images_or_sounds():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        if path not in READERS:
            offenders += _decoder_calls(path)
    assert not offenders, "decode through workbench.core.media instead:\n" + "\n".join(offenders)


def png(path, w, h):
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def wav_with_rate(path, rate):
    import io

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:  # a valid file, then its header's rate is overwritten
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000), w.writeframes(b"\x00\x00" * 100)
    data = bytearray(buf.getvalue())
    data[24:28] = struct.pack("<I", rate)
    path.write_bytes(bytes(data))


def test_image_reader_refuses_fifo_device_huge_header_and_garbage(tmp_path):
    os.mkfifo(tmp_path / "x.png")
    os.symlink("/dev/urandom", tmp_path / "u.png")
    png(tmp_path / "huge.png", 50000, 50000)
    (tmp_path / "junk.png").write_bytes(b"\x89PNG not really")
    (tmp_path / "empty.png").write_bytes(b"")
    for name, words in (("x.png", "pipe"), ("u.png", "device"), ("huge.png", "50000x50000"),
                        ("junk.png", "image"), ("empty.png", "empty"), ("missing.png", "does not exist")):
        with pytest.raises(DataError) as e:
            media.read_image(tmp_path / name)
        assert words in str(e.value) and "\n" not in str(e.value), (name, str(e.value))


def test_image_reader_reads_the_usual_kinds(tmp_path):
    import cv2

    img = (np.arange(12 * 10 * 3) % 255).astype(np.uint8).reshape(12, 10, 3)
    for ext in (".png", ".jpg", ".bmp", ".webp"):
        ok, buf = cv2.imencode(ext, img)
        (tmp_path / f"a{ext}").write_bytes(buf.tobytes())
        assert media.image_header_size(buf.tobytes()) == (10, 12), ext
        out = media.read_image(tmp_path / f"a{ext}")
        assert out.shape == (12, 10, 3) and out.dtype == np.uint8


def test_sound_reader_refuses_bad_headers_and_fifos(tmp_path):
    wav_with_rate(tmp_path / "rate0.wav", 0)
    wav_with_rate(tmp_path / "rate_huge.wav", 4_000_000_000)
    os.mkfifo(tmp_path / "f.wav")
    os.symlink("/dev/urandom", tmp_path / "u.wav")
    (tmp_path / "t.wav").write_bytes(b"RIFF....WAVEjunk")
    for name, words in (("rate0.wav", "sample rate is 0"), ("rate_huge.wav", "sample rate"), ("f.wav", "pipe"),
                        ("u.wav", "device"), ("t.wav", "WAV")):
        with pytest.raises(DataError) as e:
            media.read_sound(tmp_path / name)
        assert words in str(e.value), (name, str(e.value))
    from workbench.core.audio.wav import read_wav, write_wav

    write_wav(tmp_path / "ok.wav", np.sin(np.arange(1600) / 5.0), 16000)
    x, sr = read_wav(tmp_path / "ok.wav", 8000)
    assert sr == 8000 and 790 <= len(x) <= 810


def test_every_entry_point_refuses_a_fifo_and_a_huge_header_at_once(tmp_path):
    """predict, capture import, faces, style transfer, detection folders, CSV tables, data import."""
    from workbench.core.capture.camera import read_image_rgb
    from workbench.core.capture.dataset import CaptureSet
    from workbench.core.data.csvfile import read_csv_file
    from workbench.core.studies.faces.detect import read_image as faces_read
    from workbench.core.studies.style_transfer.images import load_image

    os.mkfifo(tmp_path / "x.png")
    png(tmp_path / "huge.png", 50000, 50000)
    os.mkfifo(tmp_path / "t.csv")
    os.symlink("/dev/urandom", tmp_path / "u.csv")
    for bad in ("x.png", "huge.png"):
        assert read_image_rgb(tmp_path / bad) is None
        for reader in (faces_read, load_image):
            with pytest.raises(DataError):
                reader(tmp_path / bad)
    for bad in ("t.csv", "u.csv"):
        with pytest.raises(DataError, match="regular file"):
            read_csv_file(tmp_path / bad)
    cap = CaptureSet.create(tmp_path / "proj", "mine", "image")
    cls = cap.add_class("a")
    added, skipped = cap.import_files(cls, [tmp_path / "x.png", tmp_path / "huge.png"])
    assert added == [] and len(skipped) == 2 and all("\n" not in why for _, why in skipped)
