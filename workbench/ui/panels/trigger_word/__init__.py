"""Case study "Trigger word" (a package: ``panel.py`` + one module per tab)."""
from workbench.ui.panels.trigger_word.panel import TriggerWordPanel

__all__ = ["TriggerWordPanel"]
