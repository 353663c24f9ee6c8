"""Small street maps for the printed hand-out, drawn on the server from map tiles.

A printed page can't load a map in the person's browser later, and a map drawn there
would send the tile server the reader's address. So the server fetches the few tiles
around a listing's place from the configured tile server (``HANDOUT_TILES_URL``), stitches
them with Pillow into one small PNG with the place marked, and the page carries it as a
``data:`` image. Only a listing's own, public position is ever looked up: the person's
postcode district, used for distances in words, never reaches a tile server.

Where tiles come from is a :class:`TileSource`: :class:`HttpTiles` asks a tile server,
:class:`CachedTiles` keeps what it gave in memory and on disk (keyed by zoom, x and y, so
neighbouring listings share tiles), and tests pass a stub that draws a tile itself.
"""

from __future__ import annotations

import base64
import io
import logging
import math
import os
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from flask import Flask
from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

from directory.plans.handout import PrintedMap

if TYPE_CHECKING:
    from directory.models import Location

log = logging.getLogger(__name__)

TILE_SIZE = 256
# The picture: wide and low, so it sits beside an option's facts without making the
# option taller (58 mm wide on paper, about 190 dpi).
MAP_WIDTH, MAP_HEIGHT = 440, 200
# Streets and their names readable, about 500 m across in England.
MAP_ZOOM = 16
MAX_TILE_BYTES = 1024 * 1024  # a tile is a few tens of kB; anything bigger is refused
DISK_CACHE_DAYS = 30  # streets change slowly; a month-old tile is fine for a hand-out
MEMORY_TILES = 256  # tiles are kept as their encoded bytes: a few MB
INK = (0, 0, 0)
MARK_RADIUS = 20  # the pin's ring, in pixels of the picture
MARK_STEM = 14  # from the ring to the place
PAPER = (255, 255, 255)


class TileError(Exception):
    """A tile could not be had (the server failed, timed out or sent something odd)."""


class TileSource(Protocol):
    """Where map tiles come from: the image bytes of tile ``x``, ``y`` at ``zoom``."""

    def tile(self, zoom: int, x: int, y: int) -> bytes:
        """The tile's image (PNG or JPEG bytes); raises :class:`TileError` if it can't."""
        ...


@dataclass(frozen=True)
class HttpTiles:
    """Tiles from a tile server's ``{z}/{x}/{y}`` URL template (``{s}`` becomes ``a``).

    Each request waits at most ``timeout`` seconds and names the app in its User-Agent,
    as tile servers' usage policies ask.
    """

    url: str
    timeout: float
    user_agent: str

    def tile(self, zoom: int, x: int, y: int) -> bytes:
        """Fetch one tile; raises :class:`TileError` on any failure or an oversized answer."""
        address = self.url.replace("{s}", "a").format(z=zoom, x=x, y=y)
        request = urllib.request.Request(address, headers={"User-Agent": self.user_agent})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(MAX_TILE_BYTES + 1)
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as error:
            raise TileError(f"tile {zoom}/{x}/{y}: {error}") from error
        if len(body) > MAX_TILE_BYTES:
            raise TileError(f"tile {zoom}/{x}/{y} is larger than {MAX_TILE_BYTES} bytes")
        return body


class CachedTiles:
    """Another source's tiles, kept in memory (least recently used) and in ``folder``.

    Tiles on disk are ``folder/z/x/y`` and are used for :data:`DISK_CACHE_DAYS` days;
    with no folder, memory alone. Safe to share between a server's threads.
    """

    def __init__(self, inner: TileSource, folder: Path | None, memory: int = MEMORY_TILES):
        self.inner = inner
        self.folder = folder
        self.memory = memory
        self._kept: OrderedDict[tuple[int, int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def tile(self, zoom: int, x: int, y: int) -> bytes:
        """The tile from memory, else from disk, else from the source (and then kept)."""
        key = (zoom, x, y)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        body = self._from_disk(key)
        if body is None:
            body = self.inner.tile(zoom, x, y)
            self._to_disk(key, body)
        with self._lock:
            self._kept[key] = body
            self._kept.move_to_end(key)
            while len(self._kept) > self.memory:
                self._kept.popitem(last=False)
        return body

    def _path(self, key: tuple[int, int, int]) -> Path | None:
        if self.folder is None:
            return None
        zoom, x, y = key
        return self.folder / str(zoom) / str(x) / str(y)

    def _from_disk(self, key: tuple[int, int, int]) -> bytes | None:
        path = self._path(key)
        try:
            if path is None or time.time() - path.stat().st_mtime > DISK_CACHE_DAYS * 86400:
                return None
            return path.read_bytes()
        except OSError:
            return None

    def _to_disk(self, key: tuple[int, int, int], body: bytes) -> None:
        path = self._path(key)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed, so a reader never sees half a tile.
            partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.part")
            partial.write_bytes(body)
            partial.replace(path)
        except OSError as error:  # a full or read-only disk costs the cache, not the page
            log.warning("could not keep map tile %s: %s", key, error)


def pixel_of(latitude: float, longitude: float, zoom: int) -> tuple[float, float]:
    """Where a point falls in the Web Mercator world at ``zoom``, in pixels from top left."""
    latitude = max(min(latitude, 85.0511), -85.0511)
    scale = TILE_SIZE * 2**zoom
    x = (longitude + 180.0) / 360.0 * scale
    sin = math.sin(math.radians(latitude))
    y = (0.5 - math.log((1 + sin) / (1 - sin)) / (4 * math.pi)) * scale
    return x, y


def tiles_around(
    latitude: float, longitude: float, zoom: int, width: int, height: int
) -> tuple[tuple[float, float], list[tuple[int, int]]]:
    """The picture's top-left pixel and the tiles it covers.

    The picture is ``width`` x ``height`` pixels centred on the point. Tiles are (x, y) in
    the world's pixel grid; an x past the date line is left unwrapped (see
    :func:`render_map`).
    """
    cx, cy = pixel_of(latitude, longitude, zoom)
    left, top = cx - width / 2, cy - height / 2
    xs = range(math.floor(left / TILE_SIZE), math.floor((left + width - 1) / TILE_SIZE) + 1)
    ys = range(math.floor(top / TILE_SIZE), math.floor((top + height - 1) / TILE_SIZE) + 1)
    return (left, top), [(x, y) for y in ys for x in xs if 0 <= y < 2**zoom]


def render_map(
    source: TileSource,
    latitude: float,
    longitude: float,
    number: int,
    zoom: int = MAP_ZOOM,
    width: int = MAP_WIDTH,
    height: int = MAP_HEIGHT,
) -> bytes:
    """A PNG of the streets around one point, the point marked with ``number``.

    The marker is ink only (a black ring on white, a black figure, a black pointer to the
    spot), so it reads in black and white. Raises :class:`TileError` if a tile fails.
    """
    (left, top), tiles = tiles_around(latitude, longitude, zoom, width, height)
    canvas = Image.new("RGB", (width, height), PAPER)
    for x, y in tiles:
        body = source.tile(zoom, x % 2**zoom, y)
        try:
            with Image.open(io.BytesIO(body)) as tile:
                picture = tile.convert("RGB")
        except (UnidentifiedImageError, OSError, ValueError) as error:
            raise TileError(f"tile {zoom}/{x}/{y} is not an image") from error
        canvas.paste(picture, (round(x * TILE_SIZE - left), round(y * TILE_SIZE - top)))
    _mark(canvas, width / 2, height / 2, number)
    out = io.BytesIO()
    # 64 colours: a street map needs few, and the page carries the picture inline.
    canvas.quantize(colors=64).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _mark(canvas: Image.Image, x: float, y: float, number: int) -> None:
    """A numbered pin whose point is at (x, y): ring and figure above, pointer below.

    Sized to read on paper, where the picture is printed at about half its pixel width.
    """
    draw = ImageDraw.Draw(canvas)
    radius = MARK_RADIUS
    cy = y - radius - MARK_STEM
    draw.polygon([(x - 10, cy + radius - 4), (x + 10, cy + radius - 4), (x, y)], fill=INK)
    draw.ellipse(
        (x - radius, cy - radius, x + radius, cy + radius), fill=PAPER, outline=INK, width=4
    )
    font = ImageFont.load_default(size=26)
    draw.text((x, cy + 1), str(number), fill=INK, font=font, anchor="mm")


def data_url(png: bytes) -> str:
    """A PNG as a ``data:`` URL for an ``<img>`` (the page's CSP allows ``data:`` images)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def tile_source(app: Flask) -> TileSource | None:
    """The app's tile source for hand-out maps, or None when none is configured.

    Made once from ``HANDOUT_TILES_URL`` (cached in ``HANDOUT_TILES_CACHE_DIR``); tests
    put their own in ``app.extensions["handout_tiles"]``.
    """
    if "handout_tiles" not in app.extensions:
        config = app.config
        url = config.get("HANDOUT_TILES_URL")
        source: TileSource | None = None
        if url:
            folder = config.get("HANDOUT_TILES_CACHE_DIR")
            source = CachedTiles(
                HttpTiles(
                    url=url,
                    timeout=float(config["HANDOUT_TILES_TIMEOUT"]),
                    user_agent=config["HANDOUT_TILES_USER_AGENT"],
                ),
                Path(folder) if folder else None,
            )
        app.extensions["handout_tiles"] = source
    return app.extensions["handout_tiles"]


def map_maker(
    source: TileSource | None, attribution: str
) -> Callable[[Location, int], PrintedMap | None] | None:
    """What draws each option's map for one hand-out, or None with no tile source.

    After the first failure (the tile server down or slow) the rest of the hand-out's
    options get directions in words without trying again, so a page waits at most one
    timeout per tile it tried.
    """
    if source is None:
        return None
    failed = False

    def map_of(place: Location, number: int) -> PrintedMap | None:
        nonlocal failed
        if failed or place.latitude is None or place.longitude is None:
            return None
        try:
            png = render_map(source, place.latitude, place.longitude, number)
        except TileError as error:
            failed = True
            log.warning("hand-out map left out: %s", error)
            return None
        return PrintedMap(
            src=data_url(png),
            alt=f"Street map around {place.address}, marked {number}",
            attribution=attribution,
        )

    return map_of
