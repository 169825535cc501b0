"""The workbench command line: bad inputs exit 2 with one sentence, a quick train, runs, laziness."""
import json
import subprocess
import sys
import types

import pytest

from workbench.cli import COMMAND_MODULES, main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _csv(path, rows, header="a,b,label"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def assert_user_error(code, out, err, *words):
    assert code == 2
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    sentence = lines[0][len("error: "):]
    assert sentence.rstrip().endswith((".", ")")), sentence
    for w in words:
        assert w.lower() in sentence.lower(), (w, sentence)


@pytest.fixture
def table(tmp_path):
    rows = [f"{i % 7},{(i * 3) % 5},{'yes' if i % 2 else 'no'}" for i in range(40)]
    return _csv(tmp_path / "t.csv", rows)


def test_bad_inputs_exit_2_with_one_sentence_and_write_nothing(capsys, tmp_path, table):
    proj = tmp_path / "proj"
    common = ["--quiet", "--project", str(proj), "--epochs", "1"]
    assert_user_error(*run(capsys, "train", "--data", str(tmp_path / "missing.csv"), *common), "does not exist")
    (tmp_path / "empty").mkdir()
    assert_user_error(*run(capsys, "train", "--data", str(tmp_path / "empty"), *common), "empty")
    one = _csv(tmp_path / "one.csv", [f"{i},{i},yes" for i in range(10)])
    assert_user_error(*run(capsys, "train", "--data", str(one), "--target", "label", *common), "one class")
    assert_user_error(*run(capsys, "train", "--data", str(table), "--target", "nope", *common), "nope")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({"schema_version": 1, "layers": [
        {"type": "Conv2D", "filters": 4, "kernel": 3, "activation": "relu"}, {"type": "Dense", "units": 2}]}))
    assert_user_error(*run(capsys, "train", "--data", str(table), "--target", "label", "--model", str(spec), *common),
                      "Conv2D")
    assert_user_error(*run(capsys, "train", "--data", str(table), "--target", "label", "--split", "kfold:100",
                           *common), "fold")
    assert_user_error(*run(capsys, "inspect", str(tmp_path / "nothing_here")), "does not exist")
    assert_user_error(*run(capsys, "train", "--data", str(table), "--target", "label", "--model", "no-such-preset",
                           *common), "preset")
    assert not proj.exists() or not list(proj.rglob("run.json"))


def test_quick_train_prints_json_last_and_stores_a_run(capsys, tmp_path):
    proj = tmp_path / "proj"
    code, out, err = run(capsys, "train", "--data", "builtin:breast_cancer", "--model", "mlp", "--epochs", "3",
                         "--scale", "standard", "--batch-size", "64", "--lr", "0.003", "--project", str(proj),
                         "--json", "--device", "cpu")
    assert code == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert len(result["history"]) == 3 and result["task"] == "binary"
    assert result["test_metrics"]["accuracy"] > result["baseline"]["test"]["accuracy"]
    assert result["diagnosis"]["beats_baseline"] is True
    assert "epoch 3/3" in err  # the progress bar goes to stderr
    rid = result["run_id"]
    assert (proj / "runs" / rid / "run.json").is_file() and (proj / "runs" / rid / "weights.pt").is_file()
    code, out, _ = run(capsys, "runs", "list", "--project", str(proj))
    assert code == 0 and rid in out and "baseline" in out.splitlines()[0]
    code, out, _ = run(capsys, "runs", "show", rid, "--project", str(proj), "--json")
    rec = json.loads(out)
    assert rec["seed"] == 0 and rec["split"]["plan"]["kind"] == "holdout" and rec["model"]["name"] == "mlp"
    assert rec["preprocessing"]["scale"] == "standard" and "torch" in rec["versions"]
    code, out, _ = run(capsys, "runs", "compare", "--project", str(proj), "--json")
    assert json.loads(out)[0]["run_id"] == rid
    assert_user_error(*run(capsys, "runs", "show", "nope", "--project", str(proj)), "no run")
    assert_user_error(*run(capsys, "runs", "list", "--project", str(tmp_path / "none")), "does not exist")


def test_runs_list_shows_the_baseline_beside_the_scores(capsys, tmp_path):
    """The baseline column of ``runs list`` is the run's baseline on the part its score is on: the
    test set when the run was tested, the validation folds for a CV run without a test set."""
    proj = tmp_path / "proj"
    common = ["--data", "builtin:iris", "--model", "mlp", "--epochs", "2", "--scale", "standard", "--device", "cpu",
              "--project", str(proj), "--quiet", "--json"]
    runs = {}
    for split in ("holdout:0.2,0.2", "kfold:3,0"):
        code, out, err = run(capsys, "train", "--split", split, *common)
        assert code == 0, err
        res = json.loads(out.strip().splitlines()[-1])
        runs[res["run_id"]] = res["baseline"]["test" if res["test_metrics"] else "val"]["accuracy"]
    code, out, _ = run(capsys, "runs", "list", "--project", str(proj))
    header, *lines = out.strip().splitlines()
    col = header.split().index("baseline")
    shown = {ln.split()[0]: ln.split()[col] for ln in lines}
    assert shown == {rid: f"{b:.4f}" for rid, b in runs.items()} and "-" not in shown.values()
    code, out, _ = run(capsys, "runs", "compare", "--project", str(proj), "--json")
    assert {r["run_id"]: r["baseline"] for r in json.loads(out)} == runs


def test_inspect_json(capsys):
    code, out, _ = run(capsys, "inspect", "builtin:iris", "--json")
    s = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and s["n_samples"] == 150 and len(s["classes"]) == 3


def test_version_and_gui_start_do_not_import_torch():
    code = ("import sys\nfrom workbench.cli import main, build_parser\nbuild_parser()\n"
            "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('torch', 'sklearn', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("[]") and out.stdout.startswith("workbench ")


def test_no_command_starts_the_app_or_says_it_is_not_built(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "workbench.ui.app", None)
    code, out, err = run(capsys)
    assert code == 1 and "not built yet" in err
    calls = []
    fake = types.ModuleType("workbench.ui.app")
    fake.run_app = lambda argv: calls.append(argv) or 0
    monkeypatch.setitem(sys.modules, "workbench.ui.app", fake)
    assert run(capsys)[0] == 0 and len(calls) == 1
    assert "torch" not in str(calls)


def test_subcommands_register_from_a_module(capsys, monkeypatch):
    mod = types.ModuleType("wb_test_cmd")

    def register(sub):
        p = sub.add_parser("hello")
        p.set_defaults(func=lambda args: print("hi") or 0)

    mod.register = register
    monkeypatch.setitem(sys.modules, "wb_test_cmd", mod)
    monkeypatch.setitem(COMMAND_MODULES, "hello", "wb_test_cmd")
    code, out, _ = run(capsys, "hello")
    assert code == 0 and out.strip() == "hi"
