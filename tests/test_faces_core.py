"""Faces study core: triplet loss and mining, ROC threshold, k-NN "unknown", K-Means, gallery, pipeline."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from workbench.core.errors import DataError, DeviceUnavailable
from workbench.core.studies.faces import (UNKNOWN, EncoderConfig, FacePipeline, Gallery, HaarDetector, Identifier,
                                          OwnEncoder, TripletHead, Verifier, build_encoder_net, check_shot,
                                          cluster_embeddings, crop_face, evaluate_encoder, evaluate_pairs,
                                          mine_triplets, pair_distances, run_source, suggest_k, train_encoder,
                                          triplet_loss)
from workbench.core.studies.faces import dlib_encoder as dlib_mod
from workbench.core.studies.faces import dlib_models
from workbench.core.studies.faces.synth import (augment_photo, drawn_people, face_video_frames, lfw_faces,
                                                photo_people, scene_with_face, write_video)

SMALL = dict(image_size=32, width=8, embedding_dim=32, batch_size=50, lr=3e-3)


# ---- triplet loss and mining -------------------------------------------------------------------

def test_triplet_loss_matches_hand_computed_values():
    a = torch.tensor([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    p = torch.tensor([[1.0, 0.0], [2.0, 0.0], [1.0, 2.0]])
    n = torch.tensor([[0.0, 2.0], [1.0, 0.0], [1.0, 1.5]])
    # d_ap = 1, 4, 1 ; d_an = 4, 1, 0.25 ; margin 0.5 -> max(-2.5,0)=0, 3.5, 1.25 -> mean 1.5833
    loss = triplet_loss(a, p, n, margin=0.5)
    assert loss.item() == pytest.approx((0.0 + 3.5 + 1.25) / 3)
    assert triplet_loss(a[:1], p[:1], n[:1], margin=0.5).item() == 0.0
    # exactly at the margin boundary the hinge is zero
    assert triplet_loss(a[:1], p[:1], n[:1], margin=3.0).item() == pytest.approx(0.0)
    assert triplet_loss(a[:1], p[:1], n[:1], margin=3.5).item() == pytest.approx(0.5)


def test_triplet_loss_gradient_pulls_positive_and_pushes_negative():
    a = torch.zeros(1, 2, requires_grad=True)
    p = torch.tensor([[1.0, 0.0]], requires_grad=True)
    n = torch.tensor([[0.5, 0.0]], requires_grad=True)
    triplet_loss(a, p, n, margin=0.2).backward()
    assert p.grad[0, 0] > 0   # descending moves p toward a (x decreases)
    assert n.grad[0, 0] < 0   # descending moves n away from a (x increases)


# 1-D embeddings: label 0 at 0.0, 0.5, 2.0 ; label 1 at 1.0, 3.0
EMB = torch.tensor([[0.0], [0.5], [2.0], [1.0], [3.0]])
LAB = torch.tensor([0, 0, 0, 1, 1])


def test_hard_mining_picks_farthest_positive_and_closest_negative():
    t = mine_triplets(EMB, LAB, "hard").tolist()
    assert t == [[0, 2, 3], [1, 2, 3], [2, 0, 3], [3, 4, 1], [4, 3, 2]]


def test_semi_hard_mining_picks_closest_negative_beyond_the_positive():
    t = {(a, p): n for a, p, n in mine_triplets(EMB, LAB, "semi-hard", margin=0.2).tolist()}
    assert len(t) == 8  # every (anchor, positive) pair
    assert t[(0, 1)] == 3   # d_ap 0.25; negatives at 1 and 9: closest beyond 0.25 is 1 -> index 3
    assert t[(0, 2)] == 4   # d_ap 4; only the negative at 9 is beyond
    assert t[(2, 0)] == 3   # d_ap 4; none beyond -> the farthest closer one (tie 1, 1 -> first)
    assert t[(3, 4)] == 0   # d_ap 4; negatives 1, 0.25, 1: none beyond -> farthest (1) first is index 0
    assert t[(4, 3)] == 1   # d_ap 4; negatives at 9, 6.25, 1: the closest beyond 4 is 6.25 -> index 1


def test_random_mining_uses_valid_triplets_and_varies():
    g = torch.Generator().manual_seed(0)
    seen = set()
    for _ in range(30):
        t = mine_triplets(EMB, LAB, "random", generator=g)
        assert len(t) == 8
        for a, p, n in t.tolist():
            assert a != p and LAB[a] == LAB[p] and LAB[a] != LAB[n]
            seen.add((a, p, n))
    assert {(0, 1, 3), (0, 1, 4)} <= seen  # both negatives of anchor 0 get drawn


def test_mining_without_positives_gives_no_triplets_and_zero_loss():
    head = TripletHead(0.2, "hard")
    out = torch.randn(3, 4, requires_grad=True)
    loss = head.loss(out, torch.tensor([0, 1, 2]))
    assert loss.item() == 0.0 and head.last_triplets == 0
    loss.backward()  # still part of the graph


# ---- training through the common Trainer --------------------------------------------------------

@pytest.fixture(scope="module")
def photo_encoder():
    """An encoder trained on augmented LFW photos (one identity per photo), plus held-out people."""
    X, y, _ = photo_people(20, 5, seed=1, size=32)
    Xt, yt, _ = photo_people(6, 6, seed=2, size=32, first=40)
    enc, res = train_encoder(X, y, EncoderConfig(epochs=4, **SMALL), val=(Xt, yt))
    return enc, res, Xt, yt


def test_triplet_training_runs_through_trainer_and_beats_untrained(photo_encoder):
    enc, res, Xt, yt = photo_encoder
    assert res.epochs_run == 4
    hist = res.history
    assert {"loss", "val_loss", "val_auc", "val_eer"} <= set(hist[0])
    assert hist[-1]["loss"] < hist[0]["loss"]
    torch.manual_seed(0)
    untrained = OwnEncoder(build_encoder_net(enc.config), enc.config)
    assert evaluate_encoder(enc, Xt, yt).auc > evaluate_encoder(untrained, Xt, yt).auc
    e = enc.embed(Xt[:3])
    assert e.shape == (3, 32) and np.allclose(np.linalg.norm(e, axis=1), 1.0, atol=1e-5)


def test_drawn_identities_with_hard_mining_learn(tmp_path):
    X, y, names = drawn_people(12, 4, seed=5, size=32)
    assert X.shape == (48, 32, 32, 3) and len(names) == 12
    enc, res = train_encoder(X, y, EncoderConfig(epochs=3, mining="hard", **SMALL))
    assert res.epochs_run == 3 and "val_loss" not in res.history[0]
    assert all(np.isfinite(h["loss"]) for h in res.history)
    enc.save(tmp_path / "enc")
    again = OwnEncoder.load(tmp_path / "enc")
    assert again.key == enc.key
    np.testing.assert_allclose(again.embed(X[:4]), enc.embed(X[:4]), atol=1e-5)


def test_training_needs_two_people():
    X, y, _ = drawn_people(1, 4, size=32)
    with pytest.raises(DataError, match="at least 2 people"):
        train_encoder(X, y, EncoderConfig(epochs=1, **SMALL))


# ---- verification threshold from the ROC --------------------------------------------------------

def test_threshold_and_eer_from_roc_hand_checked():
    rep = evaluate_pairs(np.array([0.1, 0.2, 0.3, 0.4]), np.array([True, True, False, False]))
    assert rep.auc == 1.0 and rep.eer == 0.0 and rep.threshold == pytest.approx(0.2)
    # overlapping: S 0.1, D 0.2, S 0.3, D 0.4 -> best balance at d <= 0.2: FAR 1/2, FRR 1/2
    rep = evaluate_pairs(np.array([0.1, 0.3, 0.2, 0.4]), np.array([True, True, False, False]))
    assert rep.eer == pytest.approx(0.5) and rep.threshold == pytest.approx(0.2)
    assert rep.auc == pytest.approx(0.75)
    assert rep.hist_same.sum() == 2 and rep.hist_diff.sum() == 2


def test_threshold_separates_two_distance_populations_and_drives_the_verifier():
    rng = np.random.default_rng(0)
    d = np.concatenate([rng.normal(0.4, 0.05, 300), rng.normal(1.0, 0.05, 900)])
    same = np.r_[np.ones(300, bool), np.zeros(900, bool)]
    rep = evaluate_pairs(d, same)
    assert 0.5 < rep.threshold < 0.9 and rep.eer < 0.01 and rep.auc > 0.999
    v = Verifier(rep.threshold)
    ref = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert v.verify(np.array([0.9, 0.1]), ref, "ann").accepted
    r = v.verify(np.array([-1.0, 0.0]), ref, "ann")
    assert not r.accepted and r.distance == pytest.approx(np.sqrt(2)) and "rejected" in r.sentence()


def test_pair_distances_keeps_all_same_pairs_when_sampling():
    emb = np.random.default_rng(0).normal(size=(60, 4))
    y = np.repeat(np.arange(20), 3)
    d, same = pair_distances(emb, y, max_pairs=200)
    assert len(d) == 200 and same.sum() == 20 * 3


# ---- identification (k-NN) and clustering -------------------------------------------------------

def test_identifier_names_the_nearest_person_or_unknown():
    emb = np.array([[0, 0], [0.1, 0], [5, 5], [5.1, 5]], float)
    ident = Identifier(threshold=1.0).fit(emb, ["ann", "ann", "bob", "bob"])
    m = ident.identify(np.array([[0.2, 0.1], [5, 5.2], [2.5, 2.5]]))
    assert [x.name for x in m] == ["ann", "bob", UNKNOWN]
    assert m[2].nearest in ("ann", "bob") and m[2].distance > 1.0
    assert m[0].distance == pytest.approx(np.hypot(0.1, 0.1))
    # k = 3 votes among neighbours within the threshold
    ident3 = Identifier(threshold=1.0, n_neighbors=3).fit(emb, ["ann", "ann", "bob", "bob"])
    assert ident3.identify(np.array([[0.05, 0]]))[0].name == "ann"
    assert Identifier(1.0).fit(np.zeros((0, 2)), []).identify(np.ones((1, 2)))[0].name == UNKNOWN


def test_silhouette_suggests_the_number_of_blobs():
    rng = np.random.default_rng(1)
    centers = rng.normal(0, 5, (4, 8))
    emb = np.concatenate([c + rng.normal(0, 0.3, (10, 8)) for c in centers])
    k, scores = suggest_k(emb, 2, 8)
    assert k == 4 and max(scores, key=scores.get) == 4


def test_kmeans_groups_generated_identities(photo_encoder):
    from sklearn.metrics import adjusted_rand_score

    enc = photo_encoder[0]
    # four held-out photo identities with mild shot-to-shot changes
    X, y, _ = photo_people(4, 6, seed=9, size=32, variation=0.4, first=60)
    res = cluster_embeddings(enc.embed(X), k=4)
    assert res.k == 4 and len(res.groups()) == 4
    assert adjusted_rand_score(y, res.labels) > 0.6
    auto = cluster_embeddings(enc.embed(X))
    assert auto.suggested_k == auto.k and set(auto.silhouette) >= {2, 3, 4}


# ---- detection, blur check, gallery -------------------------------------------------------------

@pytest.fixture(scope="module")
def detector():
    return HaarDetector()


def test_detector_finds_real_faces_and_maps_boxes_to_full_size(detector):
    from skimage import data

    img = data.astronaut()
    boxes = detector.detect(img)
    assert boxes and 140 < boxes[0].x + boxes[0].w / 2 < 260 and 60 < boxes[0].y + boxes[0].h / 2 < 180
    frame = scene_with_face(lfw_faces()[0], (640, 480), face_px=160, center=(200, 240))
    b = detector.detect(frame)[0]
    cx, cy = b.center
    assert abs(cx - 200) < 30 and abs(cy - 240) < 30
    crop = crop_face(frame, b, size=64)
    assert crop.shape == (64, 64, 3) and crop.dtype == np.uint8
    assert detector.detect(np.full((480, 640, 3), 128, np.uint8)) == []


def test_blurry_and_faceless_frames_are_rejected(detector):
    import cv2

    frame = scene_with_face(lfw_faces()[3], face_px=170)
    assert check_shot(frame, detector).ok
    blurry = cv2.GaussianBlur(frame, (0, 0), 6)
    chk = check_shot(blurry, detector)
    assert not chk.ok and ("blurry" in chk.reason or "no face" in chk.reason)
    assert check_shot(np.zeros((480, 640, 3), np.uint8), detector).reason == "no face found"


def test_gallery_enroll_rename_delete_and_reload(tmp_path, detector, photo_encoder):
    enc = photo_encoder[0]
    faces = lfw_faces()
    rng = np.random.default_rng(0)
    g = Gallery(tmp_path)
    frames = [scene_with_face(augment_photo(faces[1], rng, 64, 0.3), face_px=170) for _ in range(3)]
    frames.append(np.zeros((480, 640, 3), np.uint8))  # faceless: rejected
    rep = g.enroll_frames("Ann", frames, detector, enc)
    assert rep.accepted == 3 and len(rep.rejected) == 1 and "no face" in rep.sentence()
    assert g.add_faces("Bob", [augment_photo(faces[2], rng, 128, 0.3) for _ in range(2)], enc) == 2
    assert g.embeddings("Ann").shape == (3, 32) and g.embeddings("Bob").shape == (2, 32)
    ann_dir = g.folder("Ann")
    assert len(list(ann_dir.glob("*.png"))) == 3 and (ann_dir / "embeddings.npy").exists()

    g.rename("Ann", "Anna")
    with pytest.raises(DataError, match="already"):
        g.rename("Anna", "Bob")
    g2 = Gallery(tmp_path)  # reload from disk
    assert g2.names == ["Anna", "Bob"] and g2.embeddings("Anna").shape == (3, 32)
    assert not g2.needs_embedding(enc.key)
    emb, names = g2.all_embeddings()
    assert emb.shape == (5, 32) and names.count("Anna") == 3

    g2.delete("Bob")
    assert "Bob" not in Gallery(tmp_path).names
    assert not any(p.name.startswith("bob") for p in (tmp_path / "faces" / "gallery").iterdir())
    g2.delete_image("Anna", 0)
    assert g2.embeddings("Anna").shape == (2, 32) and len(list(g2.folder("Anna").glob("*.png"))) == 2

    # switching encoders: embeddings must be recomputed, and are
    torch.manual_seed(1)
    other = OwnEncoder(build_encoder_net(EncoderConfig(embedding_dim=16, image_size=32, width=8)),
                       EncoderConfig(embedding_dim=16, image_size=32, width=8))
    assert g2.needs_embedding(other.key)
    g2.reembed(other)
    assert g2.embeddings("Anna").shape == (2, 16) and not g2.needs_embedding(other.key)


def test_gallery_enroll_from_folder_and_damaged_file(tmp_path, detector):
    import cv2

    from workbench.core.errors import ProjectError

    folder = tmp_path / "photos"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(2):
        img = scene_with_face(augment_photo(lfw_faces()[5], rng, 64, 0.3), face_px=170)
        cv2.imwrite(str(folder / f"{i}.jpg"), img[..., ::-1])
    (folder / "notes.txt").write_text("not a photo")
    (folder / "broken.png").write_bytes(b"nope")
    g = Gallery(tmp_path / "proj")
    rep = g.enroll_folder("Cleo", folder, detector, min_sharpness=10)
    assert rep.accepted == 2 and len(rep.rejected) == 1
    assert g.embeddings("Cleo").size == 0  # no encoder yet: photos only
    (tmp_path / "proj" / "faces" / "gallery" / "gallery.json").write_text("{broken")
    with pytest.raises(ProjectError, match="damaged"):
        Gallery(tmp_path / "proj")
    with pytest.raises(DataError, match="no photos"):
        Gallery(tmp_path / "p2").enroll_folder("X", tmp_path / "nothing", detector)


# ---- the live pipeline from a video file --------------------------------------------------------

def test_pipeline_names_faces_from_a_video_file(tmp_path, detector, photo_encoder):
    from workbench.core.capture.camera import VideoFileSource

    enc, res, Xt, yt = photo_encoder
    faces = lfw_faces()
    ann, bob, stranger = faces[30], faces[31], faces[32]
    path = tmp_path / "clip.avi"
    assert write_video(path, face_video_frames([ann, bob, stranger], 12, (640, 480), face_px=150), fps=15) == 12
    rng = np.random.default_rng(3)
    g = Gallery(tmp_path)
    for name, f in (("ann", ann), ("bob", bob)):
        frames = [scene_with_face(augment_photo(f, rng, 64, 0.2), face_px=150) for _ in range(3)]
        g.enroll_frames(name, frames, detector, enc, min_sharpness=0)
    # the threshold is the equal-error point of the ROC on the held-out people
    threshold = evaluate_encoder(enc, Xt, yt).threshold
    pipe = FacePipeline.from_gallery(enc, g, threshold=threshold, detector=detector, refresh_every=4)
    out = run_source(pipe, VideoFileSource(path))
    assert len(out) == 12
    assert sum(len(f.faces) == 3 for f in out) >= 10  # Haar finds all three in (almost) every frame
    by_lane = {"ann": [], "bob": [], "stranger": []}
    for f in out:
        for face in f.faces:
            lane = ["ann", "bob", "stranger"][min(2, int(face.box.center[0] // (640 / 3)))]
            by_lane[lane].append(face)
    assert sum(x.name == "ann" for x in by_lane["ann"]) >= 0.8 * len(by_lane["ann"])
    assert sum(x.name == "bob" for x in by_lane["bob"]) >= 0.8 * len(by_lane["bob"])
    assert sum(x.name == UNKNOWN for x in by_lane["stranger"]) >= 0.8 * len(by_lane["stranger"])
    # tracking: a steady face is embedded only every `refresh_every` frames
    embedded = sum(face.embedded for f in out for face in f.faces)
    assert embedded < 0.5 * sum(len(f.faces) for f in out)
    assert len({face.track_id for face in by_lane["ann"]}) <= 2


def test_pipeline_refuses_a_gallery_of_another_encoder(tmp_path, photo_encoder):
    enc = photo_encoder[0]
    g = Gallery(tmp_path)
    g.add_faces("ann", [augment_photo(lfw_faces()[0], np.random.default_rng(0), 64)], enc)
    torch.manual_seed(2)
    other = OwnEncoder(build_encoder_net(enc.config), enc.config)
    with pytest.raises(DataError, match="re-embed"):
        FacePipeline.from_gallery(other, g)


# ---- optional dlib -------------------------------------------------------------------------------

def test_missing_dlib_gives_install_hint(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(dlib_models.importlib.util, "find_spec",
                        lambda name, *a: None if name in ("dlib", "face_recognition_models") else real(name, *a))
    ok, msg = dlib_mod.dlib_status()
    assert not ok and "pip install dlib-bin" in msg and "own encoder" in msg
    with pytest.raises(DeviceUnavailable, match="pip install"):
        dlib_mod.DlibEncoder()


@pytest.mark.skipif(not dlib_mod.dlib_available(), reason="dlib extra not installed")
def test_dlib_encoder_same_face_close_different_far(detector):
    from skimage import data

    from workbench.core.studies.faces.align import FaceFinder

    enc = dlib_mod.DlibEncoder()
    finder = FaceFinder(detector)
    img = data.astronaut()
    crop = finder.find(img)[0].chip
    other = finder.find(scene_with_face(lfw_faces()[0], face_px=200))[0].chip
    e = enc.embed([crop, np.ascontiguousarray(crop[:, ::-1]), other])
    assert e.shape == (3, 128)
    assert np.linalg.norm(e[0] - e[1]) < 0.4 < np.linalg.norm(e[0] - e[2])


def test_run_live_hands_over_the_newest_frame_and_reports_a_missing_camera(tmp_path, detector):
    from workbench.core.studies.faces.live import LiveState, open_live_source, run_live

    path = tmp_path / "clip.avi"
    write_video(path, face_video_frames([lfw_faces()[30]], 8, (320, 240), face_px=120), fps=200)
    state = LiveState(FacePipeline(None, detector=detector))  # detection only: no encoder yet
    from workbench.core.capture.camera import VideoFileSource

    info = run_live(VideoFileSource(path), state, lambda: False)
    assert 1 <= info["frames"] <= 8 and info["frames"] + info["dropped"] == 8
    no, frame, faces, fps = state.take()
    assert frame.shape == (240, 320, 3) and faces is not None and faces.faces[0].name == ""
    assert state.take() is None  # nothing newer
    with pytest.raises(DeviceUnavailable, match="camera"):
        run_live(open_live_source("camera:9"), LiveState(), lambda: False)


def test_pipeline_tracks_between_detections_and_bounds_embeddings_per_frame():
    from workbench.core.studies.faces.detect import FaceBox, FaceDetector

    class Moving(FaceDetector):
        """Two faces; the first moves 5 px right per frame (its x is written into the frame)."""

        kind = "fake"

        def __init__(self):
            super().__init__()
            self.calls = 0

        def detect(self, frame):
            self.calls += 1
            return [FaceBox(int(frame[0, 0, 0]), 10, 50, 50), FaceBox(200, 10, 50, 50)]

    class CountingEncoder:
        name, key, embedding_dim, default_threshold = "count", "count", 2, 0.5

        def __init__(self):
            self.embedded = []

        def embed(self, chips):
            self.embedded.append(len(chips))
            return np.zeros((len(chips), 2), np.float32)

    det, enc = Moving(), CountingEncoder()
    from workbench.core.studies.faces.align import FaceFinder

    pipe = FacePipeline(enc, detector=FaceFinder(det, aligner=None, size=32), detect_every=3, max_embeds=1,
                        refresh_every=100)
    xs = []
    for i in range(9):
        frame = np.zeros((100, 300, 3), np.uint8)
        frame[0, 0, 0] = 10 + 5 * i
        xs.append(pipe.process(frame).faces[0].box.x)
    assert det.calls == 3  # frames 0, 3, 6
    assert xs == [10, 10, 10, 25, 30, 35, 40, 45, 50]  # between detections the box moves on with the face
    assert max(enc.embedded) == 1 and sum(enc.embedded) == 2  # one face per frame, each face once


def test_several_faces_enrol_only_the_chosen_one_and_say_so(tmp_path, detector):
    """Two or three people in the picture: enrolment takes the face that was chosen (followed from
    frame to frame), never the others; a folder photo with several faces is said to be one."""
    import cv2

    from workbench.core.studies.faces.align import as_finder
    from workbench.core.studies.faces.live import demo_source

    src = demo_source(n_frames=3)
    src.open()
    frames = [src.read() for _ in range(3)]
    src.close()
    finder = as_finder(detector)
    boxes = detector.detect(frames[0])
    assert len(boxes) >= 2
    chosen = boxes[1]  # not the largest
    g = Gallery(tmp_path / "proj")
    rep = g.enroll_frames("Second", frames[:1], finder, face=chosen.to_tuple(), min_sharpness=1)
    assert rep.accepted == 1
    stored = g.images("Second")[0]
    want = finder.chip(frames[0], chosen)
    others = [finder.chip(frames[0], b) for b in boxes if b != chosen]
    diff = lambda a: float(np.abs(a.astype(int) - stored.astype(int)).mean())  # noqa: E731
    assert diff(want) < min(diff(o) for o in others)
    folder = tmp_path / "group"
    folder.mkdir()
    cv2.imwrite(str(folder / "group.png"), frames[0][..., ::-1])
    rep = Gallery(tmp_path / "p2").enroll_folder("Group", folder, detector, min_sharpness=1)
    assert rep.crowded == 1 and "several faces" in rep.sentence()
