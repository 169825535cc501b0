"""Guided experiments: each lesson of the course as a one-click run with a conclusion computed from it.

    from workbench.core.experiments import list_experiments, run_experiment
    result = run_experiment("normalization", full=False)
    print(result.conclusion)
"""
from __future__ import annotations

from workbench.core.errors import WorkbenchError
from workbench.core.experiments.base import (REGISTRY, Chart, Context, Experiment, ExperimentCancelled,
                                             ExperimentResult, Series)
from workbench.core.experiments import lessons_data as _lessons_data  # noqa: F401  (registers 1-8)
from workbench.core.experiments import lessons_model as _lessons_model  # noqa: F401  (registers 9-12)
from workbench.core.experiments import lessons_explore as _lessons_explore  # noqa: F401  (registers 13-14)
from workbench.core.experiments import lessons_detection as _lessons_detection  # noqa: F401  (registers 15)
from workbench.core.experiments import lessons_sequences as _lessons_sequences  # noqa: F401  (registers 20-22)
from workbench.core.experiments import lessons_rl as _lessons_rl  # noqa: F401  (registers 23-24)


def list_experiments() -> list[Experiment]:
    return sorted(REGISTRY.values(), key=lambda e: e.number)


def get_experiment(name: str) -> Experiment:
    key = str(name).strip().lower()
    for e in REGISTRY.values():
        if key in (e.name, str(e.number)):
            return e
    raise WorkbenchError(f"Unknown experiment {name!r}; choose one of: "
                         + ", ".join(e.name for e in list_experiments()) + ".")


def run_experiment(name: str, full: bool = False, seed: int = 0, **ctx_kwargs) -> ExperimentResult:
    exp = get_experiment(name)
    return exp.run(Context(full=full, seed=seed, **ctx_kwargs))


__all__ = ["Chart", "Context", "Experiment", "ExperimentCancelled", "ExperimentResult", "Series",
           "get_experiment", "list_experiments", "run_experiment"]
