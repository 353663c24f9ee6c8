"""Keeping registered feeds in sync: ``flask import sync`` re-reads the sources due.

Those are the sources with a web address (an Open Referral UK API or an iCalendar feed).
Each source is read whole first. Its services then go through the importer it was
registered with, so new ones are created and changed ones updated by the same moderation
rules as any import (an untrusted source's change to a live listing waits for a
moderator as a pending revision). Listings the feed no longer has are not deleted: they
are marked ``missing_from_source_at`` for a moderator, who archives or keeps them
(:mod:`directory.moderation.missing`); one that comes back is unmarked.

A feed that fails to load (an HTTP error, a timeout, something that isn't JSON or a
calendar, or an empty feed where there were services) marks nothing and is recorded on
the source as ``last_error``. Each source is its own transaction batch; any e-mail about
a failed calendar is sent after the failure is committed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from directory import audit
from directory.models import ImportSource, Listing, Organisation, User, utcnow
from importers.runner import (
    ImportSummary,
    Locator,
    complete_run,
    run_with_progress,
)

# Sources with a web address that sync reads. Spreadsheets are uploaded, not fetched.
SYNCED_KINDS = ("openreferral", "ical")
# A source is due when its last good run is older than this; a daily cron job at a
# slightly different minute each day still finds yesterday's run due.
DEFAULT_INTERVAL = dt.timedelta(hours=20)


@dataclass
class SyncResult:
    """What syncing one source did."""

    source: str
    summary: ImportSummary | None = None
    missing: int = 0  # newly marked "no longer in the source feed"
    back: int = 0  # marked before, in the feed again
    error: str | None = None

    def __str__(self) -> str:
        if self.error:
            return f"{self.source}: failed, nothing marked as gone. {self.error}"
        text = f"{self.source}: {self.summary}"
        if self.missing:
            text += f" {self.missing} no longer in the source feed (for a moderator to review)."
        if self.back:
            text += f" {self.back} back in the source feed."
        return text


def due_sources(
    session: Session,
    now: dt.datetime | None = None,
    interval: dt.timedelta = DEFAULT_INTERVAL,
    name: str | None = None,
) -> list[ImportSource]:
    """Sources with a web address to re-read, by name.

    All that are due, or the one called ``name`` (due or not).
    """
    stmt = select(ImportSource).where(
        ImportSource.url.is_not(None), ImportSource.kind.in_(SYNCED_KINDS)
    )
    if name is not None:
        return list(session.scalars(stmt.where(ImportSource.name == name)))
    now = now or utcnow()
    stmt = stmt.where(
        (ImportSource.last_run_at.is_(None)) | (ImportSource.last_run_at <= now - interval)
    )
    return list(session.scalars(stmt.order_by(ImportSource.name)))


def _fail(session: Session, source: ImportSource, problem: str, dry_run: bool) -> SyncResult:
    source.last_error = problem[:2000]
    if not dry_run:
        session.commit()
    return SyncResult(source.name, error=problem)


def mark_missing(
    session: Session,
    source: ImportSource,
    present: Iterable[str],
    *,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> tuple[int, int]:
    """Mark ``source``'s listings missing from its feed, unmark those back; (marked, back).

    ``present`` holds the feed's ids. Archived listings are left alone. Only ids and flags
    are read, so a big feed's listings are not loaded.
    """
    present = set(present)
    now = now or utcnow()
    rows = session.execute(
        select(Listing.id, Listing.source_id, Listing.missing_from_source_at).where(
            Listing.source == source.name, Listing.archived_at.is_(None)
        )
    ).all()
    gone = [id_ for id_, source_id, missing in rows if source_id not in present and not missing]
    back = [id_ for id_, source_id, missing in rows if source_id in present and missing]
    for start in range(0, len(gone), 500):
        session.execute(
            update(Listing)
            .where(Listing.id.in_(gone[start : start + 500]))
            .values(missing_from_source_at=now, missing_kept_at=None)
            .execution_options(synchronize_session=False)
        )
    for start in range(0, len(back), 500):
        session.execute(
            update(Listing)
            .where(Listing.id.in_(back[start : start + 500]))
            .values(missing_from_source_at=None, missing_kept_at=None)
            .execution_options(synchronize_session=False)
        )
    for listing_id in gone:
        audit.record(session, actor, "import.missing", "listing", listing_id, source=source.name)
    for listing_id in back:
        audit.record(session, actor, "import.back", "listing", listing_id, source=source.name)
    session.expire_all()
    session.flush()
    return len(gone), len(back)


def _has_listings(session: Session, source: ImportSource) -> bool:
    return (
        session.scalar(select(Listing.id).where(Listing.source == source.name).limit(1)) is not None
    )


def _read_openreferral(source: ImportSource, fetch: Callable | None) -> tuple[Any, set[str]]:
    from importers.openreferral import fetch_json, read_location

    document = read_location(source.url or "", fetch or fetch_json)
    ids = {
        str(record["id"]).strip()[:200]
        for record in document.services
        if isinstance(record, dict) and record.get("id") not in (None, "")
    }
    return document, ids


def sync_source(
    session: Session,
    source: ImportSource,
    *,
    actor: User | None,
    locator: Locator,
    dry_run: bool = False,
    progress_factory: Callable[[int], Any] | None = None,
    fetch: Callable | None = None,
    today: dt.date | None = None,
) -> SyncResult:
    """Re-read one source's feed, import it and mark what it no longer has."""
    from importers.calendars import (
        CalendarError,
        calendar_series,
        fetch_calendar,
        import_calendar,
        parse_calendar,
        report_feed_failure,
    )
    from importers.openreferral import FeedError, import_openreferral

    if source.kind == "openreferral":
        try:
            document, present = _read_openreferral(source, fetch)
        except FeedError as error:
            return _fail(session, source, str(error), dry_run)
        total = len(document.services)

        def work(progress=None) -> ImportSummary:
            return import_openreferral(
                session,
                document,
                source,
                actor=actor,
                locator=locator,
                dry_run=dry_run,
                progress=progress,
            )

    else:
        organisation = (
            session.get(Organisation, source.organisation_id) if source.organisation_id else None
        )
        if organisation is None:
            return _fail(
                session, source, "The calendar source has no organisation to import for.", dry_run
            )
        try:
            content = fetch(source.url) if fetch else fetch_calendar(source.url or "")
            series = calendar_series(parse_calendar(content), today or utcnow().date())
        except CalendarError as error:
            result = _fail(session, source, str(error), dry_run)
            if not dry_run:
                # Tell the organisation's editors and the moderators once the failure is
                # committed, so a mail server that hangs can't lose the record of it.
                report_feed_failure(session, source, organisation, str(error))
                session.commit()
            return result
        present = {one.key[:200] for one in series}
        total = len(series)

        def work(progress=None) -> ImportSummary:
            return import_calendar(
                session,
                series,
                source,
                organisation,
                actor=actor,
                locator=locator,
                dry_run=dry_run,
                progress=progress,
            )

    if not present and _has_listings(session, source):
        # An empty answer from a feed that had services is far likelier to be a fault
        # at the other end than every group closing at once.
        return _fail(
            session,
            source,
            f"{source.url} listed no services; nothing was marked as gone.",
            dry_run,
        )
    summary = run_with_progress(total, progress_factory, work)
    result = SyncResult(source.name, summary=summary)
    if dry_run:
        rows = session.execute(
            select(Listing.source_id, Listing.missing_from_source_at).where(
                Listing.source == source.name, Listing.archived_at.is_(None)
            )
        ).all()
        result.missing = sum(1 for sid, missing in rows if sid not in present and not missing)
        result.back = sum(1 for sid, missing in rows if sid in present and missing)
        return result
    result.missing, result.back = mark_missing(session, source, present, actor=actor)
    summary.notes.append(
        f"{result.missing} no longer in the source feed, marked for a moderator; "
        f"{result.back} back in the feed."
    )
    complete_run(session, source, summary, dry_run=False)
    return result
