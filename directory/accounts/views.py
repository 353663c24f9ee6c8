"""Account pages under ``/accounts``."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_limiter import RouteLimit
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from directory.accounts import bp
from directory.accounts import services as accounts
from directory.accounts.forms import (
    ConfirmForm,
    LoginForm,
    MembershipForm,
    RegisterForm,
    ResetForm,
    ResetRequestForm,
    TokenForm,
)
from directory.extensions import db, limiter
from directory.listings.services import joinable_organisations
from directory.models import ApiToken, User
from directory.transactions import writes
from directory.urls import safe_next


def _limit(setting: str) -> RouteLimit:
    """A rate limit read from configuration when the request arrives."""
    return limiter.limit(lambda: current_app.config[setting], methods=["POST"])


@bp.route("/register", methods=["GET", "POST"])
@_limit("RATELIMIT_REGISTER")
def register() -> ResponseReturnValue:
    """Register with work details; a verification link is emailed."""
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            accounts.register(
                db.session,
                accounts.Registration(
                    name=form.name.data,
                    email=form.email.data,
                    password=form.password.data,
                    profession=form.profession.data,
                    sector=form.sector.data,
                ),
            )
        except accounts.AccountError as error:
            getattr(form, error.field or "email").errors.append(str(error))
        else:
            return redirect(url_for("accounts.check_email"))
    status = 400 if form.errors else 200
    return render_template("accounts/register.html", form=form), status


@bp.get("/register/check-email")
def check_email() -> ResponseReturnValue:
    """Tell the user to look for the verification email (the same for every address)."""
    return render_template("accounts/check_email.html", staff=request.args.get("staff") == "1")


@bp.get("/verify/<token>")
@writes  # marks the address verified: take the write lock before reading
def verify(token: str) -> ResponseReturnValue:
    """Confirm an email address from the emailed link."""
    try:
        user = accounts.verify_email(db.session, token)
    except accounts.TokenError as error:
        return render_template("accounts/link_problem.html", message=str(error)), 400
    return render_template("accounts/verified.html", user=user)


@bp.route("/login", methods=["GET", "POST"])
@_limit("RATELIMIT_LOGIN")
def login() -> ResponseReturnValue:
    """Sign in with email and password."""
    form = LoginForm()
    problem = None
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.email.data, form.password.data)
        if user is None:
            problem = "The email address or password is not right."
        elif user.email_verified_at is None:
            problem = "Confirm your email address first: use the link we emailed you."
        elif user.status != "approved":
            problem = "Your account is waiting for a moderator to approve it."
        else:
            session.permanent = True  # PERMANENT_SESSION_LIFETIME applies
            login_user(user)
            return redirect(safe_next(request.args.get("next"), _landing(user)))
    status = 400 if (problem or form.errors) else 200
    return render_template("accounts/login.html", form=form, problem=problem), status


def _landing(user: User) -> str:
    """Where signing in leads: staff of an organisation they may post for, to its listings.

    Everyone else goes to their account, which says how to join an organisation.
    """
    organisation = accounts.posting_organisation(user)
    if organisation is None or user.profession != accounts.ORGANISATION_STAFF:
        return url_for("accounts.account")
    if not organisation.listings:
        return url_for("lifecycle.new_listing", organisation_id=organisation.id)
    return url_for("lifecycle.manage", organisation_id=organisation.id)


@bp.post("/logout")
@login_required
def logout() -> ResponseReturnValue:
    """Sign out, here and wherever else this session's cookie has been copied to."""
    form = ConfirmForm()
    if form.validate_on_submit():
        accounts.end_sessions(db.session, current_user)
        logout_user()
    return redirect(url_for("main.home"))


@bp.route("/reset", methods=["GET", "POST"])
@_limit("RATELIMIT_RESET")
def reset_request() -> ResponseReturnValue:
    """Ask for a password reset link (the answer is the same for every address)."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        accounts.request_password_reset(db.session, form.email.data)
        return render_template("accounts/check_email.html", reset=True)
    return render_template("accounts/reset_request.html", form=form), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@_limit("RATELIMIT_RESET")
def reset_password(token: str) -> ResponseReturnValue:
    """Choose a new password from an emailed link."""
    form = ResetForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password(db.session, token, form.password.data)
        except accounts.TokenError as error:
            return render_template("accounts/link_problem.html", message=str(error)), 400
        except accounts.AccountError as error:
            form.password.errors.append(str(error))
        else:
            flash("Your password has been changed. Sign in with it now.")
            return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form), 400 if form.errors else 200


@bp.route("/", methods=["GET", "POST"])
@login_required
def account() -> ResponseReturnValue:
    """Your account: organisations you belong to or asked to join, and API tokens."""
    form = MembershipForm()
    organisations = joinable_organisations(db.session)
    form.organisation.choices = [SelectChoice("", "Choose one")] + [
        SelectChoice(o.id, o.name) for o in organisations
    ]
    if form.validate_on_submit():
        try:
            accounts.request_membership(
                db.session,
                current_user,
                form.organisation.data,
                new_name=form.new_organisation.data,
                new_sector=form.new_sector.data,
            )
        except accounts.AccountError as error:
            form.organisation.errors.append(str(error))
        else:
            flash("Your request has been sent for approval.")
            return redirect(url_for("accounts.account"))
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == current_user.id).order_by(ApiToken.id)
    ).all()
    return render_template(
        "accounts/account.html",
        form=form,
        token_form=TokenForm(prefix="token"),
        confirm=ConfirmForm(),
        tokens=tokens,
    ), 400 if form.errors else 200


@bp.post("/tokens")
@login_required
def create_token() -> ResponseReturnValue:
    """Create a personal API token; it is shown once."""
    form = TokenForm(prefix="token")
    if not form.validate_on_submit():
        flash("Name the token (up to 80 characters).", "error")
        return redirect(url_for("accounts.account"))
    _, plain = accounts.create_api_token(db.session, current_user, form.name.data)
    return render_template("accounts/token_created.html", token=plain)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    """Revoke one of your API tokens."""
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            accounts.revoke_api_token(db.session, current_user, token_id)
        except accounts.AccountError:
            return render_template("error_message.html", message="No such token."), 404
        flash("The token has been revoked.")
    return redirect(url_for("accounts.account"))
