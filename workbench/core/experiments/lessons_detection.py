"""Lesson 15: what each term of the YOLO loss buys.

The detector is trained with the loss as on the slide (lambda_coord 5, lambda_noobj 0.5, square
roots of w and h) and with one change at a time: plain w and h, lambda_noobj = 1, lambda_coord = 1.
Every variant is trained with the same scenes, split and seeds, so each seed gives a paired
difference in test mAP. A difference counts only when its mean is larger than the noise margin
(twice the standard error of the paired differences, and never less than the seed-to-seed spread
of the slide's loss); otherwise the verdict is "inconclusive".
"""
from __future__ import annotations

import numpy as np

from workbench.core.experiments.base import Chart, Series, experiment
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


def verdict(slide: list[float], other: list[float], floor: float = 0.0) -> dict:
    """Paired comparison over seeds of the slide's loss against a variant (test mAP per seed).

    gain = mean(slide - other): what the slide's term buys. margin = max(2 x standard error of the
    paired differences, the slide's own seed spread (std), ``floor``). "helps" when gain > margin,
    "hurts" when gain < -margin, else "inconclusive"."""
    a, b = np.asarray(slide, float), np.asarray(other, float)
    d = a - b
    se = float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("inf")
    spread = float(a.std(ddof=1)) if len(a) > 1 else 0.0
    margin = max(2 * se, spread, floor)
    gain = float(d.mean())
    word = "helps" if gain > margin else "hurts" if gain < -margin else "inconclusive"
    return {"gain": gain, "margin": margin, "verdict": word, "slide": float(a.mean()), "other": float(b.mean())}


@experiment("yolo-loss-terms", 15, "What each term of the YOLO loss buys",
            """
The YOLO loss adds five squared errors: box centres and sizes (weighted by lambda_coord = 5), the
confidence of the responsible boxes (target: their IoU), the confidence of every other box
(weighted by lambda_noobj = 0.5, because most boxes hold no object and would otherwise drown the
rest), and the class probabilities. The sizes enter through their square roots, so a few pixels
off on a small box cost more than on a big one. Each choice is switched off in turn, and the
detector's test mAP is compared over several seeds.
""", lesson="Read the YOLO loss term by term: what each weight and the square roots are for.")
def yolo_loss_terms(ctx):
    from workbench.core.studies.detection.data import split_indices
    from workbench.core.studies.detection.model import train_detector
    from workbench.core.studies.detection.scenes import generate_scenes

    cfg = FULL if ctx.full else FAST
    seeds = [ctx.seed + k for k in range(cfg["seeds"])]
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
        verdicts[label] = {m: verdict(slide[m], res[label][m]) for m in ("map50", "map")}
    charts = [Chart("Test mAP by loss variant (one point per seed)", "variant", "test mAP@0.5",
                    [Series(label, [float(i)] * len(seeds), res[label]["map50"], style="points")
                     for i, (label, _) in enumerate(VARIANTS)])]
    for c in charts:
        ctx.chart(c)
    parts = [f"With the slide's loss the detector scored mAP@0.5 {np.mean(slide['map50']):.3f} "
             f"(mAP@[.5:.95] {np.mean(slide['map']):.3f}) over {len(seeds)} seeds."]
    contradicted = []
    for label, v in verdicts.items():
        m50, mm = v["map50"], v["map"]
        what = WHAT[label]
        if "inconclusive" == m50["verdict"] == mm["verdict"]:
            parts.append(f"{what}: inconclusive (gain {m50['gain']:+.3f} mAP@0.5, {mm['gain']:+.3f} mAP@[.5:.95]; "
                         f"noise margin {m50['margin']:.3f} / {mm['margin']:.3f}).")
        else:
            parts.append(f"{what} {m50['verdict']} at IoU 0.5 ({m50['gain']:+.3f} ± {m50['margin']:.3f}) and "
                         f"{mm['verdict']} over IoU 0.5-0.95 ({mm['gain']:+.3f} ± {mm['margin']:.3f}).")
        if "hurts" in (m50["verdict"], mm["verdict"]):
            contradicted.append(what)
    if contradicted:
        parts.append("This run contradicts the lesson for " + ", ".join(contradicted) + ": there the slide's choice "
                     "scored lower than the change, beyond the noise.")
    figures = {"map50": {k: float(np.mean(v["map50"])) for k, v in res.items()},
               "map": {k: float(np.mean(v["map"])) for k, v in res.items()}, "verdicts": verdicts,
               "per_seed": res}
    return (figures, charts, rows, " ".join(parts), not contradicted,
            {"scenes": cfg["n"], "epochs": cfg["epochs"], "seeds": seeds, "backbone": cfg["backbone"]})
