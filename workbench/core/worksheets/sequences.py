"""Worksheet of the sequence studies: "Architecture?" for sentence -> syntax tree (an
encoder-decoder with or without attention, scored on expressions longer than most training ones)
and "Output?" for recognising classes never seen in training (one classifier over the seen
classes, or one predictor per attribute). Each answer runs the study's own training
(workbench.core.studies.sequences: trees.train_tree_parser, zeroshot.run_zero_shot) on its
generated data; every answer of a question uses the same data and seed.
"""
from __future__ import annotations

import numpy as np

from workbench.core.experiments.base import Chart, Series
from workbench.core.worksheets.base import Answer, AnswerRun, Picture, Question, Worksheet, register_worksheet
from workbench.core.worksheets.measure import cached, callbacks

TREES_FAST = {"n_train": 3000, "epochs": 5, "train_sizes": [1, 2, 3, 4], "test_sizes": [5, 6, 7]}
TREES_FULL = {"n_train": 10000, "epochs": 10, "train_sizes": [1, 2, 3, 4, 5], "test_sizes": [6, 7, 8]}
ZSL_FAST = {"n_per_class": 100, "epochs": 6}
ZSL_FULL = {"n_per_class": 200, "epochs": 10}

ARCHS = {"plain": "GRU encoder-decoder (the decoder sees the encoder's last state)",
         "attention": "GRU encoder-decoder with attention (the decoder looks back at every word)"}
OUTPUTS = {"classifier": "one classifier over the classes seen in training",
           "attributes": "one predictor per attribute (colour, shape), a class = its description"}


def run_arch(ctx, key: str) -> AnswerRun:
    from workbench.core.studies.sequences.trees import train_tree_parser

    cfg = TREES_FULL if ctx.full else TREES_FAST
    out = train_tree_parser("arithmetic", attention=key == "attention", n_train=cfg["n_train"], epochs=cfg["epochs"],
                            train_sizes=cfg["train_sizes"], test_sizes=cfg["test_sizes"], seed=ctx.seed,
                            callbacks=callbacks(ctx), device=ctx.device)
    ctx.check_cancel()
    longest = max(cfg["train_sizes"])
    long_rows = [r for r in out.length_curve if r["size"] >= longest]
    score = float(np.mean([r["exact"] for r in long_rows])) if long_rows else float("nan")
    curve = out.length_curve
    chart = Chart("Exact trees by expression length", "operators", "exact match",
                  [Series("parser", [r["size"] for r in curve], [r["exact"] for r in curve]),
                   Series("left-to-right rule", [r["size"] for r in curve], [r["baseline_exact"] for r in curve],
                          style="dash")])
    wrong = next((e for e in out.examples if not e["correct"]), None)
    summary = (f"Held-out expressions of 1-{longest} operators: {out.test['exact']:.0%} exact trees; of {longest} "
               f"operators and more: {score:.0%}"
               + (f". A miss: '{wrong['sentence']}' gave '{wrong['predicted']}' for '{wrong['truth']}'." if wrong else "."))
    return AnswerRun(score=score, summary=summary, charts=[chart],
                     details={"in_distribution_exact": float(out.test["exact"]),
                              "bracket_f1": float(out.test["bracket_f1"])})


def _zero_shot(ctx):
    from workbench.core.studies.sequences.zeroshot import run_zero_shot

    cfg = ZSL_FULL if ctx.full else ZSL_FAST
    return run_zero_shot(n_per_class=cfg["n_per_class"], epochs=cfg["epochs"], seed=ctx.seed,
                         callbacks=callbacks(ctx), device=ctx.device)


def _examples_picture(out, key: str) -> Picture | None:
    ex = [e for e in out.examples if e.get("true") in out.unseen][:6]
    if not ex:
        return None
    import cv2

    tiles = []
    for e in ex:
        img = np.asarray(e["image"])
        if img.dtype != np.uint8:
            img = np.clip(img * (255 if img.max() <= 1.0 else 1), 0, 255).astype(np.uint8)
        if img.ndim == 3 and img.shape[0] in (1, 3) and img.shape[-1] not in (1, 3):
            img = np.transpose(img, (1, 2, 0))
        if img.ndim == 2 or img.shape[-1] == 1:
            img = np.repeat(img.reshape(img.shape[0], img.shape[1], 1), 3, axis=-1)
        tiles.append(cv2.resize(img, (96, 96), interpolation=cv2.INTER_NEAREST))
        tiles.append(np.full((96, 4, 3), 255, np.uint8))
    said = "; ".join(f"{e['true']} -> {e['gzsl' if key == 'attributes' else 'plain']}" for e in ex)
    return Picture(f"Images of classes never seen in training, and what the model said: {said}",
                   np.concatenate(tiles[:-1], axis=1))


def run_output(ctx, key: str) -> AnswerRun:
    out = cached("sequences.zero_shot", (ctx.full, ctx.seed), lambda: _zero_shot(ctx))
    ctx.check_cancel()
    s = out.scores
    if key == "attributes":  # all classes compete, the unseen ones through their descriptions
        score, seen = float(s["gzsl_unseen"]), float(s.get("gzsl_seen", np.nan))
    else:
        score, seen = float(s["plain_unseen"]), float(s.get("plain_seen", np.nan))
    chart = Chart("Accuracy on held-out images", "classes (0 seen in training, 1 never seen)", "accuracy",
                  [Series(OUTPUTS[key].split(",")[0], [0.0, 1.0], [seen, score], style="points")])
    summary = (f"On images of the {len(out.unseen)} classes never seen in training ({', '.join(out.unseen)}), with "
               f"all {len(out.classes)} classes to choose from: {score:.0%} right; on held-out images of the seen "
               f"classes: {seen:.0%}.")
    if key == "attributes":
        summary += (f" Among the unseen classes only, the descriptions picked the right one {float(s['zsl_unseen']):.0%} "
                    f"of the time (chance {float(s.get('chance_unseen', 1 / max(1, len(out.unseen)))):.0%}).")
    pic = _examples_picture(out, key)
    return AnswerRun(score=score, summary=summary, charts=[chart], pictures=[pic] if pic else [],
                     details={"seen_accuracy": seen})


ARCH_Q = Question(
    id="sequences.architecture", topic="Architecture",
    text="Architecture? A sentence goes in word by word, its syntax tree comes out token by token.",
    answers=(Answer("plain", ARCHS["plain"], False), Answer("attention", ARCHS["attention"], True)),
    metric="exact trees on long expressions", unit="exact match", higher_is_better=True, min_effect=0.05,
    run_answer=run_arch,
    explanation=(
        "Without attention the whole sentence must pass through one vector, the encoder's last state; the longer "
        "the sentence, the less of it survives, and the decoder must also remember where in the tree it is. With "
        "attention the decoder looks back at every input word at every step and picks the ones it needs: what "
        "the syntax-tree paper (Vinyals et al. 2015) used, and what keeps long sentences right."))

OUTPUT_Q = Question(
    id="sequences.zero_shot", topic="Output",
    text="Output? The model must recognise classes it never saw in training (blue triangle), from their description.",
    answers=(Answer("classifier", OUTPUTS["classifier"], False), Answer("attributes", OUTPUTS["attributes"], True)),
    metric="accuracy on unseen classes", unit="accuracy", higher_is_better=True, min_effect=0.05,
    run_answer=run_output,
    explanation=(
        "A classifier has one output per class it was trained on: a class that was never in training has no "
        "output, so it scores 0 by construction. Predicting the attributes (one softmax for the colour, one for the "
        "shape) and scoring each class by the probability of its description lets a new class be recognised from "
        "words alone (Lampert et al. 2009, direct attribute prediction); it still leans towards the trained "
        "classes when all compete."))

register_worksheet(Worksheet("sequences", "sequences", "Sequences: attention and zero-shot outputs",
                             (ARCH_Q, OUTPUT_Q)))
