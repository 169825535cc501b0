"""Hyperparameter search: Optuna studies whose trials run on a Dask cluster (local by default).

    from workbench.core.search import tune          # a whole search over a workflow run
    from workbench.core.tuning import SearchSettings, parse_search_space
    space = parse_search_space("lr=log(1e-4,1e-1); layers.1.units=int(4,64); dropout=float(0,0.5)")
    result = tune(run_config, SearchSettings(space, n_trials=16, sampler="tpe", pruner="median"))

Modules: ``space`` (what may change and where it goes), ``study`` (the Optuna study, its storage
in the project, the loop that asks, runs and tells), ``trial`` (what runs on a worker),
``channel`` (how a running fold talks to the search), ``executors`` (this process, a local
cluster or any Dask scheduler), ``search`` (the study's data from a prepared run, the final fit,
studies over arrays), ``events`` (a thread-safe log the app polls). The whole search over a
workflow run (trials as runs, the best settings retrained and tested once) is one layer up, in
``workbench.core.search``: this package does not know the workflow.

Optuna and Dask are imported only when a search starts, so the app starts fast.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Param": "space", "SearchSpace": "space", "SpaceError": "space", "parse_search_space": "space",
    "as_space": "space", "EXAMPLE": "space",
    "SearchSettings": "study", "StudyResult": "study", "TuningError": "study", "run_study": "study",
    "list_studies": "study", "study_path": "study", "SAMPLERS": "study", "PRUNERS": "study",
    "SEED_POLICIES": "study",
    "SearchData": "trial",
    "ClusterError": "executors", "open_executor": "executors", "default_workers": "executors",
    "InlineExecutor": "executors", "DaskExecutor": "executors",
    "search_data": "search", "trial_config": "search",
    "EventLog": "events", "SearchView": "events", "load_study_view": "events",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'workbench.core.tuning' has no attribute {name!r}")
    return getattr(importlib.import_module(f"workbench.core.tuning.{mod}"), name)
