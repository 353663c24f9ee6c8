"""``/search``: the page a GP uses in a ten-minute appointment."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import current_app, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from directory.args import args_to_dict, describe_errors
from directory.extensions import db
from directory.geo import GeocodingError, get_geocoder
from directory.insights import need
from directory.listings.services import listing_points, search_rows
from directory.maps import results_map
from directory.search_ui import bp
from directory.search_ui.applied import applied_filters, cleared
from directory.search_ui.schemas import SEARCH_ARGS
from directory.search_ui.services import geocoding_problem, search_listings

# The session key holding the query string of the last search that found results, so
# "Back to search" on a listing can show that search again without a postcode in its URL.
LAST_SEARCH = "last_search"
# A query string longer than this isn't kept (the session is a cookie).
LAST_SEARCH_LIMIT = 1500


@bp.get("/search")
def search_page() -> ResponseReturnValue:
    """Search by text, CIVIC domain, filters and postcode; works without JavaScript."""
    response = _search_page(request.args, record=True)
    query = request.query_string.decode("ascii", "replace")
    # Set only when it changes: an unchanged session sends no cookie.
    fits = query and len(query) <= LAST_SEARCH_LIMIT
    if response[1] == 200 and fits and session.get(LAST_SEARCH) != query:
        session[LAST_SEARCH] = query
    return response


@bp.get("/search/last")
def last_search() -> ResponseReturnValue:
    """The last search this browser made, shown again ("Back to search" on a listing).

    Its place and filters come from the session, so the link back carries no postcode.
    Without one, the empty search page.
    """
    query = session.get(LAST_SEARCH)
    if not isinstance(query, str) or not query:
        return redirect(url_for("search.search_page"))
    return _search_page(MultiDict(parse_qsl(query, keep_blank_values=True)), record=False)


def _search_page(form: MultiDict, record: bool) -> tuple[str, int]:
    """The search page for the query ``form``, and its status.

    ``record`` notes a practitioner's search that found nothing (not when a search is
    only shown again).
    """
    raw = args_to_dict(SEARCH_ARGS, form)
    try:
        args = SEARCH_ARGS.load(raw)
    except ValidationError as error:
        return render_template(
            "search.html",
            results=None,
            form=form,
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
            form=form,
            errors={"postcode": [message]},
            error_summary=message,
        ), status
    # A practitioner's search near a place that found nothing is unmet need (issue 19).
    if record:
        need.record_search(db.session, current_user, args, results.total, results.location)
    centre = (results.location.latitude, results.location.longitude) if results.location else None
    return render_template(
        "search.html",
        results=results,
        form=form,
        errors={},
        args=args,
        applied=applied_filters(form),
        cleared=cleared(form),
        map=results_map(
            results.listings, listing_points(db.session, [x.id for x in results.listings]), centre
        ),
    ), 200
