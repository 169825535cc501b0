"""Worksheets: the course's design questions, each answered by running every candidate answer.

A case study's slide asks "Which loss?", "Resolution?", "Last activation?". A ``Question`` lists the
candidate answers (the slide's own wording where it gives them), says which one is right, and runs
one short experiment per answer (``run_answer(ctx, key)``, one seed, fast mode unless ``ctx.full``)
returning an ``AnswerRun``: the question's metric, one sentence of what happened, charts, pictures.

``run_question`` runs every answer over the context's seeds (2 in fast mode, 3 in full, as the
lessons do), and judges, with the lessons' ``judge``, the effect "the right answer's score minus the
best wrong answer's score" (signed so that positive means the right answer is better): "agrees"
when it exceeds both ``min_effect`` and the seeds' spread, "contradicts" when it is as clearly the
other way, "inconclusive" otherwise. The explanation is part of the result, revealed by the GUI
only after the user has chosen.

A question may also have ``parts``: sub-questions asked before the run (the YOLO loss's terms,
each to be named); each part's choice is judged right or wrong, the experiment is the question's.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from workbench.core.errors import WorkbenchError
from workbench.core.experiments.base import Chart, Context, Series, Verdict, judge


@dataclass(frozen=True)
class Answer:
    key: str          # "ap-an", "softmax", "16px"
    label: str        # the slide's own wording where it gives one
    correct: bool     # exactly one correct per question (or more when the slide allows)


@dataclass
class Picture:
    title: str
    image: np.ndarray  # uint8 HxWx3 (or HxW); the report writes PNGs, the panel shows it


@dataclass
class AnswerRun:
    """What one answer's experiment measured for ONE seed."""

    score: float      # the question's metric
    summary: str      # one sentence: what happened
    charts: list[Chart] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)  # other figures worth a table column


@dataclass(frozen=True)
class Part:
    """A sub-question asked before the run (e.g. "What is this term?" for one term of a loss)."""

    id: str                       # "coord"
    text: str                     # the term itself, as a formula in plain text
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class Question:
    id: str                     # "<worksheet>.<slug>", e.g. "faces.loss"
    topic: str                  # the slide's heading word: "Data", "Split", "Loss", ...
    text: str                   # "Which loss?"
    answers: tuple[Answer, ...]
    metric: str
    unit: str
    higher_is_better: bool
    min_effect: float           # smallest difference worth naming (for experiments.base.judge)
    run_answer: Callable[[Context, str], AnswerRun]  # runs ONE answer (by key) for ctx.seed
    explanation: str            # revealed only after the user chose
    parts: tuple[Part, ...] = ()

    def answer(self, key: str) -> Answer:
        k = str(key).strip().lower()
        for a in self.answers:
            if a.key == k:
                return a
        raise WorkbenchError(f"Unknown answer {key!r} for {self.id}; choose one of: "
                             + ", ".join(a.key for a in self.answers) + ".")

    @property
    def correct_keys(self) -> tuple[str, ...]:
        return tuple(a.key for a in self.answers if a.correct)


@dataclass(frozen=True)
class Worksheet:
    id: str
    study: str                  # the case study's id ("daynight", "faces", ...)
    title: str
    questions: tuple[Question, ...]


WORKSHEETS: dict[str, Worksheet] = {}


def register_worksheet(ws: Worksheet) -> Worksheet:
    for q in ws.questions:
        if not q.id.startswith(ws.id + "."):
            raise ValueError(f"question {q.id!r} must start with {ws.id + '.'!r}")
        if not any(a.correct for a in q.answers) or all(a.correct for a in q.answers):
            raise ValueError(f"question {q.id!r} needs at least one right and one wrong answer")
        if len({a.key for a in q.answers}) != len(q.answers):
            raise ValueError(f"question {q.id!r} has duplicate answer keys")
    WORKSHEETS[ws.id] = ws
    return ws


# ----------------------------------------------------------------------------------------- results
@dataclass
class AnswerResult:
    """One answer over all seeds: every seed's score, the first seed's summary, charts and pictures."""

    key: str
    label: str
    correct: bool
    scores: list[float]
    mean: float
    spread: float | None
    summary: str
    seconds: float                               # mean CPU-side wall seconds per seed
    charts: list[Chart] = field(default_factory=list)
    pictures: list[Picture] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "correct": self.correct, "scores": self.scores,
                "mean": self.mean, "spread": self.spread, "summary": self.summary,
                "seconds": round(self.seconds, 3), "charts": [c.to_dict() for c in self.charts],
                "pictures": [p.title for p in self.pictures], "details": self.details}

    @classmethod
    def from_dict(cls, d: dict) -> "AnswerResult":
        return cls(d["key"], d["label"], bool(d["correct"]), [float(s) for s in d["scores"]], float(d["mean"]),
                   d.get("spread"), d.get("summary", ""), float(d.get("seconds", 0.0)),
                   [_chart_from_dict(c) for c in d.get("charts", [])],
                   # the images are not in JSON (the report writes them as PNG files): titles only
                   [Picture(str(t), np.zeros((0, 0), np.uint8)) for t in d.get("pictures", [])], d.get("details", {}))


@dataclass
class QuestionResult:
    question_id: str
    worksheet_id: str
    topic: str
    text: str
    metric: str
    unit: str
    higher_is_better: bool
    mode: str
    seeds: list[int]
    answers: list[AnswerResult]
    verdict: Verdict
    chosen: str | None          # the user's answer key (None: just run, reveal)
    choice_right: bool | None   # None when nothing was chosen
    correct_keys: list[str]
    explanation: str
    conclusion: str             # computed: best answer, right answer's margin, the verdict sentence
    parts: list[dict] = field(default_factory=list)  # {"id", "text", "chosen", "correct", "correct_labels", "right"}
    seconds: float = 0.0

    @property
    def outcome(self) -> str:
        return self.verdict.outcome

    def answer(self, key: str) -> AnswerResult:
        for a in self.answers:
            if a.key == key:
                return a
        raise KeyError(key)

    def to_dict(self) -> dict:
        return {"question_id": self.question_id, "worksheet_id": self.worksheet_id, "topic": self.topic,
                "text": self.text, "metric": self.metric, "unit": self.unit,
                "higher_is_better": self.higher_is_better, "mode": self.mode, "seeds": self.seeds,
                "answers": [a.to_dict() for a in self.answers], "verdict": self.verdict.to_dict(),
                "outcome": self.outcome, "chosen": self.chosen, "choice_right": self.choice_right,
                "correct_keys": self.correct_keys, "explanation": self.explanation,
                "conclusion": self.conclusion, "parts": self.parts, "seconds": round(self.seconds, 2)}

    @classmethod
    def from_dict(cls, d: dict) -> "QuestionResult":
        return cls(d["question_id"], d["worksheet_id"], d.get("topic", ""), d.get("text", ""), d.get("metric", ""),
                   d.get("unit", ""), bool(d.get("higher_is_better", True)), d.get("mode", "fast"),
                   [int(s) for s in d.get("seeds", [])], [AnswerResult.from_dict(a) for a in d.get("answers", [])],
                   Verdict(**d["verdict"]), d.get("chosen"), d.get("choice_right"), list(d.get("correct_keys", [])),
                   d.get("explanation", ""), d.get("conclusion", ""), list(d.get("parts", [])),
                   float(d.get("seconds", 0.0)))


def _chart_from_dict(c: dict) -> Chart:
    return Chart(c["title"], c["xlabel"], c["ylabel"], [Series(**s) for s in c.get("series", [])],
                 c.get("log_y", False))


# ------------------------------------------------------------------------------------------ runner
def _spread(vals: list[float]) -> float | None:
    fin = [v for v in vals if math.isfinite(v)]
    if len(fin) < 2:
        return None
    return float(np.std(fin, ddof=1))


def _mean(vals: list[float]) -> float:
    fin = [v for v in vals if math.isfinite(v)]
    return float(np.mean(fin)) if fin else float("nan")


def judge_answers(q: Question, scores: dict[str, list[float]]) -> Verdict:
    """The verdict on "the right answer beats every wrong one": per seed, the best right answer's
    score minus the best wrong answer's (best by mean over seeds), signed by ``higher_is_better``."""
    sign = 1.0 if q.higher_is_better else -1.0

    def best(keys):
        keyed = [(sign * _mean(scores[k]) if math.isfinite(_mean(scores[k])) else -math.inf, k) for k in keys]
        return max(keyed)[1]

    right = best([a.key for a in q.answers if a.correct])
    wrong = best([a.key for a in q.answers if not a.correct])
    effects = [sign * (r - w) for r, w in zip(scores[right], scores[wrong])]
    labels = {a.key: a.label for a in q.answers}
    better = "higher" if q.higher_is_better else "lower"
    claim = (f"'{labels[right]}' gives a {better} {q.metric} than the best wrong answer ('{labels[wrong]}')")
    return judge(effects, min_effect=q.min_effect, claim=claim, unit=q.unit)


def run_question(question_id: str, chosen_key: str | None, ctx: Context,
                 chosen_parts: dict[str, str] | None = None) -> QuestionResult:
    """Run every answer of a question over ``ctx.n_seeds`` seeds, judge, and reveal.

    ``chosen_key`` is the user's answer (checked before anything runs; None runs and reveals);
    ``chosen_parts`` the user's answer per part ({part id: answer key}) for questions with parts."""
    q = get_question(question_id)
    chosen = q.answer(chosen_key).key if chosen_key not in (None, "") else None
    parts = []
    for p in q.parts:
        pick = (chosen_parts or {}).get(p.id)
        right = [a.key for a in p.answers if a.correct]
        if pick is not None:
            keys = [a.key for a in p.answers]
            if pick not in keys:
                raise WorkbenchError(f"Unknown answer {pick!r} for the term {p.id!r}; choose one of: "
                                     + ", ".join(keys) + ".")
        parts.append({"id": p.id, "text": p.text, "chosen": pick, "correct": right,
                      "correct_labels": [a.label for a in p.answers if a.correct],
                      "right": None if pick is None else pick in right})
    t0 = time.perf_counter()
    base_seed, n = ctx.seed, ctx.n_seeds
    ctx.steps_total, ctx.steps_done = len(q.answers) * n, 0
    scores: dict[str, list[float]] = {a.key: [] for a in q.answers}
    first: dict[str, AnswerRun] = {}
    secs: dict[str, list[float]] = {a.key: [] for a in q.answers}
    try:
        for r in range(n):
            ctx.repeat, ctx.seed = r, base_seed + r
            for a in q.answers:
                ctx.check_cancel()
                t = time.perf_counter()
                run = q.run_answer(ctx, a.key)
                secs[a.key].append(time.perf_counter() - t)
                scores[a.key].append(float(run.score))
                if r == 0:
                    first[a.key] = run
                    for c in run.charts:
                        ctx.chart(c)
                ctx.step(f"{a.label}, seed {base_seed + r}")
    finally:
        ctx.repeat, ctx.seed = 0, base_seed
    answers = [AnswerResult(a.key, a.label, a.correct, scores[a.key], _mean(scores[a.key]), _spread(scores[a.key]),
                            first[a.key].summary, _mean(secs[a.key]), first[a.key].charts, first[a.key].pictures,
                            first[a.key].details) for a in q.answers]
    verdict = judge_answers(q, scores)
    ws = get_worksheet(q.id.split(".", 1)[0])
    res = QuestionResult(q.id, ws.id, q.topic, q.text, q.metric, q.unit, q.higher_is_better, ctx.mode,
                         list(range(base_seed, base_seed + n)), answers, verdict, chosen,
                         None if chosen is None else chosen in q.correct_keys, list(q.correct_keys),
                         q.explanation, "", parts, time.perf_counter() - t0)
    res.conclusion = conclusion(res, ctx.full)
    return res


def run_question_job(question_id: str, chosen_key: str | None = None, *, full: bool = False, seed: int = 0,
                     n_seeds: int | None = None, chosen_parts: dict[str, str] | None = None, progress=None,
                     should_cancel=None, on_chart=None, trainer_callbacks=()) -> QuestionResult:
    """``run_question`` with its Context built from plain arguments (what a GUI worker calls)."""
    ctx = Context(full=full, seed=seed, n_seeds=n_seeds, progress=progress, should_cancel=should_cancel,
                  on_chart=on_chart, trainer_callbacks=trainer_callbacks)
    return run_question(question_id, chosen_key, ctx, chosen_parts=chosen_parts)


def conclusion(res: QuestionResult, full: bool = False) -> str:
    """What the runs showed, computed from the scores: the best answer, the right one, the verdict."""
    sign = 1.0 if res.higher_is_better else -1.0
    ranked = sorted(res.answers, key=lambda a: sign * a.mean if math.isfinite(a.mean) else -math.inf, reverse=True)
    u = f" {res.unit}" if res.unit and res.unit != res.metric else ""
    scores = "; ".join(f"{a.label}: {res.metric} {a.mean:.3g}{u}" for a in res.answers)
    right = ", ".join(f"'{a.label}'" for a in res.answers if a.correct)
    return (f"Over {len(res.seeds)} seeds — {scores}. The best score came from '{ranked[0].label}'; "
            f"the slide's answer is {right}. " + res.verdict.sentence(full))


def choice_sentence(res: QuestionResult) -> str:
    """One sentence about the user's choice (empty when none was made)."""
    if res.chosen is None:
        return ""
    label = res.answer(res.chosen).label
    if res.choice_right:
        return f"Your answer '{label}' is right."
    right = " or ".join(f"'{a.label}'" for a in res.answers if a.correct)
    return f"Your answer '{label}' is not the slide's: the right one is {right}."


# ------------------------------------------------------------------------------------------ lookup
def list_worksheets() -> list[Worksheet]:
    return list(WORKSHEETS.values())


def get_worksheet(worksheet_id: str) -> Worksheet:
    key = str(worksheet_id).strip().lower()
    if key in WORKSHEETS:
        return WORKSHEETS[key]
    for ws in WORKSHEETS.values():
        if ws.study == key:
            return ws
    raise WorkbenchError(f"Unknown worksheet {worksheet_id!r}; choose one of: "
                         + ", ".join(WORKSHEETS) + ".")


def get_question(question_id: str) -> Question:
    key = str(question_id).strip().lower()
    for ws in WORKSHEETS.values():
        for q in ws.questions:
            if q.id == key:
                return q
    raise WorkbenchError(f"Unknown worksheet question {question_id!r}; `workbench experiment --list` shows them.")


def is_question_id(name: str) -> bool:
    key = str(name).strip().lower()
    return any(q.id == key for ws in WORKSHEETS.values() for q in ws.questions)
