"""Next-value forecasting on a time-ordered table column: the label is the series' own future.

Sliding windows of ``window`` past values predict the value ``horizon`` steps after the window's
last one. The split is time-ordered and cannot be anything else: training targets all come before
validation targets, which all come before test targets, and no window reaches past its own
target. Beside the model stands the baseline the course insists on: repeat the last value seen.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from workbench.core.errors import DataError

STUDY = "forecast"


@dataclass
class ForecastSettings:
    column: str | int | None = None  # a table column (name or index), or None for the target
    window: int = 24
    horizon: int = 1
    units: int = 32
    cell: str = "GRU"
    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-3
    seed: int = 0
    val: float = 0.15
    test: float = 0.15
    early_stopping: int | None = 8

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass
class Series:
    values: np.ndarray  # (n,) float64, in time order
    name: str
    time: np.ndarray | None  # (n,) sortable values, or None (row order)
    filled: int = 0  # missing values filled with the previous one


def _numeric_classes(class_names) -> np.ndarray | None:
    """The class names as numbers when every one is a number ("0", "12", "3.5"), else None."""
    if not class_names:
        return None
    try:
        out = np.array([float(str(c)) for c in class_names], dtype=np.float64)
    except ValueError:
        return None
    return out if np.isfinite(out).all() else None


def series_of(ds, column: str | int | None = None) -> Series:
    """A table column (or the numeric target) as one series in time order."""
    if ds is None or ds.kind != "table":
        raise DataError("Forecasting needs a table with a numeric column in time order; load a CSV (with a time "
                        "column if it has one).")
    X = np.asarray(ds.X, dtype=np.float64)
    names = list(ds.feature_names or [f"column {j + 1}" for j in range(X.shape[1])])
    if column is None or column == (ds.target_name or "target"):
        y = np.asarray(ds.y)
        numbers = _numeric_classes(ds.class_names)
        if numbers is not None and y.ndim == 1 and np.issubdtype(y.dtype, np.integer):
            y = numbers[y]  # whole numbers (counts, sales) were read as classes: they are values here
        elif ds.class_names is not None or not np.issubdtype(y.dtype, np.number) or y.ndim != 1:
            raise DataError("The target is not a number; choose a numeric column to forecast.")
        vals, name = y.astype(np.float64), ds.target_name or "target"
    else:
        if isinstance(column, int) and not isinstance(column, bool):
            j = column
        elif column in names:
            j = names.index(column)
        else:
            raise DataError(f"There is no column {column!r}; choose one of {', '.join(names)}.")
        if not 0 <= j < X.shape[1]:
            raise DataError(f"There is no column {column!r}; the table has {X.shape[1]} input columns.")
        if j in (ds.categories or {}):
            raise DataError(f"The column {names[j]!r} holds categories, not numbers; choose a numeric column.")
        vals, name = X[:, j].copy(), names[j]
    tm = None if ds.time is None else np.asarray(ds.time)
    if tm is not None:  # load_csv already sorts by time; other tables may not be
        order = np.argsort(tm, kind="stable")
        vals, tm = vals[order], tm[order]
    missing = ~np.isfinite(vals)
    if missing.all():
        raise DataError(f"The column {name!r} has no numbers.")
    filled = int(missing.sum())
    if filled:  # carry the last known value forward (the first ones take the first known value)
        idx = np.where(~missing, np.arange(len(vals)), 0)
        np.maximum.accumulate(idx, out=idx)
        vals = vals[idx]
        first = int(np.flatnonzero(~missing)[0])
        vals[:first] = vals[first]
    return Series(vals, str(name), tm, filled)


def make_windows(values, window: int, horizon: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X (m, window, 1), y (m,), target positions (m,)): window i is values[i : i + window] and its
    target values[i + window - 1 + horizon]."""
    v = np.asarray(values, dtype=np.float64)
    window, horizon = int(window), int(horizon)
    if window < 1 or horizon < 1:
        raise DataError("The window and the horizon must both be at least 1 step.")
    m = len(v) - window - horizon + 1
    if m < 10:
        raise DataError(f"A series of {len(v)} values gives only {max(m, 0)} windows of {window} + horizon {horizon}; "
                        f"use a shorter window or horizon, or a longer series.")
    from numpy.lib.stride_tricks import sliding_window_view

    X = sliding_window_view(v, window)[:m].copy()
    target = np.arange(m) + window - 1 + horizon
    return X[..., None], v[target], target


def time_split(n: int, val: float, test: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Consecutive index ranges: the first windows train, the next validate, the latest test."""
    from workbench.core.data import SplitPlan

    SplitPlan(kind="time", val=val, test=test)  # the same checks (fractions leave something to train on)
    n_test, n_val = int(round(n * test)), int(round(n * val))
    n_train = n - n_val - n_test
    if n_train < 5 or (val > 0 and n_val < 1) or (test > 0 and n_test < 1):
        raise DataError(f"{n} windows are too few for this split; use a longer series or smaller shares.")
    idx = np.arange(n)
    return idx[:n_train], idx[n_train:n_train + n_val], idx[n_train + n_val:]


@dataclass
class ForecastResult:
    record: Any
    series: Series
    settings: ForecastSettings
    target_positions: np.ndarray  # (m,) where each window's target sits in the series
    parts: dict[str, np.ndarray]  # "train" / "val" / "test" -> window indices
    predictions: np.ndarray  # (m,) the model's forecast of every window's target (original units)
    baseline: np.ndarray  # (m,) repeat the last value
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # part -> {"model_mae", "baseline_mae"}

    @property
    def beats_baseline(self) -> bool:
        s = self.scores.get("test") or self.scores.get("val") or {}
        return bool(s) and s["model_mae"] < s["baseline_mae"]

    def describe(self) -> str:
        return describe_scores(self.scores)

    def curve(self, limit: int | None = None) -> dict | None:
        """The series and the forecasts of its validation and test periods, as the chart draws them
        (kept in the run's details; None for a series longer than ``limit``)."""
        v = self.series.values
        if limit is not None and len(v) > limit:
            return None
        later = np.concatenate([self.parts["val"], self.parts["test"]]).astype(np.int64)
        return {"series": [float(x) for x in v], "positions": [float(x) for x in self.target_positions[later]],
                "predictions": [float(x) for x in self.predictions[later]],
                "baseline": [float(x) for x in self.baseline[later]],
                "starts": {p: float(self.target_positions[self.parts[p][0]]) for p in ("val", "test")
                           if len(self.parts[p])}}


CURVE_MAX = 20_000  # values of a series kept with its run for the chart


def describe_scores(scores: dict) -> str:
    part = "test" if "test" in scores else "val"
    s = scores.get(part, {})
    if not s:
        return ""
    verdict = "beats" if s["model_mae"] < s["baseline_mae"] else "does not beat"
    return (f"On the {'test' if part == 'test' else 'validation'} period the model's mean absolute error is "
            f"{s['model_mae']:.4g}, repeating the last value gives {s['baseline_mae']:.4g}: the model {verdict} "
            f"the baseline.")


def forecast_view(record: dict) -> dict:
    """What the Explore panel shows of a forecast run (just trained, or read back from the project):
    the summary, the scores per period and the chart's curves (None when not kept)."""
    d, data = record.get("details") or {}, record.get("data") or {}
    st, scores, filled = d.get("settings") or {}, d.get("scores") or {}, int(d.get("filled_missing") or 0)
    summary = (f"{data.get('column', '?')}: {int(data.get('n_samples') or 0):,} values; windows of "
               f"{st.get('window', '?')}, {st.get('horizon', '?')} step(s) ahead. " + describe_scores(scores)
               + (f" {filled} missing value(s) were filled with the previous one." if filled else ""))
    return {"run_id": record.get("run_id"), "summary": summary, "scores": scores, "curve": d.get("curve")}


@dataclass
class ForecastTask:
    """The forecaster as a task for ``core.tasks.run_task``."""

    ds: Any
    s: ForecastSettings
    name: str = ""
    threads: int | None = None
    kind: str = STUDY
    section: str = "explore.forecast"

    def prepare(self, say):
        from workbench.core.models import build_model, default_head
        from workbench.core.models.self_supervised import forecaster_spec
        from workbench.core.tasks import Fitting, train_config_of
        from workbench.core.training import seed_everything

        s = self.s
        self.ser = ser = series_of(self.ds, s.column)
        self.X, self.y, self.pos = X, y, pos = make_windows(ser.values, s.window, s.horizon)
        self.tr, self.va, self.te = tr, va, te = time_split(len(y), s.val, s.test)
        self.mu = mu = float(ser.values[: pos[tr][-1] + 1].mean())
        self.sd = sd = float(ser.values[: pos[tr][-1] + 1].std()) or 1.0
        self.Xs, ys = Xs, ys = ((X - mu) / sd).astype(np.float32), ((y - mu) / sd).astype(np.float32)
        head = default_head("regression")
        self.spec = forecaster_spec(s.units, s.cell)
        seed_everything(s.seed)
        model = build_model(self.spec, (s.window, 1), (1,), head)
        cfg = train_config_of(s, early_stopping=s.early_stopping if len(va) else None, threads=self.threads)
        return Fitting(model, head, (Xs[tr], ys[tr]), (Xs[va], ys[va]) if len(va) else None, cfg)

    def finish(self, fitting, fit) -> dict:
        from workbench.core.training import predict

        s, ds, ser, X, y, spec = self.s, self.ds, self.ser, self.X, self.y, self.spec
        pred = predict(fitting.model, fitting.head, self.Xs).reshape(-1).astype(np.float64) * self.sd + self.mu
        base = X[:, -1, 0]  # the last value of each window
        parts = {"train": self.tr, "val": self.va, "test": self.te}
        scores = {}
        for part, idx in parts.items():
            if len(idx):
                scores[part] = {"model_mae": float(np.mean(np.abs(pred[idx] - y[idx]))),
                                "baseline_mae": float(np.mean(np.abs(base[idx] - y[idx])))}
        self.result = res = ForecastResult(None, ser, s, self.pos, parts, pred, base, scores)
        return dict(
            name=self.name or f"forecast {ser.name} +{s.horizon}", mode="time",
            data={"spec": str((ds.source or {}).get("path") or ds.name), "name": ds.name, "kind": ds.kind,
                  "source": ds.source, "n_samples": int(len(ser.values)), "column": ser.name},
            split={"plan": {"kind": "time", "val": s.val, "test": s.test}, "text": "time-ordered: train, then "
                   "validation, then test (the latest)", "sizes": {k: int(len(v)) for k, v in parts.items()}},
            task="regression", head=fitting.head.to_dict(),
            model={"name": spec.name, "spec": spec.to_dict(), "input_shape": [s.window, 1], "output_shape": [1]},
            baseline={k: {"mae": v["baseline_mae"], "strategy": "repeat the last value"} for k, v in scores.items()
                      if k in ("val", "test")},
            test_metrics={"mae": scores["test"]["model_mae"]} if "test" in scores else None,
            details={"settings": s.to_dict(), "scaling": {"mean": self.mu, "std": self.sd}, "scores": scores,
                     "filled_missing": ser.filled, "beats_baseline": res.beats_baseline, "curve": res.curve(CURVE_MAX)},
            warnings=[f"{ser.filled} missing value(s) of {ser.name!r} were filled with the previous value."]
            if ser.filled else [])


def forecast(ds, settings: ForecastSettings | None = None, *, trainer=None, callbacks=(), project=None,
             name: str = "", device: str = "auto", threads: int | None = None,
             keep_one_core_free: bool = False) -> ForecastResult:
    """Train a recurrent forecaster through ``Trainer.fit`` and score it against repeat-the-last-value."""
    from workbench.core.tasks import run_task, threads_for

    task = ForecastTask(ds, settings or ForecastSettings(), name, threads_for(threads, keep_one_core_free))
    run = run_task(task, project=project, trainer=trainer, callbacks=callbacks, device=device)
    task.result.record = run.record
    return task.result


def synthetic_series(n: int = 600, period: float = 25.0, noise: float = 0.1, seed: int = 0):
    """A seasonal series with a slow trend (a table Dataset with a time column) for demos and tests."""
    from workbench.core.data import Dataset

    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64)
    v = np.sin(2 * np.pi * t / period) + 0.5 * np.sin(2 * np.pi * t / (period * 4.3)) + 0.002 * t
    v += noise * rng.standard_normal(n)
    return Dataset("seasonal series", "table", v[:, None], v.copy(), None,
                   f"{n} steps of a seasonal series (period {period:g}) with noise {noise:g}",
                   feature_names=["value"], time=t, target_name="next", source={"type": "synthetic"})
