"""Pictures for the printed hand-out: a small static map and a QR code, both inline SVG.

No tiles, no network and no JavaScript: the map is drawn here from two points (the
place, and the centre of the person's postcode district when known) with a distance
scale. Colours and sizes are presentation attributes, never ``style=``, so the page's
Content-Security-Policy (no inline styles) holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import segno
from markupsafe import Markup, escape

# The map's drawing area, in SVG user units (it scales to whatever the CSS gives it).
WIDTH, HEIGHT = 240, 150
PAD = 22
KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_EQUATOR = 111.320
SCALE_STEPS_KM = (0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 20, 50, 100)
MIN_SPAN_KM = 1.0  # a single point still gets a map about a kilometre across

INK = "#212b32"
MUTED = "#4c6272"
PAPER = "#f0f4f5"
BLUE = "#005eb8"
GRID = "#d8dde0"


@dataclass(frozen=True)
class MapPoint:
    """A place to mark on a hand-out map."""

    latitude: float
    longitude: float
    label: str


def _offset_km(point: MapPoint, origin: MapPoint) -> tuple[float, float]:
    """East and north of ``origin`` in km (flat earth: fine over a few kilometres)."""
    east = (
        (point.longitude - origin.longitude)
        * KM_PER_DEGREE_LON_EQUATOR
        * math.cos(math.radians(origin.latitude))
    )
    north = (point.latitude - origin.latitude) * KM_PER_DEGREE_LAT
    return east, north


def straight_line_km(a: MapPoint, b: MapPoint) -> float:
    """The straight-line distance between two points, in km."""
    east, north = _offset_km(a, b)
    return math.hypot(east, north)


def compass(a: MapPoint, b: MapPoint) -> str:
    """Which way ``a`` lies from ``b``: "north", "south-east"..."""
    east, north = _offset_km(a, b)
    if math.hypot(east, north) < 0.05:
        return "close to"
    names = ("north", "north-east", "east", "south-east", "south", "south-west", "west",
             "north-west")  # fmt: skip
    bearing = math.degrees(math.atan2(east, north)) % 360
    return names[int((bearing + 22.5) // 45) % 8]


def _scale_step(km_per_unit: float) -> float:
    """The longest round distance whose bar fits in about a third of the width."""
    fitting = [step for step in SCALE_STEPS_KM if step / km_per_unit <= WIDTH * 0.35]
    return fitting[-1] if fitting else SCALE_STEPS_KM[0]


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _km_words(value: float) -> str:
    return f"{value * 1000:.0f} m" if value < 1 else f"{_fmt(value)} km"


def _text(
    x: float, y: float, words: str, size: int = 9, anchor: str = "start", bold: bool = False
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{_fmt(x)}" y="{_fmt(y)}" font-size="{size}" font-family="Arial, sans-serif" '
        f'fill="{INK}" text-anchor="{anchor}"{weight}>{escape(words)}</text>'
    )


def location_map_svg(place: MapPoint, home: MapPoint | None, number: int, map_id: str) -> Markup:
    """A small map of where ``place`` is, relative to ``home`` when given.

    Draws a light grid, the place as a numbered blue dot labelled with its postcode, the
    home area as a square labelled with its postcode district, a dashed straight line
    between them with its length, a north arrow and a distance scale. The SVG carries a
    title that says the same in words for screen readers.
    """
    centre = place
    if home is not None:
        centre = MapPoint(
            (place.latitude + home.latitude) / 2, (place.longitude + home.longitude) / 2, ""
        )
    points = [(place, _offset_km(place, centre))]
    if home is not None:
        points.append((home, _offset_km(home, centre)))
    span_east = max(MIN_SPAN_KM, *(abs(e) * 2 for _, (e, _) in points))
    span_north = max(MIN_SPAN_KM, *(abs(n) * 2 for _, (_, n) in points))
    units_per_km = min((WIDTH - 2 * PAD) / span_east, (HEIGHT - 2 * PAD - 12) / span_north)
    km_per_unit = 1 / units_per_km
    cx, cy = WIDTH / 2, (HEIGHT - 12) / 2

    def xy(offset: tuple[float, float]) -> tuple[float, float]:
        return cx + offset[0] * units_per_km, cy - offset[1] * units_per_km

    step = _scale_step(km_per_unit)
    step_units = step * units_per_km
    parts = [
        f'<rect x="0.5" y="0.5" width="{WIDTH - 1}" height="{HEIGHT - 1}" fill="{PAPER}" '
        f'stroke="{GRID}"/>'
    ]
    parts += _grid_lines(cx, cy, step_units)

    px, py = xy(points[0][1])
    words = f"Map: {place.label}"
    if home is not None:
        hx, hy = xy(points[1][1])
        distance = straight_line_km(place, home)
        words = (
            f"Map: number {number} is {_km_words(distance)} {compass(place, home)} of the "
            f"centre of {home.label}, in a straight line"
        )
        parts.append(
            f'<line x1="{_fmt(hx)}" y1="{_fmt(hy)}" x2="{_fmt(px)}" y2="{_fmt(py)}" '
            f'stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<rect x="{_fmt(hx - 5)}" y="{_fmt(hy - 5)}" width="10" height="10" '
            f'fill="#ffffff" stroke="{INK}" stroke-width="1.5"/>'
        )
        parts.append(
            _text(
                hx,
                hy + 15 if hy < py or hy < HEIGHT / 2 else hy - 9,
                f"Centre of {home.label}",
                anchor=_anchor(hx),
            )
        )
        mx, my = (hx + px) / 2, (hy + py) / 2
        parts.append(_text(mx + 4, my - 4, _km_words(distance), size=9, anchor=_anchor(mx)))
    parts.append(
        f'<circle cx="{_fmt(px)}" cy="{_fmt(py)}" r="8" fill="{BLUE}" stroke="#ffffff" '
        'stroke-width="1.5"/>'
    )
    parts.append(
        f'<text x="{_fmt(px)}" y="{_fmt(py + 3.5)}" font-size="10" font-weight="bold" '
        f'font-family="Arial, sans-serif" fill="#ffffff" text-anchor="middle">{number}</text>'
    )
    label_y = py - 12 if py > 24 else py + 20
    parts.append(_text(px, label_y, place.label, size=9, anchor=_anchor(px), bold=True))
    # North arrow, top right.
    parts.append(
        f'<path d="M{WIDTH - 16} 8 L{WIDTH - 11} 20 L{WIDTH - 16} 17 L{WIDTH - 21} 20 Z" '
        f'fill="{INK}"/>'
    )
    parts.append(_text(WIDTH - 16, 30, "N", size=9, anchor="middle"))
    # Scale bar, bottom left.
    bar_y = HEIGHT - 10
    parts.append(
        f'<path d="M8 {bar_y - 4} V{bar_y} H{_fmt(8 + step_units)} V{bar_y - 4}" fill="none" '
        f'stroke="{INK}" stroke-width="1.5"/>'
    )
    parts.append(_text(12 + step_units, bar_y, _km_words(step), size=9))
    title_id = f"{map_id}-title"
    svg = (
        f'<svg class="civic-handout-map" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{escape(title_id)}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(title_id)}">{escape(words)}</title>' + "".join(parts) + "</svg>"
    )
    return Markup(svg)


def _grid_lines(cx: float, cy: float, step_units: float) -> list[str]:
    """Grid lines every scale step, through the centre, so the scale can be read anywhere."""
    parts = []
    k = 0
    while k * step_units < WIDTH:
        for x in {cx + k * step_units, cx - k * step_units}:
            if 0 < x < WIDTH:
                parts.append(
                    f'<line x1="{_fmt(x)}" y1="1" x2="{_fmt(x)}" y2="{HEIGHT - 1}" '
                    f'stroke="{GRID}" stroke-width="0.6"/>'
                )
        for y in {cy + k * step_units, cy - k * step_units}:
            if 0 < y < HEIGHT:
                parts.append(
                    f'<line x1="1" y1="{_fmt(y)}" x2="{WIDTH - 1}" y2="{_fmt(y)}" '
                    f'stroke="{GRID}" stroke-width="0.6"/>'
                )
        k += 1
        if k > 200:
            break
    return parts


def _anchor(x: float) -> str:
    """Keep a label inside the map: left of centre it starts at x, right of it ends there."""
    if x < WIDTH * 0.3:
        return "start"
    if x > WIDTH * 0.7:
        return "end"
    return "middle"


def qr_svg(url: str, title: str) -> Markup:
    """A QR code for ``url`` as inline SVG (dark modules on white, a quiet zone of 2)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        scale=1,
        border=2,
        omitsize=True,
        dark="#000000",
        light="#ffffff",
        svgclass="civic-qr",
        lineclass=None,
        title=title,
    )
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))
