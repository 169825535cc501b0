"""Day'n'Night model: the shallow CNN preset with a sigmoid output and binary cross-entropy,
trained through the common ``Trainer``; prediction of P(day) for images, files and folders; the
resolution sweep; misclassified samples sorted by confidence.

Input convention (also written into the export metadata): RGB, resized with ``INTER_AREA`` to
size x size, float32 = uint8 / 255, layout (N, 3, H, W). The model's single raw output is the
logit of class 1 ("night"), so P(day) = 1 - sigmoid(output).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.core.data.dataset import Dataset
from workbench.core.errors import DataError, ProjectError
from workbench.core.studies.daynight.data import CLASS_NAMES, subgroup_report

PRESET = "shallow-cnn"
SCALING = "x / 255 (uint8 RGB to float32 in [0, 1])"


def resize_images(X: np.ndarray, size: int) -> np.ndarray:
    """(N, H, W, 3) uint8 -> (N, size, size, 3) uint8 (area interpolation when shrinking)."""
    X = np.asarray(X)
    if X.ndim == 3:
        X = X[None]
    if X.shape[1] == size and X.shape[2] == size:
        return X
    import cv2

    shrink = X.shape[1] * X.shape[2] > size * size
    interp = cv2.INTER_AREA if shrink else cv2.INTER_LINEAR
    out = np.empty((len(X), size, size, X.shape[3]), X.dtype)
    for i, img in enumerate(X):
        out[i] = cv2.resize(img, (size, size), interpolation=interp).reshape(size, size, -1)
    return out


def to_inputs(X: np.ndarray, size: int | None = None) -> np.ndarray:
    """uint8 (N, H, W, 3) images -> float32 (N, 3, H, W) in [0, 1] (resized first if ``size``)."""
    X = np.asarray(X)
    if X.ndim == 3:
        X = X[None]
    if X.shape[-1] == 4:
        X = X[..., :3]
    if size is not None:
        X = resize_images(X, size)
    if X.dtype == np.uint8:
        out = X.astype(np.float32)
        out *= 1.0 / 255.0
    else:
        out = X.astype(np.float32, copy=False)
    return np.ascontiguousarray(out.transpose(0, 3, 1, 2))


def make_head():
    from workbench.core.models import Head

    return Head("binary", "sigmoid", "bce", reason="day or night: one probability, binary cross-entropy")


def model_spec():
    """The shallow CNN preset (a ModelSpec)."""
    from workbench.core.models import get_preset

    return get_preset(PRESET)


def build(size: int, spec=None):
    """(module, head, spec) for size x size x 3 inputs and one sigmoid output."""
    from workbench.core.models import build_model

    head = make_head()
    spec = spec if spec is not None else model_spec()
    module = build_model(spec, (3, size, size), (1,), head)
    return module, head, spec


def n_params(module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


@dataclass
class DayNightModel:
    """A trained (or untrained) Day'n'Night classifier and what it needs to read new images."""

    module: object
    head: object
    size: int
    class_names: list[str] = field(default_factory=lambda: list(CLASS_NAMES))
    spec: dict | None = None
    day_index: int = 0
    threshold: float = 0.5  # P(day) at or above it is "day" (predictions, live labels, file labels)

    @classmethod
    def create(cls, size: int = 64, spec=None, class_names: Sequence[str] = CLASS_NAMES) -> "DayNightModel":
        module, head, spec = build(size, spec)
        names = list(class_names)
        lower = [str(n).lower() for n in names]
        return cls(module, head, size, names, spec.to_dict() if hasattr(spec, "to_dict") else spec,
                   day_index=lower.index("day") if "day" in lower else 0)

    def logits(self, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
        """Raw outputs (N,) for uint8 RGB images of any size.

        Small batches on purpose: at 64 px, batches of 256 spill the CPU caches and run at half
        the speed of batches of 32."""
        import torch

        X = to_inputs(images, self.size)
        self.module.eval()
        out = []
        dev = next(iter(self.module.parameters())).device
        with torch.inference_mode():
            for i in range(0, len(X), batch_size):
                out.append(self.module(torch.from_numpy(X[i: i + batch_size]).to(dev)).float().cpu())
        return torch.cat(out).numpy().reshape(len(X), -1)[:, 0] if out else np.zeros(0, np.float32)

    def p_day(self, images: np.ndarray, batch_size: int = 32) -> np.ndarray:
        """P(day) per image, (N,) float in [0, 1]."""
        return p_day_from_logits(self.logits(images, batch_size), self.day_index)

    def predict(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(class index per image, P(day) per image) at the model's threshold."""
        p = self.p_day(images)
        return classes_at(p, self.threshold, self.day_index), p

    def metadata(self) -> dict:
        return {"size": self.size, "class_names": self.class_names, "day_index": self.day_index,
                "spec": self.spec, "head": self.head.to_dict() if hasattr(self.head, "to_dict") else None,
                "input": {"layout": "NCHW", "channels": "RGB", "dtype": "float32",
                          "shape": [3, self.size, self.size], "scaling": SCALING,
                          "resize": "cv2.INTER_AREA to size x size"},
                "output": {"kind": "logit", "activation": "sigmoid",
                           "positive_class": self.class_names[1 - self.day_index],
                           "p_day": "1 - sigmoid(output)" if self.day_index == 0 else "sigmoid(output)"}}

    def save(self, folder: str | os.PathLike) -> Path:
        """model.json + weights.pt (plain tensors) in ``folder``."""
        from workbench.core.jsonio import atomic_write_json, save_weights

        folder = Path(folder)
        save_weights(folder / "weights.pt", self.module.state_dict())
        atomic_write_json(folder / "model.json", {"schema_version": 1, "study": "daynight", **self.metadata()})
        return folder

    @classmethod
    def load(cls, folder: str | os.PathLike) -> "DayNightModel":
        from workbench.core import params as P
        from workbench.core.errors import WorkbenchError
        from workbench.core.jsonio import check_state_dict, load_weights, read_json
        from workbench.core.models import ModelSpec
        from workbench.core.safety import check_schema

        folder = Path(folder)
        where = folder / "model.json"
        meta = read_json(where, kind="Day'n'Night model file", max_version=1)
        if not isinstance(meta, dict) or meta.get("study") != "daynight":
            raise ProjectError(f"{folder} does not hold a Day'n'Night model (model.json has no study 'daynight').")
        check_schema(meta, {"size": int, "spec": (dict, None), "spec.layers": list, "spec.layers[]": dict,
                            "class_names": (list, None), "class_names[]": str, "threshold": (float, None)},
                     kind="Day'n'Night model file", where=where)
        try:
            size = P.param(P.IMAGE_SIDE, high=1024).check(meta.get("size", 64), where=str(where))
            spec = ModelSpec.from_dict(meta["spec"]) if meta.get("spec") else None
            m = cls.create(size, spec, meta.get("class_names") or CLASS_NAMES)
        except WorkbenchError as e:
            raise ProjectError(f"The Day'n'Night model file {where} is damaged: {e}") from None
        state = check_state_dict(m.module, load_weights(folder / "weights.pt"), folder / "weights.pt")
        m.module.load_state_dict(state)
        m.module.eval()
        return m


def threshold_of(model) -> float:
    """The P(day) threshold of a model (an exported model without one: 0.5)."""
    return float(getattr(model, "threshold", 0.5))


def classes_at(p_day: np.ndarray, threshold: float = 0.5, day_index: int = 0) -> np.ndarray:
    """Class index per image: day where P(day) >= threshold, else night."""
    p = np.asarray(p_day)
    return np.where(p >= threshold, day_index, 1 - day_index).astype(np.int64)


def label_of(p_day: float, threshold: float = 0.5) -> str:
    return "day" if p_day >= threshold else "night"


def p_day_from_logits(logits: np.ndarray, day_index: int = 0) -> np.ndarray:
    logits = np.asarray(logits, np.float64)
    p1 = 1.0 / (1.0 + np.exp(-np.clip(logits, -60, 60)))
    return (1.0 - p1 if day_index == 0 else p1).astype(np.float32)


@dataclass
class TrainOutcome:
    """What ``train_daynight`` returns."""

    model: DayNightModel
    fit: object  # FitResult
    test_idx: np.ndarray
    test_accuracy: float
    test_metrics: dict
    subgroups: list[dict]
    y_test: np.ndarray
    pred_test: np.ndarray
    p_day_test: np.ndarray
    train_time: float
    n_train: int
    n_val: int
    baseline: float
    run_id: str | None = None
    record: object = None  # RunRecord
    X_test: np.ndarray | None = None  # the test images themselves (uint8): results never read the data set again
    groups_test: np.ndarray | None = None

    def misclassified(self, limit: int | None = None) -> list[dict]:
        """Wrong test predictions, most confident first: index into the data set, true class,
        predicted class, P(day), confidence of the wrong answer, subgroup."""
        return misclassified(self.test_idx, self.y_test, self.pred_test, self.p_day_test,
                             self.model.class_names, self.groups_test, limit)

    def report(self, threshold: float | None = None, limit: int | None = 60) -> dict:
        """The test results at a P(day) threshold (default: the model's), from the outcome's own
        test samples (so regenerating the data set later changes nothing here):
        rows (per subgroup, "all" last), accuracy, mistakes (most confident first, each with its
        "image"), night_called_day, day_called_night, n_test, baseline, threshold."""
        m = self.model
        thr = threshold_of(m) if threshold is None else float(threshold)
        pred = classes_at(self.p_day_test, thr, m.day_index)
        rows = subgroup_report(self.y_test, pred, self.groups_test, m.class_names, self.p_day_test)
        wrong = misclassified(self.test_idx, self.y_test, pred, self.p_day_test, m.class_names, self.groups_test,
                              limit)
        if self.X_test is not None:
            for w in wrong:
                w["image"] = self.X_test[w["position"]]
        day, yt = m.day_index, self.y_test
        return {"rows": rows, "accuracy": rows[-1]["accuracy"], "mistakes": wrong, "threshold": thr,
                "night_called_day": int(((pred == day) & (yt != day)).sum()),
                "day_called_night": int(((pred != day) & (yt == day)).sum()),
                "n_test": len(yt), "baseline": self.baseline}

    def summary(self) -> dict:
        return {"size": self.model.size, "test_accuracy": self.test_accuracy, "train_time": self.train_time,
                "epochs": len(self.fit.history), "best_epoch": self.fit.best_epoch, "n_train": self.n_train,
                "n_val": self.n_val, "n_test": len(self.test_idx), "params": n_params(self.model.module),
                "baseline": self.baseline, "stop_reason": self.fit.stop_reason}


def misclassified(idx, y_true, y_pred, p_day, class_names=CLASS_NAMES, groups=None,
                  limit: int | None = None) -> list[dict]:
    idx, y_true, y_pred, p_day = map(np.asarray, (idx, y_true, y_pred, p_day))
    wrong = np.flatnonzero(y_true != y_pred)
    day_index = list(class_names).index("day") if "day" in class_names else 0
    conf = np.where(y_pred[wrong] == day_index, p_day[wrong], 1 - p_day[wrong])
    order = wrong[np.argsort(-conf, kind="stable")]
    rows = []
    for j in order[:limit]:
        c = float(p_day[j] if y_pred[j] == day_index else 1 - p_day[j])
        rows.append({"index": int(idx[j]), "position": int(j), "true": class_names[int(y_true[j])],
                     "pred": class_names[int(y_pred[j])], "p_day": float(p_day[j]), "confidence": c,
                     "group": None if groups is None else str(groups[j])})
    return rows


@dataclass
class DayNightTask:
    """Day'n'Night training as a task for ``core.tasks.run_task``."""

    ds: Dataset
    size: int = 64
    epochs: int = 6
    batch_size: int = 64
    lr: float = 2e-3
    optimizer: str = "adam"
    seed: int = 0
    split: str = "holdout:0.1,0.1"
    early_stopping: int | None = 3
    spec: object = None
    kind: str = "daynight"
    section: str = "daynight"

    def prepare(self, say):
        import torch

        from workbench.core.data import SplitPlan
        from workbench.core.tasks import Fitting, train_config_of
        from workbench.core.training import make_optimizer

        ds = self.ds
        if ds.kind != "image":
            raise DataError("The Day'n'Night model needs image data (a generated set or a folder of day/night images).")
        if not ds.class_names or len(ds.class_names) != 2:
            raise DataError(f"Day'n'Night needs exactly two classes (day and night), not {ds.class_names}.")
        self.plan = SplitPlan.parse(self.split, seed=self.seed)
        splits = self.plan.make(ds)
        self.tr, va, self.te = tr, va, te = splits.train_idx, splits.val_idx, splits.test_idx
        self.n_val = len(va)
        y = ds.y.astype(np.float32)
        say()
        self.model = model = DayNightModel.create(self.size, self.spec, ds.class_names)
        cfg = train_config_of(self, restore_best=True)
        say()
        # the first optimizer built in a process imports torch._dynamo (seconds): not training time
        make_optimizer(torch.nn.Linear(1, 1), cfg)
        say(f"Training {cfg.epochs} epochs at {self.size} px on {len(tr)} images ...")
        return Fitting(model.module, model.head, (self._inputs(tr, say), y[tr]),
                       (self._inputs(va, say), y[va]) if len(va) else None, cfg)

    def _inputs(self, idx, say, chunk: int = 1024) -> np.ndarray:
        """Model inputs of the images ``idx``, converted a chunk at a time (a float copy of only
        what the split needs; Stop is heard between chunks)."""
        out = np.empty((len(idx), 3, self.size, self.size), np.float32)
        for i in range(0, len(idx), chunk):
            say()
            out[i:i + chunk] = to_inputs(self.ds.X[idx[i:i + chunk]], self.size)
        return out

    def finish(self, fitting, fit):
        from workbench.core.training import compute_metrics

        ds, model, tr, te = self.ds, self.model, self.tr, self.te
        model.module.cpu()
        p = model.p_day(ds.X[te]) if len(te) else np.zeros(0, np.float32)
        pred = classes_at(p, model.threshold, model.day_index)
        yt = ds.y[te]
        acc = float((pred == yt).mean()) if len(te) else float("nan")
        metrics = {}
        if len(te):
            try:
                metrics = compute_metrics("binary", yt, 1 - p if model.day_index == 0 else p)
            except Exception:  # metrics are a bonus; accuracy above is the headline
                metrics = {"accuracy": acc}
        majority = int(np.bincount(ds.y[tr], minlength=2).argmax()) if len(tr) else 0
        baseline = float((yt == majority).mean()) if len(te) else float("nan")
        groups = ds.groups[te] if ds.groups is not None else None
        self.outcome = TrainOutcome(model, fit, te, acc, metrics, subgroup_report(yt, pred, groups, ds.class_names, p),
                                    yt, pred, p, float(fit.time), len(tr), self.n_val, baseline, X_test=ds.X[te],
                                    groups_test=groups)
        self.outcome.record = run_record(ds, self.outcome, fitting.config, self.plan)
        return self.outcome.record


def train_daynight(ds: Dataset, size: int = 64, *, epochs: int = 6, batch_size: int = 64, lr: float = 2e-3,
                   optimizer: str = "adam", seed: int = 0, split: str = "holdout:0.1,0.1",
                   early_stopping: int | None = 3, callbacks: Sequence = (), trainer=None, spec=None,
                   device: str = "auto", run_store=None, max_threads: int | None = None,
                   ) -> TrainOutcome:
    """Split ``ds``, train the shallow CNN at ``size`` through ``Trainer.fit``, score the test split
    once, and report per subgroup. ``trainer`` may be given so a caller can stop/pause it; with a
    ``run_store`` (a RunStore) the run is saved to the project's run history.
    """
    import torch

    from workbench.core.tasks import run_task

    if max_threads:
        torch.set_num_threads(max_threads)
    task = DayNightTask(ds, size, epochs, batch_size, lr, optimizer, seed, split, early_stopping, spec)
    run = run_task(task, store=run_store, trainer=trainer, callbacks=callbacks, device=device, save_empty=True)
    task.outcome.run_id = run.run_id
    return task.outcome


def run_record(ds: Dataset, outcome: TrainOutcome, cfg, plan):
    """The run's RunRecord (the one schema every run shares), with the subgroups as details."""
    from workbench.core.runs import build_record

    m = outcome.model
    return build_record(
        "daynight", fit=outcome.fit, train_config=cfg, module=m.module,
        name=f"Day'n'Night {m.size}px", mode="holdout", task="binary",
        data={"name": ds.name, "spec": ds.source.get("path") or "daynight:generated", "kind": "image",
              "source": ds.source, "n_samples": len(ds), "class_names": list(m.class_names), "size": m.size},
        split={"plan": plan.to_dict(), "text": plan.to_text()},
        model={"name": f"{PRESET} @ {m.size}px", "preset": PRESET, "spec": m.spec},
        head=m.head.to_dict(),
        test_metrics={**{k: v for k, v in outcome.test_metrics.items() if isinstance(v, (int, float))},
                      "accuracy": outcome.test_accuracy},
        baseline={"test": {"accuracy": outcome.baseline, "strategy": "majority class"}},
        details={"subgroups": outcome.subgroups, "summary": outcome.summary()}, fit_time=outcome.train_time)


def run_row(record: dict) -> dict:
    """A Day & Night run's row for the runs table, from its RunRecord dict."""
    summary = dict((record.get("details") or {}).get("summary") or {})
    return {"run_id": record.get("run_id"), "name": record.get("name") or "",
            "size": summary.get("size", (record.get("data") or {}).get("size")),
            "n_train": summary.get("n_train", ""),
            "test_accuracy": (record.get("test_metrics") or {}).get("accuracy"),
            "baseline": ((record.get("baseline") or {}).get("test") or {}).get("accuracy"),
            "epochs": len(record.get("history") or []), "train_time": float(record.get("fit_time") or 0.0),
            "stop_reason": record.get("stop_reason")}


def architecture_text(size: int = 64) -> str:
    """The shallow CNN's layers, output shapes and parameters for size x size x 3 inputs."""
    from workbench.core.models import summarize_model

    return summarize_model(model_spec(), (3, size, size), (1,), make_head()).to_text()


def evaluate_shifted(model, shift: str = "dusk", n: int = 1000) -> dict:
    """Score a trained model on a generated shifted test set (``data.SHIFTS``) at its own size."""
    from workbench.core.studies.daynight.data import generate_shifted

    return evaluate_on(model, generate_shifted(shift, n=n, size=model.size))


def evaluate_on(model: DayNightModel, ds: Dataset) -> dict:
    """Score a trained model on another data set (e.g. a shifted test set): accuracy + subgroups."""
    p = model.p_day(ds.X)
    pred = classes_at(p, threshold_of(model), getattr(model, "day_index", 0))
    acc = float((pred == ds.y).mean()) if len(ds) else float("nan")
    return {"accuracy": acc, "n": len(ds), "subgroups": subgroup_report(ds.y, pred, ds.groups, ds.class_names, p),
            "pred": pred, "p_day": p}


def dataset_at(ds: Dataset, size: int) -> Dataset:
    """``ds`` at size x size: a generated set is generated again at that size (the same scenes, drawn
    sharp, since the generator is resolution independent); other image sets are resized."""
    if ds.input_shape[:2] == (size, size):
        return ds
    src = ds.source or {}
    if src.get("type") == "daynight" and src.get("n") == len(ds):
        from workbench.core.studies.daynight.data import generate_dataset

        return generate_dataset(n=src["n"], size=size, balance=src["balance"], hard_share=src["hard_share"],
                                seed=src["seed"], tint=src.get("tint"), only_groups=src.get("only_groups"),
                                name=ds.name)
    out = ds.subset(np.arange(len(ds)))
    out.X = resize_images(ds.X, size)
    return out


def train_at_size(ds: Dataset, size: int, *, progress=None, should_cancel=None, **train_kwargs) -> TrainOutcome:
    """``train_daynight`` on ``dataset_at(ds, size)`` (a generated set is drawn again, sharp).
    ``progress`` / ``should_cancel`` (a GUI worker's) are not used: a training reports and stops
    through its Trainer's callbacks."""
    return train_daynight(dataset_at(ds, size), size, **train_kwargs)


def resolution_sweep(ds: Dataset, sizes: Sequence[int] = (32, 64, 128), *,
                     on_result: Callable[[dict], None] | None = None,
                     should_stop: Callable[[], bool] | None = None, trainer_factory=None, trainer=None,
                     progress: Callable[[int, int], None] | None = None,
                     should_cancel: Callable[[], bool] | None = None, **train_kwargs) -> list[dict]:
    """Train the same shallow CNN at each resolution on the same scenes and the same split;
    returns one row per size: size, test_accuracy, train_time, time_per_epoch, params, epochs, ...

    ``on_result(row)`` is called after each size (for a live chart); ``should_stop()`` ends the
    sweep between sizes (as does ``should_cancel()``, the GUI worker's name for it).
    ``trainer_factory()`` makes the Trainer for each size; or one ``trainer`` trains every size
    (the GUI's, with its live-chart bridge), and the sweep ends when its user pressed Stop.
    """
    if trainer is not None and trainer_factory is None:
        def trainer_factory():
            return trainer

        user_stopped = should_stop

        def should_stop():
            return bool(trainer.stop_requested_by_user) or bool(user_stopped and user_stopped())
    rows = []
    sizes = [int(s) for s in sizes]
    if progress:
        progress(0, len(sizes))
    for i, s in enumerate(sizes):
        if (should_stop is not None and should_stop()) or (should_cancel is not None and should_cancel()):
            break
        out = train_at_size(ds, s, trainer=trainer_factory() if trainer_factory else None, **train_kwargs)
        row = out.summary()
        row["time_per_epoch"] = out.train_time / max(1, len(out.fit.history))
        row["run_id"] = out.run_id
        rows.append(row)
        if on_result:
            on_result(dict(row))
        if progress:
            progress(i + 1, len(sizes))
        if out.fit.stop_reason == "stopped":
            break
    return rows


def classify_paths(model: DayNightModel, paths: Sequence[str | os.PathLike]) -> tuple[list[dict], list[tuple[str, str]]]:
    """Classify image files and folders (searched recursively). Returns (rows, skipped)."""
    from workbench.core.capture.camera import image_files, read_image_rgb

    files, skipped = image_files(paths)
    rows = []
    batch: list[np.ndarray] = []
    names: list[Path] = []

    def flush():
        if not batch:
            return
        probs = model.p_day(np.stack(batch))
        for f, pd in zip(names, probs):
            rows.append({"path": str(f), "p_day": float(pd), "label": label_of(pd, threshold_of(model)),
                         "confidence": float(max(pd, 1 - pd))})
        batch.clear()
        names.clear()

    for f in files:
        img = read_image_rgb(f)
        if img is None:
            skipped.append((str(f), "not a readable image"))
            continue
        batch.append(resize_images(img, model.size)[0])
        names.append(f)
        if len(batch) >= 128:
            flush()
    flush()
    return rows, skipped
