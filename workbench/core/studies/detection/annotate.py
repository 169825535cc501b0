"""The box editor's document: the boxes of every image of a folder, edited with undo and redo,
saved as YOLO labels (``labels/<stem>.txt`` + ``classes.txt`` in the folder).

The editor widget only draws and forwards mouse actions here, so every edit (draw, move, resize,
delete, set class) is plain Python, tested without Qt, and undone the same way.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from workbench.core.errors import DataError
from workbench.core.safety import check_name, safe_child
from workbench.core.studies.detection.boxes import as_boxes

MIN_SIDE = 2.0  # pixels: smaller drags are clicks, not boxes


class BoxDocument:
    def __init__(self, folder: str | os.PathLike, class_names: list[str] | None = None):
        from workbench.core.capture.camera import IMAGE_EXTENSIONS
        from workbench.core.studies.detection.formats import read_class_file

        self.folder = Path(folder).expanduser()
        if not self.folder.is_dir():
            raise DataError(f"{self.folder} is not a folder; choose a folder of images to label.")
        self.files = sorted(f for f in self.folder.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_EXTENSIONS)
        if not self.files:
            raise DataError(f"{self.folder} has no images (.png, .jpg, ...) to label.")
        classes_file = self.folder / "classes.txt"
        self.class_names = list(class_names) if class_names else (
            read_class_file(classes_file) if classes_file.is_file() else ["object"])
        self._boxes: dict[int, np.ndarray] = {}
        self._labels: dict[int, np.ndarray] = {}
        self._sizes: dict[int, tuple[int, int]] = {}
        self._images: dict[int, np.ndarray] = {}
        self._undo: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._redo: list[tuple[int, np.ndarray, np.ndarray]] = []
        self.dirty: set[int] = set()
        self.skipped: list[tuple[str, str]] = []
        self.index = 0

    # ---- images -------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.files)

    def image(self, i: int | None = None) -> np.ndarray:
        from workbench.core.capture.camera import read_image_rgb

        i = self.index if i is None else i
        if i not in self._images:
            img = read_image_rgb(self.files[i])
            if img is None:
                raise DataError(f"{self.files[i].name} is not a readable image.")
            self._images = {i: img}  # keep one decoded image: folders can be large
            self._sizes[i] = (img.shape[1], img.shape[0])
        return self._images[i]

    def _load(self, i: int) -> None:
        if i in self._boxes:
            return
        from workbench.core.studies.detection.formats import _small_text, parse_yolo_lines

        w, h = self._sizes.get(i) or self.image(i).shape[1::-1]
        lab_file = self.folder / "labels" / (self.files[i].stem + ".txt")
        b, lab = np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
        if lab_file.is_file():
            try:
                b, lab = parse_yolo_lines(_small_text(lab_file, "label file"), w, h)
                if len(lab) and lab.max() >= len(self.class_names):
                    self.class_names += [str(k) for k in range(len(self.class_names), int(lab.max()) + 1)]
            except (ValueError, OSError) as e:
                self.skipped.append((str(lab_file), str(e)))
        self._boxes[i], self._labels[i] = b, lab

    def go(self, i: int) -> None:
        self.index = int(np.clip(i, 0, len(self.files) - 1))
        self.image()
        self._load(self.index)

    def boxes(self, i: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        i = self.index if i is None else i
        self._load(i)
        return self._boxes[i].copy(), self._labels[i].copy()

    # ---- edits (each undoable) ------------------------------------------------------------
    def _push(self) -> None:
        i = self.index
        self._load(i)
        self._undo.append((i, self._boxes[i].copy(), self._labels[i].copy()))
        self._redo.clear()
        self.dirty.add(i)

    def _clip(self, box) -> np.ndarray:
        w, h = self._sizes[self.index]
        x1, y1, x2, y2 = np.asarray(box, np.float32)
        x1, x2 = sorted((float(np.clip(x1, 0, w)), float(np.clip(x2, 0, w))))
        y1, y2 = sorted((float(np.clip(y1, 0, h)), float(np.clip(y2, 0, h))))
        return np.array([x1, y1, x2, y2], np.float32)

    def add(self, box, label: int = 0) -> int | None:
        """Add a box (corners in image pixels, any order); returns its index (None if too small)."""
        self.image()
        b = self._clip(box)
        if b[2] - b[0] < MIN_SIDE or b[3] - b[1] < MIN_SIDE:
            return None
        if not 0 <= int(label) < len(self.class_names):
            raise DataError(f"There is no class {label}; add it first.")
        self._push()
        i = self.index
        self._boxes[i] = np.vstack([self._boxes[i], b[None]])
        self._labels[i] = np.append(self._labels[i], int(label))
        return len(self._labels[i]) - 1

    def set_box(self, k: int, box) -> None:
        """Move or resize box ``k`` to new corners."""
        self._push()
        self._boxes[self.index][k] = self._clip(box)

    def move(self, k: int, dx: float, dy: float) -> None:
        b = self._boxes[self.index][k]
        w, h = self._sizes[self.index]
        dx = float(np.clip(dx, -b[0], w - b[2]))
        dy = float(np.clip(dy, -b[1], h - b[3]))
        self.set_box(k, b + np.array([dx, dy, dx, dy], np.float32))

    def delete(self, k: int) -> None:
        self._push()
        i = self.index
        self._boxes[i] = np.delete(self._boxes[i], k, axis=0)
        self._labels[i] = np.delete(self._labels[i], k)

    def set_class(self, k: int, label: int) -> None:
        if not 0 <= int(label) < len(self.class_names):
            raise DataError(f"There is no class {label}; add it first.")
        self._push()
        self._labels[self.index][k] = int(label)

    def add_class(self, name: str) -> int:
        name = str(name).strip()
        if not name or "\n" in name:
            raise DataError("A class name must be one line of text.")
        if name not in self.class_names:
            self.class_names.append(name)
        return self.class_names.index(name)

    def box_at(self, x: float, y: float) -> int | None:
        """The smallest box containing the point (the one a click means), or None."""
        b, _ = self.boxes()
        inside = np.flatnonzero((b[:, 0] <= x) & (x <= b[:, 2]) & (b[:, 1] <= y) & (y <= b[:, 3]))
        if not len(inside):
            return None
        areas = (b[inside, 2] - b[inside, 0]) * (b[inside, 3] - b[inside, 1])
        return int(inside[np.argmin(areas)])

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> bool:
        """Undo the last edit (it may be on another image: the document goes there)."""
        if not self._undo:
            return False
        i, b, lab = self._undo.pop()
        self._redo.append((i, self._boxes[i].copy(), self._labels[i].copy()))
        self._boxes[i], self._labels[i] = b, lab
        self.dirty.add(i)
        if i != self.index:
            self.go(i)
        return True

    def redo(self) -> bool:
        if not self._redo:
            return False
        i, b, lab = self._redo.pop()
        self._undo.append((i, self._boxes[i].copy(), self._labels[i].copy()))
        self._boxes[i], self._labels[i] = b, lab
        self.dirty.add(i)
        if i != self.index:
            self.go(i)
        return True

    # ---- files --------------------------------------------------------------------------
    def save(self) -> int:
        """Write the labels of every edited image and classes.txt (atomically); returns the count."""
        from workbench.core.jsonio import atomic_write_text
        from workbench.core.studies.detection.formats import yolo_lines

        lab_dir = self.folder / "labels"
        lab_dir.mkdir(exist_ok=True)
        for i in sorted(self.dirty):
            w, h = self._sizes.get(i) or self.image(i).shape[1::-1]
            name = check_name(self.files[i].stem + ".txt", "label file name")
            atomic_write_text(safe_child(lab_dir, name), yolo_lines(self._boxes[i], self._labels[i], w, h))
        atomic_write_text(self.folder / "classes.txt", "\n".join(self.class_names) + "\n")
        n = len(self.dirty)
        self.dirty.clear()
        return n

    def labelled(self) -> int:
        return sum(1 for f in self.files if (self.folder / "labels" / (f.stem + ".txt")).is_file())


def as_box(x1, y1, x2, y2) -> np.ndarray:
    return as_boxes([[x1, y1, x2, y2]])[0]
