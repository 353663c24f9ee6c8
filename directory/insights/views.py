"""``/insights``: what a commissioner comes for (journey 4).

Coverage is public (it is counted from the public directory); unmet need and trends are
for commissioners and moderators.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from marshmallow import ValidationError

from directory.args import args_to_dict, describe_errors, flatten_errors
from directory.exports.tabular import as_csv, as_xlsx, safe_cell
from directory.extensions import db
from directory.geo import GeocodingError, get_geocoder, postcode_area, table_path
from directory.geo.offline import OfflinePostcodeGeocoder
from directory.insights import bp
from directory.insights import services as insights
from directory.insights.maps import coverage_map, legend
from directory.insights.schemas import COMPARE_ARGS, COVERAGE_PAGE_ARGS, MOST_AREAS
from directory.rules import permissions
from directory.search_ui.services import geocoding_problem
from directory.vocabularies import label

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The search parameters a coverage question carries on to its search links.
CARRIED = (
    "radius_km", "q", "kind", "intervention", "cost", "join", "delivered_by", "audience",
    "accessibility", "day", "part", "online", "first_visit", "show_unverified",
)  # fmt: skip


@bp.get("/")
def index() -> ResponseReturnValue:
    """The commissioner's start page: coverage (public), unmet need and trends."""
    return render_template(
        "insights/index.html", can_see_insights=permissions.can_see_insights(current_user)
    )


def carried_params(args: dict[str, Any]) -> dict[str, Any]:
    """The search parameters of loaded coverage arguments, for links (flags as "true")."""
    params = {name: args[name] for name in CARRIED if args.get(name) not in (None, [], "", False)}
    params["radius_km"] = f"{args['radius_km']:g}"  # 5, not 5.0
    for flag in ("online", "first_visit", "show_unverified"):
        if params.get(flag):
            params[flag] = "true"
    return params


def search_link(args: dict[str, Any], place: str, **chosen: Any) -> str:
    """The search that finds what a coverage count counted (same place and filters)."""
    return url_for("search.search_page", postcode=place, **carried_params(args), **chosen)


def comparable_area(area: insights.Area) -> str:
    """What to compare a place with: its postcode area (NG7 → NG), or the district."""
    if area.precision in ("postcode", "outward"):
        return postcode_area(area.name)
    return area.name


def compare_link(args: dict[str, Any], areas: str) -> str:
    """The comparison of ``areas`` with the same radius and filters."""
    return url_for("insights.compare", areas=areas, **carried_params(args))


def _postcodes() -> OfflinePostcodeGeocoder:
    return OfflinePostcodeGeocoder(table_path(current_app))


def _problem_page(template: str, errors: dict, status: int, **context) -> ResponseReturnValue:
    """The form again with what was typed and what is wrong (``status`` 400 or 503)."""
    return render_template(
        template,
        form=request.args,
        errors=flatten_errors(errors),
        error_summary=describe_errors(errors),
        **context,
    ), status


@bp.get("/coverage")
def coverage() -> ResponseReturnValue:
    """Coverage of a place by CIVIC domain and kind, its gaps in words, and a hex map."""
    if not request.args.get("postcode", "").strip() and "radius_km" not in request.args:
        return render_template("insights/coverage.html", form=request.args, errors={})
    try:
        args = COVERAGE_PAGE_ARGS.load(args_to_dict(COVERAGE_PAGE_ARGS, request.args))
    except ValidationError as error:
        return _problem_page("insights/coverage.html", error.messages, 400)
    geocoder = get_geocoder(current_app)
    try:
        report = insights.area_coverage(db.session, args, geocoder)
    except GeocodingError as error:
        message, status = geocoding_problem(error)
        return _problem_page("insights/coverage.html", {"postcode": [message]}, status)
    map_domain = (args.get("map_domain") or [None])[0] or (
        report.gaps[0].domain if report.gaps else insights.domain_codes()[0]
    )
    hexes = insights.hex_map(
        db.session,
        args,
        report.area,
        map_domain,
        insights.outward_codes_near(_postcodes(), report.area),
    )
    domain_name = label("civic_domain", map_domain)
    region_map = coverage_map(
        hexes, domain_name, lambda code: search_link(args, code, domain=map_domain)
    )
    compare_area = comparable_area(report.area)
    return render_template(
        "insights/coverage.html",
        form=request.args,
        errors={},
        args=args,
        report=report,
        compare_area=compare_area,
        compare_url=compare_link(args, compare_area),
        hexes=hexes,
        map=region_map,
        map_domain=map_domain,
        legend=legend(hexes.highest),
        link=lambda **chosen: search_link(args, report.area.query, **chosen),
    )


def _comparison() -> tuple[dict[str, Any], list[insights.AreaRow]]:
    """Load the comparison's arguments and count each area; ValidationError if bad."""
    args = COMPARE_ARGS.load(args_to_dict(COMPARE_ARGS, request.args))
    places = insights.expand_areas(args["areas"], _postcodes(), MOST_AREAS)
    if not places:
        raise ValidationError({"areas": ["Enter the areas to compare, or a postcode area."]})
    return args, insights.compare_areas(db.session, args, get_geocoder(current_app), places)


@bp.get("/compare")
def compare() -> ResponseReturnValue:
    """Several areas side by side (a list, or every outward code of a postcode area)."""
    if "areas" not in request.args:
        return render_template("insights/compare.html", form=request.args, errors={})
    try:
        args, rows = _comparison()
    except ValidationError as error:
        return _problem_page("insights/compare.html", error.messages, 400)
    except GeocodingError as error:
        message, status = geocoding_problem(error)
        return _problem_page("insights/compare.html", {"areas": [message]}, status)
    return render_template(
        "insights/compare.html",
        form=request.args,
        errors={},
        args=args,
        rows=rows,
        most=MOST_AREAS,
        link=lambda place, **chosen: search_link(args, place, **chosen),
        coverage_for=lambda place: url_for(
            "insights.coverage", postcode=place, **carried_params(args)
        ),
        downloads={
            extension: f"{url_for(f'insights.compare_{extension}')}?"
            f"{request.query_string.decode('ascii', 'replace')}"
            for extension in ("csv", "xlsx")
        },
    )


def _download(extension: str) -> Response:
    """The comparison as a CSV or XLSX file; 400 with the reasons when the input is bad."""
    try:
        _, rows = _comparison()
    except ValidationError as error:
        abort(400, description=describe_errors(error.messages))
    except GeocodingError as error:
        message, status = geocoding_problem(error)
        abort(status, description=message)
    table = [[safe_cell(cell) for cell in row] for row in insights.comparison_rows(rows)]
    filename = f"civic-coverage-{dt.date.today().isoformat()}.{extension}"
    if extension == "csv":
        body, mimetype = as_csv(table), "text/csv"
    else:
        body, mimetype = as_xlsx(table, title="Coverage by area"), XLSX
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/compare.csv")
def compare_csv() -> ResponseReturnValue:
    """The areas side by side as a CSV file (same parameters as the comparison page)."""
    return _download("csv")


@bp.get("/compare.xlsx")
def compare_xlsx() -> ResponseReturnValue:
    """The areas side by side as an Excel workbook (same parameters as the comparison)."""
    return _download("xlsx")
