"""``python -m workbench.ui.panels.explore``: the Explore panel on its own, with the digits loaded."""
from workbench.ui.panels.base import run_panel_standalone
from workbench.ui.panels.explore.panel import ExplorePanel


def _demo(ctx, panel) -> None:
    panel.load("builtin:digits")


if __name__ == "__main__":
    raise SystemExit(run_panel_standalone(ExplorePanel, setup=_demo))
