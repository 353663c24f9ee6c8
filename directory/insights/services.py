"""Coverage of public listings by CIVIC domain and area, counted by the search itself.

Every count here is a search's: :func:`area_coverage` runs the search the same
arguments would run on ``/api/search`` (:func:`directory.search_ui.services.build_query`),
asking only for its total and facet counts (``counts_only``), by domain and, within each
kind, by domain (``facets_within="kind"``). So a domain's count is the ``/api/search``
total for that place, those filters and that domain, whatever the engine. The rule that
turns counts into a grid and gaps is :mod:`directory.rules.coverage`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import h3
from sqlalchemy import select
from sqlalchemy.orm import Session

from directory.geo import (
    GeocodingError,
    GeoResult,
    bounding_box,
    looks_like_outward,
    looks_like_postcode,
)
from directory.models import Listing
from directory.rules.coverage import (
    CoverageFilters,
    CoverageGrid,
    Gap,
    Nearest,
    coverage_grid,
    covered_sentence,
    gap_domains,
    gap_sentence,
    hex_resolution,
)
from directory.search_ui.schemas import SEARCH_ARGS
from directory.search_ui.services import build_query
from directory.vocabularies import label, vocabulary
from search import run_search
from search.query import SearchQuery
from search.ranking import sphere_km

# How far out the nearest listing filling a gap is looked for: the widest search radius.
NEAREST_WITHIN_KM = float(SEARCH_ARGS.fields["radius_km"].validate.max)
# The rings searched in turn for that nearest listing, ending at the widest.
NEAREST_RINGS_KM = (10.0, 20.0, NEAREST_WITHIN_KM)


@dataclass(frozen=True)
class Area:
    """A place coverage is counted around, and the radius."""

    query: str
    name: str
    precision: str
    latitude: float
    longitude: float
    radius_km: float
    note: str | None = None


@dataclass
class CoverageReport:
    """The coverage of one area: the grid, the gaps and the sentences to paste."""

    area: Area
    grid: CoverageGrid
    gaps: list[Gap]
    summary: str
    filters: CoverageFilters
    nearest_ids: dict[str, str]


def domain_codes() -> tuple[str, ...]:
    """The six CIVIC domains, in the vocabulary's order."""
    return vocabulary("civic_domain").codes


def kind_codes(args: dict[str, Any]) -> tuple[str, ...]:
    """The kinds shown as columns: those filtered on, else every kind."""
    return tuple(args.get("kind") or vocabulary("kind").codes)


def coverage_filters(args: dict[str, Any]) -> CoverageFilters:
    """The filters of loaded coverage arguments, for the gap sentences."""
    others = any(
        args.get(name) for name in ("q", "intervention", "join", "audience", "accessibility")
    )
    return CoverageFilters(
        kinds=tuple(args.get("kind", ())),
        costs=tuple(args.get("cost", ())),
        days=tuple(args.get("day", ())),
        parts=tuple(args.get("part", ())),
        delivered_by=tuple(args.get("delivered_by", ())),
        first_visit=bool(args.get("first_visit")),
        online=bool(args.get("online")),
        others=bool(others.strip() if isinstance(others, str) else others),
    )


def locate_area(geocoder: Any, place: str, radius_km: float) -> Area:
    """The area around a typed place; :class:`GeocodingError` when it can't be placed."""
    found: GeoResult = geocoder.geocode(place)
    return Area(
        query=place,
        name=found.matched,
        precision=found.precision,
        latitude=found.latitude,
        longitude=found.longitude,
        radius_km=radius_km,
        note=found.note,
    )


def coverage_query(args: dict[str, Any], area: Area) -> SearchQuery:
    """The search whose counts are the coverage: the search arguments, every domain."""
    location = GeoResult(
        area.query, area.name, area.latitude, area.longitude, "postcode", area.note
    )
    search_args = {
        **args,
        "domain": [],
        "match": "any",
        "sort": "best",
        "page": 1,
        "per_page": 1,
        "postcode": area.name,
    }
    return replace(build_query(search_args, location), counts_only=True, facets_within="kind")


def count_coverage(session: Session, args: dict[str, Any], area: Area) -> CoverageGrid:
    """The grid of an area: one search, counted by domain and by kind and domain."""
    outcome = run_search(session, coverage_query(args, area))
    return coverage_grid(
        domain_codes(), kind_codes(args), outcome.facets, outcome.facets_within, outcome.total
    )


def nearest_fillings(
    session: Session, query: SearchQuery, domains: tuple[str, ...]
) -> dict[str, tuple[str, Nearest]]:
    """For each of ``domains``, the nearest listing (in person) with the same filters.

    Looked for within :data:`NEAREST_WITHIN_KM`, every domain in one counting search
    (``nearest_by="domain"``) per ring of :data:`NEAREST_RINGS_KM`, widening only for the
    domains not yet found: the nearest found within a ring is the nearest of all. Domains
    with none are left out.
    """
    found: dict[str, tuple[str, float]] = {}
    for ring_km in [r for r in NEAREST_RINGS_KM if r > query.radius_km]:
        missing = tuple(d for d in domains if d not in found)
        if not missing:
            break
        wider = replace(
            query,
            domains=missing,
            domain_match="any",
            radius_km=ring_km,
            online=False,
            counts_only=True,
            facets_within=None,
            point_cell=None,
            nearest_by="domain",
        )
        nearest = run_search(session, wider).nearest
        found.update({d: nearest[d] for d in missing if d in nearest})
    ids = {listing_id for listing_id, _ in found.values()}
    names = dict(session.execute(select(Listing.id, Listing.name).where(Listing.id.in_(ids))).all())
    return {
        domain: (listing_id, Nearest(names.get(listing_id, ""), distance))
        for domain, (listing_id, distance) in found.items()
    }


def area_coverage(session: Session, args: dict[str, Any], geocoder: Any) -> CoverageReport:
    """Coverage of the place ``args`` name: the grid, the gaps and their sentences.

    ``args`` as loaded by :data:`directory.insights.schemas.COVERAGE_ARGS`. Raises
    :class:`directory.geo.GeocodingError` for a place that can't be found.
    """
    area = locate_area(geocoder, args["postcode"], args["radius_km"])
    return coverage_for_area(session, args, area)


def coverage_for_area(session: Session, args: dict[str, Any], area: Area) -> CoverageReport:
    """Coverage of a placed area: one counting search, then one search per gap.

    Each gap's nearest listing is the nearest a search with that domain finds within
    :data:`NEAREST_WITHIN_KM`.
    """
    query = coverage_query(args, area)
    outcome = run_search(session, query)
    grid = coverage_grid(
        domain_codes(), kind_codes(args), outcome.facets, outcome.facets_within, outcome.total
    )
    filters = coverage_filters(args)
    gaps, nearest_ids = [], {}
    fillings = nearest_fillings(session, query, gap_domains(grid))
    for domain in gap_domains(grid):
        nearest = None
        if domain in fillings:
            nearest_ids[domain], nearest = fillings[domain]
        searched = max(area.radius_km, NEAREST_WITHIN_KM)
        sentence = gap_sentence(
            area.name, area.radius_km, filters, label("civic_domain", domain), nearest, searched
        )
        gaps.append(Gap(domain, nearest, searched, sentence))
    summary = (
        " ".join(gap.sentence for gap in gaps)
        if gaps
        else covered_sentence(area.name, area.radius_km, filters, len(grid.domains))
    )
    return CoverageReport(area, grid, gaps, summary, filters, nearest_ids)


def coverage_document(report: CoverageReport) -> dict[str, Any]:
    """The report in the shape of :class:`directory.insights.schemas.CoverageSchema`."""
    area = report.area
    return {
        "area": {
            "query": area.query,
            "name": area.name,
            "precision": area.precision,
            "latitude": area.latitude,
            "longitude": area.longitude,
            "radius_km": area.radius_km,
            "note": area.note,
        },
        "total": report.grid.total,
        "domains": report.grid.by_domain,
        "by_kind": report.grid.by_kind,
        "grid": report.grid.cells,
        "gaps": [
            {
                "domain": gap.domain,
                "name": label("civic_domain", gap.domain),
                "sentence": gap.sentence,
                "searched_km": gap.searched_km,
                "nearest": None
                if gap.nearest is None
                else {
                    "id": report.nearest_ids[gap.domain],
                    "name": gap.nearest.name,
                    "distance_km": round(gap.nearest.distance_km, 2),
                },
            }
            for gap in report.gaps
        ],
        "summary": report.summary,
    }


# -- the hexagon map --------------------------------------------------------------------


@dataclass(frozen=True)
class HexCell:
    """One hexagonal cell of a coverage map and how many listings it holds."""

    cell: str
    count: int
    latitude: float
    longitude: float
    near: str | None = None  # the nearest outward code's centre, to name the cell


@dataclass
class HexMap:
    """Coverage of one domain across a region, cell by cell."""

    area: Area
    domain: str
    resolution: int
    cells: list[HexCell]
    total: int

    @property
    def highest(self) -> int:
        """The most listings in any one cell."""
        return max((c.count for c in self.cells), default=0)

    @property
    def empty(self) -> int:
        """How many cells hold nothing."""
        return sum(1 for c in self.cells if c.count == 0)


def cells_covering(area: Area, resolution: int) -> list[str]:
    """Every cell whose centre is within the area's radius (plus one cell's reach)."""
    edge_km = h3.average_hexagon_edge_length(resolution, unit="km")
    centre = h3.latlng_to_cell(area.latitude, area.longitude, resolution)
    rings = math.ceil(area.radius_km / (edge_km * math.sqrt(3))) + 1
    reach = area.radius_km + edge_km
    return [
        cell
        for cell in h3.grid_disk(centre, rings)
        if sphere_km(area.latitude, area.longitude, *h3.cell_to_latlng(cell)) <= reach
    ]


def hex_map(
    session: Session, args: dict[str, Any], area: Area, domain: str, outward_codes=()
) -> HexMap:
    """How many listings target ``domain`` in each hexagonal cell around the area.

    One search (the coverage search with the domain chosen) counts its results by cell.
    ``outward_codes`` are (code, latitude, longitude) near the area, to name cells.
    """
    resolution = hex_resolution(area.radius_km)
    query = replace(
        coverage_query(args, area),
        domains=(domain,),
        facets_within=None,
        point_cell=lambda lat, lon: h3.latlng_to_cell(lat, lon, resolution),
    )
    outcome = run_search(session, query)
    cells = []
    for cell in cells_covering(area, resolution):
        lat, lon = h3.cell_to_latlng(cell)
        cells.append(
            HexCell(
                cell, outcome.cells.get(cell, 0), lat, lon, _nearest_code(lat, lon, outward_codes)
            )
        )
    return HexMap(area, domain, resolution, cells, outcome.total)


def _nearest_code(lat: float, lon: float, outward_codes) -> str | None:
    """The outward code whose centre is nearest (lat, lon), if any were given."""
    best = min(
        ((sphere_km(lat, lon, c_lat, c_lon), code) for code, c_lat, c_lon in outward_codes),
        default=None,
    )
    return best[1] if best else None


def outward_codes_near(postcodes: Any, area: Area) -> list[tuple[str, float, float]]:
    """Outward codes with centres within the area's box and a little more, to name cells."""
    if postcodes is None:
        return []
    box = bounding_box(area.latitude, area.longitude, area.radius_km + 3)
    try:
        return postcodes.outward_codes_in(box)
    except GeocodingError:
        return []


# -- areas side by side ----------------------------------------------------------------


def expand_areas(typed: str, postcodes: Any, most: int) -> list[str]:
    """The places to compare: a list typed, or every outward code of an area or district.

    "NG7, NG8" or one per line → those places; "NG" (a postcode area) → NG1 ... NG34;
    "Nottingham" (a local authority district) → the outward codes mostly in it. At most
    ``most``; duplicates dropped.
    """
    parts = [p.strip() for chunk in typed.splitlines() for p in chunk.split(",") if p.strip()]
    places: list[str] = []
    for part in parts:
        places.extend(_expand(part, postcodes) or [part.upper()])
    return list(dict.fromkeys(places))[:most]


def _expand(part: str, postcodes: Any) -> list[str]:
    """A postcode area's or district's outward codes; empty for anything else."""
    if postcodes is None or looks_like_outward(part) or looks_like_postcode(part):
        return []
    if len(part) <= 2:
        return postcodes.outward_codes_of_area(part)
    return postcodes.outward_codes_of_district(part)


@dataclass
class AreaRow:
    """One area's coverage in a comparison, or why it couldn't be counted."""

    place: str
    area: Area | None
    grid: CoverageGrid | None
    problem: str | None = None


def compare_areas(
    session: Session, args: dict[str, Any], geocoder: Any, places: list[str]
) -> list[AreaRow]:
    """Coverage of each place with the same radius and filters, one search each."""
    rows = []
    for place in places:
        try:
            area = locate_area(geocoder, place, args["radius_km"])
        except GeocodingError as error:
            if error.reason == "unavailable":
                raise
            rows.append(AreaRow(place, None, None, str(error)))
            continue
        rows.append(AreaRow(place, area, count_coverage(session, args, area)))
    return rows


def comparison_rows(rows: list[AreaRow]) -> list[list[Any]]:
    """A comparison as table rows (headings first) for CSV and XLSX."""
    domains = domain_codes()
    heading = [
        "Area",
        "Radius (km)",
        "Listings",
        *(label("civic_domain", d) for d in domains),
        "Domains with nothing",
    ]
    table: list[list[Any]] = [heading]
    for row in rows:
        if row.grid is None:
            table.append([row.place, None, None, *([None] * len(domains)), row.problem])
            continue
        gaps = [label("civic_domain", d) for d in gap_domains(row.grid)]
        table.append(
            [
                row.area.name,
                row.area.radius_km,
                row.grid.total,
                *(row.grid.by_domain[d] for d in domains),
                "; ".join(gaps),
            ]
        )
    return table
