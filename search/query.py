"""What a search asks for and what it gets back, independent of the engine."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

SORTS = ("best", "nearest", "useful", "verified")
FACET_FIELDS = (
    "domain",
    "kind",
    "intervention",
    "cost",
    "join",
    "delivered_by",
    "day",
    "part",
    "audience",
    "accessibility",
    "online",
    "first_visit",
    "focus",
    "regularity",
    "format",
    "language",
    "suits",
)


@dataclass(frozen=True)
class GeoPoint:
    """A place on the map, in WGS84 degrees."""

    latitude: float
    longitude: float


@dataclass
class SearchQuery:
    """A search as the user asked it. Empty collections mean "no filter"."""

    text: str = ""
    domains: tuple[str, ...] = ()
    domain_match: str = "any"  # "any" or "all"
    kinds: tuple[str, ...] = ()
    interventions: tuple[str, ...] = ()
    costs: tuple[str, ...] = ()
    joins: tuple[str, ...] = ()
    delivered_by: tuple[str, ...] = ()
    days: tuple[str, ...] = ()  # MO..SU
    parts: tuple[str, ...] = ()  # morning, afternoon, evening
    audiences: tuple[str, ...] = ()
    accessibility: tuple[str, ...] = ()
    online: bool = False  # include online listings alongside nearby ones
    first_visit: bool = False  # only listings offering someone to go with you the first time
    focus: tuple[str, ...] = ()  # "specific" (mental health) and/or "welcoming" (mainstream)
    weekly: bool = False  # only listings meeting every week or more often
    formats: tuple[str, ...] = ()  # "ongoing", "course", "course_8_weeks"
    languages: tuple[str, ...] = ()  # language search values (rules.signals.language_code)
    suits: tuple[str, ...] = ()  # "suits" tags at least two practitioners agree on
    online_only: bool = False
    show_unverified: bool = False
    # Days without a check after which a kind of listing leaves default search.
    hide_unverified_days: dict[str, int] = field(default_factory=dict)
    point: GeoPoint | None = None
    radius_km: float = 5.0
    sort: str = "best"
    page: int = 1
    per_page: int = 20
    # Only the total and facet counts are wanted (a coverage grid): nothing is ranked
    # and no page of ids comes back. The same listings are counted either way.
    counts_only: bool = False
    # Also count the facets of the results carrying each value of this field, e.g.
    # "kind": {"group": {"domain": {...}}, ...} in SearchOutcome.facets_within.
    facets_within: str | None = None
    # Also count the results by map cell: this gives the cell of a point (lat, lon); a
    # result counts once in each cell holding one of its locations within the radius.
    point_cell: Callable[[float, float], str] | None = None
    # Also find, for each value of this field, the nearest result carrying it (SearchOutcome
    # .nearest): what fills a gap, for every gap in one search. Needs a place.
    nearest_by: str | None = None

    def facet_filters(self) -> list[tuple[str, tuple[str, ...], bool]]:
        """The chosen filter values as (facet field, values, every value needed?).

        For the engines to turn into their own conditions. Empty filters are left out;
        days and parts of day together mean those parts on those days ("day_part").
        """
        if self.days and self.parts:
            times = [("day_part", tuple(f"{d}_{p}" for d in self.days for p in self.parts))]
        else:
            times = [("day", self.days), ("part", self.parts)]
        chosen = [
            ("domain", self.domains),
            ("kind", self.kinds),
            ("intervention", self.interventions),
            ("cost", self.costs),
            ("join", self.joins),
            ("delivered_by", self.delivered_by),
            ("audience", self.audiences),
            ("accessibility", self.accessibility),
            ("first_visit", ("yes",) if self.first_visit else ()),
            ("focus", self.focus),
            ("regularity", ("weekly",) if self.weekly else ()),
            ("format", self.formats),
            ("language", self.languages),
            ("suits", self.suits),
            *times,
        ]
        every_domain = self.domain_match == "all"
        return [
            (field, tuple(values), field == "domain" and every_domain)
            for field, values in chosen
            if values
        ]


@dataclass
class Candidate:
    """One listing that passed the filters, with what ranking and facets need."""

    id: str
    relevance: float | None
    points: list[tuple[float, float]]
    online: bool
    usefulness: float | None
    verified_at: dt.datetime | None
    facets: tuple[str, ...] = ()  # "field:value" tokens, e.g. "domain:involvement"
    distance_km: float | None = None
    score: float = 0.0
    # Service users' felt-welcome mean once enough answered (rules.ranking.felt_welcome).
    welcome: float | None = None
    # When it started running, as best known (rules.signals.started_on).
    started_at: dt.datetime | None = None
    # A course's last day (rules.signals.ends_on); it leaves search once past.
    ends_on: dt.date | None = None


@dataclass
class SearchOutcome:
    """A page of ranked listing ids, the total, and facet counts over the whole result."""

    ids: list[str]
    total: int
    facets: dict[str, dict[str, int]]
    distances: dict[str, float | None]
    suggestion: str | None = None
    engine: str = "database"
    # Facet counts among the results carrying each value of SearchQuery.facets_within.
    facets_within: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    # How many results have a location in each cell of SearchQuery.point_cell.
    cells: dict[str, int] = field(default_factory=dict)
    # For each value of SearchQuery.nearest_by: (listing id, distance in km) of the nearest.
    nearest: dict[str, tuple[str, float]] = field(default_factory=dict)
