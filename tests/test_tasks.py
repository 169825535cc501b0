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


def test_stop_pressed_while_preparing_ends_the_task_before_the_fit(tmp_path):
    from workbench.core.errors import Cancelled
    from workbench.core.tasks import TrainingStopped

    class SlowTask(TinyTask):
        def prepare(self, say):
            fitting = super().prepare(say)
            trainer.request_stop()  # the user presses Stop while the data are being prepared
            say()
            self.after_stop = True  # never reached
            return fitting

    trainer = Trainer()
    task = SlowTask()
    with pytest.raises(TrainingStopped, match="nothing was trained") as e:
        run_task(task, project=tmp_path, trainer=trainer)
    assert isinstance(e.value, Cancelled)  # the GUI shows "Cancelled", not an error
    assert not hasattr(task, "after_stop") and RunStore(tmp_path).ids() == []
    assert not trainer.stop_requested_by_user  # consumed: the next run trains
    assert len(run_task(TinyTask(), trainer=trainer, save=False).record.history) == 3


def test_stop_within_the_first_epoch_says_nothing_was_trained(tmp_path):
    from workbench.core.tasks import TrainingStopped

    class StopAtFirstBatch(Callback):
        def on_batch_end(self, trainer, info):
            trainer.request_stop()

    with pytest.raises(TrainingStopped, match="during the first epoch"):
        run_task(TinyTask(), project=tmp_path, callbacks=[StopAtFirstBatch()])
    assert RunStore(tmp_path).ids() == []


def test_stop_after_some_epochs_keeps_the_real_epochs(tmp_path):
    class StopInEpochTwo(Callback):
        def on_batch_end(self, trainer, info):
            if info.epoch == 2:
                trainer.request_stop()

    run = run_task(TinyTask(), project=tmp_path, callbacks=[StopInEpochTwo()])
    assert run.record.stop_reason == "stopped" and len(run.record.history) == 1
    assert RunStore(tmp_path).load(run.run_id).history == run.record.history


def test_the_face_encoder_trains_as_a_task_with_its_own_kind(tmp_path):
    """The own face encoder goes through the one runner: a run of kind "faces_encoder" in the
    project, the same fit train_encoder returns."""
    import numpy as np

    from workbench.core.runs import RunStore
    from workbench.core.studies.faces.encoder import EncoderConfig, EncoderTask, train_encoder
    from workbench.core.tasks import run_task

    rng = np.random.default_rng(0)
    X = rng.integers(0, 255, (12, 32, 32, 3), dtype=np.uint8)
    y = np.repeat(np.arange(4), 3)
    cfg = EncoderConfig(embedding_dim=8, image_size=32, width=4, epochs=2, batch_size=12)
    run = run_task(EncoderTask(X, y, cfg), project=tmp_path)
    rec = RunStore(tmp_path).load(run.run_id)
    assert rec.kind == "faces_encoder" and len(rec.history) == 2 and rec.data["people"] == 4
    enc, fit = train_encoder(X, y, cfg)
    assert fit.epochs_run == 2 and enc.info["people"] == 4 and enc.embed(X[:2]).shape == (2, 8)
    assert [h["loss"] for h in fit.history] == [h["loss"] for h in rec.history]  # the same seeded fit
