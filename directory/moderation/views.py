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
from directory.lifecycle.services import archive_listing
from directory.listings import duplicates, review
from directory.listings.services import Page
from directory.listings.suggestions import decide_domains
from directory.models import (
    AuditEvent,
    DuplicateFlag,
    ImportSource,
    Listing,
    Membership,
    Organisation,
    User,
)
from directory.moderation import bp, queue
from directory.permissions import requires
from directory.rules import permissions, text
from directory.urls import is_safe_path, safe_referrer
from directory.vocabularies import vocabulary


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
        domains_waiting=review.queue_count(db.session, current_user),
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
    "commissioner": "a commissioner",
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


# -- suggested CIVIC domains to review (issue 18) --------------------------------------

DOMAINS_PER_PAGE = 25


def _domain_queue_filters() -> review.QueueFilters:
    """The queue's filters from the query string; anything unknown is left out."""
    # No NUL: PostgreSQL refuses it in a text parameter.
    source = (request.args.get("source") or "").replace("\x00", "").strip()[:100] or None
    domain = request.args.get("domain") or None
    if domain not in vocabulary("civic_domain").codes:
        domain = None
    show = request.args.get("show") if request.args.get("show") in review.SHOWS else "all"
    order = request.args.get("order") if request.args.get("order") in review.ORDERS else "most"
    return review.QueueFilters(source=source, domain=domain, show=show, order=order)


def _back_to_domains() -> str:
    """Where a decision returns to: the queue page it was made on (same filters)."""
    target = request.form.get("next") or ""
    if is_safe_path(target) and target.startswith(url_for("moderation.domains_queue")):
        return target
    return url_for("moderation.domains_queue")


def _reviewer_or_refuse() -> ResponseReturnValue | None:
    """None if the current user may use the queue, else the response to give."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path))
    if not review.can_review(current_user):
        abort(403, description="Only moderators and organisations' editors can review domains.")
    return None


@bp.get("/domains")
def domains_queue() -> ResponseReturnValue:
    """Listings with suggested CIVIC domains not yet confirmed, and those marked "not social".

    With the reason for each suggestion; most confident first (the quick bulk confirm)
    or least confident first; filters by source, domain and kind of item. Moderators see
    all; editors their own organisations' listings.
    """
    if (refusal := _reviewer_or_refuse()) is not None:
        return refusal
    filters = _domain_queue_filters()
    # A page far beyond the last would overflow the database's OFFSET: clamp it.
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10**6)
    items, total = review.review_queue(
        db.session,
        current_user,
        filters,
        limit=DOMAINS_PER_PAGE,
        offset=(page - 1) * DOMAINS_PER_PAGE,
    )
    args = {
        key: value
        for key, value in (
            ("source", filters.source),
            ("domain", filters.domain),
            ("show", filters.show if filters.show != "all" else None),
            ("order", filters.order if filters.order != "most" else None),
        )
        if value
    }
    return render_template(
        "moderation/domains.html",
        page=Page(items=items, total=total, page=page, per_page=DOMAINS_PER_PAGE),
        filters=filters,
        args=args,
        sources=review.sources(db.session, current_user),
        here=request.full_path.rstrip("?"),
        plain_text=text.plain_text,
    )


@bp.post("/domains/confirm")
def confirm_domains_bulk() -> ResponseReturnValue:
    """Confirm the suggestions of the ticked listings in one go.

    One transaction, one audit event per listing: suggested domains become confirmed,
    "not social" listings are kept without domains. Unknown or other organisations'
    listings are skipped.
    """
    if (refusal := _reviewer_or_refuse()) is not None:
        return refusal
    if not ConfirmForm().validate_on_submit():
        flash("The form had expired. Please try again.")
        return redirect(_back_to_domains())
    chosen = request.form.getlist("listing")
    if not any(chosen):
        flash("Tick at least one listing to confirm.")
        return redirect(_back_to_domains())
    result = review.confirm_suggestions(db.session, current_user, chosen)
    said = []
    if result.confirmed:
        said.append(f"Confirmed the suggested domains of {_listings(result.confirmed)}.")
    if result.kept:
        said.append(f"Kept {_listings(result.kept)} without domains.")
    if result.skipped:
        said.append(
            f"{_listings(result.skipped).capitalize()} had nothing waiting or couldn't be "
            "found, and were left alone."
        )
    flash(" ".join(said))
    return redirect(_back_to_domains())


def _listings(count: int) -> str:
    return "1 listing" if count == 1 else f"{count} listings"


@bp.post("/domains/<listing_id>/<any(save, keep, archive):decision>")
def decide_listing_domains(listing_id: str, decision: str) -> ResponseReturnValue:
    """Decide one listing from the queue (audited).

    ``save`` its domains as ticked (confirmed; suggestions left unticked rejected),
    ``keep`` a "not social" listing without domains, or ``archive`` it.
    """
    if (refusal := _reviewer_or_refuse()) is not None:
        return refusal
    listing = None if "\x00" in listing_id else db.session.get(Listing, listing_id[:64])
    if listing is None or listing.archived_at is not None:
        abort(404, description="We couldn't find that listing.")
    if not permissions.can_edit_organisation(current_user, listing.organisation_id):
        abort(403, description="Only the organisation's editors and moderators can do this.")
    if not ConfirmForm().validate_on_submit():
        flash("The form had expired. Please try again.")
        return redirect(_back_to_domains())
    if decision == "save":
        known = vocabulary("civic_domain").codes
        chosen = [code for code in request.form.getlist("domain") if code in known]
        decide_domains(db.session, current_user, listing, chosen)
        if not chosen and listing.not_social:
            review.keep_without_domains(db.session, current_user, listing)
        flash(
            f"Saved the domains of “{listing.name}”."
            if chosen
            else f"“{listing.name}” now has no domains."
        )
    elif decision == "keep":
        review.keep_without_domains(db.session, current_user, listing)
        flash(f"Kept “{listing.name}” without domains.")
    else:
        archive_listing(db.session, current_user, listing)
        flash(f"Archived “{listing.name}”.")
    return redirect(_back_to_domains())


# -- the moderator's day in one queue (issue 15) ---------------------------------------

QUEUE_PER_PAGE = 50  # one kind's page
QUEUE_PER_KIND = 10  # each kind's first items on the page of every kind


def _queue_filters() -> queue.Filters:
    """The queue's filters from the query string (or the bulk form); unknown ones left out."""
    values = request.values
    kind = values.get("kind") if values.get("kind") in queue.KINDS else None
    # No NUL: PostgreSQL refuses it in a text parameter. Ids are 36 characters.
    organisation_id = (values.get("organisation") or "").replace("\x00", "").strip()[:36] or None
    source = values.get("source") or ""
    source_id = int(source) if source.isdigit() and len(source) < 10 else None
    return queue.Filters(kind=kind, organisation_id=organisation_id, source_id=source_id)


def _filter_args(filters: queue.Filters) -> dict[str, str | int]:
    """The filters as query-string arguments, leaving out those not set."""
    return {
        key: value
        for key, value in (
            ("kind", filters.kind),
            ("organisation", filters.organisation_id),
            ("source", filters.source_id),
        )
        if value is not None
    }


def _queue_page(
    status: int = 200, problem: str | None = None, ticked: set[str] | None = None
) -> tuple[str, int]:
    """The queue page for the current filters (and, after a refused decision, the problem)."""
    filters = _queue_filters()
    page = min(max(1, request.values.get("page", 1, type=int) or 1), 10**6)
    per_page = QUEUE_PER_PAGE if filters.kind else QUEUE_PER_KIND
    loaded = queue.load(
        db.session, current_user, filters, limit=per_page, offset=(page - 1) * per_page
    )
    return render_template(
        "moderation/queue.html",
        queue=loaded,
        kinds=queue.KINDS,
        bulk_kinds=queue.BULK_KINDS,
        filters=filters,
        args=_filter_args(filters),
        every={k: v for k, v in _filter_args(filters).items() if k != "kind"},
        page=Page(
            items=[],
            total=loaded.counts.get(filters.kind, 0) if filters.kind else 0,
            page=page,
            per_page=per_page,
        ),
        problem=problem,
        ticked=ticked or set(),
        reason=request.form.get("reason", "") if request.method == "POST" else "",
        confirm=ConfirmForm(),
    ), status


@bp.get("/queue")
@requires(permissions.can_use_queue)
def queue_page() -> ResponseReturnValue:
    """Everything waiting for a moderator, in one queue, with counts by kind.

    Accounts, join requests, organisations proposed, new listings, changes, reports,
    import batches and suggested domains; filters ``kind``, ``organisation`` and
    ``source`` (an import source's id); each item links to the page deciding it alone.
    """
    return _queue_page()


@bp.post("/queue/decide")
@requires(permissions.can_use_queue)
def queue_decide() -> ResponseReturnValue:
    """Approve, or reject with one reason, the ticked items: all of them or none.

    If any one can't be decided nothing changes and the page says which and why (409),
    keeping the ticks and the reason.
    """
    ticked = request.form.getlist("item")
    if not ConfirmForm().validate_on_submit():
        return _queue_page(400, "The form had expired. Please try again.", set(ticked))
    decision = request.form.get("decision")
    if decision not in ("approve", "reject"):
        return _queue_page(400, "Choose Approve selected or Reject selected.", set(ticked))
    try:
        decided = queue.decide(
            db.session,
            current_user,
            ticked,
            decision == "approve",
            (request.form.get("reason") or "")[:2000],
        )
    except queue.BulkError as error:
        return _queue_page(409, str(error), set(ticked))
    flash(f"{'Approved' if decision == 'approve' else 'Rejected'} {_items(decided.total)}.")
    return redirect(url_for("moderation.queue_page", **_filter_args(_queue_filters())))


@bp.post("/queue/batches/<int:source_id>/approve")
@requires(permissions.can_use_queue)
def approve_import_batch(source_id: int) -> ResponseReturnValue:
    """Approve every listing and change waiting from one import source: all or none."""
    source = db.session.get(ImportSource, source_id)
    if source is None:
        abort(404, description="We couldn't find that import.")
    if not ConfirmForm().validate_on_submit():
        return _queue_page(400, "The form had expired. Please try again.")
    try:
        decided, more = queue.approve_batch(db.session, current_user, source)
    except queue.BulkError as error:
        return _queue_page(409, str(error))
    said = f"Approved {_listings(decided.total)} from {source.name}."
    if more:
        said += f" {_listings(more).capitalize()} more still wait: approve the batch again."
    flash(said)
    return redirect(url_for("moderation.queue_page", **_filter_args(_queue_filters())))


def _items(count: int) -> str:
    return "1 item" if count == 1 else f"{count} items"
