"""Output schemas of the JSON API: every answer is dumped with one of these.

The OpenAPI description is generated from the same classes, so it describes what is
sent. Inputs are parsed by separate input schemas
(``directory.search_ui.schemas.SearchArgs``); error bodies by
``directory.errors.ErrorSchema``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from marshmallow import Schema, fields, missing

from directory import schedules
from directory.errors import ErrorSchema
from directory.geo import GeoResult
from directory.links import listing_url
from directory.models import Listing, User
from directory.search_ui.services import SearchResults

__all__ = [
    "ErrorSchema",
    "ListingSchema",
    "MeSchema",
    "SearchPageSchema",
    "SearchResultSchema",
    "SearchPage",
    "UtcDateTime",
]

STRINGS = {"type": "array", "items": {"type": "string"}}


class UtcDateTime(fields.DateTime):
    """A moment stored as naive UTC, sent with its offset.

    For example ``2026-03-01T12:00:00+00:00``, so no client has to guess the time zone.
    Documented as ``format: date-time``.
    """

    def _serialize(self, value: dt.datetime | None, attr: Any, obj: Any, **kwargs) -> str | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat()


def _listing_url(listing: Listing) -> str:
    return listing_url(listing.id, _external=True)


class LocationSchema(Schema):
    """Where a listing meets."""

    id = fields.String(required=True)
    name = fields.String(allow_none=True, required=True)
    address = fields.String(required=True)
    postcode = fields.String(required=True)
    latitude = fields.Float(allow_none=True, required=True)
    longitude = fields.Float(allow_none=True, required=True)


class ScheduleSchema(Schema):
    """When a listing meets, as the rule and in words."""

    id = fields.String(required=True)
    freq = fields.String(required=True)
    interval = fields.Integer(allow_none=True, required=True)
    byday = fields.String(allow_none=True, required=True)
    opens_at = fields.Time(
        format="%H:%M", allow_none=True, metadata={"example": "10:00"}, required=True
    )
    closes_at = fields.Time(
        format="%H:%M", allow_none=True, metadata={"example": "12:00"}, required=True
    )
    valid_from = fields.Date(allow_none=True, required=True)
    valid_to = fields.Date(allow_none=True, required=True)
    words = fields.Function(
        schedules.describe,
        required=True,
        metadata={"type": "string", "description": "The schedule in plain English."},
    )


class OrganisationSummarySchema(Schema):
    """The organisation that runs a listing."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    sector = fields.String(required=True)


class ListingSchema(Schema):
    """A listing with everything the public listing page shows."""

    id = fields.String(required=True, metadata={"format": "uuid"})
    name = fields.String(required=True)
    kind = fields.String(required=True)
    summary = fields.String(required=True)
    description = fields.String(
        required=True,
        metadata={
            "description": "Safe HTML (p, ul, ol, li, a, em, strong, br) or plain text "
            "with blank lines between paragraphs."
        },
    )
    status = fields.String(required=True)
    domains = fields.List(
        fields.String(),
        attribute="domain_codes",
        required=True,
        metadata={"description": "CIVIC domain codes."},
    )
    suggested_domains = fields.List(
        fields.String(),
        attribute="suggested_domain_codes",
        required=True,
        metadata={
            "description": "Those of `domains` suggested from the listing's text and not yet "
            "confirmed by the organisation or a moderator (they count in search already)."
        },
    )
    not_social = fields.Boolean(
        required=True,
        metadata={
            "description": "The directory found it is not a social-connection resource "
            "(no domain suggested)."
        },
    )
    terms = fields.Method(
        "terms_by_vocabulary",
        required=True,
        metadata={
            "type": "object",
            "additionalProperties": STRINGS,
            "description": "Term codes by vocabulary code.",
        },
    )
    organisation = fields.Nested(OrganisationSummarySchema, required=True)
    phone = fields.String(allow_none=True, required=True)
    email = fields.String(allow_none=True, required=True)
    website = fields.String(attribute="url", allow_none=True, required=True)
    how_to_join = fields.String(required=True)
    cost = fields.String(required=True)
    cost_description = fields.String(allow_none=True, required=True)
    min_age = fields.Integer(allow_none=True, required=True)
    max_age = fields.Integer(allow_none=True, required=True)
    languages = fields.List(fields.String(), required=True)
    delivered_by = fields.String(allow_none=True, required=True)
    format = fields.String(required=True)
    course_weeks = fields.Integer(allow_none=True, required=True)
    first_visit_support = fields.Boolean(required=True)
    group_size = fields.String(allow_none=True, required=True)
    mental_health_focus = fields.String(allow_none=True, required=True)
    welcome_statement = fields.String(allow_none=True, required=True)
    attendance = fields.String(required=True)
    locations = fields.List(fields.Nested(LocationSchema), required=True)
    schedules = fields.List(fields.Nested(ScheduleSchema), required=True)
    last_verified_at = UtcDateTime(allow_none=True, required=True)
    updated_at = UtcDateTime(required=True)
    url = fields.Function(
        _listing_url,
        required=True,
        metadata={"type": "string", "format": "uri", "description": "Its page."},
    )

    def terms_by_vocabulary(self, listing: Listing) -> dict[str, list[str]]:
        """The listing's term codes grouped by vocabulary."""
        grouped: dict[str, list[str]] = {}
        for term in listing.terms:
            grouped.setdefault(term.vocabulary_code, []).append(term.code)
        return grouped


@dataclass(frozen=True, slots=True)
class SearchRow:
    """One result as sent: the listing, and its distance when a postcode was given.

    ``missing`` leaves the distance out; ``None`` means the listing has no place (e.g.
    online).
    """

    listing: Listing
    distance_km: float | None | object = missing


class SearchResultSchema(Schema):
    """One search result: enough to show a row, with a link to the rest."""

    id = fields.String(attribute="listing.id", required=True, metadata={"format": "uuid"})
    name = fields.String(attribute="listing.name", required=True)
    kind = fields.String(attribute="listing.kind", required=True)
    summary = fields.String(attribute="listing.summary", required=True)
    domains = fields.List(fields.String(), attribute="listing.domain_codes", required=True)
    organisation = fields.Function(
        lambda row: row.listing.organisation.name,
        required=True,
        metadata={"type": "string", "description": "The name of the organisation that runs it."},
    )
    cost = fields.String(attribute="listing.cost", required=True)
    how_to_join = fields.String(attribute="listing.how_to_join", required=True)
    online = fields.Boolean(attribute="listing.is_online", required=True)
    schedules = fields.Function(
        lambda row: [schedules.describe(s) for s in row.listing.schedules],
        required=True,
        metadata={**STRINGS, "description": "Each schedule in plain English."},
    )
    last_verified_at = UtcDateTime(
        attribute="listing.last_verified_at", allow_none=True, required=True
    )
    url = fields.Function(
        lambda row: _listing_url(row.listing),
        required=True,
        metadata={"type": "string", "format": "uri", "description": "Its page."},
    )
    distance_km = fields.Float(
        allow_none=True,
        metadata={
            "description": (
                "Kilometres from the postcode, to 2 places; absent without a postcode, "
                "null for a listing with no place."
            )
        },
    )


class MatchedLocationSchema(Schema):
    """Where a typed postcode was placed."""

    query = fields.String(metadata={"description": "What was typed."}, required=True)
    matched = fields.String(
        metadata={"description": "The postcode or district it matched."}, required=True
    )
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    precision = fields.String(
        metadata={"description": "postcode, outward, district (a local authority) or place."},
        required=True,
    )


@dataclass(frozen=True, slots=True)
class SearchPage:
    """A page of search results in the shape the API sends."""

    total: int
    page: int
    per_page: int
    results: list[SearchRow]
    facets: dict[str, dict[str, int]]
    location: GeoResult | None
    suggestion: str | None
    warnings: list[str]

    @classmethod
    def from_results(cls, results: SearchResults) -> SearchPage:
        """The page for ``results``; each row carries its distance when placed."""
        rows = []
        for listing in results.listings:
            distance: float | None | object = missing
            if results.location is not None:
                km = results.distances.get(listing.id)
                distance = None if km is None else round(km, 2)
            rows.append(SearchRow(listing, distance))
        return cls(
            total=results.total,
            page=results.page,
            per_page=results.per_page,
            results=rows,
            facets=results.facets,
            location=results.location,
            suggestion=results.suggestion,
            warnings=results.warnings,
        )


class SearchPageSchema(Schema):
    """A page of search results with facet counts over the whole result."""

    total = fields.Integer(required=True, metadata={"description": "How many listings match."})
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    results = fields.List(fields.Nested(SearchResultSchema), required=True)
    facets = fields.Dict(
        required=True,
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        metadata={"description": "For each filter, how many results have each value."},
    )
    location = fields.Nested(MatchedLocationSchema, allow_none=True, required=True)
    suggestion = fields.String(
        required=True, allow_none=True, metadata={"description": "A spelling to try instead."}
    )
    warnings = fields.List(fields.String(), required=True)


class MembershipSchema(Schema):
    """An organisation the account is an approved member of."""

    id = fields.String(
        attribute="organisation_id",
        required=True,
        metadata={"description": "The organisation's id."},
    )
    role = fields.String(required=True)


class ApprovedMemberships(fields.List):
    """The account's approved memberships: a pending request grants nothing yet."""

    def get_value(self, obj: User, attr: str, accessor=None, default=missing) -> list:
        return [m for m in obj.memberships if m.status == "approved"]


class MeSchema(Schema):
    """The signed-in account."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = fields.String(
        required=True, metadata={"description": "practitioner, commissioner, moderator or admin."}
    )
    organisations = ApprovedMemberships(
        fields.Nested(MembershipSchema),
        required=True,
        metadata={"description": "Organisations the account is an approved member of."},
    )


LISTING_SCHEMA = ListingSchema()
SEARCH_PAGE_SCHEMA = SearchPageSchema()
ME_SCHEMA = MeSchema()
