"""The Model panel: ``panel.py`` (the Panel) and one module per part (layers, summary, head,
settings). ``python -m workbench.ui.panels.model`` opens it on its own with the digits."""
from workbench.ui.panels.model.panel import ModelPanel

__all__ = ["ModelPanel"]
