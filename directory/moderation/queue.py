"""The moderator's day in one queue (issue 15): everything waiting for a decision.

Accounts waiting for approval, requests to join organisations, organisations proposed
(not yet public), new listings, changes to live listings, problem reports, import
batches with listings waiting, and listings with suggested CIVIC domains: counted by
kind, filtered by kind, organisation or import source, each item linking to the page
where it is decided on its own.

Bulk decisions (:func:`decide`, :func:`approve_batch`) are all-or-nothing: the items are
decided inside one savepoint and, if any of them can't be, everything is rolled back and
:class:`BulkError` says which one and why. Like every service they only flush; the
request commits once. The queue reads a fixed number of statements whatever its size.

An import *batch* is what one import source has brought in and is still waiting: the
listings of a source are approved together with "approve all from this batch".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select, union
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, joinedload, selectinload

from directory.accounts import services as accounts
from directory.lifecycle import reports as lifecycle_reports
from directory.lifecycle import services as lifecycle
from directory.listings import review
from directory.listings.suggestions import decide_domains
from directory.models import (
    ImportSource,
    Listing,
    ListingRevision,
    Membership,
    Organisation,
    ProblemReport,
    User,
)
from directory.rules import permissions

# The kinds of item, in the order the page shows them, and their names on it.
KINDS: dict[str, str] = {
    "accounts": "Accounts waiting for approval",
    "memberships": "Requests to join organisations",
    "organisations": "Organisations proposed",
    "listings": "New listings",
    "edits": "Changes to live listings",
    "reports": "Problem reports",
    "imports": "Import batches",
    "domains": "Suggested domains",
}
# Kinds whose items can be ticked for a bulk decision (the key's prefix says the kind).
BULK_KINDS = ("accounts", "memberships", "listings", "edits", "reports", "domains")
# One bulk decision handles at most this many ticked items; a batch at most BATCH_LIMIT.
MAX_SELECTED = 500
BATCH_LIMIT = 1000


@dataclass(frozen=True)
class Filters:
    """What the queue shows: one kind (or all), one organisation, one import source."""

    kind: str | None = None
    organisation_id: str | None = None
    source_id: int | None = None


@dataclass(frozen=True)
class Item:
    """One thing waiting for a decision, as the queue shows it.

    ``key`` is what a bulk form sends back for it (``kind:id``); None when it is decided
    only on its own page. ``endpoint`` and ``args`` build the link to that page.
    """

    kind: str
    title: str
    detail: str
    endpoint: str
    args: dict[str, Any]
    key: str | None = None
    organisation: str | None = None
    source: str | None = None
    since: dt.datetime | None = None
    anchor: str | None = None


@dataclass
class Queue:
    """The queue's counts by kind, the items shown, and what the filters can choose."""

    counts: dict[str, int]
    items: dict[str, list[Item]]
    organisations: list[tuple[str, str]] = field(default_factory=list)
    sources: list[tuple[int, str, bool, int]] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Everything waiting, all kinds together."""
        return sum(self.counts.values())


class BulkError(ValueError):
    """A bulk decision that was refused whole: nothing was changed."""


# -- what is waiting --------------------------------------------------------------------


def _pending_revisions(filters: Filters, new: bool) -> Select:
    stmt = (
        select(ListingRevision)
        .join(ListingRevision.listing)
        .where(ListingRevision.status == "pending", Listing.published.is_(not new))
    )
    return _listing_filters(stmt, filters)


def _source_name(filters: Filters) -> Select:
    return select(ImportSource.name).where(ImportSource.id == filters.source_id).scalar_subquery()


def _listing_filters(stmt: Select, filters: Filters) -> Select:
    if filters.organisation_id:
        stmt = stmt.where(Listing.organisation_id == filters.organisation_id)
    if filters.source_id is not None:
        stmt = stmt.where(Listing.source == _source_name(filters))
    return stmt


def _accounts(filters: Filters) -> Select | None:
    if filters.organisation_id or filters.source_id is not None:
        return None  # an account belongs to no organisation or import
    return select(User).where(User.status == "pending", User.email_verified_at.is_not(None))


def _memberships(filters: Filters) -> Select | None:
    if filters.source_id is not None:
        return None
    stmt = select(Membership).where(Membership.status == "requested")
    if filters.organisation_id:
        stmt = stmt.where(Membership.organisation_id == filters.organisation_id)
    return stmt


def proposed_clause() -> ColumnElement[bool]:
    """An organisation nobody has vouched for yet, with something of it waiting.

    No approved member and no public listing (so only moderators and its proposers see
    it, :func:`directory.rules.permissions.can_see_organisation`), and a join request or
    an unpublished listing waiting. It becomes public when one of those is approved.
    """
    return and_(
        ~exists().where(
            Membership.organisation_id == Organisation.id, Membership.status == "approved"
        ),
        ~exists().where(Listing.organisation_id == Organisation.id, Listing.is_public),
        or_(
            exists().where(
                Membership.organisation_id == Organisation.id, Membership.status == "requested"
            ),
            exists().where(
                Listing.organisation_id == Organisation.id,
                Listing.published.is_(False),
                Listing.archived_at.is_(None),
            ),
        ),
    )


def _organisations(filters: Filters) -> Select | None:
    stmt = select(Organisation).where(proposed_clause())
    if filters.organisation_id:
        stmt = stmt.where(Organisation.id == filters.organisation_id)
    if filters.source_id is not None:
        stmt = stmt.where(
            exists().where(
                Listing.organisation_id == Organisation.id, Listing.source == _source_name(filters)
            )
        )
    return stmt


def _reports(filters: Filters) -> Select:
    stmt = select(ProblemReport).join(ProblemReport.listing).where(ProblemReport.status == "open")
    return _listing_filters(stmt, filters)


def _waiting_in_source() -> ColumnElement[int]:
    return (
        select(func.count(ListingRevision.id))
        .join(ListingRevision.listing)
        .where(ListingRevision.status == "pending", Listing.source == ImportSource.name)
        .scalar_subquery()
    )


def _imports(filters: Filters) -> Select:
    stmt = select(ImportSource).where(_waiting_in_source() > 0)
    if filters.source_id is not None:
        stmt = stmt.where(ImportSource.id == filters.source_id)
    if filters.organisation_id:
        stmt = stmt.where(
            exists().where(
                Listing.source == ImportSource.name,
                Listing.organisation_id == filters.organisation_id,
            )
        )
    return stmt


def _domains(filters: Filters, user: User) -> Select:
    stmt = review._queue(user, review.QueueFilters())  # noqa: SLF001  (the same queue)
    return _listing_filters(stmt, filters)


def _statements(filters: Filters, user: User) -> dict[str, Select | None]:
    return {
        "accounts": _accounts(filters),
        "memberships": _memberships(filters),
        "organisations": _organisations(filters),
        "listings": _pending_revisions(filters, new=True),
        "edits": _pending_revisions(filters, new=False),
        "reports": _reports(filters),
        "imports": _imports(filters),
        "domains": _domains(filters, user),
    }


def counts(session: Session, user: User, filters: Filters = Filters()) -> dict[str, int]:
    """How many items of each kind wait (with the organisation and source filters).

    One statement for all the kinds.
    """
    statements = _statements(filters, user)
    columns = [
        (select(func.count()).select_from(stmt.subquery()).scalar_subquery()).label(kind)
        if stmt is not None
        else None
        for kind, stmt in statements.items()
    ]
    chosen = [c for c in columns if c is not None]
    row = session.execute(select(*chosen)).one()
    found = dict(zip([c.name for c in chosen], row, strict=True))
    return {kind: int(found.get(kind) or 0) for kind in KINDS}


def load(
    session: Session, user: User, filters: Filters = Filters(), *, limit: int = 10, offset: int = 0
) -> Queue:
    """The queue for ``user``: counts by kind and up to ``limit`` items of each kind shown.

    Oldest first. With ``filters.kind`` only that kind's items are read (``offset`` pages
    through them). A fixed number of statements, however many items there are.
    """
    statements = _statements(filters, user)
    shown = [filters.kind] if filters.kind in KINDS else list(KINDS)
    items: dict[str, list[Item]] = {}
    for kind in shown:
        stmt = statements[kind]
        items[kind] = (
            [] if stmt is None else READERS[kind](session, stmt, limit=limit, offset=offset)
        )
    return Queue(
        counts=counts(session, user, filters),
        items=items,
        organisations=_organisation_choices(session),
        sources=_source_choices(session),
    )


def _account_kind(user: User) -> str:
    """What kind of account a moderator is approving, in their words."""
    if user.role == "commissioner":
        return "commissioner"
    return "organisation staff" if user.profession == "organisation_staff" else "practitioner"


def _read_accounts(session: Session, stmt: Select, *, limit: int, offset: int) -> list[Item]:
    users = session.scalars(stmt.order_by(User.created_at, User.id).limit(limit).offset(offset))
    return [
        Item(
            kind="accounts",
            key=f"accounts:{u.id}",
            title=u.name,
            detail=f"{u.email} · {_account_kind(u)}",
            endpoint="moderation.dashboard",
            args={},
            anchor=f"account-{u.id}",
            since=u.created_at,
        )
        for u in users
    ]


def _read_memberships(session: Session, stmt: Select, *, limit: int, offset: int) -> list[Item]:
    requests = session.scalars(
        stmt.options(joinedload(Membership.user), joinedload(Membership.organisation))
        .order_by(Membership.created_at, Membership.id)
        .limit(limit)
        .offset(offset)
    )
    return [
        Item(
            kind="memberships",
            key=f"memberships:{m.id}",
            title=f"{m.user.name} to join {m.organisation.name}",
            detail=f"{m.user.email} · as {m.role}",
            endpoint="moderation.organisation_members",
            args={"organisation_id": m.organisation_id},
            organisation=m.organisation.name,
            since=m.created_at,
        )
        for m in requests
    ]


def _read_organisations(session: Session, stmt: Select, *, limit: int, offset: int) -> list[Item]:
    waiting_listings = (
        select(func.count(Listing.id))
        .where(
            Listing.organisation_id == Organisation.id,
            Listing.published.is_(False),
            Listing.archived_at.is_(None),
        )
        .scalar_subquery()
    )
    waiting_members = (
        select(func.count(Membership.id))
        .where(Membership.organisation_id == Organisation.id, Membership.status == "requested")
        .scalar_subquery()
    )
    rows = session.execute(
        stmt.add_columns(waiting_listings, waiting_members)
        .order_by(Organisation.created_at, Organisation.id)
        .limit(limit)
        .offset(offset)
    )
    return [
        Item(
            kind="organisations",
            title=o.name,
            detail=(
                f"{_count(listings, 'listing')} and {_count(members, 'join request')} waiting; "
                "public once one of them is approved"
            ),
            endpoint="listings.organisation_page",
            args={"organisation_id": o.id},
            organisation=o.name,
            since=o.created_at,
        )
        for o, listings, members in rows
    ]


def _read_revisions(kind: str) -> Any:
    def read(session: Session, stmt: Select, *, limit: int, offset: int) -> list[Item]:
        revisions = session.scalars(
            stmt.options(
                joinedload(ListingRevision.listing).joinedload(Listing.organisation),
                joinedload(ListingRevision.author),
            )
            .order_by(ListingRevision.created_at, ListingRevision.id)
            .limit(limit)
            .offset(offset)
        )
        return [
            Item(
                kind=kind,
                key=f"{kind}:{r.id}",
                title=str(r.data.get("name") or r.listing.name),
                detail=_revision_detail(r),
                endpoint="lifecycle.review_revision",
                args={"revision_id": r.id},
                organisation=r.listing.organisation.name,
                source=r.listing.source,
                since=r.created_at,
            )
            for r in revisions
        ]

    return read


def _revision_detail(revision: ListingRevision) -> str:
    """Where a waiting listing or change came from: an import, or the person who posted it."""
    if revision.listing.source:
        return f"imported from {revision.listing.source}"
    return f"by {revision.author.name}" if revision.author else ""


def _read_reports(session: Session, stmt: Select, *, limit: int, offset: int) -> list[Item]:
    found = session.scalars(
        stmt.options(joinedload(ProblemReport.listing).joinedload(Listing.organisation))
        .order_by(ProblemReport.created_at, ProblemReport.id)
        .limit(limit)
        .offset(offset)
    )
    return [
        Item(
            kind="reports",
            key=f"reports:{r.id}",
            title=r.listing.name,
            detail=f"{r.kind.replace('_', ' ')}: “{r.text[:140]}”",
            endpoint="lifecycle.dashboard",
            args={},
            anchor=f"report-{r.id}",
            organisation=r.listing.organisation.name,
            source=r.listing.source,
            since=r.created_at,
        )
        for r in found
    ]


def _read_imports(session: Session, stmt: Select, *, limit: int, offset: int) -> list[Item]:
    rows = session.execute(
        stmt.add_columns(_waiting_in_source())
        .order_by(ImportSource.last_run_at.desc(), ImportSource.id)
        .limit(limit)
        .offset(offset)
    )
    return [
        Item(
            kind="imports",
            key=None,
            title=s.name,
            detail=f"{_count(waiting, 'listing')} waiting"
            + (" · trusted source" if s.trusted else ""),
            endpoint="moderation.queue_page",
            args={"source": s.id},
            source=s.name,
            since=s.last_run_at,
        )
        for s, waiting in rows
    ]


def _read_domains(session: Session, stmt: Select, *, limit: int, offset: int) -> list[Item]:
    listings = session.scalars(
        stmt.options(
            selectinload(Listing.domain_suggestions),
            selectinload(Listing.organisation),
            selectinload(Listing.terms),
            selectinload(Listing.assessment),
        )
        .order_by(Listing.created_at, Listing.id)
        .limit(limit)
        .offset(offset)
    )
    items = []
    for listing in listings:
        codes = listing.suggested_domain_codes
        items.append(
            Item(
                kind="domains",
                key=f"domains:{listing.id}",
                title=listing.name,
                detail="suggested: " + ", ".join(t.name for t in listing.domains if t.code in codes)
                if codes
                else "not about social connection?",
                endpoint="moderation.domains_queue",
                args={"source": listing.source} if listing.source else {},
                organisation=listing.organisation.name,
                source=listing.source,
                since=listing.created_at,
            )
        )
    return items


READERS = {
    "accounts": _read_accounts,
    "memberships": _read_memberships,
    "organisations": _read_organisations,
    "listings": _read_revisions("listings"),
    "edits": _read_revisions("edits"),
    "reports": _read_reports,
    "imports": _read_imports,
    "domains": _read_domains,
}


def _count(n: int, noun: str) -> str:
    return f"1 {noun}" if n == 1 else f"{n} {noun}s"


def _organisation_choices(session: Session) -> list[tuple[str, str]]:
    """Organisations with a listing, change, report or join request waiting (the filter)."""
    waiting = union(
        select(Listing.organisation_id)
        .join(ListingRevision, ListingRevision.listing_id == Listing.id)
        .where(ListingRevision.status == "pending"),
        select(Listing.organisation_id)
        .join(ProblemReport, ProblemReport.listing_id == Listing.id)
        .where(ProblemReport.status == "open"),
        select(Membership.organisation_id).where(Membership.status == "requested"),
    ).subquery()
    rows = session.execute(
        select(Organisation.id, Organisation.name)
        .where(Organisation.id.in_(select(waiting.c[0])))
        .order_by(func.lower(Organisation.name), Organisation.id)
    )
    return [(id_, name) for id_, name in rows]


def _source_choices(session: Session) -> list[tuple[int, str, bool, int]]:
    """Import sources with listings waiting: (id, name, trusted, how many wait)."""
    waiting = _waiting_in_source()
    rows = session.execute(
        select(ImportSource.id, ImportSource.name, ImportSource.trusted, waiting)
        .where(waiting > 0)
        .order_by(func.lower(ImportSource.name))
    )
    return [(id_, name, trusted, n) for id_, name, trusted, n in rows]


# -- deciding many at once ------------------------------------------------------------


@dataclass
class Decided:
    """What a bulk decision did: how many of each kind, and each (kind, thing) decided."""

    counts: dict[str, int] = field(default_factory=dict)
    items: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Items decided, all kinds together."""
        return sum(self.counts.values())


NUMBERED_KINDS = ("accounts", "memberships", "listings", "edits", "reports")


def parse_keys(keys: Iterable[str]) -> list[tuple[str, str]]:
    """The ticked items as (kind, id), in order, once each; anything malformed left out."""
    found: list[tuple[str, str]] = []
    for key in dict.fromkeys(keys):
        kind, _, ident = (key or "").partition(":")
        if kind not in BULK_KINDS or not ident or len(ident) > 64 or "\x00" in ident:
            continue
        if kind in NUMBERED_KINDS and not (ident.isdigit() and len(ident) <= 18):
            continue
        found.append((kind, ident))
    return found


def decide(
    session: Session, actor: User, keys: Iterable[str], approve: bool, reason: str = ""
) -> Decided:
    """Approve, or reject with one ``reason``, every ticked item; all or nothing.

    Each item is decided by its own service (audited as when decided alone). If any
    one can't be decided (gone, already decided, not something that can be approved,
    not the actor's to decide, or the database refuses) everything is rolled back and
    :class:`BulkError` names it. Flush only.
    """
    chosen = parse_keys(keys)
    if not chosen:
        raise BulkError("Tick at least one item.")
    if len(chosen) > MAX_SELECTED:
        raise BulkError(f"Tick at most {MAX_SELECTED} items at a time.")
    reason = reason.strip()
    if not approve and not reason:
        raise BulkError("Give a reason for rejecting, so people know what to fix.")
    return _apply(session, actor, chosen, approve, reason)


def _apply(
    session: Session, actor: User, chosen: list[tuple[str, str]], approve: bool, reason: str
) -> Decided:
    """Decide the chosen items inside one savepoint: all of them, or none (BulkError)."""
    loaded = _load_chosen(session, chosen)
    decided = Decided()
    savepoint = session.begin_nested()
    try:
        for kind, ident in chosen:
            thing = loaded.get((kind, ident))
            if thing is None:
                raise BulkError(f"One of the {KINDS[kind].lower()} has gone or was decided.")
            _decide_one(session, actor, kind, thing, approve, reason)
            decided.counts[kind] = decided.counts.get(kind, 0) + 1
            decided.items.append((kind, thing))
        session.flush()
    except (
        BulkError,
        lifecycle.LifecycleError,
        lifecycle_reports.ReportError,
        accounts.AccountError,
    ) as error:
        savepoint.rollback()
        raise BulkError(f"Nothing was changed. {error}") from error
    except SQLAlchemyError as error:
        savepoint.rollback()
        raise BulkError(
            "Nothing was changed: the database refused one of the decisions. Try again, or "
            "decide the items one at a time."
        ) from error
    savepoint.commit()
    return decided


def _numbers(idents: list[str]) -> list[int]:
    return [int(i) for i in idents]


def _load_chosen(session: Session, chosen: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The ticked things, read in one statement per kind, by (kind, id)."""
    wanted: dict[str, list[str]] = {kind: [] for kind in BULK_KINDS}
    for kind, ident in chosen:
        wanted[kind].append(ident)
    # A revision is found under whichever heading it was ticked: it may have been
    # published since the page was read.
    wanted["listings"] = wanted["edits"] = wanted["listings"] + wanted["edits"]
    statements = {
        "accounts": lambda ids: select(User).where(User.id.in_(_numbers(ids))),
        "memberships": lambda ids: (
            select(Membership)
            .where(Membership.id.in_(_numbers(ids)))
            .options(joinedload(Membership.user), joinedload(Membership.organisation))
        ),
        "listings": lambda ids: (
            select(ListingRevision)
            .where(ListingRevision.id.in_(_numbers(ids)))
            .options(joinedload(ListingRevision.listing))
        ),
        "reports": lambda ids: (
            select(ProblemReport)
            .where(ProblemReport.id.in_(_numbers(ids)))
            .options(joinedload(ProblemReport.listing))
        ),
        "domains": lambda ids: (
            select(Listing)
            .where(Listing.id.in_(ids), Listing.archived_at.is_(None))
            .options(
                selectinload(Listing.domain_suggestions),
                selectinload(Listing.terms),
                selectinload(Listing.assessment),
            )
        ),
    }
    found: dict[tuple[str, str], Any] = {}
    for kind, statement in statements.items():
        if not wanted[kind]:
            continue
        for thing in session.scalars(statement(wanted[kind])).unique():
            found[kind, str(thing.id)] = thing
            if kind == "listings":
                found["edits", str(thing.id)] = thing
    return found


def _decide_one(
    session: Session, actor: User, kind: str, thing: Any, approve: bool, reason: str
) -> None:
    """Decide one item with its own service, or raise :class:`BulkError` saying why not."""
    if not permissions.can_decide_in_queue(actor, kind):
        raise BulkError(f"You can't decide {KINDS[kind].lower()}.")
    DECIDERS[kind](session, actor, thing, approve, reason)


def _decide_account(session: Session, actor: User, user: User, approve: bool, reason: str) -> None:
    if user.status != "pending":
        raise BulkError(f"{user.name}'s account has already been decided.")
    if approve:
        accounts.approve_user(session, actor, user)
    else:
        accounts.reject_user(session, actor, user, reason)


def _decide_membership(
    session: Session, actor: User, membership: Membership, approve: bool, reason: str
) -> None:
    if membership.status != "requested":
        raise BulkError(
            f"{membership.user.name}'s request to join {membership.organisation.name} has "
            "already been decided."
        )
    accounts.decide_membership(session, actor, membership, approve, reason)


def _decide_revision(
    session: Session, actor: User, revision: ListingRevision, approve: bool, reason: str
) -> None:
    if revision.status != "pending":
        name = revision.data.get("name") or revision.listing.name
        raise BulkError(f"“{name}” has already been decided.")
    lifecycle.decide_revision(session, actor, revision, approve, reason)


def _decide_report(
    session: Session, actor: User, report: ProblemReport, approve: bool, reason: str
) -> None:
    if approve:
        raise BulkError(
            f"The report on “{report.listing.name}” can't be approved: open it to say what "
            "you found, or reject it with a reason."
        )
    lifecycle_reports.resolve_report(session, actor, report, "dismissed", reason)


def _decide_domains(
    session: Session, actor: User, listing: Listing, approve: bool, reason: str
) -> None:
    """Approve: confirm the suggested domains (or keep a "not social" listing without).

    Reject: the suggested domains come off; those a person chose stay.
    """
    waiting = listing.suggested_domain_codes
    if not waiting and not (listing.not_social and not listing.domain_codes):
        raise BulkError(f"“{listing.name}” has no suggested domains waiting.")
    if approve and waiting:
        decide_domains(session, actor, listing, listing.domain_codes)
    elif approve:
        review.keep_without_domains(session, actor, listing)
    else:
        decide_domains(
            session, actor, listing, [c for c in listing.domain_codes if c not in waiting]
        )


DECIDERS = {
    "accounts": _decide_account,
    "memberships": _decide_membership,
    "listings": _decide_revision,
    "edits": _decide_revision,
    "reports": _decide_report,
    "domains": _decide_domains,
}


def approve_batch(session: Session, actor: User, source: ImportSource) -> tuple[Decided, int]:
    """Approve every listing and change waiting from one import source; all or nothing.

    At most :data:`BATCH_LIMIT` at a time, oldest first; returns what was decided and how
    many still wait. Flush only.
    """
    if not permissions.can_decide_in_queue(actor, "imports"):
        raise BulkError("You can't approve import batches.")
    revisions = session.scalars(
        select(ListingRevision)
        .join(ListingRevision.listing)
        .where(ListingRevision.status == "pending", Listing.source == source.name)
        .options(joinedload(ListingRevision.listing))
        .order_by(ListingRevision.created_at, ListingRevision.id)
        .limit(BATCH_LIMIT + 1)
    ).all()
    if not revisions:
        raise BulkError(f"Nothing from {source.name} is waiting.")
    keys = [
        f"{'edits' if r.listing.published else 'listings'}:{r.id}" for r in revisions[:BATCH_LIMIT]
    ]
    more = 0
    if len(revisions) > BATCH_LIMIT:
        total = session.scalar(
            select(func.count(ListingRevision.id))
            .join(ListingRevision.listing)
            .where(ListingRevision.status == "pending", Listing.source == source.name)
        )
        more = int(total or 0) - BATCH_LIMIT
    return _apply(session, actor, parse_keys(keys), True, ""), more
