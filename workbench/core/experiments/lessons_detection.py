"""Lesson 15: what each term of the YOLO loss buys.

The detector is trained with the loss as on the slide (lambda_coord 5, lambda_noobj 0.5, square
roots of w and h) and with one change at a time: plain w and h, lambda_noobj = 1, lambda_coord = 1.
Every variant is trained with the same scenes, split and seeds, so each seed gives a paired
difference in test mAP (what the slide's choice buys). Each choice is judged with the framework's
``judge``: it helps only when the mean difference exceeds both the smallest effect worth naming and
the seeds' spread; otherwise "inconclusive". The lesson repeats itself over seeds inside (the
features are shared by all runs), so the framework runs it once.
"""
from __future__ import annotations

import numpy as np

from workbench.core.experiments.base import Chart, Repeated, Series, experiment, judge
from workbench.core.experiments.common import _CancelCallback

# scenes, epochs, seeds (the test may shrink FAST); the frozen MobileNetV2 features are computed
# once and shared by every run, so each run trains only the small head
FAST = {"n": 600, "epochs": 8, "seeds": 2, "backbone": "mobilenet_v2"}
FULL = {"n": 2000, "epochs": 15, "seeds": 3, "backbone": "mobilenet_v2"}

SLIDE = {"lambda_coord": 5.0, "lambda_noobj": 0.5, "sqrt_wh": True}
VARIANTS = [
    ("slide's loss", {}),
    ("plain w, h (no square roots)", {"sqrt_wh": False}),
    ("lambda_noobj = 1", {"lambda_noobj": 1.0}),
    ("lambda_coord = 1", {"lambda_coord": 1.0}),
]
WHAT = {"plain w, h (no square roots)": "the square roots of w and h",
        "lambda_noobj = 1": "down-weighting empty boxes (lambda_noobj 0.5)",
        "lambda_coord = 1": "up-weighting the coordinates (lambda_coord 5)"}


MIN_EFFECT = 0.01  # mAP: smaller differences are not worth naming


@experiment("yolo-loss-terms", 15, "What each term of the YOLO loss buys",
            """
The YOLO loss adds five squared errors: box centres and sizes (weighted by lambda_coord = 5), the
confidence of the responsible boxes (target: their IoU), the confidence of every other box
(weighted by lambda_noobj = 0.5, because most boxes hold no object and would otherwise drown the
rest), and the class probabilities. The sizes enter through their square roots, so a few pixels
off on a small box cost more than on a big one. Each choice is switched off in turn, and the
detector's test mAP is compared over several seeds.
""", lesson="Read the YOLO loss term by term: what each weight and the square roots are for.",
            claim="the slide's loss (lambda_coord 5, lambda_noobj 0.5, square roots of w and h) detects better than "
                  "the same loss with one of these choices switched off", min_effect=MIN_EFFECT,
            unit="test mAP@0.5", repeats_inside=True)
def yolo_loss_terms(ctx):
    from workbench.core.studies.detection.data import split_indices
    from workbench.core.studies.detection.model import train_detector
    from workbench.core.studies.detection.scenes import generate_scenes

    cfg = FULL if ctx.full else FAST
    seeds = [ctx.seed + k for k in range(max(cfg["seeds"], 2))]
    ctx.plan(len(VARIANTS) * len(seeds) + 1)
    ds = generate_scenes(cfg["n"], 96, seed=ctx.seed)
    split = split_indices(len(ds), 0.15, 0.15, ctx.seed)
    ctx.step("scenes generated")
    cache: dict = {}
    res: dict[str, dict[str, list[float]]] = {}
    rows = []
    for label, change in VARIANTS:
        res[label] = {"map50": [], "map": []}
        for s in seeds:
            out = train_detector(ds, backbone=cfg["backbone"], epochs=cfg["epochs"], seed=s, split=split, cache=cache,
                                 val_map=False, callbacks=list(ctx.trainer_callbacks) + [_CancelCallback(ctx)],
                                 device=ctx.device, **{**SLIDE, **change})
            ctx.check_cancel()
            res[label]["map50"].append(out.test["map50"])
            res[label]["map"].append(out.test["map"])
            rows.append({"loss": label, "seed": s, "test mAP@0.5": out.test["map50"], "test mAP@[.5:.95]": out.test["map"],
                         "baseline mAP@0.5": out.baseline["map50"], "epochs": len(out.fit.history)})
            ctx.step(f"{label}, seed {s}")
    slide = res[VARIANTS[0][0]]
    verdicts = {}
    for label, _ in VARIANTS[1:]:
        verdicts[label] = {m: judge(np.subtract(slide[m], res[label][m]).tolist(), min_effect=MIN_EFFECT,
                                    claim=f"{WHAT[label]} raises {m}", unit=m) for m in ("map50", "map")}
    charts = [Chart("Test mAP@0.5 by loss variant (one point per seed)", "variant", "test mAP@0.5",
                    [Series(label, [float(i)] * len(seeds), res[label]["map50"], style="points")
                     for i, (label, _) in enumerate(VARIANTS)])]
    for c in charts:
        ctx.chart(c)
    word = {"agrees": "helps", "contradicts": "hurts", "inconclusive": "inconclusive"}
    parts = [f"With the slide's loss the detector scored test mAP@0.5 {np.mean(slide['map50']):.3f} "
             f"(mAP@[.5:.95] {np.mean(slide['map']):.3f}) over {len(seeds)} seeds."]
    for label, v in verdicts.items():
        m50, mm = v["map50"], v["map"]
        parts.append(f"{WHAT[label]}: {word[m50.outcome]} at IoU 0.5 ({m50.mean:+.3f}, noise margin {m50.margin:.3f}), "
                     f"{word[mm.outcome]} over IoU 0.5-0.95 ({mm.mean:+.3f}, margin {mm.margin:.3f}).")
    # the lesson's one effect per seed: what the slide's choices buy on average against each change
    effects = [float(np.mean([slide["map50"][k] - res[label]["map50"][k] for label, _ in VARIANTS[1:]]))
               for k in range(len(seeds))]
    figures = {"map50": {k: float(np.mean(v["map50"])) for k, v in res.items()},
               "map": {k: float(np.mean(v["map"])) for k, v in res.items()},
               "verdicts": {k: {m: {"outcome": j.outcome, "word": word[j.outcome], "gain": j.mean, "margin": j.margin}
                                for m, j in v.items()} for k, v in verdicts.items()},
               "per_seed": res}
    return (figures, charts, rows, " ".join(parts), Repeated(effects, "seeds"),
            {"scenes": cfg["n"], "epochs": cfg["epochs"], "seeds": seeds, "backbone": cfg["backbone"]})
