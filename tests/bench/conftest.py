"""Fixtures for the benchmark's deterministic parts: a tiny postcode table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

# Three outward codes with a handful of postcodes each, at made-up but plausible places.
OUTWARDS = {"PL4": (50.37, -4.13, 6), "BS1": (51.45, -2.59, 4), "M1": (53.48, -2.24, 10)}


@pytest.fixture
def tiny_postcode_table(tmp_path: Path) -> Path:
    """A postcode table shaped like ``instance/postcodes.sqlite``, with 20 postcodes."""
    path = tmp_path / "postcodes.sqlite"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            "CREATE TABLE postcode (postcode TEXT PRIMARY KEY, outward TEXT NOT NULL,"
            " latitude REAL NOT NULL, longitude REAL NOT NULL) WITHOUT ROWID;"
            "CREATE TABLE outward (outward TEXT PRIMARY KEY, latitude REAL NOT NULL,"
            " longitude REAL NOT NULL, postcodes INTEGER NOT NULL);"
        )
        for outward, (lat, lon, count) in OUTWARDS.items():
            connection.execute(
                "INSERT INTO outward VALUES (?, ?, ?, ?)", (outward, lat, lon, count)
            )
            connection.executemany(
                "INSERT INTO postcode VALUES (?, ?, ?, ?)",
                [
                    (f"{outward} {i}AA", outward, lat + i / 1000, lon - i / 1000)
                    for i in range(count)
                ],
            )
    connection.close()
    return path
