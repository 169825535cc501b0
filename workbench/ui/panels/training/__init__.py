"""The Train panel: ``panel.py`` (the Panel) and one module per tab (live, runs, crossval, search,
evaluation). ``python -m workbench.ui.panels.training`` opens it on its own with the digits."""
from workbench.ui.panels.training.panel import TrainingPanel

__all__ = ["TrainingPanel"]
