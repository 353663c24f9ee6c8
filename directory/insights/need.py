"""Unmet need: recording what practitioners found nothing for, and reading it back.

What is kept, and which looks count, is :mod:`directory.rules.unmet_need`; what may be
shown, :mod:`directory.rules.disclosure`. Recording adds one to the day's count for the
outward code, domain and filters (an upsert, so two practitioners at once both count):
a plan's in the request's transaction, a search's just after its commit
(:func:`directory.extensions.write_after_commit`), so a search stays a read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Executable, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from directory import schedules
from directory.extensions import write_after_commit
from directory.geo import GeoResult, looks_like_outward, outward_code
from directory.models import UnmetNeed, utcnow
from directory.rules import permissions
from directory.rules.disclosure import SMALL_NUMBER_LIMIT, suppress
from directory.rules.plan_selection import Plan
from directory.rules.unmet_need import filters_key, parse_filters_key, search_counts
from directory.vocabularies import label, vocabulary

# The filters whose values are vocabulary codes, and their vocabularies.
FILTER_VOCABULARIES = {"kind": "kind", "cost": "cost", "delivered_by": "delivered_by"}
# How many of the most frequent unmet needs a page lists.
TOP_NEEDS = 20
# The costs a plan's cost limit lets in.
PLAN_COSTS = {"free": ["free"], "low_cost": ["free", "low_cost"]}


def allowed_filter_codes() -> dict[str, tuple[str, ...]]:
    """The codes each kept filter may hold (anything else is dropped, never kept)."""
    allowed = {key: vocabulary(code).codes for key, code in FILTER_VOCABULARIES.items()}
    allowed["day"] = schedules.DAY_CODES
    allowed["part"] = tuple(schedules.PARTS_OF_DAY)
    return allowed


def place_outward_code(location: GeoResult | None) -> str | None:
    """The outward code of where a search or plan was placed; None for a place name.

    Only a postcode or an outward code has one: a place name found by a place-name
    service is left out rather than guessed.
    """
    if location is None or location.precision not in ("postcode", "outward"):
        return None
    code = outward_code(location.matched)
    return code if looks_like_outward(code) else None


def _count(session: Session, source: str, outward: str, domain: str, filters: str) -> Executable:
    """The statement adding one to the day's count for this need (an upsert on both databases)."""
    values = {
        "recorded_on": utcnow().date(),
        "source": source,
        "outward_code": outward,
        "domain": domain,
        "filters": filters,
        "times": 1,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(UnmetNeed).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["recorded_on", "source", "outward_code", "domain", "filters"],
        set_={"times": UnmetNeed.times + 1},
    )
    return statement


def record_search(
    session: Session, user: Any, args: Mapping[str, Any], total: int, location: GeoResult | None
) -> bool:
    """Count a practitioner's search near a place that found nothing; True if it counted.

    ``args`` are the loaded search arguments; only the outward code, the domains and the
    provision filters are kept (:func:`directory.rules.unmet_need.filters_key`), and
    nothing of ``user`` but that they are a practitioner.
    """
    outward = place_outward_code(location)
    if not permissions.is_practitioner(user) or not search_counts(
        has_place=outward is not None,
        text=args.get("q") or "",
        domains=args.get("domain") or (),
        match=args.get("match") or "any",
        total=total,
    ):
        return False
    filters = filters_key(
        {key: args.get(key) for key in ("kind", "cost", "delivered_by", "day", "part")}
        | {
            "first_visit": bool(args.get("first_visit")),
            "online": bool(args.get("online")),
            "radius_km": args.get("radius_km"),
        },
        allowed_filter_codes(),
    )
    # After the page's commit: the search page otherwise only reads.
    for domain in dict.fromkeys(args.get("domain") or [""]):
        write_after_commit(session, _count(session, "search", outward, domain, filters))  # type: ignore[arg-type]
    return True


def record_plan(session: Session, user: Any, plan: Plan | None, location: GeoResult | None) -> bool:
    """Count each domain a practitioner's plan left with nothing that fits; True if any.

    No plan (the question wasn't asked, or was wrong) counts nothing. Only the first
    answer to a question counts: a plan with options pinned or left out is the same
    question asked again ("use this instead"). A domain left out only because the plan
    was full is not unmet.
    """
    if plan is None:
        return False
    request = plan.request
    outward = place_outward_code(location)
    gaps = [gap.domain for gap in plan.gaps if gap.unmet]
    if (
        not permissions.is_practitioner(user)
        or outward is None
        or not gaps
        or request.pinned
        or request.excluded
    ):
        return False
    filters = filters_key(
        {
            "cost": PLAN_COSTS.get(request.cost_limit),
            "delivered_by": ["peers"] if request.peer_led else None,
            "day": sorted({day for day, _ in request.free}),
            "part": sorted({part for _, part in request.free}),
            "first_visit": request.first_visit_support,
            "online": request.online,
            "radius_km": request.radius_km,
        },
        allowed_filter_codes(),
    )
    for domain in dict.fromkeys(gaps):
        session.execute(_count(session, "plan", outward, domain, filters))
    return True


# -- reading it back ---------------------------------------------------------------------


@dataclass(frozen=True)
class NeedRow:
    """One of the most frequent unmet needs: where, which domain, with which filters."""

    outward_code: str
    domain: str
    filters: str
    times: int


def _where(area: str | None, domain: str | None, start: dt.date, end: dt.date) -> list:
    conditions = [UnmetNeed.recorded_on.between(start, end)]
    if area:
        conditions.append(UnmetNeed.outward_code == area)
    if domain:
        conditions.append(UnmetNeed.domain == domain)
    return conditions


def by_domain(
    session: Session, area: str | None, start: dt.date, end: dt.date, domains: Iterable[str]
) -> dict[str, int | None]:
    """Unmet need per domain in ``area`` (None: everywhere), small counts suppressed.

    Keyed by each of ``domains`` (0 when nobody looked), and ``""`` for looks with no
    domain chosen.
    """
    counts = dict.fromkeys([*domains, ""], 0)
    rows = session.execute(
        select(UnmetNeed.domain, func.sum(UnmetNeed.times))
        .where(*_where(area, None, start, end))
        .group_by(UnmetNeed.domain)
    )
    for domain, times in rows:
        counts[domain] = int(times)
    return {domain: suppress(count) for domain, count in counts.items()}


def most_frequent(
    session: Session,
    area: str | None,
    domain: str | None,
    start: dt.date,
    end: dt.date,
    limit: int = TOP_NEEDS,
) -> list[NeedRow]:
    """The most frequent unmet needs by area, domain and filters; only counts of 5 or more.

    Searches that found nothing and plans with the domain uncovered count together.
    Smaller counts are suppressed, so they are left out (none is shown beside a total).
    """
    times = func.sum(UnmetNeed.times)
    rows = session.execute(
        select(UnmetNeed.outward_code, UnmetNeed.domain, UnmetNeed.filters, times)
        .where(*_where(area, domain, start, end))
        .group_by(UnmetNeed.outward_code, UnmetNeed.domain, UnmetNeed.filters)
        .having(times >= SMALL_NUMBER_LIMIT)
        .order_by(times.desc(), UnmetNeed.outward_code, UnmetNeed.domain, UnmetNeed.filters)
        .limit(limit)
    )
    return [NeedRow(*row) for row in rows]


def filter_words(key: str) -> str:
    """Kept filters in words: "free; evening; within 5 km" ("any" for none)."""
    words = []
    for name, codes in parse_filters_key(key).items():
        if name in FILTER_VOCABULARIES:
            words.append(" or ".join(label(FILTER_VOCABULARIES[name], c) for c in codes))
        elif name == "day":
            names = dict(zip(schedules.DAY_CODES, schedules.DAY_NAMES, strict=True))
            words.append(" or ".join(names.get(c, c) for c in codes))
        elif name == "part":
            words.append(" or ".join(codes))
        elif name == "first_visit":
            words.append("someone to go with them the first time")
        elif name == "online":
            words.append("online included")
        elif name == "radius_km":
            words.append(f"within {codes[0]} km")
    return "; ".join(words) or "any"
