"""The model follows the data; table models used on CSV files (app, CLI, export); regression scores.

Real tables: scikit-learn's wine (cultivars) and diabetes (disease progression) written as CSVs,
plus a table with a category column whose values come in another order in the file to predict.
"""
from __future__ import annotations

import csv
import importlib.util
import json

import numpy as np
import pytest

from workbench.core.errors import DataError


def _write(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture(scope="module")
def wine_run(tmp_path_factory):
    """A classifier trained on the wine table, with a category column added (stored in a project)."""
    from sklearn.datasets import load_wine

    from workbench.core.workflow import RunConfig, run_training

    d = tmp_path_factory.mktemp("wine")
    wn = load_wine()
    rng = np.random.default_rng(0)
    regions = ["north", "south", "east"]
    header = list(wn.feature_names[:6]) + ["region", "cultivar"]
    rows = [[f"{v:g}" for v in x[:6]] + [regions[int(rng.integers(3))], wn.target_names[y]]
            for x, y in zip(wn.data, wn.target)]
    path = _write(d / "wine.csv", header, rows)
    res = run_training(RunConfig(data=str(path), model="mlp", train={"epochs": 15}, project=str(d / "proj"),
                                 device="cpu"))
    return {"dir": d, "csv": path, "header": header, "rows": rows, "run_id": res.run_id, "project": d / "proj"}


def test_loading_another_kind_of_data_proposes_its_model_and_says_why():
    from workbench.core.model_choice import follow_data
    from workbench.core.models import default_head, get_preset

    head = default_head("regression")
    image_model = get_preset("digits-cnn")
    c = follow_data(image_model, made_for="image", explicit=True, kind="table", input_shape=(10,),
                    output_shape=(1,), head=head)
    assert c.action == "default" and c.name == "mlp" and c.spec.layers[0].type == "Dense"
    assert "chosen for images" in c.message and "mlp" in c.message
    # the user's own table model stays while it fits
    mine = get_preset("mlp")
    mine.layers[0].params["units"] = 7
    keep = follow_data(mine, made_for="table", explicit=True, kind="table", input_shape=(10,), output_shape=(1,),
                       head=head)
    assert keep.action == "keep" and keep.spec is mine
    # a model that no longer fits the same kind of data is replaced, and the sentence says why
    from workbench.core.models import ModelSpec
    from workbench.core.models.spec import LayerSpec

    big = ModelSpec([LayerSpec.make("Conv2D", filters=4, kernel=7), LayerSpec.make("Flatten")], name="big-kernel")
    bad = follow_data(big, made_for="image", explicit=True, kind="image", input_shape=(1, 4, 4),
                      output_shape=(3,), head=default_head("multiclass"), class_counts=[140, 140, 140])
    assert bad.action == "default" and bad.name == "digits-cnn"
    assert "big-kernel does not fit" in bad.message and "7x7 kernel" in bad.message
    # texts read as sequences get an Embedding model; sounds the audio CNN
    seq = follow_data(None, made_for=None, explicit=False, kind="text", input_shape=(200,), output_shape=(1,),
                      head=default_head("binary"), text_mode="sequence")
    assert seq.spec.layers[0].type == "Embedding"
    assert follow_data(mine, made_for="table", explicit=True, kind="audio", input_shape=(1, 98, 40),
                       output_shape=(3,), head=default_head("multiclass")).name == "audio-cnn"


def test_regression_scores_in_the_targets_units_with_the_mean_baseline():
    from workbench.core.training import baseline_scores, compute_metrics

    y = np.array([100.0, 200.0, 300.0, 400.0])
    m = compute_metrics("regression", y, y + np.array([10.0, -10.0, 10.0, -10.0]))
    assert m["mae"] == pytest.approx(10) and m["rmse"] == pytest.approx(10) and m["mse"] == pytest.approx(100)
    assert m["r2"] == pytest.approx(1 - 100 / 12500)
    b = baseline_scores("regression", np.array([200.0, 300.0]), y)
    assert {"mae", "rmse", "r2", "mse"} <= set(b) and b["r2"] == pytest.approx(0.0)


def test_split_text_says_no_stratification_for_numbers():
    from workbench.core.data import SplitPlan

    plan = SplitPlan.parse("holdout:0.2,0.2")
    assert "stratified by class" in plan.describe()
    assert "stratified by class" not in plan.describe(by_class=False)


def test_table_model_predicts_a_csv_with_columns_in_another_order(wine_run, tmp_path):
    from workbench.core.runs.predict import open_predictor
    from workbench.core.runs.table_predict import predict_csv

    p = open_predictor(wine_run["run_id"], wine_run["project"])
    assert p.kind == "table" and not p.regression
    # the same rows, columns shuffled, one more column, categories first seen in another order
    header, rows = wine_run["header"], wine_run["rows"][::-1][:40]
    order = [7, 6] + list(range(5, -1, -1))
    moved = _write(tmp_path / "moved.csv", [header[j] for j in order] + ["notes"],
                   [[r[j] for j in order] + ["x"] for r in rows])
    out = predict_csv(p, moved)
    assert "not used by the model: 'notes'" in out["note"] and "target 'cultivar' is kept" in out["note"]
    same = _write(tmp_path / "same.csv", header, rows)
    ref = predict_csv(p, same, tmp_path / "ref.csv")
    got = list(csv.DictReader(open(out["path"], newline="")))
    want = list(csv.DictReader(open(ref["path"], newline="")))
    assert [g["prediction"] for g in got] == [w["prediction"] for w in want]
    assert all(0 < float(g["confidence"]) <= 1 for g in got)
    right = sum(g["prediction"] == g["cultivar"] for g in got)
    assert right >= 30  # a trained model, not a constant
    gone = _write(tmp_path / "gone.csv", header[1:], [r[1:] for r in rows])
    with pytest.raises(DataError, match=repr(header[0])):
        predict_csv(p, gone)


def test_table_export_example_reproduces_the_apps_numbers(wine_run, tmp_path, capsys):
    from workbench.cli import main
    from workbench.core.runs.export import export_run
    from workbench.core.runs.predict import open_predictor

    out = tmp_path / "export"
    export_run(wine_run["project"], wine_run["run_id"], out)
    meta = json.loads((out / "model.json").read_text())
    assert meta["preprocessing"]["kind"] == "table" and meta["data"]["target"] == "cultivar"
    spec = importlib.util.spec_from_file_location("wine_example", out / "example.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    import onnxruntime as ort

    session = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    probs = np.stack([session.run(None, {"input": x[None]})[0][0] for x in example.table_rows(wine_run["csv"])])
    app = open_predictor(wine_run["run_id"], wine_run["project"])
    from workbench.core.data.csvfile import read_csv_file
    from workbench.core.runs.table_predict import table_inputs

    X, _ = table_inputs(app.pre, read_csv_file(wine_run["csv"]), app.target)
    assert np.allclose(probs, app.outputs(X), atol=1e-4)
    # the command line: a CSV in, the CSV with predictions out
    assert main(["predict", str(out), str(wine_run["csv"])]) == 0
    assert "predictions.csv" in capsys.readouterr().out
    assert (wine_run["dir"] / "wine-predictions.csv").is_file()


def test_regression_run_records_predicted_against_actual(tmp_path):
    from sklearn.datasets import load_diabetes

    from workbench.core.runs.predict import RunPredictor
    from workbench.core.runs.table_predict import predict_csv
    from workbench.core.workflow import RunConfig, run_training

    db = load_diabetes(scaled=False)
    path = _write(tmp_path / "diabetes.csv", list(db.feature_names) + ["progression"],
                  [[f"{v:g}" for v in x] + [f"{t:g}"] for x, t in zip(db.data, db.target)])
    res = run_training(RunConfig(data=str(path), model="mlp", train={"epochs": 20}, device="cpu"))
    rec = res.record
    ev = rec.evaluation
    assert ev["regression"] and len(ev["actual"]) == len(ev["predicted"]) == rec.split["sizes"]["test"]
    assert sum(ev["residual_hist"]["counts"]) == len(ev["actual"])
    assert rec.test_metrics["r2"] > rec.baseline["test"]["r2"] and rec.test_metrics["rmse"] > 0
    # a run still in memory is usable and its predictions are in the target's units
    p = RunPredictor.from_record(rec.to_dict(), res.weights())
    out = predict_csv(p, path)
    values = [float(r["prediction"]) for r in csv.DictReader(open(out["path"], newline=""))]
    assert len(values) == 442 and 50 < np.mean(values) < 250 and out["preview"][0]["confidence"] is None


def test_case_study_runs_are_not_offered_for_use():
    from workbench.core.runs.predict import usable_run
    from workbench.core.runs.summary import generic_runs, run_kind

    det = {"study": "detection", "model": {"spec": {}}, "head": {"task": "detection"}}
    assert "detection" in usable_run(det) and run_kind(det) == "detection"
    assert usable_run({"mode": "search"}) and run_kind({"kind": "daynight"}) == "daynight"
    assert run_kind({"kind": "train", "study": None}) == "generic" and run_kind({"kind": "segmentation"}) != "generic"
    assert generic_runs([det]) == []


def test_text_model_reads_typed_sentences_and_a_csv_of_texts(tmp_path):
    from workbench.core.runs.predict import RunPredictor
    from workbench.core.runs.table_predict import predict_csv
    from workbench.core.workflow import RunConfig, run_training

    rng = np.random.default_rng(1)
    good, bad = ["good", "great", "lovely", "fine", "superb"], ["bad", "awful", "poor", "dull", "boring"]
    filler = ["the", "film", "was", "a", "story", "plot", "and", "very"]
    rows = []
    for i in range(120):
        words = good if i % 2 else bad
        rows.append([" ".join(list(rng.choice(filler, 4)) + list(rng.choice(words, 2))), "pos" if i % 2 else "neg"])
    path = _write(tmp_path / "reviews.csv", ["review", "label"], rows)
    res = run_training(RunConfig(data=str(path), train={"epochs": 30}, device="cpu"))
    p = RunPredictor.from_record(res.record.to_dict(), res.weights())
    assert p.kind == "text"
    typed = p.predict_texts(["a superb and lovely film", "a dull and boring plot"])
    assert [r["label"] for r in typed] == ["pos", "neg"] and typed[0]["confidence"] > 0.5
    new = _write(tmp_path / "new.csv", ["id", "review"], [["1", "great great film"], ["2", "awful poor story"]])
    out = predict_csv(p, new)
    got = list(csv.DictReader(open(out["path"], newline="")))
    assert [g["prediction"] for g in got] == ["pos", "neg"] and "column 'review'" in out["note"]
    # exported before any save: example.py's own preprocessing and onnxruntime give the same numbers
    from workbench.core.runs.export import export_record

    export_record(res.record.to_dict(), res.weights(), tmp_path / "export")
    spec = importlib.util.spec_from_file_location("text_example", tmp_path / "export" / "example.py")
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    import onnxruntime as ort

    session = ort.InferenceSession(str(tmp_path / "export" / "model.onnx"), providers=["CPUExecutionProvider"])
    for row, text in zip(typed, ["a superb and lovely film", "a dull and boring plot"]):
        prob = session.run(None, {"input": example.text_input(text)[None]})[0][0]
        prob = np.array([1 - prob[0], prob[0]]) if len(prob) == 1 else prob
        assert np.allclose(prob, [row["probs"][n] for n in p.class_names], atol=1e-4)


def test_a_case_study_run_given_to_predict_says_where_it_belongs(tmp_path):
    from workbench.core.errors import ProjectError
    from workbench.core.runs import RunRecord
    from workbench.core.runs.predict import RunPredictor

    rec = RunRecord(kind="detection", study="detection", task="detection", model={"spec": {"layers": []}},
                    head={"task": "detection"}, preprocessing={})
    with pytest.raises(ProjectError, match="detection panel"):
        RunPredictor.from_record(rec.to_dict(), {"w": 1})
