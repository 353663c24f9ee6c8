"""JSON endpoints: search, listing detail, coverage and the signed-in account.

Each answer is dumped with its output schema in ``directory.api.schemas``, the same
classes the OpenAPI description is generated from.
"""

from __future__ import annotations

from flask import abort, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from directory import permissions
from directory.api import bp
from directory.api.schemas import LISTING_SCHEMA, ME_SCHEMA, SEARCH_PAGE_SCHEMA, SearchPage
from directory.args import bad_request, parse_args
from directory.extensions import db
from directory.geo import GeocodingError, get_geocoder
from directory.insights.schemas import COVERAGE_ARGS, COVERAGE_SCHEMA
from directory.insights.services import area_coverage, coverage_document
from directory.listings.services import get_public_listing, search_rows
from directory.search_ui.schemas import SEARCH_ARGS
from directory.search_ui.services import geocoding_problem, search_listings


@bp.get("/listings/<listing_id>")
def listing_detail(listing_id: str) -> ResponseReturnValue:
    """One public listing as JSON."""
    listing = get_public_listing(db.session, listing_id)
    if listing is None:
        abort(404, description="No public listing has that id.")
    return jsonify(LISTING_SCHEMA.dump(listing))


@bp.get("/search")
def search() -> ResponseReturnValue:
    """Search with the same parameters as ``/search``; 400 with field errors if bad."""
    args = parse_args(SEARCH_ARGS, request.args)
    try:
        results = search_listings(db.session, args, get_geocoder(current_app), search_rows)
    except GeocodingError as error:
        message, status = geocoding_problem(error)
        if status != 400:
            abort(status, description=message)
        raise bad_request(message, {"postcode": [message]}) from None
    return jsonify(SEARCH_PAGE_SCHEMA.dump(SearchPage.from_results(results)))


@bp.get("/me")
@permissions.requires(permissions.is_signed_in)
def me() -> ResponseReturnValue:
    """Who the session or API token belongs to, and what they may do."""
    return jsonify(ME_SCHEMA.dump(current_user))


@bp.get("/insights/coverage")
def insights_coverage() -> ResponseReturnValue:
    """Public listings by CIVIC domain and kind near a place, and the gaps in words.

    Takes the parameters of `/search` (a place required; no domain, sort or page): each
    domain's count is the `/search` total for the same place, filters and domain.
    """
    args = parse_args(COVERAGE_ARGS, request.args)
    try:
        report = area_coverage(db.session, args, get_geocoder(current_app))
    except GeocodingError as error:
        message, status = geocoding_problem(error)
        if status != 400:
            abort(status, description=message)
        raise bad_request(message, {"postcode": [message]}) from None
    return jsonify(COVERAGE_SCHEMA.dump(coverage_document(report)))
