"""Creating an import's new listings a batch at a time (issue 18, speed).

Row by row, a new listing costs about seventeen SQL statements and five ORM flushes (the
lifecycle's ``apply_snapshot``, its revision, the audit event, the suggested domains,
the duplicate check, the row's savepoint). :func:`create_listings` writes the same rows
for a whole batch of new listings with SQLAlchemy Core ``executemany``: one statement per
table (listings, places, times, terms, revisions, audit events, suggested domains,
assessments), then the duplicate check for the batch in a few statements
(:func:`directory.listings.duplicates.flag_new_listings`), and the search index is told
what was written (:func:`search.sync.note_changed_listings`) so it syncs at the commit.

What is written is what :func:`importers.runner.write_listing` (the create branch) and
:func:`directory.listings.suggestions.apply_suggestions` write for one new listing: the
same columns and defaults, the same first revision (:func:`new_listing_snapshot` is
:func:`directory.lifecycle.services.snapshot` of the listing they make), the same audit
event, the same suggestions and assessment (``tests/importers/test_bulk.py`` compares
the two paths table by table). Updates to listings we already have, and anything the
batch can't take, still go row by row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from directory.lifecycle.services import (
    FIELDS,
    LOCATION_FIELDS,
    SCHEDULE_FIELDS,
    TERM_VOCABULARIES,
    _from_plain,
    _plain,
)
from directory.listings.duplicates import flag_new_listings
from directory.models import (
    AuditEvent,
    DomainSuggestion,
    ImportSource,
    Listing,
    ListingAssessment,
    ListingRevision,
    Location,
    Organisation,
    Schedule,
    Term,
    User,
    listing_term,
    new_id,
    utcnow,
)
from directory.rules.duplicates import ListingFacts
from directory.vocabularies import term_id
from search.sync import note_changed_listings

if TYPE_CHECKING:
    from directory.rules.domain_suggestion import Suggestion
    from importers.runner import RowProblem, RowRejected


class BatchRefused(RuntimeError):
    """A batch that can't be written as one (it is then written row by row)."""


@dataclass
class NewListing:
    """One incoming listing that matches none of ours, ready to be created in a batch.

    ``data`` is the snapshot as written (suggested domains and kind already in it, as
    :func:`importers.runner.suggest_for_import` puts them); ``organisation`` finds or
    creates its organisation, inside the batch's savepoint, or raises
    :class:`importers.runner.RowRejected` when it has none (the row is then left out and
    reported, as on its own).
    """

    source_id: str
    data: dict[str, Any]
    organisation: Callable[[], Organisation | None]
    listing_id: str | None = None
    verified_at: dt.datetime | None = None
    verified_by: str | None = None
    schedule_locations: list[int | None] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    suggestion: Suggestion | None = None
    kind_given: bool = True
    warnings: list[RowProblem] = field(default_factory=list)
    # Set by create_listings: the id it was created with, or why it was left out.
    created_id: str | None = None
    rejected: RowRejected | None = None


def _defaults(table: Table) -> dict[str, Any]:
    """Each column's Python-side default, as a new ORM object gets it at flush."""
    values: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if default is not None and default.is_scalar:
            values[column.name] = default.arg
        elif default is not None and default.is_callable:
            values[column.name] = default.arg(None)
    return values


def _listing_values(data: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's columns as a new listing stores them.

    A field the snapshot leaves blank (None) takes the column's default, as it does when
    ``apply_snapshot`` leaves it unset on a new listing.
    """
    values = {}
    for name in FIELDS:
        value = data.get(name)
        values[name] = defaults.get(name) if value is None else value
    return values


def new_listing_snapshot(
    values: dict[str, Any], data: dict[str, Any], known_terms: set[str]
) -> dict[str, Any]:
    """The first revision's snapshot of a listing created from ``data`` with ``values``.

    What :func:`directory.lifecycle.services.snapshot` gives for the listing
    ``apply_snapshot`` makes from ``data`` (times and dates as the columns give them
    back, schedules naming their place by position, unknown terms left out).
    """
    places = data.get("locations", [])
    schedules = []
    for row in data.get("schedules", []):
        plain = {f: _plain(_from_plain(f, row.get(f))) for f in SCHEDULE_FIELDS}
        place = row.get("location")
        if place is not None and place < len(places):
            plain["location"] = place
        schedules.append(plain)
    return {
        **{name: _plain(values[name]) for name in FIELDS},
        "terms": {
            vocabulary: [
                code
                for code in data.get("terms", {}).get(vocabulary, [])
                if term_id(vocabulary, code) in known_terms
            ]
            for vocabulary in TERM_VOCABULARIES
        },
        "locations": [{f: place.get(f) for f in LOCATION_FIELDS} for place in places],
        "schedules": schedules,
    }


@dataclass
class _Rows:
    """The rows of every table a batch writes, in the order they are inserted."""

    listings: list[dict[str, Any]] = field(default_factory=list)
    locations: list[dict[str, Any]] = field(default_factory=list)
    schedules: list[dict[str, Any]] = field(default_factory=list)
    terms: list[dict[str, Any]] = field(default_factory=list)
    revisions: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    assessments: list[dict[str, Any]] = field(default_factory=list)
    facts: list[ListingFacts] = field(default_factory=list)

    def write(self, session: Session) -> None:
        """Insert every table's rows: one ``executemany`` per table."""
        for table, rows in (
            (Listing.__table__, self.listings),
            (Location.__table__, self.locations),
            (Schedule.__table__, self.schedules),
            (listing_term, self.terms),
            (ListingRevision.__table__, self.revisions),
            (AuditEvent.__table__, self.events),
            (DomainSuggestion.__table__, self.suggestions),
            (ListingAssessment.__table__, self.assessments),
        ):
            if rows:
                session.execute(insert(table), rows)


class _Batch:
    """Builds the rows of one batch of new listings for :func:`create_listings`."""

    def __init__(self, session: Session, actor: User | None, source: ImportSource) -> None:
        self.actor_id = getattr(actor, "id", None)
        self.source = source
        self.now = utcnow()
        self.defaults = _defaults(Listing.__table__)
        self.known_terms = set(session.scalars(select(Term.id)))
        self.rows = _Rows()

    def add(self, new: NewListing, organisation: Organisation) -> str:
        """Add one listing's rows; returns its id."""
        from importers.runner import with_schedule_places

        data = with_schedule_places(new.data, list(new.schedule_locations))
        direct = self.source.trusted or (
            organisation.trusted and self.source.organisation_id == organisation.id
        )
        listing_id = new.listing_id or new_id()
        values = _listing_values(data, self.defaults)
        self.rows.listings.append(
            {
                **self.defaults,
                **values,
                "id": listing_id,
                "organisation_id": organisation.id,
                "published": direct,
                "source": self.source.name,
                "source_id": new.source_id,
                "tags": list(dict.fromkeys(t for t in new.tags if t)),
                "last_verified_at": new.verified_at or self.now,
                "last_verified_by": new.verified_by or "import",
                "created_at": self.now,
                "updated_at": self.now,
            }
        )
        self._places_and_times(listing_id, data)
        self._terms(listing_id, data)
        self.rows.revisions.append(
            {
                "listing_id": listing_id,
                "author_id": self.actor_id,
                "data": new_listing_snapshot(values, data, self.known_terms),
                "status": "approved" if direct else "pending",
                "reason": None,
                "decided_by_id": None,
                "decided_at": self.now if direct else None,
                "created_at": self.now,
            }
        )
        self.rows.events.append(
            {
                "created_at": self.now,
                "actor_id": self.actor_id,
                "action": "import.create",
                "target_type": "listing",
                "target_id": listing_id,
                "details": {"source": self.source.name, "published": direct},
            }
        )
        if new.suggestion is not None:
            self._suggestions(listing_id, new.suggestion, new.kind_given)
        self.rows.facts.append(
            ListingFacts(
                id=listing_id,
                name=values["name"],
                organisation_id=organisation.id,
                points=tuple(
                    (place["latitude"], place["longitude"])
                    for place in data.get("locations", [])
                    if place.get("latitude") is not None and place.get("longitude") is not None
                ),
                source=self.source.name,
                source_id=new.source_id,
            )
        )
        return listing_id

    def _places_and_times(self, listing_id: str, data: dict[str, Any]) -> None:
        place_ids = []
        for position, place in enumerate(data.get("locations", [])):
            place_ids.append(new_id())
            self.rows.locations.append(
                {
                    "id": place_ids[-1],
                    "listing_id": listing_id,
                    "position": position,
                    **{f: place.get(f) for f in LOCATION_FIELDS},
                }
            )
        for position, row in enumerate(data.get("schedules", [])):
            place = row.get("location")
            self.rows.schedules.append(
                {
                    "id": new_id(),
                    "listing_id": listing_id,
                    "location_id": place_ids[place]
                    if place is not None and place < len(place_ids)
                    else None,
                    "position": position,
                    **{f: _from_plain(f, row.get(f)) for f in SCHEDULE_FIELDS},
                }
            )

    def _terms(self, listing_id: str, data: dict[str, Any]) -> None:
        wanted = [
            term_id(vocabulary, code)
            for vocabulary in TERM_VOCABULARIES
            for code in data.get("terms", {}).get(vocabulary, [])
        ]
        self.rows.terms += [
            {"listing_id": listing_id, "term_id": term}
            for term in dict.fromkeys(wanted)
            if term in self.known_terms
        ]

    def _suggestions(self, listing_id: str, suggestion: Suggestion, kind_given: bool) -> None:
        """The suggested domains and the assessment ``apply_suggestions`` records."""
        self.rows.suggestions += [
            {
                "listing_id": listing_id,
                "code": found.code,
                "confidence": round(found.confidence, 3),
                "reason": found.reason[:2000],
                "status": "suggested",
                "decided_by_id": None,
                "decided_at": None,
                "created_at": self.now,
            }
            for found in {d.code: d for d in suggestion.domains}.values()
        ]
        kind = suggestion.kind
        self.rows.assessments.append(
            {
                "listing_id": listing_id,
                "not_social": suggestion.not_social,
                "not_social_confidence": round(suggestion.not_social_confidence, 3),
                "reason": suggestion.reason[:2000],
                "suggested_kind": kind.code if kind else None,
                "kind_reason": kind.reason[:2000] if kind else None,
                "kind_suggested": not kind_given and kind is not None,
                "assessed_at": self.now,
            }
        )


def create_listings(
    session: Session, actor: User | None, source: ImportSource, batch: Sequence[NewListing]
) -> list[str]:
    """Create ``batch``'s new listings, in order, and return their ids; flush only.

    Each with its places, times, terms, first revision, audit event, suggested domains
    and assessment, and the batch's duplicate flags.

    Run it inside a savepoint: when the database refuses any of it (or a listing has no
    organisation, :class:`BatchRefused`), the caller rolls the savepoint back and writes
    the batch row by row, so the report still says which row was refused.
    """
    from importers.runner import RowRejected

    rows = _Batch(session, actor, source)
    ids = []
    for new in batch:
        try:
            organisation = new.organisation()
        except RowRejected as rejected:
            new.rejected = rejected
            continue
        if organisation is None:
            raise BatchRefused("a listing without an organisation")
        new.created_id = rows.add(new, organisation)
        ids.append(new.created_id)
    rows.rows.write(session)
    flag_new_listings(session, rows.rows.facts)
    note_changed_listings(session, ids)
    return ids


def existing_ids(
    session: Session, source: ImportSource, source_ids: Iterable[str], listing_ids: Iterable[str]
) -> tuple[set[str], set[str]]:
    """Which of ``source_ids`` the source already has, and which ``listing_ids`` exist.

    One statement each per 500, for planning a batch: those rows go row by row.
    """
    known_sources: set[str] = set()
    known_listings: set[str] = set()
    wanted_sources = list(dict.fromkeys(source_ids))
    wanted_listings = list(dict.fromkeys(i for i in listing_ids if i))
    for start in range(0, len(wanted_sources), 500):
        known_sources |= set(
            session.scalars(
                select(Listing.source_id).where(
                    Listing.source == source.name,
                    Listing.source_id.in_(wanted_sources[start : start + 500]),
                )
            )
        )
    for start in range(0, len(wanted_listings), 500):
        known_listings |= set(
            session.scalars(
                select(Listing.id).where(Listing.id.in_(wanted_listings[start : start + 500]))
            )
        )
    return known_sources, known_listings
