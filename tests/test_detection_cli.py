"""`workbench detect ...`: generate, convert, summary, train, predict on real photos, segment, live;
user errors (a missing camera, a damaged file) exit 2 with one sentence."""
import json

import pytest

from workbench.studies_cli.detection import main


@pytest.fixture(autouse=True)
def restore_torch_threads():
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def _last_json(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


def test_cli_generate_convert_train_predict_live(tmp_path, capsys):
    data, voc, model, proj = tmp_path / "coco", tmp_path / "voc", tmp_path / "model", tmp_path / "proj"
    assert main(["generate", str(data), "--n", "48", "--format", "coco", "--json"]) == 0
    g = _last_json(capsys.readouterr().out)
    assert g["images"] == 48 and (data / "annotations.json").is_file()
    assert main(["convert", str(data), str(voc), "--to", "voc", "--json"]) == 0
    assert _last_json(capsys.readouterr().out)["images"] == 48
    assert main(["summary", str(voc), "--json"]) == 0
    s = _last_json(capsys.readouterr().out)
    assert s["boxes"] == g["boxes"] and sum(s["box_size_histogram"]["counts"]) == s["boxes"]
    rc = main(["train", "--data", str(voc), "--grid", "4", "--input-size", "64", "--epochs", "1", "--threads", "1",
               "--out", str(model), "--project", str(proj), "--json"])
    assert rc == 0
    t = _last_json(capsys.readouterr().out)
    assert 0 <= t["map50"] <= 1 and "baseline_map50" in t and t["run_id"]
    assert {"loss_xy", "loss_wh", "loss_obj", "loss_noobj", "loss_class"} <= set(t["history"][0])
    run = json.loads((proj / "runs" / t["run_id"] / "run.json").read_text())
    assert run["study"] == "detection" and "map50" in run["test_metrics"] and run["baseline"]["test"]["strategy"]
    # a real photo (scikit-image's cat) in a folder
    import cv2
    from workbench.core.studies.style_transfer.images import sample_photo

    photos = tmp_path / "photos"
    photos.mkdir()
    cv2.imwrite(str(photos / "chelsea.jpg"), sample_photo("chelsea")[..., ::-1])
    assert main(["predict", str(model), str(photos), "--json"]) == 0
    p = _last_json(capsys.readouterr().out)
    assert p["results"][0]["path"].endswith("chelsea.jpg") and p["results"][0]["width"] == 451
    assert main(["live", str(model), "--source", "synthetic:scenes", "--frames", "3", "--json"]) == 0
    assert _last_json(capsys.readouterr().out)["frames"] == 3


def test_cli_user_errors_exit_2(tmp_path, capsys):
    from workbench.core.studies.detection.model import Detector

    Detector.create(["a", "b"], size=64, S=4).save(tmp_path / "m")
    assert main(["live", str(tmp_path / "m"), "--source", "camera:9"]) == 2
    assert "camera" in capsys.readouterr().err.lower()
    (tmp_path / "m" / "model.json").write_text("{\"study\": \"detection\", \"size\": \"big\"}")
    assert main(["predict", str(tmp_path / "m"), str(tmp_path)]) == 2
    assert "damaged" in capsys.readouterr().err
    assert main(["summary", str(tmp_path / "nothing-here")]) == 2


def test_cli_segment(capsys):
    assert main(["segment", "--n", "40", "--input-size", "32", "--epochs", "1", "--dice", "0.5", "--threads", "1",
                 "--json"]) == 0
    s = _last_json(capsys.readouterr().out)
    assert [r["class"] for r in s["per_class"]] == ["background", "circle", "square", "triangle", "digit"]
    assert 0 <= s["mean_iou"] <= 1 and s["baseline"]["mean_iou"] == 0.0
    assert s["input_size"] == 32 and s["epochs"] == 1 and s["best_epoch"] == 1
