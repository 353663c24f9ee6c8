"""What every import shares: sources, the summary, row-by-row transactions, and writing.

Writing one incoming listing goes through the listing lifecycle. Each incoming row (a
spreadsheet row, an ORUK service, a calendar event series) is its own transaction, so a
bad row is rolled back alone and the rest carry on, and a killed import leaves only
whole rows, with the search index (synced on commit) following the database.

Imported listings follow the rules posted ones do (:mod:`directory.lifecycle.services`):
a new listing from an untrusted source waits for a moderator, as does a change to a live
listing; a trusted source (or a trusted organisation) publishes directly. Every write
leaves a revision, so history, diffs and restores work on imported listings too.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache, partial
from itertools import islice
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from directory import audit
from directory.geo import Geocoder, GeocodingError
from directory.lifecycle.services import apply_snapshot, pending_revisions, snapshot
from directory.listings.duplicates import flag_duplicates
from directory.models import (
    ImportSource,
    Listing,
    ListingRevision,
    Organisation,
    User,
    new_id,
    utcnow,
)
from directory.rules.listing_input import FEED, ListingInput

if TYPE_CHECKING:
    from directory.rules.domain_suggestion import Suggestion
    from importers.bulk import NewListing


@cache
def feed_schema() -> ListingInput:
    """The listing input schema as feeds from other systems use it.

    Nothing is required beyond what every listing has, as another system may not say
    more.
    """
    return ListingInput(require=FEED)


def where(path: tuple) -> str:
    """A listing input error's place in words: ``schedules 1 closes_at``."""
    return " ".join(str(part + 1) if isinstance(part, int) else str(part) for part in path)


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RowProblem:
    """Why a row (or one cell of it) was rejected or changed on the way in."""

    row: int | str  # the spreadsheet row number, or the incoming record's id
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" if isinstance(self.row, int) else str(self.row)
        return (
            f"{where}, {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"
        )


class RowRejected(ValueError):
    """A row that can't be imported, with every problem found in it."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class ImportSummary:
    """What an import did (or, on a dry run, would do)."""

    source: str
    dry_run: bool = False
    source_id: int | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    # Changes to live listings from an untrusted source, waiting for a moderator.
    pending: int = 0
    errors: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Organisations this run created for its services (an untrusted run's are proposed).
    organisations_created: list[str] = field(default_factory=list)
    # Every listing this run created or matched (for the "said out loud" counts).
    listing_ids: list[str] = field(default_factory=list)
    # What arrived that practitioners won't find, and why (see attention_counts).
    attention: dict[str, int] = field(default_factory=dict)
    # What the moderator reads before "Import now" (issue 15): the names of the listings
    # created, updated (or sent to a moderator) and unchanged, each with its row, the
    # first MAX_NAMED of each; and each incoming row's name, for the rejected ones.
    names: dict[str, list[tuple[int | str, str]]] = field(
        default_factory=lambda: {"created": [], "updated": [], "unchanged": []}
    )
    row_names: dict[int | str, str] = field(default_factory=dict)
    # (outcome, row, listing id) until the names are read at the end of the run.
    written: list[tuple[str, int | str, str]] = field(default_factory=list)
    noted: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Rows read: created, updated, unchanged and rejected together."""
        return self.created + self.updated + self.unchanged + self.rejected

    def count(self, outcome: str) -> None:
        """Add one row's outcome: created, updated, unchanged or rejected."""
        setattr(self, outcome, getattr(self, outcome) + 1)

    def note_written(self, outcome: str, key: int | str, listing_ids: list[str]) -> None:
        """Remember which listing a row created, updated or left unchanged, for its name."""
        if outcome in self.names and listing_ids and listing_ids[0]:
            noted = self.noted.get(outcome, 0)
            if noted < MAX_NAMED:
                self.written.append((outcome, key, listing_ids[0]))
                self.noted[outcome] = noted + 1

    def rejected_rows(self) -> list[tuple[int | str, str, list[RowProblem]]]:
        """Each rejected row once: (row, its name as it arrived, its problems), in order."""
        rows: dict[int | str, list[RowProblem]] = {}
        for problem in self.errors:
            rows.setdefault(problem.row, []).append(problem)
        return [(row, self.row_names.get(row, ""), problems) for row, problems in rows.items()]

    def counts(self) -> dict[str, int]:
        """The four outcomes' counts by name."""
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }

    def __str__(self) -> str:
        prefix = "Dry run, nothing written: " if self.dry_run else ""
        text = (
            f"{prefix}{self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.rejected} rejected"
        )
        if self.pending:
            text += f" ({self.pending} waiting for a moderator)"
        text += "."
        for key, count in self.attention.items():
            if count:
                text += "\n" + ATTENTION[key].format(n=count)
        return text


# Names listed per outcome on the import page (a big feed's counts say the rest).
MAX_NAMED = 500


def read_names(session: Session, summary: ImportSummary) -> None:
    """Turn the run's written rows into names, before the dry run's rollback.

    One statement per 500 listings.
    """
    ids = list(dict.fromkeys(listing_id for _, _, listing_id in summary.written))
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            session.execute(select(Listing.id, Listing.name).where(Listing.id.in_(chunk))).all()
        )
    for outcome, key, listing_id in summary.written:
        if listing_id in found:
            summary.names[outcome].append((key, found[listing_id]))
    summary.written.clear()


# What an import summary says out loud about the listings it brought in (issue 18), and
# the moderators' filtered list behind each count (directory.imports.views.attention).
ATTENTION = {
    "no_place": "{n} arrived without a place (no address or postcode we could find), so a "
    "postcode search won't show them.",
    "no_domains": "{n} arrived without a CIVIC domain, so a domain search won't show them.",
    "not_social": '{n} are not about social connection (marked "not social" for a moderator).',
    "stale": "{n} were last checked over a year ago, so they are hidden from default search "
    "until someone confirms them.",
}


def attention_path(source_id: int, key: str) -> str:
    """Where moderators see the listings behind one :data:`ATTENTION` count.

    The page is ``directory.imports.views.source_listings``; the CLI prints this path.
    """
    return f"/moderation/imports/sources/{source_id}/listings?problem={key}"


def attention_filter(key: str, now: dt.datetime) -> ColumnElement[bool]:
    """The SQL condition picking listings of one :data:`ATTENTION` kind."""
    from sqlalchemy import and_, exists, or_

    from directory.models import ListingAssessment, Location, listing_term
    from directory.models import Term as TermModel

    if key == "no_place":
        return and_(
            Listing.attendance != "online",
            ~exists().where(Location.listing_id == Listing.id),
        )
    if key == "no_domains":
        return ~exists().where(
            listing_term.c.listing_id == Listing.id,
            listing_term.c.term_id == TermModel.id,
            TermModel.vocabulary_code == "civic_domain",
        )
    if key == "not_social":
        return exists().where(
            ListingAssessment.listing_id == Listing.id, ListingAssessment.not_social.is_(True)
        )
    if key == "stale":
        from directory.rules.freshness import hidden_before, hide_after_days

        hide = hide_after_days(("group", "place", "activity"), _freshness_settings())
        return or_(
            Listing.last_verified_at.is_(None),
            *[
                and_(Listing.kind == kind, Listing.last_verified_at <= hidden_before(now, days))
                for kind, days in hide.items()
            ],
        )
    raise KeyError(key)


def _freshness_settings() -> dict | None:
    from flask import current_app, has_app_context

    return current_app.config.get("FRESHNESS_INTERVALS") if has_app_context() else None


def attention_counts(
    session: Session, listing_ids: Iterable[str], now: dt.datetime | None = None
) -> dict[str, int]:
    """How many of ``listing_ids`` are in each :data:`ATTENTION` kind."""
    from sqlalchemy import func

    ids = list(dict.fromkeys(listing_ids))
    now = now or utcnow()
    counts = dict.fromkeys(ATTENTION, 0)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for key in ATTENTION:
            counts[key] += session.scalar(
                select(func.count(Listing.id)).where(
                    Listing.id.in_(chunk), attention_filter(key, now)
                )
            )
    return counts


def suggest_for_import(
    session: Session,
    source: ImportSource,
    source_id: str,
    data: dict[str, Any],
    keywords: Iterable[str] = (),
    *,
    kind_given: bool = True,
) -> Suggestion | None:
    """Suggested CIVIC domains for an incoming listing the source gave none for.

    They are put into ``data`` (so its revision carries them) and returned for
    :func:`directory.listings.suggestions.apply_suggestions` to record. None when the
    source gave domains, or a person already chose them (those are kept).

    A moderator's decisions stick: rejected domains never come back, confirmed ones stay.
    """
    terms = data.setdefault("terms", {})
    if terms.get("civic_domain"):
        return None
    existing = find_imported(session, source, source_id)
    decisions: dict[str, str] = {}
    if existing is not None:
        decisions = {row.code: row.status for row in existing.domain_suggestions}
        chosen = [c for c in existing.domain_codes if c not in decisions]
        if chosen:
            terms["civic_domain"] = chosen
            return None
    return suggest_into(data, keywords, decisions, kind_given=kind_given)


def suggest_into(
    data: dict[str, Any],
    keywords: Iterable[str] = (),
    decisions: dict[str, str] | None = None,
    *,
    kind_given: bool = True,
) -> Suggestion | None:
    """Put the suggested CIVIC domains (and kind) into ``data``; return the suggestion.

    None, and ``data`` left as it is, when the source gave domains. ``decisions`` are a
    moderator's earlier ones for this listing (code -> status; none for a new listing).
    No database: :func:`suggest_for_import` finds the decisions, the batch path
    (:mod:`importers.bulk`) has none to find.
    """
    from directory.listings.suggestions import domains_to_keep
    from directory.rules.domain_suggestion import ListingText, suggest
    from directory.vocabularies import vocabulary

    terms = data.setdefault("terms", {})
    if terms.get("civic_domain"):
        return None
    suggestion = suggest(ListingText.of(data.get("name"), data.get("description"), keywords))
    # In vocabulary order, as snapshots list terms, so the same feed again is "unchanged".
    order = vocabulary("civic_domain").codes
    terms["civic_domain"] = sorted(
        domains_to_keep(suggestion, decisions or {}),
        key=lambda c: order.index(c) if c in order else 99,
    )
    if not kind_given and suggestion.kind is not None:
        data["kind"] = suggestion.kind.code
    return suggestion


def find_or_create_source(
    session: Session,
    name: str,
    kind: str,
    *,
    url: str | None = None,
    organisation: Organisation | None = None,
) -> ImportSource:
    """The import source called ``name``, created (untrusted) the first time it is seen."""
    name = name.strip()[:100]
    source = session.scalar(select(ImportSource).where(ImportSource.name == name))
    if source is None:
        source = ImportSource(name=name, kind=kind, url=url, trusted=False)
        session.add(source)
    if organisation is not None and source.organisation_id is None:
        source.organisation_id = organisation.id
    if url and source.url != url:
        source.url = url[:500]
    session.flush()
    return source


def set_trusted(session: Session, actor: User | None, source: ImportSource, trusted: bool) -> None:
    """Mark a source trusted (its listings publish directly) or not."""
    if source.trusted != trusted:
        source.trusted = trusted
        session.flush()
        audit.record(
            session, actor, "import_source.trust", "import_source", source.id, trusted=trusted
        )


def run_with_progress(
    total: int,
    progress_factory: Callable[[int], Any] | None,
    work: Callable[..., ImportSummary],
) -> ImportSummary:
    """Run ``work``, passing ``progress=bar.update`` when a progress bar factory is given."""
    if progress_factory is None:
        return work()
    with progress_factory(total) as bar:
        return work(progress=bar.update)


def complete_run(
    session: Session, source: ImportSource, summary: ImportSummary, *, dry_run: bool
) -> ImportSummary:
    """After a real run, clear the source's last failure, record the run and commit."""
    if not dry_run:
        source.last_error = None
        finish_run(session, source, summary)
        session.commit()
    return summary


def finish_run(session: Session, source: ImportSource, summary: ImportSummary) -> None:
    """Record the run on the source: when, the counts, and the failure if there was one."""
    source.last_run_at = utcnow()
    source.last_summary = {
        **summary.counts(),
        "pending": summary.pending,
        "attention": dict(summary.attention),
    }
    session.flush()


class Locator:
    """Places postcodes with the configured geocoder, once each per import."""

    def __init__(self, geocoder: Geocoder) -> None:
        self.geocoder = geocoder
        self.known: dict[str, tuple[str, float, float] | GeocodingError] = {}

    def place(self, postcode: str) -> tuple[str, float, float]:
        """Place ``postcode``: (postcode as written in the table, latitude, longitude).

        Raises :class:`GeocodingError` with a message for the user when it can't.
        """
        key = " ".join(postcode.upper().split())
        if key not in self.known:
            try:
                found = self.geocoder.geocode(key)
                if found.precision != "postcode":
                    raise GeocodingError(
                        f"{key} is not a full postcode we know.", reason="not_found"
                    )
                self.known[key] = (
                    found.matched,
                    round(found.latitude, 6),
                    round(found.longitude, 6),
                )
            except GeocodingError as error:
                self.known[key] = error
        result = self.known[key]
        if isinstance(result, GeocodingError):
            raise result
        return result

    def __call__(self, postcode: str) -> tuple[str, float, float] | None:
        """The lenient form the ORUK mapping uses: None when it can't be placed."""
        try:
            return self.place(postcode)
        except GeocodingError:
            return None


# -- writing one listing -------------------------------------------------------------


def with_schedule_places(data: dict[str, Any], links: list[int | None]) -> dict[str, Any]:
    """``data`` with each schedule naming the position of the place it happens at.

    Snapshots carry the link (see ``lifecycle.services.snapshot``), so pending changes
    and restored versions keep which place a time is at.
    """
    schedules = [dict(row) for row in data.get("schedules", [])]
    for row, link in zip(schedules, links, strict=False):
        if link is not None and link < len(data.get("locations", [])):
            row["location"] = link
    return {**data, "schedules": schedules}


def _same(listing: Listing, data: dict[str, Any], tags: list[str]) -> bool:
    current = snapshot(listing)
    return (
        all(current.get(key) == data.get(key) for key in current)
        and list(listing.tags or []) == tags
    )


def find_imported(session: Session, source: ImportSource, source_id: str) -> Listing | None:
    """The listing an earlier run of ``source`` made from ``source_id``, if any."""
    return session.scalar(
        select(Listing).where(Listing.source == source.name, Listing.source_id == source_id)
    )


def write_listing(
    session: Session,
    actor: User | None,
    source: ImportSource,
    organisation: Organisation,
    source_id: str,
    data: dict[str, Any],
    *,
    listing_id: str | None = None,
    verified_at: dt.datetime | None = None,
    verified_by: str | None = None,
    schedule_locations: list[int | None] | None = None,
    tags: Iterable[str] = (),
    notes: list[str] | None = None,
) -> tuple[str, Listing]:
    """Create or update the listing ``source`` knows as ``source_id`` from a snapshot.

    Returns ("created" | "updated" | "unchanged" | "pending", listing). A new listing
    publishes directly when the source or the organisation is trusted and otherwise
    waits, unpublished, for a moderator. A change to a live listing from an untrusted
    source becomes a pending revision (one per listing: a newer one supersedes it) and
    the live version stays as it was; the same change arriving again is "unchanged".
    An unchanged row touches nothing, not even the check date, so re-importing a file
    changes nothing.
    """
    data = with_schedule_places(data, list(schedule_locations or []))
    tags = list(dict.fromkeys(t for t in tags if t))
    # A trusted organisation publishes directly only through its own source: an untrusted
    # feed that merely names a trusted organisation still waits for a moderator.
    direct = source.trusted or (organisation.trusted and source.organisation_id == organisation.id)
    listing, listing_id = _imported_listing(session, source, source_id, listing_id)
    checked_at = verified_at or utcnow()
    checked_by = verified_by or "import"
    if listing is None:
        listing = _create_imported(
            session, actor, source, organisation, source_id, data, tags, listing_id, direct
        )
        _mark_checked(listing, checked_at, checked_by)
        _record_creation(session, actor, source, listing, direct)
        return "created", listing

    _follow_organisation(listing, organisation, source, notes)
    if _same(listing, data, tags):
        return "unchanged", listing
    if listing.published and not direct:
        return _propose_change(session, actor, source, listing, data), listing
    _update_imported(session, actor, source, listing, data, tags, direct, checked_at, checked_by)
    return "updated", listing


def _imported_listing(
    session: Session, source: ImportSource, source_id: str, listing_id: str | None
) -> tuple[Listing | None, str | None]:
    """The listing ``source`` knows as ``source_id``, and the id a new one should take.

    A new listing keeps the incoming id, so an export imports as itself; when the id is
    one of our own listings, our own export has come back: that listing is updated.
    """
    listing = find_imported(session, source, source_id)
    if listing is None and listing_id:
        existing = session.get(Listing, listing_id)
        if existing is not None:
            listing_id = None
            if existing.source is None:
                listing = existing
    return listing, listing_id


def _create_imported(
    session: Session,
    actor: User | None,
    source: ImportSource,
    organisation: Organisation,
    source_id: str,
    data: dict[str, Any],
    tags: list[str],
    listing_id: str | None,
    direct: bool,
) -> Listing:
    """A new listing from the snapshot: published when ``direct``, else waiting."""
    listing = Listing(
        # Given now, not at flush, so nothing has to be flushed to name it.
        id=listing_id or new_id(),
        organisation=organisation,
        published=direct,
        kind=data["kind"],
        name=data["name"],
        source=source.name,
        source_id=source_id,
        tags=tags,
    )
    # A new listing has none of these yet: saying so saves a query for each.
    listing.domain_suggestions = []
    listing.assessment = None
    session.add(listing)
    apply_snapshot(session, listing, data)
    return listing


def _mark_checked(listing: Listing, checked_at: dt.datetime, checked_by: str) -> None:
    """Record that the source vouched for the listing at ``checked_at``."""
    listing.last_verified_at = checked_at
    listing.last_verified_by = checked_by


def _record_creation(
    session: Session, actor: User | None, source: ImportSource, listing: Listing, direct: bool
) -> None:
    """The new listing's first revision, its audit event and its possible duplicates."""
    session.add(
        ListingRevision(
            listing=listing,
            author_id=getattr(actor, "id", None),
            data=snapshot(listing),
            status="approved" if direct else "pending",
            decided_at=utcnow() if direct else None,
            reason=None,
        )
    )
    session.flush()
    audit.record(
        session,
        actor,
        "import.create",
        "listing",
        listing.id,
        source=source.name,
        published=direct,
    )
    flag_duplicates(session, listing)


def _follow_organisation(
    listing: Listing, organisation: Organisation, source: ImportSource, notes: list[str] | None
) -> None:
    """Move the listing to the organisation the source names, if the source is trusted.

    Otherwise the move is left to a moderator, with a note saying so (issue 18).
    """
    if listing.organisation_id == organisation.id:
        return
    if source.trusted:
        listing.organisation = organisation
    elif notes is not None:
        # Moving a listing to another organisation takes a moderator (issue 18).
        notes.append(
            f"the source names another organisation ({organisation.name[:80]}); the "
            "listing stays with its own until a moderator moves it."
        )


def _propose_change(
    session: Session,
    actor: User | None,
    source: ImportSource,
    listing: Listing,
    data: dict[str, Any],
) -> str:
    """A change to a live listing from an untrusted source: one pending revision.

    A newer change supersedes the earlier pending ones; the same change arriving again
    is "unchanged". Returns "pending" or "unchanged".
    """
    pending = pending_revisions(session, listing)
    if pending and pending[-1].data == data:
        return "unchanged"
    for earlier in pending:
        earlier.status = "superseded"
    revision = ListingRevision(
        listing=listing, author_id=getattr(actor, "id", None), data=data, status="pending"
    )
    session.add(revision)
    session.flush()
    audit.record(
        session,
        actor,
        "import.edit",
        "listing",
        listing.id,
        source=source.name,
        status="pending",
    )
    return "pending"


def _update_imported(
    session: Session,
    actor: User | None,
    source: ImportSource,
    listing: Listing,
    data: dict[str, Any],
    tags: list[str],
    direct: bool,
    checked_at: dt.datetime,
    checked_by: str,
) -> None:
    """Write the snapshot to the listing, and record it as approved or still waiting."""
    apply_snapshot(session, listing, data)
    if list(listing.tags or []) != tags:
        listing.tags = tags
    _mark_checked(listing, checked_at, checked_by)
    waiting = pending_revisions(session, listing)
    if direct or listing.published:
        for earlier in waiting:
            earlier.status = "superseded"
        listing.published = True
        session.add(
            ListingRevision(
                listing=listing,
                author_id=getattr(actor, "id", None),
                data=snapshot(listing),
                status="approved",
                decided_at=utcnow(),
            )
        )
        status = "approved"
    else:
        # Not yet approved: the moderator will approve what the source now says.
        for earlier in waiting[:-1]:
            earlier.status = "superseded"
        if waiting:
            waiting[-1].data = snapshot(listing)
        else:
            session.add(ListingRevision(listing=listing, data=snapshot(listing), status="pending"))
        status = "pending"
    session.flush()
    audit.record(
        session, actor, "import.edit", "listing", listing.id, source=source.name, status=status
    )


# -- running rows --------------------------------------------------------------------


Progress = Callable[[int], None]


# Rows written per transaction. Each row is still its own savepoint (a bad row rolls back
# alone); committing in batches instead of per row is what makes big imports fast (the
# search index re-reads what changed once per commit).
BATCH_SIZE = 50


@dataclass
class Planned:
    """What is to become of one incoming row, decided before anything is written.

    ``rejected``: it can't be imported (the reasons). ``new``: a listing we don't have,
    to be created with its batch (:mod:`importers.bulk`). ``write``: writes it on its own
    (returns the outcome, or raises :class:`RowRejected`); a new row has it too, for when
    its batch is refused.
    """

    key: int | str
    write: Callable[[], str] | None = None
    new: NewListing | None = None
    rejected: RowRejected | None = None


# New listings created per batch (and per commit) on the batch path.
BULK_SIZE = 500


@dataclass
class Batches:
    """How :func:`run_rows` plans rows and creates the new ones a batch at a time.

    ``plan(rows)`` takes up to ``size`` (key, row) pairs and returns a :class:`Planned`
    for each, in order; ``create(new_listings)`` writes a batch of them (it is
    :func:`importers.bulk.create_listings` with the session, actor and source given).
    """

    plan: Callable[[list[tuple[int | str, Any]]], list[Planned]]
    create: Callable[[list[NewListing]], list[str]]
    size: int = BULK_SIZE


def run_rows(
    session: Session,
    summary: ImportSummary,
    rows: Iterable[tuple[int | str, Any]],
    write_row: Callable[[int | str, Any], str],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
    before_end: Callable[[], None] | None = None,
    batches: Batches | None = None,
) -> ImportSummary:
    """Write the rows, each in its own savepoint, committing every ``batch_size`` rows.

    ``write_row(key, row)`` returns the outcome ("created", "updated", "unchanged" or
    "pending") or raises :class:`RowRejected`. A rejected row (or one the database
    refuses) is rolled back to its savepoint, so nothing of it is written and the rest
    carry on. Good rows are committed a batch at a time: one transaction per batch, so an
    import killed part-way leaves whole batches of whole rows, and the search index
    (synced on each commit) follows. ``before_end`` runs after the last row, before the
    last commit (or the dry run's rollback). A dry run rolls everything back at the end (so
    fixtures in tests must be committed first). At the end the summary's
    :attr:`ImportSummary.attention` counts are worked out for the listings written.

    With ``batches``, rows are planned ``batches.size`` at a time instead, and the new
    listings among them are created together, one savepoint and one commit per batch
    (:func:`_write_waiting`); a batch the database refuses is rolled back and written row
    by row, so the report is still row by row. Other rows are written one at a time, as
    above, after the new rows before them.
    """
    # Speed (issue 18): objects stay loaded across the batch commits, instead of being
    # expired and re-read row by row; the vocabulary terms are held so every row finds
    # them in the identity map. Within a row nothing autoflushes (the row's own flushes,
    # and the savepoint's at its end, write it).
    real_session = session() if callable(session) and not isinstance(session, Session) else session
    expire_on_commit = real_session.expire_on_commit
    real_session.expire_on_commit = False
    from directory.models import Term

    held_terms = session.scalars(select(Term)).all()
    try:
        with _collector_frozen():
            if batches is None:
                _run(session, summary, rows, write_row, dry_run, progress, batch_size)
            else:
                _run_planned(session, summary, rows, batches, dry_run, progress, batch_size)
    finally:
        real_session.expire_on_commit = expire_on_commit
        del held_terms
    if summary.listing_ids:
        summary.attention = attention_counts(session, summary.listing_ids)
    read_names(session, summary)
    if before_end is not None:
        before_end()
    if dry_run:
        session.rollback()
    else:
        session.commit()
    return summary


@contextmanager
def _collector_frozen() -> Iterator[None]:
    """The objects that exist now left out of the garbage collector's passes for a while.

    Its full passes walk every object in the process (the app, the ORM, the rules: over
    100 MB), and a long import makes a dozen of them: about 15% of a 10,000-service
    import. Frozen (:func:`gc.freeze`), they walk only what the import makes. Nothing
    changes otherwise: reference counting still frees objects, and they are unfrozen at
    the end. Left alone when something else has frozen objects already.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _write_one(
    session: Session, summary: ImportSummary, key: int | str, write: Callable[[], str]
) -> None:
    """Write one row in its own savepoint and count its outcome (rolled back if rejected)."""
    savepoint = session.begin_nested()
    before = len(summary.listing_ids)
    try:
        with session.no_autoflush:
            outcome = write()
    except (RowRejected, SQLAlchemyError) as problem:
        savepoint.rollback()
        summary.count("rejected")
        if isinstance(problem, RowRejected):
            summary.errors.extend(problem.problems)
        else:
            # Say which row, not the SQL: the details are in the log.
            log.exception("Import row %s could not be saved", key)
            summary.errors.append(RowProblem(key, "", "could not be saved"))
    else:
        savepoint.commit()
        if outcome == "pending":
            summary.pending += 1
            outcome = "updated"
        summary.count(outcome)
        summary.note_written(outcome, key, summary.listing_ids[before:])


def _run(
    session: Session,
    summary: ImportSummary,
    rows: Iterable[tuple[int | str, Any]],
    write_row: Callable[[int | str, Any], str],
    dry_run: bool,
    progress: Progress | None,
    batch_size: int,
) -> None:
    in_batch = 0
    for key, row in rows:
        _write_one(session, summary, key, partial(write_row, key, row))
        in_batch += 1
        if not dry_run and in_batch >= batch_size:
            session.commit()
            in_batch = 0
        if progress is not None:
            progress(1)


def _run_planned(
    session: Session,
    summary: ImportSummary,
    rows: Iterable[tuple[int | str, Any]],
    batches: Batches,
    dry_run: bool,
    progress: Progress | None,
    batch_size: int,
) -> None:
    """:func:`run_rows` with ``batches``: plan a chunk, create its new rows together."""
    waiting: list[Planned] = []
    in_batch = 0  # rows written one at a time since the last commit
    rows = iter(rows)
    while chunk := list(islice(rows, batches.size)):
        for planned in batches.plan(chunk):
            if planned.new is not None or planned.rejected is not None:
                waiting.append(planned)
                continue
            # The new rows before it are written first: it may be about one of them.
            if waiting:
                _write_waiting(session, summary, waiting, batches, dry_run, progress)
                in_batch = 0
            if planned.write is None:
                raise ValueError(f"row {planned.key} was planned with nothing to do")
            _write_one(session, summary, planned.key, planned.write)
            in_batch += 1
            if not dry_run and in_batch >= batch_size:
                session.commit()
                in_batch = 0
            if progress is not None:
                progress(1)
        _write_waiting(session, summary, waiting, batches, dry_run, progress)
        in_batch = 0


def _write_waiting(
    session: Session,
    summary: ImportSummary,
    waiting: list[Planned],
    batches: Batches,
    dry_run: bool,
    progress: Progress | None,
) -> None:
    """Create the waiting new rows as one batch, count every waiting row, and commit.

    The batch is one savepoint: if the database refuses it, it is rolled back whole and
    its rows are written one at a time, so only the refused row is rejected and the
    report says which.
    """
    from importers.bulk import BatchRefused

    new = [planned.new for planned in waiting if planned.new is not None]
    created = False
    if new:
        try:
            with session.begin_nested():
                batches.create(new)
            created = True
        except (SQLAlchemyError, BatchRefused):
            log.warning("A batch of %d new listings was refused; writing it row by row", len(new))
    for planned in waiting:
        rejected = planned.rejected or (planned.new.rejected if created and planned.new else None)
        if rejected is not None:
            summary.count("rejected")
            summary.errors.extend(rejected.problems)
        elif created and planned.new is not None:
            summary.count("created")
            summary.listing_ids.append(planned.new.created_id or "")
            summary.note_written("created", planned.key, [planned.new.created_id or ""])
            summary.warnings.extend(planned.new.warnings)
        elif planned.write is not None:
            _write_one(session, summary, planned.key, planned.write)
        if progress is not None:
            progress(1)
    waiting.clear()
    if not dry_run:
        session.commit()
