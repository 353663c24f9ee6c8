"""Finding listings: text, CIVIC domains, filters and distance, ranked.

The rest of the app calls :func:`run_search` and gets listing ids in rank order;
listings are then loaded from the database in that order. Engines stay behind this
package so they can be swapped.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from search.query import SearchOutcome, SearchQuery


def run_search(
    session: Session, query: SearchQuery, now: dt.datetime | None = None
) -> SearchOutcome:
    """Answer ``query`` with a page of ranked ids, the total and facet counts."""
    from directory.models import utcnow
    from search.database import database_candidates
    from search.ranking import rank_and_page

    now = now or utcnow()
    return rank_and_page(database_candidates(session, query), query, now, engine="database")
