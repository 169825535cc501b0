"""The Explore panel: beyond labels (projections, clusters, anomalies, autoencoders, next-step models).

``panel.py`` holds the thin ``ExplorePanel``; each tab is its own module (``projector``,
``clusters``, ``anomalies``, ``autoencoder``, ``forecast``, ``language``) and ``scatter`` is the
50,000-point scatter. Every computation is a ``workbench.core.explore`` call run through the
panel's ``JobRunner``."""
from workbench.ui.panels.explore.panel import ExplorePanel

__all__ = ["ExplorePanel"]
