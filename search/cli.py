"""``flask search ...``: look after the search index."""

from __future__ import annotations

import functools

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

import search
from directory.extensions import db
from directory.jobs import job_lock
from directory.models import public_listings
from search.interface import IndexUnavailable

# The lock the rebuilds take (directory.jobs), the command and the background one alike.
REBUILD_JOB = "search-rebuild"

search_cli = AppGroup("search", help="Look after the search index.")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the search index from the database, then swap it in."""
    if current_app.extensions.get("search") is None:
        raise click.ClickException("SEARCH_BACKEND is 'database': there is no index to build.")
    # One rebuild at a time across every node: two would drop each other's new tables.
    waiting = functools.partial(
        click.echo, "Another rebuild is running (on this or another node); waiting for it."
    )
    with job_lock(REBUILD_JOB, wait=True, waiting=waiting):
        total = db.session.scalar(select(func.count()).select_from(public_listings().subquery()))
        with click.progressbar(length=total, label="Indexing listings") as bar:
            count = search.rebuild_index(current_app._get_current_object(), progress=bar.update)
    click.echo(f"Indexed {count} listings.")


@search_cli.command("status")
def status_command() -> None:
    """Say whether the index is usable and how many listings it holds."""
    index = current_app.extensions.get("search")
    if index is None:
        click.echo("Searching the database directly (SEARCH_BACKEND=database).")
        return
    where = f"at {index.directory}" if index.name == "whoosh" else "in the database"
    try:
        click.echo(f"Index ({index.name}) {where}: {index.check()} listings.")
    except IndexUnavailable as problem:
        raise click.ClickException(f"{problem}. Run `flask search rebuild`.") from None
