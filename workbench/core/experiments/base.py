"""Experiment framework: each lesson is a function that runs real trainings and computes its conclusion.

A lesson returns what it measured and one signed *effect* in a natural unit (positive when the runs
show what the lesson claims: "standardizing raised validation accuracy by 0.21"). The framework
repeats the lesson over several seeds (``Context.n_seeds``: 2 in fast mode, 3 in full mode) and
judges the effects with a noise margin: the lesson "agrees" only when the mean effect exceeds both
the smallest effect worth naming and the seeds' spread, "contradicts" when it is as clearly the
other way, and is "inconclusive" otherwise. A lesson that already repeats itself inside (several
series, several shuffles) may return one effect per repetition instead, and is run once.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Sequence

from workbench.core.errors import Cancelled

VERDICTS = ("agrees", "contradicts", "inconclusive")


@dataclass
class Series:
    label: str
    x: list[float]
    y: list[float]
    style: str = "line"  # "line" | "dash" | "points"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Chart:
    title: str
    xlabel: str
    ylabel: str
    series: list[Series] = field(default_factory=list)
    log_y: bool = False

    def to_dict(self) -> dict:
        return {"title": self.title, "xlabel": self.xlabel, "ylabel": self.ylabel, "log_y": self.log_y,
                "series": [s.to_dict() for s in self.series]}


@dataclass
class Verdict:
    """The judgement of a lesson's claim from repeated runs.

    outcome   "agrees" | "contradicts" | "inconclusive"
    effects   one signed effect per repetition (positive = the claim holds), in ``unit``
    margin    what the mean had to exceed: the larger of ``min_effect`` and the repetitions' spread
    """

    outcome: str
    effects: list[float]
    mean: float
    spread: float | None
    margin: float
    claim: str
    unit: str = ""
    repetitions: str = "seeds"

    def to_dict(self) -> dict:
        return asdict(self)

    def sentence(self, full: bool = False) -> str:
        """The verdict in one sentence; ``full``: the run was already the full mode."""
        n = len(self.effects)
        u = f" {self.unit}" if self.unit else ""
        over = (f"over {n} {self.repetitions} the effect was {self.mean:+.3g}{u}"
                + (f" (spread ±{self.spread:.2g}{u})" if self.spread is not None else " (one run: no spread known)"))
        if self.outcome == "agrees":
            return f"Verdict: the runs agree that {self.claim}: {over}, beyond the noise margin of {self.margin:.2g}{u}."
        if self.outcome == "contradicts":
            return (f"Verdict: the runs contradict the lesson ({self.claim}): {over}, the other way round by more "
                    f"than the noise margin of {self.margin:.2g}{u}.")
        return (f"Verdict: inconclusive: {over}, which is within the noise margin of {self.margin:.2g}{u}, so these "
                f"runs neither show nor refute that {self.claim}."
                + ("" if full else " The full mode repeats it with more data and seeds."))


def judge(effects: Sequence[float], *, min_effect: float, claim: str, unit: str = "",
          repetitions: str = "seeds") -> Verdict:
    """Agrees when mean > margin, contradicts when mean < -margin, else inconclusive; margin = the
    larger of ``min_effect`` and the sample standard deviation of the effects (none with one run).
    Non-finite effects (a diverged run) count at the size of the largest finite one."""
    vals = [float(e) for e in effects]
    finite = [v for v in vals if math.isfinite(v)]
    cap = max((abs(v) for v in finite), default=1.0) or 1.0
    vals = [v if math.isfinite(v) else math.copysign(cap, v if not math.isnan(v) else -1.0) for v in vals]
    n = len(vals)
    mean = sum(vals) / n if n else 0.0
    spread = math.sqrt(sum((v - mean) ** 2 for v in vals) / (n - 1)) if n >= 2 else None
    margin = max(float(min_effect), spread or 0.0)
    outcome = "agrees" if mean > margin else ("contradicts" if mean < -margin else "inconclusive")
    return Verdict(outcome, vals, mean, spread, margin, claim, unit, repetitions)


@dataclass
class ExperimentResult:
    """What an experiment measured. ``conclusion`` is computed from ``figures``, never canned: the
    first repetition's numbers, then the verdict over all repetitions.

    verdict  the Verdict over seeds; ``agrees`` is True only when it is "agrees".
    """

    name: str
    title: str
    mode: str
    figures: dict[str, Any]
    charts: list[Chart]
    table: list[dict[str, Any]]
    conclusion: str
    verdict: Verdict | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def agrees(self) -> bool:
        return self.verdict is not None and self.verdict.outcome == "agrees"

    @property
    def outcome(self) -> str:
        return self.verdict.outcome if self.verdict is not None else "inconclusive"

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "mode": self.mode, "figures": self.figures,
                "charts": [c.to_dict() for c in self.charts], "table": self.table,
                "conclusion": self.conclusion, "agrees": self.agrees, "outcome": self.outcome,
                "verdict": self.verdict.to_dict() if self.verdict else None, "settings": self.settings,
                "seconds": round(self.seconds, 2)}

    @classmethod
    def from_dict(cls, d: dict) -> "ExperimentResult":
        v = d.get("verdict")
        verdict = Verdict(**v) if isinstance(v, dict) else None
        charts = [Chart(c["title"], c["xlabel"], c["ylabel"], [Series(**s) for s in c.get("series", [])],
                        c.get("log_y", False)) for c in d.get("charts", [])]
        return cls(d["name"], d["title"], d["mode"], d.get("figures", {}), charts, d.get("table", []),
                   d.get("conclusion", ""), verdict, d.get("settings", {}), d.get("seconds", 0.0))


class ExperimentCancelled(Cancelled):
    """The user stopped the experiment."""


class Context:
    """Passed to an experiment: mode, seed, progress and live-chart reporting, cancellation.

    ``report_chart`` hands a finished or growing chart to the GUI; ``trainer_callbacks`` are added to
    every Trainer.fit the experiment makes (so the GUI can show live epochs and stop the run).
    """

    def __init__(self, full: bool = False, seed: int = 0,
                 progress: Callable[[int, int, str], None] | None = None,
                 on_chart: Callable[[Chart], None] | None = None,
                 should_cancel: Callable[[], bool] | None = None,
                 trainer_callbacks: tuple = (), device: str = "cpu", n_seeds: int | None = None):
        self.full = full
        self.seed = seed
        from workbench.core import params as P

        P.validate({"seeds": n_seeds, "seed": seed}, (P.SEEDS, P.SEED), where="the experiment")
        self.n_seeds = max(1, int(n_seeds)) if n_seeds else (3 if full else 2)
        self.repeat = 0  # which repetition (seed) is running: 0 .. n_seeds - 1
        self._progress = progress
        self._on_chart = on_chart
        self._should_cancel = should_cancel
        self.trainer_callbacks = tuple(trainer_callbacks)
        self.device = device
        self.steps_done = 0
        self.steps_total = 1

    @property
    def mode(self) -> str:
        return "full" if self.full else "fast"

    def plan(self, total: int) -> None:
        """Steps of one repetition; progress counts over all repetitions."""
        self.steps_total = max(1, int(total)) * self.n_seeds
        self.steps_done = max(1, int(total)) * self.repeat

    def step(self, text: str = "") -> None:
        self.check_cancel()
        self.steps_done += 1
        if self._progress:
            self._progress(min(self.steps_done, self.steps_total), self.steps_total, text)

    def check_cancel(self) -> None:
        if self._should_cancel is not None and self._should_cancel():
            raise ExperimentCancelled("The experiment was stopped before it finished.")

    def chart(self, chart: Chart) -> None:
        if self._on_chart and self.repeat == 0:  # the charts shown are the first repetition's
            self._on_chart(chart)


@dataclass
class Repeated:
    """The effects of a lesson that repeats itself inside (one per series, per shuffle, ...)."""

    effects: list[float]
    over: str = "repetitions"


@dataclass
class Experiment:
    name: str
    number: int
    title: str
    explanation: str
    run: Callable[[Context], ExperimentResult]
    lesson: str = ""
    claim: str = ""


REGISTRY: dict[str, Experiment] = {}


def experiment(name: str, number: int, title: str, explanation: str, lesson: str = "", *, claim: str,
               min_effect: float, unit: str = "", repeats_inside: bool = False):
    """Register a lesson. The function returns (figures, charts, table, conclusion, effect, settings):
    ``conclusion`` states what this run measured (no verdict), ``effect`` is the signed size of the
    claimed effect (a float; or ``Repeated`` effects when the lesson repeats itself inside: declare it
    with ``repeats_inside=True`` and it runs once)."""

    def deco(fn: Callable[[Context], tuple]) -> Callable:
        def run(ctx: Context) -> ExperimentResult:
            t0 = time.perf_counter()
            base_seed, base_n = ctx.seed, ctx.n_seeds
            if repeats_inside:
                ctx.n_seeds = 1
            try:
                figures, charts, table, conclusion, effect, settings = fn(ctx)
            finally:
                ctx.n_seeds = base_n
            if isinstance(effect, Repeated):  # the lesson repeated itself inside
                effects, reps = [float(e) for e in effect.effects], effect.over
            else:
                effects, reps = [float(effect)], "seeds"
                try:
                    for r in range(1, ctx.n_seeds):
                        ctx.repeat, ctx.seed = r, base_seed + r
                        effects.append(float(fn(ctx)[4]))
                finally:
                    ctx.repeat, ctx.seed = 0, base_seed
            verdict = judge(effects, min_effect=min_effect, claim=claim, unit=unit, repetitions=reps)
            figures = dict(figures, effects=effects)
            settings = dict(settings, seeds=list(range(base_seed, base_seed + len(effects))) if reps == "seeds"
                            else [base_seed])
            return ExperimentResult(name=name, title=title, mode=ctx.mode, figures=figures, charts=charts,
                                    table=table, conclusion=(conclusion.rstrip() + " " + verdict.sentence(ctx.full)).strip(),
                                    verdict=verdict, settings=settings, seconds=time.perf_counter() - t0)

        REGISTRY[name] = Experiment(name, number, title, explanation.strip(), run, lesson, claim)
        return fn

    return deco
