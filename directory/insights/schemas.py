"""Input and output schemas of the coverage page and ``/api/insights/coverage``.

The input is the search's own (:class:`directory.search_ui.schemas.SearchArgs`), so a
coverage question is validated exactly as the search it is counted with; a place is
required, and the parameters that only order or page results are left out.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from directory.search_ui.schemas import SearchArgs, codes

# The search's parameters that order or page results, or choose domains: coverage counts
# every domain and has no page.
NOT_FOR_COVERAGE = ("domain", "match", "sort", "page", "per_page")
PLACE_REQUIRED = "Enter a postcode, outward code or local authority, for example NG7."
# At most this many areas side by side (every outward code of a large postcode area).
MOST_AREAS = 40


class CoverageArgs(SearchArgs):
    """Query parameters of ``/insights/coverage`` and ``/api/insights/coverage``."""

    class Meta:
        unknown = EXCLUDE

    postcode = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        error_messages={"required": PLACE_REQUIRED},
        metadata={
            "description": "A postcode (PL4 8AA), outward code (NG7) or local authority "
            "district (Nottingham)."
        },
    )


class CoverageMapArgs(CoverageArgs):
    """The coverage page's extra choices: the domain mapped."""

    map_domain = codes("civic_domain")


class CompareArgs(CoverageArgs):
    """Areas side by side: a place list instead of one place."""

    postcode = fields.String(load_default=None, validate=validate.Length(max=40))
    areas = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        error_messages={"required": "Enter the areas to compare, or a postcode area."},
        metadata={
            "description": "Places separated by commas or new lines, a postcode area (NG) "
            "or a local authority district (Nottingham): each of its outward codes."
        },
    )


COVERAGE_ARGS = CoverageArgs(exclude=NOT_FOR_COVERAGE)
COVERAGE_PAGE_ARGS = CoverageMapArgs(exclude=NOT_FOR_COVERAGE)
COMPARE_ARGS = CompareArgs(exclude=NOT_FOR_COVERAGE)


# -- output ------------------------------------------------------------------------------


class AreaSchema(Schema):
    """Where the coverage was counted."""

    query = fields.String(required=True, metadata={"description": "The place as typed."})
    name = fields.String(
        required=True,
        metadata={"description": "The place used: postcode, outward code or district."},
    )
    precision = fields.String(
        required=True, metadata={"description": "postcode, outward or district."}
    )
    latitude = fields.Float(required=True)
    longitude = fields.Float(required=True)
    radius_km = fields.Float(required=True)
    note = fields.String(
        allow_none=True, metadata={"description": "Set when a less precise place was used."}
    )


class NearestSchema(Schema):
    """The nearest listing beyond the radius that would fill a gap."""

    id = fields.String(required=True)
    name = fields.String(required=True)
    distance_km = fields.Float(required=True)


class GapSchema(Schema):
    """A CIVIC domain that no listing found targets."""

    domain = fields.String(required=True, metadata={"description": "The domain's code."})
    name = fields.String(required=True)
    sentence = fields.String(
        required=True, metadata={"description": "The gap in words, to paste into a report."}
    )
    nearest = fields.Nested(NearestSchema, allow_none=True)
    searched_km = fields.Float(
        required=True, metadata={"description": "How far out the nearest was looked for."}
    )


class CoverageSchema(Schema):
    """Public listings by CIVIC domain and kind for a place, radius and filters."""

    area = fields.Nested(AreaSchema, required=True)
    total = fields.Integer(required=True, metadata={"description": "Listings found."})
    domains = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={
            "description": "Listings targeting each CIVIC domain: the /api/search total for "
            "the same place, filters and that domain."
        },
    )
    by_kind = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "Listings of each kind."},
    )
    grid = fields.Dict(
        keys=fields.String(),
        values=fields.Dict(keys=fields.String(), values=fields.Integer()),
        required=True,
        metadata={"description": "For each domain, the listings of each kind targeting it."},
    )
    gaps = fields.List(fields.Nested(GapSchema), required=True)
    summary = fields.String(
        required=True, metadata={"description": "The gaps (or their absence) in words."}
    )


COVERAGE_SCHEMA = CoverageSchema()
