"""Face encoders: a small CNN trained with the triplet loss, and the common encoder interface.

Every encoder turns RGB uint8 face crops into L2-normalized embeddings (N, D) float32; distances
between embeddings are Euclidean (not squared) everywhere a threshold is involved, so the dlib
encoder's published threshold (0.6) and ours are on the same kind of scale.
"""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from workbench.core.errors import DataError, ProjectError, TrainingError
from workbench.core.studies.faces.detect import normalize_faces
from workbench.core.studies.faces.triplet import MINING
from workbench.core.training.callbacks import Callback


class FaceEncoder(Protocol):
    name: str               # "own" or "dlib"
    key: str                # identifies the exact weights: embeddings from different keys don't mix
    embedding_dim: int
    default_threshold: float

    def embed(self, crops: Sequence[np.ndarray]) -> np.ndarray: ...


BACKBONES = ("scratch", "mobilenet_v2")


@dataclass
class EncoderConfig:
    """Settings of the own encoder and its triplet training."""

    embedding_dim: int = 64
    image_size: int = 64
    width: int = 16            # channels of the first conv block (doubles twice)
    margin: float = 0.2
    mining: str = "semi-hard"
    epochs: int = 20
    batch_size: int = 64
    lr: float = 2e-3
    seed: int = 0
    backbone: str = "scratch"  # "scratch" or "mobilenet_v2" (ImageNet weights, fine-tuned)

    def __post_init__(self):
        from workbench.core import params as P

        try:
            P.validate({"dim": self.embedding_dim, "image_size": self.image_size, "width": self.width,
                        "epochs": self.epochs, "batch_size": self.batch_size, "lr": self.lr, "seed": self.seed},
                       (P.EMBEDDING_DIM, P.param(P.IMAGE_SIDE, "image_size", "face image size", high=512),
                        P.WIDTH, P.EPOCHS, P.BATCH_SIZE, P.LR, P.SEED), where="the face encoder settings")
        except P.ParamError as e:
            raise TrainingError(str(e)) from None
        if self.mining not in MINING:
            raise TrainingError(f"Unknown mining {self.mining!r}; choose one of {', '.join(MINING)}.")
        if int(self.embedding_dim) < 2:
            raise TrainingError("The embedding size must be at least 2.")
        if int(self.image_size) < 32 or int(self.image_size) % 16:
            raise TrainingError("The face image size must be a multiple of 16, at least 32 (e.g. 64).")
        if float(self.margin) < 0:
            raise TrainingError("The triplet margin must be >= 0 (e.g. 0.2).")
        if self.backbone not in BACKBONES:
            raise TrainingError(f"Unknown encoder backbone {self.backbone!r}; choose one of {', '.join(BACKBONES)}.")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "EncoderConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def build_encoder_net(cfg: EncoderConfig):
    """The own encoder's network; its output is the L2-normalized embedding.

    scratch: four conv blocks, then a linear map of the 4x4 feature map to the embedding.
    Flattening the final 4x4 map (rather than global pooling) keeps where things are in the face
    (eye spacing, mouth height), which is much of what tells two people apart.
    mobilenet_v2: the ImageNet MobileNetV2 of ``workbench.core.models.backbones`` (its first
    blocks frozen), global pooling, a linear map to the embedding.
    """
    import torch
    from torch import nn

    if cfg.backbone == "mobilenet_v2":
        from workbench.core.models.backbones import load_mobilenet_v2

        class MobileFaceNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = load_mobilenet_v2().features
                for p in self.features[:FROZEN_MOBILENET_BLOCKS].parameters():
                    p.requires_grad_(False)
                self.fc = nn.Linear(1280, cfg.embedding_dim)

            def forward(self, x):
                z = nn.functional.adaptive_avg_pool2d(self.features(x), 1).flatten(1)
                return nn.functional.normalize(self.fc(z), dim=1)

            def penalty(self):
                return torch.zeros(())

        return MobileFaceNet()

    w = int(cfg.width)

    def block(cin, cout):
        return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                             nn.ReLU(inplace=True), nn.MaxPool2d(2))

    class FaceEncoderNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(block(3, w), block(w, 2 * w), block(2 * w, 4 * w), block(4 * w, 4 * w))
            side = cfg.image_size // 16
            self.pool = nn.AdaptiveAvgPool2d(4) if side != 4 else nn.Identity()
            self.fc = nn.Linear(4 * w * 16, cfg.embedding_dim)

        def forward(self, x):
            z = self.pool(self.features(x)).flatten(1)
            return nn.functional.normalize(self.fc(z), dim=1)

        def penalty(self):
            return torch.zeros(())

    return FaceEncoderNet()


# the first 7 of MobileNetV2's 19 feature blocks (edges, textures) stay as ImageNet trained them:
# a few hundred face photos cannot improve them, and freezing them halves the training time
FROZEN_MOBILENET_BLOCKS = 7


def encoder_inputs(crops, cfg: EncoderConfig) -> np.ndarray:
    """Face chips -> the network's input: per-image standardized (scratch) or ImageNet-normalized."""
    if cfg.backbone == "mobilenet_v2":
        from workbench.core.studies.faces.detect import resize_faces

        x = resize_faces(crops, cfg.image_size).astype(np.float32) / 255.0
        mean = np.array([0.485, 0.456, 0.406], np.float32)[None, :, None, None]
        std = np.array([0.229, 0.224, 0.225], np.float32)[None, :, None, None]
        return ((x - mean) / std).astype(np.float32)
    return normalize_faces(crops, cfg.image_size)


class OwnEncoder:
    """The triplet-trained CNN behind the common encoder interface."""

    name = "own"

    def __init__(self, net, config: EncoderConfig, threshold: float | None = None, info: dict | None = None):
        self.net = net.eval()
        self.config = config
        self.embedding_dim = int(config.embedding_dim)
        # with margin m on squared distances, sqrt(m)-ish separations are what training aims for;
        # the evaluated threshold replaces this guess as soon as there is one
        self.default_threshold = float(threshold) if threshold is not None else 0.8
        self.info = dict(info or {})

    @property
    def key(self) -> str:
        h = hashlib.sha1()
        for k, v in sorted(self.net.state_dict().items()):
            h.update(k.encode())
            h.update(v.detach().cpu().numpy().tobytes()[:4096])
        return f"own:{h.hexdigest()[:12]}"

    def embed(self, crops: Sequence[np.ndarray], batch_size: int = 128) -> np.ndarray:
        import torch

        if len(crops) == 0:
            return np.zeros((0, self.embedding_dim), np.float32)
        x = encoder_inputs(crops, self.config)
        outs = []
        self.net.eval()
        with torch.no_grad():
            for i in range(0, len(x), batch_size):
                outs.append(self.net(torch.from_numpy(x[i:i + batch_size])).float().numpy())
        return np.concatenate(outs).astype(np.float32)

    def save(self, folder: str | Path) -> None:
        from workbench.core.jsonio import atomic_write_json, save_weights

        folder = Path(folder)
        save_weights(folder / "encoder.pt", self.net.state_dict())
        atomic_write_json(folder / "encoder.json", {"schema_version": 1, "kind": "own",
                                                     "config": self.config.to_dict(),
                                                     "threshold": self.default_threshold, "info": self.info})

    @classmethod
    def load(cls, folder: str | Path) -> "OwnEncoder":
        from workbench.core.jsonio import load_weights, read_json

        folder = Path(folder)
        from workbench.core.errors import WorkbenchError
        from workbench.core.jsonio import check_state_dict
        from workbench.core.safety import check_fields

        where = folder / "encoder.json"
        meta = check_fields(read_json(where, kind="face encoder file", max_version=1),
                            {"config": dict, "threshold": (float, type(None)), "info": (dict, type(None))},
                            kind="face encoder file", where=where)
        try:
            cfg = EncoderConfig.from_dict(meta.get("config", {}))
        except WorkbenchError as e:
            raise ProjectError(f"The face encoder file {where} is damaged: {e}") from None
        except (TypeError, ValueError) as e:
            raise ProjectError(f"The face encoder file {where} is damaged ({e}).") from None
        net = build_encoder_net(cfg)
        state = check_state_dict(net, load_weights(folder / "encoder.pt"), folder / "encoder.pt")
        try:
            net.load_state_dict(state)
        except RuntimeError as e:
            raise ProjectError(f"The face encoder in {folder} does not match its settings file ({e}).") from None
        return cls(net, cfg, meta.get("threshold"), meta.get("info"))

    def set_threshold(self, t: float) -> None:
        self.default_threshold = float(t)


class VerificationMetrics(Callback):
    """A Trainer callback that adds verification scores on the validation people to each epoch's logs.

    Keys added: "val_auc" (ROC AUC of same/different pairs) and "val_eer" (equal error rate).
    Put it before the GUI bridge in the callback list so the bridge sees them.

    With ``restore_best`` the weights of the epoch with the lowest held-out EER are put back at the
    end (train with the Trainer's own ``restore_best=False``): the mined triplet loss of the
    held-out people is a noisy guide, the error rate is what the verifier will have.
    """

    def __init__(self, X_val: np.ndarray, y_val: np.ndarray, max_pairs: int = 20000, restore_best: bool = True):
        self.X = X_val
        self.y = np.asarray(y_val)
        self.max_pairs = max_pairs
        self.restore_best = restore_best
        self.best: tuple[float, float, int] | None = None  # (eer, -auc, epoch)
        self.best_state: dict | None = None

    def on_fit_start(self, trainer):
        self.best, self.best_state = None, None

    def on_epoch_end(self, trainer, epoch, logs):
        import torch

        from workbench.core.studies.faces.evaluate import evaluate_embeddings

        model = trainer.model
        was = model.training
        model.eval()
        with torch.no_grad():
            emb = torch.cat([model(torch.as_tensor(self.X[i:i + 256]).to(trainer.device)).float().cpu()
                             for i in range(0, len(self.X), 256)]).numpy()
        if was:
            model.train()
        rep = evaluate_embeddings(emb, self.y, max_pairs=self.max_pairs)
        if rep is not None:
            logs["val_auc"] = rep.auc
            logs["val_eer"] = rep.eer
            key = (rep.eer, -rep.auc, epoch)
            if self.best is None or key[:2] < self.best[:2]:
                self.best = key
                self.best_state = trainer.copy_state() if self.restore_best else None

    def on_fit_end(self, trainer, result):
        if not self.restore_best or self.best_state is None or result.stop_reason == "nan":
            return
        trainer.model.load_state_dict(self.best_state)
        result.best_epoch = self.best[2]
        result.best_state = self.best_state
        result.monitor = "val_eer"
        result.restored_best = True
        if self.best[2] != len(result.history):
            result.message += (f" The weights of epoch {self.best[2]} (lowest held-out equal error rate, "
                               f"{self.best[0]:.3f}) were restored.")


@dataclass
class EncoderTask:
    """The own encoder's triplet training as a task for ``core.tasks.run_task`` (a run of kind
    "faces_encoder"; the encoder itself is saved by the caller, into the project's faces folder)."""

    X: Any
    y: Any
    cfg: Any  # EncoderConfig
    val: Any = None
    kind: str = "faces_encoder"
    section: str = "faces.train"

    def prepare(self, say):
        import torch

        from workbench.core.studies.faces.triplet import TripletHead
        from workbench.core.tasks import Fitting, train_config_of

        cfg, X = self.cfg, self.X
        y = self.y = np.asarray(self.y).astype(np.int64)
        if len(X) != len(y):
            raise DataError(f"{len(X)} face images but {len(y)} labels.")
        self.people, counts = np.unique(y, return_counts=True)
        if len(self.people) < 2:
            raise DataError("Training a face encoder needs at least 2 people (one folder per person).")
        if (counts >= 2).sum() < 2:
            raise DataError("Training a face encoder needs at least 2 photos of each of at least 2 people.")
        torch.manual_seed(cfg.seed)
        self.net = net = build_encoder_net(cfg)
        head = TripletHead(cfg.margin, cfg.mining, seed=cfg.seed)
        cbs, val_data = [], None
        if self.val is not None and len(self.val[0]):
            val_data = (encoder_inputs(self.val[0], cfg), np.asarray(self.val[1]).astype(np.int64))
            cbs.append(VerificationMetrics(*val_data))
        # with held-out people, VerificationMetrics keeps the epoch with the lowest EER instead
        tc = train_config_of(cfg, optimizer="adam", restore_best=val_data is None,
                             monitor="val_loss" if val_data else "loss")
        return Fitting(net, head, (encoder_inputs(X, cfg), y), val_data, tc, cbs)

    def fit(self, trainer, fitting):
        self.result = trainer.fit(fitting.model, fitting.head, train=fitting.train, val=fitting.val,
                                  config=fitting.config)
        return self.result

    def encoder(self) -> "OwnEncoder":
        r = self.result
        self.net.cpu().eval()
        info = {"people": int(len(self.people)), "images": int(len(self.X)), "epochs_run": r.epochs_run,
                "best_epoch": r.best_epoch, "stop_reason": r.stop_reason}
        return OwnEncoder(self.net, self.cfg, info=info)

    def finish(self, fitting, fit) -> dict:
        return dict(name="own face encoder", mode="holdout" if fitting.val is not None else "train",
                    task="embedding", head=fitting.head.to_dict(),
                    data={"name": "face crops", "kind": "image", "n_samples": int(len(self.X)),
                          "people": int(len(self.people))},
                    model={"name": "face-encoder", "config": self.cfg.to_dict()},
                    details={"kind": "faces_encoder"})


def train_encoder(X: np.ndarray, y: np.ndarray, config: EncoderConfig | None = None,
                  val: tuple[np.ndarray, np.ndarray] | None = None, callbacks: Sequence = (),
                  trainer=None, device: str = "cpu"):
    """Train the own encoder on RGB uint8 face crops ``X`` (N,H,W,3) of people ``y`` through
    ``core.tasks.run_task`` (``Trainer.fit``).

    ``val`` (crops, labels) should be other people than the training ones; its pairs give the
    per-epoch "val_auc"/"val_eer" and the val loss. Returns (OwnEncoder, FitResult). Pass your own
    ``trainer`` to be able to stop or pause it from another thread. Stopped within the first
    epoch, the encoder is untrained and the fit has no epochs.
    """
    from workbench.core.tasks import TrainingStopped, run_task

    task = EncoderTask(X, y, config or EncoderConfig(), val)
    try:
        run_task(task, save=False, trainer=trainer, callbacks=callbacks, device=device)
    except TrainingStopped:
        if getattr(task, "result", None) is None:
            raise
    return task.encoder(), task.result


ENCODERS = ("dlib", "own")


def default_encoder_kind() -> str:
    """The pretrained dlib encoder wherever it is installed; the own encoder otherwise."""
    from workbench.core.studies.faces.dlib_encoder import dlib_available

    return "dlib" if dlib_available() else "own"


def encoder_factory(kind: str | None, folder: str | Path | None = None) -> Callable[[], FaceEncoder]:
    """A zero-argument loader for "dlib" or "own" (from ``folder``); None is the default encoder.
    Raises a clear error when the encoder is not there."""
    kind = kind or default_encoder_kind()
    if kind == "dlib":
        from workbench.core.studies.faces.dlib_encoder import DlibEncoder

        return DlibEncoder
    if kind == "own":
        if folder is None or not (Path(folder) / "encoder.json").exists():
            raise ProjectError("No trained face encoder yet: train one first (Faces panel -> Encoder, or "
                               "`workbench faces train-encoder`).")
        return lambda: OwnEncoder.load(folder)
    raise DataError(f"Unknown encoder {kind!r}; choose dlib or own.")
