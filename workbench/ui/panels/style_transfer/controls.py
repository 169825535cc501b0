"""The style transfer panel's side column: the content and style images, the network and loss
weights, the optimization settings and the mask brush. It owns its widgets and says what the
user chose through signals; the panel loads the images and runs the transfer."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QListWidget, QListWidgetItem, QPushButton, QSlider, QVBoxLayout, QWidget)

from workbench.ui.widgets import Banner, FileDrops, array_to_qimage, button, hbox, spin_box

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff)"
SAMPLES = ["astronaut", "chelsea", "coffee", "rocket", "china", "flower"]
TEXTURES = ["swirls", "mosaic", "brush", "stripes", "dots"]
BACKBONE_NAMES = {"mobilenet_v2": "MobileNetV2 (ships)", "efficientnet_lite0": "EfficientNet-Lite0 (ships)",
                  "vgg19": "VGG-19 (your weights file)"}


class DropLabel(FileDrops, QLabel):
    """A thumbnail that accepts a dropped image file. Signal file_dropped(str): the path."""

    file_dropped = Signal(str)

    def __init__(self, text: str, parent=None):
        super().__init__(text, parent)
        self.setAcceptDrops(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumSize(120, 90)
        self.setStyleSheet("QLabel{border:1px dashed #999;border-radius:4px;color:#666;}")

    def files_dropped(self, paths: list[str]) -> None:
        self.file_dropped.emit(paths[0])

    def show_array(self, img: np.ndarray, tip: str = "") -> None:
        pm = QPixmap.fromImage(array_to_qimage(img))
        self.setPixmap(pm.scaled(160, 120, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        self.setToolTip(tip)


class LogSlider(QWidget):
    """A slider over powers of ten (value = 10 ** (position / 10)), with 0 at the far left."""

    def __init__(self, lo_exp: int, hi_exp: int, value: float, allow_zero: bool = True, parent=None):
        super().__init__(parent)
        self.lo, self.hi, self.allow_zero = lo_exp, hi_exp, allow_zero
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(lo_exp * 10 - (1 if allow_zero else 0), hi_exp * 10)
        self.label = QLabel()
        self.label.setMinimumWidth(56)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.label)
        self.slider.valueChanged.connect(self._show)
        self.set_value(value)

    def value(self) -> float:
        v = self.slider.value()
        if self.allow_zero and v < self.lo * 10:
            return 0.0
        return float(f"{10 ** (v / 10):.3g}")

    def set_value(self, v: float) -> None:
        if v <= 0 and self.allow_zero:
            self.slider.setValue(self.slider.minimum())
        else:
            self.slider.setValue(int(round(10 * math.log10(max(v, 10.0 ** self.lo)))))
        self._show()

    def _show(self, *_):
        v = self.value()
        self.label.setText("0" if v == 0 else f"{v:.3g}")


class ImageChooser(QGroupBox):
    """A combo of built-in images, an Open… button (plus ``extra`` buttons) and a drop target.
    Signal chosen(str): a spec ("sample:chelsea", "style:swirls") or a file path."""

    chosen = Signal(str)

    def __init__(self, title: str, specs: list[str], extra: list[QWidget] = (), parent=None):
        super().__init__(title, parent)
        gl = QVBoxLayout(self)
        self.combo = QComboBox()
        self.combo.addItems(specs)
        self.combo.activated.connect(lambda _i: self.chosen.emit(self.combo.currentText()))
        self.open_btn = button("Open…", self._open)
        row = hbox(*extra, self.open_btn, stretch=False)
        self.thumb = DropLabel("drop an image here")
        self.thumb.file_dropped.connect(self.chosen)
        gl.addWidget(self.combo)
        gl.addLayout(row)
        gl.addWidget(self.thumb)

    @Slot()
    def _open(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.title(), "", IMAGE_FILTER)
        if path:
            self.chosen.emit(path)

    def show_image(self, spec: str, img: np.ndarray) -> None:
        if self.combo.findText(spec) >= 0:
            self.combo.setCurrentText(spec)
        self.thumb.show_array(img, spec)


class Controls(QWidget):
    """Signals: content_chosen(str), style_chosen(str), style_seed_changed(int), snapshot_requested()."""

    content_chosen = Signal(str)
    style_chosen = Signal(str)
    style_seed_changed = Signal(int)
    snapshot_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.banner = Banner()
        sl = QVBoxLayout(self)
        sl.addWidget(self.banner)
        self.snapshot_btn = button("Webcam snapshot", self.snapshot_requested)
        self.content = ImageChooser("Content image", [f"sample:{s}" for s in SAMPLES], [self.snapshot_btn])
        self.content.chosen.connect(self.content_chosen)
        self.style_seed = spin_box(0, 9999, 0, prefix="seed ")
        self.style_seed.valueChanged.connect(self.style_seed_changed)
        self.style = ImageChooser("Style image", [f"style:{s}" for s in TEXTURES] + [f"sample:{s}" for s in SAMPLES],
                                  [self.style_seed])
        self.style.chosen.connect(self.style_chosen)
        sl.addWidget(self.content)
        sl.addWidget(self.style)
        sl.addWidget(self._network_box())
        sl.addWidget(self._optimization_box())
        sl.addWidget(self._mask_box())
        sl.addStretch(1)
        self._backbone_changed()

    def _network_box(self) -> QGroupBox:
        g = QGroupBox("Network and losses")
        form = QFormLayout(g)
        self.backbone_combo = QComboBox()
        for key, text in BACKBONE_NAMES.items():
            self.backbone_combo.addItem(text, key)
        self.backbone_combo.currentIndexChanged.connect(self._backbone_changed)
        form.addRow("Backbone", self.backbone_combo)
        self.weights_label = QLabel("—")
        self.weights_label.setWordWrap(True)
        self.weights_btn = button("VGG-19 weights…", self._pick_weights)
        row = hbox(self.weights_label, self.weights_btn, stretch=False)
        row.setStretch(0, 1)
        form.addRow("Weights", row)
        self.weights_path = ""
        self.content_layer_combo = QComboBox()
        form.addRow("Content layer", self.content_layer_combo)
        self.style_layers_list = QListWidget()
        self.style_layers_list.setMaximumHeight(110)
        form.addRow("Style layers", self.style_layers_list)
        self.content_w = LogSlider(-2, 3, 1.0)
        self.style_w = LogSlider(-1, 8, 1e5)
        self.tv_w = LogSlider(-2, 4, 1.0)
        form.addRow("Content weight", self.content_w)
        form.addRow("Style weight", self.style_w)
        form.addRow("TV weight", self.tv_w)
        return g

    def _optimization_box(self) -> QGroupBox:
        g = QGroupBox("Optimization")
        form = QFormLayout(g)
        self.init_combo = QComboBox()
        self.init_combo.addItems(["content", "noise", "style"])
        self.opt_combo = QComboBox()
        self.opt_combo.addItems(["lbfgs", "adam"])
        self.size_spin = spin_box(32, 2048, 256, step=32, suffix=" px")
        self.steps_spin = spin_box(1, 100000, 300)
        self.every_spin = spin_box(1, 1000, 5)
        self.keep_colors = QCheckBox("Keep the content image's colours")
        form.addRow("Start from", self.init_combo)
        form.addRow("Optimizer", self.opt_combo)
        form.addRow("Resolution", self.size_spin)
        form.addRow("Iterations", self.steps_spin)
        form.addRow("Redraw every", self.every_spin)
        form.addRow(self.keep_colors)
        return g

    def _mask_box(self) -> QGroupBox:
        g = QGroupBox("Mask (style only inside)")
        self.paint_check = QCheckBox("Paint")
        self.brush_spin = spin_box(2, 200, 24, prefix="brush ")
        self.clear_mask_btn = QPushButton("Clear")
        g.setLayout(hbox(self.paint_check, self.brush_spin, self.clear_mask_btn, stretch=False))
        return g

    # -- network choices -------------------------------------------------------------------------
    def backbone(self) -> str:
        return self.backbone_combo.currentData()

    @Slot()
    def _backbone_changed(self, *_):
        from workbench.core.models.backbones import backbone_layers
        from workbench.core.studies.style_transfer.transfer import DEFAULT_STYLE_WEIGHT

        names, content, style = backbone_layers(self.backbone())
        self.content_layer_combo.clear()
        self.content_layer_combo.addItems(names)
        self.content_layer_combo.setCurrentText(content)
        self.style_layers_list.clear()
        for n in names:
            it = QListWidgetItem(n)
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked if n in style else Qt.CheckState.Unchecked)
            self.style_layers_list.addItem(it)
        self.style_w.set_value(DEFAULT_STYLE_WEIGHT.get(self.backbone(), 1e5))
        vgg = self.backbone() == "vgg19"
        self.weights_btn.setEnabled(vgg)
        self.weights_label.setText((Path(self.weights_path).name if self.weights_path else "not chosen") if vgg
                                   else "bundled")

    def style_layers(self) -> list[str]:
        items = [self.style_layers_list.item(i) for i in range(self.style_layers_list.count())]
        return [it.text() for it in items if it.checkState() == Qt.CheckState.Checked]

    def set_style_layers(self, layers: list[str]) -> None:
        for i in range(self.style_layers_list.count()):
            it = self.style_layers_list.item(i)
            it.setCheckState(Qt.CheckState.Checked if it.text() in layers else Qt.CheckState.Unchecked)

    @Slot()
    def _pick_weights(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "torchvision vgg19 weights", "",
                                              "PyTorch weights (*.pth *.pt);;All files (*)")
        if path:
            self.weights_path = path
            self._backbone_changed()

    def set_running(self, running: bool) -> None:
        for w in (self.content.combo, self.content.open_btn, self.snapshot_btn, self.style.combo,
                  self.style.open_btn, self.backbone_combo, self.size_spin):
            w.setEnabled(not running)

    # -- settings ----------------------------------------------------------------------------------
    def settings_dict(self) -> dict:
        """``StyleSettings`` fields as chosen here."""
        return {
            "backbone": self.backbone(), "weights_path": self.weights_path if self.backbone() == "vgg19" else "",
            "content_layer": self.content_layer_combo.currentText(), "style_layers": self.style_layers(),
            "content_weight": self.content_w.value(), "style_weight": self.style_w.value(),
            "tv_weight": self.tv_w.value(), "init": self.init_combo.currentText(),
            "optimizer": self.opt_combo.currentText(), "size": self.size_spin.value(),
            "keep_colors": self.keep_colors.isChecked(), "seed": self.style_seed.value(),
            "report_every": self.every_spin.value(),
        }

    def apply_settings(self, d: dict) -> None:
        """Settings as ``settings_dict`` (plus "steps") gives them; unknown or odd values are skipped."""
        if d.get("backbone") in BACKBONE_NAMES:
            self.weights_path = d.get("weights_path", "") or self.weights_path
            self.backbone_combo.setCurrentIndex(list(BACKBONE_NAMES).index(d["backbone"]))
            self._backbone_changed()
        if d.get("content_layer"):
            self.content_layer_combo.setCurrentText(d["content_layer"])
        if d.get("style_layers"):
            self.set_style_layers(list(d["style_layers"]))
        for key, w in (("content_weight", self.content_w), ("style_weight", self.style_w), ("tv_weight", self.tv_w)):
            if isinstance(d.get(key), (int, float)):
                w.set_value(float(d[key]))
        for key, combo in (("init", self.init_combo), ("optimizer", self.opt_combo)):
            if d.get(key):
                combo.setCurrentText(str(d[key]))
        for key, spin in (("size", self.size_spin), ("report_every", self.every_spin), ("steps", self.steps_spin)):
            if isinstance(d.get(key), int):
                spin.setValue(d[key])
        if "keep_colors" in d:
            self.keep_colors.setChecked(bool(d["keep_colors"]))
        if isinstance(d.get("seed"), int):
            self.style_seed.blockSignals(True)  # the seed is restored with the style image, not reloaded twice
            self.style_seed.setValue(d["seed"])
            self.style_seed.blockSignals(False)
