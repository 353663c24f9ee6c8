"""The import page for moderators, and the spreadsheet template anyone can download."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from directory.extensions import db
from directory.geo import get_geocoder
from directory.imports import bp, kept
from directory.imports.forms import ImportForm, TrustForm
from directory.models import ImportSource, Organisation, utcnow
from directory.permissions import requires
from directory.rules import permissions
from directory.rules.uploads import KEPT_FOR
from importers.calendars import CalendarError, run_calendar
from importers.datapackage import run_datapackage
from importers.openreferral import FeedError, read_json, run_openreferral
from importers.runner import ATTENTION, MAX_NAMED, Locator, set_trusted
from importers.spreadsheet import SpreadsheetError, run_spreadsheet, template_csv, template_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.get("/imports/template.xlsx")
def template_xlsx_file() -> ResponseReturnValue:
    """The spreadsheet template: a Listings sheet and a Guide to every column."""
    return Response(
        template_xlsx(),
        mimetype=XLSX,
        headers={"Content-Disposition": "attachment; filename=civic-listings-template.xlsx"},
    )


@bp.get("/imports/template.csv")
def template_csv_file() -> ResponseReturnValue:
    """The spreadsheet template as CSV: the header row and one example row."""
    return Response(
        template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=civic-listings-template.csv"},
    )


def _page(
    form: ImportForm,
    summary=None,
    problem: str | None = None,
    status: int = 200,
    import_now: dict | None = None,
) -> tuple[str, int]:
    sources = db.session.scalars(select(ImportSource).order_by(ImportSource.name)).all()
    return render_template(
        "imports/index.html",
        form=form,
        summary=summary,
        problem=problem,
        sources=sources,
        trust=TrustForm(),
        attention_words=ATTENTION,
        import_now=import_now,
        max_named=MAX_NAMED,
        kept_minutes=int(KEPT_FOR.total_seconds() // 60),
    ), status


def _organisation_choices(form: ImportForm) -> None:
    organisations = db.session.execute(
        select(Organisation.id, Organisation.name).order_by(Organisation.name)
    ).all()
    form.organisation.choices = [SelectChoice("", "From the file (each row or record says)")] + [
        SelectChoice(id_, name) for id_, name in organisations
    ]


@bp.route("/moderation/imports", methods=["GET", "POST"])
@requires(permissions.can_import)
def import_page() -> ResponseReturnValue:
    """Run an import from an upload or a URL and show what it did, row by row."""
    form = ImportForm()
    _organisation_choices(form)
    if request.method == "GET":
        return _page(form)
    if not (form.validate_on_submit() and form.check()):
        return _page(form, status=400)
    organisation = None
    if form.organisation.data:
        organisation = db.session.get(Organisation, form.organisation.data)
        if organisation is None:
            form.organisation.errors.append("Choose an organisation from the list.")
            return _page(form, status=400)
    upload = form.upload.data if form.upload.data and form.upload.data.filename else None
    content = upload.read() if upload else None
    filename = upload.filename if upload else ""
    held = None
    if upload is None and form.kept.data:
        # "Import now" after a dry run: the file checked then, kept for this moderator.
        held = kept.find(db.session, current_user, form.kept.data, utcnow())
        if held is None:
            form.upload.errors.append(
                "The file you checked is no longer kept (files are kept for an hour, and "
                "only until they are imported). Choose it again."
            )
            return _page(form, status=400)
        content, filename = held.content, held.filename
        form.kind.data = held.kind
    try:
        summary = _run(form, content, filename, organisation)
    except (SpreadsheetError, FeedError) as error:
        return _page(form, problem=str(error), status=400)
    except CalendarError as error:
        return _page(
            form,
            problem=f"{error} The organisation's editors and the moderators have been told.",
            status=400,
        )
    return _after_run(form, summary, content, filename, held, organisation)


def _run(
    form: ImportForm, content: bytes | None, filename: str, organisation: Organisation | None
) -> Any:
    """Run the import the form asks for, on the file's ``content`` or the form's address."""
    locator = Locator(get_geocoder(current_app._get_current_object()))
    common = {
        "actor": current_user,
        "locator": locator,
        "source_name": form.source.data or None,
        "dry_run": form.dry_run.data,
    }
    if form.kind.data == "spreadsheet":
        return run_spreadsheet(db.session, content, filename, organisation=organisation, **common)
    if form.kind.data == "openreferral":
        location = form.url.data or filename
        document = read_json(content, filename) if content is not None else None
        return run_openreferral(db.session, location, document=document, **common)
    if form.kind.data == "datapackage":
        return run_datapackage(
            db.session, None, content=content or b"", filename=filename, **common
        )
    return run_calendar(
        db.session, form.url.data or filename, organisation, content=content, **common
    )


def _after_run(
    form: ImportForm,
    summary: Any,
    content: bytes | None,
    filename: str,
    held: Any,
    organisation: Organisation | None,
) -> tuple[str, int]:
    """The summary page; after a dry run, the "Import now" form (keeping an uploaded file).

    A real run of a kept file deletes it.
    """
    if not form.dry_run.data:
        if held is not None:
            kept.forget(db.session, held)
        return _page(form, summary=summary)
    import_now = {
        "kind": form.kind.data,
        "organisation": organisation.id if organisation else "",
        "source": form.source.data or "",
        "url": form.url.data or "",
        "filename": filename,
        "kept": "",
    }
    if content is not None and not form.url.data:
        import_now["kept"] = kept.keep(
            db.session,
            current_user,
            kind=form.kind.data,
            filename=filename,
            content=content,
            organisation_id=organisation.id if organisation else None,
            source_name=form.source.data or None,
            now=utcnow(),
        )
    return _page(form, summary=summary, import_now=import_now)


PER_PAGE = 100


@bp.get("/moderation/imports/sources/<int:source_id>/listings")
@requires(permissions.can_import)
def source_listings(source_id: int) -> ResponseReturnValue:
    """The listings an import source brought in that need attention, one kind at a time.

    ``problem`` is no_place, no_domains, not_social or stale, as the import summary
    counted them; a page of 100, published or not.
    """
    from sqlalchemy import func

    from directory.models import Listing
    from directory.models import utcnow as now
    from importers.runner import ATTENTION, attention_filter

    source = db.session.get(ImportSource, source_id)
    if source is None:
        abort(404, description="We couldn't find that import source.")
    problem = request.args.get("problem", "")
    if problem not in ATTENTION:
        abort(404, description="Choose one of the lists the import summary links to.")
    try:
        page = max(1, min(int(request.args.get("page", "1")), 10_000))
    except ValueError:
        page = 1
    where = (Listing.source == source.name, Listing.archived_at.is_(None))
    condition = attention_filter(problem, now())
    total = db.session.scalar(select(func.count(Listing.id)).where(*where, condition))
    listings = db.session.scalars(
        select(Listing)
        .where(*where, condition)
        .order_by(Listing.name, Listing.id)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "imports/listings.html",
        source=source,
        problem=problem,
        description=ATTENTION[problem].format(n=total),
        listings=listings,
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
    )


@bp.post("/moderation/imports/sources/<int:source_id>/trust")
@requires(permissions.can_mark_trusted)
def trust_source(source_id: int) -> ResponseReturnValue:
    """Mark an import source trusted (its listings publish directly) or not."""
    source = db.session.get(ImportSource, source_id)
    if source is None:
        abort(404, description="We couldn't find that import source.")
    form = TrustForm()
    if not form.validate_on_submit():
        abort(400, description="The form had expired. Please try again.")
    set_trusted(db.session, current_user, source, form.trusted.data)
    flash(
        f"{source.name} is now trusted: its listings publish directly."
        if source.trusted
        else f"{source.name} is no longer trusted: its listings wait for a moderator."
    )
    return redirect(url_for("imports.import_page"))
