"""Day'n'Night data: generated data sets with bias controls, written as class folders, and
per-subgroup reports.

Bias controls: ``balance`` (share of day images), ``hard_share`` (share of hard scenes: dusk,
dawn, overcast days, bright city nights), ``tint`` (a camera colour cast) and ``only_groups``
(e.g. a test set of dusk scenes only). Every image i is drawn from its own generator seeded by
(seed, i), so a data set is the same whatever the number of threads or chunk order.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from workbench.core.data.dataset import Dataset
from workbench.core.errors import Cancelled, DataError
from workbench.core.studies.daynight.scenes import EASY_GROUPS, GROUPS, HARD_GROUPS, parse_tint, render_scene

CLASS_NAMES = ["day", "night"]  # alphabetical, as an image-folder import of day/ and night/ gives
DAY, NIGHT = 0, 1

# Ready-made shifted test sets: a model trained on the default mix scores lower on them.
SHIFTS: dict[str, dict] = {
    "dusk": {"only_groups": ["dusk", "dawn"]},
    "hard": {"only_groups": ["dusk", "dawn", "overcast_day", "city_night"]},
    "warm_tint": {"tint": "warm"},
    "cool_tint": {"tint": "cool"},
    "dusk_warm": {"only_groups": ["dusk", "dawn"], "tint": "warm"},
}


class GenerationCancelled(DataError, Cancelled):
    """The user cancelled the generation."""


def plan_groups(n: int, balance: float = 0.5, hard_share: float = 0.2, seed: int = 0,
                only_groups: Sequence[str] | None = None) -> np.ndarray:
    """The subgroup of each of ``n`` images (exact counts, shuffled).

    ``balance`` is the share of day images; ``hard_share`` the share of hard scenes within each
    class (split evenly among that class's hard groups). ``only_groups`` restricts the scenes
    (balance then applies between the classes present).
    """
    if n < 1:
        raise DataError(f"The number of images must be at least 1 (got {n}).")
    if not 0.0 <= balance <= 1.0:
        raise DataError(f"The class balance (share of day images) must be between 0 and 1, not {balance}.")
    if not 0.0 <= hard_share <= 1.0:
        raise DataError(f"The share of hard cases must be between 0 and 1, not {hard_share}.")
    if only_groups:
        unknown = [g for g in only_groups if g not in GROUPS]
        if unknown:
            raise DataError(f"Unknown scene group(s) {', '.join(unknown)}; known: {', '.join(GROUPS)}.")
    counts: dict[str, int] = {}
    n_day = int(round(n * balance))
    per_class = {"day": n_day, "night": n - n_day}
    if only_groups:
        present = {c: [g for g in only_groups if GROUPS[g] == c] for c in ("day", "night")}
        if not present["day"]:
            per_class = {"day": 0, "night": n}
        elif not present["night"]:
            per_class = {"day": n, "night": 0}
        for c, k in per_class.items():
            gs = present[c]
            for j, g in enumerate(gs):
                counts[g] = k // len(gs) + (1 if j < k % len(gs) else 0)
    else:
        for c, k in per_class.items():
            n_hard = int(round(k * hard_share))
            hard = HARD_GROUPS[c]
            for j, g in enumerate(hard):
                counts[g] = n_hard // len(hard) + (1 if j < n_hard % len(hard) else 0)
            counts[EASY_GROUPS[c][0]] = k - n_hard
    groups = np.concatenate([np.full(k, g, dtype=object) for g, k in counts.items() if k > 0])
    np.random.default_rng((seed, 1)).shuffle(groups)
    return groups


def _render_range(out, groups, start, stop, size, seed, tint):
    for i in range(start, stop):
        rng = np.random.default_rng((seed, i))
        out[i] = render_scene(groups[i], rng, size, size, tint=tint)


def _run_chunks(n: int, work: Callable[[int, int], None], progress, should_cancel, workers: int | None,
                chunk: int = 64) -> None:
    """Run ``work(start, stop)`` over chunks in a thread pool with progress and cancellation.

    Progress and cancellation are checked on the calling thread between chunks, so a GUI worker
    can pass its callbacks straight through."""
    n_workers = workers or min(4, os.cpu_count() or 1)
    starts = list(range(0, n, chunk))
    done = 0
    cancelled = threading.Event()

    def guarded(s):
        if cancelled.is_set():
            return 0
        work(s, min(n, s + chunk))
        return min(n, s + chunk) - s

    if progress:
        progress(0, n)
    with ThreadPoolExecutor(max_workers=n_workers, thread_name_prefix="daynight") as pool:
        # submit lazily so cancellation stops quickly
        futs = [pool.submit(guarded, s) for s in starts[: n_workers * 2]]
        nxt = len(futs)
        while futs:
            f = futs.pop(0)
            done += f.result()
            if should_cancel is not None and should_cancel():
                cancelled.set()
            if not cancelled.is_set() and nxt < len(starts):
                futs.append(pool.submit(guarded, starts[nxt]))
                nxt += 1
            if progress and not cancelled.is_set():
                progress(done, n)
    if cancelled.is_set():
        raise GenerationCancelled(f"Generation was cancelled after {done} of {n} images.")


def generate_dataset(n: int = 10_000, size: int = 64, balance: float = 0.5, hard_share: float = 0.2,
                     seed: int = 0, tint=None, only_groups: Sequence[str] | None = None,
                     progress: Callable[[int, int], None] | None = None,
                     should_cancel: Callable[[], bool] | None = None, workers: int | None = None,
                     name: str | None = None) -> Dataset:
    """Generate ``n`` day/night scenes at ``size`` x ``size`` as an image Dataset.

    ``ds.y`` is 0 for day and 1 for night (``class_names == ["day", "night"]``), ``ds.groups``
    the subgroup of each image. See ``plan_groups`` for the bias controls; ``tint`` is a camera
    colour cast (name from ``scenes.TINTS`` or three RGB gains).
    """
    from workbench.core import params as P
    from workbench.core.memory import check_fits

    size = int(size)
    if size < 8:
        raise DataError(f"The image size must be at least 8 pixels (got {size}).")
    P.validate({"n": n, "size": size, "seed": seed, "balance": balance, "hard_share": hard_share},
               (P.SAMPLES, P.param(P.IMAGE_SIDE, high=1024), P.SEED, P.param(P.PROBABILITY, "balance", "share of day images"),
                P.param(P.PROBABILITY, "hard_share", "share of hard scenes")), where="the day/night generator")
    check_fits(float(n) * size * size * 3 * 5, f"{n:,} day/night images at {size}x{size}",  # uint8 + the float32 copy
               "Generate fewer or smaller images.")
    gains = parse_tint(tint)
    groups = plan_groups(n, balance, hard_share, seed, only_groups)
    X = np.empty((n, size, size, 3), np.uint8)
    _run_chunks(n, lambda a, b: _render_range(X, groups, a, b, size, seed, gains), progress, should_cancel, workers)
    y = np.array([DAY if GROUPS[g] == "day" else NIGHT for g in groups], np.int64)
    source = {"type": "daynight", "n": n, "size": size, "balance": balance, "hard_share": hard_share,
              "seed": seed, "tint": None if gains is None else [float(v) for v in gains],
              "only_groups": list(only_groups) if only_groups else None}
    desc = (f"{n:,} generated day/night scenes at {size}x{size} ({int((y == DAY).sum()):,} day, "
            f"{int((y == NIGHT).sum()):,} night; hard cases {hard_share:.0%}"
            + (f"; only {', '.join(only_groups)}" if only_groups else "")
            + (f"; tint {tint}" if gains is not None else "") + ")")
    return Dataset(name=name or "daynight", kind="image", X=X, y=y, class_names=list(CLASS_NAMES),
                   description=desc, groups=groups.astype(str), source=source, target_name="time of day")


def generate_shifted(shift: str = "dusk", n: int = 1000, size: int = 64, seed: int = 1_000_003,
                     **kwargs) -> Dataset:
    """A "shifted" test set (see ``SHIFTS``): the same task on data a model has not seen."""
    if shift not in SHIFTS:
        raise DataError(f"Unknown shift {shift!r}; choose one of {', '.join(SHIFTS)}.")
    opts = {**SHIFTS[shift], **kwargs}
    return generate_dataset(n=n, size=size, seed=seed, name=f"daynight-shift-{shift}", **opts)


def write_folder(out_dir: str | os.PathLike, n: int = 10_000, size: int = 64, balance: float = 0.5,
                 hard_share: float = 0.2, seed: int = 0, tint=None, only_groups: Sequence[str] | None = None,
                 fmt: str = "png", progress: Callable[[int, int], None] | None = None,
                 should_cancel: Callable[[], bool] | None = None, workers: int | None = None) -> dict:
    """Write a class-per-folder data set (``out_dir/day/*.png``, ``out_dir/night/*.png``).

    Images are rendered and encoded in chunks on a thread pool (memory stays at one chunk per
    thread); encoding and file writes release the GIL, the numpy drawing mostly does not.
    File names carry the subgroup (``000123_dusk.png``) so it survives the round trip; a
    ``groups.csv`` lists them too. Returns a summary dict (counts per class and group).
    """
    from workbench.core import params as P
    from workbench.core.writers import new_folder

    fmt = fmt.lower().lstrip(".")
    if fmt not in ("png", "jpg", "bmp", "webp"):
        raise DataError(f"Images can be written as png, jpg, bmp or webp, not {fmt!r}.")
    P.validate({"n": n, "size": size, "seed": seed}, (P.SAMPLES, P.param(P.IMAGE_SIDE, high=1024), P.SEED),
               where="the day/night generator")

    final = Path(out_dir).expanduser()
    with new_folder(final, ours=(*CLASS_NAMES, "groups.csv"), what="data set folder") as out:
        summary = _write_folder(out, n, size, balance, hard_share, seed, tint, only_groups, fmt, progress,
                                should_cancel, workers)
    return {**summary, "path": str(final)}


def _write_folder(out: Path, n, size, balance, hard_share, seed, tint, only_groups, fmt, progress, should_cancel,
                  workers) -> dict:
    import cv2

    for c in CLASS_NAMES:
        (out / c).mkdir(parents=True, exist_ok=True)
    gains = parse_tint(tint)
    groups = plan_groups(n, balance, hard_share, seed, only_groups)
    names = [f"{CLASS_NAMES[0 if GROUPS[g] == 'day' else 1]}/{i:06d}_{g}.{fmt}" for i, g in enumerate(groups)]
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if fmt == "jpg" else [cv2.IMWRITE_PNG_COMPRESSION, 1] if fmt == "png" else []

    def work(a, b):
        for i in range(a, b):
            img = render_scene(groups[i], np.random.default_rng((seed, i)), size, size, tint=gains)
            ok, buf = cv2.imencode("." + fmt, img[:, :, ::-1], params)
            if not ok:
                raise DataError(f"OpenCV could not encode a {fmt} image.")
            (out / names[i]).write_bytes(buf.tobytes())

    _run_chunks(n, work, progress, should_cancel, workers)
    from workbench.core.jsonio import atomic_write_text

    atomic_write_text(out / "groups.csv", "file,group\n" + "".join(f"{p},{g}\n" for p, g in zip(names, groups)))
    uniq, cnt = np.unique(groups.astype(str), return_counts=True)
    return {"path": str(out), "n": n, "size": size, "format": fmt,
            "classes": {c: sum(1 for g in groups if GROUPS[g] == c) for c in CLASS_NAMES},
            "groups": {str(g): int(k) for g, k in zip(uniq, cnt)}}


def groups_from_paths(paths) -> np.ndarray | None:
    """Recover subgroups from file names written by ``write_folder`` (None when they carry none)."""
    out = []
    for p in paths:
        stem = Path(str(p)).stem
        g = stem.split("_", 1)[1] if "_" in stem else ""
        if g not in GROUPS:
            return None
        out.append(g)
    return np.array(out, dtype=str)


def subgroup_report(y_true, y_pred, groups, class_names: Sequence[str] = CLASS_NAMES,
                    p_day=None) -> list[dict]:
    """Accuracy per subgroup, worst first, plus an "all" row at the end.

    Each row: group, label (the class the group belongs to, if all its samples share one), n,
    correct, accuracy, errors, and mean P(day) when ``p_day`` is given.
    """
    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    groups = np.asarray(groups).astype(str) if groups is not None else np.full(len(y_true), "all")
    if not (len(y_true) == len(y_pred) == len(groups)):
        raise DataError("y_true, y_pred and groups must have the same length.")
    rows = []
    for g in np.unique(groups):
        m = groups == g
        labels = np.unique(y_true[m])
        correct = int((y_true[m] == y_pred[m]).sum())
        row = {"group": str(g), "label": class_names[int(labels[0])] if len(labels) == 1 else "mixed",
               "n": int(m.sum()), "correct": correct, "accuracy": correct / int(m.sum()),
               "errors": int(m.sum()) - correct}
        if p_day is not None:
            row["mean_p_day"] = float(np.mean(np.asarray(p_day)[m]))
        rows.append(row)
    rows.sort(key=lambda r: (r["accuracy"], r["group"]))
    total = int((y_true == y_pred).sum())
    all_row = {"group": "all", "label": "mixed", "n": len(y_true), "correct": total,
               "accuracy": total / max(1, len(y_true)), "errors": len(y_true) - total}
    if p_day is not None:
        all_row["mean_p_day"] = float(np.mean(p_day)) if len(y_true) else float("nan")
    rows.append(all_row)
    return rows


def format_report(rows: list[dict]) -> str:
    """The subgroup table as aligned text (CLI, logs)."""
    lines = [f"{'group':<14}{'class':<7}{'n':>7}{'accuracy':>10}{'errors':>8}"]
    for r in rows:
        lines.append(f"{r['group']:<14}{r['label']:<7}{r['n']:>7}{r['accuracy']:>10.1%}{r['errors']:>8}")
    return "\n".join(lines)


def with_groups(ds: Dataset) -> Dataset:
    """``ds`` with its subgroups recovered from file names written by ``write_folder`` (when it
    has none yet and its files carry them)."""
    if ds.groups is None and ds.paths is not None:
        ds.groups = groups_from_paths(ds.paths)
    return ds


def describe_dataset(ds: Dataset) -> str:
    """One paragraph about a day/night data set: its description, images per class and per
    subgroup, and the files an import skipped."""
    counts = np.bincount(ds.y, minlength=len(ds.class_names or [])) if len(ds) else []
    parts = [f"{c}: {int(k):,}" for c, k in zip(ds.class_names or [], counts)]
    info = f"{ds.description or ds.name}. Classes: {', '.join(parts)}."
    if ds.groups is not None:
        g, k = np.unique(ds.groups, return_counts=True)
        info += " Groups: " + ", ".join(f"{a} {int(b):,}" for a, b in zip(g, k)) + "."
    if ds.skipped:
        info += f" Skipped {len(ds.skipped)} file(s), e.g. {Path(ds.skipped[0][0]).name}: {ds.skipped[0][1]}."
    return info


def preview_samples(ds: Dataset, n: int = 48, seed: int = 0) -> tuple[list[np.ndarray], list[str]]:
    """Up to ``n`` images drawn at random (the same ones for the same seed) and their captions
    (the subgroup, or the class when there are no subgroups)."""
    if not len(ds):
        return [], []
    idx = np.random.default_rng(seed).choice(len(ds), size=min(n, len(ds)), replace=False)
    caps = [str(ds.groups[i]) if ds.groups is not None else ds.class_names[int(ds.y[i])] for i in idx]
    return [ds.X[i] for i in idx], caps


def split_sizes(n: int, val: float, test: float) -> dict[str, int]:
    """Images per part of a hold-out split of ``n`` images (a share of n, rounded up as
    ``SplitPlan`` takes it)."""
    import math

    n_te, n_va = (int(math.ceil(f * n - 1e-9)) if f > 0 else 0 for f in (test, val))
    return {"train": n - n_te - n_va, "val": n_va, "test": n_te}
