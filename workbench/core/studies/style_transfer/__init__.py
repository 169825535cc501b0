"""Case study 3: neural style transfer (Gatys et al.) with offline ImageNet backbones. No Qt here."""
from workbench.core.models.backbones import BACKBONES, BackboneInfo, backbone_layers, build_backbone
from workbench.core.studies.style_transfer.features import FeatureExtractor, fold_batchnorm, get_backbone
from workbench.core.studies.style_transfer.images import (
    SAMPLE_PHOTOS,
    STYLE_NAMES,
    camera_snapshot,
    generate_style,
    keep_luminance,
    load_image,
    resolve_image,
    sample_photo,
    save_png,
)
from workbench.core.studies.style_transfer.losses import content_loss, gram_matrix, style_loss, tv_loss
from workbench.core.studies.style_transfer.transfer import (
    INITS,
    OPTIMIZERS,
    StyleJob,
    StyleProgress,
    StyleSettings,
    StyleTransfer,
    save_result,
)

__all__ = [
    "BACKBONES", "BackboneInfo", "backbone_layers", "save_result", "build_backbone", "FeatureExtractor", "fold_batchnorm", "get_backbone",
    "SAMPLE_PHOTOS", "STYLE_NAMES", "generate_style", "keep_luminance", "load_image", "resolve_image",
    "sample_photo", "save_png", "content_loss", "gram_matrix", "style_loss", "tv_loss", "INITS", "OPTIMIZERS",
    "StyleJob", "StyleProgress", "StyleSettings", "StyleTransfer", "camera_snapshot",
]
