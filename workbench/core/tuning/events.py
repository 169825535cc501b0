"""What a search view shows, without Qt: a thread-safe event log and the table / plots it folds into.

The search's ``on_event`` appends to an ``EventLog`` from its thread; the app's view reads the new
events from a GUI timer and folds them into a ``SearchView``: one row per trial (live while it
trains), the axes of a parallel-coordinates plot (log axes for log-scale parameters, categories
as evenly spaced ticks), brushing (which trials pass every axis' range) and each trial's curve.
A finished search run (``RunRecord.search``) folds into the same view.
"""
from __future__ import annotations

import copy
import math
import threading
from dataclasses import dataclass, field

STATES = ("running", "complete", "pruned", "failed", "stopped")


class EventLog:
    """Append from any thread (it is the search's ``on_event``); read what is new by position."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items: list[dict] = []

    def __call__(self, event: dict) -> None:
        item = copy.deepcopy(event)
        with self._lock:
            self._items.append(item)

    def since(self, pos: int) -> tuple[list[dict], int]:
        with self._lock:
            return list(self._items[pos:]), len(self._items)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


@dataclass
class Axis:
    """One axis of the parallel-coordinates plot: ``norm(v)`` puts a value in [0, 1]."""

    name: str
    kind: str  # "linear" | "log" | "category"
    low: float = 0.0
    high: float = 1.0
    categories: list = field(default_factory=list)

    def norm(self, v) -> float | None:
        if v is None:
            return None
        if self.kind == "category":
            key = repr(v)
            keys = [repr(c) for c in self.categories]
            if key not in keys:
                return None
            return keys.index(key) / max(1, len(keys) - 1) if len(keys) > 1 else 0.5
        try:
            x = float(v)
        except (TypeError, ValueError):
            return None
        if not math.isfinite(x):
            return None
        lo, hi = self.low, self.high
        if self.kind == "log":
            if x <= 0 or lo <= 0:
                return None
            x, lo, hi = math.log10(x), math.log10(lo), math.log10(hi)
        return 0.5 if hi == lo else (x - lo) / (hi - lo)

    def ticks(self, n: int = 3) -> list[tuple[float, str]]:
        """(position in [0, 1], label) for the axis' labels."""
        if self.kind == "category":
            return [(self.norm(c), str(c)) for c in self.categories]
        if self.high == self.low:
            return [(0.5, f"{self.low:.3g}")]
        out = []
        for i in range(n):
            t = i / (n - 1)
            if self.kind == "log":
                v = 10 ** (math.log10(self.low) + t * (math.log10(self.high) - math.log10(self.low)))
            else:
                v = self.low + t * (self.high - self.low)
            out.append((t, f"{v:.3g}"))
        return out


class SearchView:
    """The rows, axes and curves of one search, folded from events or from a search run."""

    def __init__(self):
        self.study = ""
        self.metric = "score"
        self.direction = "maximize"
        self.params: list[str] = []
        self.log_params: set[str] = set()
        self.rows: dict[int, dict] = {}
        self.live: dict[int, dict[int, list[dict]]] = {}  # trial -> fold -> epoch logs
        self.importances: dict[str, float] = {}
        self.n_trials = 0
        self.done = False
        self.stopped = False
        self.executor = ""
        self.workers: list[str] = []
        self.final_epochs: list[dict] = []

    # ---- folding ---------------------------------------------------------------------------
    def apply(self, e: dict) -> None:
        kind = e.get("kind")
        if kind == "study":
            self.study, self.metric = e.get("study", ""), e.get("metric", "score")
            self.direction, self.n_trials = e.get("direction", "maximize"), int(e.get("n_trials") or 0)
            self.params = list(e.get("params") or [])
            self.executor, self.workers = e.get("executor", ""), list(e.get("workers") or [])
            for r in e.get("trials") or []:
                self.rows[int(r["number"])] = dict(r)
        elif kind == "asked":
            self.rows[int(e["trial"])] = {"number": int(e["trial"]), "state": "running", "params": e.get("params", {}),
                                          "value": None, "retry_of": e.get("retry_of"), "workers": []}
        elif kind == "started":
            row = self.rows.setdefault(int(e["trial"]), {"number": int(e["trial"]), "state": "running",
                                                         "params": e.get("params", {}), "value": None, "workers": []})
            if e.get("worker") and e["worker"] not in row.setdefault("workers", []):
                row["workers"].append(e["worker"])
        elif kind == "report":
            n = int(e["trial"])
            self.live.setdefault(n, {}).setdefault(int(e.get("fold", 0)), []).append(
                {"epoch": int(e.get("epoch") or 0), **(e.get("logs") or {})})
            row = self.rows.get(n)
            if row is not None and row.get("state") == "running" and e.get("value") is not None:
                row["value"] = e["value"]
                row["epochs"] = max(int(row.get("epochs") or 0), int(e.get("epoch") or 0))
        elif kind == "trial":
            r = dict(e["row"])
            self.rows[int(r["number"])] = r
        elif kind == "final_epoch":
            self.final_epochs.append({"epoch": e.get("epoch"), **(e.get("logs") or {})})
        elif kind == "done":
            self.done, self.stopped = True, bool(e.get("stopped"))
            self.importances = dict(e.get("importances") or {})

    @classmethod
    def from_search(cls, search: dict) -> "SearchView":
        """A finished search run's ``RunRecord.search``."""
        from workbench.core.tuning.space import parse_search_space

        v = cls()
        v.study, v.metric = search.get("study", ""), search.get("metric", "score")
        v.direction = "maximize" if search.get("higher_is_better") else "minimize"
        v.params = list(search.get("params") or [])
        v.importances = dict(search.get("importances") or {})
        v.n_trials = int(search.get("n_trials") or 0)
        v.executor, v.workers = search.get("executor", ""), list(search.get("workers") or [])
        v.done, v.stopped = True, bool(search.get("stopped"))
        for r in search.get("trials") or []:
            row = dict(r)
            row.setdefault("value", row.get("score"))
            v.rows[int(row.get("number", len(v.rows)))] = row
        if not v.params:
            v.params = sorted({k for r in v.rows.values() for k in (r.get("params") or {})})
        try:
            v.set_space(parse_search_space(search["space"]) if search.get("space") else None)
        except Exception:  # noqa: BLE001 - an old run's space text: linear axes are fine
            pass
        return v

    def set_space(self, space) -> None:
        if space is None:
            return
        self.params = self.params or space.names
        self.log_params = {p.name for p in space.params if p.kind in ("log", "logint")}

    # ---- what the view shows -------------------------------------------------------------------
    @property
    def higher_is_better(self) -> bool:
        return self.direction == "maximize"

    def table(self) -> list[dict]:
        """One row per trial, by trial number: number, state, value, each parameter, worker, ..."""
        out = []
        for n in sorted(self.rows):
            r = self.rows[n]
            row = {"trial": n, "state": r.get("state"), self.metric: r.get("value")}
            for p in self.params:
                row[p] = (r.get("params") or {}).get(p)
            row["epochs"] = r.get("epochs_run") if r.get("epochs_run") is not None else r.get("epochs")
            row["worker"] = ", ".join(_short(w) for w in r.get("workers") or [])
            row["time"] = r.get("duration")
            row["run_id"] = r.get("run_id")
            out.append(row)
        return out

    def best(self) -> dict | None:
        done = [r for r in self.rows.values() if r.get("state") == "complete" and r.get("value") is not None]
        if not done:
            return None
        return (max if self.higher_is_better else min)(done, key=lambda r: r["value"])

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for r in self.rows.values() if r.get("state") == s) for s in STATES}

    def axes(self) -> list[Axis]:
        """One axis per parameter, then the score."""
        out = []
        rows = list(self.rows.values())
        for p in self.params:
            vals = [(r.get("params") or {}).get(p) for r in rows]
            vals = [v for v in vals if v is not None]
            nums = [float(v) for v in vals if isinstance(v, (int, float)) and not isinstance(v, bool)]
            if vals and len(nums) < len(vals):
                cats = []
                for v in vals:
                    if repr(v) not in [repr(c) for c in cats]:
                        cats.append(v)
                out.append(Axis(p, "category", categories=sorted(cats, key=str)))
            elif nums:
                kind = "log" if p in self.log_params and min(nums) > 0 else "linear"
                out.append(Axis(p, kind, min(nums), max(nums)))
            else:
                out.append(Axis(p, "linear"))
        scores = [float(r["value"]) for r in rows if _num(r.get("value"))]
        out.append(Axis(self.metric, "linear", min(scores) if scores else 0.0, max(scores) if scores else 1.0))
        return out

    def lines(self, axes: list[Axis] | None = None) -> list[tuple[int, list[float | None]]]:
        """(trial, normalized value per axis) for every trial with a value."""
        axes = axes or self.axes()
        out = []
        for n in sorted(self.rows):
            r = self.rows[n]
            ys = [ax.norm((r.get("params") or {}).get(ax.name)) for ax in axes[:-1]] + [axes[-1].norm(r.get("value"))]
            if any(y is not None for y in ys):
                out.append((n, ys))
        return out

    def passing(self, brushes: dict[str, tuple[float, float]], axes: list[Axis] | None = None) -> set[int]:
        """Trials whose normalized value lies in every brushed axis' [lo, hi] (TensorBoard's filter)."""
        axes = axes or self.axes()
        index = {ax.name: i for i, ax in enumerate(axes)}
        keep = set()
        for n, ys in self.lines(axes):
            ok = True
            for name, (lo, hi) in brushes.items():
                i = index.get(name)
                if i is None:
                    continue
                y = ys[i]
                if y is None or not (min(lo, hi) - 1e-9 <= y <= max(lo, hi) + 1e-9):
                    ok = False
                    break
            if ok:
                keep.add(n)
        return keep

    def scatter(self, param: str) -> tuple[list[float], list[float], list[int], list[str]]:
        """(x, score, trial numbers, x tick labels for categories) of one parameter vs the score."""
        ax = next((a for a in self.axes() if a.name == param), None)
        xs, ys, ns = [], [], []
        for n in sorted(self.rows):
            r = self.rows[n]
            v, s = (r.get("params") or {}).get(param), r.get("value")
            if v is None or not _num(s):
                continue
            if ax is not None and ax.kind == "category":
                x = float([repr(c) for c in ax.categories].index(repr(v)))
            elif _num(v):
                x = float(v)
            else:
                continue
            xs.append(x)
            ys.append(float(s))
            ns.append(n)
        labels = [str(c) for c in ax.categories] if ax is not None and ax.kind == "category" else []
        return xs, ys, ns, labels

    def is_log(self, param: str) -> bool:
        return param in self.log_params

    def curve(self, number: int) -> dict[str, list[float]]:
        """A trial's per-epoch curves as far as this view saw them (fold 1 of a cross-validation)."""
        folds = self.live.get(number) or {}
        logs = folds.get(min(folds)) if folds else []
        keys = sorted({k for h in logs for k in h if k != "epoch"})
        return {"epoch": [float(h["epoch"]) for h in logs],
                **{k: [float(h[k]) if _num(h.get(k)) else float("nan") for h in logs] for k in keys}}


def _num(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v))


def _short(worker: str) -> str:
    return str(worker).replace("tcp://", "")


def load_study_view(project, name: str) -> SearchView:
    """A stored study as a view (what the Search tab shows for a search that is not running)."""
    import optuna

    from workbench.core.tuning.space import SearchSpace, parse_search_space
    from workbench.core.tuning.study import _direction, importances, open_storage, row_of, study_path

    path = study_path(project, name)
    study = optuna.load_study(study_name=name, storage=open_storage(path))
    wb = study.user_attrs.get("workbench", {})
    v = SearchView()
    v.study, v.metric = name, wb.get("metric", "score")
    v.direction = _direction(v.metric)
    space: SearchSpace | None = None
    if wb.get("definition", {}).get("space"):
        space = parse_search_space(wb["definition"]["space"])
        v.params = space.names
    v.set_space(space)
    for t in study.get_trials(deepcopy=False):
        if t.state.is_finished():
            r = row_of(t)
            v.rows[r["number"]] = r
    v.importances = importances(study)
    v.n_trials = int(wb.get("n_trials") or 0)
    v.done = True
    return v
