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

from directory.geo import GeocodingError, GeoResult, bounding_box, looks_like_outward
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


def nearest_filling(
    session: Session, query: SearchQuery, domain: str
) -> tuple[str, Nearest] | None:
    """The nearest listing (in person) targeting ``domain`` with the same filters.

    Looked for within :data:`NEAREST_WITHIN_KM`; None when there is none.
    """
    wider = replace(
        query,
        domains=(domain,),
        radius_km=max(query.radius_km, NEAREST_WITHIN_KM),
        online=False,
        sort="nearest",
        page=1,
        per_page=1,
        counts_only=False,
        facets_within=None,
    )
    outcome = run_search(session, wider)
    if not outcome.ids:
        return None
    listing_id = outcome.ids[0]
    name = session.scalar(select(Listing.name).where(Listing.id == listing_id)) or ""
    return listing_id, Nearest(name, outcome.distances.get(listing_id) or 0.0)


def area_coverage(session: Session, args: dict[str, Any], geocoder: Any) -> CoverageReport:
    """Coverage of the place ``args`` name: the grid, the gaps and their sentences.

    ``args`` as loaded by :data:`directory.insights.schemas.COVERAGE_ARGS`. Raises
    :class:`directory.geo.GeocodingError` for a place that can't be found.
    """
    area = locate_area(geocoder, args["postcode"], args["radius_km"])
    query = coverage_query(args, area)
    outcome = run_search(session, query)
    grid = coverage_grid(
        domain_codes(), kind_codes(args), outcome.facets, outcome.facets_within, outcome.total
    )
    filters = coverage_filters(args)
    gaps, nearest_ids = [], {}
    for domain in gap_domains(grid):
        found = nearest_filling(session, query, domain)
        nearest = None
        if found is not None:
            nearest_ids[domain], nearest = found
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
    """The places to compare: a list typed, or every outward code of a postcode area.

    "NG7, NG8" or one per line → those places; "NG" (a postcode area) → NG1 ... NG34.
    At most ``most``; duplicates dropped.
    """
    parts = [p.strip() for chunk in typed.splitlines() for p in chunk.split(",") if p.strip()]
    places: list[str] = []
    for part in parts:
        if postcodes is not None and not looks_like_outward(part) and len(part) <= 2:
            expanded = postcodes.outward_codes_of_area(part)
            places.extend(expanded or [part])
        else:
            places.append(part)
    return list(dict.fromkeys(p.upper() for p in places))[:most]


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
