"""The core never imports Qt; cv2/sounddevice load lazily so the app starts without them."""
import ast
import pathlib
import subprocess
import sys

CORE = pathlib.Path(__file__).resolve().parents[1] / "workbench" / "core"
FORBIDDEN_ANYWHERE = {"PySide6", "pyqtgraph", "shiboken6", "PyQt5", "PyQt6"}
FORBIDDEN_TOP_LEVEL = {"cv2", "sounddevice"}


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield node, a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node, node.module.split(".")[0]


def test_core_sources_never_import_qt():
    offenders = []
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node, mod in _imports(tree):
            if mod in FORBIDDEN_ANYWHERE:
                offenders.append(f"{path.relative_to(CORE)}:{node.lineno} imports {mod}")
        for node in tree.body:  # module level only
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for _, mod in _imports(ast.Module(body=[node], type_ignores=[])):
                    if mod in FORBIDDEN_TOP_LEVEL:
                        offenders.append(f"{path.relative_to(CORE)}:{node.lineno} imports {mod} at module level")
    assert not offenders, "\n".join(offenders)


def test_importing_all_core_modules_loads_no_qt():
    mods = []
    for p in CORE.rglob("*.py"):
        rel = p.relative_to(CORE.parent.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts[-1] == "__main__":
            continue
        mods.append(".".join(parts))
    code = (
        "import importlib, sys\n"
        f"for m in {sorted(mods)!r}:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'PySide6','pyqtgraph','shiboken6'})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"core pulled in Qt: {out.stdout}"
