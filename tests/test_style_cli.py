"""``workbench style``: run, samples, texture, and user errors exit 2."""
from __future__ import annotations

import json

from workbench.cli import main


def test_style_run_writes_png_and_settings(tmp_path, capsys):
    out = tmp_path / "res.png"
    rc = main(["style", "run", "sample:coffee", "style:mosaic", "--out", str(out), "--size", "40",
               "--steps", "4", "--report-every", "2", "--keep-colors"])
    assert rc == 0
    text = capsys.readouterr().out
    assert "iter     2" in text and "iter     4" in text and "saved" in text
    meta = json.loads(out.with_suffix(".json").read_text())
    assert meta["iterations"] == 4 and meta["keep_colors"] is True and meta["style_source"] == "style:mosaic"
    from workbench.core.studies.style_transfer import load_image

    assert load_image(out).shape[1] == 40


def test_style_texture_and_samples(tmp_path, capsys):
    assert main(["style", "texture", "brush", str(tmp_path / "b.png"), "--size", "32"]) == 0
    assert (tmp_path / "b.png").exists()
    assert main(["style", "samples"]) == 0
    assert "block10" in capsys.readouterr().out


def test_style_user_errors_exit_2(tmp_path, capsys):
    bad = tmp_path / "w.pth"
    bad.write_bytes(b"\x00garbage")
    rc = main(["style", "run", "sample:coffee", "style:dots", "--out", str(tmp_path / "x.png"),
               "--backbone", "vgg19", "--weights", str(bad), "--size", "32", "--steps", "1"])
    assert rc == 2
    assert "cannot be loaded as plain weights" in capsys.readouterr().err
    assert main(["style", "run", str(tmp_path / "missing.jpg"), "style:dots", "--out", str(tmp_path / "y.png")]) == 2
