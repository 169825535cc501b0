"""``python -m workbench.ui.panels.model``: the Model panel on its own, digits loaded."""
from workbench.ui.panels.base import run_panel_standalone
from workbench.ui.panels.model.panel import ModelPanel, demo

raise SystemExit(run_panel_standalone(ModelPanel, setup=demo))
