"""Baselines answering the same searches from the same data.

* **SQLite FTS5 + R*Tree**: an FTS5 table over name, summary, description and
  organisation (``bm25`` weights 4 / 3 / 1.5 / 1, as the index), an R*Tree over location
  points, filters on denormalised columns (domain and day bitmasks), exact haversine in
  Python, the app's own "best match" score, ``LIMIT 20`` plus the total.
* **PostgreSQL**: a weighted ``tsvector`` (A/B/C/D) with a GIN index; radius as a
  latitude/longitude box on a btree index plus an exact haversine filter in SQL (no
  earthdistance; the Ohana API approach); a comparable score in SQL, ``LIMIT 20`` and
  ``count(*) OVER ()``.

Both expand synonyms with :func:`search.analysis.split_query`, as the index does.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from bench.dataset import CIVIC_DOMAINS, DAYS, PublicDocument
from bench.measure import Summary
from bench.queries import BenchQuery
from directory.geo import bounding_box
from directory.rules.freshness import FULLY_FRESH_DAYS, HALF_LIFE_DAYS, NEVER_CHECKED
from directory.rules.freshness import freshness_score as freshness
from directory.rules.ranking import (
    CREDIT_AT_RADIUS,
    DISTANCE_WEIGHT,
    FRESHNESS_WEIGHT,
    NEUTRAL,
    RELEVANCE_WEIGHT,
    TEXT_FIELD_WEIGHTS,
    USEFULNESS_WEIGHT,
    best_match_score,
    ts_rank_weights,
)
from search.analysis import split_query

EARTH_RADIUS_KM = 6371.0088
BM25_WEIGHTS = tuple(TEXT_FIELD_WEIGHTS.values())  # name, summary, description, organisation
PAGE = 20


def domain_mask(domains: Iterable[str]) -> int:
    """CIVIC domains as bits."""
    return sum(1 << CIVIC_DOMAINS.index(d) for d in set(domains))


def day_mask(days: Iterable[str]) -> int:
    """Days of the week as bits."""
    return sum(1 << DAYS.index(d) for d in set(days))


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance on a sphere of the Earth's mean radius."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def concepts(text: str) -> list[tuple[str, ...]]:
    """Typed text as concepts of equivalent words or phrases (the index's synonyms)."""
    return [c for c in split_query(text) if any(a.strip() for a in c)]


def hide_cutoffs(hide_days: dict[str, int]) -> list[tuple[str, dt.datetime]]:
    """Per kind, the oldest check that default search still shows (as the app's policy)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return [(kind, now - dt.timedelta(days=days)) for kind, days in sorted(hide_days.items())]


def time_queries(answer, queries: list[BenchQuery], warmup: int = 5) -> Summary:
    """Time ``answer(query) -> (ids, total)`` over ``queries``."""
    for query in queries[:warmup]:
        answer(query)
    latencies, totals = [], []
    started = time.perf_counter()
    for query in queries:
        t0 = time.perf_counter()
        _, total = answer(query)
        latencies.append((time.perf_counter() - t0) * 1000)
        totals.append(total)
    return Summary.of(latencies, time.perf_counter() - started, totals)


# -- SQLite FTS5 + R*Tree ----------------------------------------------------------------

FTS5_SCHEMA = """
CREATE TABLE doc (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    cost TEXT NOT NULL,
    domain_mask INTEGER NOT NULL,
    day_mask INTEGER NOT NULL,
    online INTEGER NOT NULL,
    verified TEXT
);
CREATE VIRTUAL TABLE fts USING fts5(
    name, summary, description, organisation,
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE loc (id INTEGER PRIMARY KEY, doc INTEGER NOT NULL, lat REAL, lon REAL);
CREATE VIRTUAL TABLE loc_rtree USING rtree(id, min_lat, max_lat, min_lon, max_lon);
"""


def build_fts5(path: Path, documents: Iterable[PublicDocument]) -> int:
    """Write the FTS5 baseline database; returns how many documents it holds."""
    if path.exists():
        path.unlink()
    connection = sqlite3.connect(path)
    try:
        connection.executescript(FTS5_SCHEMA)
        count = 0
        loc_id = 0
        with connection:
            for rowid, doc in enumerate(documents, start=1):
                count += 1
                connection.execute(
                    "INSERT INTO doc VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        rowid,
                        doc.id,
                        doc.kind,
                        doc.cost,
                        domain_mask(doc.domains),
                        day_mask(doc.days),
                        int(doc.online),
                        doc.verified_at.isoformat() if doc.verified_at else None,
                    ),
                )
                connection.execute(
                    "INSERT INTO fts (rowid, name, summary, description, organisation) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (rowid, doc.name, doc.summary, doc.description, doc.organisation),
                )
                for lat, lon in doc.points:
                    loc_id += 1
                    connection.execute(
                        "INSERT INTO loc VALUES (?, ?, ?, ?)", (loc_id, rowid, lat, lon)
                    )
                    connection.execute(
                        "INSERT INTO loc_rtree VALUES (?, ?, ?, ?, ?)", (loc_id, lat, lat, lon, lon)
                    )
        connection.execute("INSERT INTO fts (fts) VALUES ('optimize')")
        connection.execute("ANALYZE")
        connection.commit()
    finally:
        connection.close()
    return count


def fts5_match(text: str) -> str | None:
    """An FTS5 MATCH expression: every concept, any of its synonyms (phrases quoted)."""
    parts = []
    for alternatives in concepts(text):
        quoted = " OR ".join('"' + a.replace('"', '""') + '"' for a in alternatives)
        parts.append(f"({quoted})")
    return " AND ".join(parts) or None


class Fts5Baseline:
    """Answers searches from the FTS5 + R*Tree database."""

    name = "SQLite FTS5 + R*Tree"

    def __init__(self, path: Path, hide_days: dict[str, int] | None = None) -> None:
        self.connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        self.bm25 = "bm25(fts, {}, {}, {}, {})".format(*BM25_WEIGHTS)
        self.hide_days = hide_days or {}

    def close(self) -> None:
        """Close the database connection."""
        self.connection.close()

    def _filters(self, query: BenchQuery) -> tuple[list[str], list]:
        where, params = [], []
        if query.domains:
            where.append("(d.domain_mask & ?) != 0")
            params.append(domain_mask(query.domains))
        if query.kinds:
            where.append(f"d.kind IN ({','.join('?' * len(query.kinds))})")
            params += list(query.kinds)
        if query.days:
            where.append("(d.day_mask & ?) != 0")
            params.append(day_mask(query.days))
        if self.hide_days:  # listings unchecked for too long leave default search
            cutoffs = hide_cutoffs(self.hide_days)
            where.append(
                "(CASE d.kind " + "WHEN ? THEN d.verified > ? " * len(cutoffs) + "ELSE 1 END)"
            )
            params += [value for kind, cutoff in cutoffs for value in (kind, cutoff.isoformat())]
        return where, params

    def answer(self, query: BenchQuery) -> tuple[list[str], int]:
        """The first page of ids and the total."""
        ranked, total = self.ranked(query)
        return [listing_id for _, listing_id, _ in ranked], total

    def page(self, query: BenchQuery) -> tuple[list[tuple[str, str, float | None]], int]:
        """The first page as (id, name, km or None) rows, and the total: what a page shows."""
        ranked, total = self.ranked(query)
        rowids = [rowid for rowid, _, _ in ranked]
        names = dict(
            self.connection.execute(
                f"SELECT rowid, name FROM fts WHERE rowid IN ({','.join('?' * len(rowids))})",
                rowids,
            )
        )
        return [(listing_id, names[rowid], km) for rowid, listing_id, km in ranked], total

    def ranked(self, query: BenchQuery) -> tuple[list[tuple[int, str, float | None]], int]:
        """The first page as (rowid, id, km or None), best first, and the total."""
        match = fts5_match(query.text) if query.text else None
        where, params = self._filters(query)
        point = query.point
        if point is None:
            if match is None:
                raise ValueError("the mix always has text or a place")
            conditions = " AND ".join(["fts MATCH ?", *where])
            base = f"FROM fts JOIN doc d ON d.rowid = fts.rowid WHERE {conditions}"
            rows = [
                (rowid, listing_id, None)
                for rowid, listing_id in self.connection.execute(
                    f"SELECT d.rowid, d.id {base} ORDER BY {self.bm25} LIMIT {PAGE}",
                    [match, *params],
                )
            ]
            total = self.connection.execute(f"SELECT count(*) {base}", [match, *params]).fetchone()
            return rows, total[0]

        box = bounding_box(point.latitude, point.longitude, query.radius_km)
        sql = (
            "SELECT d.rowid, d.id, d.verified, l.lat, l.lon{score} "
            "FROM loc_rtree r JOIN loc l ON l.id = r.id JOIN doc d ON d.rowid = l.doc{join} "
            "WHERE r.max_lat >= ? AND r.min_lat <= ? AND r.max_lon >= ? AND r.min_lon <= ?"
        )
        box_params = [box.min_lat, box.max_lat, box.min_lon, box.max_lon]
        if match is not None:
            sql = sql.format(
                score=", m.score",
                join=f" JOIN (SELECT rowid, {self.bm25} AS score FROM fts WHERE fts MATCH ?) m"
                " ON m.rowid = d.rowid",
            )
            box_params.insert(0, match)
        else:
            sql = sql.format(score=", NULL", join="")
        sql += "".join(f" AND {w}" for w in where)
        best: dict[int, tuple[str, str | None, float, float | None]] = {}
        for rowid, listing_id, verified, lat, lon, score in self.connection.execute(
            sql, box_params + params
        ):
            km = haversine_km(point.latitude, point.longitude, lat, lon)
            if km <= query.radius_km and (rowid not in best or km < best[rowid][2]):
                best[rowid] = (listing_id, verified, km, None if score is None else -score)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        top = max((b[3] or 0.0 for b in best.values()), default=0.0) or 1.0
        ranked = sorted(
            (
                -best_match_score(
                    relevance=None if relevance is None else relevance / top,
                    distance_km=km,
                    radius_km=query.radius_km,
                    usefulness=None,
                    freshness_score=freshness(
                        dt.datetime.fromisoformat(verified) if verified else None, now
                    ),
                ),
                listing_id,
                rowid,
                km,
            )
            for rowid, (listing_id, verified, km, relevance) in best.items()
        )
        return [(rowid, listing_id, km) for _, listing_id, rowid, km in ranked[:PAGE]], len(ranked)


# -- PostgreSQL -------------------------------------------------------------------------

PG_SCHEMA = """
CREATE TABLE doc (
    rowid integer PRIMARY KEY,
    id text NOT NULL,
    kind text NOT NULL,
    cost text NOT NULL,
    domains text[] NOT NULL,
    days text[] NOT NULL,
    online boolean NOT NULL,
    verified timestamp,
    name text NOT NULL,
    summary text NOT NULL,
    description text NOT NULL,
    organisation text NOT NULL,
    tsv tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', name), 'A')
        || setweight(to_tsvector('english', summary), 'B')
        || setweight(to_tsvector('english', description), 'C')
        || setweight(to_tsvector('english', organisation), 'D')
    ) STORED
);
CREATE TABLE loc (id integer PRIMARY KEY, doc integer NOT NULL, lat float8, lon float8);
"""
PG_INDEXES = """
CREATE INDEX doc_tsv ON doc USING gin (tsv);
CREATE INDEX loc_lat_lon ON loc (lat, lon);
CREATE INDEX loc_doc ON loc (doc);
ANALYZE doc;
ANALYZE loc;
"""
PG_WEIGHTS = ts_rank_weights()
PG_HAVERSINE = (
    f"2 * {EARTH_RADIUS_KM} * asin(sqrt("
    "power(sin(radians(l.lat - %(lat)s) / 2), 2)"
    " + cos(radians(%(lat)s)) * cos(radians(l.lat)) * power(sin(radians(l.lon - %(lon)s) / 2), 2)"
    "))"
)
# The app's "best match" (directory.rules.ranking) in SQL; usefulness is neutral.
PG_FRESHNESS = (
    f"CASE WHEN verified IS NULL THEN {NEVER_CHECKED}"
    f" WHEN now() AT TIME ZONE 'UTC' - verified <= interval '{FULLY_FRESH_DAYS} days' THEN 1.0"
    " ELSE power(0.5, (extract(epoch FROM now() AT TIME ZONE 'UTC' - verified) / 86400"
    f" - {FULLY_FRESH_DAYS}) / {HALF_LIFE_DAYS}) END"
)


def postgres_reachable(url: str) -> str | None:
    """The server version if ``url`` answers within 3 s, else None."""
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3) as connection:
            return connection.execute("SHOW server_version").fetchone()[0]
    except Exception:
        return None


class PostgresBaseline:
    """Answers searches from PostgreSQL, in a schema of its own dropped by :meth:`close`."""

    name = "PostgreSQL tsvector + GIN, lat/lon btree"

    def __init__(self, url: str, hide_days: dict[str, int] | None = None) -> None:
        import psycopg

        self.hide_days = hide_days or {}
        self.schema = f"bench_{os.getpid()}"
        self.admin = psycopg.connect(url, autocommit=True)
        self.admin.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        self.admin.execute(f'CREATE SCHEMA "{self.schema}"')
        self.connection = psycopg.connect(
            url, autocommit=True, options=f"-csearch_path={self.schema}"
        )
        self.connection.execute("SET jit = off")  # short queries; JIT only adds latency

    def load(self, documents: Iterable[PublicDocument]) -> int:
        """Copy the documents in and index them; returns how many."""
        self.connection.execute(PG_SCHEMA)
        count = 0
        locations = []
        with self.connection.cursor() as cursor:
            with cursor.copy(
                "COPY doc (rowid, id, kind, cost, domains, days, online, verified, name, "
                "summary, description, organisation) FROM STDIN"
            ) as copy:
                for rowid, doc in enumerate(documents, start=1):
                    count += 1
                    copy.write_row(
                        (
                            rowid, doc.id, doc.kind, doc.cost, list(doc.domains),
                            list(doc.days), doc.online, doc.verified_at, doc.name,
                            doc.summary, doc.description, doc.organisation,
                        )
                    )  # fmt: skip
                    locations += [(rowid, lat, lon) for lat, lon in doc.points]
            with cursor.copy("COPY loc (id, doc, lat, lon) FROM STDIN") as copy:
                for loc_id, (rowid, lat, lon) in enumerate(locations, start=1):
                    copy.write_row((loc_id, rowid, lat, lon))
        self.connection.execute(PG_INDEXES)
        # As our engine's tables are before it is timed (bench.national.vacuum_schema).
        self.connection.execute("VACUUM (ANALYZE) doc")
        self.connection.execute("VACUUM (ANALYZE) loc")
        return count

    def close(self) -> None:
        """Drop the schema and disconnect."""
        self.connection.close()
        self.admin.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        self.admin.close()

    @staticmethod
    def tsquery(text: str, params: dict) -> str | None:
        """SQL for the tsquery: concepts ANDed, each the OR of its synonyms' phrases."""
        groups = []
        for c, alternatives in enumerate(concepts(text)):
            options = []
            for a, alternative in enumerate(alternatives):
                key = f"t{c}_{a}"
                params[key] = alternative
                options.append(f"phraseto_tsquery('english', %({key})s)")
            groups.append("(" + " || ".join(options) + ")")
        return " && ".join(groups) or None

    def answer(self, query: BenchQuery) -> tuple[list[str], int]:
        """The first page of ids and the total."""
        params: dict = {}
        tsquery = self.tsquery(query.text, params) if query.text else None
        where = []
        if tsquery:
            where.append(f"d.tsv @@ ({tsquery})")
        if query.domains:
            where.append("d.domains && %(domains)s")
            params["domains"] = list(query.domains)
        if query.kinds:
            where.append("d.kind = ANY(%(kinds)s)")
            params["kinds"] = list(query.kinds)
        if query.days:
            where.append("d.days && %(days)s")
            params["days"] = list(query.days)
        if self.hide_days:  # listings unchecked for too long leave default search
            cases = []
            for i, (kind, cutoff) in enumerate(hide_cutoffs(self.hide_days)):
                cases.append(f"WHEN %(hide_kind{i})s THEN d.verified > %(hide_cutoff{i})s")
                params.update({f"hide_kind{i}": kind, f"hide_cutoff{i}": cutoff})
            where.append(f"(CASE d.kind {' '.join(cases)} ELSE true END)")
        rank = f"ts_rank({PG_WEIGHTS}, d.tsv, {tsquery})" if tsquery else "NULL::float8"
        point = query.point
        if point is None:
            sql = (
                f"SELECT d.id, count(*) OVER () FROM doc d WHERE {' AND '.join(where)} "
                f"ORDER BY {rank} DESC, d.id LIMIT {PAGE}"
            )
        else:
            box = bounding_box(point.latitude, point.longitude, query.radius_km)
            params.update(
                lat=point.latitude,
                lon=point.longitude,
                radius=query.radius_km,
                min_lat=box.min_lat,
                max_lat=box.max_lat,
                min_lon=box.min_lon,
                max_lon=box.max_lon,
            )
            filters = "".join(f" AND {w}" for w in where)
            sql = f"""
                WITH near AS (
                    SELECT l.doc, min({PG_HAVERSINE}) AS km FROM loc l
                    WHERE l.lat BETWEEN %(min_lat)s AND %(max_lat)s
                      AND l.lon BETWEEN %(min_lon)s AND %(max_lon)s
                    GROUP BY l.doc
                ), hits AS (
                    SELECT d.id, n.km, d.verified, {rank} AS rel
                    FROM near n JOIN doc d ON d.rowid = n.doc
                    WHERE n.km <= %(radius)s{filters}
                ), scored AS (
                    SELECT id, count(*) OVER () AS total,
                        {RELEVANCE_WEIGHT}
                          * coalesce(rel / nullif(max(rel) OVER (), 0), {NEUTRAL})
                        + {DISTANCE_WEIGHT} * exp(ln({CREDIT_AT_RADIUS}) * km / %(radius)s)
                        + {USEFULNESS_WEIGHT} * {NEUTRAL}
                        + {FRESHNESS_WEIGHT} * {PG_FRESHNESS} AS score
                    FROM hits
                )
                SELECT id, total FROM scored ORDER BY score DESC, id LIMIT {PAGE}
            """
        rows = self.connection.execute(sql, params).fetchall()
        return [r[0] for r in rows], rows[0][1] if rows else 0
