"""Shortlists, the plan builder, hand-outs, share links and uptake.

| route | who |
|---|---|
| /shortlists, /shortlists/<id>/... | who holds it: its practitioner, or its team's members |
| /shortlists/<id>, its hand-out, summary | also whoever handed it over, read-only, a while |
| /listings/<id>/shortlist | practitioners |
| /plan, /plan/save | practitioners (the question is posted: no postcode in URLs) |
| /shared/<token> | anyone with the link, until it expires |
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from wtforms.fields.core import UnboundField

from directory.converters import parse_id
from directory.extensions import db
from directory.filters import long_date
from directory.geo import GeocodingError, GeoResult, get_geocoder, outward_code
from directory.insights import need
from directory.listings.services import ROWS_READ, find_public_listing
from directory.models import Listing, Shortlist, utcnow
from directory.permissions import requires
from directory.plans import bp, conversation, handout, services, summary, tiles
from directory.plans.forms import (
    UPTAKE_LABELS,
    AddToShortlistForm,
    ConfirmForm,
    EmailForm,
    HandoverForm,
    LabelForm,
    PlanForm,
)
from directory.request_cache import request_cache
from directory.rules import permissions
from directory.rules.handout import pages_for, pages_words
from directory.rules.plan_selection import Plan
from directory.search_ui.services import geocoding_problem
from directory.urls import external_url, safe_next

requires_shortlists = requires(permissions.can_shortlist)


def _owned_or_404(shortlist_id: int) -> Shortlist:
    shortlist = services.owned_shortlist(db.session, current_user, shortlist_id)
    if shortlist is None:
        abort(404, description="We couldn't find that shortlist.")
    return shortlist


def _readable_or_404(shortlist_id: int) -> tuple[Shortlist, str]:
    """The shortlist and "continue" or "read" (handed over lately), else 404."""
    found = services.readable_shortlist(db.session, current_user, shortlist_id, utcnow())
    if found is None:
        abort(404, description="We couldn't find that shortlist.")
    return found


def _share_lifetime_days() -> float:
    return float(current_app.config["PLANS_SHARE_LIFETIME_DAYS"])


# -- what other pages include -------------------------------------------------------------


# Up to this many "Add to" choices are radios on the listing page; more are one list, the
# shortlist worked on most recently chosen. A practitioner keeps a shortlist for each
# person they help, and hundreds of radios after a year would bury the few in use.
ADD_TO_RADIOS = 6


@dataclass(frozen=True)
class ShortlistActions:
    """What a result card or the listing page shows about shortlists, to this visitor."""

    allowed: bool  # whether they may shortlist at all
    holding: list[services.ShortlistChoice] = field(default_factory=list)  # hold the listing
    uptake: services.UptakeRate | None = None  # the listing's, if they may see it

    @property
    def shortlists(self) -> list[services.ShortlistChoice]:
        """The visitor's shortlists, the one worked on most recently first.

        Read when a page asks (the listing page's "Add to" choices), once a request:
        result cards don't, and a practitioner may have kept hundreds.
        """
        known = request_cache("plans_shortlist_choices")
        if "choices" not in known:
            known["choices"] = services.shortlist_choices(db.session, current_user)
        return known["choices"]

    @cached_property
    def add_to(self) -> list[services.ShortlistChoice]:
        """The listing page's "Add to" choices: :attr:`shortlists` not already holding it.

        Worked out once (the template asks for them and for :attr:`add_to_as_list`).
        """
        held = {choice.id for choice in self.holding}
        return [choice for choice in self.shortlists if choice.id not in held]

    @property
    def add_to_as_list(self) -> bool:
        """Whether the "Add to" choices are too many for radios (:data:`ADD_TO_RADIOS`)."""
        return len(self.add_to) > ADD_TO_RADIOS


@bp.app_template_global()
def shortlist_actions(listing: Listing) -> ShortlistActions:
    """What the listing page and search result cards show about shortlists.

    Whether the visitor may shortlist, their shortlists, which already hold this listing,
    and the listing's anonymous uptake rate. A function, so pages that don't ask pay
    nothing; what it reads is read once per request, not once per card.
    """
    known = request_cache("plans_shortlists")
    if "allowed" not in known:
        # Once per request: a results page asks for every card.
        known["allowed"] = permissions.can_shortlist(current_user)
        known["uptake"] = known["allowed"] and permissions.can_see_uptake(current_user)
    if not known["allowed"]:
        return ShortlistActions(allowed=False)
    return ShortlistActions(
        allowed=True,
        holding=_holding(listing.id),
        uptake=_uptake(listing.id) if known["uptake"] else None,
    )


def _with_loaded_listings(name: str, listing_id: str, read: Callable[[list[str]], dict]) -> Any:
    """What ``read`` says of a listing, read at once for every listing this request loaded.

    A results page asks for each card in turn; the first asks for them all, in one
    statement, rather than one statement per card. The loaded listings are the ORM ones
    in the session's identity map and the plain rows it read
    (``listings.services.search_rows``); the answers are kept in ``request_cache(name)``.
    """
    known = request_cache(name)
    if listing_id not in known:
        # Identity keys are (class, primary key, token): no attribute is read, or loaded.
        loaded = {
            key[1][0]
            for key in db.session.identity_map.keys()  # noqa: SIM118  (not a dict)
            if issubclass(key[0], Listing)
        }
        loaded |= db.session.info.get(ROWS_READ, set())
        known.update(read(sorted((loaded - known.keys()) | {listing_id})))
    return known[listing_id]


def _holding(listing_id: str) -> list[services.ShortlistChoice]:
    """The visitor's shortlists that hold a listing."""
    return _with_loaded_listings(
        "plans_holding",
        listing_id,
        lambda ids: services.shortlists_holding(db.session, current_user, ids),
    )


def _uptake(listing_id: str) -> services.UptakeRate:
    """A listing's anonymous uptake rate."""
    return _with_loaded_listings(
        "plans_uptake", listing_id, lambda ids: services.uptake_rates(db.session, ids)
    )


# -- shortlists ---------------------------------------------------------------------------


@bp.get("/shortlists")
@requires_shortlists
def shortlists() -> ResponseReturnValue:
    """The practitioner's shortlists, and a form to start a new one.

    With those handed to them or their team (who handed each over, and when), and those
    they handed over and may still read.
    """
    return _shortlists_page(LabelForm(), 200)


def _shortlists_page(form: LabelForm, status: int) -> tuple[str, int]:
    mine = services.owned_shortlists(db.session, current_user)
    now = utcnow()
    return render_template(
        "plans/shortlists.html",
        shortlists=mine,
        handovers=services.handovers_of(db.session, mine),
        handed_over=services.handed_over_by(db.session, current_user, now),
        read_until=permissions.handover_read_until,
        form=form,
    ), status


@bp.post("/shortlists")
@requires_shortlists
def create_shortlist() -> ResponseReturnValue:
    """Start a new, empty shortlist under a label the practitioner chooses."""
    form = LabelForm()
    if form.validate_on_submit():
        shortlist = services.create_shortlist(db.session, current_user, form.label.data)
        flash(f"Started the shortlist “{shortlist.label}”.")
        return redirect(url_for("plans.shortlist", shortlist_id=shortlist.id))
    return _shortlists_page(form, 400)


@bp.post("/listings/<listing_id>/shortlist")
@requires_shortlists
def add(listing_id: str) -> ResponseReturnValue:
    """Add a listing to a shortlist.

    The one chosen, a new one with the label typed, or the working shortlist. Goes back
    to the page the practitioner came from.
    """
    listing = find_public_listing(db.session, listing_id)
    if listing is None:
        abort(404, description="We couldn't find that listing.")
    form = AddToShortlistForm()
    back = safe_next(
        form.next.data or request.args.get("next"),
        url_for("listings.listing_page", listing_id=listing.id),
    )
    if not form.validate_on_submit():
        flash("We couldn't add that to a shortlist. Please try again.")
        return redirect(back), 303
    try:
        choice = (form.shortlist.data or "").strip()
        if choice == "new":
            shortlist = services.add_to_working_shortlist(
                db.session, current_user, listing, new_label=form.label.data
            )
        elif choice:
            chosen_id = parse_id(choice)
            shortlist = (
                services.owned_shortlist(db.session, current_user, chosen_id)
                if chosen_id is not None
                else None
            )
            if shortlist is None:
                abort(404, description="We couldn't find that shortlist.")
            services.add_to_shortlist(db.session, current_user, shortlist, listing)
        else:
            shortlist = services.add_to_working_shortlist(db.session, current_user, listing)
    except services.PlanError as error:
        return render_template(
            "plans/add_problem.html", listing=listing, message=str(error), back=back
        ), 400
    flash(f"Added {listing.name} to “{shortlist.label}”.")
    return redirect(back, 303)


@bp.get("/shortlists/<int:shortlist_id>")
@requires_shortlists
def shortlist(shortlist_id: int) -> ResponseReturnValue:
    """One shortlist: its options and why, print, share, email, hand over, what happened.

    Read-only (its options, the hand-out and the summary) for whoever handed it over, for
    :data:`~directory.rules.permissions.HANDOVER_READ_DAYS` days.
    """
    chosen, access = _readable_or_404(shortlist_id)
    return _shortlist_page(chosen, access=access)


def _shortlist_page(
    chosen: Shortlist, status: int = 200, access: str = "continue", **forms
) -> tuple[str, int]:
    token = services.current_share_token(chosen, utcnow()) if access == "continue" else None
    handover = services.latest_handover(chosen)
    return render_template(
        "plans/shortlist.html",
        shortlist=chosen,
        read_only=access != "continue",
        handover=handover,
        read_until=permissions.handover_read_until,
        read_days=permissions.HANDOVER_READ_DAYS,
        share_link=external_url("plans.shared", token=token) if token else None,
        label_form=forms.get("label_form") or LabelForm(formdata=None, label=chosen.label),
        email_form=forms.get("email_form") or EmailForm(formdata=None),
        handover_form=(forms.get("handover_form") or HandoverForm(formdata=None)).set_teams(
            services.teams(db.session)
        )
        if access == "continue"
        else None,
        confirm=ConfirmForm(),
        uptake_labels=UPTAKE_LABELS,
        problem=forms.get("problem"),
    ), status


@bp.post("/shortlists/<int:shortlist_id>/rename")
@requires_shortlists
def rename(shortlist_id: int) -> ResponseReturnValue:
    """Change a shortlist's label."""
    chosen = _owned_or_404(shortlist_id)
    form = LabelForm()
    if form.validate_on_submit():
        services.rename_shortlist(db.session, current_user, chosen, form.label.data)
        flash("Label changed.")
        return redirect(url_for("plans.shortlist", shortlist_id=chosen.id), 303)
    return _shortlist_page(chosen, 400, label_form=form)


@bp.post("/shortlists/<int:shortlist_id>/delete")
@requires_shortlists
def delete(shortlist_id: int) -> ResponseReturnValue:
    """Delete a shortlist."""
    chosen = _owned_or_404(shortlist_id)
    if not ConfirmForm().validate_on_submit():
        return _shortlist_page(chosen, 400, problem="The form had expired. Please try again.")
    label = chosen.label
    services.delete_shortlist(db.session, current_user, chosen)
    flash(f"Deleted the shortlist “{label}”.")
    return redirect(url_for("plans.shortlists"), 303)


@bp.post("/shortlists/<int:shortlist_id>/items/<int:item_id>/remove")
@requires_shortlists
def remove(shortlist_id: int, item_id: int) -> ResponseReturnValue:
    """Take an option off a shortlist."""
    chosen = _owned_or_404(shortlist_id)
    if not ConfirmForm().validate_on_submit():
        return _shortlist_page(chosen, 400, problem="The form had expired. Please try again.")
    try:
        listing = services.remove_from_shortlist(db.session, current_user, chosen, item_id)
    except services.PlanError as error:
        return _shortlist_page(chosen, 404, problem=str(error))
    flash(f"Removed {listing.name}.")
    return redirect(url_for("plans.shortlist", shortlist_id=chosen.id), 303)


@bp.post("/shortlists/<int:shortlist_id>/uptake")
@requires_shortlists
def uptake(shortlist_id: int) -> ResponseReturnValue:
    """Record whether the person went to each option (counted anonymously per listing)."""
    chosen = _owned_or_404(shortlist_id)
    if not ConfirmForm().validate_on_submit():
        return _shortlist_page(chosen, 400, problem="The form had expired. Please try again.")
    answers = {
        item.id: request.form.get(f"uptake-{item.id}") or None
        for item in chosen.items
        if f"uptake-{item.id}" in request.form
    }
    try:
        services.record_uptake(db.session, current_user, chosen, answers)
    except services.PlanError as error:
        return _shortlist_page(chosen, 400, problem=str(error))
    flash("Thank you: what happened is recorded.")
    return redirect(url_for("plans.shortlist", shortlist_id=chosen.id), 303)


@bp.post("/shortlists/<int:shortlist_id>/handover")
@requires_shortlists
def handover(shortlist_id: int) -> ResponseReturnValue:
    """Hand the plan to a colleague (their work email) or a team (issue 21).

    They continue it under their own label and are told; the hand-over is audited, and
    this practitioner may read it for HANDOVER_READ_DAYS days more.
    """
    chosen = _owned_or_404(shortlist_id)
    form = HandoverForm()
    if not form.validate_on_submit():
        return _shortlist_page(chosen, 400, handover_form=form)
    try:
        done = services.hand_over(
            db.session, current_user, chosen, email=form.email.data, team_id=form.team.data
        )
    except services.PlanError as error:
        getattr(form, error.field or "email").errors = [str(error)]
        return _shortlist_page(chosen, 400, handover_form=form)
    to = done.to_user.name if done.to_user is not None else done.to_team.name
    until = permissions.handover_read_until(done.handed_at)
    flash(f"Handed “{chosen.label}” over to {to}. You can read it until {long_date(until)}.")
    return redirect(url_for("plans.shortlists"), 303)


# -- the summary for the record ----------------------------------------------------------------


@bp.get("/shortlists/<int:shortlist_id>/summary")
@requires_shortlists
def record_summary(shortlist_id: int) -> ResponseReturnValue:
    """The plan as short plain text to paste into the clinical record, with a Copy button.

    Without JavaScript the text is in a read-only box to select and copy. Sent with
    ``Cache-Control: no-store``: it is a practitioner's working note. Whoever handed the
    plan over may still read it for a while.
    """
    chosen, _access = _readable_or_404(shortlist_id)
    try:
        text = summary.record_summary(
            chosen,
            lambda listing_id: external_url("listings.listing_page", listing_id=listing_id),
            utcnow(),
        )
        problem = None
    except summary.NothingToRecord as error:
        text, problem = None, str(error)
    response = make_response(
        render_template(
            "plans/summary.html",
            shortlist=chosen,
            text=text,
            problem=problem,
            concepts=summary.snomed_concepts(),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# -- hand-outs, sharing and email -----------------------------------------------------------


def _home_district(typed: str | None) -> handout.MapPoint | None:
    """The centre of the postcode district typed for the hand-out's maps, or None.

    Only the district (PL4, not PL4 8AA) is looked up and shown, so the page never
    carries the person's full postcode.
    """
    if not typed or not typed.strip():
        return None
    try:
        district = outward_code(typed)
        found = get_geocoder(current_app).geocode(district)
    except (GeocodingError, ValueError):
        return None
    return handout.MapPoint(found.latitude, found.longitude, district)


def _render_handout(
    chosen: Shortlist,
    shared: bool,
    near: str | None = None,
    talked: conversation.TalkedAbout | None = None,
) -> str:
    home = _home_district(near)
    feedback_url = external_url("ratings.feedback", code=chosen.feedback_code)
    now = utcnow()
    map_of = tiles.map_maker(
        tiles.tile_source(current_app), current_app.config["HANDOUT_TILES_ATTRIBUTION"]
    )
    # The maps are centred on the listings' places; home is used for words alone.
    options = handout.handout_options(services.public_listings_of(chosen), now, home, map_of)
    return render_template(
        "plans/handout.html",
        shortlist=chosen,
        options=options,
        shared=shared,
        home=home,
        printed_on=handout.printed_on(now),
        pages=pages_for(len(options)),
        pages_words=pages_words(len(options)),
        feedback_url=feedback_url,
        qr=handout.qr_svg(feedback_url, "QR code for the feedback page"),
        talked=talked,
    )


@bp.route("/shortlists/<int:shortlist_id>/handout", methods=["GET", "POST"])
@requires_shortlists
def handout_page(shortlist_id: int) -> ResponseReturnValue:
    """The A4 hand-out to print for the person, with a Print button.

    Each option's what, when, where (with a small map of the streets when map tiles are
    configured, directions in words otherwise), how to join, cost and contact, the date
    and the anonymous feedback code. The postcode for distances is posted, never put in
    the address, and only its district is used. A print request from the CIVIC check
    (issue 21) carries what the person wants under "What we talked about". Whoever
    handed the plan over may still print it for a while.
    """
    chosen, _access = _readable_or_404(shortlist_id)
    if not services.public_listings_of(chosen):
        flash("Add at least one option before printing a hand-out.")
        return redirect(url_for("plans.shortlist", shortlist_id=chosen.id))
    services.ensure_feedback_code(db.session, current_user, chosen)
    near = request.form.get("near") if request.method == "POST" else None
    talked = conversation.talked_about(request.form if request.method == "POST" else None)
    return _render_handout(chosen, shared=False, near=near, talked=talked)


@bp.get("/shared/<token>")
def shared(token: str) -> ResponseReturnValue:
    """A shortlist shared by link: read-only, no practitioner names, until it expires."""
    try:
        chosen = services.shared_shortlist(db.session, token, utcnow())
    except services.LinkExpired as error:
        return render_template(
            "error_message.html", title="This link has expired", message=str(error)
        ), 410
    if chosen is None:
        abort(404, description="We couldn't find that list. Check the link you were given.")
    services.ensure_feedback_code(db.session, None, chosen)  # links made before codes existed
    return _render_handout(chosen, shared=True)


@bp.post("/shortlists/<int:shortlist_id>/share")
@requires_shortlists
def share(shortlist_id: int) -> ResponseReturnValue:
    """Make a new read-only share link that expires (PLANS_SHARE_LIFETIME_DAYS)."""
    chosen = _owned_or_404(shortlist_id)
    if not ConfirmForm().validate_on_submit():
        return _shortlist_page(chosen, 400, problem="The form had expired. Please try again.")
    try:
        services.share_shortlist(db.session, current_user, chosen, _share_lifetime_days(), utcnow())
    except services.PlanError as error:
        return _shortlist_page(chosen, 400, problem=str(error))
    flash("Share link made. Anyone with it can see this list, without your name, until it expires.")
    return redirect(url_for("plans.shortlist", shortlist_id=chosen.id) + "#share", 303)


@bp.post("/shortlists/<int:shortlist_id>/unshare")
@requires_shortlists
def unshare(shortlist_id: int) -> ResponseReturnValue:
    """Withdraw the share link."""
    chosen = _owned_or_404(shortlist_id)
    if not ConfirmForm().validate_on_submit():
        return _shortlist_page(chosen, 400, problem="The form had expired. Please try again.")
    services.stop_sharing(db.session, current_user, chosen)
    flash("The share link no longer works.")
    return redirect(url_for("plans.shortlist", shortlist_id=chosen.id), 303)


@bp.post("/shortlists/<int:shortlist_id>/email")
@requires_shortlists
def email(shortlist_id: int) -> ResponseReturnValue:
    """Email the hand-out and its share link.

    The address is used for this one message and never stored.
    """
    chosen = _owned_or_404(shortlist_id)
    form = EmailForm()
    if not form.validate_on_submit():
        return _shortlist_page(chosen, 400, email_form=form)
    if not current_app.config.get("MAIL_SERVER"):
        return _shortlist_page(
            chosen, 503, problem="Email isn't set up on this server. Print the list instead."
        )
    now = utcnow()
    try:
        token = services.current_share_token(chosen, now) or services.share_shortlist(
            db.session, current_user, chosen, _share_lifetime_days(), now
        )
        # Sent once the share link is committed (never if this request rolls back).
        services.send_shortlist(
            db.session,
            current_user,
            chosen,
            form.address.data,
            external_url("plans.shared", token=token),
            external_url("ratings.feedback", code=chosen.feedback_code),
            now,
            sent=lambda: flash("Sent. We haven't kept the email address."),
            failed=lambda: _shortlist_page(
                chosen, 503, problem="We couldn't send the email just now. Try again, or print it."
            ),
        )
    except services.PlanError as error:
        return _shortlist_page(chosen, 400, problem=str(error))
    return redirect(url_for("plans.shortlist", shortlist_id=chosen.id), 303)


# -- the plan builder -----------------------------------------------------------------------


def _plan_form_and_result() -> tuple[
    PlanForm, Plan | None, dict[str, Listing], GeoResult | None, str | None, int
]:
    """Read the plan builder's question from the posted form and answer it.

    Only a POST is answered: the home postcode and free times never travel in a URL, so
    they stay out of access logs, the browser's history and Referer headers. A question
    in a URL (an old bookmark) gets the empty form. Returns (form, plan, listings,
    location, problem, status).
    """
    if request.method != "POST":
        return PlanForm(formdata=None), None, {}, None, None, 200
    form = PlanForm(formdata=request.form)
    if request.form.get("prefill"):
        # Pre-filled from the CIVIC check (issue 21): the domains and network type the
        # practitioner chose, shown for the rest of the question to be added. Not yet
        # a question, so no errors.
        return form, None, {}, None, None, 200
    if not form.validate():
        return form, None, {}, None, None, 400
    try:
        location = get_geocoder(current_app).geocode(form.postcode.data)
    except GeocodingError as error:
        message, status = geocoding_problem(error)
        form.postcode.errors = [message]
        return form, None, {}, None, None, status
    plan, listings = services.build_plan(
        db.session, (location.latitude, location.longitude), form.plan_request(), utcnow()
    )
    return form, plan, listings, location, None, 200


# Fields of the plan form carried by its follow-up forms (swap, save), and those they set.
_OWN_FIELDS = ("csrf_token", "label")


def _question_fields() -> list[tuple[str, str]]:
    """The plan question as posted, as (name, value) pairs for hidden fields."""
    return [
        (name, value)
        for name, values in request.form.lists()
        if name not in _OWN_FIELDS and isinstance(getattr(PlanForm, name, None), UnboundField)
        for value in values
    ]


def _swap_fields(listing_id: str, replaces: str | None) -> list[tuple[str, str]]:
    """The plan question again with ``listing_id`` pinned and ``replaces`` left out.

    That is "use this instead" as a small posted form, so it works without JavaScript and
    keeps the postcode out of the address.
    """
    fields = [(n, v) for n, v in _question_fields() if n not in ("pin", "exclude")]
    pins = [p for p in request.form.getlist("pin") if p != replaces] + [listing_id]
    excludes = request.form.getlist("exclude") + ([replaces] if replaces else [])
    fields += [("pin", p) for p in pins]
    fields += [("exclude", e) for e in excludes if e != listing_id]
    return fields


def _render_plan(form, plan, listings, location, label_form, problem, status) -> tuple[str, int]:
    return render_template(
        "plans/plan.html",
        form=form,
        plan=plan,
        listings=listings,
        location=location,
        label_form=label_form,
        names=services.domain_names(),
        problem=problem,
        swap_fields=_swap_fields,
        question_fields=_question_fields() if request.method == "POST" else [],
    ), status


@bp.route("/plan", methods=["GET", "POST"])
@requires_shortlists
def plan_builder() -> ResponseReturnValue:
    """Build a CIVIC-balanced plan.

    A few options that together cover the domains the person wants to work on, near
    home, at times they are free, each with its reason. The question is posted (see
    :func:`_plan_form_and_result`).
    """
    form, plan, listings, location, problem, status = _plan_form_and_result()
    # A domain the plan finds nothing for is unmet need (issue 19).
    need.record_plan(db.session, current_user, plan, location)
    return _render_plan(form, plan, listings, location, LabelForm(formdata=None), problem, status)


@bp.post("/plan/save")
@requires_shortlists
def save_plan() -> ResponseReturnValue:
    """Keep the proposed plan, with each option's reason, as a new shortlist."""
    form, plan, listings, location, problem, status = _plan_form_and_result()
    label_form = LabelForm()
    if plan is not None and label_form.validate_on_submit():
        try:
            saved = services.save_plan(
                db.session, current_user, label_form.label.data, plan, listings
            )
        except services.PlanError as error:
            problem = str(error)
        else:
            flash(f"Saved the plan as “{saved.label}”.")
            if request.form.get("then") == "handout":
                # 307 keeps the method and the body: the browser posts the question,
                # with what the person wants printed under "What we talked about", to
                # the hand-out. Carried, never stored.
                return redirect(url_for("plans.handout_page", shortlist_id=saved.id), 307)
            return redirect(url_for("plans.shortlist", shortlist_id=saved.id), 303)
    return _render_plan(
        form, plan, listings, location, label_form, problem, 400 if status < 400 else status
    )
