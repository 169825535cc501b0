"""Lesson 15 (YOLO loss terms): the verdict's noise margin, and a tiny run end to end."""
from __future__ import annotations

import pytest

pytest.importorskip("torch")


def test_verdict_needs_a_gain_beyond_the_noise():
    from workbench.core.experiments.lessons_detection import verdict

    assert verdict([0.50, 0.52, 0.51], [0.40, 0.41, 0.42])["verdict"] == "helps"
    assert verdict([0.40, 0.41, 0.42], [0.50, 0.52, 0.51])["verdict"] == "hurts"
    v = verdict([0.50, 0.40, 0.45], [0.47, 0.44, 0.46])  # seeds disagree: within the noise
    assert v["verdict"] == "inconclusive" and v["margin"] >= abs(v["gain"])


def test_lesson_runs_and_concludes_from_its_runs(monkeypatch):
    from workbench.core.experiments import lessons_detection, run_experiment

    monkeypatch.setitem(lessons_detection.FAST, "n", 40)
    monkeypatch.setitem(lessons_detection.FAST, "epochs", 1)
    monkeypatch.setitem(lessons_detection.FAST, "backbone", "small-cnn")
    monkeypatch.setattr(lessons_detection, "VARIANTS", lessons_detection.VARIANTS[:2])
    r = run_experiment("yolo-loss-terms", full=False, seed=0)
    assert set(r.figures["map50"]) == {label for label, _ in lessons_detection.VARIANTS}
    assert len(r.table) == 2 * len(lessons_detection.VARIANTS)
    for label in r.figures["verdicts"]:
        assert r.figures["verdicts"][label]["map50"]["verdict"] in ("helps", "hurts", "inconclusive")
    assert "seeds" in r.conclusion and ("inconclusive" in r.conclusion or "helps" in r.conclusion
                                        or "hurts" in r.conclusion)
