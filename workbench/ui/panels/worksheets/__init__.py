"""The Worksheets panel: ``panel.py`` (the Panel: worksheets and their questions), ``question.py``
(one question: answers, run, every answer's result, the reveal)."""
from workbench.ui.panels.worksheets.panel import WorksheetsPanel

__all__ = ["WorksheetsPanel"]
