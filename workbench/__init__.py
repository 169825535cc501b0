"""Deep Learning Workbench: train, check and demo deep-learning models, offline, point and click."""
__version__ = "0.1.0"
