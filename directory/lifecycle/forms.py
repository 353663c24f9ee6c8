"""The guided listing form, and the small forms of moderation and reporting."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional

from directory import schedules
from directory.geo import Geocoder, GeocodingError
from directory.vocabularies import vocabulary

TIME = re.compile(r"^([01]?\d|2[0-3])[:.]([0-5]\d)$")


def options(vocabulary_code: str, blank: str | None = None) -> list[SelectChoice]:
    terms = [SelectChoice(t.code, t.name) for t in vocabulary(vocabulary_code).terms]
    return ([SelectChoice("", blank)] if blank is not None else []) + terms


def many(vocabulary_code: str, label: str, required: str | None = None) -> SelectMultipleField:
    return SelectMultipleField(
        label,
        choices=options(vocabulary_code),
        validators=[DataRequired(required)] if required else [Optional()],
    )


class LocationForm(Form):
    name = StringField("Venue name", validators=[Optional(), Length(max=200)])
    address_1 = StringField("Street address", validators=[Optional(), Length(max=200)])
    city = StringField("Town or city", validators=[Optional(), Length(max=100)])
    postcode = StringField("Postcode", validators=[Optional(), Length(max=10)])


PATTERNS = [
    SelectChoice("", "No session"),
    SelectChoice("weekly", "Every week"),
    SelectChoice("fortnightly", "Every other week"),
    SelectChoice("monthly", "Monthly, on the nth weekday"),
]
NTH = [
    SelectChoice("1", "First"),
    SelectChoice("2", "Second"),
    SelectChoice("3", "Third"),
    SelectChoice("4", "Fourth"),
    SelectChoice("-1", "Last"),
]


class ScheduleForm(Form):
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
    opens_at = StringField("Starts (HH:MM)", validators=[Optional(), Length(max=5)])
    closes_at = StringField("Ends (HH:MM)", validators=[Optional(), Length(max=5)])
    valid_from = DateField("First date (optional)", validators=[Optional()])
    valid_to = DateField("Last date (optional)", validators=[Optional()])


class ListingForm(FlaskForm):
    kind = RadioField(
        "What kind of listing is it?",
        choices=options("kind"),
        validators=[DataRequired("Choose the kind of listing.")],
    )
    name = StringField("Name", validators=[DataRequired("Enter a name."), Length(max=200)])
    summary = StringField(
        "Summary in one sentence",
        validators=[DataRequired("Enter a one-sentence summary."), Length(max=300)],
    )
    description = TextAreaField(
        "What happens there",
        validators=[DataRequired("Describe what happens there."), Length(max=5000)],
    )
    domains = many(
        "civic_domain",
        "Which CIVIC domains does it help with?",
        "Choose at least one CIVIC domain.",
    )
    interventions = many("intervention_type", "Type of support")
    chime = many("chime_process", "Recovery processes (CHIME)")
    outcomes = many("recovery_outcome", "Outcomes")
    audiences = many("audience", "Who is it specifically for? (leave blank if open to all adults)")
    accessibility = many("accessibility", "Accessibility")
    how_to_join = RadioField(
        "How do people join?",
        choices=options("how_to_join"),
        validators=[DataRequired("Choose how people join.")],
    )
    cost = RadioField(
        "Cost", choices=options("cost"), validators=[DataRequired("Choose the cost.")]
    )
    cost_description = StringField(
        "Cost details (optional)", validators=[Optional(), Length(max=300)]
    )
    min_age = IntegerField(
        "Minimum age (optional)",
        validators=[Optional(), NumberRange(0, 120, "Enter an age from 0 to 120.")],
    )
    max_age = IntegerField(
        "Maximum age (optional)",
        validators=[Optional(), NumberRange(0, 120, "Enter an age from 0 to 120.")],
    )
    languages = StringField(
        "Languages, separated by commas",
        default="English",
        validators=[Optional(), Length(max=300)],
    )
    delivered_by = SelectField(
        "Who runs the sessions?",
        choices=options("delivered_by", "Choose one"),
        validators=[Optional()],
    )
    format = RadioField(
        "Format",
        choices=options("format"),
        default="ongoing",
        validators=[DataRequired("Choose the format.")],
    )
    course_weeks = IntegerField(
        "Course length in weeks",
        validators=[Optional(), NumberRange(1, 104, "Enter 1 to 104 weeks.")],
    )
    first_visit_support = BooleanField("Someone can go with a person the first time")
    group_size = SelectField(
        "Usual group size", choices=options("group_size", "Choose one"), validators=[Optional()]
    )
    mental_health_focus = SelectField(
        "Mental health focus",
        choices=options("mental_health_focus", "Choose one"),
        validators=[Optional()],
    )
    welcome_statement = TextAreaField(
        "Welcome statement (optional)", validators=[Optional(), Length(max=1000)]
    )
    attendance = RadioField(
        "In person or online",
        choices=options("attendance"),
        default="in_person",
        validators=[DataRequired("Choose in person or online.")],
    )
    status = SelectField(
        "Status", choices=options("listing_status"), default="active", validators=[DataRequired()]
    )
    phone = StringField("Phone (optional)", validators=[Optional(), Length(max=40)])
    email = StringField(
        "Email (optional)",
        validators=[
            Optional(),
            Length(max=254),
            Email("Enter an email address like name@example.org.", check_deliverability=False),
        ],
    )
    url = StringField(
        "Website (optional)",
        validators=[
            Optional(),
            Length(max=500),
            URL(message="Enter a web address starting http:// or https://."),
        ],
    )
    locations = FieldList(FormField(LocationForm), min_entries=2, max_entries=2)
    schedules = FieldList(FormField(ScheduleForm), min_entries=3, max_entries=3)

    def to_snapshot(self, geocoder: Geocoder) -> dict[str, Any] | None:
        """The listing data, or None with errors added to the fields that caused them."""
        ok = True
        if (
            self.min_age.data is not None
            and self.max_age.data is not None
            and self.min_age.data > self.max_age.data
        ):
            self.max_age.errors.append("The maximum age must be more than the minimum age.")
            ok = False
        if self.format.data == "course" and not self.course_weeks.data:
            self.course_weeks.errors.append("Enter how many weeks the course lasts.")
            ok = False
        locations = []
        for entry in self.locations:
            sub = entry.form
            if not any((sub.name.data, sub.address_1.data, sub.city.data, sub.postcode.data)):
                continue
            if not sub.postcode.data:
                sub.postcode.errors.append("Enter the postcode.")
                ok = False
                continue
            try:
                place = geocoder.geocode(sub.postcode.data)
            except GeocodingError as error:
                sub.postcode.errors.append(str(error))
                ok = False
                continue
            if place.precision != "postcode":
                sub.postcode.errors.append(
                    f"We couldn't find {sub.postcode.data.strip().upper()}. "
                    "Check the full postcode."
                )
                ok = False
                continue
            locations.append(
                {
                    "name": sub.name.data or None,
                    "address_1": sub.address_1.data or "",
                    "address_2": None,
                    "city": sub.city.data or "",
                    "postcode": place.matched,
                    "latitude": round(place.latitude, 6),
                    "longitude": round(place.longitude, 6),
                }
            )
        if self.attendance.data in ("in_person", "both") and not locations and ok:
            self.locations.entries[0].form.postcode.errors.append(
                "Enter where it meets, or choose online."
            )
            ok = False
        sessions = []
        for entry in self.schedules:
            sub = entry.form
            if not sub.pattern.data:
                continue
            schedule = self._schedule(sub)
            if schedule is None:
                ok = False
            else:
                sessions.append(schedule)
        if not ok:
            # FieldList keeps the errors it saw at validate(); add the ones found since.
            for rows in (self.locations, self.schedules):
                found = [entry.errors for entry in rows.entries]
                rows.errors = found if any(found) else []
            return None
        return {
            "kind": self.kind.data,
            "name": self.name.data.strip(),
            "summary": self.summary.data.strip(),
            "description": self.description.data.strip(),
            "status": self.status.data,
            "phone": self.phone.data or None,
            "email": self.email.data or None,
            "url": self.url.data or None,
            "how_to_join": self.how_to_join.data,
            "cost": self.cost.data,
            "cost_description": self.cost_description.data or None,
            "min_age": self.min_age.data,
            "max_age": self.max_age.data,
            "languages": [x.strip() for x in (self.languages.data or "").split(",") if x.strip()],
            "delivered_by": self.delivered_by.data or None,
            "format": self.format.data,
            "course_weeks": self.course_weeks.data if self.format.data == "course" else None,
            "first_visit_support": bool(self.first_visit_support.data),
            "group_size": self.group_size.data or None,
            "mental_health_focus": self.mental_health_focus.data or None,
            "welcome_statement": self.welcome_statement.data or None,
            "attendance": self.attendance.data,
            "terms": {
                "civic_domain": self.domains.data,
                "intervention_type": self.interventions.data,
                "chime_process": self.chime.data,
                "recovery_outcome": self.outcomes.data,
                "audience": self.audiences.data,
                "accessibility": self.accessibility.data,
            },
            "locations": locations if self.attendance.data != "online" else [],
            "schedules": sessions,
        }

    @staticmethod
    def _schedule(sub: ScheduleForm) -> dict[str, Any] | None:
        opens, closes = _time(sub.opens_at), _time(sub.closes_at)
        if opens is False or closes is False:
            return None
        freq = "MONTHLY" if sub.pattern.data == "monthly" else "WEEKLY"
        interval = 2 if sub.pattern.data == "fortnightly" else 1
        byday = f"{sub.nth.data}{sub.day.data}" if freq == "MONTHLY" else sub.day.data
        problems = schedules.validate_schedule(
            freq, interval, byday, opens, closes, sub.valid_from.data, sub.valid_to.data
        )
        for field_name, message in problems.items():
            target = {"closes_at": sub.closes_at, "valid_to": sub.valid_to}.get(field_name, sub.day)
            target.errors.append(message)
        if problems:
            return None
        anchor = sub.valid_from.data or dt.date.today()
        return {
            "freq": freq,
            "interval": interval,
            "byday": byday,
            "bymonthday": None,
            "dtstart": anchor.isoformat() if interval > 1 else None,
            "opens_at": opens.isoformat(timespec="minutes") if opens else None,
            "closes_at": closes.isoformat(timespec="minutes") if closes else None,
            "valid_from": sub.valid_from.data.isoformat() if sub.valid_from.data else None,
            "valid_to": sub.valid_to.data.isoformat() if sub.valid_to.data else None,
            "description": None,
        }

    def fill_from(self, data: dict[str, Any]) -> None:
        """Prefill from a listing snapshot (for editing)."""
        for name in (
            "kind",
            "name",
            "summary",
            "description",
            "how_to_join",
            "cost",
            "cost_description",
            "min_age",
            "max_age",
            "delivered_by",
            "format",
            "course_weeks",
            "first_visit_support",
            "group_size",
            "mental_health_focus",
            "welcome_statement",
            "attendance",
            "status",
            "phone",
            "email",
            "url",
        ):
            getattr(self, name).data = data.get(name)
        self.languages.data = ", ".join(data.get("languages") or [])
        terms = data.get("terms", {})
        self.domains.data = terms.get("civic_domain", [])
        self.interventions.data = terms.get("intervention_type", [])
        self.chime.data = terms.get("chime_process", [])
        self.outcomes.data = terms.get("recovery_outcome", [])
        self.audiences.data = terms.get("audience", [])
        self.accessibility.data = terms.get("accessibility", [])
        for entry, loc in zip(self.locations.entries, data.get("locations", []), strict=False):
            for name in ("name", "address_1", "city", "postcode"):
                getattr(entry.form, name).data = loc.get(name)
        for entry, sched in zip(self.schedules.entries, data.get("schedules", []), strict=False):
            sub = entry.form
            byday = (sched.get("byday") or "").split(",")[0]
            if sched.get("freq") == "MONTHLY":
                sub.pattern.data, sub.nth.data, sub.day.data = "monthly", byday[:-2], byday[-2:]
            else:
                sub.pattern.data = "fortnightly" if (sched.get("interval") or 1) == 2 else "weekly"
                sub.day.data = byday
            sub.opens_at.data = sched.get("opens_at")
            sub.closes_at.data = sched.get("closes_at")
            sub.valid_from.data = (
                dt.date.fromisoformat(sched["valid_from"]) if sched.get("valid_from") else None
            )
            sub.valid_to.data = (
                dt.date.fromisoformat(sched["valid_to"]) if sched.get("valid_to") else None
            )


def _time(field: StringField) -> dt.time | None | bool:
    """A typed time as ``datetime.time``; None if blank; False (with an error) if bad."""
    if not field.data:
        return None
    match = TIME.match(field.data.strip())
    if not match:
        field.errors.append("Enter a time like 18:30.")
        return False
    return dt.time(int(match.group(1)), int(match.group(2)))


class DecisionForm(FlaskForm):
    reason = TextAreaField(
        "Reason (the editor will see it)", validators=[Optional(), Length(max=1000)]
    )


class ReportForm(FlaskForm):
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
