"""``flask directory ...``: setting up and looking after the directory."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from directory.extensions import db
from directory.jobs import one_at_a_time

directory_cli = AppGroup("directory", help="Set up and look after the directory.")


@directory_cli.command("load-vocabularies")
def load_vocabularies_command() -> None:
    """Load the vocabulary data files into the taxonomy tables."""
    from directory.vocabularies import load_vocabularies

    result = load_vocabularies(db.session)
    db.session.commit()
    click.echo(
        f"Vocabularies: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged."
    )


@directory_cli.command("demo")
@click.option("--count", default=None, type=int, help="How many listings (default 320).")
@click.option("--if-empty", is_flag=True, help="Only load when there are no listings yet.")
def demo_command(count: int | None, if_empty: bool) -> None:
    """Load the demo directory; running it again changes nothing.

    Fictional organisations and 300+ listings at real postcodes in Nottingham, Plymouth
    and inner London.
    """
    from flask import current_app
    from sqlalchemy import func, select

    from directory.demo import load_demo
    from directory.models import Listing

    if if_empty and db.session.scalar(select(func.count(Listing.id))):
        click.echo("Listings already present; demo data not loaded.")
        return
    result = load_demo(db.session, count=count or current_app.config["DEMO_LISTINGS"])
    db.session.commit()
    click.echo(f"Demo data: {result}")


@directory_cli.command("build-assets")
@click.option(
    "--node-modules",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(__file__).resolve().parent.parent / "node_modules",
    show_default=True,
)
def build_assets_command(node_modules: Path) -> None:
    """Copy the NHS.UK frontend and Leaflet from node_modules into static/vendor."""
    from directory.assets import build_assets

    try:
        written = build_assets(node_modules)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Wrote {len(written)} asset files.")


@directory_cli.command("send-reminders")
@one_at_a_time("send-reminders")
def send_reminders_command() -> None:
    """Email freshness reminders, escalate stale listings and hide year-old ones.

    Run daily (cron: ``15 7 * * * cd /srv/civic && .venv/bin/flask --app wsgi.py directory
    send-reminders``). Running it twice in a day sends nothing twice.
    """
    from flask import current_app

    from directory.lifecycle.freshness import send_reminders
    from directory.models import utcnow

    # Links in the emails need the site's address; there is no request to take it from.
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        summary = send_reminders(db.session, utcnow())
    db.session.commit()
    click.echo(f"Reminders: {summary}.")


@directory_cli.command("purge-archived")
@one_at_a_time("purge-archived")
def purge_archived_command() -> None:
    """Delete listings archived longer ago than ARCHIVE_PURGE_DAYS.

    And import files kept for "Import now" past their hour (directory/rules/uploads.py).
    """
    from flask import current_app

    from directory.imports.kept import purge_expired
    from directory.lifecycle.services import purge_archived
    from directory.models import utcnow

    count = purge_archived(db.session, utcnow(), current_app.config["ARCHIVE_PURGE_DAYS"])
    files = purge_expired(db.session, utcnow())
    db.session.commit()
    click.echo(f"Purged {count} archived listings and {files} expired import files.")


@directory_cli.command("export-oruk")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def export_oruk_command(file: Path) -> None:
    """Write every public listing to FILE as one Open Referral UK JSON document.

    Services are fully nested: the same shape as /openreferral/services?full=true.
    """
    from directory.exports.oruk import write_directory_as_oruk

    count = write_directory_as_oruk(db.session, file)
    click.echo(f"Exported {count} services to {file}.")


@directory_cli.command("send-outbox")
@one_at_a_time("send-outbox")
def send_outbox_command() -> None:
    """Send the queued emails that are due: never tried, or failed earlier.

    Emails are sent straight after the request that queued them; this retries the ones
    that failed (the mail server was down, say), each at most every
    OUTBOX_RETRY_MINUTES and OUTBOX_MAX_ATTEMPTS times. Run it every few minutes (cron:
    ``*/5 * * * * cd /srv/civic && .venv/bin/flask --app wsgi.py directory send-outbox``).
    """
    from flask import current_app

    from directory.email import send_outbox

    if not current_app.config.get("MAIL_SERVER"):
        raise click.ClickException("MAIL_SERVER is not set: emails stay in the outbox.")
    run = send_outbox(db.session)
    click.echo(f"Outbox: {run}.")


@directory_cli.command("send-digests")
@one_at_a_time("send-digests")
def send_digests_command() -> None:
    """E-mail each moderator who chose the daily summary what is waiting for them today.

    Run daily (cron: ``0 8 * * * cd /srv/civic && .venv/bin/flask --app wsgi.py directory
    send-digests``), on every node if you like: the job's lock lets one run at a time,
    and a moderator already sent today's summary is not sent another.
    """
    from directory.models import utcnow
    from directory.notifications.service import send_digests

    run = send_digests(db.session, utcnow().date())
    db.session.commit()
    click.echo(f"Daily summaries: {run}.")
