"""Deep Learning Workbench: train, check and demo deep-learning models, offline, point and click."""
import os as _os

__version__ = "0.1.0"

# OpenCV reads this limit once, when it is loaded: images whose header claims more pixels are
# refused before any memory is allocated (OpenCV's own default is 2^30, 3 GB for one RGB image).
MAX_IMAGE_PIXELS = 100_000_000
_os.environ.setdefault("OPENCV_IO_MAX_IMAGE_PIXELS", str(MAX_IMAGE_PIXELS))
