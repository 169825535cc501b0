"""The Train panel's job: a ``RunConfig`` (built by ``workflow.config_from_state`` on the GUI
thread) run through the workflow exactly as the command line runs it.

No Qt and no training logic here: ``run_job`` calls ``workflow.run_training`` or
``search.run_search`` with the panel's Trainer (so Stop and Pause reach it) and the data set
already loaded in the app, and turns the workflow's status lines into ``progress`` reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrainRequest:
    """Everything a run needs, captured on the GUI thread when Start is pressed."""

    config: Any             # workflow.RunConfig
    dataset: Any            # the Dataset the app has loaded (not loaded again)
    mode: str = "train"     # train (hold-out or CV, from the split) | search
    search_space: Any = None  # a core.tuning SearchSpace (or its text)
    search: dict = field(default_factory=dict)  # search.run_search keywords: sampler, n_trials, pruner, ...
    events: Any = None        # a core.tuning EventLog the Search tab reads while the search runs
    splits: Any = None        # the Data panel's splits when the split section still matches them
    preprocessor: Any = None  # the Preprocessor the Data panel fitted for those splits


def run_job(req: TrainRequest, trainer, progress=None, should_cancel=None) -> dict:
    """One Start press: training (hold-out or K-fold, as the split says) or a search.
    Returns {"record": the RunRecord as a dict, "weights": the kept weights when the run was not
    stored (no project yet), else None}."""
    from workbench.core import workflow as wf
    from workbench.core.search import run_search

    cfg = req.config
    say = (lambda msg: progress(0, 0, msg)) if progress else None

    def counted(what):
        return (lambda i, n, _row: progress(i + 1, n, what)) if progress else None

    if req.mode == "search":
        res = run_search(cfg, req.search_space, **req.search, dataset=req.dataset, trainer=trainer,
                            on_status=say, on_trial=counted("trials"), on_event=req.events, should_cancel=should_cancel,
                            keep_one_core_free=True)
    else:
        res = wf.run_training(cfg, dataset=req.dataset, trainer=trainer, on_status=say, on_fold=counted("folds"),
                              keep_one_core_free=True, splits=req.splits, preprocessor=req.preprocessor,
                              remember_run=False)  # the app writes project.json once, after the run
    return {"record": res.record.to_dict(), "weights": None if res.run_id else res.weights()}
