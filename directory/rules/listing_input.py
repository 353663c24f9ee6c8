"""The one set of rules for listing input.

What a listing may say, and what to tell people when it says something else.

Every way a listing comes in (the guided web form, the spreadsheet, Open Referral UK and
calendar imports, and any future API write) turns what it read into the same plain dict
and loads it with :class:`ListingInput`. The schema checks each field against the limits
and vocabularies below and gives back a lifecycle snapshot (the shape
``directory.lifecycle.services.apply_snapshot`` writes), or a
:class:`marshmallow.ValidationError` whose messages are keyed by snapshot field name, for
each way in to show beside its own field or column. So a bad e-mail address, an age range
of 90 to 20 or a 200-week course gets the same words wherever it was typed.

What differs between the ways in is *how much* a listing must say, not what a value may
be: a person posting through the form must describe it and choose a CIVIC domain, while
a feed from another system may leave those out. That is the ``require`` argument
(:data:`POSTED`, :data:`SPREADSHEET`, :data:`FEED`). Feeds from other systems are also
loaded leniently (:func:`load_leniently`): an optional value that breaks a rule is left
out, or cut to its limit, with a warning, rather than losing the whole service.

Reading formats (spreadsheet day words, Excel times, ORUK attributes, iCalendar rules) and
placing postcodes stay with each way in; this module is pure: no Flask, no database.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Collection, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validates_schema

from directory.schedules import DAY_CODES, DAY_NAMES, format_date, validate_schedule

VOCABULARY_DIR = Path(__file__).resolve().parents[1] / "data" / "vocabularies"

# Listing fields holding one code from a vocabulary, and that vocabulary.
CHOICE_VOCABULARIES = {
    "kind": "kind",
    "status": "listing_status",
    "how_to_join": "how_to_join",
    "cost": "cost",
    "delivered_by": "delivered_by",
    "format": "format",
    "group_size": "group_size",
    "mental_health_focus": "mental_health_focus",
    "attendance": "attendance",
}
# Vocabularies a listing holds any number of terms from (under "terms"), with their labels.
TERM_VOCABULARIES = {
    "civic_domain": "CIVIC domains",
    "intervention_type": "Type of support",
    "chime_process": "Recovery processes (CHIME)",
    "recovery_outcome": "Outcomes",
    "audience": "Who it is for",
    "accessibility": "Accessibility",
}

# The most characters each text field may hold (the database columns' widths, and for the
# long texts what a reader will read).
LIMITS = {
    "name": 200,
    "summary": 300,
    "description": 5000,
    "cost_description": 300,
    "phone": 40,
    "email": 254,
    "url": 500,
    "welcome_statement": 1000,
    "language": 60,
}
PLACE_LIMITS = {"name": 200, "address_1": 200, "address_2": 200, "city": 100, "postcode": 10}
MIN_AGE, MAX_AGE = 0, 120
MIN_WEEKS, MAX_WEEKS = 1, 104

# An e-mail address: something, @, a domain with a dot; no spaces. Deliverability is not
# checked (no network). A web address: http(s), a host with a dot, then anything unspaced.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s/?#]*\.[^\s/?#]+(?:[/?#]\S*)?$", re.IGNORECASE)

MESSAGES = {
    "too_long": "This is {length} characters long; the most is {limit}.",
    "choice": "{input!r} is not one of: {choices}.",
    "email": "Enter an email address like name@example.org.",
    "url": "Enter a web address starting http:// or https://.",
    "age": f"Enter an age from {MIN_AGE} to {MAX_AGE}.",
    "age_order": "The maximum age must be more than the minimum age.",
    "weeks": f"Enter a number of weeks from {MIN_WEEKS} to {MAX_WEEKS}.",
    "course_weeks": "Enter how many weeks the course lasts.",
    "yes_no": "Answer yes or no.",
    "time": "Enter a time like 18:30.",
    "date": "Enter a date like 2026-01-31.",
    "whole_number": "Enter a whole number.",
    "coordinate": "Enter a latitude from -90 to 90 and a longitude from -180 to 180.",
    "postcode": "Enter the postcode.",
    "place": "Enter where it meets, or choose online.",
    "not_text": "Enter text.",
    "not_list": "Enter a list.",
    "next_date": "Enter the date of the next session, so the dates we show are the weeks it meets.",
    "next_date_day": "{date} is a {weekday}. Enter the date of the next {day} session.",
}
# What to say when a field that must be filled is empty.
REQUIRED = {
    "kind": "Choose the kind of listing.",
    "name": "Enter a name.",
    "summary": "Enter a one-sentence summary.",
    "description": "Describe what happens there.",
    "status": "Choose the status.",
    "how_to_join": "Choose how people join.",
    "cost": "Choose the cost.",
    "format": "Choose the format.",
    "attendance": "Choose in person or online.",
    "domains": "Choose at least one CIVIC domain.",
}
# Always required: the database can't hold a listing without them.
ALWAYS = frozenset({"kind", "name", "status", "how_to_join", "cost", "format", "attendance"})
# What else a way in may require. "domains": a CIVIC domain; "course_weeks": a course's
# length; "postcode": each place given has a postcode; "place": in person needs a place;
# "anchor": a session every other week or less often gives the date of its next session
# (:func:`anchor_problem`).
POSTED = frozenset(
    {"summary", "description", "domains", "course_weeks", "postcode", "place", "anchor"}
)
SPREADSHEET = frozenset({"course_weeks", "postcode", "place"})
FEED: frozenset[str] = frozenset()

# Term codes and names of each vocabulary: {vocabulary code: ((term code, term name), ...)}.
Vocabularies = Mapping[str, Sequence[tuple[str, str]]]


@cache
def read_vocabularies(directory: Path = VOCABULARY_DIR) -> dict[str, tuple[tuple[str, str], ...]]:
    """The terms of every vocabulary data file, as :data:`Vocabularies`.

    Cached: the files ship with the code.
    """
    found = {}
    for path in sorted(directory.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        found[raw["vocabulary"]] = tuple((t["code"], t["name"]) for t in raw["terms"])
    return found


def _word(text: str) -> str:
    return re.sub(r"[\s_\-]+", " ", text.strip().lower())


def match_term(terms: Sequence[tuple[str, str]], text: str) -> str | None:
    """The code of the term ``text`` names (its code or its name, loosely), or None."""
    wanted = _word(text)
    for code, name in terms:
        if wanted in (_word(code), _word(name)):
            return code
    return None


def parse_whole_number(value: Any) -> int | None:
    """A whole number from a cell or a typed value, or None if it isn't one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def is_email(text: str) -> bool:
    """Whether ``text`` is an e-mail address a listing may show."""
    return len(text) <= LIMITS["email"] and EMAIL_RE.match(text) is not None


def is_web_address(text: str) -> bool:
    """Whether ``text`` is a web address a listing may link to."""
    return len(text) <= LIMITS["url"] and URL_RE.match(text) is not None


def too_long(length: int, limit: int) -> str:
    """The message for text over its limit."""
    return MESSAGES["too_long"].format(length=length, limit=limit)


def anchor_problem(
    freq: str | None, interval: Any, byday: str | None, dtstart: dt.date | str | None
) -> str | None:
    """What is wrong with the date a session every few weeks counts from, or None.

    A weekly rule with an interval of 2 or more ("every other Tuesday") meets in some weeks
    and not others, and only the date of one real session says which: without it every
    date we print could be a week out. So that date (``dtstart``, asked for as "the date of
    the next session") is required, and must fall on one of the rule's days. Weekly and
    monthly rules that repeat every week or month need no date.
    """
    if freq != "WEEKLY" or not isinstance(interval, int) or isinstance(interval, bool):
        return None
    if interval < 2:
        return None
    if not dtstart:
        return MESSAGES["next_date"]
    date = dtstart if isinstance(dtstart, dt.date) else dt.date.fromisoformat(dtstart)
    codes = [part.strip().upper()[-2:] for part in (byday or "").split(",") if part.strip()]
    days = [DAY_CODES.index(code) for code in codes if code in DAY_CODES]
    if days and date.weekday() not in days:
        return MESSAGES["next_date_day"].format(
            date=format_date(date),
            weekday=DAY_NAMES[date.weekday()],
            day=" or ".join(DAY_NAMES[d] for d in days),
        )
    return None


# -- fields ------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class Text(fields.Field):
    """Text, trimmed; blank is None; longer than ``limit`` is an error."""

    def __init__(self, limit: int | None = None, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)
        self.limit = limit

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # a spreadsheet number such as a phone without its zero
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise ValidationError(MESSAGES["not_text"])
        text = str(value).strip()
        if self.limit is not None and len(text) > self.limit:
            raise ValidationError(too_long(len(text), self.limit))
        return text or None


class Pattern(Text):
    """Text that must match a pattern (an e-mail or web address)."""

    def __init__(self, check: Any, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check, self.message = check, message

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text is not None and not self.check(text):
            raise ValidationError(self.message)
        return text


class Choice(fields.Field):
    """One term of a vocabulary, by its code or its name (loosely); blank is None."""

    def __init__(self, vocabulary: str, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)
        self.vocabulary = vocabulary

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if _blank(value):
            return None
        return self.root.term(self.vocabulary, str(value))  # type: ignore[union-attr]


class WholeNumber(fields.Field):
    """A whole number from ``low`` to ``high``.

    One message for not a number and out of range, because the fix is the same.
    """

    def __init__(self, low: int, high: int, message: str, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)
        self.low, self.high, self.message = low, high, message

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int | None:
        if _blank(value):
            return None
        number = parse_whole_number(value)
        if number is None or not self.low <= number <= self.high:
            raise ValidationError(self.message)
        return number


YES = ("yes", "y", "true", "1", "on")
NO = ("no", "n", "false", "0", "off", "")


class YesNo(fields.Field):
    """Yes or no; blank is no."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> bool:
        if value is None or isinstance(value, bool):
            return bool(value)
        text = str(value).strip().lower()
        if text in YES or text in NO:
            return text in YES
        raise ValidationError(MESSAGES["yes_no"])


class Time(fields.Field):
    """A time of day (``datetime.time``, ``18:30``, ``18.30`` or ``18:30:00``), as ISO."""

    PATTERN = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)(?::([0-5]\d))?$")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if isinstance(value, dt.time):
            return value.replace(microsecond=0).isoformat()
        if _blank(value):
            return None
        match = self.PATTERN.match(str(value).strip())
        if not match:
            raise ValidationError(MESSAGES["time"])
        return dt.time(int(match[1]), int(match[2]), int(match[3] or 0)).isoformat()


class Date(fields.Field):
    """A date (``datetime.date`` or ``2026-01-31``), as ISO."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | None:
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        if _blank(value):
            return None
        try:
            return dt.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValidationError(MESSAGES["date"]) from None


class Coordinate(fields.Field):
    """A latitude or longitude within ``limit`` degrees of zero."""

    def __init__(self, limit: float, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)
        self.limit = limit

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError(MESSAGES["coordinate"])
        if not -self.limit <= value <= self.limit:
            raise ValidationError(MESSAGES["coordinate"])
        return float(value)


class Languages(fields.Field):
    """A list of languages, each trimmed and within its limit, without repeats."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if value is None:
            return []
        if isinstance(value, str) or not isinstance(value, Sequence):
            raise ValidationError(MESSAGES["not_list"])
        found: list[str] = []
        errors: dict[int, list[str]] = {}
        for index, item in enumerate(value):
            text = str(item).strip() if item is not None else ""
            if len(text) > LIMITS["language"]:
                errors[index] = [too_long(len(text), LIMITS["language"])]
            elif text and text not in found:
                found.append(text)
        if errors:
            raise ValidationError(errors)
        return found


class Terms(fields.Field):
    """The terms a listing has from each multi-choice vocabulary: {vocabulary: [codes]}.

    Codes come in the vocabulary's order, and every vocabulary is present.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_none=True, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> dict[str, list[str]]:
        value = value or {}
        if not isinstance(value, Mapping):
            raise ValidationError(MESSAGES["not_list"])
        schema = self.root
        result: dict[str, list[str]] = {}
        errors: dict[str, list[str]] = {}
        for vocabulary in TERM_VOCABULARIES:
            chosen: set[str] = set()
            items = value.get(vocabulary) or []
            if isinstance(items, str) or not isinstance(items, Sequence):
                errors[vocabulary] = [MESSAGES["not_list"]]
                continue
            for item in items:
                try:
                    code = schema.term(vocabulary, str(item))  # type: ignore[union-attr]
                except ValidationError as error:
                    errors.setdefault(vocabulary, []).extend(error.messages)  # type: ignore[arg-type]
                else:
                    chosen.add(code)
            order = schema.term_order(vocabulary)  # type: ignore[union-attr]
            result[vocabulary] = sorted(chosen, key=order.__getitem__)
        if errors:
            raise ValidationError(errors)  # type: ignore[arg-type]
        return result


# -- schemas -----------------------------------------------------------------------------


class PlaceInput(Schema):
    """One place a listing happens at.

    Its postcode is placed on the map by the way in (that needs a geocoder); here only
    its words are checked.
    """

    class Meta:
        unknown = EXCLUDE

    name = Text(PLACE_LIMITS["name"])
    address_1 = Text(PLACE_LIMITS["address_1"])
    address_2 = Text(PLACE_LIMITS["address_2"])
    city = Text(PLACE_LIMITS["city"])
    # As typed: the way in checks it with the geocoder, which gives back the postcode as
    # the table writes it (at most PLACE_LIMITS["postcode"] characters).
    postcode = Text()
    latitude = Coordinate(90)
    longitude = Coordinate(180)

    @pre_load
    def _every_field(self, data: Any, **kwargs: Any) -> Any:
        # Present as None when not given, so a missing key after loading means an error.
        if not isinstance(data, Mapping):
            return data
        return {name: data.get(name) for name in self.load_fields}


class ScheduleInput(Schema):
    """One regular session: an Open Referral UK schedule.

    The rule itself is checked by :func:`directory.schedules.validate_schedule`, whose
    messages are keyed by these field names.
    """

    class Meta:
        unknown = EXCLUDE

    freq = fields.String(allow_none=True)
    interval = fields.Raw(allow_none=True)
    byday = fields.String(allow_none=True)
    bymonthday = fields.String(allow_none=True)
    dtstart = Date()
    opens_at = Time()
    closes_at = Time()
    valid_from = Date()
    valid_to = Date()
    description = Text()

    @validates_schema
    def _rule(self, data: dict[str, Any], **kwargs: Any) -> None:
        dates = {key: data.get(key) for key in ("valid_from", "valid_to")}
        times = {key: data.get(key) for key in ("opens_at", "closes_at")}
        problems = validate_schedule(
            data.get("freq"),
            data.get("interval"),
            data.get("byday"),
            *(dt.time.fromisoformat(t) if t else None for t in times.values()),
            *(dt.date.fromisoformat(d) if d else None for d in dates.values()),
            data.get("bymonthday"),
        )
        if problems:
            raise ValidationError({key: [message] for key, message in problems.items()})


SCHEDULE_OUTPUT = (
    "freq",
    "interval",
    "byday",
    "bymonthday",
    "dtstart",
    "opens_at",
    "closes_at",
    "valid_from",
    "valid_to",
    "description",
)
PLACE_OUTPUT = ("name", "address_1", "address_2", "city", "postcode", "latitude", "longitude")


class ListingInput(Schema):
    """A listing as any way in gives it, checked and made into a lifecycle snapshot.

    ``vocabularies`` defaults to the data files; ``require`` names what this way in must
    give beyond :data:`ALWAYS` (see :data:`POSTED`). Errors are keyed by snapshot field:
    ``terms`` by vocabulary, ``locations`` and ``schedules`` by position, and a term that
    is not in its vocabulary is named in its message.
    """

    class Meta:
        unknown = EXCLUDE

    kind = Choice("kind")
    name = Text(LIMITS["name"])
    summary = Text(LIMITS["summary"])
    description = Text(LIMITS["description"])
    status = Choice("listing_status")
    phone = Text(LIMITS["phone"])
    email = Pattern(is_email, MESSAGES["email"])
    url = Pattern(is_web_address, MESSAGES["url"])
    how_to_join = Choice("how_to_join")
    cost = Choice("cost")
    cost_description = Text(LIMITS["cost_description"])
    min_age = WholeNumber(MIN_AGE, MAX_AGE, MESSAGES["age"])
    max_age = WholeNumber(MIN_AGE, MAX_AGE, MESSAGES["age"])
    languages = Languages()
    delivered_by = Choice("delivered_by")
    format = Choice("format")
    course_weeks = WholeNumber(MIN_WEEKS, MAX_WEEKS, MESSAGES["weeks"])
    first_visit_support = YesNo()
    group_size = Choice("group_size")
    mental_health_focus = Choice("mental_health_focus")
    welcome_statement = Text(LIMITS["welcome_statement"])
    attendance = Choice("attendance")
    terms = Terms()
    locations = fields.List(fields.Nested(PlaceInput), allow_none=True)
    schedules = fields.List(fields.Nested(ScheduleInput), allow_none=True)

    def __init__(
        self,
        vocabularies: Vocabularies | None = None,
        *,
        require: Collection[str] = POSTED,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.vocabularies = vocabularies if vocabularies is not None else read_vocabularies()
        self.require = ALWAYS | frozenset(require)
        self._term_orders: dict[str, dict[str, int]] = {}
        self._term_indexes: dict[str, dict[str, str]] = {}

    def term_order(self, vocabulary: str) -> dict[str, int]:
        """Each code's position in ``vocabulary``, for listing terms in vocabulary order."""
        if vocabulary not in self._term_orders:
            self._term_orders[vocabulary] = {
                code: position for position, (code, _) in enumerate(self.vocabularies[vocabulary])
            }
        return self._term_orders[vocabulary]

    def _term_index(self, vocabulary: str) -> dict[str, str]:
        """:func:`match_term` for ``vocabulary`` as a dict: loose word -> code, first wins."""
        if vocabulary not in self._term_indexes:
            index: dict[str, str] = {}
            for code, name in self.vocabularies[vocabulary]:
                index.setdefault(_word(code), code)
                index.setdefault(_word(name), code)
            self._term_indexes[vocabulary] = index
        return self._term_indexes[vocabulary]

    def term(self, vocabulary: str, text: str) -> str:
        """The code ``text`` names in ``vocabulary``.

        Raises a :class:`ValidationError` naming the choices if none.
        """
        terms = self.vocabularies[vocabulary]
        code = self._term_index(vocabulary).get(_word(text))
        if code is None:
            choices = ", ".join(c for c, _ in terms)
            raise ValidationError(MESSAGES["choice"].format(input=text.strip(), choices=choices))
        return code

    @pre_load
    def _every_field(self, data: Any, **kwargs: Any) -> Any:
        # A missing field is loaded as blank, so every field is in the snapshot.
        if not isinstance(data, Mapping):
            return data
        return {name: data.get(name) for name in self.load_fields} | {
            key: value for key, value in data.items() if key not in self.load_fields
        }

    @validates_schema(skip_on_field_errors=False)
    def _rules(self, data: dict[str, Any], **kwargs: Any) -> None:
        errors: dict[str, Any] = {}
        self._required(data, errors)
        self._ages_and_weeks(data, errors)
        self._places(data, errors)
        self._anchors(data, errors)
        if errors:
            raise ValidationError(errors)

    def _required(self, data: dict[str, Any], errors: dict[str, Any]) -> None:
        for name in sorted(self.require & REQUIRED.keys()):
            if name == "domains":
                if "terms" in data and not (data["terms"] or {}).get("civic_domain"):
                    errors["terms"] = {"civic_domain": [REQUIRED[name]]}
            elif name in data and data[name] is None:
                errors[name] = [REQUIRED[name]]

    def _ages_and_weeks(self, data: dict[str, Any], errors: dict[str, Any]) -> None:
        low, high = data.get("min_age"), data.get("max_age")
        if low is not None and high is not None and low > high:
            errors["max_age"] = [MESSAGES["age_order"]]
        if (
            "course_weeks" in self.require
            and data.get("format") == "course"
            and "course_weeks" in data
            and data["course_weeks"] is None
        ):
            errors["course_weeks"] = [MESSAGES["course_weeks"]]

    def _places(self, data: dict[str, Any], errors: dict[str, Any]) -> None:
        places = data.get("locations") or []
        if "postcode" in self.require:
            missing = {i: {"postcode": [MESSAGES["postcode"]]} for i, p in enumerate(places)
                       if "postcode" in p and not p["postcode"]}  # fmt: skip
            if missing:
                errors["locations"] = missing
        if (
            "place" in self.require
            and "locations" in data
            and not places
            and data.get("attendance") in ("in_person", "both")
        ):
            errors["locations"] = {0: {"postcode": [MESSAGES["place"]]}}

    def _anchors(self, data: dict[str, Any], errors: dict[str, Any]) -> None:
        if "anchor" not in self.require:
            return
        for index, schedule in enumerate(data.get("schedules") or []):
            problem = anchor_problem(
                schedule.get("freq"),
                schedule.get("interval"),
                schedule.get("byday"),
                schedule.get("dtstart"),
            )
            if problem:
                errors.setdefault("schedules", {}).setdefault(index, {})["dtstart"] = [problem]

    def load_listing(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """``data`` checked and made into a snapshot; raises :class:`ValidationError`."""
        loaded = self.load(data)
        return {
            **loaded,
            "languages": loaded.get("languages") or [],
            "first_visit_support": bool(loaded.get("first_visit_support")),
            "terms": loaded.get("terms") or {v: [] for v in TERM_VOCABULARIES},
            "summary": loaded.get("summary") or "",
            "description": loaded.get("description") or "",
            "locations": [
                {
                    key: (
                        place.get(key)
                        if key in ("name", "address_2", "latitude", "longitude")
                        else place.get(key) or ""
                    )
                    for key in PLACE_OUTPUT
                }
                for place in loaded.get("locations") or []
            ],  # fmt: skip
            "schedules": [
                {key: schedule.get(key) for key in SCHEDULE_OUTPUT}
                for schedule in loaded.get("schedules") or []
            ],
        }


def flatten(messages: Mapping[Any, Any], prefix: tuple = ()) -> list[tuple[tuple, str]]:
    """A :class:`ValidationError`'s messages as (path, message) pairs, in field order.

    For example ``(("email",), "Enter an email ...")`` or
    ``(("schedules", 0, "closes_at"), "...")``.
    """
    found: list[tuple[tuple, str]] = []
    for key, value in messages.items():
        path = (*prefix, key)
        if isinstance(value, Mapping):
            found += flatten(value, path)
        elif isinstance(value, list | tuple):
            for item in value:
                if isinstance(item, Mapping):
                    found += flatten(item, path)
                else:
                    found.append((path, str(item)))
        else:
            found.append((path, str(value)))
    return found


# Fields a feed may leave out when they break a rule.
OPTIONAL_FIELDS = frozenset(
    {"summary", "description", "phone", "email", "url", "cost_description", "min_age",
     "max_age", "languages", "delivered_by", "course_weeks", "group_size",
     "mental_health_focus", "welcome_statement"}
)  # fmt: skip


def load_leniently(
    schema: ListingInput, data: Mapping[str, Any]
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Load a listing from another system's feed, leniently.

    An optional value that breaks a rule is cut to its limit (text) or left out, and said
    in a warning (field, message); anything else still raises :class:`ValidationError`.
    Both ages go when they are the wrong way round, as neither can be trusted.
    """
    data = dict(data)
    warnings: list[tuple[str, str]] = []
    try:
        return schema.load_listing(data), warnings
    except ValidationError as error:
        messages = error.messages
    problems = flatten(messages)  # type: ignore[arg-type]
    fixable = [(path, message) for path, message in problems if path[0] in OPTIONAL_FIELDS]
    if len(fixable) < len(problems):
        raise ValidationError(messages)
    for (name, *_), message in fixable:
        value, limit = data.get(name), LIMITS.get(name)
        if isinstance(value, str) and limit and len(value.strip()) > limit:
            data[name] = value.strip()[: limit - 1].rstrip() + "…"
            warnings.append((name, f"{message} Cut short."))
            continue
        data[name] = None
        if message == MESSAGES["age_order"]:
            data["min_age"] = None
        warnings.append((name, f"{message} Left out."))
    return schema.load_listing(data), warnings
