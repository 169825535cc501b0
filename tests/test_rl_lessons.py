"""The two reinforcement-learning lessons: conclusions computed from real PPO trainings, with a
verdict from the framework (shrunk budget, one seed: the suite's time)."""
import pytest

pytest.importorskip("stable_baselines3")

from workbench.core.experiments import get_experiment, run_experiment  # noqa: E402
from workbench.core.experiments import lessons_rl  # noqa: E402


@pytest.fixture
def short(monkeypatch):
    monkeypatch.setitem(lessons_rl.FAST, "steps", 8192)
    monkeypatch.setitem(lessons_rl.FAST, "eval_episodes", 3)


def test_too_much_exploration_acts_at_random(short):
    assert get_experiment("23").name == "rl-exploration"
    r = run_experiment("rl-exploration", full=False, seed=0, n_seeds=1)
    f = r.figures
    train = f["train"]
    assert train["too much (1.0)"] < train["no bonus (zoo)"]  # an entropy bonus of 1 keeps it near random
    assert min(train.values()) >= f["random"] * 0.8
    assert r.verdict.outcome in ("agrees", "inconclusive", "contradicts") and "Verdict" in r.conclusion
    assert f"{train['no bonus (zoo)']:.0f}" in r.conclusion and len(r.table) == 3
    assert [s.label for s in r.charts[0].series] == [label for label, _ in lessons_rl.ENTROPY]


def test_discount_lesson_compares_gammas(short):
    r = run_experiment("rl-discount", full=False, seed=0, n_seeds=1)
    f = r.figures
    assert set(f["train"]) == {"0.98 (zoo)", "0.5 (myopic)"} and len(r.verdict.effects) == 1
    assert r.verdict.effects[0] == pytest.approx(f["train"]["0.98 (zoo)"] - f["train"]["0.5 (myopic)"])
    assert "gamma 0.98" in r.conclusion and "Verdict" in r.conclusion
