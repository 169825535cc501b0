"""Day & Night, question 10: export the model (TorchScript, ONNX when available, metadata), or
save / load it."""
from __future__ import annotations

from PySide6.QtWidgets import QPlainTextEdit, QPushButton

from workbench.ui.panels.daynight.page import Page
from workbench.ui.widgets import hbox


class ExportPage(Page):
    INTRO = ("Writes <i>daynight.torchscript.pt</i> (runs without Workbench: <code>torch.jit.load</code>), "
             "<i>daynight.onnx</i> when the ONNX exporter is installed, and <i>daynight.json</i> with the input size, "
             "scaling and class names.")

    def build(self, lay) -> None:
        self.export_btn = QPushButton("Export…")
        self.save_btn = QPushButton("Save model…")
        self.load_btn = QPushButton("Load model…")
        lay.addLayout(hbox(self.export_btn, self.save_btn, self.load_btn))
        self.info = QPlainTextEdit()
        self.info.setReadOnly(True)
        lay.addWidget(self.info, 1)

    def show_export(self, res: dict) -> None:
        self.info.setPlainText("\n".join([f"TorchScript: {res['torchscript']}",
                                          f"ONNX: {res['onnx']}" if res.get("onnx") else (res.get("onnx_skipped") or ""),
                                          f"Metadata: {res['metadata']}"]))
