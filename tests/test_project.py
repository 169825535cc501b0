"""Project files: save/open round trip, atomic write, damaged and newer-version files, migration."""
import json

import pytest

from workbench.core.errors import ProjectError
from workbench.core.project import MIGRATIONS, PROJECT_FILE, SCHEMA_VERSION, Project, migrate


def test_save_and_open_round_trip(tmp_path):
    p = Project.create(tmp_path / "proj", data={"spec": "builtin:digits"}, split="holdout:0.2,0.2",
                       model="digits-cnn", train={"epochs": 3}, ui={"panel": "train", "zoom": 1.5})
    p.add_run("r1")
    p.add_run("r2")
    p.add_run("r1")
    p.save()
    q = Project.open(tmp_path / "proj")
    assert q.to_dict() == p.to_dict()
    assert q.recent_runs == ["r1", "r2"] and q.ui["zoom"] == 1.5 and q.name == "proj"
    assert json.loads((tmp_path / "proj" / PROJECT_FILE).read_text())["schema_version"] == SCHEMA_VERSION
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


def test_old_files_are_migrated_step_by_step(tmp_path):
    assert set(MIGRATIONS) == set(range(SCHEMA_VERSION))
    (tmp_path / PROJECT_FILE).write_text(json.dumps({"name": "old", "config": {"epochs": 4}}))
    p = Project.open(tmp_path)
    assert p.train == {"epochs": 4} and p.ui == {} and p.name == "old"
    assert migrate({"schema_version": 0, "config": {}})["schema_version"] == SCHEMA_VERSION
    with pytest.raises(ProjectError, match="invalid format version"):
        migrate({"schema_version": "x"})
