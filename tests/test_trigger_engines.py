"""Whole speech engines held out for the trigger word: the split, the per-engine report, a missing
engine's one sentence, and the operating points on unseen engines shown in the Detect tab."""
import shutil

import numpy as np
import pytest

from workbench.core.errors import DataError, DeviceUnavailable
from workbench.core.studies import trigger_word as tw
from workbench.core.studies.trigger_word import engines as E
from workbench.core.studies.trigger_word.operating import ScoredStream, evaluate_point
from workbench.core.studies.trigger_word.heldout import HeldoutReport
from workbench.core.studies.trigger_word.recipe import RecipeSettings, build_pools
from workbench.core.studies.trigger_word.unseen import (
    describe, engine_figures, expected_at, sensitivity_choices, unseen_table, worst_engine,
)
from workbench.core.studies.trigger_word.voices import voices_for


def test_default_split_holds_out_whole_engines():
    s = RecipeSettings()
    train, val, test = (set(s.engines[k]) for k in ("train", "val", "test"))
    assert train and val and test
    assert not train & test and not train & val and not val & test
    # what a held-out split speaks with comes from its own engines only
    for e in E.ENGINES:
        for v in voices_for("test", engines=(e,)):
            assert v.engine == e and v.label.split(" ")[0] == e


def test_an_engine_in_training_and_test_is_refused():
    with pytest.raises(DataError, match="both the training and the test engines"):
        RecipeSettings(engines={"train": ["espeak", "piper"], "val": ["flite"], "test": ["piper"]})
    with pytest.raises(DataError, match="Unknown speech engine"):
        RecipeSettings(engines={"train": ["espeak"], "val": ["flite"], "test": ["sam"]})


def test_old_recipes_measure_on_unseen_engines():
    old = RecipeSettings().to_dict()
    del old["engines"]
    old["speech_hours"] = {"train": {"piper": 0.5}, "val": {"piper": 1.5}, "test": {"piper": 2.0, "espeak": 1.0}}
    s = RecipeSettings.from_dict(old)
    assert set(s.speech_hours["test"]) <= set(s.engines["test"])
    assert set(s.speech_hours["val"]) <= set(s.engines["val"])


def test_missing_engine_is_one_sentence(monkeypatch, tmp_path):
    real = shutil.which
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name in ("flite", "text2wave") else real(name))
    assert not E.available("flite") and not E.available("festival")
    ok, missing = E.split_available(["festival", "flite"])
    assert ok == [] and set(missing) == {"festival", "flite"}
    for msg in missing.values():
        assert msg.count(". ") == 0 and msg.endswith(".") and "install" in msg
    s = RecipeSettings.quick()
    with pytest.raises(DeviceUnavailable) as e:
        build_pools("test", s, cache=tmp_path)
    assert str(e.value) == missing["festival"]


def _stream(name, kind, probs_per_group, ends_per_group=(), labels=()):
    st = ScoredStream(name, kind, 0.0, 0.04, labels=list(labels))
    for g, p in enumerate(probs_per_group):
        t = np.arange(len(p)) * 0.04
        st.groups.append((t, np.asarray(p, np.float32), list(ends_per_group[g]) if ends_per_group else []))
        st.seconds += 1800.0  # each group counts as half an hour of speech
    return st


def _toy_streams():
    """Two engines: festival misses one of two words and fires once in 1 h; flite is clean."""
    p = np.zeros(400)
    p[[50, 51, 52]] = 0.9  # a word at 2 s is caught; the one at 10 s is not
    pos = _stream("test positives", "positive", [p], [[2.0, 10.0]], ["festival kal x1", "flite awb x1"])
    fest = np.zeros(400)
    fest[200:203] = 0.8
    neg = [_stream("test festival speech", "negative", [fest, np.zeros(400)]),
           _stream("test flite speech", "negative", [np.zeros(400), np.zeros(400)])]
    return pos, neg


def test_per_engine_figures_and_the_worst_engine():
    pos, neg = _toy_streams()
    at = evaluate_point([pos], neg, 0.5, 1)
    by = engine_figures([pos], neg, at)
    assert set(by) == {"festival", "flite"}
    assert by["festival"]["positives"] == 1 and by["festival"]["frr"] == 0.0
    assert by["flite"]["frr"] == 1.0
    assert by["festival"]["false_accepts"] == 1 and by["festival"]["hours"] == 1.0
    assert by["festival"]["fa_per_hour"] == 1.0 and by["flite"]["fa_per_hour"] == 0.0
    assert worst_engine(by) == "flite"  # 100 % missed is further from 5 % than 1 FA/h from 0.5


def test_unseen_table_is_what_the_panel_reads():
    pos, neg = _toy_streams()
    at = evaluate_point([pos], neg, 0.5, 1)
    rows = []
    for th in (0.5, 0.85):
        pt = evaluate_point([pos], neg, th, 1)
        rows.append({"threshold": th, "frr": pt.frr, "fa_speech": pt.fa_per_hour,
                     "by_engine": engine_figures([pos], neg, pt)})
    by = engine_figures([pos], neg, at)
    rep = HeldoutReport({"threshold": 0.5, "smoothing": 1, "verifier_threshold": None, "chosen_on": "validation: flite"},
                        {**at.to_dict(), "positives": 2}, at.to_dict(), rows, {}, 0.0, by, worst_engine(by),
                        {"flite": E.missing_message("flite")})
    assert "engine festival" in rep.to_text() and "worst held-out engine: flite" in rep.to_text()
    t = unseen_table(rep)
    assert t["engines"] == ["festival", "flite"] and t["speech_hours"] == 2.0 and t["positives"] == 2
    assert t["at_operating_point"]["fa_per_hour"] == 0.5
    assert expected_at(t, 0.8)["threshold"] == 0.85 and expected_at(None, 0.5) is None
    assert [th for _, th in sensitivity_choices(t)] == [0.5, 0.85]
    assert "0.50 false accepts an hour" in describe(t, 0.5) and "50.0 % false rejects" in describe(t, 0.5)
    assert "No measurement" in describe({}, 0.5)


@pytest.mark.skipif(not E.available("festival"), reason="festival is not installed")
def test_festival_says_the_word():
    v = voices_for("test", engines=("festival",))[0]
    x = v.say("activate")
    assert x.dtype == np.float32 and 0.3 * 16000 < x.size < 2 * 16000 and np.abs(x).max() > 0.05


def test_panel_shows_the_operating_point_on_unseen_engines(qtbot, tmp_path):
    pytest.importorskip("pytestqt")
    import torch

    from workbench.core.studies.trigger_word.model import OperatingPoint, TriggerModel
    from workbench.ui.context import AppContext
    from workbench.ui.panels.trigger_word import TriggerWordPanel

    folder = tmp_path / "m"
    shutil.copytree(tw.test_model_dir(), folder)
    m = TriggerModel.load(folder)
    m.operating_point = OperatingPoint(threshold=0.5, smoothing=1)
    m.metrics["unseen_engines"] = {
        "engines": ["festival"], "speech_hours": 2.0, "positives": 450, "smoothing": 3, "verifier_threshold": None,
        "rows": [{"threshold": 0.5, "frr": 0.031, "fa_per_hour": 1.5, "by_engine": {}},
                 {"threshold": 0.8, "frr": 0.062, "fa_per_hour": 0.5, "by_engine": {}}]}
    m.save(folder)
    n = torch.get_num_threads()
    p = TriggerWordPanel(AppContext())
    qtbot.addWidget(p)
    try:
        assert p.load_model(str(folder))
        dt = p.detect_tab
        assert dt.sensitivity.count() == 2
        assert "1.50 false accepts an hour" in dt.expected.text() and "3.1 % false rejects" in dt.expected.text()
        assert "festival" in dt.expected.text() and "2.0 h" in dt.expected.text()
        # the user picks the less sensitive point by its figures: threshold and smoothing follow
        i = [dt.sensitivity.itemText(k) for k in range(2)].index(next(
            dt.sensitivity.itemText(k) for k in range(2) if "0.50 false accepts/h" in dt.sensitivity.itemText(k)))
        dt.sensitivity.activated.emit(i)
        assert dt.threshold.value() == 0.8 and dt.smoothing.value() == 3
        assert "0.50 false accepts an hour" in dt.expected.text() and "6.2 % false rejects" in dt.expected.text()
    finally:
        p.shutdown()
        torch.set_num_threads(n)


def test_microphone_colouring_changes_the_spectrum_not_the_level():
    from workbench.core.audio.room import colour

    x = (0.1 * np.random.default_rng(0).standard_normal(16000)).astype(np.float32)
    y = colour(x, 3)
    assert y.shape == x.shape and y.dtype == np.float32
    assert np.isclose(np.sqrt(np.mean(y ** 2)), np.sqrt(np.mean(x ** 2)), rtol=1e-3)
    X, Y = np.abs(np.fft.rfft(x)), np.abs(np.fft.rfft(y))
    assert Y[:40].mean() < 0.3 * X[:40].mean()  # the low rumble is cut (high-pass >= 80 Hz)
    assert np.array_equal(colour(x, 3), y)  # the same draw for the same seed


def test_false_rejects_are_split_by_voice_of_each_engine():
    pos, neg = _toy_streams()
    by = engine_figures([pos], neg, evaluate_point([pos], neg, 0.5, 1))
    assert by["festival"]["frr_by_voice"] == {"kal": 0.0} and by["flite"]["frr_by_voice"] == {"awb": 1.0}


def test_piper_noise_is_a_training_option_that_names_its_voices():
    from workbench.core.studies.trigger_word.voices import Voice

    s = RecipeSettings(piper_noise=[[0.667, 0.8]])
    assert RecipeSettings.from_dict(s.to_dict()).piper_noise == [[0.667, 0.8]]
    assert RecipeSettings().piper_noise == []  # off by default: the material stays reproducible
    assert Voice("piper", "joe", 1.0, noise=(0.667, 0.8)).label == "piper joe x1 n0.667/0.8"
    assert Voice("piper", "joe", 1.0).label == "piper joe x1"
