"""Training engine: Trainer.fit with callbacks, metrics, baseline, diagnosis, cross-validation (searches
are in ``workbench.core.tuning``)."""
from workbench.core.training.callbacks import (
    BatchInfo,
    Callback,
    EarlyStopping,
    History,
    ModelCheckpoint,
    ProgressBar,
)
from workbench.core.training.config import FitResult, TrainConfig, TrainedModel
from workbench.core.training.crossval import CVResult, cross_validate
from workbench.core.training.diagnosis import Diagnosis, diagnose
from workbench.core.training.metrics import baseline_scores, compute_metrics, primary_metric
from workbench.core.training.trainer import Trainer, evaluate, make_optimizer, predict, seed_everything

__all__ = [
    "BatchInfo", "Callback", "EarlyStopping", "History", "ModelCheckpoint", "ProgressBar",
    "FitResult", "TrainConfig", "TrainedModel", "CVResult", "cross_validate",
    "Diagnosis", "diagnose", "baseline_scores", "compute_metrics", "primary_metric",
    "Trainer", "evaluate", "make_optimizer", "predict", "seed_everything",
]
