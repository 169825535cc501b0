from workbench.ui.panels.base import run_panel_standalone
from workbench.ui.panels.home.panel import HomePanel

raise SystemExit(run_panel_standalone(HomePanel))
