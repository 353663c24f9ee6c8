"""Rating, reporting, feedback and moderation forms.

Flask-WTF adds and checks the CSRF token on each. The forms only read what was sent and
keep it for redisplay; the rules (1 to 5, known domains and tags, lengths) live in
:mod:`directory.ratings.services`, which reports problems by field name.
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from directory.ratings.services import (
    COMMENT_MAX,
    FEEDBACK_TEXT_MAX,
    SUITS_TEXT_MAX,
    FeedbackAnswer,
    RatingInput,
    suits_tags,
)
from directory.vocabularies import vocabulary

USEFULNESS_CHOICES = [
    (1, "1 out of 5: not useful"),
    (2, "2 out of 5: a little useful"),
    (3, "3 out of 5: quite useful"),
    (4, "4 out of 5: useful"),
    (5, "5 out of 5: very useful"),
]
WELCOME_CHOICES = [
    (1, "1: not at all welcome"),
    (2, "2"),
    (3, "3"),
    (4, "4"),
    (5, "5: very welcome"),
]
YES_NO = [("yes", "Yes"), ("no", "No")]


def select_choices(pairs) -> list[SelectChoice]:
    """(value, label) pairs as WTForms choices (the templates draw the inputs)."""
    return [SelectChoice(value, label) for value, label in pairs]


def whole_number(value) -> int | None:
    """A posted number, or None when it isn't one (the service then says what's wrong)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 4 else None


def yes_no(value) -> bool | None:
    """A boolean from "yes"/"no" (or True/False); anything else as unanswered."""
    if isinstance(value, bool):
        return value
    return {"yes": True, "true": True, "no": False, "false": False}.get(
        str(value or "").strip().lower()
    )


def length_message(limit: int) -> str:
    """The message for text that is too long."""
    return f"Keep it to {limit} characters or fewer."


class RateForm(FlaskForm):
    """A practitioner's rating of a listing; only usefulness is required."""

    usefulness = RadioField(
        "How useful was it for the people you support?",
        choices=select_choices(USEFULNESS_CHOICES),
        coerce=whole_number,
        validate_choice=False,
    )
    helped_domains = SelectMultipleField(
        "What did it help with?",
        choices=select_choices((t.code, t.name) for t in vocabulary("civic_domain").terms),
        validate_choice=False,
    )
    suits = SelectMultipleField(
        "Who does it suit?",
        choices=select_choices((t.code, t.name) for t in suits_tags()),
        validate_choice=False,
    )
    suits_text = StringField(
        "Anyone else it suits (optional)",
        validators=[Optional(), Length(max=SUITS_TEXT_MAX, message=length_message(SUITS_TEXT_MAX))],
    )
    would_refer = RadioField(
        "Would you refer someone to it again?",
        choices=select_choices(YES_NO),
        coerce=yes_no,
        validate_choice=False,
    )
    comment = TextAreaField(
        "Comment for other practitioners (optional)",
        validators=[Optional(), Length(max=COMMENT_MAX, message=length_message(COMMENT_MAX))],
    )

    def to_input(self) -> RatingInput:
        """What was sent, for :func:`directory.ratings.services.rate_listing`."""
        return RatingInput(
            usefulness=self.usefulness.data,
            helped_domains=self.helped_domains.data or [],
            suits=self.suits.data or [],
            suits_text=self.suits_text.data,
            would_refer=self.would_refer.data,
            comment=self.comment.data,
        )


class ConfirmForm(FlaskForm):
    """A button that changes something: it carries only the CSRF token."""


class DecisionForm(FlaskForm):
    """A moderator's decision: the button pressed sends ``decision``."""

    decision = HiddenField()


class CodeForm(FlaskForm):
    """Typing in a feedback code (sent with GET, so no CSRF token)."""

    class Meta:
        csrf = False

    code = StringField("Feedback code", validators=[Length(max=40)])


def feedback_form(listings, uses: int) -> FlaskForm:
    """A feedback form with three questions per listing on the shortlist.

    Fields are named after the listing (``went-<id>``, ``welcome-<id>``, ``text-<id>``),
    so answers stay with their listing even if the shortlist changes in between. A hidden
    ``seen_uses`` carries how many times the code had been used when the page was shown
    (``uses``), so sending the same page twice counts once.
    """

    class FeedbackForm(FlaskForm):
        seen_uses = HiddenField(default=uses)

        def seen(self) -> int | None:
            """The use count the page was shown at, or None if it didn't come back."""
            return whole_number(self.seen_uses.data)

        def answers(self) -> list[FeedbackAnswer]:
            return [
                FeedbackAnswer(
                    listing_id=listing.id,
                    went=self[f"went-{listing.id}"].data,
                    welcome=self[f"welcome-{listing.id}"].data,
                    text=self[f"text-{listing.id}"].data,
                )
                for listing in listings
            ]

    for listing in listings:
        setattr(
            FeedbackForm,
            f"went-{listing.id}",
            RadioField(
                "Did you go?", choices=select_choices(YES_NO), coerce=yes_no, validate_choice=False
            ),
        )
        setattr(
            FeedbackForm,
            f"welcome-{listing.id}",
            RadioField(
                "Did you feel welcome?",
                choices=select_choices(WELCOME_CHOICES),
                coerce=whole_number,
                validate_choice=False,
            ),
        )
        setattr(
            FeedbackForm,
            f"text-{listing.id}",
            TextAreaField(
                "Anything else you'd like to tell us? (optional)",
                validators=[
                    Optional(),
                    Length(max=FEEDBACK_TEXT_MAX, message=length_message(FEEDBACK_TEXT_MAX)),
                ],
            ),
        )
    return FeedbackForm()
