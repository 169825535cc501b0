"""``workbench faces`` subcommands end to end: every one prints one JSON object last with --json."""
from __future__ import annotations

import json

import numpy as np
import pytest

from workbench.core.studies.faces import dlib_models

COMMON = {"command", "decision", "distance", "threshold", "encoder", "boxes"}


def _run(*argv) -> int:
    from workbench.cli import main

    return main(["faces", *map(str, argv)])


def _json(capsys) -> dict:
    out = capsys.readouterr().out
    obj = json.loads(out)  # the whole of stdout is one JSON object
    assert isinstance(obj, dict) and COMMON <= set(obj), obj
    return obj


def _people(root, n=3, shots=2):
    """Folders of real faces (LFW crops in real photo backgrounds), one per person."""
    import cv2

    from workbench.core.studies.faces.realfaces import lfw_scenes

    scenes = lfw_scenes(face_px=150, size=(400, 300))
    for p in range(n):
        d = root / f"person_{p}"
        d.mkdir(parents=True)
        for s in range(shots):
            img = scenes[10 * p + 3].image if s == 0 else np.ascontiguousarray(scenes[10 * p + 3].image[:, ::-1])
            cv2.imwrite(str(d / f"{s}.png"), img[..., ::-1])
    return root


def test_faces_cli_own_encoder_json_and_errors(tmp_path, capsys):
    proj = tmp_path / "proj"
    assert _run("evaluate", "--project", proj, "--encoder", "own", "--json") == 2
    cap = capsys.readouterr()
    assert "No trained face encoder" in cap.err and "No trained face encoder" in json.loads(cap.out)["error"]

    assert _run("generate", tmp_path / "gen", "--kind", "photo", "--people", "2", "--shots", "2", "--size", "120",
                "--json") == 0
    assert _json(capsys)["photos"] == 4 and len(list((tmp_path / "gen").glob("*/*.png"))) == 4

    assert _run("train-encoder", "--project", proj, "--data", "lfw", "--shots", "2", "--epochs", "1",
                "--image-size", "32", "--dim", "8", "--detector", "haar", "--json") == 0
    out = _json(capsys)
    ev = out["evaluation"]
    assert out["fit"]["epochs_run"] == 1 and 0.0 <= ev["eer"] <= 1.0 and out["encoder"] == "own"
    assert ev["threshold_from"] == "validation people" and ev["measured_on"].startswith("20 people")
    assert set(ev["people"]["train"]).isdisjoint(ev["people"]["test"])
    assert (proj / "faces" / "encoder" / "encoder.pt").exists()

    assert _run("evaluate", "--project", proj, "--encoder", "own", "--data", "lfw", "--shots", "2", "--json") == 0
    ev2 = _json(capsys)
    assert ev2["evaluation"]["people"]["test"] == ev["people"]["test"] and not ev2["evaluation"]["excluded"]

    people = _people(tmp_path / "people")
    assert _run("enroll", "--people", people, "--project", proj, "--encoder", "own", "--detector", "haar",
                "--min-sharpness", "0", "--json") == 0
    out = _json(capsys)
    assert [p["accepted"] for p in out["people"]] == [2, 2, 2] and out["encoder"] == "own"

    photo = sorted((people / "person_1").glob("*.png"))[0]
    assert _run("identify", photo, "--project", proj, "--encoder", "own", "--detector", "haar", "--threshold",
                "0.001", "--json") == 0
    out = _json(capsys)
    assert out["decision"] == "person_1" and len(out["boxes"]) == 1 and out["results"][0]["file"] == str(photo)

    assert _run("verify", "person_1", photo, "--project", proj, "--encoder", "own", "--detector", "haar",
                "--threshold", "0.001", "--json") == 0
    out = _json(capsys)
    assert out["decision"] == "accepted" and out["distance"] < 1e-3 and out["threshold"] == 0.001
    assert _run("verify", "person_0", photo, "--project", proj, "--encoder", "own", "--detector", "haar",
                "--threshold", "0.001", "--json") == 1
    assert _json(capsys)["decision"] == "rejected"

    assert _run("cluster", people / "person_0", "--project", proj, "--encoder", "own", "--json") == 2
    assert "at least 3" in json.loads(capsys.readouterr().out)["error"]

    assert _run("detect", photo, "--detector", "haar", "--json") == 0
    out = _json(capsys)
    assert out["detector"] == "haar" and len(out["boxes"]) == 1


@pytest.mark.skipif(not dlib_models.dlib_status()[0], reason="dlib is not installed on this system")
def test_faces_cli_defaults_to_dlib_and_hog(tmp_path, capsys):
    from skimage import data

    import cv2

    proj = tmp_path / "proj"
    people = _people(tmp_path / "people", n=3, shots=2)
    assert _run("enroll", "--people", people, "--project", proj, "--min-sharpness", "0", "--json") == 0
    out = _json(capsys)
    assert out["encoder"] == "dlib" and out["detector"] == "hog" and out["aligned"] is True
    photo = sorted((people / "person_2").glob("*.png"))[1]
    assert _run("verify", "person_2", photo, "--project", proj, "--json") == 0
    out = _json(capsys)
    assert out["decision"] == "accepted" and out["encoder"] == "dlib" and out["threshold"] == 0.6
    astro = tmp_path / "astronaut.png"
    cv2.imwrite(str(astro), data.astronaut()[..., ::-1])
    assert _run("verify", "person_2", astro, "--project", proj, "--json") == 1  # somebody else
    out = _json(capsys)
    assert out["decision"] == "rejected" and out["distance"] > 0.6 and len(out["boxes"]) == 1
    assert _run("identify", astro, "--project", proj, "--json") == 0
    assert _json(capsys)["decision"] == "unknown"
