"""Training configuration and result types (plain dataclasses, JSON-friendly)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

OPTIMIZERS = ("sgd", "rmsprop", "adam", "adamw")
STOP_REASONS = ("completed", "early_stopping", "nan", "stopped", "interrupted")
USER_STOPS = ("stopped", "interrupted")


@dataclass
class TrainConfig:
    """How to train. Defaults are the book's IMDB settings except the batch size.

    early_stopping   patience in epochs (None: train all epochs).
    restore_best     after fitting, load the weights of the best epoch (lowest val_loss, or
                     training loss without validation data).
    checkpoint_path  save the best weights there (atomically) whenever they improve.
    train_metrics    "fast": accuracy / MAE on the training batches seen during the epoch (no
                     extra pass); "full": also precision, recall, F1, AUC on them.
    threads          CPU threads for torch during this fit (None: leave torch's setting). Small
                     models on a busy machine run several times faster with 1 (no spin-waiting).
    weight_decay     None: the optimizer's usual default (0.01 for AdamW, 0 for the others); 0 is 0.
    amp              mixed precision on CUDA. Off by default: it was never measured on a GPU here.
    compile          torch.compile the forward pass of training steps (off by default: on a CPU it
                     was measured slower for our models, see benchmarks/engines.py).
    """

    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"
    seed: int = 0
    early_stopping: int | None = None
    restore_best: bool = True
    checkpoint_path: str | None = None
    momentum: float = 0.9
    weight_decay: float | None = None
    monitor: str = "val_loss"
    amp: bool = False
    train_metrics: str = "fast"
    eval_batch_size: int | None = None
    threads: int | None = None
    # re-estimate BatchNorm statistics on the training data before each evaluation while they have
    # not settled (see trainer.BN_SETTLE_STEPS); the generic runs turn it on
    settle_batchnorm: bool = False
    # compile the training step's forward pass with torch.compile; falls back to the plain model
    # where compilation fails. benchmarks/engines.py measures it: on our 2-core CPU it did not pay
    # (small models, recompiles between training and evaluation), so it is off; for GPUs
    compile: bool = False

    def __post_init__(self):
        from workbench.core.errors import TrainingError

        self.optimizer = str(self.optimizer).lower()
        if self.optimizer not in OPTIMIZERS:
            raise TrainingError(
                f"Unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}."
            )
        from workbench.core import params as P

        try:
            checked = P.validate({k: getattr(self, k) for k in P.TRAIN_PARAMS}, P.TRAIN_PARAMS,
                                 where="the training settings")
        except P.ParamError as e:
            raise TrainingError(str(e)) from None
        for k, v in checked.items():
            setattr(self, k, v)
        if int(self.epochs) < 1:
            raise TrainingError(f"The number of epochs must be at least 1 (got {self.epochs}).")
        if int(self.batch_size) < 1:
            raise TrainingError(f"The batch size must be at least 1 (got {self.batch_size}).")
        if not (float(self.lr) > 0):
            raise TrainingError(f"The learning rate must be a positive number (got {self.lr}).")
        if self.weight_decay is not None and not (float(self.weight_decay) >= 0):
            raise TrainingError(f"The weight decay must be 0 or more (got {self.weight_decay}).")
        if self.early_stopping is not None and int(self.early_stopping) < 1:
            raise TrainingError(f"Early-stopping patience must be at least 1 epoch (got {self.early_stopping}).")
        self.epochs, self.batch_size, self.lr = int(self.epochs), int(self.batch_size), float(self.lr)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        from workbench.core.jsonio import from_fields

        return from_fields(cls, d)


@dataclass
class FitResult:
    """What ``Trainer.fit`` returns.

    history      one dict per finished epoch (keys in the module docstring of trainer.py).
    best_epoch   1-based epoch with the best monitored value (0 if no epoch finished).
    stop_reason  "completed" | "early_stopping" | "nan" | "stopped" | "interrupted" (Ctrl+C).
    message      a sentence for the user about how training ended.
    best_state   CPU copy of the best weights (not serialized; RunStore saves it as weights.pt).
    """

    history: list[dict[str, Any]] = field(default_factory=list)
    best_epoch: int = 0
    stop_reason: str = "completed"
    message: str = ""
    best_state: dict | None = field(default=None, repr=False)
    monitor: str = "val_loss"
    device: str = "cpu"
    time: float = 0.0
    restored_best: bool = False

    @property
    def stopped_by_user(self) -> bool:
        return self.stop_reason in USER_STOPS

    @property
    def epochs_run(self) -> int:
        return len(self.history)

    @property
    def final_logs(self) -> dict[str, Any]:
        return self.history[-1] if self.history else {}

    @property
    def best_logs(self) -> dict[str, Any]:
        if not self.best_epoch:
            return {}
        return self.history[self.best_epoch - 1]

    def to_dict(self) -> dict[str, Any]:
        from workbench.core.jsonio import fields_dict

        return fields_dict(self, exclude=("best_state",))


@dataclass
class TrainedModel:
    """A model after training: the module, its head, how the fit went, and (for K-fold) the
    cross-validation it came from. What ``workflow.train_model`` and the lessons' ``fit`` return.

    fit           FitResult of the model kept (the final model for cross-validation)
    cv            CVResult when the model was chosen by cross-validation, else None
    train_config  the TrainConfig of that fit
    """

    model: Any
    head: Any
    fit: FitResult | None = None
    cv: Any = None
    train_config: TrainConfig | None = None

    @property
    def history(self) -> list[dict[str, Any]]:
        return self.fit.history if self.fit is not None else []

    def curve(self, key: str) -> list[float]:
        return [float(h[key]) if h.get(key) is not None else float("nan") for h in self.history]

    def predict(self, X, *, batch_size: int = 4096):
        """Activated outputs (probabilities or values) for X."""
        from workbench.core.training.trainer import predict

        return predict(self.model, self.head, X, batch_size=batch_size)

    def weights(self) -> dict | None:
        """The weights to keep: the best epoch's when they were restored, else the model's own."""
        fit = self.fit
        if fit is not None and fit.best_state is not None and fit.restored_best:
            return fit.best_state
        if self.model is None:
            return None
        return {k: v.detach().to("cpu", copy=True) for k, v in self.model.state_dict().items()}
