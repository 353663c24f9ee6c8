"""The guided listing form, and the small forms of moderation and reporting."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from flask_wtf import FlaskForm
from marshmallow import ValidationError
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import DateInput, NumberInput

from directory import schedules
from directory.geo import Geocoder, GeocodingError
from directory.listings.cleaning import clean_listing_data
from directory.models import utcnow
from directory.rules.listing_input import POSTED, ListingInput, flatten
from directory.vocabularies import vocabulary


def options(vocabulary_code: str, blank: str | None = None) -> list[SelectChoice]:
    """A vocabulary's terms as choices, after a blank choice when ``blank`` is given."""
    terms = [SelectChoice(t.code, t.name) for t in vocabulary(vocabulary_code).terms]
    return ([SelectChoice("", blank)] if blank is not None else []) + terms


# The form checks nothing itself: the listing schema does (see ListingForm.validate), so a
# choice outside the options gets the schema's message, not WTForms' own.
def one(
    field: type[SelectField] | type[RadioField], label: str, code: str, **kwargs: Any
) -> UnboundField:
    """A single-choice field (select or radio) over a vocabulary's terms."""
    return field(label, choices=options(code, kwargs.pop("blank", None)),
                 validate_choice=False, **kwargs)  # fmt: skip


def many(vocabulary_code: str, label: str) -> UnboundField:
    """A multiple-choice field over a vocabulary's terms."""
    return SelectMultipleField(label, choices=options(vocabulary_code), validate_choice=False)


def number(label: str) -> UnboundField:
    """A whole number, kept as typed so the schema says what is wrong with it."""
    return StringField(label, widget=NumberInput())


def date(label: str) -> UnboundField:
    """A date (the browser's date picker sends YYYY-MM-DD), kept as typed."""
    return StringField(label, widget=DateInput())


class LocationForm(Form):
    """One place the listing happens at; the postcode is placed on the map when posted."""

    name = StringField("Venue name")
    address_1 = StringField("Street address")
    city = StringField("Town or city")
    postcode = StringField("Postcode")


PATTERNS = [
    SelectChoice("", "Choose one"),
    SelectChoice("weekly", "Every week"),
    SelectChoice("fortnightly", "Every other week (fortnightly)"),
    SelectChoice("every_3_weeks", "Every 3 weeks"),
    SelectChoice("every_4_weeks", "Every 4 weeks"),
    SelectChoice("monthly", "Once a month, on the same weekday (such as the first Tuesday)"),
]
# Each pattern as an Open Referral UK rule: (freq, interval).
PATTERN_RULES = {
    "weekly": ("WEEKLY", 1),
    "fortnightly": ("WEEKLY", 2),
    "every_3_weeks": ("WEEKLY", 3),
    "every_4_weeks": ("WEEKLY", 4),
    "monthly": ("MONTHLY", 1),
}
NTH = [
    SelectChoice("1", "First"),
    SelectChoice("2", "Second"),
    SelectChoice("3", "Third"),
    SelectChoice("4", "Fourth"),
    SelectChoice("-1", "Last"),
]
# The most sessions and places one listing's form offers ("Add another" stops there).
MAX_SESSIONS = 6
MAX_PLACES = 3


class ScheduleForm(Form):
    """One regular session: how often, which day, the next date and the times."""

    pattern = SelectField("How often", choices=PATTERNS, validators=[Optional()])
    day = SelectField(
        "Day",
        choices=[
            SelectChoice(c, n)
            for c, n in zip(schedules.DAY_CODES, schedules.DAY_NAMES, strict=True)
        ],
        validators=[Optional()],
    )
    nth = SelectField("Which week of the month", choices=NTH, validators=[Optional()])
    next_date = date("Date of the next session")
    opens_at = StringField("Starts (HH:MM)")
    closes_at = StringField("Ends (HH:MM)")
    valid_from = date("First date (optional)")
    valid_to = date("Last date (optional)")


# Where the schema's errors go on the form: snapshot field -> form field.
FORM_FIELDS = {
    "civic_domain": "domains",
    "intervention_type": "interventions",
    "chime_process": "chime",
    "recovery_outcome": "outcomes",
    "audience": "audiences",
    "accessibility": "accessibility",
}
PLACE_FIELDS = ("name", "address_1", "city", "postcode")
SCHEDULE_ERROR_FIELDS = ("opens_at", "closes_at", "valid_from", "valid_to")
# Schedule fields the form asks for under another name.
SCHEDULE_FORM_NAMES = {"dtstart": "next_date"}
TEXT_FIELDS = ("name", "summary", "description", "phone", "email", "url", "cost_description",
               "welcome_statement")  # fmt: skip
CHOICE_FIELDS = ("kind", "status", "how_to_join", "cost", "delivered_by", "format",
                 "group_size", "mental_health_focus", "attendance")  # fmt: skip


class ListingForm(FlaskForm):
    """The guided listing form; the listing schema checks what is sent."""

    kind = one(RadioField, "What kind of listing is it?", "kind")
    name = StringField("Name")
    summary = StringField("Summary in one sentence")
    description = TextAreaField("What happens there")
    domains = many("civic_domain", "Which CIVIC domains does it help with?")
    interventions = many("intervention_type", "Type of support")
    chime = many("chime_process", "Recovery processes (CHIME)")
    outcomes = many("recovery_outcome", "Outcomes")
    audiences = many("audience", "Who is it specifically for? (leave blank if open to all adults)")
    accessibility = many("accessibility", "Accessibility")
    how_to_join = one(RadioField, "How do people join?", "how_to_join")
    cost = one(RadioField, "Cost", "cost")
    cost_description = StringField("Cost details (optional)")
    min_age = number("Minimum age (optional)")
    max_age = number("Maximum age (optional)")
    languages = StringField("Languages, separated by commas", default="English")
    delivered_by = one(SelectField, "Who runs the sessions?", "delivered_by", blank="Choose one")
    format = one(RadioField, "Format", "format", default="ongoing")
    course_weeks = number("Course length in weeks")
    first_visit_support = BooleanField("Someone can go with a person the first time")
    group_size = one(SelectField, "Usual group size", "group_size", blank="Choose one")
    mental_health_focus = one(
        SelectField, "Mental health focus", "mental_health_focus", blank="Choose one"
    )
    welcome_statement = TextAreaField("Welcome statement (optional)")
    attendance = one(RadioField, "In person or online", "attendance", default="in_person")
    status = one(SelectField, "Status", "listing_status", default="active")
    phone = StringField("Phone (optional)")
    email = StringField("Email (optional)")
    url = StringField("Website (optional)")
    locations = FieldList(FormField(LocationForm), min_entries=1, max_entries=MAX_PLACES)
    schedules = FieldList(FormField(ScheduleForm), min_entries=1, max_entries=MAX_SESSIONS)

    _checked: dict[str, Any] | None = None

    def validate(self, extra_validators: Any = None) -> bool:
        """WTForms' checks (the CSRF token), then the listing schema's.

        Each error is shown beside the field it is about.
        """
        ok = super().validate(extra_validators)
        try:
            # Markup typed or pasted in is made safe (issue 18), as imports do.
            typed, _ = clean_listing_data(self.listing_input(), from_feed=False)
            self._checked = ListingInput(require=POSTED).load_listing(typed)
        except ValidationError as error:
            self._checked = None
            for path, message in flatten(error.messages):  # type: ignore[arg-type]
                self._field_for(path).errors.append(message)
            self._refresh_errors()
            return False
        return ok

    def listing_input(self) -> dict[str, Any]:
        """What was typed, as listing input for the schema."""
        data: dict[str, Any] = {name: getattr(self, name).data for name in TEXT_FIELDS}
        data |= {name: getattr(self, name).data for name in CHOICE_FIELDS}
        data |= {name: getattr(self, name).data for name in ("min_age", "max_age", "course_weeks")}
        data["first_visit_support"] = bool(self.first_visit_support.data)
        data["languages"] = [x.strip() for x in (self.languages.data or "").split(",")]
        data["terms"] = {code: getattr(self, field).data or [] for code, field in
                         FORM_FIELDS.items()}  # fmt: skip
        data["locations"] = [
            {name: entry.form[name].data for name in ("name", "address_1", "city", "postcode")}
            for entry in self._places()
        ]
        data["schedules"] = [_schedule_input(entry.form) for entry in self._sessions()]
        return data

    def _places(self) -> list[Any]:
        """The place rows with anything typed in them."""
        return [
            entry
            for entry in self.locations.entries
            if any(entry.form[name].data for name in ("name", "address_1", "city", "postcode"))
        ]

    def _sessions(self) -> list[Any]:
        """The session rows with a pattern chosen."""
        return [entry for entry in self.schedules.entries if entry.form.pattern.data]

    def _field_for(self, path: tuple) -> Any:
        """The form field a schema error is about."""
        head = path[0]
        if head == "terms":
            return getattr(self, FORM_FIELDS[path[1]])
        if head == "locations" and len(path) > 2:
            places = self._places() or self.locations.entries
            return places[path[1]].form[path[2] if path[2] in PLACE_FIELDS else "postcode"]
        if head == "schedules" and len(path) > 2:
            sub = self._sessions()[path[1]].form
            if path[2] in SCHEDULE_FORM_NAMES:
                return sub[SCHEDULE_FORM_NAMES[path[2]]]
            return sub[path[2]] if path[2] in SCHEDULE_ERROR_FIELDS else sub.day
        return getattr(self, head)

    def _refresh_errors(self) -> None:
        # FieldList keeps the errors it saw at validate(); add the ones found since.
        for rows in (self.locations, self.schedules):
            found = [entry.errors for entry in rows.entries]
            rows.errors = found if any(found) else []
        self._errors = None

    def to_snapshot(self, geocoder: Geocoder) -> dict[str, Any] | None:
        """The listing data, or None with errors added to the fields that caused them.

        Call after :meth:`validate`; this places each postcode on the map.
        """
        if self._checked is None:
            return None
        data = dict(self._checked)
        locations = []
        for entry, place in zip(self._places(), data["locations"], strict=True):
            found = locate_postcode(entry.form.postcode, geocoder)
            if found is not None:
                locations.append({**place, **found})
        if len(locations) < len(data["locations"]):
            self._refresh_errors()
            return None
        data["locations"] = locations if data["attendance"] != "online" else []
        if data["format"] != "course":
            data["course_weeks"] = None
        return data

    def fill_from(self, data: dict[str, Any]) -> None:
        """Prefill from a listing snapshot (for editing)."""
        for name in (*TEXT_FIELDS, *CHOICE_FIELDS, "min_age", "max_age", "course_weeks",
                     "first_visit_support"):  # fmt: skip
            getattr(self, name).data = data.get(name)
        self.languages.data = ", ".join(data.get("languages") or [])
        terms = data.get("terms", {})
        for code, field in FORM_FIELDS.items():
            getattr(self, field).data = terms.get(code, [])
        for _ in range(len(data.get("locations", [])) - len(self.locations.entries)):
            self.locations.append_entry()
        for entry, loc in zip(self.locations.entries, data.get("locations", []), strict=False):
            for name in ("name", "address_1", "city", "postcode"):
                getattr(entry.form, name).data = loc.get(name)
        for _ in range(len(data.get("schedules", [])) - len(self.schedules.entries)):
            self.schedules.append_entry()
        for entry, sched in zip(self.schedules.entries, data.get("schedules", []), strict=False):
            _fill_schedule(entry.form, sched)


def _fill_schedule(sub: ScheduleForm, sched: dict[str, Any]) -> None:
    """Prefill a session row from a snapshot's schedule."""
    byday = (sched.get("byday") or "").split(",")[0]
    rule = (sched.get("freq"), sched.get("interval") or 1)
    if sched.get("freq") == "MONTHLY":
        sub.pattern.data, sub.nth.data, sub.day.data = "monthly", byday[:-2], byday[-2:]
    else:
        found = [code for code, value in PATTERN_RULES.items() if value == rule]
        sub.pattern.data = found[0] if found else "weekly"
        sub.day.data = byday
    for name in ("valid_from", "valid_to"):
        sub[name].data = sched.get(name)
    for name in ("opens_at", "closes_at"):
        # Stored as "18:30:00"; the field asks for HH:MM, so show it that way.
        sub[name].data = (sched.get(name) or "")[:5] or None
    sub.next_date.data = _next_date(sched)


def _next_date(sched: dict[str, Any]) -> str | None:
    """The date of the next session of a rule every few weeks, as the listing prints it.

    So an edit keeps the weeks the listing shows now (and the editor can correct them).
    """
    if sched.get("freq") != "WEEKLY" or (sched.get("interval") or 1) < 2:
        return None
    values = {
        key: (
            dt.date.fromisoformat(sched[key])
            if key in ("dtstart", "valid_from", "valid_to") and sched.get(key)
            else sched.get(key)
        )
        for key in ("freq", "interval", "byday", "bymonthday", "dtstart", "valid_from", "valid_to")
    }
    opens = sched.get("opens_at")
    rule = SimpleNamespace(**values, opens_at=dt.time.fromisoformat(opens) if opens else None)
    try:
        found = schedules.next_occurrences(rule, utcnow().replace(hour=0, minute=0), 1)
    except schedules.ScheduleError:
        return None
    return found[0].date().isoformat() if found else None


def _schedule_input(sub: ScheduleForm) -> dict[str, Any]:
    """A session row as schedule input; a rule every few weeks counts from its next date."""
    freq, interval = PATTERN_RULES.get(sub.pattern.data, ("WEEKLY", 1))
    return {
        "freq": freq,
        "interval": interval,
        "byday": f"{sub.nth.data}{sub.day.data}" if freq == "MONTHLY" else sub.day.data,
        "bymonthday": None,
        "dtstart": sub.next_date.data if interval > 1 else None,
        "opens_at": sub.opens_at.data,
        "closes_at": sub.closes_at.data,
        "valid_from": sub.valid_from.data,
        "valid_to": sub.valid_to.data,
        "description": None,
    }


def locate_postcode(field: StringField, geocoder: Geocoder) -> dict[str, Any] | None:
    """The postcode placed on the map, or None with the reason beside it."""
    try:
        place = geocoder.geocode(field.data)
    except GeocodingError as error:
        field.errors.append(str(error))
        return None
    if place.precision != "postcode":
        field.errors.append(
            f"We couldn't find {field.data.strip().upper()}. Check the full postcode."
        )
        return None
    return {
        "postcode": place.matched,
        "latitude": round(place.latitude, 6),
        "longitude": round(place.longitude, 6),
    }


class DecisionForm(FlaskForm):
    """A moderator's decision on a pending listing or change, with an optional reason."""

    reason = TextAreaField(
        "Reason (the editor will see it)", validators=[Optional(), Length(max=1000)]
    )


class ReportForm(FlaskForm):
    """Report a problem with a listing."""

    kind = RadioField(
        "What is wrong?",
        choices=[
            SelectChoice("closed", "It has closed"),
            SelectChoice("wrong_time_place", "Wrong time or place"),
            SelectChoice("wrong_contact", "Wrong contact details"),
            SelectChoice("not_as_described", "Not as described"),
            SelectChoice("other", "Something else"),
        ],
        validators=[DataRequired("Choose what is wrong.")],
    )
    text = TextAreaField(
        "Tell us more", validators=[DataRequired("Tell us what is wrong."), Length(max=2000)]
    )


class ResolveForm(FlaskForm):
    """Close a problem report with its outcome."""

    outcome = RadioField(
        "Outcome",
        choices=[
            SelectChoice("fixed", "Fixed the listing"),
            SelectChoice("still_running", "Checked: still running as listed"),
            SelectChoice("closed", "It has closed: close the listing"),
            SelectChoice("dismissed", "Not a problem"),
        ],
        validators=[DataRequired("Choose an outcome.")],
    )
    note = StringField("Note (optional)", validators=[Optional(), Length(max=500)])
