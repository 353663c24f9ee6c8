"""Fixtures for the geocoding tests: one small postcode table shared by the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest

from directory.geo.offline import (
    BuildStats,
    OfflinePostcodeGeocoder,
    build_postcode_table,
    default_source_dir,
)

# Plymouth and Nottingham (the examples GPs will use), plus two single-letter London areas to
# exercise outward codes like "E1". There is no "bt" file: Code-Point Open is GB only.
TEST_AREAS = frozenset({"pl", "ng", "e", "n"})


@pytest.fixture(scope="session")
def built_table(tmp_path_factory: pytest.TempPathFactory) -> BuildStats:
    """Build the table for TEST_AREAS once (well under a second) and share it."""
    path = tmp_path_factory.mktemp("geo") / "postcodes.sqlite"
    return build_postcode_table(default_source_dir(), path, areas=TEST_AREAS)


@pytest.fixture(scope="session")
def table_path(built_table: BuildStats) -> Path:
    """Path of the shared, read-only test table."""
    return built_table.table_path


@pytest.fixture(scope="session")
def geocoder(table_path: Path) -> OfflinePostcodeGeocoder:
    """An offline geocoder over the shared test table."""
    return OfflinePostcodeGeocoder(table_path)
