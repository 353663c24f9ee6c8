"""New listings created a batch at a time write what row-by-row creation writes (issue 18).

The batch path (:mod:`importers.bulk`) is the import's fast way for new listings; these
tests import the same feeds both ways and compare every table the import writes, row by
row, and check that a batch the database refuses falls back to one row at a time.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from directory.models import Listing, ListingRevision, Location
from importers import bulk, openreferral, runner
from importers.openreferral import Document, import_openreferral, read_document, read_location
from importers.runner import find_or_create_source
from search.sql_index import SqlIndex
from tests.conftest import PINNED_NOW

DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLES = DATA / "openreferral-examples"
REALFEEDS = DATA / "realfeeds"
# Our own posted listing the feed's "Wellbeing Walk" is probably the same as.
POSTED_ID = "5d1b7c52-96a5-4f5e-9a4b-8d2f4d0a1c01"
# An incoming id that is one of our posted listings: our own export coming back.
OUR_EXPORTED_ID = "5d1b7c52-96a5-4f5e-9a4b-8d2f4d0a1c02"
WALK_TRUST = "2b1f0e6e-0d5c-4c44-8d5f-0a0a0a0a0a01"
HARBOUR = "2b1f0e6e-0d5c-4c44-8d5f-0a0a0a0a0a02"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d")


def _service(service_id: str, name: str, **fields: Any) -> dict:
    record = {
        "id": service_id,
        "name": name,
        "description": "<p>A gentle walk &amp;amp; a chat.</p><ul><li>All welcome</li></ul>",
        "status": "active",
        "url": "www.walktrust.org.uk/walks",
        "organization": {"id": WALK_TRUST, "name": "Walk Trust"},
        "service_at_locations": [
            {
                "id": f"sal-{service_id}",
                "location": {
                    "id": f"loc-{service_id}",
                    "location_type": "physical",
                    "addresses": [
                        {"address_1": "1 Hoe Road", "city": "Plymouth", "postal_code": "pl4 8aa"}
                    ],
                },
            }
        ],
        "schedules": [
            {
                "freq": "WEEKLY",
                "byday": "TU",
                "opens_at": "10:00",
                "closes_at": "12:00:00",
                "service_at_location_id": f"sal-{service_id}",
            }
        ],
    }
    record.update(fields)
    return record


def _document() -> Document:
    """Every shape of service the tests have, and the awkward cases of a batch."""
    services: list[Any] = []
    services += json.loads((REALFEEDS / "oruk1_list_export.json").read_text())["content"]
    services += read_location(str(REALFEEDS / "oruk3_services_full.json")).services
    for path in sorted(EXAMPLES.glob("*.json")):
        services += read_document(json.loads(path.read_text())).services
    services += [
        _service("walk-1", "Wellbeing Walk"),
        # The same service twice in one batch: created once, then unchanged.
        _service("walk-1", "Wellbeing Walk"),
        # The same id changed later in the batch: created, then updated.
        _service("walk-2", "Tuesday Walk"),
        _service("walk-2", "Tuesday Walk", description="Now on Tuesdays and Thursdays."),
        # Our own listing's id: it is updated (we made it), not created.
        _service(OUR_EXPORTED_ID, "Our walk, exported and back"),
        # A name close to another listing of the same organisation, far away.
        _service("walk-3", "Wellbeing Walks", service_at_locations=[]),
        # No organisation named, only an id: found by its id.
        _service("walk-4", "Orphan walk", organization={"id": WALK_TRUST}),
        # Only the id of an organisation the batch itself creates a moment earlier.
        _service("walk-6", "Harbour walk", organization={"id": HARBOUR, "name": "Harbour Trust"}),
        _service("walk-7", "Harbour ramble", organization={"id": HARBOUR}),
        # No organisation at all: rejected, and the rest of its batch goes on.
        _service("walk-8", "Nobody's walk", organization=None),
        # Rejected between new rows: no name.
        _service("walk-5", ""),
        "not a service at all",
    ]
    return Document(services=services)


def _posted_listings(make_listing, make_organisation) -> None:
    trust = make_organisation(id=WALK_TRUST, name="Walk Trust")
    make_listing(id=POSTED_ID, name="Wellbeing Walk", organisation=trust)
    make_listing(id=OUR_EXPORTED_ID, name="Our walk", organisation=trust)


def _normal(value: Any) -> Any:
    """Timestamps of the test's own "now" (the clock ticks) as "now"; the rest as they are."""
    if isinstance(value, str) and TIMESTAMP.match(value):
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value >= PINNED_NOW - dt.timedelta(minutes=1):
        return "now"
    return value


def _dump(db) -> dict[str, list]:
    """Every table an import writes, with generated ids and timestamps made comparable."""
    session = db.session
    keys = {
        row.id: row.source_id or row.id
        for row in session.execute(select(Listing.id, Listing.source_id))
    }
    places = {
        row.id: (keys[row.listing_id], row.position)
        for row in session.execute(select(Location.id, Location.listing_id, Location.position))
    }

    def rows(table: str, drop: tuple[str, ...] = ()) -> list:
        found = []
        for row in session.execute(text(f"SELECT * FROM {table}")).mappings():  # noqa: S608
            values = {}
            for name, value in row.items():
                if name in drop:
                    continue
                if name in ("listing_id", "other_id", "target_id") and value in keys:
                    value = keys[value]
                elif name == "location_id" and value is not None:
                    value = places[value]
                elif name == "id" and table == "listing":
                    value = keys[value]
                elif name in ("verified", "started") and value:  # the index's times, in seconds
                    value = dt.datetime.fromtimestamp(value, dt.UTC).replace(tzinfo=None)
                if isinstance(value, str) and value.startswith(("{", "[")):
                    value = json.loads(value)
                values[name] = _normal(value)
            found.append(json.dumps(values, sort_keys=True, default=str))
        return sorted(found)

    return {
        "listing": rows("listing"),
        "organisation": rows("organisation"),
        "location": rows("location", ("id",)),
        "schedule": rows("schedule", ("id",)),
        "listing_term": rows("listing_term"),
        "listing_revision": rows("listing_revision", ("id",)),
        "audit_event": rows("audit_event", ("id",)),
        "domain_suggestion": rows("domain_suggestion", ("id",)),
        "listing_assessment": rows("listing_assessment"),
        "duplicate_flag": rows("duplicate_flag", ("id",)),
        "search_document": rows("search_document", ("docid", "facet_codes")),
        # Which words "did you mean" knows (each re-indexing adds to their counts, and the
        # two paths commit, so re-index, at different moments).
        "search_word": sorted(session.scalars(text("SELECT word FROM search_word"))),
        "search_text": sorted(
            json.dumps([keys[row[0]], *row[1:]], default=str)
            for row in session.execute(
                text(
                    "SELECT d.listing_id, t.name, t.summary, t.description, t.organisation"
                    " FROM search_document d JOIN search_text t ON t.rowid = d.docid"
                )
            )
        )
        if session.get_bind().dialect.name == "sqlite"
        else [],
    }


def _import(app, db, locator, *, trusted: bool, batch: int) -> tuple[str, dict]:
    """Import the document one way, dump the tables, then undo it all."""
    connection = db.engines[None]
    savepoint = connection.begin_nested()
    # The SQL index remembers its facet codes; the rollback below forgets them.
    index, app.extensions["search"] = app.extensions["search"], SqlIndex()
    try:
        source = find_or_create_source(db.session, "oruk:compare.json", "openreferral")
        source.trusted = trusted
        db.session.commit()
        summary = import_openreferral(
            db.session, _document(), source, actor=None, locator=locator, batch=batch
        )
        db.session.commit()
        report = [str(summary), *map(str, summary.errors), *map(str, summary.warnings)]
        return "\n".join(report), _dump(db)
    finally:
        db.session.remove()
        savepoint.rollback()
        app.extensions["search"] = index


@pytest.mark.parametrize("trusted", [True, False], ids=["trusted", "untrusted"])
def test_the_batch_path_writes_what_row_by_row_writes(
    app, db, locator, make_listing, make_organisation, trusted
):
    _posted_listings(make_listing, make_organisation)
    db.session.commit()
    one_by_one = _import(app, db, locator, trusted=trusted, batch=0)
    batched = _import(app, db, locator, trusted=trusted, batch=40)
    assert batched[0] == one_by_one[0]
    for table, rows in one_by_one[1].items():
        assert batched[1][table] == rows, table
    report, tables = batched
    assert "rejected" in report
    assert len(tables["listing"]) > 750
    # The cases the batch must get right are all there.
    assert any('"listing_id": "walk-1"' in row for row in tables["duplicate_flag"])
    assert sum('"source_id": "walk-2"' in row for row in tables["listing"]) == 1
    assert any('"source_id": "walk-7"' in row for row in tables["listing"])
    assert "service walk-8, organization: the service has no organisation" in report


def test_a_batch_the_database_refuses_is_undone_and_written_row_by_row(
    db, locator, monkeypatch, caplog
):
    """The batch is one savepoint: a refusal takes all of it back, then each row goes alone.

    Only the row the database refuses on its own is rejected, and the report says which.
    """
    write_rows = bulk._Rows.write

    def refused_after_writing(rows, session) -> None:
        write_rows(rows, session)  # written, then refused: the savepoint must undo it
        if any(row["source_id"] == "walk-3" for row in rows.listings):
            raise IntegrityError("INSERT INTO listing", {}, Exception("refused"))

    def write_listing(*args, **kwargs):
        if args[4] == "walk-3":  # its source id
            raise IntegrityError("INSERT INTO listing", {}, Exception("refused"))
        return runner.write_listing(*args, **kwargs)

    monkeypatch.setattr(bulk._Rows, "write", refused_after_writing)
    monkeypatch.setattr(openreferral, "write_listing", write_listing)
    source = find_or_create_source(db.session, "oruk:refused.json", "openreferral")
    source.trusted = True
    db.session.commit()
    services = [_service(f"walk-{n}", f"Walk number {n}") for n in range(1, 7)]
    with caplog.at_level(logging.WARNING, logger="importers.runner"):
        summary = openreferral.import_openreferral(
            db.session, Document(services=services), source, actor=None, locator=locator, batch=4
        )
    assert str(summary).startswith("5 created, 0 updated, 0 unchanged, 1 rejected")
    assert [str(problem) for problem in summary.errors] == ["row 3: could not be saved"]
    assert "A batch of 4 new listings was refused" in caplog.text
    created = db.session.scalars(
        select(Listing.source_id).where(Listing.source == source.name).order_by(Listing.source_id)
    ).all()
    assert created == ["walk-1", "walk-2", "walk-4", "walk-5", "walk-6"]
    revisions = db.session.scalar(
        select(func.count(ListingRevision.id)).join(Listing).where(Listing.source == source.name)
    )
    assert revisions == 5


def test_the_garbage_collector_leaves_older_objects_alone_during_the_rows_only():
    """run_rows freezes what exists (gc.freeze) and thaws it after; not if already frozen."""
    assert gc.get_freeze_count() == 0
    with runner._collector_frozen():
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with runner._collector_frozen():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
