"""The Train panel's job: turn the panel's state into a ``RunConfig`` and call the workflow.

No Qt and no training logic here: ``run_job`` calls ``workflow.run_training`` or
``workflow.run_search`` exactly as the command line does, with the panel's Trainer (so Stop and
Pause reach it) and the data set already loaded in the app.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TrainRequest:
    """Everything a run needs, captured on the GUI thread when Start is pressed."""

    dataset: Any
    source: dict            # the Data panel's load request: {"source", "target", "text_column", ...}
    split_plan: dict        # SplitPlan.to_dict()
    preprocessing: dict     # Preprocessor kwargs
    spec: Any               # ModelSpec
    head: Any               # Head
    train: dict             # TrainConfig fields
    mode: str = "train"     # train (hold-out or CV, from the split) | search
    project_dir: str | None = None
    name: str = ""
    search_space: dict = field(default_factory=dict)
    search_mode: str = "grid"
    search_iter: int = 6

    def run_config(self):
        from workbench.core.workflow import RunConfig

        src = self.source or {}
        size = src.get("image_size") or (64, 64)
        head = {"activation": self.head.activation, "loss": self.head.loss_name}
        return RunConfig(
            data=str(src.get("source") or ""), target=src.get("target"), time_column=src.get("time_column"),
            text_column=src.get("text_column"), image_size=tuple(size), split=dict(self.split_plan),
            drop_duplicates=bool(self.split_plan.get("drop_duplicates", False)),
            scale=self.preprocessing.get("scale", "auto"), missing=self.preprocessing.get("missing", "indicator"),
            vocab_size=int(self.preprocessing.get("vocab_size", 10000)), text=dict(self.preprocessing.get("text") or {}),
            columns=src.get("columns") or None, task=self.head.task,
            model=self.spec.to_dict(), head=head, train=dict(self.train),
            seed=int(self.train.get("seed", 0) or 0), project=self.project_dir, name=self.name,
            augment=self.preprocessing.get("augment") or None)


def run_job(req: TrainRequest, trainer, progress=None, should_cancel=None) -> dict:
    """One Start press: training (hold-out or K-fold, as the split says) or a search.
    Returns {"record": the RunRecord as a dict, "weights": the kept weights or None}."""
    from workbench.core import workflow as wf

    cfg = req.run_config()
    say = (lambda msg: progress(0, 0, msg)) if progress else None

    def counted(what):
        return (lambda i, n, _row: progress(i + 1, n, what)) if progress else None

    if req.mode == "search":
        res = wf.run_search(cfg, req.search_space, mode=req.search_mode, n_iter=req.search_iter,
                            dataset=req.dataset, trainer=trainer, on_status=say, on_trial=counted("trials"),
                            keep_one_core_free=True)
    else:
        res = wf.run_training(cfg, dataset=req.dataset, trainer=trainer, on_status=say, on_fold=counted("folds"),
                              keep_one_core_free=True)
    return {"record": res.record.to_dict(), "weights": None if res.run_id else res.weights()}
