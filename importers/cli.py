"""``flask import ...``: import listings from spreadsheets, Open Referral UK and calendars.

Every command takes ``--dry-run`` (check and count, write nothing), shows a progress bar
and ends with a summary: created, updated, unchanged, rejected, then each rejected row's
problems. The exit status is 1 when the file or feed couldn't be read at all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from flask import current_app
from flask.cli import AppGroup

from directory.extensions import db
from directory.geo import get_geocoder
from directory.jobs import one_at_a_time
from directory.models import Organisation
from importers.runner import ImportSummary, Locator, attention_path

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

import_cli = AppGroup(
    "import", help="Import listings from spreadsheets, Open Referral UK and calendars."
)

DRY_RUN = click.option("--dry-run", is_flag=True, help="Check and count; write nothing.")


def _progress(label: str) -> Callable[[int], ProgressBar[int]]:
    """A progress bar factory for the importers: given a length, a bar labelled ``label``."""

    def factory(length: int) -> ProgressBar[int]:
        return click.progressbar(length=length, label=label)

    return factory


def _locator() -> Locator:
    return Locator(get_geocoder(current_app._get_current_object()))


def _organisation(organisation_id: str | None) -> Organisation | None:
    if organisation_id is None:
        return None
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise click.BadParameter(
            f"No organisation has id {organisation_id}.", param_hint="--organisation"
        )
    return organisation


def _report(summary: ImportSummary) -> None:
    click.echo(str(summary))
    if summary.source_id is not None and not summary.dry_run:
        for key, count in summary.attention.items():
            if count:
                click.echo(f"  {key.replace('_', ' ')}: {attention_path(summary.source_id, key)}")
    for note in summary.notes:
        click.echo(note)
    for problem in summary.errors:
        click.echo(f"  rejected: {problem}")
    for problem in summary.warnings:
        click.echo(f"  note: {problem}")


@import_cli.command("spreadsheet")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", "source_name", help="Name of the source (default: the file name).")
@click.option("--organisation", "organisation_id", help="Put every row under this organisation id.")
@click.option(
    "--trusted/--untrusted", default=None, help="Mark the source trusted (publishes directly)."
)
@DRY_RUN
def spreadsheet_command(
    file: Path,
    source_name: str | None,
    organisation_id: str | None,
    trusted: bool | None,
    dry_run: bool,
) -> None:
    """Import listings from a CSV or XLSX laid out as the template (docs/importing.md).

    Rows are matched on source_id, so importing the same file again changes nothing. A
    row with a problem is rejected (row, column and reason are listed) and the rest are
    imported.
    """
    from importers.spreadsheet import SpreadsheetError, run_spreadsheet

    try:
        summary = run_spreadsheet(
            db.session,
            file.read_bytes(),
            file.name,
            actor=None,
            locator=_locator(),
            source_name=source_name,
            organisation=_organisation(organisation_id),
            trusted=trusted,
            dry_run=dry_run,
            progress_factory=_progress("Importing rows"),
        )
    except SpreadsheetError as error:
        raise click.ClickException(str(error)) from None
    _report(summary)


@import_cli.command("openreferral")
@click.argument("location", metavar="FILE_OR_URL")
@click.option("--source", "source_name", help="Name of the source (default: the file or URL).")
@click.option(
    "--trusted/--untrusted", default=None, help="Mark the source trusted (publishes directly)."
)
@DRY_RUN
def openreferral_command(
    location: str, source_name: str | None, trusted: bool | None, dry_run: bool
) -> None:
    """Import Open Referral UK JSON from a file or an ORUK API base URL.

    An API is paged through /services?full=true. Taxonomy terms that match ours are used;
    the rest are kept as tags. Services are matched on their id, so importing again
    updates rather than duplicates.
    """
    from importers.openreferral import FeedError, run_openreferral

    _import_services(run_openreferral, FeedError, location, source_name, trusted, dry_run)


def _import_services(
    run: Callable[..., Any],
    refused: type[Exception],
    location: str | Path,
    source_name: str | None,
    trusted: bool | None,
    dry_run: bool,
) -> None:
    """Run a services import (ORUK or datapackage) with a progress bar and report it.

    ``refused`` is the error the importer raises for a file it can't read at all; it
    becomes a plain message rather than a traceback.
    """
    try:
        summary = run(
            db.session,
            location,
            actor=None,
            locator=_locator(),
            source_name=source_name,
            trusted=trusted,
            dry_run=dry_run,
            progress_factory=_progress("Importing services"),
        )
    except refused as error:
        raise click.ClickException(str(error)) from None
    _report(summary)


@import_cli.command("datapackage")
@click.argument("location", metavar="PATH_OR_ZIP", type=click.Path(exists=True, path_type=Path))
@click.option("--source", "source_name", help="Name of the source (default: the file name).")
@click.option(
    "--trusted/--untrusted", default=None, help="Mark the source trusted (publishes directly)."
)
@DRY_RUN
def datapackage_command(
    location: Path, source_name: str | None, trusted: bool | None, dry_run: bool
) -> None:
    """Import an HSDS CSV datapackage: a folder (or its datapackage.json) or a zip.

    The package holds datapackage.json, services.csv, organizations.csv, locations.csv and
    the rest. It is checked whole first (size, names, encodings, every CSV row), so one
    that can't be read writes nothing. Services are matched on their id, so importing
    again updates rather than duplicates; problems name the CSV file and row.
    """
    from importers.datapackage import DatapackageError, run_datapackage

    _import_services(run_datapackage, DatapackageError, location, source_name, trusted, dry_run)


@import_cli.command("sync")
@one_at_a_time("import-sync")
@click.argument("name", required=False)
@DRY_RUN
def sync_command(name: str | None, dry_run: bool) -> None:
    """Re-read registered feeds: every source that is due, or the one called NAME.

    Registered feeds are sources with a web address: Open Referral UK APIs and calendars.
    New services are created and changed ones updated through the usual moderation
    rules; listings the feed no longer has are marked "no longer in the source feed" for
    a moderator (/moderation/missing), not deleted. A feed that fails marks nothing and
    is recorded on its source. Exits 1 if any feed failed. Run it daily from cron.
    """
    import datetime as dt

    from importers.sync import DEFAULT_INTERVAL, due_sources, sync_source

    hours = current_app.config.get("IMPORT_SYNC_INTERVAL_HOURS")
    interval = dt.timedelta(hours=float(hours)) if hours else DEFAULT_INTERVAL
    sources = due_sources(db.session, interval=interval, name=name)
    if name is not None and not sources:
        raise click.ClickException(f"No source called {name!r} has a web address to sync.")
    if not sources:
        click.echo("No feeds are due.")
        return
    failed = 0
    for source in sources:
        click.echo(f"{source.name} ({source.url})")
        result = sync_source(
            db.session,
            source,
            actor=None,
            locator=_locator(),
            dry_run=dry_run,
            progress_factory=_progress("  Importing"),
        )
        if result.error:
            failed += 1
            click.echo(f"  Failed, nothing marked as gone: {result.error}")
            continue
        _report(result.summary)
        if dry_run:
            click.echo(
                f"{result.missing} would be marked no longer in the source feed; "
                f"{result.back} are back in it."
            )
    click.echo(f"{len(sources)} feeds read, {failed} failed.")
    if failed:
        raise SystemExit(1)


@import_cli.command("calendar")
@click.argument("location", metavar="FILE_OR_URL")
@click.option("--organisation", "organisation_id", required=True, help="The organisation's id.")
@click.option("--source", "source_name", help="Name of the source (default: the file or URL).")
@DRY_RUN
def calendar_command(
    location: str, organisation_id: str, source_name: str | None, dry_run: bool
) -> None:
    """Import an organisation's iCalendar file or feed URL: a listing per event title.

    Repeating events become its schedules and one-off events dated occurrences. A feed
    that fails is recorded on the source and emailed to the organisation's editors and
    the moderators.
    """
    from importers.calendars import CalendarError, run_calendar

    organisation = _organisation(organisation_id)
    try:
        summary = run_calendar(
            db.session,
            location,
            organisation,
            actor=None,
            locator=_locator(),
            source_name=source_name,
            dry_run=dry_run,
            progress_factory=_progress("Importing events"),
        )
    except CalendarError as error:
        raise click.ClickException(
            f"{error} The organisation's editors and the moderators were told."
        ) from None
    _report(summary)
