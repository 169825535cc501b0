"""Lesson 15 (YOLO loss terms): a tiny run end to end, judged against the seeds' noise."""
from __future__ import annotations

import pytest

pytest.importorskip("torch")


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
        v = r.figures["verdicts"][label]["map50"]
        assert v["word"] in ("helps", "hurts", "inconclusive")
        assert (v["word"] == "inconclusive") == (abs(v["gain"]) <= v["margin"])  # judged against the noise
    assert r.outcome in ("agrees", "contradicts", "inconclusive") and len(r.figures["effects"]) == 2
    assert "Verdict:" in r.conclusion and "over 2 seeds" in r.conclusion
