"""The face gallery in the project folder: people, their face crops (PNG) and embeddings (.npy).

Layout (all writes atomic; nothing pickled)::

    <project>/faces/gallery/gallery.json        {"schema_version": 1, "encoder_key": ..., "people": [...]}
    <project>/faces/gallery/<person id>/0001.png ...   face crops, RGB
    <project>/faces/gallery/<person id>/embeddings.npy  (n_images, D) float32, row i <-> images[i]

A person's folder name is a stable id; renaming only changes the display name in gallery.json.
Every id and image name read from gallery.json is checked (``safety.check_name``: no separators,
no "..", not absolute) and every path is made with ``safety.safe_child``, so a crafted file can
never make the app read, write or delete outside the gallery folder. A damaged gallery.json is a
``ProjectError`` and is left as it is (nothing is written over it).
"""
from __future__ import annotations

import io
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from workbench.core.errors import DataError, ProjectError
from workbench.core.jsonio import atomic_write_bytes, atomic_write_json, read_json
from workbench.core.safety import UnsafeName, check_fields, check_name, safe_child
from workbench.core.studies.faces.align import CHIP_SIZE
from workbench.core.studies.faces.detect import IMAGE_SUFFIXES, check_shot, read_image, write_png

SCHEMA_VERSION = 1
GALLERY_DIR = Path("faces") / "gallery"


@dataclass
class Person:
    id: str
    name: str
    images: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "images": list(self.images)}


@dataclass
class EnrollReport:
    """What happened to each frame offered for enrollment."""

    name: str
    accepted: int = 0
    rejected: list[tuple[int | str, str]] = field(default_factory=list)  # (frame index or file, reason)
    error: str = ""  # the whole person failed (e.g. no usable photo at all)
    crowded: int = 0  # photos with several faces, of which the largest was taken

    def sentence(self) -> str:
        if self.error:
            return f"{self.name}: nothing added ({self.error.rstrip('.')})."
        s = f"{self.name}: {self.accepted} photo(s) added"
        if self.rejected:
            reasons: dict[str, int] = {}
            for _, r in self.rejected:
                key = r.split(" (")[0]
                reasons[key] = reasons.get(key, 0) + 1
            s += ", rejected " + ", ".join(f"{n} {r}" for r, n in reasons.items())
        if self.crowded:
            s += (f"; {self.crowded} photo(s) showed several faces: the largest was taken (crop the others "
                  "out, or enrol from the camera, which asks whose face it is)")
        return s + "."


def _npy_bytes(a: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(a, np.float32), allow_pickle=False)
    return buf.getvalue()


def _slug(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_-]+", "_", name.strip()).strip("_").lower()
    return s[:40] or "person"


class Gallery:
    """People enrolled in a project. Thread use: one writer at a time (the panel's worker)."""

    def __init__(self, project_dir: str | Path):
        self.project_dir = Path(project_dir)
        self.root = self.project_dir / GALLERY_DIR
        self._people: list[Person] = []
        self.encoder_key: str | None = None
        self._load()

    # ---- persistence ---------------------------------------------------------------------------
    @property
    def _index(self) -> Path:
        return self.root / "gallery.json"

    def _load(self) -> None:
        if not self._index.exists():
            return
        data = read_json(self._index, kind="face gallery", max_version=SCHEMA_VERSION)
        where = self._index
        try:
            check_fields(data, {"encoder_key": (str, type(None)), "people": list}, kind="face gallery", where=where)
            people, ids = [], set()
            for p in data.get("people", []):
                check_fields(p, {"id": str, "name": str, "images": list}, kind="face gallery", where=where,
                             required=("id", "name"))
                pid = check_name(p["id"], "person id")
                images = [check_name(f, "image name") for f in p.get("images", [])]
                if pid in ids or len(set(images)) != len(images):
                    raise ProjectError(f"The face gallery {where} is damaged: the person id {pid!r} or one of its "
                                       "image names appears twice.")
                ids.add(pid)
                people.append(Person(pid, p["name"], images))
        except UnsafeName as e:
            raise ProjectError(f"The face gallery {where} is damaged or was tampered with ({e}); it was not used "
                               "and is left as it is: restore it from a backup or remove it.") from None
        except ProjectError as e:
            raise ProjectError(f"{e} It was not used and is left as it is: restore it from a backup or remove it.") \
                from None
        self.encoder_key = data.get("encoder_key")
        self._people = people

    def _path(self, p: Person, *names: str) -> Path:
        """A path inside the gallery folder (checked: ids and image names come from a file)."""
        return safe_child(self.root, p.id, *names, what="gallery path")

    def _save(self) -> None:
        atomic_write_json(self._index, {"schema_version": SCHEMA_VERSION, "encoder_key": self.encoder_key,
                                        "people": [p.to_dict() for p in self._people]})

    # ---- queries -------------------------------------------------------------------------------
    @property
    def people(self) -> list[Person]:
        return list(self._people)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self._people]

    def __len__(self) -> int:
        return len(self._people)

    def __contains__(self, name: str) -> bool:
        return any(p.name == name for p in self._people)

    def person(self, name: str) -> Person:
        for p in self._people:
            if p.name == name:
                return p
        raise DataError(f"There is no {name!r} in the face gallery.")

    def folder(self, name: str) -> Path:
        return self._path(self.person(name))

    def images(self, name: str) -> list[np.ndarray]:
        return [read_image(f) for f in self.image_paths(name)]

    def image_paths(self, name: str) -> list[Path]:
        p = self.person(name)
        return [self._path(p, f) for f in p.images]

    def embeddings(self, name: str) -> np.ndarray:
        """(n_images, D) float32; empty (0, 0) when this person has not been embedded yet."""
        p = self.person(name)
        f = self._path(p, "embeddings.npy")
        if not f.exists():
            return np.zeros((0, 0), np.float32)
        try:
            e = np.load(f, allow_pickle=False)
        except (ValueError, OSError) as ex:
            raise ProjectError(f"The embeddings of {name} ({f}) are damaged ({ex}); re-embed the gallery.") from None
        if len(e) != len(p.images):
            return np.zeros((0, 0), np.float32)  # out of step with the photos: treat as not embedded
        return e

    def all_embeddings(self) -> tuple[np.ndarray, list[str]]:
        """Stacked embeddings of everybody embedded, and one name per row."""
        rows, names = [], []
        for p in self._people:
            e = self.embeddings(p.name)
            if e.size:
                rows.append(e)
                names += [p.name] * len(e)
        if not rows:
            return np.zeros((0, 0), np.float32), []
        return np.concatenate(rows), names

    def needs_embedding(self, encoder_key: str) -> bool:
        """True when some photos lack embeddings from this encoder."""
        if self.encoder_key != encoder_key:
            return any(p.images for p in self._people)
        return any(p.images and self.embeddings(p.name).shape[0] != len(p.images) for p in self._people)

    def training_data(self) -> tuple[list[np.ndarray], np.ndarray, list[str]]:
        """All chips, a person index per chip, and the names (to train or evaluate an encoder)."""
        X, y = [], []
        for i, p in enumerate(self._people):
            for img in self.images(p.name):
                X.append(img)
                y.append(i)
        return X, np.asarray(y, np.int64), self.names

    def face_data(self):
        """The gallery as ``FaceData`` (origin "gallery") for training and evaluation."""
        from workbench.core.studies.faces.realfaces import FaceData

        X, y, names = self.training_data()
        return FaceData(X, y, names, ["gallery"] * len(names), f"{len(names)} gallery people ({len(X)} photos)")

    # ---- changes -------------------------------------------------------------------------------
    def _new_id(self, name: str) -> str:
        base = _slug(name)
        taken = {p.id for p in self._people} | ({d.name for d in self.root.iterdir()} if self.root.exists() else set())
        i = 1
        while f"{base}_{i:03d}" in taken:
            i += 1
        return f"{base}_{i:03d}"

    def add_faces(self, name: str, crops: Sequence[np.ndarray], encoder=None) -> int:
        """Add face crops (RGB uint8) to ``name`` (created when new); embed them when an encoder is given."""
        name = name.strip()
        if not name:
            raise DataError("Give the person a name.")
        if not len(crops):
            return 0
        if name in self:
            p = self.person(name)
        else:
            p = Person(self._new_id(name), name)
            self._people.append(p)
        folder = self._path(p)
        folder.mkdir(parents=True, exist_ok=True)
        start = max([int(Path(f).stem) for f in p.images if Path(f).stem.isdigit()] + [0]) + 1
        new_files = []
        for k, c in enumerate(crops):
            fname = f"{start + k:04d}.png"
            atomic_write_bytes(folder / fname, write_png(fname, np.asarray(c, np.uint8)))
            new_files.append(fname)
        old = self.embeddings(name) if p.images else np.zeros((0, 0), np.float32)
        had_all = old.shape[0] == len(p.images)
        p.images += new_files
        if encoder is not None and (self.encoder_key in (None, encoder.key) or not self._any_embedded()):
            new = encoder.embed(list(crops))
            if had_all and self.encoder_key == encoder.key and old.size:
                emb = np.concatenate([old, new])
            elif not p.images[:-len(new_files)]:
                emb = new
            else:  # earlier photos lack embeddings for this encoder: embed them all again
                emb = encoder.embed(self.images(name))
            atomic_write_bytes(folder / "embeddings.npy", _npy_bytes(emb))
            self.encoder_key = encoder.key
        self._save()
        return len(new_files)

    def _any_embedded(self) -> bool:
        return any(self._path(p, "embeddings.npy").exists() for p in self._people)

    def enroll_frames(self, name: str, frames: Sequence[np.ndarray], finder, encoder=None,
                      min_sharpness: float = 30.0, size: int = CHIP_SIZE, face=None) -> EnrollReport:
        """Enroll from a burst of camera frames: faceless or blurry frames are rejected.

        Each frame gives its largest face, or with ``face`` (a box (x, y, w, h) in the first frame)
        the face of the person chosen among several, followed from frame to frame as they move:
        two people in the picture never both get this name."""
        rep = EnrollReport(name)
        crops = []
        for i, f in enumerate(frames):
            chk = check_shot(f, finder, size=size, min_sharpness=min_sharpness, near=face)
            if chk.box is not None and face is not None:
                face = chk.box  # follow the person
            if chk.ok:
                crops.append(chk.crop)
            else:
                rep.rejected.append((i, chk.reason))
        if not crops:
            raise DataError(f"No usable photo of {name}: " + "; ".join(sorted({r for _, r in rep.rejected}))
                            + ". Face the camera in good light and hold still.")
        rep.accepted = self.add_faces(name, crops, encoder)
        return rep

    def enroll_folder(self, name: str, folder: str | Path, finder, encoder=None,
                      min_sharpness: float = 30.0, size: int = CHIP_SIZE) -> EnrollReport:
        """Enroll from a folder of photos of one person (each photo: its largest face)."""
        folder = Path(folder)
        files = sorted(f for f in folder.iterdir() if f.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
        if not files:
            raise DataError(f"{folder} holds no photos (png, jpg, bmp, webp).")
        rep = EnrollReport(name)
        crops = []
        for f in files:
            try:
                img = read_image(f)
            except DataError as e:
                rep.rejected.append((f.name, str(e)))
                continue
            chk = check_shot(img, finder, size=size, min_sharpness=min_sharpness)
            rep.crowded += chk.faces > 1
            if chk.ok:
                crops.append(chk.crop)
            else:
                rep.rejected.append((f.name, chk.reason))
        if not crops:
            raise DataError(f"No usable face in the photos of {folder}: "
                            + "; ".join(sorted({r.split(' (')[0].rstrip('.') for _, r in rep.rejected})) + ".")
        rep.accepted = self.add_faces(name, crops, encoder)
        return rep

    def import_people(self, root: str | Path, finder, encoder=None,
                      min_sharpness: float = 30.0, progress: Callable[[int, int], None] | None = None
                      ) -> list[EnrollReport]:
        """Enroll every subfolder of ``root`` as one person named after the subfolder."""
        root = Path(root)
        subs = sorted(d for d in root.iterdir() if d.is_dir()) if root.is_dir() else []
        if not subs:
            raise DataError(f"{root} has no subfolders; put each person's photos in a folder named after them.")
        out = []
        for i, d in enumerate(subs):
            try:
                out.append(self.enroll_folder(d.name, d, finder, encoder, min_sharpness))
            except DataError as e:
                out.append(EnrollReport(d.name, 0, error=str(e)))
            if progress:
                progress(i + 1, len(subs))
        return out

    def rename(self, old: str, new: str) -> None:
        new = new.strip()
        if not new:
            raise DataError("Give the person a name.")
        if new == old:
            return
        if new in self:
            raise DataError(f"{new!r} is already in the gallery; pick another name or delete that person first.")
        self.person(old).name = new
        self._save()

    def delete(self, name: str) -> None:
        """Remove the person with their photos and embeddings."""
        p = self.person(name)
        self._people.remove(p)
        folder = self._path(p)  # checked before anything changes
        self._save()  # the index first: a crash midway leaves an orphan folder, never a dangling entry
        if folder.is_symlink():  # never follow a link out of the gallery
            folder.unlink()
        else:
            shutil.rmtree(folder, ignore_errors=True)

    def delete_image(self, name: str, index: int) -> None:
        from workbench.core.errors import DataError

        p = self.person(name)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(p.images):
            raise DataError(f"{name} has {len(p.images)} photo(s), so there is no photo {index!r} to delete; "
                            f"choose 0 to {len(p.images) - 1}." if p.images else f"{name} has no photos to delete.")
        emb = self.embeddings(name)
        target = self._path(p, p.images[index])
        p.images.pop(index)
        if emb.size:
            atomic_write_bytes(self._path(p, "embeddings.npy"), _npy_bytes(np.delete(emb, index, axis=0)))
        self._save()
        target.unlink(missing_ok=True)

    def reembed(self, encoder, progress: Callable[[int, int], None] | None = None,
                should_cancel: Callable[[], bool] | None = None) -> None:
        """Compute every person's embeddings with ``encoder`` (e.g. after switching encoders)."""
        n = len(self._people)
        # compute everything first, then write: a cancelled run leaves the old embeddings intact
        computed = []
        for i, p in enumerate(self._people):
            if should_cancel and should_cancel():
                return
            imgs = self.images(p.name)
            computed.append(encoder.embed(imgs) if imgs else np.zeros((0, encoder.embedding_dim), np.float32))
            if progress:
                progress(i + 1, n)
        for p, e in zip(self._people, computed):
            atomic_write_bytes(self._path(p, "embeddings.npy"), _npy_bytes(e))
        self.encoder_key = encoder.key
        self._save()
