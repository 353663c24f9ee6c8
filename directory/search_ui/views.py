"""``/search``: the page a GP uses in a ten-minute appointment."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from marshmallow import ValidationError

from directory.args import args_to_dict, describe_errors
from directory.extensions import db
from directory.geo import GeocodingError, get_geocoder
from directory.insights import need
from directory.listings.services import listing_points, search_rows
from directory.maps import results_map
from directory.search_ui import bp
from directory.search_ui.schemas import SEARCH_ARGS
from directory.search_ui.services import geocoding_problem, search_listings


@bp.get("/search")
def search_page() -> ResponseReturnValue:
    """Search by text, CIVIC domain, filters and postcode; works without JavaScript."""
    raw = args_to_dict(SEARCH_ARGS, request.args)
    try:
        args = SEARCH_ARGS.load(raw)
    except ValidationError as error:
        return render_template(
            "search.html",
            results=None,
            form=request.args,
            errors=error.messages,
            error_summary=describe_errors(error.messages),
        ), 400
    try:
        results = search_listings(db.session, args, get_geocoder(current_app), search_rows)
    except GeocodingError as error:
        message, status = geocoding_problem(error)
        return render_template(
            "search.html",
            results=None,
            form=request.args,
            errors={"postcode": [message]},
            error_summary=message,
        ), status
    # A practitioner's search near a place that found nothing is unmet need (issue 19).
    need.record_search(db.session, current_user, args, results.total, results.location)
    centre = (results.location.latitude, results.location.longitude) if results.location else None
    return render_template(
        "search.html",
        results=results,
        form=request.args,
        errors={},
        args=args,
        map=results_map(
            results.listings, listing_points(db.session, [x.id for x in results.listings]), centre
        ),
    )
