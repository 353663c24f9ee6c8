"""The Whoosh (whoosh-reloaded) search index.

Filters are keyword terms; location is a prefilter on grid-cell terms (see
:mod:`search.documents`); the exact distance, ranking data and facet values are read
from per-document columns, so a query never loads stored documents.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy.orm import Session
from whoosh import columns, fields, index, query
from whoosh.index import EmptyIndexError
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher

from directory.geo import bounding_box
from directory.rules.ranking import TEXT_FIELD_WEIGHTS
from search.analysis import spelling_analyzer, split_query, stemming_analyzer
from search.documents import (
    COARSE_DEG,
    FINE_DEG,
    FINE_MAX_RADIUS_KM,
    cells_covering,
    from_timestamp,
)
from search.interface import IndexUnavailable
from search.query import Candidate, SearchOutcome, SearchQuery
from search.ranking import rank_and_page

log = logging.getLogger(__name__)

KEYWORD_FIELDS = (
    "domain",
    "kind",
    "intervention",
    "cost",
    "join",
    "delivered_by",
    "day",
    "part",
    "day_part",
    "audience",
    "accessibility",
    "online",
    "first_visit",
    "focus",
    "regularity",
    "format",
    "language",
    "suits",
    "fine",
    "coarse",
)
# Text searches rank at most this many of the best text matches; the total stays exact.
TEXT_CANDIDATES = 2000


def build_schema() -> fields.Schema:
    """The index schema. Changing it needs ``flask search rebuild``."""
    stem = stemming_analyzer()
    schema = fields.Schema(
        id=fields.ID(stored=True, unique=True, sortable=True),
        spell=fields.TEXT(analyzer=spelling_analyzer(), phrase=False),
        points=fields.COLUMN(columns.VarBytesColumn()),
        facets=fields.COLUMN(columns.VarBytesColumn()),
        usefulness=fields.COLUMN(columns.NumericColumn("d", default=0.0)),
        verified=fields.COLUMN(columns.NumericColumn("q", default=0)),
        welcome=fields.COLUMN(columns.NumericColumn("d", default=0.0)),
        started=fields.COLUMN(columns.NumericColumn("q", default=0)),
        ends=fields.COLUMN(columns.NumericColumn("q", default=0)),
    )
    for name in TEXT_FIELD_WEIGHTS:
        schema.add(name, fields.TEXT(analyzer=stem))
    for name in KEYWORD_FIELDS:
        schema.add(name, fields.KEYWORD(lowercase=False, scorable=False))
    return schema


class WhooshIndex:
    """A listing index in a directory (:class:`search.interface.SearchIndex`).

    Safe to share between threads; the ``session`` every method takes is not needed.
    """

    name = "whoosh"

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self._local = threading.local()
        self._write_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------

    def exists(self, session: Session | None = None) -> bool:
        """True if an index is present (it may still be corrupt; see :meth:`check`)."""
        return self.directory.is_dir() and index.exists_in(str(self.directory))

    def check(self, session: Session | None = None) -> int:
        """Open the index and count its documents; raises IndexUnavailable if unusable."""
        try:
            return self._open().doc_count()
        except IndexUnavailable:
            raise
        except Exception as error:  # any read failure means "corrupt": rebuild it
            raise IndexUnavailable(f"search index at {self.directory} is unreadable") from error

    def _open(self) -> index.Index:
        if not self.exists():
            raise IndexUnavailable(f"no search index at {self.directory}")
        try:
            return index.open_dir(str(self.directory))
        except (EmptyIndexError, OSError, ValueError, EOFError) as error:
            raise IndexUnavailable(f"search index at {self.directory} is unreadable") from error

    def rebuild(
        self,
        documents: Iterable[dict],
        progress: Callable[[int], None] | None = None,
        session: Session | None = None,
    ) -> int:
        """Build a fresh index from ``documents`` beside the old one, then swap it in.

        Searches keep using the old index until the swap, so a rebuild never leaves
        users with half an index.
        """
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        staging = self.directory.with_name(f"{self.directory.name}.building-{uuid.uuid4().hex}")
        staging.mkdir()
        count = 0
        try:
            ix = index.create_in(str(staging), build_schema())
            writer = ix.writer(limitmb=256, procs=1)
            for document in documents:
                writer.add_document(**document)
                count += 1
                if progress:
                    progress(1)
            writer.commit(optimize=True)
            ix.close()
            with self._write_lock:
                retired = self.directory.with_name(f"{self.directory.name}.old-{uuid.uuid4().hex}")
                if self.directory.exists():
                    self.directory.rename(retired)
                staging.rename(self.directory)
                shutil.rmtree(retired, ignore_errors=True)
                self._local.__dict__.clear()
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return count

    # -- writing ---------------------------------------------------------------------

    def index(self, documents: Iterable[dict], session: Session | None = None) -> None:
        """Add or replace documents (matched on id)."""
        self._write(lambda writer: [writer.update_document(**d) for d in documents])

    def remove(self, ids: Iterable[str], session: Session | None = None) -> None:
        """Remove documents by listing id; unknown ids are ignored."""
        self._write(lambda writer: [writer.delete_by_term("id", i) for i in ids])

    def _write(self, work: Callable) -> None:
        ix = self._open()
        with self._write_lock:
            # Other processes (gunicorn workers) may hold the lock briefly; wait for it.
            writer = ix.writer(timeout=10.0)
            try:
                work(writer)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()

    # -- reading ---------------------------------------------------------------------

    def _searcher(self) -> Searcher:
        """This thread's searcher, refreshed if the index changed since last use."""
        searcher = getattr(self._local, "searcher", None)
        try:
            if searcher is not None and searcher.up_to_date():
                return searcher
            # A fresh searcher rather than refresh(): whoosh-reloaded's refresh fails
            # when the previous reader was empty.
            fresh = self._open().searcher()
        except IndexUnavailable:
            raise
        except Exception as error:
            self._local.__dict__.clear()
            raise IndexUnavailable(f"search index at {self.directory} is unreadable") from error
        if searcher is not None:
            searcher.close()
        searcher = fresh
        self._local.searcher = searcher
        return searcher

    def query(
        self, search: SearchQuery, now: dt.datetime, session: Session | None = None
    ) -> SearchOutcome:
        """Answer a search: filter, match text, measure distance, rank and count facets."""
        searcher = self._searcher()
        try:
            return self._query(searcher, search, now)
        except IndexUnavailable:
            raise
        except (OSError, EOFError, ValueError) as error:
            self._local.__dict__.clear()
            raise IndexUnavailable(f"search index at {self.directory} failed") from error

    def _query(self, searcher: Searcher, search: SearchQuery, now: dt.datetime) -> SearchOutcome:
        filters = filter_query(search)
        text = text_query(search.text)
        suggestion = None
        allowed = None if filters is None else matching_docnums(searcher, filters)
        if text is None:
            docnums = list(searcher.docs_for_query(query.Every())) if allowed is None else allowed
            scores: dict[int, float] | None = None
        else:
            if allowed is not None and len(allowed) < TEXT_CANDIDATES:
                # Few documents pass the filters (a place, a domain, a day): score just
                # those rather than every text match. Same hits, same scores.
                scores = text_scores_among(searcher, text, allowed)
            else:
                results = searcher.search(
                    text, filter=None if allowed is None else set(allowed), limit=TEXT_CANDIDATES
                )
                scores = {hit.docnum: hit.score for hit in results}
            docnums = list(scores)
            if not docnums:
                suggestion = self._suggest(searcher, search.text)
        candidates = self._candidates(searcher, docnums, scores)
        outcome = rank_and_page(candidates, search, now, engine=self.name)
        outcome.suggestion = suggestion
        return outcome

    def _candidates(
        self, searcher: Searcher, docnums: list[int], scores: dict[int, float] | None
    ) -> list[Candidate]:
        if not docnums:
            return []
        reader = searcher.reader()
        if "ends" not in reader.schema:
            # Built by an older version of this code: rebuilt in the background meanwhile.
            raise IndexUnavailable(f"search index at {self.directory} is of an older version")
        ids = reader.column_reader("id")
        points = reader.column_reader("points")
        facets = reader.column_reader("facets")
        usefulness = reader.column_reader("usefulness")
        verified = reader.column_reader("verified")
        welcome = reader.column_reader("welcome")
        started = reader.column_reader("started")
        ends = reader.column_reader("ends")
        candidates = []
        for docnum in docnums:
            tokens = tuple(facets[docnum].decode().split())
            raw_points = points[docnum].decode()
            useful = usefulness[docnum]
            candidates.append(
                Candidate(
                    id=ids[docnum],
                    relevance=None if scores is None else scores[docnum],
                    points=[
                        tuple(float(x) for x in p.split(",")) for p in raw_points.split(";") if p
                    ],
                    online="online:yes" in tokens,
                    usefulness=useful or None,
                    verified_at=from_timestamp(verified[docnum]),
                    facets=tokens,
                    welcome=welcome[docnum] or None,
                    started_at=from_timestamp(started[docnum]),
                    ends_on=ended.date() if (ended := from_timestamp(ends[docnum])) else None,
                )
            )
        return candidates

    def _suggest(self, searcher: Searcher, text: str) -> str | None:
        """A corrected query when some typed words are unknown, else None."""
        corrector = searcher.corrector("spell")
        changed = False
        words = []
        for concept in split_query(text):
            word = concept[0]
            if " " in word or searcher.doc_frequency("spell", word):
                words.append(word)
                continue
            found = corrector.suggest(word, limit=1, maxdist=2, prefix=1)
            if found:
                words.append(found[0])
                changed = True
            else:
                words.append(word)
        return " ".join(words) if changed else None

    def doc_count(self, session: Session | None = None) -> int:
        """How many listings are indexed."""
        return self._searcher().doc_count()

    def indexed_ids(self, session: Session | None = None) -> set[str]:
        """The listing ids the index holds (for consistency checks)."""
        return {fields["id"] for fields in self._searcher().all_stored_fields()}


def matching_docnums(searcher: Searcher, filters: query.Query) -> list[int]:
    """The documents matching ``filters``, in docnum order.

    Walks the matcher rather than calling ``docs_for_query``: Whoosh's And (an
    intersection) answers ``all_ids`` by reading *every* id of each side into a set, so a
    broad clause such as kind=group read tens of thousands of ids per search; walking
    lets the narrow side (the grid cells) lead and the others skip ahead in blocks.
    """
    try:
        matcher = filters.matcher(searcher, searcher.boolean_context())
    except TermNotFound:
        return []
    docnums = []
    while matcher.is_active():
        docnums.append(matcher.id())
        matcher.next()
    return docnums


def text_scores_among(
    searcher: Searcher, text: query.Query, allowed: list[int]
) -> dict[int, float]:
    """The scores ``searcher.search`` gives the text matches among ``allowed`` docnums.

    ``allowed`` is ascending; found by skipping the text matcher to each allowed document
    in turn.
    """
    context = searcher.context()
    scores: dict[int, float] = {}
    position = 0
    for subsearcher, offset in searcher.leaf_searchers():
        end = offset + subsearcher.doc_count_all()
        matcher = text.matcher(subsearcher, context)
        while position < len(allowed) and allowed[position] < end:
            docnum = allowed[position] - offset
            position += 1
            if not matcher.is_active():
                continue
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
                if not matcher.is_active():
                    continue
            if matcher.id() == docnum:
                scores[docnum + offset] = matcher.score()
    return scores


def filter_query(search: SearchQuery) -> query.Query | None:
    """The non-text part of a search as a Whoosh query, or None for "everything"."""
    clauses: list[query.Query] = []
    for field, values, every in search.facet_filters():
        terms = [query.Term(field, v) for v in values]
        if every:
            clauses.extend(terms)
        else:
            clauses.append(query.Or(terms))
    if search.online_only:
        clauses.append(query.Term("online", "yes"))
    elif search.point is not None:
        clauses.append(location_query(search))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else query.And(clauses)


def location_query(search: SearchQuery) -> query.Query:
    """Grid cells that may hold listings within the radius (plus online ones if asked)."""
    box = bounding_box(search.point.latitude, search.point.longitude, search.radius_km)
    fine = search.radius_km <= FINE_MAX_RADIUS_KM
    field, size = ("fine", FINE_DEG) if fine else ("coarse", COARSE_DEG)
    terms: list[query.Query] = [query.Term(field, c) for c in cells_covering(*box, size)]
    if search.online:
        terms.append(query.Term("online", "yes"))
    return query.Or(terms)


def text_query(text: str) -> query.Query | None:
    """Every typed concept must match (in any text field); synonyms count as matches."""
    analyzer = stemming_analyzer()
    concepts = []
    for alternatives in split_query(text):
        options = []
        for alternative in alternatives:
            stems = [token.text for token in analyzer(alternative)]
            if not stems:
                continue
            for field, boost in TEXT_FIELD_WEIGHTS.items():
                if len(stems) == 1:
                    options.append(query.Term(field, stems[0], boost=boost))
                else:
                    options.append(query.Phrase(field, stems, boost=boost))
        if options:
            concepts.append(query.Or(options))
    if not concepts:
        return None
    return concepts[0] if len(concepts) == 1 else query.And(concepts)
