from workbench.ui.panels.base import run_panel_standalone
from workbench.ui.panels.use.panel import UsePanel, _demo

raise SystemExit(run_panel_standalone(UsePanel, setup=_demo))
