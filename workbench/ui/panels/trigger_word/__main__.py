"""``python -m workbench.ui.panels.trigger_word``: the panel on its own, with the demo set."""
from workbench.ui.panels.base import run_panel_standalone
from workbench.ui.panels.trigger_word.panel import TriggerWordPanel, demo_setup

raise SystemExit(run_panel_standalone(TriggerWordPanel, setup=demo_setup))
