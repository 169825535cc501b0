"""Reinforcement learning panel (case study 6)."""
from workbench.ui.panels.rl.panel import RLPanel  # noqa: F401
