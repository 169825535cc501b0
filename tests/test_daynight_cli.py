"""`workbench daynight ...` subcommands: generate, train, classify, export, live, errors exit 2."""
import json

import pytest

from workbench.studies_cli.daynight import main


@pytest.fixture(autouse=True)
def restore_torch_threads():
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_cli_generate_train_classify_export_live(tmp_path, capsys):
    data, model, exp = tmp_path / "data", tmp_path / "model", tmp_path / "export"
    assert main(["generate", str(data), "--n", "60", "--size", "16", "--hard-share", "0.3"]) == 0
    assert "wrote 60 images (30 day, 30 night)" in capsys.readouterr().out
    rc = main(["train", "--data", str(data), "--size", "16", "--epochs", "1", "--batch-size", "16",
               "--out", str(model), "--project", str(tmp_path / "proj"), "--threads", "1", "--json"])
    assert rc == 0
    res = json.loads(capsys.readouterr().out)
    assert res["size"] == 16 and 0 <= res["test_accuracy"] <= 1 and res["saved"] == str(model)
    assert {r["group"] for r in res["subgroups"]} >= {"all"}
    assert (model / "model.json").is_file() and list((tmp_path / "proj" / "runs").iterdir())
    assert main(["export", str(model), str(exp)]) == 0
    assert "TorchScript" in capsys.readouterr().out
    assert main(["classify", str(exp), str(data / "day"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    assert len(rows) == 30 and all(0 <= r["p_day"] <= 1 for r in rows)
    assert main(["live", str(model), "--source", "synthetic:night", "--frames", "3"]) == 0
    out = capsys.readouterr().out
    assert out.count("P(day)=") >= 1


def test_cli_user_errors_exit_2(tmp_path, capsys):
    assert main(["classify", str(tmp_path / "no-model"), "x.png"]) == 2
    assert "error:" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:  # refused by the option's declared bounds, before any work
        main(["generate", str(tmp_path / "d"), "--n", "4", "--balance", "2"])
    assert e.value.code == 2 and "from 0 to 1" in capsys.readouterr().err


def test_registered_in_the_main_cli(tmp_path, capsys):
    from workbench.cli import main as workbench_main

    assert workbench_main(["daynight", "generate", str(tmp_path / "d"), "--n", "6", "--size", "16"]) == 0
    assert "wrote 6 images" in capsys.readouterr().out
    assert workbench_main(["daynight", "live", str(tmp_path / "missing-model")]) == 2
