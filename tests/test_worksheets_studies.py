"""The case-study worksheets (faces, trigger word, detection, RL, sequences): each question runs its
real experiment on tiny settings through the worksheet runner, and what a student would read is
checked: finite scores, pictures that are images, and the effects that hold on any seed (a
softmax over one output is 1 everywhere, a classifier cannot name a class it never saw)."""
import math

import numpy as np
import pytest

from workbench.core.experiments.base import Context
from workbench.core.worksheets import get_question, get_worksheet, run_question
from workbench.core.worksheets import detection as det_ws
from workbench.core.worksheets import faces as faces_ws
from workbench.core.worksheets import rl as rl_ws
from workbench.core.worksheets import sequences as seq_ws
from workbench.core.worksheets import trigger_word as tw_ws
from workbench.core.worksheets.measure import clear_cache


@pytest.fixture(autouse=True)
def fresh_cache():
    clear_cache()
    yield
    clear_cache()


def _check_images(res):
    for a in res.answers:
        assert a.summary and math.isfinite(a.mean)
        for p in a.pictures:
            assert p.image.dtype == np.uint8 and p.image.ndim == 3 and p.image.shape[2] == 3 and p.image.size > 0
        for c in a.charts:
            assert c.series and all(len(s.x) == len(s.y) for s in c.series)


def test_every_study_worksheet_is_registered_with_its_questions():
    assert [q.id for q in get_worksheet("faces").questions] == ["faces.loss", "faces.output"]
    assert [q.id for q in get_worksheet("trigger_word").questions] == ["trigger_word.activation", "trigger_word.loss"]
    assert [q.id for q in get_worksheet("detection").questions] == ["detection.output", "detection.resolution",
                                                                   "detection.loss"]
    assert [q.id for q in get_worksheet("rl").questions] == ["rl.agent", "rl.discount"]
    assert [q.id for q in get_worksheet("sequences").questions] == ["sequences.architecture", "sequences.zero_shot"]
    assert get_question("faces.loss").correct_keys == ("ap-an",)


def test_the_three_triplet_losses_are_the_courses_formulas():
    import torch

    g = torch.Generator().manual_seed(0)
    a, p, n = (torch.randn(5, 4, generator=g) for _ in range(3))
    right = faces_ws.loss_form(a, p, n, 0.2, "ap-an")
    from workbench.core.studies.faces.triplet import triplet_loss

    assert float(right) == pytest.approx(float(triplet_loss(a, p, n, 0.2)))  # the study's own loss
    assert float(faces_ws.loss_form(a, p, n, 0.2, "an-ap")) == pytest.approx(float(triplet_loss(a, n, p, 0.2)))
    assert float(faces_ws.loss_form(a, p, n, 0.2, "pn-pa")) == pytest.approx(float(triplet_loss(p, n, a, 0.2)))


def test_faces_swapped_loss_scores_worse_than_the_right_one(monkeypatch):
    monkeypatch.setattr(faces_ws, "FAST", {"train_people": 16, "shots": 6, "test_people": 8, "test_shots": 5,
                                           "size": 32, "epochs": 5, "dim": 32})
    res = run_question("faces.loss", "an-ap", Context(full=False, seed=0, n_seeds=1))
    _check_images(res)
    eer = {a.key: a.mean for a in res.answers}
    assert eer["ap-an"] < eer["an-ap"] - 0.05 and eer["ap-an"] < eer["pn-pa"] - 0.05
    assert res.choice_right is False and res.outcome == "agrees"
    hist = res.answer("ap-an").charts[0]
    assert hist.series[0].label == "same person"  # shares of the pairs on fixed bins over [0, 2]
    assert sum(hist.series[0].y) == pytest.approx(1.0) and sum(hist.series[1].y) == pytest.approx(1.0)


def test_trigger_word_softmax_over_one_output_is_one_everywhere_and_learns_nothing():
    import torch

    raw = torch.randn(3, 7, 1, requires_grad=True)
    y = (torch.rand(3, 7, 1) > 0.5).float()
    soft = tw_ws.make_head("softmax", "bce")
    assert torch.allclose(soft.activate(raw), torch.ones_like(raw))
    cce = tw_ws.make_head("sigmoid", "cce").loss(raw, y)
    cce.backward()
    assert cce.item() == 0.0 and float(raw.grad.abs().sum()) == 0.0  # no gradient: nothing is learnt


def test_trigger_word_activation_question_runs_on_generated_clips(monkeypatch):
    monkeypatch.setattr(tw_ws, "FAST", {"train": 48, "test": 12, "epochs": 2, "seconds": 5.0})
    res = run_question("trigger_word.activation", "sigmoid", Context(full=False, seed=0, n_seeds=1))
    _check_images(res)
    soft = res.answer("softmax")
    assert soft.mean == 0.0 and "1.00 at every step" in soft.summary  # never catches a word
    assert res.choice_right is True and all(0.0 <= a.mean <= 1.0 for a in res.answers)


def test_detection_loss_question_scores_map_and_draws_boxes(monkeypatch):
    monkeypatch.setattr(det_ws, "FAST", {"n": 40, "epochs": 1, "backbone": "small-cnn"})
    res = run_question("detection.loss", None, Context(full=False, seed=0, n_seeds=1))
    _check_images(res)
    assert all(0.0 <= a.mean <= 1.0 for a in res.answers) and res.outcome in ("agrees", "contradicts", "inconclusive")
    assert res.answer("sqrt").pictures and "mean-box baseline" in res.answer("sqrt").summary


def test_rl_discount_question_trains_cartpole_against_the_random_agent(monkeypatch):
    monkeypatch.setattr(rl_ws, "FAST", {"pendulum_steps": 500, "cartpole_steps": 512, "eval_episodes": 2})
    res = run_question("rl.discount", None, Context(full=False, seed=0, n_seeds=1))
    _check_images(res)
    for a in res.answers:
        assert a.details["random_return"] > 0 and "random agent" in a.summary
        assert a.charts[0].series[2].label == "random agent"


def test_zero_shot_classifier_cannot_name_an_unseen_class(monkeypatch):
    monkeypatch.setattr(seq_ws, "ZSL_FAST", {"n_per_class": 16, "epochs": 1})
    res = run_question("sequences.zero_shot", None, Context(full=False, seed=0, n_seeds=1))
    _check_images(res)
    assert res.answer("classifier").mean == 0.0  # no output for a class never trained: 0 by construction
    assert res.answer("attributes").pictures
