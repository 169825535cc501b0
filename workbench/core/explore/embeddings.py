"""Embeddings: one vector per sample, from the raw inputs, from any layer of a trained run, or from
an autoencoder's code (the code layer of an autoencoder run).

An ``Embedding`` keeps which data-set rows it holds (``indices``), so every point of a scatter
leads back to its sample (thumbnail, label, table row) and a selection can be saved as a data set.
Large sets are subsampled (seeded, every class kept in proportion) and ``n_total`` says from how many.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from workbench.core.errors import DataError, ProjectError, SpecError

Progress = Callable[[int, int, str], None]
DEFAULT_MAX_POINTS = 20000


@dataclass
class Embedding:
    """vectors (n, d) float32; indices (n,) rows of the data set; labels (n,) class indices or None."""

    vectors: np.ndarray
    indices: np.ndarray
    source: str  # "raw", "layer" or "code"
    description: str
    n_total: int
    labels: np.ndarray | None = None
    class_names: list[str] | None = None
    values: dict[str, np.ndarray] = field(default_factory=dict)  # numeric columns to colour by
    run_id: str | None = None
    layer_index: int | None = None

    def __len__(self) -> int:
        return len(self.indices)

    @property
    def subsampled(self) -> bool:
        return len(self.indices) < self.n_total

    def count_text(self) -> str:
        """'5,000 of 25,000 samples (random subsample)' or '1,797 samples'."""
        if self.subsampled:
            return f"{len(self):,} of {self.n_total:,} samples (seeded random subsample)"
        return f"{len(self):,} samples"

    def class_name(self, i: int) -> str:
        """The class of point i as text ('' without labels)."""
        if self.labels is None:
            return ""
        c = int(self.labels[i])
        return self.class_names[c] if self.class_names and 0 <= c < len(self.class_names) else str(c)


def subsample(n_total: int, max_points: int | None, seed: int = 0, labels: np.ndarray | None = None) -> np.ndarray:
    """Sorted row indices: all rows, or ``max_points`` of them drawn at random (stratified by class
    when labels are given, so rare classes keep their share)."""
    if max_points is None or max_points <= 0 or n_total <= max_points:
        return np.arange(n_total)
    rng = np.random.default_rng(seed)
    if labels is None or np.asarray(labels).ndim != 1:
        return np.sort(rng.choice(n_total, size=int(max_points), replace=False))
    from sklearn.model_selection import train_test_split

    try:
        keep, _ = train_test_split(np.arange(n_total), train_size=int(max_points), random_state=seed,
                                   stratify=np.asarray(labels))
    except ValueError:  # a class with a single sample cannot be stratified
        keep = rng.choice(n_total, size=int(max_points), replace=False)
    return np.sort(np.asarray(keep))


def _labels_of(ds) -> tuple[np.ndarray | None, list[str] | None]:
    y = np.asarray(ds.y)
    if ds.class_names is not None and y.ndim == 1:
        return y.astype(np.int64), list(ds.class_names)
    return None, None


def _values_of(ds, rows: np.ndarray) -> dict[str, np.ndarray]:
    """Numeric columns a scatter can be coloured by: table features and a numeric target."""
    out: dict[str, np.ndarray] = {}
    y = np.asarray(ds.y)
    if ds.class_names is None and y.ndim == 1 and np.issubdtype(y.dtype, np.number):
        out[ds.target_name or "target"] = y[rows].astype(np.float64)
    if ds.kind == "table" and ds.feature_names:
        X = np.asarray(ds.X, dtype=np.float64)
        for j, name in enumerate(ds.feature_names):
            if j not in (ds.categories or {}):
                out[str(name)] = X[rows, j]
    return out


def raw_inputs(ds, rows: np.ndarray, vocab_size: int = 2000) -> np.ndarray:
    """(n, d) float32 vectors of the raw inputs: pixels in [0, 1] (flattened), standardized table
    columns (missing -> the mean, categoricals one-hot), multi-hot words for texts."""
    from workbench.core.data import Preprocessor

    scale = "standard" if ds.kind == "table" else "none"
    pre = Preprocessor(scale=scale, vocab_size=vocab_size).fit(ds, rows)
    X = pre.transform(ds, rows)
    return np.ascontiguousarray(X.reshape(len(rows), -1), dtype=np.float32)


def raw_embedding(ds, *, max_points: int | None = DEFAULT_MAX_POINTS, seed: int = 0) -> Embedding:
    """The raw inputs of a data set as vectors (subsampled to ``max_points``)."""
    if ds is None or len(ds) == 0:
        raise DataError("There is no data to explore; load a data set first.")
    labels, names = _labels_of(ds)
    rows = subsample(len(ds), max_points, seed, labels)
    X = raw_inputs(ds, rows)
    return Embedding(X, rows, "raw", f"raw inputs of {ds.name} ({X.shape[1]:,} values per sample)", len(ds),
                     None if labels is None else labels[rows], names, _values_of(ds, rows))


# ------------------------------------------------------------------------------------------------
# trained runs


@dataclass
class LoadedRun:
    """A run's record with its model rebuilt and its best weights loaded (weights_only=True)."""

    record: Any  # RunRecord
    model: Any  # SpecModel in eval mode
    head: Any
    preprocessor: Any  # fitted Preprocessor or None
    summary: Any  # ModelSummary

    @property
    def code_layer(self) -> int:
        """The autoencoder's code layer: the one stored with the run, else the narrowest layer."""
        from workbench.core.models.self_supervised import bottleneck_index

        stored = (self.record.details or {}).get("code_layer")
        if isinstance(stored, int) and 0 <= stored < len(self.model.layers):
            return stored
        return bottleneck_index(self.model.layer_shapes)


def run_layers(project: str | os.PathLike, run_id: str) -> list[dict]:
    """The layer summary of a run (index, type, output shape, parameters), from its record alone."""
    from workbench.core.models import Head, ModelSpec, summarize_model
    from workbench.core.runs import RunStore

    rec = RunStore(project).load(run_id)
    m = rec.model or {}
    if not m.get("spec") or not m.get("input_shape"):
        raise ProjectError(f"The run {run_id} stores no model, so it has no layers to explore; pick another run.")
    spec = ModelSpec.from_dict(m["spec"])
    summary = summarize_model(spec, tuple(m["input_shape"]), tuple(m["output_shape"]),
                              Head.from_dict(rec.head) if rec.head else None)
    return [l.to_dict() for l in summary]


def load_run(project: str | os.PathLike, run_id: str) -> LoadedRun:
    """Rebuild a run's model from its record and load its best weights."""
    from workbench.core.data import Preprocessor
    from workbench.core.models import Head, ModelSpec, build_model, summarize_model
    from workbench.core.runs import RunStore

    store = RunStore(project)
    rec = store.load(run_id)
    m = rec.model or {}
    if not m.get("spec") or not m.get("input_shape") or not m.get("output_shape"):
        raise ProjectError(f"The run {run_id} stores no model; pick a run that trained one.")
    if not store.weights_path(run_id).is_file():
        raise ProjectError(f"The run {run_id} has no saved weights; pick a run that finished at least one epoch.")
    spec = ModelSpec.from_dict(m["spec"])
    head = Head.from_dict(rec.head) if rec.head else None
    in_shape, out_shape = tuple(m["input_shape"]), tuple(m["output_shape"])
    model = build_model(spec, in_shape, out_shape, head)
    try:
        model.load_state_dict(store.load_weights(run_id), strict=True)
    except (RuntimeError, KeyError) as e:
        raise ProjectError(f"The weights of run {run_id} do not fit its model ({str(e).splitlines()[0]}); "
                           f"the run folder is damaged.") from None
    model.eval()
    pre = None
    if rec.preprocessing:
        try:
            pre = Preprocessor.from_dict(rec.preprocessing)
        except (KeyError, TypeError, DataError) as e:
            raise ProjectError(f"The preprocessing stored with run {run_id} is damaged ({e}).") from None
    return LoadedRun(rec, model, head, pre, summarize_model(spec, in_shape, out_shape, head))


def run_dataset(loaded: LoadedRun, progress=None, should_cancel=None):
    """The data set a run was trained on, loaded again from its record."""
    from workbench.core.data import load_data

    data = loaded.record.data or {}
    src = data.get("source") or data.get("spec") or (loaded.record.config or {}).get("data")
    if not src:
        raise ProjectError(f"The run {loaded.record.run_id} does not say which data it was trained on; load the "
                           f"data in the Data panel and explore that instead.")
    return load_data(src, progress=progress, should_cancel=should_cancel)


def model_inputs(loaded: LoadedRun, ds, rows: np.ndarray) -> np.ndarray:
    """Rows of ``ds`` transformed the way the run's model saw its inputs."""
    if loaded.preprocessor is None:
        raise ProjectError(f"The run {loaded.record.run_id} stores no preprocessing, so its inputs cannot be "
                           f"rebuilt.")
    try:
        X = loaded.preprocessor.transform(ds, rows)
    except (DataError, KeyError, IndexError, ValueError) as e:
        raise DataError(f"This data set does not fit run {loaded.record.run_id} ({e}); explore the data the run "
                        f"was trained on.") from None
    want = tuple(loaded.model.input_shape)
    if tuple(X.shape[1:]) != want and not (len(want) == 2 and want[0] is None):
        raise DataError(f"This data set gives inputs of shape {tuple(X.shape[1:])}, but run "
                        f"{loaded.record.run_id} takes {want}; explore the data the run was trained on.")
    return X


def layer_activations(model, X, layer_index: int, *, batch_size: int = 256,
                      should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
    """Outputs of layer ``layer_index`` (0-based, after its activation) for inputs X, in eval mode:
    an array of shape (N, *that layer's output shape). The forward pass stops at that layer."""
    import torch

    from workbench.core.training.trainer import _as_tensor

    layers = getattr(model, "layers", None)
    if layers is None or not 0 <= int(layer_index) < len(layers):
        n = len(layers) if layers is not None else 0
        raise SpecError(f"The model has {n} layer(s); choose a layer between 1 and {n}.")
    Xt = _as_tensor(X, target=False, task="")
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(Xt), batch_size):
            if should_cancel is not None and should_cancel():
                from workbench.core.errors import Cancelled

                raise Cancelled("Stopped before the activations were computed.")
            x = Xt[i:i + batch_size]
            for layer in layers[:int(layer_index) + 1]:
                x = layer(x)
            outs.append(x.float().cpu().numpy())
    if not outs:
        return np.zeros((0,) + tuple(model.layer_shapes[int(layer_index)]), np.float32)
    return np.concatenate(outs)


def run_embedding(project: str | os.PathLike, run_id: str, layer_index: int | None = None, *, dataset=None,
                  max_points: int | None = DEFAULT_MAX_POINTS, seed: int = 0, progress: Progress | None = None,
                  should_cancel: Callable[[], bool] | None = None) -> Embedding:
    """Activations of one layer of a trained run for (a subsample of) a data set, one vector per
    sample. ``layer_index`` None takes the code layer (the narrowest layer: an autoencoder's code).
    ``dataset`` None reloads the data the run was trained on."""
    say = progress or (lambda *_: None)
    say(0, 3, "Loading the run ...")
    loaded = load_run(project, run_id)
    ds = dataset if dataset is not None else run_dataset(loaded, should_cancel=should_cancel)
    say(1, 3, "Computing activations ...")
    code = loaded.code_layer
    idx = code if layer_index is None else int(layer_index)
    labels, names = _labels_of(ds)
    rows = subsample(len(ds), max_points, seed, labels)
    X = model_inputs(loaded, ds, rows)
    acts = layer_activations(loaded.model, X, idx, should_cancel=should_cancel)
    say(2, 3, "")
    vec = np.ascontiguousarray(acts.reshape(len(rows), -1), dtype=np.float32)
    layer = loaded.summary[idx] if idx < len(loaded.summary) else None
    what = layer.label if layer is not None else f"layer {idx + 1}"
    source = "code" if idx == code and (loaded.record.study == "autoencoder") else "layer"
    desc = (f"{'code' if source == 'code' else 'activations'} of {what} of run {run_id} on {ds.name} "
            f"({vec.shape[1]:,} values per sample)")
    say(3, 3, "")
    return Embedding(vec, rows, source, desc, len(ds), None if labels is None else labels[rows], names,
                     _values_of(ds, rows), run_id=run_id, layer_index=idx)


def list_runs(project: str | os.PathLike | None) -> list[dict]:
    """Runs of a project that have a model and weights to explore, newest first:
    {"run_id", "label", "study", "task", "model", "autoencoder"}."""
    from workbench.core.runs import RunStore

    if not project:
        return []
    store = RunStore(project)
    good, _bad = store.records()
    out = []
    for r in reversed(good):
        if not (r.model or {}).get("spec") or not store.weights_path(r.run_id).is_file():
            continue
        out.append({"run_id": r.run_id, "label": r.label, "study": r.study, "task": r.task,
                    "model": (r.model or {}).get("name"), "autoencoder": r.task == "reconstruction",
                    "data": (r.data or {}).get("name")})
    return out


def preview(ds, row: int) -> dict:
    """What to show for one sample: {"image": (H, W[, C]) array or None, "text": str, "label": str}."""
    row = int(row)
    label = ""
    y = np.asarray(ds.y)
    if ds.class_names is not None and y.ndim == 1:
        label = str(ds.class_names[int(y[row])])
    elif y.ndim == 1 and np.issubdtype(y.dtype, np.number):
        label = f"{float(y[row]):.4g}"
    if ds.kind == "image":
        return {"image": np.asarray(ds.X[row]), "text": f"row {row}: {label}", "label": label}
    if ds.kind == "text":
        t = str(ds.X[row])
        return {"image": None, "text": (t[:300] + " ...") if len(t) > 300 else t, "label": label}
    if ds.kind == "table":
        names = ds.feature_names or [f"x{j + 1}" for j in range(np.asarray(ds.X).shape[1])]
        vals = np.asarray(ds.X, dtype=np.float64)[row]
        cells = []
        for j, (n, v) in enumerate(zip(names[:8], vals[:8])):
            if j in (ds.categories or {}) and np.isfinite(v):
                cells.append(f"{n}: {ds.categories[j][int(v)]}")
            else:
                cells.append(f"{n}: {v:.4g}" if np.isfinite(v) else f"{n}: (missing)")
        more = " ..." if len(names) > 8 else ""
        return {"image": None, "text": f"row {row} ({label})\n" + "\n".join(cells) + more, "label": label}
    return {"image": None, "text": f"row {row}: {label}", "label": label}
