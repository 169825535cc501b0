"""Lessons 20-22 run end to end on tiny settings and return a computed verdict."""
import pytest

from workbench.core.experiments import get_experiment, run_experiment
from workbench.core.experiments import lessons_sequences as L


def test_lessons_are_registered_with_claims():
    for name, number in (("attention-long-sequences", 20), ("unseen-combinations", 21), ("prototypes-one-shot", 22)):
        exp = get_experiment(name)
        assert exp.number == number and exp.claim


@pytest.mark.parametrize("name,patch", [
    ("attention-long-sequences", {"TREES_FAST": {"n_train": 200, "epochs": 1, "train_sizes": [1, 2], "test_sizes": [3]}}),
    ("unseen-combinations", {"CAPTIONS_FAST": {"n": 200, "epochs": 1}}),
    ("prototypes-one-shot", {"SHOTS_FAST": {"data": "builtin:digits", "episodes": 1, "scratch_epochs": 1}}),
])
def test_lesson_runs_and_judges(monkeypatch, name, patch):
    for k, v in patch.items():
        monkeypatch.setattr(L, k, v)
    res = run_experiment(name, n_seeds=1)
    assert res.outcome in ("agrees", "contradicts", "inconclusive") and "Verdict" in res.conclusion
    assert res.charts and res.table and len(res.figures["effects"]) == 1
