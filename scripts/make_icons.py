"""Render resources/icons/workbench.svg to the icon files the installers need (run after editing the SVG;
the outputs are committed):
  workbench-{16..512}.png   Linux hicolor theme (.deb), window icon, macOS .app (PyInstaller makes the .icns)
  workbench.ico             Windows exe and installer, with every size Windows picks from (16-256 px)
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

SIZES = (16, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)


def main() -> int:
    root = Path(__file__).resolve().parents[1] / "resources" / "icons"
    app = QGuiApplication(sys.argv)  # noqa: F841 (Qt needs it to paint)
    renderer = QSvgRenderer(str(root / "workbench.svg"))
    if not renderer.isValid():
        print(f"error: cannot read {root / 'workbench.svg'}", file=sys.stderr)
        return 1
    for size in SIZES:
        img = QImage(size, size, QImage.Format.Format_ARGB32)
        img.fill(Qt.GlobalColor.transparent)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(p)
        p.end()
        img.save(str(root / f"workbench-{size}.png"))
    try:  # Pillow writes a multi-size .ico (Qt's writer stores one image only)
        from PIL import Image

        Image.open(root / "workbench-256.png").save(root / "workbench.ico", sizes=[(s, s) for s in ICO_SIZES])
    except ImportError:
        QImage(str(root / "workbench-256.png")).save(str(root / "workbench.ico"))
    print("icons written to", root)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
