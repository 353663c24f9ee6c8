"""The way in for charity and community group staff: find your organisation, register, post.

"List your group" (``main.list_your_group``) explains the steps; these pages do them.
The organisation search works as a plain form and results list; a small script
(``static/organisation-search.js``) updates the list as you type from
:func:`organisations_json`.
"""

from __future__ import annotations

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from directory.accounts import bp
from directory.accounts import services as accounts
from directory.accounts.forms import OrganisationJoinForm, StaffRegisterForm
from directory.extensions import db, limiter
from directory.listings.services import ORGANISATION_RESULTS, find_organisations
from directory.models import Organisation
from directory.vocabularies import label

# Longest search typed that is read; names are at most 200 characters.
MAX_QUERY = 100


def _query() -> str:
    """The organisation name searched for, trimmed to :data:`MAX_QUERY` characters."""
    value = request.args.get("q", "")
    return value[:MAX_QUERY].strip() if isinstance(value, str) else ""


@bp.get("/organisations/find")
def find_organisation() -> ResponseReturnValue:
    """Find the organisation you work or volunteer for, to join it or register with it."""
    query = _query()
    found = find_organisations(db.session, query) if query else []
    return render_template(
        "accounts/find_organisation.html",
        query=query,
        found=found,
        more=len(found) >= ORGANISATION_RESULTS,
        form=OrganisationJoinForm(),
    )


@bp.get("/organisations/find.json")
def organisations_json() -> ResponseReturnValue:
    """Organisations whose names have the words in ``q``, for the type-ahead (JSON)."""
    query = _query()
    found = find_organisations(db.session, query) if query else []
    return jsonify(
        {
            "query": query,
            "organisations": [
                {"id": o.id, "name": o.name, "sector": label("sector", o.sector)} for o in found
            ],
        }
    )


@bp.post("/organisations/join")
def join_organisation() -> ResponseReturnValue:
    """Ask to join the organisation chosen, or propose a new one (signed in)."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=url_for("accounts.find_organisation")))
    form = OrganisationJoinForm()
    if form.validate_on_submit():
        try:
            membership = accounts.request_membership(
                db.session,
                current_user,
                form.organisation.data or None,
                new_name=form.new_organisation.data,
                new_sector=form.sector.data,
            )
        except accounts.AccountError as error:
            flash(str(error))
            return redirect(url_for("accounts.find_organisation"))
        flash(
            f"You have asked to join {membership.organisation.name}. A moderator or one of "
            "its editors will check it; then you can add its listings."
        )
        return redirect(url_for("accounts.account"))
    flash("Choose an organisation from the list, or enter the name of a new one.")
    return redirect(url_for("accounts.find_organisation"))


def _chosen(form: StaffRegisterForm) -> Organisation | None:
    """The organisation found and chosen on the find page, if it still exists."""
    return db.session.get(Organisation, form.organisation.data) if form.organisation.data else None


@bp.route("/register/organisation", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_REGISTER"], methods=["POST"])
def register_staff() -> ResponseReturnValue:
    """Register as staff or a volunteer of the organisation found (or proposed)."""
    form = StaffRegisterForm(formdata=request.form if request.method == "POST" else request.args)
    organisation = _chosen(form)
    if organisation is None and not (form.new_organisation.data or "").strip():
        return redirect(url_for("accounts.find_organisation"))
    if request.method == "POST" and form.validate_on_submit():
        try:
            accounts.register_staff(
                db.session,
                accounts.Registration(
                    name=form.name.data,
                    email=form.email.data,
                    password=form.password.data,
                    profession=accounts.ORGANISATION_STAFF,
                    sector=form.sector.data,
                ),
                form.organisation.data or None,
                form.new_organisation.data,
            )
        except accounts.AccountError as error:
            getattr(form, error.field or "email").errors.append(str(error))
        else:
            return redirect(url_for("accounts.check_email", staff=1))
    status = 400 if request.method == "POST" else 200
    return render_template(
        "accounts/register_staff.html", form=form, organisation=organisation
    ), status
