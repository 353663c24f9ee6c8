"""Anonymous feedback can't be linked back to its shortlist (issue 20, hole 7).

Someone with the whole database (a copy, a backup, an over-curious administrator) knows
each shortlist's listings and feedback code. They try to group feedback rows into the
submissions they came in, since a submission's set of listings points at one shortlist:
by consecutive ids, by timestamps, by audit events written at the same moment, by the
aggregate rows touched together, and (SQLite) by the hidden insertion order. Every one of
those must come up empty.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect, select

from directory.extensions import db as _db
from directory.models import AuditEvent, ListingScore, ServiceUserFeedback
from tests.ratings.conftest import count


@pytest.fixture
def two_handouts(make_listing, make_shortlist):
    """Two shortlists sharing one listing, each with its printed code."""
    walk = make_listing(name="Riverside Walking Group")
    choir = make_listing(name="Community Choir")
    cafe = make_listing(name="Garden Café")
    first = make_shortlist([walk, choir], code="K7P2QX")
    second = make_shortlist([walk, cafe], code="M9R4TW")
    _db.session.commit()
    return first, second, (walk, choir, cafe)


def _give_feedback(client, code: str, listings) -> None:
    data = {f"went-{listing.id}": "yes" for listing in listings}
    data.update({f"welcome-{listing.id}": "4" for listing in listings})
    _db.session.commit()
    assert client.post(f"/feedback/{code}", data=data).status_code == 303


def test_the_join_from_feedback_to_its_shortlist_is_impossible(db, client, two_handouts):
    first, second, (walk, choir, cafe) = two_handouts
    scores_before = {
        s.listing_id: s.updated_at for s in db.session.scalars(select(ListingScore)).all()
    }
    events_before = count(db, AuditEvent)

    _give_feedback(client, "K7P2QX", (walk, choir))
    _give_feedback(client, "M9R4TW", (walk, cafe))
    rows = db.session.scalars(select(ServiceUserFeedback)).all()
    assert len(rows) == 4

    # Nothing on a row names the shortlist, its code or its owner.
    columns = {c.key for c in inspect(ServiceUserFeedback).columns}
    assert columns == {"id", "listing_id", "went", "welcome", "text", "text_status", "created_at"}
    assert not [fk for fk in ServiceUserFeedback.__table__.foreign_keys
                if fk.column.table.name != "listing"]  # fmt: skip

    # Ids say nothing about order: random UUIDs, not a sequence.
    for row in rows:
        assert isinstance(row.id, str) and uuid.UUID(row.id).version == 4

    # Timestamps: the day only, the same for everything given today.
    assert {type(row.created_at) for row in rows} == {dt.date}
    assert len({row.created_at for row in rows}) == 1

    # No audit event was written by anonymous feedback, so none says when it came.
    assert count(db, AuditEvent) == events_before
    assert count(db, AuditEvent, AuditEvent.target_type == "service_user_feedback") == 0

    # The listings' score rows weren't stamped together at the moment of a submission.
    scores_after = {
        s.listing_id: s.updated_at for s in db.session.scalars(select(ListingScore)).all()
    }
    for listing_id, stamped in scores_after.items():
        assert scores_before.get(listing_id) in (None, stamped) or stamped.time() == dt.time(0)
    new_stamps = [s for k, s in scores_after.items() if k not in scores_before]
    assert all(stamp.time() == dt.time(0) for stamp in new_stamps), new_stamps

    # The shortlist itself records no time of feedback either.
    for shortlist in (first, second):
        db.session.refresh(shortlist)
        assert shortlist.updated_at <= shortlist.created_at + dt.timedelta(seconds=5)


def test_sqlite_keeps_no_insertion_order_for_feedback(db, client, two_handouts, app):
    """The feedback table is WITHOUT ROWID, stored in the order of its random ids.

    SQLite's hidden rowid counts up with every insert, so it would group a submission's
    rows.
    """
    if db.engine.dialect.name != "sqlite":
        pytest.skip("rowid is SQLite's")
    _, _, (walk, choir, _) = two_handouts
    _give_feedback(client, "K7P2QX", (walk, choir))
    with pytest.raises(sa.exc.OperationalError):
        db.session.execute(sa.text("SELECT rowid FROM service_user_feedback")).all()
