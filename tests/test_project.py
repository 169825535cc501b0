"""Project files: project.json stores exactly the typed project state; round trip, atomic write,
damaged / newer files, a wrong value anywhere refused in one sentence, migrations (one test each)."""
import json

import pytest

from workbench.core.errors import ProjectError
from workbench.core.project import MIGRATIONS, PROJECT_FILE, SCHEMA_VERSION, Project, migrate
from workbench.core.state import ProjectState, StateError


def test_save_and_open_round_trip(tmp_path):
    p = Project.create(tmp_path / "proj")
    p.state.data.update(source="builtin:digits")
    p.state.split.update(kind="kfold", k=3)
    p.state.training.update(epochs=3)
    p.state.daynight.update(epochs=4, groups=["dusk"])
    p.state.detection.train.update(lambda_coord=2.5)
    p.add_run("r1")
    p.add_run("r2")
    p.add_run("r1")
    p.save()
    q = Project.open(tmp_path / "proj")
    assert q.to_dict() == p.to_dict()
    assert q.recent_runs == ["r1", "r2"] and q.name == "proj"
    assert q.state.daynight.groups == ["dusk"] and q.state.detection.train.lambda_coord == 2.5
    saved = json.loads((tmp_path / "proj" / PROJECT_FILE).read_text())
    assert saved["schema_version"] == SCHEMA_VERSION
    # exactly the state: no other keys, no copy of a section
    assert set(saved) == {"schema_version", "name", "recent_runs", *ProjectState().keys()}
    assert not list((tmp_path / "proj").glob("*.tmp"))
    with pytest.raises(ProjectError, match="already holds a project"):
        Project.create(tmp_path / "proj")


def test_damaged_missing_and_newer_files_give_one_clear_sentence(tmp_path):
    with pytest.raises(ProjectError, match="not a Workbench project"):
        Project.open(tmp_path)
    (tmp_path / PROJECT_FILE).write_text('{"schema_version": 1, "name": ')
    with pytest.raises(ProjectError, match="damaged"):
        Project.open(tmp_path)
    (tmp_path / PROJECT_FILE).write_text("[1, 2]")
    with pytest.raises(ProjectError, match="damaged"):
        Project.open(tmp_path)
    (tmp_path / PROJECT_FILE).write_text(json.dumps({"schema_version": SCHEMA_VERSION + 1}))
    with pytest.raises(ProjectError, match="newer version of Workbench"):
        Project.open(tmp_path)


@pytest.mark.parametrize("section, value, says", [
    ({"training": {"epochs": "ten"}}, None, "the training setting 'epochs' should be a whole number or null, not text"),
    ({"daynight": {"epochs": 0}}, None, "the Day & Night setting 'epochs' should be a whole number from 1 to 100,000, not 0"),
    ({"detection": {"train": {"sqrt_wh": 1}}}, None, "the Detection setting 'train.sqrt_wh' should be true or false"),
    ({"split": {"kind": "random"}}, None, "the split setting 'kind' should be one of"),
    ({"faces": []}, None, "Faces setting should be an object, not a list"),
])
def test_a_wrong_value_in_any_section_is_one_sentence(tmp_path, section, value, says):
    (tmp_path / PROJECT_FILE).write_text(json.dumps({"schema_version": SCHEMA_VERSION, **section}))
    with pytest.raises(StateError) as e:
        Project.open(tmp_path)
    msg = str(e.value)
    assert says in msg and str(tmp_path / PROJECT_FILE) in msg and msg.count(".") >= 1 and "\n" not in msg


def test_migrations_cover_every_version():
    assert set(MIGRATIONS) == set(range(SCHEMA_VERSION))
    assert migrate({"schema_version": 0, "config": {}})["schema_version"] == SCHEMA_VERSION
    with pytest.raises(ProjectError, match="invalid format version"):
        migrate({"schema_version": "x"})


def test_migration_0_to_1_moves_config_to_train(tmp_path):
    (tmp_path / PROJECT_FILE).write_text(json.dumps({"name": "old", "config": {"epochs": 4}}))
    p = Project.open(tmp_path)
    assert p.state.training.settings() == {"epochs": 4} and p.name == "old"


# what Workbench 1 wrote after a session in every panel (abridged from a real file)
V1_FILE = {
    "schema_version": 1, "name": "old",
    "data": {"source": "builtin:iris"}, "preprocessing": {"scale": "none"}, "split": {"kind": "holdout", "val": 0.3},
    "model": "digits-cnn", "head": {"task": "multiclass"}, "train": {"epochs": 2},
    "recent_runs": ["run-b", "run-a", "../evil"],
    "ui": {"schema_version": 1, "current_panel": "Day & Night", "panels": {
        "Data": {"request": {"source": "builtin:digits", "target": None}, "tab": 4, "options": {"image_size": 96},
                 "split": {"kind": "kfold", "val": 0.2, "test": 0.1, "k": 3, "repeats": 1, "stratify": True,
                           "seed": 5, "drop_duplicates": False},
                 "preprocessing": {"scale": "standard", "missing": "indicator", "vocab_size": 500,
                                   "text": {"mode": "auto"}, "augment": None}},
        "Model": {"spec": None, "task": "auto", "activation": None, "loss": None,
                  "train": {"optimizer": "sgd", "lr": 0.01, "batch_size": 16, "epochs": 40, "early_stopping": None,
                            "seed": 1},
                  "defaults": {"l1": 0.0, "l2": 0.001, "dropout": 0.3}, "selected": 2},
        "Train": {"mode": "search", "metric": "loss", "name": "try", "overlay": [1], "tab": 1,
                  "search": {"space": "lr=log(1e-4,1e-1)", "sampler": "random", "iter": 7, "pruner": "none",
                             "workers": 1, "cluster": "", "study": "", "same_seed": False}},
        "Experiments": {"selected": "capacity", "results": {"capacity": {"verdict": "ok"}},
                        "guide": {"answers": {"goal": "classify"}, "metric": "f1"}},
        "Day & Night": {"n": 800, "epochs": "bad", "groups": ["dusk"], "page": 3, "sweep": [{"size": 16}]},
        "Faces": {"threshold": 0.5, "train": {"epochs": 3, "mining": "hard"}, "tab": 2},
        "Trigger word": {"trigger_word": "marvin", "epochs": 12, "lr": 0.01, "source": "demo stream"},
        "Style transfer": {"steps": 50, "style_layers": ["conv1_1"], "keep_colors": True},
        "Detection": {"tab": 2, "DataTab": {"n": 120, "format": "coco"}, "TrainTab": {"S": 5, "sqrt_wh": False},
                      "SegmentTab": {"balanced": True}, "EvaluateTab": {"conf": 0.4},
                      "LiveTab": {"source": "demo", "conf": 0.3}, "EditorTab": {"folder": None}},
        "Explore": {"data": "builtin:digits", "tab": 1, "projector": {"method": "pca", "perplexity": 12},
                    "autoencoder": {"code_size": 8}},
    }},
}


def test_migration_1_to_2_takes_every_panel_into_its_section(tmp_path):
    (tmp_path / PROJECT_FILE).write_text(json.dumps(V1_FILE))
    p = Project.open(tmp_path)
    s = p.state
    assert p.name == "old" and p.recent_runs == ["run-b", "run-a"]
    # the panels' states win over the CLI-readable copies
    assert s.data.request() == {"source": "builtin:digits"} and s.data.tab == 4 and s.data.folder_image_size == 96
    assert (s.split.kind, s.split.k, s.split.test, s.split.seed) == ("kfold", 3, 0.1, 5)
    assert s.preprocessing.scale == "standard" and s.preprocessing.vocab_size == 500
    assert s.training.settings() == {"optimizer": "sgd", "lr": 0.01, "batch_size": 16, "epochs": 40, "seed": 1}
    assert (s.model.l2, s.model.dropout, s.model.selected) == (0.001, 0.3, 2)
    assert s.model.spec["name"] == "digits-cnn"  # the preset named at the top level, as a spec
    assert (s.run.mode, s.run.name, s.run.overlay, s.run.search.trials, s.run.search.same_seed) == \
        ("search", "try", [1], 7, False)
    assert s.guide.answers == {"goal": "classify"} and s.guide.metric == "f1"
    assert s.experiments.selected == "capacity" and s.experiments.results["capacity"]["verdict"] == "ok"
    assert s.view.current_panel == "Day & Night"
    # a wrong value the old panel skipped is left out (the default stays), the rest is kept
    assert s.daynight.n == 800 and s.daynight.epochs == 8 and s.daynight.page == 3 and s.daynight.sweep == [{"size": 16}]
    assert s.faces.threshold == 0.5 and s.faces.train.mining == "hard" and s.faces.tab == 2
    assert s.trigger_word.trigger_word == "marvin" and s.trigger_word.lr == 0.01
    assert s.style_transfer.style_layers == ["conv1_1"] and s.style_transfer.keep_colors is True
    d = s.detection
    assert (d.tab, d.data.n, d.data.format, d.train.S, d.train.sqrt_wh, d.segment.balanced) == (2, 120, "coco", 5, False, True)
    assert (d.evaluate_conf, d.live_source, d.live_conf) == (0.4, "demo", 0.3)
    assert s.explore.projector.method == "pca" and s.explore.projector.perplexity == 12.0
    assert s.explore.autoencoder.code_size == 8
    # saved again: the current format, and the same state when read back
    p.save()
    assert Project.open(tmp_path).to_dict() == p.to_dict()
    assert json.loads((tmp_path / PROJECT_FILE).read_text())["schema_version"] == SCHEMA_VERSION


def test_migration_2_to_3_opens_a_format_2_project_without_the_new_file_names(tmp_path):
    """Format 2 had no segmentation model in the project: it opens with none, every value kept."""
    (tmp_path / PROJECT_FILE).write_text(json.dumps({
        "schema_version": 2, "name": "two", "recent_runs": [],
        "detection": {"tab": 4, "segment": {"size": 48, "epochs": 3, "dice": 1.0, "balanced": True},
                      "train": {"detector_dir": "studies/detection/detector"}},
        "daynight": {"n": 300}}))
    p = Project.open(tmp_path)
    seg = p.state.detection.segment
    assert (seg.size, seg.epochs, seg.dice, seg.balanced, seg.model_dir) == (48, 3, 1.0, True, "")
    assert p.state.detection.tab == 4 and p.state.detection.train.detector_dir == "studies/detection/detector"
    assert p.state.daynight.n == 300
    p.save()
    assert json.loads((tmp_path / PROJECT_FILE).read_text())["schema_version"] == 3


def test_migration_1_to_2_of_a_project_the_cli_wrote(tmp_path):
    (tmp_path / PROJECT_FILE).write_text(json.dumps({
        "schema_version": 1, "name": "cli", "data": {"source": "builtin:iris", "target": "species"},
        "split": "kfold:4;seed=2", "preprocessing": {"scale": "none"}, "train": {"epochs": 5}, "ui": {},
        "recent_runs": []}))
    s = Project.open(tmp_path).state
    assert s.data.request() == {"source": "builtin:iris", "target": "species"}
    assert (s.split.kind, s.split.k, s.split.seed) == ("kfold", 4, 2)
    assert s.preprocessing.scale == "none" and s.training.settings() == {"epochs": 5}


def test_a_study_folder_named_in_a_project_file_never_leaves_the_project(tmp_path):
    from workbench.core.studies.project_files import project_file, save_study_folder

    proj, outside = tmp_path / "p", tmp_path / "outside"
    proj.mkdir()
    outside.mkdir()
    for crafted in ("../outside", "/etc", "studies/../../outside", ""):
        assert project_file(proj, crafted) is None
    rel = save_study_folder(proj, "daynight", "model", lambda d: (d / "model.json").write_text("{}"), "model")
    assert rel == "studies/daynight/model" and project_file(proj, rel) == proj / rel
    # written again all at once: nothing of the old copy stays behind
    save_study_folder(proj, "daynight", "model", lambda d: (d / "weights.pt").write_bytes(b""), "model")
    assert sorted(p.name for p in (proj / rel).iterdir()) == ["weights.pt"]


def test_the_split_section_and_the_split_plan_have_one_declaration():
    """The project state's split section is a SplitPlan's fields: same names, same defaults, same kinds."""
    import dataclasses
    import typing

    from workbench.core.data import SplitPlan
    from workbench.core.data.splits import KINDS
    from workbench.core.state.sections import SplitSection

    assert SplitSection().to_dict() == dataclasses.asdict(SplitPlan())
    assert typing.get_args(typing.get_type_hints(SplitSection)["kind"]) == KINDS
    assert SplitSection.from_dict({"kind": "time-kfold", "k": 3}).plan() == SplitPlan("time-kfold", k=3)
