"""``flask search ...``: look after the search index."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

import search
from directory.extensions import db
from directory.models import public_listings
from search.interface import IndexUnavailable

search_cli = AppGroup("search", help="Look after the search index.")


@search_cli.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the search index from the database, then swap it in."""
    if current_app.extensions.get("search") is None:
        raise click.ClickException("SEARCH_BACKEND is 'database': there is no index to build.")
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
