"""``python -m workbench.ui.panels.daynight``: the Day & Night panel on its own."""
from workbench.ui.panels.base import run_panel_standalone
from workbench.ui.panels.daynight.panel import DayNightPanel, demo

raise SystemExit(run_panel_standalone(DayNightPanel, setup=demo))
