"""The listing form in short steps, then "Check your answers" (the GOV.UK pattern).

Every step posts the whole listing: the fields of the step as inputs and everything else
as hidden fields, so what was typed is kept across steps, errors and "Add another"
without storing anything between requests (a description can be 5,000 characters, too
much for a cookie). Only the step's own fields are checked when it is posted; everything
is checked again, and the postcodes placed, before "Check your answers" and on submit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from directory.geo import Geocoder
from directory.lifecycle.forms import MAX_PLACES, MAX_SESSIONS, ListingForm, locate_postcode
from directory.rules.domain_suggestion import ListingText, suggest


@dataclass(frozen=True)
class Step:
    """One page of the listing form: its address in the flow, heading and fields."""

    code: str
    title: str
    fields: tuple[str, ...]


STEPS = (
    Step("about", "What it is", ("kind", "name", "summary", "description")),
    Step("domains", "What it helps with", ("domains",)),
    Step("when", "When it meets", ("schedules",)),
    Step("where", "Where it meets", ("attendance", "locations")),
    Step(
        "joining",
        "Joining, cost and contact",
        ("how_to_join", "cost", "cost_description", "phone", "email", "url"),
    ),
    Step(
        "suits",
        "Who it suits (optional details)",
        (
            "delivered_by",
            "format",
            "course_weeks",
            "first_visit_support",
            "group_size",
            "mental_health_focus",
            "welcome_statement",
            "min_age",
            "max_age",
            "languages",
            "audiences",
            "accessibility",
            "interventions",
            "chime",
            "outcomes",
        ),
    ),  # fmt: skip
)
BY_CODE = {step.code: step for step in STEPS}
CHECK = "check"


def step_named(code: str | None) -> Step:
    """The step called ``code``; the first one for anything else."""
    return BY_CODE.get(code or "", STEPS[0])


def following(step: Step) -> str:
    """The code of the step after ``step`` ("check" after the last)."""
    position = STEPS.index(step)
    return STEPS[position + 1].code if position + 1 < len(STEPS) else CHECK


def preceding(step: Step) -> str:
    """The code of the step before ``step`` (the first stays first)."""
    return STEPS[max(STEPS.index(step) - 1, 0)].code


def step_of_field(name: str) -> str:
    """The code of the step that asks for form field ``name``."""
    return next((step.code for step in STEPS if name in step.fields), STEPS[0].code)


def _clear_errors(field: Any) -> None:
    if field.type == "FieldList":
        for entry in field.entries:
            for sub in entry.form:
                sub.errors = []
    else:
        field.errors = []


def keep_errors_of(form: ListingForm, step: Step) -> bool:
    """Forget the errors of fields outside ``step``; whether any are left on it.

    Call after ``form.validate()``: a step is checked on its own, so a later step's empty
    fields don't stop someone moving on.
    """
    for field in form:
        if field.name not in step.fields and field.name != "csrf_token":
            _clear_errors(field)
    form._refresh_errors()
    return bool(form.errors)


def check_step(form: ListingForm, step: Step, geocoder: Geocoder) -> bool:
    """Whether the fields of ``step`` are right; errors are added beside the wrong ones.

    On "Where it meets", each postcode is looked up too, so one we can't find is said at
    the field before moving on.
    """
    form.validate()
    if keep_errors_of(form, step):
        return False
    if step.code == "where" and form.attendance.data != "online":
        for entry in form._places():
            locate_postcode(entry.form.postcode, geocoder)
        form._refresh_errors()
    return not form.errors


def first_step_with_errors(form: ListingForm) -> Step:
    """The first step with a field in error (after a whole-form check)."""
    wrong = [field.name for field in form if field.errors and field.name != "csrf_token"]
    for step in STEPS:
        if any(name in step.fields for name in wrong):
            return step
    return STEPS[0]


def add_another(form: ListingForm, what: str) -> None:
    """One more empty session or place block, up to the most the form offers."""
    rows, most = (
        (form.schedules, MAX_SESSIONS) if what == "session" else (form.locations, MAX_PLACES)
    )
    if len(rows.entries) < most:
        rows.append_entry()


def suggested_domains(form: ListingForm) -> list[Any]:
    """The CIVIC domains the name and description suggest (:func:`suggest`), with reasons."""
    text = ListingText.of(form.name.data or "", form.description.data or "")
    return suggest(text).domains


def accept_suggestions(form: ListingForm) -> None:
    """Tick the suggested domains, keeping any already ticked."""
    chosen = list(form.domains.data or [])
    form.domains.data = chosen + [d.code for d in suggested_domains(form) if d.code not in chosen]


# -- check your answers ------------------------------------------------------------------

# What "Check your answers" shows for each step: (snapshot field, words), in order.
ANSWERS = {
    "about": (("kind", "Kind"), ("name", "Name"), ("summary", "Summary"),
              ("description", "What happens there")),
    "joining": (("how_to_join", "How to join"), ("cost", "Cost"),
                ("cost_description", "Cost details"), ("phone", "Phone"), ("email", "Email"),
                ("url", "Website")),
    "suits": (("delivered_by", "Run by"), ("format", "Format"),
              ("course_weeks", "Course length (weeks)"),
              ("first_visit_support", "Someone can go with a person the first time"),
              ("group_size", "Group size"), ("mental_health_focus", "Mental health focus"),
              ("welcome_statement", "Welcome statement"), ("min_age", "Minimum age"),
              ("max_age", "Maximum age"), ("languages", "Languages")),
}  # fmt: skip
# Vocabularies whose terms "Who it suits" lists, after the fields above.
SUITS_TERMS = ("audience", "accessibility", "intervention_type", "chime_process",
               "recovery_outcome")  # fmt: skip


@dataclass(frozen=True)
class Answer:
    """One row of "Check your answers": what was asked, the answer, and extra lines."""

    label: str
    value: str
    lines: tuple[str, ...] = ()


def answers(data: dict[str, Any], now: Any) -> dict[str, list[Answer]]:
    """The rows of "Check your answers" for a checked listing snapshot, by step code.

    Sessions say their next three dates, counted as the listing page will count them, so
    the poster sees that a fortnightly group's dates follow the date they gave.
    """
    from directory.lifecycle.services import TERM_VOCABULARIES, field_words, next_session_dates
    from directory.vocabularies import label

    found: dict[str, list[Answer]] = {}
    for code, rows in ANSWERS.items():
        found[code] = [
            Answer(words, field_words(name, data.get(name)))
            for name, words in rows
            if code != "suits" or data.get(name) not in (None, "", [], False)
        ]
    found["suits"] += [
        Answer(TERM_VOCABULARIES[v], ", ".join(label(v, c) for c in data["terms"].get(v, [])))
        for v in SUITS_TERMS
        if data["terms"].get(v)
    ]
    domains = data["terms"].get("civic_domain", [])
    found["domains"] = [
        Answer("CIVIC domains", ", ".join(label("civic_domain", c) for c in domains))
    ]
    found["when"] = [
        Answer(f"Session {i}", words, tuple(dates))
        for i, (words, dates) in enumerate(next_session_dates(data["schedules"], now), start=1)
    ] or [Answer("Sessions", "No regular sessions")]
    places = [
        ", ".join(str(p[k]) for k in ("name", "address_1", "city", "postcode") if p.get(k))
        for p in data["locations"]
    ]
    found["where"] = [Answer("In person or online", field_words("attendance", data["attendance"]))]
    found["where"] += [Answer(f"Place {i}", p) for i, p in enumerate(places, start=1)]
    return found
