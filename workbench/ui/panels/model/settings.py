"""The Model panel's training settings (optimizer, learning rate, batch size, epochs, early
stopping, seed) and the defaults for new layers (L1, L2, dropout)."""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QGroupBox, QPushButton

from workbench.ui.panels.model.layers import reg_spin
from workbench.core import params as P
from workbench.ui.widgets import double_spin, hbox, param_spin, spin_box

OPTIMIZER_LABELS = [("adam", "Adam"), ("adamw", "AdamW"), ("rmsprop", "RMSprop"), ("sgd", "SGD (momentum 0.9)")]


class TrainSettingsBox(QGroupBox):
    """Signals:
        settings_changed(dict)  the TrainConfig fields after any edit (``settings()``)
    """

    settings_changed = Signal(dict)

    def __init__(self, parent=None):
        super().__init__("Training settings", parent)
        self._loading = False
        tf = QFormLayout(self)
        self.opt_combo = QComboBox()
        for k, t in OPTIMIZER_LABELS:
            self.opt_combo.addItem(t, k)
        # the shown minimum is what 5 decimals can show; the top is the declared bound
        self.lr_spin = double_spin(1e-5, min(10.0, P.LR.spin_range()[1]), 0.001, step=0.0005, decimals=5)
        self.batch_spin = param_spin(P.BATCH_SIZE, 32, high=65536)
        self.epochs_spin = param_spin(P.EPOCHS, 10)
        self.es_check = QCheckBox("early stopping, patience")
        self.es_spin = param_spin(P.PATIENCE, 3, high=1000)
        es_row = hbox(self.es_check, self.es_spin, stretch=False)
        self.seed_spin = param_spin(P.SEED, 0)
        tf.addRow("Optimizer:", self.opt_combo)
        tf.addRow("Learning rate:", self.lr_spin)
        tf.addRow("Batch size:", self.batch_spin)
        tf.addRow("Epochs:", self.epochs_spin)
        tf.addRow(es_row)
        tf.addRow("Seed:", self.seed_spin)
        self.opt_combo.currentIndexChanged.connect(self._emit)
        for w in (self.lr_spin, self.batch_spin, self.epochs_spin, self.es_spin, self.seed_spin):
            w.valueChanged.connect(self._emit)
        self.es_check.toggled.connect(self._emit)

    def settings(self) -> dict:
        return {"optimizer": self.opt_combo.currentData(), "lr": float(self.lr_spin.value()),
                "batch_size": int(self.batch_spin.value()), "epochs": int(self.epochs_spin.value()),
                "early_stopping": int(self.es_spin.value()) if self.es_check.isChecked() else None,
                "seed": int(self.seed_spin.value())}

    def set_settings(self, d: dict) -> None:
        self._loading = True
        self.opt_combo.setCurrentIndex(max(self.opt_combo.findData(d.get("optimizer", "adam")), 0))
        self.lr_spin.setValue(float(d.get("lr", 0.001)))
        self.batch_spin.setValue(int(d.get("batch_size", 32)))
        self.epochs_spin.setValue(int(d.get("epochs", 10)))
        es = d.get("early_stopping")
        self.es_check.setChecked(es is not None)
        if es is not None:
            self.es_spin.setValue(int(es))
        self.seed_spin.setValue(int(d.get("seed", 0)))
        self._loading = False
        self._emit()

    @Slot()
    def _emit(self, *_) -> None:
        if not self._loading:
            self.settings_changed.emit(self.settings())


class LayerDefaultsBox(QGroupBox):
    """L1 / L2 / dropout that new layers start with; "Apply" sets L1/L2 on every weighted layer.
    Signals: apply_requested(float l1, float l2)."""

    apply_requested = Signal(float, float)

    def __init__(self, parent=None):
        super().__init__("Defaults for new layers", parent)
        df = QFormLayout(self)
        self.l1 = reg_spin()
        self.l2 = reg_spin()
        self.dropout = double_spin(0.0, 0.95, 0.5, step=0.1)
        df.addRow("L1 on weights:", self.l1)
        df.addRow("L2 on weights:", self.l2)
        df.addRow("Dropout rate:", self.dropout)
        self.apply_btn = QPushButton("Apply L1/L2 to all weighted layers")
        self.apply_btn.clicked.connect(lambda: self.apply_requested.emit(self.l1.value(), self.l2.value()))
        df.addRow(self.apply_btn)

    def values(self) -> tuple[float, float, float]:
        return self.l1.value(), self.l2.value(), self.dropout.value()

    def state(self) -> dict:
        return {"l1": self.l1.value(), "l2": self.l2.value(), "dropout": self.dropout.value()}

    def restore(self, d: dict) -> None:
        self.l1.setValue(float(d.get("l1", 0.0)))
        self.l2.setValue(float(d.get("l2", 0.0)))
        self.dropout.setValue(float(d.get("dropout", 0.5)))
