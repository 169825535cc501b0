"""Worksheet of the faces case study: "Which loss?" (the course's three triplet losses) and
"Output?" (how many numbers the encoding has), each answered by training the study's own encoder
(workbench.core.studies.faces) on generated people and scoring it on other, held-out people.

Every answer trains the same network from the same initial weights on the same photos with the same
mined triplets; only the asked choice changes. The score is the equal error rate of same/different
decisions on pairs of the held-out people (lower is better), with the distance histograms of their
same-person and different-person pairs and a picture of their embedding (first two principal
components, one colour per person).
"""
from __future__ import annotations

import numpy as np

from workbench.core.experiments.base import Chart, Series
from workbench.core.studies.faces.evaluate import pair_distances
from workbench.core.worksheets.base import Answer, AnswerRun, Picture, Question, Worksheet, register_worksheet
from workbench.core.worksheets.measure import cached, callbacks, pca2, scatter_picture

# people x photos each; 32-px faces; epochs. Test people are other identities than training ones.
FAST = {"train_people": 48, "shots": 8, "test_people": 16, "test_shots": 6, "size": 32, "epochs": 16, "dim": 64}
FULL = {"train_people": 96, "shots": 10, "test_people": 24, "test_shots": 8, "size": 32, "epochs": 30, "dim": 64}
MARGIN = 0.2

LOSSES = {
    "ap-an": "‖Enc(A)−Enc(P)‖² − ‖Enc(A)−Enc(N)‖² + α",
    "an-ap": "‖Enc(A)−Enc(N)‖² − ‖Enc(A)−Enc(P)‖² + α",
    "pn-pa": "‖Enc(P)−Enc(N)‖² − ‖Enc(P)−Enc(A)‖² + α",
}
DIMS = {"2": 2, "8": 8, "128": 128}


def loss_form(anchor, positive, negative, margin: float, form: str):
    """The triplet loss as the answer ``form`` writes it, hinged at 0 and averaged over the triplets."""
    import torch

    if anchor.shape[0] == 0:
        return anchor.sum() * 0.0
    d = lambda u, v: (u - v).pow(2).sum(dim=1)  # noqa: E731
    if form == "ap-an":
        raw = d(anchor, positive) - d(anchor, negative)
    elif form == "an-ap":
        raw = d(anchor, negative) - d(anchor, positive)
    elif form == "pn-pa":
        raw = d(positive, negative) - d(positive, anchor)
    else:
        raise ValueError(f"unknown triplet loss {form!r}")
    return torch.clamp(raw + margin, min=0.0).mean()


def _head(form: str, seed: int):
    from workbench.core.studies.faces.triplet import TripletHead, mine_triplets

    class FormHead(TripletHead):
        """The study's triplet head (same semi-hard mining) with the answer's formula."""

        def loss(self, out, y):
            import torch

            y = torch.as_tensor(y).reshape(-1).long()
            t = mine_triplets(out, y, self.mining, self.margin, self._gen)
            self.last_triplets = int(t.shape[0])
            return loss_form(out[t[:, 0]], out[t[:, 1]], out[t[:, 2]], self.margin, form)

    return FormHead(MARGIN, "semi-hard", seed=seed)


def _people(cfg: dict, seed: int):
    from workbench.core.studies.faces.synth import drawn_people

    Xtr, ytr, _ = drawn_people(cfg["train_people"], cfg["shots"], seed=10_000 + seed, size=64)
    Xte, yte, _ = drawn_people(cfg["test_people"], cfg["test_shots"], seed=50_000 + seed, size=64, prefix="held")
    return Xtr, ytr, Xte, yte


def train_and_score(ctx, *, form: str = "ap-an", dim: int | None = None) -> dict:
    """Train the study's encoder with one triplet-loss form and embedding size; score held-out people."""
    import torch

    from workbench.core.studies.faces.encoder import EncoderConfig, OwnEncoder, build_encoder_net, encoder_inputs
    from workbench.core.studies.faces.evaluate import evaluate_embeddings
    from workbench.core.training import TrainConfig, Trainer

    cfg = FULL if ctx.full else FAST
    Xtr, ytr, Xte, yte = cached("faces.people", (ctx.full, ctx.seed), lambda: _people(cfg, ctx.seed))
    ec = EncoderConfig(embedding_dim=int(dim or cfg["dim"]), image_size=cfg["size"], width=8, margin=MARGIN,
                       epochs=cfg["epochs"], batch_size=64, lr=2e-3, seed=ctx.seed)
    torch.manual_seed(ctx.seed)
    net = build_encoder_net(ec)
    ctx.check_cancel()
    tc = TrainConfig(epochs=ec.epochs, batch_size=ec.batch_size, lr=ec.lr, optimizer="adam", seed=ctx.seed,
                     restore_best=False, monitor="loss")
    fit = Trainer(callbacks=callbacks(ctx), device=ctx.device).fit(
        net, _head(form, ctx.seed), train=(encoder_inputs(Xtr, ec), ytr), val=None, config=tc)
    ctx.check_cancel()
    enc = OwnEncoder(net.cpu().eval(), ec)
    emb = enc.embed(list(Xte))
    rep = evaluate_embeddings(emb, yte)
    return {"report": rep, "emb": emb, "labels": yte, "loss": [float(h.get("loss", np.nan)) for h in fit.history],
            "config": cfg}


def _describe(rep) -> str:
    s, d = rep.mean_same, rep.mean_diff
    if max(s, d) < 0.05:
        what = "the embedding collapsed: every face lands on nearly the same point"
    elif max(s, d) < 0.3:
        what = "the embedding shrank towards one point, with no room left between people"
    elif s > d:
        what = "the embedding is inverted: photos of one person lie farther apart than photos of different people"
    elif rep.eer > 0.3:
        what = "same and different pairs overlap heavily"
    else:
        what = "photos of one person lie close together, different people apart"
    return (f"Equal error rate {rep.eer:.1%} on held-out people (ROC AUC {rep.auc:.2f}); mean distance "
            f"{s:.2f} for the same person, {d:.2f} for different people: {what}.")


def _run(ctx, title: str, **kw) -> AnswerRun:
    out = train_and_score(ctx, **kw)
    rep = out["report"]
    # encodings have length 1, so every distance lies in [0, 2]: fixed bins show a collapse as a pile at 0
    d, same = pair_distances(out["emb"], out["labels"])
    d = np.clip(d, 0.0, 2.0)
    edges = np.linspace(0.0, 2.0, 41)
    mids = ((edges[:-1] + edges[1:]) / 2).tolist()
    share = lambda m: (np.histogram(d[m], edges)[0] / max(1, int(m.sum()))).tolist()  # noqa: E731
    hist = Chart("Held-out pairs by distance", "distance between encodings (0 to 2)", "share of the pairs",
                 [Series("same person", mids, share(same)),
                  Series("different people", mids, share(~same), style="dash")])
    curve = Chart("Training loss", "epoch", "triplet loss",
                  [Series(title, list(range(1, len(out["loss"]) + 1)), out["loss"])])
    pic = Picture(f"Held-out people's encodings, first two components ({title}); one colour per person",
                  scatter_picture(pca2(out["emb"]), out["labels"], extent=1.2))
    return AnswerRun(score=rep.eer, summary=_describe(rep), charts=[hist, curve], pictures=[pic],
                     details={"auc": rep.auc, "mean_distance_same": rep.mean_same,
                              "mean_distance_different": rep.mean_diff, "final_loss": out["loss"][-1] if out["loss"] else None})


def run_loss(ctx, key: str) -> AnswerRun:
    return _run(ctx, LOSSES[key], form=key)


def run_dim(ctx, key: str) -> AnswerRun:
    return _run(ctx, f"{DIMS[key]} numbers", dim=DIMS[key])


LOSS_Q = Question(
    id="faces.loss", topic="Loss", text="Which loss? (A: anchor, P: the same person, N: another person)",
    answers=(Answer("ap-an", LOSSES["ap-an"], True), Answer("an-ap", LOSSES["an-ap"], False),
             Answer("pn-pa", LOSSES["pn-pa"], False)),
    metric="equal error rate", unit="EER", higher_is_better=False, min_effect=0.03, run_answer=run_loss,
    explanation=(
        "Minimising ‖Enc(A)−Enc(P)‖² − ‖Enc(A)−Enc(N)‖² + α pulls two photos of the same person together and "
        "pushes another person away until the gap is at least the margin α; the hinge max(·, 0) stops pushing once "
        "it is. Swapping A–P and A–N rewards the opposite: photos of one person are pushed apart and different "
        "people pulled together, so the encoding inverts (the same person ends farther away than strangers) and "
        "the held-out error rate goes to or above chance. The loss built on P–N and P–A does the same with the "
        "positive as the anchor. Only the first one learns what verification needs."))

DIM_Q = Question(
    id="faces.output", topic="Output", text="Output? How many numbers should the encoding of a face have?",
    answers=(Answer("2", "2 numbers", False), Answer("8", "8 numbers", False),
             Answer("128", "128 numbers (FaceNet)", True)),
    metric="equal error rate", unit="EER", higher_is_better=False, min_effect=0.02, run_answer=run_dim,
    explanation=(
        "The encodings are normalised to length 1, so with 2 numbers every face is a point on a circle: "
        "hundreds of people cannot all be a margin apart there. More numbers give room for every person to sit "
        "away from every other; FaceNet uses 128. Past a point more numbers stop helping and only cost memory "
        "(the runs show where that point is for these generated people)."))

register_worksheet(Worksheet("faces", "faces", "Faces: verification with an encoder", (LOSS_Q, DIM_Q)))
