"""Experiment framework: each lesson is a function that runs real trainings and computes its conclusion."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from workbench.core.errors import Cancelled, WorkbenchError


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
class ExperimentResult:
    """What an experiment measured. ``conclusion`` is computed from ``figures``, never canned.

    agrees   True when the runs show what the lesson says; False when they contradict it (the conclusion
             then says so plainly).
    """

    name: str
    title: str
    mode: str
    figures: dict[str, Any]
    charts: list[Chart]
    table: list[dict[str, Any]]
    conclusion: str
    agrees: bool
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "mode": self.mode, "figures": self.figures,
                "charts": [c.to_dict() for c in self.charts], "table": self.table,
                "conclusion": self.conclusion, "agrees": self.agrees, "settings": self.settings,
                "seconds": round(self.seconds, 2)}


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
                 trainer_callbacks: tuple = (), device: str = "cpu"):
        self.full = full
        self.seed = seed
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
        self.steps_total = max(1, int(total))
        self.steps_done = 0

    def step(self, text: str = "") -> None:
        self.check_cancel()
        self.steps_done += 1
        if self._progress:
            self._progress(min(self.steps_done, self.steps_total), self.steps_total, text)

    def check_cancel(self) -> None:
        if self._should_cancel is not None and self._should_cancel():
            raise ExperimentCancelled("The experiment was stopped before it finished.")

    def chart(self, chart: Chart) -> None:
        if self._on_chart:
            self._on_chart(chart)


@dataclass
class Experiment:
    name: str
    number: int
    title: str
    explanation: str
    run: Callable[[Context], ExperimentResult]
    lesson: str = ""


REGISTRY: dict[str, Experiment] = {}


def experiment(name: str, number: int, title: str, explanation: str, lesson: str = ""):
    def deco(fn: Callable[[Context], tuple]) -> Callable:
        def run(ctx: Context) -> ExperimentResult:
            t0 = time.perf_counter()
            figures, charts, table, conclusion, agrees, settings = fn(ctx)
            return ExperimentResult(name=name, title=title, mode=ctx.mode, figures=figures, charts=charts,
                                    table=table, conclusion=conclusion, agrees=bool(agrees), settings=settings,
                                    seconds=time.perf_counter() - t0)

        REGISTRY[name] = Experiment(name, number, title, explanation.strip(), run, lesson)
        return fn

    return deco
