"""Make the start page's case-study card pictures (resources/cards/<panel slug>.png) from the app's
own screenshots (docs/screenshots, made from the real app by scripts/screenshots.py): the part of
each case study's screenshot that shows what it does. Run after re-making the screenshots; the
outputs are committed. A case study without a picture here shows its icon on the card.
"""
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QRect, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SIZE = (364, 220)  # twice the card's picture, for high-DPI screens
# card -> (screenshot, crop x, y, w, h in the 1280x820 screenshot)
CROPS = {
    "day-night": ("day-night-live", 480, 380, 520, 320),
    "faces": ("faces", 190, 250, 560, 340),
    "trigger-word": ("trigger-word-clip", 450, 300, 520, 300),
    "style-transfer": ("style-transfer", 560, 100, 650, 400),
    "detection": ("detection-live", 430, 130, 580, 350),
}


def main() -> int:
    app = QGuiApplication(sys.argv)  # noqa: F841 (image scaling needs it)
    out = ROOT / "resources" / "cards"
    out.mkdir(parents=True, exist_ok=True)
    for card, (shot, x, y, w, h) in CROPS.items():
        img = QImage(str(ROOT / "docs" / "screenshots" / f"{shot}.png"))
        if img.isNull():
            print(f"skipped {card}: no screenshot {shot}.png", file=sys.stderr)
            continue
        sx, sy = img.width() / 1280, img.height() / 820
        part = img.copy(QRect(int(x * sx), int(y * sy), int(w * sx), int(h * sy)))
        part = part.scaled(*SIZE, Qt.AspectRatioMode.KeepAspectRatioByExpanding,
                           Qt.TransformationMode.SmoothTransformation)
        dx, dy = (part.width() - SIZE[0]) // 2, (part.height() - SIZE[1]) // 2
        part.copy(dx, dy, *SIZE).save(str(out / f"{card}.png"))
        print(f"resources/cards/{card}.png from {shot}.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
