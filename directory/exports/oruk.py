"""The whole public directory as one Open Referral UK document.

The document is a single page in the feed's paginated shape, holding every public
listing as a fully nested service (organisation, locations, schedules, taxonomy terms
and the ``x-civic`` extension). A client that pages through ``/services?full=true``
reads it the same way, and so does the directory's own importer: exporting and
importing it into an empty database gives the same public directory back.

The download and the command write it a service at a time (:class:`OrukStream`), so
neither holds the whole directory in memory, however large it grows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from directory.openreferral.mapping import ORUK_VERSION, PROFILE_URL, service_record
from directory.openreferral.services import all_public_listings


def _records(session: Session) -> Iterator[dict[str, Any]]:
    """Every public listing as a fully nested ORUK service, oldest id first.

    Practitioners' ratings are never included: they are opinions shared between
    practitioners, not part of the public record.
    """
    for listing in all_public_listings(session):
        yield service_record(listing, full=True)


def _page(count: int) -> dict[str, Any]:
    """The page around ``count`` services: everything but its contents."""
    return {
        "total_items": count,
        "total_pages": 1 if count else 0,
        "page_number": 1,
        "size": count,
        "first_page": True,
        "last_page": True,
        "empty": not count,
        "x-civic": {"version": ORUK_VERSION, "profile": PROFILE_URL},
    }


def directory_as_oruk(session: Session) -> dict[str, Any]:
    """Every public listing as an ORUK page of fully nested services, oldest id first."""
    contents = list(_records(session))
    return {**_page(len(contents)), "contents": contents}


class OrukStream:
    """:func:`directory_as_oruk` as JSON text, a service at a time.

    Iterate for the pieces; ``count`` is then how many services were written. The page's
    counts follow its contents (a JSON object's keys have no order), so they count what
    was written even if listings change meanwhile.
    """

    def __init__(self, session: Session, dumps: Callable[[Any], str] = json.dumps) -> None:
        self.session = session
        self.dumps = dumps
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        """The document's JSON text in pieces."""
        self.count = 0
        yield '{"contents": ['
        for record in _records(self.session):
            yield ("," if self.count else "") + self.dumps(record)
            self.count += 1
        page = self.dumps(_page(self.count))
        yield "], " + page[1:]


def write_directory_as_oruk(session: Session, path: Path) -> int:
    """Write :func:`directory_as_oruk` to ``path`` as UTF-8 JSON, a service at a time.

    Returns:
        How many services the document holds.
    """
    stream = OrukStream(session, lambda value: json.dumps(value, ensure_ascii=False))
    with path.open("w", encoding="utf-8") as file:
        file.writelines(stream)
    return stream.count
