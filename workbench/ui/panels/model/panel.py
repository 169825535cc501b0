"""Model panel: the layer stack (``layers.py``), its live summary (``summary.py``), the output
head (``head.py``) and the training settings (``settings.py``).

The panel keeps the spec being edited and puts every change into ``ctx`` (model spec, head,
training settings). Shapes come from the core: the input shape is ``ctx.input_shape`` (known once
the data's preprocessing is fitted), the summary is ``core.models.summarize_model``. The model
follows the data (``core.model_choice.follow_data``): new data of another kind get that kind's
default model — the model ``workbench train`` trains on the same data when given none — and the
banner says so; a model the user chose or edited is kept while it fits data of the same kind.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QFrame, QScrollArea, QSplitter, QVBoxLayout, QWidget

from workbench.ui.panels.base import Panel
from workbench.ui.panels.model.head import HeadBox
from workbench.ui.panels.model.layers import LayerEditor
from workbench.ui.panels.model.settings import LayerDefaultsBox, TrainSettingsBox
from workbench.ui.panels.model.summary import SummaryView
from workbench.ui.widgets import Banner


def _empty_spec():
    from workbench.core.models import ModelSpec

    return ModelSpec([], name="")


class ModelPanel(Panel):
    """Signals:
        summary_updated(object)  ModelSummary, or None when the spec has an error (see ``error``)
    """

    title = "Model"
    icon_name = "SP_FileDialogDetailedView"
    summary_updated = Signal(object)

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        self.summary = None
        self._made_for: str | None = None  # the data kind the current model was chosen for
        self._explicit = False  # the user chose or edited the model (else it is a suggestion)
        self._decided_for = None  # the data set the model was last matched to
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(120)
        self._refresh_timer.timeout.connect(self.refresh_summary)
        self._build()
        ctx.dataset_changed.connect(self._on_dataset)
        ctx.input_shape_changed.connect(self._on_input_shape)
        ctx.preprocessing_changed.connect(self._schedule)
        ctx.splits_changed.connect(self._schedule)
        if ctx.dataset is not None:
            self._on_dataset(ctx.dataset)
        self._on_train_settings(self.settings.settings())

    def _build(self) -> None:
        lay = QVBoxLayout(self)
        self.banner = Banner()
        lay.addWidget(self.banner)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)  # the layers and their summary | the settings
        lay.addWidget(self.splitter, 1)
        # the layers beside their summary, or above it when the panel is narrow (see resizeEvent)
        self.layers_splitter = QSplitter(Qt.Orientation.Horizontal)
        self.editor = LayerEditor(_empty_spec())
        self.editor.spec_edited.connect(self._edited)
        self.editor.preset_chosen.connect(self.load_preset)
        self.layers_splitter.addWidget(self.editor)
        self.summary_view = SummaryView()
        self.layers_splitter.addWidget(self.summary_view)
        self.layers_splitter.setSizes([330, 470])
        self.splitter.addWidget(self.layers_splitter)
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.setContentsMargins(0, 0, 0, 0)
        self.head_box = HeadBox()
        self.head_box.head_changed.connect(self._on_head)
        self.settings = TrainSettingsBox()
        self.settings.settings_changed.connect(self._on_train_settings)
        self.defaults = LayerDefaultsBox()
        self.defaults.apply_requested.connect(self.editor.apply_regularization)
        self.editor.new_layer_regularization = self.defaults.values
        for w in (self.head_box, self.settings, self.defaults):
            rv.addWidget(w)
        rv.addStretch(1)
        # In a scroll area: on a small screen the problem type's explanation and the settings
        # scroll instead of being cut off.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(right)
        scroll.setMinimumWidth(right.minimumSizeHint().width() + 16)
        self.splitter.addWidget(scroll)
        self.splitter.setSizes([800, 330])
        self.remember_splitter("columns", self.splitter)
        self.remember_splitter("layers", self.layers_splitter)
        # the widgets flows and tests drive most
        self.layer_list = self.editor.layer_list
        self.error_banner = self.summary_view.error_banner
        self.head_banner = self.head_box.banner
        self.reason_label = self.head_box.reason_label
        self.task_combo, self.act_combo, self.loss_combo = (self.head_box.task_combo, self.head_box.act_combo,
                                                            self.head_box.loss_combo)
        self.opt_combo, self.lr_spin, self.batch_spin, self.epochs_spin = (
            self.settings.opt_combo, self.settings.lr_spin, self.settings.batch_spin, self.settings.epochs_spin)

    # -- the spec ------------------------------------------------------------------------------
    @property
    def spec(self):
        return self.editor.spec

    @property
    def head(self):
        return self.head_box.head

    @property
    def error(self) -> str:
        return self.editor.error

    @property
    def error_layer(self) -> int | None:
        return self.editor.error_layer

    def set_spec(self, spec) -> None:
        self.editor.set_spec(spec.copy())
        self._changed()

    def load_preset(self, name: str) -> None:
        """A preset's layers and the training settings it was designed with (the user's choice)."""
        from workbench.core.errors import WorkbenchError
        from workbench.core.models import get_preset

        try:
            self.set_spec(get_preset(name))
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return
        self._mark_explicit()
        self.banner.clear_message()
        self._apply_preset_training(name)
        self.ctx.status(f"Model preset {name}")

    def _apply_preset_training(self, name: str) -> None:
        from workbench.core.workflow import preset_train_defaults

        defaults = preset_train_defaults(name)
        if defaults:
            self.settings.set_settings({**self.settings.settings(), **defaults})

    def add_layer(self, type_name: str, **params) -> None:
        self.editor.add_layer(type_name, **params)

    def remove_selected(self) -> None:
        self.editor.remove_selected()

    def move_selected(self, delta: int) -> None:
        self.editor.move_selected(delta)

    @Slot()
    def _changed(self) -> None:
        self.ctx.set_model_spec(self.spec.copy())
        self._schedule()

    @Slot()
    def _edited(self) -> None:
        self._mark_explicit()
        self._changed()

    def _mark_explicit(self) -> None:
        self._explicit = True
        self._made_for = self.ctx.dataset.kind if self.ctx.dataset is not None else None

    # -- data, input shape, head ---------------------------------------------------------------
    @Slot(object)
    def _on_dataset(self, ds) -> None:
        self.head_box.set_dataset(ds)
        self._on_input_shape(self.ctx.input_shape)

    @Slot(object)
    def _on_input_shape(self, shape) -> None:
        """Once per data set: keep the model while it fits, else suggest the data's default model."""
        ds = self.ctx.dataset
        if ds is not None and shape and ds is not self._decided_for:
            self._decided_for = ds
            self.follow_data(ds, tuple(shape))
        self._schedule()

    def follow_data(self, ds, shape) -> None:
        from workbench.core.model_choice import follow_data
        from workbench.core.workflow import train_class_counts

        choice = follow_data(self.spec, made_for=self._made_for, explicit=self._explicit, kind=ds.kind,
                             input_shape=shape, output_shape=self.output_shape(), head=self.head,
                             class_counts=train_class_counts(ds, self.ctx.splits),
                             text_mode=(self.ctx.preprocessing.get("text") or {}).get("mode"))
        if choice.action == "keep":
            self._made_for = ds.kind
            return
        self.editor.set_spec(choice.spec)
        self._apply_preset_training(choice.name)
        self._explicit, self._made_for = False, ds.kind
        self.ctx.set_model_spec(self.spec.copy())
        if choice.message:
            self.banner.show_message(choice.message, "info")
            self.ctx.status(choice.message)

    @Slot(object)
    def _on_head(self, head) -> None:
        self.ctx.set_head(head)
        self._schedule()

    def use_suggested_head(self) -> None:
        self.head_box.use_suggested()

    def current_task(self) -> str | None:
        return self.head_box.current_task()

    def input_shape(self):
        """Per-sample model input shape (None until the data's preprocessing is fitted)."""
        shape = self.ctx.input_shape
        return tuple(shape) if shape and self.ctx.dataset is not None else None

    def output_shape(self):
        ds, head = self.ctx.dataset, self.head
        if ds is None or head is None:
            return None
        return tuple(head.output_shape(ds.y, len(ds.class_names) if ds.class_names else None))

    NARROW = 900  # below this width the summary goes under the layers: side by side it would be a sliver

    def resizeEvent(self, e) -> None:
        super().resizeEvent(e)
        want = Qt.Orientation.Vertical if self.width() < self.NARROW else Qt.Orientation.Horizontal
        if self.layers_splitter.orientation() != want:
            self.layers_splitter.setOrientation(want)
            total = sum(self.layers_splitter.sizes()) or 800
            self.layers_splitter.setSizes([total * 3 // 5, total - total * 3 // 5])  # the layer list keeps room

    # -- summary -------------------------------------------------------------------------------
    @Slot()
    def _schedule(self, *_):
        self._refresh_timer.start()

    @Slot()
    def refresh_summary(self) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.models import summarize_model

        ins, outs = self.input_shape(), self.output_shape()
        self.summary = None
        if ins is None or outs is None:
            self.summary_view.show_nothing(len(self.spec.layers))
            self.editor.set_error("", None)
            self.summary_updated.emit(None)
            return
        try:
            s = summarize_model(self.spec, ins, outs, self.head)
        except WorkbenchError as e:
            self.summary_view.show_error(str(e))
            self.editor.set_error(str(e), getattr(e, "layer_index", None))
            self.summary_updated.emit(None)
            return
        self.summary = s
        self.summary_view.show_summary(s, ins, outs, self.head)
        self.editor.set_error("", None)
        self.summary_updated.emit(s)

    # -- training settings ---------------------------------------------------------------------
    def train_settings(self) -> dict:
        return self.settings.settings()

    def set_train_settings(self, d: dict) -> None:
        self.settings.set_settings(d)

    @Slot(dict)
    def _on_train_settings(self, d: dict) -> None:
        self.ctx.set_train_settings(d)

    # -- panel contract ------------------------------------------------------------------------
    def state(self) -> dict:
        return {"spec": self.spec.to_dict(), **self.head_box.state(), "train": self.train_settings(),
                "defaults": self.defaults.state(), "selected": self.layer_list.currentRow()}

    def save_state(self, sections) -> None:
        st = self.state()
        sections.model.update(spec=st["spec"], task=st.get("task"), activation=st.get("activation"),
                              loss=st.get("loss"), selected=st.get("selected"), **st["defaults"])
        sections.training.update(st["train"])

    live_sections = ("model", "training")

    def show_state(self, sections) -> None:
        self.load_state(sections)

    def load_state(self, sections) -> None:
        m = sections.model
        self.restore({**({"spec": m.spec} if m.spec else {}), "task": m.task, "activation": m.activation,
                      "loss": m.loss, "train": sections.training.settings(), "selected": m.selected,
                      "defaults": {"l1": m.l1, "l2": m.l2, "dropout": m.dropout}})

    def restore(self, state: dict) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.models import ModelSpec

        state = state or {}
        spec = self.spec
        if isinstance(state.get("spec"), dict):
            try:
                spec = ModelSpec.from_dict(state["spec"])
            except WorkbenchError as e:
                self.banner.show_message(f"The saved model could not be read: {e}", "error")
        self.defaults.restore(state.get("defaults") or {})
        if isinstance(state.get("train"), dict):
            self.set_train_settings(state["train"])
        self.editor.set_spec(spec, state.get("selected"))
        self._explicit, self._made_for = bool(spec.layers), None  # the project's model: kept while it fits
        self.ctx.set_model_spec(self.spec.copy())
        self.head_box.set_choices(state.get("activation"), state.get("loss"), state.get("task", "auto"))
        self.refresh_summary()


def demo(ctx, panel) -> None:
    from workbench.core.data import load_data
    from workbench.core.workflow import input_shape_for

    ds = load_data("builtin:digits")
    ctx.set_dataset(ds, {"source": "builtin:digits"})
    ctx.set_input_shape(input_shape_for(ds, ctx.preprocessing))
    panel.load_preset("digits-cnn")
