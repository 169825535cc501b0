"""The worksheet framework: every answer run over seeds, the verdict judged with the lessons' noise
margin, the user's choice judged, JSON round trip, one-sentence errors."""
import json

import numpy as np
import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.experiments.base import Context
from workbench.core.worksheets import (WORKSHEETS, Answer, AnswerRun, Part, Picture, Question, QuestionResult,
                                       Worksheet, choice_sentence, get_question, register_worksheet, run_question)


def _make(ws_id, scores, higher=True, parts=()):
    """A question whose answers' scores are given per key (a deterministic function of the seed), to
    exercise each branch of the verdict."""
    calls = []

    def run(ctx, key):
        calls.append((ctx.seed, key))
        s = scores[key](ctx.seed)
        return AnswerRun(s, f"{key} scored {s}", pictures=[Picture(key, np.zeros((4, 4, 3), np.uint8))])

    q = Question(f"{ws_id}.q", "Loss", "Which loss?",
                 (Answer("a", "right one", True), Answer("b", "wrong one", False), Answer("c", "worse", False)),
                 "accuracy", "", higher, 0.05, run, "Because.", parts)
    register_worksheet(Worksheet(ws_id, "test-study", "Test sheet", (q,)))
    return q, calls


@pytest.fixture
def cleanup():
    before = dict(WORKSHEETS)
    yield
    WORKSHEETS.clear()
    WORKSHEETS.update(before)


def test_agreeing_run_reveals_and_judges_the_choice(cleanup):
    _, calls = _make("tsa", {"a": lambda s: 0.9 + 0.01 * s, "b": lambda s: 0.6, "c": lambda s: 0.5})
    res = run_question("tsa.q", "b", Context(full=False, seed=3))
    assert sorted(calls) == sorted((s, k) for s in (3, 4) for k in "abc")  # every answer, 2 seeds
    assert res.outcome == "agrees" and res.choice_right is False and res.correct_keys == ["a"]
    assert res.verdict.effects == pytest.approx([0.33, 0.34])
    assert "'right one'" in res.conclusion and "Your answer 'wrong one'" in choice_sentence(res)
    assert res.answer("a").pictures and res.answer("a").summary == "a scored 0.93"
    d = json.loads(json.dumps(res.to_dict()))
    back = QuestionResult.from_dict(d)
    assert back.to_dict() == res.to_dict() and back.outcome == "agrees"


def test_contradicting_and_inconclusive_branches(cleanup):
    _make("tsc", {"a": lambda s: 2.0, "b": lambda s: 1.0, "c": lambda s: 3.0}, higher=False)
    res = run_question("tsc.q", "a", Context(full=True, seed=0))
    assert len(res.seeds) == 3 and res.outcome == "contradicts"  # a wrong answer (b) scored lower
    assert res.choice_right is True
    _make("tsd", {"a": lambda s: 0.5, "b": lambda s: 0.9, "c": lambda s: 0.1})
    assert run_question("tsd.q", None, Context()).outcome == "contradicts"
    _make("tse", {"a": lambda s: 0.5 + (0.2 if s % 2 else -0.2), "b": lambda s: 0.5, "c": lambda s: 0.1})
    res = run_question("tse.q", None, Context())
    assert res.outcome == "inconclusive" and res.choice_right is None and choice_sentence(res) == ""


def test_lower_is_better_signs_the_effect(cleanup):
    _make("tsf", {"a": lambda s: 1.0, "b": lambda s: 2.0, "c": lambda s: 3.0}, higher=False)
    res = run_question("tsf.q", "a", Context())
    assert res.outcome == "agrees" and res.verdict.mean == pytest.approx(1.0)


def test_parts_are_judged_and_unknown_ids_are_one_sentence(cleanup):
    part = Part("p1", "(x - x̂)²", (Answer("coord", "coordinates", True), Answer("cls", "classes", False)))
    _make("tsg", {"a": lambda s: 1.0, "b": lambda s: 0.0, "c": lambda s: 0.0}, parts=(part,))
    res = run_question("tsg.q", None, Context(), chosen_parts={"p1": "cls"})
    assert res.parts[0]["right"] is False and res.parts[0]["correct"] == ["coord"]
    with pytest.raises(WorkbenchError, match=r"choose one of: a, b, c\.$"):
        run_question("tsg.q", "zzz", Context())
    with pytest.raises(WorkbenchError, match="choose one of: coord, cls"):
        run_question("tsg.q", None, Context(), chosen_parts={"p1": "nope"})
    with pytest.raises(WorkbenchError, match="Unknown worksheet question 'nope.q'"):
        get_question("nope.q")
