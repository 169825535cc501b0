"""Column kinds told from the values (never the name), with reasons, and the user's overrides."""
import numpy as np
import pytest

from workbench.core.data import load_csv, load_data, parse_column_overrides
from workbench.core.data.columns import parse_column, parse_number, parse_numbers, profile_column
from workbench.core.errors import DataError


def kind(values, **kw):
    return profile_column("c", values, **kw).kind


def test_every_kind_is_detected_from_values():
    rng = np.random.default_rng(0)
    assert kind([f"{v:.2f}" for v in rng.normal(50, 10, 40)]) == "numeric"
    assert kind(["red", "green", "blue", "red"] * 10) == "categorical"
    assert kind([f"customer wrote note number {i} about the delivery" for i in range(40)]) == "text"
    assert kind([f"2024-03-{d:02d}" for d in range(1, 29)]) == "datetime"
    assert kind([f"C-{1000 + i}" for i in range(40)]) == "identifier"
    assert kind([str(i) for i in range(1, 41)]) == "identifier"  # a running number
    assert kind(["x"] * 40) == "constant"
    assert kind([""] * 40) == "constant"
    assert kind(["yes", "no", "no", "yes"] * 10) == "boolean"
    assert kind(["0", "1", "1"] * 10) == "boolean"


def test_tricky_columns():
    # numeric codes that are really categories
    codes = profile_column("plan", ["101", "205", "310", "205"] * 15)
    assert codes.kind == "categorical" and "codes" in codes.reason
    assert kind(["02134", "10001", "02134", "60601"] * 10) == "categorical"  # leading zeros: zip codes
    assert kind(["1", "2", "3", "4", "5"] * 10) == "numeric"  # a 1..5 rating is a range, not codes
    # a numeric column with a few stray strings: numeric, the strays become missing
    vals = [f"{v:.1f}" for v in np.random.default_rng(1).normal(300, 40, 60)] + ["unknown", "n.a."]
    p = profile_column("income", vals)
    assert p.kind == "numeric" and "unknown" in p.reason
    assert np.isnan(parse_column("income", vals, "numeric", "f.csv").values[-2:]).all()
    # dates in two formats in one column
    dates = [f"2023-05-{d:02d}" for d in range(1, 15)] + [f"{d:02d}/06/2023" for d in range(13, 27)]
    p = profile_column("since", dates)
    assert p.kind == "datetime" and "and" in p.reason
    stamps = parse_column("since", dates, "datetime", "f.csv").values
    assert np.all(np.isfinite(stamps)) and np.all(np.diff(stamps) > 0)
    # the name says nothing: a column called "text" holding categories is categorical
    assert profile_column("text", ["a", "b"] * 20 + ["c"]).kind == "categorical"
    # names, one per row, are identifiers; short sentences are text
    assert kind([f"Ann Smith{i}" for i in range(30)]) == "identifier"
    assert kind([f"loved it {i} times" for i in range(30)]) == "text"


def test_numbers_as_people_write_them():
    assert parse_number("1,234.5") == 1234.5
    assert parse_number("1.234,5", "eu") == 1234.5
    assert parse_number("3,5", "eu") == 3.5
    assert parse_number("$1,200") == 1200
    assert parse_number("12 500") == 12500
    assert parse_number("45%") == 45
    assert parse_number("(300)") == -300
    assert parse_number("abc") is None
    eu, bad = parse_numbers(["3,5", "12,25", "1.000,5"])
    assert eu.tolist() == [3.5, 12.25, 1000.5] and not bad
    en, _ = parse_numbers(["1,234", "12,500.5"])
    assert en.tolist() == [1234, 12500.5]
    ambiguous, _ = parse_numbers(["1,234", "2,500"], delimiter=";")  # a European file: decimal commas
    assert ambiguous.tolist() == [1.234, 2.5]


def test_overrides_and_their_errors(tmp_path):
    f = tmp_path / "people.csv"
    rows = ["age,zip,joined,label"] + [f"{20 + i % 40},{10000 + i % 7},2021-0{1 + i % 9}-15,{'ab'[i % 2]}"
                                       for i in range(60)]
    f.write_text("\n".join(rows) + "\n")
    ds = load_csv(f, columns={"zip": "categorical"})
    kinds = {c["name"]: c for c in ds.columns}
    assert kinds["zip"]["kind"] == "categorical" and kinds["zip"]["detected"] == "numeric"
    ds = load_csv(f, columns=["age=categorical", "joined=ignore"])
    report = {c["name"]: c for c in ds.columns}
    assert report["age"]["kind"] == "categorical" and report["age"]["detected"] == "numeric"
    assert "set by you" in report["age"]["reason"] and report["joined"]["role"] == "dropped"
    assert ds.feature_names == ["age", "zip"] and ds.column_kind(0) == "categorical"
    with pytest.raises(DataError, match=r"column 'age' of people.csv cannot be read as dates"):
        load_csv(f, columns={"age": "date"})
    with pytest.raises(DataError, match=r"Unknown column kind 'colour'"):
        parse_column_overrides(["age=colour"])
    with pytest.raises(DataError, match=r"NAME=KIND"):
        parse_column_overrides(["age"])
    with pytest.raises(DataError, match=r"no  column 'height'|column 'height'"):
        load_csv(f, columns={"height": "numeric"})
    # the overrides travel with the data source, so a run reloads the same way
    again = load_data(ds.source)
    assert again.feature_names == ["age", "zip"] and again.column_kind(0) == "categorical"


def test_target_is_offered_from_kinds_and_missing_targets_are_counted(tmp_path):
    f = tmp_path / "t.csv"
    lines = ["id,score,grade,comment"]
    for i in range(50):
        grade = "" if i % 10 == 0 else "ABC"[i % 3]
        lines.append(f"{i + 1},{i * 1.5},{grade},\"a comment about item {i} that is long\"")
    f.write_text("\n".join(lines) + "\n")
    ds = load_csv(f)  # the last column is free text, so the target is the last label column
    assert ds.target_name == "grade" and ds.class_names == ["A", "B", "C"]
    assert len(ds) == 45 and len(ds.skipped) == 5
    assert any("5 row(s) have no value in the target 'grade'" in n for n in ds.notes)
    report = {c["name"]: c for c in ds.columns}
    assert report["id"]["kind"] == "identifier" and report["id"]["role"] == "dropped"
    assert report["grade"]["role"] == "target"
    with pytest.raises(DataError, match=r"target column 'comment' of t.csv holds free text"):
        load_csv(f, target="comment")
