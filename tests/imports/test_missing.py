"""The moderators' list of listings no longer in their source feed.

Shown oldest first, archived or kept with a button, never a 500.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from directory.models import AuditEvent, Listing


def gone(make_listing, name: str, days: int, **fields) -> Listing:
    return make_listing(
        name=name,
        source="council",
        source_id=name,
        missing_from_source_at=dt.datetime(2026, 11, 20) - dt.timedelta(days=days),
        **fields,
    )


def test_the_list_shows_what_is_waiting_and_archive_and_keep_decide_it(db, client_as, make_listing):
    moderator = client_as("moderator")
    older = gone(make_listing, "Old Choir", 10)
    newer = gone(make_listing, "New Walk", 1)
    gone(make_listing, "Kept Club", 5, missing_kept_at=dt.datetime(2026, 11, 21))
    gone(make_listing, "Archived Cafe", 5, archived_at=dt.datetime(2026, 11, 21))
    make_listing(name="Still In Feed", source="council", source_id="in")
    db.session.commit()
    page = moderator.get("/moderation/missing").get_data(as_text=True)
    assert "Waiting (2)" in page
    assert page.index("Old Choir") < page.index("New Walk")
    for absent in ("Kept Club", "Archived Cafe", "Still In Feed"):
        assert absent not in page

    response = moderator.post(f"/moderation/missing/{older.id}/archive")
    assert response.status_code == 302
    response = moderator.post(f"/moderation/missing/{newer.id}/keep")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Listing, older.id).archived_at is not None
    kept = db.session.get(Listing, newer.id)
    assert kept.missing_kept_at is not None and kept.archived_at is None
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"listing.archive", "listing.keep_missing"} <= actions
    page = moderator.get("/moderation/missing").get_data(as_text=True)
    assert "Waiting (0)" in page and "None." in page

    # Deciding again says so instead of failing.
    again = moderator.post(f"/moderation/missing/{newer.id}/keep", follow_redirects=True)
    assert "has already been kept" in again.get_data(as_text=True)
    assert moderator.post("/moderation/missing/nope/keep").status_code == 404


def test_the_dashboard_links_to_the_list(db, client_as):
    moderator = client_as("moderator")
    db.session.commit()
    assert "/moderation/missing" in moderator.get("/moderation/").get_data(as_text=True)
