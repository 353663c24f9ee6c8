"""Account forms. Flask-WTF adds and checks the CSRF token on every one."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from directory.vocabularies import vocabulary


def choices(vocabulary_code: str) -> list[SelectChoice]:
    """A vocabulary's terms as select options, after an empty "Choose one"."""
    return [SelectChoice("", "Choose one")] + [
        SelectChoice(t.code, t.name) for t in vocabulary(vocabulary_code).terms
    ]


class RegisterForm(FlaskForm):
    """Register an account: who you are, where you work, and a password."""

    name = StringField("Full name", validators=[DataRequired("Enter your name."), Length(max=120)])
    email = EmailField(
        "Work email address",
        validators=[
            DataRequired("Enter your work email address."),
            Length(max=254),
            Email("Enter an email address like name@nhs.net.", check_deliverability=False),
        ],
    )
    profession = SelectField(
        "Profession",
        choices=choices("profession"),
        validators=[DataRequired("Choose your profession.")],
    )
    sector = SelectField(
        "Sector", choices=choices("sector"), validators=[DataRequired("Choose your sector.")]
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter a password."), Length(max=128)]
    )
    confirm = PasswordField(
        "Confirm password",
        validators=[
            DataRequired("Enter the password again."),
            EqualTo("password", "Passwords must match."),
        ],
    )


# The sectors an organisation that lists groups belongs to, in the words its staff use.
STAFF_SECTORS = ("third_sector", "community", "local_authority")


class StaffRegisterForm(FlaskForm):
    """Register as staff or a volunteer of an organisation that lists its groups.

    The organisation is the one chosen on the find-your-organisation page (``organisation``)
    or a new one named there (``new_organisation``, with its ``sector``).
    """

    organisation = HiddenField()
    new_organisation = HiddenField(validators=[Optional(), Length(max=200)])
    name = StringField("Your name", validators=[DataRequired("Enter your name."), Length(max=120)])
    email = EmailField(
        "Your work email address",
        validators=[
            DataRequired("Enter your work email address."),
            Length(max=254),
            Email("Enter an email address like name@charity.org.uk.", check_deliverability=False),
        ],
    )
    sector = SelectField(
        "What kind of organisation is it?",
        choices=[c for c in choices("sector") if c.value in STAFF_SECTORS],
        default="third_sector",
        validators=[DataRequired("Choose the kind of organisation.")],
    )
    password = PasswordField(
        "Choose a password", validators=[DataRequired("Enter a password."), Length(max=128)]
    )
    confirm = PasswordField(
        "Type the password again",
        validators=[
            DataRequired("Enter the password again."),
            EqualTo("password", "Passwords must match."),
        ],
    )


class OrganisationJoinForm(FlaskForm):
    """A signed-in person asks to join a found organisation, or proposes a new one."""

    organisation = HiddenField()
    new_organisation = StringField(
        "Its name", validators=[Optional(), Length(max=200, message="Use 200 characters or fewer.")]
    )
    sector = SelectField(
        "What kind of organisation is it?",
        choices=[c for c in choices("sector") if c.value in STAFF_SECTORS],
        default="third_sector",
        validators=[Optional()],
    )


class LoginForm(FlaskForm):
    """Sign in with an email address and password."""

    email = EmailField(
        "Email address", validators=[DataRequired("Enter your email address."), Length(max=254)]
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password."), Length(max=128)]
    )


class ResetRequestForm(FlaskForm):
    """Ask for a password reset link."""

    email = EmailField(
        "Email address", validators=[DataRequired("Enter your email address."), Length(max=254)]
    )


class ResetForm(FlaskForm):
    """Choose a new password (from a reset link)."""

    password = PasswordField(
        "New password", validators=[DataRequired("Enter a password."), Length(max=128)]
    )
    confirm = PasswordField(
        "Confirm new password",
        validators=[
            DataRequired("Enter the password again."),
            EqualTo("password", "Passwords must match."),
        ],
    )


class MembershipForm(FlaskForm):
    """Ask to join an organisation, or propose a new one."""

    organisation = SelectField(
        "Organisation", choices=[], validate_choice=False, validators=[Optional()]
    )
    new_organisation = StringField(
        "Or the name of a new organisation", validators=[Optional(), Length(max=200)]
    )
    new_sector = SelectField("Its sector", choices=choices("sector"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        """WTForms' checks, then: an organisation chosen or a new one named."""
        if not super().validate(extra_validators):
            return False
        if not self.organisation.data and not self.new_organisation.data:
            self.organisation.errors.append("Choose an organisation or enter a new one.")
            return False
        return True


class TokenForm(FlaskForm):
    """Name a new personal API token."""

    name = StringField(
        "What the token is for", validators=[DataRequired("Name the token."), Length(max=80)]
    )


class RoleForm(FlaskForm):
    """An administrator's choice of someone's role."""

    role = SelectField(
        "Role",
        choices=[
            SelectChoice("practitioner", "Practitioner"),
            SelectChoice("commissioner", "Commissioner or public-health analyst"),
            SelectChoice("moderator", "Moderator"),
            SelectChoice("admin", "Administrator"),
        ],
        validators=[DataRequired("Choose a role.")],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: it carries only the CSRF token."""
