"""The search index kept in the directory's own database (the default engine).

SQLite: an FTS5 table for text (``bm25`` with the text-field weights of
:mod:`directory.rules.ranking`, as the Whoosh index), an R*Tree over location points.
PostgreSQL: a weighted ``tsvector`` with a GIN index, and a latitude/longitude btree.
Both: one row per public listing holding its facet tokens, points and ranking data, so a
search reads one row per candidate; and a table of known words for "did you mean".

The engine owns these tables (``search_*``): it creates them, and drops and recreates
them when :data:`SCHEMA_VERSION` changes; migrations leave them alone. They are written
after commit by :mod:`search.sync`, in their own transaction, like any index.

Why not Whoosh by default: at 100,000 listings Whoosh missed the latency targets of
issue 3 by 2–20× and builds at under 1,000 listings/s in pure Python; see
``docs/benchmarks.md``. Whoosh stays available (``SEARCH_BACKEND=whoosh``).
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import re
import sqlite3
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

import numpy
import psycopg
from flask import has_app_context
from sqlalchemy import Dialect, bindparam, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from whoosh.analysis import STOP_WORDS

from directory.extensions import db
from directory.geo import bounding_box
from directory.rules.freshness import hidden_before
from directory.rules.ranking import (
    CLOSENESS,
    RATING_MAX,
    RELEVANCE_WEIGHT,
    TEXT_FIELD_WEIGHTS,
    best_match_ceiling,
    bm25_weights,
    inside_radius,
    ts_rank_weights,
)
from search.analysis import fold, split_query
from search.documents import from_timestamp, to_timestamp
from search.interface import IndexUnavailable
from search.query import FACET_FIELDS, Candidate, SearchOutcome, SearchQuery
from search.ranking import (
    candidate_score,
    facet_counts_of,
    nearest_km,
    rank_and_page,
    result_order,
    sphere_km,
)

SCHEMA_VERSION = "5"
# Ids of a listing's points in the place table: docid * PLACE_STRIDE + position.
PLACE_STRIDE = 1024
WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
# The text columns, weighted as directory.rules.ranking says: FTS5's bm25() weights in
# column order; PostgreSQL's ts_rank weights for the setweight letters A, B, C, D.
TEXT_FIELDS = tuple(TEXT_FIELD_WEIGHTS)
BM25_WEIGHTS = bm25_weights()
PG_WEIGHTS = ts_rank_weights()

SQLITE_SCHEMA = (
    "CREATE TABLE search_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE search_document (
        docid INTEGER PRIMARY KEY,
        listing_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        facets TEXT NOT NULL,
        facet_codes TEXT NOT NULL,
        points TEXT NOT NULL,
        online INTEGER NOT NULL,
        usefulness REAL,
        verified INTEGER NOT NULL,
        welcome REAL,
        started INTEGER NOT NULL,
        ends INTEGER NOT NULL
    )""",
    """CREATE VIRTUAL TABLE search_text USING fts5(
        name, summary, description, organisation,
        tokenize = 'porter unicode61 remove_diacritics 2'
    )""",
    "CREATE VIRTUAL TABLE search_place USING rtree(id, min_lat, max_lat, min_lon, max_lon)",
    "CREATE TABLE search_word (word TEXT PRIMARY KEY, listings INTEGER NOT NULL) WITHOUT ROWID",
    "CREATE TABLE search_facet_code (token TEXT PRIMARY KEY, code INTEGER NOT NULL UNIQUE)",
)
POSTGRES_SCHEMA = (
    "CREATE TABLE search_meta (key text PRIMARY KEY, value text NOT NULL)",
    """CREATE TABLE search_document (
        docid bigint PRIMARY KEY,
        listing_id text NOT NULL UNIQUE,
        kind text NOT NULL,
        facets text NOT NULL,
        facet_codes text NOT NULL,
        points text NOT NULL,
        online boolean NOT NULL,
        usefulness float8,
        verified bigint NOT NULL,
        welcome float8,
        started bigint NOT NULL,
        ends bigint NOT NULL,
        tsv tsvector NOT NULL
    )""",
    "CREATE SEQUENCE search_docid",
    "CREATE INDEX search_document_tsv ON search_document USING gin (tsv)",
    """CREATE TABLE search_place (
        id bigint PRIMARY KEY, docid bigint NOT NULL, lat float8 NOT NULL, lon float8 NOT NULL
    )""",
    "CREATE INDEX search_place_lat_lon ON search_place (lat, lon)",
    "CREATE INDEX search_place_docid ON search_place (docid)",
    "CREATE TABLE search_word (word text PRIMARY KEY, listings integer NOT NULL)",
    "CREATE TABLE search_facet_code (token text PRIMARY KEY, code integer NOT NULL UNIQUE)",
)
PROBE_SQLITE = "SELECT count(*) FROM search_text WHERE search_text MATCH 'probe OR walk'"
PROBE_POSTGRES = "SELECT count(*) FROM search_document WHERE tsv @@ 'probe | walk'::tsquery"
VERSION_SQL = "SELECT value FROM search_meta WHERE key = 'version'"
META_SQL = "SELECT key, value FROM search_meta WHERE key IN ('version', 'codes', 'rebuilding')"
REBUILDING_SQL = "SELECT value FROM search_meta WHERE key = 'rebuilding'"
TABLES = (
    "search_word", "search_place", "search_text", "search_document", "search_facet_code",
    "search_meta", "search_changed",
)  # fmt: skip
# What a rebuild fills anew: built as shadow tables (these names + SHADOW) while the
# live ones go on answering searches and taking writes, then swapped in. Facet codes
# stay: other processes may hold them in memory.
REFILLED = ("search_word", "search_place", "search_text", "search_document")
SHADOW = "_next"
# While a rebuild runs (search_meta 'rebuilding' is set), the listings indexed or removed
# meanwhile are noted here; the swap indexes them again from the database.
CHANGED_SCHEMA = "CREATE TABLE search_changed (listing_id TEXT PRIMARY KEY)"
# The tokens of the filters that show counts (FACET_FIELDS) are stored a second time as
# one character each ("kind:group" → "Ā"): a text search can return tens of thousands of
# rows, and counting characters (numpy's bincount over the code points) is far faster
# than splitting and counting tokens. Codes are assigned as tokens first appear and never
# change while the tables exist; search_meta's "codes" id changes when they are
# recreated, so a process drops the codes it has cached.
FIRST_CODE = 0x100
# Kilometres per degree of latitude (the most it gets at British latitudes is less).
KM_PER_DEGREE = 111.32
PG_TSV = " || ".join(
    f"setweight(to_tsvector('english', :{name}), '{letter}')"
    for name, letter in zip(TEXT_FIELDS, "ABCD", strict=True)
)


def include_in_migrations(name: str | None, type_: str, parent_names: dict) -> bool:
    """Alembic's ``include_name`` hook: the search tables belong to this engine.

    They (and FTS5 and R*Tree's own ``search_*`` tables) are left out of the migrations.
    """
    return not (type_ == "table" and name is not None and name.startswith("search_"))


def shadow_schema(postgres: bool) -> list[str]:
    """CREATE statements for the shadow tables (and, on PostgreSQL, their indexes)."""
    statements = []
    for statement in POSTGRES_SCHEMA if postgres else SQLITE_SCHEMA:
        if not any(f" {table} " in statement for table in REFILLED):
            continue  # search_meta, search_facet_code and the sequence are shared
        for table in REFILLED:
            statement = re.sub(rf"\b{table}(_\w+)?\b", rf"{table}{SHADOW}\1", statement)
        statements.append(statement)
    return statements


def document_words(document: dict) -> set[str]:
    """The accent-folded, lower-case words of a document's text.

    "Did you mean" draws on these, as on Whoosh's ``spell`` field.
    """
    return set(WORDS.findall(fold(document["spell"])))


class SqlIndex:
    """Search tables in the app's database (:class:`search.interface.SearchIndex`).

    Every method takes the session to use (the app's session when None).
    """

    name = "sql"

    def __init__(self) -> None:
        self._codes: dict[str, str] = {}
        self._tokens = FacetTokens()
        self._codes_id: str | None = None

    # -- lifecycle -------------------------------------------------------------------

    @staticmethod
    def _session(session: Session | None) -> Session:
        if session is not None:
            return session
        if not has_app_context():
            raise RuntimeError("SqlIndex needs a session or an app context")
        return db.session

    def check(self, session: Session | None = None) -> int:
        """Count the indexed listings.

        Raises IndexUnavailable if the tables are missing, from another version, or
        unreadable.
        """
        session = self._session(session)
        try:
            with session.begin_nested():
                version = session.execute(text(VERSION_SQL)).scalar()
                count = session.execute(text("SELECT count(*) FROM search_document")).scalar()
                # Reading the text index too shows up a damaged one, not just a missing one.
                session.execute(text(PROBE_POSTGRES if self._postgres(session) else PROBE_SQLITE))
        except DBAPIError as error:
            raise IndexUnavailable("the search tables are missing or unreadable") from error
        if version != SCHEMA_VERSION:
            raise IndexUnavailable(
                f"the search tables are version {version!r}, this code needs {SCHEMA_VERSION!r}"
            )
        return int(count)

    def exists(self, session: Session | None = None) -> bool:
        """True if the search tables are present and of this version."""
        try:
            self.check(session)
        except IndexUnavailable:
            return False
        return True

    def rebuild(
        self,
        documents: Iterable[dict],
        progress: Callable[[int], None] | None = None,
        session: Session | None = None,
    ) -> int:
        """Fill new tables from ``documents`` and swap them in, all in the caller's transaction.

        The caller commits: until then other connections keep searching the old rows.
        :func:`search.rebuild_index` instead runs the same steps (:meth:`begin_rebuild`,
        :meth:`fill`, :meth:`finish_fill`, :meth:`swap`) each in short transactions of
        their own, so writers are never kept waiting for a whole rebuild.
        """
        session = self._session(session)
        self.begin_rebuild(session)
        count = 0
        batch: list[dict] = []
        for document in documents:
            batch.append(document)
            if len(batch) == 1000:
                count = self.fill(session, batch, count)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            count = self.fill(session, batch, count)
            if progress:
                progress(len(batch))
        self.finish_fill(session)
        self.swap(session)
        return count

    # -- rebuilding into shadow tables -------------------------------------------------

    def begin_rebuild(self, session: Session) -> None:
        """Create empty shadow tables and mark the index as rebuilding.

        Creates the live tables first if they are missing or of another version. From
        the commit of this transaction on, every listing indexed or removed is noted in
        ``search_changed``; commit it before reading the listings to fill with.
        """
        if not self.exists(session):
            self._create(session)
        postgres = self._postgres(session)
        self.abandon_rebuild(session)
        for statement in shadow_schema(postgres):
            session.execute(text(statement))
        session.execute(text(CHANGED_SCHEMA))
        session.execute(
            text("INSERT INTO search_meta (key, value) VALUES ('rebuilding', :v)"),
            {"v": uuid.uuid4().hex},
        )
        self._load_codes(session)

    def abandon_rebuild(self, session: Session) -> None:
        """Drop the shadow tables of an unfinished rebuild and stop noting changes."""
        for table in REFILLED:
            if table != "search_text" or not self._postgres(session):
                session.execute(text(f"DROP TABLE IF EXISTS {table}{SHADOW}"))
        session.execute(text("DROP TABLE IF EXISTS search_changed"))
        session.execute(text("DELETE FROM search_meta WHERE key = 'rebuilding'"))

    def fill(self, session: Session, documents: list[dict], count: int) -> int:
        """Add documents to the shadow tables; returns the new count.

        ``count`` is how many are there already.
        """
        docids = range(count + 1, count + len(documents) + 1)
        self._insert(session, documents, docids, suffix=SHADOW)
        words: Counter[str] = Counter()
        for document in documents:
            words.update(document_words(document))
        self._add_words(session, words, suffix=SHADOW)
        return count + len(documents)

    def finish_fill(self, session: Session) -> None:
        """Tidy the filled shadow tables before the swap, so the swap itself stays short.

        That is statistics and merged FTS5 segments.
        """
        if self._postgres(session):
            session.execute(text(f"ANALYZE search_document{SHADOW}"))
            session.execute(text(f"ANALYZE search_place{SHADOW}"))
        else:
            session.execute(
                text(f"INSERT INTO search_text{SHADOW} (search_text{SHADOW}) VALUES ('optimize')")
            )

    def swap(self, session: Session) -> set[str]:
        """Put the shadow tables in place of the live ones, in the caller's transaction.

        Returns the ids of the listings indexed or removed since :meth:`begin_rebuild`
        committed: the caller indexes them again, in the same transaction, from the
        database. On PostgreSQL the search tables are locked first (search_meta first:
        every reader and writer of the index starts there), so no index write is half
        done across the swap; on SQLite the transaction holds the write lock already.
        """
        postgres = self._postgres(session)
        if postgres:
            session.execute(
                text(
                    "LOCK TABLE search_meta, search_facet_code, search_word, search_place,"
                    " search_document, search_changed IN ACCESS EXCLUSIVE MODE"
                )
            )
        changed = set(session.execute(text("SELECT listing_id FROM search_changed")).scalars())
        for table in REFILLED:
            if table == "search_text" and postgres:
                continue
            session.execute(text(f"DROP TABLE {table}"))
            session.execute(text(f"ALTER TABLE {table}{SHADOW} RENAME TO {table}"))
        if postgres:
            shadow_indexes = session.execute(
                text(
                    "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
                    " AND indexname LIKE :pattern"
                ),
                {"pattern": f"search%{SHADOW}%"},
            ).scalars()
            for name in list(shadow_indexes):
                new_name = name.replace(SHADOW, "", 1)
                session.execute(text(f'ALTER INDEX "{name}" RENAME TO "{new_name}"'))
            session.execute(
                text(
                    "SELECT setval('search_docid', (SELECT coalesce(max(docid), 0) + 1"
                    " FROM search_document), true)"
                )
            )
        session.execute(text("DROP TABLE search_changed"))
        session.execute(text("DELETE FROM search_meta WHERE key = 'rebuilding'"))
        return changed

    def _note_changed(self, session: Session, ids: Iterable[str], rebuilding: bool) -> None:
        """During a rebuild, remember listings indexed or removed (see :meth:`swap`)."""
        if rebuilding:
            session.execute(
                text("INSERT INTO search_changed (listing_id) VALUES (:id) ON CONFLICT DO NOTHING"),
                [{"id": listing_id} for listing_id in ids],
            )

    def _create(self, session: Session) -> None:
        for table in TABLES:
            session.execute(text(f"DROP TABLE IF EXISTS {table}"))
        if self._postgres(session):
            session.execute(text("DROP SEQUENCE IF EXISTS search_docid"))
        for statement in POSTGRES_SCHEMA if self._postgres(session) else SQLITE_SCHEMA:
            session.execute(text(statement))
        session.execute(
            text("INSERT INTO search_meta (key, value) VALUES ('version', :v), ('codes', :c)"),
            {"v": SCHEMA_VERSION, "c": uuid.uuid4().hex},
        )

    @staticmethod
    def _postgres(session: Session) -> bool:
        return session.get_bind().dialect.name == "postgresql"

    # -- writing ---------------------------------------------------------------------

    def index(self, documents: Iterable[dict], session: Session | None = None) -> None:
        """Add or replace documents (matched on listing id)."""
        session = self._session(session)
        try:
            with session.begin_nested():
                meta = dict(session.execute(text(META_SQL)).all())
        except DBAPIError as error:
            raise IndexUnavailable("the search tables are missing or unreadable") from error
        if meta.get("version") != SCHEMA_VERSION:
            raise IndexUnavailable(f"the search tables are version {meta.get('version')!r}")
        documents = list(documents)
        if not documents:
            return
        self._remove(session, [d["id"] for d in documents])
        self._note_changed(session, [d["id"] for d in documents], "rebuilding" in meta)
        if meta["codes"] != self._codes_id:  # the tables were recreated: codes differ
            self._load_codes(session)
        if self._postgres(session):
            # One nextval each: workers indexing at the same time never share a docid.
            docids = session.scalars(
                text("SELECT nextval('search_docid') FROM generate_series(1, :n)"),
                {"n": len(documents)},
            ).all()
        else:  # SQLite lets one writer in at a time
            first = session.execute(
                text("SELECT coalesce(max(docid), 0) + 1 FROM search_document")
            ).scalar()
            docids = range(first, first + len(documents))
        self._insert(session, documents, docids)
        words: Counter[str] = Counter()
        for document in documents:
            words.update(document_words(document))
        self._add_words(session, words)

    def remove(self, ids: Iterable[str], session: Session | None = None) -> None:
        """Remove documents by listing id; unknown ids are ignored."""
        session = self._session(session)
        ids = list(ids)
        if ids:
            rebuilding = session.execute(text(REBUILDING_SQL)).first() is not None
            self._note_changed(session, ids, rebuilding)
            self._remove(session, ids)

    def _remove(self, session: Session, ids: list[str]) -> None:
        found = session.execute(
            text("SELECT docid, points FROM search_document WHERE listing_id IN :ids").bindparams(
                bindparam("ids", expanding=True)
            ),
            {"ids": ids},
        ).all()
        if not found:
            return
        docids = [row.docid for row in found]
        place_ids = [
            row.docid * PLACE_STRIDE + i
            for row in found
            for i in range(len([p for p in row.points.split(";") if p]))
        ]
        expanding = bindparam("ids", expanding=True)
        if place_ids:
            session.execute(
                text("DELETE FROM search_place WHERE id IN :ids").bindparams(expanding),
                {"ids": place_ids},
            )
        if not self._postgres(session):
            session.execute(
                text("DELETE FROM search_text WHERE rowid IN :ids").bindparams(expanding),
                {"ids": docids},
            )
        session.execute(
            text("DELETE FROM search_document WHERE docid IN :ids").bindparams(expanding),
            {"ids": docids},
        )

    def _insert(
        self, session: Session, documents: list[dict], docids: Sequence[int], suffix: str = ""
    ) -> None:
        postgres = self._postgres(session)
        rows, texts, places = [], [], []
        for docid, document in zip(docids, documents, strict=True):
            points = [p for p in document["points"].decode().split(";") if p]
            row = {
                "docid": docid,
                "listing_id": document["id"],
                "kind": document["kind"],
                "facets": f" {document['facets'].decode()} ",
                "facet_codes": self._encode(session, counted_tokens(document["facets"])),
                "points": ";".join(points),
                "online": document["online"] == "yes",
                "usefulness": document["usefulness"] or None,
                "verified": document["verified"],
                "welcome": document["welcome"] or None,
                "started": document["started"],
                "ends": document["ends"],
            }
            content = {name: document[name] for name in TEXT_FIELDS}
            if postgres:
                # The 'english' configuration keeps accents; queries arrive folded.
                row.update({name: fold(value) for name, value in content.items()})
            else:
                texts.append({"docid": docid, **content})
            rows.append(row)
            for i, point in enumerate(points):
                lat, lon = (float(x) for x in point.split(","))
                places.append(
                    {"id": docid * PLACE_STRIDE + i, "docid": docid, "lat": lat, "lon": lon}
                )
        names = ("docid", "listing_id", "kind", "facets", "facet_codes", "points", "online",
                 "usefulness", "verified", "welcome", "started", "ends")  # fmt: skip
        columns = ", ".join(names)
        values = ", ".join(f":{name}" for name in names)
        if postgres:
            columns += ", tsv"
            values += f", {PG_TSV}"
        session.execute(
            text(f"INSERT INTO search_document{suffix} ({columns}) VALUES ({values})"), rows
        )
        if texts:
            session.execute(
                text(
                    f"INSERT INTO search_text{suffix}"
                    " (rowid, name, summary, description, organisation)"
                    " VALUES (:docid, :name, :summary, :description, :organisation)"
                ),
                texts,
            )
        if places:
            statement = (
                f"INSERT INTO search_place{suffix} (id, docid, lat, lon)"
                " VALUES (:id, :docid, :lat, :lon)"
                if postgres
                else f"INSERT INTO search_place{suffix} VALUES (:id, :lat, :lat, :lon, :lon)"
            )
            session.execute(text(statement), places)

    def _load_codes(self, session: Session) -> None:
        """Read the facet codes (and the id of this set of codes) from the database."""
        rows = session.execute(text("SELECT token, code FROM search_facet_code")).all()
        self._codes = {token: chr(FIRST_CODE + code) for token, code in rows}
        self._tokens = FacetTokens({char: token for token, char in self._codes.items()})
        self._codes_id = session.execute(
            text("SELECT value FROM search_meta WHERE key = 'codes'")
        ).scalar()

    def _encode(self, session: Session, tokens: list[str]) -> str:
        """The facet tokens as code characters, assigning codes to tokens new to the index."""
        for token in tokens:
            while token not in self._codes:
                # Another worker may be assigning a code at the same moment: to this
                # token (its code is then read back), or the same next code to another
                # token (nothing is written, and the next try takes the code after).
                session.execute(
                    text(
                        "INSERT INTO search_facet_code (token, code) SELECT :token,"
                        " coalesce(max(code), 0) + 1 FROM search_facet_code WHERE true"
                        " ON CONFLICT DO NOTHING"
                    ),
                    {"token": token},
                )
                self._load_codes(session)
        return "".join(self._codes[token] for token in tokens)

    def _add_words(self, session: Session, words: Counter[str], suffix: str = "") -> None:
        if not words:
            return
        table = f"search_word{suffix}"
        session.execute(
            text(
                f"INSERT INTO {table} (word, listings) VALUES (:word, :n)"
                f" ON CONFLICT (word) DO UPDATE SET listings = {table}.listings + :n"
            ),
            [{"word": word, "n": n} for word, n in words.items()],
        )

    # -- reading ---------------------------------------------------------------------

    def query(
        self, search: SearchQuery, now: dt.datetime, session: Session | None = None
    ) -> SearchOutcome:
        """Answer a search: match text and place in SQL, then rank and count facets."""
        session = self._session(session)
        postgres = self._postgres(session)
        found = candidate_sql(search, now, postgres)
        # On PostgreSQL a failed read (tables missing mid-rebuild) aborts the transaction,
        # so the search runs in a savepoint that can be rolled back. SQLite's transaction
        # survives a failed read, and a savepoint would cost more than the search.
        guard = session.begin_nested() if postgres else nullcontext()
        try:
            with guard:
                meta = dict(self._fetch(session, META_SQL, {}))
                if meta.get("version") == SCHEMA_VERSION:
                    if meta["codes"] != self._codes_id:
                        self._load_codes(session)
                    outcome = self._answer(session, found, search, now)
        except (DBAPIError, sqlite3.DatabaseError, psycopg.DatabaseError) as error:
            raise IndexUnavailable("the search tables are missing or unreadable") from error
        if meta.get("version") != SCHEMA_VERSION:
            raise IndexUnavailable(f"the search tables are version {meta.get('version')!r}")
        if search.text and not outcome.total:
            outcome.suggestion = self._suggest(session, search.text)
        return outcome

    def _answer(
        self, session: Session, found: CandidateSql, search: SearchQuery, now: dt.datetime
    ) -> SearchOutcome:
        counted_in_sql = not (search.facets_within or search.point_cell)
        if found.relevance != "NULL" and ranks_by_relevance(search) and counted_in_sql:
            # Typed text, no place, best match: count and facets in SQL, and only the
            # most relevant rows come back to Python.
            summary = found.summary(self._postgres(session))
            total, useful, codes, welcome = self._fetch(session, summary, found.params)[0]
            if search.counts_only or total > search.page * search.per_page:
                facets = self._facet_counts(session, codes or "")
                if search.counts_only:
                    return SearchOutcome([], total, facets, {}, engine=self.name)

                def most_relevant(k: int) -> list:
                    params = {**found.params, "top_k": k}
                    return self._fetch(session, found.most_relevant(), params)

                ids = best_page(
                    most_relevant, total, useful, search, now, self._tokens, best_welcome=welcome
                )
                distances = dict.fromkeys(ids)
                return SearchOutcome(ids, total, facets, distances, engine=self.name)
        rows = self._fetch(session, found.rows(), found.params)
        if not (search.facets_within or search.point_cell or search.nearest_by):
            # What practitioners search: rank the rows as they are, and make candidates
            # of the page's alone (40,000 rows near a city took twice as long as objects).
            kept = rows_within(rows, search)
            facets = self._facet_counts(session, "".join(row[FACETS] for row, _ in kept))
            if search.counts_only:
                return SearchOutcome([], len(kept), facets, {}, engine=self.name)
            page = page_of_rows(kept, search, now, self._tokens)
            return SearchOutcome(
                [row[ID] for row, _ in page],
                len(kept),
                facets,
                {row[ID]: distance for row, distance in page},
                engine=self.name,
            )
        # Near a place the SQL finds a little more than the radius (a flat-earth circle
        # 2% wider); the facets are then counted on what is left once the exact distance
        # has been measured, so a count beside a filter is the total that filter gives.
        facets = (
            None
            if search.point is not None
            else self._facet_counts(session, "".join(map(itemgetter(FACETS), rows)))
        )
        candidates = self._candidates(session, rows)
        # The SQL has left out stale listings already (candidate_sql).
        return rank_and_page(candidates, search, now, self.name, facets, stale_dropped=True)

    def _candidates(self, session: Session, rows: list) -> list[Candidate]:
        """Candidates from rows, reading codes another process has assigned meanwhile."""
        try:
            return [candidate(row, self._tokens) for row in rows]
        except UnknownFacetCode:
            self._load_codes(session)
        try:
            return [candidate(row, self._tokens) for row in rows]
        except UnknownFacetCode:
            raise IndexUnavailable("the search index holds facet codes it doesn't define") from None

    def _fetch(self, session: Session, statement: str, params: dict) -> list:
        # The driver's own cursor returns plain tuples: a search can return thousands of
        # rows, and SQLAlchemy's Row objects cost more than reading them (on PostgreSQL,
        # twice as long for 30,000 candidates). sqlite3 takes the same :name parameters;
        # psycopg takes %(name)s, as SQLAlchemy writes the statement for it.
        connection = session.connection()
        driver = connection.connection.driver_connection
        if connection.dialect.name == "postgresql":
            return driver.execute(_pyformat(statement, connection.dialect), params).fetchall()
        return driver.execute(statement, params).fetchall()

    def _facet_counts(self, session: Session, codes: str) -> dict[str, dict[str, int]]:
        """Facet counts from every result's facet codes.

        Reads codes that another process has assigned since this one last read them.
        """
        counts = count_codes(codes, self._tokens)
        if counts is None:
            self._load_codes(session)
            counts = count_codes(codes, self._tokens)
        if counts is None:
            raise IndexUnavailable("the search index holds facet codes it doesn't define")
        return counts

    def _suggest(self, session: Session, typed: str) -> str | None:
        """A corrected query when some typed words are unknown, else None.

        The closest known word within two edits, with the same first letter (as Whoosh's
        corrector).
        """
        changed = False
        words = []
        for concept in split_query(typed):
            word = concept[0]
            if (
                " " in word
                or session.execute(
                    text("SELECT 1 FROM search_word WHERE word = :w"), {"w": word}
                ).first()
            ):
                words.append(word)
                continue
            known = session.execute(
                text(
                    "SELECT word, listings FROM search_word WHERE word >= :first AND word < :after"
                ),
                {"first": word[0], "after": chr(ord(word[0]) + 1)},
            ).all()
            best = min(
                (
                    (distance, -listings, candidate)
                    for candidate, listings in known
                    if abs(len(candidate) - len(word)) <= 2
                    and (distance := edit_distance(word, candidate, limit=2)) <= 2
                ),
                default=None,
            )
            if best:
                words.append(best[2])
                changed = True
            else:
                words.append(word)
        return " ".join(words) if changed else None

    def doc_count(self, session: Session | None = None) -> int:
        """How many listings are indexed."""
        return self.check(session)

    def indexed_ids(self, session: Session | None = None) -> set[str]:
        """The listing ids the index holds (for consistency checks)."""
        session = self._session(session)
        return set(session.execute(text("SELECT listing_id FROM search_document")).scalars())


def edit_distance(a: str, b: str, limit: int) -> int:
    """Levenshtein distance between ``a`` and ``b``, or ``limit + 1`` once it exceeds it."""
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        if min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


# -- SQL ------------------------------------------------------------------------------


def concepts_sql(typed: str, params: dict, postgres: bool) -> str | None:
    """The text condition: every typed concept, any of its synonyms (phrases kept whole).

    SQLite: an FTS5 MATCH expression (returned as a parameter name); PostgreSQL: a
    tsquery expression. None when nothing searchable was typed.
    """
    groups = []
    for c, alternatives in enumerate(split_query(typed)):
        options = []
        for a, alternative in enumerate(alternatives):
            # As the Whoosh analyser: stop words and one-letter words aren't searched.
            words = [w for w in WORDS.findall(alternative) if len(w) > 1 and w not in STOP_WORDS]
            if not words:
                continue
            if postgres:
                key = f"t{c}_{a}"
                params[key] = " ".join(words)
                options.append(f"phraseto_tsquery('english', :{key})")
            else:
                options.append('"' + " ".join(words) + '"')
        if options:
            groups.append("(" + (" || " if postgres else " OR ").join(options) + ")")
    if not groups:
        return None
    if postgres:
        # A stop word alone ("the") gives an empty tsquery, which matches nothing and
        # warns; drop those concepts rather than fail the whole search.
        return " && ".join(f"coalesce(nullif({g}, ''::tsquery), ''::tsquery)" for g in groups)
    params["match"] = " AND ".join(groups)
    return ":match"


@dataclass
class CandidateSql:
    """The listings passing a search's filters, as SQL.

    ``where`` holds the conditions on ``search_document d`` (a " WHERE ..." clause or
    ""), ``relevance`` the text relevance expression ("NULL" without text), ``fts`` (on
    SQLite, with typed text) the FTS5 subquery giving each matching ``rowid`` its
    ``rel``, and ``narrowed`` whether a facet filter, a place or "online only" applies.
    """

    where: str
    params: dict[str, Any]
    relevance: str
    points: str
    fts: str | None = None
    narrowed: bool = False

    @property
    def source(self) -> str:
        """The FROM and WHERE clauses."""
        joined = "" if self.fts is None else f" JOIN ({self.fts}) t ON t.rowid = d.docid"
        return f"FROM search_document d{joined}{self.where}"

    @property
    def columns(self) -> str:
        """What ranking needs of each row (read by ID, REL, ...)."""
        return (
            f"SELECT d.listing_id, {self.relevance} AS rel, {self.points}, d.online,"
            f" d.usefulness, d.verified, d.facet_codes, d.welcome, d.started"
        )

    def rows(self) -> str:
        """Every matching listing with what ranking needs."""
        return f"{self.columns} {self.source}"

    def most_relevant(self) -> str:
        """Matching rows, most relevant first, from the ``:top_k`` most relevant.

        With no facet filter on SQLite the top k come from the text index alone and
        only their k documents are read: reading a document for every match (tens of
        thousands for a common word) cost more than ranking them. The freshness filter
        can then leave out some of the k, so fewer than ``:top_k`` rows may come back
        before the last match.
        """
        if self.fts is None or self.narrowed:
            return f"{self.rows()} ORDER BY rel DESC, d.listing_id LIMIT :top_k"
        return (
            f"{self.columns} FROM ({self.fts} ORDER BY rel DESC LIMIT :top_k) t"
            f" JOIN search_document d ON d.docid = t.rowid{self.where}"
            " ORDER BY rel DESC, d.listing_id"
        )

    def summary(self, postgres: bool) -> str:
        """One row: how many match, the best usefulness, every facet code, the best welcome."""
        codes = "string_agg" if postgres else "group_concat"
        return (
            f"SELECT count(*), max(d.usefulness), {codes}(d.facet_codes, ''), max(d.welcome)"
            f" {self.source}"
        )


def candidate_sql(search: SearchQuery, now: dt.datetime, postgres: bool) -> CandidateSql:
    """The listings passing the search's filters (text, place, facets, freshness)."""
    params: dict[str, Any] = {}
    where: list[str] = []
    fts = None
    relevance = "NULL"
    matched = concepts_sql(search.text, params, postgres) if search.text else None
    if matched is not None and postgres:
        params_tsq = f"({matched})"
        where.append(f"d.tsv @@ {params_tsq}")
        relevance = f"ts_rank({PG_WEIGHTS}, d.tsv, {params_tsq})"
    elif matched is not None:
        fts = (
            f"SELECT rowid, -bm25(search_text, {BM25_WEIGHTS}) AS rel FROM search_text"
            f" WHERE search_text MATCH {matched}"
        )
        relevance = "t.rel"

    for name, values, every in search.facet_filters():
        clauses = []
        for value in values:
            key = f"f{len(params)}"
            params[key] = f"% {name}:{value} %"
            clauses.append(f"d.facets LIKE :{key}")
        where.append("(" + (" AND " if every else " OR ").join(clauses) + ")")
    narrowed = bool(where) or search.online_only or search.point is not None
    if not search.show_unverified and search.hide_unverified_days:
        cases = []
        for i, (kind, days) in enumerate(sorted(search.hide_unverified_days.items())):
            cutoff = hidden_before(now, days)
            params[f"hk{i}"] = kind
            params[f"hc{i}"] = int(cutoff.replace(tzinfo=dt.UTC).timestamp())
            cases.append(f"WHEN :hk{i} THEN d.verified > :hc{i}")
        where.append(f"(CASE d.kind {' '.join(cases)} ELSE {'true' if postgres else '1'} END)")
    # Courses whose last day has passed leave search (rules.visibility.has_ended).
    params["ended_before"] = ended_before(now)
    where.append("(d.ends = 0 OR d.ends >= :ended_before)")
    online = "d.online" if postgres else "d.online = 1"
    if search.online_only:
        where.append(online)
    elif search.point is not None:
        lat0, lon0 = search.point.latitude, search.point.longitude
        box = bounding_box(lat0, lon0, search.radius_km)
        # The box's corners hold a fifth of what it finds; a flat-earth circle 2% wider
        # than the radius (never smaller than the true one at these distances) leaves
        # them out in SQL. The exact distance is still measured in Python.
        params.update(
            s=box.min_lat, n=box.max_lat, w=box.min_lon, e=box.max_lon, lat0=lat0, lon0=lon0,
            ky=KM_PER_DEGREE, kx=KM_PER_DEGREE * math.cos(math.radians(lat0)),
            r2=(search.radius_km * 1.02) ** 2,
        )  # fmt: skip
        lat, lon = ("lat", "lon") if postgres else ("min_lat", "min_lon")
        circle = (
            f"(({lat} - :lat0) * :ky) * (({lat} - :lat0) * :ky)"
            f" + (({lon} - :lon0) * :kx) * (({lon} - :lon0) * :kx) <= :r2"
        )
        near = (
            "SELECT docid FROM search_place WHERE lat BETWEEN :s AND :n AND lon BETWEEN :w AND :e"
            if postgres
            else f"SELECT id / {PLACE_STRIDE} FROM search_place"
            " WHERE max_lat >= :s AND min_lat <= :n AND max_lon >= :w AND min_lon <= :e"
        ) + f" AND {circle}"
        near_clause = f"d.docid IN ({near})"
        where.append(f"({near_clause} OR {online})" if search.online else near_clause)
    # Points are only read when there is a place to measure from.
    points = "d.points" if search.point is not None else "''"
    clause = " WHERE " + " AND ".join(where) if where else ""
    return CandidateSql(clause, params, relevance, points, fts, narrowed)


@lru_cache(maxsize=512)
def _pyformat(statement: str, dialect: Dialect) -> str:
    """``statement`` (with :name parameters) as psycopg takes it: %(name)s, % doubled.

    Written once per statement shape: candidate_sql builds a few dozen.
    """
    return str(text(statement).compile(dialect=dialect))


# -- ranking ----------------------------------------------------------------------------


# Columns of candidate_sql's rows, read by position (rows are plain tuples on SQLite).
ID, REL, POINTS, ONLINE, USEFULNESS, VERIFIED, FACETS, WELCOME, STARTED = range(9)


def ended_before(now: dt.datetime) -> int:
    """The timestamp of today's start: a course whose last day is before it has ended.

    Documents hold a course's last day as the timestamp of its midnight, so
    ``ends >= ended_before(now)`` is :func:`directory.rules.visibility.has_ended`'s
    "not ended".
    """
    return to_timestamp(dt.datetime.combine(now.date(), dt.time()))


class UnknownFacetCode(LookupError):
    """A row holds a facet code this process has not read yet."""


class FacetTokens(dict):
    """Facet code characters to "field:value" tokens."""

    def __missing__(self, code: str) -> str:
        raise UnknownFacetCode(code)


def candidate(row: Any, tokens: FacetTokens) -> Candidate:
    """A candidate from a row of :func:`candidate_sql`."""
    return Candidate(
        id=row[ID],
        relevance=None if row[REL] is None else float(row[REL]),
        points=points_of(row[POINTS]),
        online=bool(row[ONLINE]),
        usefulness=row[USEFULNESS],
        verified_at=from_timestamp(row[VERIFIED]),
        facets=tuple(map(tokens.__getitem__, row[FACETS])),
        welcome=row[WELCOME],
        started_at=from_timestamp(row[STARTED]),
    )


def counted_tokens(facets: bytes) -> list[str]:
    """The facet tokens of a document whose values show counts (``FACET_FIELDS``).

    The others (such as "day_part", a filter only) are searched in ``facets`` alone.
    """
    return [t for t in facets.decode().split() if t.partition(":")[0] in FACET_FIELDS]


def points_of(points: str) -> list[tuple[float, float]]:
    """(latitude, longitude) pairs from a document's points, "lat,lon;lat,lon"."""
    if not points:
        return []
    coordinates = list(map(float, points.replace(";", ",").split(",")))
    return list(zip(coordinates[::2], coordinates[1::2], strict=True))


def count_codes(codes: str, tokens: FacetTokens) -> dict[str, dict[str, int]] | None:
    """Facet counts from a string of facet codes (a character per listing and value).

    None if it holds a code ``tokens`` doesn't know. One pass: the code points as an array,
    counted by numpy's ``bincount`` (numpy comes with folium). For the 400,000 codes of a
    common word's results it takes about 1 ms, where ``str.count`` once per code took
    13 ms.
    """
    per_code = numpy.bincount(numpy.frombuffer(codes.encode("utf-32-le"), dtype="<u4"))
    counts = {}
    for code in numpy.flatnonzero(per_code):
        token = tokens.get(chr(code))
        if token is None:
            return None
        counts[token] = int(per_code[code])
    return facet_counts_of(counts)


def ranks_by_relevance(search: SearchQuery) -> bool:
    """True when :func:`best_page` applies: "best match" with no place."""
    return search.sort == "best" and search.point is None and not search.online_only


def document_nearest_km(lat0: float, lon0: float, points: str) -> float | None:
    """:func:`search.ranking.nearest_km` of a document's points ("lat,lon;lat,lon").

    One place (most listings) is measured without making a list of pairs first.
    """
    if points and ";" not in points:
        lat, _, lon = points.partition(",")
        return sphere_km(lat0, lon0, float(lat), float(lon))
    return nearest_km(lat0, lon0, points_of(points))


def rows_within(rows: Sequence, search: SearchQuery) -> list[tuple[Any, float | None]]:
    """The rows a search keeps, each with its distance: inside the radius near a place.

    As :func:`search.ranking.measure_distances` (the SQL has left out stale listings and
    ended courses): online listings stay with no distance when asked for, and without a
    place every row stays.
    """
    if search.point is None:
        return [(row, None) for row in rows]
    lat0, lon0, radius = search.point.latitude, search.point.longitude, search.radius_km
    online_asked = search.online or search.online_only
    kept = []
    for row in rows:
        distance = document_nearest_km(lat0, lon0, row[POINTS])
        if inside_radius(distance, radius):
            kept.append((row, distance))
        elif online_asked and row[ONLINE]:
            kept.append((row, None))
    return kept


def page_of_rows(
    kept: list[tuple[Any, float | None]],
    search: SearchQuery,
    now: dt.datetime,
    tokens: Mapping[str, str],
) -> list[tuple[Any, float | None]]:
    """The page of rows (with their distances) in the order the search asks for.

    Scores and order are :func:`search.ranking.sort_candidates`'s (``candidate_score``,
    ``result_order``), so the page is the one sorting every candidate would give; only
    the rows that reach it are kept in a heap.
    """
    top = max((row[REL] or 0.0 for row, _ in kept), default=0.0) or 1.0
    sort = search.sort
    keyed = []
    for position, (row, distance) in enumerate(kept):
        verified_at = from_timestamp(row[VERIFIED])
        score = candidate_score(
            search,
            now,
            relevance=None if row[REL] is None else float(row[REL]) / top,
            distance_km=distance,
            usefulness=row[USEFULNESS],
            verified_at=verified_at,
            welcome=row[WELCOME],
            facets=map(tokens.__getitem__, row[FACETS]),
            started_at=from_timestamp(row[STARTED]),
        )
        order = result_order(sort, score, distance, row[USEFULNESS], verified_at, row[ID])
        keyed.append((order, position))
    start = (search.page - 1) * search.per_page
    best = heapq.nsmallest(start + search.per_page, keyed)[start:]
    return [kept[position] for _, position in best]


def best_page(
    most_relevant: Callable[[int], list],
    total: int,
    best_usefulness: float | None,
    search: SearchQuery,
    now: dt.datetime,
    tokens: Mapping[str, str] | None = None,
    best_welcome: float | None = RATING_MAX,
) -> list[str]:
    """The page of "best match" ids for a text search with no place.

    Scores only the rows that can reach the page. ``most_relevant(k)`` gives the matching
    rows among the k most relevant, most relevant first (fewer than k when filters leave
    some out).

    Without a place every listing gets the same distance credit, so "best match" is
    RELEVANCE_WEIGHT × relevance ÷ best relevance + a part that is at most a ceiling
    (:func:`directory.rules.ranking.best_match_ceiling`: full freshness, the best usefulness
    and felt welcome of any row, the Closeness dose only when asked). Walking the rows from
    the most relevant, once that bound falls below the score of the last listing on the
    page, no later row can reach the page. Rows are fetched in growing batches until that
    happens. The scores and the order (score, then id) are
    :func:`search.ranking.sort_candidates`'s, so the page is exactly the one scoring every
    row would give.
    """
    wanted = search.page * search.per_page
    ceiling = best_match_ceiling(
        best_usefulness, search.radius_km, best_welcome, CLOSENESS in search.domains
    )
    limit = max(4 * wanted, 200)
    while True:
        rows = most_relevant(limit)
        if not rows:  # the freshness filter left out every one of the top `limit`
            limit *= 8
            continue
        top = rows[0][REL] or 1.0
        scored: list[tuple[float, str]] = []
        best: list[float] = []  # a min-heap of the best `wanted` scores so far
        finished = len(rows) >= total
        for row in rows:
            relevance = row[REL] / top
            # (The margin keeps rounding from cutting off a row that ties the page's last.)
            if len(best) == wanted and RELEVANCE_WEIGHT * relevance + ceiling + 1e-9 < best[0]:
                finished = True
                break
            score = candidate_score(
                search,
                now,
                relevance=relevance,
                distance_km=None,
                usefulness=row[USEFULNESS],
                verified_at=from_timestamp(row[VERIFIED]),
                welcome=row[WELCOME],
                facets=map(tokens.__getitem__, row[FACETS]) if tokens is not None else (),
                started_at=from_timestamp(row[STARTED]),
            )
            scored.append((-score, row[ID]))
            if len(best) < wanted:
                heapq.heappush(best, score)
            elif score > best[0]:
                heapq.heapreplace(best, score)
        if finished:
            break
        limit *= 8
    scored.sort()
    start = (search.page - 1) * search.per_page
    return [listing_id for _, listing_id in scored[start : start + search.per_page]]
