"""``python -m workbench.ui.panels.experiments``: the Experiments panel on its own."""
from workbench.ui.panels.base import run_panel_standalone
from workbench.ui.panels.experiments.panel import ExperimentsPanel

raise SystemExit(run_panel_standalone(ExperimentsPanel))
