"""Map tiles for tests: drawn here, never fetched (tests make no network requests)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from directory.plans.tiles import TileError

GROUND = (242, 239, 233)
ROAD = (255, 255, 255)
EDGE = (170, 160, 150)


def generated_tile() -> bytes:
    """A 256 px PNG like a street map's: light ground crossed by two roads."""
    image = Image.new("RGB", (256, 256), GROUND)
    draw = ImageDraw.Draw(image)
    for offset in (60, 180):
        draw.rectangle((0, offset - 6, 255, offset + 6), fill=ROAD, outline=EDGE)
        draw.rectangle((offset - 6, 0, offset + 6, 255), fill=ROAD, outline=EDGE)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


class StubTiles:
    """A :class:`directory.plans.tiles.TileSource` that draws every tile and records asks."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, int, int]] = []
        self._tile = generated_tile()

    def tile(self, zoom: int, x: int, y: int) -> bytes:
        self.calls.append((zoom, x, y))
        return self._tile


class FailingTiles:
    """A tile source whose server is down."""

    def __init__(self) -> None:
        self.calls = 0

    def tile(self, zoom: int, x: int, y: int) -> bytes:
        self.calls += 1
        raise TileError("the tile server timed out")
