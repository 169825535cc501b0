"""The YOLO-v1 style detector: a ModelSpec network with the YOLO head, trained by the common
``Trainer``; decoding with a confidence threshold and OpenCV's NMS.

Two backbones:
- ``small-cnn``: the whole network is one ModelSpec (4 conv blocks with batch norm, a 1x1 conv,
  Flatten, and the Dense output layer of S*S*(5B + C) units that YOLO v1 also had).
- ``mobilenet_v2``: the pretrained MobileNetV2 (ImageNet, ``workbench.core.models.backbones``) up to
  its stride-16 block, frozen; a ModelSpec head (1x1 conv, Flatten, Dense) is trained on its
  features, which are computed once, so training costs no more than the small CNN's.

Input convention: RGB resized (stretched) to size x size, float32 = uint8 / 255 (and ImageNet
mean/std for MobileNetV2), NCHW. Boxes come back in the pixels of the image that went in.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.core.errors import DataError, ProjectError, SpecError
from workbench.core.studies.detection.boxes import nms
from workbench.core.studies.detection.loss import YoloConfig
from workbench.core.training.callbacks import Callback

BACKBONES = ("small-cnn", "mobilenet_v2")
MOBILENET_BLOCKS = 14  # features[:14]: stride 16, 96 channels


OUTPUTS = ("conv", "dense")


def detector_spec(backbone: str = "small-cnn", width: int = 16, output: str = "conv", per_cell: int = 14):
    """The ModelSpec of the trained part.

    ``output="dense"`` is YOLO v1's own: Flatten and a Dense layer of S*S*(5B + C) units (added by
    ``build_model``); every output sees the whole image and must learn where its cell is.
    ``output="conv"`` (default) ends in a 1x1 Conv2D with 5B + C filters on the S x S feature grid
    (as YOLO v2 onwards): each cell's numbers come from the features at that cell, which trains
    several times faster on a CPU. Its grid is read channels-last, so both give the same layout."""
    from workbench.core.models import LayerSpec, ModelSpec

    L = LayerSpec.make
    if output not in OUTPUTS:
        raise SpecError(f"Unknown detector output {output!r}; choose one of {', '.join(OUTPUTS)}.")
    if backbone == "mobilenet_v2":
        layers = [L("Conv2D", filters=64, kernel=3, padding="same", activation="relu")]
    elif backbone == "small-cnn":
        layers = []
        for f in (width // 2, width, 2 * width, 2 * width):
            layers += [L("Conv2D", filters=f, kernel=3, padding="same"), L("BatchNorm", activation="relu"),
                       L("MaxPool", size=2)]
        layers += [L("Conv2D", filters=2 * width, kernel=3, padding="same"), L("BatchNorm", activation="relu")]
    else:
        raise SpecError(f"Unknown detector backbone {backbone!r}; choose one of {', '.join(BACKBONES)}.")
    layers += ([L("Conv2D", filters=per_cell, kernel=1), L("Flatten")] if output == "conv" else
               [L("Conv2D", filters=width, kernel=1, activation="relu"), L("Flatten")])
    what = "1x1 conv output grid" if output == "conv" else "Flatten, Dense output (YOLO v1)"
    name = f"yolo-{backbone}-{output}"
    desc = ("YOLO head on frozen MobileNetV2 features (stride 16): 3x3 conv 64, " if backbone == "mobilenet_v2" else
            "Small YOLO CNN: 4 conv blocks with batch norm (/16), 3x3 conv, ") + what + "."
    return ModelSpec(layers, name=name, description=desc)


def build_net(spec, in_shape, cfg: YoloConfig, output: str):
    """The nn.Module for a detector spec: (N, ...) -> raw (N, S*S*(5B + C)), cells channels-last."""
    import torch

    from workbench.core.models import build_model

    net = build_model(spec, in_shape, (cfg.outputs,), None)
    if output == "dense":
        return net
    if net.layer_shapes[-3] != (cfg.per_cell, cfg.S, cfg.S):
        raise SpecError(f"The convolutional output gives a {net.layer_shapes[-3][1]}x{net.layer_shapes[-3][2]} grid, "
                        f"but the detector has {cfg.S}x{cfg.S} cells; use an input size of {16 * cfg.S} "
                        f"(16 pixels per cell) or the dense output.")
    del net.layers[-2:]  # the Flatten and the Dense layer build_model adds: the grid itself is the output

    class GridOutput(torch.nn.Module):
        def __init__(self, body):
            super().__init__()
            self.body = body

        def forward(self, x):
            return self.body(x).permute(0, 2, 3, 1).flatten(1)

    return GridOutput(net)


def _mobilenet_features():
    import torch

    from workbench.core.models.backbones import load_mobilenet_v2

    net = load_mobilenet_v2()
    feats = torch.nn.Sequential(*list(net.features)[:MOBILENET_BLOCKS]).eval()
    for p in feats.parameters():
        p.requires_grad_(False)
    return feats


@dataclass
class Detector:
    """A detector and everything it needs to read new images."""

    net: object  # the trained SpecModel: inputs (or backbone features) -> raw YOLO outputs
    config: YoloConfig
    size: int
    class_names: list[str]
    backbone_name: str = "small-cnn"
    backbone: object = None  # frozen feature extractor (MobileNetV2) or None
    spec: dict | None = None
    output: str = "conv"
    width: int = 16

    @classmethod
    def create(cls, class_names: Sequence[str], *, backbone: str = "small-cnn", size: int = 96, S: int = 6,
               B: int = 2, lambda_coord: float = 5.0, lambda_noobj: float = 0.5, sqrt_wh: bool = True,
               width: int = 16, output: str = "conv") -> "Detector":
        if size % 16:
            raise SpecError(f"The detector's input size must be a multiple of 16 (got {size}); try {size // 16 * 16 or 16}.")
        if not (1 <= S <= 32 and 1 <= B <= 8):
            raise SpecError("Choose a grid of 1 to 32 cells per side and 1 to 8 boxes per cell.")
        cfg = YoloConfig(int(S), int(B), len(class_names), float(lambda_coord), float(lambda_noobj), bool(sqrt_wh))
        spec = detector_spec(backbone, width, output, cfg.per_cell)
        feats = _mobilenet_features() if backbone == "mobilenet_v2" else None
        in_shape = (96, size // 16, size // 16) if feats is not None else (3, size, size)
        net = build_net(spec, in_shape, cfg, output)
        return cls(net, cfg, size, list(class_names), backbone, feats, spec.to_dict(), output, width)

    @property
    def head(self):
        from workbench.core.studies.detection.loss import YoloHead

        return YoloHead(self.config)

    def with_loss(self, **changes) -> "Detector":
        """The same network with other loss settings (lambda_coord, lambda_noobj, sqrt_wh)."""
        d = self.config.to_dict()
        d.update(changes)
        self.config = YoloConfig.from_dict(d)
        return self

    # ---- inputs -------------------------------------------------------------------------
    def inputs(self, images) -> np.ndarray:
        """What the trained network reads: (N, 3, size, size) pixels, or backbone features."""
        from workbench.core.studies.detection.augment import resize_image

        X = np.stack([resize_image(np.asarray(im)[..., :3], self.size) for im in images]) if len(images) else \
            np.zeros((0, self.size, self.size, 3), np.uint8)
        X = X.astype(np.float32).transpose(0, 3, 1, 2) / 255.0
        if self.backbone is None:
            return np.ascontiguousarray(X)
        import torch

        from workbench.core.models.backbones import IMAGENET_MEAN, IMAGENET_STD

        mean = np.array(IMAGENET_MEAN, np.float32).reshape(1, 3, 1, 1)
        std = np.array(IMAGENET_STD, np.float32).reshape(1, 3, 1, 1)
        X = (X - mean) / std
        out = []
        with torch.inference_mode():
            for i in range(0, len(X), 64):
                out.append(self.backbone(torch.from_numpy(np.ascontiguousarray(X[i:i + 64]))).numpy())
        return np.concatenate(out) if out else np.zeros((0, 96, self.size // 16, self.size // 16), np.float32)

    def activations(self, inputs: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """(N, S, S, 5B + C) activated outputs for prepared inputs."""
        import torch

        from workbench.core.studies.detection.loss import activate

        self.net.eval()
        out = []
        with torch.inference_mode():
            for i in range(0, len(inputs), batch_size):
                out.append(activate(self.net(torch.from_numpy(inputs[i:i + batch_size])), self.config).numpy())
        c = self.config
        return np.concatenate(out) if out else np.zeros((0, c.S, c.S, c.per_cell), np.float32)

    def predict(self, images, conf_threshold: float = 0.25, iou_threshold: float = 0.45,
                max_detections: int = 100) -> list[dict]:
        """Detections per image: boxes (K, 4) in that image's pixels, scores, labels."""
        images = list(images)
        act = self.activations(self.inputs(images))
        sizes = [(im.shape[1], im.shape[0]) for im in images]
        return decode(act, self.config, sizes, conf_threshold, iou_threshold, max_detections)

    # ---- files --------------------------------------------------------------------------
    def metadata(self) -> dict:
        return {"size": self.size, "class_names": self.class_names, "backbone": self.backbone_name,
                "output_layer": self.output, "width": self.width,
                "yolo": self.config.to_dict(), "spec": self.spec,
                "input": {"layout": "NCHW", "channels": "RGB", "dtype": "float32", "resize": "stretch to size",
                          "scaling": "x / 255" + (", then ImageNet mean/std" if self.backbone is not None else "")},
                "output": {"layout": "(N, S*S*(5B+C)) read as (N, S, S, 5B+C)",
                           "activation": "sigmoid on x, y, w, h, confidence; softmax on the C class values"}}

    def save(self, folder: str | os.PathLike) -> Path:
        from workbench.core.jsonio import atomic_write_json, save_weights

        folder = Path(folder)
        save_weights(folder / "weights.pt", self.net.state_dict())
        atomic_write_json(folder / "model.json", {"schema_version": 1, "study": "detection", **self.metadata()})
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike) -> "Detector":
        from workbench.core.jsonio import load_weights, read_json
        from workbench.core.safety import check_fields

        folder = Path(folder)
        meta = read_json(folder / "model.json", kind="detector model file", max_version=1)
        check_fields(meta, {"study": str, "size": int, "class_names": list, "backbone": str, "yolo": dict},
                     kind="detector model file", where=folder / "model.json",
                     required=("size", "class_names", "yolo"))
        if meta.get("study") != "detection":
            raise ProjectError(f"{folder} does not hold a detector (its model.json is not from the detection study).")
        y = YoloConfig.from_dict(meta["yolo"])
        names = [str(n) for n in meta["class_names"]]
        if len(names) != y.C:
            raise ProjectError(f"The detector file {folder} is damaged: {len(names)} class names for {y.C} classes.")
        m = cls.create(names, backbone=meta.get("backbone", "small-cnn"), size=meta["size"], S=y.S, B=y.B,
                       lambda_coord=y.lambda_coord, lambda_noobj=y.lambda_noobj, sqrt_wh=y.sqrt_wh,
                       output=str(meta.get("output_layer", "conv")), width=int(meta.get("width", 16)))
        try:
            m.net.load_state_dict(load_weights(folder / "weights.pt"))
        except RuntimeError as e:
            raise ProjectError(f"The weights in {folder} do not fit this detector ({str(e).splitlines()[0]}).") from None
        m.net.eval()
        return m


def decode(act: np.ndarray, cfg: YoloConfig, sizes, conf_threshold: float = 0.25, iou_threshold: float = 0.45,
           max_detections: int = 100) -> list[dict]:
    """Activated outputs (N, S, S, 5B + C) -> detections per image (pixels of ``sizes`` (w, h)).

    Each box's score is its confidence times its cell's top class probability (YOLO v1's
    class-specific confidence); boxes under ``conf_threshold`` go, then per-class NMS."""
    S, B = cfg.S, cfg.B
    out = []
    jj, ii = np.meshgrid(np.arange(S), np.arange(S))
    for k in range(len(act)):
        w_img, h_img = sizes[k]
        a = act[k]
        cls_p = a[..., 5 * B:]
        lab = cls_p.argmax(-1)
        pmax = cls_p.max(-1)
        boxes_all, scores_all, labels_all = [], [], []
        for b in range(B):
            x, y, w, h, c = (a[..., 5 * b + t] for t in range(5))
            cx, cy = (jj + x) / S * w_img, (ii + y) / S * h_img
            bw, bh = w * w_img, h * h_img
            boxes_all.append(np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], -1).reshape(-1, 4))
            scores_all.append((c * pmax).reshape(-1))
            labels_all.append(lab.reshape(-1))
        boxes = np.concatenate(boxes_all).astype(np.float32)
        boxes[:, [0, 2]] = np.clip(boxes[:, [0, 2]], 0, w_img)
        boxes[:, [1, 3]] = np.clip(boxes[:, [1, 3]], 0, h_img)
        scores = np.concatenate(scores_all).astype(np.float32)
        labels = np.concatenate(labels_all).astype(np.int64)
        keep = np.flatnonzero(scores >= conf_threshold)
        kk = keep[nms(boxes[keep], scores[keep], labels[keep], iou_threshold)] if len(keep) else keep
        kk = kk[:max_detections]
        out.append({"boxes": boxes[kk], "scores": scores[kk], "labels": labels[kk]})
    return out


# ------------------------------------------------------------------------------------------ training
@dataclass
class DetectionOutcome:
    """What ``train_detector`` returns."""

    detector: Detector
    fit: object  # FitResult
    train_idx: np.ndarray
    val_idx: np.ndarray
    test_idx: np.ndarray
    test: dict  # coco_evaluate on the test split
    baseline: dict  # the same for MeanBoxBaseline
    predictions: list  # test detections (all scores >= the eval threshold)
    gallery: list  # misses and false detections, worst images first
    train_time: float
    dropped_targets: int
    settings: dict = field(default_factory=dict)
    run_id: str | None = None
    record: object = None

    @property
    def map50(self) -> float:
        return float(self.test["map50"])

    def summary(self) -> dict:
        return {"map50": self.test["map50"], "map": self.test["map"], "baseline_map50": self.baseline["map50"],
                "baseline_map": self.baseline["map"],
                "per_class": [{k: r[k] for k in ("class", "ap50", "ap", "n_true")} for r in self.test["per_class"]],
                "epochs": len(self.fit.history), "best_epoch": self.fit.best_epoch, "train_time": self.train_time,
                "n_train": len(self.train_idx), "n_val": len(self.val_idx), "n_test": len(self.test_idx),
                "stop_reason": self.fit.stop_reason, "run_id": self.run_id, **self.settings}


def run_row(record: dict) -> dict:
    """A detection run's row for the runs table, from its RunRecord dict."""
    settings = dict((record.get("details") or {}).get("settings") or {})
    test = record.get("test_metrics") or {}
    return {"run": record.get("run_id") or record.get("name") or "", "backbone": settings.get("backbone", ""),
            "lambda_coord": settings.get("lambda_coord"), "lambda_noobj": settings.get("lambda_noobj"),
            "sqrt_wh": bool(settings.get("sqrt_wh")), "map50": test.get("map50"), "map": test.get("map"),
            "baseline": ((record.get("baseline") or {}).get("test") or {}).get("map50"),
            "epochs": len(record.get("history") or []), "train_time": float(record.get("fit_time") or 0.0)}


def prepare(ds, idx, size: int, *, flip_copies: bool = False):
    """Images of ``idx`` resized to ``size`` with their boxes (and a flipped copy of each if asked)."""
    from workbench.core.studies.detection.augment import hflip, resize

    images, boxes, labels = [], [], []
    for i in idx:
        im, b, _ = resize(ds.images[i], ds.boxes[i], None, size)
        images.append(im)
        boxes.append(b)
        labels.append(ds.labels[i])
        if flip_copies:
            fi, fb, _ = hflip(im, b)
            images.append(fi)
            boxes.append(fb)
            labels.append(ds.labels[i])
    return images, boxes, labels


class ValMapCallback(Callback):
    """Adds "val_map50" to each epoch's log (decode + pycocotools on the validation split), so the
    live chart can show the score next to the five loss terms."""

    def __init__(self, detector: Detector, X_val: np.ndarray, boxes, labels, every: int = 1):
        self.detector, self.X, self.boxes, self.labels, self.every = detector, X_val, boxes, labels, max(1, every)

    def on_epoch_end(self, trainer, epoch, logs):
        from workbench.core.studies.detection.evaluate import coco_evaluate

        if epoch % self.every:
            return
        was = self.detector.net.training
        d = self.detector
        act = d.activations(self.X)
        preds = decode(act, d.config, [(d.size, d.size)] * len(act), 0.01, 0.45)
        logs["val_map50"] = coco_evaluate(self.boxes, self.labels, preds, d.class_names,
                                          [(d.size, d.size)] * len(act))["map50"]
        d.net.train(was)


def train_detector(ds, *, backbone: str = "small-cnn", size: int = 96, S: int = 6, B: int = 2,
                   lambda_coord: float = 5.0, lambda_noobj: float = 0.5, sqrt_wh: bool = True, width: int = 16,
                   output: str = "conv", epochs: int = 30, batch_size: int = 32, lr: float = 2e-3, seed: int = 0, val: float = 0.15,
                   test: float = 0.15, flip: bool = True, early_stopping: int | None = None,
                   val_map: bool = True, callbacks: Sequence = (), trainer=None, run_store=None, threads: int | None = None,
                   device: str = "cpu", split=None, eval_conf: float = 0.01, gallery_conf: float = 0.3,
                   progress: Callable | None = None, cache: dict | None = None) -> DetectionOutcome:
    """Split the scenes, train the detector through ``Trainer.fit`` and score the test split once
    (mAP with pycocotools), beside the mean-box baseline. ``split`` may give (train, val, test)
    index arrays; else a seeded shuffle with the ``val`` / ``test`` shares. ``cache`` (a dict kept by
    the caller) holds the prepared inputs between runs on the same images, so comparing loss
    settings or seeds does not compute the (MobileNetV2) features again."""
    from types import SimpleNamespace

    from workbench.core.tasks import run_task

    kw = SimpleNamespace(backbone=backbone, size=size, S=S, B=B, lambda_coord=lambda_coord, lambda_noobj=lambda_noobj,
                         sqrt_wh=sqrt_wh, width=width, output=output, epochs=epochs, batch_size=batch_size, lr=lr,
                         seed=seed, val=val, test=test, flip=flip, early_stopping=early_stopping, val_map=val_map,
                         threads=threads, split=split, eval_conf=eval_conf, gallery_conf=gallery_conf)
    task = DetectionTask(ds, kw, cache)
    run = run_task(task, store=run_store, trainer=trainer, callbacks=callbacks, device=device, save_empty=True)
    task.outcome.run_id = run.run_id
    return task.outcome


class DetectionTask:
    """YOLO-v1 training as a task for ``core.tasks.run_task`` (``kw``: ``train_detector``'s settings)."""

    kind = "detection"
    section = "detection"

    def __init__(self, ds, kw, cache: dict | None = None):
        self.ds, self.kw, self.cache = ds, kw, cache

    def prepare(self, say):
        import torch

        from workbench.core.studies.detection.data import split_indices
        from workbench.core.studies.detection.loss import encode_targets
        from workbench.core.tasks import Fitting, train_config_of

        ds, k = self.ds, self.kw
        if len(ds) < 3:
            raise DataError(f"A detector needs at least 3 labelled images (train, validation, test); this set has {len(ds)}.")
        tr, va, te = k.split if k.split is not None else split_indices(len(ds), k.val, k.test, k.seed)
        self.tr, self.va, self.te = tr, va, te
        torch.manual_seed(k.seed)
        self.det = det = Detector.create(ds.class_names, backbone=k.backbone, size=k.size, S=k.S, B=k.B,
                                         lambda_coord=k.lambda_coord, lambda_noobj=k.lambda_noobj, sqrt_wh=k.sqrt_wh,
                                         width=k.width, output=k.output)
        size = k.size
        key = (k.backbone, size, k.flip, tuple(int(i) for i in tr), tuple(int(i) for i in va), tuple(int(i) for i in te))
        if self.cache is not None and key in self.cache:  # the same images for another loss setting or seed
            X_tr, b_tr, l_tr, X_va, b_va, l_va, X_te = self.cache[key]
        else:
            say("Preparing the images ...")
            im_tr, b_tr, l_tr = prepare(ds, tr, size, flip_copies=k.flip)
            im_va, b_va, l_va = prepare(ds, va, size)
            say()  # Stop is heard between the steps (a backbone's features take a while)
            X_tr = det.inputs(im_tr)
            say()
            X_va, X_te = det.inputs(im_va), det.inputs([ds.images[i] for i in te])
            if self.cache is not None:
                self.cache[key] = (X_tr, b_tr, l_tr, X_va, b_va, l_va, X_te)
        self.X_te = X_te
        T_tr, self.dropped = encode_targets(b_tr, l_tr, [(size, size)] * len(b_tr), det.config)
        T_va, _ = encode_targets(b_va, l_va, [(size, size)] * len(b_va), det.config)
        # first: the caller's live chart then sees val_map50 in the logs
        cbs = [ValMapCallback(det, X_va, b_va, l_va)] if (k.val_map and len(va)) else []
        cfg = train_config_of(k, optimizer="adam", restore_best=True, monitor="val_loss", threads=k.threads)
        return Fitting(det.net, det.head, (X_tr, T_tr), (X_va, T_va) if len(va) else None, cfg, cbs)

    def finish(self, fitting, fit):
        from workbench.core.studies.detection.evaluate import MeanBoxBaseline, coco_evaluate, error_gallery

        ds, k, det, tr, va, te = self.ds, self.kw, self.det, self.tr, self.va, self.te
        det.net.cpu().eval()
        sizes_te = [(ds.images[i].shape[1], ds.images[i].shape[0]) for i in te]
        gt_b, gt_l = [ds.boxes[i] for i in te], [ds.labels[i] for i in te]
        preds = decode(det.activations(self.X_te), det.config, sizes_te, k.eval_conf, 0.45)
        result = coco_evaluate(gt_b, gt_l, preds, ds.class_names, sizes_te)
        sizes_tr = [(ds.images[i].shape[1], ds.images[i].shape[0]) for i in tr]
        base = MeanBoxBaseline(ds.n_classes).fit([ds.boxes[i] for i in tr], [ds.labels[i] for i in tr], sizes_tr)
        base_res = coco_evaluate(gt_b, gt_l, base.predict(sizes_te), ds.class_names, sizes_te)
        base_res["strategy"] = base.strategy
        gallery = error_gallery(gt_b, gt_l, preds, score_threshold=k.gallery_conf)
        settings = {"backbone": k.backbone, "output": k.output, "width": k.width, "size": k.size,
                    **det.config.to_dict(), "flip": k.flip, "seed": k.seed, "eval_conf": k.eval_conf}
        self.outcome = out = DetectionOutcome(det, fit, np.asarray(tr), np.asarray(va), np.asarray(te), result,
                                              base_res, preds, gallery, float(fit.time), self.dropped, settings)
        out.record = run_record(ds, out, fitting.config)
        return out.record


def run_record(ds, out: DetectionOutcome, cfg):
    """The run as the shared RunRecord: loss terms in ``history``, mAP in ``test_metrics``."""
    from workbench.core.runs import build_record

    d = out.detector
    per_class = {r["class"]: {"ap50": r["ap50"], "ap": r["ap"], "n_true": r["n_true"]} for r in out.test["per_class"]}
    return build_record(
        "detection", fit=out.fit, train_config=cfg, module=d.net,
        name=f"YOLO {d.backbone_name} {d.config.S}x{d.config.S}", mode="holdout", task="detection",
        data={"name": ds.name, "spec": ds.source.get("path") or ds.source.get("type") or "detection", "kind": "image",
              "source": ds.source, "n_samples": len(ds), "class_names": list(d.class_names), "size": d.size},
        split={"text": "shuffled holdout", "sizes": {"train": len(out.train_idx), "val": len(out.val_idx),
                                                     "test": len(out.test_idx)}},
        model={"name": f"YOLO-v1 {d.backbone_name}", "preset": d.backbone_name, "spec": d.spec,
               "input_shape": [3, d.size, d.size], "output_shape": [d.config.outputs]},
        head=d.head.to_dict(),
        test_metrics={"map50": out.test["map50"], "map": out.test["map"]},
        baseline={"test": {"map50": out.baseline["map50"], "map": out.baseline["map"],
                           "strategy": out.baseline.get("strategy", "")}},
        details={"per_class": per_class, "pr": out.test.get("pr", {}), "settings": out.settings,
                 "targets_dropped": out.dropped_targets, "test_index": [int(i) for i in out.test_idx],
                 "errors": [{k: g[k] for k in ("index", "errors")} for g in out.gallery[:50]]},
        fit_time=out.train_time)
