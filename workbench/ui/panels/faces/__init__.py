"""Faces panel package: ``panel.py`` (FacesPanel) and one module per part of the page."""
from workbench.ui.panels.faces.panel import FacesPanel

__all__ = ["FacesPanel"]
