"""``workbench faces`` subcommands end to end on tiny generated data."""
from __future__ import annotations

import json

import pytest


def _run(*argv) -> int:
    from workbench.cli import main

    return main(["faces", *map(str, argv)])


def test_faces_cli_generate_train_enroll_identify_cluster(tmp_path, capsys):
    proj = tmp_path / "proj"
    assert _run("evaluate", "--project", proj) == 2
    assert "No trained face encoder" in capsys.readouterr().err

    assert _run("generate", tmp_path / "people", "--kind", "photo", "--people", "3", "--shots", "2",
                "--size", "120") == 0
    assert len(list((tmp_path / "people").glob("*/*.png"))) == 6
    assert "wrote 6 photos" in capsys.readouterr().out

    assert _run("train-encoder", "--project", proj, "--people", "8", "--shots", "3", "--epochs", "1",
                "--image-size", "32", "--dim", "8", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["fit"]["epochs_run"] == 1 and 0.0 <= out["evaluation"]["eer"] <= 1.0
    assert (proj / "faces" / "encoder" / "encoder.pt").exists()

    assert _run("enroll", "--people", tmp_path / "people", "--project", proj, "--encoder", "own",
                "--min-sharpness", "0") == 0
    assert "photo(s) added" in capsys.readouterr().out

    photo = sorted((tmp_path / "people" / "lfw_000").glob("*.png"))[0]
    assert _run("identify", photo, "--project", proj, "--threshold", "0.001", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["faces"][0]["name"] == "lfw_000"  # the photo itself is in the gallery

    assert _run("verify", "lfw_000", photo, "--project", proj, "--threshold", "0.001") == 0
    assert "accepted" in capsys.readouterr().out

    assert _run("cluster", tmp_path / "people" / "lfw_001", "--project", proj) == 2  # 2 faces: too few
    assert "at least 3" in capsys.readouterr().err
