"""Case study 5: object detection with the YOLO loss, and segmentation (one module per tab)."""
from workbench.ui.panels.detection.panel import DetectionPanel

__all__ = ["DetectionPanel"]
