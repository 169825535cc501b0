"""The one task runner: project check before any work, fit through the Trainer, one record, one save."""
from dataclasses import dataclass

import numpy as np
import pytest

from workbench.core.errors import ProjectError
from workbench.core.runs import RunStore
from workbench.core.tasks import Fitting, Task, run_task, train_config_of
from workbench.core.training import Callback, Trainer


@dataclass
class Settings:
    epochs: int = 3
    batch_size: int = 16
    lr: float = 1e-2
    seed: int = 0


class TinyTask:
    kind = "tiny"
    section = "tiny"

    def __init__(self, settings=None):
        self.s = settings or Settings()
        self.prepared = False

    def prepare(self, say):
        from workbench.core.models import ModelSpec, build_model, default_head

        self.prepared = True
        rng = np.random.default_rng(0)
        X = rng.normal(size=(64, 4)).astype(np.float32)
        y = (X[:, 0] > 0).astype(np.int64)
        head = default_head("binary")
        spec = ModelSpec.from_dict({"layers": [{"type": "Dense", "params": {"units": 4}, "activation": "relu"}]})
        model = build_model(spec, (4,), (1,), head)
        return Fitting(model, head, (X[:48], y[:48]), (X[48:], y[48:]), train_config_of(self.s))

    def finish(self, fitting, fit):
        return {"name": "tiny run", "task": "binary", "test_metrics": {"accuracy": 1.0}}


class Counter(Callback):
    def __init__(self):
        self.epochs = 0

    def on_epoch_end(self, trainer, epoch, logs):
        self.epochs += 1


def test_a_task_is_fitted_recorded_and_saved_once(tmp_path):
    seen = Counter()
    trainer = Trainer()
    assert isinstance(TinyTask(), Task)
    run = run_task(TinyTask(), project=tmp_path, trainer=trainer, callbacks=[seen])
    rec = run.record
    assert seen.epochs == 3 and len(rec.history) == 3
    assert trainer.callbacks == []  # the caller's trainer does not keep this run's callbacks
    assert (rec.kind, rec.study, rec.name, rec.seed) == ("tiny", "tiny", "tiny run", 0)
    assert rec.train_config["epochs"] == 3 and rec.model["parameters"] > 0 and rec.time >= rec.fit_time
    store = RunStore(tmp_path)
    assert store.ids() == [run.run_id] and store.load(run.run_id).kind == "tiny"
    assert store.weights_path(run.run_id).is_file()


def test_an_unwritable_project_stops_the_task_before_any_work(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    task = TinyTask()
    with pytest.raises(ProjectError, match="is a file"):
        run_task(task, project=blocker)
    assert not task.prepared


def test_a_stop_before_the_fit_ends_it_at_once_and_nothing_empty_is_saved(tmp_path):
    trainer = Trainer()
    trainer.request_stop()
    run = run_task(TinyTask(), project=tmp_path, trainer=trainer)
    assert run.record.history == [] and run.record.stop_reason == "stopped"
    assert RunStore(tmp_path).ids() == []
