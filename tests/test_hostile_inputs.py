"""The hostile-input corpus: bad files, bad options and crafted names against the command line.

Each case asserts what a user must see: exit status 2, one sentence on stderr (no traceback), and a
project folder byte-identical before and after (or, where a finished training is at stake, the run
kept as documented). Cases are grouped by family; each family has its own fixture builder.
"""
from __future__ import annotations

import hashlib
import json
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from workbench.cli import main


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` with its content hash (folders included, so none appears or vanishes)."""
    out = {}
    if not root.exists():
        return {"<missing>": ""}
    for p in sorted(root.rglob("*")):
        rel = str(p.relative_to(root))
        out[rel] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "other"
    return out


def run_cli(argv, capsys):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:  # argparse refuses a bad option before any work
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def one_sentence(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert "Traceback" not in err, err
    assert lines, "no message"
    last = lines[-1]
    assert last.startswith(("error:", "workbench")), err  # our "error: ..." or argparse's "workbench X: error: ..."
    return last


def _png(path: Path, w: int, h: int) -> None:
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
                     + chunk(b"IEND", b""))


@pytest.fixture
def world(tmp_path):
    """A project with one stored run, and a folder of bad material next to it."""
    from workbench.core.runs import RunRecord, RunStore

    proj = tmp_path / "project"
    store = RunStore(proj)
    good = RunRecord(task="multiclass", history=[{"epoch": 1, "loss": 1.0, "val_accuracy": 0.5}], best_epoch=1,
                     baseline={"test": {"accuracy": 0.3}}, test_metrics={"accuracy": 0.6}, data={"spec": "builtin:x"})
    store.save(good, run_id="good-run")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "afile.txt").write_text("not a folder")
    (bad / "empty").mkdir()
    (bad / "one" / "cats").mkdir(parents=True)
    (bad / "huge.json").write_text(json.dumps({"layers": [{"type": "Dense", "units": 10**12}]}))
    (bad / "deep.json").write_text("[" * 50_000 + "]" * 50_000)
    (bad / "broken.json").write_text("{broken")
    (bad / "list.json").write_text("[1, 2, 3]")
    (bad / "t.csv").write_text("a,b,label\n1,2,x\n3,4,y\n")
    (bad / "dir.csv").mkdir()
    return {"proj": proj, "bad": bad, "tmp": tmp_path}


def _cases():
    """(id, argv builder, words the sentence must contain)."""
    P = "{proj}"
    B = "{bad}"
    return [
        # data sources
        ("missing-path", ["train", "--data", f"{B}/nope", "--project", P], "does not exist"),
        ("empty-folder", ["train", "--data", f"{B}/empty", "--project", P], "empty"),
        ("one-class-no-images", ["train", "--data", f"{B}/one", "--project", P], "no images"),
        ("file-not-data", ["train", "--data", f"{B}/afile.txt", "--project", P], "no data rows"),
        ("csv-unknown-target", ["train", "--data", f"{B}/t.csv", "--target", "zz", "--project", P], "zz"),
        ("inspect-missing", ["inspect", f"{B}/nope"], "does not exist"),
        ("unknown-builtin", ["train", "--data", "builtin:nope", "--project", P], "nope"),
        # options, checked before any work
        ("image-size-huge", ["train", "--data", "builtin:digits", "--image-size", "100000x100000"], "out of range"),
        ("image-size-zero", ["train", "--data", "builtin:digits", "--image-size", "0x0"], "out of range"),
        ("image-size-text", ["train", "--data", "builtin:digits", "--image-size", "big"], "image size"),
        ("threads-negative", ["train", "--data", "builtin:iris", "--threads", "-3"], "from 1 to 1,024"),
        ("epochs-zero", ["train", "--data", "builtin:iris", "--epochs", "0"], "from 1 to"),
        ("batch-zero", ["train", "--data", "builtin:iris", "--batch-size", "0"], "from 1 to"),
        ("lr-negative", ["train", "--data", "builtin:iris", "--lr", "-1"], "greater than 0"),
        ("lr-nan", ["train", "--data", "builtin:iris", "--lr", "nan"], "greater than 0"),
        ("seed-negative", ["train", "--data", "builtin:iris", "--seed", "-1"], "from 0 to"),
        ("vocab-zero", ["train", "--data", "builtin:imdb", "--vocab-size", "0"], "from 1 to"),
        ("patience-zero", ["train", "--data", "builtin:iris", "--early-stopping", "0"], "from 1 to"),
        ("bad-optimizer", ["train", "--data", "builtin:iris", "--optimizer", "magic"], "optimizer"),
        ("bad-task", ["train", "--data", "builtin:iris", "--task", "nonsense"], "problem type"),
        ("bad-activation", ["train", "--data", "builtin:iris", "--activation", "nonsense"], "activation"),
        ("bad-loss", ["train", "--data", "builtin:iris", "--loss", "nonsense"], "loss"),
        ("split-garbage", ["train", "--data", "builtin:iris", "--split", "garbage"], "split"),
        ("split-k-too-large", ["train", "--data", "builtin:iris", "--split", "kfold:1000"], "folds"),
        ("split-fractions", ["train", "--data", "builtin:iris", "--split", "holdout:0.7,0.6"], ""),
        # model specs
        ("unknown-preset", ["train", "--data", "builtin:iris", "--model", "nope"], "preset"),
        ("layer-10e12-units", ["train", "--data", "builtin:iris", "--model", f"{B}/huge.json"], "memory"),
        ("spec-deep-json", ["train", "--data", "builtin:iris", "--model", f"{B}/deep.json"], "nested too deeply"),
        ("spec-broken-json", ["train", "--data", "builtin:iris", "--model", f"{B}/broken.json"], "damaged"),
        ("spec-not-object", ["train", "--data", "builtin:iris", "--model", f"{B}/list.json"], ""),
        ("spec-is-folder", ["train", "--data", "builtin:iris", "--model", f"{B}/dir.csv"], ""),
        # projects and runs
        ("project-is-file", ["train", "--data", "builtin:iris", "--project", f"{B}/afile.txt"], "is a file"),
        ("runs-missing-project", ["runs", "list", "--project", f"{B}/nope"], "does not exist"),
        ("run-id-dotdot", ["runs", "show", "..", "--project", P], "not a valid run id"),
        ("run-id-dot", ["runs", "show", ".", "--project", P], "not a valid run id"),
        ("run-id-slash", ["runs", "show", "../good-run", "--project", P], "not a valid run id"),
        ("run-id-absolute", ["runs", "show", "/etc", "--project", P], "not a valid run id"),
        ("run-id-unknown", ["runs", "show", "nope", "--project", P], "no run"),
        ("compare-unknown", ["runs", "compare", "good-run", "nope", "--project", P], "no run"),
        # experiments
        ("unknown-lesson", ["experiment", "no-such-lesson"], "Unknown experiment"),
        ("lesson-seeds-zero", ["experiment", "normalization", "--seeds", "0"], "from 1 to"),
        ("guide-without-project", ["experiment", "guide"], "project"),
    ]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c[0])
def test_bad_input_is_one_sentence_and_changes_nothing(case, world, capsys):
    name, argv, words = case
    argv = [a.format(proj=world["proj"], bad=world["bad"]) for a in argv]
    before = tree_digest(world["proj"]), tree_digest(world["bad"])
    code, out, err = run_cli(argv, capsys)
    assert code == 2, (name, code, out, err)
    sentence = one_sentence(err)
    assert words.lower() in sentence.lower(), (name, sentence)
    assert (tree_digest(world["proj"]), tree_digest(world["bad"])) == before, name


# ------------------------------------------------------------------------------------------ files
def _damage(proj: Path, run_id: str, content: str) -> None:
    (proj / "runs" / run_id / "run.json").write_text(content)


@pytest.mark.parametrize("content, says", [
    ("null", "instead of a JSON object"),
    ("[1, 2]", "instead of a JSON object"),
    (json.dumps({"history": [], "best_epoch": 5}), "past its 0 recorded"),
    (json.dumps({"history": "x"}), "'history' should be a list"),
    (json.dumps({"schema_version": 99}), "newer version"),
    ("[" * 50_000 + "]" * 50_000, "nested too deeply"),
    ("{broken", "damaged"),
    (json.dumps({"task": 5}), "'task' should be text"),
])
def test_a_damaged_run_file_is_listed_as_damaged_and_the_others_still_show(world, capsys, content, says):
    from workbench.core.runs import RunRecord, RunStore

    RunStore(world["proj"]).save(RunRecord(task="binary"), run_id="bad-run")
    _damage(world["proj"], "bad-run", content)
    before = tree_digest(world["proj"])
    code, out, err = run_cli(["runs", "list", "--project", world["proj"]], capsys)
    assert code == 0 and "good-run" in out and "bad-run: damaged" in out and says in out, out
    code, out, err = run_cli(["runs", "show", "bad-run", "--project", world["proj"]], capsys)
    assert code == 2 and says in one_sentence(err)
    assert tree_digest(world["proj"]) == before


@pytest.mark.parametrize("content, says", [
    (json.dumps({"schema_version": 1, "recent_runs": 5}), "'recent_runs' should be a list"),
    (json.dumps({"schema_version": 1, "name": ["x"]}), "'name' should be text"),
    (json.dumps({"schema_version": 1, "train": "fast"}), "'train' should be"),
    ("null", "instead of a JSON object"),
    (json.dumps({"schema_version": 7}), "newer version"),
])
def test_a_damaged_project_file_is_a_sentence(world, content, says):
    from workbench.core.errors import ProjectError
    from workbench.core.project import Project

    (world["proj"] / "project.json").write_text(content)
    with pytest.raises(ProjectError, match=says):
        Project.open(world["proj"])


def test_a_project_from_a_newer_version_is_never_overwritten(world):
    from workbench.core.errors import ProjectError
    from workbench.core.project import Project

    newer = json.dumps({"schema_version": 7, "name": "from the future", "precious": [1, 2, 3]})
    (world["proj"] / "project.json").write_text(newer)
    with pytest.raises(ProjectError, match="not overwritten"):
        Project(path=world["proj"]).save()
    assert (world["proj"] / "project.json").read_text() == newer


def test_crafted_recent_run_ids_in_a_project_file_never_reach_a_path(world):
    from workbench.core.project import Project

    (world["proj"] / "project.json").write_text(json.dumps({"schema_version": 1, "recent_runs": ["good-run", "../..", "/etc"]}))
    assert Project.open(world["proj"]).recent_runs == ["good-run"]


def test_a_weights_file_that_needs_code_is_refused_without_unsafe_advice(tmp_path):
    import pickle

    from workbench.core.errors import ProjectError
    from workbench.core.jsonio import load_weights

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    import torch

    torch.save({"w": Evil()}, tmp_path / "w.pt", pickle_module=pickle)
    with pytest.raises(ProjectError) as e:
        load_weights(tmp_path / "w.pt")
    assert "weights_only=False" not in str(e.value) and "will likely succeed" not in str(e.value)
    assert not (tmp_path / "pwned").exists()


# ------------------------------------------------------------------------------------------ images
def test_bad_images_are_skipped_with_a_reason_and_never_hang(tmp_path):
    import cv2

    from workbench.core.data import load_image_folder

    rng = np.random.default_rng(0)
    for c in ("a", "b"):
        (tmp_path / c).mkdir()
        for i in range(3):
            cv2.imwrite(str(tmp_path / c / f"{i}.png"), (rng.random((12, 12, 3)) * 255).astype(np.uint8))
    _png(tmp_path / "a" / "claims-50000x50000.png", 50_000, 50_000)
    _png(tmp_path / "a" / "claims-12000x12000.png", 12_000, 12_000)  # under OpenCV's own default limit
    (tmp_path / "b" / "truncated.jpg").write_bytes(b"\xff\xd8\xff\xe0garbage")
    (tmp_path / "b" / "empty.png").write_bytes(b"")
    os.mkfifo(tmp_path / "b" / "fifo.png")  # would block a plain open() forever
    ds = load_image_folder(tmp_path, (16, 16))
    assert len(ds) == 6
    reasons = dict((Path(p).name, r) for p, r in ds.skipped)
    assert "megapixels" in reasons["claims-50000x50000.png"] and "megapixels" in reasons["claims-12000x12000.png"]
    assert reasons["fifo.png"] == "not a regular file" and "empty.png" in reasons and "truncated.jpg" in reasons


def test_an_image_size_that_would_not_fit_in_memory_is_refused_before_loading(tmp_path, monkeypatch):
    from workbench.core import memory
    from workbench.core.data import load_image_folder
    from workbench.core.errors import WorkbenchError

    for c in ("a", "b"):
        (tmp_path / c).mkdir()
        _png(tmp_path / c / "x.png", 8, 8)
    monkeypatch.setattr(memory, "physical_memory_bytes", lambda: 1_000_000)
    with pytest.raises(WorkbenchError, match="would need .* of memory.*on-disk cache"):
        load_image_folder(tmp_path, (1024, 1024), stream=False)
    # by default such a folder streams from the on-disk cache instead of being refused
    import cv2

    for c in ("a", "b"):
        cv2.imwrite(str(tmp_path / c / "x.png"), np.full((8, 8, 3), 9, np.uint8))
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    ds = load_image_folder(tmp_path, (1024, 1024))
    assert "on-disk image cache" in ds.description and ds.X.shape == (2, 1024, 1024, 3)


# ------------------------------------------------------------------------------------------ training
def test_a_diverging_training_says_so_and_exits_non_zero(tmp_path, capsys):
    code, out, err = run_cli(["train", "--data", "builtin:breast_cancer", "--model", "mlp", "--lr", "1e9",
                              "--optimizer", "sgd", "--epochs", "3", "--quiet", "--project", tmp_path], capsys)
    assert code == 2 and "NaN" in one_sentence(err) and "Test: n/a" in out
    from workbench.core.runs import RunStore

    for rec in RunStore(tmp_path).records()[0]:  # a run with finished epochs is kept, marked and not scored
        assert rec.stop_reason == "nan" and rec.test_metrics is None


def test_a_huge_learning_rate_is_never_told_to_go_higher(capsys):
    code, out, err = run_cli(["train", "--data", "builtin:iris", "--model", "mlp", "--lr", "1e6", "--epochs", "3",
                              "--quiet"], capsys)
    diagnosis = out[out.index("Diagnosis:"):]
    assert "higher learning rate" not in diagnosis and "Lower the learning rate" in diagnosis


def test_ctrl_c_keeps_the_partial_run_marked_interrupted(tmp_path, capsys):
    import signal

    from workbench.core.runs import RunStore
    from workbench.core.training import Callback

    class CtrlC(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            if epoch == 2:
                os.kill(os.getpid(), signal.SIGINT)

    from workbench.core import training

    orig = training.ProgressBar
    training.ProgressBar = lambda *a, **k: CtrlC()  # the CLI's progress callback presses Ctrl+C at epoch 2
    try:
        code, out, err = run_cli(["train", "--data", "builtin:iris", "--model", "mlp", "--epochs", "50",
                                  "--project", tmp_path], capsys)
    finally:
        training.ProgressBar = orig
    assert code == 130 and "interrupted" in err
    (rec,) = RunStore(tmp_path).records()[0]
    assert rec.stop_reason == "interrupted" and len(rec.history) == 2
    assert RunStore(tmp_path).load_weights(rec.run_id)


def test_a_project_that_cannot_take_runs_is_found_before_training(tmp_path, capsys, monkeypatch):
    from workbench.core.training import Trainer

    started = []
    monkeypatch.setattr(Trainer, "fit", lambda *a, **k: started.append(1))
    (tmp_path / "ro").mkdir()
    monkeypatch.setattr("workbench.core.runs.store.tempfile.mkstemp",
                        lambda *a, **k: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    code, out, err = run_cli(["train", "--data", "builtin:iris", "--project", tmp_path / "ro"], capsys)
    assert code == 2 and "cannot be saved" in one_sentence(err) and not started
    assert not list((tmp_path / "ro").rglob("run.json"))


# ------------------------------------------------------------------------------------------ the app's own files
@pytest.mark.parametrize("content, says", [
    (json.dumps({"schema_version": 2, "recent_projects": 5, "splitters": "x"}), "recent_projects, splitters"),
    (json.dumps({"schema_version": 2, "current_panel": ["Data"], "geometry": 7}), "current_panel, geometry"),
    (json.dumps({"schema_version": "2"}), "not a whole number"),
    (json.dumps({"schema_version": 0}), "not a whole number"),
    ("[" * 50_000 + "]" * 50_000, "could not be read"),
    ("null", "not a JSON object"),
])
def test_wrong_typed_settings_fall_back_to_defaults_with_a_message(config_dir, content, says):
    from workbench.ui.settings import Settings, defaults, settings_path

    config_dir.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(content)
    s = Settings().load()
    assert says in s.problem
    assert isinstance(s["recent_projects"], list) and isinstance(s["splitters"], dict)
    assert isinstance(s["current_panel"], str) and s.get("geometry") in (None, defaults()["geometry"])


def test_the_self_test_checks_the_users_real_settings(config_dir):
    from workbench.selftest import _check_user_settings
    from workbench.ui.settings import settings_path

    config_dir.mkdir(parents=True, exist_ok=True)
    settings_path().write_text(json.dumps({"schema_version": 2, "recent_projects": 5}))
    status, detail = _check_user_settings()
    assert status == "info" and "recent_projects" in detail and "defaults" in detail
