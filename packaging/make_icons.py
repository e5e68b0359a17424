"""Render playground/resources/icons/app.svg into the icon sizes desktops ask for: PNGs for Linux (hicolor theme), .ico for
Windows and .icns for macOS. Run again after the SVG changes: `python packaging/make_icons.py`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parent.parent
SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def main() -> int:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(ROOT / "playground" / "resources" / "icons" / "app.svg"))
    if not renderer.isValid():
        print("make_icons: playground/resources/icons/app.svg is not a valid SVG", file=sys.stderr)
        return 1
    out = ROOT / "packaging" / "icons"
    out.mkdir(exist_ok=True)
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        renderer.render(painter)
        painter.end()
        image.save(str(out / f"playground-{size}.png"))
    big = Image.open(out / "playground-512.png")
    big.save(out / "playground.ico", sizes=[(s, s) for s in (16, 24, 32, 48, 64, 128, 256)])
    big.save(out / "playground.icns")
    del app
    print(f"make_icons: {len(SIZES)} PNGs, .ico and .icns in {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
