"""The Day'n'Night, style transfer and YOLO worksheets from Python and from the command line, with tiny
settings: every answer trains on the study's own data, the verdict is computed, the choice judged,
the report written; unknown ids and answers are one-sentence errors."""
import json

import pytest

from workbench.cli import main
from workbench.core.experiments.base import Context
from workbench.core.worksheets import daynight as dn
from workbench.core.worksheets import get_worksheet, run_question
from workbench.core.worksheets.base import QuestionResult


@pytest.fixture(autouse=True)
def tiny(monkeypatch):
    monkeypatch.setattr(dn, "FAST", {"n_train": 96, "n_test": 48, "epochs": 2, "size": 16, "batch": 32})
    dn._scenes.cache_clear()
    dn._BIASED.clear()


def test_the_worksheet_asks_the_slides_questions_in_order():
    ws = get_worksheet("daynight")
    assert [q.topic for q in ws.questions] == ["Data", "Split", "Bias", "Input", "Resolution", "Output",
                                               "Architecture", "Loss"]


def test_softmax_over_one_output_never_learns():
    res = run_question("daynight.output", "softmax", Context())
    soft = res.answer("softmax")
    assert soft.details["accuracy"] == pytest.approx(0.5) and soft.mean > 3.0  # always 1: half wrong, sure
    assert res.choice_right is False and res.correct_keys == ["sigmoid"]
    assert res.outcome in ("agrees", "inconclusive", "contradicts") and len(res.verdict.effects) == 2
    assert soft.pictures[0].image.dtype.name == "uint8" and soft.charts
    back = QuestionResult.from_dict(json.loads(json.dumps(res.to_dict())))
    assert back.to_dict() == res.to_dict()


def test_the_biased_split_looks_better_than_it_is():
    res = run_question("daynight.split", "target", Context())
    same = res.answer("same")
    assert same.details["estimated accuracy"] >= same.details["real accuracy"]
    assert res.choice_right is True


def _cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_runs_a_question_with_json_and_report(capsys, tmp_path):
    code, out, err = _cli(capsys, "experiment", "daynight.input", "--answer", "grey", "--json", "--report",
                          str(tmp_path / "rep"))
    assert code == 0, err
    d = json.loads(out.strip().splitlines()[-1])
    assert d["question_id"] == "daynight.input" and d["chosen"] == "grey" and d["choice_right"] is False
    assert d["outcome"] in ("agrees", "inconclusive", "contradicts") and [a["key"] for a in d["answers"]] == [
        "rgb", "grey", "brightness"]
    html = (tmp_path / "rep" / "daynight.input.html").read_text()
    assert "data:image/png;base64" in html and "<svg" in html and "the mean brightness" in html


def test_cli_lists_questions_and_rejects_unknown_ones_in_one_sentence(capsys):
    code, out, _ = _cli(capsys, "experiment", "--list")
    assert code == 0 and "daynight.resolution" in out and "normalization" in out
    for argv, words in ((["daynight.nope"], "Unknown worksheet question"),
                        (["daynight.output", "--answer", "relu"], "choose one of: sigmoid, softmax, none.")):
        code, out, err = _cli(capsys, "experiment", *argv)
        lines = [ln for ln in err.strip().splitlines() if ln.strip()]
        assert code == 2 and len(lines) == 1 and words in lines[0]


def test_style_minus_content_loses_the_photo(monkeypatch):
    from workbench.core.worksheets import style_transfer as stw

    monkeypatch.setattr(stw, "FAST", {"size": 32, "steps": 12})
    res = run_question("style_transfer.loss", "minus", Context(n_seeds=1))
    both, minus = res.answer("both"), res.answer("minus")
    assert minus.mean > both.mean and res.choice_right is False  # content distance: the picture is lost
    assert minus.pictures[0].image.shape[1] > minus.pictures[0].image.shape[0]  # photo | style | result
    assert minus.charts[0].log_y and len(res.verdict.effects) == 1


def test_yolo_question_names_the_terms_and_removes_each(monkeypatch):
    from workbench.core.worksheets import yolo

    monkeypatch.setattr(yolo, "FAST", {"n": 30, "epochs": 1, "backbone": "small-cnn"})
    yolo._CACHE.clear()
    q = get_worksheet("yolo").questions[0]
    assert [p.id for p in q.parts] == ["xy", "wh", "obj", "noobj", "class"] and "√w" in q.parts[1].text
    res = run_question("yolo.loss", "noobj", Context(n_seeds=1), chosen_parts={"xy": "xy", "wh": "class"})
    assert [p["right"] for p in res.parts] == [True, False, None, None, None]
    assert [a.key for a in res.answers] == ["all", "xy", "wh", "obj", "noobj", "class"]
    without_wh = res.answer("wh").charts[0]
    assert all(v == 0 for v in next(s for s in without_wh.series if s.label == "wh").y)  # the term is gone
    assert res.choice_right is False and res.outcome in ("agrees", "inconclusive", "contradicts")


def test_cli_names_the_yolo_terms(capsys, monkeypatch):
    from workbench.core.worksheets import yolo

    monkeypatch.setattr(yolo, "FAST", {"n": 24, "epochs": 1, "backbone": "small-cnn"})
    yolo._CACHE.clear()
    code, out, err = _cli(capsys, "experiment", "yolo.loss", "--answer", "all", "--seeds", "1",
                          "--parts", "xy=xy,wh=class")
    assert code == 0, err
    assert "term xy: right" in out and "term wh: wrong (it is wh)" in out and "Your answer" in out
    code, out, err = _cli(capsys, "experiment", "yolo.loss", "--parts", "xy")
    assert code == 2 and "term=answer pairs" in err
