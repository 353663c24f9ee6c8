"""Front-end packages, installed from the npm registry at build time.

The app serves them from ``directory/static/vendor`` (never from a CDN).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

STATIC_VENDOR = Path(__file__).parent / "static" / "vendor"

# The NHS.UK stylesheet points its icons at /assets and its Frutiger web fonts at
# assets.nhs.uk. We serve the icons ourselves and drop the remote fonts: Frutiger is
# licensed to NHS.UK only, and pages must make no external requests. The frontend's
# own fallback stack (Arial, sans-serif) takes over.
FONT_FACE = re.compile(r"@font-face\{[^}]*assets\.nhs\.uk[^}]*\}")


def build_assets(node_modules: Path, vendor: Path = STATIC_VENDOR) -> list[Path]:
    """Copy what the pages need from ``node_modules`` into ``vendor``; return the files.

    Raises FileNotFoundError naming the package if ``npm ci`` has not been run.
    """
    nhsuk = node_modules / "nhsuk-frontend" / "dist" / "nhsuk"
    leaflet = node_modules / "leaflet" / "dist"
    for package in (nhsuk, leaflet):
        if not package.is_dir():
            raise FileNotFoundError(f"{package} is missing: run `npm ci` first.")
    if vendor.exists():
        shutil.rmtree(vendor)
    written: list[Path] = []

    css = (nhsuk / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    css = FONT_FACE.sub("", css).replace("/assets/images/", "images/")
    written.append(_write(vendor / "nhsuk" / "nhsuk-frontend.min.css", css))
    written.append(
        _copy(nhsuk / "nhsuk-frontend.min.js", vendor / "nhsuk" / "nhsuk-frontend.min.js")
    )
    for image in sorted((nhsuk / "assets" / "images").iterdir()):
        written.append(_copy(image, vendor / "nhsuk" / "images" / image.name))

    written.append(_copy(leaflet / "leaflet.js", vendor / "leaflet" / "leaflet.js"))
    written.append(_copy(leaflet / "leaflet.css", vendor / "leaflet" / "leaflet.css"))
    for image in sorted((leaflet / "images").iterdir()):
        written.append(_copy(image, vendor / "leaflet" / "images" / image.name))

    axe = node_modules / "axe-core" / "axe.min.js"
    if axe.is_file():
        written.append(_copy(axe, vendor / "axe-core" / "axe.min.js"))
    return written


def _write(target: Path, text: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def _copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target
