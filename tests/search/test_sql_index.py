"""The SQL index's own rules.

Early stopping that keeps the exact page, query text, spelling distance and the tables
it keeps out of migrations.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import text

from search.documents import from_timestamp, to_timestamp
from search.query import GeoPoint, SearchQuery
from search.ranking import count_facet_tokens, facet_counts, rank_and_page
from search.sql_index import (
    WELCOME,
    FacetTokens,
    best_page,
    candidate,
    concepts_sql,
    count_codes,
    counted_tokens,
    edit_distance,
    include_in_migrations,
    page_of_rows,
    points_of,
    ranks_by_relevance,
    rows_within,
)
from tests.conftest import PINNED_NOW, database_url, throwaway_database

NOW = PINNED_NOW


def row(
    listing_id, relevance, usefulness=None, verified=0, welcome=None, started=0, **facets
) -> tuple:
    """A row as candidate_sql returns it."""
    tokens = [f"{name}:{v}" for name, values in facets.items() for v in values.split()]
    return (
        listing_id, relevance, "", 0, usefulness, verified, "".join(map(code, tokens)),
        welcome, started,
    )  # fmt: skip


def code(token: str) -> str:
    """A facet token's code character, as the index would assign it."""
    return CODES.setdefault(token, chr(0x100 + len(CODES)))


CODES: dict[str, str] = {}


def tokens() -> FacetTokens:
    return FacetTokens({char: token for token, char in CODES.items()})


def random_rows(rng: random.Random, n: int) -> list[tuple]:
    """Rows as candidate_sql returns them (in no particular order), with many ties."""
    rows = []
    for i in range(n):
        verified = rng.choice([0, NOW - dt.timedelta(days=rng.randint(0, 900))])
        rows.append(
            row(
                f"listing-{i:04d}",
                rng.choice([8.0, 6.5, 6.5, 5.0, 3.2, 3.2, 1.1]),
                usefulness=rng.choice([None, 1.0, 2.0, 3.7, 5.0]),
                verified=0 if verified == 0 else int(verified.replace(tzinfo=dt.UTC).timestamp()),
                welcome=rng.choice([None, 1.5, 4.5]),
                started=rng.choice([0, int((NOW - dt.timedelta(days=400)).timestamp())]),
                kind=rng.choice(["group", "place"]),
                domain=rng.choice(["a", "b", "a b"]),
                format=rng.choice(["ongoing", "course", "course course_8_weeks"]),
            )
        )
    rng.shuffle(rows)
    return rows


def by_relevance(rows: list[tuple]) -> list[tuple]:
    """Rows as CandidateSql.most_relevant orders them."""
    return sorted(rows, key=lambda row: (-row[1], row[0]))


def best_usefulness(rows: list[tuple]) -> float | None:
    return max((row[4] for row in rows if row[4] is not None), default=None)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("page", [1, 2, 7, 40])
def test_early_stop_gives_the_page_full_ranking_gives(seed, page):
    rows = random_rows(random.Random(seed), 2000)
    ordered = by_relevance(rows)
    # Closeness asked: the dose and felt welcome count too, and the bound still holds.
    for domains in ((), ("closeness",)):
        search = SearchQuery(text="walking", domains=domains, page=page, per_page=20)
        full = rank_and_page([candidate(row, tokens()) for row in rows], search, NOW, "sql")
        # With the loosest bound (any welcome) and the tight one the summary gives.
        for welcome in (5.0, max(r[WELCOME] for r in rows if r[WELCOME] is not None)):
            fast = best_page(
                lambda k: ordered[:k], len(rows), best_usefulness(rows), search, NOW,
                tokens(), best_welcome=welcome,
            )  # fmt: skip
            assert fast == full.ids


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("page", [1, 3, 25])
def test_early_stop_is_exact_when_filters_apply_after_ranking(seed, page):
    """Without facet filters, a batch can hold fewer rows than asked for, or none.

    CandidateSql.most_relevant without facet filters ranks by text first and then drops
    stale listings.
    """
    rng = random.Random(seed)
    rows = random_rows(rng, 2000)
    ordered = by_relevance(rows)
    # The most relevant 300 are all stale, then a third of the rest.
    hidden = {row[0] for row in ordered[:300]} | {
        row[0] for row in ordered[300:] if rng.random() < 0.33
    }
    shown = [row for row in rows if row[0] not in hidden]
    asked = []

    def most_relevant(k):
        asked.append(k)
        return [row for row in ordered[:k] if row[0] not in hidden]

    search = SearchQuery(text="walking", page=page, per_page=20)
    full = rank_and_page([candidate(row, tokens()) for row in shown], search, NOW, "sql")
    fast = best_page(most_relevant, len(shown), best_usefulness(shown), search, NOW)
    assert fast == full.ids
    if page == 1:
        assert asked[:2] == [200, 1600]  # the first batch was wholly left out


def test_early_stop_reads_only_the_most_relevant_rows():
    checked = int(NOW.replace(tzinfo=dt.UTC).timestamp())
    rows = [row(f"id-{i:04d}", 10.0 - i * 0.01, verified=checked) for i in range(900)]
    asked = []

    def most_relevant(k):
        asked.append(k)
        return rows[:k]

    ids = best_page(most_relevant, len(rows), None, SearchQuery(text="walking"), NOW)
    assert ids == [f"id-{i:04d}" for i in range(20)]
    assert asked == [200]  # one batch: no later row could reach the page


def placed(rng: random.Random, rows: list[tuple]) -> list[tuple]:
    """The rows with one to three places around Leeds (some online, with no place)."""
    out = []
    for r in rows:
        points = ";".join(
            f"{53.8 + rng.uniform(-0.2, 0.2):.6f},{-1.55 + rng.uniform(-0.3, 0.3):.6f}"
            for _ in range(rng.choice([0, 1, 1, 1, 2, 3]))
        )
        out.append((*r[:2], points, int(not points or rng.random() < 0.2), *r[4:]))
    return out


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("sort", ["best", "nearest", "useful", "verified"])
@pytest.mark.parametrize("page", [1, 4])
def test_ranking_rows_gives_the_page_candidates_give(seed, sort, page):
    """The practitioners' path (rows_within, page_of_rows) is rank_and_page, row for row."""
    rng = random.Random(seed)
    rows = placed(rng, random_rows(rng, 600))
    leeds = GeoPoint(53.8, -1.55)
    for search in (
        SearchQuery(point=leeds, radius_km=12.0, sort=sort, page=page, per_page=20),
        SearchQuery(point=leeds, radius_km=8.0, online=True, sort=sort, page=page),
        SearchQuery(text="walking", domains=("closeness",), sort=sort, page=page),
    ):
        full = rank_and_page([candidate(r, tokens()) for r in rows], search, NOW, "sql")
        kept = rows_within(rows, search)
        page_rows = page_of_rows(kept, search, NOW, tokens())
        assert [r[0] for r, _ in page_rows] == full.ids
        assert {r[0]: distance for r, distance in page_rows} == full.distances
        assert len(kept) == full.total
        assert facet_counts([candidate(r, tokens()) for r, _ in kept]) == full.facets
        assert full.ids  # the page is not empty, so the comparison says something


def test_best_page_only_without_a_place():
    assert ranks_by_relevance(SearchQuery(text="walking"))
    assert not ranks_by_relevance(SearchQuery(text="walking", sort="nearest"))
    assert not ranks_by_relevance(SearchQuery(text="walking", point=GeoPoint(50.4, -4.1)))
    assert not ranks_by_relevance(SearchQuery(text="walking", online_only=True))


def test_facets_are_counted_per_value():
    rows = [
        row("1", None, kind="group", domain="valued involvement"),
        row("2", None, kind="group", domain="valued"),
        row("3", None, kind="place", domain=""),
    ]
    counts = count_codes("".join(r[6] for r in rows), tokens())
    assert counts["kind"] == {"group": 2, "place": 1}
    assert counts["domain"] == {"valued": 2, "involvement": 1}
    assert counts == count_facet_tokens(t for r in rows for t in candidate(r, tokens()).facets)
    assert count_codes(rows[0][6] + chr(0x2FFF), tokens()) is None  # a code not yet read
    assert count_codes("", tokens()) == count_facet_tokens([])


@pytest.mark.parametrize(
    "moment",
    [PINNED_NOW + dt.timedelta(seconds=5), dt.datetime(1999, 12, 31, 23, 59, 59), None],
)
def test_check_dates_survive_the_round_trip_through_seconds(moment):
    assert from_timestamp(to_timestamp(moment)) == moment


def test_points_are_read_back_as_pairs():
    assert points_of("50.3755,-4.129;51.5,-0.12") == [(50.3755, -4.129), (51.5, -0.12)]
    assert points_of("") == []


def test_only_tokens_of_counted_filters_get_codes():
    facets = b"kind:group day:TU part:morning day_part:TU_morning domain:valued"
    assert counted_tokens(facets) == ["kind:group", "day:TU", "part:morning", "domain:valued"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("walking", '("walk" OR "walking" OR "rambling" OR "hiking")'),
        ("the choir", '("choir" OR "singing")'),
        ("a", None),
        ("!!", None),
    ],
)
def test_fts5_match_expression(typed, expected):
    params: dict = {}
    result = concepts_sql(typed, params, postgres=False)
    if expected is None:
        assert result is None
    else:
        assert result == ":match"
        alternatives = set(params["match"].strip("()").split(" OR "))
        assert set(expected.strip("()").split(" OR ")) <= alternatives  # synonyms
        assert '"the"' not in alternatives and " AND " not in params["match"]  # stop word


def test_postgres_text_condition_uses_phrases():
    params: dict = {}
    condition = concepts_sql("peer support", params, postgres=True)
    assert "phraseto_tsquery('english'" in condition
    assert "peer support" in params.values()


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("allotment", "allotment", 0), ("allotmnet", "allotment", 2), ("choir", "chair", 1)],
)
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b, limit=2) == distance


def test_edit_distance_stops_past_the_limit():
    assert edit_distance("gardening", "knitting", limit=2) == 3


def test_search_tables_are_left_out_of_migrations():
    assert include_in_migrations("search_text_data", "table", {}) is False
    assert include_in_migrations("listing", "table", {}) is True
    assert include_in_migrations("search_x", "index", {}) is True


def test_another_process_reads_facet_codes_it_has_not_seen(db, make_listing, search_index):
    """A facet code another gunicorn worker assigned is read on first sight.

    Each worker caches the facet codes; recreated tables replace the whole cache.
    """
    from directory.models import utcnow
    from search.sql_index import SqlIndex

    if search_index.name != "sql":
        pytest.skip("the SQL index's own cache")
    other_worker = SqlIndex()
    assert other_worker.query(SearchQuery(), utcnow(), db.session).total == 0
    make_listing(kind="place", domains=("beyond",))
    db.session.commit()  # this worker's index assigns codes to the new facet values
    outcome = other_worker.query(SearchQuery(), utcnow(), db.session)
    assert outcome.facets["kind"] == {"place": 1}
    assert outcome.facets["domain"] == {"beyond": 1}

    db.session.execute(text("UPDATE search_meta SET value = 'recreated' WHERE key = 'codes'"))
    other_worker._tokens.clear()  # as if the codes were all different now
    assert other_worker.query(SearchQuery(), utcnow(), db.session).facets["kind"] == {"place": 1}


@pytest.mark.parametrize("radius_km", [5.0, 20.0])
def test_edge_of_the_radius_in_every_direction(db, make_listing, find, radius_km):
    """The SQL prefilter (a box, then a flat-earth circle) loses nothing inside the radius."""
    from geopy.distance import great_circle

    centre = (54.9, -1.6)  # far north, where a degree of longitude is shortest
    inside, outside = set(), set()
    for bearing in range(0, 360, 45):
        for km, into in ((radius_km * 0.995, inside), (radius_km * 1.005, outside)):
            point = great_circle(kilometers=km).destination(centre, bearing)
            into.add(make_listing(latitude=point.latitude, longitude=point.longitude).id)
    db.session.commit()
    ids, outcome = find(point=GeoPoint(*centre), radius_km=radius_km, per_page=50)
    assert set(ids) == inside
    assert outcome.total == 8


def race_document(listing_id: str, audience: str) -> dict:
    """A search document, as search.documents makes them, with one new facet value."""
    return {
        "id": listing_id,
        "name": f"Race group {listing_id}",
        "summary": "A weekly walk.",
        "description": "Walking together.",
        "organisation": "Race Trust",
        "spell": f"Race group {listing_id} A weekly walk.",
        "kind": "group",
        "online": "",
        "points": b"50.375450,-4.137910",
        "facets": f"kind:group audience:{audience}".encode(),
        "usefulness": 0.0,
        "verified": 0,
        "welcome": 0.0,
        "started": 0,
        "ends": 0,
    }


@pytest.mark.slow
@pytest.mark.skipif(
    database_url() is None,
    reason="needs PostgreSQL (set TEST_DATABASE_URL): SQLite lets one writer in at a time",
)
def test_workers_indexing_new_facet_values_at_once_both_succeed(tmp_path_factory):
    """Two gunicorn workers indexing new facet values at the same moment both succeed.

    Each gets its own docid and facet code, and neither index write fails.
    """
    import threading

    import sqlalchemy as sa
    from sqlalchemy.orm import Session

    from search.sql_index import SqlIndex

    with throwaway_database(tmp_path_factory, "race") as settings:
        engine = sa.create_engine(
            settings["SQLALCHEMY_DATABASE_URI"], **settings.get("SQLALCHEMY_ENGINE_OPTIONS", {})
        )
        try:
            with Session(engine) as session:
                SqlIndex().rebuild([race_document("known", "older_value")], session=session)
                session.commit()
            first, second = Session(engine), Session(engine)
            # The first worker takes the next code for its new value, not yet committed.
            SqlIndex().index([race_document("a", "first_new_value")], session=first)
            failures = []

            def second_worker() -> None:
                try:  # takes the same next code, so waits for the first worker's commit
                    SqlIndex().index([race_document("b", "second_new_value")], session=second)
                    second.commit()
                except Exception as error:  # noqa: BLE001 - reported by the assertion
                    failures.append(error)

            thread = threading.Thread(target=second_worker)
            thread.start()
            thread.join(timeout=0.5)
            assert thread.is_alive()  # waiting on the first worker's code
            first.commit()
            thread.join(timeout=10)
            first.close()
            second.close()
            assert failures == []
            with Session(engine) as session:
                codes = dict(
                    session.execute(text("SELECT token, code FROM search_facet_code")).all()
                )
                documents = session.execute(
                    text("SELECT listing_id, docid FROM search_document ORDER BY listing_id")
                ).all()
                counts = SqlIndex().query(SearchQuery(), NOW, session).facets["audience"]
        finally:
            engine.dispose()
    assert len(set(codes.values())) == len(codes) == 4
    assert [listing_id for listing_id, _ in documents] == ["a", "b", "known"]
    assert len({docid for _, docid in documents}) == 3
    assert counts == {"first_new_value": 1, "second_new_value": 1, "older_value": 1}
