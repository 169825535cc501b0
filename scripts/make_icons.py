"""Render resources/icons/workbench.svg to the PNG sizes the installers need (run once; PNGs are committed)."""
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

root = Path(__file__).resolve().parents[1] / "resources" / "icons"
app = QGuiApplication(sys.argv)
renderer = QSvgRenderer(str(root / "workbench.svg"))
for size in (16, 32, 48, 64, 128, 256, 512):
    img = QImage(size, size, QImage.Format_ARGB32)
    img.fill(Qt.transparent)
    p = QPainter(img)
    renderer.render(p)
    p.end()
    img.save(str(root / f"workbench-{size}.png"))
# Windows .ico (Qt writes ICO when the format plugin is present; PNG fallback otherwise)
QImage(str(root / "workbench-256.png")).save(str(root / "workbench.ico"))
print("icons written to", root)
