"""Lessons 20-22: sequences and shots (numbered after the case studies' lessons).

20 attention helps long sequences: the tree parser with and without attention, scored on
   sentences at and beyond the longest trained length.
21 unseen combinations are hard: the captioner on scenes whose colour-shape pairs it saw in
   training against scenes with a pair it never saw.
22 prototypes beat scratch at one shot: the MobileNetV2 embedding's class means against a small
   CNN trained from scratch on the same single example per class.
Each is one training (or one episode set) per seed; the framework repeats it over seeds.
"""
from __future__ import annotations

import numpy as np

from workbench.core.experiments.base import Chart, Series, experiment
from workbench.core.experiments.common import _CancelCallback

TREES_FAST = {"n_train": 4000, "epochs": 5, "train_sizes": [1, 2, 3, 4], "test_sizes": [5, 6, 7]}
TREES_FULL = {"n_train": 12000, "epochs": 10, "train_sizes": [1, 2, 3, 4, 5], "test_sizes": [6, 7, 8]}
CAPTIONS_FAST = {"n": 2000, "epochs": 8}
CAPTIONS_FULL = {"n": 4000, "epochs": 12}
SHOTS_FAST = {"data": "builtin:mnist", "episodes": 3, "scratch_epochs": 30, "base_epochs": 4}
SHOTS_FULL = {"data": "builtin:mnist", "episodes": 10, "scratch_epochs": 40, "base_epochs": 8}


def _cbs(ctx) -> list:
    return list(ctx.trainer_callbacks) + [_CancelCallback(ctx)]


@experiment("attention-long-sequences", 20, "Attention helps long sequences",
            """
A sentence goes in word by word and its syntax tree comes out token by token. Without attention the
decoder has only the encoder's last state, one vector for the whole sentence; with attention it
looks back at every input word at every step. Both are trained on short arithmetic expressions and
scored on held-out expressions as long as the longest trained ones and longer.
""", lesson="Sequence-to-sequence: why attention (Bahdanau et al. 2015; Vinyals et al. 2015).",
            claim="attention raises exact tree match on the long sentences", min_effect=0.05, unit="exact match")
def attention_long_sequences(ctx):
    from workbench.core.studies.sequences.trees import train_tree_parser

    cfg = TREES_FULL if ctx.full else TREES_FAST
    ctx.plan(2)
    outs = {}
    for att in (True, False):
        outs[att] = train_tree_parser("arithmetic", attention=att, n_train=cfg["n_train"], epochs=cfg["epochs"],
                                      train_sizes=cfg["train_sizes"], test_sizes=cfg["test_sizes"], seed=ctx.seed,
                                      callbacks=_cbs(ctx), device=ctx.device)
        ctx.step("with attention" if att else "without attention")
    longest = max(cfg["train_sizes"])

    def long_exact(o):
        return float(np.mean([r["exact"] for r in o.length_curve if r["size"] >= longest]))

    effect = long_exact(outs[True]) - long_exact(outs[False])
    chart = Chart("Exact tree match by expression length", "operators", "exact match",
                  [Series("with attention", [r["size"] for r in outs[True].length_curve],
                          [r["exact"] for r in outs[True].length_curve]),
                   Series("without attention", [r["size"] for r in outs[False].length_curve],
                          [r["exact"] for r in outs[False].length_curve], style="dash")])
    ctx.chart(chart)
    rows = [{"attention": "yes" if att else "no", "operators": r["size"], "trained length": r["trained"],
             "exact": r["exact"], "bracket F1": r["bracket_f1"]} for att, o in outs.items() for r in o.length_curve]
    conclusion = (f"In distribution (1-{longest} operators) exact match was {outs[True].test['exact']:.1%} with attention "
                  f"and {outs[False].test['exact']:.1%} without; on {longest}+ operators {long_exact(outs[True]):.1%} "
                  f"and {long_exact(outs[False]):.1%}.")
    figures = {"in_distribution": {"attention": outs[True].test["exact"], "plain": outs[False].test["exact"]},
               "long": {"attention": long_exact(outs[True]), "plain": long_exact(outs[False])},
               "curve": {"attention": outs[True].length_curve, "plain": outs[False].length_curve}}
    return figures, [chart], rows, conclusion, effect, dict(cfg)


@experiment("unseen-combinations", 21, "Unseen combinations are hard",
            """
A captioner learns words for colours, shapes, positions and counts. Three colour-shape pairs never
appear in its training scenes, although each colour and each shape does, in other pairs. Does it
compose "blue" and "triangle" into "blue triangle" when it has never seen one?
""", lesson="Sequence generation: captions, and what generalisation means for them.",
            claim="captions are exact less often when a scene holds a colour-shape pair never seen in training",
            min_effect=0.1, unit="exact captions")
def unseen_combinations(ctx):
    from workbench.core.studies.sequences.captions import train_captioner

    cfg = CAPTIONS_FULL if ctx.full else CAPTIONS_FAST
    ctx.plan(1)
    out = train_captioner(n=cfg["n"], epochs=cfg["epochs"], seed=ctx.seed, beam=0, gallery=0, callbacks=_cbs(ctx),
                          device=ctx.device)
    ctx.step("captioner trained")
    seen, unseen = out.test["seen"], out.test["unseen"]
    effect = seen["exact"] - unseen["exact"]
    chart = Chart("Held-out captions: seen and unseen colour-shape pairs", "part (0 seen, 1 unseen)", "score",
                  [Series("exact", [0.0, 1.0], [seen["exact"], unseen["exact"]], style="points"),
                   Series("BLEU-4", [0.0, 1.0], [seen["bleu4"], unseen["bleu4"]], style="points")])
    ctx.chart(chart)
    rows = [{"scenes": p, "exact": s["exact"], "BLEU-4": s["bleu4"], "nearest-image baseline": out.baselines[p]["nearest"]["exact"],
             "n": s["n"]} for p, s in out.test.items()]
    conclusion = (f"On held-out scenes with trained pairs {seen['exact']:.1%} of the captions were exact (BLEU-4 "
                  f"{seen['bleu4']:.2f}); with a held-out pair ({', '.join(f'{c} {s}' for c, s in out.held_out)}) "
                  f"{unseen['exact']:.1%} (BLEU-4 {unseen['bleu4']:.2f})"
                  + (f", and {out.swapped:.0%} of the wrong ones named only pairs seen in training." if out.swapped is not None else "."))
    return ({"seen": seen, "unseen": unseen, "swapped": out.swapped}, [chart], rows, conclusion, effect, dict(cfg))


@experiment("prototypes-one-shot", 22, "Prototypes beat scratch at one shot",
            """
With one example per class a network trained from scratch has almost nothing to learn from. A
network trained on other classes (here half of the digits, with all their images) already maps
images to features where similar things are close: average each new class's examples into a
prototype and give a new image the class of the nearest one. Both see exactly the same examples of
the new classes; the test images are never among them.
""", lesson="One-shot and few-shot learning (the faces gallery does this for faces).",
            claim="nearest prototypes on an embedding learnt from other classes beat a CNN trained from scratch at one shot",
            min_effect=0.03, unit="accuracy")
def prototypes_one_shot(ctx):
    from workbench.core.studies.sequences.fewshot import run_few_shot

    cfg = SHOTS_FULL if ctx.full else SHOTS_FAST
    ctx.plan(1)
    out = run_few_shot(cfg["data"], shots=[1, 5], episodes=cfg["episodes"], scratch_epochs=cfg["scratch_epochs"],
                       base_epochs=cfg.get("base_epochs"),
                       seed=ctx.seed, callbacks=_cbs(ctx), device=ctx.device)
    ctx.step("episodes done")
    one = out.at(1)
    effect = one["prototype"] - one["scratch"]
    chart = Chart(f"Accuracy by examples per class ({cfg['data']})", "examples per class", "accuracy",
                  [Series(out.settings["embedding_label"], [r["shots"] for r in out.curve],
                          [r["prototype"] for r in out.curve]),
                   Series("CNN from scratch", [r["shots"] for r in out.curve], [r["scratch"] for r in out.curve],
                          style="dash")])
    ctx.chart(chart)
    rows = [{"shots": r["shots"], "prototypes": r["prototype"], "from scratch": r["scratch"], "chance": r["chance"]}
            for r in out.curve]
    conclusion = (f"On {cfg['data']} at one example per class the prototypes scored {one['prototype']:.1%} and the "
                  f"CNN from scratch {one['scratch']:.1%} (chance {one['chance']:.0%}); at five, "
                  f"{out.at(5)['prototype']:.1%} and {out.at(5)['scratch']:.1%}.")
    return {"curve": out.curve}, [chart], rows, conclusion, effect, dict(cfg)
