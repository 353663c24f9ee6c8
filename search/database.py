"""Search answered straight from the database.

Used when no index is available (first start, corrupt index being rebuilt) and as the
engine of last resort: slower than the index, but always correct.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.orm import Session, joinedload, selectinload

from directory.geo import bounding_box
from directory.models import Listing, Location, Term, public_listings
from directory.rules.ranking import TEXT_FIELD_WEIGHTS
from directory.vocabularies import term_id
from search.analysis import split_query, stemming_analyzer
from search.documents import (
    NO_EVIDENCE,
    checked_at,
    facet_tokens,
    from_timestamp,
    listing_evidence,
    listing_facets,
    listing_points,
    listing_signals,
)
from search.query import Candidate, SearchQuery

# The filters checked on a listing's facet values in Python (the rest are SQL).
PYTHON_FILTERS = ("focus", "regularity", "format", "language", "suits")


def database_candidates(session: Session, query: SearchQuery) -> list[Candidate]:
    """Every public listing that passes the query's filters, with its facet values.

    Distance is not applied here beyond a bounding-box prefilter; the caller measures
    it. Day and part-of-day filters are applied in Python from the schedules.
    """
    stmt = public_listings().options(
        joinedload(Listing.organisation),
        selectinload(Listing.terms),
        selectinload(Listing.locations),
        selectinload(Listing.schedules),
        selectinload(Listing.score),
    )
    stmt = stmt.where(*_term_filters(query), *_column_filters(query), *_reach_filters(query))
    concepts = analysed_concepts(query.text)
    listings = list(session.scalars(stmt).unique())
    evidence = {}
    for start in range(0, len(listings), 500):
        ids = [listing.id for listing in listings[start : start + 500]]
        evidence.update(listing_evidence(session, lambda column, ids=ids: column.in_(ids)))
    wanted = {name: set(values) for name, values, _ in query.facet_filters()}
    candidates = []
    for listing in listings:
        suits, listing.confirmed_at, listing.went_at, listing.still_going_at = evidence.get(
            listing.id, NO_EVIDENCE
        )
        facets = listing_facets(listing, suits)
        if not _matches_time(facets, query) or not all(
            wanted[name] & set(facets[name]) for name in PYTHON_FILTERS if name in wanted
        ):
            continue
        relevance = text_relevance(listing, concepts) if concepts else None
        if concepts and not relevance:
            continue
        extra = listing_signals(listing)
        ends = from_timestamp(extra["ends"])
        candidates.append(
            Candidate(
                id=listing.id,
                relevance=relevance,
                points=listing_points(listing),
                online=listing.is_online,
                usefulness=listing.score.adjusted if listing.score else None,
                verified_at=checked_at(listing),
                facets=facet_tokens(facets),
                welcome=extra["welcome"] or None,
                started_at=from_timestamp(extra["started"]),
                ends_on=ends.date() if ends else None,
            )
        )
    return candidates


def _column_filters(query: SearchQuery) -> list[ColumnElement[bool]]:
    """The kind, cost, how-to-join, delivered-by and first-visit filters, on the listing."""
    filters = []
    if query.kinds:
        filters.append(Listing.kind.in_(query.kinds))
    if query.costs:
        filters.append(Listing.cost.in_(query.costs))
    if query.joins:
        filters.append(Listing.how_to_join.in_(query.joins))
    if query.delivered_by:
        filters.append(Listing.delivered_by.in_(query.delivered_by))
    if query.first_visit:
        filters.append(Listing.first_visit_support.is_(True))
    return filters


def _reach_filters(query: SearchQuery) -> list[ColumnElement[bool]]:
    """Online only; or a place in the box around the point (or online, when welcome)."""
    online = Listing.attendance.in_(("online", "both"))
    if query.online_only:
        return [online]
    if query.point is None:
        return []
    south, west, north, east = bounding_box(
        query.point.latitude, query.point.longitude, query.radius_km
    )
    nearby = Listing.locations.any(
        and_(Location.latitude.between(south, north), Location.longitude.between(west, east))
    )
    return [or_(nearby, online) if query.online else nearby]


def _term_filters(query: SearchQuery) -> list:
    """SQL conditions for the filters that are vocabulary terms."""
    conditions = []
    if query.domains:
        ids = [term_id("civic_domain", code) for code in query.domains]
        if query.domain_match == "all":
            conditions.extend(Listing.terms.any(Term.id == i) for i in ids)
        else:
            conditions.append(Listing.terms.any(Term.id.in_(ids)))
    for vocabulary, codes in (
        ("intervention_type", query.interventions),
        ("audience", query.audiences),
        ("accessibility", query.accessibility),
    ):
        if codes:
            ids = [term_id(vocabulary, code) for code in codes]
            conditions.append(Listing.terms.any(Term.id.in_(ids)))
    return conditions


def _matches_time(facets: dict[str, tuple[str, ...]], query: SearchQuery) -> bool:
    """Day and part-of-day filters: any chosen day, and any chosen part on that day."""
    if query.days and query.parts:
        wanted = {f"{d}_{p}" for d in query.days for p in query.parts}
        return bool(wanted & set(facets["day_part"]))
    if query.days:
        return bool(set(query.days) & set(facets["day"]))
    if query.parts:
        return bool(set(query.parts) & set(facets["part"]))
    return True


def analysed_concepts(text: str) -> list[list[list[str]]]:
    """Typed text as concepts, each a list of alternatives, each a list of stems.

    The same analysis as the index (stemming, accent folding, synonyms), so the
    fallback finds what the index would.
    """
    analyzer = stemming_analyzer()
    concepts = []
    for alternatives in split_query(text):
        options = [[t.text for t in analyzer(alt)] for alt in alternatives]
        options = [o for o in options if o]
        if options:
            concepts.append(options)
    return concepts


def text_relevance(listing: Listing, concepts: list[list[list[str]]]) -> float:
    """Weighted field matches if every concept matches some field, else 0."""
    analyzer = stemming_analyzer()
    field_stems = {
        name: {t.text for t in analyzer(text)}
        for name, text in (
            ("name", listing.name),
            ("summary", listing.summary),
            ("description", listing.description),
            ("organisation", listing.organisation.name),
        )
    }
    score = 0.0
    for options in concepts:
        matched = [
            weight
            for name, weight in TEXT_FIELD_WEIGHTS.items()
            if any(set(stems) <= field_stems[name] for stems in options)
        ]
        if not matched:
            return 0.0
        score += sum(matched)
    return score
