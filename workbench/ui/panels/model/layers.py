"""The Model panel's layer stack: preset and add-layer menus, the list of layers (input at the
top) with move / remove, and the form of the selected layer's settings.

The editor edits ``self.spec`` (a ModelSpec) in place and emits ``spec_edited`` after each
change; a layer the core reported as wrong (``set_error``) is marked in the list and its form.
"""
from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QMenu, QPushButton, QToolButton, QVBoxLayout, QWidget,
)

from workbench.ui.widgets import double_spin, hbox, spin_box

# the settings a new layer of these types starts with (the rest: the layer type's defaults)
NEW_LAYER_PARAMS = {"Dense": {"units": 64}, "TimeDense": {"units": 1}, "Conv2D": {"filters": 32},
                    "Conv1D": {"filters": 32}, "GRU": {"units": 64}, "LSTM": {"units": 64}}
RELU_LAYERS = ("Dense", "Conv2D", "Conv1D")
ERROR_BG, ERROR_FG = QColor("#fdecea"), QColor("#8a1c12")


def layer_text(i: int, layer) -> str:
    p = ", ".join(f"{k}={v}" for k, v in layer.params.items())
    act = f" · {layer.activation}" if layer.activation not in (None, "none") else ""
    reg = "".join(f" · {n} {getattr(layer, n):g}" for n in ("l1", "l2") if getattr(layer, n))
    return f"{i + 1}. {layer.type}" + (f" ({p})" if p else "") + act + reg


def reg_spin():
    """An L1 / L2 penalty."""
    return double_spin(0.0, 10.0, 0.0, step=0.0005, decimals=5)


def _menu_button(parent: QWidget, text: str, items, slot) -> QToolButton:
    """A drop-down button; ``items`` are (text, tooltip, data)."""
    b = QToolButton()
    b.setText(text)
    b.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    menu = QMenu(parent)
    for label, tip, data in items:
        a = QAction(label, parent)
        a.setToolTip(tip)
        a.setData(data)
        a.triggered.connect(slot)
        menu.addAction(a)
    b.setMenu(menu)
    return b


class LayerEditor(QWidget):
    """Signals:
        spec_edited()         a layer was added, removed, moved or changed
        preset_chosen(str)    a preset was picked in the Presets menu (the panel loads it)
    """

    spec_edited = Signal()
    preset_chosen = Signal(str)

    def __init__(self, spec, parent=None):
        from workbench.core.models import LAYER_TYPES, list_presets

        super().__init__(parent)
        self.spec = spec
        self.error, self.error_layer = "", None
        self.new_layer_regularization = lambda: (0.0, 0.0, 0.5)  # (l1, l2, dropout) for new layers
        self._loading = False
        self._fields: dict = {}
        lv = QVBoxLayout(self)
        lv.setContentsMargins(0, 0, 0, 0)
        self.preset_btn = _menu_button(self, "Presets ▾", [(f"{p.name} — {p.input_kind}", p.description, p.name)
                                                            for p in list_presets()], self._on_preset_action)
        self.add_btn = _menu_button(self, "Add layer ▾", [(n, lt.help, n) for n, lt in LAYER_TYPES.items()],
                                    self._on_add_action)
        self.remove_btn = QPushButton("Remove")
        self.up_btn = QPushButton("▲")
        self.down_btn = QPushButton("▼")
        self.up_btn.setToolTip("Move the layer up")
        self.down_btn.setToolTip("Move the layer down")
        self.remove_btn.clicked.connect(self.remove_selected)
        self.up_btn.clicked.connect(lambda: self.move_selected(-1))
        self.down_btn.clicked.connect(lambda: self.move_selected(1))
        for b in (self.up_btn, self.down_btn):
            b.setMaximumWidth(36)
        for b in (self.preset_btn, self.add_btn, self.remove_btn):  # never squeezed to "Pre…s"
            b.setMinimumWidth(b.sizeHint().width())
        lv.addLayout(hbox(self.preset_btn, self.add_btn, self.remove_btn, self.up_btn, self.down_btn))
        self.layer_list = QListWidget()
        self.layer_list.currentRowChanged.connect(self._on_select)
        caption = QLabel("Layers (input at the top; the output layer is added from the head):")
        caption.setWordWrap(True)
        lv.addWidget(caption)
        lv.addWidget(self.layer_list, 1)
        self.layer_box = QGroupBox("Layer settings")
        self.layer_form = QFormLayout(self.layer_box)
        lv.addWidget(self.layer_box)
        self.rebuild()

    # -- the stack ---------------------------------------------------------------------------------
    def set_spec(self, spec, select: int | None = None) -> None:
        self.spec = spec
        self.rebuild(select)

    @Slot()
    def _on_preset_action(self) -> None:
        a = self.sender()
        if isinstance(a, QAction):
            self.preset_chosen.emit(a.data())

    @Slot()
    def _on_add_action(self) -> None:
        a = self.sender()
        if isinstance(a, QAction):
            self.add_layer(a.data())

    def add_layer(self, type_name: str, **params) -> None:
        """Insert a layer after the selected one (at the end when none is selected)."""
        from workbench.core.models import LAYER_TYPES, LayerSpec

        lt = LAYER_TYPES[type_name]
        l1, l2, dropout = self.new_layer_regularization()
        p = {k: v.default for k, v in lt.params.items() if v.default is not None}
        p.update(NEW_LAYER_PARAMS.get(type_name, {"rate": dropout} if type_name == "Dropout" else {}))
        p.update(params)
        layer = LayerSpec(type=type_name, params=p, activation="relu" if type_name in RELU_LAYERS else "none",
                          l1=l1 if lt.has_weights else 0.0, l2=l2 if lt.has_weights else 0.0)
        row = self.layer_list.currentRow()
        at = row + 1 if row >= 0 else len(self.spec.layers)
        self.spec.layers.insert(at, layer)
        self._edited(at)

    @Slot()
    def remove_selected(self) -> None:
        row = self.layer_list.currentRow()
        if 0 <= row < len(self.spec.layers):
            del self.spec.layers[row]
            self._edited(min(row, len(self.spec.layers) - 1))

    def move_selected(self, delta: int) -> None:
        row, L = self.layer_list.currentRow(), self.spec.layers
        new = row + delta
        if 0 <= row < len(L) and 0 <= new < len(L):
            L[row], L[new] = L[new], L[row]
            self._edited(new)

    def apply_regularization(self, l1: float, l2: float) -> None:
        """Set L1/L2 on every weighted layer (batch norm excepted)."""
        from workbench.core.models import LAYER_TYPES

        for layer in self.spec.layers:
            t = LAYER_TYPES.get(layer.canonical_type or "")
            if t is not None and t.has_weights and layer.canonical_type != "BatchNorm":
                layer.l1, layer.l2 = l1, l2
        self._edited(self.layer_list.currentRow())

    def _edited(self, select: int | None) -> None:
        self.rebuild(select)
        self.spec_edited.emit()

    def rebuild(self, select: int | None = None) -> None:
        self.layer_list.blockSignals(True)
        self.layer_list.clear()
        for i, layer in enumerate(self.spec.layers):
            self.layer_list.addItem(QListWidgetItem(layer_text(i, layer)))
        self.layer_list.blockSignals(False)
        self.mark_error()
        if select is not None and 0 <= select < len(self.spec.layers):
            self.layer_list.setCurrentRow(select)
        else:
            self._on_select(self.layer_list.currentRow())

    # -- errors --------------------------------------------------------------------------------------
    def set_error(self, message: str, layer: int | None) -> None:
        """The core's message about the spec (``""``: none) and the layer it names."""
        self.error, self.error_layer = message, layer
        self.mark_error()
        if layer is not None and self.layer_list.currentRow() != layer:
            self.layer_list.setCurrentRow(layer)
        else:
            self._on_select(self.layer_list.currentRow())

    def mark_error(self) -> None:
        for i in range(self.layer_list.count()):
            it = self.layer_list.item(i)
            bad = i == self.error_layer
            it.setBackground(QBrush(ERROR_BG) if bad else QBrush())
            it.setForeground(QBrush(ERROR_FG) if bad else QBrush())
            it.setToolTip(self.error if bad else "")
            it.setText(("⚠ " if bad else "") + layer_text(i, self.spec.layers[i]))

    # -- the selected layer's form ---------------------------------------------------------------------
    @Slot(int)
    def _on_select(self, row: int) -> None:
        from workbench.core.models import ACTIVATIONS, LAYER_TYPES
        from workbench.core.models.spec import canonical_activation

        while self.layer_form.rowCount():
            self.layer_form.removeRow(0)
        self._fields = {}
        if not (0 <= row < len(self.spec.layers)):
            self.layer_box.setTitle("Layer settings")
            self.layer_form.addRow(QLabel("Select a layer to edit it."))
            return
        layer = self.spec.layers[row]
        tname = layer.canonical_type or layer.type
        lt = LAYER_TYPES.get(tname)
        self.layer_box.setTitle(f"Layer {row + 1}: {tname}")
        self._loading = True
        if lt is not None:
            for pname, info in lt.params.items():
                w = self._field_for(info.kind, layer.params.get(pname, info.default))
                w.setToolTip(info.help)
                self.layer_form.addRow(f"{pname}:", w)
                self._fields[pname] = (info.kind, w)
        act = QComboBox()
        for a in ACTIVATIONS:
            act.addItem(a, a)
        act.setCurrentIndex(max(act.findData(canonical_activation(layer.activation) or "none"), 0))
        act.currentIndexChanged.connect(self._on_field_edited)
        self.layer_form.addRow("activation:", act)
        self._fields["__activation"] = ("act", act)
        if lt is not None and lt.has_weights:
            for n in ("l1", "l2"):
                s = reg_spin()
                s.setValue(float(getattr(layer, n) or 0.0))
                s.valueChanged.connect(self._on_field_edited)
                self.layer_form.addRow(f"{n.upper()} penalty:", s)
                self._fields[f"__{n}"] = ("reg", s)
        if self.error_layer == row and self.error:
            lab = QLabel(f"<span style='color:#8a1c12'>⚠ {self.error}</span>")
            lab.setWordWrap(True)
            self.layer_form.addRow(lab)
        self._loading = False

    def _field_for(self, kind: str, val):
        if kind == "int":
            w = spin_box(1, 100000, int(val) if isinstance(val, (int, float)) else 1)
            w.valueChanged.connect(self._on_field_edited)
        elif kind in ("rate", "float"):
            w = QDoubleSpinBox()
            w.setDecimals(4 if kind == "float" else 2)
            w.setRange(0.0, 0.99 if kind == "rate" else 1e6)
            w.setSingleStep(0.05 if kind == "rate" else 0.01)
            w.setValue(float(val) if isinstance(val, (int, float)) else 0.0)
            w.valueChanged.connect(self._on_field_edited)
        elif kind == "bool":
            w = QCheckBox()
            w.setChecked(bool(val))
            w.toggled.connect(self._on_field_edited)
        elif kind == "padding":
            w = QComboBox()
            w.addItems(["valid", "same"])
            w.setCurrentText(str(val or "valid"))
            w.currentIndexChanged.connect(self._on_field_edited)
        else:  # size: "3" or "3,5"; empty = default
            w = QLineEdit("" if val is None else (",".join(map(str, val)) if isinstance(val, (list, tuple)) else str(val)))
            w.setPlaceholderText("default")
            w.editingFinished.connect(self._on_field_edited)
        return w

    @Slot()
    def _on_field_edited(self) -> None:
        row = self.layer_list.currentRow()
        if self._loading or not (0 <= row < len(self.spec.layers)):
            return
        layer = self.spec.layers[row]
        for name, (kind, w) in self._fields.items():
            if kind == "act":
                layer.activation = w.currentData()
            elif kind == "reg":
                setattr(layer, name[2:], float(w.value()))
            elif kind == "int":
                layer.params[name] = int(w.value())
            elif kind in ("rate", "float"):
                layer.params[name] = float(w.value())
            elif kind == "bool":
                layer.params[name] = bool(w.isChecked())
            elif kind == "padding":
                layer.params[name] = w.currentText()
            else:
                self._set_size(layer, name, w.text().strip())
        self.layer_list.item(row).setText(layer_text(row, layer))
        self.spec_edited.emit()

    @staticmethod
    def _set_size(layer, name: str, text: str) -> None:
        """A kernel / pool size typed as "3", "3,5" or "3x5" (empty: the default)."""
        if not text:
            layer.params.pop(name, None)
            return
        try:
            parts = [int(p) for p in text.replace("x", ",").split(",") if p.strip()]
            layer.params[name] = parts[0] if len(parts) == 1 else parts
        except ValueError:
            layer.params[name] = text  # the core's validation names the problem
