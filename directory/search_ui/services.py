"""Turning validated search parameters into a page of listings."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy.orm import Session

from directory.geo import Geocoder, GeocodingError, GeoResult
from directory.listings.services import ListingRow, listings_in_order
from directory.models import KINDS, Listing
from directory.rules.freshness import hide_after_days
from directory.rules.signals import language_codes
from search import run_search
from search.query import GeoPoint, SearchQuery


@dataclass
class SearchResults:
    """What the search page and API show."""

    listings: list[Listing | ListingRow]
    total: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]]
    distances: dict[str, float | None]
    location: GeoResult | None = None
    suggestion: str | None = None
    engine: str = "database"
    warnings: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """How many pages the results fill (at least one)."""
        return max(1, -(-self.total // self.per_page))


def build_query(args: dict[str, Any], location: GeoResult | None) -> SearchQuery:
    """A :class:`SearchQuery` from loaded :class:`SearchArgs` and a geocoded location.

    The research's filters (focus, weekly, format, language, suits) may be absent: other
    areas' arguments (the commissioners' coverage) don't ask them, and mean "any".
    """
    return SearchQuery(
        text=args["q"].strip(),
        domains=tuple(args["domain"]),
        domain_match=args["match"],
        kinds=tuple(args["kind"]),
        interventions=tuple(args["intervention"]),
        costs=tuple(args["cost"]),
        joins=tuple(args["join"]),
        delivered_by=tuple(args["delivered_by"]),
        days=tuple(args["day"]),
        parts=tuple(args["part"]),
        audiences=tuple(args["audience"]),
        accessibility=tuple(args["accessibility"]),
        online=args["online"],
        first_visit=args["first_visit"],
        focus=tuple(args.get("focus", ())),
        weekly=args.get("weekly", False),
        formats=tuple(args.get("format", ())),
        languages=language_codes(args.get("language", ())),
        suits=tuple(args.get("suits", ())),
        show_unverified=args["show_unverified"],
        hide_unverified_days=hide_days(),
        point=GeoPoint(location.latitude, location.longitude) if location else None,
        radius_km=args["radius_km"],
        sort=args["sort"],
        page=args["page"],
        per_page=args["per_page"],
    )


def hide_days() -> dict[str, int]:
    """Per kind, how long unchecked before a listing leaves default search."""
    return hide_after_days(KINDS, current_app.config.get("FRESHNESS_INTERVALS"))


def locate(geocoder: Geocoder, postcode: str | None) -> GeoResult | None:
    """Geocode the typed postcode; None when nothing was typed.

    Raises :class:`GeocodingError` with a message for the user when it can't.
    """
    if not postcode or not postcode.strip():
        return None
    return geocoder.geocode(postcode)


def geocoding_problem(error: GeocodingError) -> tuple[str, int]:
    """The message and status to show for a failed lookup.

    The user's mistakes (junk, unknown, Northern Ireland) get the geocoder's own message
    and 400; an operator problem (no postcode table) is logged and gets an apology, 503.
    """
    if error.reason == "unavailable":
        current_app.logger.error("Postcode lookup unavailable: %s", error)
        return (
            "Searching by postcode isn't working right now. "
            "Try again later, or search without a postcode.",
            503,
        )
    return str(error), 400


def search_listings(
    session: Session,
    args: dict[str, Any],
    geocoder: Geocoder,
    load: Callable[[Session, Sequence[str]], Sequence[Listing | ListingRow]] = listings_in_order,
) -> SearchResults:
    """Run a search from validated arguments and load the page of listings in rank order.

    ``load`` reads the listings of the page by id, in order: ORM listings unless told
    (the search page and API read plain rows, ``listings.services.search_rows``).
    """
    location = locate(geocoder, args.get("postcode"))
    outcome = run_search(session, build_query(args, location))
    warnings = [location.note] if location and location.note else []
    return SearchResults(
        listings=list(load(session, outcome.ids)),
        total=outcome.total,
        page=args["page"],
        per_page=args["per_page"],
        facets=outcome.facets,
        distances=outcome.distances,
        location=location,
        suggestion=outcome.suggestion,
        engine=outcome.engine,
        warnings=warnings,
    )
