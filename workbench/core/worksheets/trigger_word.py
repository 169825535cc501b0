"""Worksheet of the trigger-word case study: "Last activation?" and "Loss?" for an output that is a
sequence of 0s and 1s (1 for the steps just after the word was said).

Every answer trains the study's detector (a small version of the ``trigger-word`` preset: Conv1D,
two GRUs, one output per time step) on the same generated clips of the study's demo material
(workbench.core.studies.trigger_word), from the same initial weights, and scores it on other
held-out clips with the study's own event rule (an event when the output stays above 0.5, then a
refractory pause) and matching (workbench.core.studies.trigger_word.evaluation.score_traces): the
share of trigger words caught, the false accepts, and their F1 (higher is better).
"""
from __future__ import annotations

import numpy as np

from workbench.core.experiments.base import Chart, Series
from workbench.core.worksheets.base import Answer, AnswerRun, Picture, Question, Worksheet, register_worksheet
from workbench.core.worksheets.measure import cached, callbacks, trace_picture

# clips of 5 s (at most 2 trigger words and 2 other words each), training and held-out clips, epochs
FAST = {"train": 300, "test": 60, "epochs": 10, "seconds": 5.0}
FULL = {"train": 800, "test": 150, "epochs": 12, "seconds": 5.0}
THRESHOLD = 0.5

ACTIVATIONS = {"sigmoid": "sigmoid at every time step", "softmax": "softmax over the output",
               "none": "none (the raw number)"}
LOSSES = {"bce": "binary cross-entropy at every step", "mse": "mean squared error at every step",
          "cce": "softmax cross-entropy over the output"}


def make_head(activation: str = "sigmoid", loss: str = "bce"):
    """A per-step head with the answer's last activation and loss (the study's head is sigmoid + BCE).

    softmax: over the last axis, which holds ONE output per step, so it is 1 whatever the input.
    none: the raw number is the "probability" (clipped into (0, 1) for the cross-entropy).
    cce: cross-entropy of a softmax over the one output: its log is 0, so the loss is 0 for any output."""
    from workbench.core.models import Head

    class AnswerHead(Head):
        def _activation(self, raw):
            import torch

            if activation == "sigmoid":
                return torch.sigmoid(raw)
            if activation == "softmax":
                return torch.softmax(raw, dim=-1)
            return raw

        def loss(self, raw, target):
            import torch
            import torch.nn.functional as F

            y = target.float()
            if loss == "cce":
                return -(y * torch.log_softmax(raw.float(), dim=-1)).sum(-1).mean()
            if activation == "sigmoid" and loss == "bce":
                return F.binary_cross_entropy_with_logits(raw.float(), y)  # the stable form of the same loss
            p = self._activation(raw.float())
            if loss == "mse":
                return F.mse_loss(p, y)
            return F.binary_cross_entropy(p.clamp(1e-6, 1 - 1e-6), y)

    return AnswerHead("sequence_binary", activation, "cce" if loss == "cce" else loss,
                      f"{ACTIVATIONS.get(activation, activation)} + {LOSSES.get(loss, loss)}")


def _clips(cfg: dict, seed: int):
    from workbench.core.studies.trigger_word import TriggerConfig, generate_clips, load_demo

    material = load_demo()
    tc = TriggerConfig(sample_rate=material.sample_rate, clip_seconds=cfg["seconds"], max_positives=2,
                       max_negatives=2)
    train = generate_clips(material, cfg["train"], tc, seed=100 + seed)
    test = generate_clips(material, cfg["test"], tc, seed=900 + seed)  # other clips: another seed's sequence
    return train, test


def train_and_score(ctx, *, activation: str = "sigmoid", loss: str = "bce") -> dict:
    import torch

    from workbench.core.studies.trigger_word import TriggerModel, tiny_spec
    from workbench.core.studies.trigger_word.evaluation import evaluate_clips
    from workbench.core.training import TrainConfig, Trainer

    cfg = FULL if ctx.full else FAST
    train, test = cached("trigger.clips", (ctx.full, ctx.seed), lambda: _clips(cfg, ctx.seed))
    ctx.check_cancel()
    torch.manual_seed(ctx.seed)
    tm = TriggerModel.build(train.config, tiny_spec(filters=16, units=24))
    tm.head = make_head(activation, loss)
    tc = TrainConfig(epochs=cfg["epochs"], batch_size=32, lr=3e-3, optimizer="adam", seed=ctx.seed,
                     restore_best=False, monitor="loss")
    fit = Trainer(callbacks=callbacks(ctx), device=ctx.device).fit(
        tm.module, tm.head, train=(train.features, train.labels), val=None, config=tc)
    ctx.check_cancel()
    tm.module.cpu().eval()
    scores = evaluate_clips(tm, test, thresholds=(THRESHOLD,))
    caught = (1.0 - float(scores.frr[0])) * scores.positives
    false = int(scores.false_accepts[0])
    missed = scores.positives - caught
    f1 = 2 * caught / (2 * caught + false + missed) if (caught + false + missed) > 0 else 0.0
    probs = tm.predict(test.features)
    shown = int(np.argmax(test.labels[:, :, 0].max(1) > 0))  # the first held-out clip with a trigger word
    return {"f1": float(f1), "frr": float(scores.frr[0]), "false": false, "positives": int(scores.positives),
            "clips": len(test), "probs": probs[shown], "labels": test.labels[shown, :, 0], "all": probs,
            "step": float(test.config.step_seconds),
            "loss": [float(h.get("loss", np.nan)) for h in fit.history]}


def _run(ctx, title: str, **kw) -> AnswerRun:
    out = train_and_score(ctx, **kw)
    p, every = out["probs"], out["all"]
    t = (np.arange(len(p)) * out["step"]).tolist()
    if float(np.ptp(every)) < 1e-3 and float(every.mean()) >= THRESHOLD:
        shape = (f"its output is {float(every.mean()):.2f} at every step whatever was said: the detector is 'on' from "
                 "the first step and never fires for a word (one false accept per clip, as it starts)")
    elif float(np.ptp(every)) < 1e-3:
        shape = f"its output is {float(every.mean()):.2f} at every step whatever was said (it cannot follow the sound)"
    elif float(every.max()) < THRESHOLD:
        shape = f"its output never reaches {THRESHOLD} (highest {float(every.max()):.2f}), so it never fires"
    else:
        shape = (f"its output ranges from {float(every.min()):.2f} to {float(every.max()):.2f} and crosses "
                 f"{THRESHOLD} in {float((every.max(1) >= THRESHOLD).mean()):.0%} of the clips")
    summary = (f"On {out['clips']} held-out clips it caught {1 - out['frr']:.0%} of {out['positives']} trigger words "
               f"with {out['false']} false accepts at threshold {THRESHOLD} (F1 {out['f1']:.2f}); {shape}.")
    trace = Chart("Output on a held-out clip", "seconds", "output",
                  [Series("output", t, np.clip(p, -0.5, 1.5).astype(float).tolist()),
                   Series("label (1 after the word)", t, out["labels"].astype(float).tolist(), style="dash")])
    curve = Chart("Training loss", "epoch", "loss",
                  [Series(title, list(range(1, len(out["loss"]) + 1)), out["loss"])])
    pic = Picture(f"Output over a held-out clip ({title}); green: the steps labelled 1, red: the threshold",
                  trace_picture(p, out["labels"], threshold=THRESHOLD))
    return AnswerRun(score=out["f1"], summary=summary, charts=[trace, curve], pictures=[pic],
                     details={"false_reject_rate": out["frr"], "false_accepts": out["false"],
                              "final_loss": out["loss"][-1] if out["loss"] else None})


def run_activation(ctx, key: str) -> AnswerRun:
    return _run(ctx, ACTIVATIONS[key], activation=key, loss="bce")


def run_loss(ctx, key: str) -> AnswerRun:
    return _run(ctx, LOSSES[key], activation="sigmoid", loss=key)


ACT_Q = Question(
    id="trigger_word.activation", topic="Last activation",
    text="Last activation? The output is a sequence of 0s and 1s, one per time step.",
    answers=tuple(Answer(k, v, k == "sigmoid") for k, v in ACTIVATIONS.items()),
    metric="F1 of detections", unit="F1", higher_is_better=True, min_effect=0.05, run_answer=run_activation,
    explanation=(
        "Each time step asks a yes/no question of its own (has the word just ended?), so each step needs its own "
        "probability between 0 and 1: a sigmoid per step. A softmax normalises over the outputs it is given; over "
        "ONE output it is exp(z)/exp(z) = 1 at every step whatever the sound, so it cannot tell the word from "
        "silence and its gradient is zero: the network learns nothing. With no activation the output is not a "
        "probability; the cross-entropy only sees it inside (0, 1), and the 0.5 threshold means little."))

LOSS_Q = Question(
    id="trigger_word.loss", topic="Loss", text="Loss? (the last activation is a sigmoid at every step)",
    answers=tuple(Answer(k, v, k == "bce") for k, v in LOSSES.items()),
    metric="F1 of detections", unit="F1", higher_is_better=True, min_effect=0.05, run_answer=run_loss,
    explanation=(
        "A sum over the time steps of the binary cross-entropy, −y log ŷ − (1−y) log(1−ŷ): the likelihood of "
        "each step's 0 or 1, with a strong gradient when a step is confidently wrong. The mean squared error "
        "on the sigmoid learns too, more slowly (its gradient vanishes when the sigmoid saturates on the wrong "
        "side). A softmax cross-entropy over the one output is 0 whatever the network says: no gradient, nothing "
        "learnt, the output stays what the random initial weights give."))

register_worksheet(Worksheet("trigger_word", "trigger_word", "Trigger word: a 0/1 output at every step",
                             (ACT_Q, LOSS_Q)))
