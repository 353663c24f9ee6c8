"""The bare page the whole-page benchmark measures the directory's pages against."""

from __future__ import annotations

import datetime as dt

import pytest

from bench.baselines import build_fts5
from bench.dataset import PublicDocument
from bench.pages import bare_app, close_bare_app, page_ratios
from directory.geo.offline import build_postcode_table, default_source_dir


def document(n: int, name: str, points: tuple[tuple[float, float], ...]) -> PublicDocument:
    return PublicDocument(
        id=f"listing-{n}",
        name=name,
        summary="A friendly weekly walk.",
        description="We walk and talk.",
        organisation="Plymouth Walkers",
        kind="group",
        cost="free",
        domains=("closeness",),
        days=("TU",),
        online=False,
        verified_at=dt.datetime(2026, 11, 1),
        points=points,
    )


@pytest.fixture
def bare(tmp_path):
    geo = tmp_path / "postcodes.sqlite"
    build_postcode_table(default_source_dir(), geo, areas={"pl"})
    fts = tmp_path / "fts5.sqlite"
    build_fts5(
        fts,
        [
            document(1, "Hoe <Walking> Group", ((50.3755, -4.1379),)),
            document(2, "Dartmoor Walking", ((50.57, -3.92),)),
        ],
    )
    app = bare_app(fts, geo, {})
    yield app.test_client()
    close_bare_app(app)


def test_the_bare_page_lists_names_distances_and_links(bare):
    response = bare.get("/bare?postcode=PL4+8AA&radius_km=5&domain=closeness")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<h1>1 result</h1>" in page
    assert '<a href="/listings/listing-1">Hoe &lt;Walking&gt; Group</a> 0.0 km away' in page


def test_the_bare_page_searches_text_without_a_place(bare):
    page = bare.get("/bare?q=walking").get_data(as_text=True)
    assert "<h1>2 results</h1>" in page and "km away" not in page


def test_ratios_are_each_page_p95_over_the_bare_page_p95():
    pages = {"text": {"bare": {"p95": 10.0, "n": 5}, "search": {"p95": 15.0, "n": 5},
                      "listing": {"p95": 5.0, "n": 5}, "api": {"p95": 20.0, "n": 5}}}  # fmt: skip
    assert page_ratios(pages) == {"text": {"search": 1.5, "listing": 0.5, "api": 2.0}}
