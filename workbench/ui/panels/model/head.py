"""The Model panel's "Problem type and output" box: the task (automatic from the targets, or
chosen), the last activation and the loss, the suggested pair and the core's warnings about a
poor match (``core.models.check_head``)."""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QPushButton

from workbench.ui.widgets import Banner

TASK_LABELS = {
    "binary": "binary classification", "multiclass": "multiclass (one label)", "multilabel": "multilabel",
    "regression": "regression", "regression01": "regression to [0, 1]", "sequence_binary": "per-time-step yes/no",
}
LOSS_LABELS = {"bce": "binary cross-entropy", "cce": "categorical cross-entropy", "mse": "mean squared error",
               "mae": "mean absolute error"}


class HeadBox(QGroupBox):
    """Signals:
        head_changed(object)  the Head the choices make (None without data or for an invalid pair)
    """

    head_changed = Signal(object)

    def __init__(self, parent=None):
        from workbench.core.models import HEAD_ACTIVATIONS, LOSSES, TASKS

        super().__init__("Problem type and output", parent)
        self.dataset = None
        self.head = None
        self._loading = False
        hf = QFormLayout(self)
        self.task_combo = QComboBox()
        self.task_combo.addItem("automatic (from the targets)", "auto")
        for t in TASKS:
            self.task_combo.addItem(TASK_LABELS.get(t, t), t)
        self.act_combo = QComboBox()
        for a in HEAD_ACTIVATIONS:
            self.act_combo.addItem(a, a)
        self.loss_combo = QComboBox()
        for lo in LOSSES:
            self.loss_combo.addItem(LOSS_LABELS.get(lo, lo), lo)
        self.suggest_btn = QPushButton("Use suggested")
        self.suggest_btn.clicked.connect(self.use_suggested)
        hf.addRow("Problem:", self.task_combo)
        hf.addRow("Last activation:", self.act_combo)
        hf.addRow("Loss:", self.loss_combo)
        hf.addRow("", self.suggest_btn)
        self.reason_label = QLabel("")
        self.reason_label.setWordWrap(True)
        hf.addRow(self.reason_label)
        self.banner = Banner()
        hf.addRow(self.banner)
        self.task_combo.currentIndexChanged.connect(self.use_suggested)
        self.act_combo.currentIndexChanged.connect(self.edited)
        self.loss_combo.currentIndexChanged.connect(self.edited)

    def set_dataset(self, ds) -> None:
        from workbench.core.training.metrics import is_regression

        self.dataset = ds
        task = self.task_combo.currentData()
        if ds is not None and task != "auto" and is_regression(task) != (ds.class_names is None):
            # a task chosen for other data (classes for numbers, or the reverse): back to the data's own
            self.task_combo.setCurrentIndex(max(self.task_combo.findData("auto"), 0))
        if self.task_combo.currentData() == "auto":
            self.use_suggested()
        else:
            self.edited()

    def current_task(self) -> str | None:
        from workbench.core.models import infer_task

        t = self.task_combo.currentData()
        if t != "auto":
            return t
        if self.dataset is None:
            return None
        return infer_task(self.dataset.y, self.dataset.class_names)

    @Slot()
    def use_suggested(self, *_) -> None:
        from workbench.core.models import default_head

        task = None if self._loading else self.current_task()
        if task is not None:
            suggested = default_head(task)
            self.set_choices(suggested.activation, suggested.loss_name)
        elif not self._loading:
            self.edited()  # no data: say so

    def set_choices(self, activation: str | None, loss: str | None, task: str | None = None) -> None:
        self._loading = True
        if task is not None:
            self.task_combo.setCurrentIndex(max(self.task_combo.findData(task), 0))
        if activation:
            self.act_combo.setCurrentIndex(max(self.act_combo.findData(activation), 0))
        if loss:
            self.loss_combo.setCurrentIndex(max(self.loss_combo.findData(loss), 0))
        self._loading = False
        self.edited()

    @Slot()
    def edited(self, *_) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.models import Head, check_head, default_head

        if self._loading:
            return
        task = self.current_task()
        if task is None:
            self.reason_label.setText("Load data to choose the problem type automatically.")
            self.head = None
            self.banner.clear_message()
            self.head_changed.emit(None)
            return
        act, loss = self.act_combo.currentData(), self.loss_combo.currentData()
        suggested = default_head(task)
        inferred = self.task_combo.currentData() == "auto"
        self.reason_label.setText(
            f"<b>{TASK_LABELS.get(task, task)}</b>{' (from the targets)' if inferred else ''}: suggested "
            f"{suggested.activation} + {LOSS_LABELS.get(suggested.loss_name, suggested.loss_name)} — "
            f"{suggested.reason}.")
        try:
            warnings = check_head(task, act, loss)
            same = (act, loss) == (suggested.activation, suggested.loss_name)
            self.head = Head(task, act, loss, suggested.reason if same else "")
        except WorkbenchError as e:
            warnings, self.head = [str(e)], None
        if warnings:
            self.banner.show_message("<br>".join(f"⚠ {w}" for w in warnings), "warning")
        else:
            self.banner.clear_message()
        self.head_changed.emit(self.head)

    def state(self) -> dict:
        return {"task": self.task_combo.currentData(), "activation": self.act_combo.currentData(),
                "loss": self.loss_combo.currentData()}
