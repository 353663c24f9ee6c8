"""Posting, editing, moderating, reporting and checking listings."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from directory.accounts.forms import ConfirmForm
from directory.extensions import db, limiter
from directory.geo import get_geocoder
from directory.lifecycle import bp, freshness, reports, services, steps
from directory.lifecycle.forms import (
    MAX_PLACES,
    MAX_SESSIONS,
    DecisionForm,
    ListingForm,
    ReportForm,
    ResolveForm,
)
from directory.listings import review
from directory.listings.duplicates import likely_duplicates
from directory.listings.services import get_public_listing
from directory.models import Listing, ListingRevision, Organisation, ProblemReport, utcnow
from directory.permissions import requires
from directory.rules import permissions
from directory.rules.freshness import freshness_stage, intervals_for
from directory.urls import safe_referrer


def _listing_or_404(listing_id: str) -> Listing:
    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.archived_at is not None:
        abort(404, description="We couldn't find that listing.")
    return listing


def _public_listing_or_404(listing_id: str) -> Listing:
    """A listing anyone may see (directory.rules.visibility), else 404.

    Pages open to everyone must not say that an unpublished or closed listing exists.
    """
    listing = get_public_listing(db.session, listing_id)
    if listing is None:
        abort(404, description="We couldn't find that listing. It may have closed or moved.")
    return listing


def _require_editor(organisation_id: str) -> ResponseReturnValue | None:
    """A sign-in redirect for a visitor, 403 for a non-editor, None for an editor."""
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.login", next=request.full_path))
    if not permissions.can_edit_organisation(current_user, organisation_id):
        abort(403, description="Only this organisation's editors or a moderator can do that.")
    return None


@bp.route("/organisations/<organisation_id>/listings/new", methods=["GET", "POST"])
def new_listing(organisation_id: str) -> ResponseReturnValue:
    """Post a new group, place or activity for an organisation, in short steps.

    The steps end with "Check your answers", which warns of listings it may duplicate. A
    post without a step (the whole form at once, as scripts send it) is saved at once.
    """
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404, description="We couldn't find that organisation.")
    if (refusal := _require_editor(organisation.id)) is not None:
        return refusal
    form = ListingForm()
    if request.method == "GET":
        return _step_page(form, organisation, steps.STEPS[0])
    if "step" in request.form:
        return _listing_step(form, organisation)
    if form.validate_on_submit():
        data = form.to_snapshot(get_geocoder(current_app))
        if data is not None:
            return _post(organisation, data)
    return render_template(
        "lifecycle/form.html",
        form=form,
        organisation=organisation,
        listing=None,
        max_sessions=MAX_SESSIONS,
        max_places=MAX_PLACES,
    ), 400


def _post(organisation: Organisation, data: dict) -> ResponseReturnValue:
    """Save a checked listing and say what happens next."""
    listing = services.create_listing(db.session, current_user, organisation, data)
    if listing.published:
        flash("Your listing is published.")
    else:
        flash("Thank you. A moderator will check your listing before it goes public.")
    return redirect(url_for("lifecycle.manage", organisation_id=organisation.id))


def _step_page(
    form: ListingForm,
    organisation: Organisation,
    step: steps.Step,
    returning: bool = False,
    status: int = 200,
) -> ResponseReturnValue:
    """One step of the listing form, with everything typed on the others kept hidden."""
    suggestions = steps.suggested_domains(form) if step.code == "domains" else []
    return render_template(
        "lifecycle/step.html",
        form=form,
        organisation=organisation,
        step=step,
        steps=steps.STEPS,
        position=steps.STEPS.index(step) + 1,
        returning=returning,
        suggestions=suggestions,
        max_sessions=MAX_SESSIONS,
        max_places=MAX_PLACES,
    ), status


def _listing_step(form: ListingForm, organisation: Organisation) -> ResponseReturnValue:
    """Move through the steps: the button pressed says where to (see :mod:`steps`)."""
    action = request.form.get("action", "continue")
    step = steps.step_named(request.form.get("step"))
    returning = request.form.get("return_to") == steps.CHECK
    if action in ("add-session", "add-place", "use-suggested"):
        if action == "use-suggested":
            steps.accept_suggestions(form)
        else:
            steps.add_another(form, action.removeprefix("add-"))
        return _step_page(form, organisation, step, returning)
    if action == "back":
        return _step_page(form, organisation, steps.step_named(steps.preceding(step)), returning)
    if action.startswith("change-"):
        return _step_page(form, organisation, steps.step_named(action[7:]), returning=True)
    if request.form.get("step") != steps.CHECK and action != "submit":
        if not steps.check_step(form, step, get_geocoder(current_app)):
            return _step_page(form, organisation, step, returning, status=400)
        following = steps.CHECK if returning else steps.following(step)
        if following != steps.CHECK:
            return _step_page(form, organisation, steps.step_named(following), returning)
    return _check_answers(form, organisation, submit=action == "submit")


def _check_answers(
    form: ListingForm, organisation: Organisation, submit: bool
) -> ResponseReturnValue:
    """Check everything; show the answers and any likely duplicates, or post it."""
    data = form.to_snapshot(get_geocoder(current_app)) if form.validate() else None
    if data is None:
        step = steps.first_step_with_errors(form)
        steps.keep_errors_of(form, step)
        return _step_page(form, organisation, step, returning=True, status=400)
    if submit:
        return _post(organisation, data)
    points = [(p["latitude"], p["longitude"]) for p in data["locations"] if p.get("latitude")]
    matches = likely_duplicates(db.session, data["name"], organisation.id, points)
    return render_template(
        "lifecycle/check_answers.html",
        form=form,
        organisation=organisation,
        steps=steps.STEPS,
        answers=steps.answers(data, utcnow()),
        matches=matches,
    )


@bp.route("/listings/<listing_id>/edit", methods=["GET", "POST"])
def edit_listing(listing_id: str) -> ResponseReturnValue:
    """Edit a listing. Untrusted editors' changes to a live listing wait for a moderator."""
    listing = _listing_or_404(listing_id)
    if (refusal := _require_editor(listing.organisation_id)) is not None:
        return refusal
    form = ListingForm()
    action = request.form.get("action", "")
    if request.method == "GET":
        form.fill_from(services.snapshot(listing))
    elif action in ("add-session", "add-place"):
        steps.add_another(form, action.removeprefix("add-"))
    elif form.validate_on_submit():
        data = form.to_snapshot(get_geocoder(current_app))
        if data is not None:
            revision = services.edit_listing(db.session, current_user, listing, data)
            if revision.status == "pending":
                flash("Thank you. Your changes will go live when a moderator approves them.")
            else:
                flash("Your changes are live.")
            return redirect(url_for("lifecycle.manage", organisation_id=listing.organisation_id))
    status = 400 if form.errors else 200
    return render_template(
        "lifecycle/form.html",
        form=form,
        organisation=listing.organisation,
        listing=listing,
        max_sessions=MAX_SESSIONS,
        max_places=MAX_PLACES,
    ), status


@bp.get("/organisations/<organisation_id>/manage")
def manage(organisation_id: str) -> ResponseReturnValue:
    """An organisation's listings, drafts, pending changes and rejected ones with reasons."""
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404, description="We couldn't find that organisation.")
    if (refusal := _require_editor(organisation.id)) is not None:
        return refusal
    listings = db.session.scalars(
        select(Listing)
        .where(Listing.organisation_id == organisation.id, Listing.archived_at.is_(None))
        .order_by(Listing.name)
    ).all()
    revisions = db.session.scalars(
        select(ListingRevision)
        .join(Listing)
        .where(
            Listing.organisation_id == organisation.id,
            ListingRevision.status.in_(("pending", "rejected")),
        )
        .order_by(ListingRevision.id.desc())
        .limit(50)
    ).all()
    open_reports = db.session.scalars(
        select(ProblemReport)
        .join(Listing)
        .where(Listing.organisation_id == organisation.id, ProblemReport.status == "open")
        .order_by(ProblemReport.created_at)
    ).all()
    return render_template(
        "lifecycle/manage.html",
        organisation=organisation,
        listings=listings,
        revisions=revisions,
        reports=open_reports,
        confirm=ConfirmForm(),
        resolve=ResolveForm(),
        domains_waiting=review.queue_count(db.session, current_user),
    )


@bp.get("/listings/<listing_id>/history")
def listing_history(listing_id: str) -> ResponseReturnValue:
    """Every version of a listing: who changed what, and when."""
    listing = _listing_or_404(listing_id)
    if (refusal := _require_editor(listing.organisation_id)) is not None:
        return refusal
    revisions = services.history(db.session, listing)
    changes = []
    for index, revision in enumerate(revisions):
        earlier = next((r for r in revisions[index + 1 :] if r.status == "approved"), None)
        changes.append((revision, services.diff(earlier.data if earlier else {}, revision.data)))
    return render_template(
        "lifecycle/history.html", listing=listing, changes=changes, confirm=ConfirmForm()
    )


@bp.post("/listings/<listing_id>/history/<int:revision_id>/restore")
def restore(listing_id: str, revision_id: int) -> ResponseReturnValue:
    """Bring back an earlier version (moderated like any edit)."""
    listing = _listing_or_404(listing_id)
    if (refusal := _require_editor(listing.organisation_id)) is not None:
        return refusal
    revision = db.session.get(ListingRevision, revision_id)
    if revision is None or revision.listing_id != listing.id:
        abort(404, description="No such version.")
    if ConfirmForm().validate_on_submit():
        try:
            services.restore_revision(db.session, current_user, revision)
        except services.LifecycleError as error:
            return render_template("error_message.html", message=str(error)), 409
        flash("The earlier version has been restored.")
    return redirect(url_for("lifecycle.listing_history", listing_id=listing.id))


@bp.post("/listings/<listing_id>/archive")
def archive(listing_id: str) -> ResponseReturnValue:
    """Archive a listing: hidden now, deleted after the configured period."""
    listing = _listing_or_404(listing_id)
    if (refusal := _require_editor(listing.organisation_id)) is not None:
        return refusal
    if ConfirmForm().validate_on_submit():
        services.archive_listing(db.session, current_user, listing)
        flash(f"\u201c{listing.name}\u201d has been archived.")
    return redirect(url_for("lifecycle.manage", organisation_id=listing.organisation_id))


@bp.post("/listings/<listing_id>/verify")
def verify(listing_id: str) -> ResponseReturnValue:
    """The organisation (or a moderator) confirms the listing is correct today."""
    listing = _listing_or_404(listing_id)
    if (refusal := _require_editor(listing.organisation_id)) is not None:
        return refusal
    if ConfirmForm().validate_on_submit():
        by = "moderator" if permissions.is_moderator(current_user) else "organisation"
        freshness.verify_listing(db.session, listing, by, current_user)
        flash("Thank you: the listing is marked as checked today.")
    return redirect(
        safe_referrer(url_for("lifecycle.manage", organisation_id=listing.organisation_id))
    )


@bp.post("/listings/<listing_id>/still-running")
@requires(permissions.is_practitioner)
def still_running(listing_id: str) -> ResponseReturnValue:
    """A practitioner confirms "I know this is still running" (public listings only)."""
    listing = _public_listing_or_404(listing_id)
    if ConfirmForm().validate_on_submit():
        freshness.confirm_still_running(db.session, current_user, listing)
        flash("Thank you for confirming it is still running.")
    return redirect(url_for("listings.listing_page", listing_id=listing.id))


@bp.route("/listings/<listing_id>/report", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["RATELIMIT_REPORT"],
    methods=["POST"],
    exempt_when=lambda: current_user.is_authenticated,
)
def report(listing_id: str) -> ResponseReturnValue:
    """Report a problem with a public listing.

    Anyone may; anonymous reports are rate-limited.
    """
    listing = _public_listing_or_404(listing_id)
    form = ReportForm()
    if form.validate_on_submit():
        signed_in = permissions.is_practitioner(current_user)
        reports.report_problem(
            db.session,
            listing,
            form.kind.data,
            form.text.data,
            reporter=current_user if signed_in else None,
            reporter_fingerprint=None
            if signed_in
            else reports.fingerprint(request.remote_addr or ""),
        )
        return render_template("lifecycle/reported.html", listing=listing)
    status = 400 if request.method == "POST" else 200
    return render_template("lifecycle/report.html", form=form, listing=listing), status


@bp.route("/listings/check/<token>", methods=["GET", "POST"])
def check(token: str) -> ResponseReturnValue:
    """The one-click links in reminder emails; they work without signing in.

    Opening the link shows one button: a GET never changes anything, so link scanners
    in mail systems can't answer for the organisation.
    """
    try:
        listing, action = freshness.read_check_token(db.session, token)
    except freshness.CheckLinkError as error:
        return render_template("accounts/link_problem.html", message=str(error)), 400
    if action == "changes":
        return redirect(url_for("lifecycle.edit_listing", listing_id=listing.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        freshness.apply_check(db.session, listing, action)
        return render_template("lifecycle/checked.html", listing=listing, action=action)
    return render_template("lifecycle/check.html", listing=listing, action=action, form=form)


@bp.get("/moderation/listings")
@requires(permissions.can_moderate_content)
def dashboard() -> ResponseReturnValue:
    """Pending listings and changes, open reports, and stale listings by organisation."""
    pending = db.session.scalars(
        select(ListingRevision)
        .where(ListingRevision.status == "pending")
        .options(joinedload(ListingRevision.listing).joinedload(Listing.organisation))
        .order_by(ListingRevision.created_at)
    ).all()
    open_reports = db.session.scalars(
        select(ProblemReport)
        .where(ProblemReport.status == "open")
        .options(joinedload(ProblemReport.listing))
        .order_by(ProblemReport.created_at)
    ).all()
    now = utcnow()
    configured = current_app.config.get("FRESHNESS_INTERVALS")
    stale: dict[str, list[tuple[Listing, str]]] = {}
    for listing in db.session.scalars(
        select(Listing)
        .where(Listing.is_public)
        .options(joinedload(Listing.organisation))
        .order_by(Listing.last_verified_at)
    ).unique():
        stage = freshness_stage(
            listing.last_verified_at or listing.created_at,
            now,
            intervals_for(listing.kind, configured),
        )
        if stage in ("escalate", "hide"):
            stale.setdefault(listing.organisation.name, []).append((listing, stage))
    return render_template(
        "lifecycle/dashboard.html",
        pending=pending,
        reports=open_reports,
        stale=sorted(stale.items()),
        resolve=ResolveForm(),
    )


@bp.route("/moderation/revisions/<int:revision_id>", methods=["GET", "POST"])
@requires(permissions.can_moderate_content)
def review_revision(revision_id: int) -> ResponseReturnValue:
    """A field-by-field diff of a pending listing or change, to approve or reject."""
    revision = db.session.get(ListingRevision, revision_id)
    if revision is None:
        abort(404, description="No such change.")
    form = DecisionForm()
    problem = None
    if form.validate_on_submit():
        approve = request.form.get("decision") == "approve"
        try:
            services.decide_revision(
                db.session, current_user, revision, approve, form.reason.data or ""
            )
        except services.LifecycleError as error:
            problem = str(error)
        else:
            flash(
                "Approved: the listing is live."
                if approve
                else "Rejected: the editor will see your reason."
            )
            return redirect(url_for("lifecycle.dashboard"))
    earlier = services.previous_approved(db.session, revision)
    changes = services.diff(earlier.data if earlier else {}, revision.data)
    status = 400 if problem else 200
    return render_template(
        "lifecycle/review.html",
        revision=revision,
        changes=changes,
        form=form,
        problem=problem,
        is_new=earlier is None,
    ), status


@bp.post("/moderation/reports/<int:report_id>/resolve")
def resolve_report(report_id: int) -> ResponseReturnValue:
    """Resolve a problem report (the organisation's editors or a moderator)."""
    problem_report = db.session.get(ProblemReport, report_id)
    if problem_report is None:
        abort(404, description="No such report.")
    if (refusal := _require_editor(problem_report.listing.organisation_id)) is not None:
        return refusal
    form = ResolveForm()
    if not form.validate_on_submit():
        flash("Choose an outcome for the report.")
        return redirect(safe_referrer(url_for("lifecycle.dashboard"))), 303
    try:
        reports.resolve_report(
            db.session, current_user, problem_report, form.outcome.data, form.note.data or ""
        )
    except reports.ReportError as error:
        return render_template("error_message.html", message=str(error)), 409
    flash("The report is resolved.")
    return redirect(safe_referrer(url_for("lifecycle.dashboard")))


@bp.app_context_processor
def lifecycle_helpers() -> dict:
    """``lifecycle_panel(listing)`` for the listing page's side panel."""

    def lifecycle_panel(listing: Listing) -> dict:
        return {
            "confirmation": freshness.latest_confirmation(db.session, listing),
            "can_confirm": permissions.is_practitioner(current_user),
            "can_edit": permissions.can_edit_organisation(current_user, listing.organisation_id),
        }

    return {"lifecycle_panel": lifecycle_panel}
