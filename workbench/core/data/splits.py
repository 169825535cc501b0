"""Split plans: hold-out, K-fold, iterated K-fold, time-ordered; stratified and seeded.

Order of operations in ``SplitPlan.make`` (the same for every kind):
1. the test set is held out first (stratified random draw, or the latest samples for time plans);
2. with ``drop_duplicates`` the non-test side loses every sample whose exact copy is in the test
   set, and keeps one sample of each remaining group of copies, so no copy can leak across splits;
3. the rest is cut into train/validation: one hold-out cut, K folds, P x K folds, or time blocks.
Leaks (exact copies that land in two different parts) are reported either way.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields

import numpy as np

from workbench.core.data.dataset import Dataset
from workbench.core.data.duplicates import find_duplicates
from workbench.core.errors import SplitError
from workbench.core.params import SPLIT_DEFAULTS as _D
from workbench.core.params import SPLIT_KINDS as KINDS
PART_NAMES = ("train", "val", "test")


@dataclass
class SplitPlan:
    """How to split a data set.

    kind       holdout | kfold | iterated-kfold | time | time-kfold
    val, test  fractions of all samples (val is used by holdout and time; K-fold plans hold out
               ``test`` first and make the folds on the rest)
    k, repeats K folds, P repeats (iterated-kfold reshuffles before each repeat)
    stratify   keep class proportions in every part (classification with one label per sample;
               time plans never shuffle, so never stratify)
    """

    kind: str = _D["kind"]
    val: float = _D["val"]
    test: float = _D["test"]
    k: int = _D["k"]
    repeats: int = _D["repeats"]
    stratify: bool = _D["stratify"]
    seed: int = _D["seed"]
    drop_duplicates: bool = _D["drop_duplicates"]

    def __post_init__(self):
        if self.kind not in KINDS:
            raise SplitError(f"Unknown split kind {self.kind!r}; choose one of {', '.join(KINDS)}.")
        for what in ("val", "test"):
            v = float(getattr(self, what))
            if not (0.0 <= v < 1.0) or math.isnan(v):
                raise SplitError(f"The {what} fraction must be between 0 and 1 (e.g. 0.2), not {v}.")
            setattr(self, what, v)
        if self.kind in ("holdout", "time") and self.val + self.test >= 1.0:
            raise SplitError(
                f"Validation ({self.val:g}) and test ({self.test:g}) fractions add up to "
                f"{self.val + self.test:g}, leaving nothing to train on; make them smaller."
            )
        from workbench.core import params as P

        self.k, self.repeats, self.seed = int(self.k), int(self.repeats), int(self.seed)
        if self.kind in ("kfold", "iterated-kfold", "time-kfold") and self.k < 2:
            raise SplitError(f"K-fold needs at least 2 folds, not {self.k}.")
        if self.repeats < 1:
            raise SplitError(f"Iterated K-fold needs at least 1 repeat, not {self.repeats}.")
        try:
            P.validate({"k": self.k, "repeats": self.repeats, "seed": self.seed},
                       (P.FOLDS, P.REPEATS, P.SEED), where="the split")
        except P.ParamError as e:
            raise SplitError(str(e)) from None
        if self.kind in ("kfold", "iterated-kfold", "time-kfold") and self.k * self.repeats > P.FOLD_PLAN_MAX:
            raise SplitError(f"{self.repeats} repeats of {self.k} folds would be {self.k * self.repeats:,} trainings; "
                             f"use at most {P.FOLD_PLAN_MAX:,} (e.g. iterated-kfold:3x5).")

    @classmethod
    def parse(cls, text: str, **overrides) -> "SplitPlan":
        """Parse "holdout[:VAL[,TEST]]", "kfold[:K[,TEST]]", "iterated-kfold[:PxK[,TEST]]",
        "time[:VAL[,TEST]]", "time-kfold[:K[,TEST]]", optionally followed by ";seed=N",
        ";drop-duplicates", ";no-stratify". Keyword overrides win over the text."""
        text = text.strip()
        head, *options = [t.strip() for t in text.split(";")]
        kind, _, args = head.partition(":")
        kind = kind.strip().lower().replace("_", "-")
        aliases = {"hold-out": "holdout", "k-fold": "kfold", "cv": "kfold", "iterated": "iterated-kfold",
                   "repeated-kfold": "iterated-kfold", "time-series": "time"}
        kind = aliases.get(kind, kind)
        if kind not in KINDS:
            raise SplitError(
                f"Unknown split {text!r}; write holdout:0.2,0.2, kfold:5, iterated-kfold:3x5, "
                "time:0.2,0.2 or time-kfold:5."
            )
        values: dict = {"kind": kind}
        parts = [a.strip() for a in args.split(",") if a.strip()] if args else []
        try:
            if kind in ("holdout", "time"):
                if len(parts) > 2:
                    raise ValueError
                if parts:
                    values["val"] = float(parts[0])
                if len(parts) > 1:
                    values["test"] = float(parts[1])
            else:
                if len(parts) > 2:
                    raise ValueError
                if parts:
                    if kind == "iterated-kfold":
                        p, x, k = parts[0].lower().partition("x")
                        if not x:
                            raise ValueError
                        values["repeats"], values["k"] = int(p), int(k)
                    else:
                        values["k"] = int(parts[0])
                elif kind == "iterated-kfold":
                    values["repeats"] = 3
                if len(parts) > 1:
                    values["test"] = float(parts[1])
            for opt in options:
                key, _, val = opt.partition("=")
                key = key.strip().lower().replace("_", "-")
                if key == "seed":
                    values["seed"] = int(val)
                elif key in ("drop-duplicates", "dedupe"):
                    values["drop_duplicates"] = val.strip().lower() not in ("0", "false", "no")
                elif key == "no-stratify":
                    values["stratify"] = False
                elif key == "stratify":
                    values["stratify"] = val.strip().lower() not in ("0", "false", "no")
                elif key:
                    raise ValueError
        except ValueError:
            raise SplitError(
                f"Cannot read the split {text!r}; examples: holdout:0.2,0.2 (validation, test "
                "fractions), kfold:5, iterated-kfold:3x5 (repeats x folds), time:0.2,0.2, "
                "time-kfold:5, with options like ;seed=1;drop-duplicates."
            ) from None
        values.update(overrides)
        return cls(**values)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "SplitPlan":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})

    def to_text(self, *, seed: bool = True, drop_duplicates: bool = True) -> str:
        """The ``parse`` form of this plan (without the seed / the drop-duplicates option when
        those are False: the command line gives them as options of their own)."""
        if self.kind in ("holdout", "time"):
            s = f"{self.kind}:{self.val:g},{self.test:g}"
        elif self.kind == "iterated-kfold":
            s = f"{self.kind}:{self.repeats}x{self.k},{self.test:g}"
        else:
            s = f"{self.kind}:{self.k},{self.test:g}"
        if seed:
            s += f";seed={self.seed}"
        if not self.stratify:
            s += ";no-stratify"
        if self.drop_duplicates and drop_duplicates:
            s += ";drop-duplicates"
        return s

    def describe(self, by_class: bool = True) -> str:
        """One sentence; ``by_class`` False for targets without classes (regression), which are
        never stratified."""
        pct = lambda f: f"{100 * f:.0f}%"  # noqa: E731
        test = f"{pct(self.test)} test held out" if self.test else "no test set"
        if self.kind == "holdout":
            s = f"Hold-out: {pct(1 - self.val - self.test)} train, {pct(self.val)} validation, {pct(self.test)} test"
        elif self.kind == "time":
            s = (f"Time-ordered: earliest {pct(1 - self.val - self.test)} train, next {pct(self.val)} "
                 f"validation, latest {pct(self.test)} test, no shuffling")
        elif self.kind == "kfold":
            s = f"{self.k}-fold cross-validation on the rest after {test}"
        elif self.kind == "iterated-kfold":
            s = (f"Iterated {self.k}-fold cross-validation, {self.repeats} repeats reshuffled each time "
                 f"({self.repeats * self.k} runs), after {test}")
        else:
            s = (f"Time-ordered {self.k}-fold (each fold trains on the past, validates on the next "
                 f"block), after the latest {pct(self.test)} is held out as test")
        extras = []
        if self.kind not in ("time", "time-kfold"):
            if not by_class:
                extras.append("random draw: a numeric target has no classes to stratify by")
            else:
                extras.append("stratified by class" if self.stratify else "not stratified")
            extras.append(f"seed {self.seed}")
        if self.drop_duplicates:
            extras.append("exact duplicates dropped from the non-test side")
        return s + (f" ({', '.join(extras)})" if extras else "") + "."

    def make(self, ds: Dataset) -> "Splits":
        return _make(self, ds)


@dataclass
class Fold:
    train_idx: np.ndarray
    val_idx: np.ndarray
    repeat: int = 0
    fold: int = 0

    def to_dict(self) -> dict:
        return {"train_idx": self.train_idx.tolist(), "val_idx": self.val_idx.tolist(),
                "repeat": self.repeat, "fold": self.fold}


@dataclass
class Leak:
    """A group of identical samples spread over more than one part of some fold."""

    indices: list[int]
    splits: list[str]  # parts it appears in, e.g. ["train", "test"]
    folds: list[int]  # positions in Splits.folds where it leaks

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Splits:
    plan: SplitPlan
    test_idx: np.ndarray
    folds: list[Fold]
    class_counts: dict  # {"all"|"test"|"rest": {class: n}, "folds": [{"train": {...}, "val": {...}}]}
    leaks: list[Leak] = field(default_factory=list)
    dropped: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sizes: dict = field(default_factory=dict)  # same layout as class_counts, with sample counts
    warnings: list[str] = field(default_factory=list)
    rest: np.ndarray | None = None  # sorted non-test, non-dropped indices

    @property
    def train_idx(self) -> np.ndarray:
        """Training indices of the first fold (the only one for hold-out and time plans)."""
        return self.folds[0].train_idx

    @property
    def val_idx(self) -> np.ndarray:
        return self.folds[0].val_idx

    @property
    def fit_idx(self) -> np.ndarray:
        """The rows a run fits its preprocessing on: all non-test rows for K folds (each fold
        refits on its own), else the training rows."""
        return self.rest_idx if len(self.folds) > 1 else self.train_idx

    @property
    def rest_idx(self) -> np.ndarray:
        """Every sample outside the test set that was not dropped (what a final model trains on)."""
        if self.rest is not None:
            return self.rest
        return np.unique(np.concatenate([np.concatenate([f.train_idx, f.val_idx]) for f in self.folds]))

    def to_dict(self) -> dict:
        return {
            "plan": self.plan.to_dict(),
            "test_idx": self.test_idx.tolist(),
            "folds": [f.to_dict() for f in self.folds],
            "class_counts": self.class_counts,
            "sizes": self.sizes,
            "leaks": [lk.to_dict() for lk in self.leaks],
            "dropped": self.dropped.tolist(),
            "warnings": list(self.warnings),
            "rest": self.rest_idx.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Splits":
        arr = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
        return cls(
            plan=SplitPlan.from_dict(d["plan"]),
            test_idx=arr(d["test_idx"]),
            folds=[Fold(arr(f["train_idx"]), arr(f["val_idx"]), f.get("repeat", 0), f.get("fold", 0))
                   for f in d["folds"]],
            class_counts=d.get("class_counts", {}),
            leaks=[Leak(**lk) for lk in d.get("leaks", [])],
            dropped=arr(d.get("dropped", [])),
            sizes=d.get("sizes", {}),
            warnings=list(d.get("warnings", [])),
            rest=arr(d["rest"]) if "rest" in d else None,
        )

    def describe(self) -> str:
        """A few lines for people: sizes and class counts per part, leaks."""
        lines = [self.plan.describe(by_class=bool(self.class_counts.get("all")))]

        def fmt(part: str, n: int, counts: dict) -> str:
            c = ", ".join(f"{k} {v}" for k, v in counts.items()) if counts else ""
            return f"  {part:<6} {n:>7,} samples" + (f"  ({c})" if c else "")

        lines.append(fmt("test", self.sizes.get("test", len(self.test_idx)), self.class_counts.get("test", {})))
        shown = self.folds if len(self.folds) <= 10 else self.folds[:10]
        for i, f in enumerate(shown):
            cc = self.class_counts.get("folds", [{}] * len(self.folds))[i]
            if len(self.folds) > 1:
                lines.append(f"  fold {f.fold + 1}" + (f" of repeat {f.repeat + 1}" if self.plan.repeats > 1 else "") + ":")
            lines.append(fmt("train", len(f.train_idx), cc.get("train", {})))
            lines.append(fmt("val", len(f.val_idx), cc.get("val", {})))
        if len(self.folds) > len(shown):
            lines.append(f"  ... and {len(self.folds) - len(shown)} more folds")
        if len(self.dropped):
            lines.append(f"  {len(self.dropped)} exact duplicates dropped from the non-test side")
        if self.leaks:
            n = sum(len(lk.indices) for lk in self.leaks)
            lines.append(f"  LEAK: {len(self.leaks)} groups of identical samples ({n} samples) appear in "
                         "more than one part; the scores on those parts will look too good")
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)


# ---------------------------------------------------------------- making splits


def _n_of(frac: float, n: int) -> int:
    return int(math.ceil(frac * n - 1e-9)) if frac > 0 else 0


def _stratify_labels(plan: SplitPlan, ds: Dataset) -> np.ndarray | None:
    y = np.asarray(ds.y)
    if plan.stratify and ds.class_names is not None and y.ndim == 1 and plan.kind not in ("time", "time-kfold"):
        return y
    return None


def _class_name(ds: Dataset, c: int) -> str:
    return ds.class_names[c] if ds.class_names and 0 <= c < len(ds.class_names) else str(c)


def _check_stratified_draw(ds: Dataset, labels: np.ndarray, pool: np.ndarray, n_draw: int, what: str) -> None:
    classes, counts = np.unique(labels[pool], return_counts=True)
    if counts.min() < 2:
        c = classes[counts.argmin()]
        raise SplitError(
            f"Class {_class_name(ds, int(c))!r} has only {counts.min()} sample"
            f"{'' if counts.min() == 1 else 's'} here, so a stratified split cannot put it in both "
            f"the {what} set and the rest; add samples of it or turn stratification off."
        )
    if n_draw < len(classes):
        raise SplitError(
            f"The {what} set would have {n_draw} samples, fewer than the {len(classes)} classes, so it "
            f"cannot hold every class; use a larger {what} fraction or turn stratification off."
        )
    if len(pool) - n_draw < len(classes):
        raise SplitError(
            f"After taking {n_draw} samples for {what}, only {len(pool) - n_draw} remain for the "
            f"{len(classes)} classes; use a smaller {what} fraction or more data."
        )


def _draw(ds, pool: np.ndarray, n_draw: int, labels, seed: int, what: str):
    """(rest, drawn) random, stratified when labels is given."""
    from sklearn.model_selection import train_test_split

    if n_draw == 0:
        return pool, pool[:0]
    if n_draw >= len(pool):
        raise SplitError(
            f"The {what} set would need {n_draw} of the {len(pool)} remaining samples, leaving none to "
            f"train on; use a smaller {what} fraction or more data."
        )
    if labels is not None:
        _check_stratified_draw(ds, labels, pool, n_draw, what)
    rest, drawn = train_test_split(pool, test_size=n_draw, random_state=seed,
                                   stratify=None if labels is None else labels[pool], shuffle=True)
    return np.sort(rest), np.sort(drawn)


def _dedupe(pool: np.ndarray, test_idx: np.ndarray, groups: list[np.ndarray], order_rank: np.ndarray):
    """(pool without duplicates, dropped): drop copies of test samples, keep one per group."""
    in_test = np.zeros(len(order_rank), dtype=bool)
    in_test[test_idx] = True
    in_pool = np.zeros(len(order_rank), dtype=bool)
    in_pool[pool] = True
    drop: list[int] = []
    for g in groups:
        members = g[in_pool[g]]
        if len(members) == 0:
            continue
        if in_test[g].any():
            drop.extend(members.tolist())
        elif len(members) > 1:
            keep = members[np.argmin(order_rank[members])]  # earliest in time / row order
            drop.extend(int(m) for m in members if m != keep)
    dropped = np.array(sorted(drop), dtype=np.int64)
    return np.setdiff1d(pool, dropped), dropped


def _counts(ds: Dataset, idx: np.ndarray) -> dict:
    if ds.class_names is None:
        return {}
    y = np.asarray(ds.y)[idx]
    if y.ndim == 2 and y.shape[1] == len(ds.class_names) and ds.kind != "sequence":
        return {name: int(y[:, j].sum()) for j, name in enumerate(ds.class_names)}  # multilabel
    if y.ndim != 1:  # per-time-step labels: count every step
        y = y.reshape(-1)
    binc = np.bincount(y.astype(np.int64), minlength=len(ds.class_names))
    return {name: int(binc[j]) for j, name in enumerate(ds.class_names)}


def _make(plan: SplitPlan, ds: Dataset) -> Splits:
    n = len(ds)
    if n < 2:
        raise SplitError(f"The data set has {n} sample{'s' if n != 1 else ''}; a split needs at least 2.")
    labels = _stratify_labels(plan, ds)
    timed = plan.kind in ("time", "time-kfold")
    if timed and ds.time is not None:
        order = np.argsort(np.asarray(ds.time), kind="stable")
    else:
        order = np.arange(n)
    order_rank = np.empty(n, dtype=np.int64)
    order_rank[order] = np.arange(n)
    warnings: list[str] = []

    n_test = _n_of(plan.test, n)
    n_val = _n_of(plan.val, n) if plan.kind in ("holdout", "time") else 0
    if n - n_test - n_val < 1:
        raise SplitError(
            f"With {n} samples, {n_test} for test and {n_val} for validation leave none for training; "
            "use smaller fractions or more data."
        )

    # 1. the test set
    if timed:
        test_idx = np.sort(order[n - n_test:]) if n_test else np.zeros(0, dtype=np.int64)
        pool = order[: n - n_test]
    else:
        pool, test_idx = _draw(ds, np.arange(n), n_test, labels, plan.seed, "test")

    # 2. duplicates
    groups = find_duplicates(ds)
    dropped = np.zeros(0, dtype=np.int64)
    if plan.drop_duplicates and groups:
        kept, dropped = _dedupe(pool, test_idx, groups, order_rank)
        pool = kept[np.argsort(order_rank[kept], kind="stable")] if timed else kept
        if len(pool) < 2:
            raise SplitError("Dropping duplicates leaves fewer than 2 samples outside the test set.")

    # 3. train / validation
    folds: list[Fold] = []
    if plan.kind == "holdout":
        if n_val >= len(pool):
            raise SplitError(
                f"After removing duplicates only {len(pool)} samples remain outside the test set, too "
                f"few for {n_val} validation samples plus training; use a smaller validation fraction."
            )
        train, val = _draw(ds, pool, n_val, labels, plan.seed, "validation")
        folds.append(Fold(train, val))
    elif plan.kind == "time":
        n_v = min(n_val, len(pool) - 1)
        folds.append(Fold(np.sort(pool[: len(pool) - n_v]), np.sort(pool[len(pool) - n_v:])))
    else:
        k = plan.k
        if k > len(pool):
            raise SplitError(
                f"{k} folds need at least {k} samples outside the test set, but there are only "
                f"{len(pool)}; choose K <= {len(pool)} or use more data."
            )
        if plan.kind == "time-kfold":
            from sklearn.model_selection import TimeSeriesSplit

            if k + 1 > len(pool):
                raise SplitError(
                    f"Time-ordered {k}-fold needs at least {k + 1} samples outside the test set, but "
                    f"there are only {len(pool)}; choose K <= {len(pool) - 1}."
                )
            for i, (tr, va) in enumerate(TimeSeriesSplit(n_splits=k).split(pool)):
                folds.append(Fold(np.sort(pool[tr]), np.sort(pool[va]), 0, i))
        else:
            from sklearn.model_selection import KFold, RepeatedKFold, RepeatedStratifiedKFold, StratifiedKFold

            if labels is not None:
                classes, counts = np.unique(labels[pool], return_counts=True)
                if counts.min() < k:
                    c = _class_name(ds, int(classes[counts.argmin()]))
                    raise SplitError(
                        f"{k} stratified folds need at least {k} samples of every class outside the test "
                        f"set, but class {c!r} has only {counts.min()}; choose K <= {counts.min()}, add "
                        "samples of it, or turn stratification off."
                    )
            if plan.kind == "kfold":
                splitter = (StratifiedKFold if labels is not None else KFold)(
                    n_splits=k, shuffle=True, random_state=plan.seed)
                reps = 1
            else:
                splitter = (RepeatedStratifiedKFold if labels is not None else RepeatedKFold)(
                    n_splits=k, n_repeats=plan.repeats, random_state=plan.seed)
                reps = plan.repeats
            y_pool = labels[pool] if labels is not None else np.zeros(len(pool))
            for i, (tr, va) in enumerate(splitter.split(np.zeros((len(pool), 1)), y_pool)):
                folds.append(Fold(np.sort(pool[tr]), np.sort(pool[va]), i // k if reps > 1 else 0, i % k))

    for f in folds:
        if len(f.train_idx) == 0:
            raise SplitError("A split left a training set empty; use smaller fractions or more data.")

    # leaks: identical samples in two parts of the same fold
    leaks: list[Leak] = []
    if groups:
        part = np.full(n, -1, dtype=np.int8)
        part[test_idx] = 2
        where: dict[int, tuple[set, list]] = {}
        for fi, f in enumerate(folds):
            part[part != 2] = -1
            part[f.train_idx] = 0
            part[f.val_idx] = 1
            for gi, g in enumerate(groups):
                p = {int(x) for x in part[g] if x >= 0}
                if len(p) > 1:
                    s, fl = where.setdefault(gi, (set(), []))
                    s.update(p)
                    fl.append(fi)
        for gi in sorted(where):
            s, fl = where[gi]
            leaks.append(Leak([int(i) for i in groups[gi]], [PART_NAMES[p] for p in sorted(s)], fl))
        if leaks:
            warnings.append(
                f"{len(leaks)} groups of identical samples appear in more than one part "
                f"({sum(len(lk.indices) for lk in leaks)} samples); their scores will look better than "
                "they are; turn on drop_duplicates."
            )

    if timed and ds.time is None:
        warnings.append("The data has no time column, so the row order is taken as time order.")
    if labels is not None:
        small = [c for c, v in _counts(ds, test_idx).items() if n_test and v == 0]
        if small:
            warnings.append(f"The test set has no samples of {', '.join(small)}.")

    class_counts = {
        "all": _counts(ds, np.arange(n)),
        "test": _counts(ds, test_idx),
        "rest": _counts(ds, np.sort(pool)),
        "folds": [{"train": _counts(ds, f.train_idx), "val": _counts(ds, f.val_idx)} for f in folds],
    }
    sizes = {
        "all": n,
        "test": int(len(test_idx)),
        "rest": int(len(pool)),
        "dropped": int(len(dropped)),
        "folds": [{"train": int(len(f.train_idx)), "val": int(len(f.val_idx))} for f in folds],
    }
    return Splits(plan, np.sort(test_idx).astype(np.int64), folds, class_counts, leaks,
                  dropped, sizes, warnings, np.sort(pool).astype(np.int64))
