"""Posting and editing listings through the guided form, and moderating them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from directory.lifecycle.services import apply_snapshot, diff, purge_archived, snapshot
from directory.models import Listing, ListingRevision, Location, Schedule, utcnow
from tests.lifecycle.conftest import listing_form


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_untrusted_post_waits_for_a_moderator_then_is_searchable(editor, moderator, db, client):
    response = editor.post(
        f"/organisations/{editor.organisation.id}/listings/new", data=listing_form()
    )
    assert response.status_code == 302
    listing = db.session.scalar(select(Listing).where(Listing.name == "Hearing Voices Peer Group"))
    assert listing.published is False
    assert listing.domain_codes == ["identity", "cared_for"]
    assert listing.locations[0].postcode == "PL4 8AA"
    assert listing.schedules[0].interval == 2 and listing.schedules[0].byday == "TU"
    assert client.get(f"/listings/{listing.id}").status_code == 404
    revision = db.session.scalar(
        select(ListingRevision).where(ListingRevision.listing_id == listing.id)
    )
    assert revision.status == "pending"
    page = moderator.get(f"/moderation/revisions/{revision.id}").get_data(as_text=True)
    assert "Every other Tuesday, 18:30 to 20:00" in page and "Identity and common bond" in page
    assert (
        moderator.post(
            f"/moderation/revisions/{revision.id}", data={"decision": "approve"}
        ).status_code
        == 302
    )
    assert listing.published is True
    db.session.commit()
    body = client.get("/api/search?q=hearing+voices&postcode=PL4+8AA").get_json()
    assert [r["id"] for r in body["results"]] == [listing.id]


def test_trusted_organisation_publishes_directly(editor, db):
    editor.organisation.trusted = True
    editor.post(f"/organisations/{editor.organisation.id}/listings/new", data=listing_form())
    listing = db.session.scalar(select(Listing).where(Listing.name == "Hearing Voices Peer Group"))
    assert listing.published is True
    assert listing.last_verified_by == "organisation"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"schedules-0-opens_at": "20:00", "schedules-0-closes_at": "18:00"},
            "Closing time must be after opening time",
        ),
        ({"locations-0-postcode": "PL4 9ZZ"}, "couldn&#39;t find PL4 9ZZ"),
        ({"locations-0-postcode": "hello"}, "doesn&#39;t look like a UK postcode"),
        ({"domains": []}, "Choose at least one CIVIC domain."),
        ({"schedules-0-opens_at": "25:99"}, "Enter a time like 18:30."),
        ({"name": ""}, "Enter a name."),
        ({"name": "x" * 201}, "This is 201 characters long; the most is 200."),
        ({"min_age": "40", "max_age": "18"}, "The maximum age must be more than the minimum age."),
        ({"format": "course"}, "Enter how many weeks the course lasts."),
        ({"email": "not-an-email"}, "Enter an email address like name@example.org."),
        ({"kind": "spaceship"}, "&#39;spaceship&#39; is not one of: group, place, activity."),
    ],
)
def test_bad_input_gets_a_message_keeps_typing_and_writes_nothing(editor, db, overrides, message):
    response = editor.post(
        f"/organisations/{editor.organisation.id}/listings/new", data=listing_form(**overrides)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert "There is a problem" in page
    assert "A peer group for people who hear voices." in page  # what was typed is kept
    assert count(db, Listing) == 0 and count(db, ListingRevision) == 0


def test_online_listing_needs_no_location(editor, db):
    form = listing_form(
        attendance="online",
        **{
            "locations-0-postcode": "",
            "locations-0-name": "",
            "locations-0-address_1": "",
            "locations-0-city": "",
        },
    )
    assert (
        editor.post(f"/organisations/{editor.organisation.id}/listings/new", data=form).status_code
        == 302
    )
    assert db.session.scalar(select(Listing)).locations == []


def test_monthly_last_friday_schedule(editor, db):
    form = listing_form(
        **{"schedules-0-pattern": "monthly", "schedules-0-day": "FR", "schedules-0-nth": "-1"}
    )
    editor.post(f"/organisations/{editor.organisation.id}/listings/new", data=form)
    assert db.session.scalar(select(Listing)).schedules[0].byday == "-1FR"


def test_editing_another_organisations_listing_is_refused(editor, make_listing, db):
    other = make_listing(name="Not Yours")
    db.session.commit()  # a refused request rolls back; keep the fixture data
    before = snapshot(other)
    assert editor.get(f"/listings/{other.id}/edit").status_code == 403
    response = editor.post(f"/listings/{other.id}/edit", data=listing_form(name="Hijacked"))
    assert response.status_code == 403
    assert snapshot(other) == before
    assert (
        editor.post(
            f"/organisations/{other.organisation_id}/listings/new", data=listing_form()
        ).status_code
        == 403
    )


def test_untrusted_edit_of_live_listing_is_pending_with_a_diff(editor, moderator, db, make_listing):
    listing = make_listing(organisation=editor.organisation, name="Tuesday Tea", published=True)
    response = editor.post(
        f"/listings/{listing.id}/edit", data=listing_form(name="Tuesday Tea and Toast")
    )
    assert response.status_code == 302
    assert listing.name == "Tuesday Tea"  # the approved version stays live
    revision = db.session.scalar(select(ListingRevision).where(ListingRevision.status == "pending"))
    page = moderator.get(f"/moderation/revisions/{revision.id}").get_data(as_text=True)
    assert "Tuesday Tea and Toast" in page
    # Rejecting needs a reason; the editor sees it.
    assert (
        moderator.post(
            f"/moderation/revisions/{revision.id}", data={"decision": "reject"}
        ).status_code
        == 400
    )
    assert revision.status == "pending"
    moderator.post(
        f"/moderation/revisions/{revision.id}",
        data={"decision": "reject", "reason": "Toast is not on offer."},
    )
    assert revision.status == "rejected"
    manage = editor.get(f"/organisations/{editor.organisation.id}/manage").get_data(as_text=True)
    assert "Toast is not on offer." in manage
    assert listing.name == "Tuesday Tea"


def test_history_and_restore(editor, db, make_listing):
    editor.organisation.trusted = True
    listing = make_listing(organisation=editor.organisation, name="Version One")
    editor.post(f"/listings/{listing.id}/edit", data=listing_form(name="Version One"))
    editor.post(f"/listings/{listing.id}/edit", data=listing_form(name="Version Two"))
    assert listing.name == "Version Two"
    first = db.session.scalar(
        select(ListingRevision)
        .where(ListingRevision.listing_id == listing.id)
        .order_by(ListingRevision.id)
    )
    page = editor.get(f"/listings/{listing.id}/history").get_data(as_text=True)
    assert "Version Two" in page and "Version One" in page
    editor.post(f"/listings/{listing.id}/history/{first.id}/restore")
    assert listing.name == "Version One"


def test_snapshots_keep_which_place_each_time_is_at(db, make_listing):
    listing = make_listing(name="Two Venues")
    hall = Location(address_1="Church Hall", postcode="PL1 1AA", latitude=50.37, longitude=-4.14)
    listing.locations.append(hall)
    listing.schedules.append(Schedule(freq="WEEKLY", byday="FR", location=hall))
    db.session.flush()
    saved = snapshot(listing)
    assert [row.get("location") for row in saved["schedules"]] == [None, 1]

    listing.locations = []
    listing.schedules = []
    db.session.flush()
    apply_snapshot(db.session, listing, saved)
    friday = next(s for s in listing.schedules if s.byday == "FR")
    assert friday.location is listing.locations[1]
    assert friday.location.address_1 == "Church Hall"
    assert snapshot(listing) == saved


def test_diff_names_fields_in_words():
    rows = diff(
        {"name": "A", "cost": "free", "terms": {"civic_domain": ["beyond"]}},
        {"name": "B", "cost": "paid", "terms": {"civic_domain": ["beyond", "valued"]}},
    )
    assert ("Name", "A", "B") in rows
    assert ("Cost", "Free", "Paid") in rows
    assert (
        "CIVIC domains",
        "Connectedness beyond people",
        "Connectedness beyond people, Valued relationships",
    ) in rows


def test_archive_hides_then_purge_deletes_after_the_period(editor, db, make_listing, client):
    listing = make_listing(organisation=editor.organisation)
    editor.post(f"/listings/{listing.id}/archive")
    assert listing.archived_at is not None
    assert client.get(f"/listings/{listing.id}").status_code == 404
    assert purge_archived(db.session, utcnow(), days=30) == 0
    assert purge_archived(db.session, utcnow() + dt.timedelta(days=31), days=30) == 1
    assert count(db, Listing) == 0


def test_edit_form_shows_session_times_as_typed_and_saves_again_unchanged(editor, db):
    """Times are stored with seconds; the form asks for HH:MM and must show them so."""
    editor.organisation.trusted = True
    editor.post(f"/organisations/{editor.organisation.id}/listings/new", data=listing_form())
    listing = db.session.scalar(select(Listing).where(Listing.name == "Hearing Voices Peer Group"))
    page = editor.get(f"/listings/{listing.id}/edit").get_data(as_text=True)
    assert 'value="18:30"' in page and "18:30:00" not in page
    assert editor.post(f"/listings/{listing.id}/edit", data=listing_form()).status_code == 302
    assert listing.schedules[0].opens_at == dt.time(18, 30)
