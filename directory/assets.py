"""Front-end packages, installed from the npm registry at build time.

The app serves them from ``directory/static/vendor`` (never from a CDN).
``flask directory build-assets`` copies what the pages need out of ``node_modules`` and
makes it cheap to send:

- The NHS.UK stylesheet keeps only the rules the pages can use. PurgeCSS (from npm, run
  with Node) drops every rule whose classes appear in no template and no Python module;
  classes a template builds from a variable (``nhsuk-tag--{{ colour }}``) are kept by
  pattern (:func:`dynamic_class_patterns`). So write NHS.UK class names out in
  templates, or build them as ``nhsuk-block--{{ ... }}``, and run ``make assets`` (``make
  run`` and ``make test`` do) after changing the templates.
- The icons the stylesheet still uses are put inside it (``data:`` URLs), so showing
  them costs no request.
- Stylesheets, scripts and SVG get precompressed copies beside them (``.br``, Brotli at
  its best; ``.gz``, gzip 9), which WhiteNoise sends to browsers that accept them.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

import brotli

from directory.resources import shipped_folder

STATIC_VENDOR = Path(__file__).parent / "static" / "vendor"

# The NHS.UK stylesheet points its icons at /assets and its Frutiger web fonts at
# assets.nhs.uk. We serve the icons ourselves and drop the remote fonts: Frutiger is
# licensed to NHS.UK only, and pages must make no external requests. The frontend's
# own fallback stack (Arial, sans-serif) takes over.
FONT_FACE = re.compile(r"@font-face\{[^}]*assets\.nhs\.uk[^}]*\}")
ICON_URL = re.compile(r"url\(images/([\w.-]+\.svg)\)")
# Class names in a stylesheet's selectors.
CSS_CLASS = re.compile(r"\.(-?[_a-zA-Z][\w-]*)")
# In a template, an NHS.UK class name with a Jinja expression in it.
DYNAMIC_CLASS = re.compile(r"nhsuk-[\w-]*(?:\{\{.*?\}\}[\w-]*)+")
JINJA_EXPRESSION = re.compile(r"\{\{.*?\}\}")
PRECOMPRESSED_SUFFIXES = frozenset({".css", ".js", ".svg"})
# A compressed copy is kept only if it is smaller than this share of the file.
WORTH_COMPRESSING = 0.95


def build_assets(
    node_modules: Path,
    vendor: Path = STATIC_VENDOR,
    content: Iterable[Path] | None = None,
) -> list[Path]:
    """Copy what the pages need from ``node_modules`` into ``vendor``; return the files.

    ``content`` is the files the NHS.UK stylesheet is purged against (by default every
    template and the ``directory`` package's modules). Raises FileNotFoundError naming
    the package if ``npm ci`` has not been run, or if Node isn't installed.
    """
    nhsuk = node_modules / "nhsuk-frontend" / "dist" / "nhsuk"
    leaflet = node_modules / "leaflet" / "dist"
    for package in (nhsuk, leaflet, node_modules / "purgecss"):
        if not package.is_dir():
            raise FileNotFoundError(f"{package} is missing: run `npm ci` first.")
    content = list(content) if content is not None else default_content()
    css = nhsuk_stylesheet(nhsuk)
    css = purge_css(css, content, node_modules)

    if vendor.exists():
        shutil.rmtree(vendor)
    written: list[Path] = [_write(vendor / "nhsuk" / "nhsuk-frontend.min.css", css)]
    written.append(
        _copy(nhsuk / "nhsuk-frontend.min.js", vendor / "nhsuk" / "nhsuk-frontend.min.js")
    )
    for image in sorted((nhsuk / "assets" / "images").iterdir()):
        written.append(_copy(image, vendor / "nhsuk" / "images" / image.name))

    written.append(_copy(leaflet / "leaflet.js", vendor / "leaflet" / "leaflet.js"))
    written.append(_copy(leaflet / "leaflet.css", vendor / "leaflet" / "leaflet.css"))
    for image in sorted((leaflet / "images").iterdir()):
        written.append(_copy(image, vendor / "leaflet" / "images" / image.name))

    for path in list(written):
        if path.suffix in PRECOMPRESSED_SUFFIXES:
            written.extend(precompress(path))

    # Only the browser tests load axe; it is neither purged nor precompressed.
    axe = node_modules / "axe-core" / "axe.min.js"
    if axe.is_file():
        written.append(_copy(axe, vendor / "axe-core" / "axe.min.js"))
    return written


def default_content() -> list[Path]:
    """The files whose class names the stylesheet keeps: templates and the app's modules."""
    templates = shipped_folder("templates")
    package = Path(__file__).resolve().parent
    return sorted(templates.rglob("*.html")) + sorted(package.rglob("*.py"))


def nhsuk_stylesheet(nhsuk: Path) -> str:
    """The NHS.UK stylesheet without remote fonts, its SVG icons inside it."""
    css = (nhsuk / "nhsuk-frontend.min.css").read_text(encoding="utf-8")
    css = FONT_FACE.sub("", css).replace("/assets/images/", "images/")
    images = nhsuk / "assets" / "images"

    def inline(match: re.Match) -> str:
        icon = images / match.group(1)
        if not icon.is_file():
            return match.group(0)
        encoded = base64.b64encode(icon.read_bytes()).decode("ascii")
        return f'url("data:image/svg+xml;base64,{encoded}")'

    return ICON_URL.sub(inline, css)


def dynamic_class_patterns(template_text: str) -> set[str]:
    r"""Regular expressions for the NHS.UK classes a template builds from expressions.

    ``nhsuk-tag--{{ colour }}`` gives ``^nhsuk\-tag\-\-[\w-]+$``; ``nhsuk-{{ css }}__hint``
    gives ``^nhsuk\-[\w-]+__hint$``. A name that is all expression after
    ``nhsuk-`` (``nhsuk-{{ css }}``) gives nothing, as it would keep every rule: its
    block must also be written out somewhere (as ``nhsuk-checkboxes`` is).
    """
    patterns = set()
    for name in DYNAMIC_CLASS.findall(template_text):
        literals = JINJA_EXPRESSION.split(name)
        if "".join(literals) == "nhsuk-":
            continue
        patterns.add("^" + r"[\w-]+".join(re.escape(part) for part in literals) + "$")
    return patterns


def safelisted_classes(css: str, template_text: str) -> list[str]:
    """The stylesheet's classes that a template may build from an expression."""
    patterns = [re.compile(pattern) for pattern in dynamic_class_patterns(template_text)]
    classes = set(CSS_CLASS.findall(css))
    return sorted(name for name in classes if any(p.match(name) for p in patterns))


def purge_css(css: str, content: list[Path], node_modules: Path) -> str:
    """``css`` without the rules whose selectors match nothing in ``content`` (PurgeCSS).

    Unused ``@keyframes`` and ``@font-face`` rules go too; custom properties stay.
    """
    node = shutil.which("node")
    if node is None:
        raise FileNotFoundError("Node.js is missing: install it (apt-get install nodejs).")
    template_text = "\n".join(
        path.read_text(encoding="utf-8") for path in content if path.suffix == ".html"
    )
    with tempfile.TemporaryDirectory(prefix="purgecss-") as work:
        folder = Path(work)
        source = _write(folder / "in" / "nhsuk-frontend.min.css", css)
        config = {
            "css": [str(source)],
            "content": [str(path) for path in content],
            "safelist": {"standard": safelisted_classes(css, template_text)},
            "keyframes": True,
            "fontFace": True,
            "output": str(folder / "out"),
        }
        (folder / "out").mkdir()
        script = json.dumps(config)
        config_file = _write(folder / "purgecss.config.cjs", f"module.exports = {script};")
        purgecss = node_modules / "purgecss" / "bin" / "purgecss.js"
        subprocess.run(
            [node, str(purgecss), "--config", str(config_file)], check=True, capture_output=True
        )
        return (folder / "out" / source.name).read_text(encoding="utf-8")


def precompress(path: Path) -> list[Path]:
    """Write ``path.br`` and ``path.gz`` beside ``path`` when they save enough; return them."""
    data = path.read_bytes()
    written = []
    for suffix, packed in (
        (".br", brotli.compress(data, quality=11)),
        (".gz", gzip.compress(data, compresslevel=9, mtime=0)),
    ):
        if len(packed) < len(data) * WORTH_COMPRESSING:
            target = path.with_name(path.name + suffix)
            target.write_bytes(packed)
            written.append(target)
    return written


def _write(target: Path, text: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def _copy(source: Path, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    return target
