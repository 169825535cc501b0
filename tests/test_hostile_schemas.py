"""Nested fields of every file kind we read, and paths that come from files or typed text.

A damaged field is one sentence naming the file and the field; one damaged run never hides the
others; a file name from a file or from a user never leaves its folder (and a test fails when a
path is built from such a value without the safe-path helper)."""
from __future__ import annotations

import ast
import json
import os
from pathlib import Path

import numpy as np
import pytest

from workbench.cli import main
from workbench.core.errors import WorkbenchError

ROOT = Path(__file__).resolve().parents[1] / "workbench"


def run_cli(argv, capsys):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:
        code = e.code
    out = capsys.readouterr()
    return code, out.out, out.err


def last_line(err: str) -> str:
    assert "Traceback" not in err, err
    return [ln for ln in err.strip().splitlines() if ln.strip()][-1]


SPEC = {"schema_version": 1, "name": "mlp", "layers": [
    {"type": "Dense", "params": {"units": 8}, "activation": "relu", "l1": 0.0, "l2": 0.0}]}


def stored_run(proj: Path, run_id: str, **changes) -> Path:
    from workbench.core.runs import RunRecord, RunStore

    rec = RunRecord(task="multiclass", history=[{"epoch": 1, "loss": 1.0}], best_epoch=1,
                    model={"name": "mlp", "spec": json.loads(json.dumps(SPEC)), "input_shape": [4],
                           "output_shape": [3]},
                    data={"spec": "builtin:iris", "class_names": ["a", "b", "c"]},
                    preprocessing={"version": 2, "scale": "auto", "state": {}},
                    head={"task": "multiclass", "activation": "softmax", "loss": "cce"})
    RunStore(proj).save(rec, run_id=run_id)
    path = proj / "runs" / run_id / "run.json"
    d = json.loads(path.read_text())
    for dotted, value in changes.items():
        *parents, key = dotted.split(".")
        node = d
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        if isinstance(node, list):
            node[int(key)] = value
        else:
            node[key] = value
    path.write_text(json.dumps(d))
    return path


RUN_DAMAGE = {
    "layers-number": ({"model.spec.layers": 5}, "model.spec.layers"),
    "l1-text": ({"model.spec.layers.0.l1": "abc"}, "l1"),
    "spec-text": ({"model.spec": "x"}, "model.spec"),
    "class-names-number": ({"data.class_names": 5}, "data.class_names"),
    "preprocessing-state-number": ({"preprocessing.state": 5}, "preprocessing.state"),
    "input-shape-text": ({"model.input_shape": "abc"}, "model.input_shape"),
    "head-task-number": ({"head.task": 5}, "head.task"),
    "layer-type-number": ({"model.spec.layers.0.type": 7}, "type"),
}


@pytest.mark.parametrize("case", sorted(RUN_DAMAGE))
def test_a_damaged_nested_run_field_is_a_sentence_and_never_hides_the_other_runs(case, tmp_path, capsys):
    changes, words = RUN_DAMAGE[case]
    proj = tmp_path / "proj"
    stored_run(proj, "good-run")
    stored_run(proj, "bad-run", **changes)
    before = {p: p.read_bytes() for p in proj.rglob("*") if p.is_file()}
    code, out, err = run_cli(["runs", "list", "--project", proj], capsys)
    assert code == 0 and "good-run" in out and "Traceback" not in err, (out, err)
    code, out, err = run_cli(["runs", "show", "bad-run", "--project", proj], capsys)
    text = last_line(err)
    assert code == 2 and words in text and "run.json" in text, text
    assert {p: p.read_bytes() for p in proj.rglob("*") if p.is_file()} == before


# ------------------------------------------------------------------------------------- model folders
@pytest.mark.parametrize("config, words", [
    ({"embedding_dim": "big"}, "embedding size"),
    ({"embedding_dim": 10**9}, "embedding size"),
    ({"image_size": 10**6}, "face image size"),
    (5, "'config' should be an object"),
])
def test_a_damaged_face_encoder_file_is_a_sentence(config, words, tmp_path):
    from workbench.core.studies.faces.encoder import EncoderConfig, OwnEncoder, build_encoder_net

    enc = OwnEncoder(build_encoder_net(EncoderConfig(embedding_dim=8, image_size=32, width=4)),
                     EncoderConfig(embedding_dim=8, image_size=32, width=4), 0.5, {})
    enc.save(tmp_path)
    meta = json.loads((tmp_path / "encoder.json").read_text())
    meta["config"] = {**meta["config"], **config} if isinstance(config, dict) else config
    (tmp_path / "encoder.json").write_text(json.dumps(meta))
    with pytest.raises(WorkbenchError, match=words) as e:
        OwnEncoder.load(tmp_path)
    assert "encoder.json" in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("change, words", [
    ("extra-key", "does not have"),
    ("missing-key", "lacks"),
    ("wrong-shape", "has shape"),
])
def test_a_day_night_model_folder_with_foreign_weights_is_a_sentence(change, words, tmp_path, capsys):
    import torch

    from workbench.core.jsonio import load_weights, save_weights
    from workbench.core.studies.daynight.model import DayNightModel

    DayNightModel.create(16).save(tmp_path / "m")
    sd = load_weights(tmp_path / "m" / "weights.pt")
    first = next(iter(sd))
    if change == "extra-key":
        sd["bogus"] = torch.zeros(2)
    elif change == "missing-key":
        sd.pop(first)
    else:
        sd[first] = torch.zeros(1, 2, 3)
    save_weights(tmp_path / "m" / "weights.pt", sd)
    (tmp_path / "x.png").write_bytes(b"")
    code, out, err = run_cli(["daynight", "classify", tmp_path / "m", tmp_path / "x.png"], capsys)
    assert code == 2 and words in last_line(err) and "weights.pt" in last_line(err)


def test_a_day_night_model_json_with_a_text_size_is_a_sentence(tmp_path):
    from workbench.core.studies.daynight.model import DayNightModel

    DayNightModel.create(16).save(tmp_path / "m")
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    meta["size"] = "huge"
    (tmp_path / "m" / "model.json").write_text(json.dumps(meta))
    with pytest.raises(WorkbenchError, match="'size' should be a whole number"):
        DayNightModel.load(tmp_path / "m")


def test_an_optuna_journal_of_random_bytes_is_a_sentence(tmp_path, capsys):
    (tmp_path / "proj" / "tuning").mkdir(parents=True)
    (tmp_path / "proj" / "tuning" / "s1.journal").write_bytes(os.urandom(3000) + b"\n" + os.urandom(100) + b"\n")
    code, out, err = run_cli(["tune", "--list", "--project", tmp_path / "proj"], capsys)
    assert code == 0 and "s1" in out and "Traceback" not in err
    code, out, err = run_cli(["tune", "--resume", "s1", "--project", tmp_path / "proj"], capsys)
    assert code == 2 and "damaged" in last_line(err)


# -------------------------------------------------------------------------- paths from files / text
@pytest.mark.parametrize("word", ["/../../../../tmp/x/pwn", "../evil", "a/b", "x" * 300, "", "C:\\win", "ok\x00no"])
def test_a_typed_trigger_word_never_becomes_a_path(word, tmp_path, capsys):
    from workbench.core.studies.trigger_word.recipe import RecipeSettings

    with pytest.raises(WorkbenchError, match="cannot be a trigger word"):
        RecipeSettings(trigger_word=word)
    code, out, err = run_cli(["trigger", "recipe", "--word", word or " ", "--out", tmp_path / "tw", "--quick",
                              "--cache", tmp_path / "cache"], capsys)
    assert code == 2 and "cannot be a trigger word" in last_line(err)
    assert not (tmp_path / "cache").exists() and not Path("/tmp/x/pwn").exists()


# user- and file-supplied values that must never be joined to a folder without the helper; the
# entries below are the checked exceptions (why each is safe)
USER_VALUES = {"word", "trigger_word", "name", "person", "run_id", "class_name", "label", "fname", "file_name",
               "stem", "study", "text", "keyphrase", "tag"}
SAFE_HELPERS = {"check_name", "sanitize_name", "safe_child", "_check_study_name"}
CHECKED = {
    ("core/capture/dataset.py", "folder / f\"{stem}"): "the stem went through sanitize_name in import_files",
    ("core/capture/dataset.py", "dest / f.name"): "a file of the capture set itself (checked by _inside_set)",
    ("core/capture/dataset.py", "dest / f'{f.stem}"): "a file of the capture set itself (checked by _inside_set)",
    ("core/runs/store.py", "self.runs_dir / run_id"): "run_id went through check_name on the line above",
    ("core/runs/store.py", "final / p.name"): "a file of our own temporary folder",
    ("core/studies/faces/dlib_models.py", "models_dir() / name"): "a constant model file name",
    ("core/studies/faces/gallery.py", "folder / fname"): "fname is f'{number:04d}.png'",
    ("core/studies/trigger_word/model.py", "folder / name"): "constant verifier file names",
    ("core/studies/trigger_word/corpus.py", "_key("): "a hash of the settings",
    ("core/studies/trigger_word/material.py", "alsa_"): "system sound file names under /usr/share/sounds",
    ("ui/panels/training/after_run.py", "p / f'{name}-export'"): "name went through sanitize_name",
    ("core/studies/detection/annotate.py", ".stem + '.txt'"): "the stem of a file listed in that folder",
    ("core/studies/detection/formats.py", "(f.stem + '.txt')"): "the stem of a file listed in that folder",
}


def _name_parts(node) -> set:
    return {n.id if isinstance(n, ast.Name) else n.attr for n in ast.walk(node)
            if isinstance(n, (ast.Name, ast.Attribute))}


def test_no_path_is_built_from_a_user_or_file_value_without_the_safe_path_helper():
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = str(path.relative_to(ROOT))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)):
                continue
            right = node.right
            if isinstance(right, ast.Call) and _name_parts(right.func) & SAFE_HELPERS:
                continue
            used = _name_parts(right) & USER_VALUES
            if not used or isinstance(right, ast.Constant):
                continue
            code = ast.unparse(node)
            if "secrets.token_hex" in code:  # our own temporary names
                continue
            if any(rel == f and snippet in code for f, snippet in CHECKED):
                continue
            offenders.append(f"{rel}:{node.lineno} {code[:90]}")
    assert not offenders, "join these through workbench.core.safety.safe_child:\n" + "\n".join(offenders)


def test_faces_delete_image_with_a_bad_index_is_a_sentence(tmp_path):
    from workbench.core.studies.faces.gallery import Gallery

    g = Gallery(tmp_path)
    g.add_faces("Ann", [np.zeros((32, 32, 3), np.uint8)] * 2, None)
    for bad in (5, -1, "0", True):
        with pytest.raises(WorkbenchError, match="no photo"):
            g.delete_image("Ann", bad)
    g.delete_image("Ann", 1)
    assert len(g.person("Ann").images) == 1
