"""Input schemas for searching (page and API share them)."""

from __future__ import annotations

import json
from pathlib import Path

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from directory import schedules
from directory.rules import signals
from directory.vocabularies import vocabulary
from search.query import SORTS

# The ratings area's "who it suits" tags (read from its file: importing the area here
# would import the search page from itself).
SUITS_OPTIONS = tuple(
    (term["code"], term["name"])
    for term in json.loads(
        (Path(__file__).parent.parent / "ratings" / "suits.json").read_text(encoding="utf-8")
    )["terms"]
)
SUITS_CODES = tuple(code for code, _ in SUITS_OPTIONS)

DAY_ALIASES = {
    name.lower(): code for name, code in zip(schedules.DAY_NAMES, schedules.DAY_CODES, strict=True)
}


class Day(fields.String):
    """A day of the week as "TU", "tue" or "Tuesday"; loads as the iCal code."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs).strip().lower()
        for name, code in DAY_ALIASES.items():
            if text in (code.lower(), name, name[:3]):
                return code
        raise ValidationError(f"{value!r} is not a day of the week; use e.g. TU or Tuesday.")


def codes(vocabulary_code: str) -> fields.List:
    """A repeatable parameter whose values must be codes of one vocabulary."""
    allowed = vocabulary(vocabulary_code).codes
    return fields.List(
        fields.String(
            validate=validate.OneOf(allowed, error="Must be one of: {choices}."),
        ),
        load_default=list,
    )


class SearchArgs(Schema):
    """Query parameters of ``/search`` and ``/api/search``."""

    class Meta:
        unknown = EXCLUDE

    q = fields.String(load_default="", validate=validate.Length(max=200))
    postcode = fields.String(load_default=None, validate=validate.Length(max=40))
    radius_km = fields.Float(
        load_default=5.0,
        validate=validate.Range(min=0.5, max=50, error="Must be between 0.5 and 50 km."),
    )
    domain = codes("civic_domain")
    match = fields.String(load_default="any", validate=validate.OneOf(("any", "all")))
    kind = codes("kind")
    intervention = codes("intervention_type")
    cost = codes("cost")
    join = codes("how_to_join")
    delivered_by = codes("delivered_by")
    audience = codes("audience")
    accessibility = codes("accessibility")
    day = fields.List(Day(), load_default=list)
    part = fields.List(
        fields.String(validate=validate.OneOf(schedules.PARTS_OF_DAY)), load_default=list
    )
    online = fields.Boolean(load_default=False)
    first_visit = fields.Boolean(
        load_default=False,
        metadata={"description": "Only listings offering someone to go with you the first time."},
    )
    focus = fields.List(
        fields.String(
            validate=validate.OneOf(
                vocabulary("mental_health_focus").codes, error="Must be one of: {choices}."
            )
        ),
        load_default=list,
        metadata={
            "description": "specific: for people with mental health problems; welcoming: "
            "mainstream and welcoming to them."
        },
    )
    weekly = fields.Boolean(
        load_default=False, metadata={"description": "Only listings meeting every week or more."}
    )
    format = fields.List(
        fields.String(
            validate=validate.OneOf(signals.FORMAT_VALUES, error="Must be one of: {choices}.")
        ),
        load_default=list,
        metadata={"description": "ongoing; course; course_8_weeks: a course of 8 weeks or more."},
    )
    language = fields.List(
        fields.String(validate=validate.Length(min=1, max=60)),
        load_default=list,
        validate=validate.Length(max=10),
        metadata={"description": "Languages spoken, by name (e.g. Polish), any of them."},
    )
    suits = fields.List(
        fields.String(validate=validate.OneOf(SUITS_CODES, error="Must be one of: {choices}.")),
        load_default=list,
        metadata={
            "description": "Who it suits, as at least two practitioners rating it agree "
            "(e.g. anxious_in_groups)."
        },
    )
    show_unverified = fields.Boolean(load_default=False)
    sort = fields.String(load_default="best", validate=validate.OneOf(SORTS))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))

    @validates_schema
    def nearest_needs_a_place(self, data: dict, **kwargs) -> None:
        """Refuse sorting by nearest without a postcode."""
        if data.get("sort") == "nearest" and not data.get("postcode"):
            raise ValidationError("Sorting by nearest needs a postcode.", "sort")


class BrowseArgs(Schema):
    """Query parameters of ``/browse``."""

    class Meta:
        unknown = EXCLUDE

    kind = codes("kind")
    domain = codes("civic_domain")
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10_000))


SEARCH_ARGS = SearchArgs()
BROWSE_ARGS = BrowseArgs()
