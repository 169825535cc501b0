"""Labelled detection sets on disk: YOLO text files, COCO JSON and Pascal VOC XML (read and write).

- YOLO: ``images/`` with the pictures, ``labels/<stem>.txt`` with one ``class cx cy w h`` line per
  box (fractions of the image), ``classes.txt`` with one class name per line. Labels next to the
  images (no ``labels/`` folder) are read too.
- COCO: ``annotations.json`` (``images``, ``annotations`` with ``bbox = [x, y, w, h]`` in pixels,
  ``categories``) and the pictures in ``images/`` (or where ``file_name`` says, inside the folder).
- VOC: ``Annotations/<stem>.xml`` (``filename``, ``size``, ``object/name``, ``object/bndbox``)
  and the pictures in ``JPEGImages/``.

Every file name read from a label file goes through ``workbench.core.safety`` before it becomes
a path, every file is checked before use, and a bad file is skipped with a reason (kept in
``DetectionSet.skipped``) rather than stopping the import. Writes are atomic.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from workbench.core.errors import DataError, ProjectError
from workbench.core.safety import UnsafeName, check_fields, check_name, safe_child
from workbench.core.studies.detection.boxes import as_boxes, xywh_to_xyxy, xyxy_to_xywh
from workbench.core.studies.detection.data import DetectionSet

FORMATS = ("yolo", "coco", "voc")
MAX_LABEL_BYTES = 20 * 1024 * 1024


def _image_files(folder: Path) -> list[Path]:
    from workbench.core.capture.camera import IMAGE_EXTENSIONS

    return sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_EXTENSIONS)


def _read_image(path: Path):
    from workbench.core.capture.camera import read_image_rgb

    return read_image_rgb(path)


def _write_image(path: Path, img: np.ndarray) -> None:
    import cv2

    from workbench.core.jsonio import atomic_write_bytes

    ok, buf = cv2.imencode(path.suffix or ".png", np.ascontiguousarray(img[..., ::-1]))
    if not ok:
        raise DataError(f"The image {path.name} could not be encoded; use a .png or .jpg name.")
    atomic_write_bytes(path, buf.tobytes())


def _small_text(path: Path, what: str) -> str:
    size = path.stat().st_size
    if size > MAX_LABEL_BYTES:
        raise ProjectError(f"The {what} {path} is {size / 1e6:.0f} MB, too large for a label file.")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise ProjectError(f"The {what} {path} is not UTF-8 text ({e.reason}).") from None


def detect_format(folder: str | os.PathLike) -> str:
    """'coco', 'voc' or 'yolo' from what a folder holds (DataError when it is none of them)."""
    p = Path(folder).expanduser()
    if p.is_file() and p.suffix.lower() == ".json":
        return "coco"
    if not p.is_dir():
        raise DataError(f"{p} does not exist; choose a folder with a labelled data set.")
    if (p / "annotations.json").is_file() or any(p.glob("instances*.json")):
        return "coco"
    if (p / "Annotations").is_dir():
        return "voc"
    if (p / "labels").is_dir() or (p / "classes.txt").is_file() or any(p.glob("*.txt")):
        return "yolo"
    raise DataError(f"{p} holds no labels: expected YOLO labels/ + classes.txt, a COCO annotations.json, or "
                    f"VOC Annotations/.")


def load_detection(folder: str | os.PathLike, fmt: str | None = None, class_names: list[str] | None = None) -> DetectionSet:
    """Read a labelled set in any of the three formats (detected when ``fmt`` is None)."""
    fmt = fmt or detect_format(folder)
    if fmt == "yolo":
        return read_yolo(folder, class_names)
    if fmt == "coco":
        return read_coco(folder)
    if fmt == "voc":
        return read_voc(folder, class_names)
    raise DataError(f"Unknown label format {fmt!r}; choose one of {', '.join(FORMATS)}.")


_WRITTEN = {"yolo": ("images", "labels", "classes.txt"), "coco": ("images", "annotations.json"),
            "voc": ("JPEGImages", "Annotations")}


def save_detection(ds: DetectionSet, folder: str | os.PathLike, fmt: str) -> Path:
    """Write ``ds`` in ``fmt`` into a fresh folder renamed into place at the end (a full disk leaves
    nothing half-written; a folder holding the user's own files is refused)."""
    from workbench.core.writers import new_folder

    writer = {"yolo": write_yolo, "coco": write_coco, "voc": write_voc}.get(fmt)
    if writer is None:
        raise DataError(f"Unknown label format {fmt!r}; choose one of {', '.join(FORMATS)}.")
    final = Path(folder).expanduser()
    with new_folder(final, ours=_WRITTEN[fmt], what=f"{fmt.upper()} folder") as tmp:
        writer(ds, tmp)
    return final


def _export_names(ds: DetectionSet) -> list[str]:
    names = []
    for i, n in enumerate(ds.names):
        try:
            n = check_name(Path(str(n)).name, "image file name")
        except UnsafeName:
            n = f"image_{i:05d}.png"
        if not Path(n).suffix:
            n += ".png"
        names.append(n)
    if len(set(names)) != len(names):  # two sources with the same file name: number them
        names = [f"{i:05d}_{n}" for i, n in enumerate(names)]
    return names


# ----------------------------------------------------------------------------------------- YOLO
def yolo_lines(boxes, labels, width: int, height: int) -> str:
    b = as_boxes(boxes)
    rows = []
    for (x1, y1, x2, y2), c in zip(b, np.asarray(labels).reshape(-1)):
        rows.append(f"{int(c)} {(x1 + x2) / 2 / width:.6f} {(y1 + y2) / 2 / height:.6f} "
                    f"{(x2 - x1) / width:.6f} {(y2 - y1) / height:.6f}")
    return "\n".join(rows) + ("\n" if rows else "")


def parse_yolo_lines(text: str, width: int, height: int, n_classes: int | None = None):
    """-> (boxes (K, 4) pixels, labels (K,)); ValueError with the line number on a bad line."""
    boxes, labels = [], []
    for k, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) != 5:
            raise ValueError(f"line {k} has {len(parts)} values, not 5 (class cx cy w h)")
        try:
            c = int(parts[0])
            cx, cy, w, h = (float(v) for v in parts[1:])
        except ValueError:
            raise ValueError(f"line {k} is not 'class cx cy w h' numbers") from None
        if c < 0 or (n_classes is not None and c >= n_classes):
            raise ValueError(f"line {k} names class {c}, but there are {n_classes} classes")
        if not all(np.isfinite([cx, cy, w, h])) or w <= 0 or h <= 0 or not (-0.01 <= cx <= 1.01 and -0.01 <= cy <= 1.01):
            raise ValueError(f"line {k} has a box outside the image (values must be fractions in 0..1)")
        boxes.append([(cx - w / 2) * width, (cy - h / 2) * height, (cx + w / 2) * width, (cy + h / 2) * height])
        labels.append(c)
    return as_boxes(boxes), np.asarray(labels, np.int64)


def write_yolo(ds: DetectionSet, folder: str | os.PathLike) -> Path:
    from workbench.core.jsonio import atomic_write_text

    root = Path(folder).expanduser()
    (root / "images").mkdir(parents=True, exist_ok=True)
    (root / "labels").mkdir(parents=True, exist_ok=True)
    for name, img, b, lab in zip(_export_names(ds), ds.images, ds.boxes, ds.labels):
        _write_image(safe_child(root / "images", name), img)
        atomic_write_text(safe_child(root / "labels", Path(name).stem + ".txt"),
                          yolo_lines(b, lab, img.shape[1], img.shape[0]))
    atomic_write_text(root / "classes.txt", "\n".join(ds.class_names) + "\n")
    return root


def read_class_file(path: Path) -> list[str]:
    names = [ln.strip() for ln in _small_text(path, "class list").splitlines() if ln.strip()]
    if not names:
        raise ProjectError(f"The class list {path} is empty; write one class name per line.")
    return names


def read_yolo(folder: str | os.PathLike, class_names: list[str] | None = None) -> DetectionSet:
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise DataError(f"{root} is not a folder; choose the folder with images/ and labels/.")
    img_dir = root / "images" if (root / "images").is_dir() else root
    lab_dir = root / "labels" if (root / "labels").is_dir() else img_dir
    if class_names is None and (root / "classes.txt").is_file():
        class_names = read_class_file(root / "classes.txt")
    images, boxes, labels, names, skipped = [], [], [], [], []
    max_c = -1
    for f in _image_files(img_dir):
        img = _read_image(f)
        if img is None:
            skipped.append((str(f), "not a readable image"))
            continue
        lab_file = lab_dir / (f.stem + ".txt")
        b, lab = np.zeros((0, 4), np.float32), np.zeros(0, np.int64)
        if lab_file.is_file():
            try:
                b, lab = parse_yolo_lines(_small_text(lab_file, "label file"), img.shape[1], img.shape[0],
                                          len(class_names) if class_names else None)
            except (ValueError, ProjectError) as e:
                skipped.append((str(lab_file), str(e)))
                continue
        images.append(img)
        boxes.append(b)
        labels.append(lab)
        names.append(f.name)
        if len(lab):
            max_c = max(max_c, int(lab.max()))
    if not images:
        raise DataError(f"{img_dir} has no readable images with YOLO labels.")
    if class_names is None:
        class_names = [str(i) for i in range(max_c + 1)] or ["object"]
    return DetectionSet(images, boxes, labels, list(class_names), None, names, root.name,
                        {"type": "yolo", "path": str(root)}, skipped)


# ----------------------------------------------------------------------------------------- COCO
def write_coco(ds: DetectionSet, folder: str | os.PathLike) -> Path:
    from workbench.core.jsonio import atomic_write_json

    root = Path(folder).expanduser()
    (root / "images").mkdir(parents=True, exist_ok=True)
    images, anns = [], []
    for i, (name, img, b, lab) in enumerate(zip(_export_names(ds), ds.images, ds.boxes, ds.labels)):
        _write_image(safe_child(root / "images", name), img)
        images.append({"id": i + 1, "file_name": name, "width": int(img.shape[1]), "height": int(img.shape[0])})
        for box, c in zip(xyxy_to_xywh(b), lab):
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": int(c) + 1,
                         "bbox": [round(float(v), 3) for v in box], "area": float(box[2] * box[3]), "iscrowd": 0})
    cats = [{"id": k + 1, "name": n, "supercategory": "object"} for k, n in enumerate(ds.class_names)]
    atomic_write_json(root / "annotations.json", {"info": {"description": ds.name}, "images": images,
                                                  "annotations": anns, "categories": cats})
    return root


def _coco_file(path: Path) -> Path:
    if path.is_file():
        return path
    if (path / "annotations.json").is_file():
        return path / "annotations.json"
    found = sorted(path.glob("instances*.json")) + sorted((path / "annotations").glob("*.json")) \
        if (path / "annotations").is_dir() else sorted(path.glob("instances*.json"))
    if not found:
        raise DataError(f"{path} has no COCO annotations.json; choose the JSON file or its folder.")
    return found[0]


def read_coco(path: str | os.PathLike) -> DetectionSet:
    from workbench.core.jsonio import read_json

    jf = _coco_file(Path(path).expanduser())
    root = jf.parent if jf.parent.name != "annotations" else jf.parent.parent
    data = read_json(jf, kind="COCO annotation file")
    check_fields(data, {"images": list, "annotations": list, "categories": list}, kind="COCO annotation file",
                 where=jf, required=("images", "annotations", "categories"))
    cats = []
    for c in data["categories"]:
        check_fields(c, {"id": int, "name": str}, kind="COCO annotation file", where=jf, required=("id", "name"))
        cats.append((c["id"], c["name"]))
    cats.sort()
    cat_index = {cid: k for k, (cid, _) in enumerate(cats)}
    per_image: dict[int, list] = {}
    skipped = []
    for a in data["annotations"]:
        check_fields(a, {"image_id": int, "category_id": int, "bbox": list}, kind="COCO annotation file", where=jf,
                     required=("image_id", "category_id", "bbox"))
        bb = a["bbox"]
        if (len(bb) != 4 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bb)
                or bb[2] <= 0 or bb[3] <= 0 or a["category_id"] not in cat_index):
            skipped.append((f"annotation {a.get('id', '?')}", "bbox is not [x, y, w, h] with w, h > 0 of a known category"))
            continue
        per_image.setdefault(a["image_id"], []).append((bb, cat_index[a["category_id"]]))
    img_dirs = [root / "images", root]
    images, boxes, labels, names = [], [], [], []
    for rec in data["images"]:
        check_fields(rec, {"id": int, "file_name": str}, kind="COCO annotation file", where=jf,
                     required=("id", "file_name"))
        parts = Path(rec["file_name"].replace("\\", "/")).parts
        try:
            candidates = [safe_child(d, *parts, what="image file name") for d in img_dirs]
        except UnsafeName as e:
            skipped.append((rec["file_name"], str(e)))
            continue
        f = next((c for c in candidates if c.is_file()), None)
        img = _read_image(f) if f is not None else None
        if img is None:
            skipped.append((rec["file_name"], "missing or not a readable image"))
            continue
        items = per_image.get(rec["id"], [])
        images.append(img)
        boxes.append(xywh_to_xyxy([bb for bb, _ in items]))
        labels.append(np.asarray([c for _, c in items], np.int64))
        names.append(parts[-1])
    if not images:
        raise DataError(f"None of the images named in {jf} could be read.")
    return DetectionSet(images, boxes, labels, [n for _, n in cats], None, names, root.name,
                        {"type": "coco", "path": str(jf)}, skipped)


# ------------------------------------------------------------------------------------------ VOC
def write_voc(ds: DetectionSet, folder: str | os.PathLike) -> Path:
    import xml.etree.ElementTree as ET

    from workbench.core.jsonio import atomic_write_text

    root = Path(folder).expanduser()
    (root / "JPEGImages").mkdir(parents=True, exist_ok=True)
    (root / "Annotations").mkdir(parents=True, exist_ok=True)
    for name, img, b, lab in zip(_export_names(ds), ds.images, ds.boxes, ds.labels):
        _write_image(safe_child(root / "JPEGImages", name), img)
        ann = ET.Element("annotation")
        ET.SubElement(ann, "folder").text = "JPEGImages"
        ET.SubElement(ann, "filename").text = name
        size = ET.SubElement(ann, "size")
        for tag, v in (("width", img.shape[1]), ("height", img.shape[0]), ("depth", 3)):
            ET.SubElement(size, tag).text = str(int(v))
        for box, c in zip(b, lab):
            obj = ET.SubElement(ann, "object")
            ET.SubElement(obj, "name").text = ds.class_names[int(c)]
            ET.SubElement(obj, "difficult").text = "0"
            bnd = ET.SubElement(obj, "bndbox")
            for tag, v in zip(("xmin", "ymin", "xmax", "ymax"), box):
                ET.SubElement(bnd, tag).text = f"{float(v):.2f}"
        ET.indent(ann)
        atomic_write_text(safe_child(root / "Annotations", Path(name).stem + ".xml"),
                          ET.tostring(ann, encoding="unicode") + "\n")
    return root


def _parse_voc(path: Path) -> tuple[str, list]:
    import xml.etree.ElementTree as ET

    try:
        ann = ET.fromstring(_small_text(path, "VOC annotation"))
    except ET.ParseError as e:
        raise ValueError(f"not valid XML ({e})") from None
    if ann.tag != "annotation":
        raise ValueError("its root element is not <annotation>")
    fname = (ann.findtext("filename") or "").strip()
    if not fname:
        raise ValueError("it has no <filename>")
    objs = []
    for obj in ann.iter("object"):
        name = (obj.findtext("name") or "").strip()
        bnd = obj.find("bndbox")
        if not name or bnd is None:
            raise ValueError("an <object> has no <name> or <bndbox>")
        try:
            box = [float(bnd.findtext(t)) for t in ("xmin", "ymin", "xmax", "ymax")]
        except (TypeError, ValueError):
            raise ValueError("a <bndbox> lacks xmin, ymin, xmax or ymax numbers") from None
        if not (box[2] > box[0] and box[3] > box[1]):
            raise ValueError(f"the box of {name!r} has xmax <= xmin or ymax <= ymin")
        objs.append((name, box))
    return fname, objs


def read_voc(folder: str | os.PathLike, class_names: list[str] | None = None) -> DetectionSet:
    root = Path(folder).expanduser()
    ann_dir = root / "Annotations"
    if not ann_dir.is_dir():
        raise DataError(f"{root} has no Annotations/ folder; choose a Pascal VOC folder.")
    img_dir = root / "JPEGImages" if (root / "JPEGImages").is_dir() else root
    parsed, skipped = [], []
    for xf in sorted(ann_dir.glob("*.xml")):
        try:
            fname, objs = _parse_voc(xf)
            f = safe_child(img_dir, Path(fname).name, what="image file name")
        except (ValueError, ProjectError, UnsafeName) as e:
            skipped.append((str(xf), str(e)))
            continue
        img = _read_image(f) if f.is_file() else None
        if img is None:
            skipped.append((str(xf), f"its image {fname} is missing or unreadable"))
            continue
        parsed.append((fname, img, objs))
    if not parsed:
        raise DataError(f"{ann_dir} has no readable VOC annotation with its image.")
    names = list(class_names) if class_names else sorted({n for _, _, objs in parsed for n, _ in objs})
    index = {n: k for k, n in enumerate(names)}
    images, boxes, labels, files = [], [], [], []
    for fname, img, objs in parsed:
        unknown = [n for n, _ in objs if n not in index]
        if unknown:
            skipped.append((fname, f"class {unknown[0]!r} is not in the class list"))
            continue
        images.append(img)
        boxes.append(as_boxes([b for _, b in objs]))
        labels.append(np.asarray([index[n] for n, _ in objs], np.int64))
        files.append(Path(fname).name)
    return DetectionSet(images, boxes, labels, names or ["object"], None, files, root.name,
                        {"type": "voc", "path": str(root)}, skipped)
