"""Model panel: layer stack editor with presets, live summary, output head and training settings."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QHeaderView, QLabel,
    QLineEdit, QListWidget, QListWidgetItem, QMenu, QPushButton, QSpinBox, QSplitter, QTableView, QToolButton,
    QVBoxLayout, QWidget,
)

from workbench.ui.models import RecordsTableModel
from workbench.ui.panels.base import Panel
from workbench.ui.widgets import Banner

TASK_LABELS = {
    "binary": "binary classification", "multiclass": "multiclass (one label)", "multilabel": "multilabel",
    "regression": "regression", "regression01": "regression to [0, 1]", "sequence_binary": "per-time-step yes/no",
}
LOSS_LABELS = {"bce": "binary cross-entropy", "cce": "categorical cross-entropy", "mse": "mean squared error",
               "mae": "mean absolute error"}
OPTIMIZER_LABELS = [("adam", "Adam"), ("adamw", "AdamW"), ("rmsprop", "RMSprop"), ("sgd", "SGD (momentum 0.9)")]


def _core():
    import workbench.core.models as m

    return m


def _layer_text(i: int, layer) -> str:
    p = ", ".join(f"{k}={v}" for k, v in layer.params.items())
    act = f" · {layer.activation}" if layer.activation not in (None, "none") else ""
    reg = "".join(f" · {n} {getattr(layer, n):g}" for n in ("l1", "l2") if getattr(layer, n))
    return f"{i + 1}. {layer.type}" + (f" ({p})" if p else "") + act + reg


class ModelPanel(Panel):
    """Signals:
        summary_updated(object)  ModelSummary, or None when the spec has an error (see ``error``)
    """

    title = "Model"
    icon_name = "SP_FileDialogDetailedView"
    summary_updated = Signal(object)

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        m = _core()
        self.spec = m.get_preset("mlp")
        self.spec.layers = []  # start empty until a preset or data choose something
        self.summary = None
        self.error: str = ""
        self.error_layer: int | None = None
        self.head = None
        self._loading_form = False
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(120)
        self._refresh_timer.timeout.connect(self.refresh_summary)
        self._build()
        ctx.dataset_changed.connect(self._on_dataset)
        ctx.preprocessing_changed.connect(self._schedule)
        ctx.input_shape_changed.connect(self._schedule)
        ctx.splits_changed.connect(self._schedule)
        if ctx.dataset is not None:
            self._on_dataset(ctx.dataset)
        self._emit_train_settings()

    # -- UI ------------------------------------------------------------------------------------
    def _build(self) -> None:
        m = _core()
        lay = QVBoxLayout(self)
        self.banner = Banner()
        lay.addWidget(self.banner)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        lay.addWidget(self.splitter, 1)

        # left: the stack
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        self.preset_btn = QToolButton()
        self.preset_btn.setText("Presets ▾")
        self.preset_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        pm = QMenu(self)
        for p in m.list_presets():
            a = QAction(f"{p.name} — {p.input_kind}", self)
            a.setToolTip(p.description)
            a.setData(p.name)
            a.triggered.connect(self._on_preset_action)
            pm.addAction(a)
        self.preset_btn.setMenu(pm)
        self.add_btn = QToolButton()
        self.add_btn.setText("Add layer ▾")
        self.add_btn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        am = QMenu(self)
        for name, lt in m.LAYER_TYPES.items():
            a = QAction(name, self)
            a.setToolTip(lt.help)
            a.setData(name)
            a.triggered.connect(self._on_add_action)
            am.addAction(a)
        self.add_btn.setMenu(am)
        self.remove_btn = QPushButton("Remove")
        self.up_btn = QPushButton("▲")
        self.down_btn = QPushButton("▼")
        self.up_btn.setToolTip("Move the layer up")
        self.down_btn.setToolTip("Move the layer down")
        self.remove_btn.clicked.connect(self.remove_selected)
        self.up_btn.clicked.connect(lambda: self.move_selected(-1))
        self.down_btn.clicked.connect(lambda: self.move_selected(1))
        for w in (self.preset_btn, self.add_btn, self.remove_btn, self.up_btn, self.down_btn):
            bar.addWidget(w)
        bar.addStretch(1)
        lv.addLayout(bar)
        self.layer_list = QListWidget()
        self.layer_list.currentRowChanged.connect(self._on_select)
        lv.addWidget(QLabel("Layers (input at the top; the output layer is added from the head):"))
        lv.addWidget(self.layer_list, 1)
        self.layer_box = QGroupBox("Layer settings")
        self.layer_form = QFormLayout(self.layer_box)
        lv.addWidget(self.layer_box)
        self.splitter.addWidget(left)

        # middle: summary
        mid = QWidget()
        mv = QVBoxLayout(mid)
        mv.setContentsMargins(0, 0, 0, 0)
        self.shape_label = QLabel("")
        self.shape_label.setWordWrap(True)
        mv.addWidget(self.shape_label)
        self.summary_model = RecordsTableModel([("n", "#"), ("layer", "layer"), ("shape", "output shape"),
                                                ("params", "params")])
        self.summary_view = QTableView()
        self.summary_view.setModel(self.summary_model)
        self.summary_view.verticalHeader().hide()
        hh = self.summary_view.horizontalHeader()
        for c in range(4):
            hh.setSectionResizeMode(c, QHeaderView.ResizeMode.Stretch if c == 1 else QHeaderView.ResizeMode.ResizeToContents)
        self.summary_view.verticalHeader().setDefaultSectionSize(22)
        self.summary_view.setWordWrap(False)
        mv.addWidget(self.summary_view, 1)
        self.total_label = QLabel("")
        mv.addWidget(self.total_label)
        self.error_banner = Banner()
        mv.addWidget(self.error_banner)
        self.splitter.addWidget(mid)

        # right: head + training settings
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        hb = QGroupBox("Problem type and output")
        hf = QFormLayout(hb)
        self.task_combo = QComboBox()
        self.task_combo.addItem("automatic (from the targets)", "auto")
        for t in m.TASKS:
            self.task_combo.addItem(TASK_LABELS.get(t, t), t)
        self.act_combo = QComboBox()
        for a in m.HEAD_ACTIVATIONS:
            self.act_combo.addItem(a, a)
        self.loss_combo = QComboBox()
        for lo in m.LOSSES:
            self.loss_combo.addItem(LOSS_LABELS.get(lo, lo), lo)
        self.suggest_btn = QPushButton("Use suggested")
        self.suggest_btn.clicked.connect(self.use_suggested_head)
        hf.addRow("Problem:", self.task_combo)
        hf.addRow("Last activation:", self.act_combo)
        hf.addRow("Loss:", self.loss_combo)
        hf.addRow("", self.suggest_btn)
        self.reason_label = QLabel("")
        self.reason_label.setWordWrap(True)
        hf.addRow(self.reason_label)
        self.head_banner = Banner()
        hf.addRow(self.head_banner)
        self.task_combo.currentIndexChanged.connect(self._on_task_changed)
        self.act_combo.currentIndexChanged.connect(self._on_head_edited)
        self.loss_combo.currentIndexChanged.connect(self._on_head_edited)
        rv.addWidget(hb)

        tb = QGroupBox("Training settings")
        tf = QFormLayout(tb)
        self.opt_combo = QComboBox()
        for k, t in OPTIMIZER_LABELS:
            self.opt_combo.addItem(t, k)
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(5)
        self.lr_spin.setRange(1e-5, 10.0)
        self.lr_spin.setSingleStep(0.0005)
        self.lr_spin.setValue(0.001)
        self.batch_spin = QSpinBox()
        self.batch_spin.setRange(1, 65536)
        self.batch_spin.setValue(32)
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(1, 10000)
        self.epochs_spin.setValue(10)
        self.es_check = QCheckBox("early stopping, patience")
        self.es_spin = QSpinBox()
        self.es_spin.setRange(1, 1000)
        self.es_spin.setValue(3)
        es_row = QHBoxLayout()
        es_row.addWidget(self.es_check)
        es_row.addWidget(self.es_spin)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        tf.addRow("Optimizer:", self.opt_combo)
        tf.addRow("Learning rate:", self.lr_spin)
        tf.addRow("Batch size:", self.batch_spin)
        tf.addRow("Epochs:", self.epochs_spin)
        tf.addRow(es_row)
        tf.addRow("Seed:", self.seed_spin)
        for w in (self.opt_combo,):
            w.currentIndexChanged.connect(self._emit_train_settings)
        for w in (self.lr_spin, self.batch_spin, self.epochs_spin, self.es_spin, self.seed_spin):
            w.valueChanged.connect(self._emit_train_settings)
        self.es_check.toggled.connect(self._emit_train_settings)
        rv.addWidget(tb)

        db = QGroupBox("Defaults for new layers")
        df = QFormLayout(db)
        self.def_l1 = _reg_spin()
        self.def_l2 = _reg_spin()
        self.def_dropout = QDoubleSpinBox()
        self.def_dropout.setRange(0.0, 0.95)
        self.def_dropout.setSingleStep(0.1)
        self.def_dropout.setValue(0.5)
        df.addRow("L1 on weights:", self.def_l1)
        df.addRow("L2 on weights:", self.def_l2)
        df.addRow("Dropout rate:", self.def_dropout)
        self.apply_reg_btn = QPushButton("Apply L1/L2 to all weighted layers")
        self.apply_reg_btn.clicked.connect(self.apply_regularization)
        df.addRow(self.apply_reg_btn)
        rv.addWidget(db)
        rv.addStretch(1)
        self.splitter.addWidget(right)
        self.splitter.setSizes([330, 470, 330])
        self._rebuild_list()
        self.remember_splitter("main", self.splitter)

    # -- stack editing -------------------------------------------------------------------------
    def set_spec(self, spec) -> None:
        self.spec = spec.copy()
        self._rebuild_list()
        self._changed()

    def load_preset(self, name: str) -> None:
        try:
            self.set_spec(_core().get_preset(name))
        except Exception as e:
            self.banner.show_message(str(e), "error")
            return
        self.banner.clear_message()
        self._apply_preset_training(name)
        self.ctx.status(f"Model preset {name}")

    def _apply_preset_training(self, name: str) -> None:
        """The training settings the preset was designed with (the book's for the IMDB family)."""
        try:
            from workbench.core.workflow import PRESET_TRAIN_DEFAULTS
        except ImportError:
            return
        key = "imdb" if name.startswith("imdb") else name
        if key in PRESET_TRAIN_DEFAULTS:
            self.set_train_settings({**self.train_settings(), **PRESET_TRAIN_DEFAULTS[key]})

    @Slot()
    def _on_preset_action(self) -> None:
        a = self.sender()
        if isinstance(a, QAction):
            self.load_preset(a.data())

    @Slot()
    def _on_add_action(self) -> None:
        a = self.sender()
        if isinstance(a, QAction):
            self.add_layer(a.data())

    def add_layer(self, type_name: str, **params) -> None:
        m = _core()
        lt = m.LAYER_TYPES[type_name]
        p = {k: v.default for k, v in lt.params.items() if v.default is not None}
        defaults = {"Dense": {"units": 64}, "TimeDense": {"units": 1}, "Conv2D": {"filters": 32},
                    "Conv1D": {"filters": 32}, "GRU": {"units": 64}, "LSTM": {"units": 64},
                    "Dropout": {"rate": self.def_dropout.value()}}
        p.update(defaults.get(type_name, {}))
        p.update(params)
        act = "relu" if type_name in ("Dense", "Conv2D", "Conv1D") else "none"
        layer = m.LayerSpec(type=type_name, params=p, activation=act,
                            l1=self.def_l1.value() if lt.has_weights else 0.0,
                            l2=self.def_l2.value() if lt.has_weights else 0.0)
        row = self.layer_list.currentRow()
        at = row + 1 if row >= 0 else len(self.spec.layers)
        self.spec.layers.insert(at, layer)
        self._rebuild_list(at)
        self._changed()

    @Slot()
    def remove_selected(self) -> None:
        row = self.layer_list.currentRow()
        if 0 <= row < len(self.spec.layers):
            del self.spec.layers[row]
            self._rebuild_list(min(row, len(self.spec.layers) - 1))
            self._changed()

    def move_selected(self, delta: int) -> None:
        row = self.layer_list.currentRow()
        new = row + delta
        if 0 <= row < len(self.spec.layers) and 0 <= new < len(self.spec.layers):
            L = self.spec.layers
            L[row], L[new] = L[new], L[row]
            self._rebuild_list(new)
            self._changed()

    @Slot()
    def apply_regularization(self) -> None:
        m = _core()
        for layer in self.spec.layers:
            t = m.LAYER_TYPES.get(layer.canonical_type or "")
            if t is not None and t.has_weights and layer.canonical_type != "BatchNorm":
                layer.l1, layer.l2 = self.def_l1.value(), self.def_l2.value()
        self._rebuild_list(self.layer_list.currentRow())
        self._changed()

    def _rebuild_list(self, select: int | None = None) -> None:
        self.layer_list.blockSignals(True)
        self.layer_list.clear()
        for i, layer in enumerate(self.spec.layers):
            it = QListWidgetItem(_layer_text(i, layer))
            if self.error_layer == i:
                it.setBackground(QBrush(QColor("#fdecea")))
                it.setForeground(QBrush(QColor("#8a1c12")))
                it.setToolTip(self.error)
            self.layer_list.addItem(it)
        self.layer_list.blockSignals(False)
        if select is not None and 0 <= select < len(self.spec.layers):
            self.layer_list.setCurrentRow(select)
        else:
            self._on_select(self.layer_list.currentRow())

    def _mark_error_row(self) -> None:
        for i in range(self.layer_list.count()):
            it = self.layer_list.item(i)
            bad = i == self.error_layer
            it.setBackground(QBrush(QColor("#fdecea")) if bad else QBrush())
            it.setForeground(QBrush(QColor("#8a1c12")) if bad else QBrush())
            it.setToolTip(self.error if bad else "")
            it.setText(("⚠ " if bad else "") + _layer_text(i, self.spec.layers[i]))

    # -- layer form ----------------------------------------------------------------------------
    @Slot(int)
    def _on_select(self, row: int) -> None:
        while self.layer_form.rowCount():
            self.layer_form.removeRow(0)
        self._fields: dict = {}
        if not (0 <= row < len(self.spec.layers)):
            self.layer_box.setTitle("Layer settings")
            self.layer_form.addRow(QLabel("Select a layer to edit it."))
            return
        m = _core()
        layer = self.spec.layers[row]
        tname = layer.canonical_type or layer.type
        lt = m.LAYER_TYPES.get(tname)
        self.layer_box.setTitle(f"Layer {row + 1}: {tname}")
        self._loading_form = True
        if lt is not None:
            for pname, info in lt.params.items():
                val = layer.params.get(pname, info.default)
                w = self._field_for(info.kind, val)
                w.setToolTip(info.help)
                self.layer_form.addRow(f"{pname}:", w)
                self._fields[pname] = (info.kind, w)
        act = QComboBox()
        for a in m.ACTIVATIONS:
            act.addItem(a, a)
        act.setCurrentIndex(max(act.findData(m.spec.canonical_activation(layer.activation) or "none"), 0))
        act.currentIndexChanged.connect(self._on_field_edited)
        self.layer_form.addRow("activation:", act)
        self._fields["__activation"] = ("act", act)
        if lt is not None and lt.has_weights:
            for n in ("l1", "l2"):
                s = _reg_spin()
                s.setValue(float(getattr(layer, n) or 0.0))
                s.valueChanged.connect(self._on_field_edited)
                self.layer_form.addRow(f"{n.upper()} penalty:", s)
                self._fields[f"__{n}"] = ("reg", s)
        if self.error_layer == row and self.error:
            lab = QLabel(f"<span style='color:#8a1c12'>⚠ {self.error}</span>")
            lab.setWordWrap(True)
            self.layer_form.addRow(lab)
        self._loading_form = False

    def _field_for(self, kind: str, val):
        if kind == "int":
            w = QSpinBox()
            w.setRange(1, 100000)
            w.setValue(int(val) if isinstance(val, (int, float)) else 1)
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
        if self._loading_form:
            return
        row = self.layer_list.currentRow()
        if not (0 <= row < len(self.spec.layers)):
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
                text = w.text().strip()
                if not text:
                    layer.params.pop(name, None)
                else:
                    try:
                        parts = [int(p) for p in text.replace("x", ",").split(",") if p.strip()]
                        layer.params[name] = parts[0] if len(parts) == 1 else parts
                    except ValueError:
                        layer.params[name] = text  # the core's validation names the problem
        self.layer_list.item(row).setText(_layer_text(row, layer))
        self._changed()

    # -- data / head ---------------------------------------------------------------------------
    @Slot(object)
    def _on_dataset(self, ds) -> None:
        if ds is None:
            self._schedule()
            return
        if not self.spec.layers:  # suggest a preset that suits the data
            name = {"image": "digits-cnn" if max(ds.input_shape[:2] or (0,)) <= 32 else "shallow-cnn",
                    "text": "imdb", "table": "mlp"}.get(ds.kind)
            if name:
                spec = _core().get_preset(name)
                if name == "imdb":  # drop the explicit output layer so any label count fits
                    spec.layers = spec.layers[:-1]
                self.spec = spec
                self._rebuild_list()
                self._apply_preset_training(name)
                self.ctx.set_model_spec(self.spec.copy())
        if self.task_combo.currentData() == "auto":
            self._apply_head(self.suggested_head())
        self._schedule()

    def current_task(self) -> str | None:
        t = self.task_combo.currentData()
        if t != "auto":
            return t
        ds = self.ctx.dataset
        if ds is None:
            return None
        try:
            return _core().infer_task(ds.y, ds.class_names)
        except Exception:
            return None

    def suggested_head(self):
        t = self.current_task()
        return _core().default_head(t) if t else None

    def _apply_head(self, head) -> None:
        if head is None:
            return
        self._loading_form = True
        self.act_combo.setCurrentIndex(max(self.act_combo.findData(head.activation), 0))
        self.loss_combo.setCurrentIndex(max(self.loss_combo.findData(head.loss_name), 0))
        self._loading_form = False
        self._on_head_edited()

    @Slot()
    def use_suggested_head(self) -> None:
        self._apply_head(self.suggested_head())

    @Slot()
    def _on_task_changed(self) -> None:
        self._apply_head(self.suggested_head())

    @Slot()
    def _on_head_edited(self) -> None:
        if self._loading_form:
            return
        m = _core()
        task = self.current_task()
        if task is None:
            self.reason_label.setText("Load data to choose the problem type automatically.")
            self.head = None
            return
        act, loss = self.act_combo.currentData(), self.loss_combo.currentData()
        suggested = m.default_head(task)
        inferred = self.task_combo.currentData() == "auto"
        self.reason_label.setText(
            f"<b>{TASK_LABELS.get(task, task)}</b>{' (from the targets)' if inferred else ''}: suggested "
            f"{suggested.activation} + {LOSS_LABELS.get(suggested.loss_name, suggested.loss_name)} — "
            f"{suggested.reason}.")
        try:
            warnings = m.check_head(task, act, loss)
            self.head = m.Head(task, act, loss, suggested.reason if (act, loss) == (suggested.activation,
                                                                                   suggested.loss_name) else "")
        except Exception as e:
            warnings = [str(e)]
            self.head = None
        if warnings:
            self.head_banner.show_message("<br>".join(f"⚠ {w}" for w in warnings), "warning")
        else:
            self.head_banner.clear_message()
        self.ctx.set_head(self.head)
        self._schedule()

    # -- summary -------------------------------------------------------------------------------
    def _changed(self) -> None:
        self.ctx.set_model_spec(self.spec.copy())
        self._schedule()

    @Slot()
    def _schedule(self, *_):
        self._refresh_timer.start()

    def input_shape(self):
        """Per-sample model input shape from the data and preprocessing (None without data)."""
        ds = self.ctx.dataset
        if ds is None:
            return None
        shape = self.ctx.input_shape
        if shape:
            return tuple(shape)
        if ds.kind == "image":
            h, w = ds.input_shape[:2]
            c = ds.input_shape[2] if len(ds.input_shape) > 2 else 1
            return (c, h, w)
        if ds.kind == "table":
            return (int(ds.X.shape[1]),)
        if ds.kind == "text":
            return (int(self.ctx.preprocessing.get("vocab_size", 10000)),)
        return tuple(ds.input_shape)

    def output_shape(self):
        ds = self.ctx.dataset
        if ds is None or self.head is None:
            return None
        n = len(ds.class_names) if ds.class_names else None
        return tuple(self.head.output_shape(ds.y, n))

    @Slot()
    def refresh_summary(self) -> None:
        from workbench.core.errors import WorkbenchError

        m = _core()
        ins, outs = self.input_shape(), self.output_shape()
        self.error, self.error_layer = "", None
        if ins is None or outs is None:
            self.shape_label.setText("Load data (Data panel) to see output shapes and parameter counts.")
            self.summary_model.set_rows([])
            self.total_label.setText(f"{len(self.spec.layers)} layers")
            self.error_banner.clear_message()
            self._mark_error_row()
            self.summary = None
            self.summary_updated.emit(None)
            return
        self.shape_label.setText(f"Input per sample: {m.format_shape(ins)}  →  output: {m.format_shape(outs)}")
        try:
            s = m.summarize_model(self.spec, ins, outs, self.head)
        except WorkbenchError as e:
            self.error = str(e)
            self.error_layer = getattr(e, "layer_index", None)
            self.error_banner.show_message(f"⚠ {e}", "error")
            self.summary = None
            self.summary_model.set_rows([])
            self.total_label.setText("")
            self._mark_error_row()
            if self.error_layer is not None and self.layer_list.currentRow() != self.error_layer:
                self.layer_list.setCurrentRow(self.error_layer)
            else:
                self._on_select(self.layer_list.currentRow())
            self.summary_updated.emit(None)
            return
        self.summary = s
        rows = [{"n": "", "layer": "input", "shape": m.format_shape(ins), "params": None}]
        for ls in s.layers:
            name = f"{ls.type} {ls.settings}".strip() + (f" · {ls.activation}" if ls.activation != "none" else "")
            if ls.role != "hidden":
                name += "  [output" + (", added" if ls.role == "added-output" else "") + "]"
            rows.append({"n": ls.index + 1, "layer": name, "shape": m.format_shape(ls.output_shape),
                         "params": ls.params})
        self.summary_model.set_rows(rows)
        self.total_label.setText(f"<b>Total parameters: {s.total_params:,}</b>"
                                 + (f" — head: {self.head.activation} + {self.head.loss_name}" if self.head else ""))
        if s.notes:
            self.error_banner.show_message("<br>".join(s.notes), "info")
        else:
            self.error_banner.clear_message()
        self._mark_error_row()
        self._on_select(self.layer_list.currentRow())
        self.summary_updated.emit(s)

    # -- training settings ---------------------------------------------------------------------
    def train_settings(self) -> dict:
        return {"optimizer": self.opt_combo.currentData(), "lr": float(self.lr_spin.value()),
                "batch_size": int(self.batch_spin.value()), "epochs": int(self.epochs_spin.value()),
                "early_stopping": int(self.es_spin.value()) if self.es_check.isChecked() else None,
                "seed": int(self.seed_spin.value())}

    def set_train_settings(self, d: dict) -> None:
        self._loading_form = True
        self.opt_combo.setCurrentIndex(max(self.opt_combo.findData(d.get("optimizer", "adam")), 0))
        self.lr_spin.setValue(float(d.get("lr", 0.001)))
        self.batch_spin.setValue(int(d.get("batch_size", 32)))
        self.epochs_spin.setValue(int(d.get("epochs", 10)))
        es = d.get("early_stopping")
        self.es_check.setChecked(es is not None)
        if es is not None:
            self.es_spin.setValue(int(es))
        self.seed_spin.setValue(int(d.get("seed", 0)))
        self._loading_form = False
        self._emit_train_settings()

    @Slot()
    def _emit_train_settings(self, *_):
        if not self._loading_form:
            self.ctx.set_train_settings(self.train_settings())

    # -- panel contract ------------------------------------------------------------------------
    def state(self) -> dict:
        return {"spec": self.spec.to_dict(), "task": self.task_combo.currentData(),
                "activation": self.act_combo.currentData(), "loss": self.loss_combo.currentData(),
                "train": self.train_settings(),
                "defaults": {"l1": self.def_l1.value(), "l2": self.def_l2.value(),
                             "dropout": self.def_dropout.value()},
                "selected": self.layer_list.currentRow()}

    def restore(self, state: dict) -> None:
        state = state or {}
        m = _core()
        if isinstance(state.get("spec"), dict):
            try:
                self.spec = m.ModelSpec.from_dict(state["spec"])
            except Exception as e:
                self.banner.show_message(f"The saved model could not be read: {e}", "error")
        d = state.get("defaults") or {}
        self.def_l1.setValue(float(d.get("l1", 0.0)))
        self.def_l2.setValue(float(d.get("l2", 0.0)))
        self.def_dropout.setValue(float(d.get("dropout", 0.5)))
        self._loading_form = True
        self.task_combo.setCurrentIndex(max(self.task_combo.findData(state.get("task", "auto")), 0))
        if state.get("activation"):
            self.act_combo.setCurrentIndex(max(self.act_combo.findData(state["activation"]), 0))
        if state.get("loss"):
            self.loss_combo.setCurrentIndex(max(self.loss_combo.findData(state["loss"]), 0))
        self._loading_form = False
        if isinstance(state.get("train"), dict):
            self.set_train_settings(state["train"])
        self._rebuild_list(state.get("selected"))
        self.ctx.set_model_spec(self.spec.copy())
        self._on_head_edited()
        self.refresh_summary()


def _reg_spin() -> QDoubleSpinBox:
    s = QDoubleSpinBox()
    s.setDecimals(5)
    s.setRange(0.0, 10.0)
    s.setSingleStep(0.0005)
    return s


def _demo(ctx, panel) -> None:
    from workbench.core.data import load_data

    ctx.set_dataset(load_data("builtin:digits"), {"source": "builtin:digits"})
    panel.load_preset("digits-cnn")


if __name__ == "__main__":
    from workbench.ui.panels.base import run_panel_standalone

    raise SystemExit(run_panel_standalone(ModelPanel, setup=_demo))
