"""The one image reader and the one sound reader: every path that reads a picture or a sound file
(data import, predict, capture import, faces, detection folders, trigger-word material, style
transfer) goes through here, and a test fails if another module decodes images or sounds itself.

Each read: opens without blocking and checks that the path is a regular file (a FIFO named
``x.png`` or a link to ``/dev/urandom`` is refused at once instead of hanging), checks the size
before reading, reads a bounded number of bytes, checks the header (a PNG that claims 50000x50000,
a WAV with sample rate 0) before decoding, and turns every failure into a ``DataError`` sentence.
``read_regular_bytes`` is the same guarded read for other file kinds (CSV tables, text).
"""
from __future__ import annotations

import io
import os
import stat
import struct
from pathlib import Path

import numpy as np

from workbench import MAX_IMAGE_PIXELS
from workbench.core.errors import DataError

MAX_IMAGE_BYTES = 512 * 1024**2
MAX_SOUND_BYTES = 2 * 1024**3
MAX_TABLE_BYTES = 4 * 1024**3
MAX_SAMPLE_RATE = 768_000
MAX_CHANNELS = 64


def opencv():
    """The cv2 module, or DeviceUnavailable saying what to install (imported here, when first used)."""
    try:
        import cv2
    except ImportError as e:  # pragma: no cover - cv2 is a dependency, but say what to do
        from workbench.core.errors import DeviceUnavailable

        raise DeviceUnavailable(
            "OpenCV is not installed, so images, cameras and video files cannot be read; "
            "install it with: pip install 'opencv-python-headless<5'"
        ) from e
    return cv2


def to_rgb(frame: np.ndarray, cv2) -> np.ndarray:
    """BGR / gray / BGRA from OpenCV -> contiguous RGB uint8."""
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2RGB)
    elif frame.shape[2] == 4:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2RGB)
    else:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    if frame.dtype != np.uint8:
        # 16-bit images: scale to 8 bit rather than clip
        frame = (frame.astype(np.float32) / max(1.0, float(frame.max())) * 255).astype(np.uint8)
    return np.ascontiguousarray(frame)


class UnreadableFile(DataError):
    """A file that is not there, not a regular file, too large, or not in a format we read."""


def os_error_sentence(e: OSError, path, what: str = "file") -> str:
    """One sentence for an OSError on ``path`` (permission, missing, full disk, read-only, ...)."""
    from workbench.core.oserrors import describe

    return describe(e, path, what)


def _open_regular(path, what: str, max_bytes: int):
    """(binary file object, size) of a regular file, opened without blocking on a FIFO."""
    p = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(p, flags)
    except OSError as e:
        raise UnreadableFile(os_error_sentence(e, p, what)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = "a folder" if stat.S_ISDIR(st.st_mode) else "a pipe" if stat.S_ISFIFO(st.st_mode) else \
                "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file"
            raise UnreadableFile(f"The {what} {str(p)!r} is {kind}, not a regular file; choose a file.")
        if st.st_size > max_bytes:
            raise UnreadableFile(f"The {what} {str(p)!r} is {st.st_size / 1024**2:,.0f} MB, more than the "
                                 f"{max_bytes / 1024**2:,.0f} MB Workbench reads; use a smaller file.")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb"), int(st.st_size)
    except BaseException:
        os.close(fd)
        raise


def read_regular_bytes(path, what: str = "file", max_bytes: int = MAX_TABLE_BYTES) -> bytes:
    """The bytes of a regular file (at most ``max_bytes``); UnreadableFile with a sentence otherwise."""
    f, size = _open_regular(path, what, max_bytes)
    with f:
        try:
            data = f.read(size + 1)
        except OSError as e:
            raise UnreadableFile(os_error_sentence(e, path, what)) from None
    if len(data) > max_bytes:
        raise UnreadableFile(f"The {what} {str(path)!r} grew while it was read; try again when it is complete.")
    return data


# ------------------------------------------------------------------------------------------ images
def image_header_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the header of a PNG, JPEG, BMP, GIF or WebP; None for other formats."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24 and data[12:16] == b"IHDR":
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"BM" and len(data) >= 26:
        w, h = struct.unpack("<ii", data[18:26])
        return abs(w), abs(h)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        if chunk == b"VP8 " and len(data) >= 30:
            w, h = struct.unpack("<HH", data[26:30])
            return w & 0x3FFF, h & 0x3FFF
        if chunk == b"VP8L" and len(data) >= 25:
            b = data[21:25]
            return 1 + (((b[1] & 0x3F) << 8) | b[0]), 1 + (((b[3] & 0xF) << 10) | (b[2] << 2) | ((b[1] & 0xC0) >> 6))
        return None
    if data[:2] == b"\xff\xd8":  # JPEG: walk the segments to the first start-of-frame
        i = 2
        while i + 9 < len(data) and i < 1_000_000:
            if data[i] != 0xFF:
                return None
            marker = data[i + 1]
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            seg = struct.unpack(">H", data[i + 2:i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5:i + 9])
                return w, h
            i += 2 + seg
    return None


def decode_image_bytes(data: bytes, where: str = "image", mode: str = "rgb") -> np.ndarray:
    """Decode image bytes. ``mode``: "rgb" (H, W, 3), "rgb8" (any stored kind -- grey, alpha,
    16 bits -- as (H, W, 3) uint8 RGB), "grey" (H, W), "bgr" (OpenCV's order) or "unchanged" (as
    stored). The header's size is checked first."""
    cv2 = opencv()
    if not data:
        raise UnreadableFile(f"The image {where} is empty (0 bytes).")
    size = image_header_size(data)
    if size is not None:
        w, h = size
        if w <= 0 or h <= 0:
            raise UnreadableFile(f"The image {where} is damaged: its header gives a size of {w}x{h}.")
        if w * h > MAX_IMAGE_PIXELS:
            raise UnreadableFile(f"The image {where} claims {w}x{h} pixels, more than the "
                                 f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels Workbench reads; use a smaller image.")
    flag = {"rgb": cv2.IMREAD_COLOR, "bgr": cv2.IMREAD_COLOR, "grey": cv2.IMREAD_GRAYSCALE,
            "unchanged": cv2.IMREAD_UNCHANGED, "rgb8": cv2.IMREAD_UNCHANGED}[mode]
    try:
        img = cv2.imdecode(np.frombuffer(data, np.uint8), flag)
    except cv2.error as e:  # OpenCV's own pixel limit and header checks raise
        too_big = "MAX_IMAGE_PIXELS" in str(e) or "imgSize" in str(e)
        raise UnreadableFile(f"The image {where} is larger than {MAX_IMAGE_PIXELS // 1_000_000} megapixels; use a "
                             "smaller image." if too_big else f"The image {where} is corrupt or in a format "
                             "Workbench cannot read (use PNG, JPEG, BMP or WebP).") from None
    if img is None:
        raise UnreadableFile(f"{where} is not an image Workbench can read (corrupt, or not PNG, JPEG, BMP, "
                             "TIFF or WebP).")
    if mode == "rgb":
        img = np.ascontiguousarray(img[..., ::-1])
    elif mode == "rgb8":
        img = to_rgb(img, cv2)
    return img


def read_image(path, mode: str = "rgb") -> np.ndarray:
    """Read one image file (see ``decode_image_bytes`` for ``mode``); UnreadableFile with a sentence."""
    data = read_regular_bytes(path, "image", MAX_IMAGE_BYTES)
    return decode_image_bytes(data, str(path), mode)


def try_read_image(path, mode: str = "rgb") -> np.ndarray | None:
    """``read_image`` or None when the file is not a readable image (folders of mixed files)."""
    try:
        return read_image(path, mode)
    except DataError:
        return None


# ------------------------------------------------------------------------------------------ sounds
def read_sound(path, sample_rate: int | None = None) -> tuple[np.ndarray, int]:
    """A PCM WAV (8/16/24/32-bit, any channels) as float32 mono samples and its rate, resampled
    to ``sample_rate`` when given. The header (rate, channels, sample width, length) is checked
    against the file's size before any sample is read."""
    import wave

    p = Path(path)
    f, size = _open_regular(p, "sound file", MAX_SOUND_BYTES)
    with f:
        try:
            with wave.open(f, "rb") as w:
                ch, width, sr, n = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
                if not 1 <= sr <= MAX_SAMPLE_RATE:
                    raise UnreadableFile(f"The WAV file {str(p)!r} is damaged: its sample rate is {sr} Hz.")
                if not 1 <= ch <= MAX_CHANNELS or width not in (1, 2, 3, 4):
                    raise UnreadableFile(f"The WAV file {str(p)!r} is damaged: {ch} channels of {width}-byte "
                                         "samples; convert it to 16-bit PCM WAV.")
                n = min(n, size // max(1, ch * width))  # a header may claim more frames than the file holds
                raw = w.readframes(n)
        except UnreadableFile:
            raise
        except OSError as e:
            raise UnreadableFile(os_error_sentence(e, p, "sound file")) from None
        except (wave.Error, EOFError, struct.error, ValueError) as e:
            raise UnreadableFile(f"{str(p)!r} is not a PCM WAV file Workbench can read ({e}); convert it to "
                                 "16-bit PCM WAV.") from None
    x = _pcm_to_float(raw, width)
    if ch > 1:
        x = x[: (x.shape[0] // ch) * ch].reshape(-1, ch).mean(axis=1)
    x = np.ascontiguousarray(x, dtype=np.float32)
    if sample_rate is not None and int(sample_rate) != sr:
        from workbench.core.audio.dsp import resample

        x, sr = resample(x, sr, int(sample_rate)), int(sample_rate)
    return x, int(sr)


def _pcm_to_float(raw: bytes, width: int) -> np.ndarray:
    raw = raw[: len(raw) - len(raw) % width]
    if width == 1:
        return (np.frombuffer(raw, np.uint8).astype(np.float32) - 128.0) / 128.0
    if width == 2:
        return np.frombuffer(raw, "<i2").astype(np.float32) / 32768.0
    if width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v >= 1 << 23, v - (1 << 24), v)
        return v.astype(np.float32) / float(1 << 23)
    return np.frombuffer(raw, "<i4").astype(np.float32) / float(1 << 31)


def wav_bytes(x: np.ndarray, sample_rate: int) -> bytes:
    """Float samples as the bytes of a 16-bit mono PCM WAV file (clipped to [-1, 1])."""
    import wave

    from workbench.core.audio.dsp import to_mono_float32

    pcm = (np.clip(to_mono_float32(x), -1.0, 1.0) * 32767.0).round().astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(sample_rate))
        w.writeframes(pcm.tobytes())
    return buf.getvalue()
