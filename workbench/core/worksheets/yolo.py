"""The YOLO worksheet: "What loss function is this?" — the course's closing question.

The loss is shown term by term (the case study's five terms, ``detection/loss.py``) and the user
names each one (the question's parts). Then the detector of lesson 15 (frozen MobileNetV2
features, the YOLO head, the same generated scenes and split for every run) is trained with the
full loss and with each term removed in turn, and every run's test mAP shows what breaks. The
question's answer is which term can go without harm: none.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from workbench.core.experiments.base import Chart, Series
from workbench.core.worksheets.base import Answer, AnswerRun, Part, Picture, Question, Worksheet, register_worksheet

FAST = {"n": 600, "epochs": 8, "backbone": "mobilenet_v2"}
FULL = {"n": 2000, "epochs": 15, "backbone": "mobilenet_v2"}

# the five terms as on the slide (plain text), with what each one is
TERMS = (
    ("xy", "λ_coord Σ_i Σ_j 1_ij^obj [(x_i − x̂_i)² + (y_i − ŷ_i)²]", "coordinates of the box centre"),
    ("wh", "λ_coord Σ_i Σ_j 1_ij^obj [(√w_i − √ŵ_i)² + (√h_i − √ĥ_i)²]", "sizes, through square roots"),
    ("obj", "Σ_i Σ_j 1_ij^obj (C_i − Ĉ_i)²", "confidence where there is an object"),
    ("noobj", "λ_noobj Σ_i Σ_j 1_ij^noobj (C_i − Ĉ_i)²", "confidence where there is no object"),
    ("class", "Σ_i 1_i^obj Σ_c∈classes (p_i(c) − p̂_i(c))²", "class probabilities"),
)
NAMES = tuple(Answer(k, what, False) for k, _, what in TERMS)
_CACHE: dict = {}


def _parts() -> tuple[Part, ...]:
    return tuple(Part(k, formula, tuple(replace(a, correct=(a.key == k)) for a in NAMES)) for k, formula, _ in TERMS)


def _scenes(base_seed: int, cfg: dict):
    """The scenes and split of this question (the same for every answer and seed, as in lesson 15)."""
    from workbench.core.studies.detection.data import split_indices
    from workbench.core.studies.detection.scenes import generate_scenes

    key = ("scenes", base_seed, cfg["n"])
    if key not in _CACHE:
        for k in [k for k in _CACHE if k[0] == "scenes"]:  # one set of scenes at a time (and its features)
            _CACHE.pop(k)
        _CACHE.pop("features", None)
        ds = generate_scenes(cfg["n"], 96, seed=base_seed)
        _CACHE[key] = (ds, split_indices(len(ds), 0.15, 0.15, base_seed))
    return _CACHE[key]


def _task_without(drop: str | None):
    """The case study's training task with one loss term removed (``drop`` None: the full loss)."""
    from workbench.core.studies.detection.loss import YoloHead
    from workbench.core.studies.detection.model import DetectionTask

    class HeadWithout(YoloHead):
        def loss_terms(self, raw, y):
            terms = super().loss_terms(raw, y)
            if drop is not None:
                terms[drop] = terms[drop] * 0.0  # kept in the logs at 0, so every run logs the same terms
            return terms

    class TaskWithout(DetectionTask):
        def prepare(self, say):
            fitting = super().prepare(say)
            return replace(fitting, head=HeadWithout(self.det.config)) if drop is not None else fitting

    return TaskWithout


def run_ablation(ctx, key: str) -> AnswerRun:
    from types import SimpleNamespace

    from workbench.core.experiments.common import _CancelCallback
    from workbench.core.studies.detection.draw import draw_detections
    from workbench.core.tasks import run_task

    cfg = FULL if ctx.full else FAST
    ds, split = _scenes(ctx.seed - ctx.repeat, cfg)
    cache = _CACHE.setdefault("features", {})
    kw = SimpleNamespace(backbone=cfg["backbone"], size=96, S=6, B=2, lambda_coord=5.0, lambda_noobj=0.5, sqrt_wh=True,
                         width=16, output="conv", epochs=cfg["epochs"], batch_size=32, lr=2e-3, seed=ctx.seed,
                         val=0.15, test=0.15, flip=True, early_stopping=None, val_map=False, threads=None, split=split,
                         eval_conf=0.01, gallery_conf=0.3)
    drop = None if key == "all" else key
    task = _task_without(drop)(ds, kw, cache)
    run_task(task, store=None, callbacks=list(ctx.trainer_callbacks) + [_CancelCallback(ctx)], device=ctx.device,
             save=False, save_empty=True)
    ctx.check_cancel()
    out = task.outcome
    h = out.fit.history
    xs = [float(r.get("epoch", i + 1)) for i, r in enumerate(h)]
    chart = Chart(f"{'full loss' if drop is None else 'without ' + drop}: loss terms", "epoch", "training loss",
                  [Series(t, xs, [float(r.get(f"loss_{t}", np.nan)) for r in h], "dash" if t == drop else "line")
                   for t, _, _ in TERMS])
    te = out.test_idx[:4]
    pos = {int(i): k for k, i in enumerate(out.test_idx)}
    tiles = [draw_detections(ds.images[i], _top(out.predictions[pos[int(i)]]), ds.class_names, scale=1.5) for i in te]
    title = "full loss" if drop is None else f"without the {dict((k, w) for k, _, w in TERMS)[drop]} term"
    what = "" if drop is None else f" (term removed: {drop})"
    return AnswerRun(out.map50, f"{title}{what}: test mAP@0.5 {out.map50:.3f}, mAP@[.5:.95] {out.test['map']:.3f} "
                                f"(mean-box baseline {out.baseline['map50']:.3f}).",
                     [chart], [Picture(f"{title}: test scenes with the detections scoring 0.3 or more",
                                       np.concatenate(tiles, axis=1))],
                     {"mAP@[.5:.95]": float(out.test["map"]), "baseline mAP@0.5": float(out.baseline["map50"])})


def _top(det: dict, threshold: float = 0.3) -> dict:
    keep = np.asarray(det.get("scores", []), np.float32) >= threshold
    return {k: np.asarray(v)[keep] for k, v in det.items() if k in ("boxes", "labels", "scores")}


WORKSHEET = register_worksheet(Worksheet("yolo", "detection", "YOLO: what loss function is this?", (
    Question("yolo.loss", "Loss", "What loss function is this? Name each term; which one can go without harm?",
             (Answer("all", "none: every term is needed", True),
              *(Answer(k, f"the {what} term", False) for k, _, what in TERMS)),
             "test mAP@0.5", "", True, 0.01, run_ablation,
             " ".join("""This is the YOLO v1 loss: squared errors on the centre coordinates and on the square roots
             of the sizes of the box responsible for an object (weighted by λ_coord = 5), on the confidence
             of that box (target: its IoU with the true box), on the confidence of every other box (weighted
             by λ_noobj = 0.5: most boxes are empty and would otherwise drown the rest), and on the class
             probabilities of the cell holding an object. Remove the coordinates or sizes and the boxes land
             anywhere; remove the confidence terms and the detector cannot rank its boxes; remove the classes
             and the boxes get the wrong names — each removal costs mAP.""".split()),
             parts=_parts()),
)))
