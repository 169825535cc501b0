"""Evaluation without selection bias: people split three ways, choices on validation people only.

    train people       the own encoder learns from their photos
    validation people  the epoch (lowest equal error rate) and the verification threshold are
                       chosen on their pairs
    test people        ROC, EER and the accuracy at the chosen threshold are measured on their
                       pairs; they took part in no choice

A person is always on one side: their photos are never split. The split is made per origin
(LFW faces, the gallery, a folder, generated people) by a stable hash of each name, so the same
person lands in the same part whatever else is in the data. An origin with fewer people than a
fair split needs (``MIN_PEOPLE``) goes to training only, and the split says so.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from workbench.core.errors import DataError
from workbench.core.studies.faces.evaluate import VerificationReport, evaluate_embeddings
from workbench.core.studies.faces.realfaces import FaceData

PARTS = ("train", "validation", "test")
MIN_PER_PART = 2
MIN_PEOPLE = 3 * MIN_PER_PART
ORIGIN_WORDS = {"lfw": "LFW-subset faces", "astronaut": "the astronaut", "gallery": "gallery people",
                "folder": "people of the folder", "generated": "generated (drawn) people"}


def _rank(name: str, seed: int) -> str:
    return hashlib.sha1(f"{seed}:{name}".encode()).hexdigest()


@dataclass
class PeopleSplit:
    """Person indices (into ``FaceData.names``) of each part, and what was left out and why."""

    names: list[str]
    origins: list[str]
    train: list[int]
    validation: list[int]
    test: list[int]
    notes: list[str] = field(default_factory=list)

    def part(self, name: str) -> list[int]:
        return {"train": self.train, "validation": self.validation, "test": self.test}[name]

    def rows(self, y: np.ndarray, part: str) -> np.ndarray:
        """Indices of the photos of the people in ``part``."""
        return np.flatnonzero(np.isin(np.asarray(y), self.part(part)))

    def describe(self, part: str) -> str:
        """'20 people: 19 LFW-subset faces, the astronaut'."""
        idx = self.part(part)
        counts: dict[str, int] = {}
        for i in idx:
            counts[self.origins[i]] = counts.get(self.origins[i], 0) + 1
        what = ", ".join(("the astronaut" if o == "astronaut" else f"{n} {ORIGIN_WORDS.get(o, o)}")
                         for o, n in counts.items())
        return f"{len(idx)} {'person' if len(idx) == 1 else 'people'}" + (f": {what}" if what else "")

    def to_dict(self) -> dict:
        return {p: [self.names[i] for i in self.part(p)] for p in PARTS} | {"notes": list(self.notes)}


def split_people(data: FaceData, validation: float = 0.2, test: float = 0.2, seed: int = 0,
                 train_needed: bool = True) -> PeopleSplit:
    """Split ``data``'s people into train / validation / test people (see the module docstring).

    Raises DataError when no origin has enough people for a fair split."""
    need = MIN_PEOPLE if train_needed else 2 * MIN_PER_PART
    groups: dict[str, list[int]] = {}
    for i, o in enumerate(data.origins):
        groups.setdefault("lfw" if o == "astronaut" else o, []).append(i)  # the astronaut joins the LFW faces
    tr, va, te, notes = [], [], [], []
    for origin, people in groups.items():
        people = sorted(people, key=lambda i: _rank(data.names[i], seed))
        n = len(people)
        if n < need:
            if train_needed:
                tr += people
            notes.append(f"The {n} {ORIGIN_WORDS.get(origin, origin)} are too few for a fair split (it needs at "
                         f"least {need}: {MIN_PER_PART} to train, {MIN_PER_PART} to choose the threshold, "
                         f"{MIN_PER_PART} to test)" + ("; they were used for training only." if train_needed
                                                        else "; they were not scored."))
            continue
        n_val = max(MIN_PER_PART, int(round(validation * n)))
        n_test = max(MIN_PER_PART, int(round(test * n)))
        if not train_needed:
            n_val = max(MIN_PER_PART, int(round(n * validation / (validation + test))))
            n_test = n - n_val
        va += people[:n_val]
        te += people[n_val:n_val + n_test]
        tr += people[n_val + n_test:]
    if len(va) < MIN_PER_PART or len(te) < MIN_PER_PART:
        raise DataError(" ".join(notes) + " Enroll more people, or evaluate on the offline LFW faces "
                        "(which need no enrollment)." if notes else "No people to evaluate on.")
    return PeopleSplit(list(data.names), list(data.origins), sorted(tr), sorted(va), sorted(te), notes)


@dataclass
class HonestReport:
    """Verification figures on test people at the threshold chosen on validation people."""

    test: VerificationReport          # its threshold/accuracy: the validation threshold applied to test pairs
    validation: VerificationReport    # its threshold: the equal-error point of the validation pairs
    threshold: float
    encoder: str
    split: PeopleSplit
    data: str                         # what the photos are
    far: float                        # false accept rate on test pairs at the threshold
    frr: float                        # false reject rate on test pairs at the threshold
    excluded: list[str] = field(default_factory=list)

    def where(self) -> str:
        return (f"measured on the test people ({self.split.describe('test')}; no part in any choice), threshold "
                f"chosen on the validation people ({self.split.describe('validation')})")

    def sentence(self) -> str:
        t = self.test
        return (f"{self.encoder} encoder: ROC AUC {t.auc:.3f}, equal error rate {t.eer:.1%}, accuracy {t.accuracy:.1%} "
                f"(false accepts {self.far:.1%}, false rejects {self.frr:.1%}) at threshold {self.threshold:.3f}; "
                f"{self.where()}. Photos: {self.data}.")

    def summary(self) -> dict:
        return {"encoder": self.encoder, "threshold": self.threshold, "threshold_from": "validation people",
                "auc": self.test.auc, "eer": self.test.eer, "accuracy": self.test.accuracy,
                "false_accept_rate": self.far, "false_reject_rate": self.frr,
                "pairs_same": self.test.n_same, "pairs_different": self.test.n_diff,
                "mean_distance_same": self.test.mean_same, "mean_distance_different": self.test.mean_diff,
                "measured_on": self.split.describe("test"), "threshold_chosen_on": self.split.describe("validation"),
                "trained_on": self.split.describe("train"), "data": self.data,
                "validation": {"eer": self.validation.eer, "auc": self.validation.auc},
                "people": self.split.to_dict(), "excluded": list(self.excluded)}


def _pairs_report(emb: np.ndarray, y: np.ndarray, what: str) -> VerificationReport:
    rep = evaluate_embeddings(emb, y)
    if rep is None:
        raise DataError(f"The {what} people give no same-person and different-people pairs; each person needs at "
                        "least 2 photos.")
    return rep


def honest_report(emb: np.ndarray, data: FaceData, split: PeopleSplit, encoder: str,
                  excluded: Sequence[str] = ()) -> HonestReport:
    """Choose the threshold on the validation people's pairs, measure on the test people's."""
    y = np.asarray(data.y)
    iv, it = split.rows(y, "validation"), split.rows(y, "test")
    val = _pairs_report(emb[iv], y[iv], "validation")
    test = _pairs_report(emb[it], y[it], "test")
    t = val.threshold
    # the test pairs again (the same ones evaluate_embeddings sampled) for the decisions at t
    from workbench.core.studies.faces.evaluate import pair_distances

    d, same = pair_distances(emb[it], y[it])
    acc = float(((d <= t) == same).mean())
    far = float((d[~same] <= t).mean()) if (~same).any() else float("nan")
    frr = float((d[same] > t).mean()) if same.any() else float("nan")
    test.extra["eer_threshold_of_test_pairs"] = test.threshold  # for reference only; not used for decisions
    test.threshold, test.accuracy = t, acc
    return HonestReport(test, val, t, encoder, split, data.description, far, frr, list(excluded))


def evaluate_split(encoder, data: FaceData, split: PeopleSplit | None = None, seed: int = 0) -> HonestReport:
    """Embed ``data`` with ``encoder`` and report it honestly on ``split`` (made when None: the
    training split for an encoder trained here, a validation/test split for a pretrained one).

    People the encoder was trained on (``encoder.info["trained_on"]``) are left out of the
    validation and test parts, and the report lists them."""
    trained = set(getattr(encoder, "info", {}).get("trained_on", []) or [])
    # an encoder trained here is scored on the same test people its training split kept aside;
    # a pretrained one needs no train people, so every person can validate or test
    split = split or split_people(data, seed=seed, train_needed=bool(trained))
    excluded = [data.names[i] for i in split.validation + split.test if data.names[i] in trained]
    if excluded:
        keep = lambda idx: [i for i in idx if data.names[i] not in trained]  # noqa: E731
        split = PeopleSplit(split.names, split.origins, split.train, keep(split.validation), keep(split.test),
                            split.notes + [f"{len(excluded)} people the encoder was trained on were left out."])
        if len(split.validation) < MIN_PER_PART or len(split.test) < MIN_PER_PART:
            raise DataError("Too few people the encoder was not trained on are left to score it fairly; "
                            "evaluate on other people.")
    rows = np.concatenate([split.rows(data.y, "validation"), split.rows(data.y, "test")])
    emb = np.zeros((len(data.X), encoder.embedding_dim), np.float32)
    emb[rows] = encoder.embed([data.X[i] for i in rows])
    return honest_report(emb, data, split, getattr(encoder, "name", "?"), excluded)


@dataclass
class TrainedEncoderReport:
    encoder: object
    fit: object              # FitResult
    report: HonestReport | None


def train_and_evaluate(data: FaceData, config=None, split: PeopleSplit | None = None, callbacks: Sequence = (),
                       trainer=None, save_to: str | Path | None = None, validation: float = 0.2,
                       test: float = 0.2) -> TrainedEncoderReport:
    """Train the own encoder on the train people, keep the epoch with the lowest validation EER,
    set its threshold on the validation people and report it on the test people."""
    from workbench.core.studies.faces.encoder import EncoderConfig, train_encoder

    cfg = config or EncoderConfig()
    split = split or split_people(data, validation, test, seed=cfg.seed)
    y = np.asarray(data.y)
    itr, iva = split.rows(y, "train"), split.rows(y, "validation")
    if len(split.train) < MIN_PER_PART:
        raise DataError(f"Training needs at least {MIN_PER_PART} train people; there are {len(split.train)}.")
    Xa = np.stack([np.asarray(data.X[i]) for i in itr])
    Xv = np.stack([np.asarray(data.X[i]) for i in iva])
    enc, fit = train_encoder(Xa, y[itr], cfg, val=(Xv, y[iva]), callbacks=callbacks, trainer=trainer)
    enc.info["trained_on"] = [data.names[i] for i in split.train]
    enc.info["data"] = data.description
    report = None
    if fit.epochs_run:
        report = evaluate_split(_Untrained(enc), data, split)
        report.encoder = "own"
        enc.set_threshold(report.threshold)
        enc.info["evaluation"] = {k: v for k, v in report.summary().items() if k != "people"}
        enc.info["people"] = split.to_dict()
    if save_to is not None and fit.epochs_run:
        enc.save(save_to)
    return TrainedEncoderReport(enc, fit, report)


class _Untrained:
    """The freshly trained encoder without its "trained_on" list: the split already keeps its
    train people out of the validation and test parts."""

    def __init__(self, enc):
        self._enc = enc
        self.name = enc.name
        self.embedding_dim = enc.embedding_dim
        self.info = {}

    def embed(self, crops):
        return self._enc.embed(crops)
