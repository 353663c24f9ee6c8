"""What the unmet-need and trends pages are asked: an area, perhaps a domain, and a period.

The area is an outward code ("NG7"); a full postcode typed is read as its outward code
(it is never kept). Blank means everywhere. The period runs from ``from`` to ``to``
inclusive (ISO dates, as a date field sends them), by default the last four quarters
(:func:`directory.rules.periods.default_period`); one in the future or back to front is
refused on the field to fix (:func:`directory.rules.periods.period_problems`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema
from werkzeug.datastructures import MultiDict

from directory.args import args_to_dict, flatten_errors
from directory.geo import Geocoder, GeocodingError, looks_like_outward, looks_like_postcode
from directory.geo import outward_code as outward_of
from directory.models import utcnow
from directory.rules.periods import default_period, long_date, period_problems
from directory.vocabularies import label, vocabulary

AREA_HELP = "Enter an outward code like NG7 (the first half of a postcode), or leave it blank."


class InsightsArgs(Schema):
    """Query parameters of ``/insights/need`` and ``/insights/trends``."""

    class Meta:
        unknown = EXCLUDE

    area = fields.String(load_default=None, validate=validate.Length(max=12, error=AREA_HELP))
    domain = fields.String(
        load_default=None,
        validate=validate.OneOf(
            vocabulary("civic_domain").codes, error="Choose a domain from the list."
        ),
    )
    start = fields.Date(
        data_key="from",
        load_default=None,
        error_messages={"invalid": "Enter a date like 2026-01-31."},
    )
    end = fields.Date(
        data_key="to",
        load_default=None,
        error_messages={"invalid": "Enter a date like 2026-01-31."},
    )

    @validates_schema
    def a_sensible_period(self, data: dict, **kwargs) -> None:
        """Refuse a period in the future, back to front or too long, on the field to fix."""
        today = utcnow().date()
        start, end = default_period(today)
        problems = period_problems(data.get("start") or start, data.get("end") or end, today)
        if problems:
            raise ValidationError({name: [message] for name, message in problems.items()})

    @validates_schema
    def an_outward_code(self, data: dict, **kwargs) -> None:
        """Refuse an area that is neither an outward code nor a postcode."""
        area = data.get("area")
        if area and not (looks_like_outward(area) or looks_like_postcode(area)):
            raise ValidationError({"area": [AREA_HELP]})


INSIGHTS_ARGS = InsightsArgs()


@dataclass(frozen=True)
class Question:
    """A loaded question: the outward code (None: everywhere), domain and period."""

    area: str | None
    domain: str | None
    start: dt.date
    end: dt.date

    @property
    def where(self) -> str:
        """The area in words: "NG7" or "all areas"."""
        return self.area or "all areas"

    @property
    def when(self) -> str:
        """The period in words: "1 January 2026 to 23 November 2026"."""
        return f"{long_date(self.start)} to {long_date(self.end)}"

    @property
    def domain_name(self) -> str | None:
        """The chosen domain's name, if one was chosen."""
        return label("civic_domain", self.domain) if self.domain else None


class QuestionError(ValueError):
    """A question that can't be answered: its messages by field, and the status to answer."""

    def __init__(self, messages: dict[str, list[str]], status: int = 400) -> None:
        super().__init__(" ".join(f"{k}: {' '.join(v)}" for k, v in messages.items()))
        self.messages = messages
        self.status = status


def read_question(query: MultiDict, geocoder: Geocoder) -> Question:
    """The question a page was asked, or :class:`QuestionError` saying what to fix.

    An area must be a place the postcode table knows ("unknown area" otherwise).
    """
    try:
        args: dict[str, Any] = INSIGHTS_ARGS.load(args_to_dict(INSIGHTS_ARGS, query))
    except ValidationError as error:
        raise QuestionError(flatten_errors(error.messages)) from None
    today = utcnow().date()
    start, end = default_period(today)
    area = outward_of(args["area"]) if args["area"] else None
    if area:
        try:
            geocoder.geocode(area)
        except GeocodingError as error:
            if error.reason == "unavailable":
                raise QuestionError(
                    {"area": ["Looking up areas isn't working right now. Try again later."]}, 503
                ) from None
            known = error.reason == "not_covered"
            message = str(error) if known else f"We don't know the area {area}. {AREA_HELP}"
            raise QuestionError({"area": [message]}) from None
    return Question(area, args["domain"], args["start"] or start, args["end"] or end)
