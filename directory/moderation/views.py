"""Moderation pages under ``/moderation``, and membership decisions for editors."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from directory.accounts import services as accounts
from directory.accounts.forms import ConfirmForm, RoleForm
from directory.extensions import db
from directory.listings import duplicates
from directory.listings.services import Page
from directory.models import AuditEvent, DuplicateFlag, Membership, Organisation, User
from directory.moderation import bp
from directory.permissions import requires
from directory.rules import permissions, text
from directory.urls import safe_referrer


@bp.get("/")
@requires(permissions.is_moderator)
def dashboard() -> ResponseReturnValue:
    """Accounts and membership requests waiting for a decision; trusted organisations."""
    pending_users = db.session.scalars(
        select(User)
        .where(User.status == "pending", User.email_verified_at.is_not(None))
        .order_by(User.created_at)
    ).all()
    unverified = db.session.scalars(
        select(User).where(User.status == "pending", User.email_verified_at.is_(None))
    ).all()
    requests = db.session.scalars(
        select(Membership)
        .where(Membership.status == "requested")
        .options(joinedload(Membership.user), joinedload(Membership.organisation))
        .order_by(Membership.created_at)
    ).all()
    organisations = db.session.scalars(select(Organisation).order_by(Organisation.name)).all()
    return render_template(
        "moderation/dashboard.html",
        pending_users=pending_users,
        unverified=unverified,
        requests=requests,
        organisations=organisations,
        duplicates_open=duplicates.open_flags(db.session, limit=0)[1],
        confirm=ConfirmForm(),
    )


@bp.post("/accounts/<int:user_id>/approve")
@requires(permissions.can_approve_accounts)
def approve_account(user_id: int) -> ResponseReturnValue:
    """Approve a verified account."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, description="No such account.")
    if ConfirmForm().validate_on_submit():
        accounts.approve_user(db.session, current_user, user)
        flash(f"{user.name} can now sign in.")
    return redirect(url_for("moderation.dashboard"))


def _memberships_of(organisation_id: str) -> list[Membership]:
    return list(
        db.session.scalars(select(Membership).where(Membership.organisation_id == organisation_id))
    )


@bp.post("/memberships/<int:membership_id>/<any(approve, reject):decision>")
def decide_membership(membership_id: int, decision: str) -> ResponseReturnValue:
    """Approve or reject a request to join an organisation (its editors or moderators)."""
    membership = db.session.get(Membership, membership_id)
    if membership is None:
        abort(404, description="No such request.")
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.path))
    if not permissions.can_manage_members(current_user, membership.organisation_id):
        abort(403, description="Only the organisation's editors or a moderator can decide.")
    if not permissions.can_change_membership(
        current_user, membership, _memberships_of(membership.organisation_id)
    ):
        if membership.user_id == current_user.id:
            abort(403, description="You can't decide your own membership.")
        abort(
            403,
            description="Only a moderator or the organisation's senior editor can change "
            "a decided membership.",
        )
    if ConfirmForm().validate_on_submit():
        accounts.decide_membership(db.session, current_user, membership, decision == "approve")
        flash(f"Request {decision}d.")
    return redirect(safe_referrer(url_for("moderation.dashboard")))


@bp.post("/organisations/<organisation_id>/<any(trust, distrust):change>")
@requires(permissions.can_mark_trusted)
def trust_organisation(organisation_id: str, change: str) -> ResponseReturnValue:
    """Mark an organisation trusted, so its listings publish without review, or undo it."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404, description="No such organisation.")
    if ConfirmForm().validate_on_submit():
        accounts.set_trusted(db.session, current_user, organisation, change == "trust")
    return redirect(url_for("moderation.dashboard"))


@bp.get("/audit")
@requires(permissions.can_view_audit_log)
def audit_log() -> ResponseReturnValue:
    """Who did what, to which record, and when; newest first."""
    # A page far beyond the last would overflow the database's OFFSET: clamp it.
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10**6)
    stmt = select(AuditEvent).options(joinedload(AuditEvent.actor))
    total = db.session.query(AuditEvent).count()
    events = db.session.scalars(
        stmt.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
        .limit(50)
        .offset((page - 1) * 50)
    ).all()
    return render_template(
        "moderation/audit.html", page=Page(items=events, total=total, page=page, per_page=50)
    )


@bp.get("/organisations/<organisation_id>/members")
def organisation_members(organisation_id: str) -> ResponseReturnValue:
    """An organisation's members and pending requests, for its editors and moderators."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404, description="No such organisation.")
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.path))
    if not permissions.can_manage_members(current_user, organisation.id):
        abort(403, description="Only the organisation's editors or a moderator can see this.")
    members = db.session.scalars(
        select(Membership)
        .where(Membership.organisation_id == organisation.id)
        .options(joinedload(Membership.user))
        .order_by(Membership.status, Membership.created_at)
    ).all()
    return render_template(
        "moderation/members.html",
        organisation=organisation,
        members=members,
        senior=permissions.senior_editor(members),
        may_change={
            m.id for m in members if permissions.can_change_membership(current_user, m, members)
        },
        confirm=ConfirmForm(),
    )


PEOPLE_PER_PAGE = 50


@bp.get("/people")
@requires(permissions.can_change_roles)
def people() -> ResponseReturnValue:
    """Everyone with an account, their role and a form to change it (administrators).

    ``q`` finds people by part of their name or email address.
    """
    return _people_page()


def _people_page(
    status: int = 200, problem: str | None = None, forms: dict | None = None
) -> tuple[str, int]:
    """The people page: those whose name or email holds the ``q`` argument, a page at a time."""
    query = (request.args.get("q") or "").strip()[:100]
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10_000)
    stmt = select(User)
    if query:
        stmt = stmt.where(
            or_(
                func.lower(User.name).contains(query.lower(), autoescape=True),
                func.lower(User.email).contains(query.lower(), autoescape=True),
            )
        )
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    found = db.session.scalars(
        stmt.order_by(User.name, User.id)
        .limit(PEOPLE_PER_PAGE)
        .offset((page - 1) * PEOPLE_PER_PAGE)
    ).all()
    forms = forms or {}
    return render_template(
        "moderation/people.html",
        page=Page(items=found, total=total, page=page, per_page=PEOPLE_PER_PAGE),
        query=query,
        forms={u.id: forms.get(u.id) or RoleForm(formdata=None, role=u.role) for u in found},
        problem=problem,
    ), status


@bp.post("/people/<int:user_id>/role")
@requires(permissions.can_change_roles)
def change_role(user_id: int) -> ResponseReturnValue:
    """Change someone's role (administrators); recorded in the audit log.

    The last administrator can't be demoted.
    """
    user = db.session.get(User, user_id)
    if user is None:
        abort(404, description="No such account.")
    form = RoleForm()
    if not form.validate_on_submit():
        return _people_page(
            status=400, problem=f"Choose a role for {user.name}.", forms={user.id: form}
        )
    try:
        accounts.change_role(db.session, current_user, user, form.role.data)
    except accounts.LastAdministrator as error:
        return _people_page(status=409, problem=str(error))
    flash(f"{user.name} is now {ROLE_NAMES[user.role]}.")
    return redirect(url_for("moderation.people", q=user.email))


ROLE_NAMES = {
    "practitioner": "a practitioner",
    "moderator": "a moderator",
    "admin": "an administrator",
}


DUPLICATES_PER_PAGE = 20


@bp.get("/duplicates")
@requires(permissions.is_moderator)
def duplicates_queue() -> ResponseReturnValue:
    """Listings that are probably the same, side by side, oldest flag first.

    With the actions "Merge into left", "Merge into right" and "Not the same".
    """
    # A page far beyond the last would overflow the database's OFFSET: clamp it.
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10**6)
    flags, total = duplicates.open_flags(
        db.session, limit=DUPLICATES_PER_PAGE, offset=(page - 1) * DUPLICATES_PER_PAGE
    )
    return render_template(
        "moderation/duplicates.html",
        page=Page(items=flags, total=total, page=page, per_page=DUPLICATES_PER_PAGE),
        # Imported descriptions may be HTML: compared as the words they say.
        plain_text=text.plain_text,
    )


@bp.post("/duplicates/<int:flag_id>/<any(left, right, dismiss):decision>")
@requires(permissions.is_moderator)
def decide_duplicate(flag_id: int, decision: str) -> ResponseReturnValue:
    """Merge the pair into the left or the right listing, or say they are not the same.

    On a merge the other is archived and its ratings, shortlist entries and history move
    over.
    """
    flag = db.session.get(DuplicateFlag, flag_id)
    if flag is None:
        abort(404, description="No such pair of listings.")
    if not ConfirmForm().validate_on_submit():
        flash("The form had expired. Please try again.")
        return redirect(url_for("moderation.duplicates_queue"))
    keep_id = {"left": flag.listing_id, "right": flag.other_id}.get(decision)
    names = {flag.listing_id: flag.listing.name, flag.other_id: flag.other.name}
    try:
        duplicates.decide(db.session, current_user, flag.id, keep_id)
    except duplicates.DuplicateError as problem:
        flash(str(problem))
    else:
        if keep_id is None:
            flash("Marked as not the same. They won't be flagged again.")
        else:
            flash(f"Merged into “{names[keep_id]}”.")
    return redirect(url_for("moderation.duplicates_queue"))
