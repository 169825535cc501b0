"""Every guided experiment in fast mode: assert the measured effect (figures), not the text."""
import math

import numpy as np
import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.experiments import list_experiments, run_experiment

_cache = {}


def result(name):
    """The lesson's fast mode with one seed (its figures); the verdict over seeds is tested below."""
    if name not in _cache:
        _cache[name] = run_experiment(name, full=False, seed=0, n_seeds=1)
    return _cache[name]


def test_all_twelve_lessons_are_registered_in_course_order():
    numbers = [e.number for e in list_experiments()]
    assert numbers[:12] == list(range(1, 13))  # the course's twelve; case-study lessons follow
    assert len(set(numbers)) == len(numbers) == len({e.name for e in list_experiments()})


def test_unknown_experiment_is_a_clear_error():
    with pytest.raises(WorkbenchError, match="Unknown experiment"):
        run_experiment("no-such-lesson")


def test_normalized_inputs_reach_a_lower_loss_sooner():
    r = result("normalization")
    best = r.figures["best_val_loss"]
    raw = best["raw values"]
    raw = raw if raw is not None and math.isfinite(raw) else np.inf
    assert best["standardized"] < raw
    assert best["scaled to [0, 1]"] < raw
    reach = r.figures["epochs_to_0.3"]
    assert reach["standardized"] is not None
    assert reach["raw values"] is None or reach["standardized"] <= reach["raw values"]
    assert r.agrees


def test_indicator_helps_when_missingness_is_informative():
    r = result("missing-values")
    acc = r.figures["test_accuracy"]
    assert acc["0 + 'was missing' indicator"] > acc["replace with 0"]
    assert r.figures["missing_share_class1"] > r.figures["missing_share_class0"]
    # the preprocessor noticed that 0 is a real value of the column
    assert any("0" in w for w in r.figures["warnings"])


def test_vectorization_larger_vocabulary_reads_more_of_the_review():
    r = result("vectorization")
    accs = list(r.figures["test_accuracy"].values())
    assert accs[-1] > accs[0]
    assert accs[-1] > 0.75


def test_angles_beat_pixels_at_small_data():
    r = result("clock")
    err = r.figures["median_error_minutes"]
    assert err["hand angles"][0] < err["raw pixels"][0]
    assert err["hand coordinates"][0] < err["raw pixels"][0]
    # the pixel model improves with more data
    assert err["raw pixels"][-1] < err["raw pixels"][0]


def test_kfold_spread_is_below_holdout_spread():
    r = result("protocols")
    spread = r.figures["spread"]
    assert spread["K-fold"] < spread["hold-out"]
    assert 0.8 < r.figures["truth"] <= 1.0


def test_validation_picked_best_score_overstates_its_test_score():
    r = result("validation-overfit")
    assert r.figures["best_val"][-1] > r.figures["best_test"][-1]
    assert r.figures["best_val"] == sorted(r.figures["best_val"])  # a running maximum


def test_shuffled_split_underestimates_future_error():
    r = result("arrow-of-time")
    sh, to = r.figures["shuffled"], r.figures["time-ordered"]
    assert sh["estimated"] < sh["future"]
    # the time-ordered split does not promise the optimistic, interpolated error
    assert to["estimated"] > sh["estimated"]


def test_duplicates_inflate_the_test_score():
    r = result("redundancy")
    acc = r.figures["test_accuracy"]
    shared, clean = acc["random split, duplicates shared"], acc["duplicates removed from training"]
    assert shared > clean + 0.05
    assert r.table[0]["duplicate groups across splits"] > 0


def test_bigger_network_starts_overfitting_no_later_than_smaller():
    r = result("network-size")
    first = r.figures["min_val_loss_epoch"]
    over = r.figures["overfit_epoch"]

    def start(k):
        return over[k] or first[k]

    assert start("bigger (512, 512)") <= start("smaller (4, 4)")


def test_weight_regularization_runs_and_reports_the_penalty_apart():
    r = result("weight-regularization")
    final = r.figures["final_val_loss"]
    assert set(final) == {"none", "L1 0.0001", "L2 0.001", "L1 + L2"}
    assert all(math.isfinite(v) for v in final.values())
    assert min(final["L2 0.001"], final["L1 + L2"], final["L1 0.0001"]) < final["none"]


def test_dropout_scaling_makes_test_time_use_unchanged():
    r = result("dropout")
    assert r.figures["scaling_relative_difference"] < 0.05
    final = r.figures["final_val_loss"]
    assert min(final["dropout 0.2"], final["dropout 0.5"]) < final["dropout 0.0"]


def test_right_last_layer_pair_beats_the_wrong_ones():
    r = result("last-layer")
    assert r.figures["right_pair_wins"] == {"multiclass": True, "multilabel": True, "regression": True}


def test_conclusions_are_computed_from_the_numbers():
    r = result("redundancy")
    acc = r.figures["test_accuracy"]["random split, duplicates shared"]
    assert f"{acc:.1%}" in r.conclusion


def test_report_is_self_contained_html_with_charts(tmp_path):
    from workbench.core.experiments.report import experiment_report_html, save_report

    r = result("redundancy")
    html = experiment_report_html([r])
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html and r.conclusion.split(".")[0] in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    save_report(tmp_path / "r.html", html)
    assert (tmp_path / "r.html").read_text(encoding="utf-8") == html


def test_cancel_stops_an_experiment():
    from workbench.core.experiments import ExperimentCancelled

    with pytest.raises(ExperimentCancelled):
        run_experiment("normalization", should_cancel=lambda: True)


# ------------------------------------------------------------------------------ verdicts over seeds
def test_verdict_needs_the_effect_to_exceed_the_seeds_spread():
    from workbench.core.experiments.base import judge

    assert judge([0.10, 0.12, 0.11], min_effect=0.01, claim="x").outcome == "agrees"
    assert judge([-0.10, -0.12, -0.11], min_effect=0.01, claim="x").outcome == "contradicts"
    noisy = judge([0.30, -0.20, 0.05], min_effect=0.01, claim="x")
    assert noisy.outcome == "inconclusive" and noisy.margin == pytest.approx(noisy.spread)
    assert judge([0.004, 0.006], min_effect=0.01, claim="x").outcome == "inconclusive"  # below the smallest named effect
    diverged = judge([float("inf"), 0.2, 0.25], min_effect=0.01, claim="x")
    assert diverged.outcome in ("agrees", "inconclusive") and all(math.isfinite(e) for e in diverged.effects)


def _fake_lesson(effects_by_seed):
    from workbench.core.experiments.base import REGISTRY, Chart, experiment

    @experiment("fake-lesson", 99, "Fake", "A lesson whose effect the test decides.", claim="the fake effect is positive",
                min_effect=0.01)
    def fake(ctx):
        ctx.plan(1)
        ctx.step("only step")
        e = effects_by_seed[ctx.seed]
        return {"effect_here": e}, [Chart("c", "x", "y")], [{"seed": ctx.seed}], f"Measured {e:+.2f}.", e, {}

    try:
        return REGISTRY["fake-lesson"].run
    finally:
        REGISTRY.pop("fake-lesson")


@pytest.mark.parametrize("effects, outcome, says", [
    ({0: 0.2, 1: 0.21, 2: 0.19}, "agrees", "the runs agree"),
    ({0: -0.2, 1: -0.22, 2: -0.18}, "contradicts", "contradict the lesson"),
    ({0: 0.2, 1: -0.15, 2: 0.02}, "inconclusive", "inconclusive"),
])
def test_every_lesson_verdict_comes_from_repeated_seeds(effects, outcome, says):
    from workbench.core.experiments.base import Context

    steps = []
    run = _fake_lesson(effects)
    r = run(Context(full=True, seed=0, progress=lambda d, t, _: steps.append((d, t))))
    assert r.outcome == outcome and r.agrees == (outcome == "agrees") and says in r.conclusion
    assert r.figures["effects"] == [effects[0], effects[1], effects[2]] and r.settings["seeds"] == [0, 1, 2]
    assert r.conclusion.startswith("Measured +0.20" if effects[0] > 0 else "Measured -0.20")  # the first seed's numbers
    assert steps[-1] == (3, 3)  # progress counts over all seeds


def test_a_real_lesson_is_judged_over_two_seeds_in_fast_mode():
    r = run_experiment("redundancy")
    assert len(r.figures["effects"]) == 2 and r.verdict.spread is not None
    assert r.outcome == "agrees" and "over 2 seeds" in r.conclusion
