"""The Data panel: choose a source, look at the data, choose preprocessing and the split.

``panel.py`` holds the thin ``DataPanel``; each tab is its own module (``samples``, ``summary``,
``preprocessing``, ``split``) and the source bar is ``source``. Long work (loading, splitting,
the preprocessing preview) runs through ``workbench.ui.job_runner.JobRunner`` and calls core
functions only (``workbench.core.data``)."""
from workbench.ui.panels.data.panel import DataPanel

__all__ = ["DataPanel"]
