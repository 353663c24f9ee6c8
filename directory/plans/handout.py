"""The printed hand-out's words and pictures: directions in words and the QR code.

Where a place is, relative to the centre of the person's postcode district when one is
given, is said in words ("About 1.5 km north-east of the centre of PL4, in a straight
line"); maps of the streets come from :mod:`directory.plans.tiles`, centred on the place
alone. The QR code is inline SVG with presentation attributes, never ``style=``, so the
page's Content-Security-Policy (no inline styles) holds.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import segno
from markupsafe import Markup

from directory.listings.contact import ContactDetails, contact_details
from directory.plans import services
from directory.rules.handout import starts_page

if TYPE_CHECKING:
    from directory.models import Listing, Location

# Dates on paper are the day in the UK, where the hand-out is printed.
LONDON = ZoneInfo("Europe/London")

KM_PER_DEGREE_LAT = 110.574
KM_PER_DEGREE_LON_EQUATOR = 111.320


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


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _km_words(value: float) -> str:
    return f"{value * 1000:.0f} m" if value < 1 else f"{_fmt(value)} km"


def distance_words(place: MapPoint, home: MapPoint) -> str:
    """How far and which way ``place`` is from ``home``, in words.

    "About 1.5 km north of the centre of PL4, in a straight line"; "Close to the centre
    of PL4" within 50 m.
    """
    direction = compass(place, home)
    if direction == "close to":
        return f"Close to the centre of {home.label}"
    distance = _km_words(straight_line_km(place, home))
    return f"About {distance} {direction} of the centre of {home.label}, in a straight line"


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


@dataclass(frozen=True)
class PrintedMap:
    """A small map picture of one place, ready for an ``<img>``: its data and words."""

    src: str  # a data: URL, so the printed page needs nothing else
    alt: str
    attribution: str


@dataclass(frozen=True)
class HandoutOption:
    """One numbered option on the hand-out, with everything the page prints for it."""

    number: int
    listing: Listing
    when: list[str]
    join: str
    cost: str
    contact: ContactDetails
    place: Location | None  # the first place it meets with a position, for directions
    directions: str | None  # how far and which way from the person's district, if given
    map: PrintedMap | None
    new_page: bool  # the printed page breaks before this option


def handout_options(
    listings: Sequence[Listing],
    now: dt.datetime,
    home: MapPoint | None = None,
    map_of: Callable[[Location, int], PrintedMap | None] | None = None,
) -> list[HandoutOption]:
    """The hand-out's numbered options, in the shortlist's order.

    ``map_of`` draws a place's map (None when maps aren't configured or drawing failed:
    the option then has directions in words alone). Only the places' own positions are
    passed to it, never ``home``.
    """
    options = []
    for number, listing in enumerate(listings, start=1):
        place = next(
            (
                loc
                for loc in listing.locations
                if loc.latitude is not None and loc.longitude is not None
            ),
            None,
        )
        directions = None
        picture = None
        if place is not None:
            point = MapPoint(place.latitude, place.longitude, place.postcode)
            if home is not None:
                directions = distance_words(point, home)
            if map_of is not None:
                picture = map_of(place, number)
        options.append(
            HandoutOption(
                number=number,
                listing=listing,
                when=services.upcoming(listing, now),
                join=services.join_words(listing),
                cost=services.cost_words(listing),
                contact=contact_details(listing),
                place=place,
                directions=directions,
                map=picture,
                new_page=starts_page(number),
            )
        )
    return options


def printed_on(now: dt.datetime) -> str:
    """The date the hand-out is printed, in words: "Printed on 30 November 2026".

    ``now`` is naive UTC (the app clock); the date is the UK's.
    """
    day = now.replace(tzinfo=dt.UTC).astimezone(LONDON).date()
    return f"Printed on {day.day} {day:%B %Y}"
