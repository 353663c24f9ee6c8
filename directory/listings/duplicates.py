"""Probable duplicate listings: flagged when posted or imported, then decided by a moderator.

A moderator merges them or tells them apart. Whether two listings are probably the same
is :func:`directory.rules.duplicates.probably_same`; this module finds the few listings
worth asking about, records the flags, and carries out a moderator's decision. Like every
service it takes the session and only flushes: the request (or the import row) commits.

Finding candidates never scans the directory: the rule only holds for listings of the same
organisation or with a place within :data:`~directory.rules.duplicates.NEARBY_KM`, so the
candidates are the organisation's listings (names only, compared in C by rapidfuzz) and
the listings with a place inside a bounding box around each of the new listing's places
(the ``ix_location_lat_lon`` index). Only the few whose names are close are loaded whole.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased, joinedload, selectinload
from sqlalchemy.orm.attributes import flag_modified

from directory import audit
from directory.geo import bounding_box
from directory.models import (
    DuplicateFlag,
    Listing,
    ListingRevision,
    Location,
    ProblemReport,
    Rating,
    RatingHistory,
    ServiceUserFeedback,
    Shortlist,
    ShortlistItem,
    StillRunningConfirmation,
    User,
    utcnow,
)
from directory.models.ratings import CommentReport
from directory.ratings.aggregates import lock_score, recompute_score
from directory.ratings.services import rating_snapshot
from directory.rules.duplicates import (
    NEARBY_KM,
    DuplicateMatch,
    ListingFacts,
    normalise_name,
    probably_same,
    similar_names,
)

__all__ = [
    "DuplicateError",
    "MergeResult",
    "decide",
    "dismiss",
    "flag_duplicates",
    "flag_new_listings",
    "likely_duplicates",
    "listing_facts",
    "merge",
    "merged_into",
    "open_flags",
]

# How far a chain of merges (A into B, later B into C) is followed for an old link.
MAX_MERGE_HOPS = 10


class DuplicateError(ValueError):
    """A merge or decision that can't be done, with a message for the moderator."""


def listing_facts(listing: Listing) -> ListingFacts:
    """What the duplicate rule needs to know about a listing."""
    return ListingFacts(
        id=listing.id,
        name=listing.name,
        organisation_id=listing.organisation_id,
        points=tuple(
            (loc.latitude, loc.longitude)
            for loc in listing.locations
            if loc.latitude is not None and loc.longitude is not None
        ),
        source=listing.source,
        source_id=listing.source_id,
    )


# -- flagging ----------------------------------------------------------------------------


def _candidate_ids(session: Session, facts: ListingFacts) -> list[str]:
    """Listings that could be the same as the one ``facts`` describe, with close names.

    The organisation's listings and those with a place near one of its places, narrowed to
    the ones with close names.
    """
    live = (Listing.archived_at.is_(None), Listing.id != facts.id)
    rows: dict[str, str] = dict(
        session.execute(
            select(Listing.id, Listing.name).where(
                Listing.organisation_id == facts.organisation_id, *live
            )
        ).all()
    )
    for lat, lon in facts.points:
        box = bounding_box(lat, lon, NEARBY_KM)
        rows.update(
            session.execute(
                select(Listing.id, Listing.name)
                .join(Location, Location.listing_id == Listing.id)
                .where(
                    Location.latitude.between(box.min_lat, box.max_lat),
                    Location.longitude.between(box.min_lon, box.max_lon),
                    *live,
                )
            ).all()
        )
    ids = list(rows)
    keys = [normalise_name(rows[i]) for i in ids]
    return [ids[position] for position in similar_names(facts.name, keys)]


def _already_paired(session: Session, listing_id: str, other_ids: Iterable[str]) -> set[str]:
    """Those of ``other_ids`` already flagged with ``listing_id``.

    Either way round and in any status: a pair a moderator called "not the same" stays
    decided.
    """
    others = list(other_ids)
    if not others:
        return set()
    pairs = session.execute(
        select(DuplicateFlag.listing_id, DuplicateFlag.other_id).where(
            or_(
                (DuplicateFlag.listing_id == listing_id) & DuplicateFlag.other_id.in_(others),
                (DuplicateFlag.other_id == listing_id) & DuplicateFlag.listing_id.in_(others),
            )
        )
    ).all()
    return {b if a == listing_id else a for a, b in pairs}


def flag_duplicates(session: Session, listing: Listing) -> list[DuplicateFlag]:
    """Flag every existing listing that ``listing`` is probably the same as; return the flags.

    ``listing`` is just posted or imported, and flushed; the flags are for a moderator.
    Archived listings are never candidates. A pair already flagged, whatever became of
    the flag, is not flagged again.
    """
    if listing.id is None or listing.archived_at is not None:
        return []
    facts = listing_facts(listing)
    candidate_ids = _candidate_ids(session, facts)
    if not candidate_ids:
        return []
    seen = _already_paired(session, listing.id, candidate_ids)
    candidates = session.scalars(
        select(Listing)
        .where(Listing.id.in_([i for i in candidate_ids if i not in seen]))
        .options(selectinload(Listing.locations))
        .order_by(Listing.created_at, Listing.id)
    ).all()
    flags = []
    for other in candidates:
        match = probably_same(facts, listing_facts(other))
        if match is None:
            continue
        flag = DuplicateFlag(
            listing_id=listing.id,
            other_id=other.id,
            reason=match.reason[:200],
            score=match.score,
            distance_km=match.distance_km,
            status="open",
        )
        session.add(flag)
        flags.append(flag)
    if flags:
        session.flush()
    return flags


def likely_duplicates(
    session: Session, name: str, organisation_id: str, points: Sequence[tuple[float, float]]
) -> list[tuple[Listing, DuplicateMatch]]:
    """Listings that one about to be posted is probably the same as, to warn the poster.

    The rule is :func:`probably_same`, as for flags. Only listings the poster may see are
    named: public ones and their own organisation's.
    """
    facts = ListingFacts(id="", name=name, organisation_id=organisation_id, points=tuple(points))
    ids = _candidate_ids(session, facts)
    if not ids:
        return []
    found = []
    for other in session.scalars(
        select(Listing)
        .where(
            Listing.id.in_(ids), Listing.is_public | (Listing.organisation_id == organisation_id)
        )
        .options(selectinload(Listing.locations))
        .order_by(Listing.name, Listing.id)
    ):
        match = probably_same(facts, listing_facts(other))
        if match is not None:
            found.append((other, match))
    return found


def flag_new_listings(session: Session, batch: Sequence[ListingFacts]) -> int:
    """:func:`flag_duplicates` for listings created together (an import's batch), in order.

    The batch is written (flushed) already; each listing is compared with what existed
    before it, as if they had been created one after another, and the flags are written
    in one statement. A few statements for the whole batch instead of four or more per
    listing: the organisations' listings in one, the places near the batch's places one
    per map cell, the pairs already flagged in one, the candidates' details in two.
    Listings of one import source are never duplicates of each other (different ids in
    the same feed are different services), so when the batch shares a source its
    listings are left out of the candidates in SQL. Returns how many flags were written.
    """
    if not batch:
        return 0
    sources = {facts.source for facts in batch}
    shared = next(iter(sources)) if len(sources) == 1 else None
    live = [Listing.archived_at.is_(None)]
    if shared is not None:
        live.append(or_(Listing.source.is_(None), Listing.source != shared))
    by_organisation = _organisations_listings(session, batch, live)
    near = _listings_near(session, batch, live)
    order = {facts.id: position for position, facts in enumerate(batch)}
    wanted: dict[str, list[str]] = {}
    for position, facts in enumerate(batch):
        rows = dict(by_organisation.get(facts.organisation_id, {}))
        for point in facts.points:
            rows.update(near.get(point, {}))
        # What existed when it arrived: not itself, nor the batch's later listings.
        rows = {i: name for i, name in rows.items() if order.get(i, -1) < position}
        ids = list(rows)
        keys = [normalise_name(rows[i]) for i in ids]
        wanted[facts.id] = [ids[p] for p in similar_names(facts.name, keys)]
    if not any(wanted.values()):
        return 0
    paired = _pairs_flagged(session, [facts.id for facts in batch])
    others = _candidate_facts(session, {i for ids in wanted.values() for i in ids})
    now = utcnow()
    flags = []
    for facts in batch:
        candidates = [others[i] for i in wanted[facts.id] if frozenset((facts.id, i)) not in paired]
        for created_at, other in sorted(candidates, key=lambda c: (c[0], c[1].id)):
            del created_at
            match = probably_same(facts, other)
            if match is not None:
                flags.append(
                    {
                        "listing_id": facts.id,
                        "other_id": other.id,
                        "reason": match.reason[:200],
                        "score": match.score,
                        "distance_km": match.distance_km,
                        "status": "open",
                        "decided_by_id": None,
                        "decided_at": None,
                        "created_at": now,
                    }
                )
    if flags:
        session.execute(insert(DuplicateFlag), flags)
    return len(flags)


def _organisations_listings(
    session: Session, batch: Sequence[ListingFacts], live: list
) -> dict[str | None, dict[str, str]]:
    """The live listings (id: name) of each organisation of the batch."""
    found: dict[str | None, dict[str, str]] = defaultdict(dict)
    organisations = list({facts.organisation_id for facts in batch if facts.organisation_id})
    for start in range(0, len(organisations), 500):
        rows = session.execute(
            select(Listing.id, Listing.name, Listing.organisation_id).where(
                Listing.organisation_id.in_(organisations[start : start + 500]), *live
            )
        )
        for listing_id, name, organisation_id in rows:
            found[organisation_id][listing_id] = name
    return found


# A batch's places are grouped by map cell (about 5.5 km square in Britain), and the cells
# asked for together, this many in one statement.
_CELL_DEGREES = 0.05
_CELLS_PER_STATEMENT = 40


def _listings_near(
    session: Session, batch: Sequence[ListingFacts], live: list
) -> dict[tuple[float, float], dict[str, str]]:
    """For each place of the batch, the live listings (id: name) with a place near it.

    Near is the bounding box :func:`flag_duplicates` asks SQL for. Here each map cell's
    places share one box around all of theirs, the boxes are asked for together (OR, each
    term served by the ``ix_location_lat_lon`` index), and each place then keeps the rows
    inside its own box.
    """
    cells: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for point in dict.fromkeys(p for facts in batch for p in facts.points):
        lat, lon = point
        cells[(int(lat // _CELL_DEGREES), int(lon // (_CELL_DEGREES * 1.6)))].append(point)
    boxes = {point: bounding_box(*point, NEARBY_KM) for point in chain(*cells.values())}
    around = [
        (
            min(boxes[p].min_lat for p in points),
            max(boxes[p].max_lat for p in points),
            min(boxes[p].min_lon for p in points),
            max(boxes[p].max_lon for p in points),
        )
        for points in cells.values()
    ]
    rows: set[tuple[str, str, float, float]] = set()
    for start in range(0, len(around), _CELLS_PER_STATEMENT):
        terms = [
            and_(Location.latitude.between(a, b), Location.longitude.between(c, d))
            for a, b, c, d in around[start : start + _CELLS_PER_STATEMENT]
        ]
        rows.update(
            (row.id, row.name, row.latitude, row.longitude)
            for row in session.execute(
                select(Listing.id, Listing.name, Location.latitude, Location.longitude)
                .join(Location, Location.listing_id == Listing.id)
                .where(or_(*terms), *live)
            )
        )
    found: dict[tuple[float, float], dict[str, str]] = {}
    for points, (a, b, c, d) in zip(cells.values(), around, strict=True):
        in_cell = [row for row in rows if a <= row[2] <= b and c <= row[3] <= d]
        for point in points:
            box = boxes[point]
            found[point] = {
                listing_id: name
                for listing_id, name, lat, lon in in_cell
                if box.min_lat <= lat <= box.max_lat and box.min_lon <= lon <= box.max_lon
            }
    return found


def _pairs_flagged(session: Session, ids: list[str]) -> set[frozenset[str]]:
    """Every pair already flagged (either way round, any status) involving ``ids``."""
    pairs: set[frozenset[str]] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        pairs |= {
            frozenset(pair)
            for pair in session.execute(
                select(DuplicateFlag.listing_id, DuplicateFlag.other_id).where(
                    or_(DuplicateFlag.listing_id.in_(chunk), DuplicateFlag.other_id.in_(chunk))
                )
            )
        }
    return pairs


def _candidate_facts(
    session: Session, ids: set[str]
) -> dict[str, tuple[dt.datetime, ListingFacts]]:
    """The rule's facts about each of ``ids``, with when it was created (the order flagged)."""
    wanted = list(ids)
    found: dict[str, tuple[dt.datetime, ListingFacts]] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        points: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for listing_id, lat, lon in session.execute(
            select(Location.listing_id, Location.latitude, Location.longitude)
            .where(Location.listing_id.in_(chunk))
            .order_by(Location.listing_id, Location.position)
        ):
            if lat is not None and lon is not None:
                points[listing_id].append((lat, lon))
        for row in session.execute(
            select(
                Listing.id,
                Listing.name,
                Listing.organisation_id,
                Listing.source,
                Listing.source_id,
                Listing.created_at,
            ).where(Listing.id.in_(chunk))
        ):
            found[row.id] = (
                row.created_at,
                ListingFacts(
                    id=row.id,
                    name=row.name,
                    organisation_id=row.organisation_id,
                    points=tuple(points.get(row.id, ())),
                    source=row.source,
                    source_id=row.source_id,
                ),
            )
    return found


# -- the moderator's queue -----------------------------------------------------------------


def open_flags(
    session: Session, limit: int = 50, offset: int = 0
) -> tuple[list[DuplicateFlag], int]:
    """Open flags whose listings are both still there (not archived), oldest first.

    Everything the side-by-side view shows is loaded. Also returns how many there are in
    all.
    """
    left, right = aliased(Listing), aliased(Listing)
    stmt = (
        select(DuplicateFlag)
        .join(left, DuplicateFlag.listing_id == left.id)
        .join(right, DuplicateFlag.other_id == right.id)
        .where(
            DuplicateFlag.status == "open",
            left.archived_at.is_(None),
            right.archived_at.is_(None),
        )
    )
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    detail = (
        joinedload(Listing.organisation),
        selectinload(Listing.locations),
        selectinload(Listing.schedules),
        joinedload(Listing.score),
    )
    flags = session.scalars(
        stmt.options(
            joinedload(DuplicateFlag.listing).options(*detail),
            joinedload(DuplicateFlag.other).options(*detail),
        )
        .order_by(DuplicateFlag.created_at, DuplicateFlag.id)
        .limit(limit)
        .offset(offset)
    ).unique()
    return list(flags), total


# -- deciding -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeResult:
    """What a merge moved onto the kept listing, for the audit log and the moderator."""

    ratings: int
    ratings_superseded: int
    shortlist_items: int
    shortlist_items_dropped: int
    problem_reports: int
    confirmations: int
    revisions: int
    feedback: int

    def as_dict(self) -> dict[str, int]:
        """The counts by name, for the audit log."""
        return dict(self.__dict__)


def _open_flag(session: Session, flag_id: int) -> DuplicateFlag:
    flag = session.get(DuplicateFlag, flag_id)
    if flag is None:
        raise DuplicateError("No such flag.")
    if flag.status != "open":
        raise DuplicateError("This pair has already been decided.")
    return flag


def dismiss(session: Session, moderator: User, flag: DuplicateFlag) -> DuplicateFlag:
    """Close the flag as "not the same": the pair is not flagged again."""
    if flag.status != "open":
        raise DuplicateError("This pair has already been decided.")
    flag.status = "dismissed"
    flag.decided_by_id = moderator.id
    flag.decided_at = utcnow()
    session.flush()
    audit.record(
        session,
        moderator,
        "duplicate.dismiss",
        "listing",
        flag.listing_id,
        other=flag.other_id,
        flag=flag.id,
    )
    return flag


def decide(session: Session, moderator: User, flag_id: int, keep_id: str | None) -> DuplicateFlag:
    """Carry out a moderator's decision on an open flag.

    Merge into ``keep_id`` (one of the pair), or, with None, "not the same". Raises
    :class:`DuplicateError` with a message.
    """
    flag = _open_flag(session, flag_id)
    if keep_id is None:
        return dismiss(session, moderator, flag)
    if keep_id not in (flag.listing_id, flag.other_id):
        raise DuplicateError("Keep one of the two listings of this pair.")
    drop_id = flag.other_id if keep_id == flag.listing_id else flag.listing_id
    keep, drop = session.get(Listing, keep_id), session.get(Listing, drop_id)
    merge(session, keep, drop, moderator, flag=flag)
    return flag


def _move_ratings(session: Session, keep: Listing, drop: Listing) -> tuple[int, int]:
    """Move ``drop``'s ratings to ``keep``; returns (moved, superseded).

    Where one practitioner rated both, the newer rating stays current and the older goes
    into its history (with the older one's own history and comment reports).
    """
    kept_by_user = {
        r.user_id: r for r in session.scalars(select(Rating).where(Rating.listing_id == keep.id))
    }
    moved = superseded = 0
    for rating in session.scalars(
        select(Rating).where(Rating.listing_id == drop.id).order_by(Rating.id)
    ).all():
        other = kept_by_user.get(rating.user_id)
        if other is None:
            _move_rating(rating, keep)
            moved += 1
            continue
        newer, older = (rating, other) if rating.updated_at > other.updated_at else (other, rating)
        _fold_rating(session, newer, older)
        if newer is rating:
            # The older rating sat on the kept listing: the newer takes its place there.
            session.flush()
            _move_rating(rating, keep)
            moved += 1
        superseded += 1
    session.flush()
    return moved, superseded


def _move_rating(rating: Rating, keep: Listing) -> None:
    """Put a rating on the kept listing, keeping when it was given.

    ``updated_at`` would otherwise be stamped now, and the newer of two ratings is judged
    by it.
    """
    rating.listing_id = keep.id
    flag_modified(rating, "updated_at")


def _fold_rating(session: Session, newer: Rating, older: Rating) -> None:
    """Keep ``older`` as history of ``newer`` and delete it."""
    session.execute(
        update(RatingHistory)
        .where(RatingHistory.rating_id == older.id)
        .values(rating_id=newer.id)
        .execution_options(synchronize_session=False)
    )
    session.add(
        RatingHistory(
            rating_id=newer.id,
            data={**rating_snapshot(older), "merged_from_listing": older.listing_id},
        )
    )
    reported = set(
        session.scalars(
            select(CommentReport.reporter_id).where(CommentReport.rating_id == newer.id)
        )
    )
    for report in session.scalars(
        select(CommentReport).where(CommentReport.rating_id == older.id)
    ).all():
        if report.reporter_id in reported:
            session.delete(report)
        else:
            report.rating_id = newer.id
    session.flush()
    session.delete(older)
    session.flush()


def _move_shortlist_items(session: Session, keep: Listing, drop: Listing) -> tuple[int, int]:
    """Point ``drop``'s shortlist items at ``keep``; returns (moved, dropped).

    A shortlist that has both keeps one item (the kept listing's, taking the other's
    uptake if it had none).
    """
    kept_on = {
        item.shortlist_id: item
        for item in session.scalars(
            select(ShortlistItem).where(ShortlistItem.listing_id == keep.id)
        )
    }
    moved = dropped = 0
    touched: set[int] = set()
    for item in session.scalars(
        select(ShortlistItem).where(ShortlistItem.listing_id == drop.id)
    ).all():
        existing = kept_on.get(item.shortlist_id)
        if existing is None:
            item.listing_id = keep.id
            moved += 1
        else:
            if existing.uptake is None and item.uptake is not None:
                existing.uptake, existing.uptake_at = item.uptake, item.uptake_at
            session.delete(item)
            dropped += 1
            touched.add(item.shortlist_id)
    session.flush()
    # A shortlist already loaded would still list the deleted item.
    for shortlist_id in touched:
        shortlist = session.identity_map.get(session.identity_key(Shortlist, shortlist_id))
        if shortlist is not None:
            session.expire(shortlist, ["items"])
    return moved, dropped


def _repoint(session: Session, model, drop: Listing, keep: Listing) -> int:
    """Move every ``model`` row of ``drop`` to ``keep`` in one statement; how many."""
    result = session.execute(
        update(model)
        .where(model.listing_id == drop.id)
        .values(listing_id=keep.id)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def _settle_other_flags(
    session: Session, moderator: User, keep: Listing, drop: Listing, decided: DuplicateFlag | None
) -> None:
    """Flags pairing ``drop`` with a third listing now pair ``keep`` with it.

    Where that pair is already flagged (or is the kept listing itself) the flag is closed
    as merged.
    """
    now = utcnow()
    for flag in session.scalars(
        select(DuplicateFlag).where(
            or_(DuplicateFlag.listing_id == drop.id, DuplicateFlag.other_id == drop.id)
        )
    ).all():
        if decided is not None and flag.id == decided.id:
            continue
        third = flag.other_id if flag.listing_id == drop.id else flag.listing_id
        if (
            flag.status == "open"
            and third != keep.id
            and not _already_paired(session, keep.id, [third])
        ):
            if flag.listing_id == drop.id:
                flag.listing_id = keep.id
            else:
                flag.other_id = keep.id
        elif flag.status == "open":
            flag.status, flag.decided_by_id, flag.decided_at = "merged", moderator.id, now
        session.flush()


def merge(
    session: Session,
    keep: Listing | None,
    drop: Listing | None,
    moderator: User,
    *,
    flag: DuplicateFlag | None = None,
) -> MergeResult:
    """Fold ``drop`` into ``keep``: one listing with both histories.

    Moves ratings (one current rating per practitioner: the newer stays, the older goes
    into its history), rating history and comment reports, shortlist items (never twice
    on one shortlist), problem reports, "still running" confirmations, revisions (the
    dropped listing's pending edits are superseded first, so approving one can't rewrite
    the kept listing) and anonymous feedback; recomputes both listings' rating
    aggregates; archives ``drop`` with ``merged_into_id`` set, so its old links lead to
    ``keep`` (listings merged into ``drop`` earlier now lead to ``keep`` too); closes the
    flag; and audits both listings. The search index follows on commit (both listings
    change: ``drop`` leaves it, ``keep`` is re-indexed with its new ratings).
    """
    if keep is None or drop is None:
        raise DuplicateError("One of these listings no longer exists.")
    if keep.id == drop.id:
        raise DuplicateError("A listing can't be merged into itself.")
    if keep.archived_at is not None or drop.archived_at is not None:
        raise DuplicateError("One of these listings has been archived or merged already.")
    # Raters of either listing wait until the merge is committed (see aggregates).
    lock_score(session, keep.id)
    lock_score(session, drop.id)

    ratings, superseded = _move_ratings(session, keep, drop)
    items, items_dropped = _move_shortlist_items(session, keep, drop)
    now = utcnow()
    for revision in session.scalars(
        select(ListingRevision).where(
            ListingRevision.listing_id == drop.id, ListingRevision.status == "pending"
        )
    ).all():
        revision.status = "superseded"
        revision.decided_by_id = moderator.id
        revision.decided_at = now
    session.flush()
    result = MergeResult(
        ratings=ratings,
        ratings_superseded=superseded,
        shortlist_items=items,
        shortlist_items_dropped=items_dropped,
        problem_reports=_repoint(session, ProblemReport, drop, keep),
        confirmations=_repoint(session, StillRunningConfirmation, drop, keep),
        revisions=_repoint(session, ListingRevision, drop, keep),
        feedback=_repoint(session, ServiceUserFeedback, drop, keep),
    )
    # A fresh approved snapshot after the moved revisions: later edits of the kept
    # listing are compared with it, not with the dropped listing's last version.
    # (Imported here: posting a listing, in lifecycle.services, calls flag_duplicates.)
    from directory.lifecycle.services import snapshot

    session.add(
        ListingRevision(
            listing_id=keep.id,
            author_id=moderator.id,
            data=snapshot(keep),
            status="approved",
            reason=f"Merged with “{drop.name}”",
            decided_by_id=moderator.id,
            decided_at=now,
        )
    )
    session.execute(
        update(Listing)
        .where(Listing.merged_into_id == drop.id)
        .values(merged_into_id=keep.id)
        .execution_options(synchronize_session="fetch")
    )
    drop.archived_at = now
    drop.merged_into_id = keep.id
    # The kept listing changed (ratings, history): touching it re-indexes it on commit
    # even when its aggregates come out the same.
    keep.updated_at = now
    session.flush()
    recompute_score(session, keep.id)
    recompute_score(session, drop.id)

    _settle_other_flags(session, moderator, keep, drop, flag)
    if flag is not None:
        flag.status = "merged"
        flag.decided_by_id = moderator.id
        flag.decided_at = now
    session.flush()
    details = result.as_dict()
    audit.record(
        session,
        moderator,
        "listing.merge",
        "listing",
        keep.id,
        merged=drop.id,
        flag=getattr(flag, "id", None),
        **details,
    )
    audit.record(
        session,
        moderator,
        "listing.merged_into",
        "listing",
        drop.id,
        into=keep.id,
        flag=getattr(flag, "id", None),
    )
    return result


def merged_into(session: Session, listing_id: str) -> Listing | None:
    """The public listing a merged listing now lives on, following a chain of merges.

    None if that one isn't public.
    """
    current = listing_id
    for _ in range(MAX_MERGE_HOPS):
        target = session.scalar(select(Listing.merged_into_id).where(Listing.id == current))
        if target is None:
            break
        current = target
    if current == listing_id:
        return None
    kept = session.get(Listing, current)
    return kept if kept is not None and kept.is_public else None
