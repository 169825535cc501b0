"""Pretrained backbone cache, export (ONNX round trip), predictors, Grad-CAM, CLI export/predict."""
import json
import subprocess
import sys

import numpy as np
import pytest

from workbench.cli import main
from workbench.core.errors import ProjectError, WorkbenchError
from workbench.core.models import Head, ModelSpec, build_model
from workbench.core.runs.export import ExportError, export_module, export_run
from workbench.core.runs.predict import open_predictor
from workbench.core.workflow import RunConfig, default_model_choice, run_training


def photo_folder(root, n=8):
    """Crops of two real photos (scikit-image's cat and coffee) as an image folder."""
    import cv2
    from skimage import data

    rng = np.random.default_rng(0)
    for name, img in (("cat", data.chelsea()), ("coffee", data.coffee())):
        (root / name).mkdir(parents=True)
        h, w = img.shape[:2]
        for k in range(n):
            y, x = int(rng.integers(0, h // 3)), int(rng.integers(0, w // 3))
            crop = np.ascontiguousarray(img[y:y + 2 * h // 3, x:x + 2 * w // 3, ::-1])
            cv2.imwrite(str(root / name / f"{k}.png"), cv2.resize(crop, (48, 48)))
    return root


SMALL_PRETRAINED = {"layers": [{"type": "Pretrained", "size": 64}, {"type": "Dropout", "rate": 0.2}]}


@pytest.fixture(scope="module")
def pet_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pets")
    folder = photo_folder(tmp / "pets")
    res = run_training(RunConfig(data=str(folder), image_size=(48, 48), model=SMALL_PRETRAINED,
                                 split="holdout:0.25,0.25", train={"epochs": 6, "batch_size": 8},
                                 project=str(tmp / "proj")))
    return tmp, res


def test_frozen_backbone_computes_each_image_once():
    import torch

    from workbench.core.models.pretrained import FEATURE_CACHE, pretrained_modules
    from workbench.core.training import TrainConfig, Trainer

    FEATURE_CACHE.clear()
    model = build_model(ModelSpec.from_dict(SMALL_PRETRAINED), (3, 32, 32), (2,), Head("multiclass", "softmax", "cce"))
    stem = pretrained_modules(model)[0].stages[0]
    calls = []
    stem.register_forward_hook(lambda m, i, o: calls.append(i[0].shape[0]))
    X = torch.rand(12, 3, 32, 32)
    y = np.array([0, 1] * 6)
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    fit = Trainer().fit(model, Head("multiclass", "softmax", "cce"), (X, y), (X[:4], y[:4]),
                        TrainConfig(epochs=4, batch_size=4))
    assert len(fit.history) == 4
    assert sum(calls) == 12  # 4 epochs of 12 images (+ validation + probe): the backbone saw each image once
    # the features are computed once per fit, not looked up again batch by batch
    assert FEATURE_CACHE.hits + FEATURE_CACHE.misses <= 2 + 12 + 4
    model.eval()
    with torch.no_grad():  # after fitting the model takes images again
        assert tuple(model(X[:3]).shape) == (3, 2)
    assert all(n.startswith("layers.1") or n.startswith("layers.2") for n in trainable)  # only the head trains
    assert not pretrained_modules(model)[0].stages[3].training  # frozen batch norm stays in eval mode


def test_pretrained_is_the_default_for_few_images_per_class_and_says_why():
    name, why = default_model_choice("image", (3, 64, 64), [12, 15])
    assert name == "pretrained-small" and "12 images" in why
    assert default_model_choice("image", (3, 64, 64), [500, 800])[0] == "shallow-cnn"
    assert default_model_choice("image", (1, 8, 8), [180] * 10)[0] == "digits-cnn"
    assert default_model_choice("audio", (98, 40), [10, 10])[0] == "audio-cnn"


def test_pretrained_run_exports_and_onnx_matches_pytorch_on_real_photos(pet_run):
    from skimage import data

    tmp, res = pet_run
    assert res.record.model["name"] == "custom" and res.test_metrics["accuracy"] >= 0.75
    out = tmp / "export"
    rep = export_run(tmp / "proj", res.run_id, out)
    assert rep["onnx_max_abs_diff"] < 1e-4 and rep["torchscript_max_abs_diff"] < 1e-4
    assert "test samples" in rep["checked_on"]
    meta = json.loads((out / "model.json").read_text())
    assert meta["class_names"] == ["cat", "coffee"] and meta["input"]["shape"] == ["batch", 3, 48, 48]
    assert meta["preprocessing"]["kind"] == "image" and meta["output"]["kind"] == "probabilities"
    # the same photos through the export (onnxruntime) and through the run (PyTorch)
    exported, run = open_predictor(out), open_predictor(res.run_id, project=tmp / "proj")
    photos = [data.chelsea(), data.coffee(), data.astronaut()]
    a, b = exported.predict_items(photos), run.predict_items(photos)
    assert np.allclose(a, b, atol=1e-4) and a.shape == (3, 2)
    assert exported.label(a[0])[0] == "cat" and exported.label(a[1])[0] == "coffee"
    # the example loads the model without Workbench (workbench cannot be imported there)
    (tmp / "cat.png").write_bytes((tmp / "pets" / "cat" / "0.png").read_bytes())
    code = ("import sys; sys.modules['workbench'] = None; sys.argv = ['example.py', sys.argv[1]]; "
            f"p = {str(out / 'example.py')!r}; exec(compile(open(p).read(), p, 'exec'), "
            "{'__file__': p, '__name__': '__main__'})")
    run_ex = subprocess.run([sys.executable, "-c", code, str(tmp / "cat.png")], capture_output=True, text=True,
                            timeout=120)
    assert run_ex.returncode == 0, run_ex.stderr
    assert "cat (" in run_ex.stdout
    # Grad-CAM heat map at the photo's size, in [0, 1]
    heat = run.explain(data.chelsea())
    assert heat.shape == data.chelsea().shape[:2] and 0.99 <= heat.max() <= 1.0 and heat.min() >= 0


def test_cli_export_and_predict(pet_run, capsys):
    tmp, res = pet_run
    out = tmp / "cli-export"
    assert main(["export", res.run_id, "--project", str(tmp / "proj"), "--out", str(out), "--format", "onnx",
                 "--json"]) == 0
    text = capsys.readouterr().out
    assert "max abs difference to PyTorch" in text and json.loads(text.strip().splitlines()[-1])["files"]["onnx"]
    assert not (out / "model.torchscript.pt").exists()
    assert main(["predict", str(out), str(tmp / "pets" / "coffee"), "--json"]) == 0
    last = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert len(last["predictions"]) == 8 and last["classes"] == ["cat", "coffee"]
    assert sum(p["label"] == "coffee" for p in last["predictions"]) >= 7
    # a run id works too (PyTorch), and bad input is one sentence with exit status 2
    assert main(["predict", res.run_id, "--project", str(tmp / "proj"), str(tmp / "pets" / "cat" / "0.png")]) == 0
    capsys.readouterr()
    (out / "model.onnx").unlink()
    assert main(["predict", str(out), str(tmp / "pets")]) == 2
    assert "missing model.onnx" in capsys.readouterr().err
    assert main(["export", res.run_id, "--project", str(tmp / "proj"), "--out", str(tmp / "x"), "--format",
                 "pdf"]) == 2
    assert "Unknown export format pdf" in capsys.readouterr().err


def test_export_refuses_a_module_the_onnx_exporter_cannot_handle(tmp_path):
    import torch
    from torch import nn

    class Odd(nn.Module):
        def forward(self, x):
            return torch.linalg.svd(x.reshape(x.shape[0], 2, -1))[1]

    with pytest.raises(ExportError, match="could not be exported to ONNX.*TorchScript only"):
        export_module(Odd(), Head("regression", "none", "mse"), tmp_path / "out", input_shape=(4,), class_names=None,
                      samples=np.random.rand(3, 4).astype(np.float32), meta={}, formats="onnx")
    assert not (tmp_path / "out").exists() and not list(tmp_path.iterdir())  # nothing half-written
    (tmp_path / "empty").mkdir()
    with pytest.raises(ProjectError, match="model.json is missing"):
        open_predictor(tmp_path / "empty")


def test_export_refuses_a_non_empty_foreign_folder_and_search_runs(tmp_path):
    res = run_training(RunConfig(data="builtin:digits", model="digits-cnn", split="holdout:0.2,0.2",
                                 train={"epochs": 1}, project=str(tmp_path / "p")))
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("mine")
    with pytest.raises(ExportError, match="not empty"):
        export_run(tmp_path / "p", res.run_id, tmp_path / "busy")
    with pytest.raises(WorkbenchError, match="no run"):
        export_run(tmp_path / "p", "20200101-000000-dead", tmp_path / "e")
    rep = export_run(tmp_path / "p", res.run_id, tmp_path / "e", "torchscript")
    assert rep["files"]["onnx"] is None and rep["torchscript_max_abs_diff"] == 0.0
    # an export from TorchScript only still predicts (digits are images)
    p = open_predictor(tmp_path / "e")
    from workbench.core.data import load_builtin

    ds = load_builtin("digits")
    probs = p.predict_items(list(ds.X[:5]))
    assert probs.shape == (5, 10)


def test_sound_model_live_on_a_synthetic_microphone_and_exported(tmp_path):
    from workbench.core.capture.audio import SyntheticAudioSource
    from workbench.core.capture.dataset import CaptureSet, record_clips
    from workbench.core.capture.live import LatestSlot, live_predict

    cs = CaptureSet.create(tmp_path / "proj", "sounds", kind="audio", seconds=0.5)
    for name, f in (("high", 3000.0), ("low", 300.0)):
        cs.add_class(name)
        record_clips(SyntheticAudioSource("tone", level=0.3, frequency=f, duration=6.0), cs, name, count=12)
    res = run_training(RunConfig(data=str(cs.folder), model="audio-gru", split="holdout:0.25,0.25", scale="standard",
                                 train={"epochs": 12, "batch_size": 8}, project=str(tmp_path / "proj")))
    assert res.record.data["source"]["seconds"] == 0.5  # the capture set's clip length
    pred = open_predictor(res.run_id, project=tmp_path / "proj")
    slot = LatestSlot()
    mic = SyntheticAudioSource("tone", level=0.3, frequency=300.0, duration=2.0, sample_rate=8000)
    out = live_predict(pred, mic, slot, hop_seconds=0.25)
    n, reading = slot.get()
    assert out["readings"] == 8 and n == 8 and reading["level"] > -20
    assert pred.label(reading["probs"])[0] == "low"  # an 8 kHz microphone, resampled like the training clips
    rep = export_run(tmp_path / "proj", res.run_id, tmp_path / "export", "onnx")
    assert rep["onnx_max_abs_diff"] < 1e-4
    meta = json.loads((tmp_path / "export" / "model.json").read_text())
    assert meta["preprocessing"]["sample_rate"] == 16000 and len(meta["preprocessing"]["filterbank"]) == 201
    rows, _ = open_predictor(tmp_path / "export").predict_paths([cs.folder / "high"])
    assert sum(r["label"] == "high" for r in rows) >= 10
