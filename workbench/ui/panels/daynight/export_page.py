"""Day & Night, question 10: export the model (TorchScript, ONNX when available, metadata), or
save / load it."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QWidget

from workbench.ui.panels.daynight.data_pages import page_layout
from workbench.ui.widgets import explanation


class ExportPage(QWidget):
    def __init__(self, header: str, parent=None):
        super().__init__(parent)
        lay = page_layout(self, header)
        lay.addWidget(explanation(
            "Writes <i>daynight.torchscript.pt</i> (runs without Workbench: <code>torch.jit.load</code>), "
            "<i>daynight.onnx</i> when the ONNX exporter is installed, and <i>daynight.json</i> with the input "
            "size, scaling and class names.", rich=True))
        row = QHBoxLayout()
        self.export_btn = QPushButton("Export…")
        self.save_btn = QPushButton("Save model…")
        self.load_btn = QPushButton("Load model…")
        for b in (self.export_btn, self.save_btn, self.load_btn):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        self.info = QPlainTextEdit()
        self.info.setReadOnly(True)
        lay.addWidget(self.info, 1)

    def show_export(self, res: dict) -> None:
        self.info.setPlainText("\n".join([f"TorchScript: {res['torchscript']}",
                                          f"ONNX: {res['onnx']}" if res.get("onnx") else (res.get("onnx_skipped") or ""),
                                          f"Metadata: {res['metadata']}"]))
