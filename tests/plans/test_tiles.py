"""The hand-out's street maps: tiles stitched around a place, cached, and never the home."""

from __future__ import annotations

import io
import os
import time

import pytest
from PIL import Image

from directory.plans import tiles
from directory.plans.tiles import (
    MAP_HEIGHT,
    MAP_WIDTH,
    TILE_SIZE,
    CachedTiles,
    HttpTiles,
    TileError,
    map_maker,
    pixel_of,
    render_map,
    tiles_around,
)
from tests.conftest import sign_in
from tests.plans.tile_stub import GROUND, FailingTiles, StubTiles, generated_tile

LONDON = (51.5074, -0.1278)


def test_points_fall_on_the_tiles_tile_servers_number():
    assert pixel_of(0, 0, 0) == (128.0, 128.0)
    x, y = pixel_of(*LONDON, 16)
    assert (int(x // TILE_SIZE), int(y // TILE_SIZE)) == (32744, 21792)


def test_the_map_is_the_few_tiles_around_the_place_with_the_place_marked():
    stub = StubTiles()
    png = render_map(stub, *LONDON, number=2)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (MAP_WIDTH, MAP_HEIGHT)
    # 440 x 200 px needs at most 3 x 2 tiles of 256 px, each asked for once.
    assert 1 <= len(stub.calls) <= 6 and len(set(stub.calls)) == len(stub.calls)
    (left, top), covered = tiles_around(*LONDON, 16, MAP_WIDTH, MAP_HEIGHT)
    assert sorted(stub.calls) == sorted((16, x, y) for x, y in covered)
    for _, x, y in stub.calls:  # every tile asked for shows part of the picture
        assert x * TILE_SIZE < left + MAP_WIDTH and (x + 1) * TILE_SIZE > left
        assert y * TILE_SIZE < top + MAP_HEIGHT and (y + 1) * TILE_SIZE > top
    # The corners show the tiles; the marker's pointer touches the place, in black ink.
    corner = image.getpixel((2, 2))
    assert max(abs(a - b) for a, b in zip(corner, GROUND, strict=True)) < 12
    tip = image.getpixel((MAP_WIDTH // 2, MAP_HEIGHT // 2 - 2))
    assert max(tip) < 60, tip
    # The marker's white disc with its black ring sits above the place.
    ring_centre_y = MAP_HEIGHT // 2 - tiles.MARK_RADIUS - tiles.MARK_STEM
    dark = sum(
        1
        for x in range(MAP_WIDTH // 2 - 24, MAP_WIDTH // 2 + 25)
        if max(image.getpixel((x, ring_centre_y))) < 60
    )
    assert dark >= 4, "the ring (and figure) are drawn in black"


def test_a_tile_that_is_not_an_image_is_a_tile_error():
    class Garbage:
        def tile(self, zoom, x, y):
            return b"<html>rate limited</html>"

    with pytest.raises(TileError):
        render_map(Garbage(), *LONDON, number=1)


def test_tiles_are_kept_in_memory_and_on_disk(tmp_path):
    stub = StubTiles()
    cached = CachedTiles(stub, tmp_path)
    assert cached.tile(16, 1, 2) == generated_tile()
    assert cached.tile(16, 1, 2) == generated_tile()
    assert stub.calls == [(16, 1, 2)]
    assert (tmp_path / "16" / "1" / "2").read_bytes() == generated_tile()
    assert not list(tmp_path.rglob("*.part"))
    # The file system dates the file by the real clock, the cache reads its age by the
    # test's pinned one (two years on in `make test-future`): date it now on the latter.
    now = time.time()
    os.utime(tmp_path / "16" / "1" / "2", (now, now))
    # Another process (a new cache over the same folder) reads the disk, even with the
    # tile server down.
    failing = FailingTiles()
    assert CachedTiles(failing, tmp_path).tile(16, 1, 2) == generated_tile()
    assert failing.calls == 0
    with pytest.raises(TileError):
        CachedTiles(failing, tmp_path).tile(16, 1, 3)


def test_old_tiles_on_disk_are_fetched_again(tmp_path):
    CachedTiles(StubTiles(), tmp_path).tile(16, 1, 2)
    old = time.time() - (tiles.DISK_CACHE_DAYS + 1) * 86400
    os.utime(tmp_path / "16" / "1" / "2", (old, old))
    stub = StubTiles()
    CachedTiles(stub, tmp_path).tile(16, 1, 2)
    assert stub.calls == [(16, 1, 2)]


def test_memory_keeps_the_most_recently_used_tiles():
    stub = StubTiles()
    cached = CachedTiles(stub, None, memory=2)
    for key in [(1, 0, 0), (1, 1, 0), (1, 0, 0), (1, 0, 1), (1, 0, 0), (1, 1, 0)]:
        cached.tile(*key)
    # (1, 1, 0) was the least recently used when (1, 0, 1) came in, so it is fetched again.
    assert stub.calls == [(1, 0, 0), (1, 1, 0), (1, 0, 1), (1, 1, 0)]


def test_a_tile_server_url_template_is_filled_in(tmp_path):
    folder = tmp_path / "16" / "5"
    folder.mkdir(parents=True)
    (folder / "7.png").write_bytes(generated_tile())
    # A file: URL stands in for the server (no network in tests); the same code path.
    source = HttpTiles(url=f"file://{tmp_path}/{{z}}/{{x}}/{{y}}.png", timeout=1, user_agent="t")
    assert source.tile(16, 5, 7) == generated_tile()
    with pytest.raises(TileError):
        source.tile(16, 5, 8)


def test_after_a_failure_the_rest_of_the_hand_out_goes_without_maps(make_listing):
    failing = FailingTiles()
    map_of = map_maker(failing, "Map data © Test")
    places = [make_listing(name=f"Place {n}").locations[0] for n in range(3)]
    assert [map_of(place, n) for n, place in enumerate(places, start=1)] == [None] * 3
    assert failing.calls == 1
    assert map_maker(None, "x") is None


def test_a_drawn_map_says_where_it_is_and_whose_map_it_is(make_listing):
    place = make_listing(name="Tea Club").locations[0]
    printed = map_maker(StubTiles(), "Map data © Test")(place, 3)
    assert printed.src.startswith("data:image/png;base64,")
    assert printed.alt == f"Street map around {place.address}, marked 3"
    assert printed.attribution == "Map data © Test"


@pytest.fixture
def gp(app, db, make_user):
    """A signed-in GP's client; ``gp.user`` is the account."""
    user = make_user(name="Dr Ada Okafor", email="ada.okafor@nhs.net", profession="gp")
    db.session.commit()
    client = app.test_client()
    client.user = user
    return sign_in(client, user)


@pytest.fixture
def stub_tiles(app, monkeypatch) -> StubTiles:
    """Hand-out maps drawn from the stub's tiles for this test."""
    stub = StubTiles()
    monkeypatch.setitem(app.extensions, "handout_tiles", stub)
    return stub


def test_hand_out_maps_look_up_only_the_listings_places(
    db, gp, make_listing, make_shortlist, stub_tiles
):
    # Two places 13 and 20 km from the centre of PL4, the district the person is in.
    places = [(50.45, -3.99), (50.55, -4.02)]
    listings = [
        make_listing(name=f"Moor Walk {n}", latitude=lat, longitude=lon)
        for n, (lat, lon) in enumerate(places)
    ]
    shortlist = make_shortlist(owner=gp.user, listings=tuple(listings))
    db.session.commit()
    response = gp.post(f"/shortlists/{shortlist.id}/handout", data={"near": "PL4 8AA"})
    page = response.get_data(as_text=True)
    assert page.count('src="data:image/png;base64,') == 2
    assert page.count("Map data © OpenStreetMap contributors") == 2
    assert "Street map around Community Hall, 1 Test Street, Plymouth, PL4 8AA, marked 2" in page
    assert "of the centre of PL4, in a straight line" in page  # distances still in words
    assert "maps app" not in page  # the map stands in for that advice
    # Exactly the tiles around the two places were asked for, none around the home.
    wanted = {
        (16, x, y)
        for lat, lon in places
        for x, y in tiles_around(lat, lon, 16, MAP_WIDTH, MAP_HEIGHT)[1]
    }
    home = {(16, x, y) for x, y in tiles_around(50.3755, -4.1290, 16, 2000, 2000)[1]}
    assert set(stub_tiles.calls) == wanted
    assert not set(stub_tiles.calls) & home


def test_with_the_tile_server_down_the_hand_out_gives_directions_in_words(
    db, gp, make_listing, make_shortlist, app, monkeypatch
):
    failing = FailingTiles()
    monkeypatch.setitem(app.extensions, "handout_tiles", failing)
    shortlist = make_shortlist(
        owner=gp.user, listings=tuple(make_listing(name=f"Group {n}") for n in range(3))
    )
    db.session.commit()
    response = gp.get(f"/shortlists/{shortlist.id}/handout")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "data:image/png" not in page and page.count("maps app") == 3
    assert failing.calls == 1


def test_without_tiles_configured_there_is_no_tile_source(app, monkeypatch):
    monkeypatch.delitem(app.extensions, "handout_tiles", raising=False)
    assert app.config["HANDOUT_TILES_URL"] is None
    assert tiles.tile_source(app) is None
    monkeypatch.setitem(app.config, "HANDOUT_TILES_URL", "https://tiles.invalid/{z}/{x}/{y}.png")
    monkeypatch.delitem(app.extensions, "handout_tiles")
    source = tiles.tile_source(app)
    assert isinstance(source, CachedTiles) and isinstance(source.inner, HttpTiles)
    assert source.inner.timeout == app.config["HANDOUT_TILES_TIMEOUT"]
    assert source.folder is not None
