"""Detection case study, core: the YOLO loss term by term, responsible boxes, IoU and NMS,
format round trips, box-aware augmentation, mAP on a known case, the Trainer's term logging."""
from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from workbench.core.studies.detection import augment, boxes as B, formats  # noqa: E402
from workbench.core.studies.detection.data import DetectionSet  # noqa: E402
from workbench.core.studies.detection.evaluate import MeanBoxBaseline, coco_evaluate, match_errors  # noqa: E402
from workbench.core.studies.detection.loss import YoloConfig, YoloHead, encode_targets, yolo_loss_terms  # noqa: E402


def _logit(p):
    return math.log(p / (1 - p))


def _example(lambda_coord=5.0, lambda_noobj=0.5, sqrt_wh=True):
    """S=2, B=2, C=2, one 100x100 image with one object at (10,10)-(40,50), class 1.

    The truth: cell (0, 0), x = 0.5, y = 0.6 (inside the cell), w = 0.3, h = 0.4.
    Box 0 of that cell predicts x 0.6, y 0.5, w 0.36, h 0.25, confidence 0.8: IoU 0.07 / 0.14 = 0.5.
    Box 1 predicts x 0.2, y 0.2, w 0.1, h 0.1, confidence 0.3: IoU 0.0025 / 0.1275, so box 0 is responsible.
    Every box of the other three cells has confidence 0.1. Class probabilities there: softmax(0, ln 3)."""
    cfg = YoloConfig(S=2, B=2, C=2, lambda_coord=lambda_coord, lambda_noobj=lambda_noobj, sqrt_wh=sqrt_wh)
    raw = np.zeros((2, 2, cfg.per_cell))
    raw[..., 4] = raw[..., 9] = _logit(0.1)
    raw[0, 0, 0:5] = [_logit(v) for v in (0.6, 0.5, 0.36, 0.25, 0.8)]
    raw[0, 0, 5:10] = [_logit(v) for v in (0.2, 0.2, 0.1, 0.1, 0.3)]
    raw[..., 10:12] = [0.0, math.log(3.0)]  # p = (0.25, 0.75)
    target, dropped = encode_targets([[[10, 10, 40, 50]]], [[1]], [(100, 100)], cfg)
    assert dropped == 0
    return cfg, torch.tensor(raw.reshape(1, -1), dtype=torch.float32), torch.from_numpy(target)


def test_encode_targets_puts_the_object_in_its_cell():
    cfg, _, t = _example()
    t = t.numpy()[0]
    np.testing.assert_allclose(t[0, 0], [0.5, 0.6, 0.3, 0.4, 1.0, 0.0, 1.0], atol=1e-6)
    assert t[..., 4].sum() == 1


def test_yolo_loss_every_term_by_hand():
    cfg, raw, t = _example()
    terms = {k: float(v) for k, v in yolo_loss_terms(raw, t, cfg).items()}
    assert terms["xy"] == pytest.approx(5 * ((0.6 - 0.5) ** 2 + (0.5 - 0.6) ** 2), abs=1e-5)  # 0.1
    wh = (math.sqrt(0.36) - math.sqrt(0.3)) ** 2 + (math.sqrt(0.25) - math.sqrt(0.4)) ** 2
    assert terms["wh"] == pytest.approx(5 * wh, abs=1e-5)  # 0.10139
    assert terms["obj"] == pytest.approx((0.8 - 0.5) ** 2, abs=1e-5)  # target = the IoU 0.5
    assert terms["noobj"] == pytest.approx(0.5 * (0.3 ** 2 + 6 * 0.1 ** 2), abs=1e-5)  # 0.075
    assert terms["class"] == pytest.approx((0.25 - 0) ** 2 + (0.75 - 1) ** 2, abs=1e-5)  # 0.125
    total = float(YoloHead(cfg).loss(raw, t))
    assert total == pytest.approx(0.1 + 5 * wh + 0.09 + 0.075 + 0.125, abs=1e-5)


def test_yolo_loss_lambdas_and_square_roots():
    _, raw, t = _example()
    for lc, ln in ((1.0, 1.0), (2.0, 0.25)):
        cfg, _, _ = _example(lc, ln)
        terms = {k: float(v) for k, v in yolo_loss_terms(raw, t, cfg).items()}
        assert terms["xy"] == pytest.approx(lc * 0.02, abs=1e-5)
        assert terms["noobj"] == pytest.approx(ln * 0.15, abs=1e-5)
        assert terms["obj"] == pytest.approx(0.09, abs=1e-5)  # lambdas weigh only their own terms
    cfg, _, _ = _example(sqrt_wh=False)
    plain = float(yolo_loss_terms(raw, t, cfg)["wh"])
    assert plain == pytest.approx(5 * ((0.36 - 0.3) ** 2 + (0.25 - 0.4) ** 2), abs=1e-5)  # 0.1305


def test_responsible_box_is_the_one_with_the_higher_iou():
    cfg, raw, t = _example()
    r = raw.reshape(2, 2, cfg.per_cell).clone()
    r[0, 0, 0:5], r[0, 0, 5:10] = raw.reshape(2, 2, -1)[0, 0, 5:10], raw.reshape(2, 2, -1)[0, 0, 0:5]
    terms = {k: float(v) for k, v in yolo_loss_terms(r.reshape(1, -1), t, cfg).items()}
    # swapped boxes: box 1 is now the good one and the responsible one, so the terms are unchanged
    assert terms["xy"] == pytest.approx(0.1, abs=1e-5)
    assert terms["obj"] == pytest.approx(0.09, abs=1e-5)


def test_iou_and_nms():
    assert B.iou([0, 0, 10, 10], [5, 0, 15, 10]) == pytest.approx(50 / 150)
    assert B.iou([0, 0, 10, 10], [20, 20, 30, 30]) == 0.0
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60], [0, 0, 10, 10]], np.float32)
    scores = np.array([0.9, 0.8, 0.7, 0.6])
    assert B.nms(boxes, scores, iou_threshold=0.5).tolist() == [0, 2]
    # another class is never suppressed by a box of the first
    assert B.nms(boxes, scores, labels=[0, 0, 0, 1], iou_threshold=0.5).tolist() == [0, 2, 3]


def _small_set():
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (40, 60, 3), dtype=np.uint8), rng.integers(0, 255, (30, 30, 3), dtype=np.uint8)]
    boxes = [np.array([[5, 6, 20, 30], [30, 2, 58, 38]], np.float32), np.zeros((0, 4), np.float32)]
    labels = [np.array([0, 1]), np.zeros(0, np.int64)]
    return DetectionSet(images, boxes, labels, ["cat", "mug"], names=["a.png", "b.png"])


@pytest.mark.parametrize("fmt", formats.FORMATS)
def test_format_round_trip(tmp_path, fmt):
    ds = _small_set()
    formats.save_detection(ds, tmp_path / fmt, fmt)
    assert formats.detect_format(tmp_path / fmt) == fmt
    back = formats.load_detection(tmp_path / fmt)
    assert back.class_names == ds.class_names
    by_name = dict(zip(back.names, range(len(back))))
    for i, n in enumerate(ds.names):
        j = by_name[n]
        np.testing.assert_array_equal(back.images[j], ds.images[i])
        np.testing.assert_allclose(back.boxes[j], ds.boxes[i], atol=0.01)
        assert back.labels[j].tolist() == ds.labels[i].tolist()


def test_import_skips_bad_files_and_unsafe_names(tmp_path):
    ds = _small_set()
    formats.write_yolo(ds, tmp_path / "y")
    (tmp_path / "y" / "labels" / "a.txt").write_text("0 0.5 0.5\n")
    back = formats.read_yolo(tmp_path / "y")
    assert back.names == ["b.png"] and "5" in back.skipped[0][1]
    formats.write_coco(ds, tmp_path / "c")
    import json

    data = json.loads((tmp_path / "c" / "annotations.json").read_text())
    data["images"][0]["file_name"] = "../../etc/passwd"
    (tmp_path / "c" / "annotations.json").write_text(json.dumps(data))
    back = formats.read_coco(tmp_path / "c")
    assert back.names == ["b.png"] and "cannot be used" in back.skipped[0][1]
    data["images"] = "nope"
    (tmp_path / "c" / "annotations.json").write_text(json.dumps(data))
    from workbench.core.errors import ProjectError

    with pytest.raises(ProjectError, match="'images' should be a list"):
        formats.read_coco(tmp_path / "c")


def test_box_aware_augmentation():
    img = np.zeros((40, 60, 3), np.uint8)
    img[6:30, 5:20] = 255  # the object's pixels
    boxes = np.array([[5, 6, 20, 30]], np.float32)
    mask = (img[..., 0] > 0).astype(np.uint8)

    def extent(m):
        ys, xs = np.nonzero(m)
        return [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]

    for fn in (augment.hflip, augment.vflip):
        im2, b2, m2 = fn(img, boxes, mask)
        assert extent(im2[..., 0] > 0) == b2[0].tolist() == extent(m2)
    im3, b3, m3 = augment.resize(img, boxes, mask, (120, 20))
    np.testing.assert_allclose(b3[0], [10, 3, 40, 15])
    assert extent(m3) == [10, 3, 40, 15]
    im4, b4, m4 = augment.random_augment(img, boxes, mask, np.random.default_rng(1), p_hflip=1.0, scale=(0.5, 0.5))
    e = extent(m4)
    np.testing.assert_allclose(b4[0], e, atol=1.0)


def test_map_on_a_known_small_case():
    # one class, two true boxes in two images; detections: hit (0.9), miss-placed (0.8), hit (0.7)
    gt_b = [np.array([[0, 0, 10, 10]], np.float32), np.array([[20, 20, 40, 40]], np.float32)]
    gt_l = [np.array([0]), np.array([0])]
    preds = [{"boxes": np.array([[0, 0, 10, 10], [50, 50, 60, 60]], np.float32), "scores": np.array([0.9, 0.8]),
              "labels": np.array([0, 0])},
             {"boxes": np.array([[20, 20, 40, 40]], np.float32), "scores": np.array([0.7]), "labels": np.array([0])}]
    r = coco_evaluate(gt_b, gt_l, preds, ["thing"], [(100, 100), (100, 100)])
    # precision 1 up to recall 0.5, then 2/3 up to recall 1: COCO's 101 recall points
    assert r["map50"] == pytest.approx((51 * 1.0 + 50 * 2 / 3) / 101, abs=1e-6)
    assert r["map"] == pytest.approx(r["map50"], abs=1e-6)  # exact boxes: every IoU threshold hits
    m = match_errors(gt_b[0], gt_l[0], preds[0])
    assert m["true"] == 1 and len(m["false"]) == 1 and m["false"][0]["why"] == "no object there"


def test_mean_box_baseline_scores_low_but_not_zero():
    gt_b = [np.array([[40, 40, 60, 60]], np.float32)] * 4
    gt_l = [np.array([0])] * 4
    base = MeanBoxBaseline(1).fit(gt_b, gt_l, [(100, 100)] * 4)
    r = coco_evaluate(gt_b, gt_l, base.predict([(100, 100)] * 4), ["thing"], [(100, 100)] * 4)
    assert r["map50"] == pytest.approx(1.0)  # objects always in the same place: the baseline is right


def test_trainer_logs_every_loss_term():
    from workbench.core.studies.detection.model import Detector
    from workbench.core.training import TrainConfig, Trainer

    det = Detector.create(["a", "b"], size=32, S=2)
    X = np.random.default_rng(0).random((8, 3, 32, 32), dtype=np.float32)
    T, _ = encode_targets([[[2, 2, 12, 14]]] * 8, [[1]] * 8, [(32, 32)] * 8, det.config)
    fit = Trainer().fit(det.net, det.head, train=(X, T), val=(X[:4], T[:4]),
                        config=TrainConfig(epochs=2, batch_size=4, seed=0))
    h = fit.history[-1]
    parts = [h[f"loss_{k}"] for k in ("xy", "wh", "obj", "noobj", "class")]
    assert all(v > 0 for v in parts) and sum(parts) == pytest.approx(h["data_loss"], rel=1e-4)
    assert "val_loss_noobj" in h


def test_generated_boxes_are_the_extent_of_each_object():
    from workbench.core.studies.detection.scenes import generate_scenes, paste_objects
    from workbench.core.studies.style_transfer.images import sample_photo

    ds = generate_scenes(20, 96, seed=3, overlap=0.0, clutter=0)
    for m, b, lab in zip(ds.masks, ds.boxes, ds.labels):
        for box, c in zip(b, lab):  # without overlap every object is whole: the box is its mask's extent
            ys, xs = np.nonzero(m == c + 1)
            inside = (xs >= box[0]) & (xs < box[2]) & (ys >= box[1]) & (ys < box[3])
            assert inside.any()
        assert (m > 0).sum() > 0
    img, b, lab, m = paste_objects(sample_photo("astronaut"), np.random.default_rng(0), n=2)
    assert img.shape == (96, 96, 3) and len(b) == len(lab) >= 1
    ys, xs = np.nonzero(m == lab[0] + 1)
    np.testing.assert_allclose(b[0], [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])


def test_detector_save_load_and_decode(tmp_path):
    from workbench.core.studies.detection.model import Detector, decode

    det = Detector.create(["a", "b"], size=64, S=4)
    det.save(tmp_path / "m")
    back = Detector.load(tmp_path / "m")
    x = det.inputs([np.zeros((50, 70, 3), np.uint8)])
    np.testing.assert_allclose(back.activations(x), det.activations(x), atol=1e-6)
    cfg = det.config
    act = np.zeros((1, 4, 4, cfg.per_cell), np.float32)
    act[0, 1, 2, 0:5] = [0.5, 0.5, 0.25, 0.5, 0.9]  # cell row 1, column 2: centre (2.5/4, 1.5/4) of the image
    act[0, 1, 2, 10:12] = [0.2, 0.8]
    d = decode(act, cfg, [(200, 100)], conf_threshold=0.5)[0]
    np.testing.assert_allclose(d["boxes"][0], [100, 12.5, 150, 62.5], atol=1e-4)
    assert d["labels"].tolist() == [1] and d["scores"][0] == pytest.approx(0.72)


def test_box_document_edits_and_undo(tmp_path):
    import cv2

    from workbench.core.studies.detection.annotate import BoxDocument

    for k in range(2):
        cv2.imwrite(str(tmp_path / f"img{k}.png"), np.full((40, 60, 3), 90 + k, np.uint8))
    doc = BoxDocument(tmp_path)
    doc.go(0)
    assert doc.add([50, 30, 10, 5]) == 0  # corners in any order, kept inside the image
    assert doc.add([1, 1, 2, 2]) is None  # a click, not a box
    doc.move(0, 100, 0)  # clipped at the right edge
    np.testing.assert_allclose(doc.boxes()[0][0], [20, 5, 60, 30])
    doc.set_class(0, doc.add_class("mug"))
    doc.go(1)
    doc.add([0, 0, 10, 10])
    assert doc.undo() and len(doc.boxes(1)[0]) == 0
    assert doc.undo() and doc.boxes(0)[1].tolist() == [0]  # went back to image 0 and undid the class
    assert doc.redo() and doc.boxes(0)[1].tolist() == [1]
    assert doc.save() >= 1
    back = formats.read_yolo(tmp_path)
    assert back.class_names == ["object", "mug"] and back.labels[0].tolist() == [1]


def test_run_live_without_a_camera_says_what_to_do():
    from workbench.core.errors import DeviceUnavailable
    from workbench.core.studies.detection.live import run_live
    from workbench.core.studies.detection.model import Detector

    with pytest.raises(DeviceUnavailable, match="camera"):
        run_live(Detector.create(["a"], size=64, S=4), "camera:9", lambda r: None)
