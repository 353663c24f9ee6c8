"""Output schemas of the JSON API. Inputs live with the views that take them."""

from __future__ import annotations

from flask import url_for
from marshmallow import Schema, fields

from directory import schedules


class TermSchema(Schema):
    code = fields.String()
    name = fields.String()
    description = fields.String()


class LocationSchema(Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    address = fields.String()
    postcode = fields.String()
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)


class ScheduleSchema(Schema):
    id = fields.String()
    freq = fields.String()
    interval = fields.Integer(allow_none=True)
    byday = fields.String(allow_none=True)
    opens_at = fields.Time(format="%H:%M", allow_none=True)
    closes_at = fields.Time(format="%H:%M", allow_none=True)
    valid_from = fields.Date(allow_none=True)
    valid_to = fields.Date(allow_none=True)
    words = fields.Function(schedules.describe)


class OrganisationSummarySchema(Schema):
    id = fields.String()
    name = fields.String()
    sector = fields.String()


class ListingSchema(Schema):
    """A listing with everything the public listing page shows."""

    id = fields.String()
    name = fields.String()
    kind = fields.String()
    summary = fields.String()
    description = fields.String()
    status = fields.String()
    domains = fields.Function(lambda listing: listing.domain_codes)
    terms = fields.Method("terms_by_vocabulary")
    organisation = fields.Nested(OrganisationSummarySchema)
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    website = fields.String(attribute="url", allow_none=True)
    how_to_join = fields.String()
    cost = fields.String()
    cost_description = fields.String(allow_none=True)
    min_age = fields.Integer(allow_none=True)
    max_age = fields.Integer(allow_none=True)
    languages = fields.List(fields.String())
    delivered_by = fields.String(allow_none=True)
    format = fields.String()
    course_weeks = fields.Integer(allow_none=True)
    first_visit_support = fields.Boolean()
    group_size = fields.String(allow_none=True)
    mental_health_focus = fields.String(allow_none=True)
    welcome_statement = fields.String(allow_none=True)
    attendance = fields.String()
    locations = fields.Nested(LocationSchema, many=True)
    schedules = fields.Nested(ScheduleSchema, many=True)
    last_verified_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()
    url = fields.Function(
        lambda listing: url_for("listings.listing_page", listing_id=listing.id, _external=True)
    )

    def terms_by_vocabulary(self, listing) -> dict[str, list[str]]:
        grouped: dict[str, list[str]] = {}
        for term in listing.terms:
            grouped.setdefault(term.vocabulary_code, []).append(term.code)
        return grouped


class SearchResultSchema(Schema):
    """One search result: enough to show a row, with a link to the rest."""

    id = fields.String()
    name = fields.String()
    kind = fields.String()
    summary = fields.String()
    domains = fields.Function(lambda listing: listing.domain_codes)
    organisation = fields.Function(lambda listing: listing.organisation.name)
    cost = fields.String()
    how_to_join = fields.String()
    online = fields.Boolean(attribute="is_online")
    schedules = fields.Function(lambda listing: [schedules.describe(s) for s in listing.schedules])
    last_verified_at = fields.DateTime(allow_none=True)
    url = fields.Function(
        lambda listing: url_for("listings.listing_page", listing_id=listing.id, _external=True)
    )


LISTING_SCHEMA = ListingSchema()
SEARCH_RESULT_SCHEMA = SearchResultSchema()
