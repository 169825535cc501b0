"""``python -m workbench.ui.panels.worksheets``: the Worksheets panel on its own."""
from workbench.ui.panels.base import run_panel_standalone
from workbench.ui.panels.worksheets.panel import WorksheetsPanel

raise SystemExit(run_panel_standalone(WorksheetsPanel))
