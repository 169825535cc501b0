"""``workbench explore``: the same core from the command line, --json last, user errors exit 2."""
import json

from workbench.cli import main


def _json(capsys):
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_project_cluster_save_and_errors(tmp_path, capsys):
    out = tmp_path / "points.csv"
    assert main(["explore", "project", "--data", "builtin:iris", "--method", "pca", "--components", "1,3",
                 "--out", str(out), "--json"]) == 0
    obj = _json(capsys)
    assert obj["points"] == 150 and obj["components"] == [1, 3] and len(obj["explained_variance"]) == 4
    assert out.read_text().splitlines()[0] == "row,label,x,y" and len(out.read_text().splitlines()) == 151
    assert main(["explore", "cluster", "--data", "builtin:iris", "--k", "3", "--save-dir", str(tmp_path),
                 "--name", "iris-clusters", "--clusters", "1,2", "--json"]) == 0
    obj = _json(capsys)
    assert obj["n_clusters"] == 3 and obj["ari"] > 0.5 and len(obj["table"]) == 3
    assert obj["saved"]["n_samples"] == sum(obj["sizes"][k] for k in ("0", "1"))
    assert (tmp_path / "iris-clusters.csv").is_file()
    assert main(["explore", "cluster", "--data", "builtin:iris", "--k", "many"]) == 2
    assert "--k must be" in capsys.readouterr().err
    assert main(["explore", "project", "--run", "x"]) == 2
    assert "--project" in capsys.readouterr().err


def test_autoencoder_then_its_code_and_layers(tmp_path, capsys):
    assert main(["explore", "autoencoder", "--data", "builtin:digits", "--epochs", "2", "--code", "4",
                 "--max-points", "600", "--project", str(tmp_path), "--json"]) == 0
    obj = _json(capsys)
    run = obj["run_id"]
    assert run and obj["code_layer"] == 3 and len(obj["history"]) == 2
    assert main(["explore", "layers", "--project", str(tmp_path), "--run", run, "--json"]) == 0
    layers = _json(capsys)["layers"]
    assert layers[2]["output_shape"] == [4]
    assert main(["explore", "anomalies", "--project", str(tmp_path), "--run", run, "--n", "5", "--json"]) == 0
    an = _json(capsys)
    assert an["method"] == "reconstruction" and len(an["rows"]) == 5 and an["scores"] == sorted(an["scores"])[::-1]
    assert main(["explore", "neighbours", "--project", str(tmp_path), "--run", run, "--point", "3", "--json",
                 "--max-points", "2000"]) == 0
    assert len(_json(capsys)["neighbours"]) == 8
