"""Public pages for listings, organisations and browsing."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from directory.args import parse_args
from directory.extensions import db
from directory.filters import listing_is_stale
from directory.listings import bp, duplicates, services
from directory.maps import listing_map
from directory.rules import permissions
from directory.search_ui.schemas import BROWSE_ARGS


@bp.get("/listings/<listing_id>")
def listing_page(listing_id: str) -> ResponseReturnValue:
    """Everything about one listing: what, when, where, how to join, and its checks."""
    listing = services.get_public_listing(db.session, listing_id)
    if listing is None:
        # A listing merged into another: its old links (shortlists, bookmarks) lead there.
        kept = duplicates.merged_into(db.session, listing_id)
        if kept is not None:
            return redirect(url_for("listings.listing_page", listing_id=kept.id), 301)
        abort(404, description="We couldn't find that listing. It may have closed or moved.")
    can_decide = permissions.can_edit_organisation(current_user, listing.organisation_id)
    return render_template(
        "listing.html",
        listing=listing,
        stale=listing_is_stale(listing),
        map=listing_map(listing),
        can_decide_domains=can_decide,
        domains_form=DomainsForm() if can_decide else None,
        suggestion_reasons={s.code: s.reason for s in listing.domain_suggestions},
    )


class DomainsForm(FlaskForm):
    """Confirm or change a listing's CIVIC domains.

    The ticked ``domain`` boxes are read from the request; this carries the CSRF token.
    """


@bp.post("/listings/<listing_id>/domains")
@login_required
def decide_listing_domains(listing_id: str) -> ResponseReturnValue:
    """An editor of the listing's organisation or a moderator settles its CIVIC domains.

    The ticked ones are confirmed, suggestions left unticked rejected (audited).
    """
    from directory.listings.suggestions import decide_domains
    from directory.models import Listing
    from directory.vocabularies import vocabulary

    listing = db.session.get(Listing, listing_id)
    if listing is None or listing.archived_at is not None:
        abort(404, description="We couldn't find that listing.")
    if not permissions.can_edit_organisation(current_user, listing.organisation_id):
        abort(403, description="Only the organisation's editors and moderators can do this.")
    if not DomainsForm().validate_on_submit():
        abort(400, description="The form had expired. Please try again.")
    known = set(vocabulary("civic_domain").codes)
    chosen = [code for code in request.form.getlist("domain") if code in known]
    decide_domains(db.session, current_user, listing, chosen)
    db.session.commit()
    flash("CIVIC domains confirmed." if chosen else "CIVIC domains cleared.")
    return redirect(url_for("listings.listing_page", listing_id=listing.id))


@bp.get("/organisations/<organisation_id>")
def organisation_page(organisation_id: str) -> ResponseReturnValue:
    """An organisation and the listings it runs.

    Public once it has a public listing (permissions.can_see_organisation), so proposing
    one publishes nothing.
    """
    organisation = services.get_organisation(db.session, organisation_id)
    listings = services.organisation_listings(db.session, organisation) if organisation else []
    if organisation is None or not permissions.can_see_organisation(
        current_user, organisation.id, bool(listings)
    ):
        abort(404, description="We couldn't find that organisation.")
    return render_template("organisation.html", organisation=organisation, listings=listings)


@bp.get("/browse")
def browse_page() -> ResponseReturnValue:
    """Every public listing, filtered by kind and CIVIC domain."""
    args = parse_args(BROWSE_ARGS, request.args)
    page = services.browse_listings(
        db.session, kinds=args["kind"], domains=args["domain"], page=args["page"]
    )
    return render_template("browse.html", page=page, args=args)
