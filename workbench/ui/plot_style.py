"""One look for every chart: pyqtgraph axes without SI-prefix scaling.

pyqtgraph rescales an axis whose values are large or small and writes the factor into its label:
an epoch axis running 0..600 read "epoch (x0.001)", a loss axis "loss (x0.001)". Numbers as they
are read better, so every axis of the app is made without it: ``no_si_prefixes()`` runs when a
panel is built (the window, ``run_panel_standalone``) and when ``workbench.ui.widgets`` is imported.
"""
from __future__ import annotations

import sys


def no_si_prefixes() -> None:
    """Make every pyqtgraph AxisItem created from now on show plain numbers (idempotent; does
    nothing when pyqtgraph is not imported: nothing draws charts yet)."""
    pg = sys.modules.get("pyqtgraph")
    if pg is None or getattr(pg.AxisItem, "_workbench_plain_numbers", False):
        return
    original = pg.AxisItem.__init__

    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.enableAutoSIPrefix(False)

    pg.AxisItem.__init__ = __init__
    pg.AxisItem._workbench_plain_numbers = True
