"""Faces on real photos that ship offline: the three detectors, alignment, the default encoder
with and without dlib, the three-way people split, gallery path safety."""
from __future__ import annotations

import json

import numpy as np
import pytest

from workbench.core.errors import DataError, ProjectError
from workbench.core.studies.faces import dlib_models
from workbench.core.studies.faces.realfaces import (ASTRONAUT_FACE, FaceData, astronaut, astronaut_case, collage,
                                                    detection_recall, lfw_scenes, real_identities)

needs_dlib = pytest.mark.skipif(not dlib_models.dlib_status()[0], reason="dlib is not installed on this system")


@pytest.fixture
def no_dlib(monkeypatch):
    """dlib and its models cannot be imported (a system without a dlib-bin wheel)."""
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(dlib_models.importlib.util, "find_spec",
                        lambda name, *a: None if name in ("dlib", "face_recognition_models") else real(name, *a))


# ---- detectors on real photos -------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_collage():
    return collage()


def test_haar_detector_on_real_photos(big_collage):
    from workbench.core.studies.faces.detect import make_detector

    det = make_detector("haar", "photo")
    assert det.kind == "haar"
    assert detection_recall(det, [astronaut_case()]).found == 1
    r = detection_recall(det, lfw_scenes()[::10])
    assert r.recall >= 0.8
    c = detection_recall(det, [big_collage])
    assert c.faces == 12 and c.found >= 5


@needs_dlib
def test_hog_detector_is_the_default_and_finds_more_than_haar(big_collage):
    from workbench.core.studies.faces.detect import default_detector_kind, make_detector

    assert default_detector_kind() == "hog"
    det = make_detector(purpose="photo")
    assert det.kind == "hog"
    boxes = det.detect(astronaut())
    assert len(boxes) == 1 and detection_recall(det, [astronaut_case()]).found == 1
    assert detection_recall(det, lfw_scenes()[::10]).recall >= 0.8
    assert detection_recall(det, lfw_scenes(faces=False)[::10]).false_positives == 0  # non-face LFW crops
    hog = detection_recall(det, [big_collage])
    haar = detection_recall(make_detector("haar", "photo"), [big_collage])
    assert hog.found >= haar.found and hog.false_positives == 0
    # live frames are detected on a downscaled copy; boxes come back in full-frame pixels
    import cv2

    frame = cv2.resize(astronaut(), (960, 960))
    live = make_detector("hog", "live")
    (b,) = live.detect(frame)
    cx, cy = b.center
    assert abs(cx - 1.875 * (ASTRONAUT_FACE.x + ASTRONAUT_FACE.w / 2)) < 40 and abs(
        cy - 1.875 * (ASTRONAUT_FACE.y + ASTRONAUT_FACE.h / 2)) < 50


@needs_dlib
def test_cnn_detector_on_real_photos():
    from workbench.core.studies.faces.detect import make_detector

    from workbench.core.studies.faces.detect import FaceBox
    from workbench.core.studies.faces.realfaces import DetectionCase

    det = make_detector("cnn", "photo")
    assert det.kind == "cnn"
    # the CNN takes seconds per photo on a CPU: the astronaut's head and shoulders, one LFW photo, a small collage
    a = ASTRONAUT_FACE
    head = DetectionCase("astronaut", astronaut()[0:300, 100:400].copy(), [FaceBox(a.x - 100, a.y, a.w, a.h)])
    assert detection_recall(det, [head]).found == 1
    assert detection_recall(det, lfw_scenes()[:1]).found == 1
    small = collage(size=(640, 360), n_faces=5)
    r = detection_recall(det, [small])
    assert r.faces == 6 and r.found >= 3 and r.false_positives == 0


def test_unknown_or_missing_detector_says_what_to_do(no_dlib):
    from workbench.core.errors import DeviceUnavailable
    from workbench.core.studies.faces.detect import default_detector_kind, detector_status, make_detector

    assert default_detector_kind() == "haar"
    assert detector_status()["haar"] == "" and "pip install dlib-bin" in detector_status()["hog"]
    with pytest.raises(DeviceUnavailable, match="dlib"):
        make_detector("cnn")
    with pytest.raises(DataError, match="choose one of"):
        make_detector("yolo")


# ---- alignment ------------------------------------------------------------------------------------

@needs_dlib
def test_alignment_undoes_a_tilted_head():
    import cv2

    from workbench.core.studies.faces.align import FaceFinder, make_finder
    from workbench.core.studies.faces.detect import crop_face

    finder = make_finder("hog")
    img = astronaut()
    (face,) = finder.find(img)
    pts = finder.aligner.landmarks(img, face.box)
    assert pts.shape == (5, 2)
    b = face.box
    assert ((pts[:, 0] > b.x - 5) & (pts[:, 0] < b.x + b.w + 5) & (pts[:, 1] > b.y - 5)
            & (pts[:, 1] < b.y + b.h + 10)).all()
    eyes = pts[:4]
    assert abs(eyes[:, 1].max() - eyes[:, 1].min()) < 0.1 * b.w  # the astronaut looks straight on

    # the same photo tilted by 12 degrees: the aligned chip looks like the upright one, the plain crop does not
    M = cv2.getRotationMatrix2D((256, 256), 12, 1.0)
    tilted = cv2.warpAffine(img, M, (512, 512), borderMode=cv2.BORDER_REPLICATE)
    (tf,) = finder.find(tilted)
    plain = FaceFinder(finder.detector, aligner=None)

    def corr(a, b):
        a, b = a.astype(float).ravel(), b.astype(float).ravel()
        return float(np.corrcoef(a, b)[0, 1])

    aligned_corr = corr(face.chip, tf.chip)
    plain_corr = corr(plain.chip(img, face.box), plain.chip(tilted, tf.box))
    assert aligned_corr > 0.9 and aligned_corr > plain_corr + 0.05
    assert face.chip.shape == (150, 150, 3) and crop_face(img, b, 150).shape == (150, 150, 3)


# ---- the default encoder ---------------------------------------------------------------------------

@needs_dlib
def test_default_encoder_is_dlib_where_installed(tmp_path):
    from workbench.core.studies.faces.encoder import default_encoder_kind, encoder_factory
    from workbench.core.studies.faces.workflow import available_encoders

    assert default_encoder_kind() == "dlib"
    enc = encoder_factory(None)()
    assert enc.name == "dlib" and enc.default_threshold == 0.6
    assert available_encoders(tmp_path)["dlib"] == ""


def test_default_encoder_without_dlib_is_the_own_one_and_says_what_is_missing(no_dlib, tmp_path):
    from workbench.core.studies.faces.align import make_finder
    from workbench.core.studies.faces.encoder import default_encoder_kind, encoder_factory
    from workbench.core.studies.faces.workflow import available_encoders

    assert default_encoder_kind() == "own"
    with pytest.raises(ProjectError, match="train one"):
        encoder_factory(None, tmp_path / "enc")
    msg = available_encoders(tmp_path)["dlib"]
    assert "pip install dlib-bin" in msg and "own encoder" in msg
    finder = make_finder()  # still finds faces: Haar, no alignment
    assert finder.detector.kind == "haar" and not finder.aligned and len(finder.find(astronaut())) == 1


# ---- the three-way people split ---------------------------------------------------------------------

def _tiny_gallery(n: int) -> FaceData:
    rng = np.random.default_rng(0)
    X = [rng.integers(0, 255, (8, 8, 3), dtype=np.uint8) for _ in range(2 * n)]
    names = [f"person {i}" for i in range(n)]
    return FaceData(X, np.repeat(np.arange(n), 2), names, ["gallery"] * n, f"{n} gallery people")


def test_people_split_three_ways_without_overlap_and_stable():
    from workbench.core.studies.faces.protocol import split_people

    lfw = real_identities(shots=2, aligned=False)
    s = split_people(lfw)
    parts = [set(s.train), set(s.validation), set(s.test)]
    assert all(a.isdisjoint(b) for i, a in enumerate(parts) for b in parts[i + 1:])
    assert sum(map(len, parts)) == 101 and len(s.validation) == 20 and len(s.test) == 20
    rows = [set(lfw.y[s.rows(lfw.y, p)]) for p in ("train", "validation", "test")]
    assert rows[0].isdisjoint(rows[1]) and rows[1].isdisjoint(rows[2]) and rows[0].isdisjoint(rows[2])
    assert "20 people: 20 LFW-subset faces" in s.describe("test")
    # adding gallery people does not move an LFW face to another part
    both = split_people(lfw.merged(_tiny_gallery(8)))
    name_part = lambda sp: {sp.names[i]: p for p in ("train", "validation", "test") for i in sp.part(p)}  # noqa: E731
    a, b = name_part(s), name_part(both)
    assert all(b[n] == p for n, p in a.items())
    assert sum(both.origins[i] == "gallery" for i in both.test) >= 2
    # a gallery too small for a fair split goes to training and the split says so
    small = split_people(lfw.merged(_tiny_gallery(4)))
    assert all(small.origins[i] == "lfw" or small.origins[i] == "astronaut" for i in small.validation + small.test)
    assert any("too few" in n and "training only" in n for n in small.notes)
    with pytest.raises(DataError, match="at least 6"):
        split_people(_tiny_gallery(4))


def test_threshold_is_chosen_on_validation_people_and_reported_on_test_people():
    from workbench.core.studies.faces.evaluate import evaluate_embeddings
    from workbench.core.studies.faces.protocol import honest_report, split_people

    data = _tiny_gallery(30)
    split = split_people(data)
    rng = np.random.default_rng(1)
    centers = rng.normal(size=(30, 16))
    centers /= np.linalg.norm(centers, axis=1, keepdims=True)
    spread = np.where(np.isin(np.arange(30), split.test), 0.35, 0.12)  # test people are harder than validation
    emb = centers[data.y] + rng.normal(size=(60, 16)) * spread[data.y, None] / 4
    rep = honest_report(emb, data, split, "toy")
    iv, it = split.rows(data.y, "validation"), split.rows(data.y, "test")
    val_t = evaluate_embeddings(emb[iv], data.y[iv]).threshold
    test_t = evaluate_embeddings(emb[it], data.y[it]).threshold
    assert rep.threshold == pytest.approx(val_t) and rep.test.threshold == pytest.approx(val_t)
    assert abs(val_t - test_t) > 1e-3  # a test-tuned threshold would have been another one
    s = rep.summary()
    assert s["threshold_from"] == "validation people" and s["measured_on"].startswith("6 people")
    assert set(s["people"]["test"]).isdisjoint(s["people"]["validation"])
    assert "test people" in rep.sentence() and "validation people" in rep.sentence()


def test_evaluation_leaves_out_people_the_encoder_was_trained_on():
    from workbench.core.studies.faces.protocol import evaluate_split, split_people

    data = _tiny_gallery(12)
    split = split_people(data, train_needed=False)

    class Enc:
        name, embedding_dim = "toy", 4
        info = {"trained_on": [data.names[split.test[0]]]}

        def embed(self, X):
            return np.stack([np.r_[x.mean(), x.std(), x[0, 0, 0], x[1, 1, 1]] for x in X]).astype(np.float32)

    rep = evaluate_split(Enc(), data, split)
    assert rep.excluded == [data.names[split.test[0]]]
    assert data.names[split.test[0]] not in rep.summary()["people"]["test"]


# ---- gallery safety -----------------------------------------------------------------------------------

@pytest.mark.parametrize("person, image", [("../../outside", "0001.png"), ("/etc", "0001.png"),
                                           ("bob_001", "../../../x.png"), ("a/b", "0001.png"),
                                           ("bob_001", "/abs.png"), ("..", "0001.png"), ("c:evil", "x.png")])
def test_hostile_names_in_gallery_json_are_refused_and_the_file_is_left_alone(tmp_path, person, image):
    from workbench.core.studies.faces.gallery import Gallery

    root = tmp_path / "proj" / "faces" / "gallery"
    root.mkdir(parents=True)
    text = json.dumps({"schema_version": 1, "encoder_key": None,
                       "people": [{"id": person, "name": "Bob", "images": [image]}]})
    (root / "gallery.json").write_text(text)
    with pytest.raises(ProjectError, match="left as it is"):
        Gallery(tmp_path / "proj")
    assert (root / "gallery.json").read_text() == text


def test_damaged_gallery_gives_a_message_and_is_not_overwritten(tmp_path):
    from workbench.core.studies.faces.gallery import Gallery

    root = tmp_path / "faces" / "gallery"
    root.mkdir(parents=True)
    for bad in ("{broken", json.dumps({"schema_version": 1, "people": "nobody"}),
                json.dumps({"schema_version": 1, "people": [{"id": "x", "name": 3}]})):
        (root / "gallery.json").write_text(bad)
        with pytest.raises(ProjectError, match="damaged"):
            Gallery(tmp_path)
        assert (root / "gallery.json").read_text() == bad


def test_deleting_a_person_never_touches_files_outside_the_gallery(tmp_path):
    import os

    from workbench.core.studies.faces.gallery import Gallery

    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.txt").write_text("mine")
    g = Gallery(tmp_path / "proj")
    g.add_faces("Ann", [np.full((150, 150, 3), 128, np.uint8)])
    g.add_faces("Bob", [np.full((150, 150, 3), 90, np.uint8)])
    # someone replaced Bob's folder by a link to another folder
    bob = g.folder("Bob")
    for f in bob.iterdir():
        f.unlink()
    bob.rmdir()
    os.symlink(outside, bob)
    from workbench.core.safety import UnsafeName

    with pytest.raises(UnsafeName, match="outside"):
        g.delete("Bob")
    assert (outside / "keep.txt").read_text() == "mine"
    g.delete("Ann")
    assert not (tmp_path / "proj" / "faces" / "gallery" / "ann_001").exists()
    assert (outside / "keep.txt").exists()
