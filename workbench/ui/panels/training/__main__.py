"""``python -m workbench.ui.panels.training``: the Train panel on its own, digits loaded."""
from workbench.ui.panels.base import run_panel_standalone
from workbench.ui.panels.training.panel import TrainingPanel, demo

raise SystemExit(run_panel_standalone(TrainingPanel, setup=demo))
