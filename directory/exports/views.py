"""Downloads: a search as CSV or XLSX, and a listing's times as an .ics file."""

from __future__ import annotations

import datetime as dt
import re

from flask import Response, abort, current_app, request, url_for
from flask.typing import ResponseReturnValue

from directory.args import bad_request, parse_args
from directory.exports import bp
from directory.exports.calendar import LONDON, listing_calendar
from directory.exports.services import search_for_export
from directory.exports.tabular import as_csv, as_xlsx, result_rows
from directory.extensions import db
from directory.geo import GeocodingError, get_geocoder
from directory.listings.services import get_public_listing
from directory.search_ui import place
from directory.search_ui.schemas import SEARCH_ARGS
from directory.search_ui.services import geocoding_problem

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_name(name: str) -> str:
    """A listing's name as a safe, readable file name: "Walk & Talk!" → "walk-talk"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60].strip("-") or "listing"


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _search_rows() -> list[list]:
    """Run the search the query string describes (the parameters of /search).

    The search page's links carry its place sealed (``near``); it is opened here as there.
    """
    query, not_opened = place.typed_query(request.args)
    if not_opened:
        raise bad_request(place.NOT_OPENED, {"postcode": [place.NOT_OPENED]})
    args = parse_args(SEARCH_ARGS, query)
    try:
        results = search_for_export(db.session, args, get_geocoder(current_app))
    except GeocodingError as error:
        message, status = geocoding_problem(error)
        if status != 400:
            abort(status, description=message)
        raise bad_request(message, {"postcode": [message]}) from None
    return result_rows(results.listings, results.distances)


@bp.get("/search/export.csv")
def search_csv() -> ResponseReturnValue:
    """Every result of a search (same parameters as /search) as a CSV file."""
    rows = _search_rows()
    filename = f"civic-search-{dt.date.today().isoformat()}.csv"
    return _download(as_csv(rows), "text/csv", filename)


@bp.get("/search/export.xlsx")
def search_xlsx() -> ResponseReturnValue:
    """Every result of a search (same parameters as /search) as an Excel workbook."""
    rows = _search_rows()
    filename = f"civic-search-{dt.date.today().isoformat()}.xlsx"
    return _download(as_xlsx(rows), XLSX, filename)


@bp.get("/listings/<listing_id>/calendar.ics")
def listing_ics(listing_id: str) -> ResponseReturnValue:
    """A public listing's regular times as an iCalendar file to add to a calendar."""
    listing = get_public_listing(db.session, listing_id)
    if listing is None:
        abort(404, description="No public listing has that id.")
    now = dt.datetime.now(LONDON).replace(tzinfo=None)
    page_url = url_for("listings.listing_page", listing_id=listing.id, _external=True)
    body = listing_calendar(listing, now, page_url)
    if body is None:
        abort(404, description="This listing has no upcoming times to add to a calendar.")
    return _download(body, "text/calendar", f"{file_name(listing.name)}.ics")
