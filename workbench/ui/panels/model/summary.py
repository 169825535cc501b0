"""The Model panel's summary column: input and output shapes, one row per layer with its output
shape and parameter count (``core.models.summarize_model``), the total, and the core's notes or
its error about the spec."""
from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QLabel, QVBoxLayout, QWidget

from workbench.ui.widgets import Banner, records_table


class SummaryView(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        mv = QVBoxLayout(self)
        mv.setContentsMargins(0, 0, 0, 0)
        self.shape_label = QLabel("")
        self.shape_label.setWordWrap(True)
        mv.addWidget(self.shape_label)
        self.model, self.view = records_table([("n", "#"), ("layer", "layer"), ("shape", "output shape"),
                                               ("params", "params")])
        self.view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.setWordWrap(False)
        mv.addWidget(self.view, 1)
        self.total_label = QLabel("")
        self.total_label.setWordWrap(True)
        mv.addWidget(self.total_label)
        self.error_banner = Banner()
        mv.addWidget(self.error_banner)

    def show_nothing(self, n_layers: int) -> None:
        self.shape_label.setText("Load data (Data panel) to see output shapes and parameter counts; the input "
                                 "shape is known once its preprocessing is fitted.")
        self.model.set_rows([])
        self.total_label.setText(f"{n_layers} layers")
        self.error_banner.clear_message()

    def show_error(self, message: str) -> None:
        self.error_banner.show_message(f"⚠ {message}", "error")
        self.model.set_rows([])
        self.total_label.setText("")

    def show_summary(self, s, ins, outs, head) -> None:
        """A ModelSummary for input shape ``ins`` and output shape ``outs``."""
        from workbench.core.models import format_shape

        self.shape_label.setText(f"Input per sample: {format_shape(ins)}  →  output: {format_shape(outs)}")
        rows = [{"n": "", "layer": "input", "shape": format_shape(ins), "params": None}]
        for ls in s.layers:
            name = f"{ls.type} {ls.settings}".strip() + (f" · {ls.activation}" if ls.activation != "none" else "")
            if ls.role != "hidden":
                name += "  [output" + (", added" if ls.role == "added-output" else "") + "]"
            rows.append({"n": ls.index + 1, "layer": name, "shape": format_shape(ls.output_shape), "params": ls.params})
        self.model.set_rows(rows)
        self.total_label.setText(f"<b>Total parameters: {s.total_params:,}</b>"
                                 + (f" — head: {head.activation} + {head.loss_name}" if head else ""))
        if s.notes:
            self.error_banner.show_message("<br>".join(s.notes), "info")
        else:
            self.error_banner.clear_message()
