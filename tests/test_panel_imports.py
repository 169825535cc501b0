"""Panels are thin: no panel module computes; it calls the core.

The rule, checked on every ``.py`` file under ``workbench/ui/panels`` (the packages other issues add
included), for imports anywhere in a file (at module level or inside a function):

1. No numerical, vision, learning or device library: ``FORBIDDEN_LIBRARIES``. Devices are behind
   ``workbench.core.capture``; computation is in ``workbench.core``.
2. None of the core's numerical building blocks: the modules in ``CORE_INTERNALS`` (all their
   names), and the functions and classes in ``CORE_BUILDING_BLOCKS``, however they are imported
   (``from workbench.core.models import build_model`` counts as ``workbench.core.models.builder``).
   Panels call the workflow and the studies' functions, which use these.
3. numpy only as plumbing between core results and widgets: every ``np.<name>`` (and every
   ``from numpy import <name>``) must be in ``NUMPY_PLUMBING`` (making, copying and reshaping
   arrays, dtypes). Reductions, statistics, random draws, sorting, thresholds and linear algebra
   (``np.mean``, ``np.argmin``, ``np.random``, ``np.where``, ``np.linalg`` ...) belong in the core.
   Methods called on arrays (``a.mean()``) are not seen by this check: the rule holds for them too.
"""
import ast
import importlib
import pathlib

import pytest

PANELS = pathlib.Path(__file__).resolve().parents[1] / "workbench" / "ui" / "panels"

FORBIDDEN_LIBRARIES = {"torch", "torchvision", "torchaudio", "sklearn", "scipy", "cv2", "skimage", "dlib", "onnx",
                       "onnxruntime", "optuna", "dask", "distributed", "umap", "openTSNE", "librosa", "numba",
                       "sounddevice", "pocketsphinx"}

CORE_INTERNALS = {
    "workbench.core.data.preprocess",            # fitting preprocessing: workflow.prepare_data / input_shape_for
    "workbench.core.data.audio_features",
    "workbench.core.audio.dsp",
    "workbench.core.training.evaluation",        # confusion matrices: the workflow's run record has them
    "workbench.core.studies.style_transfer.losses",
    "workbench.core.studies.style_transfer.features",
    "workbench.core.studies.daynight.scenes",
}
CORE_BUILDING_BLOCKS = {
    "workbench.core.models.builder": {"build_model", "plan_model", "SpecModel"},
    "workbench.core.models.backbones": {"build_backbone"},
    "workbench.core.training.trainer": {"evaluate", "predict", "make_optimizer", "seed_everything"},
    "workbench.core.training.metrics": {"compute_metrics", "baseline_scores"},
    "workbench.core.training.crossval": {"cross_validate"},
    "workbench.core.studies.daynight.model": {"to_inputs", "resize_images", "classes_at", "p_day_from_logits",
                                             "misclassified"},
    "workbench.core.studies.daynight.data": {"subgroup_report", "plan_groups"},
}
NUMPY_PLUMBING = {"ndarray", "asarray", "array", "ascontiguousarray", "frombuffer", "zeros", "zeros_like", "empty",
                  "full", "ones", "arange", "stack", "concatenate", "copy", "uint8", "uint16", "int32", "int64",
                  "float32", "float64", "bool_", "number", "integer", "floating", "nan", "dtype"}


def panel_files() -> list:
    """Every panel module; each must pass."""
    return [pytest.param(p, id=str(p.relative_to(PANELS)))
            for p in sorted(p for p in PANELS.rglob("*.py") if "__pycache__" not in p.parts)]


def _defined_in(module: str, name: str) -> tuple[str, str]:
    """(module, name) where the object ``module.name`` is defined (itself when it cannot be imported)."""
    try:
        obj = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return module, name
    if isinstance(obj, type(importlib)):  # a submodule
        return obj.__name__, ""
    return getattr(obj, "__module__", module) or module, getattr(obj, "__name__", name)


def _core_violation(module: str, name: str) -> str | None:
    where, what = _defined_in(module, name) if name else (module, "")
    if where in CORE_INTERNALS or module in CORE_INTERNALS:
        return f"{where} (a numerical core internal)"
    if what in CORE_BUILDING_BLOCKS.get(where, ()):
        return f"{where}.{what} (a numerical building block of the core)"
    return None


def violations(path: pathlib.Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    numpy_names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                top = a.name.split(".")[0]
                if top in FORBIDDEN_LIBRARIES:
                    out.append(f"line {node.lineno}: imports {a.name}")
                elif top == "numpy":
                    if a.name != "numpy":
                        out.append(f"line {node.lineno}: imports {a.name}")
                    numpy_names.add(a.asname or "numpy")
                elif a.name.startswith("workbench.core") and (why := _core_violation(a.name, "")):
                    out.append(f"line {node.lineno}: imports {why}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            if top in FORBIDDEN_LIBRARIES:
                out.append(f"line {node.lineno}: imports from {node.module}")
            elif top == "numpy":
                out += [f"line {node.lineno}: takes numpy.{a.name} (computation, not plumbing)"
                        for a in node.names if node.module != "numpy" or a.name not in NUMPY_PLUMBING]
            elif node.module.startswith("workbench.core"):
                for a in node.names:
                    why = _core_violation(node.module, a.name)
                    if why:
                        out.append(f"line {node.lineno}: imports {why}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in numpy_names
                and node.attr not in NUMPY_PLUMBING):
            out.append(f"line {node.lineno}: computes with numpy.{node.attr}")
    return out


@pytest.mark.parametrize("path", panel_files())
def test_panel_module_does_not_compute(path):
    found = violations(path)
    assert not found, f"{path.relative_to(PANELS.parents[2])} computes instead of calling the core:\n" + "\n".join(found)


def test_the_check_catches_what_it_forbids(tmp_path):
    """The rule is not vacuous: each kind of import it forbids is reported."""
    bad = tmp_path / "bad_panel.py"
    bad.write_text(
        "import numpy as np\n"
        "from sklearn.metrics import confusion_matrix\n"
        "def f(x):\n"
        "    import torch\n"
        "    from workbench.core.models import build_model\n"
        "    from workbench.core.data.preprocess import Preprocessor\n"
        "    from workbench.core.training import compute_metrics, Trainer\n"
        "    return np.argmin(np.asarray(x)), np.random.default_rng(0)\n")
    found = "\n".join(violations(bad))
    for what in ("sklearn.metrics", "torch", "builder.build_model", "preprocess", "metrics.compute_metrics",
                 "numpy.argmin", "numpy.random"):
        assert what in found, (what, found)
    assert "Trainer" not in found and "asarray" not in found  # the engine object and plumbing are fine
