"""The whole public directory as one Open Referral UK document.

The document is a single page in the feed's paginated shape, holding every public
listing as a fully nested service (organisation, locations, schedules, taxonomy terms
and the ``x-civic`` extension). A client that pages through ``/services?full=true``
reads it the same way, and so does the directory's own importer: exporting and
importing it into an empty database gives the same public directory back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from directory.openreferral.mapping import ORUK_VERSION, PROFILE_URL, service_record
from directory.openreferral.services import all_public_listings


def directory_as_oruk(session: Session) -> dict[str, Any]:
    """Every public listing as an ORUK page of fully nested services, oldest id first.

    Practitioners' ratings are never included: they are opinions shared between
    practitioners, not part of the public record.
    """
    contents = [service_record(listing, full=True) for listing in all_public_listings(session)]
    return {
        "total_items": len(contents),
        "total_pages": 1 if contents else 0,
        "page_number": 1,
        "size": len(contents),
        "first_page": True,
        "last_page": True,
        "empty": not contents,
        "contents": contents,
        "x-civic": {"version": ORUK_VERSION, "profile": PROFILE_URL},
    }


def write_directory_as_oruk(session: Session, path: Path) -> int:
    """Write :func:`directory_as_oruk` to ``path`` as UTF-8 JSON.

    Returns:
        How many services the document holds.
    """
    document = directory_as_oruk(session)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return document["total_items"]
