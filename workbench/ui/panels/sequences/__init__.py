"""The Sequences & Shots panel (see ``panel.py``)."""
from workbench.ui.panels.sequences.panel import SequencesPanel

__all__ = ["SequencesPanel"]
