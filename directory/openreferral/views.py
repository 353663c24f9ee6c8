"""The Open Referral UK feed: read-only JSON under ``/openreferral``, open to any origin."""

from __future__ import annotations

from flask import Response, abort, current_app, jsonify, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue

from directory.args import bad_request, parse_args
from directory.exports import oruk as oruk_export
from directory.extensions import db
from directory.geo import GeocodingError, get_geocoder
from directory.openreferral import bp
from directory.openreferral import services as feed
from directory.openreferral.mapping import (
    ORUK_VERSION,
    PROFILE_URL,
    iso_datetime,
    organization_record,
    service_at_location_record,
    service_record,
    taxonomy_record,
    term_record,
)
from directory.openreferral.openapi import SCHEMA_DIR, openapi_document
from directory.openreferral.schemas import (
    ORGANIZATION_ARGS,
    PAGE_ARGS,
    SERVICE_ARGS,
    SERVICE_AT_LOCATION_ARGS,
    TAXONOMY_TERM_ARGS,
)
from directory.search_ui.services import geocoding_problem

__all__ = ["SCHEMA_DIR", "bp"]


def include_ratings() -> bool:
    """Whether the feed shows practitioners' ratings: off unless configured.

    Ratings are practitioners' opinions shared for each other, not for the public.
    """
    return bool(current_app.config["OPENREFERRAL_INCLUDE_RATINGS"])


@bp.after_app_request
def allow_any_origin(response: Response) -> Response:
    """The feed is public data: any web page may read it (CORS ``*``)."""
    if request.path == "/openreferral" or request.path.startswith("/openreferral/"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/")
def index() -> ResponseReturnValue:
    """What this API is: the HSDS version, the profile and where its OpenAPI lives."""
    return jsonify(
        {
            "version": ORUK_VERSION,
            "profile": PROFILE_URL,
            "openapi_url": url_for("openreferral.openapi", _external=True),
        }
    )


@bp.get("/openapi.json")
def openapi() -> ResponseReturnValue:
    """The feed's OpenAPI description, made valid and written to match what the feed does.

    It starts from the Open Referral UK profile's (CC BY-SA 4.0, the Open Referral
    project).
    """
    return jsonify(openapi_document())


@bp.get("/services")
def services() -> ResponseReturnValue:
    """A page of services; ``full`` nests everything, ``minimal`` gives ids and dates."""
    args = parse_args(SERVICE_ARGS, request.args)
    page = feed.services_page(db.session, args)
    if args["minimal"]:
        contents = [
            {"id": listing.id, "last_modified": iso_datetime(listing.updated_at)}
            for listing in page.contents
        ]
    else:
        ratings = include_ratings()
        contents = [
            service_record(listing, full=args["full"], include_ratings=ratings)
            for listing in page.contents
        ]
    return jsonify(page.body(contents))


@bp.get("/services/<service_id>")
def service_detail(service_id: str) -> ResponseReturnValue:
    """One service, fully nested."""
    listing = feed.public_service(db.session, service_id)
    if listing is None:
        abort(404, description="No public service has that id.")
    return jsonify(service_record(listing, full=True, include_ratings=include_ratings()))


@bp.get("/service_at_locations")
def service_at_locations() -> ResponseReturnValue:
    """A page of services at locations, nearest a postcode first when one is given."""
    args = parse_args(SERVICE_AT_LOCATION_ARGS, request.args)
    origin = None
    if args.get("postcode"):
        try:
            origin = get_geocoder(current_app).geocode(args["postcode"])
        except GeocodingError as error:
            message, status = geocoding_problem(error)
            if status != 400:
                abort(status, description=message)
            raise bad_request(f"postcode: {message}", {"postcode": [message]}) from None
    page = feed.service_at_locations_page(db.session, args, origin)
    contents = []
    for placed in page.contents:
        record = service_at_location_record(placed.location, full=args["full"])
        if placed.distance_m is not None:
            record["distance"] = round(placed.distance_m)
        contents.append(record)
    return jsonify(page.body(contents))


@bp.get("/service_at_locations/<sal_id>")
def service_at_location_detail(sal_id: str) -> ResponseReturnValue:
    """One service at a location, fully nested."""
    location = feed.public_location(db.session, sal_id)
    if location is None:
        abort(404, description="No public service_at_location has that id.")
    return jsonify(service_at_location_record(location, full=True))


@bp.get("/taxonomies")
def taxonomies() -> ResponseReturnValue:
    """A page of the vocabularies the feed publishes."""
    args = parse_args(PAGE_ARGS, request.args)
    page = feed.taxonomy_codes(args["page"], args["per_page"])
    return jsonify(page.body([taxonomy_record(code) for code in page.contents]))


@bp.get("/taxonomies/<taxonomy_id>")
def taxonomy_detail(taxonomy_id: str) -> ResponseReturnValue:
    """One vocabulary with its terms."""
    code = feed.taxonomy_code(taxonomy_id)
    if code is None:
        abort(404, description="No taxonomy has that id.")
    return jsonify(taxonomy_record(code, with_terms=True))


@bp.get("/taxonomy_terms")
def taxonomy_terms() -> ResponseReturnValue:
    """A page of terms, optionally of one taxonomy."""
    args = parse_args(TAXONOMY_TERM_ARGS, request.args)
    page = feed.taxonomy_terms_page(
        db.session, args["page"], args["per_page"], args.get("taxonomy_id")
    )
    return jsonify(page.body([term_record(t.vocabulary_code, t.code, t) for t in page.contents]))


@bp.get("/taxonomy_terms/<term_id>")
def taxonomy_term_detail(term_id: str) -> ResponseReturnValue:
    """One term."""
    term = feed.public_term(db.session, term_id)
    if term is None:
        abort(404, description="No taxonomy term has that id.")
    return jsonify(term_record(term.vocabulary_code, term.code, term))


@bp.get("/organizations")
def organizations() -> ResponseReturnValue:
    """A page of organisations that run at least one public listing."""
    args = parse_args(ORGANIZATION_ARGS, request.args)
    page = feed.organizations_page(db.session, args)
    return jsonify(page.body([organization_record(o) for o in page.contents]))


@bp.get("/organizations/<organization_id>")
def organization_detail(organization_id: str) -> ResponseReturnValue:
    """One organisation with its services (fully nested with ``full_service=true``)."""
    args = parse_args(ORGANIZATION_ARGS, request.args)
    organisation = feed.public_organisation(db.session, organization_id)
    if organisation is None:
        abort(404, description="No organization with public services has that id.")
    listings = feed.organisation_services(db.session, organisation)
    full = args["full_service"]
    return jsonify(
        organization_record(
            organisation,
            full=True,
            services=[service_record(listing, full=full) for listing in listings],
        )
    )


@bp.get("/export.json")
def export() -> ResponseReturnValue:
    """The whole public directory as one ORUK page of fully nested services.

    Streamed a service at a time: the request never holds the whole directory.
    """
    stream = oruk_export.OrukStream(db.session, current_app.json.dumps)
    response = Response(stream_with_context(iter(stream)), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="directory-oruk.json"'
    return response
