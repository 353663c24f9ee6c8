"""Follow-up uptake for commissioners: did people go, and do they keep going (issue 21)?

The four-week follow-up's answers on practitioners' plans, counted by the CIVIC domains
of the listings they were about, for an area and a period. Only counts leave here:
never a plan, its label, its practitioner or a listing. What the answers mean, how the
still-going share is worked out and which counts are suppressed is
:func:`directory.rules.uptake.published_uptake`.

- *Area*: an outward code ("NG7"); an answer counts there when its listing meets there
  (has a location in it), as the trends count provision. None: everywhere.
- *Period*: the day the answer was recorded (``uptake_at``), from ``start`` to ``end``
  inclusive. Answers recorded before that day was kept (migration 0019) count on the
  day the listing was shortlisted, the nearest day known.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from directory.models import Location, ShortlistItem, Term, listing_term
from directory.rules.uptake import PublishedUptake, UptakeCounts, published_uptake


def answered_on() -> ColumnElement[dt.datetime]:
    """The day an answer counts on: when it was recorded, else when it was shortlisted."""
    return func.coalesce(ShortlistItem.uptake_at, ShortlistItem.added_at)


def counts_by_domain(
    session: Session, area: str | None, start: dt.date, end: dt.date, domains: Iterable[str]
) -> dict[str, UptakeCounts]:
    """Each domain's follow-up answers in ``area`` (None: everywhere) from ``start`` to ``end``.

    Every one of ``domains`` is a key (no answers: all zero). An item counts once in each
    CIVIC domain its listing targets; counts are never added up across domains. One
    statement, whatever the number of plans.
    """
    day = answered_on()
    where = [
        ShortlistItem.uptake.is_not(None),
        day >= dt.datetime.combine(start, dt.time()),
        day < dt.datetime.combine(end + dt.timedelta(days=1), dt.time()),
    ]
    if area:
        where.append(
            select(Location.id)
            .where(
                Location.listing_id == ShortlistItem.listing_id,
                or_(Location.postcode == area, Location.postcode.like(f"{area} %")),
            )
            .exists()
        )
    rows = session.execute(
        select(Term.code, ShortlistItem.uptake, func.count(ShortlistItem.id))
        .select_from(ShortlistItem)
        .join(listing_term, listing_term.c.listing_id == ShortlistItem.listing_id)
        .join(Term, and_(Term.id == listing_term.c.term_id, Term.vocabulary_code == "civic_domain"))
        .where(*where)
        .group_by(Term.code, ShortlistItem.uptake)
    )
    found: dict[str, dict[str, int]] = defaultdict(dict)
    for code, answer, count in rows:
        found[code][answer] = int(count)
    return {code: UptakeCounts.of(found.get(code, {})) for code in domains}


def uptake_by_domain(
    session: Session, area: str | None, start: dt.date, end: dt.date, domains: Iterable[str]
) -> dict[str, PublishedUptake]:
    """The follow-up figure of each domain, small numbers suppressed, ready to publish."""
    counts = counts_by_domain(session, area, start, end, domains)
    return {code: published_uptake(found) for code, found in counts.items()}
