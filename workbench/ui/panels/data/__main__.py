"""``python -m workbench.ui.panels.data``: the Data panel on its own, with the digits loaded."""
from workbench.ui.panels.base import run_panel_standalone
from workbench.ui.panels.data.panel import DataPanel


def _demo(ctx, panel) -> None:
    panel.load({"source": "builtin:digits"})


if __name__ == "__main__":
    raise SystemExit(run_panel_standalone(DataPanel, setup=_demo))
