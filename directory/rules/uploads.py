"""How long a file checked with a dry run is kept for "Import now" (issue 15).

Long enough to read the check and decide; short enough that organisations' files don't
pile up on the server. Every kept file is deleted once imported, or after this.
"""

from __future__ import annotations

import datetime as dt

KEPT_FOR = dt.timedelta(hours=1)


def is_expired(created_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether a file kept at ``created_at`` is past keeping at ``now`` (and must go)."""
    return now - created_at >= KEPT_FOR
