"""Capture your own data set, the Teachable Machine way: a class-per-folder set inside the project.

    cset = CaptureSet.create(project, "gestures", kind="image")   # <project>/captures/gestures/
    cset.add_class("thumbs up"); cset.add_class("fist")
    capture_frames(camera, cset, "thumbs up", rate=5, max_count=30)  # webcam frames at 5 per second
    record_clips(mic, cset, "clap", count=10)                        # 1 s clips, silence rejected
    split_recording(samples, 16000, cset, "yes")                     # one long take -> one clip per word
    cset.import_files("fist", ["a.jpg", "b.png"])                    # files you already have
    load_data(cset.folder)                                           # an ordinary image / sound folder

Class names typed by users become folder names: they go through ``safety.sanitize_name`` and
``check_name``, and every path through ``safe_child``. Each sample is written to a temporary
file in its class folder and renamed into place, so a folder never holds half a file; a class
folder deleted behind the app's back is a clear error, never silently re-created.
"""
from __future__ import annotations

import os
import secrets
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from workbench.core.errors import DataError
from workbench.core.safety import UnsafeName, check_name, safe_child, sanitize_name

META_FILE = "capture.json"
CAPTURES_DIR = "captures"
KINDS = ("image", "audio")
IMAGE_SIZE = 224  # captured frames: centre square, resized to this side


@dataclass
class CaptureReport:
    """What one capture call did: files saved, clips rejected as silence, one sentence."""

    saved: list[str] = field(default_factory=list)
    rejected: int = 0
    message: str = ""

    def to_dict(self) -> dict:
        return {"saved": list(self.saved), "rejected": self.rejected, "message": self.message}


def _write_new(folder: Path, stem: str, suffix: str, data: bytes) -> Path:
    """Write ``data`` as a new file in an existing ``folder`` (temp file + rename: never half a file)."""
    from workbench.core.jsonio import atomic_write_bytes

    if not folder.is_dir():
        raise DataError(f"The class folder {folder} no longer exists (was it deleted outside Workbench?); "
                        "add the class again, then record.")
    final = folder / f"{stem}-{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}{suffix}"
    atomic_write_bytes(final, data)
    return final


def encode_png(rgb: np.ndarray) -> bytes:
    import cv2

    a = np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))
    if a.ndim == 2:
        a = a[:, :, None]
    ok, buf = cv2.imencode(".png", cv2.cvtColor(a, cv2.COLOR_RGB2BGR) if a.shape[2] == 3 else a)
    if not ok:  # pragma: no cover
        raise DataError("The frame could not be encoded as PNG.")
    return buf.tobytes()


def square_frame(frame: np.ndarray, size: int = IMAGE_SIZE) -> np.ndarray:
    """The centre square of a camera frame, resized to ``size`` x ``size``."""
    import cv2

    h, w = frame.shape[:2]
    s = min(h, w)
    y, x = (h - s) // 2, (w - s) // 2
    crop = frame[y:y + s, x:x + s]
    if s != size:
        crop = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA if s > size else cv2.INTER_LINEAR)
    return np.ascontiguousarray(crop)


def mirror(frame: np.ndarray) -> np.ndarray:
    """The preview is shown mirrored (as people expect a selfie view); files are stored as the camera sees."""
    return np.ascontiguousarray(frame[:, ::-1])


class CaptureSet:
    """A class-per-folder data set: ``folder/<class>/<sample>`` plus ``capture.json`` (kind, clip length)."""

    def __init__(self, folder: str | os.PathLike, kind: str = "image", seconds: float = 1.0,
                 sample_rate: int = 16000):
        if kind not in KINDS:
            raise DataError(f"A capture set holds images or sounds, not {kind!r}.")
        self.folder = Path(folder)
        self.kind = kind
        self.seconds = float(seconds)
        self.sample_rate = int(sample_rate)

    # ---- creation ---------------------------------------------------------------------------
    @classmethod
    def create(cls, project_dir: str | os.PathLike, name: str = "my-data", kind: str = "image",
               seconds: float = 1.0, sample_rate: int = 16000) -> "CaptureSet":
        """Open ``<project>/captures/<name>``, making it when new (a set of another kind is an error)."""
        from workbench.core.jsonio import atomic_write_json

        root = Path(project_dir) / CAPTURES_DIR
        folder = safe_child(root, sanitize_name(name, "my-data"), what="data set name")
        if (folder / META_FILE).is_file():
            cs = cls.open(folder)
            if cs.kind != kind:
                raise DataError(f"The data set {folder.name!r} holds {cs.kind}s, not {kind}s; choose another name.")
            return cs
        cs = cls(folder, kind, seconds, sample_rate)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_json(folder / META_FILE, {"schema_version": 1, "kind": kind, "seconds": cs.seconds,
                                               "sample_rate": cs.sample_rate})
        return cs

    @classmethod
    def open(cls, folder: str | os.PathLike) -> "CaptureSet":
        from workbench.core.jsonio import read_json
        from workbench.core.safety import check_fields

        folder = Path(folder)
        meta = check_fields(read_json(folder / META_FILE, kind="capture set file", max_version=1),
                            {"kind": str, "seconds": float, "sample_rate": int}, kind="capture set file",
                            where=folder / META_FILE, required=("kind",))
        return cls(folder, meta["kind"], meta.get("seconds", 1.0), meta.get("sample_rate", 16000))

    @staticmethod
    def list_sets(project_dir: str | os.PathLike) -> list[str]:
        root = Path(project_dir) / CAPTURES_DIR
        if not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if (p / META_FILE).is_file())

    # ---- classes ----------------------------------------------------------------------------
    @property
    def suffix(self) -> str:
        return ".png" if self.kind == "image" else ".wav"

    def classes(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if p.is_dir() and not p.name.startswith("."))

    def class_dir(self, name: str) -> Path:
        try:
            d = safe_child(self.folder, name, what="class name")
        except UnsafeName as e:
            raise DataError(str(e)) from None
        if not d.is_dir():
            raise DataError(f"The folder of class {name!r} ({d}) no longer exists (was it deleted outside "
                            "Workbench?); add the class again.")
        return d

    def samples(self, name: str) -> list[Path]:
        d = self.class_dir(name)
        return sorted(p for p in d.iterdir() if p.is_file() and not p.name.startswith("."))

    def counts(self) -> dict[str, int]:
        return {c: len(self.samples(c)) for c in self.classes()}

    def add_class(self, text: str) -> str:
        """Make a class folder from a name the user typed; returns the folder name used."""
        name = check_name(sanitize_name(str(text).strip(), ""), "class name")
        d = safe_child(self.folder, name, what="class name")
        if d.exists():
            raise DataError(f"There is already a class {name!r}; choose another name.")
        d.mkdir(parents=True)
        return name

    def rename_class(self, old: str, text: str) -> str:
        src = self.class_dir(old)
        new = check_name(sanitize_name(str(text).strip(), ""), "class name")
        if new == old:
            return old
        dst = safe_child(self.folder, new, what="class name")
        if dst.exists():
            raise DataError(f"There is already a class {new!r}; choose another name.")
        os.replace(src, dst)
        return new

    def delete_class(self, name: str) -> None:
        shutil.rmtree(self.class_dir(name))

    def delete_samples(self, name: str, files: list[str]) -> int:
        """Delete samples of a class by file name; returns how many were deleted."""
        d = self.class_dir(name)
        n = 0
        for f in files:
            p = safe_child(d, Path(str(f)).name, what="sample file")
            if p.is_file():
                p.unlink()
                n += 1
        return n

    # ---- adding samples ---------------------------------------------------------------------
    def save_image(self, name: str, rgb: np.ndarray) -> Path:
        if self.kind != "image":
            raise DataError("This data set holds sounds; record clips into it, not camera frames.")
        return _write_new(self.class_dir(name), "img", ".png", encode_png(rgb))

    def save_clip(self, name: str, samples: np.ndarray, sample_rate: int | None = None) -> Path:
        if self.kind != "audio":
            raise DataError("This data set holds images; capture camera frames into it, not sound clips.")
        x = np.asarray(samples, dtype=np.float32).reshape(-1)
        if x.size == 0:
            raise DataError("The clip is empty (0 samples); record it again.")
        from workbench.core.audio.wav import wav_bytes

        return _write_new(self.class_dir(name), "clip", ".wav", wav_bytes(x, sample_rate or self.sample_rate))

    def import_files(self, name: str, paths) -> tuple[list[str], list[tuple[str, str]]]:
        """Copy image files (or WAV files for a sound set) into a class; folders are walked.
        Returns (files added, [(file, why skipped)]): unreadable files are skipped, never copied."""
        from workbench.core.data.audio import AUDIO_EXTENSIONS, read_clip
        from workbench.core.data.images import IMAGE_EXTENSIONS
        from workbench.core.media import MAX_IMAGE_BYTES, MAX_SOUND_BYTES, decode_image_bytes, read_regular_bytes

        d = self.class_dir(name)
        exts = IMAGE_EXTENSIONS if self.kind == "image" else AUDIO_EXTENSIONS
        files: list[Path] = []
        for p in map(Path, paths):
            if p.is_dir():  # pipes and devices in the folder are listed as skipped by the guarded read
                files += sorted(f for f in p.rglob("*") if not f.is_dir() and not f.name.startswith("."))
            else:
                files.append(p)
        added, skipped = [], []
        for f in files:
            if f.suffix.lower() not in exts:
                skipped.append((str(f), f"not {'an image' if self.kind == 'image' else 'a WAV'} file"))
                continue
            try:  # the bytes checked are the bytes copied (one guarded read: FIFOs and devices refused)
                if self.kind == "image":
                    data = read_regular_bytes(f, "image", MAX_IMAGE_BYTES)
                    decode_image_bytes(data, str(f))
                else:
                    read_clip(f)
                    data = read_regular_bytes(f, "sound file", MAX_SOUND_BYTES)
            except DataError as e:
                skipped.append((str(f), str(e)))
                continue
            except OSError as e:
                from workbench.core.oserrors import describe

                skipped.append((str(f), describe(e, f)))
                continue
            stem = sanitize_name(f.stem, "file")[:60]
            added.append(str(_write_new(d, stem, f.suffix.lower(), data)))
        return added, skipped

    # ---- reading ----------------------------------------------------------------------------
    def thumbnail(self, path: str | os.PathLike, size: int = 96) -> np.ndarray | None:
        """A small picture of one sample: the image, or the clip's spectrogram."""
        import cv2

        if self.kind == "image":
            from workbench.core.capture.camera import read_image_rgb

            img = read_image_rgb(path)
        else:
            from workbench.core.data.audio import clip_features, make_settings, read_clip, spectrogram_image

            try:
                x, sr = read_clip(path)
            except DataError:
                return None
            img = spectrogram_image(clip_features([x], make_settings(self.seconds, self.sample_rate), sr)[0])
        if img is None:
            return None
        return cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)

    def load(self, image_size: tuple[int, int] = (96, 96), progress=None, should_cancel=None):
        """The set as a Dataset (through the ordinary image / audio folder sources)."""
        from workbench.core.data import load_data

        return load_data(str(self.folder), image_size=image_size, clip_seconds=self.seconds,
                         progress=progress, should_cancel=should_cancel)


# ------------------------------------------------------------------------------------------------
# capturing from devices (run on a worker thread by the UI; progress / should_cancel as everywhere)


def capture_frames(source, cset: CaptureSet, class_name: str, *, rate: float = 5.0, max_count: int = 30,
                   size: int = IMAGE_SIZE, preview: Callable[[np.ndarray, int], None] | None = None,
                   progress: Callable | None = None, should_cancel: Callable[[], bool] | None = None) -> CaptureReport:
    """Save up to ``max_count`` frames of ``source`` into a class, ``rate`` per second of the
    source's time (every round(fps / rate)-th frame), until the source ends or the caller cancels
    (the UI's hold-to-record button releases). ``preview(mirrored frame, saved so far)`` sees
    every frame read."""
    cset.class_dir(class_name)  # fail before opening the camera
    if rate <= 0 or max_count < 1:
        raise DataError("The capture rate and the maximum number of frames must be positive.")
    report = CaptureReport()
    step = max(1, int(round(float(source.fps or 30.0) / float(rate))))
    opened_here = not source.is_open
    if opened_here:
        source.open()
    try:
        i = 0
        while len(report.saved) < max_count:
            if should_cancel is not None and should_cancel():
                break
            frame = source.read()
            if frame is None:
                break
            if preview is not None:
                preview(mirror(frame), len(report.saved))
            if i % step == 0:
                report.saved.append(str(cset.save_image(class_name, square_frame(frame, size))))
                if progress is not None:
                    progress(len(report.saved), max_count, f"{len(report.saved)} frames of {class_name!r}")
            i += 1
    finally:
        if opened_here:
            source.close()
    report.message = f"Saved {len(report.saved)} frames into {class_name!r}."
    return report


def record_clips(source, cset: CaptureSet, class_name: str, *, count: int = 1, silence_db: float = -45.0,
                 level: Callable[[float], None] | None = None, progress: Callable | None = None,
                 should_cancel: Callable[[], bool] | None = None, max_rejected: int | None = None) -> CaptureReport:
    """Record ``count`` clips of the set's length from ``source``; a clip whose RMS level stays
    below ``silence_db`` dBFS is rejected (not saved) and counted. ``level(dBFS)`` is called for
    each 50 ms block (the meter). Stops early when the source ends or the caller cancels."""
    from workbench.core.audio.dsp import level_meter, resample
    from workbench.core.capture.audio import read_samples

    cset.class_dir(class_name)
    n = int(round(cset.seconds * source.sample_rate))
    block = max(1, source.sample_rate // 20)
    report = CaptureReport()
    with source:
        while len(report.saved) < count:
            if max_rejected is not None and report.rejected >= max_rejected:
                break
            clip = read_samples(source, n, block, stop=should_cancel,
                                on_block=None if level is None else lambda b, _: level(level_meter(b).rms_db))
            if len(clip) < n:  # cancelled or the source ended: a partial clip is not a sample
                break
            if level_meter(clip).rms_db < silence_db:
                report.rejected += 1
                continue
            if source.sample_rate != cset.sample_rate:
                clip = resample(clip, source.sample_rate, cset.sample_rate)
            report.saved.append(str(cset.save_clip(class_name, clip)))
            if progress is not None:
                progress(len(report.saved), count, f"{len(report.saved)} clips of {class_name!r}")
    rej = f"; {report.rejected} silent clip(s) rejected" if report.rejected else ""
    report.message = f"Saved {len(report.saved)} clips into {class_name!r}{rej}."
    return report


def split_recording(samples: np.ndarray, sample_rate: int, cset: CaptureSet, class_name: str, *,
                    threshold_db: float = -35.0) -> CaptureReport:
    """One long recording (a word said several times with pauses) -> one clip per sound, each
    centred in a clip of the set's length."""
    from workbench.core.audio.dsp import resample, split_on_silence
    from workbench.core.data.audio import fit_length

    cset.class_dir(class_name)
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if x.size == 0:
        raise DataError("The recording is empty (0 samples); record again.")
    if sample_rate != cset.sample_rate:
        x = resample(x, sample_rate, cset.sample_rate)
    words = split_on_silence(x, cset.sample_rate, threshold_db=threshold_db)
    report = CaptureReport()
    n = int(round(cset.seconds * cset.sample_rate))
    for w in words:
        report.saved.append(str(cset.save_clip(class_name, fit_length(w, n))))
    report.message = (f"Split the recording into {len(report.saved)} clips of {class_name!r}." if report.saved
                      else "No sound was found in the recording (only silence); record closer to the microphone.")
    return report


def record_take(source, cset: CaptureSet, class_name: str, *, max_seconds: float = 60.0,
                level: Callable[[float], None] | None = None, progress: Callable | None = None,
                should_cancel: Callable[[], bool] | None = None) -> CaptureReport:
    """Record one long take until the caller stops (or ``max_seconds``), then split it into one
    clip per sound (``split_recording``)."""
    from workbench.core.capture.audio import Recorder

    cset.class_dir(class_name)
    rec = Recorder(source, max_seconds)

    def report(done, total, text):
        if level is not None:
            level(rec.level.rms_db)
        if progress is not None:
            progress(done, total, f"{done / source.sample_rate:.1f} s")

    take = rec.run(progress=report, should_cancel=should_cancel)
    return split_recording(take, source.sample_rate, cset, class_name)


# ------------------------------------------------------------------------------------------------
# the "fix my data" loop: the samples behind a confusion-matrix cell, relabelled or deleted


def samples_in_cell(evaluation: dict | None, true_class: int, pred_class: int) -> list[int]:
    """Data-set indices of the samples of true class ``true_class`` predicted as ``pred_class``
    (a run record's ``evaluation["cells"]``); [] when the cell is empty or unknown."""
    cells = (evaluation or {}).get("cells") or {}
    return [int(i) for i in cells.get(f"{int(true_class)},{int(pred_class)}", [])]


def _inside_set(root: Path, path: str | os.PathLike) -> Path:
    from workbench.core.safety import inside

    p = Path(path)
    inside(root, p, what="sample file")
    if not p.is_file():
        raise DataError(f"The sample file {p} no longer exists; reload the data.")
    return p


def move_samples(root: str | os.PathLike, paths, to_class: str) -> list[str]:
    """Relabel samples of a class-per-folder set: move their files into ``root/<to_class>/``."""
    root = Path(root)
    dest = safe_child(root, to_class, what="class name")
    if not dest.is_dir():
        raise DataError(f"There is no class folder {to_class!r} in {root}; choose an existing class.")
    moved = []
    for f in [_inside_set(root, p) for p in paths]:
        target = dest / f.name
        if target.exists():
            target = dest / f"{f.stem}-{secrets.token_hex(3)}{f.suffix}"
        os.replace(f, target)
        moved.append(str(target))
    return moved


def delete_sample_files(root: str | os.PathLike, paths) -> int:
    """Delete sample files of a class-per-folder set (each must lie inside ``root``)."""
    files = [_inside_set(Path(root), p) for p in paths]
    for f in files:
        f.unlink()
    return len(files)
