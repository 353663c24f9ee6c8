"""Input schemas for the Open Referral UK feed's query parameters.

Unknown parameters are ignored (ORUK clients send their own, such as ``format``); known
ones with bad values get a 400 naming the field.
"""

from __future__ import annotations

import datetime as dt
import re

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from directory.search_ui.schemas import Day

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 1000


# What Timestamp accepts, as its OpenAPI description says: a date, or a date and time with
# an optional offset ("+" arrives as a space when a client doesn't encode it).
TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+ -]\d{2}:\d{2})?)?$"
CLOCK_TIME_PATTERN = r"^\d{2}:\d{2}(:\d{2})?$"


class Timestamp(fields.String):
    """A date or an ISO 8601 date-time (``Z`` or an offset allowed); loads as naive UTC."""

    def __init__(self, **kwargs) -> None:
        metadata = {
            "pattern": TIMESTAMP_PATTERN,
            "example": "2024-01-31T09:00:00Z",
            "description": "A date, or a date and time (UTC unless it carries an offset).",
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> dt.datetime:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not re.fullmatch(TIMESTAMP_PATTERN, text):
            raise ValidationError(
                "Give a date like 2024-01-31 or a time like 2024-01-31T09:00:00Z."
            )
        text = text.replace("Z", "+00:00").replace(" ", "+")
        try:
            if len(text) == 10:
                return dt.datetime.combine(dt.date.fromisoformat(text), dt.time())
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                "Give a date like 2024-01-31 or a time like 2024-01-31T09:00:00Z."
            ) from None
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(dt.UTC).replace(tzinfo=None)
        return parsed


class ClockTime(fields.String):
    """A time of day, ``HH:MM`` or ``HH:MM:SS``."""

    def __init__(self, **kwargs) -> None:
        metadata = {"pattern": CLOCK_TIME_PATTERN, "example": "09:30"}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> dt.time:
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        try:
            if not re.fullmatch(CLOCK_TIME_PATTERN, text):
                raise ValueError(text)
            return dt.time.fromisoformat(text)
        except ValueError:
            raise ValidationError("Give a time like 09:30 or 18:00:00.") from None


class PageArgs(Schema):
    """``page`` and ``per_page``, which every list endpoint takes."""

    class Meta:
        unknown = EXCLUDE

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(
        load_default=DEFAULT_PER_PAGE,
        validate=validate.Range(min=1, max=MAX_PER_PAGE, error="Must be from 1 to {max}."),
    )


class ServiceArgs(PageArgs):
    """Query parameters of ``/services``.

    Filters combine with AND; a filter given several values (comma-separated or repeated)
    matches any of them.
    """

    search = fields.String(load_default="", validate=validate.Length(max=200))
    taxonomy_term_id = fields.List(fields.String(validate=validate.Length(max=100)))
    taxonomy_id = fields.List(fields.String(validate=validate.Length(max=100)))
    organization_id = fields.String(validate=validate.Length(max=100))
    modified_after = Timestamp()
    minimal = fields.Boolean(load_default=False)
    full = fields.Boolean(load_default=False)
    minimum_age = fields.Integer(validate=validate.Range(min=0, max=150))
    maximum_age = fields.Integer(validate=validate.Range(min=0, max=150))
    day = Day()
    start_time = ClockTime()
    end_time = ClockTime()

    @validates_schema
    def one_shape(self, data: dict, **kwargs) -> None:
        """Refuse ``minimal`` and ``full`` together."""
        if data.get("minimal") and data.get("full"):
            raise ValidationError("Ask for minimal or full, not both.", "minimal")


class ServiceAtLocationArgs(ServiceArgs):
    """Query parameters of ``/service_at_locations``.

    Those of ``/services``, plus a postcode and a distance from it in metres.
    """

    postcode = fields.String(validate=validate.Length(max=40))
    proximity = fields.Float(
        validate=validate.Range(min=1, max=200_000, error="Must be from 1 to 200000 metres.")
    )

    @validates_schema
    def proximity_needs_a_postcode(self, data: dict, **kwargs) -> None:
        """Refuse ``proximity`` without a ``postcode`` to measure from."""
        if data.get("proximity") is not None and not data.get("postcode"):
            raise ValidationError("proximity needs a postcode to measure from.", "proximity")


class TaxonomyTermArgs(PageArgs):
    """Query parameters of ``/taxonomy_terms``."""

    taxonomy_id = fields.String(validate=validate.Length(max=100))


class OrganizationArgs(PageArgs):
    """Query parameters of ``/organizations``."""

    search = fields.String(load_default="", validate=validate.Length(max=200))
    full_service = fields.Boolean(load_default=False)


SERVICE_ARGS = ServiceArgs()
SERVICE_AT_LOCATION_ARGS = ServiceAtLocationArgs()
PAGE_ARGS = PageArgs()
TAXONOMY_TERM_ARGS = TaxonomyTermArgs()
ORGANIZATION_ARGS = OrganizationArgs()
