"""What every search index is: the :class:`SearchIndex` protocol and its shared errors.

The app talks to an index only through these methods (warehouse declares its services
as interfaces the same way, with ``zope.interface``; here a :class:`typing.Protocol`).
Each engine (:class:`search.sql_index.SqlIndex`, :class:`search.whoosh_index.WhooshIndex`)
takes the same arguments: every method accepts an optional ``session``, which the SQL
index reads and writes with and Whoosh ignores. ``SEARCH_BACKEND=database`` has no index
at all: :func:`search.run_search` then answers from the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from sqlalchemy.orm import Session

from search.query import SearchOutcome, SearchQuery


class IndexUnavailable(RuntimeError):
    """The index is missing, unreadable or from another version.

    Searches are answered from the database meanwhile, and a rebuild starts.
    """


@runtime_checkable
class SearchIndex(Protocol):
    """A search index of public listings, kept in step with the database."""

    # A short name for logs, status and results ("sql", "whoosh").
    name: str

    def check(self, session: Session | None = None) -> int:
        """Count the indexed listings; raise :class:`IndexUnavailable` if unusable."""
        ...

    def exists(self, session: Session | None = None) -> bool:
        """True if an index is present."""
        ...

    def rebuild(
        self,
        documents: Iterable[dict],
        progress: Callable[[int], None] | None = None,
        session: Session | None = None,
    ) -> int:
        """Replace the whole index with ``documents``; returns how many it holds.

        ``progress(n)`` is told as each ``n`` documents are written.
        """
        ...

    def index(self, documents: Iterable[dict], session: Session | None = None) -> None:
        """Add or replace documents (matched on listing id)."""
        ...

    def remove(self, ids: Iterable[str], session: Session | None = None) -> None:
        """Remove documents by listing id; unknown ids are ignored."""
        ...

    def query(
        self, search: SearchQuery, now: dt.datetime, session: Session | None = None
    ) -> SearchOutcome:
        """Answer a search: a page of ranked ids, the total, facets and distances."""
        ...

    def doc_count(self, session: Session | None = None) -> int:
        """How many listings are indexed."""
        ...

    def indexed_ids(self, session: Session | None = None) -> set[str]:
        """The listing ids the index holds (for consistency checks)."""
        ...
