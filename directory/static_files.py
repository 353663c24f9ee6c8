"""Static files with fingerprinted names, cached by browsers for a year, served by WhiteNoise.

Pages name every static file through :func:`static_url`, which gives its fingerprinted
URL: ``vendor/nhsuk/nhsuk-frontend.min.css`` becomes
``/static/vendor/nhsuk/nhsuk-frontend.min.3f2a1b9c0d4e.css``, the twelve hex digits being
the start of the file's SHA-256. The fingerprints are taken when the app starts, from the
files as they are then, so a new release changes the URL of each file that changed and of
no other. A fingerprinted URL never changes its content, so it is sent with
``Cache-Control: public, max-age=31536000, immutable``: a returning visitor's browser
asks for none of them again. The same files under their plain names (for anything that
links to them from outside the pages) are sent ``no-cache``: browsers check for a newer
copy each time, and get a 304 when they have it.

WhiteNoise serves both, in front of Flask (no session, no database, no request handling),
with the ``.br`` and ``.gz`` copies that ``flask directory build-assets`` writes beside
the vendor files when the browser accepts them; other static files are compressed on
the way out by :mod:`directory.compression`. In debug mode (``flask run --debug``) Flask
serves the plain names itself, so an edited stylesheet shows on the next reload.
Otherwise a changed static file is seen after a restart, which takes new fingerprints.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from wsgiref.headers import Headers

from flask import Flask, current_app, url_for
from whitenoise import WhiteNoise

YEAR = 365 * 24 * 60 * 60
IMMUTABLE = f"public, max-age={YEAR}, immutable"
# Hex digits of the SHA-256 kept in a name: 48 bits, as Django's manifest storage keeps.
FINGERPRINT_LENGTH = 12
# Beside a file, its precompressed copies (served in its place, never on their own).
COMPRESSED_SUFFIXES = (".br", ".gz")


@dataclass(frozen=True)
class StaticManifest:
    """Each static file's name (relative to the static folder) and fingerprinted name."""

    names: dict[str, str]

    def fingerprinted(self, filename: str) -> str | None:
        """The fingerprinted name of ``filename``, or None for a file unknown at start."""
        return self.names.get(filename)


def fingerprinted_name(filename: str, content: bytes) -> str:
    """``filename`` with the start of its content's SHA-256 before the extension.

    ``vendor/leaflet/leaflet.js`` becomes ``vendor/leaflet/leaflet.<12 hex digits>.js``; a
    name without an extension gets the fingerprint at its end.
    """
    digest = hashlib.sha256(content).hexdigest()[:FINGERPRINT_LENGTH]
    path = PurePosixPath(filename)
    if path.suffix:
        return str(path.with_name(f"{path.stem}.{digest}{path.suffix}"))
    return f"{filename}.{digest}"


def static_files(folder: Path) -> list[Path]:
    """The files served from ``folder``: not dotfiles, nor the precompressed copies."""
    found = []
    # os.walk, as pathlib's rglob doesn't follow a symlinked folder (static/vendor may be).
    for top, folders, names in os.walk(folder, followlinks=True):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found.extend(
            Path(top) / name
            for name in names
            if not name.startswith(".") and not name.endswith(COMPRESSED_SUFFIXES)
        )
    return sorted(found)


def build_manifest(folder: Path) -> StaticManifest:
    """Fingerprint every static file in ``folder`` (cached while none of them changes)."""
    files = static_files(folder)
    signature = tuple(
        (path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns)
        for path in files
        for stat in (path.stat(),)
    )
    return _manifest(folder, signature)


@lru_cache(maxsize=8)
def _manifest(folder: Path, signature: tuple[tuple[str, int, int], ...]) -> StaticManifest:
    names = {
        name: fingerprinted_name(name, (folder / name).read_bytes()) for name, _, _ in signature
    }
    return StaticManifest(names)


class StaticFiles(WhiteNoise):
    """WhiteNoise with a year's caching for fingerprinted URLs and ``no-cache`` for others.

    Every response carries ``X-Content-Type-Options: nosniff``, as the app's own do.
    """

    def __init__(self, application: Callable, folder: Path, prefix: str, fingerprinted: set[str]):
        self.fingerprinted_urls = fingerprinted
        super().__init__(application, allow_all_origins=False)
        self.add_files(str(folder), prefix)

    def add_cache_headers(self, headers: Headers, path: str, url: str) -> None:
        """A year, immutable, for fingerprinted URLs; ask again each time for plain ones."""
        headers["Cache-Control"] = IMMUTABLE if url in self.fingerprinted_urls else "no-cache"
        headers["X-Content-Type-Options"] = "nosniff"


def register(app: Flask) -> None:
    """Serve the static folder with WhiteNoise and add ``static_url`` to the templates.

    In debug mode Flask's own static view serves the plain names instead.
    """
    folder = Path(app.static_folder or "")
    if app.debug or not folder.is_dir():
        app.extensions["static_manifest"] = StaticManifest({})
        app.add_template_global(static_url, "static_url")
        return
    manifest = build_manifest(folder)
    app.extensions["static_manifest"] = manifest
    prefix = f"{app.static_url_path.rstrip('/')}/"
    urls = {prefix + hashed: folder / name for name, hashed in manifest.names.items()}
    server = StaticFiles(app.wsgi_app, folder, prefix, set(urls))
    for url, path in urls.items():
        server.add_file_to_dictionary(url, str(path))
    app.wsgi_app = server  # type: ignore[method-assign]
    app.add_template_global(static_url, "static_url")


def static_url(filename: str) -> str:
    """The URL of static file ``filename``: fingerprinted, so browsers may keep it a year.

    A file that wasn't there when the app started (or any file in debug mode) keeps its
    plain URL.
    """
    manifest: StaticManifest = current_app.extensions["static_manifest"]
    return url_for("static", filename=manifest.fingerprinted(filename) or filename)
