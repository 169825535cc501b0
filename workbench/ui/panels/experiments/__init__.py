"""The Experiments panel: ``panel.py`` (the Panel), ``lesson.py`` (one lesson's page), ``guide.py``
(the workflow guide), ``charts.py`` (drawing a lesson's charts)."""
from workbench.ui.panels.experiments.panel import ExperimentsPanel

__all__ = ["ExperimentsPanel"]
