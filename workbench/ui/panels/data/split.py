"""Split tab: hold-out, K-fold, iterated K-fold or time-ordered; the parts per class, the folds
diagram and the leak check."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QPushButton, QSpinBox, QSplitter,
    QVBoxLayout, QWidget,
)

from workbench.ui.flow_layout import flow_row, labelled
from workbench.ui.job_runner import JobRunner
from workbench.core import params as P
from workbench.ui.widgets import Banner, BarChart, FoldsDiagram, PART_COLORS, param_spin

SPLIT_KINDS = [("holdout", "Hold-out (train / validation / test)"), ("kfold", "K-fold cross-validation"),
               ("iterated-kfold", "Iterated K-fold (shuffled repeats)"), ("time", "Time-ordered hold-out"),
               ("time-kfold", "Time-ordered K-fold")]


def _frac_spin(v: float) -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setRange(0.0, 0.9)
    s.setSingleStep(0.05)
    s.setDecimals(2)
    s.setValue(v)
    return s


class SplitTab(QWidget):
    """Signals:
        split_made(object)    {"plan": SplitPlan, "splits": Splits} after a split of the current data
        split_failed(str)     the message shown when the split could not be made
        split_requested()     the user pressed "Make split"
    """

    split_made = Signal(object)
    split_failed = Signal(str)
    split_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        spv = QVBoxLayout(self)
        self.split_kind = QComboBox()
        for k, t in SPLIT_KINDS:
            self.split_kind.addItem(t, k)
        self.val_spin = _frac_spin(0.2)
        self.test_spin = _frac_spin(0.2)
        self.k_spin = param_spin(P.FOLDS, 5, high=50)
        self.repeats_spin = param_spin(P.REPEATS, 3, high=20)
        self.stratify_check = QCheckBox("stratify")
        self.stratify_check.setChecked(True)
        self.dedupe_check = QCheckBox("drop duplicates")
        self.seed_spin = param_spin(P.SEED, 0)
        self.split_btn = QPushButton("Make split")
        self.split_btn.clicked.connect(self.split_requested)
        fl = QFormLayout()
        fl.addRow("Split:", self.split_kind)
        # a row that wraps on a small screen instead of cutting "drop duplicates" off
        fl.addRow(flow_row(*(labelled(label, w) for w, label in (
            (self.val_spin, "validation"), (self.test_spin, "test"), (self.k_spin, "K"),
            (self.repeats_spin, "repeats"), (self.seed_spin, "seed"))),
            self.stratify_check, self.dedupe_check, self.split_btn))
        spv.addLayout(fl)
        self.split_kind.currentIndexChanged.connect(self._kind_changed)
        self.split_desc = QLabel("")
        self.split_desc.setWordWrap(True)
        spv.addWidget(self.split_desc)
        self.leak_banner = Banner()
        spv.addWidget(self.leak_banner)
        self.split_splitter = QSplitter(Qt.Orientation.Vertical)
        self.split_chart = BarChart("Samples per class in each part")
        self.folds_diagram = FoldsDiagram()
        self.split_splitter.addWidget(self.split_chart)
        self.split_splitter.addWidget(self.folds_diagram)
        spv.addWidget(self.split_splitter, 1)
        self._kind_changed()
        self.jobs = JobRunner(self, banner=self.leak_banner)
        self.jobs.job_started.connect(self._job_started)
        self.jobs.job_finished.connect(self._job_finished)
        self.jobs.job_failed.connect(self.split_failed)
        self._dataset = None
        self._running_for = None
        self._pending = None  # a data set to split once the running split ends

    # -- the plan ----------------------------------------------------------------------------
    def plan_dict(self) -> dict:
        return {"kind": self.split_kind.currentData(), "val": self.val_spin.value(), "test": self.test_spin.value(),
                "k": self.k_spin.value(), "repeats": self.repeats_spin.value(),
                "stratify": self.stratify_check.isChecked(), "seed": self.seed_spin.value(),
                "drop_duplicates": self.dedupe_check.isChecked()}

    def set_plan_dict(self, d: dict) -> None:
        i = self.split_kind.findData(d.get("kind", "holdout"))
        self.split_kind.setCurrentIndex(max(i, 0))
        self.val_spin.setValue(float(d.get("val", 0.2)))
        self.test_spin.setValue(float(d.get("test", 0.2)))
        self.k_spin.setValue(int(d.get("k", 5)))
        self.repeats_spin.setValue(int(d.get("repeats", 3)))
        self.stratify_check.setChecked(bool(d.get("stratify", True)))
        self.seed_spin.setValue(int(d.get("seed", 0)))
        self.dedupe_check.setChecked(bool(d.get("drop_duplicates", False)))

    @Slot()
    def _kind_changed(self) -> None:
        k = self.split_kind.currentData()
        cv = k in ("kfold", "iterated-kfold", "time-kfold")
        self.val_spin.setEnabled(not cv)
        self.k_spin.setEnabled(cv)
        self.repeats_spin.setEnabled(k == "iterated-kfold")
        self.stratify_check.setEnabled(k not in ("time", "time-kfold"))

    # -- making it ---------------------------------------------------------------------------
    def make_split(self, ds) -> None:
        """Split ``ds`` with the plan in the widgets, in the background."""
        from workbench.core.data.split_report import make_split

        self._dataset = ds
        if self.jobs.busy:
            self._pending = ds
            return
        self._running_for = ds
        self.jobs.start(make_split, ds, self.plan_dict(), on_result=self._on_split)

    @Slot(str)
    def _job_started(self, _label: str) -> None:
        self.split_btn.setEnabled(False)

    @Slot()
    def _job_finished(self) -> None:
        self.split_btn.setEnabled(True)
        if self._pending is not None:
            ds, self._pending = self._pending, None
            self.make_split(ds)

    def _on_split(self, out: dict) -> None:
        if self._pending is not None or self._running_for is not self._dataset:
            return  # a newer split is on its way
        from workbench.core.data.split_report import split_chart, split_check, split_diagram

        plan, sp = out["plan"], out["splits"]
        self.split_desc.setText(plan.describe(by_class=self._dataset.class_names is not None))
        chart = split_chart(sp, self._dataset.class_names)
        self.split_chart.setTitle(chart["title"])
        if "series" in chart:
            self.split_chart.set_groups(chart["groups"], chart["series"])
        else:
            self.split_chart.set_bars(chart["bars"], chart["values"],
                                      colors=[PART_COLORS["train"], PART_COLORS["val"], PART_COLORS["test"]])
        self.folds_diagram.set_rows(split_diagram(sp, len(self._dataset)))
        level, text = split_check(sp)
        self.leak_banner.show_message(text, level)
        self.split_made.emit(out)

    def shutdown(self) -> None:
        self._pending = None
        self.jobs.shutdown()
