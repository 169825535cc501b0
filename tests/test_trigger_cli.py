"""``workbench trigger`` subcommands (studies_cli/trigger_word.py), run in-process on tiny inputs."""
import json

import numpy as np
import pytest

from workbench.core.audio.noise import make_noise
from workbench.core.audio.wav import write_wav
from workbench.core.studies import trigger_word as tw
from workbench.studies_cli import trigger_word as cli

SR = 16000


def test_cli_generate_train_evaluate(tmp_path, capsys):
    clips = tmp_path / "c.npz"
    assert cli.main(["generate", str(clips), "--n", "6", "--material", "synthetic", "--clip-seconds", "2"]) == 0
    assert tw.ClipSet.load(clips).features.shape[0] == 6
    out = tmp_path / "m"
    assert cli.main(["train", "--out", str(out), "--clips", str(clips), "--material", "synthetic", "--val-n", "4",
                     "--epochs", "1", "--preset", "tiny", "--device", "cpu"]) == 0
    assert (out / "weights.pt").exists() and "model saved" in capsys.readouterr().out
    assert cli.main(["evaluate", str(tw.test_model_dir()), "--material", "synthetic", "--n", "6", "--hours", "0.005",
                     "--json"]) == 0
    rep = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(rep["frr"]) == len(rep["thresholds"]) and "recommended_threshold" in rep


def test_cli_detect_file_and_errors(tmp_path, capsys):
    rng = np.random.default_rng(2)
    x = make_noise("brown", 6.0, SR, level=0.01, rng=rng)
    w = tw.synthetic_word("up", SR, rng=rng)
    x[SR * 2:SR * 2 + w.size] += w
    wav = write_wav(tmp_path / "one.wav", x, SR)
    assert cli.main(["detect", str(tw.test_model_dir()), str(wav), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert len(res["events"]) == 1 and res["audio_seconds"] == pytest.approx(6.0)
    assert 2.0 < res["events"][0][0] < 3.2
    # user errors exit with 2 and a message, no traceback
    assert cli.main(["detect", str(tw.test_model_dir()), str(tmp_path / "missing.wav")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert cli.main(["detect", str(tmp_path), str(wav)]) == 2
    assert "error:" in capsys.readouterr().err


def test_registered_in_main_cli(tmp_path, capsys):
    from workbench.cli import main

    assert main(["trigger", "detect", str(tw.test_model_dir()), str(tmp_path / "missing.wav")]) == 2
    assert "does not exist" in capsys.readouterr().err
