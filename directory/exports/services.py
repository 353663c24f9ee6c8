"""What the exports read: every result of a search, and one public listing."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from directory.geo import Geocoder
from directory.search_ui.services import SearchResults, search_listings

# The most rows one export holds: a whole region's directory, but no more.
EXPORT_LIMIT = 2000


def search_for_export(
    session: Session, args: dict[str, Any], geocoder: Geocoder, limit: int = EXPORT_LIMIT
) -> SearchResults:
    """Every result of the search ``args`` describe, up to ``limit``, in the search's order.

    ``args`` is as loaded by ``SEARCH_ARGS``; the results come on one page, so ``page``
    and ``per_page`` are ignored.

    Raises :class:`directory.geo.GeocodingError` as the search does.
    """
    return search_listings(session, {**args, "page": 1, "per_page": limit}, geocoder)
