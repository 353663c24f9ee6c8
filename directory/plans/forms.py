"""Forms for shortlists, the plan builder, sharing and uptake."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from directory import schedules
from directory.plans.conversation import TALKED_CHOICES
from directory.plans.labels import LABEL_MAX, label_problem
from directory.rules import uptake
from directory.rules.plan_selection import DEFAULT_SIZE, NETWORK_TYPES, PlanRequest
from directory.vocabularies import vocabulary

RADIUS_CHOICES = [SelectChoice(str(km), f"{km} km") for km in (1, 2, 3, 5, 10, 20)]
SIZE_CHOICES = [SelectChoice(str(n), str(n)) for n in range(1, 6)]
COST_CHOICES = [
    SelectChoice("any", "Any cost"),
    SelectChoice("low_cost", "Free or low cost"),
    SelectChoice("free", "Free only"),
]
FOCUS_CHOICES = [
    SelectChoice("", "Either"),
    SelectChoice("specific", "Mental-health specific"),
    SelectChoice("mainstream", "Mainstream and welcoming"),
]
FREE_TIMES = [f"{day}-{part}" for day in schedules.DAY_CODES for part in schedules.PARTS_OF_DAY]
UPTAKE_LABELS = uptake.LABELS


def _terms(vocabulary_code: str) -> list[SelectChoice]:
    return [SelectChoice(t.code, t.name) for t in vocabulary(vocabulary_code).terms]


def _label_rules(form, field) -> None:
    if problem := label_problem(field.data):
        raise ValidationError(problem)


class LabelForm(FlaskForm):
    """A shortlist's label: the practitioner's own words, never patient details."""

    label = StringField(
        "Label for this shortlist",
        validators=[Length(max=LABEL_MAX + 20), _label_rules],
    )


class AddToShortlistForm(FlaskForm):
    """Add a listing to a shortlist: a chosen one, a new one, or the working one."""

    shortlist = StringField("Shortlist", validators=[Optional(), Length(max=12)])
    label = StringField("Label for a new shortlist", validators=[Optional(), Length(max=200)])
    next = HiddenField(validators=[Optional(), Length(max=2000)])


class ConfirmForm(FlaskForm):
    """A button that only needs its CSRF token."""


class EmailForm(FlaskForm):
    """An address to send the hand-out to: used once, never stored."""

    address = EmailField(
        "Email address to send it to",
        validators=[
            DataRequired("Enter the email address to send the list to."),
            Length(max=254),
            Email("Enter an email address like name@example.com.", check_deliverability=False),
        ],
    )


class HandoverForm(FlaskForm):
    """Hand a plan to a colleague, by their work email, or to a team (issue 21).

    The service says what is wrong with either (:func:`directory.plans.services.hand_over`).
    """

    email = EmailField(
        "Your colleague's work email address",
        validators=[Optional(), Length(max=254)],
    )
    team = SelectField("Or a team", choices=[], validate_choice=False, validators=[Optional()])

    def set_teams(self, teams) -> HandoverForm:
        """Offer ``teams`` (organisations), after "No team"."""
        self.team.choices = [SelectChoice("", "No team: to the colleague above")] + [
            SelectChoice(t.id, t.name) for t in teams
        ]
        return self


class PlanForm(FlaskForm):
    """What the person wants to work on, and what suits them.

    Read from the query string (a plan is a question, not a change), so it has no CSRF
    token.
    """

    class Meta:
        csrf = False

    domain = SelectMultipleField(
        "What they want to work on",
        choices=_terms("civic_domain"),
        validators=[DataRequired("Choose at least one CIVIC domain.")],
    )
    network = RadioField(
        "Their personal network, if you know it",
        choices=[SelectChoice("", "Not sure")] + _terms("network_type"),
        default="",
        validators=[Optional()],
    )
    postcode = StringField(
        "Home postcode",
        validators=[DataRequired("Enter the postcode they live in."), Length(max=12)],
    )
    radius = SelectField("How far they can travel", choices=RADIUS_CHOICES, default="5")
    free = SelectMultipleField(
        "When they are free",
        choices=[SelectChoice(t, t) for t in FREE_TIMES],
        validators=[Optional()],
    )
    cost = RadioField("Cost", choices=COST_CHOICES, default="any")
    peer_led = BooleanField("Peer-led")
    first_visit = BooleanField("Someone to go with them the first time")
    focus = RadioField("Mental health focus", choices=FOCUS_CHOICES, default="")
    online = BooleanField("Include online options")
    size = SelectField("How many options", choices=SIZE_CHOICES, default=str(DEFAULT_SIZE))
    pin = SelectMultipleField(validate_choice=False, validators=[Optional()])
    # From the CIVIC check (issue 21): the plan was pre-filled from the conversation, and
    # what the person wants printed under "What we talked about". Carried with the
    # question to the hand-out's print request; never stored.
    conversation = HiddenField(validators=[Optional(), Length(max=1)])
    talked = SelectMultipleField(
        "Print on the hand-out, if the person wants",
        choices=[SelectChoice(value, text) for value, text in TALKED_CHOICES],
        validators=[Optional()],
    )
    exclude = SelectMultipleField(validate_choice=False, validators=[Optional()])

    def plan_request(self) -> PlanRequest:
        """The validated answers as the plan builder's input."""
        network = self.network.data if self.network.data in NETWORK_TYPES else None
        free = frozenset(tuple(value.split("-", 1)) for value in self.free.data or ())
        return PlanRequest(
            domains=tuple(self.domain.data),
            radius_km=float(self.radius.data),
            network_type=network,
            free=free,
            cost_limit=self.cost.data or "any",
            peer_led=bool(self.peer_led.data),
            first_visit_support=bool(self.first_visit.data),
            focus=self.focus.data or None,
            online=bool(self.online.data),
            size=int(self.size.data),
            pinned=tuple(dict.fromkeys(p[:36] for p in (self.pin.data or ())))[:5],
            excluded=frozenset(e[:36] for e in (self.exclude.data or ())),
        )
