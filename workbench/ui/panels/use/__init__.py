"""The Use panel: any trained run of the project or an exported model, on files, a folder, the
webcam or the microphone, with class probabilities as bars and a Grad-CAM heat map for images."""
from workbench.ui.panels.use.panel import UsePanel

__all__ = ["UsePanel"]
