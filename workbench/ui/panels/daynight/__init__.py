"""The Day & Night case study panel: ``panel.py`` (the Panel) and one module per group of
questions (``data_pages``, ``model_pages``, ``train_page``, ``results_page``, ``use_page``,
``export_page``)."""
from workbench.ui.panels.daynight.panel import DayNightPanel

__all__ = ["DayNightPanel"]
