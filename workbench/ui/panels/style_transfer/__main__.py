"""``python -m workbench.ui.panels.style_transfer``: the style transfer panel on its own."""
from workbench.ui.panels.base import run_panel_standalone
from workbench.ui.panels.style_transfer.panel import StyleTransferPanel, demo

raise SystemExit(run_panel_standalone(StyleTransferPanel, setup=demo))
