"""The layers of the code base (.importlinter): entry points over the GUI over the core, and inside
the core experiments over search over workflow over studies / explore / tuning over ... over the
base modules. Imports inside functions count too, so a cycle hidden in a lazy import fails here."""
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_imports_keep_to_the_layers(capsys, monkeypatch):
    from importlinter.cli import lint_imports  # the test extras install it (pyproject.toml)

    monkeypatch.chdir(ROOT)  # the contracts are in ROOT/.importlinter
    code = lint_imports(config_filename=str(ROOT / ".importlinter"), no_cache=True, no_logo=True)
    out = capsys.readouterr().out
    assert code == 0, "An import breaks the layers (docs/ARCHITECTURE.md says where a module goes):\n" + out
