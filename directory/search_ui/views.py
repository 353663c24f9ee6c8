"""``/search``: the page a GP uses in a ten-minute appointment."""

from __future__ import annotations

from urllib.parse import parse_qsl

from flask import current_app, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.datastructures import MultiDict

from directory.args import args_to_dict, describe_errors
from directory.extensions import csrf, db
from directory.geo import GeocodingError, get_geocoder
from directory.insights import need
from directory.listings.services import listing_points, search_rows
from directory.maps import results_map
from directory.search_ui import bp, place
from directory.search_ui.applied import applied_filters, cleared
from directory.search_ui.schemas import SEARCH_ARGS
from directory.search_ui.services import geocoding_problem, search_listings
from directory.transactions import reads_only

# The session key holding the query string of the last search that found results, so
# "Back to search" on a listing can show that search again without a postcode in its URL.
# It is kept as the page's links carry it: the place sealed (directory.search_ui.place).
LAST_SEARCH = "last_search"
# A query string longer than this isn't kept (the session is a cookie).
LAST_SEARCH_LIMIT = 1500


@bp.get("/search")
def search_page() -> ResponseReturnValue:
    """Search by text, CIVIC domain, filters and a place; works without JavaScript.

    The place comes sealed (``near``, from the posted form) or, from a link made before,
    as ``postcode``; either way the page's own links carry it sealed.
    """
    return _search_page(request.args, record=True)


@bp.post("/search")
@csrf.exempt  # it changes nothing: it only turns the form into the results' address
@reads_only
def search_sent() -> ResponseReturnValue:
    """The search form, posted so the postcode typed never appears in an address.

    A valid search goes on to its results (303) with the place sealed in the address; one
    that isn't valid is answered here, with what was typed kept.
    """
    # Blank fields say nothing; a CSRF token (an "Add to shortlist" button's) isn't a search.
    form = MultiDict(
        (name, value)
        for name, value in request.form.items(multi=True)
        if value.strip() and name != "csrf_token"
    )
    try:
        SEARCH_ARGS.load(args_to_dict(SEARCH_ARGS, form))
    except ValidationError:
        return _search_page(form, record=False)
    query = place.encoded(place.sealed_query(form))
    return redirect(url_for("search.search_page") + (f"?{query}" if query else ""), 303)


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


def _search_page(query: MultiDict, record: bool) -> tuple[str, int]:
    """The search page for ``query`` (its place sealed as ``near`` or typed), and its status.

    ``record``: a new search, not one shown again. A practitioner's that finds nothing is
    noted, and one that finds results is remembered for "Back to search". A place that
    can't be opened (another browser's, or too old) is asked for again, keeping the other
    filters.
    """
    form, not_opened = place.typed_query(query)
    if not_opened:
        return render_template(
            "search.html",
            results=None,
            form=form,
            errors={"postcode": [place.NOT_OPENED]},
            error_summary=place.NOT_OPENED,
        ), 400
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
    # Every link of the page carries the place sealed (the seal it came with, if any),
    # never the postcode typed.
    links = place.sealed_query(form, query.get(place.SEALED))
    encoded = place.encoded(links)
    g.page_address = url_for("search.search_page") + (f"?{encoded}" if encoded else "")
    # Set only when it changes: an unchanged session sends no cookie.
    fits = encoded and len(encoded) <= LAST_SEARCH_LIMIT
    if record and fits and session.get(LAST_SEARCH) != encoded:
        session[LAST_SEARCH] = encoded
    centre = (results.location.latitude, results.location.longitude) if results.location else None
    return render_template(
        "search.html",
        results=results,
        form=form,
        links=links,
        errors={},
        args=args,
        applied=applied_filters(links),
        cleared=cleared(links),
        map=results_map(
            results.listings, listing_points(db.session, [x.id for x in results.listings]), centre
        ),
    ), 200
