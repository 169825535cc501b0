"""The style transfer case study panel: ``panel.py`` (the Panel), ``controls.py`` (images,
network, optimization, mask brush), ``canvas.py`` (the live canvas with the painted mask)."""
from workbench.ui.panels.style_transfer.panel import StyleTransferPanel

__all__ = ["StyleTransferPanel"]
