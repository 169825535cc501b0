"""What the self-supervised trainings share: one Trainer (the caller's, so the GUI's live chart
and Stop reach it, or a new one) and the training-thread policy."""
from __future__ import annotations


def trainer_with(trainer, callbacks, device: str = "auto"):
    """``trainer`` with ``callbacks`` added (none twice), or a new Trainer with them."""
    from workbench.core.training import Trainer

    cbs = list(callbacks)
    if trainer is None:
        return Trainer(cbs, device=device)
    trainer.callbacks = list(trainer.callbacks) + [cb for cb in cbs if cb not in trainer.callbacks]
    return trainer


def threads_for(threads: int | None, keep_one_core_free: bool = False) -> int | None:
    if threads is not None:
        return threads
    from workbench.core.device import training_threads

    return training_threads(keep_one_free=keep_one_core_free)
