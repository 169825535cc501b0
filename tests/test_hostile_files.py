"""Files the user owns, permissions and full disks, through the real command line in a subprocess.

Permission cases run without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH (``setpriv --bounding-set``),
so file modes stop even root, as they stop a normal user: these tests really run in CI as root.
Full-disk cases use a real 512 kB tmpfs when the test may mount one, and an injected ENOSPC
otherwise. Every case: exit status 2, one sentence, no traceback, finished within its timeout,
and the user's and the project's files byte-identical."""
from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 240
NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def digest(root: Path) -> dict:
    out = {}
    for p in sorted(root.rglob("*")):
        try:
            out[str(p.relative_to(root))] = "dir" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError:
            out[str(p.relative_to(root))] = "unreadable"
    return out


def cli(argv, *, no_dac: bool = False, timeout: int = TIMEOUT_S) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "workbench", *map(str, argv)]
    if no_dac:
        cmd = NO_DAC + cmd
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=str(ROOT))


def sentence(r: subprocess.CompletedProcess, code: int = 2) -> str:
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == code, (r.returncode, r.stdout[-500:], r.stderr[-1500:])
    last = [ln for ln in r.stderr.strip().splitlines() if ln.strip()][-1]
    assert last.startswith(("error:", "workbench")), r.stderr
    return last


def png(path: Path, seed: int = 0) -> None:
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    img = (np.random.default_rng(seed).random((16, 16, 3)) * 255).astype(np.uint8)
    path.write_bytes(cv2.imencode(".png", img)[1].tobytes())


def wav(path: Path, freq: float, seed: int = 0) -> None:
    from workbench.core.audio.wav import write_wav

    t = np.arange(8000) / 16000
    write_wav(path, 0.3 * np.sin(2 * np.pi * freq * t) + 0.01 * np.random.default_rng(seed).standard_normal(8000),
              16000)


@pytest.fixture
def world():
    """A folder the dropped-capability subprocess can traverse (pytest's tmp_path lives under a
    0700 folder), with two image classes, two sound classes, a CSV and a stored run."""
    d = Path(tempfile.mkdtemp(prefix="wb-hostile-"))
    os.chmod(d, 0o755)
    for c in ("cats", "dogs"):
        for i in range(4):
            png(d / "images" / c / f"{i}.png", seed=i + len(c))
    for c, f in (("low", 300.0), ("high", 1500.0)):
        for i in range(3):
            wav(d / "sounds" / c / f"{i}.wav", f, seed=i)
    (d / "t.csv").write_text("a,b,label\n" + "".join(f"{i},{i % 3},{'xy'[i % 2]}\n" for i in range(40)))
    yield d
    for p in [d, *d.rglob("*")]:
        with contextlib.suppress(OSError):
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
    shutil.rmtree(d, ignore_errors=True)


def _modes_apply() -> bool:
    """True when file modes will stop the subprocess: a normal user, or root that can drop
    CAP_DAC_OVERRIDE with setpriv."""
    if os.name != "posix":
        return False
    if os.geteuid() != 0:
        NO_DAC.clear()  # a normal user is already bound by the modes
        return True
    return shutil.which("setpriv") is not None and subprocess.run(
        [*NO_DAC, "true"], capture_output=True).returncode == 0


needs_setpriv = pytest.mark.skipif(not _modes_apply(), reason="file modes cannot be made to apply here")


# ------------------------------------------------------------------------------------ permissions
@needs_setpriv
@pytest.mark.parametrize("case", ["class-folder", "data-root", "audio-class-folder", "csv", "wav"])
def test_permission_denied_on_what_we_read_is_a_sentence(case, world):
    target, argv = {
        "class-folder": (world / "images" / "dogs", ["inspect", world / "images"]),
        "data-root": (world / "images", ["inspect", world / "images"]),
        "audio-class-folder": (world / "sounds" / "high", ["inspect", world / "sounds"]),
        "csv": (world / "t.csv", ["inspect", world / "t.csv"]),
        "wav": (world / "sounds" / "high", ["inspect", world / "sounds"]),
    }[case]
    for t in sorted(target.glob("*.wav")) if case == "wav" else [target]:  # every WAV of a class
        os.chmod(t, 0)
    before = digest(world)
    r = cli(argv, no_dac=True)
    text = sentence(r)
    assert "permission" in text.lower() or "cannot be read" in text or "cannot be used" in text, text
    assert digest(world) == before


@needs_setpriv
def test_a_project_whose_runs_folder_is_read_only_keeps_everything_and_says_so(world):
    proj = world / "proj"
    (proj / "runs").mkdir(parents=True)
    os.chmod(proj / "runs", 0o555)
    before = digest(world)
    r = cli(["train", "--data", "builtin:iris", "--epochs", "1", "--project", proj, "--quiet"], no_dac=True)
    text = sentence(r)
    assert "permission denied" in text or "cannot" in text, text
    assert digest(world) == before


@needs_setpriv
def test_export_into_a_folder_we_may_not_write_is_a_sentence(world):
    proj = world / "proj"
    r = cli(["train", "--data", world / "t.csv", "--target", "label", "--epochs", "1", "--project", proj,
             "--quiet", "--json"])
    assert r.returncode == 0, r.stderr
    run_id = next((proj / "runs").iterdir()).name
    out = world / "locked"
    out.mkdir()
    os.chmod(out, 0o555)
    before = digest(world)
    text = sentence(cli(["export", run_id, "--project", proj, "--out", out / "exp"], no_dac=True))
    assert "permission denied" in text, text
    assert digest(world) == before


# -------------------------------------------------------------------------------------- full disk
@contextlib.contextmanager
def small_disk(size: str = "512k"):
    """A real tmpfs of ``size`` (None where this process may not mount one)."""
    d = Path(tempfile.mkdtemp(prefix="wb-full-"))
    ok = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(d)],
                        capture_output=True).returncode == 0 if shutil.which("mount") else False
    try:
        yield d if ok else None
    finally:
        if ok:
            subprocess.run(["umount", str(d)], capture_output=True)
        shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("argv", [
    ["daynight", "generate", "{disk}/dn", "--n", "2000", "--size", "64"],
    ["detect", "generate", "{disk}/det", "--n", "400"],
    ["detect", "convert", "{src}", "{disk}/coco", "--to", "coco"],
], ids=["daynight-generate", "detect-generate", "detect-convert"])
def test_a_full_disk_leaves_nothing_half_written(argv, world):
    src = world / "yolo"
    assert cli(["detect", "generate", src, "--n", "60"]).returncode == 0
    with small_disk() as disk:
        if disk is None:
            pytest.skip("cannot mount a tmpfs here; the injected-ENOSPC test covers the writer")
        r = cli([a.format(disk=disk, src=src) for a in argv])
        assert "disk is full" in sentence(r)
        assert list(disk.iterdir()) == []  # nothing half-written, no temporary folder left


def test_an_injected_enospc_in_the_folder_writer_leaves_nothing(tmp_path, monkeypatch):
    from workbench.core.errors import WorkbenchError
    from workbench.core.studies.daynight.data import write_folder

    calls = {"n": 0}
    real = Path.write_bytes

    def full(self, data):
        calls["n"] += 1
        if calls["n"] > 5:
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(WorkbenchError, match="the disk is full"):
        write_folder(tmp_path / "dn", n=40, size=16, workers=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_tune_on_a_full_disk_is_a_sentence(world):
    with small_disk("40k") as disk:
        if disk is None:
            pytest.skip("cannot mount a tmpfs here")
        r = cli(["tune", "--data", "builtin:iris", "--space", "lr=log(1e-3,1e-1)", "--trials", "3", "--epochs", "1",
                 "--cluster", "inline", "--project", disk / "proj", "--quiet"])
        text = sentence(r)
        assert "No space left" in text or "disk is full" in text, text


# ------------------------------------------------------------------------------ the user's own files
def test_re_export_into_an_earlier_export_keeps_the_users_files(world):
    proj, out = world / "proj", world / "exp"
    assert cli(["train", "--data", world / "t.csv", "--target", "label", "--epochs", "1", "--project", proj,
                "--quiet"]).returncode == 0
    run_id = next((proj / "runs").iterdir()).name
    assert cli(["export", run_id, "--project", proj, "--out", out]).returncode == 0
    (out / "my notes.txt").write_text("mine")
    (out / "mine").mkdir()
    (out / "mine" / "a.csv").write_text("1,2\n")
    r = cli(["export", run_id, "--project", proj, "--out", out])
    assert r.returncode == 0, r.stderr
    assert (out / "my notes.txt").read_text() == "mine" and (out / "mine" / "a.csv").read_text() == "1,2\n"
    assert (out / "model.json").is_file() and not [p for p in world.iterdir() if p.name.startswith(".")]


def test_export_refuses_a_non_empty_folder_it_did_not_make(world):
    proj, out = world / "proj", world / "theirs"
    assert cli(["train", "--data", world / "t.csv", "--target", "label", "--epochs", "1", "--project", proj,
                "--quiet"]).returncode == 0
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"precious")
    before = digest(out)
    text = sentence(cli(["export", next((proj / "runs").iterdir()).name, "--project", proj, "--out", out]))
    assert "not empty" in text and digest(out) == before


def test_style_run_never_replaces_a_json_it_did_not_write(world):
    (world / "o.json").write_text('{"mine": true}')
    text = sentence(cli(["style", "run", "sample:china", "style:waves", "--out", world / "o.png", "--steps", "1",
                         "--size", "32"], timeout=120))
    assert "o.json already exists" in text
    assert (world / "o.json").read_text() == '{"mine": true}' and not (world / "o.png").exists()


def test_generators_refuse_a_folder_holding_the_users_files(world):
    (world / "dn").mkdir()
    (world / "dn" / "holiday.jpg").write_bytes(b"photo")
    before = digest(world)
    text = sentence(cli(["daynight", "generate", world / "dn", "--n", "20", "--size", "16"]))
    assert "did not write" in text and digest(world) == before


# ------------------------------------------------------------------------------- OSError families
@pytest.mark.parametrize("err", sorted(__import__("workbench.core.oserrors", fromlist=["x"])._ADVICE))
def test_every_os_error_family_has_its_sentence(err):
    from workbench.core.oserrors import describe

    text = describe(OSError(err, os.strerror(err), "/data/x"), what="data folder")
    assert text.startswith("The data folder '/data/x' cannot be used: ") and text.endswith(".")
    assert "[Errno" not in text and "\n" not in text and text.count(";") == 1
