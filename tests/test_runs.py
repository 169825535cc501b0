"""One run record: versioned schema, migrations, validation on load, safe ids, no half-written runs."""
import json
import os

import pytest

from workbench.core.errors import ProjectError
from workbench.core.runs import RUN_SCHEMA_VERSION, RunRecord, RunStore, migrate, summarize

V1_GENERIC = {"schema_version": 1, "task": "multiclass", "mode": "holdout", "best_epoch": 2,
              "history": [{"epoch": 1, "loss": 1.0, "val_accuracy": 0.5}, {"epoch": 2, "loss": 0.5, "val_accuracy": 0.7}],
              "baseline": {"val": {"accuracy": 0.34}, "test": {"accuracy": 0.33}}, "test_metrics": {"accuracy": 0.71},
              "data": {"spec": "builtin:iris", "n_samples": 150}, "model": {"name": "mlp", "spec": {"layers": []}}}
V1_DAYNIGHT = {"name": "Day'n'Night 32px", "study": "daynight", "mode": "holdout", "task": "binary",
               "data": {"name": "generated", "spec": "daynight:generated", "n": 200, "size": 32},
               "config": {"epochs": 2, "batch_size": 64, "lr": 0.002, "optimizer": "adam"},
               "settings": {"optimizer": "adam", "lr": 0.002, "batch_size": 64, "epochs": 2},
               "history": [{"epoch": 1, "loss": 0.6}], "best_epoch": 1, "stop_reason": "completed",
               "test_metrics": {"accuracy": 0.9}, "baseline": {"accuracy": 0.5}, "subgroups": [{"group": "dusk"}],
               "train_time": 3.5}


def test_migration_v1_to_v2_unifies_the_study_layout():
    d = migrate(V1_DAYNIGHT, target=2)
    assert d["schema_version"] == 2
    assert d["train_config"]["optimizer"] == "adam" and "settings" not in d and "config" not in d
    assert d["baseline"] == {"test": {"accuracy": 0.5}}
    assert d["details"]["subgroups"] == [{"group": "dusk"}] and d["fit_time"] == 3.5
    assert d["data"]["n_samples"] == 200
    rec = RunRecord.from_dict(V1_DAYNIGHT)
    assert rec.study == "daynight" and rec.baseline_for("test")["accuracy"] == 0.5


V2_BASE = {"schema_version": 2, "mode": "holdout", "history": [], "details": {}}


@pytest.mark.parametrize("old, kind", [
    ({}, "train"),
    ({"mode": "search", "search": {"trials": []}}, "train"),
    ({"details": {"trial": {"number": 3}}}, "tuning_trial"),
    ({"study": "daynight", "task": "binary"}, "daynight"),
    ({"study": "trigger_word"}, "trigger_word"),
    ({"study": "detection", "task": "detection"}, "detection"),
    ({"study": "detection", "task": "segmentation"}, "segmentation"),
    ({"study": "autoencoder"}, "autoencoder"),
    ({"study": "language_model"}, "language_model"),
    ({"study": "forecast", "mode": "time"}, "forecast"),
])
def test_migration_v2_to_v3_infers_the_kind_of_older_runs(old, kind):
    d = migrate({**V2_BASE, **old})
    assert d["schema_version"] == 3 and d["kind"] == kind
    rec = RunRecord.from_dict({**V2_BASE, **old})
    assert rec.kind == kind and rec.study == old.get("study")
    assert summarize(rec)["kind"] == kind


def test_every_run_is_built_by_one_builder_that_carries_its_fit():
    from types import SimpleNamespace

    from workbench.core.runs import build_record, runs_of_kind
    from workbench.core.training import TrainConfig

    fit = SimpleNamespace(history=[{"epoch": 1, "loss": 0.5}], best_epoch=1, stop_reason="completed",
                          message="done", time=1.5, device="cpu")
    rec = build_record("segmentation", fit=fit, train_config=TrainConfig(epochs=1, seed=7), name="u")
    assert (rec.kind, rec.study, rec.seed, rec.best_epoch, rec.fit_time, rec.device) == \
        ("segmentation", "detection", 7, 1, 1.5, "cpu")
    assert rec.train_config["epochs"] == 1 and RunRecord.from_dict(rec.to_dict()) == rec
    train = build_record("train", history=[])
    assert train.study is None and train.kind == "train"
    assert runs_of_kind([rec, train], "train") == [train]
    assert runs_of_kind([summarize(rec), summarize(train)], "segmentation")[0]["name"] == "u"
    assert build_record("rl").study == "rl"  # an open list: a new task brings its own kind
    with pytest.raises(ValueError):
        build_record("two words")
    with pytest.raises(TypeError):
        build_record("train", no_such_field=1)


def test_migration_of_a_generic_v1_run_keeps_its_numbers():
    rec = RunRecord.from_dict(V1_GENERIC)
    assert rec.schema_version == RUN_SCHEMA_VERSION
    assert rec.baseline["val"]["accuracy"] == 0.34 and rec.best_logs["val_accuracy"] == 0.7


def test_round_trip_is_lossless():
    rec = RunRecord.from_dict(V1_GENERIC)
    assert RunRecord.from_dict(rec.to_dict()) == rec


@pytest.mark.parametrize("bad, says", [
    (None, "instead of a JSON object"),
    ([1, 2], "instead of a JSON object"),
    ({**V1_GENERIC, "best_epoch": 9}, "past its 2 recorded"),
    ({**V1_GENERIC, "history": "epochs"}, "'history' should be a list"),
    ({**V1_GENERIC, "best_epoch": "2"}, "'best_epoch' should be a whole number"),
    ({**V1_GENERIC, "history": [1, 2]}, "not a list of epochs"),
    ({**V1_GENERIC, "schema_version": "two"}, "not a whole number"),
    ({**V1_GENERIC, "schema_version": 99}, "newer version"),
])
def test_damaged_records_are_one_sentence(bad, says):
    with pytest.raises(ProjectError, match=says):
        RunRecord.from_dict(bad, where="run.json")


def test_summary_shows_the_baseline_on_the_tested_part():
    row = summarize(RunRecord.from_dict(V1_GENERIC))
    assert row["baseline"] == 0.33 and row["test"] == 0.71 and row["val"] == 0.7
    untested = RunRecord.from_dict({**V1_GENERIC, "test_metrics": None})
    assert summarize(untested)["baseline"] == 0.34


@pytest.mark.parametrize("rid", ["..", ".", "../x", "/etc", "a/b", "a\\b", "", " ", "x\x00y", "CON"])
def test_hostile_run_ids_never_reach_the_disk(tmp_path, rid):
    store = RunStore(tmp_path / "project")
    (tmp_path / "project" / "runs").mkdir(parents=True)
    (tmp_path / "keep.txt").write_text("keep")
    for call in (store.load, store.delete, store.load_weights):
        with pytest.raises(ProjectError):
            call(rid)
    if rid:  # an empty id on save means "make a new one"
        with pytest.raises(ProjectError):
            store.save(RunRecord(), run_id=rid)
    assert (tmp_path / "keep.txt").read_text() == "keep" and (tmp_path / "project" / "runs").is_dir()


def test_a_damaged_run_is_listed_and_the_others_still_show(tmp_path):
    store = RunStore(tmp_path)
    good = store.save(RunRecord.from_dict(V1_GENERIC))
    bad = store.save(RunRecord.from_dict(V1_GENERIC))
    (tmp_path / "runs" / bad / "run.json").write_text(json.dumps({"history": None}))
    rows = store.list()
    assert [r["run_id"] for r in rows if "error" not in r] == [good]
    assert [r for r in rows if r["run_id"] == bad][0]["error"].startswith("The run file")


def test_a_failed_save_leaves_nothing_half_written_and_keeps_the_weights(tmp_path, monkeypatch):
    import torch

    from workbench.core import jsonio

    store = RunStore(tmp_path / "project")
    real = jsonio.atomic_write_json

    def full_disk(path, obj):
        if path.name == "run.json" and "project" in str(path):
            raise OSError(28, "No space left on device")
        return real(path, obj)

    monkeypatch.setattr("workbench.core.runs.store.atomic_write_json", full_disk)
    with pytest.raises(ProjectError, match="kept in") as e:
        store.save(RunRecord.from_dict(V1_GENERIC), weights={"w": torch.ones(2)})
    assert store.ids() == [] and not [p for p in (tmp_path / "project" / "runs").iterdir()]
    kept = str(e.value).split("kept in ")[1].split(" instead")[0]
    assert torch.equal(torch.load(os.path.join(kept, "weights.pt"), weights_only=True)["w"], torch.ones(2))


def test_saved_files_get_the_users_normal_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        rid = RunStore(tmp_path).save(RunRecord.from_dict(V1_GENERIC))
    finally:
        os.umask(old)
    assert oct((tmp_path / "runs" / rid / "run.json").stat().st_mode & 0o777) == oct(0o644)
