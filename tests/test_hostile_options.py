"""Unbounded options and the functional defects found with them.

Every numeric option has declared bounds (workbench.core.params) checked before any work: the
command answers with one sentence and exit status 2 at once, whatever the value. The memory a
request needs is estimated on every allocation-heavy path."""
from __future__ import annotations

import signal

import numpy as np
import pytest

from workbench.cli import main


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


BOUNDED = {
    "epochs-huge": (["train", "--data", "builtin:iris", "--epochs", "10000000000000000000000"], "number of epochs"),
    "iterated-kfold-huge": (["train", "--data", "builtin:iris", "--split", "iterated-kfold:100000x2"], "repeats"),
    "kfold-plan-too-many": (["train", "--data", "builtin:iris", "--split", "iterated-kfold:100x1000"], "trainings"),
    "rounds-zero": (["trigger", "recipe", "--rounds", "0", "--out", "{tmp}/tw"], "number of rounds"),
    "experiment-seeds": (["experiment", "normalization", "--seeds", "100000"], "number of seeds"),
    "seed-huge": (["train", "--data", "builtin:iris", "--seed", "99999999999999999999"], "seed"),
    "detect-size": (["detect", "generate", "{tmp}/d", "--size", "100000"], "scene side"),
    "daynight-n": (["daynight", "generate", "{tmp}/d", "--n", "100000000"], "number of samples"),
    "batch-huge": (["train", "--data", "builtin:iris", "--batch-size", "10000000000"], "batch size"),
    "lr-inf": (["train", "--data", "builtin:iris", "--lr", "inf"], "learning rate"),
    "threads-zero": (["tune", "--data", "builtin:iris", "--threads", "0"], "threads"),
    "trials-huge": (["tune", "--data", "builtin:iris", "--trials", "10000000"], "trials"),
    "faces-dim": (["faces", "train-encoder", "--dim", "1000000000"], "embedding size"),
    "style-steps": (["style", "run", "a", "b", "--out", "{tmp}/o.png", "--steps", "0"], "number of steps"),
    "explore-epochs": (["explore", "autoencoder", "--data", "builtin:digits", "--epochs", "1e30"], "number of epochs"),
    "cluster-scheme": (["tune", "--data", "builtin:iris", "--cluster", "banana://x"], "not a Dask scheduler"),
    "image-size-huge": (["train", "--data", "builtin:digits", "--image-size", "100000x100000"], "image size"),
}


@pytest.mark.parametrize("case", sorted(BOUNDED))
def test_an_out_of_bounds_option_is_refused_before_any_work(case, tmp_path, capsys):
    argv, words = BOUNDED[case]
    code, out, err = run_cli([a.format(tmp=tmp_path) for a in argv], capsys)
    text = last_line(err)
    assert code == 2 and words in text, text
    assert list(tmp_path.iterdir()) == []  # nothing was written


def test_a_cluster_that_does_not_answer_is_a_sentence_within_seconds(capsys):
    from workbench.core.tuning import executors

    code, out, err = run_cli(["tune", "--data", "builtin:iris", "--space", "lr=log(1e-3,1e-1)",
                              "--cluster", "tcp://127.0.0.1:9"], capsys)
    assert code == 2 and "Cannot reach the Dask scheduler" in last_line(err)
    assert "Loading" not in err  # refused before the data were loaded
    assert executors.PROBE_TIMEOUT_S <= 5


def test_an_image_size_whose_training_would_not_fit_is_refused_with_the_estimate(tmp_path, monkeypatch, capsys):
    import cv2

    from workbench.core import memory

    for c in ("a", "b"):
        (tmp_path / c).mkdir()
        for i in range(3):
            img = (np.random.default_rng(i).random((8, 8, 3)) * 255).astype(np.uint8)
            (tmp_path / c / f"{i}.png").write_bytes(cv2.imencode(".png", img)[1].tobytes())
    monkeypatch.setattr(memory, "physical_memory_bytes", lambda: 512 * 1024**2)
    code, out, err = run_cli(["train", "--data", tmp_path, "--image-size", "1024x1024", "--model", "shallow-cnn",
                              "--quiet"], capsys)
    text = last_line(err)
    assert code == 2 and "Training this model on inputs of 3x1024x1024" in text and "would need" in text, text


@pytest.mark.parametrize("generate, words", [
    (lambda: __import__("workbench.core.studies.daynight.data", fromlist=["x"]).generate_dataset(100_000, 1024),
     "would need"),
    (lambda: __import__("workbench.core.studies.detection.scenes", fromlist=["x"]).generate_scenes(10**6, 1024),
     "would need"),
])
def test_generators_estimate_their_memory_first(generate, words, monkeypatch):
    from workbench.core import memory
    from workbench.core.errors import WorkbenchError

    monkeypatch.setattr(memory, "physical_memory_bytes", lambda: 4 * 1024**3)
    with pytest.raises(WorkbenchError, match=words):
        generate()


def test_ctrl_c_while_planning_folds_stops_at_once():
    """Before the first batch nothing is worth keeping: the first Ctrl+C interrupts (the trainer's
    cooperative stop is only checked between batches)."""
    from workbench.cli import _interrupt_stops
    from workbench.core.training import Trainer

    trainer = Trainer()
    with pytest.raises(KeyboardInterrupt):
        with _interrupt_stops(trainer) as guard:
            guard._handler(signal.SIGINT, None)


# ------------------------------------------------------------------------------ functional defects
def test_a_small_sound_folder_trained_5_epochs_is_evaluated_with_settled_batchnorm(tmp_path):
    from workbench.core.audio.wav import write_wav
    from workbench.core.workflow import RunConfig, run_training

    rng = np.random.default_rng(0)
    t = np.arange(16000) / 16000
    for c, f in (("low", 300.0), ("high", 1500.0)):
        for i in range(40):
            x = 0.3 * np.sin(2 * np.pi * f * (1 + 0.05 * rng.standard_normal()) * t) + 0.05 * rng.standard_normal(16000)
            write_wav(tmp_path / "snd" / c / f"{i:02d}.wav", x, 16000)
    res = run_training(RunConfig(data=str(tmp_path / "snd"), train={"epochs": 5}))
    rec = res.record
    assert rec.model.get("name") == "audio-cnn"  # the default sound model has BatchNorm
    assert rec.history[-1]["val_accuracy"] >= 0.9 and rec.test_metrics["accuracy"] >= 0.9, rec.test_metrics


@pytest.mark.parametrize("values", ["real", "whole"])
def test_a_plain_date_value_series_is_forecast(values, tmp_path):
    from workbench.core.data import load_data
    from workbench.core.explore.forecast import ForecastSettings, forecast

    rows = ["date,value"] + [f"2021-{1 + i // 28:02d}-{1 + i % 28:02d},"
                             + (f"{10 + np.sin(i / 5):.3f}" if values == "real" else str(i % 7)) for i in range(300)]
    (tmp_path / "s.csv").write_text("\n".join(rows) + "\n")
    for kwargs in ({}, {"time_column": "date"}):
        ds = load_data(str(tmp_path / "s.csv"), **kwargs)
        r = forecast(ds, ForecastSettings(epochs=1, window=8))
        assert r.scores and np.isfinite([s["model_mae"] if isinstance(s, dict) else 0 for s in r.scores]).all()


def test_a_bag_of_words_text_run_exports_and_its_example_agrees(tmp_path):
    from workbench.core.runs.export import export_run
    from workbench.core.runs.predict import open_predictor
    from workbench.core.workflow import RunConfig, run_training

    words = {"pos": "good great fine lovely superb nice happy", "neg": "bad awful poor terrible sad boring dull"}
    rows = ["text,label"] + [f"{' '.join(np.random.default_rng(i).permutation(words[k].split())[:4])},{k}"
                             for i in range(60) for k in ("pos", "neg")]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    res = run_training(RunConfig(data=str(tmp_path / "t.csv"), target="label", train={"epochs": 2},
                                 project=str(tmp_path / "proj")))
    export_run(tmp_path / "proj", res.run_id, tmp_path / "exp")
    (tmp_path / "x.txt").write_text("great lovely film")
    rows, skipped = open_predictor(tmp_path / "exp").predict_paths([tmp_path / "x.txt"])
    assert not skipped and rows[0]["label"] in ("pos", "neg")


def test_the_audio_folder_check_does_not_trip_over_an_unreadable_class_folder(tmp_path, monkeypatch):
    from pathlib import Path

    from workbench.core.data.audio import is_audio_folder

    for c in ("a", "b"):
        (tmp_path / c).mkdir()
        (tmp_path / c / "x.wav").write_bytes(b"")
    real = Path.iterdir

    def deny(self):
        if self.name == "b":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "iterdir", deny)
    assert is_audio_folder(tmp_path) is True  # the readable class decides; the scan reports the other
