"""The pieces of a search that need no workflow: the study's data from a prepared run, the
RunConfig that repeats a trial, a trial's outcome as the training's results, the final fit on the
cluster, and a study over arrays (a lesson's data).

``workbench.core.search`` puts them together with the workflow into a whole search over a run.
"""
from __future__ import annotations

import dataclasses
import uuid

import numpy as np

from workbench.core.errors import DataError
from workbench.core.tuning.study import SearchSettings, StudyResult, run_study


def search_data(prep, built, train_config, space, metric: str, cfg=None):
    """The SearchData of a prepared run: its non-test rows, folds in their numbering, the base
    spec / training config / preprocessing, the head and the scored metric."""
    from workbench.core.tuning.trial import SearchData

    s = prep.splits
    if not prep.cross_validation and not len(s.val_idx):
        raise DataError("A search needs validation data: use a split with a validation share or K folds.")
    rest = np.asarray(s.rest_idx)
    pos = {int(i): k for k, i in enumerate(rest)}

    def local(idx):
        return np.asarray([pos[int(i)] for i in idx], dtype=np.int64)

    folds = [(local(f.train_idx), local(f.val_idx)) for f in s.folds]
    pre = prep.preprocessor
    prep_kw = {"scale": getattr(pre, "scale", "none"), "missing": getattr(pre, "missing", "zero"),
               "vocab_size": getattr(pre, "vocab_size", 10000)}
    train = {k: v for k, v in train_config.to_dict().items() if k not in ("checkpoint_path",)}
    space.targets(built.spec, int(prep.output_shape[-1]) if prep.output_shape else 1)  # SpaceError up front
    extra = {} if cfg is None else {"data": {"data": cfg.data, "split": prep.plan.to_text(), "task": prep.task},
                                    "config": cfg.to_dict()}
    return SearchData(token=uuid.uuid4().hex[:16], dataset=prep.dataset.subset(rest), folds=folds, space=space,
                      spec=built.spec.to_dict(), train=train, prep=prep_kw, head=prep.head.to_dict(),
                      output_shape=tuple(prep.output_shape), metric=metric, extra=extra)


def trial_config(cfg, data, params: dict):
    """The RunConfig that repeats one trial on its own (``workbench train`` with its settings)."""
    from workbench.core.models import ModelSpec

    spec, train, prep = data.space.apply(params, ModelSpec.from_dict(data.spec), data.train, data.prep,
                                         data.output_units)
    user_train = {k: v for k, v in train.items() if k in set(cfg.train or {}) | set(params) | {"seed"}}
    return dataclasses.replace(cfg, model=spec.to_dict(), train=user_train, scale=prep["scale"],
                               missing=prep["missing"], vocab_size=int(prep["vocab_size"]))


def fit_result(o: dict):
    """The FitResult of one fold run's outcome."""
    from workbench.core.training import FitResult

    return FitResult(history=o.get("history") or [], best_epoch=int(o.get("best_epoch") or 0),
                     stop_reason=o.get("stop_reason") or "completed", message=o.get("message") or "",
                     device=o.get("device") or "cpu", time=float(o.get("fit_time") or 0.0))


def cv_result(outs: list[dict], folds):
    """The CVResult of a trial's fold outcomes."""
    from workbench.core.training import CVResult
    from workbench.core.training.crossval import _stats

    res = CVResult()
    for o in outs:
        f = folds[o["fold"]] if o.get("fold") is not None and o["fold"] < len(folds) else None
        res.folds.append({"index": o.get("fold"), "repeat": int(getattr(f, "repeat", 0)),
                          "fold": int(getattr(f, "fold", 0)),
                          "n_train": o.get("n_train"), "n_val": o.get("n_val"), "best_epoch": o.get("best_epoch"),
                          "epochs_run": o.get("epochs_run"), "stop_reason": o.get("stop_reason"),
                          "scores": o.get("scores") or {}, "history": o.get("history") or []})
    keys = sorted({k for r in res.folds for k in r["scores"]})
    for k in keys:
        res.mean[k], res.std[k] = _stats([r["scores"].get(k) for r in res.folds])
    return res


def final_epochs(best: dict, data) -> int:
    eps = [int(e) for e in best.get("best_epochs") or [] if e]
    return max(1, int(round(float(np.mean(eps))))) if eps else int(data.train.get("epochs", 1))


def run_final(ex, handle, data, best: dict, *, device: str, should_cancel, on_event) -> dict | None:
    """The best trial's settings trained on all non-test rows (on the cluster, like the trials)."""
    from workbench.core.tuning.channel import DaskChannel, DaskHub, InlineChannel
    from workbench.core.tuning.trial import final_fit

    task = {"params": best["params"], "epochs": final_epochs(best, data), "seed": best.get("seed") or 0,
            "threads": ex.threads, "device": device}
    if ex.kind == "inline":
        def handle_msg(m):
            if m.get("kind") == "report" and on_event:
                on_event({"kind": "final_epoch", "epoch": m.get("step"), "logs": m.get("logs", {})})

        fut = ex.submit(final_fit, handle, task, InlineChannel(handle_msg, should_cancel or (lambda: False), False))
    else:
        token = data.token + "-final"
        hub = DaskHub(ex.client, token)
        fut = ex.submit(final_fit, handle, task, DaskChannel(token, False), key=f"workbench-final-{token}")
        while not fut.done():
            for m in hub.poll(0.1):
                if m.get("kind") == "report" and on_event:
                    on_event({"kind": "final_epoch", "epoch": m.get("step"), "logs": m.get("logs", {})})
            if should_cancel is not None and should_cancel():
                hub.set_stop()
        hub.close()
    out = fut.result()
    if out["fit"]["stop_reason"] in ("stopped", "interrupted"):
        return None
    out["epochs"] = task["epochs"]
    return out


def arrays_study(X, y, folds, *, task: str, spec, train: dict, settings: SearchSettings, class_names=None,
                 on_event=None, should_cancel=None, device: str = "cpu") -> StudyResult:
    """A study over arrays that already are model inputs (a lesson's synthetic data): ``folds``
    pairs of row indices, no test rows (a lesson scores its own untouched set afterwards)."""
    from workbench.core.data import Dataset
    from workbench.core.models import default_head
    from workbench.core.training.metrics import primary_metric
    from workbench.core.tuning.space import as_space
    from workbench.core.tuning.trial import SearchData

    settings.space = as_space(settings.space)
    y = np.asarray(y)
    names = class_names or ([str(c) for c in range(int(y.max()) + 1)] if task in ("binary", "multiclass") else None)
    ds = Dataset(name="arrays", kind="table", X=np.asarray(X, dtype=np.float64), y=y, class_names=names)
    head = default_head(task)
    out_shape = tuple(head.output_shape(y))
    settings.space.targets(spec, int(out_shape[-1]))
    data = SearchData(token=uuid.uuid4().hex[:16], dataset=ds, folds=[(np.asarray(a), np.asarray(b)) for a, b in folds],
                      space=settings.space, spec=spec.to_dict(), train=dict(train),
                      prep={"scale": "none", "missing": "zero", "vocab_size": 10000}, head=head.to_dict(),
                      output_shape=out_shape, metric=settings.metric or primary_metric(task)[0])
    return run_study(data, settings, on_event=on_event, should_cancel=should_cancel, device=device)


def fold_model(outcome: dict, input_shape, output_shape, head):
    """The TrainedModel of one fold run with ``keep_weights`` (its spec and weights)."""
    from workbench.core.models import ModelSpec, build_model
    from workbench.core.training import TrainedModel

    model = build_model(ModelSpec.from_dict(outcome["spec"]), tuple(input_shape), tuple(output_shape), head)
    model.load_state_dict(outcome["weights"])
    model.eval()
    return TrainedModel(model=model, head=head, fit=fit_result(outcome))
